//! OpenAI chat completions chunks (`chat.completion.chunk`), also spoken by most
//! OpenAI-compatible servers.
//!
//! Text lives in `choices[i].delta.content` (also `refusal`, `reasoning_content` on
//! DeepSeek/vLLM, and `reasoning` on OpenRouter, Groq and newer vLLM) and tool-call arguments in `choices[i].delta.tool_calls[j].function.arguments`.
//! A choice ends with its `finish_reason`; a tool call ends when the next one starts (an `id`),
//! the choice's text when its first tool call starts; `data: [DONE]` ends the stream. An empty `content`
//! is what every stream's first chunk carries, so a delta emptied by hold-back is routine for
//! clients; a synthesized chunk carries only `index` and `function.arguments` for a tool call,
//! never `id`/`name`, because SDKs concatenate every string they see per tool-call index.
//! The called tool's name is in the call's first delta (`function.name`, or the deprecated
//! `delta.function_call.name`, whose `arguments` stream like a tool call's).

use super::{
    envelope, items, name_of, quoted, text, uint, Analysis, Framing, Key, KeyKind, NewEvent, Scope,
    StreamDialect, SynthContext, BLOCK_CODE,
};
use crate::json::Value;

#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAiChat;

/// The key's `b` for `delta.reasoning` (OpenRouter, Groq, newer vLLM), a text stream of its own
/// beside DeepSeek's `reasoning_content` (`b` 0): a server may send both.
const REASONING: u64 = 1;

impl StreamDialect for OpenAiChat {
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
        if data.trim() == "[DONE]" {
            an.ends.push(Scope::All);
            return an;
        }
        let Some(doc) = doc else { return an };
        for (pos, choice) in items(doc.get("choices")).iter().enumerate() {
            let i = uint(data, choice.get("index")).unwrap_or(pos as u64);
            if let Some(delta) = choice.get("delta") {
                for (field, kind, b) in [
                    ("content", KeyKind::Content, 0),
                    ("refusal", KeyKind::Refusal, 0),
                    ("reasoning_content", KeyKind::Reasoning, 0),
                    ("reasoning", KeyKind::Reasoning, REASONING),
                ] {
                    if let Some(s) = text(delta.get(field)) {
                        an.deltas.push((Key::new(kind, i, b), s));
                    }
                }
                for (tpos, call) in items(delta.get("tool_calls")).iter().enumerate() {
                    let j = uint(data, call.get("index")).unwrap_or(tpos as u64);
                    if call.get("id").is_some() {
                        // A new call: the text and the previous call are complete. Clients
                        // that treat calls as sequential get their tails before it.
                        an.ends.push(Scope::Key(Key::new(KeyKind::Content, i, 0)));
                        if let Some(prev) = j.checked_sub(1) {
                            an.ends.push(Scope::Key(Key::new(KeyKind::Tool, i, prev)));
                        }
                    }
                    // The name comes in the call's first delta.
                    let key = Key::new(KeyKind::Tool, i, j);
                    if let Some(name) = name_of(call.get("function"), "name") {
                        an.tool_calls.push(name);
                        an.tool_keys.push((key, name));
                    }
                    if let Some(s) = text(call.get("function").and_then(|f| f.get("arguments"))) {
                        an.deltas.push((key, s));
                    }
                }
                // The deprecated single `function_call`: its name in the first delta, its
                // arguments streamed like a tool call's.
                if let Some(call) = delta.get("function_call") {
                    let key = Key::new(KeyKind::Function, i, 0);
                    if let Some(name) = name_of(Some(call), "name") {
                        an.tool_calls.push(name);
                        an.tool_keys.push((key, name));
                    }
                    if let Some(s) = text(call.get("arguments")) {
                        an.deltas.push((key, s));
                    }
                }
            }
            if text(choice.get("finish_reason")).is_some() {
                an.ends.push(Scope::Group(i));
            }
        }
        an
    }

    fn synthesize(&self, key: Key, text: &str, cx: &SynthContext<'_>) -> NewEvent {
        let t = quoted(text);
        let delta = match key.kind {
            KeyKind::Content => format!("{{\"content\":{t}}}"),
            KeyKind::Refusal => format!("{{\"refusal\":{t}}}"),
            KeyKind::Reasoning if key.b == REASONING => format!("{{\"reasoning\":{t}}}"),
            KeyKind::Reasoning | KeyKind::ReasoningText => {
                format!("{{\"reasoning_content\":{t}}}")
            }
            KeyKind::Function => format!("{{\"function_call\":{{\"arguments\":{t}}}}}"),
            KeyKind::Tool => format!(
                "{{\"tool_calls\":[{{\"index\":{},\"function\":{{\"arguments\":{t}}}}}]}}",
                key.b
            ),
        };
        let choices = format!(
            "[{{\"index\":{},\"delta\":{delta},\"finish_reason\":null}}]",
            key.a
        );
        NewEvent {
            event: None,
            data: envelope(cx.template, "choices", &choices, &["usage"]),
        }
    }

    /// `data: {"error": …}` (the OpenAI SDKs raise `APIError` on any chunk with an `error`
    /// member), then `data: [DONE]` so line-oriented clients stop reading.
    fn block_events(&self, message: &str, _cx: &SynthContext<'_>) -> Vec<NewEvent> {
        vec![
            NewEvent {
                event: None,
                data: openai_error(message),
            },
            NewEvent {
                event: None,
                data: "[DONE]".to_owned(),
            },
        ]
    }
}

pub(crate) fn openai_error(message: &str) -> String {
    format!(
        "{{\"error\":{{\"message\":{},\"type\":\"llm_warden_policy_violation\",\"param\":null,\"code\":\"{BLOCK_CODE}\"}}}}",
        quoted(message)
    )
}
