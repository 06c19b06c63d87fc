//! Tool calls a (non-streamed) response makes, in every API's shape, and the checks on their
//! arguments: per-tool constraints (JSON pointer → allowed values, pattern, length) and the
//! text the arguments carry, which the engine screens for injection.
//!
//! A model that calls a tool with a secret or with instructions for the next agent is the
//! exfiltration and cross-agent injection path of OWASP LLM06; the allow-list alone does not
//! see it.

use super::glob::Glob;
use crate::dialect::Api;
use crate::json::{Str, Value};
use regex_lite::Regex;

/// One tool call: the tool's name and its arguments.
#[derive(Debug, Clone, Copy)]
pub struct ToolCall<'d> {
    pub name: &'d str,
    pub args: Args<'d>,
}

/// Arguments as the API carries them.
#[derive(Debug, Clone, Copy)]
pub enum Args<'d> {
    /// A JSON object in the body (Anthropic `input`, Gemini `args`, Bedrock `input`, Ollama).
    Object(&'d Value),
    /// A string holding JSON (OpenAI `arguments`).
    Encoded(&'d Str),
    Absent,
}

impl Args<'_> {
    /// The arguments as a JSON value (`src` is the body they were parsed from); `None` when
    /// absent or not JSON (a model can emit malformed arguments; constraints then fail
    /// closed, see `Constraint::check`).
    pub fn parsed(&self, src: &str) -> Option<serde_json::Value> {
        match self {
            Args::Object(v) => Some(to_serde(v, src)),
            Args::Encoded(s) => serde_json::from_str(&s.text).ok(),
            Args::Absent => None,
        }
    }
}

/// Our span-keeping value as a `serde_json::Value` (the last of duplicate keys wins, as in
/// `Value::get`). Depth is bounded by the parser's `MAX_DEPTH`.
fn to_serde(v: &Value, src: &str) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(span) => src
            .get(span.clone())
            .and_then(|n| serde_json::from_str(n).ok())
            .unwrap_or(J::Null),
        Value::String(s) => J::String(s.text.clone()),
        Value::Array(items) => J::Array(items.iter().map(|i| to_serde(i, src)).collect()),
        Value::Object(members) => J::Object(
            members
                .iter()
                .map(|(k, v)| (k.text.clone(), to_serde(v, src)))
                .collect(),
        ),
    }
}

fn name(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).map(|s| s.text.as_str())
}

fn args_of(v: Option<&Value>) -> Args<'_> {
    match v {
        Some(v) => match v.as_str() {
            Some(s) => Args::Encoded(s),
            None => Args::Object(v),
        },
        None => Args::Absent,
    }
}

fn items(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).unwrap_or_default()
}

/// Every tool call of a response body.
pub fn tool_calls(api: Api, doc: &Value) -> Vec<ToolCall<'_>> {
    let mut out: Vec<ToolCall<'_>> = Vec::new();
    fn push<'d>(out: &mut Vec<ToolCall<'d>>, n: Option<&'d str>, args: Args<'d>) {
        if let Some(n) = n {
            out.push(ToolCall { name: n, args });
        }
    }
    match api {
        Api::OpenAiChat => {
            for choice in items(doc.get("choices")) {
                let Some(message) = choice.get("message") else {
                    continue;
                };
                for call in items(message.get("tool_calls")) {
                    let f = call.get("function");
                    push(
                        &mut out,
                        name(f.and_then(|f| f.get("name"))),
                        args_of(f.and_then(|f| f.get("arguments"))),
                    );
                }
                if let Some(f) = message.get("function_call") {
                    push(&mut out, name(f.get("name")), args_of(f.get("arguments")));
                }
            }
        }
        Api::AnthropicMessages | Api::OpenAiResponses => {
            let (key, kind, args) = if api == Api::AnthropicMessages {
                ("content", "tool_use", "input")
            } else {
                ("output", "function_call", "arguments")
            };
            for item in items(doc.get(key)) {
                if item
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.text == kind)
                {
                    push(&mut out, name(item.get("name")), args_of(item.get(args)));
                }
            }
        }
        Api::Gemini => {
            for c in items(doc.get("candidates")) {
                let parts = c.get("content").and_then(|content| content.get("parts"));
                for part in items(parts) {
                    if let Some(call) = part.get("functionCall") {
                        push(&mut out, name(call.get("name")), args_of(call.get("args")));
                    }
                }
            }
        }
        Api::BedrockConverse => {
            let content = doc
                .get("output")
                .and_then(|o| o.get("message"))
                .and_then(|m| m.get("content"));
            for part in items(content) {
                if let Some(call) = part.get("toolUse") {
                    push(&mut out, name(call.get("name")), args_of(call.get("input")));
                }
            }
        }
        Api::OllamaChat => {
            let calls = doc.get("message").and_then(|m| m.get("tool_calls"));
            for call in items(calls) {
                let f = call.get("function");
                push(
                    &mut out,
                    name(f.and_then(|f| f.get("name"))),
                    args_of(f.and_then(|f| f.get("arguments"))),
                );
            }
        }
        Api::OpenAiCompletions | Api::OpenAiEmbeddings | Api::OllamaGenerate | Api::GenericJson => {
        }
    }
    out
}

/// A constraint on one argument of the tools a glob names.
#[derive(Debug, Clone)]
pub struct Constraint {
    pub tool: Glob,
    /// RFC 6901 pointer into the arguments (`/query`, `/filters/0/field`).
    pub pointer: String,
    /// The value must equal one of these.
    pub allowed: Option<Vec<serde_json::Value>>,
    /// The value must be a string this pattern matches (anchor it to match whole values).
    pub pattern: Option<Regex>,
    /// Longest string (characters) or serialised non-string value (bytes).
    pub max_length: Option<usize>,
    /// The argument must be present.
    pub required: bool,
}

impl Constraint {
    /// Whether the call's arguments satisfy this constraint (true for other tools). Arguments
    /// that are not JSON fail every constraint on their tool: they cannot be checked.
    pub fn check(&self, call: &ToolCall<'_>, parsed: Option<&serde_json::Value>) -> bool {
        if !self.tool.matches(call.name) {
            return true;
        }
        let Some(args) = parsed else {
            return false;
        };
        let Some(value) = args.pointer(&self.pointer) else {
            return !self.required;
        };
        if let Some(allowed) = &self.allowed {
            if !allowed.contains(value) {
                return false;
            }
        }
        if let Some(pattern) = &self.pattern {
            if !value.as_str().is_some_and(|s| pattern.is_match(s)) {
                return false;
            }
        }
        if let Some(max) = self.max_length {
            let len = match value.as_str() {
                Some(s) => s.chars().count(),
                None => value.to_string().len(),
            };
            if len > max {
                return false;
            }
        }
        true
    }
}

/// Every string in the arguments (values, not keys), for screening.
pub fn argument_texts(parsed: &serde_json::Value, out: &mut Vec<String>) {
    match parsed {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| argument_texts(v, out)),
        serde_json::Value::Object(members) => members.values().for_each(|v| argument_texts(v, out)),
        _ => {}
    }
}
