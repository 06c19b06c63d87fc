//! The `words` pass: a `fold` view to the `words` view (see `super`), noting on the way what
//! later stages would otherwise search the views for: where override verbs start, whether
//! letters come spaced out, and where the structural rules can match (`Marks`).
//!
//! Speed: folded prose is mostly lower-case letters and single spaces, which the `words` view
//! keeps as they are; `letters_run` copies eight such bytes at once and only looks at the
//! words that end in them. Digits, symbols and non-ASCII bytes go one byte at a time.

use super::super::phrases::{is_override_verb, OVERRIDE_VERBS};
use super::super::structure;
use super::fold;
use super::swar;
use super::{class, Marks, Origins, View, ALNUM, LEET, LETTER, NONE, SIGN, WORD};

/// The word being copied and what the finished words added up to.
struct WordState {
    /// Where the current word starts in the output (`NONE` between words) and in the source.
    at: usize,
    src_at: usize,
    /// Union of the byte classes of the current word.
    seen: u8,
    /// Output offset of the last one-letter word and how many came in a row up to it. Words
    /// are one space apart in the output, so a one-letter word two bytes after the last one
    /// continues the run: other words need not reset the count.
    last_one_letter: usize,
    one_letter_run: usize,
    spaced: bool,
}

/// Builds the `words` view of a `fold` view: ASCII letters and digits (leet folded inside
/// words with a letter) with single spaces between words. Non-ASCII text becomes a space: the
/// phrases are English, other scripts are the model's business. Fills `marks` and returns
/// whether four one-letter words came in a row. Offsets are read from `folded.origin` when `O`
/// tracks them; a space takes the offset of the word after it.
pub(super) fn words_into<O: Origins>(
    folded: &View,
    out: &mut Vec<u8>,
    out_origin: &mut O,
    marks: &mut Marks,
) -> bool {
    let mut bytes = std::mem::take(out);
    let mut origin = std::mem::take(out_origin);
    bytes.clear();
    origin.clear();
    marks.clear();
    bytes.reserve(folded.bytes.len());
    origin.reserve(folded.bytes.len());
    let src = folded.bytes.as_slice();
    let src_origin = folded.origin.as_slice();
    let mut w = WordState {
        at: NONE,
        src_at: 0,
        seen: 0,
        last_one_letter: NONE,
        one_letter_run: 0,
        spaced: false,
    };
    let mut i = 0;
    while let Some(&b) = src.get(i) {
        if b == b' ' || b.is_ascii_lowercase() {
            let n = letters_run((src, src_origin, i), &mut bytes, &mut origin, &mut w, marks);
            if n > 0 {
                i += n;
                continue;
            }
        }
        let k = class(b);
        if k & WORD != 0 {
            if w.at == NONE {
                start_word((src, src_origin, i), &mut bytes, &mut origin, &mut w);
            }
            // The whole word, or what of it the run above does not take (digits, symbols):
            // first eight lower-case letters and digits at a time, then byte by byte.
            let start = i;
            i = alnum_blocks(src, i, &mut w);
            bytes.extend_from_slice(src.get(start..i).unwrap_or_default());
            while let Some(&b) = src.get(i) {
                let k = class(b);
                if k & WORD == 0 {
                    break;
                }
                w.seen |= k;
                bytes.push(b.to_ascii_lowercase());
                i += 1;
            }
            origin.extend_from(src_origin.get(start..i).unwrap_or_default());
            continue;
        }
        if w.at != NONE {
            finish_word((src, src_origin, i), &mut bytes, &mut origin, &mut w, marks);
        }
        match structure::hint_at(src, i) {
            structure::Hint::Marker => marks.marker_hints.push(i),
            structure::Hint::ImageLink => marks.image_links.push(i),
            structure::Hint::None => {}
        }
        i += 1;
    }
    if w.at != NONE {
        let end = (src, src_origin, src.len());
        finish_word(end, &mut bytes, &mut origin, &mut w, marks);
    }
    *out = bytes;
    *out_origin = origin;
    w.spaced
}

/// Where the blocks of eight lower-case letters and digits at `src[i..]` end (the caller
/// copies them as they are), with their classes added to the word's. Every digit counts as
/// leetspeak here although 2, 6 and 9 are not: the class only decides whether the word is
/// folded when it ends, and folding leaves a digit with no letter for it as it is.
#[inline(always)]
fn alnum_blocks(src: &[u8], mut i: usize, w: &mut WordState) -> usize {
    while let Some(x) = swar::load(src, i) {
        let alpha = swar::range(x, b'a', b'z');
        let digit = swar::range(x, b'0', b'9');
        if alpha | digit != swar::HI {
            break;
        }
        if alpha != 0 {
            w.seen |= WORD | LETTER | ALNUM;
        }
        if digit != 0 {
            w.seen |= WORD | ALNUM | LEET;
        }
        i += 8;
    }
    i
}

/// The source view, its offsets, and a position in it.
type At<'a> = (&'a [u8], &'a [u32], usize);

/// Starts a word at the source position: a space before it unless it is the first.
#[inline(always)]
fn start_word<O: Origins>(at: At, bytes: &mut Vec<u8>, origin: &mut O, w: &mut WordState) {
    let (_, src_origin, i) = at;
    if !bytes.is_empty() {
        bytes.push(b' ');
        origin.extend_from(src_origin.get(i..=i).unwrap_or_default());
    }
    w.at = bytes.len();
    w.src_at = i;
    w.seen = 0;
}

/// Ends the current word at source position `end`: folds leetspeak ("$5" or "@home" are not
/// leetspeak; only a word with a letter is folded) and notes the word.
#[inline(always)]
fn finish_word<O: Origins>(
    at: At,
    bytes: &mut Vec<u8>,
    origin: &mut O,
    w: &mut WordState,
    marks: &mut Marks,
) {
    if w.seen & LEET != 0 {
        fold_leet(at, bytes, origin, w);
    }
    note_word(bytes.get(w.at..).unwrap_or_default(), w, marks);
    w.at = NONE;
}

/// Folds the leetspeak of the current word, which ends at source position `end` and was
/// copied byte for byte. In a word with a letter every digit or sign becomes a letter in its
/// place, so bytes are rewritten where they are and the offsets stay; in a word without one
/// only `@` and `$` change anything (they are dropped), so the word is written again only if
/// it has them. Out of line: most words have no digits or signs.
#[inline(never)]
fn fold_leet<O: Origins>(at: At, bytes: &mut Vec<u8>, origin: &mut O, w: &WordState) {
    let (src, src_origin, end) = at;
    let word = src.get(w.src_at..end).unwrap_or_default();
    if w.seen & LETTER != 0 {
        let out = bytes.get_mut(w.at..).unwrap_or_default();
        for (slot, &b) in out.iter_mut().zip(word) {
            *slot = fold::leet(b).unwrap_or(b);
        }
    } else if w.seen & SIGN != 0 {
        bytes.truncate(w.at);
        origin.truncate(w.at);
        let word_origin = src_origin.get(w.src_at..end).unwrap_or_default();
        for (k, &b) in word.iter().enumerate() {
            if b != b'@' && b != b'$' {
                bytes.push(b);
                origin.extend_from(word_origin.get(k..=k).unwrap_or_default());
            }
        }
    }
}

/// Notes a finished word: one-letter runs, override verbs, marker hints.
#[inline(always)]
fn note_word(word: &[u8], w: &mut WordState, marks: &mut Marks) {
    let first = word.first().copied().unwrap_or(0);
    if note_length(first, word.len(), w.at, w) {
        note_notable(word, w.at, w.src_at, marks);
    }
}

/// The part of `note_word` that needs only the word's first byte, length and output offset
/// `at`: counts one-letter words, and says whether the word can be an override verb or hold a
/// marker hint (most words start with a letter or have a length no verb or hint word has).
/// One table test per word: `NOTABLE` lets every one-letter word through to the counting.
#[inline(always)]
fn note_length(first: u8, len: usize, at: usize, w: &mut WordState) -> bool {
    let lengths = NOTABLE.get(usize::from(first)).copied().unwrap_or(0);
    if (lengths >> len.min(15)) & 1 == 0 {
        return false;
    }
    if len == 1 {
        one_letter_word(at, w);
        return false;
    }
    true
}

/// Counts a one-letter word at output offset `at` towards a spaced-out run. Out of line: prose
/// has few.
#[cold]
#[inline(never)]
fn one_letter_word(at: usize, w: &mut WordState) {
    w.one_letter_run = if w.last_one_letter.wrapping_add(2) == at {
        w.one_letter_run + 1
    } else {
        1
    };
    w.last_one_letter = at;
    w.spaced |= w.one_letter_run >= 4;
}

/// The rest of `note_word`, for the few words `note_length` lets through: the word starts at
/// `at` in the output and at `src_at` in the source.
#[inline(never)]
fn note_notable(word: &[u8], at: usize, src_at: usize, marks: &mut Marks) {
    if is_override_verb(word) {
        marks.verbs.push(at);
    }
    if structure::word_hint(word) {
        marks.marker_hints.push(src_at);
    }
}

/// For each first byte, the lengths (bit `n`: `n` bytes, bit 15: 15 or more) of the override
/// verbs and of the words that can hold a marker hint (`structure::HINT_WORD` and longer), and
/// length 1 for every byte (one-letter words are counted; none is a verb or a hint word, which
/// the build checks).
// Const evaluation: an out-of-range index would fail the build, it cannot panic at run time.
#[allow(clippy::indexing_slicing)]
const NOTABLE: [u16; 256] = {
    let mut t = [1u16 << 1; 256];
    let mut k = 0;
    while k < OVERRIDE_VERBS.len() {
        let verb = OVERRIDE_VERBS[k].as_bytes();
        assert!(verb.len() > 1, "a one-letter override verb");
        t[verb[0] as usize] |= 1 << verb.len();
        k += 1;
    }
    assert!(structure::HINT_WORD.len() > 1, "a one-letter hint word");
    let hint = structure::HINT_WORD.as_bytes();
    let mut len = hint.len();
    while len <= 15 {
        t[hint[0] as usize] |= 1 << len;
        len += 1;
    }
    t
};

/// Copies the lower-case letters and single spaces at the source position (a space only when
/// a letter follows it) exactly as the byte-by-byte path would, and returns how many bytes it
/// took (0 when that path must take the next byte). Such a run is the same in both views, so
/// it is measured eight bytes at a time, noting the words that end in it, and copied in one
/// go.
#[inline(always)]
fn letters_run<O: Origins>(
    at: At,
    bytes: &mut Vec<u8>,
    origin: &mut O,
    w: &mut WordState,
    marks: &mut Marks,
) -> usize {
    let (src, src_origin, start) = at;
    // The first block must hold a letter for the run to be non-empty (the caller saw a letter
    // or a space at `start`).
    let lead_space = src.get(start) == Some(&b' ');
    if src.len() < start + 8
        || lead_space && !src.get(start + 1).is_some_and(u8::is_ascii_lowercase)
    {
        return 0;
    }
    if lead_space {
        if w.at != NONE {
            finish_word(at, bytes, origin, w, marks);
        }
        if bytes.is_empty() {
            // A space before the first word is not written.
            return 0;
        }
    } else if w.at == NONE {
        start_word(at, bytes, origin, w);
    }
    // Words that end in the run were copied as they are (a leetspeak word stops the run at
    // its end), so their `words` bytes are their source bytes.
    let leet = w.at != NONE && w.seen & LEET != 0;
    let out = bytes.len();
    // Inside the run an output offset is the source offset plus `delta`. With no word open
    // (a leading space) the space is taken for the end of an empty word, which notes nothing.
    let delta = out.wrapping_sub(start);
    let mut at = w.at;
    let mut src_at = if at == NONE { start } else { w.src_at };
    let word_src_at = src_at;
    // Notes the words that end at the spaces in `spaces` (a mask of the block at `i`).
    let mut note_spaces = |i: usize, mut spaces: u64| {
        while spaces != 0 {
            let p = i + swar::first(spaces);
            spaces &= spaces - 1;
            // The word's bytes are its source bytes: only its first byte and length are read
            // unless it is notable.
            let first = src.get(src_at).copied().unwrap_or(0);
            if note_length(first, p - src_at, at, w) {
                let word = src.get(src_at..p).unwrap_or_default();
                note_notable(word, at, src_at, marks);
            }
            src_at = p + 1;
            at = src_at.wrapping_add(delta);
        }
    };
    let mut i = start;
    if leet {
        // The open word is folded when it ends, from its source bytes: the run takes its
        // letters up to the first byte that is not one, and no space.
        while let Some(x) = swar::load(src, i) {
            let other = !swar::range(x, b'a', b'z') & swar::HI;
            if other != 0 {
                i += swar::first(other);
                break;
            }
            i += 8;
        }
    } else {
        while let Some(x) = swar::load(src, i) {
            let alpha = swar::range(x, b'a', b'z');
            let space = swar::eq(x, b' ');
            let odd = !(alpha | (space & (alpha >> 8))) & swar::HI;
            if odd == 0 {
                // The whole block (the common case: no test of where the run ends).
                note_spaces(i, space);
                i += 8;
                continue;
            }
            let n = swar::first(odd);
            note_spaces(i, space & swar::prefix(n));
            i += n;
            // A space last in the block: the next block starts with it and sees what follows.
            if n != 7 || space >> 63 == 0 {
                break;
            }
        }
    }
    if src_at != word_src_at {
        w.seen = 0;
    }
    (w.at, w.src_at) = (at, src_at);
    w.seen |= WORD | LETTER;
    let run = src.get(start..i).unwrap_or_default();
    bytes.extend_from_slice(run);
    if O::TRACKED {
        origin.extend_from(src_origin.get(start..i).unwrap_or_default());
        // The space between two words takes the offset of the word after it.
        for (k, _) in run.iter().enumerate().filter(|&(_, &b)| b == b' ') {
            if let Some(&o) = src_origin.get(start + k + 1) {
                origin.set(out + k, o);
            }
        }
    }
    i - start
}
