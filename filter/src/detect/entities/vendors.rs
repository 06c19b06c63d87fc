//! Vendor credentials users paste into LLM prompts beyond the evaluation corpus' types: each
//! has a fixed, documented prefix (the anchor) and a body whose alphabet and length the
//! vendor publishes; where a checksum exists (npm) it is verified.

use super::checksum::{base62_equals, crc32};
use super::util::{byte_at, ends_word, has_filler_run, is_filler, run_len_max, starts_word};
use crate::entity::EntityType;
use std::ops::Range;

pub struct Detector {
    pub entity: EntityType,
    pub anchors: &'static [&'static str],
    pub validate: fn(&str, usize, usize) -> Option<Range<usize>>,
}

use EntityType as E;

pub const DETECTORS: &[Detector] = &[
    Detector {
        entity: E::GitlabToken,
        anchors: &[
            "glpat-", "gldt-", "glptt-", "glrt-", "glcbt-", "glft-", "glimt-", "gloas-", "glsoat-",
            "glagent-",
        ],
        validate: gitlab,
    },
    Detector {
        entity: E::NpmToken,
        anchors: &["npm_"],
        validate: npm,
    },
    Detector {
        entity: E::PypiToken,
        anchors: &["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"],
        validate: pypi,
    },
    Detector {
        entity: E::HuggingfaceToken,
        anchors: &["hf_", "api_org_"],
        validate: huggingface,
    },
    Detector {
        entity: E::AzureStorageKey,
        anchors: &["AccountKey="],
        validate: azure_account_key,
    },
    Detector {
        entity: E::TwilioApiKey,
        anchors: &["SK"],
        validate: twilio,
    },
    Detector {
        entity: E::SendgridApiKey,
        anchors: &["SG."],
        validate: sendgrid,
    },
    Detector {
        entity: E::DatadogApiKey,
        anchors: &[
            "dd_api_key",
            "DD_API_KEY",
            "dd-api-key",
            "DD-API-KEY",
            "datadog_api_key",
            "DATADOG_API_KEY",
            "DdApiKey",
            "datadogApiKey",
        ],
        validate: datadog,
    },
    Detector {
        entity: E::ShopifyToken,
        anchors: &["shpat_", "shpca_", "shppa_", "shpss_"],
        validate: shopify,
    },
    Detector {
        entity: E::DigitaloceanToken,
        anchors: &["dop_v1_", "doo_v1_", "dor_v1_"],
        validate: digitalocean,
    },
    Detector {
        entity: E::PostmanApiKey,
        anchors: &["PMAK-"],
        validate: postman,
    },
    Detector {
        entity: E::GroqApiKey,
        anchors: &["gsk_"],
        validate: groq,
    },
    Detector {
        entity: E::LinearApiKey,
        anchors: &["lin_api_"],
        validate: linear,
    },
    Detector {
        entity: E::ReplicateApiToken,
        anchors: &["r8_"],
        validate: replicate,
    },
];

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// Documentation stand-ins: `xxxx…`, `XXXX…`, `...`, `your_token_here`.
fn placeholder(body: &[u8]) -> bool {
    is_filler(body)
        || has_filler_run(body, 6)
        || body.windows(3).any(|w| w == b"...")
        || body
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"your"))
}

/// A body of `pred` characters right after the anchor, with a length in `lens`, ending a word.
fn body(
    text: &str,
    start: usize,
    anchor_end: usize,
    lens: std::ops::RangeInclusive<usize>,
    pred: impl Fn(u8) -> bool,
) -> Option<Range<usize>> {
    // A prefix inside a longer token (`…glsoat---glsoat-…`: the run of the body's alphabet
    // before it reaches a letter or digit) is part of that token, judged from where it starts:
    // read on its own, it would be found once the run before it is redacted, and a second
    // scan would find more than the first (fuzzing). Separators alone before it (a diff's
    // `-glpat-…`) do not make it part of anything.
    let inside = text
        .as_bytes()
        .get(..start)
        .unwrap_or_default()
        .iter()
        .rev()
        .take(super::util::MAX_RUN)
        .take_while(|&&b| pred(b))
        .any(|&b| b.is_ascii_alphanumeric() || b == b'_');
    if !starts_word(text, start) || inside {
        return None;
    }
    let len = run_len_max(text, anchor_end, lens.end() + 1, pred);
    let end = anchor_end + len;
    let b = text.as_bytes().get(anchor_end..end)?;
    (lens.contains(&len) && ends_word(text, end) && !placeholder(b)).then_some(start..end)
}

/// GitLab tokens: `glpat-` + 20 characters (legacy) or a longer routable token, which may
/// carry `.`-separated parts.
fn gitlab(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let r = body(text, start, anchor_end, 20..=320, |b| {
        is_b64url(b) || b == b'.'
    })?;
    let mut end = r.end;
    while end > anchor_end && byte_at(text, end - 1) == Some(b'.') {
        end -= 1;
    }
    (end - anchor_end >= 20).then_some(start..end)
}

/// npm tokens: `npm_` + 36 base62 characters, the last 6 a CRC-32 of the first 30 (GitHub's
/// token scheme).
fn npm(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let r = body(text, start, anchor_end, 36..=36, |b| {
        b.is_ascii_alphanumeric()
    })?;
    let b = text.as_bytes().get(anchor_end..r.end)?;
    base62_equals(crc32(b.get(..30)?), 6, b.get(30..)?).then_some(r)
}

/// PyPI API tokens: a macaroon whose base64 starts with the `pypi.org` (or TestPyPI) location.
fn pypi(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    body(text, start, anchor_end, 50..=1024, is_b64url)
}

/// Hugging Face tokens: `hf_` + 34 letters (user access tokens), `api_org_` + 34 (org tokens).
fn huggingface(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let r = body(text, start, anchor_end, 34..=34, |b| {
        b.is_ascii_alphanumeric()
    })?;
    let b = text.as_bytes().get(anchor_end..r.end)?;
    let mixed = b.iter().any(u8::is_ascii_uppercase) && b.iter().any(u8::is_ascii_lowercase);
    mixed.then_some(r)
}

/// Azure storage account keys in a connection string: `AccountKey=` + 88 base64 characters
/// (64 bytes, ending in `==`). Span = the key.
fn azure_account_key(text: &str, _start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let len = run_len_max(text, anchor_end, 90, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
    });
    let end = anchor_end + len;
    let b = text.as_bytes().get(anchor_end..end)?;
    (len == 88 && b.ends_with(b"==") && !placeholder(b)).then_some(anchor_end..end)
}

/// Twilio API key SIDs paired with their secret: `SK` + 32 lowercase hex. (Account SIDs,
/// `AC…`, identify an account and are not secret.)
fn twilio(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if text.as_bytes().get(start..anchor_end) != Some(b"SK".as_slice()) {
        return None;
    }
    let r = body(text, start, anchor_end, 32..=32, is_lower_hex)?;
    let b = text.as_bytes().get(anchor_end..r.end)?;
    (b.iter().any(u8::is_ascii_digit) && b.iter().any(u8::is_ascii_lowercase)).then_some(r)
}

/// SendGrid API keys: `SG.` + 22 characters + `.` + 43 characters.
fn sendgrid(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) {
        return None;
    }
    let id = run_len_max(text, anchor_end, 23, is_b64url);
    let dot = anchor_end + id;
    if id != 22 || byte_at(text, dot) != Some(b'.') {
        return None;
    }
    let secret = run_len_max(text, dot + 1, 44, is_b64url);
    let end = dot + 1 + secret;
    let b = text.as_bytes().get(anchor_end..end)?;
    (secret == 43 && ends_word(text, end) && byte_at(text, end) != Some(b'-') && !placeholder(b))
        .then_some(start..end)
}

/// Datadog API keys: 32 lowercase hex characters, only as the value of a Datadog key field
/// (the format alone is any MD5). Span = the key.
fn datadog(text: &str, _start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let after = text.as_bytes().get(anchor_end..)?;
    // `DD_API_KEY=…`, `"dd_api_key": "…"`, `dd-api-key: …`
    let mut i = 0;
    for &b in after.iter().take(8) {
        if matches!(b, b'"' | b'\'' | b' ' | b'=' | b':' | b'\t') {
            i += 1;
        } else {
            break;
        }
    }
    if i == 0 {
        return None;
    }
    let from = anchor_end + i;
    let len = run_len_max(text, from, 33, is_lower_hex);
    let end = from + len;
    let b = text.as_bytes().get(from..end)?;
    (len == 32 && ends_word(text, end) && !placeholder(b)).then_some(from..end)
}

/// Shopify access tokens: `shpat_` / `shpca_` / `shppa_` / `shpss_` + 32 hex.
fn shopify(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    body(text, start, anchor_end, 32..=32, |b| b.is_ascii_hexdigit())
}

/// DigitalOcean tokens: `dop_v1_` / `doo_v1_` / `dor_v1_` + 64 lowercase hex.
fn digitalocean(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    body(text, start, anchor_end, 64..=64, is_lower_hex)
}

/// Postman API keys: `PMAK-` + 24 hex + `-` + 34 hex.
fn postman(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) {
        return None;
    }
    let a = run_len_max(text, anchor_end, 25, |b| b.is_ascii_hexdigit());
    if a != 24 || byte_at(text, anchor_end + a) != Some(b'-') {
        return None;
    }
    let from = anchor_end + a + 1;
    let b = run_len_max(text, from, 35, |b| b.is_ascii_hexdigit());
    let end = from + b;
    (b == 34 && ends_word(text, end)).then_some(start..end)
}

/// Groq API keys: `gsk_` + 52 alphanumerics.
fn groq(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    body(text, start, anchor_end, 52..=52, |b| {
        b.is_ascii_alphanumeric()
    })
}

/// Linear API keys: `lin_api_` + 40 alphanumerics.
fn linear(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    body(text, start, anchor_end, 40..=40, |b| {
        b.is_ascii_alphanumeric()
    })
}

/// Replicate API tokens: `r8_` + 37 alphanumerics mixing digits and both cases (random).
fn replicate(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let r = body(text, start, anchor_end, 37..=37, |b| {
        b.is_ascii_alphanumeric()
    })?;
    let b = text.as_bytes().get(anchor_end..r.end)?;
    let mixed = b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase);
    mixed.then_some(r)
}
