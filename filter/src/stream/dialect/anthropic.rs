//! Anthropic Messages streams: `event:` names mirrored by `type` in the data.
//!
//! `content_block_delta` carries `text_delta` (`delta.text`), `input_json_delta`
//! (`delta.partial_json`, a tool call's input as JSON text) or `thinking_delta`
//! (`delta.thinking`), keyed by the block `index`. `content_block_stop` closes a block,
//! `message_delta` / `message_stop` the message. A tool call opens with a
//! `content_block_start` of type `tool_use`, which names the tool. The SDKs append every delta, so an emptied
//! `text` or `partial_json` is harmless (an empty `partial_json` is skipped by their JSON
//! accumulators).

use super::{
    args_in, items, name_of, quoted, text, uint, Analysis, Framing, Key, KeyKind, NewEvent, Scope,
    StreamDialect, SynthContext, WholeArgs,
};
use crate::agency::Args;

/// A `tool_use` content block's tool name.
fn tool_use(block: &Value) -> Option<&str> {
    (name_of(Some(block), "type") == Some("tool_use"))
        .then(|| name_of(Some(block), "name"))
        .flatten()
}
use crate::json::Value;

#[derive(Debug, Clone, Copy, Default)]
pub struct Anthropic;

impl StreamDialect for Anthropic {
    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn analyze<'d>(&self, event: Option<&str>, data: &str, doc: Option<&'d Value>) -> Analysis<'d> {
        let mut an = Analysis::default();
        let Some(doc) = doc else { return an };
        let kind = text(doc.get("type")).map(|s| s.text.as_str()).or(event);
        let index = uint(data, doc.get("index")).unwrap_or(0);
        match kind.unwrap_or_default() {
            "content_block_delta" => {
                let Some(delta) = doc.get("delta") else {
                    return an;
                };
                // A citation quotes its source whole, in one event.
                if let Some(c) = delta.get("citation") {
                    an.full.extend(text(c.get("cited_text")));
                }
                for (field, kind) in [
                    ("text", KeyKind::Content),
                    ("partial_json", KeyKind::Tool),
                    ("thinking", KeyKind::Reasoning),
                ] {
                    if let Some(s) = text(delta.get(field)) {
                        an.deltas.push((Key::new(kind, index, 0), s));
                    }
                }
            }
            "content_block_start" => {
                // Normally `"text": ""`; a server may open a block with text already in it.
                if let Some(block) = doc.get("content_block") {
                    if let Some(name) = tool_use(block) {
                        an.tool_calls.push(name);
                        // Normally `"input": {}`, the input then streaming as JSON text; a
                        // server may open the block with the input already in it.
                        match block.get("input") {
                            Some(input @ Value::Object(members)) if !members.is_empty() => {
                                an.tool_args.push(WholeArgs {
                                    name: Some(name),
                                    key: None,
                                    args: Args::Object(input),
                                });
                            }
                            _ => an.tool_keys.push((Key::new(KeyKind::Tool, index, 0), name)),
                        }
                    }
                    if let Some(s) = text(block.get("text")) {
                        an.deltas.push((Key::new(KeyKind::Content, index, 0), s));
                    }
                    if let Some(s) = text(block.get("thinking")) {
                        an.deltas.push((Key::new(KeyKind::Reasoning, index, 0), s));
                    }
                }
            }
            "content_block_stop" => an.ends.push(Scope::Group(index)),
            "message_start" => {
                if let Some(message) = doc.get("message") {
                    for block in items(message.get("content")) {
                        an.full.extend(text(block.get("text")));
                        if let Some(name) = tool_use(block) {
                            an.tool_calls.push(name);
                            an.tool_args.push(WholeArgs {
                                name: Some(name),
                                key: None,
                                args: args_in(block.get("input")),
                            });
                        }
                    }
                }
            }
            "message_delta" | "message_stop" => an.ends.push(Scope::All),
            _ => {}
        }
        an
    }

    fn synthesize(&self, key: Key, text: &str, _cx: &SynthContext<'_>) -> NewEvent {
        let t = quoted(text);
        let delta = match key.kind {
            KeyKind::Tool | KeyKind::Function => {
                format!("{{\"type\":\"input_json_delta\",\"partial_json\":{t}}}")
            }
            KeyKind::Reasoning | KeyKind::ReasoningText => {
                format!("{{\"type\":\"thinking_delta\",\"thinking\":{t}}}")
            }
            KeyKind::Content | KeyKind::Refusal => {
                format!("{{\"type\":\"text_delta\",\"text\":{t}}}")
            }
        };
        NewEvent {
            event: Some("content_block_delta"),
            data: format!(
                "{{\"type\":\"content_block_delta\",\"index\":{},\"delta\":{delta}}}",
                key.a
            ),
        }
    }

    /// `event: error` with Anthropic's error object; its SDKs raise on an `error` event.
    fn block_events(&self, message: &str, _cx: &SynthContext<'_>) -> Vec<NewEvent> {
        vec![NewEvent {
            event: Some("error"),
            data: format!(
                "{{\"type\":\"error\",\"error\":{{\"type\":\"permission_error\",\"message\":{}}}}}",
                quoted(message)
            ),
        }]
    }
}
