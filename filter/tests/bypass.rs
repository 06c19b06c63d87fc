//! The bypass suite (issue #9): evasions of every detector, through the public engine and
//! stream APIs, as a client or a provider would send them.
//!
//! The cases are data (`testdata/bypass/cases.jsonl`, written by `gen.py` there); the policies
//! they run under are `testdata/bypass/policies.json`. Each case is either caught, or listed in
//! `testdata/bypass/known-gaps.jsonl` with a reason. The test fails both ways:
//! - a case that is not listed and is missed (a new bypass, or a regression);
//! - a listed case that is now caught (delete it from the ledger: the ledger only shrinks).
//!
//! What "caught" means depends on the detector:
//! - `injection`: the request is blocked and an `injection.*` rule fired;
//! - `deny`: the request is blocked by `denyPatterns[0]`;
//! - a type name (`EMAIL`, `AWS_ACCESS_KEY_ID`, …): a finding of that type is reported for the
//!   body, and for streams also no client-side text stream still contains the plain value;
//! - `tools`: the request (or buffered response) is blocked by a `tools.*` rule, or the stream
//!   is stopped.
//!
//! Transport-level evasions (content types, HTTP/2, chunked and compressed bodies, chunking
//! through Envoy) are in `tests/e2e/test_bypass.py`.

// A test harness over fixed fixtures: a malformed fixture must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use llm_warden::config;
use llm_warden::dialect::Api;
use llm_warden::engine::{inspect_request, inspect_response, stream_rewriter, Decision, Exchange};
use llm_warden::policy::Policy;
use llm_warden::stream::StreamApi;
use llm_warden::verdict::Verdict;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/bypass")
}

fn read(name: &str) -> String {
    let path = dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[derive(Debug)]
struct Case {
    name: String,
    technique: String,
    detector: String,
    side: String,
    policy: String,
    path: String,
    body: String,
    chunks: Vec<String>,
    value: Option<String>,
}

fn cases() -> Vec<Case> {
    read("cases.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let mut body = s("body");
            // `pad: [text, times]` stands for a long filler at `@PAD@` (keeps the file small).
            if let Some(pad) = v["pad"].as_array() {
                let filler = pad[0]
                    .as_str()
                    .unwrap()
                    .repeat(pad[1].as_u64().unwrap() as usize);
                body = body.replace("@PAD@", &filler);
            }
            Case {
                name: s("name"),
                technique: s("technique"),
                detector: s("detector"),
                side: s("side"),
                policy: s("policy"),
                path: s("path"),
                body,
                chunks: v["chunks"]
                    .as_array()
                    .map(|a| a.iter().map(|c| c.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                value: v["value"].as_str().map(String::from),
            }
        })
        .collect()
}

/// The ledger: `{"cases": [names], "reason": "...", "fix": "..."}` per line, grouped by reason.
fn ledger() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in read("known-gaps.jsonl").lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).unwrap();
        let reason = v["reason"].as_str().unwrap_or_default().to_string();
        assert!(!reason.is_empty(), "ledger entry without a reason: {line}");
        for name in v["cases"].as_array().unwrap() {
            let name = name.as_str().unwrap().to_string();
            assert!(
                out.insert(name.clone(), reason.clone()).is_none(),
                "{name} is listed twice in known-gaps.jsonl"
            );
        }
    }
    out
}

fn policies() -> BTreeMap<String, Policy> {
    let all: BTreeMap<String, Value> = serde_json::from_str(&read("policies.json")).unwrap();
    all.into_iter()
        .map(|(name, cfg)| {
            let config = config::load(cfg.to_string().as_bytes())
                .unwrap_or_else(|e| panic!("policy {name}: {e}"));
            (name, config.policy("default").unwrap().clone())
        })
        .collect()
}

/// What the run saw, for the failure message.
struct Outcome {
    caught: bool,
    seen: String,
}

fn blocked_by(d: &Decision, rule: impl Fn(&str) -> bool) -> bool {
    matches!(d.verdict, Verdict::Block(_)) && d.report.rules.iter().any(|r| rule(r))
}

fn describe(d: &Decision) -> String {
    let verdict = match &d.verdict {
        Verdict::Continue => "continue".to_string(),
        Verdict::Block(b) => format!("block {}", b.status),
        Verdict::Rewrite(_) => "rewrite".to_string(),
    };
    let entities: BTreeSet<_> = d.report.entities.iter().map(|e| e.entity.name()).collect();
    format!(
        "{verdict}, outcome {:?}, score {:?}, rules {:?}, entities {entities:?}",
        d.report.outcome, d.report.injection_score, d.report.rules
    )
}

fn judge(case: &Case, d: &Decision) -> Outcome {
    let caught = match case.detector.as_str() {
        "injection" => blocked_by(d, |r| r.starts_with("injection.")),
        "deny" => blocked_by(d, |r| r == "denyPatterns[0]"),
        "tools" => blocked_by(d, |r| r.starts_with("tools.")),
        entity => d.report.entities.iter().any(|e| e.entity.name() == entity),
    };
    Outcome {
        caught,
        seen: describe(d),
    }
}

fn run(case: &Case, policy: &Policy) -> Outcome {
    match case.side.as_str() {
        "request" => judge(
            case,
            &inspect_request(policy, &case.path, case.body.as_bytes()),
        ),
        "response" => {
            let api = Api::from_path(&case.path);
            judge(case, &inspect_response(policy, api, case.body.as_bytes()))
        }
        "stream" => run_stream(case, policy),
        other => panic!("{}: unknown side {other}", case.name),
    }
}

/// Streams the chunks through the rewriter the glue builds for this policy's responses.
fn run_stream(case: &Case, policy: &Policy) -> Outcome {
    let api = StreamApi::from_path(&case.path).unwrap();
    let mut rw = stream_rewriter(policy, api, &Exchange::default()).unwrap();
    let mut out = Vec::new();
    let mut hits = BTreeSet::new();
    let mut error = None;
    for chunk in &case.chunks {
        let o = rw.push(chunk.as_bytes());
        out.extend(o.bytes);
        hits.extend(o.hits.iter().map(|h| h.entity.name()));
        if o.error.is_some() {
            error = o.error;
            break;
        }
    }
    if error.is_none() {
        let o = rw.finish();
        out.extend(o.bytes);
        hits.extend(o.hits.iter().map(|h| h.entity.name()));
        error = o.error;
    }
    let texts = client_texts(&String::from_utf8_lossy(&out));
    let leaked = case
        .value
        .as_ref()
        .is_some_and(|v| texts.values().any(|t| t.contains(v.as_str())));
    let caught = match case.detector.as_str() {
        "tools" => error.is_some(),
        entity => hits.contains(entity) && !leaked,
    };
    Outcome {
        caught,
        seen: format!("hits {hits:?}, error {error:?}, leaked {leaked}, client texts {texts:?}"),
    }
}

/// What an SDK would assemble from the stream: the text of each choice (OpenAI) or content
/// block (Anthropic), keyed by its index.
fn client_texts(stream: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let normalised = stream.replace("\r\n", "\n");
    for block in normalised.split("\n\n") {
        let data: Vec<&str> = block
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        let Ok(v) = serde_json::from_str::<Value>(&data.join("\n")) else {
            continue;
        };
        for choice in v["choices"].as_array().into_iter().flatten() {
            if let Some(t) = choice["delta"]["content"].as_str() {
                let key = format!("choice {}", choice["index"]);
                out.entry(key).or_default().push_str(t);
            }
        }
        if let Some(t) = v["delta"]["text"].as_str() {
            let key = format!("block {}", v["index"]);
            out.entry(key).or_default().push_str(t);
        }
    }
    out
}

#[test]
fn bypass_cases_are_caught_or_ledgered() {
    let cases = cases();
    let gaps = ledger();
    let policies = policies();
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "duplicate case names");
    let mut failures = Vec::new();
    for name in gaps.keys() {
        if !names.contains(name.as_str()) {
            failures.push(format!("ledger lists {name}, which is not a case"));
        }
    }
    // technique -> detector -> (caught, gaps)
    let mut matrix: BTreeMap<&str, BTreeMap<&str, (usize, usize)>> = BTreeMap::new();
    for case in &cases {
        let policy = policies
            .get(&case.policy)
            .unwrap_or_else(|| panic!("{}: unknown policy {}", case.name, case.policy));
        let got = run(case, policy);
        let cell = matrix
            .entry(&case.technique)
            .or_default()
            .entry(&case.detector)
            .or_default();
        if got.caught {
            cell.0 += 1;
        } else {
            cell.1 += 1;
        }
        let listed = gaps.get(&case.name);
        match (got.caught, listed) {
            (true, Some(_)) => failures.push(format!(
                "{} is now caught: remove it from testdata/bypass/known-gaps.jsonl\n  saw: {}",
                case.name, got.seen
            )),
            (false, None) => failures.push(format!(
                "{} ({} vs {}, {}) is missed and not in the ledger\n  saw: {}\n  input: {}",
                case.name,
                case.technique,
                case.detector,
                case.side,
                got.seen,
                preview(case)
            )),
            _ => {}
        }
    }
    if std::env::var_os("BYPASS_MATRIX").is_some() {
        for (technique, row) in &matrix {
            let cells: Vec<String> = row
                .iter()
                .map(|(d, (c, g))| format!("{d} {c}/{}", c + g))
                .collect();
            println!("{technique:24} {}", cells.join(", "));
        }
    }
    assert!(
        failures.is_empty(),
        "{} bypass failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn preview(case: &Case) -> String {
    let text = if case.chunks.is_empty() {
        case.body.clone()
    } else {
        case.chunks.concat()
    };
    let mut p: String = text.chars().take(400).collect();
    if p.len() < text.len() {
        p.push('…');
    }
    format!("{p:?}")
}
