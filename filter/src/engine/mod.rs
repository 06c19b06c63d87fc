//! The request and response pipelines: body in, decision out. Pure Rust, no host calls, so
//! every path is testable natively and the glue is a `match` on the result.

use crate::agency::{Leak, Violation};
use crate::config::spec::{Action, LeakAction, Mode, OnError};
use crate::detect::injection::{folded_forms, Category};
use crate::detect::Finding;
use crate::dialect::{request_segments, response_segments, Api, Role, Segment};
use crate::json::{self, Edit};
use crate::policy::{EntityRules, Policy};
use crate::redact::Pseudonyms;
use crate::report::{Direction, EntityReport, Outcome, PassReason, Report};
use crate::verdict::{block_reply, BlockReason, Verdict};

/// The engine's answer for one body.
#[derive(Debug, Clone)]
pub struct Decision {
    pub verdict: Verdict,
    pub report: Report,
}

/// Roles whose text is screened for injection and deny patterns: what users and tools supply.
/// System prompts are the application's own; assistant turns are the model's.
fn screened(role: Role) -> bool {
    matches!(role, Role::User | Role::Tool | Role::Other)
}

/// What one exchange carries from its request to its response: the system-prompt canary the
/// request got (the glue makes one random token per request when the policy watches for
/// leaks) and the pseudonyms its values became (restored in the response).
#[derive(Debug, Default, Clone)]
pub struct Exchange {
    pub canary: Option<String>,
    pub pseudonyms: Pseudonyms,
}

/// Inspects a complete request body. `path` is the request path (API detection).
pub fn inspect_request(policy: &Policy, path: &str, body: &[u8]) -> Decision {
    inspect_request_with(policy, path, body, &mut Exchange::default())
}

/// As `inspect_request`, inserting the exchange's canary into the system prompt when the
/// policy watches for system-prompt leaks, and recording the pseudonyms it assigns.
pub fn inspect_request_with(
    policy: &Policy,
    path: &str,
    body: &[u8],
    exchange: &mut Exchange,
) -> Decision {
    let canary = exchange.canary.as_deref();
    let mut report = Report::new(
        Direction::Request,
        &policy.name,
        policy.mode == Mode::Monitor,
    );
    let (text, doc) = match parse_body(body) {
        Ok(parsed) => parsed,
        Err(reason) => {
            let api = Api::from_path(path);
            if let (None, true, Ok(plain)) =
                (api, policy.inspect_unknown, std::str::from_utf8(body))
            {
                return inspect_plain(policy, plain, report);
            }
            // Only bodies on a known LLM API path count as malformed; elsewhere JSON is not
            // expected and the body passes as unknown traffic.
            let on_error = match api {
                Some(_) => policy.on_body_error.malformed_request,
                None => OnError::Pass,
            };
            return body_error(
                policy,
                report,
                api,
                reason,
                on_error,
                BlockReason::MalformedBody,
            );
        }
    };
    let known = Api::from_path(path).or_else(|| Api::from_request_body(&doc));
    let Some(api) = known.or(policy.inspect_unknown.then_some(Api::GenericJson)) else {
        return pass_through(report, PassReason::UnknownApi);
    };
    report.api = Some(api);
    let segments = request_segments(api, &doc);
    let mut block: Option<BlockReason> = None;

    screen_request(policy, &segments, &mut report, &mut block);

    // Pseudonyms only stand in the request when it goes out rewritten (not in monitor mode).
    let pseudonyms = (policy.mode == Mode::Enforce).then_some(&mut exchange.pseudonyms);
    let redacted = match &policy.request.entities {
        Some(rules) => redact_entities(rules, &segments, &mut report, &mut block, pseudonyms),
        None => Vec::new(),
    };
    let mut edits = string_edits(&segments, redacted);
    let mut rewrote = !edits.is_empty();

    let checks = policy.agency.check_request(api, path, text, &doc);
    match checks.violation {
        Some(Violation::Budget(rule)) => {
            report.rules.push(rule);
            block.get_or_insert(BlockReason::BudgetExceeded);
        }
        Some(Violation::Policy(rule)) => {
            let reason = if rule.starts_with("models.") {
                BlockReason::ModelNotAllowed
            } else {
                BlockReason::ToolNotAllowed
            };
            report.rules.push(rule);
            block.get_or_insert(reason);
        }
        None => {}
    }
    rewrote |= !checks.edits.is_empty();
    report
        .rules
        .extend(checks.applied.iter().map(|r| r.to_string()));
    edits.extend(checks.edits);
    if let Some(token) = canary {
        // Not a change worth reporting on its own: every request under the policy gets one.
        policy
            .agency
            .insert_canary(api, text, &doc, token, &mut edits);
    }
    decide(policy, Some(api), text, edits, rewrote, block, report)
}

/// Inspects a complete, non-streamed response body for the API the request spoke.
pub fn inspect_response(policy: &Policy, api: Option<Api>, body: &[u8]) -> Decision {
    inspect_response_with(policy, api, body, &Exchange::default())
}

/// As `inspect_response`, also watching for the request's system-prompt canary and
/// restoring the values its pseudonyms stand for.
pub fn inspect_response_with(
    policy: &Policy,
    api: Option<Api>,
    body: &[u8],
    exchange: &Exchange,
) -> Decision {
    let canary = exchange.canary.as_deref();
    let mut report = Report::new(
        Direction::Response,
        &policy.name,
        policy.mode == Mode::Monitor,
    );
    if !policy.inspects_responses() && exchange.pseudonyms.is_empty() {
        return Decision {
            verdict: Verdict::Continue,
            report,
        };
    }
    let (text, doc) = match parse_body(body) {
        Ok(parsed) => parsed,
        Err(reason) => {
            // An event stream buffered as one body (labelled JSON, say) is still a stream to
            // the client: redact it as one.
            if let (Some(api), Ok(events_text)) = (api, std::str::from_utf8(body)) {
                if events::looks_like_events(events_text) {
                    let decision =
                        events::inspect_events(policy, api, events_text, exchange, report.clone());
                    if let Some(decision) = decision {
                        return decision;
                    }
                }
            }
            if let (None, true, Ok(plain)) =
                (api, policy.inspect_unknown, std::str::from_utf8(body))
            {
                return inspect_plain(policy, plain, report);
            }
            let on_error = policy.on_body_error.malformed_response;
            let reject = BlockReason::ResponseNotInspectable;
            return body_error(policy, report, api, reason, on_error, reject);
        }
    };
    let Some(api) = api.or(policy.inspect_unknown.then_some(Api::GenericJson)) else {
        return pass_through(report, PassReason::UnknownApi);
    };
    report.api = Some(api);
    let segments = response_segments(api, &doc);
    let mut block = None;
    let mut redacted = match &policy.response.entities {
        Some(rules) => redact_entities(rules, &segments, &mut report, &mut block, None),
        None => vec![None; segments.len()],
    };
    if let Some(Violation::Policy(rule) | Violation::Budget(rule)) =
        policy.agency.check_tool_calls(api, text, &doc)
    {
        report.rules.push(rule);
        block.get_or_insert(BlockReason::ToolCallNotAllowed);
    }
    screen_tool_arguments(policy, api, text, &doc, &mut report, &mut block);
    for (segment, new_text) in segments.iter().zip(redacted.iter_mut()) {
        let leaks = policy.agency.leaks(segment.text(), canary);
        let Some(&strongest) = leaks.first() else {
            continue;
        };
        for leak in &leaks {
            let rule = leak.rule().to_string();
            if !report.rules.contains(&rule) {
                report.rules.push(rule);
            }
        }
        if policy.agency.leak_action() == LeakAction::Block {
            block.get_or_insert(BlockReason::SystemPromptLeak);
            continue;
        }
        let current = new_text
            .take()
            .unwrap_or_else(|| segment.text().to_string());
        *new_text = Some(match (strongest, canary) {
            (Leak::Canary, Some(token)) => current.replace(token, "[REDACTED:CANARY]"),
            _ => "[REDACTED:SYSTEM_PROMPT]".to_string(),
        });
    }
    // Token echoes (`logprobs`) would still spell out whatever the text lost.
    let mut echo_edits = if redacted.iter().any(Option::is_some) {
        crate::dialect::drop_token_echoes(text, &doc)
    } else {
        Vec::new()
    };
    // The model's own output was judged above; now the request's values come back where
    // their placeholders stand (after redaction, so a restored value is never re-redacted).
    let mut restored = false;
    for (segment, new_text) in segments.iter().zip(redacted.iter_mut()) {
        let current = new_text.as_deref().unwrap_or(segment.text());
        if let Some(text) = exchange.pseudonyms.restore(current) {
            *new_text = Some(text);
            restored = true;
        }
    }
    if restored {
        report.rules.push("pseudonyms.restored".into());
    }
    let mut edits = string_edits(&segments, redacted);
    edits.append(&mut echo_edits);
    let rewrote = !edits.is_empty();
    decide(policy, Some(api), text, edits, rewrote, block, report)
}

/// Prompt injection in the arguments of the tool calls a response makes: instructions a
/// model passes to the next tool or agent (cross-agent injection). Blocks as a disallowed
/// call (rule `tools.argumentsInjection` plus the signals).
fn screen_tool_arguments(
    policy: &Policy,
    api: Api,
    src: &str,
    doc: &json::Value,
    report: &mut Report,
    block: &mut Option<BlockReason>,
) {
    let Some(rule) = &policy.request.injection else {
        return;
    };
    let texts = policy.agency.argument_texts(api, src, doc);
    if texts.is_empty() {
        return;
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let screening = rule.screen.screen(&refs);
    if screening.score < rule.threshold {
        return;
    }
    report.rules.push("tools.argumentsInjection".into());
    report
        .rules
        .extend(screening.signals.iter().map(|s| s.rule.to_string()));
    report.flagged = true;
    if rule.action == Action::Block {
        block.get_or_insert(BlockReason::ToolCallNotAllowed);
    }
}

/// Deny patterns and injection screening over the texts users and tools supply.
fn screen_request(
    policy: &Policy,
    segments: &[Segment<'_>],
    report: &mut Report,
    block: &mut Option<BlockReason>,
) {
    // Folded forms are built once per text, and only when a pattern missed the raw text.
    let mut forms: Vec<Option<[String; 2]>> = vec![None; segments.len()];
    for pattern in &policy.request.deny_patterns {
        let mut hit = false;
        for (segment, form) in segments.iter().zip(forms.iter_mut()) {
            if !screened(segment.role) {
                continue;
            }
            if pattern.is_match(segment.text()) {
                hit = true;
                break;
            }
            let folded = form.get_or_insert_with(|| folded_forms(segment.text()));
            if folded.iter().any(|f| pattern.is_match(f)) {
                hit = true;
                break;
            }
        }
        if hit {
            report.rules.push(pattern.rule_id.clone());
            report.flagged = true;
            block.get_or_insert(BlockReason::DeniedPattern);
        }
    }

    // An allow-list: every user message must match one of its patterns (as written or
    // folded, as for deny patterns).
    let allow = &policy.request.allow_patterns;
    if !allow.is_empty() {
        let outside = segments
            .iter()
            .zip(forms.iter_mut())
            .filter(|(s, _)| s.role == Role::User)
            .any(|(segment, form)| {
                let text = segment.text();
                !allow.iter().any(|p| p.is_match(text))
                    && !form
                        .get_or_insert_with(|| folded_forms(text))
                        .iter()
                        .any(|f| allow.iter().any(|p| p.is_match(f)))
            });
        if outside {
            report.rules.push("allowPatterns".into());
            report.flagged = true;
            block.get_or_insert(BlockReason::NotAllowedPrompt);
        }
    }

    if let Some(banned) = &policy.request.banned_phrases {
        let mut found: Vec<usize> = Vec::new();
        for (segment, form) in segments.iter().zip(forms.iter_mut()) {
            if !screened(segment.role) {
                continue;
            }
            let [_, words] = form.get_or_insert_with(|| folded_forms(segment.text()));
            for i in banned.find_all(words) {
                if !found.contains(&i) {
                    found.push(i);
                }
            }
        }
        if !found.is_empty() {
            report
                .rules
                .extend(found.iter().map(|i| format!("bannedPhrases[{i}]")));
            report.flagged = true;
            block.get_or_insert(BlockReason::DeniedPattern);
        }
    }

    if let Some(rule) = &policy.request.injection {
        // With `lastMessages`, turns before the last N are skipped; texts outside the turns
        // (a top-level system prompt, `instructions`) stay in scope.
        let first_turn = rule.last_messages.and_then(|n| {
            let last = segments.iter().filter_map(Segment::turn).max()?;
            Some((last + 1).saturating_sub(n))
        });
        let texts: Vec<&str> = segments
            .iter()
            .filter(|s| rule.roles.contains(&s.role))
            .filter(|s| match (first_turn, s.turn()) {
                (Some(first), Some(turn)) => turn >= first,
                _ => true,
            })
            .map(Segment::text)
            .collect();
        let screening = rule.screen.screen(&texts);
        let action_of = |c: Category| {
            rule.categories
                .iter()
                .find(|(k, _)| *k == c)
                .map_or(rule.action, |(_, a)| *a)
        };
        let contributing: Vec<Category> = Category::ALL
            .iter()
            .copied()
            .filter(|&c| action_of(c) != Action::Off && screening.category_score(c) > 0.0)
            .collect();
        // With category actions configured, dropped categories do not count: the rest combine
        // as the screen combines signals (noisy-or). Otherwise the screen's own score stands.
        let score = if rule.categories.is_empty() {
            screening.score
        } else {
            1.0 - contributing
                .iter()
                .map(|&c| 1.0 - screening.category_score(c))
                .product::<f32>()
        };
        report.injection_score = Some(score);
        if score >= rule.threshold {
            report.rules.extend(
                screening
                    .signals
                    .iter()
                    .filter(|s| contributing.contains(&s.category))
                    .map(|s| s.rule.to_string()),
            );
            report.flagged = true;
            if contributing.iter().any(|&c| action_of(c) == Action::Block) {
                block.get_or_insert(BlockReason::PromptInjection);
            }
        }
    }
}

/// A UTF-8 body of no known API, inspected as one text (policy `unknownBodies: inspect`):
/// screened like a user message on requests, scanned for entities both ways, rewritten raw.
fn inspect_plain(policy: &Policy, text: &str, mut report: Report) -> Decision {
    let literal = json::Str {
        text: text.to_string(),
        span: 0..text.len(),
    };
    let role = match report.direction {
        Direction::Request => Role::User,
        Direction::Response => Role::Assistant,
    };
    let segments = [Segment {
        role,
        literal: &literal,
        location: "$text".into(),
    }];
    let mut block = None;
    let rules = match report.direction {
        Direction::Request => {
            screen_request(policy, &segments, &mut report, &mut block);
            &policy.request.entities
        }
        Direction::Response => &policy.response.entities,
    };
    let redacted = match rules {
        // Plain text has no exchange to carry pseudonyms: a pseudonym type gets its label.
        Some(rules) => redact_entities(rules, &segments, &mut report, &mut block, None),
        None => Vec::new(),
    };
    // The whole body is the one "literal": its rewrite is the raw redacted text.
    let edits: Vec<Edit> = redacted
        .into_iter()
        .next()
        .flatten()
        .map(|new| Edit {
            span: 0..text.len(),
            replacement: new,
        })
        .into_iter()
        .collect();
    let rewrote = !edits.is_empty();
    decide(policy, None, text, edits, rewrote, block, report)
}

/// Edits for the segments whose text changed (`Some(new text)`, by segment index).
fn string_edits(segments: &[Segment<'_>], redacted: Vec<Option<String>>) -> Vec<Edit> {
    segments
        .iter()
        .zip(redacted)
        .filter_map(|(segment, new)| new.map(|text| Edit::string(segment.literal, &text)))
        .collect()
}

fn parse_body(body: &[u8]) -> Result<(&str, json::Value), PassReason> {
    let text = std::str::from_utf8(body).map_err(|_| PassReason::NotUtf8)?;
    let doc = json::parse(text).map_err(PassReason::Malformed)?;
    Ok((text, doc))
}

/// A body the filter could not inspect, seen by the glue before the body is complete
/// (oversize) or from headers (compressed): the policy's `onBodyError` decides.
pub fn uninspectable(
    policy: &Policy,
    direction: Direction,
    api: Option<Api>,
    reason: PassReason,
) -> Decision {
    let report = Report::new(direction, &policy.name, policy.mode == Mode::Monitor);
    let e = &policy.on_body_error;
    let (on_error, reject) = match (direction, &reason) {
        (Direction::Request, PassReason::Oversize) => (e.oversize_request, BlockReason::TooLarge),
        (Direction::Request, _) => (e.compressed_request, BlockReason::UnsupportedEncoding),
        (Direction::Response, PassReason::Oversize) => {
            (e.oversize_response, BlockReason::ResponseNotInspectable)
        }
        (Direction::Response, _) => (e.compressed_response, BlockReason::ResponseNotInspectable),
    };
    body_error(policy, report, api, reason, on_error, reject)
}

/// Passes or rejects an uninspectable body, as configured; either way the reason is reported.
fn body_error(
    policy: &Policy,
    mut report: Report,
    api: Option<Api>,
    reason: PassReason,
    on_error: OnError,
    reject: BlockReason,
) -> Decision {
    report.api = api;
    if on_error == OnError::Pass {
        return pass_through(report, reason);
    }
    report.rules.push(format!("body.{}", reason.name()));
    report.outcome = Outcome::Blocked;
    let verdict = if policy.mode == Mode::Monitor {
        Verdict::Continue
    } else {
        let status = reject.fixed_status().unwrap_or(policy.block_status);
        Verdict::Block(block_reply(
            api,
            status,
            &policy.name,
            reject,
            &report.rules,
        ))
    };
    Decision { verdict, report }
}

fn pass_through(mut report: Report, reason: PassReason) -> Decision {
    report.outcome = Outcome::PassedThrough(reason);
    Decision {
        verdict: Verdict::Continue,
        report,
    }
}

/// Scans every segment, records findings, returns each segment's redacted text (`None` where
/// nothing was redacted) and notes a block when a blocking type was found.
fn redact_entities(
    rules: &EntityRules,
    segments: &[Segment<'_>],
    report: &mut Report,
    block: &mut Option<BlockReason>,
    mut pseudonyms: Option<&mut Pseudonyms>,
) -> Vec<Option<String>> {
    let mut out = vec![None; segments.len()];
    for (segment, slot) in segments.iter().zip(out.iter_mut()) {
        // Redaction changes the context detectors read (a label now stands where an address
        // ended), so a pass can expose a value the previous pass had rightly passed over.
        // Rescanning what was rewritten until nothing more changes makes redaction a fixpoint:
        // applying it twice gives what applying it once gave (a fuzzed property). Bounded.
        // The text is scanned where it lies; only a rewrite allocates.
        for round in 0..MAX_REDACTION_ROUNDS {
            let once = Pass {
                location: &segment.location,
                first: round == 0,
            };
            let text = slot.as_deref().unwrap_or(segment.text());
            match redact_once(rules, text, once, report, block, pseudonyms.as_deref_mut()) {
                Some(next) => *slot = Some(next),
                None => break,
            }
        }
    }
    out
}

/// Passes of redaction over a rewritten text (the first pass plus rescans).
const MAX_REDACTION_ROUNDS: usize = 4;

/// Which pass of `redact_entities` over which string.
#[derive(Clone, Copy)]
struct Pass<'a> {
    location: &'a str,
    first: bool,
}

/// One redaction pass over `text`; `None` when nothing was redacted. Findings of the first
/// pass are reported with offsets into the original text; later passes report what they add,
/// with offsets into the text as rewritten so far.
fn redact_once(
    rules: &EntityRules,
    text: &str,
    pass: Pass<'_>,
    report: &mut Report,
    block: &mut Option<BlockReason>,
    mut pseudonyms: Option<&mut Pseudonyms>,
) -> Option<String> {
    let Pass { location, first } = pass;
    let mut findings: Vec<Finding> = Vec::new();
    rules.scan(text, &mut findings);
    let mut redacted = String::new();
    let mut cursor = 0;
    let mut any = false;
    for f in &findings {
        let action = rules.action(f.entity);
        if !first && action != Action::Redact {
            continue; // a rescan only completes redaction; the first pass judged the rest
        }
        report.entities.push(EntityReport {
            entity: f.entity,
            name: rules.name(f.entity).to_string(),
            action: action.name(),
            location: location.to_string(),
            start: f.span.start,
            end: f.span.end,
        });
        match action {
            Action::Redact => {
                redacted.push_str(text.get(cursor..f.span.start).unwrap_or_default());
                let value = text.get(f.span.clone()).unwrap_or_default();
                rules.write_replacement(f.entity, value, pseudonyms.as_deref_mut(), &mut redacted);
                cursor = f.span.end;
                any = true;
            }
            Action::Block => {
                let rule = format!("entity.{}", rules.name(f.entity));
                if !report.rules.contains(&rule) {
                    report.rules.push(rule);
                }
                block.get_or_insert(BlockReason::SensitiveData);
            }
            Action::Monitor | Action::Off => {}
        }
    }
    if !any {
        return None;
    }
    redacted.push_str(text.get(cursor..).unwrap_or_default());
    Some(redacted)
}

/// `rewrote`: whether the edits change what the caller would notice (a redaction, a stripped
/// tool, a capped limit), as opposed to only inserting the canary.
fn decide(
    policy: &Policy,
    api: Option<Api>,
    text: &str,
    edits: Vec<Edit>,
    rewrote: bool,
    block: Option<BlockReason>,
    mut report: Report,
) -> Decision {
    report.outcome = match (block, rewrote) {
        (Some(_), _) => Outcome::Blocked,
        (None, true) => Outcome::Redacted,
        (None, false)
            if report.flagged || report.entities.iter().any(|e| e.action == "monitor") =>
        {
            Outcome::Monitored
        }
        (None, false) => Outcome::Allowed,
    };
    let verdict = if policy.mode == Mode::Monitor {
        Verdict::Continue
    } else if let Some(reason) = block {
        Verdict::Block(block_reply(
            api,
            reason.fixed_status().unwrap_or(policy.block_status),
            &policy.name,
            reason,
            &report.rules,
        ))
    } else if edits.is_empty() {
        Verdict::Continue
    } else {
        Verdict::Rewrite(json::splice(text, edits))
    };
    Decision { verdict, report }
}

mod events;

pub use events::{
    record_output, stream_error_rule, stream_rewriter, STREAM_LOOKBEHIND, STREAM_WINDOW,
};

#[cfg(test)]
mod tests;
