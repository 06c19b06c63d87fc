//! Byte-level helpers shared by the detectors. Every helper takes offsets that may be out of
//! range and answers conservatively instead of panicking.

/// Characters that continue a token: a match must not be a slice of a longer word.
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub fn byte_at(text: &str, i: usize) -> Option<u8> {
    text.as_bytes().get(i).copied()
}

/// The byte before `i`, if any.
pub fn byte_before(text: &str, i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|j| byte_at(text, j))
}

pub fn starts_word(text: &str, start: usize) -> bool {
    !byte_before(text, start).is_some_and(is_word_byte)
}

pub fn ends_word(text: &str, end: usize) -> bool {
    !byte_at(text, end).is_some_and(is_word_byte)
}

/// No token any detector reads is longer; runs are measured at most this far, so a validator
/// called at every anchor of an adversarial input still does bounded work per anchor.
pub const MAX_RUN: usize = 16 * 1024;

/// Length of the run of bytes from `from` that satisfy `pred` (at most `MAX_RUN`).
pub fn run_len(text: &str, from: usize, pred: impl Fn(u8) -> bool) -> usize {
    run_len_max(text, from, MAX_RUN, pred)
}

/// Length of the run of bytes from `from` that satisfy `pred`, at most `max`.
pub fn run_len_max(text: &str, from: usize, max: usize, pred: impl Fn(u8) -> bool) -> usize {
    text.as_bytes()
        .get(from..)
        .map_or(0, |b| b.iter().take(max).take_while(|&&c| pred(c)).count())
}

/// Length of the run of ASCII digits from `from` (at most `MAX_RUN`), eight bytes per step as
/// one `u64`: the pass measures every digit run it meets, and logs are full of them.
pub fn digit_run_len(text: &str, from: usize) -> usize {
    leading_digits(text.as_bytes().get(from..).unwrap_or(&[]))
}

/// Length of the run of ASCII digits at the start of `bytes` (at most `MAX_RUN`).
fn leading_digits(bytes: &[u8]) -> usize {
    let limit = bytes.len().min(MAX_RUN);
    let mut n = 0;
    while let Some(chunk) = bytes.get(n..limit).and_then(|rest| rest.first_chunk::<8>()) {
        // A digit lane is 0x30..=0x39, so 0..=9 once XOR-ed with 0x30; adding 0x76 to the
        // low seven bits reaches the high bit exactly from 10 on, with no carry across lanes.
        let v = u64::from_le_bytes(*chunk) ^ lanes(0x30);
        let other = ((v & LOW7).wrapping_add(lanes(0x76)) | v) & HIGH;
        if other != 0 {
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    let rest = bytes.get(n..limit).unwrap_or(&[]);
    n + rest.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Length of the run of bytes that end at `to` (exclusive) and satisfy `pred`, looking back at
/// most `limit` bytes.
pub fn run_len_back(text: &str, to: usize, limit: usize, pred: impl Fn(u8) -> bool) -> usize {
    text.as_bytes().get(..to).map_or(0, |b| {
        b.iter().rev().take(limit).take_while(|&&c| pred(c)).count()
    })
}

/// A value made of one repeated character (`XXXX…`), or of `x`/`X`/`*`/`.` filler, is a
/// placeholder, not a key.
pub fn is_filler(body: &[u8]) -> bool {
    body.windows(2).all(|w| w.first() == w.get(1))
        || body
            .iter()
            .all(|&b| matches!(b, b'X' | b'x' | b'*' | b'.' | b'0' | b'-' | b'_'))
}

/// Whether a run of `[A-Za-z]` in the value spells filler such as `XXXXXXXX` or `xxxx`.
pub fn has_filler_run(body: &[u8], min: usize) -> bool {
    let mut run = 0;
    for &b in body {
        if b == b'X' || b == b'x' || b == b'*' {
            run += 1;
            if run >= min {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// The largest char boundary `<= i` (for look-back windows that start mid-character).
pub fn floor_boundary(text: &str, mut i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary `>= i` (for look-ahead windows that end mid-character).
pub fn ceil_boundary(text: &str, mut i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The text of the current line before `at`, at most `limit` bytes (on a char boundary).
pub fn line_before(text: &str, at: usize, limit: usize) -> &str {
    let from = floor_boundary(text, at.saturating_sub(limit));
    let at = floor_boundary(text, at);
    let window = text.get(from..at).unwrap_or("");
    match window.rfind('\n') {
        Some(nl) => window.get(nl + 1..).unwrap_or(""),
        None => window,
    }
}

/// `line_before(text, at, limit)`, moved back to the `[` of a replacement of ours its start
/// cuts through (`…ACTED:PHONE] 030…` → `[REDACTED:PHONE] 030…`), so that
/// `replacement::without_replacements` sees it whole: a cut tail would read as words (`phone`).
/// Any other bracket is text and leaves the window as it is.
pub fn label_window(text: &str, at: usize, limit: usize) -> &str {
    let at = floor_boundary(text, at);
    let window = line_before(text, at, limit);
    let from = at - window.len();
    match super::replacement::holding(text.as_bytes(), from) {
        Some(span) if span.start < from => text.get(span.start..at).unwrap_or(window),
        _ => window,
    }
}

/// The run of non-space characters that ends at `at`, at most `limit` bytes back; a replacement
/// of ours the window cuts through is taken whole (`label_window`).
pub fn token_before(text: &str, at: usize, limit: usize) -> &str {
    let window = label_window(text, at, limit);
    window.rsplit(char::is_whitespace).next().unwrap_or("")
}

/// The text of the current line from `at`, at most `limit` bytes (on a char boundary).
pub fn line_after(text: &str, at: usize, limit: usize) -> &str {
    let to = floor_boundary(text, at.saturating_add(limit));
    let at = floor_boundary(text, at);
    let window = text.get(at..to).unwrap_or("");
    match window.find('\n') {
        Some(nl) => window.get(..nl).unwrap_or(""),
        None => window,
    }
}

/// The high bit of every byte lane of a `u64`.
const HIGH: u64 = 0x8080_8080_8080_8080;
/// The low seven bits of every byte lane of a `u64`.
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// `b` in every byte lane of a `u64`.
const fn lanes(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// Length of the run of ASCII letters and spaces at the start of `bytes`, at most `max`. Eight
/// bytes per step as one `u64`: prose is long runs of exactly these bytes.
pub fn letters_and_spaces(bytes: &[u8], max: usize) -> usize {
    let limit = bytes.len().min(max);
    let mut n = 0;
    while let Some(chunk) = bytes.get(n..limit).and_then(|rest| rest.first_chunk::<8>()) {
        let x = u64::from_le_bytes(*chunk);
        // Lane by lane, with no carry or borrow crossing lanes (every operand lane is < 0x80):
        // a letter is 0x61..=0x7A once its 0x20 bit is set; a space is a lane equal to 0x20.
        let folded = (x | lanes(0x20)) & LOW7;
        let letter =
            folded.wrapping_add(lanes(0x80 - 0x61)) & lanes(0x80 + 0x7A).wrapping_sub(folded);
        let t = x ^ lanes(0x20);
        let space = !(((t & LOW7).wrapping_add(LOW7)) | t);
        let member = ((letter & !x) | space) & HIGH;
        let other = !member & HIGH;
        if other != 0 {
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    let rest = bytes.get(n..limit).unwrap_or(&[]);
    n + rest
        .iter()
        .take_while(|b| b.is_ascii_alphabetic() || **b == b' ')
        .count()
}

/// ASCII case-insensitive substring search (haystacks here are short context windows).
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Whether `haystack` ends with `needle` in any ASCII case, compared from the last byte: the
/// callers test several words against the end of a text, and the last letters differ soonest.
pub fn ends_with_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len()
        && haystack
            .iter()
            .rev()
            .zip(needle.iter().rev())
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

pub fn starts_with_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .get(..needle.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(needle))
}

/// Whether `haystack` contains any of `needles` (ASCII case-insensitive; needles lower-case
/// ASCII), in one pass: a needle is compared only where its first letter occurs.
pub fn contains_any_ci(haystack: &str, needles: &[&str]) -> bool {
    let firsts = needles
        .iter()
        .fold(0u32, |m, n| match n.as_bytes().first() {
            Some(&b @ b'a'..=b'z') => m | 1 << (b - b'a'),
            _ => m,
        });
    let h = haystack.as_bytes();
    h.iter().enumerate().any(|(i, &b)| {
        let lb = b.to_ascii_lowercase();
        lb.is_ascii_lowercase()
            && firsts & (1 << (lb - b'a')) != 0
            && needles.iter().any(|n| {
                n.as_bytes().first() == Some(&lb)
                    && h.get(i..i + n.len())
                        .is_some_and(|w| w.eq_ignore_ascii_case(n.as_bytes()))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_windows_take_a_cut_replacement_whole() {
        let text = "+1 [REDACTED:PHONE] xxxx 030";
        let at = text.len() - 3;
        let cases: &[(&str, usize, &str)] = &[
            ("cut inside the type name", 16, "[REDACTED:PHONE] xxxx "),
            ("cut at the type name", 11, "[REDACTED:PHONE] xxxx "),
            ("cut before it", 30, "+1 [REDACTED:PHONE] xxxx "),
            ("cut after it", 6, " xxxx "),
        ];
        for (name, limit, want) in cases {
            assert_eq!(label_window(text, at, *limit), *want, "case {name}");
        }
        // A bracket that is not one of ours is text: the window stays where the limit put it.
        let text = "[see note b] xxxx 030";
        assert_eq!(label_window(text, text.len() - 3, 12), "ote b] xxxx ");
        let text = "[see notes xxxx 030";
        assert_eq!(label_window(text, text.len() - 3, 12), " notes xxxx ");
    }

    fn letters_and_spaces_bytewise(bytes: &[u8], max: usize) -> usize {
        bytes
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_alphabetic() || **b == b' ')
            .count()
    }

    #[test]
    fn letters_and_spaces_cases() {
        let cases: &[(&str, &str, usize, usize)] = &[
            ("empty", "", 40, 0),
            ("words to a colon", "for the shared mailbox: x", 40, 22),
            ("capitals count", "The WiFi Pass: x", 40, 13),
            ("digit stops", "for 2 boxes: x", 40, 4),
            ("cut at max", "abcdefghijklmnopqrstuvwxyz", 10, 10),
            ("shorter than a word", "abc", 40, 3),
            ("at sign and backtick are not letters", "abcdefg@h", 40, 7),
            ("brackets are not letters", "abcdefghij[k", 40, 10),
            ("tab is not a space", "abcdefghijk\tl", 40, 11),
            ("non-ASCII stops", "abcdefghé", 40, 8),
        ];
        for (name, text, max, want) in cases {
            assert_eq!(letters_and_spaces(text.as_bytes(), *max), *want, "{name}");
        }
    }

    /// Calls `check` with `filler` changed to hold `b` at `at`, for every byte value `b` and
    /// every offset `at`: each value in every lane of a word loop and in its byte-loop tail.
    fn every_byte_everywhere(filler: &[u8], mut check: impl FnMut(&[u8], u8, usize)) {
        for b in 0..=255u8 {
            for at in 0..filler.len() {
                let mut text = filler.to_vec();
                if let Some(slot) = text.get_mut(at) {
                    *slot = b;
                }
                check(&text, b, at);
            }
        }
    }

    #[test]
    fn letters_and_spaces_agrees_with_the_byte_loop() {
        every_byte_everywhere(b"Ab cdEFg hIjk LmnOp qrS", |text, b, at| {
            for max in [0, 3, 8, 9, 16, 17, 40] {
                assert_eq!(
                    letters_and_spaces(text, max),
                    letters_and_spaces_bytewise(text, max),
                    "byte {b:#04x} at {at}, max {max}"
                );
            }
        });
    }

    #[test]
    fn digit_run_len_agrees_with_the_byte_loop() {
        every_byte_everywhere(b"01234567890123456789012", |text, b, at| {
            for from in [0, 1, 7, 8, 15, 22, 23, 30] {
                let rest = text.get(from..).unwrap_or(&[]);
                let want = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                assert_eq!(
                    leading_digits(rest),
                    want,
                    "byte {b:#04x} at {at}, from {from}"
                );
            }
        });
        assert_eq!(digit_run_len("ab 2024 x", 3), 4, "from an offset");
        assert_eq!(digit_run_len("2024", 9), 0, "from past the end");
        let long = "7".repeat(MAX_RUN + 100);
        assert_eq!(digit_run_len(&long, 0), MAX_RUN, "runs are capped");
        assert_eq!(
            digit_run_len(&long, 50),
            MAX_RUN,
            "runs are capped from any start"
        );
    }

    #[test]
    fn ends_with_ci_cases() {
        let cases: &[(&str, &str, &str, bool)] = &[
            ("same case", "a temp ", "temp ", true),
            ("other case", "A TEMP ", "temp ", true),
            ("whole haystack", "temp ", "temp ", true),
            ("longer needle", "emp ", "temp ", false),
            ("last byte differs", "a temp", "temp ", false),
            ("first byte differs", "a xemp ", "temp ", false),
            ("empty needle", "abc", "", true),
        ];
        for (name, haystack, needle, want) in cases {
            assert_eq!(
                ends_with_ci(haystack.as_bytes(), needle.as_bytes()),
                *want,
                "{name}"
            );
        }
    }
}
