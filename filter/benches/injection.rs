//! Criterion benchmark for the injection screen: one prompt of 1, 4, 16 and 64 KiB (a mix of
//! prose, code and a base64 blob, like a real chat request with a pasted document), plus the
//! adversarial shapes (1 MiB of zero-width characters, 1 MiB of base64).
//!
//! `cargo bench -p llm-warden --bench injection`
use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use llm_warden::detect::injection::InjectionScreen;

const CHUNK: &str = "Please summarise the following report for the leadership team and list \
the three most important risks. The quarterly revenue grew by 4.2% while operating costs fell; \
the new warehouse in Rotterdam opened on time. fn total(xs: &[u32]) -> u32 { xs.iter().sum() } \
Attachment: aGVsbG8gd29ybGQsIHRoaXMgaXMgYSBiZW5pZ24gYXR0YWNobWVudA== — thanks, Dana.\n";

fn prompt(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + CHUNK.len());
    while s.len() < bytes {
        s.push_str(CHUNK);
    }
    let mut end = bytes.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

fn bench(c: &mut Criterion) {
    let screen = match InjectionScreen::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("screen: {e}");
            return;
        }
    };
    let mut group = c.benchmark_group("injection/screen");
    for kib in [1usize, 4, 16, 64] {
        let text = prompt(kib * 1024);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{kib}KiB")),
            &text,
            |b, t| b.iter(|| screen.screen(black_box(&[t.as_str()]))),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("injection/adversarial");
    group.sample_size(10);
    let zero_width = "\u{200B}".repeat((1 << 20) / 3);
    let b64 = "QUJDRGFiY2Q".repeat((1 << 20) / 11);
    for (name, text) in [("zero-width-1MiB", zero_width), ("base64-1MiB", b64)] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| screen.screen(black_box(&[text.as_str()])))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

/// `INJECTION_PROFILE=<KiB>` screens one bench prompt of that size 20 times and exits, without
/// criterion's timing loop: a steady workload for `valgrind --tool=callgrind`, whose instruction
/// counts compare variants reliably on a busy machine where wall-clock figures do not.
/// `INJECTION_PROFILE=zw:<KiB>` does the same with zero-width characters.
fn main() {
    if let Ok(spec) = std::env::var("INJECTION_PROFILE") {
        let (zero_width, kib) = match spec.strip_prefix("zw:") {
            Some(k) => (true, k),
            None => (false, spec.as_str()),
        };
        let (Ok(screen), Ok(kib)) = (InjectionScreen::new(), kib.parse::<usize>()) else {
            return;
        };
        let text = if zero_width {
            "\u{200B}".repeat(kib * 1024 / 3)
        } else {
            prompt(kib * 1024)
        };
        let mut total = 0.0f32;
        for _ in 0..20 {
            total += screen.screen(black_box(&[text.as_str()])).score;
        }
        println!("{kib} KiB x 20, score sum {total}");
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
