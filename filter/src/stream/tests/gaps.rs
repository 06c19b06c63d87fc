//! The known-gaps ledger (`testdata/streams/known-gaps.txt`): every listed gap has a case here
//! that still leaks its secret; a case that stops leaking fails until its line is removed.
//! Closed gaps keep their case in `closed()`, which must not leak.

use super::fixtures::{load, rewrite};
use super::support::detector;
use crate::stream::StreamApi;

const EMAIL: &str = "jane.doe@example.com";

/// Open gaps: each still leaks its secret. None today.
fn cases() -> Vec<(&'static str, StreamApi, String, String)> {
    Vec::new()
}

/// Gaps once listed in the ledger, now closed: token echoes (`logprobs`) go with held text,
/// the deprecated `function_call.arguments` is a text stream, Anthropic's `cited_text` is
/// redacted whole, Responses' `reasoning_text` deltas are a text stream, and Ollama's final
/// `context` (token ids of the exchange) is emptied once the answer was redacted.
fn closed() -> Vec<(&'static str, StreamApi, String, String)> {
    vec![
        (
            "ollama-generate-context",
            StreamApi::Ollama,
            format!("{{\"model\":\"m\",\"response\":\"{EMAIL}\",\"done\":false}}\n{{\"model\":\"m\",\"response\":\"\",\"done\":true,\"context\":[101,202,303]}}\n"),
            "[101,202,303]".to_owned(),
        ),
        (
            "openai-chat-logprobs",
            StreamApi::OpenAiChat,
            format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{EMAIL}\"}},\"logprobs\":{{\"content\":[{{\"token\":\"{EMAIL}\",\"logprob\":-0.1,\"bytes\":[106],\"top_logprobs\":[]}}]}}}}]}}\n\ndata: [DONE]\n\n"),
            EMAIL.to_owned(),
        ),
        (
            "openai-chat-reasoning",
            StreamApi::OpenAiChat,
            format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"reasoning\":\"{EMAIL}\"}}}}]}}\n\ndata: [DONE]\n\n"),
            EMAIL.to_owned(),
        ),
        (
            "openai-chat-legacy-function-call",
            StreamApi::OpenAiChat,
            format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"function_call\":{{\"arguments\":\"{EMAIL}\"}}}}}}]}}\n\ndata: [DONE]\n\n"),
            EMAIL.to_owned(),
        ),
        (
            "anthropic-citations",
            StreamApi::AnthropicMessages,
            format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"citations_delta\",\"citation\":{{\"type\":\"char_location\",\"cited_text\":\"{EMAIL}\"}}}}}}\n\n"),
            EMAIL.to_owned(),
        ),
        (
            "responses-reasoning-text",
            StreamApi::OpenAiResponses,
            format!("event: response.reasoning_text.delta\ndata: {{\"type\":\"response.reasoning_text.delta\",\"sequence_number\":1,\"item_id\":\"rs\",\"output_index\":0,\"content_index\":0,\"delta\":\"{EMAIL}\"}}\n\n"),
            EMAIL.to_owned(),
        ),
    ]
}

#[test]
fn closed_gaps_stay_closed() {
    for (name, api, input, secret) in closed() {
        let out = rewrite(api, detector(), &[input.as_bytes()]);
        let out = String::from_utf8_lossy(&out);
        assert!(
            !out.contains(&secret),
            "closed gap {name} leaks again\ninput  {input:?}\noutput {out:?}"
        );
        assert!(out.contains("[REDACTED:EMAIL]"), "case {name}: {out:?}");
    }
}

#[test]
fn known_gaps_ledger_only_shrinks() {
    let ledger = String::from_utf8(load("known-gaps.txt")).unwrap();
    let listed: Vec<&str> = ledger
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(':').next())
        .collect();
    let cases = cases();
    for name in &listed {
        assert!(
            cases.iter().any(|(n, ..)| n == name),
            "gap {name} is listed but has no case"
        );
    }
    for (name, api, input, secret) in cases {
        assert!(
            listed.contains(&name),
            "case {name} is not listed in known-gaps.txt"
        );
        let out = rewrite(api, detector(), &[input.as_bytes()]);
        let out = String::from_utf8_lossy(&out);
        assert!(
            out.contains(&secret),
            "gap {name} no longer leaks: remove it from testdata/streams/known-gaps.txt\ninput  {input:?}\noutput {out:?}"
        );
    }
}
