//! Credentials that start with a fixed, vendor-chosen prefix. The prefix is the anchor the
//! scanner's automaton finds; these functions check the rest of the token.

use super::checksum::{base62_equals, crc32};
use std::ops::Range;

/// Characters that continue a token: a match must not be a slice of a longer word.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn starts_word(text: &str, start: usize) -> bool {
    start == 0
        || !text
            .as_bytes()
            .get(start - 1)
            .copied()
            .is_some_and(is_word_byte)
}

fn ends_word(text: &str, end: usize) -> bool {
    !text.as_bytes().get(end).copied().is_some_and(is_word_byte)
}

/// Length of the run of bytes from `from` that satisfy `pred`.
fn run_len(text: &str, from: usize, pred: impl Fn(u8) -> bool) -> usize {
    text.as_bytes()
        .get(from..)
        .map_or(0, |b| b.iter().take_while(|&&c| pred(c)).count())
}

/// A value made of one repeated character (`XXXX…`) is a placeholder, not a key.
fn is_filler(body: &[u8]) -> bool {
    body.windows(2).all(|w| w.first() == w.get(1)) || body.iter().all(|&b| b == b'X' || b == b'x')
}

/// AWS access key ids: `AKIA|ASIA|ABIA|ACCA` + 16 of `[A-Z2-7]`. The documentation example
/// (`…EXAMPLE`) and filler are not keys.
pub fn aws_access_key_id(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let is_b32 = |b: u8| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b);
    if !starts_word(text, start) || run_len(text, anchor_end, is_b32) < 16 {
        return None;
    }
    let end = anchor_end + 16;
    let body = text.as_bytes().get(anchor_end..end)?;
    if !ends_word(text, end) || body.ends_with(b"EXAMPLE") || is_filler(body) {
        return None;
    }
    Some(start..end)
}

/// GitHub tokens. Classic ones (`ghp_` …) carry a CRC-32 of their first 30 characters in the
/// last 6, which rules out look-alikes; fine-grained `github_pat_` tokens have a fixed shape.
pub fn github_token(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) {
        return None;
    }
    let bytes = text.as_bytes();
    if text.get(start..anchor_end) == Some("github_pat_") {
        let end = anchor_end + 82;
        let body = bytes.get(anchor_end..end)?;
        let shape_ok = body.iter().all(|&b| is_word_byte(b)) && body.get(22) == Some(&b'_');
        return (shape_ok && ends_word(text, end) && !is_filler(body)).then_some(start..end);
    }
    if run_len(text, anchor_end, |b| b.is_ascii_alphanumeric()) != 36 {
        return None;
    }
    let end = anchor_end + 36;
    let body = bytes.get(anchor_end..end)?;
    let (data, check) = (body.get(..30)?, body.get(30..)?);
    (ends_word(text, end) && base62_equals(crc32(data), 6, check)).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(
        f: fn(&str, usize, usize) -> Option<Range<usize>>,
        text: &str,
        prefix: &str,
    ) -> Option<String> {
        let start = text.find(prefix)?;
        f(text, start, start + prefix.len()).map(|r| text[r].to_string())
    }

    #[test]
    fn aws_key_ids() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "valid",
                "key=AKIAZ7Q3H2LMNP4RSTUV;",
                Some("AKIAZ7Q3H2LMNP4RSTUV"),
            ),
            ("docs example", "AKIAIOSFODNN7EXAMPLE", None),
            ("filler", "AKIAXXXXXXXXXXXXXXXX", None),
            ("too short", "AKIAZ7Q3H2LMNP4RST", None),
            ("too long", "AKIAZ7Q3H2LMNP4RSTUVW", None),
            ("inside word", "xAKIAZ7Q3H2LMNP4RSTUV", None),
            ("digit 8 invalid", "AKIAZ7Q3H2LMNP4RST8V", None),
        ];
        for (name, text, want) in cases {
            let got = first(aws_access_key_id, text, "AKIA");
            assert_eq!(got.as_deref(), *want, "case {name}: {text:?}");
        }
    }

    /// Builds a classic token with a correct checksum, as GitHub does.
    fn classic(prefix: &str, data30: &str) -> String {
        const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut n = crc32(data30.as_bytes());
        let mut check = [b'0'; 6];
        for slot in check.iter_mut().rev() {
            *slot = B62[(n % 62) as usize];
            n /= 62;
        }
        format!("{prefix}{data30}{}", std::str::from_utf8(&check).unwrap())
    }

    #[test]
    fn github_tokens() {
        let good = classic("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
        let mut bad = good.clone();
        bad.replace_range(10..11, if &good[10..11] == "Z" { "Y" } else { "Z" });
        let pat = format!(
            "github_pat_11{}_{}",
            "A".repeat(19) + "B",
            "x1".repeat(29) + "y"
        );
        let cases: Vec<(&str, String, Option<String>)> = vec![
            ("classic", format!("token: {good}\n"), Some(good.clone())),
            ("bad checksum", format!("token: {bad}\n"), None),
            (
                "placeholder",
                "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".into(),
                None,
            ),
            ("fine-grained", format!("GH={pat}"), Some(pat.clone())),
            ("fine-grained placeholder", "github_pat_...".into(), None),
        ];
        for (name, text, want) in cases {
            let prefix = if text.contains("github_pat_") {
                "github_pat_"
            } else {
                "ghp_"
            };
            assert_eq!(first(github_token, &text, prefix), want, "case {name}");
        }
    }
}
