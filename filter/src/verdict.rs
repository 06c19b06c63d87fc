//! Decisions as data, and block answers in the caller's own API shape.
//!
//! A blocked call must fail the way the caller's SDK expects an API error to fail: OpenAI's
//! `{"error": {...}}` or Anthropic's `{"type": "error", ...}`, a 4xx/5xx status (never 200, which
//! SDKs would parse as a completion), `content-type: application/json`, and a message that names
//! the rule, never the matched text.

use crate::dialect::{Api, ErrorShape};
use crate::json::ObjectWriter;

/// What the glue must do with a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Forward unchanged.
    Continue,
    /// Answer locally (request) or end the response with this error.
    Block(BlockReply),
    /// Forward this body instead.
    Rewrite(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockReply {
    pub status: u16,
    /// JSON, in the API's error shape.
    pub body: String,
}

/// Why a call was blocked; becomes the error `code` (OpenAI) and part of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    PromptInjection,
    DeniedPattern,
    SensitiveData,
    /// A body over the policy's limit.
    TooLarge,
    /// A compressed body (cannot be inspected).
    UnsupportedEncoding,
    /// A body that is not UTF-8 JSON, where the policy rejects those.
    MalformedBody,
    /// A response that cannot be inspected (too large, compressed, malformed).
    ResponseNotInspectable,
    /// A request offering a tool outside the allow-list.
    ToolNotAllowed,
    /// A request for a model outside the allow-list.
    ModelNotAllowed,
    /// A conversation over a budget (messages, characters, tools, parts).
    BudgetExceeded,
    /// A response calling a tool outside the allow-list.
    ToolCallNotAllowed,
    /// A response repeating the system prompt (canary or protected snippet).
    SystemPromptLeak,
    /// A user message matching none of the policy's allow patterns.
    NotAllowedPrompt,
}

impl BlockReason {
    pub fn code(self) -> &'static str {
        match self {
            BlockReason::PromptInjection => "prompt_injection",
            BlockReason::DeniedPattern => "denied_pattern",
            BlockReason::SensitiveData => "sensitive_data",
            BlockReason::TooLarge => "request_too_large",
            BlockReason::UnsupportedEncoding => "unsupported_content_encoding",
            BlockReason::MalformedBody => "invalid_request_body",
            BlockReason::ResponseNotInspectable => "response_not_inspectable",
            BlockReason::ToolNotAllowed => "tool_not_allowed",
            BlockReason::ModelNotAllowed => "model_not_allowed",
            BlockReason::BudgetExceeded => "budget_exceeded",
            BlockReason::ToolCallNotAllowed => "tool_call_not_allowed",
            BlockReason::SystemPromptLeak => "system_prompt_leak",
            BlockReason::NotAllowedPrompt => "prompt_not_allowed",
        }
    }

    /// The status a body error always gets (policy decisions use the policy's `blockStatus`).
    pub fn fixed_status(self) -> Option<u16> {
        match self {
            BlockReason::TooLarge => Some(413),
            BlockReason::UnsupportedEncoding => Some(415),
            BlockReason::MalformedBody | BlockReason::BudgetExceeded => Some(400),
            BlockReason::ResponseNotInspectable => Some(502),
            _ => None,
        }
    }
}

/// Most rule ids named in one message; the audit line carries them all.
const MAX_RULES_IN_MESSAGE: usize = 5;

/// Builds the error body. `api` is `None` when the API is unknown: OpenAI's shape is then the
/// most widely understood choice.
pub fn block_reply(
    api: Option<Api>,
    status: u16,
    policy: &str,
    reason: BlockReason,
    rules: &[String],
) -> BlockReply {
    let mut named: Vec<&str> = rules
        .iter()
        .map(String::as_str)
        .take(MAX_RULES_IN_MESSAGE)
        .collect();
    if rules.len() > MAX_RULES_IN_MESSAGE {
        named.push("…");
    }
    let message = format!(
        "Blocked by llm-warden policy `{policy}` ({}): {}",
        reason.code(),
        named.join(", ")
    );
    // Members in sorted order: the bodies are byte for byte what serde_json's sorted maps
    // wrote before, which SDK tests and recorded examples show.
    let mut w = ObjectWriter::new();
    let body = match api.map_or(ErrorShape::OpenAi, Api::error_shape) {
        ErrorShape::Anthropic => {
            let error = ObjectWriter::new()
                .string("message", &message)
                .string("type", anthropic_error_type(status))
                .finish();
            w.raw("error", &error).string("type", "error").finish()
        }
        ErrorShape::Google => {
            let error = ObjectWriter::new()
                .raw("code", &status.to_string())
                .string("message", &message)
                .string("status", google_status(status))
                .finish();
            w.raw("error", &error).finish()
        }
        // botocore's rest-json parser reads the error code from `__type`.
        ErrorShape::Aws => w
            .string("__type", aws_error_type(status))
            .string("message", &message)
            .finish(),
        ErrorShape::Ollama => w.string("error", &message).finish(),
        ErrorShape::OpenAi => {
            let error = ObjectWriter::new()
                .string("code", reason.code())
                .string("message", &message)
                .raw("param", "null")
                .string("type", "llm_warden_policy_violation")
                .finish();
            w.raw("error", &error).finish()
        }
    };
    BlockReply { status, body }
}

/// Google API status names by HTTP status.
fn google_status(status: u16) -> &'static str {
    match status {
        400 | 413 | 415 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        502..=504 => "UNAVAILABLE",
        _ => "INTERNAL",
    }
}

/// AWS error codes Bedrock uses, by HTTP status.
fn aws_error_type(status: u16) -> &'static str {
    match status {
        400 | 413 | 415 => "ValidationException",
        403 => "AccessDeniedException",
        429 => "ThrottlingException",
        502..=504 => "ServiceUnavailableException",
        _ => "InternalServerException",
    }
}

/// Anthropic's documented error types by status, so its SDK raises the matching exception.
fn anthropic_error_type(status: u16) -> &'static str {
    match status {
        400 | 415 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_shape() {
        let rules = vec!["injection.override.ignore_previous".to_string()];
        let r = block_reply(
            Some(Api::OpenAiChat),
            403,
            "default",
            BlockReason::PromptInjection,
            &rules,
        );
        assert_eq!(r.status, 403);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"]["code"], "prompt_injection");
        assert_eq!(v["error"]["type"], "llm_warden_policy_violation");
        assert_eq!(
            v["error"]["message"],
            "Blocked by llm-warden policy `default` (prompt_injection): injection.override.ignore_previous"
        );
    }

    #[test]
    fn anthropic_shape_follows_status() {
        for (status, kind) in [
            (403, "permission_error"),
            (400, "invalid_request_error"),
            (451, "api_error"),
        ] {
            let r = block_reply(
                Some(Api::AnthropicMessages),
                status,
                "p",
                BlockReason::DeniedPattern,
                &[],
            );
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(v["type"], "error");
            assert_eq!(v["error"]["type"], kind, "status {status}");
        }
    }

    #[test]
    fn google_aws_and_ollama_shapes() {
        let r = block_reply(
            Some(Api::Gemini),
            403,
            "p",
            BlockReason::PromptInjection,
            &[],
        );
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            (v["error"]["code"].as_u64(), v["error"]["status"].as_str()),
            (Some(403), Some("PERMISSION_DENIED"))
        );
        let r = block_reply(
            Some(Api::BedrockConverse),
            403,
            "p",
            BlockReason::PromptInjection,
            &[],
        );
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["__type"], "AccessDeniedException");
        let r = block_reply(
            Some(Api::OllamaChat),
            403,
            "p",
            BlockReason::PromptInjection,
            &[],
        );
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(v["error"].as_str().unwrap().contains("prompt_injection"));
    }

    /// The bodies are byte for byte what the serde_json trees they replaced printed.
    #[test]
    fn bodies_match_the_sorted_serde_form() {
        let message = "Blocked by llm-warden policy `p \"q\"` (denied_pattern): deny[0]";
        let rules = vec!["deny[0]".to_string()];
        let cases = [
            (
                Some(Api::AnthropicMessages),
                serde_json::json!({"type": "error",
                    "error": {"type": "permission_error", "message": message}}),
            ),
            (
                Some(Api::Gemini),
                serde_json::json!({"error":
                    {"code": 403, "message": message, "status": "PERMISSION_DENIED"}}),
            ),
            (
                Some(Api::BedrockConverse),
                serde_json::json!({"__type": "AccessDeniedException", "message": message}),
            ),
            (Some(Api::OllamaChat), serde_json::json!({"error": message})),
            (
                None,
                serde_json::json!({"error": {"message": message,
                    "type": "llm_warden_policy_violation", "param": null, "code": "denied_pattern"}}),
            ),
        ];
        for (api, want) in cases {
            let r = block_reply(api, 403, "p \"q\"", BlockReason::DeniedPattern, &rules);
            assert_eq!(r.body, want.to_string(), "api {api:?}");
        }
    }

    #[test]
    fn long_rule_lists_are_cut() {
        let rules: Vec<String> = (0..9).map(|i| format!("r{i}")).collect();
        let r = block_reply(None, 403, "p", BlockReason::SensitiveData, &rules);
        assert!(r.body.contains("r0, r1, r2, r3, r4, …"), "{}", r.body);
        assert!(!r.body.contains("r5"));
    }
}
