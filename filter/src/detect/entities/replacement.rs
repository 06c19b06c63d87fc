//! Our own replacements, recognised where a redacted text is scanned again.
//!
//! A redacted text is scanned again whenever a response repeats the prompt, a second filter sits
//! in the chain, or the engine rescans what it rewrote. Redaction must then be idempotent: the
//! type name inside `[REDACTED:PASSWORD]` must not label what follows it, the colon inside
//! `[EMAIL:3f9a…]` must not read as a password's, and `PHONE` must not read as a phone label.
//! Every detector that reads words or punctuation near a value asks this one module, so they
//! all agree on what counts as ours.
//!
//! Ours is exactly what `redact::write_replacement` writes: a label `[REDACTED:<NAME>]` or a
//! keyed hash `[<NAME>:<hex>]`, where `<NAME>` has the shape config allows for type names
//! (upper snake case: `A–Z` first, then `A–Z 0–9 _`, at most 48 bytes), so custom detectors'
//! replacements count too. Nothing looser: `Pa[SS:w0rd` and `[phone:1]` are text.

use crate::redact::{LABEL_PREFIX, MAX_HASH_LENGTH};
use std::ops::Range;

/// The longest type name config accepts (`config::entities`).
const MAX_NAME: usize = 48;

/// How far before a position the `[` of a replacement holding it can be: a keyed hash
/// `[<NAME>:<hex>` at its longest (a label `[REDACTED:<NAME>` is shorter, checked below).
const MAX_REACH: usize = 1 + MAX_NAME + 1 + MAX_HASH_LENGTH;
const _: () = assert!(LABEL_PREFIX.len() + MAX_NAME <= MAX_REACH);

/// The length of a type name at the start of `bytes` (0 when there is none).
fn name_len(bytes: &[u8]) -> usize {
    if !bytes.first().is_some_and(u8::is_ascii_uppercase) {
        return 0;
    }
    let n = bytes
        .iter()
        .take(MAX_NAME + 1)
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
        .count();
    if n > MAX_NAME {
        0
    } else {
        n
    }
}

/// The replacement `bytes` opens with (`bytes[0] == b'['`), if it does: its length and its
/// type name.
fn parse(bytes: &[u8]) -> Option<(usize, &[u8])> {
    if let Some(rest) = bytes.strip_prefix(LABEL_PREFIX.as_bytes()) {
        let n = name_len(rest);
        if n > 0 && rest.get(n) == Some(&b']') {
            return Some((LABEL_PREFIX.len() + n + 1, rest.get(..n)?));
        }
    }
    let rest = bytes.strip_prefix(b"[")?;
    let n = name_len(rest);
    if n == 0 || rest.get(n) != Some(&b':') {
        return None;
    }
    let hex = rest
        .get(n + 1..)?
        .iter()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    (hex > 0 && rest.get(n + 1 + hex) == Some(&b']'))
        .then_some((1 + n + 1 + hex + 1, rest.get(..n)?))
}

/// The length of the replacement that `bytes` opens with (`bytes[0] == b'['`), if it does.
pub fn replacement_len(bytes: &[u8]) -> Option<usize> {
    parse(bytes).map(|(len, _)| len)
}

/// The span of the replacement of ours that holds byte `at` of `text`, if one does.
pub fn holding(text: &[u8], at: usize) -> Option<Range<usize>> {
    let from = at.saturating_sub(MAX_REACH);
    let head = text.get(from..=at.min(text.len().saturating_sub(1)))?;
    // The nearest `[` at or before `at`, not behind a `]` (which would close something else).
    let open = from + head.iter().rposition(|&b| b == b'[' || b == b']')?;
    if text.get(open) != Some(&b'[') {
        return None;
    }
    let len = text.get(open..).and_then(replacement_len)?;
    Some(open..open + len)
}

/// Whether `start..end` of `text` lies inside one of our replacements.
pub fn within_replacement(text: &[u8], start: usize, end: usize) -> bool {
    holding(text, start).is_some_and(|span| end <= span.end)
}

/// The type names of our replacements in `bytes`, in order.
fn names(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'[')
        .filter_map(|(i, _)| bytes.get(i..).and_then(parse).map(|(_, name)| name))
}

/// Whether `bytes` holds one of our replacements anywhere.
pub fn holds_replacement(bytes: &[u8]) -> bool {
    names(bytes).next().is_some()
}

/// Whether `bytes` holds one of our replacements of the type named `name` (`URL_CREDENTIALS`).
pub fn holds_replacement_of(bytes: &[u8], name: &str) -> bool {
    names(bytes).any(|n| n == name.as_bytes())
}

/// `text` without our replacements: their type names are not words of the text.
pub fn without_replacements(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('[') {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(open) = bytes
        .get(i..)
        .and_then(|b| b.iter().position(|&c| c == b'['))
    {
        let open = i + open;
        match bytes.get(open..).and_then(replacement_len) {
            Some(len) => {
                // A replacement is ASCII, so both ends are char boundaries.
                out.push_str(text.get(copied..open).unwrap_or_default());
                copied = open + len;
                i = copied;
            }
            None => i = open + 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_ours() {
        let cases: &[(&str, Option<usize>)] = &[
            ("[REDACTED:PHONE]", Some(16)),
            ("[REDACTED:EMP_ID2] tail", Some(18)),
            ("[EMAIL:3f9a0c21b7d4]", Some(20)),
            ("[X:0]", Some(5)),
            ("[REDACTED:phone]", None),
            ("[phone:1]", None),
            ("[EMAIL:]", None),
            ("[EMAIL:3f9g]", None),
            ("[EMAIL:3f9a", None),
            ("[AB: c]", None),
            ("[1ABC:00]", None),
            ("[REDACTED:]", None),
            ("Pa[SS:w0rd", None),
        ];
        for (text, want) in cases {
            assert_eq!(replacement_len(text.as_bytes()), *want, "{text}");
        }
        let long = format!("[REDACTED:{}]", "Z".repeat(MAX_NAME));
        assert_eq!(replacement_len(long.as_bytes()), Some(long.len()));
        let too_long = format!("[REDACTED:{}]", "Z".repeat(MAX_NAME + 1));
        assert_eq!(replacement_len(too_long.as_bytes()), None);
    }

    #[test]
    fn spans_inside_a_replacement() {
        let text = b"pw [REDACTED:DB_PASSWORD] and [PASSWORD:00ff] or [PASSWORD x] y";
        let at = |needle: &str, nth: usize| {
            let s = std::str::from_utf8(text).unwrap_or_default();
            s.match_indices(needle).nth(nth).map_or(0, |(i, _)| i)
        };
        let key = at("PASSWORD", 0);
        assert!(within_replacement(text, key, key + 8));
        let key = at("PASSWORD", 1);
        assert!(within_replacement(text, key, key + 8));
        let key = at("PASSWORD", 2);
        assert!(!within_replacement(text, key, key + 8), "unclosed: text");
        assert!(!within_replacement(text, 0, 2), "before any bracket");
        assert!(!within_replacement(b"", 0, 0));
        // A `]` between the `[` and the span: the span is not inside it.
        assert!(!within_replacement(b"[EMAIL:00] PASSWORD", 11, 19));
        // The longest keyed hash config allows, held at its last hex digit.
        let long = format!("[{}:{}]", "N".repeat(MAX_NAME), "a".repeat(MAX_HASH_LENGTH));
        let last = long.len() - 2;
        assert_eq!(holding(long.as_bytes(), last), Some(0..long.len()));
        assert_eq!(holding(long.as_bytes(), long.len()), None);
    }

    #[test]
    fn replacements_are_not_words() {
        let cases: &[(&str, &str)] = &[
            ("call me", "call me"),
            ("x [REDACTED:PHONE] y", "x  y"),
            ("[PHONE:3f9a0c] call", " call"),
            ("[REDACTED:EMAIL][REDACTED:PHONE]z", "z"),
            ("[phone:1] x", "[phone:1] x"),
            ("[AB: c] x", "[AB: c] x"),
            ("[REDACTED:PHONE x", "[REDACTED:PHONE x"),
            ("see [1] and [a]", "see [1] and [a]"),
            ("[[REDACTED:PHONE]]", "[]"),
            ("né [REDACTED:PHONE] ü", "né  ü"),
        ];
        for (text, want) in cases {
            assert_eq!(without_replacements(text), *want, "{text}");
        }
        assert!(holds_replacement(b"user[EMAIL:0a]x"));
        assert!(holds_replacement_of(
            b"a[REDACTED:URL_CREDENTIALS]b",
            "URL_CREDENTIALS"
        ));
        assert!(holds_replacement_of(
            b"a[URL_CREDENTIALS:0a]b",
            "URL_CREDENTIALS"
        ));
        assert!(!holds_replacement_of(
            b"a[REDACTED:URL_CREDENTIALSX]b",
            "URL_CREDENTIALS"
        ));
        assert!(!holds_replacement_of(
            b"a[REDACTED:EMAIL]b URL_CREDENTIALS",
            "URL_CREDENTIALS"
        ));
        assert!(!holds_replacement(b"Pa[SS:w0rd"));
    }
}
