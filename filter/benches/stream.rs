//! Streamed redaction throughput: a 1 MiB OpenAI chat stream through `StreamRewriter`, with
//! every entity detector and with none (the decode/re-encode floor), at two delta sizes.
//! Throughput is in bytes of streamed text (the deltas), the figure issue #5 asks about; the
//! stream's own size is printed once per case.
//!   cargo bench -p llm-warden --bench stream

// A benchmark on fixed, known-good inputs: failing fast is the right behaviour here.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use llm_warden::detect::entities::EntityScanner;
use llm_warden::detect::Finding;
use llm_warden::entity::EntityType;
use llm_warden::stream::redactor::Detector;
use llm_warden::stream::{StreamApi, StreamOptions, StreamRewriter};

const WORDS: [&str; 10] = [
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

/// About 1 MiB of SSE: chat chunks whose deltas are `delta` bytes of English-like text; and
/// the bytes of text in it.
fn stream(delta: usize) -> (Vec<u8>, usize) {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 1 << 20 {
        text.push_str(WORDS[i % WORDS.len()]);
        i += 7;
    }
    let mut out = Vec::new();
    let mut text_bytes = 0;
    for piece in text.as_bytes().chunks(delta) {
        let piece = String::from_utf8_lossy(piece);
        text_bytes += piece.len();
        out.extend_from_slice(
            format!(
                "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{}}},\"finish_reason\":null}}]}}\n\n",
                serde_json::to_string(&piece).unwrap()
            )
            .as_bytes(),
        );
        if out.len() >= 1 << 20 {
            break;
        }
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    (out, text_bytes)
}

fn bench(c: &mut Criterion) {
    let scanner = EntityScanner::new(EntityType::ALL).unwrap();
    let mut group = c.benchmark_group("stream");
    group.sample_size(10);
    for delta in [8usize, 64] {
        let (input, text_bytes) = stream(delta);
        println!(
            "delta {delta}: {} bytes of SSE carrying {text_bytes} bytes of text",
            input.len()
        );
        group.throughput(Throughput::Bytes(text_bytes as u64));
        for name in ["no_detector", "all_types"] {
            group.bench_with_input(BenchmarkId::new(name, delta), &input, |b, input| {
                b.iter(|| {
                    let detector: Box<dyn Detector> = if name == "no_detector" {
                        Box::new(|_: &str, _: &mut Vec<Finding>| {})
                    } else {
                        Box::new(scanner.clone())
                    };
                    let mut rw = StreamRewriter::new(
                        StreamApi::OpenAiChat,
                        StreamOptions::default(),
                        detector,
                    );
                    let mut n = 0;
                    for chunk in input.chunks(16 * 1024) {
                        n += rw.push(black_box(chunk)).bytes.len();
                    }
                    n + rw.finish().bytes.len()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
