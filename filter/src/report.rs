//! What the engine did and why, for stats, audit lines and `llm-warden check`.
//!
//! A report holds rule ids, entity types, JSON locations and byte offsets — never text. That
//! is what makes it safe to log.

use crate::dialect::Api;
use crate::entity::EntityType;
use crate::json::ParseError;
use crate::json::{self, ObjectWriter};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// Why a body was forwarded without being inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassReason {
    /// Not UTF-8 text.
    NotUtf8,
    /// Not a JSON document.
    Malformed(ParseError),
    /// JSON, but no API the engine understands.
    UnknownApi,
    /// Larger than the policy's limit.
    Oversize,
    /// Content-encoded (compressed).
    Compressed,
    /// The stream ended before the body was complete (client disconnect, upstream reset).
    Truncated,
}

impl PassReason {
    pub fn name(&self) -> &'static str {
        match self {
            PassReason::NotUtf8 => "not_utf8",
            PassReason::Malformed(_) => "malformed_json",
            PassReason::UnknownApi => "unknown_api",
            PassReason::Oversize => "oversize",
            PassReason::Compressed => "compressed",
            PassReason::Truncated => "truncated",
        }
    }
}

/// The action the engine took (or, in monitor mode, would have taken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Inspected; nothing to do.
    Allowed,
    /// A detector whose action is `monitor` fired; nothing was changed.
    Monitored,
    Blocked,
    Redacted,
    /// Forwarded uninspected.
    PassedThrough(PassReason),
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Allowed => "allow",
            Outcome::Monitored => "monitor",
            Outcome::Blocked => "block",
            Outcome::Redacted => "redact",
            Outcome::PassedThrough(_) => "pass_through",
        }
    }
}

/// One entity finding, located but not quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityReport {
    pub entity: EntityType,
    /// The type's name (a custom detector's own name for `EntityType::Custom`).
    pub name: String,
    /// The action configured for the type (`redact`, `block`, `monitor`).
    pub action: &'static str,
    /// JSON location of the string, e.g. `messages[1].content`.
    pub location: String,
    /// Byte range within that string's decoded text.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub direction: Direction,
    pub policy: String,
    /// Whether the policy runs in monitor mode (the outcome is then what *would* happen).
    pub monitor: bool,
    pub api: Option<Api>,
    pub outcome: Outcome,
    /// Every rule that fired: injection signals, deny patterns, `entity.<TYPE>` for blocks.
    pub rules: Vec<String>,
    /// Prompt screening fired (injection score at or over the threshold, or a deny pattern
    /// matched), whatever the configured action.
    pub flagged: bool,
    pub injection_score: Option<f32>,
    pub entities: Vec<EntityReport>,
}

impl Report {
    pub fn new(direction: Direction, policy: &str, monitor: bool) -> Report {
        Report {
            direction,
            policy: policy.to_string(),
            monitor,
            api: None,
            outcome: Outcome::Allowed,
            rules: Vec::new(),
            flagged: false,
            injection_score: None,
            entities: Vec::new(),
        }
    }

    /// Entity type names with their counts, in type order.
    pub fn entity_counts(&self) -> Vec<(&str, usize)> {
        // Kept in order as they are counted: a handful of types, and no sort to compile.
        let mut counts: Vec<(EntityType, &str, usize)> = Vec::new();
        for e in &self.entities {
            match counts.iter().position(|(t, _, _)| *t >= e.entity) {
                Some(i) => match counts.get_mut(i) {
                    Some((t, _, n)) if *t == e.entity => *n += 1,
                    _ => counts.insert(i, (e.entity, &e.name, 1)),
                },
                None => counts.push((e.entity, &e.name, 1)),
            }
        }
        counts.into_iter().map(|(_, name, n)| (name, n)).collect()
    }

    /// The report as one line of JSON (no text, no values), members sorted by name. `context`
    /// adds request id, route, etc. Written directly: this runs for every logged decision.
    pub fn audit_line(&self, context: &[(&str, &str)]) -> String {
        let entities = self.entity_counts().into_iter().map(|(t, n)| {
            ObjectWriter::new()
                .raw("count", &n.to_string())
                .string("type", t)
                .finish()
        });
        let findings = self.entities.iter().map(|e| {
            ObjectWriter::new()
                .string("action", e.action)
                .raw("end", &e.end.to_string())
                .string("location", &e.location)
                .raw("start", &e.start.to_string())
                .string("type", &e.name)
                .finish()
        });
        let mut members: Vec<(&str, String)> = vec![
            ("action", json::string(self.outcome.name())),
            (
                "api",
                self.api.map_or("null".into(), |a| json::string(a.name())),
            ),
            ("direction", json::string(self.direction.name())),
            ("entities", json::array(entities)),
            ("findings", json::array(findings)),
            (
                "mode",
                json::string(if self.monitor { "monitor" } else { "enforce" }),
            ),
            ("policy", json::string(&self.policy)),
            (
                "rules",
                json::array(self.rules.iter().map(|r| json::string(r))),
            ),
        ];
        let mut optional: Vec<(&str, String)> = Vec::new();
        if let Outcome::PassedThrough(reason) = &self.outcome {
            optional.push(("reason", json::string(reason.name())));
            if let PassReason::Malformed(e) = reason {
                optional.push(("error_offset", e.offset.to_string()));
            }
        }
        if let Some(score) = self.injection_score {
            optional.push(("injection_score", score_json(score)));
        }
        optional.extend(context.iter().map(|(k, v)| (*k, json::string(v))));
        for (key, value) in optional {
            match members.iter().position(|(k, _)| *k >= key) {
                Some(i) => match members.get_mut(i) {
                    Some((k, v)) if *k == key => *v = value,
                    _ => members.insert(i, (key, value)),
                },
                None => members.push((key, value)),
            }
        }
        let mut w = ObjectWriter::new();
        for (key, value) in &members {
            w.raw(key, value);
        }
        w.finish()
    }

    /// The audit line as a `serde_json::Value`, for the CLI and tests.
    pub fn to_json(&self, context: &[(&str, &str)]) -> Value {
        serde_json::from_str(&self.audit_line(context)).unwrap_or(Value::Null)
    }
}

/// An injection score rounded to three decimals, as JSON (`0.0`, `0.5`, `0.873`): the digits
/// serde_json printed for the rounded `f64`, without float formatting code.
fn score_json(score: f32) -> String {
    let milli = (f64::from(score) * 1000.0).round();
    if !milli.is_finite() {
        return "null".to_string();
    }
    let sign = if milli < 0.0 { "-" } else { "" };
    // Scores are in [0, 1]; the cast saturates on anything absurd.
    let milli = milli.abs() as u64;
    let fraction = format!("{:03}", milli % 1000);
    let fraction = fraction.trim_end_matches('0');
    format!(
        "{sign}{}.{}",
        milli / 1000,
        if fraction.is_empty() { "0" } else { fraction }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{ParseError, ParseErrorKind};
    use serde_json::json;

    fn finding(entity: EntityType, name: &str, start: usize) -> EntityReport {
        EntityReport {
            entity,
            name: name.to_string(),
            action: "redact",
            location: "messages[0].content".to_string(),
            start,
            end: start + 5,
        }
    }

    /// The audit line is byte for byte what the serde_json tree it replaced printed (sorted
    /// keys, context keys among them, optional members only when set).
    #[test]
    fn audit_lines_match_the_sorted_serde_form() {
        let mut full = Report::new(Direction::Response, "strict \"p\"", true);
        full.api = Some(Api::OpenAiChat);
        full.outcome = Outcome::Redacted;
        full.rules = vec!["entity.EMAIL".into(), "deny[0]".into()];
        full.injection_score = Some(0.873_4);
        full.entities = vec![
            finding(EntityType::Phone, "PHONE", 9),
            finding(EntityType::Email, "EMAIL", 1),
            finding(EntityType::Phone, "PHONE", 20),
        ];
        let mut passed = Report::new(Direction::Request, "default", false);
        passed.outcome = Outcome::PassedThrough(PassReason::Malformed(ParseError {
            offset: 17,
            kind: ParseErrorKind::UnexpectedEnd,
        }));
        type Context<'a> = &'a [(&'a str, &'a str)];
        let cases: Vec<(&str, &Report, Context<'_>, serde_json::Value)> = vec![
            (
                "every member",
                &full,
                &[("request_id", "r-1"), ("route", "chat\n")],
                json!({
                    "direction": "response", "policy": "strict \"p\"", "mode": "monitor",
                    "api": "openai.chat", "action": "redact",
                    "rules": ["entity.EMAIL", "deny[0]"],
                    "entities": [{"type": "EMAIL", "count": 1}, {"type": "PHONE", "count": 2}],
                    "findings": [
                        {"type": "PHONE", "action": "redact", "location": "messages[0].content", "start": 9, "end": 14},
                        {"type": "EMAIL", "action": "redact", "location": "messages[0].content", "start": 1, "end": 6},
                        {"type": "PHONE", "action": "redact", "location": "messages[0].content", "start": 20, "end": 25},
                    ],
                    "injection_score": 0.873, "request_id": "r-1", "route": "chat\n",
                }),
            ),
            (
                "pass-through",
                &passed,
                &[
                    ("aaa", "first"),
                    ("zzz", "last"),
                    ("policy", "context wins"),
                ],
                json!({
                    "direction": "request", "policy": "context wins", "mode": "enforce",
                    "api": null, "action": "pass_through", "rules": [], "entities": [],
                    "findings": [], "reason": "malformed_json", "error_offset": 17,
                    "aaa": "first", "zzz": "last",
                }),
            ),
        ];
        for (name, report, context, want) in cases {
            assert_eq!(report.audit_line(context), want.to_string(), "case {name}");
            assert_eq!(report.to_json(context), want, "case {name}");
        }
    }

    #[test]
    fn scores_print_as_serde_json_printed_them() {
        for score in [0.0f32, 0.5, 1.0, 0.05, 0.873_4, 0.999_6, 0.000_4, 0.1, 0.35] {
            let rounded = (f64::from(score) * 1000.0).round() / 1000.0;
            assert_eq!(
                score_json(score),
                json!(rounded).to_string(),
                "score {score}"
            );
        }
        assert_eq!(score_json(f32::NAN), "null");
    }
}
