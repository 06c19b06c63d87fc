//! The few facts the mock needs from a provider request body.
//!
//! Parsing is lenient on purpose: the proxy under test may rewrite, truncate or redact
//! bodies, and the mock must still answer so the test can inspect what happened.

use serde_json::Value;

/// Model name used when the request names none (or is not JSON).
pub const DEFAULT_MODEL: &str = "mock-model";

/// What the response builders need from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    pub model: String,
    /// `"stream": true` — only a JSON `true` counts.
    pub stream: bool,
    /// OpenAI `stream_options.include_usage`: adds a final usage-only chunk.
    pub include_usage: bool,
    /// Estimated prompt tokens (see [`estimate_tokens`]).
    pub prompt_tokens: u64,
    /// The system prompt as the provider received it (OpenAI system/developer messages,
    /// Anthropic `system`, Responses `instructions`), for `x-mock-echo-system`.
    pub system: String,
}

impl RequestInfo {
    pub fn parse(body: &[u8]) -> Self {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => {
                let chars: usize = ["messages", "system", "prompt", "input"]
                    .iter()
                    .filter_map(|k| map.get(*k))
                    .map(text_chars)
                    .sum();
                RequestInfo {
                    model: map
                        .get("model")
                        .and_then(Value::as_str)
                        .unwrap_or(DEFAULT_MODEL)
                        .to_owned(),
                    stream: map.get("stream").and_then(Value::as_bool) == Some(true),
                    include_usage: map
                        .get("stream_options")
                        .and_then(|o| o.get("include_usage"))
                        .and_then(Value::as_bool)
                        == Some(true),
                    prompt_tokens: estimate_tokens(chars),
                    system: system_prompt(&map),
                }
            }
            _ => RequestInfo {
                model: DEFAULT_MODEL.to_owned(),
                stream: false,
                include_usage: false,
                prompt_tokens: estimate_tokens(String::from_utf8_lossy(body).chars().count()),
                system: String::new(),
            },
        }
    }
}

/// The system prompt text of a request, joined with newlines.
fn system_prompt(map: &serde_json::Map<String, Value>) -> String {
    fn text(v: &Value) -> Vec<&str> {
        match v {
            Value::String(s) => vec![s.as_str()],
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect(),
            _ => Vec::new(),
        }
    }
    let mut out: Vec<&str> = Vec::new();
    for key in ["system", "instructions"] {
        out.extend(map.get(key).map(text).unwrap_or_default());
    }
    for m in map
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let role = m.get("role").and_then(Value::as_str).unwrap_or_default();
        if role == "system" || role == "developer" {
            out.extend(m.get("content").map(text).unwrap_or_default());
        }
    }
    out.join("\n")
}

/// Chars of prompt text in a message structure: every string leaf except the structural
/// `role` / `type` tags. Recursion is bounded by serde_json's nesting limit (128).
fn text_chars(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.iter().map(text_chars).sum(),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| k.as_str() != "role" && k.as_str() != "type")
            .map(|(_, v)| text_chars(v))
            .sum(),
        _ => 0,
    }
}

/// Deterministic token estimate (~4 chars per token, rounded up) so tests can predict
/// usage numbers without a tokenizer.
pub fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openai_request() {
        let body = br#"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},
            "messages":[{"role":"system","content":"be brief"},
                        {"role":"user","content":[{"type":"text","text":"hi there"}]}]}"#;
        let info = RequestInfo::parse(body);
        assert_eq!(info.model, "gpt-4o");
        assert!(info.stream && info.include_usage);
        assert_eq!(
            info.prompt_tokens,
            estimate_tokens("be brief".len() + "hi there".len())
        );
    }

    #[test]
    fn parses_anthropic_system_and_defaults() {
        let info = RequestInfo::parse(
            br#"{"system":"abcd","messages":[{"role":"user","content":"efgh"}],"stream":"yes"}"#,
        );
        assert_eq!(info.model, DEFAULT_MODEL);
        assert!(!info.stream, "only a JSON true enables streaming");
        assert_eq!(info.prompt_tokens, 2);
    }

    #[test]
    fn non_json_is_tolerated() {
        let info = RequestInfo::parse(b"\xff\xfe not json");
        assert_eq!(info.model, DEFAULT_MODEL);
        assert!(!info.stream);
        assert!(info.prompt_tokens > 0);
        assert_eq!(RequestInfo::parse(b"").prompt_tokens, 0);
        assert_eq!(RequestInfo::parse(b"[1,2]").model, DEFAULT_MODEL);
    }
}
