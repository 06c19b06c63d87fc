//! Members of a response that repeat the generated text token by token.
//!
//! A client that asks for log-probabilities gets every generated token twice: once in the text
//! and once in `logprobs` (OpenAI chat, legacy completions, Responses `output_text`, Ollama)
//! or `logprobsResult` (Gemini), with alternatives and raw bytes. Redacting the text alone
//! would leave the value readable there, so a response whose text was redacted loses these
//! members (see `engine::inspect_response_with`). Scanning the tokens instead cannot work: a
//! secret is spread over many tokens and their alternatives.

use crate::json::{self, Edit, Value};
use std::ops::Range;

/// Member names that hold token echoes, in any API's response.
const ECHOES: [&str; 2] = ["logprobs", "logprobsResult"];

/// Members holding tool-call arguments as JSON (Gemini `args`, Ollama `arguments`, Anthropic
/// `input`): never searched for echoes.
const ARGUMENTS: [&str; 3] = ["args", "arguments", "input"];

/// A token echo found in a document: the edit that empties it, and the byte range of the
/// object that holds it (a choice, a candidate, a content part, the whole event), whose text
/// the echo repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Echo {
    pub edit: Edit,
    pub within: Range<usize>,
}

/// Edits that empty every token echo in `doc` (parsed from `src`): an array becomes `[]`
/// (the Responses API types it as a list), anything else `null` (every API types it as
/// optional). Already empty echoes are left as they are. Ollama's exchange tokens go too
/// (`drop_exchange_tokens`).
pub fn drop_token_echoes(src: &str, doc: &Value) -> Vec<Edit> {
    let mut edits: Vec<Edit> = token_echoes(src, doc).into_iter().map(|e| e.edit).collect();
    edits.extend(drop_exchange_tokens(src, doc));
    edits
}

/// Edits that empty Ollama `/api/generate`'s `context` (`[]`) when `doc` is such an answer
/// and carries one. `context` holds the token ids of the whole exchange, prompt and
/// answer, for the client to send back and continue the conversation; with the model's
/// tokenizer they spell out the answer as the model wrote it, so they go when its text was
/// redacted (a client sending `[]` back starts afresh, which Ollama accepts).
pub fn drop_exchange_tokens(src: &str, doc: &Value) -> Vec<Edit> {
    let Value::Object(members) = doc else {
        return Vec::new();
    };
    if doc.get("done").is_none() || doc.get("response").is_none() {
        return Vec::new();
    }
    // Duplicate keys: every copy goes, whichever one a client's parser keeps.
    members
        .iter()
        .filter(|(key, value)| {
            key.text == "context" && !matches!(value, Value::Array(items) if items.is_empty())
        })
        .filter_map(|(key, _)| json::value_span(src, json::after_colon(src, key)?))
        .map(|span| Edit {
            span,
            replacement: "[]".to_string(),
        })
        .collect()
}

/// The token echoes of `doc` with the objects that hold them, so a stream can keep the echoes
/// of a choice whose text passed unchanged and empty those of another in the same event.
pub fn token_echoes(src: &str, doc: &Value) -> Vec<Echo> {
    let mut out = Vec::new();
    collect(src, doc, &mut out);
    out
}

/// The byte range of an object from its first member's key to its last member's value (the
/// braces excluded; an empty object has none).
fn members_span(src: &str, members: &[(json::Str, Value)]) -> Option<Range<usize>> {
    let (first, _) = members.first()?;
    let (last, _) = members.last()?;
    let end = json::value_span(src, json::after_colon(src, last)?)?.end;
    Some(first.span.start..end)
}

fn collect(src: &str, v: &Value, out: &mut Vec<Echo>) {
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
                    // The holder's range; should it not be found (it always is: the parse
                    // came from `src`), the echo's own range holds no text, so it goes.
                    let within = members_span(src, members).unwrap_or_else(|| span.clone());
                    out.push(Echo {
                        edit: Edit {
                            span,
                            replacement: replacement.to_string(),
                        },
                        within,
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
                "ollama generate context",
                r#"{"model":"m","response":"x","done":true,"context":[1,2,3],"eval_count":1}"#,
                r#"{"model":"m","response":"x","done":true,"context":[],"eval_count":1}"#,
            ),
            (
                "a context member elsewhere is not ollama's",
                r#"{"choices":[{"message":{"content":"x"}}],"context":[1,2,3]}"#,
                r#"{"choices":[{"message":{"content":"x"}}],"context":[1,2,3]}"#,
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
