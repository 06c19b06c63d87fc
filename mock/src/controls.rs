//! Per-request behaviour knobs read from `x-mock-*` request headers.
//!
//! Controls are headers rather than CLI flags so that every request — including many
//! concurrent ones funnelled through one Envoy — picks its own reply, framing and failure
//! mode. Envoy forwards unknown request headers untouched, so tests can set them at the
//! client side.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::StatusCode;

/// Reply used when no reply control is given.
pub const DEFAULT_REPLY: &str = "Hello from the mock upstream.";
/// Default stream piece size, in chars (roughly one token's worth of text).
pub const DEFAULT_DELTA_CHARS: usize = 8;
/// Upper bound for `x-mock-reply-size` (16 MiB): large enough for body-limit tests,
/// small enough that the shared filler text stays a bounded one-off allocation.
pub const MAX_REPLY_SIZE: usize = 16 * 1024 * 1024;

pub const H_REPLY: &str = "x-mock-reply";
pub const H_REPLY_B64: &str = "x-mock-reply-b64";
pub const H_REPLY_SIZE: &str = "x-mock-reply-size";
pub const H_DELTA_CHARS: &str = "x-mock-delta-chars";
pub const H_CHUNK_BYTES: &str = "x-mock-chunk-bytes";
pub const H_DELAY_MS: &str = "x-mock-delay-ms";
pub const H_STATUS: &str = "x-mock-status";
pub const H_CONTENT_TYPE: &str = "x-mock-content-type";
/// `name: value` to add to the response (e.g. `content-encoding: gzip` with a raw gzip body).
pub const H_RESPONSE_HEADER: &str = "x-mock-response-header";
/// `1`: the reply repeats the request's system prompt (a model leaking its instructions).
pub const H_ECHO_SYSTEM: &str = "x-mock-echo-system";
/// `name: value` to send as a response trailer (sent on HTTP/2; HTTP/1.1 only when chunked).
pub const H_TRAILER: &str = "x-mock-trailer";
pub const H_RAW_B64: &str = "x-mock-raw-b64";
pub const H_RESET_AFTER_BYTES: &str = "x-mock-reset-after-bytes";
pub const H_PROMPT_TOKENS: &str = "x-mock-prompt-tokens";
pub const H_COMPLETION_TOKENS: &str = "x-mock-completion-tokens";

/// Everything a request asked for through its control headers.
#[derive(Debug)]
pub struct Controls {
    /// Assistant reply text. Borrowed for the shared filler so large benchmark replies
    /// cost no per-request allocation.
    pub reply: Cow<'static, str>,
    /// Stream piece size in chars (never splits a UTF-8 char).
    pub delta_chars: usize,
    /// Re-slice the response byte stream into body frames of this many bytes.
    pub chunk_bytes: Option<usize>,
    /// Pause between body frames (and once before a single-frame body).
    pub delay: Option<Duration>,
    /// Status to answer with; >= 400 swaps the body for an API-shaped error.
    pub status: Option<StatusCode>,
    /// Content-type override; the body is unchanged.
    pub content_type: Option<HeaderValue>,
    /// Extra response headers.
    pub extra_headers: Vec<(HeaderName, HeaderValue)>,
    /// Response trailers.
    pub trailers: Vec<(HeaderName, HeaderValue)>,
    /// Reply with the request's system prompt.
    pub echo_system: bool,
    /// Exact response body bytes (bypasses the API emulation).
    pub raw_body: Option<Bytes>,
    /// Abort the connection after this many body bytes.
    pub reset_after_bytes: Option<usize>,
    /// Usage overrides, for token-accounting tests that need exact numbers.
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
}

/// A control header had a value we cannot honour; answered with a 400.
#[derive(Debug, PartialEq, Eq)]
pub struct ControlError(pub String);

impl Controls {
    /// Reads all controls; the first invalid one is reported so a typo in a test fails
    /// loudly instead of silently falling back to a default.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ControlError> {
        let reply = if let Some(b64) = header_str(headers, H_REPLY_B64)? {
            let bytes = decode_base64(b64)
                .ok_or_else(|| ControlError(format!("{H_REPLY_B64}: invalid base64")))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| ControlError(format!("{H_REPLY_B64}: decoded bytes are not UTF-8")))?;
            Cow::Owned(text)
        } else if let Some(text) = header_str(headers, H_REPLY)? {
            Cow::Owned(text.to_owned())
        } else if let Some(size) = parse_num::<usize>(headers, H_REPLY_SIZE)? {
            if size > MAX_REPLY_SIZE {
                return Err(ControlError(format!(
                    "{H_REPLY_SIZE}: {size} exceeds the maximum of {MAX_REPLY_SIZE}"
                )));
            }
            Cow::Borrowed(filler(size))
        } else {
            Cow::Borrowed(DEFAULT_REPLY)
        };

        let delta_chars = parse_positive(headers, H_DELTA_CHARS)?.unwrap_or(DEFAULT_DELTA_CHARS);
        let chunk_bytes = parse_positive(headers, H_CHUNK_BYTES)?;
        let delay = parse_num::<u64>(headers, H_DELAY_MS)?
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);

        let status = match parse_num::<u16>(headers, H_STATUS)? {
            None => None,
            Some(code @ 200..=599) => Some(
                StatusCode::from_u16(code)
                    .map_err(|_| ControlError(format!("{H_STATUS}: invalid status {code}")))?,
            ),
            Some(code) => {
                return Err(ControlError(format!(
                    "{H_STATUS}: {code} is outside 200..=599"
                )))
            }
        };

        let content_type = headers.get(H_CONTENT_TYPE).cloned();
        let extra_headers = header_list(headers, H_RESPONSE_HEADER)?;
        let trailers = header_list(headers, H_TRAILER)?;
        let raw_body = match header_str(headers, H_RAW_B64)? {
            None => None,
            Some(b64) => {
                Some(Bytes::from(decode_base64(b64).ok_or_else(|| {
                    ControlError(format!("{H_RAW_B64}: invalid base64"))
                })?))
            }
        };

        Ok(Controls {
            reply,
            delta_chars,
            chunk_bytes,
            delay,
            status,
            content_type,
            extra_headers,
            trailers,
            echo_system: headers
                .get(H_ECHO_SYSTEM)
                .is_some_and(|v| v.as_bytes() == b"1"),
            raw_body,
            reset_after_bytes: parse_num::<usize>(headers, H_RESET_AFTER_BYTES)?,
            prompt_tokens: parse_num::<u64>(headers, H_PROMPT_TOKENS)?,
            completion_tokens: parse_num::<u64>(headers, H_COMPLETION_TOKENS)?,
        })
    }
}

/// Header value as UTF-8 text. Header values may legally carry obs-text bytes, so this
/// is a fallible conversion, not `to_str()` (which rejects all non-ASCII).
fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ControlError> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => std::str::from_utf8(value.as_bytes())
            .map(Some)
            .map_err(|_| ControlError(format!("{name}: value is not UTF-8"))),
    }
}

fn parse_num<T: FromStr>(headers: &HeaderMap, name: &str) -> Result<Option<T>, ControlError> {
    match header_str(headers, name)? {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| ControlError(format!("{name}: {text:?} is not a valid number"))),
    }
}

/// Like [`parse_num`] but rejects 0, which would make splitting loops meaningless.
fn parse_positive(headers: &HeaderMap, name: &str) -> Result<Option<usize>, ControlError> {
    match parse_num::<usize>(headers, name)? {
        Some(0) => Err(ControlError(format!("{name}: must be at least 1"))),
        other => Ok(other),
    }
}

/// Decodes standard or URL-safe base64, padding optional. Hand-written to avoid a
/// dependency for ~20 lines; returns `None` on any invalid character or length.
pub fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let trimmed = input.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A single dangling character (6 bits) cannot encode a byte: truncated input.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

/// Words for the filler text: everyday, lowercase, and free of anything a prompt guard
/// or secret/PII scanner might match, so benchmark replies measure the pass-through path.
const WORDS: [&str; 48] = [
    "the", "a", "river", "quiet", "morning", "light", "over", "hills", "and", "small", "town",
    "people", "walk", "slowly", "along", "old", "stone", "bridge", "while", "birds", "sing", "in",
    "tall", "green", "trees", "near", "water", "clouds", "drift", "across", "soft", "blue", "sky",
    "children", "play", "by", "garden", "gate", "bakery", "opens", "early", "fresh", "bread",
    "smells", "warm", "market", "square", "fills",
];

/// First `n` bytes of a deterministic, English-looking ASCII text (words and spaces).
///
/// Built once (lazily) at the maximum size and sliced, so a 16 MiB benchmark reply costs
/// no generation work per request.
pub fn filler(n: usize) -> &'static str {
    static FILLER: OnceLock<String> = OnceLock::new();
    let text = FILLER.get_or_init(|| {
        let mut s = String::with_capacity(MAX_REPLY_SIZE + 16);
        // xorshift64: deterministic, dependency-free and uneven enough to look like prose.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        while s.len() < MAX_REPLY_SIZE {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let word = WORDS
                .get((state % WORDS.len() as u64) as usize)
                .copied()
                .unwrap_or("the");
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(word);
        }
        s.truncate(MAX_REPLY_SIZE);
        s
    });
    // ASCII only, so every byte index is a char boundary.
    text.get(..n).unwrap_or(text)
}

/// Every `name: value` given in a repeatable control header.
fn header_list(
    headers: &HeaderMap,
    control: &str,
) -> Result<Vec<(HeaderName, HeaderValue)>, ControlError> {
    let mut out = Vec::new();
    for value in headers.get_all(control) {
        let (name, value) = value
            .to_str()
            .ok()
            .and_then(|t| t.split_once(':'))
            .ok_or_else(|| ControlError(format!("{control}: expected `name: value`")))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| ControlError(format!("{control}: invalid header name")))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| ControlError(format!("{control}: invalid header value")))?;
        out.push((name, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn defaults() {
        let c = Controls::from_headers(&HeaderMap::new()).unwrap();
        assert_eq!(c.reply, DEFAULT_REPLY);
        assert_eq!(c.delta_chars, DEFAULT_DELTA_CHARS);
        assert!(c.chunk_bytes.is_none() && c.delay.is_none() && c.status.is_none());
        assert!(c.raw_body.is_none() && c.reset_after_bytes.is_none());
    }

    #[test]
    fn reply_b64_takes_precedence() {
        // "héllo\n👋" in base64
        let c = Controls::from_headers(&headers(&[
            (H_REPLY, "plain"),
            (H_REPLY_B64, "aMOpbGxvCvCfkYs="),
        ]))
        .unwrap();
        assert_eq!(c.reply, "héllo\n👋");
    }

    #[test]
    fn bad_values_are_errors() {
        for (name, value) in [
            (H_REPLY_SIZE, "abc"),
            (H_DELTA_CHARS, "0"),
            (H_CHUNK_BYTES, "-1"),
            (H_STATUS, "99"),
            (H_STATUS, "600"),
            (H_REPLY_B64, "!!"),
            (H_RAW_B64, "A"),
            (H_REPLY_SIZE, "16777217"),
        ] {
            let err = Controls::from_headers(&headers(&[(name, value)])).unwrap_err();
            assert!(err.0.starts_with(name), "{err:?}");
        }
    }

    #[test]
    fn base64_roundtrips_known_vectors() {
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("Zg==").unwrap(), b"f");
        assert_eq!(decode_base64("Zm8").unwrap(), b"fo");
        assert_eq!(decode_base64("Zm9v").unwrap(), b"foo");
        assert_eq!(decode_base64("Zm9vYmFy").unwrap(), b"foobar");
        assert_eq!(decode_base64("-_8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_base64("+///").unwrap(), [0xfb, 0xff, 0xff]);
        assert!(decode_base64("Zm9vY").is_none());
        assert!(decode_base64("Zm=9v").is_none());
    }

    #[test]
    fn filler_is_exact_ascii_words() {
        for n in [0, 1, 7, 100, 4096] {
            let f = filler(n);
            assert_eq!(f.len(), n);
            assert!(f.bytes().all(|b| b.is_ascii_lowercase() || b == b' '));
        }
        assert_eq!(filler(MAX_REPLY_SIZE).len(), MAX_REPLY_SIZE);
        assert!(filler(200).contains(' '));
        assert_eq!(filler(50), &filler(100)[..50]);
    }
}
