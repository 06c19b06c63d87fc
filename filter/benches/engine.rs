//! The engine around the detectors: JSON parsing and dialect extraction, rewriting, the whole
//! request and response pipelines, and config compilation.
//!   cargo bench -p llm-warden --bench engine

// A benchmark on fixed, known-good inputs: failing fast is the right behaviour here.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use llm_warden::config;
use llm_warden::dialect::{request_segments, Api};
use llm_warden::engine::{inspect_request, inspect_response};
use llm_warden::json::{self, Edit};

const PROSE: &str = "The quarterly planning review covered the migration of the billing service, \
the rollout schedule for the new search index, and the open questions about data retention. ";

fn chat(size: usize) -> String {
    let text: String = PROSE.chars().cycle().take(size).collect();
    serde_json::json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": text}]})
    .to_string()
}

fn completion(size: usize) -> String {
    let text: String = PROSE.chars().cycle().take(size).collect();
    serde_json::json!({"id": "x", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})
    .to_string()
}

fn parse_and_extract(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse+extract");
    for size in [1024, 16 * 1024, 256 * 1024] {
        let body = chat(size);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &body, |b, body| {
            b.iter(|| {
                let doc = json::parse(black_box(body)).unwrap();
                black_box(request_segments(Api::OpenAiChat, &doc).len())
            })
        });
    }
    g.finish();
}

fn rewrite(c: &mut Criterion) {
    let mut g = c.benchmark_group("splice one string");
    for size in [1024, 256 * 1024] {
        let body = chat(size);
        let doc = json::parse(&body).unwrap();
        let seg = request_segments(Api::OpenAiChat, &doc);
        let literal = seg[1].literal.clone();
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &body, |b, body| {
            b.iter(|| {
                black_box(json::splice(
                    body,
                    vec![Edit::string(&literal, "[REDACTED:EMAIL]")],
                ))
            })
        });
    }
    g.finish();
}

fn pipelines(c: &mut Criterion) {
    let cfg = config::load(br#"{"policies":{"default":{"request":{"pii":{"action":"redact"}}}}}"#)
        .unwrap();
    let policy = &cfg.policies[0];
    let mut g = c.benchmark_group("pipeline");
    for size in [1024, 16 * 1024, 256 * 1024] {
        let req = chat(size);
        g.throughput(Throughput::Bytes(req.len() as u64));
        g.bench_with_input(BenchmarkId::new("request", size), &req, |b, req| {
            b.iter(|| {
                black_box(inspect_request(
                    policy,
                    "/v1/chat/completions",
                    req.as_bytes(),
                ))
            })
        });
        let resp = completion(size);
        g.throughput(Throughput::Bytes(resp.len() as u64));
        g.bench_with_input(BenchmarkId::new("response", size), &resp, |b, resp| {
            b.iter(|| {
                black_box(inspect_response(
                    policy,
                    Some(Api::OpenAiChat),
                    resp.as_bytes(),
                ))
            })
        });
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    let example = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/configs/good/routes-and-bases.json"
    ))
    .unwrap();
    c.bench_function("config compile: default", |b| {
        b.iter(|| black_box(config::load(b"").unwrap()))
    });
    c.bench_function("config compile: 4 policies, 3 routes", |b| {
        b.iter(|| black_box(config::load(&example).unwrap()))
    });
}

criterion_group!(benches, parse_and_extract, rewrite, pipelines, compile);

/// `ENGINE_PROFILE=<KiB>` runs the request pipeline (default policy plus PII redaction) 20
/// times on a chat request of that many KiB of prose and exits, without criterion's timing
/// loop: a steady workload for `valgrind --tool=callgrind`, to see where the pipeline's
/// instructions go (parsing, screening, entities). `ENGINE_PROFILE=0` measures the fixed cost
/// (config compile, a 0-byte prompt) to subtract. `PROFILE_REPEAT=<n>` runs it n times instead
/// of 20 (with two counts, `perf stat -e task-clock` gives CPU time per request).
fn main() {
    if let Ok(spec) = std::env::var("ENGINE_PROFILE") {
        let Ok(kib) = spec.parse::<usize>() else {
            eprintln!("ENGINE_PROFILE: expected a size in KiB");
            return;
        };
        let cfg =
            config::load(br#"{"policies":{"default":{"request":{"pii":{"action":"redact"}}}}}"#)
                .unwrap();
        let req = chat(kib * 1024);
        let repeat = std::env::var("PROFILE_REPEAT")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20);
        for _ in 0..repeat {
            black_box(inspect_request(
                &cfg.policies[0],
                "/v1/chat/completions",
                black_box(req.as_bytes()),
            ));
        }
        println!("request {kib} KiB x {repeat}");
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
