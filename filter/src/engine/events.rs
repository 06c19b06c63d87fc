//! Event streams that arrive as a whole body: a stream labelled `application/json` (or
//! buffered for any other reason) is still what the SDKs read as a stream, so it gets the
//! stream rewriter in one pass instead of passing as a malformed JSON body.
//!
//! The same rewriter serves the glue's chunk-by-chunk path ([`stream_rewriter`]), so a body
//! is redacted and checked the same whether it was streamed or buffered.

use super::{decide, Decision, Exchange};
use crate::agency::{argument_texts, Args, ToolCall, ToolRules};
use crate::config::spec::Mode;
use crate::config::spec::{Action, LeakAction};
use crate::dialect::Api;
use crate::json::Edit;
use crate::policy::{EntityRules, Policy};
use crate::redact::{Restorer, RESTORED};
use crate::report::{EntityReport, Outcome, Report};
use crate::stream::redactor::{Detector, FindingAction, MonitorOnly, RedactorOptions, WithCanary};
use crate::stream::{
    ArgumentCheck, ArgumentFinding, Output, StreamApi, StreamError, StreamOptions, StreamRewriter,
    ToolCheck, LEAK_RULE, TOOL_RULE,
};
use crate::verdict::{BlockReason, Verdict};

/// Hold-back window of streamed redaction: the longest match any built-in detector can make
/// plus what it reads after it (the password detector's 256-byte value and its label), with
/// token runs held whole up to 16 KiB on top (see `stream::redactor`).
pub const STREAM_WINDOW: usize = 320;
/// Context before a match that built-in detectors read (`password: `, `aws_secret_access_key = `).
pub const STREAM_LOOKBEHIND: usize = 64;

/// The rewriter for a streamed response of `api` under `policy`: its response entity rules
/// (report-only in monitor mode), the exchange's pseudonyms to restore, the canary to catch
/// and the tool allow-list and argument rules to enforce. `None` when the policy does
/// nothing to streams.
pub fn stream_rewriter(
    policy: &Policy,
    api: StreamApi,
    exchange: &Exchange,
) -> Option<StreamRewriter> {
    let rules = policy.response.entities.clone();
    let pseudonyms = &exchange.pseudonyms;
    let tools = policy.agency.tools.clone();
    let canary = exchange
        .canary
        .clone()
        .filter(|_| policy.agency.wants_canary());
    if rules.is_none() && pseudonyms.is_empty() && tools.is_none() && canary.is_none() {
        return None;
    }
    let private_keys = rules.as_ref().is_some_and(|r| {
        r.action(crate::entity::EntityType::PrivateKey) != crate::config::spec::Action::Off
    });
    // Custom detectors and placeholders may need more hold-back than the built-ins.
    let window = rules
        .as_ref()
        .map_or(0, EntityRules::custom_window)
        .max(pseudonyms.longest())
        .max(STREAM_WINDOW);
    let lookbehind = rules
        .as_ref()
        .map_or(0, EntityRules::custom_lookbehind)
        .max(STREAM_LOOKBEHIND);
    let monitor = policy.mode == Mode::Monitor;
    // Rules are behind an Arc: a clone per stream costs a reference count.
    let mut detector: Box<dyn Detector> = match rules {
        Some(rules) if monitor => Box::new(MonitorOnly(rules)),
        Some(rules) => Box::new(rules),
        None => Box::new(|_: &str, _: &mut Vec<crate::detect::Finding>| {}),
    };
    if !pseudonyms.is_empty() {
        detector = Box::new(Restorer {
            inner: Some(detector),
            pseudonyms: pseudonyms.clone(),
        });
    }
    if let Some(token) = canary {
        // Outermost: the redactor asks the outer detector for the canary.
        detector = Box::new(WithCanary {
            inner: detector,
            token,
            action: match (monitor, policy.agency.leak_action()) {
                (true, _) => FindingAction::Keep,
                (false, LeakAction::Block) => FindingAction::Block,
                (false, LeakAction::Redact) => FindingAction::Redact,
            },
        });
    }
    let options = StreamOptions {
        redactor: RedactorOptions {
            window,
            lookbehind,
            private_keys,
            ..RedactorOptions::default()
        },
        ..StreamOptions::default()
    };
    let mut rewriter = StreamRewriter::new(api, options, detector);
    if let Some(tools) = tools {
        rewriter = rewriter.with_tool_check(ToolCheck {
            arguments: argument_check(policy, &tools),
            allowed: Box::new(move |name| tools.allow.iter().any(|g| g.matches(name))),
            enforce: !monitor,
        });
    }
    Some(rewriter)
}

/// The check of a streamed call's complete arguments: the policy's `tools.arguments`
/// constraints, then its injection screen over the argument strings, as the buffered path
/// applies them (`Agency::check_tool_calls`, `screen_tool_arguments`), one call at a time.
/// `None` when neither applies, so that arguments stream without being held back.
fn argument_check(policy: &Policy, tools: &ToolRules) -> Option<ArgumentCheck> {
    let constraints = tools.arguments.clone();
    let screen = policy
        .request
        .injection
        .as_ref()
        .filter(|_| tools.screen_arguments)
        .map(|rule| {
            (
                rule.screen.clone(),
                rule.threshold,
                rule.action == Action::Block,
            )
        });
    if constraints.is_empty() && screen.is_none() {
        return None;
    }
    Some(Box::new(move |name, parsed| {
        let call = ToolCall {
            name,
            args: Args::Absent,
        };
        if let Some(i) = constraints.iter().position(|c| !c.check(&call, parsed)) {
            return Some(ArgumentFinding {
                rule: format!("tools.arguments[{i}]"),
                blocks: true,
            });
        }
        let (screen, threshold, blocks) = screen.as_ref()?;
        let mut texts = Vec::new();
        argument_texts(parsed?, &mut texts);
        if texts.is_empty() || screen.screen(&texts).score < *threshold {
            return None;
        }
        Some(ArgumentFinding {
            rule: "tools.argumentsInjection".into(),
            blocks: *blocks,
        })
    }))
}

/// Records what a stream rewriter decided in `report`: entity findings (custom types by name),
/// `pseudonyms.restored` for placeholders turned back into values, and the agency rules it
/// applied without ending the stream (canary, monitored tool calls and arguments), each once.
/// Returns whether any agency rule was recorded.
pub fn record_output(policy: &Policy, out: &Output, report: &mut Report) -> bool {
    let names = policy.response.entities.as_ref();
    let add = |rules: &mut Vec<String>, rule: &str| {
        if !rules.iter().any(|r| r == rule) {
            rules.push(rule.to_string());
        }
    };
    for hit in &out.hits {
        if hit.entity == RESTORED {
            add(&mut report.rules, "pseudonyms.restored");
            continue;
        }
        let name = names.map_or(hit.entity.name(), |r| r.name(hit.entity));
        report.entities.push(EntityReport {
            entity: hit.entity,
            name: name.to_string(),
            action: match hit.action {
                FindingAction::Redact => "redact",
                FindingAction::Block => "block",
                FindingAction::Keep => "monitor",
            },
            location: "stream".into(),
            start: 0,
            end: 0,
        });
    }
    let applied = [
        (!out.leaks.is_empty(), LEAK_RULE),
        (out.tools_monitored > 0, TOOL_RULE),
    ];
    let agency: Vec<&str> = applied
        .iter()
        .filter(|(hit, _)| *hit)
        .map(|(_, rule)| *rule)
        .chain(out.arguments_flagged.iter().map(String::as_str))
        .collect();
    for rule in &agency {
        add(&mut report.rules, rule);
    }
    !agency.is_empty()
}

/// The rule a stream error reports: `entity.<TYPE>` (custom types by name), the tool or
/// leak rule, or `stream.<error>`.
pub fn stream_error_rule(policy: &Policy, error: &StreamError) -> String {
    if let StreamError::Blocked { entity } = error {
        let names = policy.response.entities.as_ref();
        return format!(
            "entity.{}",
            names.map_or(entity.name(), |r| r.name(*entity))
        );
    }
    error
        .rule()
        .unwrap_or_else(|| format!("stream.{}", error_rule(error)))
}

/// Whether a body that is not one JSON document reads as an event stream: SSE fields
/// (`data:`, `event:`, `id:`, a `:` comment) or NDJSON (a JSON object per line).
pub fn looks_like_events(body: &str) -> bool {
    let start = body.trim_start();
    ["data:", "event:", "id:", ":"]
        .iter()
        .any(|field| start.starts_with(field))
        || (start.starts_with('{') && start.trim_end().contains('\n'))
}

/// Redacts a whole event-stream body of `api` as the glue would redact it streamed. `None`
/// when the API does not stream in a format the rewriter reads.
pub fn inspect_events(
    policy: &Policy,
    api: Api,
    body: &str,
    exchange: &Exchange,
    mut report: Report,
) -> Option<Decision> {
    let stream_api = StreamApi::from_api(api)?;
    report.api = Some(api);
    let Some(mut rewriter) = stream_rewriter(policy, stream_api, exchange) else {
        report.outcome = Outcome::Allowed;
        return Some(Decision {
            verdict: Verdict::Continue,
            report,
        });
    };
    let mut out = rewriter.push(body.as_bytes());
    if out.error.is_none() {
        out.absorb(rewriter.finish());
    }
    if record_output(policy, &out, &mut report) {
        report.flagged = true;
    }
    let block = out.error.as_ref().map(|error| {
        report.rules.push(stream_error_rule(policy, error));
        match error {
            StreamError::Blocked { .. } => BlockReason::SensitiveData,
            StreamError::ToolNotAllowed | StreamError::ToolArguments { .. } => {
                BlockReason::ToolCallNotAllowed
            }
            StreamError::Leak => BlockReason::SystemPromptLeak,
            _ => BlockReason::ResponseNotInspectable,
        }
    });
    // The rewritten stream replaces the whole body: one edit, decided like any other body.
    let mut block = block;
    let edits: Vec<Edit> = match String::from_utf8(out.bytes) {
        Ok(text) if text != body => vec![Edit {
            span: 0..body.len(),
            replacement: text,
        }],
        Ok(_) => Vec::new(),
        // The rewriter only ever emits what it read or built as UTF-8 text.
        Err(_) => {
            block.get_or_insert(BlockReason::ResponseNotInspectable);
            Vec::new()
        }
    };
    report.flagged |= !out.arguments_flagged.is_empty();
    let rewrote = !edits.is_empty();
    Some(decide(
        policy,
        Some(api),
        body,
        edits,
        rewrote,
        block,
        report,
    ))
}

fn error_rule(error: &StreamError) -> &'static str {
    match error {
        StreamError::Decode(_) => "decode",
        StreamError::TooManyKeys { .. } => "too_many_keys",
        StreamError::Malformed => "malformed",
        StreamError::Blocked { .. }
        | StreamError::ToolNotAllowed
        | StreamError::ToolArguments { .. }
        | StreamError::Leak => "blocked",
    }
}
