//! What the engine did and why, for stats, audit lines and `llm-warden check`.
//!
//! A report holds rule ids, entity types, JSON locations and byte offsets — never text. That
//! is what makes it safe to log.

use crate::dialect::Api;
use crate::entity::EntityType;
use crate::json::ParseError;
use serde_json::{json, Value};

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
        let mut counts: Vec<(EntityType, &str, usize)> = Vec::new();
        for e in &self.entities {
            match counts.iter_mut().find(|(t, _, _)| *t == e.entity) {
                Some((_, _, n)) => *n += 1,
                None => counts.push((e.entity, &e.name, 1)),
            }
        }
        counts.sort();
        counts.into_iter().map(|(_, name, n)| (name, n)).collect()
    }

    /// The report as JSON (no text, no values). `context` adds request id, route, etc.
    pub fn to_json(&self, context: &[(&str, &str)]) -> Value {
        let mut v = json!({
            "direction": self.direction.name(),
            "policy": self.policy,
            "mode": if self.monitor { "monitor" } else { "enforce" },
            "api": self.api.map(Api::name),
            "action": self.outcome.name(),
            "rules": self.rules,
            "entities": self.entity_counts().iter().map(|(t, n)| json!({"type": t, "count": n})).collect::<Vec<_>>(),
            "findings": self.entities.iter().map(|e| json!({
                "type": e.name, "action": e.action, "location": e.location, "start": e.start, "end": e.end,
            })).collect::<Vec<_>>(),
        });
        if let Some(obj) = v.as_object_mut() {
            if let Outcome::PassedThrough(reason) = &self.outcome {
                obj.insert("reason".into(), json!(reason.name()));
                if let PassReason::Malformed(e) = reason {
                    obj.insert("error_offset".into(), json!(e.offset));
                }
            }
            if let Some(score) = self.injection_score {
                obj.insert(
                    "injection_score".into(),
                    json!((f64::from(score) * 1000.0).round() / 1000.0),
                );
            }
            for (k, val) in context {
                obj.insert((*k).to_string(), json!(val));
            }
        }
        v
    }
}
