//! Members of a response that repeat the generated text token by token.
//!
//! A client that asks for log-probabilities gets every generated token twice: once in the text
//! and once in `logprobs` (OpenAI chat, legacy completions, Responses `output_text`, Ollama)
//! or `logprobsResult` (Gemini), with alternatives and raw bytes. Redacting the text alone
//! would leave the value readable there, so a response whose text was redacted loses these
//! members (see `engine::inspect_response_with`). Scanning the tokens instead cannot work: a
//! secret is spread over many tokens and their alternatives.

use crate::json::{self, Edit, Value};

/// Member names that hold token echoes, in any API's response.
const ECHOES: [&str; 2] = ["logprobs", "logprobsResult"];

/// Members holding tool-call arguments as JSON (Gemini `args`, Ollama `arguments`, Anthropic
/// `input`): never searched for echoes.
const ARGUMENTS: [&str; 3] = ["args", "arguments", "input"];

/// Edits that empty every token echo in `doc` (parsed from `src`): an array becomes `[]`
/// (the Responses API types it as a list), anything else `null` (every API types it as
/// optional). Already empty echoes are left as they are.
pub fn drop_token_echoes(src: &str, doc: &Value) -> Vec<Edit> {
    let mut out = Vec::new();
    collect(src, doc, &mut out);
    out
}

fn collect(src: &str, v: &Value, out: &mut Vec<Edit>) {
    match v {
        Value::Array(items) => items.iter().for_each(|item| collect(src, item, out)),
        Value::Object(members) => {
            for (key, value) in members {
                // Tool-call arguments are the model's data, judged as sent: a member named
                // like an echo inside them is not one.
                if ARGUMENTS.contains(&key.text.as_str()) {
                    continue;
                }
                if !ECHOES.contains(&key.text.as_str()) {
                    collect(src, value, out);
                    continue;
                }
                let replacement = match value {
                    Value::Null => continue,
                    Value::Array(items) if items.is_empty() => continue,
                    Value::Array(_) => "[]",
                    _ => "null",
                };
                let span = json::after_colon(src, key).and_then(|at| json::value_span(src, at));
                if let Some(span) = span {
                    out.push(Edit {
                        span,
                        replacement: replacement.to_string(),
                    });
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dropped(src: &str) -> String {
        let doc = json::parse(src).unwrap();
        json::splice(src, drop_token_echoes(src, &doc))
    }

    #[test]
    fn echoes_of_each_api_are_emptied() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "openai chat",
                r#"{"choices":[{"message":{"content":"x"},"logprobs":{"content":[{"token":"x","bytes":[120]}]}}]}"#,
                r#"{"choices":[{"message":{"content":"x"},"logprobs":null}]}"#,
            ),
            (
                "legacy completions",
                r#"{"choices":[{"text":"x","logprobs":{"tokens":["x"],"text_offset":[0]}}]}"#,
                r#"{"choices":[{"text":"x","logprobs":null}]}"#,
            ),
            (
                "responses output_text keeps a list",
                r#"{"output":[{"content":[{"type":"output_text","text":"x","logprobs":[{"token":"x"}]}]}]}"#,
                r#"{"output":[{"content":[{"type":"output_text","text":"x","logprobs":[]}]}]}"#,
            ),
            (
                "tool-call arguments are not echoes",
                r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"logprobs":{"a":"b"}}}}]},"logprobsResult":{"chosenCandidates":[]}}]}"#,
                r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"logprobs":{"a":"b"}}}}]},"logprobsResult":null}]}"#,
            ),
            (
                "an escaped key is still an echo",
                r#"{"choices":[{"logprob\u0073":{"content":[{"token":"x"}]}}]}"#,
                r#"{"choices":[{"logprob\u0073":null}]}"#,
            ),
            (
                "gemini",
                r#"{"candidates":[{"content":{"parts":[{"text":"x"}]},"logprobsResult":{"chosenCandidates":[{"token":"x"}]},"avgLogprobs":-0.1}]}"#,
                r#"{"candidates":[{"content":{"parts":[{"text":"x"}]},"logprobsResult":null,"avgLogprobs":-0.1}]}"#,
            ),
            (
                "ollama, spaces kept around the value",
                r#"{"message":{"content":"x"}, "logprobs" : [ {"token":"x"} ] }"#,
                r#"{"message":{"content":"x"}, "logprobs" : [] }"#,
            ),
            (
                "null and empty echoes stay",
                r#"{"choices":[{"logprobs":null},{"logprobs":[]}]}"#,
                r#"{"choices":[{"logprobs":null},{"logprobs":[]}]}"#,
            ),
            (
                "no echo, no change",
                r#"{"choices":[{"message":{"content":"x"}}]}"#,
                r#"{"choices":[{"message":{"content":"x"}}]}"#,
            ),
        ];
        for (name, src, want) in cases {
            assert_eq!(&dropped(src), want, "{name}");
        }
    }
}
