//! JSON Web Tokens: three base64url segments whose header decodes to a JSON object with `alg`.

use super::util::{byte_at, is_word_byte, run_len, run_len_max, starts_word};
use std::ops::Range;

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Decodes base64url (no padding) into `out`; returns the decoded length.
fn decode(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut acc = 0u32;
    let mut bits = 0;
    let mut n = 0;
    for &b in input {
        acc = (acc << 6) | crate::detect::base64::sextet(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(n)? = u8::try_from((acc >> bits) & 0xFF).ok()?;
            n += 1;
        }
    }
    Some(n)
}

const MAX_HEADER: usize = 512;

/// A JWT starting at the `eyJ` at `start`.
pub fn jwt(text: &str, start: usize, _anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) && byte_at(text, start.wrapping_sub(1)) != Some(b'_') {
        return None;
    }
    let h_len = run_len_max(text, start, MAX_HEADER + 1, is_b64url);
    if !(10..=MAX_HEADER).contains(&h_len) || byte_at(text, start + h_len) != Some(b'.') {
        return None;
    }
    let header = text.as_bytes().get(start..start + h_len)?;
    let mut buf = [0u8; MAX_HEADER];
    let n = decode(header, &mut buf)?;
    let json = buf.get(..n)?;
    let trimmed: &[u8] = {
        let mut s = json;
        while let Some((&b, rest)) = s.split_first() {
            if b.is_ascii_whitespace() {
                s = rest;
            } else {
                break;
            }
        }
        s
    };
    if trimmed.first() != Some(&b'{') || !json.windows(5).any(|w| w == b"\"alg\"") {
        return None;
    }
    let p_start = start + h_len + 1;
    let p_len = run_len(text, p_start, is_b64url);
    if p_len < 4 || byte_at(text, p_start + p_len) != Some(b'.') {
        return None;
    }
    let s_start = p_start + p_len + 1;
    let s_len = run_len(text, s_start, is_b64url);
    let end = s_start + s_len;
    if s_len < 16 || byte_at(text, end).is_some_and(|b| is_word_byte(b) || b == b'-') {
        return None;
    }
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        // {"alg":"HS256","typ":"JWT"} / {"sub":"1"}
        let good =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
        let cases: Vec<(&str, String, Option<String>)> = vec![
            ("bearer", format!("Bearer {good}"), Some(good.to_string())),
            (
                "cookie attrs",
                format!("s={good}; Path=/"),
                Some(good.to_string()),
            ),
            (
                "truncated",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...".into(),
                None,
            ),
            (
                "short signature",
                format!("{}.abc", &good[..good.rfind('.').unwrap()]),
                None,
            ),
            // {"typ":"JWT"}: no alg
            (
                "no alg",
                "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ".into(),
                None,
            ),
            (
                "not json",
                "eyJub3QganNvbg.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ".into(),
                None,
            ),
        ];
        for (name, text, want) in cases {
            let at = text.find("eyJ").unwrap();
            let got = jwt(&text, at, at + 3).map(|r| text[r].to_string());
            assert_eq!(got, want, "case {name}");
        }
    }
}
