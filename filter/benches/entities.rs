//! Throughput of the built-in entity detectors (`EntityScanner`), in MB/s of scanned text.
//!
//! Two deterministic ~1 MiB inputs: sparse English-like prose with a rare entity every few
//! kilobytes (the common case for prompts), and dense log lines where almost every line holds
//! an address, a key or a number. `all/*` scans with every built-in type, `family/*` with one
//! detector family, so a regression can be pinned to its detector.
//!
//! `cargo bench -p llm-warden --bench entities -- --warm-up-time 1 --measurement-time 3`
//!
//! On a shared machine wall-clock figures are noisy, and inside V8 the instruction count is what
//! matters. With `ENTITIES_ONCE=<input>` (`sparse_prose`, `dense_logs` or `both`) the binary
//! scans with every type and exits, for a deterministic count under callgrind (also
//! `adversarial/<name>` for one input of the `adversarial` group);
//! `ENTITIES_REPS=n` scans n times, so the count at 2 minus the count at 1 is the scan alone,
//! without building the inputs and the scanner:
//! `ENTITIES_ONCE=sparse_prose valgrind --tool=callgrind target/release/deps/entities-<hash>`
// A benchmark is test code: a scanner that fails to build should stop it loudly.
#![allow(clippy::unwrap_used)]
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use llm_warden::detect::entities::EntityScanner;
use llm_warden::entity::EntityType as E;
use std::hint::black_box;

const SIZE: usize = 1 << 20;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let n = self.next() % items.len() as u64;
        items.get(n as usize).copied().unwrap_or_default()
    }
}

const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "had",
    "they",
    "you",
    "were",
    "their",
    "one",
    "all",
    "we",
    "can",
    "her",
    "has",
    "there",
    "been",
    "if",
    "more",
    "when",
    "will",
    "would",
    "who",
    "so",
    "no",
    "model",
    "request",
    "customer",
    "password",
    "account",
    "summary",
    "please",
    "explain",
    "function",
    "error",
    "version",
    "server",
    "address",
    "number",
    "report",
    "support",
    "invoice",
    "passing",
    "compass",
    "secretary",
    "session",
    "token",
    "document",
    "network",
    "question",
];

const RARE: &[&str] = &[
    "jane.doe@example.com",
    "+44 20 7946 0958",
    "4111 1111 1111 1111",
    "10.20.30.40",
    "2001:db8::42",
    "DE89 3704 0044 0532 0130 00",
    "AKIAZ7Q3H2LMNP4RSTUV",
    "password: Tr0ub4dor&3",
];

fn sparse_prose() -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = String::with_capacity(SIZE + 256);
    let mut since = 0usize;
    while s.len() < SIZE {
        let w = rng.pick(WORDS);
        s.push_str(w);
        since += w.len() + 1;
        match rng.next() % 16 {
            0 => s.push_str(". "),
            1 => s.push_str(", "),
            2 => s.push_str(" 2024 "),
            _ => s.push(' '),
        }
        if since > 4096 {
            s.push_str(rng.pick(RARE));
            s.push(' ');
            since = 0;
        }
    }
    s
}

fn dense_logs() -> String {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut s = String::with_capacity(SIZE + 512);
    let mut n = 0u64;
    while s.len() < SIZE {
        n += 1;
        let ip = format!(
            "{}.{}.{}.{}",
            rng.next() % 223 + 1,
            rng.next() % 256,
            rng.next() % 256,
            rng.next() % 254 + 1
        );
        let line = match rng.next() % 6 {
            0 => format!(
                "2024-03-04T16:04:{:02}.248Z INFO request_id=3d69c750-01e5-42ee-a303-aa60e4ff8d61 client={ip} user=ops{n}@example.com status=200 bytes={}\n",
                n % 60,
                rng.next() % 100_000
            ),
            1 => format!(
                "{ip} - - [18/Jun/2024:14:{:02}:07 +0000] \"GET /api/v1/orders/{} HTTP/1.1\" 200 1532 \"-\" \"curl/8.5.0\"\n",
                n % 60,
                rng.next() % 1_000_000
            ),
            2 => format!(
                "kernel: IN=eth0 OUT= MAC=62:6f:07:a6:dd:81:00:1a:2b:3c:4d:5e:08:00 SRC={ip} DST=2001:db8::{:x} PROTO=TCP SPT={} DPT=443\n",
                rng.next() % 65_536,
                rng.next() % 65_536
            ),
            3 => format!(
                "WARN payment card=4111-1111-1111-1111 phone=(415) 555-01{:02} iban=GB29NWBK60161331926819 order=112-4829305-{:07}\n",
                n % 100,
                rng.next() % 10_000_000
            ),
            4 => format!(
                "DEBUG env AWS_ACCESS_KEY_ID=AKIAZ7Q3H2LMNP4RSTUV DB_PASSWORD='s3cr3t-{n}' DATABASE_URL=postgres://app:pw{n}@db.internal:5432/prod commit=a6495e2edbaf9b32daa0\n"
            ),
            _ => format!(
                "ERROR auth failed token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ7bn0ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ{n} ts=12:34:56 version 4.2.1.{}\n",
                n % 100
            ),
        };
        s.push_str(&line);
    }
    s
}

fn families() -> Vec<(&'static str, Vec<E>)> {
    vec![
        ("email", vec![E::Email]),
        (
            "digits",
            vec![E::CreditCard, E::UsSsn, E::Phone, E::Iban, E::Ipv4],
        ),
        ("ipv6_mac", vec![E::Ipv6, E::MacAddress]),
        (
            "vendor_tokens",
            E::ALL
                .iter()
                .copied()
                .filter(|t| {
                    !matches!(
                        t,
                        E::Email
                            | E::CreditCard
                            | E::UsSsn
                            | E::Phone
                            | E::Iban
                            | E::Ipv4
                            | E::Ipv6
                            | E::MacAddress
                            | E::Password
                            | E::UrlCredentials
                            | E::Jwt
                            | E::PrivateKey
                    )
                })
                .collect(),
        ),
        ("password", vec![E::Password]),
        (
            "url_jwt_pem",
            vec![E::UrlCredentials, E::Jwt, E::PrivateKey],
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let inputs = [
        ("sparse_prose", sparse_prose()),
        ("dense_logs", dense_logs()),
    ];
    let all = EntityScanner::new(E::ALL).unwrap();
    let mut group = c.benchmark_group("all");
    for (name, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            let mut out = Vec::new();
            b.iter(|| {
                out.clear();
                all.scan(black_box(text), &mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("family");
    for (family, types) in families() {
        let scanner = EntityScanner::new(&types).unwrap();
        for (name, text) in &inputs {
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(BenchmarkId::new(family, name), text, |b, text| {
                let mut out = Vec::new();
                b.iter(|| {
                    out.clear();
                    scanner.scan(black_box(text), &mut out);
                    black_box(out.len())
                })
            });
        }
    }
    group.finish();

    // Hostile input: 1 MiB of one repeated trigger. Throughput close to the prose figures
    // shows the scan stays linear (the claim `tests.rs` used to time).
    let mut group = c.benchmark_group("adversarial");
    group.sample_size(10);
    for (name, unit) in ADVERSARIAL {
        let text = adversarial(unit);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            let mut out = Vec::new();
            b.iter(|| {
                out.clear();
                all.scan(black_box(text), &mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();
}

/// Hostile inputs, each 1 MiB of one repeated trigger: (name, unit).
const ADVERSARIAL: &[(&str, &str)] = &[
    ("digits", "7"),
    ("colons", ":"),
    ("at_signs", "@"),
    ("url_userinfo", "a://b:c@"),
    ("begin_markers", "-----BEGIN RSA PRIVATE KEY-----"),
    ("password_labels", "password "),
];

fn adversarial(unit: &str) -> String {
    unit.repeat((1 << 20) / unit.len())
}

/// One scan of the chosen inputs with every type, outside criterion (see the module docs).
fn once(which: &str) {
    let reps: usize = std::env::var("ENTITIES_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let all = EntityScanner::new(E::ALL).unwrap();
    let mut out = Vec::new();
    let inputs = [
        ("sparse_prose", sparse_prose as fn() -> String),
        ("dense_logs", dense_logs),
    ];
    let named = inputs
        .into_iter()
        .filter(|(name, _)| which == *name || which == "both")
        .map(|(name, make)| (name, make()));
    let hostile = ADVERSARIAL
        .iter()
        .filter(|(name, _)| which == format!("adversarial/{name}"))
        .map(|(name, unit)| (*name, adversarial(unit)));
    for (name, text) in named.chain(hostile) {
        for _ in 0..reps {
            out.clear();
            all.scan(black_box(&text), &mut out);
        }
        println!("{name}: {} bytes, {} findings", text.len(), out.len());
    }
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var("ENTITIES_ONCE") {
        Ok(which) => once(&which),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
