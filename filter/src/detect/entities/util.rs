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

/// ASCII case-insensitive substring search (haystacks here are short context windows).
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

pub fn ends_with_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len()
        && haystack
            .get(haystack.len() - needle.len()..)
            .is_some_and(|t| t.eq_ignore_ascii_case(needle))
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
