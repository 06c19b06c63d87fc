//! Streamed redaction throughput (issue #5): about 1 MiB of streamed text through the
//! rewriter the glue builds, in OpenAI chat chunks, against the same stream through a
//! rewriter with no detector (the decode/re-encode floor).
//!
//! Cases: `prose` is what `scripts/bench.sh` streams (the mock's filler words in 64-character
//! deltas, the mock's chunk envelope, the default policy: nothing to redact), `dense` a text
//! with an address and a key every ten words (a redaction in most deltas). Chunks of 1 MiB are
//! what Envoy hands the filter when the upstream is fast (its read buffer), 16 KiB a smaller
//! read, 256 B about one event per chunk (a slow upstream). Throughput is in bytes of
//! streamed text, the figure issue #5 asks about; the stream's own size is printed per case.
//!
//!   cargo bench -p llm-warden --bench stream
//!
//! One pass of one case, for instruction counts that stay put on a busy machine:
//!
//!   STREAM_BENCH_ONCE=prose/default/16384 valgrind --tool=callgrind \
//!       target/release/deps/stream-<hash>
//!
//! (`<text>/<default|none>/<chunk bytes>`; run it with 1 and 3 passes, `STREAM_BENCH_PASSES`,
//! and take half the difference to leave out the config compile.)

// A benchmark on fixed, known-good inputs: failing fast is the right behaviour here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use llm_warden::detect::Finding;
use llm_warden::engine::{stream_rewriter, Exchange};
use llm_warden::policy::Config;
use llm_warden::stream::redactor::Detector;
use llm_warden::stream::{StreamApi, StreamOptions, StreamRewriter};

/// The mock provider's filler words (`mock/src/controls.rs`), drawn by the same xorshift.
const FILLER: [&str; 48] = [
    "the", "a", "river", "quiet", "morning", "light", "over", "hills", "and", "small", "town",
    "people", "walk", "slowly", "along", "old", "stone", "bridge", "while", "birds", "sing", "in",
    "tall", "green", "trees", "near", "water", "clouds", "drift", "across", "soft", "blue", "sky",
    "children", "play", "by", "garden", "gate", "bakery", "opens", "early", "fresh", "bread",
    "smells", "warm", "market", "square", "fills",
];

const DENSE: [&str; 10] = [
    "The ",
    "quick ",
    "brown ",
    "fox ",
    "mails ",
    "ops@example.com ",
    "about ",
    "AKIAZ7Q3H2LMNP4RSTUV ",
    "and ",
    "jumps. ",
];

const TEXT_BYTES: usize = 1 << 20;
const DELTA: usize = 64;

fn prose() -> String {
    let mut text = String::with_capacity(TEXT_BYTES + 16);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while text.len() < TEXT_BYTES {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(FILLER[(state % FILLER.len() as u64) as usize]);
    }
    text.truncate(TEXT_BYTES);
    text
}

fn dense() -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < TEXT_BYTES {
        text.push_str(DENSE[i % DENSE.len()]);
        i += 7;
    }
    text
}

/// The mock's `chat.completion.chunk` stream of `text` in `DELTA`-byte deltas: role chunk,
/// content chunks, finish chunk, `[DONE]`.
fn stream(text: &str) -> Vec<u8> {
    let head = "data: {\"id\":\"chatcmpl-mock-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":";
    let tail = ",\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    let mut out = String::new();
    out.push_str(head);
    out.push_str("{\"role\":\"assistant\",\"content\":\"\"}");
    out.push_str(tail);
    for piece in text.as_bytes().chunks(DELTA) {
        let piece = std::str::from_utf8(piece).unwrap();
        out.push_str(head);
        out.push_str("{\"content\":");
        out.push_str(&serde_json::to_string(piece).unwrap());
        out.push('}');
        out.push_str(tail);
    }
    out.push_str(head);
    out.push_str("{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n");
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

/// The default policy's stream rewriter, or one with no detector at all.
fn rewriter(config: &Config, policy: &str) -> StreamRewriter {
    match policy {
        "none" => {
            let detector: Box<dyn Detector> = Box::new(|_: &str, _: &mut Vec<Finding>| {});
            StreamRewriter::new(StreamApi::OpenAiChat, StreamOptions::default(), detector)
        }
        _ => stream_rewriter(
            &config.policies[0],
            StreamApi::OpenAiChat,
            &Exchange::default(),
        )
        .expect("the default policy redacts streams"),
    }
}

/// Rewrites the whole stream in `chunk`-byte pieces; returns the bytes written.
fn pass(config: &Config, policy: &str, input: &[u8], chunk: usize) -> usize {
    let mut rw = rewriter(config, policy);
    let mut n = 0;
    for piece in input.chunks(chunk) {
        n += rw.push(black_box(piece)).bytes.len();
    }
    n + rw.finish().bytes.len()
}

fn text(name: &str) -> String {
    match name {
        "dense" => dense(),
        _ => prose(),
    }
}

fn main() {
    let config = llm_warden::config::load(b"{}").unwrap();
    if let Ok(case) = std::env::var("STREAM_BENCH_ONCE") {
        let parts: Vec<&str> = case.split('/').collect();
        let [name, policy, chunk] = parts.as_slice() else {
            panic!("STREAM_BENCH_ONCE={case}: want <text>/<default|none>/<chunk bytes>");
        };
        let passes: usize = std::env::var("STREAM_BENCH_PASSES")
            .ok()
            .map_or(1, |p| p.parse().unwrap());
        let input = stream(&text(name));
        let mut out = 0;
        for _ in 0..passes {
            out += pass(&config, policy, &input, chunk.parse().unwrap());
        }
        println!(
            "{case}: {passes} passes, {} bytes of SSE in, {out} out",
            input.len()
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("stream");
    group.sample_size(10);
    for name in ["prose", "dense"] {
        let text = text(name);
        let input = stream(&text);
        println!(
            "{name}: {} bytes of SSE carrying {} bytes of text",
            input.len(),
            text.len()
        );
        group.throughput(Throughput::Bytes(text.len() as u64));
        for chunk in [1 << 20, 16 * 1024, 256] {
            for policy in ["default", "none"] {
                let id = BenchmarkId::new(format!("{name}/{policy}"), chunk);
                group.bench_with_input(id, &input, |b, input| {
                    b.iter(|| pass(&config, policy, input, chunk))
                });
            }
        }
    }
    group.finish();
    c.final_summary();
}
