//! The `fold` pass: text to the `fold` view (see `super`), with what it noticed on the way.
//!
//! Speed: prose is mostly ASCII letters, punctuation and single spaces, and for those the view
//! is the text in lower case. `FoldState::ascii_run` measures such runs eight bytes at a time
//! (see `swar`) and copies them in one go; everything else (whitespace runs, control
//! characters, non-ASCII characters, the start of the text, a word after an invisible
//! character or a look-alike letter) goes one character at a time through the general path,
//! which hands non-ASCII characters to the pure function `step`.

use super::fold::{self, Folded};
use super::swar;
use super::{class, offset32, FoldStats, Origins, ALNUM, LETTER, NONE};

/// Characters that render as nothing and are used to break up keywords.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{E0000}'..='\u{E001F}' | '\u{E007F}')
}

/// Invisible characters that have no business inside a word (joiners used by scripts and
/// emoji, U+200C/U+200D, are left out).
fn is_word_breaker(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}'
        | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// How a non-ASCII character (or a decoded tag character) affects the word-script tracking.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
enum Script {
    /// Plain ASCII after folding: a letter makes the word Latin.
    Ascii { alphabetic: bool },
    /// A real letter of another script: the word is not Latin.
    Foreign,
    /// A look-alike of a Latin letter.
    Confusable,
    /// Neither (compatibility forms, ligatures, symbols, digits of other scripts).
    Neutral,
}

/// What one non-ASCII character does to the `fold` view. Computed by a pure function so the
/// hot ASCII loop keeps its state in registers.
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug, PartialEq))]
enum Step {
    Invisible {
        breaker: bool,
    },
    Space,
    Emit {
        letter: bool,
        script: Script,
        out: [u8; 16],
        len: usize,
    },
}

/// What one non-ASCII character does: whether it was a Unicode tag character, its `Step`, and
/// whether the model's view treats it the same way (see `Views::model_is_fold`).
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Folding {
    tag: bool,
    step: Step,
    model_same: bool,
}

/// How many characters `StepCache` holds.
const STEP_CACHE: usize = 64;

/// The last `step` of each of a few code points, direct-mapped: text in another script, or
/// an attack full of look-alikes, repeats a few dozen characters, and `step` costs hundreds
/// of instructions per character (Unicode property look-ups), a hit a handful. `step` is a
/// pure function, so a hit is exactly what it would return.
struct StepCache {
    slots: [(u32, Folding); STEP_CACHE],
}

impl StepCache {
    fn new() -> StepCache {
        let empty = Folding {
            tag: false,
            step: Step::Space,
            model_same: true,
        };
        // No character is u32::MAX, so every slot starts empty.
        StepCache {
            slots: [(u32::MAX, empty); STEP_CACHE],
        }
    }

    #[inline(always)]
    fn step(&mut self, c: char) -> Folding {
        let key = u32::from(c);
        match self.slots.get_mut((key ^ (key >> 6)) as usize % STEP_CACHE) {
            Some((k, hit)) if *k == key => *hit,
            Some(slot) => {
                let f = step(c);
                *slot = (key, f);
                f
            }
            None => step(c),
        }
    }
}

/// Folds one non-ASCII character.
#[inline(never)]
fn step(c: char) -> Folding {
    if is_invisible(c) {
        let breaker = is_word_breaker(c);
        let step = Step::Invisible { breaker };
        return Folding {
            tag: false,
            step,
            model_same: true,
        };
    }
    let (tag, c) = match c {
        '\u{E0020}'..='\u{E007E}' => (true, char::from_u32(c as u32 - 0xE0000).unwrap_or(' ')),
        _ => (false, c),
    };
    if c.is_whitespace() || c.is_control() {
        // The model drops tag characters and keeps C1 controls other than NEL.
        let model_same = !tag && (!c.is_control() || c == '\u{85}');
        let step = Step::Space;
        return Folding {
            tag,
            step,
            model_same,
        };
    }
    let mut out = [0u8; 16];
    let mut len = 0;
    let mut put = |ch: char| {
        let mut buf = [0u8; 4];
        for &b in ch.encode_utf8(&mut buf).as_bytes() {
            if let Some(slot) = out.get_mut(len) {
                *slot = b;
                len += 1;
            }
        }
    };
    let folded = fold::fold(c);
    // The model folds fullwidth forms only, and keeps everything else as it is.
    let model_same = !tag
        && match folded {
            Folded::Keep(_) => true,
            Folded::Compat(_) => ('\u{FF01}'..='\u{FF5E}').contains(&c),
            Folded::Ligature(_) | Folded::Confusable(_) => false,
        };
    let script = match folded {
        Folded::Keep(k) if k.is_ascii() => {
            put(k.to_ascii_lowercase());
            Script::Ascii {
                alphabetic: k.is_ascii_alphabetic(),
            }
        }
        Folded::Keep(k) => {
            k.to_lowercase().for_each(&mut put);
            if k.is_alphabetic() {
                Script::Foreign
            } else {
                Script::Neutral
            }
        }
        Folded::Compat(a) => {
            put(a.to_ascii_lowercase());
            Script::Neutral
        }
        Folded::Ligature(l) => {
            l.chars().for_each(|ch| put(ch.to_ascii_lowercase()));
            Script::Neutral
        }
        Folded::Confusable(a) => {
            put(a);
            Script::Confusable
        }
    };
    let letter = c.is_alphanumeric();
    let step = Step::Emit {
        letter,
        script,
        out,
        len,
    };
    Folding {
        tag,
        step,
        model_same,
    }
}

/// Copies the run of bytes of class `mask` that starts at `i`, in lower case; returns where
/// it ends and the union of the classes seen.
#[inline(always)]
fn copy_run(src: &[u8], mut i: usize, mask: u8, out: &mut Vec<u8>) -> (usize, u8) {
    let mut seen = 0u8;
    while let Some(&b) = src.get(i) {
        let k = class(b);
        if k & mask == 0 {
            break;
        }
        seen |= k;
        out.push(b.to_ascii_lowercase());
        i += 1;
    }
    (i, seen)
}

/// The state of the `fold` pass besides its output.
struct FoldState {
    stats: FoldStats,
    pending_space: usize,
    breaker_pending: usize,
    prev_letter: bool,
    /// Mixed-script tracking for the current word.
    word_latin: bool,
    word_confusable: usize,
    model_same: bool,
}

impl FoldState {
    #[inline(always)]
    fn end_script_word(&mut self) {
        if self.word_latin && self.word_confusable != NONE {
            if self.stats.mixed_script_words == 0 {
                self.stats.first_mixed = self.word_confusable;
            }
            self.stats.mixed_script_words += 1;
        }
        self.word_latin = false;
        self.word_confusable = NONE;
    }

    /// Before a visible character: the pending space (not at the start), then whether an
    /// invisible word breaker sat right before a letter.
    #[inline(always)]
    fn before_visible<O: Origins>(&mut self, bytes: &mut Vec<u8>, origin: &mut O, letter: bool) {
        if self.pending_space != NONE {
            if !bytes.is_empty() {
                bytes.push(b' ');
                origin.push_n(offset32(self.pending_space), 1);
            }
            self.pending_space = NONE;
        }
        if self.breaker_pending != NONE {
            if letter {
                if self.stats.invisible_in_word == 0 {
                    self.stats.first_invisible = self.breaker_pending;
                }
                self.stats.invisible_in_word += 1;
            }
            self.breaker_pending = NONE;
        }
        if !letter {
            self.end_script_word();
        }
        self.prev_letter = letter;
    }

    /// Folds the plain ASCII at `src[start..]` (graphic characters and single spaces between
    /// them) exactly as the general path would, and returns how many bytes it took (0 when the
    /// general path must take the next character). Lower-casing is the only change such bytes
    /// undergo, so the run is measured eight bytes at a time (`plain_len`) and copied in one
    /// go. Only taken in the plain state (something already written, no word breaker or
    /// look-alike pending); the state the general path reads afterwards is derived once, at
    /// the end of the run, from the bytes written.
    #[inline(always)]
    fn ascii_run<O: Origins>(
        &mut self,
        src: &[u8],
        start: usize,
        bytes: &mut Vec<u8>,
        origin: &mut O,
    ) -> usize {
        if bytes.is_empty() || self.breaker_pending != NONE || self.word_confusable != NONE {
            return 0;
        }
        if self.pending_space != NONE && !src.get(start).is_some_and(u8::is_ascii_graphic) {
            return 0;
        }
        let n = plain_len(src, start);
        let Some(run) = src.get(start..start + n).filter(|r| !r.is_empty()) else {
            return 0;
        };
        let written = bytes.len();
        if self.pending_space != NONE {
            // A whitespace run before the run becomes one space, with its first offset.
            bytes.push(b' ');
            origin.push_n(offset32(self.pending_space), 1);
            self.pending_space = NONE;
        }
        bytes.extend(run.iter().map(u8::to_ascii_lowercase));
        origin.push_range(start, start + n);
        self.after_ascii_run(bytes.get(written..).unwrap_or_default());
        n
    }

    /// The state after a run of plain ASCII that wrote `run`: whether the last character was
    /// a letter or digit, and whether the word it ends in has a Latin letter (read backwards:
    /// over digits, to a letter or to the punctuation or space that ended the previous word).
    #[inline(always)]
    fn after_ascii_run(&mut self, run: &[u8]) {
        self.prev_letter = run.last().is_some_and(u8::is_ascii_alphanumeric);
        for &b in run.iter().rev() {
            if b.is_ascii_alphabetic() {
                self.word_latin = true;
                return;
            }
            if !b.is_ascii_digit() {
                self.word_latin = false;
                return;
            }
        }
    }
}

/// Length of the plain ASCII at `src[start..]`: graphic bytes, and single spaces each followed
/// by one (the caller ensures what comes before `start`). Eight bytes per step; stops short of
/// the last eight bytes of the text, which the general path takes.
#[inline(always)]
fn plain_len(src: &[u8], start: usize) -> usize {
    let mut i = start;
    while let Some(x) = swar::load(src, i) {
        let graphic = swar::range(x, b'!', b'~');
        let space = swar::eq(x, b' ');
        let odd = !(graphic | (space & (graphic >> 8))) & swar::HI;
        if odd == 0 {
            i += 8;
            continue;
        }
        let n = swar::first(odd);
        if n == 7 && space >> 63 != 0 {
            // A space last in the block: the next block starts with it and sees what follows.
            i += 7;
            continue;
        }
        return i + n - start;
    }
    i - start
}

/// The `fold` view. Works on local vectors (moved out and back) so the byte stores cannot
/// alias their lengths and the ASCII path stays a tight loop.
pub(super) fn fold_into<O: Origins>(
    text: &str,
    out: &mut Vec<u8>,
    out_origin: &mut O,
) -> (FoldStats, bool) {
    let mut bytes = std::mem::take(out);
    let mut origin = std::mem::take(out_origin);
    bytes.clear();
    origin.clear();
    bytes.reserve(text.len());
    origin.reserve(text.len());
    let mut st = FoldState {
        stats: FoldStats::default(),
        pending_space: NONE,
        breaker_pending: NONE,
        prev_letter: false,
        word_latin: false,
        word_confusable: NONE,
        model_same: true,
    };
    // Set up at the first non-ASCII character: ASCII text never pays for it.
    let mut cache: Option<StepCache> = None;
    let src = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        if b < 0x80 {
            let n = st.ascii_run(src, i, &mut bytes, &mut origin);
            if n > 0 {
                i += n;
                continue;
            }
        }
        if class(b) & ALNUM != 0 {
            // Fast path: a run of ASCII letters and digits is copied in lower case.
            st.before_visible(&mut bytes, &mut origin, true);
            let start = i;
            let seen;
            (i, seen) = copy_run(src, i, ALNUM, &mut bytes);
            origin.push_range(start, i);
            st.word_latin |= seen & LETTER != 0;
            continue;
        }
        if b.is_ascii_graphic() {
            st.before_visible(&mut bytes, &mut origin, false);
            bytes.push(b);
            origin.push_n(offset32(i), 1);
            i += 1;
            continue;
        }
        let (c, len) = if b < 0x80 {
            st.stats.line_breaks += usize::from(b == b'\n');
            (char::from(b), 1)
        } else {
            match text.get(i..).and_then(|rest| rest.chars().next()) {
                Some(c) => (c, c.len_utf8()),
                None => break,
            }
        };
        let at = i;
        i += len;
        let Folding {
            tag,
            step,
            model_same,
        } = if b < 0x80 {
            Folding {
                tag: false,
                step: Step::Space,
                model_same: true,
            }
        } else {
            cache.get_or_insert_with(StepCache::new).step(c)
        };
        st.model_same &= model_same;
        if tag {
            if st.stats.tags == 0 {
                st.stats.first_tag = at;
            }
            st.stats.tags += 1;
        }
        match step {
            Step::Invisible { breaker } => {
                if st.prev_letter && breaker && st.breaker_pending == NONE {
                    st.breaker_pending = at;
                }
            }
            Step::Space => {
                if st.pending_space == NONE {
                    st.pending_space = at;
                }
                st.prev_letter = false;
                st.breaker_pending = NONE;
                st.end_script_word();
            }
            Step::Emit {
                letter,
                script,
                out,
                len,
            } => {
                st.before_visible(&mut bytes, &mut origin, letter);
                match script {
                    Script::Ascii { alphabetic } => st.word_latin |= alphabetic,
                    Script::Foreign => {
                        st.word_confusable = NONE;
                        st.word_latin = false;
                    }
                    Script::Confusable => {
                        if st.word_confusable == NONE {
                            st.word_confusable = at;
                        }
                    }
                    Script::Neutral => {}
                }
                let out = out.get(..len).unwrap_or_default();
                bytes.extend_from_slice(out);
                origin.push_n(offset32(at), out.len());
            }
        }
    }
    st.end_script_word();
    *out = bytes;
    *out_origin = origin;
    (st.stats, st.model_same)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache hit is what `step` returns, also where characters share a slot and evict each
    /// other: every non-ASCII character up to U+3100 and the tag block, in two orders.
    #[test]
    fn cached_steps_equal_steps() {
        let chars: Vec<char> = (0x80..0x3100u32)
            .chain(0xE0000..0xE0080)
            .filter_map(char::from_u32)
            .collect();
        let mut cache = StepCache::new();
        for c in chars.iter().chain(chars.iter().rev()).chain(chars.iter()) {
            assert_eq!(cache.step(*c), step(*c), "U+{:04X}", u32::from(*c));
        }
    }
}
