//! Recorded-shape streams from `testdata/streams/`, run through the rewriter under hundreds of
//! random chunkings each: the client output must parse as the same API's stream, assemble to
//! the buffered redaction of the upstream text, and never contain a planted secret.

use super::support::{client_texts, detector, random_chunks, reference_redact, Rng};
use crate::detect::Finding;
use crate::stream::redactor::{Detector, RedactorOptions};
use crate::stream::{StreamApi, StreamOptions, StreamRewriter};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const FIXTURES: &[(&str, StreamApi)] = &[
    ("openai_chat.sse", StreamApi::OpenAiChat),
    ("openai_chat_tools.sse", StreamApi::OpenAiChat),
    ("openai_responses.sse", StreamApi::OpenAiResponses),
    ("anthropic_messages.sse", StreamApi::AnthropicMessages),
    ("gemini.sse", StreamApi::Gemini),
    ("ollama_chat.ndjson", StreamApi::Ollama),
    ("ollama_generate.ndjson", StreamApi::Ollama),
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/streams")
}

pub fn load(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The planted values (`secrets.txt`, comments skipped).
pub fn secrets() -> Vec<String> {
    String::from_utf8(load("secrets.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(String::from)
        .collect()
}

/// A classic GitHub token with a valid checksum (CRC-32 of the body, base62).
pub fn github_token() -> String {
    let data = "q7Lm2Xv9Tr4Kp8Wz3Nb6Hd1Fs5Gj0Y";
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data.as_bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    let mut n = !crc;
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    format!("ghp_{data}{}", std::str::from_utf8(&check).unwrap())
}

pub fn rewrite(api: StreamApi, det: Box<dyn Detector>, chunks: &[&[u8]]) -> Vec<u8> {
    rewrite_with(api, StreamOptions::default(), det, chunks)
}

pub fn rewrite_with(
    api: StreamApi,
    opts: StreamOptions,
    det: Box<dyn Detector>,
    chunks: &[&[u8]],
) -> Vec<u8> {
    let mut rw = StreamRewriter::new(api, opts, det);
    let mut out = Vec::new();
    for c in chunks {
        let o = rw.push(c);
        assert_eq!(o.error, None);
        out.extend(o.bytes);
    }
    let o = rw.finish();
    assert_eq!(o.error, None);
    out.extend(o.bytes);
    out
}

fn nothing() -> Box<dyn Detector> {
    Box::new(|_: &str, _: &mut Vec<Finding>| {})
}

/// Upstream texts redacted as a buffered scan would.
pub fn expected_texts(api: StreamApi, input: &[u8]) -> BTreeMap<String, String> {
    let det = detector();
    client_texts(api, input)
        .unwrap_or_else(|e| panic!("fixture does not parse: {e}"))
        .into_iter()
        .map(|(k, v)| (k, reference_redact(det.as_ref(), &v)))
        .collect()
}

/// Checks one rewrite of `input`; returns the failure for the caller to report.
pub fn check(
    api: StreamApi,
    input: &[u8],
    chunks: &[&[u8]],
    secrets: &[String],
    window: usize,
) -> Result<(), String> {
    let opts = StreamOptions {
        redactor: RedactorOptions {
            window,
            ..RedactorOptions::default()
        },
        ..StreamOptions::default()
    };
    let out = rewrite_with(api, opts, detector(), chunks);
    let got = client_texts(api, &out).map_err(|e| format!("invalid output: {e}"))?;
    let want = expected_texts(api, input);
    if got != want {
        return Err(format!("expected {want:#?}\nactual {got:#?}"));
    }
    let text = String::from_utf8_lossy(&out);
    for s in secrets {
        if text.contains(s.as_str()) {
            return Err(format!("secret {s:?} reached the client"));
        }
    }
    Ok(())
}

/// A short description of a chunking for failure messages.
fn sizes(chunks: &[&[u8]]) -> String {
    let first: Vec<usize> = chunks.iter().take(16).map(|c| c.len()).collect();
    format!("{} chunks, first sizes {first:?}", chunks.len())
}

/// No hold-back at all: every delta is released as it arrives.
pub fn no_holdback() -> StreamOptions {
    StreamOptions {
        redactor: RedactorOptions {
            window: 0,
            lookbehind: 0,
            private_keys: false,
            pem_cap: 0,
            run_cap: 0,
        },
        ..StreamOptions::default()
    }
}

#[test]
fn fixtures_pass_through_byte_identical_when_nothing_is_found() {
    let mut rng = Rng(1);
    for (name, api) in FIXTURES {
        let input = load(name);
        for _ in 0..50 {
            let chunks = random_chunks(&mut rng, &input);
            let out = rewrite_with(*api, no_holdback(), nothing(), &chunks);
            assert!(
                out == input,
                "fixture {name}: output differs; {}",
                sizes(&chunks)
            );
        }
    }
}

#[test]
fn fixtures_expected_texts_contain_redactions() {
    // Guards the fixtures themselves: each plants something the detectors find.
    for (name, api) in FIXTURES {
        let want = expected_texts(*api, &load(name));
        let all: String = want.values().cloned().collect();
        assert!(
            all.contains("[REDACTED:"),
            "fixture {name}: nothing to redact"
        );
    }
}

#[test]
fn property_fixtures_under_random_chunkings() {
    let secrets = secrets();
    let mut rng = Rng(0x5EED);
    for (name, api) in FIXTURES {
        let input = load(name);
        for round in 0..200 {
            let chunks = random_chunks(&mut rng, &input);
            if let Err(e) = check(*api, &input, &chunks, &secrets, [32, 256][round % 2]) {
                panic!("fixture {name} round {round}: {}\n{e}", sizes(&chunks));
            }
        }
    }
}

/// The same streams with `\r\n` and bare `\r` line endings, and with a byte-order mark.
#[test]
fn property_fixtures_with_other_line_endings() {
    let secrets = secrets();
    let mut rng = Rng(77);
    for (name, api) in FIXTURES {
        if *api == StreamApi::Ollama {
            continue;
        }
        let lf = String::from_utf8(load(name)).unwrap().replace("\r\n", "\n");
        for (ending, bom) in [("\r\n", false), ("\r", false), ("\n", true)] {
            let bom = if bom { "\u{FEFF}" } else { "" };
            let input = format!("{bom}{}", lf.replace('\n', ending)).into_bytes();
            for round in 0..25 {
                let chunks = random_chunks(&mut rng, &input);
                if let Err(e) = check(*api, &input, &chunks, &secrets, [32, 256][round % 2]) {
                    panic!(
                        "fixture {name} ending {ending:?} round {round}: {}\n{e}",
                        sizes(&chunks)
                    );
                }
                let out = rewrite_with(*api, no_holdback(), nothing(), &chunks);
                assert!(
                    out == input,
                    "fixture {name} ending {ending:?}: passthrough differs"
                );
            }
        }
    }
}

#[test]
fn each_finding_is_reported_once() {
    for (name, api) in FIXTURES {
        let input = load(name);
        let want: usize = expected_texts(*api, &input)
            .values()
            .map(|t| t.matches("[REDACTED:").count())
            .sum();
        let mut rw = StreamRewriter::new(*api, StreamOptions::default(), detector());
        let mut hits = rw.push(&input).hits;
        hits.extend(rw.finish().hits);
        assert_eq!(hits.len(), want, "fixture {name}: hits {hits:?}");
    }
}
