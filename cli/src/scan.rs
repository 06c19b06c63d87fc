//! `llm-warden scan`: one verdict line per input line, for the scorers in `../shared/eval/`.
//!
//! Input lines are `{"id", "text", …}` or `{"id", "messages": [{role, content}], …}`. Output
//! lines are `{"id", "flagged", "score", "entities": [{"type", "start", "end"}]}` with Unicode
//! code-point offsets into `text`. `flagged` is the request policy's prompt-screening verdict:
//! the text goes through the same pipeline as a real chat request, as a user message.

use crate::{load_config, Failure, Flags};
use llm_warden::detect::entities::EntityScanner;
use llm_warden::detect::{resolve_overlaps, Finding};
use llm_warden::engine::inspect_request;
use llm_warden::entity::EntityType;
use llm_warden::policy::{Policy, RouteInput};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, BufWriter, Write};

pub fn run(args: &[String]) -> Result<(), Failure> {
    let flags = Flags::parse(args, &["--config", "--input", "--output"])?;
    let config = load_config(flags.get("--config"))?;
    let input = RouteInput {
        path: "/v1/chat/completions",
        method: "POST",
        ..RouteInput::default()
    };
    let policy = config
        .select(&input)
        .ok_or_else(|| Failure::input("the config's policy for chat requests is `none`"))?;
    let scanner = entity_scanner(policy)?;
    let input_path = flags.require("--input")?;
    let input = std::fs::File::open(input_path)
        .map_err(|e| Failure::input(format!("{input_path}: {e}")))?;
    let out: Box<dyn Write> = match flags.get("--output") {
        Some(p) => {
            Box::new(std::fs::File::create(p).map_err(|e| Failure::input(format!("{p}: {e}")))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    for (n, line) in BufReader::new(input).lines().enumerate() {
        let at = format!("{input_path}:{}", n + 1);
        let line = line.map_err(|e| Failure::input(format!("{at}: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Value =
            serde_json::from_str(&line).map_err(|e| Failure::input(format!("{at}: {e}")))?;
        let result =
            scan_item(policy, &scanner, &item).map_err(|e| Failure::input(format!("{at}: {e}")))?;
        writeln!(out, "{result}").map_err(|e| Failure::input(format!("write: {e}")))?;
    }
    out.flush()
        .map_err(|e| Failure::input(format!("write: {e}")))
}

/// Every entity type the policy acts on in either direction: the scan reports what the
/// policy would find, wherever it would find it.
fn entity_scanner(policy: &Policy) -> Result<EntityScanner, Failure> {
    let rules = [&policy.request.entities, &policy.response.entities];
    let types: Vec<EntityType> = EntityType::ALL
        .iter()
        .copied()
        .filter(|t| {
            rules
                .iter()
                .any(|r| r.as_ref().is_some_and(|r| r.action(*t).name() != "off"))
        })
        .collect();
    EntityScanner::new(&types).map_err(|e| Failure::input(format!("entity scanner: {}", e.0)))
}

fn scan_item(policy: &Policy, scanner: &EntityScanner, item: &Value) -> Result<Value, String> {
    let id = item.get("id").cloned().unwrap_or(Value::Null);
    let text = item.get("text").and_then(Value::as_str);
    let messages = match item.get("messages") {
        Some(m @ Value::Array(_)) => m.clone(),
        Some(_) => return Err("`messages` must be an array".into()),
        None => match text {
            Some(t) => json!([{"role": "user", "content": t}]),
            None => return Err("a line needs `text` or `messages`".into()),
        },
    };
    let body = json!({"model": "scan", "messages": messages}).to_string();
    let decision = inspect_request(policy, "/v1/chat/completions", body.as_bytes());
    let entities = match text {
        Some(t) => {
            let mut findings = Vec::new();
            scanner.scan(t, &mut findings);
            custom_findings(policy, t, &mut findings);
            code_point_spans(t, &findings, policy)
        }
        None => Vec::new(),
    };
    Ok(json!({
        "id": id,
        "flagged": decision.report.flagged,
        "score": decision.report.injection_score.map_or(0.0, |s| (f64::from(s) * 1e4).round() / 1e4),
        "rules": decision.report.rules,
        "entities": entities,
    }))
}

/// Adds what the policy's custom detectors find (in either direction) and re-sorts.
fn custom_findings(policy: &Policy, text: &str, findings: &mut Vec<Finding>) {
    let rules = [&policy.request.entities, &policy.response.entities];
    let mut found = false;
    for r in rules.into_iter().flatten() {
        let mut all = Vec::new();
        r.scan(text, &mut all);
        for f in all {
            if matches!(f.entity, EntityType::Custom(_)) && !findings.contains(&f) {
                findings.push(f);
                found = true;
            }
        }
    }
    if found {
        resolve_overlaps(findings);
    }
}

/// A finding's type name (custom detectors by their configured names).
fn type_name(policy: &Policy, entity: EntityType) -> &str {
    [&policy.request.entities, &policy.response.entities]
        .into_iter()
        .flatten()
        .map(|r| r.name(entity))
        .find(|n| *n != "CUSTOM")
        .unwrap_or(entity.name())
}

/// Byte spans → code-point spans (findings are sorted, so one forward walk suffices).
fn code_point_spans(text: &str, findings: &[Finding], policy: &Policy) -> Vec<Value> {
    let mut out = Vec::with_capacity(findings.len());
    let mut chars = 0usize;
    let mut byte = 0usize;
    let mut to_cp = |target: usize| {
        if let Some(slice) = text.get(byte..target) {
            chars += slice.chars().count();
            byte = target;
        }
        chars
    };
    for f in findings {
        let start = to_cp(f.span.start);
        let end = to_cp(f.span.end);
        out.push(json!({"type": type_name(policy, f.entity), "start": start, "end": end}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_code_points() {
        let text = "é😀 ops@example.com";
        let mut findings = Vec::new();
        EntityScanner::new(&[EntityType::Email])
            .unwrap()
            .scan(text, &mut findings);
        let config = llm_warden::config::load(b"").unwrap();
        let spans = code_point_spans(text, &findings, &config.policies[0]);
        assert_eq!(spans, vec![json!({"type": "EMAIL", "start": 3, "end": 18})]);
        let cps: Vec<char> = text.chars().collect();
        assert_eq!(cps[3..18].iter().collect::<String>(), "ops@example.com");
    }
}

#[cfg(test)]
mod custom_tests {
    use super::*;

    #[test]
    fn custom_detectors_are_scanned_and_named() {
        let config = llm_warden::config::load(
            br#"{"policies":{"default":{"detectors":[{"name":"EMP_ID","pattern":"EMP-[0-9]{4}"}],
                "request":{"pii":{"action":"redact","types":["EMP_ID"]}}}}}"#,
        )
        .unwrap();
        let policy = &config.policies[0];
        let Ok(scanner) = entity_scanner(policy) else {
            panic!("scanner")
        };
        let line = scan_item(
            policy,
            &scanner,
            &json!({"id": 1, "text": "badge EMP-1234, mail a@b.io"}),
        )
        .unwrap();
        assert_eq!(
            line["entities"],
            json!([
                {"type": "EMP_ID", "start": 6, "end": 14},
                {"type": "EMAIL", "start": 21, "end": 27}
            ])
        );
    }
}
