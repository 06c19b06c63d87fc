//! Ollama NDJSON streams: one JSON object per line.
//!
//! `/api/chat` puts text in `message.content` (and `message.thinking`), `/api/generate` in
//! `response` (and `thinking`). The line with `"done": true` ends the stream; clients append
//! every line's text, so an emptied `content` is harmless. Tool calls arrive whole, their
//! arguments as JSON objects; each string in them is redacted whole.

use super::{
    args_in, items, name_of, quoted, strings_in, text, write_value, Analysis, Framing, Key,
    KeyKind, NewEvent, Scope, StreamDialect, SynthContext, WholeArgs,
};
use crate::json::Value;

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

    /// A new line carrying only `text` for `key`: `model` and `created_at` come from the last
    /// delta line, nothing else does. Why fresh rather than a copy of that line with its text
    /// replaced: a copy also repeated its tool calls (the client would run them twice, their
    /// arguments unredacted) and its `logprobs`.
    fn synthesize(&self, key: Key, text_out: &str, cx: &SynthContext<'_>) -> NewEvent {
        let template = cx
            .template
            .and_then(|t| crate::json::parse(t).ok().map(|d| (t, d)));
        let mut data = String::from("{");
        let mut generate = false;
        if let Some((src, doc)) = &template {
            for field in ["model", "created_at"] {
                if let Some(v) = doc.get(field) {
                    data.push_str(&quoted(field));
                    data.push(':');
                    write_value(src, v, &mut data);
                    data.push(',');
                }
            }
            generate = doc.get("message").is_none() && doc.get("response").is_some();
        }
        let t = quoted(text_out);
        let thinking = key.kind == KeyKind::Reasoning;
        let body = match (generate, thinking) {
            (true, true) => format!("\"response\":\"\",\"thinking\":{t}"),
            (true, false) => format!("\"response\":{t}"),
            (false, true) => {
                format!("\"message\":{{\"role\":\"assistant\",\"content\":\"\",\"thinking\":{t}}}")
            }
            (false, false) => format!("\"message\":{{\"role\":\"assistant\",\"content\":{t}}}"),
        };
        data.push_str(&body);
        data.push_str(",\"done\":false}");
        NewEvent { event: None, data }
    }

    /// `{"error": "…"}`, the line Ollama itself writes when a stream fails.
    fn block_events(&self, message: &str, _cx: &SynthContext<'_>) -> Vec<NewEvent> {
        vec![NewEvent {
            event: None,
            data: format!("{{\"error\":{}}}", quoted(message)),
        }]
    }
}
