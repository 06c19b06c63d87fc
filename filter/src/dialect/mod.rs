//! LLM API dialects: which API a request speaks, and where its text lives.
//!
//! Extraction yields `Segment`s: each a string literal of the body with the role of the message
//! it belongs to and a JSON-path-like location for audit lines. Rewriting later replaces exactly
//! those literals, so a dialect only has to know where text is, never how to re-serialise.

mod chat;
mod definitions;
mod echoes;
mod other;

pub use echoes::{drop_exchange_tokens, drop_token_echoes, token_echoes, Echo};

use crate::json::{Str, Value};
use std::fmt;

/// The APIs the engine understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAiChat,
    OpenAiCompletions,
    OpenAiEmbeddings,
    OpenAiResponses,
    AnthropicMessages,
    /// Gemini `generateContent` / `streamGenerateContent`.
    Gemini,
    /// AWS Bedrock `Converse` (JSON; `ConverseStream` is a binary event stream, passed
    /// through and counted).
    BedrockConverse,
    /// Ollama `/api/chat`.
    OllamaChat,
    /// Ollama `/api/generate`.
    OllamaGenerate,
    /// JSON of no known API, inspected (policy `unknownBodies: inspect`): every string value.
    GenericJson,
}

/// The error body shape a caller's SDK understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    OpenAi,
    Anthropic,
    Google,
    Aws,
    Ollama,
}

impl Api {
    pub fn name(self) -> &'static str {
        match self {
            Api::OpenAiChat => "openai.chat",
            Api::OpenAiCompletions => "openai.completions",
            Api::OpenAiEmbeddings => "openai.embeddings",
            Api::OpenAiResponses => "openai.responses",
            Api::AnthropicMessages => "anthropic.messages",
            Api::Gemini => "gemini.generate_content",
            Api::BedrockConverse => "bedrock.converse",
            Api::OllamaChat => "ollama.chat",
            Api::OllamaGenerate => "ollama.generate",
            Api::GenericJson => "generic.json",
        }
    }

    /// Recognises an API from the request path (query ignored). Suffix matching also covers
    /// Azure OpenAI (`/openai/deployments/<d>/chat/completions`) and gateway path prefixes.
    pub fn from_path(path: &str) -> Option<Api> {
        let path = path
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .trim_end_matches('/');
        if path.ends_with(":generateContent") || path.ends_with(":streamGenerateContent") {
            return Some(Api::Gemini);
        }
        let bedrock = path.ends_with("/converse") || path.ends_with("/converse-stream");
        if bedrock && path.contains("/model/") {
            return Some(Api::BedrockConverse);
        }
        if path.ends_with("/api/chat") {
            return Some(Api::OllamaChat);
        }
        if path.ends_with("/api/generate") {
            return Some(Api::OllamaGenerate);
        }
        const SUFFIXES: &[(&str, Api)] = &[
            ("/chat/completions", Api::OpenAiChat),
            ("/v1/messages", Api::AnthropicMessages),
            ("/completions", Api::OpenAiCompletions),
            ("/embeddings", Api::OpenAiEmbeddings),
            ("/responses", Api::OpenAiResponses),
        ];
        SUFFIXES
            .iter()
            .find(|(suffix, _)| path.ends_with(suffix))
            .map(|(_, api)| *api)
    }

    /// Recognises a chat body by shape when the path says nothing (a custom route prefix).
    pub fn from_request_body(doc: &Value) -> Option<Api> {
        let messages = doc.get("messages")?.as_array()?;
        let chat_like = messages.iter().all(|m| m.get("role").is_some());
        if !chat_like {
            return None;
        }
        let anthropic = doc.get("anthropic_version").is_some()
            || doc
                .get("system")
                .is_some_and(|s| s.as_str().is_some() || s.as_array().is_some());
        Some(if anthropic {
            Api::AnthropicMessages
        } else {
            Api::OpenAiChat
        })
    }

    /// How this API's SDKs expect an error body to look.
    pub fn error_shape(self) -> ErrorShape {
        match self {
            Api::AnthropicMessages => ErrorShape::Anthropic,
            Api::Gemini => ErrorShape::Google,
            Api::BedrockConverse => ErrorShape::Aws,
            Api::OllamaChat | Api::OllamaGenerate => ErrorShape::Ollama,
            Api::OpenAiChat
            | Api::OpenAiCompletions
            | Api::OpenAiEmbeddings
            | Api::OpenAiResponses
            | Api::GenericJson => ErrorShape::OpenAi,
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who wrote a piece of text. Injection screening looks at what users and tools supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    /// Tool / function results: where indirect injection arrives.
    Tool,
    Other,
}

impl Role {
    /// The role named by an item's `role` field, or `default` where it has none.
    pub fn of(item: &Value, default: Role) -> Role {
        item.get("role")
            .and_then(Value::as_str)
            .map_or(default, |r| Role::parse(&r.text))
    }

    pub fn parse(role: &str) -> Role {
        match role {
            "system" | "developer" => Role::System,
            "user" => Role::User,
            "assistant" | "model" => Role::Assistant,
            "tool" | "function" => Role::Tool,
            _ => Role::Other,
        }
    }
}

/// One piece of text in a body.
#[derive(Debug, Clone)]
pub struct Segment<'d> {
    pub role: Role,
    pub literal: &'d Str,
    /// Where it sits, e.g. `messages[2].content[0].text`; for audit lines.
    pub location: String,
}

impl Segment<'_> {
    pub fn text(&self) -> &str {
        &self.literal.text
    }

    /// Index of the conversation turn this text belongs to (`messages[i]`, Gemini
    /// `contents[i]`, Responses `input[i]`); `None` for texts outside the turns (a top-level
    /// `system`, `instructions`, `prompt`).
    pub fn turn(&self) -> Option<usize> {
        let rest = ["messages[", "contents[", "input["]
            .iter()
            .find_map(|p| self.location.strip_prefix(p))?;
        let digits = rest.split(']').next()?;
        digits.parse().ok()
    }
}

/// A segment's location (`messages[2].content`), built piece by piece. Every text of every
/// body gets one; with `format!` they were most of `core::fmt`'s work on the request path
/// (~1 % of a 1 KiB exchange's module time in V8), and code a request otherwise never runs:
/// cold code costs more than its instructions inside Envoy (issue #10).
#[derive(Debug)]
pub(crate) struct Loc(String);

// Not inlined: a call per step at ~40 sites is smaller code than the steps themselves.
impl Loc {
    #[inline(never)]
    pub(crate) fn at(base: &str) -> Loc {
        let mut s = String::with_capacity(base.len() + 24);
        s.push_str(base);
        Loc(s)
    }

    /// `.key` (a key may hold several dotted steps).
    #[inline(never)]
    pub(crate) fn key(mut self, key: &str) -> Loc {
        self.0.push('.');
        self.0.push_str(key);
        self
    }

    /// `[i]`
    #[inline(never)]
    pub(crate) fn index(mut self, i: usize) -> Loc {
        self.0.push('[');
        push_decimal(&mut self.0, i);
        self.0.push(']');
        self
    }

    pub(crate) fn done(self) -> String {
        self.0
    }
}

fn push_decimal(out: &mut String, n: usize) {
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    let digit = u8::try_from(n % 10).unwrap_or(0);
    out.push(char::from(b'0' + digit));
}

/// The text segments of a request body.
pub fn request_segments(api: Api, doc: &Value) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    match api {
        Api::OpenAiChat | Api::AnthropicMessages => chat::request(doc, &mut out),
        Api::OpenAiCompletions => chat::strings(doc, "prompt", Role::User, &mut out),
        Api::OpenAiEmbeddings => chat::strings(doc, "input", Role::User, &mut out),
        Api::OpenAiResponses => chat::responses_request(doc, &mut out),
        Api::Gemini => other::gemini_request(doc, &mut out),
        Api::BedrockConverse => other::bedrock_request(doc, &mut out),
        Api::OllamaChat => {
            chat::strings(doc, "system", Role::System, &mut out);
            chat::request(doc, &mut out);
        }
        Api::OllamaGenerate => {
            chat::strings(doc, "system", Role::System, &mut out);
            chat::strings(doc, "prompt", Role::User, &mut out);
        }
        Api::GenericJson => chat::every_string(doc, Role::Other, &mut out),
    }
    if api != Api::GenericJson {
        definitions::definitions(doc, &mut out);
    }
    out
}

/// The text segments of a (non-streamed) response body.
pub fn response_segments(api: Api, doc: &Value) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    match api {
        Api::OpenAiChat => chat::openai_chat_response(doc, &mut out),
        Api::AnthropicMessages => chat::anthropic_response(doc, &mut out),
        Api::OpenAiCompletions => chat::openai_completions_response(doc, &mut out),
        Api::OpenAiResponses => chat::responses_output(doc, &mut out),
        Api::OpenAiEmbeddings => {}
        Api::Gemini => other::gemini_response(doc, &mut out),
        Api::BedrockConverse => other::bedrock_response(doc, &mut out),
        Api::OllamaChat => chat::ollama_chat_response(doc, &mut out),
        Api::OllamaGenerate => {
            chat::strings(doc, "response", Role::Assistant, &mut out);
            chat::strings(doc, "thinking", Role::Assistant, &mut out);
        }
        Api::GenericJson => chat::every_string(doc, Role::Assistant, &mut out),
    }
    out
}

#[cfg(test)]
mod tests;
