//! Gemini `streamGenerateContent?alt=sse`: every event is a whole `GenerateContentResponse`
//! holding the next piece of each candidate.
//!
//! Text lives in `candidates[i].content.parts[j].text`; the pieces of a candidate concatenate
//! across events and parts, so a candidate is one text stream (thought parts, marked
//! `"thought": true`, another). A candidate ends with its `finishReason`. The SDKs join part
//! texts, so a part whose text became `""` changes nothing. Function-call arguments arrive as
//! whole JSON objects; each string in them is redacted whole.

use super::{
    args_in, envelope, items, name_of, quoted, strings_in, text, uint, Analysis, Framing, Key,
    KeyKind, NewEvent, Scope, StreamDialect, SynthContext, WholeArgs,
};
use crate::json::Value;

#[derive(Debug, Clone, Copy, Default)]
pub struct Gemini;

impl StreamDialect for Gemini {
    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn analyze<'d>(
        &self,
        _event: Option<&str>,
        data: &str,
        doc: Option<&'d Value>,
    ) -> Analysis<'d> {
        let mut an = Analysis::default();
        let Some(doc) = doc else { return an };
        for (pos, candidate) in items(doc.get("candidates")).iter().enumerate() {
            let i = uint(data, candidate.get("index")).unwrap_or(pos as u64);
            let parts = items(candidate.get("content").and_then(|c| c.get("parts")));
            for part in parts {
                let kind = if part.get("thought").and_then(Value::as_bool) == Some(true) {
                    KeyKind::Reasoning
                } else {
                    KeyKind::Content
                };
                if let Some(s) = text(part.get("text")) {
                    an.deltas.push((Key::new(kind, i, 0), s));
                }
                let call = part.get("functionCall");
                if let Some(name) = name_of(call, "name") {
                    an.tool_calls.push(name);
                    an.tool_args.push(WholeArgs {
                        name: Some(name),
                        key: None,
                        args: args_in(call.and_then(|f| f.get("args"))),
                    });
                }
                if let Some(args) = call.and_then(|f| f.get("args")) {
                    strings_in(args, &mut an.full);
                }
            }
            if text(candidate.get("finishReason")).is_some() {
                an.ends.push(Scope::Group(i));
            }
        }
        an
    }

    fn synthesize(&self, key: Key, text: &str, cx: &SynthContext<'_>) -> NewEvent {
        let thought = if key.kind == KeyKind::Reasoning {
            ",\"thought\":true"
        } else {
            ""
        };
        let candidates = format!(
            "[{{\"content\":{{\"parts\":[{{\"text\":{}{thought}}}],\"role\":\"model\"}},\"index\":{}}}]",
            quoted(text),
            key.a
        );
        NewEvent {
            event: None,
            data: envelope(cx.template, "candidates", &candidates, &["usageMetadata"]),
        }
    }

    /// Google's error object (`{"error": {"code", "message", "status"}}`), as the API sends
    /// for a failed stream.
    fn block_events(&self, message: &str, _cx: &SynthContext<'_>) -> Vec<NewEvent> {
        vec![NewEvent {
            event: None,
            data: format!(
                "{{\"error\":{{\"code\":403,\"message\":{},\"status\":\"PERMISSION_DENIED\"}}}}",
                quoted(message)
            ),
        }]
    }
}
