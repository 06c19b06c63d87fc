//! Credentials that start with a fixed, vendor-chosen prefix. The prefix is the anchor the
//! scanner's automaton finds; these functions check the rest of the token.

use super::checksum::{base62_equals, crc32};
use super::util::{
    byte_at, ends_word, has_filler_run, is_filler, is_word_byte, run_len_max, starts_word,
};
use std::ops::Range;

/// AWS access key ids: `AKIA|ASIA|ABIA|ACCA` + 16 of `[A-Z2-7]`. The documentation example
/// (`…EXAMPLE`) and filler are not keys.
pub fn aws_access_key_id(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let is_b32 = |b: u8| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b);
    if !starts_word(text, start) || run_len_max(text, anchor_end, 16, is_b32) < 16 {
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
    if run_len_max(text, anchor_end, 37, |b| b.is_ascii_alphanumeric()) != 36 {
        return None;
    }
    let end = anchor_end + 36;
    let body = bytes.get(anchor_end..end)?;
    let (data, check) = (body.get(..30)?, body.get(30..)?);
    (ends_word(text, end) && base62_equals(crc32(data), 6, check)).then_some(start..end)
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A documentation placeholder: `…`, `...`, `XXXX`, `xxxx` runs.
fn placeholder(body: &[u8]) -> bool {
    is_filler(body) || has_filler_run(body, 6) || body.windows(3).any(|w| w == b"...")
}

/// Slack tokens: `xoxb-` etc. with numeric groups, `xapp-1-…`.
pub fn slack_token(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) {
        return None;
    }
    let len = run_len_max(text, anchor_end, 256, |b| {
        b.is_ascii_alphanumeric() || b == b'-'
    });
    let end = anchor_end + len;
    let body = text.as_bytes().get(anchor_end..end)?;
    if !(20..=255).contains(&len) || placeholder(body) || !ends_word(text, end) {
        return None;
    }
    // At least one all-digit segment of 8+ digits (workspace / user ids).
    let numeric_segments = body
        .split(|&b| b == b'-')
        .filter(|seg| seg.len() >= 8 && seg.iter().all(u8::is_ascii_digit))
        .count();
    let last = body.rsplit(|&b| b == b'-').next()?;
    (numeric_segments >= 1 && last.len() >= 8 && !last.iter().all(u8::is_ascii_digit)
        || numeric_segments >= 2 && last.len() >= 8)
        .then_some(start..end)
}

/// Slack incoming-webhook URLs, whole URL (`https://` included).
pub fn slack_webhook(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let mut from = start;
    for scheme in ["https://", "http://"] {
        if start >= scheme.len() && text.get(start - scheme.len()..start) == Some(scheme) {
            from = start - scheme.len();
        }
    }
    let len = run_len_max(text, anchor_end, 256, |b| {
        b.is_ascii_alphanumeric() || b == b'/'
    });
    let mut end = anchor_end + len;
    while end > anchor_end && byte_at(text, end - 1) == Some(b'/') {
        end -= 1;
    }
    let path = text.as_bytes().get(anchor_end..end)?;
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    let ok = parts.len() == 3
        && parts
            .first()
            .is_some_and(|p| p.first() == Some(&b'T') && p.len() >= 8)
        && parts
            .get(1)
            .is_some_and(|p| p.first() == Some(&b'B') && p.len() >= 8)
        && parts
            .get(2)
            .is_some_and(|p| p.len() >= 16 && !placeholder(p));
    (ok && !byte_at(text, end).is_some_and(is_word_byte)).then_some(from..end)
}

/// Stripe secret and restricted keys (`sk_live_`, `rk_test_`, …); publishable `pk_` keys are
/// public by design and have no anchor here.
pub fn stripe_key(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) {
        return None;
    }
    let len = run_len_max(text, anchor_end, 256, |b| b.is_ascii_alphanumeric());
    let end = anchor_end + len;
    let body = text.as_bytes().get(anchor_end..end)?;
    ((24..=255).contains(&len) && ends_word(text, end) && !placeholder(body)).then_some(start..end)
}

/// OpenAI keys: project/service-account/admin keys and legacy `sk-` keys, all carrying the
/// `T3BlbkFJ` marker between two random halves.
pub fn openai_key(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) {
        return None;
    }
    let len = run_len_max(text, anchor_end, 256, is_b64url);
    let end = anchor_end + len;
    let token = text.as_bytes().get(start..end)?;
    let (prefix_len, halves): (usize, &[usize]) = if token.starts_with(b"sk-proj-") {
        (8, &[58, 74])
    } else if token.starts_with(b"sk-svcacct-") {
        (11, &[58, 74])
    } else if token.starts_with(b"sk-admin-") {
        (9, &[58, 74])
    } else {
        (3, &[20])
    };
    let body = token.get(prefix_len..)?;
    let ok = halves.iter().any(|&h| {
        body.len() == 2 * h + 8
            && body.get(h..h + 8) == Some(b"T3BlbkFJ".as_slice())
            && (prefix_len != 3 || body.iter().all(u8::is_ascii_alphanumeric))
    });
    (ok && !placeholder(body)).then_some(start..end)
}

/// Anthropic keys: `sk-ant-api03-` / `sk-ant-admin01-` + 93 characters + `AA`.
pub fn anthropic_key(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) {
        return None;
    }
    let len = run_len_max(text, start, 256, is_b64url);
    let end = start + len;
    let token = text.as_bytes().get(start..end)?;
    let body = if let Some(b) = token.strip_prefix(b"sk-ant-api03-") {
        b
    } else {
        token.strip_prefix(b"sk-ant-admin01-")?
    };
    let _ = anchor_end;
    (body.len() == 95 && body.ends_with(b"AA") && !placeholder(body)).then_some(start..end)
}

/// Google API keys: `AIza` + 35 characters.
pub fn google_api_key(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) && byte_at(text, start.wrapping_sub(1)) != Some(b'_') {
        return None;
    }
    if run_len_max(text, anchor_end, 36, is_b64url) != 35 {
        return None;
    }
    let end = anchor_end + 35;
    let body = text.as_bytes().get(anchor_end..end)?;
    (!placeholder(body)).then_some(start..end)
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
