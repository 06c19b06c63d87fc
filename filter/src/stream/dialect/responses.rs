//! OpenAI Responses API streams: typed events (`type` in the data, mirrored by `event:`).
//!
//! Deltas: `response.output_text.delta` and `response.refusal.delta` (key: output_index,
//! content_index), `response.reasoning_summary_text.delta` (key: output_index, summary_index)
//! `response.reasoning_text.delta` (raw reasoning of open models; key: output_index,
//! content_index) and `response.function_call_arguments.delta` (key: output_index). The same
//! text comes back whole in `*.done`, `response.content_part.done`, `response.output_item.done`
//! and the final `response.completed` snapshot; all of those are redacted whole, which gives
//! the same text as the streamed deltas. Events are numbered (`sequence_number`); the rewriter
//! renumbers after each synthesized delta so the numbers stay strictly increasing. A function
//! call is announced by `response.output_item.added` with a `function_call` item (its `name`). An empty
//! `delta` is accepted by the SDKs (they append it).

use super::openai_chat::openai_error;
use super::{
    args_in, items, name_of, quoted, text, uint, Analysis, Framing, Key, KeyKind, NewEvent, Scope,
    StreamDialect, SynthContext, WholeArgs, BLOCK_CODE,
};

/// A `function_call` output item's tool name.
fn function_call(item: &Value) -> Option<&str> {
    (name_of(Some(item), "type") == Some("function_call"))
        .then(|| name_of(Some(item), "name"))
        .flatten()
}
use crate::json::Value;

#[derive(Debug, Clone, Copy, Default)]
pub struct Responses;

/// Full texts of one output item (a message's parts, a function call's arguments).
fn item_texts<'d>(item: &'d Value, out: &mut Vec<&'d crate::json::Str>) {
    for part in items(item.get("content")) {
        out.extend(text(part.get("text")));
        out.extend(text(part.get("refusal")));
    }
    for part in items(item.get("summary")) {
        out.extend(text(part.get("text")));
    }
    out.extend(text(item.get("arguments")));
}

impl StreamDialect for Responses {
    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn analyze<'d>(&self, event: Option<&str>, data: &str, doc: Option<&'d Value>) -> Analysis<'d> {
        let mut an = Analysis::default();
        let Some(doc) = doc else { return an };
        if let Some(Value::Number(span)) = doc.get("sequence_number") {
            if let Some(n) = uint(data, doc.get("sequence_number")) {
                an.sequence = Some((span.clone(), n));
            }
        }
        let kind = text(doc.get("type")).map(|s| s.text.as_str()).or(event);
        let oi = uint(data, doc.get("output_index")).unwrap_or(0);
        let ci = uint(data, doc.get("content_index")).unwrap_or(0);
        an.item_id = text(doc.get("item_id")).map(|s| s.text.as_str());
        let delta = text(doc.get("delta"));
        match kind.unwrap_or_default() {
            "response.output_text.delta" => {
                an.deltas
                    .extend(delta.map(|s| (Key::new(KeyKind::Content, oi, ci), s)));
            }
            "response.refusal.delta" => {
                an.deltas
                    .extend(delta.map(|s| (Key::new(KeyKind::Refusal, oi, ci), s)));
            }
            "response.reasoning_summary_text.delta" => {
                let si = uint(data, doc.get("summary_index")).unwrap_or(0);
                an.deltas
                    .extend(delta.map(|s| (Key::new(KeyKind::Reasoning, oi, si), s)));
            }
            "response.reasoning_summary_text.done" => {
                let si = uint(data, doc.get("summary_index")).unwrap_or(0);
                an.repeats.extend(text(doc.get("text")));
                an.ends
                    .push(Scope::Key(Key::new(KeyKind::Reasoning, oi, si)));
            }
            "response.reasoning_summary_part.added" | "response.reasoning_summary_part.done" => {
                if let Some(part) = doc.get("part") {
                    an.repeats.extend(text(part.get("text")));
                }
            }
            "response.reasoning_text.delta" => {
                an.deltas
                    .extend(delta.map(|s| (Key::new(KeyKind::ReasoningText, oi, ci), s)));
            }
            "response.reasoning_text.done" => {
                an.repeats.extend(text(doc.get("text")));
                an.ends
                    .push(Scope::Key(Key::new(KeyKind::ReasoningText, oi, ci)));
            }
            "response.function_call_arguments.delta" => {
                an.deltas
                    .extend(delta.map(|s| (Key::new(KeyKind::Tool, oi, 0), s)));
            }
            "response.output_text.done" => {
                an.repeats.extend(text(doc.get("text")));
                an.ends.push(Scope::Key(Key::new(KeyKind::Content, oi, ci)));
            }
            "response.refusal.done" => {
                an.repeats.extend(text(doc.get("refusal")));
                an.ends.push(Scope::Key(Key::new(KeyKind::Refusal, oi, ci)));
            }
            "response.function_call_arguments.done" => {
                an.repeats.extend(text(doc.get("arguments")));
                an.tool_args.push(WholeArgs {
                    name: name_of(Some(doc), "name"),
                    key: Some(Key::new(KeyKind::Tool, oi, 0)),
                    args: args_in(doc.get("arguments")),
                });
                an.ends.push(Scope::Key(Key::new(KeyKind::Tool, oi, 0)));
            }
            "response.content_part.added" | "response.content_part.done" => {
                if let Some(part) = doc.get("part") {
                    an.repeats.extend(text(part.get("text")));
                    an.repeats.extend(text(part.get("refusal")));
                }
                if kind == Some("response.content_part.done") {
                    an.ends.push(Scope::Key(Key::new(KeyKind::Content, oi, ci)));
                    an.ends.push(Scope::Key(Key::new(KeyKind::Refusal, oi, ci)));
                    an.ends
                        .push(Scope::Key(Key::new(KeyKind::ReasoningText, oi, ci)));
                }
            }
            "response.output_item.added" | "response.output_item.done" => {
                let done = kind == Some("response.output_item.done");
                if let Some(item) = doc.get("item") {
                    item_texts(item, &mut an.repeats);
                    if let Some(name) = function_call(item) {
                        an.tool_calls.push(name);
                        let key = Key::new(KeyKind::Tool, oi, 0);
                        if done {
                            an.tool_args.push(WholeArgs {
                                name: Some(name),
                                key: Some(key),
                                args: args_in(item.get("arguments")),
                            });
                        } else {
                            an.tool_keys.push((key, name));
                        }
                    }
                }
                if done {
                    an.ends.push(Scope::Group(oi));
                }
            }
            other => {
                // `response.created`, `.in_progress`, `.completed`, `.incomplete`, `.failed`
                // carry a snapshot of the whole response.
                let terminal = matches!(
                    other,
                    "response.completed" | "response.incomplete" | "response.failed"
                );
                if let Some(response) = doc.get("response") {
                    for item in items(response.get("output")) {
                        item_texts(item, &mut an.repeats);
                        let Some(name) = function_call(item) else {
                            continue;
                        };
                        an.tool_calls.push(name);
                        // Earlier snapshots hold calls still in progress, their arguments
                        // not yet complete.
                        if terminal {
                            an.tool_args.push(WholeArgs {
                                name: Some(name),
                                key: None,
                                args: args_in(item.get("arguments")),
                            });
                        }
                    }
                }
                if terminal {
                    an.ends.push(Scope::All);
                }
            }
        }
        an
    }

    fn synthesize(&self, key: Key, text: &str, cx: &SynthContext<'_>) -> NewEvent {
        let kind = match key.kind {
            KeyKind::Tool | KeyKind::Function => "response.function_call_arguments.delta",
            KeyKind::Refusal => "response.refusal.delta",
            KeyKind::Reasoning => "response.reasoning_summary_text.delta",
            KeyKind::ReasoningText => "response.reasoning_text.delta",
            KeyKind::Content => "response.output_text.delta",
        };
        let mut data = format!("{{\"type\":\"{kind}\"");
        if let Some(n) = cx.sequence_number {
            data.push_str(&format!(",\"sequence_number\":{n}"));
        }
        if let Some(id) = cx.item_id {
            data.push_str(&format!(",\"item_id\":{}", quoted(id)));
        }
        data.push_str(&format!(",\"output_index\":{}", key.a));
        match key.kind {
            KeyKind::Content | KeyKind::Refusal | KeyKind::ReasoningText => {
                data.push_str(&format!(",\"content_index\":{}", key.b));
            }
            KeyKind::Reasoning => data.push_str(&format!(",\"summary_index\":{}", key.b)),
            KeyKind::Tool | KeyKind::Function => {}
        }
        data.push_str(&format!(",\"delta\":{}", quoted(text)));
        if key.kind == KeyKind::Content {
            data.push_str(",\"logprobs\":[]");
        }
        data.push('}');
        NewEvent {
            event: Some(kind),
            data,
        }
    }

    /// An `error` event carrying both the Responses error fields and an `error` member (the
    /// OpenAI SDKs raise `APIError` on a data object with `error`), then `response.failed`
    /// for clients that wait for a terminal event.
    fn block_events(&self, message: &str, cx: &SynthContext<'_>) -> Vec<NewEvent> {
        let seq = |n: u64| {
            cx.sequence_number
                .map(|s| format!(",\"sequence_number\":{}", s.saturating_add(n)))
                .unwrap_or_default()
        };
        let m = quoted(message);
        let inner = openai_error(message);
        let inner = inner
            .strip_prefix("{\"error\":")
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or("null");
        vec![
            NewEvent {
                event: Some("error"),
                data: format!(
                    "{{\"type\":\"error\"{},\"code\":\"{BLOCK_CODE}\",\"message\":{m},\"param\":null,\"error\":{inner}}}",
                    seq(0)
                ),
            },
            NewEvent {
                event: Some("response.failed"),
                data: format!(
                    "{{\"type\":\"response.failed\"{},\"response\":{{\"object\":\"response\",\"status\":\"failed\",\"error\":{{\"code\":\"{BLOCK_CODE}\",\"message\":{m}}},\"output\":[]}}}}",
                    seq(1)
                ),
            },
        ]
    }
}
