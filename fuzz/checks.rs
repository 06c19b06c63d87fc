//! The properties each fuzz target checks, shared with the native regression test
//! (`filter/tests/fuzz_regressions.rs`), which replays every crash saved under
//! `testdata/fuzz/<target>/` on each `cargo test`.
//!
//! Beyond "no panic" (a panic aborts the Wasm VM), each check asserts what must hold for any
//! input: rewrites stay valid JSON, findings are sorted, disjoint and on char boundaries,
//! scores stay in [0, 1].

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use llm_warden::config;
use llm_warden::detect::entities::EntityScanner;
use llm_warden::detect::injection::InjectionScreen;
use llm_warden::detect::Finding;
use llm_warden::dialect::Api;
use llm_warden::engine::{
    inspect_request, inspect_request_with, inspect_response, inspect_response_with, Exchange,
};
use llm_warden::entity::EntityType;
use llm_warden::json::{self, Edit, Value};
use llm_warden::policy::Config;
use llm_warden::stream::{ndjson, sse, StreamApi, StreamOptions, StreamRewriter};
use llm_warden::verdict::Verdict;
use std::sync::OnceLock;

const PATHS: [&str; 6] = [
    "/v1/chat/completions",
    "/v1/messages",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/responses",
    "/custom",
];

/// Every detector on, both ways, redacting: the most rewriting the engine can do.
fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        config::load(
            br#"{"policies":{"default":{"request":{"pii":{"action":"redact"},"denyPatterns":["(?i)forbidden"]}}}}"#,
        )
        .expect("fuzz config")
    })
}

fn strings(v: &Value, out: &mut Vec<json::Str>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(members) => members.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out)
        }),
        _ => {}
    }
}

/// Parsing never panics; re-writing every string literal with its own decoded text gives a
/// document that parses to the same value.
pub fn json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = json::parse(text) else { return };
    let mut lits = Vec::new();
    strings(&doc, &mut lits);
    let edits = lits.iter().map(|s| Edit::string(s, &s.text)).collect();
    let again = json::splice(text, edits);
    let reparsed = json::parse(&again).expect("re-written document must parse");
    let mut lits2 = Vec::new();
    strings(&reparsed, &mut lits2);
    let a: Vec<&str> = lits.iter().map(|s| s.text.as_str()).collect();
    let b: Vec<&str> = lits2.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(a, b, "string values changed by a neutral rewrite");
}

/// Any bytes as config: an answer, never a panic; accepted configs select a policy.
pub fn config_bytes(data: &[u8]) {
    if let Ok(c) = config::load(data) {
        let _ = c.select(&Default::default());
    }
}

/// The document with every string emptied: what a rewrite must leave exactly as it was.
fn shape(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::String(_) => J::String(String::new()),
        J::Array(items) => J::Array(items.iter().map(shape).collect()),
        J::Object(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        other => other.clone(),
    }
}

/// A rewrite changes nothing but string values (structure, keys, numbers, literals kept).
fn only_strings_changed(original: &[u8], verdict: &Verdict) {
    let Verdict::Rewrite(body) = verdict else {
        return;
    };
    let (Ok(before), Ok(after)) = (
        serde_json::from_slice::<serde_json::Value>(original),
        serde_json::from_str::<serde_json::Value>(body),
    ) else {
        return; // serde_json refuses some inputs our parser accepts (lone surrogates)
    };
    assert_eq!(
        shape(&before),
        shape(&after),
        "a rewrite changed more than strings"
    );
}

fn valid_rewrite(verdict: &Verdict) {
    match verdict {
        Verdict::Rewrite(body) => {
            json::parse(body).expect("a rewritten body must stay valid JSON");
        }
        Verdict::Block(reply) => {
            assert!((400..=599).contains(&reply.status));
            serde_json::from_str::<serde_json::Value>(&reply.body).expect("block body is JSON");
        }
        Verdict::Continue => {}
    }
}

/// First byte picks the API path; the rest is the body. Rewrites stay valid JSON, change only
/// strings, and are idempotent: a second pass over the output rewrites nothing more.
pub fn request(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let path = PATHS[usize::from(first) % PATHS.len()];
    for policy in &config().policies {
        let verdict = inspect_request(policy, path, body).verdict;
        valid_rewrite(&verdict);
        only_strings_changed(body, &verdict);
        if let Verdict::Rewrite(out) = &verdict {
            let again = inspect_request(policy, path, out.as_bytes()).verdict;
            assert!(
                !matches!(again, Verdict::Rewrite(_)),
                "redaction is not idempotent"
            );
        }
    }
}

pub fn response(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let api = Api::from_path(PATHS[usize::from(first) % PATHS.len()]);
    for policy in &config().policies {
        let verdict = inspect_response(policy, api, body).verdict;
        valid_rewrite(&verdict);
        only_strings_changed(body, &verdict);
        if let Verdict::Rewrite(out) = &verdict {
            let again = inspect_response(policy, api, out.as_bytes()).verdict;
            assert!(
                !matches!(again, Verdict::Rewrite(_)),
                "redaction is not idempotent"
            );
        }
    }
}

pub fn pairs(data: &[u8]) {
    let _ = llm_warden::pairs::deserialize(data);
}

pub fn entities(data: &[u8]) {
    static SCANNER: OnceLock<EntityScanner> = OnceLock::new();
    let scanner = SCANNER.get_or_init(|| EntityScanner::new(EntityType::ALL).expect("scanner"));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut found: Vec<Finding> = Vec::new();
    scanner.scan(text, &mut found);
    let mut end = 0;
    for f in &found {
        assert!(f.span.start >= end, "findings overlap or are unsorted");
        assert!(f.span.start < f.span.end && f.span.end <= text.len());
        assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
        end = f.span.end;
    }
}

pub fn injection(data: &[u8]) {
    static SCREEN: OnceLock<InjectionScreen> = OnceLock::new();
    let screen = SCREEN.get_or_init(|| InjectionScreen::new().expect("screen"));
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\u{1e}').collect();
    let s = screen.screen(&parts);
    assert!(
        (0.0..=1.0).contains(&s.score),
        "score {} out of range",
        s.score
    );
    for sig in &s.signals {
        let t = parts[sig.text_index];
        assert!(sig.offset <= t.len() && t.is_char_boundary(sig.offset));
    }
}

/// Byte 0 picks the streaming API, byte 1 the chunk size; the rest is the upstream's stream.
/// The rewriter must never panic, and its output stays within a bounded factor of its input
/// (labels and synthesized events included).
pub fn stream(data: &[u8]) {
    let (Some(&api_byte), Some(&chunk_byte)) = (data.first(), data.get(1)) else {
        return;
    };
    let apis = [
        StreamApi::OpenAiChat,
        StreamApi::OpenAiResponses,
        StreamApi::AnthropicMessages,
        StreamApi::Gemini,
        StreamApi::Ollama,
    ];
    let api = apis[usize::from(api_byte) % apis.len()];
    let chunk = usize::from(chunk_byte).max(1);
    let body = &data[2..];
    static SCANNER: OnceLock<EntityScanner> = OnceLock::new();
    let scanner = SCANNER.get_or_init(|| EntityScanner::new(EntityType::ALL).expect("scanner"));
    let mut rewriter =
        StreamRewriter::new(api, StreamOptions::default(), Box::new(scanner.clone()));
    let mut out = 0usize;
    for piece in body.chunks(chunk) {
        let o = rewriter.push(piece);
        out += o.bytes.len();
        if o.error.is_some() {
            out += rewriter.block_event("fuzz", &[]).len();
            break;
        }
    }
    out += rewriter.finish().bytes.len();
    assert!(
        out <= body.len() * 8 + 64 * 1024,
        "output {out} for input {}",
        body.len()
    );
    sse_split_invariance(body, chunk);
    ndjson_split_invariance(body, chunk);
}

/// What a client reads from one SSE block, and the bytes it came from.
type SseBlock = (
    Vec<u8>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
    bool,
);

/// Every block `sse::Decoder` reads from `pieces` (`None` after a decode error).
fn sse_blocks<'c>(pieces: impl Iterator<Item = &'c [u8]>) -> Option<Vec<SseBlock>> {
    let mut decoder = sse::Decoder::new(sse::DEFAULT_MAX_EVENT_BYTES);
    let mut out = Vec::new();
    let mut read = |blocks: Vec<sse::Block>| {
        out.extend(blocks.iter().map(|b| {
            (
                b.raw().to_vec(),
                b.event_type.as_deref().map(String::from),
                b.data().map(|d| d.into_owned()),
                b.id.as_deref().map(String::from),
                b.retry,
                b.terminated,
            )
        }))
    };
    for piece in pieces {
        let mut blocks = Vec::new();
        let result = decoder.push(piece, &mut blocks);
        read(blocks);
        result.ok()?;
    }
    let mut blocks = Vec::new();
    decoder.finish(&mut blocks).ok()?;
    read(blocks);
    Some(out)
}

/// The SSE decoder reads the same blocks whatever the chunking (outlines, carried events,
/// `\r` before a chunk's `\n` included), and the blocks' bytes are the stream's bytes.
fn sse_split_invariance(body: &[u8], chunk: usize) {
    let whole = sse_blocks(std::iter::once(body));
    let split = sse_blocks(body.chunks(chunk));
    assert_eq!(whole, split, "SSE blocks depend on the chunking ({chunk})");
    if let Some(blocks) = whole {
        let raw: Vec<u8> = blocks.iter().flat_map(|b| b.0.iter().copied()).collect();
        assert_eq!(raw, body, "SSE blocks do not hold the stream's bytes");
    }
}

/// Every line `ndjson::Decoder` reads from `pieces` (`None` after a decode error).
fn ndjson_lines<'c>(pieces: impl Iterator<Item = &'c [u8]>) -> Option<Vec<(Vec<u8>, String)>> {
    let mut decoder = ndjson::Decoder::new(sse::DEFAULT_MAX_EVENT_BYTES);
    let mut out = Vec::new();
    for piece in pieces {
        let mut lines = Vec::new();
        let result = decoder.push(piece, &mut lines);
        out.extend(lines.iter().map(|l| (l.raw().to_vec(), l.text.to_string())));
        result.ok()?;
    }
    let mut lines = Vec::new();
    decoder.finish(&mut lines).ok()?;
    out.extend(lines.iter().map(|l| (l.raw().to_vec(), l.text.to_string())));
    Some(out)
}

/// The NDJSON decoder reads the same lines whatever the chunking, and they hold the stream.
fn ndjson_split_invariance(body: &[u8], chunk: usize) {
    let whole = ndjson_lines(std::iter::once(body));
    let split = ndjson_lines(body.chunks(chunk));
    assert_eq!(
        whole, split,
        "NDJSON lines depend on the chunking ({chunk})"
    );
    if let Some(lines) = whole {
        let raw: Vec<u8> = lines.iter().flat_map(|l| l.0.iter().copied()).collect();
        assert_eq!(raw, body, "NDJSON lines do not hold the stream's bytes");
    }
}

/// Every type pseudonymised on requests, nothing redacted on responses: the round trip alone.
fn pseudonym_config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        config::load(
            br#"{"policies":{"default":{
                "request":{"injection":{"action":"off"},
                  "secrets":{"action":"redact","strategy":"pseudonym"},
                  "pii":{"action":"redact","strategy":"pseudonym"}},
                "response":{"secrets":{"action":"off"},"pii":{"action":"off"}}}}}"#,
        )
        .expect("pseudonym fuzz config")
    })
}

/// Pseudonym round trip: whatever a user writes, the text the provider receives holds none
/// of the pseudonymised values, and a reply repeating that text verbatim is restored to
/// exactly what the user wrote (unless the user typed a placeholder the request assigned).
pub fn pseudonyms(data: &[u8]) {
    pseudonym_round_trip(data);
}

/// The round trip of `pseudonyms`; returns how many values were pseudonymised.
pub fn pseudonym_round_trip(data: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(data) else {
        return 0;
    };
    let policy = &pseudonym_config().policies[0];
    let body = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": text}]})
        .to_string();
    let mut exchange = Exchange::default();
    let verdict = inspect_request_with(
        policy,
        "/v1/chat/completions",
        body.as_bytes(),
        &mut exchange,
    )
    .verdict;
    let sent = match &verdict {
        Verdict::Rewrite(out) => {
            let v: serde_json::Value = serde_json::from_str(out).expect("rewrite is JSON");
            v["messages"][0]["content"]
                .as_str()
                .expect("content")
                .to_string()
        }
        Verdict::Continue => text.to_string(),
        Verdict::Block(_) => return 0,
    };
    if exchange.pseudonyms.is_empty() {
        assert_eq!(sent, text, "nothing pseudonymised, nothing changed");
        return 0;
    }
    let placeholders = exchange.pseudonyms.find(text);
    if !placeholders.is_empty() {
        return 0; // the user typed one of this request's placeholders: ambiguous by design
    }
    let reply = serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": sent}}]})
        .to_string();
    let back =
        inspect_response_with(policy, Some(Api::OpenAiChat), reply.as_bytes(), &exchange).verdict;
    let restored = match &back {
        Verdict::Rewrite(out) => {
            let v: serde_json::Value = serde_json::from_str(out).expect("rewrite is JSON");
            v["choices"][0]["message"]["content"]
                .as_str()
                .expect("content")
                .to_string()
        }
        other => panic!("a reply with placeholders must be rewritten, got {other:?}"),
    };
    assert_eq!(restored, text, "pseudonym round trip");
    exchange.pseudonyms.len()
}
