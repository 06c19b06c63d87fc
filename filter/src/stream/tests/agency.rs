//! Bounded agency on streams: tool names per dialect, disallowed tool calls ending the stream
//! before any byte of the call, and the system-prompt canary held back, redacted or blocked
//! however the stream is split.

use super::fixtures::{load, no_holdback, FIXTURES};
use super::redactor::random_text;
use super::support::{client_texts, detector, random_chunks, random_pieces, reference_redact, Rng};
use crate::detect::Finding;
use crate::json;
use crate::stream::redactor::{
    Detector, FindingAction, Redactor, RedactorOptions, Sink, WithCanary, CANARY_LABEL,
};
use crate::stream::{StreamApi, StreamError, StreamOptions, StreamRewriter, ToolCheck};

const TOKEN: &str = "lwc-0123456789abcdef0123456789abcdef";

fn sse(event: Option<&str>, data: &str) -> String {
    match event {
        Some(e) => format!("event: {e}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

/// Name, API, SSE event name, event data, the tool names it calls.
type ToolCase<'a> = (&'a str, StreamApi, Option<&'a str>, &'a str, &'a [&'a str]);

#[test]
fn tool_names_per_dialect() {
    let cases: &[ToolCase] = &[
        (
            "openai: name in the first tool_calls delta",
            StreamApi::OpenAiChat,
            None,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"shell_exec","arguments":""}}]}}]}"#,
            &["shell_exec"],
        ),
        (
            "openai: later argument deltas name nothing",
            StreamApi::OpenAiChat,
            None,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}}]}"#,
            &[],
        ),
        (
            "openai: two calls in one chunk, and the legacy function_call",
            StreamApi::OpenAiChat,
            None,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f1"}},{"index":1,"id":"b","function":{"name":"f2"}}]}},{"index":1,"delta":{"function_call":{"name":"legacy","arguments":""}}}]}"#,
            &["f1", "f2", "legacy"],
        ),
        (
            "anthropic: content_block_start of type tool_use",
            StreamApi::AnthropicMessages,
            Some("content_block_start"),
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"shell_exec","input":{}}}"#,
            &["shell_exec"],
        ),
        (
            "anthropic: a text block names no tool",
            StreamApi::AnthropicMessages,
            Some("content_block_start"),
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"","name":"x"}}"#,
            &[],
        ),
        (
            "responses: output_item.added with a function_call item",
            StreamApi::OpenAiResponses,
            Some("response.output_item.added"),
            r#"{"type":"response.output_item.added","sequence_number":3,"output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"shell_exec","arguments":"","status":"in_progress"}}"#,
            &["shell_exec"],
        ),
        (
            "responses: a message item names no tool",
            StreamApi::OpenAiResponses,
            Some("response.output_item.added"),
            r#"{"type":"response.output_item.added","sequence_number":3,"output_index":0,"item":{"type":"message","id":"m","name":"x","content":[]}}"#,
            &[],
        ),
        (
            "gemini: functionCall parts",
            StreamApi::Gemini,
            None,
            r#"{"candidates":[{"content":{"parts":[{"text":"ok"},{"functionCall":{"name":"shell_exec","args":{"cmd":"ls"}}}],"role":"model"},"index":0}]}"#,
            &["shell_exec"],
        ),
        (
            "ollama: message.tool_calls",
            StreamApi::Ollama,
            None,
            r#"{"model":"l","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"shell_exec","arguments":{"cmd":"ls"}}}]},"done":false}"#,
            &["shell_exec"],
        ),
    ];
    for (name, api, event, data, want) in cases {
        let doc = json::parse(data).unwrap();
        let an = api.dialect().analyze(*event, data, Some(&doc));
        assert_eq!(an.tool_calls, *want, "case {name}");
    }
}

fn no_entities() -> Box<dyn Detector> {
    Box::new(|_: &str, _: &mut Vec<Finding>| {})
}

fn deny(names: &'static [&'static str], enforce: bool) -> ToolCheck {
    ToolCheck {
        allowed: Box::new(move |n| !names.contains(&n)),
        arguments: None,
        enforce,
    }
}

/// Feeds `chunks`; returns the client's bytes (with the block events when it stopped) and the
/// error.
pub(super) fn drive(rw: &mut StreamRewriter, chunks: &[&[u8]]) -> (Vec<u8>, Option<StreamError>) {
    let mut out = Vec::new();
    for c in chunks {
        let o = rw.push(c);
        out.extend(o.bytes);
        if let Some(e) = o.error {
            out.extend(rw.block_event("blocked", &[]));
            return (out, Some(e));
        }
    }
    let o = rw.finish();
    out.extend(o.bytes);
    if o.error.is_some() {
        out.extend(rw.block_event("blocked", &[]));
    }
    (out, o.error)
}

#[test]
fn disallowed_tool_in_a_fixture_ends_the_stream_before_the_call() {
    let cases: &[(&str, &[&str])] = &[
        ("openai_chat_tools.sse", &["rotate_key"]),
        ("anthropic_messages.sse", &["rotate_key"]),
        ("openai_responses.sse", &["store_secret"]),
    ];
    let mut rng = Rng(0x7001);
    for (name, denied) in cases {
        let api = FIXTURES.iter().find(|(n, _)| n == name).unwrap().1;
        let input = load(name);
        for round in 0..100 {
            let chunks = random_chunks(&mut rng, &input);
            let mut rw = StreamRewriter::new(api, StreamOptions::default(), detector())
                .with_tool_check(deny(denied, true));
            let (out, error) = drive(&mut rw, &chunks);
            assert_eq!(
                error,
                Some(StreamError::ToolNotAllowed),
                "{name} round {round}"
            );
            let text = String::from_utf8_lossy(&out);
            for d in *denied {
                assert!(
                    !text.contains(d),
                    "{name} round {round}: {d} reached the client"
                );
            }
            // What was sent is a well-formed stream ending in the API's error.
            client_texts(api, &out)
                .unwrap_or_else(|e| panic!("{name} round {round}: invalid output: {e}\n{text}"));
            assert!(text.contains("response_blocked") || text.contains("permission_error"));
            // Later input is ignored.
            assert!(rw.push(&input).bytes.is_empty());
        }
    }
}

#[test]
fn allowed_and_monitored_tools_pass() {
    for (name, api) in FIXTURES {
        let input = load(name);
        for check in [
            deny(&["nothing_called_this"], true),
            deny(&["rotate_key", "store_secret"], false),
        ] {
            let monitored = !check.enforce;
            let mut rw =
                StreamRewriter::new(*api, no_holdback(), no_entities()).with_tool_check(check);
            let o = rw.push(&input);
            assert_eq!(o.error, None, "{name}");
            assert_eq!(o.bytes, input, "{name}: unchanged byte for byte");
            let calls_denied = ["rotate_key", "store_secret"]
                .iter()
                .any(|n| String::from_utf8_lossy(&input).contains(&format!("\"name\":\"{n}\"")));
            if monitored {
                assert_eq!(o.tools_monitored > 0, calls_denied, "{name}");
            } else {
                assert_eq!(o.tools_monitored, 0, "{name}");
            }
        }
    }
}

#[test]
fn disallowed_tool_after_text_in_the_same_chunk_keeps_the_text_before() {
    let input = [
        sse(None, r#"{"choices":[{"index":0,"delta":{"content":"Sure, running it now. "}}]}"#),
        sse(None, r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"shell_exec","arguments":""}}]}}]}"#),
        sse(None, r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"cmd\":\"rm\"}"}}]}}]}"#),
        sse(None, "[DONE]"),
    ]
    .concat();
    let opts = StreamOptions {
        redactor: RedactorOptions {
            window: 0,
            run_cap: 0,
            ..RedactorOptions::default()
        },
        ..StreamOptions::default()
    };
    let mut rw = StreamRewriter::new(StreamApi::OpenAiChat, opts, no_entities())
        .with_tool_check(deny(&["shell_exec"], true));
    let (out, error) = drive(&mut rw, &[input.as_bytes()]);
    assert_eq!(error, Some(StreamError::ToolNotAllowed));
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(&sse(
        None,
        r#"{"choices":[{"index":0,"delta":{"content":"Sure, running it now. "}}]}"#
    )));
    assert!(
        !text.contains("shell_exec") && !text.contains("rm"),
        "{text}"
    );
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert_eq!(text.matches("[DONE]").count(), 1, "{text}");
}

fn canary(action: FindingAction) -> Box<dyn Detector> {
    Box::new(WithCanary {
        inner: detector(),
        token: TOKEN.to_owned(),
        action,
    })
}

/// The canary alone: exact with no hold-back window at all.
fn canary_only(action: FindingAction) -> Box<dyn Detector> {
    Box::new(WithCanary {
        inner: no_entities(),
        token: TOKEN.to_owned(),
        action,
    })
}

/// No window and no token-run hold: only the partial-canary hold keeps a canary back.
fn tight() -> RedactorOptions {
    no_holdback().redactor
}

/// Pushes `deltas`; returns every release concatenated, and the leak actions.
fn redact(det: &dyn Detector, o: RedactorOptions, deltas: &[&str]) -> (String, Sink) {
    let mut r = Redactor::new(o);
    let mut all = Sink::default();
    for d in deltas {
        let mut sink = Sink::default();
        r.push(d, det, &mut sink);
        all.text.push_str(&sink.text);
        all.leaks.extend(sink.leaks);
        all.leak_blocked |= sink.leak_blocked;
        if sink.leak_blocked {
            return (all.text.clone(), all);
        }
        // Never a whole canary unless the action keeps it.
        let keeps = det.canary().is_some_and(|(_, a)| a == FindingAction::Keep);
        assert!(keeps || !all.text.contains(TOKEN));
    }
    let mut sink = Sink::default();
    r.finish(det, &mut sink);
    all.text.push_str(&sink.text);
    all.leaks.extend(sink.leaks);
    all.leak_blocked |= sink.leak_blocked;
    (all.text.clone(), all)
}

#[test]
fn canary_split_at_every_point_is_redacted() {
    let text = format!("Ref {TOKEN} noted, and {TOKEN}.");
    let want = format!("Ref {CANARY_LABEL} noted, and {CANARY_LABEL}.");
    for (det, o) in [
        (canary_only(FindingAction::Redact), tight()),
        (canary(FindingAction::Redact), RedactorOptions::default()),
    ] {
        for cut in 1..text.len() {
            let (a, b) = text.split_at(cut);
            let (got, sink) = redact(det.as_ref(), o, &[a, b]);
            assert_eq!(got, want, "cut {cut} window {}", o.window);
            assert_eq!(sink.leaks, [FindingAction::Redact; 2], "cut {cut}");
        }
        let bytes: Vec<String> = text.chars().map(String::from).collect();
        let deltas: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(redact(det.as_ref(), o, &deltas).0, want, "byte by byte");
    }
}

#[test]
fn canary_table() {
    let cases: &[(&str, FindingAction, &[&str], &str)] = &[
        (
            "a partial canary that turns out not to be one is released",
            FindingAction::Redact,
            &["see lwc-0123", "456 and more"],
            "see lwc-0123456 and more",
        ),
        (
            "a partial canary at the end of the stream is released",
            FindingAction::Redact,
            &["ends with lwc-01"],
            "ends with lwc-01",
        ),
        (
            "a blocked canary releases only what came before it",
            FindingAction::Block,
            &["before lwc-0123456789abcdef", "0123456789abcdef after"],
            "before ",
        ),
        (
            "kept (monitor mode): released as it is",
            FindingAction::Keep,
            &["x lwc-0123456789abcdef0123456789", "abcdef y"],
            "x lwc-0123456789abcdef0123456789abcdef y",
        ),
        (
            "a canary next to an email: both covered",
            FindingAction::Redact,
            &["to a@b.io", " lwc-0123456789abcdef0123456789abcdef!"],
            "to [REDACTED:EMAIL] [REDACTED:CANARY]!",
        ),
    ];
    for (name, action, deltas, want) in cases {
        for (det, o) in [
            (canary(*action), RedactorOptions::default()),
            (canary_only(*action), tight()),
        ] {
            if name.contains("email") && o.window == 0 {
                continue;
            }
            let (got, sink) = redact(det.as_ref(), o, deltas);
            assert_eq!(got, *want, "case {name} window {}", o.window);
            assert_eq!(
                sink.leak_blocked,
                *action == FindingAction::Block,
                "case {name}"
            );
        }
    }
}

#[test]
fn property_canary_under_random_splits() {
    let mut rng = Rng(0xCA7A);
    let planted = ["jane.doe@example.com", TOKEN, "AKIAZ7Q3H2LMNP4RSTUV"];
    let plain = detector();
    for case in 0..400 {
        let text = random_text(&mut rng, &planted);
        let max = 1 + rng.below(40);
        let pieces = random_pieces(&mut rng, &text, max);
        let deltas: Vec<&str> = pieces.iter().map(String::as_str).collect();
        // Planted values stand between spaces, so the canary and entities never overlap here.
        let (det, o, want) = if case % 2 == 0 {
            let want = text.replace(TOKEN, CANARY_LABEL);
            (canary_only(FindingAction::Redact), tight(), want)
        } else {
            let want = reference_redact(plain.as_ref(), &text).replace(TOKEN, CANARY_LABEL);
            let o = RedactorOptions {
                window: [48, 256][rng.below(2)],
                ..RedactorOptions::default()
            };
            (canary(FindingAction::Redact), o, want)
        };
        let (got, sink) = redact(det.as_ref(), o, &deltas);
        assert_eq!(got, want, "case {case}: {deltas:?}");
        assert_eq!(sink.leaks.len(), text.matches(TOKEN).count(), "case {case}");
    }
}

#[test]
fn canary_in_a_stream_is_blocked_or_redacted() {
    let events = [
        sse(None, r#"{"choices":[{"index":0,"delta":{"content":"My instructions say (Reference lwc-0123456789ab"}}]}"#),
        sse(None, r#"{"choices":[{"index":0,"delta":{"content":"cdef0123456789abcdef: internal)."}}]}"#),
        sse(None, r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#),
        sse(None, "[DONE]"),
    ]
    .concat();
    let mut rng = Rng(0x1EAC);
    for round in 0..100 {
        let chunks = random_chunks(&mut rng, events.as_bytes());
        let mut rw = StreamRewriter::new(
            StreamApi::OpenAiChat,
            StreamOptions::default(),
            canary(FindingAction::Redact),
        );
        let (out, error) = drive(&mut rw, &chunks);
        assert_eq!(error, None, "round {round}");
        let texts = client_texts(StreamApi::OpenAiChat, &out).unwrap();
        assert_eq!(
            texts["c0"],
            format!("My instructions say (Reference {CANARY_LABEL}: internal).")
        );

        let mut rw = StreamRewriter::new(
            StreamApi::OpenAiChat,
            StreamOptions::default(),
            canary(FindingAction::Block),
        );
        let (out, error) = drive(&mut rw, &chunks);
        assert_eq!(error, Some(StreamError::Leak), "round {round}");
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("lwc-0123456789ab"), "round {round}: {text}");
        assert!(text.contains("response_blocked"), "round {round}");
        client_texts(StreamApi::OpenAiChat, text.as_bytes()).unwrap();
    }
}
