//! Ollama NDJSON streams: one JSON object per line.
//!
//! `/api/chat` puts text in `message.content` (and `message.thinking`), `/api/generate` in
//! `response` (and `thinking`). The line with `"done": true` ends the stream; clients append
//! every line's text, so an emptied `content` is harmless. Tool calls arrive whole, their
//! arguments as JSON objects; each string in them is redacted whole.

use super::{
    args_in, items, name_of, quoted, strings_in, text, Analysis, Framing, Key, KeyKind, NewEvent,
    Scope, StreamDialect, SynthContext, WholeArgs,
};
use crate::json::{splice, Edit, Value};

#[derive(Debug, Clone, Copy, Default)]
pub struct Ollama;

impl StreamDialect for Ollama {
    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    fn analyze<'d>(
        &self,
        _event: Option<&str>,
        _data: &str,
        doc: Option<&'d Value>,
    ) -> Analysis<'d> {
        let mut an = Analysis::default();
        let Some(doc) = doc else { return an };
        let content = Key::new(KeyKind::Content, 0, 0);
        let thinking = Key::new(KeyKind::Reasoning, 0, 0);
        if let Some(message) = doc.get("message") {
            an.deltas
                .extend(text(message.get("thinking")).map(|s| (thinking, s)));
            an.deltas
                .extend(text(message.get("content")).map(|s| (content, s)));
            for call in items(message.get("tool_calls")) {
                let function = call.get("function");
                if let Some(name) = name_of(function, "name") {
                    an.tool_calls.push(name);
                    an.tool_args.push(WholeArgs {
                        name: Some(name),
                        key: None,
                        args: args_in(function.and_then(|f| f.get("arguments"))),
                    });
                }
                if let Some(args) = function.and_then(|f| f.get("arguments")) {
                    strings_in(args, &mut an.full);
                }
            }
        }
        an.deltas
            .extend(text(doc.get("thinking")).map(|s| (thinking, s)));
        an.deltas
            .extend(text(doc.get("response")).map(|s| (content, s)));
        if doc.get("done").and_then(Value::as_bool) == Some(true) {
            an.ends.push(Scope::All);
        }
        an
    }

    /// The last delta line with its text fields replaced: `text` for `key`, `""` for others.
    fn synthesize(&self, key: Key, text_out: &str, cx: &SynthContext<'_>) -> NewEvent {
        if let Some(template) = cx.template {
            if let Ok(doc) = crate::json::parse(template) {
                let mut edits = Vec::new();
                for (k, s) in self.analyze(None, template, Some(&doc)).deltas {
                    let t = if k == key { text_out } else { "" };
                    edits.push(Edit::string(s, t));
                }
                if !edits.is_empty() {
                    return NewEvent {
                        event: None,
                        data: splice(template, edits),
                    };
                }
            }
        }
        let field = if key.kind == KeyKind::Reasoning {
            "thinking"
        } else {
            "content"
        };
        NewEvent {
            event: None,
            data: format!(
                "{{\"message\":{{\"role\":\"assistant\",\"{field}\":{}}},\"done\":false}}",
                quoted(text_out)
            ),
        }
    }

    /// `{"error": "…"}`, the line Ollama itself writes when a stream fails.
    fn block_events(&self, message: &str, _cx: &SynthContext<'_>) -> Vec<NewEvent> {
        vec![NewEvent {
            event: None,
            data: format!("{{\"error\":{}}}", quoted(message)),
        }]
    }
}
