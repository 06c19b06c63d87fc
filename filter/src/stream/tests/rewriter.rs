//! The rewriter: golden outputs for flushes and blocks per dialect, multi-key streams, and the
//! invariant over random texts streamed in random deltas and random chunkings.

use super::fixtures::{expected_texts, no_holdback, rewrite, rewrite_with};
use super::redactor::{planted, random_text};
use super::support::{client_texts, detector, random_chunks, random_pieces, Rng};
use crate::detect::Finding;
use crate::entity::EntityType;
use crate::stream::redactor::{Detector, FindingAction};
use crate::stream::{StreamApi, StreamError, StreamOptions, StreamRewriter};

fn run(api: StreamApi, input: &str) -> String {
    String::from_utf8(rewrite(api, detector(), &[input.as_bytes()])).unwrap()
}

/// Splits a stream after every blank line (and every NDJSON line): one event per chunk, as a
/// slow upstream delivers them.
fn one_event_per_chunk(input: &str) -> Vec<&[u8]> {
    let bytes = input.as_bytes();
    let ndjson =
        !input.starts_with("data:") && !input.starts_with("event:") && !input.starts_with(':');
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..bytes.len() {
        let ends = if ndjson {
            bytes[i] == b'\n'
        } else {
            bytes[..=i].ends_with(b"\n\n") || bytes[..=i].ends_with(b"\r\n\r\n")
        };
        if ends {
            out.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

fn run_per_event(api: StreamApi, input: &str) -> String {
    String::from_utf8(rewrite(api, detector(), &one_event_per_chunk(input))).unwrap()
}

/// Runs each `(name, api, input, expected output)` case through `rewrite`.
fn check_goldens(cases: &[(&str, StreamApi, &str, &str)], rewrite: fn(StreamApi, &str) -> String) {
    for (name, api, input, want) in cases {
        let got = rewrite(*api, input);
        assert_eq!(
            got, *want,
            "case {name}\ninput    {input:?}\nexpected {want:?}\nactual   {got:?}"
        );
    }
}

#[test]
fn golden_flushes() {
    let cases: &[(&str, StreamApi, &str, &str)] = &[
        (
            "openai: held text goes into a chunk synthesized before finish_reason",
            StreamApi::OpenAiChat,
            concat!(
                "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail jane.doe@example.com\"},\"finish_reason\":null}]}\n\n",
                "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
                "data: [DONE]\n\n"
            ),
            concat!(
                "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":null}]}\n\n",
                "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail [REDACTED:EMAIL]\"},\"finish_reason\":null}]}\n\n",
                "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
                "data: [DONE]\n\n"
            ),
        ),
        (
            "openai: tool-call flush carries only index and arguments",
            StreamApi::OpenAiChat,
            concat!(
                "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"k\\\":\\\"AKIAZ7Q3H2LMNP4RSTUV\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
                "data: [DONE]\n\n"
            ),
            concat!(
                "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
                "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{\\\"k\\\":\\\"[REDACTED:AWS_ACCESS_KEY_ID]\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
                "data: [DONE]\n\n"
            ),
        ),
        (
            "anthropic: flush before content_block_stop, crlf kept",
            StreamApi::AnthropicMessages,
            concat!(
                "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"key AKIAZ7Q3H2LMNP4RSTUV\"}}\r\n\r\n",
                "event: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",\"index\":2}\r\n\r\n"
            ),
            concat!(
                "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"\"}}\r\n\r\n",
                "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"key [REDACTED:AWS_ACCESS_KEY_ID]\"}}\r\n\r\n",
                "event: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",\"index\":2}\r\n\r\n"
            ),
        ),
        (
            "responses: synthesized delta takes the next sequence number, later events shift",
            StreamApi::OpenAiResponses,
            concat!(
                "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":3,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"to a@b.io\",\"logprobs\":[]}\n\n",
                "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"sequence_number\":4,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"text\":\"to a@b.io\",\"logprobs\":[]}\n\n"
            ),
            concat!(
                "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":3,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"\",\"logprobs\":[]}\n\n",
                "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"to [REDACTED:EMAIL]\",\"logprobs\":[]}\n\n",
                "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"sequence_number\":5,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"text\":\"to [REDACTED:EMAIL]\",\"logprobs\":[]}\n\n"
            ),
        ),
        (
            "gemini: the finishing chunk has a slot for the tail",
            StreamApi::Gemini,
            concat!(
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"mail a@b.io\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n",
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" ok\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n"
            ),
            concat!(
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n",
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"mail [REDACTED:EMAIL] ok\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n"
            ),
        ),
        (
            "ollama: the done line has a slot for the tail",
            StreamApi::Ollama,
            concat!(
                "{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"mail a@b.io\"},\"done\":false}\n",
                "{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n"
            ),
            concat!(
                "{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":false}\n",
                "{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"mail [REDACTED:EMAIL]\"},\"done\":true}\n"
            ),
        ),
        (
            "end of stream without a terminal event: synthesized after the last event",
            StreamApi::Ollama,
            "{\"response\":\"mail a@b.io\",\"done\":false}\n",
            "{\"response\":\"\",\"done\":false}\n{\"response\":\"mail [REDACTED:EMAIL]\",\"done\":false}\n",
        ),
        (
            "gemini: strings in functionCall args are redacted whole",
            StreamApi::Gemini,
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"send\",\"args\":{\"to\":\"a@b.io\",\"n\":1,\"cc\":[\"c@d.io\"]}}}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n",
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"send\",\"args\":{\"to\":\"[REDACTED:EMAIL]\",\"n\":1,\"cc\":[\"[REDACTED:EMAIL]\"]}}}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n",
        ),
        (
            "ollama: strings in tool-call arguments are redacted whole",
            StreamApi::Ollama,
            "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"to\":\"a@b.io\"}}}]},\"done\":false}\n",
            "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"to\":\"[REDACTED:EMAIL]\"}}}]},\"done\":false}\n",
        ),
        (
            "responses: reasoning summary deltas are a text stream",
            StreamApi::OpenAiResponses,
            concat!(
                "event: response.reasoning_summary_text.delta\ndata: {\"type\":\"response.reasoning_summary_text.delta\",\"sequence_number\":7,\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"delta\":\"ask a@b.io\"}\n\n",
                "event: response.reasoning_summary_text.done\ndata: {\"type\":\"response.reasoning_summary_text.done\",\"sequence_number\":8,\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"text\":\"ask a@b.io\"}\n\n"
            ),
            concat!(
                "event: response.reasoning_summary_text.delta\ndata: {\"type\":\"response.reasoning_summary_text.delta\",\"sequence_number\":7,\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"delta\":\"\"}\n\n",
                "event: response.reasoning_summary_text.delta\ndata: {\"type\":\"response.reasoning_summary_text.delta\",\"sequence_number\":8,\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"delta\":\"ask [REDACTED:EMAIL]\"}\n\n",
                "event: response.reasoning_summary_text.done\ndata: {\"type\":\"response.reasoning_summary_text.done\",\"sequence_number\":9,\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"text\":\"ask [REDACTED:EMAIL]\"}\n\n"
            ),
        ),
        (
            "multi-line data is rewritten as valid data lines",
            StreamApi::OpenAiChat,
            "data: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":\"mail a@b.io\"}}]}\n\ndata: [DONE]\n\n",
            "data: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":\"\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail [REDACTED:EMAIL]\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n",
        ),
        (
            "two gemini candidates and a thought part are separate streams",
            StreamApi::Gemini,
            concat!(
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"think a@b.io\",\"thought\":true},{\"text\":\"x\"}]},\"index\":0},{\"content\":{\"parts\":[{\"text\":\"y\"}]},\"index\":1}]}\n\n",
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"!\"}]},\"finishReason\":\"STOP\",\"index\":0},{\"content\":{\"parts\":[{\"text\":\"?\"}]},\"finishReason\":\"STOP\",\"index\":1}]}\n\n"
            ),
            concat!(
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\",\"thought\":true},{\"text\":\"\"}]},\"index\":0},{\"content\":{\"parts\":[{\"text\":\"\"}]},\"index\":1}]}\n\n",
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"think [REDACTED:EMAIL]\",\"thought\":true}],\"role\":\"model\"},\"index\":0}]}\n\n",
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x!\"}]},\"finishReason\":\"STOP\",\"index\":0},{\"content\":{\"parts\":[{\"text\":\"y?\"}]},\"finishReason\":\"STOP\",\"index\":1}]}\n\n"
            ),
        ),
        (
            "comments, data-less blocks and unknown events pass through",
            StreamApi::OpenAiChat,
            ": keep-alive\n\nevent: weird\ndata: {\"x\":1}\n\nretry: 10\n\n",
            ": keep-alive\n\nevent: weird\ndata: {\"x\":1}\n\nretry: 10\n\n",
        ),
    ];
    check_goldens(cases, run_per_event);
}

/// Events that arrive in one chunk are released together: each delta carries what stands for
/// the text it brought (a label with the delta where its finding starts), held text lands in
/// the chunk's last delta of its stream, and untouched deltas are forwarded byte for byte.
#[test]
fn golden_one_chunk() {
    let cases: &[(&str, StreamApi, &str, &str)] = &[
        (
            "openai: the tail goes into the earlier delta of the same chunk, nothing synthesized",
            StreamApi::OpenAiChat,
            concat!(
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail jane.doe@example.com\"},\"finish_reason\":null}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                "data: [DONE]\n\n"
            ),
            concat!(
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail [REDACTED:EMAIL]\"},\"finish_reason\":null}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                "data: [DONE]\n\n"
            ),
        ),
        (
            "anthropic: a label goes with the delta where its finding starts",
            StreamApi::AnthropicMessages,
            concat!(
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"key AKIAZ7Q3\"}}\n\n",
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"H2LMNP4RSTUV ok\"}}\n\n",
                "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
            ),
            concat!(
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"key [REDACTED:AWS_ACCESS_KEY_ID]\"}}\n\n",
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" ok\"}}\n\n",
                "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
            ),
        ),
        (
            "openai: deltas around a redacted one go out as they came",
            StreamApi::OpenAiChat,
            concat!(
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello \"}}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail a@b.io\"}}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" bye\"}}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            ),
            concat!(
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello \"}}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail [REDACTED:EMAIL]\"}}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" bye\"}}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            ),
        ),
    ];
    check_goldens(cases, run);
}

/// Past the hold-back window, a chunk's deltas that nothing redacts go out exactly as they
/// came: only the first (which also carries what was held before it) and the last few (whose
/// text is still held) are rewritten.
#[test]
fn unchanged_deltas_are_forwarded_byte_for_byte() {
    let opts = StreamOptions::default();
    let window = opts.redactor.window;
    let mut rw = StreamRewriter::new(StreamApi::OpenAiChat, opts, detector());
    let event = |i: usize| {
        format!(
            "data: {{\"id\":\"x\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"word{i:04} \"}},\"finish_reason\":null}}]}}\n\n"
        )
    };
    let mut total_events = 0;
    let mut all = Vec::new();
    for round in 0..3 {
        let chunk: String = (0..200).map(|i| event(round * 200 + i)).collect();
        let o = rw.push(chunk.as_bytes());
        assert_eq!(o.error, None);
        all.extend_from_slice(&o.bytes);
        let got = String::from_utf8(o.bytes).unwrap();
        let same = (0..200)
            .filter(|i| got.contains(&event(round * 200 + i)))
            .count();
        // 9-byte deltas: the window holds about window / 9 of them back.
        let held_events = window / 9 + 2;
        assert!(
            same >= 200 - held_events - 1,
            "round {round}: only {same} of 200 events unchanged"
        );
        total_events += got.matches("data: ").count();
    }
    assert_eq!(total_events, 600, "no event added or lost");
    all.extend(rw.push(b"data: [DONE]\n\n").bytes);
    all.extend(rw.finish().bytes);
    let texts = client_texts(StreamApi::OpenAiChat, &all).unwrap();
    let want: String = (0..600).map(|i| format!("word{i:04} ")).collect();
    assert_eq!(texts["c0"], want);
}

#[test]
fn golden_block_events() {
    let rules = vec!["entity.EMAIL".to_owned()];
    let cases: &[(&str, StreamApi, &str)] = &[
        (
            "openai chat: error chunk then [DONE]",
            StreamApi::OpenAiChat,
            "data: {\"error\":{\"message\":\"Blocked (entity.EMAIL)\",\"type\":\"llm_warden_policy_violation\",\"param\":null,\"code\":\"response_blocked\"}}\n\ndata: [DONE]\n\n",
        ),
        (
            "anthropic: error event",
            StreamApi::AnthropicMessages,
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"permission_error\",\"message\":\"Blocked (entity.EMAIL)\"}}\n\n",
        ),
        (
            "responses: error then response.failed",
            StreamApi::OpenAiResponses,
            "event: error\ndata: {\"type\":\"error\",\"code\":\"response_blocked\",\"message\":\"Blocked (entity.EMAIL)\",\"param\":null,\"error\":{\"message\":\"Blocked (entity.EMAIL)\",\"type\":\"llm_warden_policy_violation\",\"param\":null,\"code\":\"response_blocked\"}}\n\nevent: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"object\":\"response\",\"status\":\"failed\",\"error\":{\"code\":\"response_blocked\",\"message\":\"Blocked (entity.EMAIL)\"},\"output\":[]}}\n\n",
        ),
        (
            "gemini: google error object",
            StreamApi::Gemini,
            "data: {\"error\":{\"code\":403,\"message\":\"Blocked (entity.EMAIL)\",\"status\":\"PERMISSION_DENIED\"}}\n\n",
        ),
        ("ollama: error line", StreamApi::Ollama, "{\"error\":\"Blocked (entity.EMAIL)\"}\n"),
    ];
    for (name, api, want) in cases {
        let rw = StreamRewriter::new(*api, StreamOptions::default(), detector());
        let got = String::from_utf8(rw.block_event("Blocked", &rules)).unwrap();
        assert_eq!(
            got, *want,
            "case {name}\nexpected {want:?}\nactual   {got:?}"
        );
    }
}

#[test]
fn block_event_continues_sequence_numbers() {
    let mut rw = StreamRewriter::new(
        StreamApi::OpenAiResponses,
        StreamOptions::default(),
        detector(),
    );
    let o = rw.push(b"event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"output\":[]}}\n\n");
    let mut bytes = o.bytes;
    bytes.extend(rw.block_event("Blocked", &[]));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"sequence_number\":1,\"code\""), "{text}");
    assert!(
        text.contains("\"sequence_number\":2,\"response\""),
        "{text}"
    );
}

struct Blocking;

impl Detector for Blocking {
    fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        detector().scan(text, out)
    }
    fn action(&self, _: EntityType) -> FindingAction {
        FindingAction::Block
    }
}

#[test]
fn blocking_finding_ends_the_stream() {
    let mut rw = StreamRewriter::new(
        StreamApi::OpenAiChat,
        StreamOptions::default(),
        Box::new(Blocking),
    );
    let mut out = Vec::new();
    let chunk = |t: &str| {
        format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{}}}}}]}}\n\n",
            serde_json::to_string(t).unwrap()
        )
    };
    let o = rw.push(chunk(&"safe words ".repeat(40)).as_bytes());
    assert_eq!(o.error, None);
    out.extend(o.bytes);
    let o = rw.push(chunk(&format!("mail jane.doe@example.com {}", "z".repeat(300))).as_bytes());
    assert_eq!(
        o.error,
        Some(StreamError::Blocked {
            entity: EntityType::Email
        })
    );
    out.extend(o.bytes);
    // Later input is ignored; the caller appends the block event and ends the stream.
    assert_eq!(rw.push(chunk("more").as_bytes()).bytes, b"");
    assert_eq!(rw.finish().bytes, b"");
    out.extend(rw.block_event("Blocked", &["entity.EMAIL".into()]));
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("jane.doe"), "{text}");
    let texts = client_texts(StreamApi::OpenAiChat, text.as_bytes()).unwrap();
    assert!(texts["c0"].starts_with("safe words"), "{texts:?}");
}

#[test]
fn too_many_keys_is_an_error() {
    let choices: Vec<String> = (0..70)
        .map(|i| format!("{{\"index\":{i},\"delta\":{{\"content\":\"x\"}}}}"))
        .collect();
    let input = format!("data: {{\"choices\":[{}]}}\n\n", choices.join(","));
    let mut rw = StreamRewriter::new(StreamApi::OpenAiChat, StreamOptions::default(), detector());
    let o = rw.push(input.as_bytes());
    assert_eq!(o.error, Some(StreamError::TooManyKeys { limit: 64 }));
}

fn sse(event: Option<&str>, data: &str) -> String {
    match event {
        Some(e) => format!("event: {e}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// OpenAI chat, two choices interleaved (n=2), the second with a tool call.
fn openai_stream(rng: &mut Rng, a: &str, b: &str) -> String {
    let pa = random_pieces(rng, a, 12);
    let pb = random_pieces(rng, b, 12);
    let mut s = String::new();
    let env = "\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\"";
    s += &sse(None, &format!("{{{env},\"choices\":[{{\"index\":1,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"id\":\"call\",\"type\":\"function\",\"function\":{{\"name\":\"f\",\"arguments\":\"\"}}}}]}},\"finish_reason\":null}}]}}"));
    let n = pa.len().max(pb.len());
    for i in 0..n {
        if let Some(p) = pa.get(i) {
            s += &sse(None, &format!("{{{env},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{}}},\"finish_reason\":null}}]}}", q(p)));
        }
        if let Some(p) = pb.get(i) {
            s += &sse(None, &format!("{{{env},\"choices\":[{{\"index\":1,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"function\":{{\"arguments\":{}}}}}]}},\"finish_reason\":null}}]}}", q(p)));
        }
    }
    s += &sse(None, &format!("{{{env},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}},{{\"index\":1,\"delta\":{{}},\"finish_reason\":\"tool_calls\"}}]}}"));
    s += "data: [DONE]\n\n";
    s
}

fn anthropic_stream(rng: &mut Rng, a: &str, b: &str) -> String {
    let mut s = String::new();
    let ev = |t: &str, body: String| sse(Some(t), &format!("{{\"type\":\"{t}\"{body}}}"));
    s += &ev("message_start", ",\"message\":{\"content\":[]}".into());
    s += &ev(
        "content_block_start",
        ",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}".into(),
    );
    for p in random_pieces(rng, a, 12) {
        s += &ev(
            "content_block_delta",
            format!(
                ",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{}}}",
                q(&p)
            ),
        );
    }
    s += &ev("content_block_stop", ",\"index\":0".into());
    s += &ev(
        "content_block_start",
        ",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"input\":{}}".into(),
    );
    for p in random_pieces(rng, b, 12) {
        s += &ev(
            "content_block_delta",
            format!(
                ",\"index\":1,\"delta\":{{\"type\":\"input_json_delta\",\"partial_json\":{}}}",
                q(&p)
            ),
        );
    }
    s += &ev("content_block_stop", ",\"index\":1".into());
    s += &ev("message_stop", String::new());
    s
}

fn responses_stream(rng: &mut Rng, a: &str, b: &str) -> String {
    let mut s = String::new();
    let mut seq = 0;
    let mut ev = |t: &str, body: String| {
        seq += 1;
        sse(
            Some(t),
            &format!("{{\"type\":\"{t}\",\"sequence_number\":{seq}{body}}}"),
        )
    };
    for p in random_pieces(rng, a, 12) {
        s += &ev(
            "response.output_text.delta",
            format!(
                ",\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"delta\":{}",
                q(&p)
            ),
        );
    }
    s += &ev(
        "response.output_text.done",
        format!(
            ",\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"text\":{}",
            q(a)
        ),
    );
    for p in random_pieces(rng, b, 12) {
        s += &ev(
            "response.function_call_arguments.delta",
            format!(",\"item_id\":\"f\",\"output_index\":1,\"delta\":{}", q(&p)),
        );
    }
    s += &ev(
        "response.function_call_arguments.done",
        format!(
            ",\"item_id\":\"f\",\"output_index\":1,\"arguments\":{}",
            q(b)
        ),
    );
    s += &ev("response.completed", format!(",\"response\":{{\"output\":[{{\"type\":\"message\",\"content\":[{{\"type\":\"output_text\",\"text\":{}}}]}},{{\"type\":\"function_call\",\"arguments\":{}}}]}}", q(a), q(b)));
    s
}

/// Gemini, two candidates in one stream, both finishing on the last chunk.
fn gemini_stream(rng: &mut Rng, a: &str, b: &str) -> String {
    let pa = random_pieces(rng, a, 24);
    let pb = random_pieces(rng, b, 24);
    let n = pa.len().max(pb.len());
    let mut s = String::new();
    for i in 0..n {
        let mut cands = Vec::new();
        for (c, pieces) in [pa.as_slice(), pb.as_slice()].into_iter().enumerate() {
            let last = i + 1 == n;
            if pieces.get(i).is_none() && !last {
                continue;
            }
            let t = pieces.get(i).map_or(String::new(), |p| q(p));
            let parts = if t.is_empty() {
                "[]".to_owned()
            } else {
                format!("[{{\"text\":{t}}}]")
            };
            let finish = if last {
                ",\"finishReason\":\"STOP\""
            } else {
                ""
            };
            cands.push(format!(
                "{{\"content\":{{\"parts\":{parts},\"role\":\"model\"}}{finish},\"index\":{c}}}"
            ));
        }
        s += &format!(
            "data: {{\"candidates\":[{}],\"modelVersion\":\"g\"}}\r\n\r\n",
            cands.join(",")
        );
    }
    s
}

/// Ollama `/api/chat`, one text, a final `done` line.
fn ollama_stream(rng: &mut Rng, a: &str, b: &str) -> String {
    let mut s = String::new();
    for p in random_pieces(rng, &format!("{a}{b}"), 12) {
        s += &format!("{{\"model\":\"l\",\"message\":{{\"role\":\"assistant\",\"content\":{}}},\"done\":false}}\n", q(&p));
    }
    s + "{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n"
}

#[test]
fn property_random_texts_through_each_dialect() {
    let planted = planted();
    let refs: Vec<&str> = planted.iter().map(String::as_str).collect();
    type Builder = fn(&mut Rng, &str, &str) -> String;
    let builders: &[(&str, StreamApi, Builder)] = &[
        ("openai chat", StreamApi::OpenAiChat, openai_stream),
        ("anthropic", StreamApi::AnthropicMessages, anthropic_stream),
        ("responses", StreamApi::OpenAiResponses, responses_stream),
        ("gemini", StreamApi::Gemini, gemini_stream),
        ("ollama", StreamApi::Ollama, ollama_stream),
    ];
    let mut rng = Rng(0xABCDEF);
    for (name, api, build) in builders {
        for case in 0..60 {
            let a = random_text(&mut rng, &refs);
            let b = random_text(&mut rng, &refs);
            let input = build(&mut rng, &a, &b);
            let want = expected_texts(*api, input.as_bytes());
            for _ in 0..2 {
                let chunks = random_chunks(&mut rng, input.as_bytes());
                let out = rewrite(*api, detector(), &chunks);
                let got = client_texts(*api, &out).unwrap_or_else(|e| {
                    panic!(
                        "{name} case {case}: invalid output: {e}\ninput {input:?}\noutput {:?}",
                        String::from_utf8_lossy(&out)
                    )
                });
                assert_eq!(got, want, "{name} case {case}: input {input:?}");
                let text = String::from_utf8_lossy(&out);
                for secret in &planted {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{name} case {case}: {secret:?} leaked"
                    );
                }
            }
        }
    }
}

#[test]
fn api_from_path_and_content_type() {
    let cases: &[(&str, Option<StreamApi>)] = &[
        ("/v1/chat/completions", Some(StreamApi::OpenAiChat)),
        (
            "/openai/deployments/gpt/chat/completions?api-version=1",
            Some(StreamApi::OpenAiChat),
        ),
        ("/v1/responses", Some(StreamApi::OpenAiResponses)),
        ("/v1/messages", Some(StreamApi::AnthropicMessages)),
        (
            "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
            Some(StreamApi::Gemini),
        ),
        (
            "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
            None,
        ),
        ("/api/chat", Some(StreamApi::Ollama)),
        ("/api/generate", Some(StreamApi::Ollama)),
        ("/v1/embeddings", None),
    ];
    for (path, want) in cases {
        assert_eq!(StreamApi::from_path(path), *want, "path {path}");
    }
    assert!(StreamApi::OpenAiChat.is_stream_content_type("text/event-stream; charset=utf-8"));
    assert!(!StreamApi::OpenAiChat.is_stream_content_type("application/json"));
    assert!(StreamApi::Ollama.is_stream_content_type("application/x-ndjson"));
}

#[test]
fn a_tool_call_is_flushed_before_the_next_one_starts() {
    let call = |j: u32, id: bool, args: &str| {
        let head = if id {
            format!("\"id\":\"call_{j}\",\"type\":\"function\",\"function\":{{\"name\":\"f\",\"arguments\":{}}}", q(args))
        } else {
            format!("\"function\":{{\"arguments\":{}}}", q(args))
        };
        sse(None, &format!("{{\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":{j},{head}}}]}}}}]}}"))
    };
    let input = [
        call(0, true, ""),
        call(0, false, "{\"to\":\"a@b.io\"}"),
        call(1, true, ""),
        call(1, false, "{}"),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    let out = run(StreamApi::OpenAiChat, &input);
    let events = super::support::parse_sse(out.as_bytes()).unwrap();
    let first_call_1 = events
        .iter()
        .position(|e| e.data.contains("call_1"))
        .unwrap();
    let tail_0 = events
        .iter()
        .position(|e| e.data.contains("[REDACTED:EMAIL]"))
        .unwrap();
    assert!(
        tail_0 < first_call_1,
        "call 0's tail after call 1 started: {out}"
    );
}

#[test]
fn non_json_data_fails_closed_unless_allowed() {
    let input = b"data: {\"choices\":[]}\n\ndata: not json a@b.io\n\ndata: [DONE]\n\n";
    let mut rw = StreamRewriter::new(StreamApi::OpenAiChat, StreamOptions::default(), detector());
    let o = rw.push(input);
    assert_eq!(o.error, Some(StreamError::Malformed));
    assert_eq!(o.bytes, b"data: {\"choices\":[]}\n\n");
    let lax = StreamOptions {
        strict_json: false,
        ..StreamOptions::default()
    };
    let mut rw = StreamRewriter::new(StreamApi::OpenAiChat, lax, detector());
    let o = rw.push(input);
    assert_eq!(o.error, None);
    assert_eq!(o.bytes, input);
}

/// The same-envelope fast path: an event is read without parsing only when it is the last
/// single-delta event with another valid string literal in the delta's place.
#[test]
fn envelope_table() {
    use crate::stream::dialect::{Key, KeyKind};
    use crate::stream::Envelope;
    let old =
        r#"{"id":"c","choices":[{"index":0,"delta":{"content":"hello"},"finish_reason":null}]}"#;
    let start = old.find("\"hello\"").unwrap();
    let key = Key::new(KeyKind::Content, 0, 0);
    let env = Envelope::new(None, old, key, start..start + 7);
    let with = |lit: &str| old.replace("\"hello\"", lit);
    let cases: &[(&str, Option<&str>, String, Option<&str>)] = &[
        (
            "another literal",
            None,
            with(r#""world, again""#),
            Some("world, again"),
        ),
        ("empty literal", None, with(r#""""#), Some("")),
        (
            "escapes decoded",
            None,
            with(r#""a\"b\\c\u00e9\n""#),
            Some("a\"b\\cé\n"),
        ),
        (
            "two literals in its place",
            None,
            with(r#""x","refusal":"y""#),
            None,
        ),
        ("unterminated", None, with(r#""abc"#), None),
        ("raw control character", None, with("\"a\u{1}b\""), None),
        ("raw tab", None, with("\"a\tb\""), None),
        ("raw newline", None, with("\"a\nb\""), None),
        (
            "plain non-ASCII and DEL taken as they are",
            None,
            with("\"é\u{7f}😀 ok\""),
            Some("é\u{7f}😀 ok"),
        ),
        ("escape at the very end", None, with(r#""ab\"#), None),
        ("invalid escape", None, with(r#""a\qb""#), None),
        ("not a string", None, with("null"), None),
        (
            "different suffix",
            None,
            old.replace("null}", "\"stop\"}"),
            None,
        ),
        (
            "different prefix",
            None,
            old.replace("\"c\"", "\"d\""),
            None,
        ),
        (
            "different event name",
            Some("message"),
            with(r#""x""#),
            None,
        ),
        ("too short", None, "{}".to_owned(), None),
    ];
    for (name, event, data, want) in cases {
        let got = env.matches(*event, data.as_bytes());
        assert_eq!(
            got.as_ref().map(|(_, _, t)| t.as_ref()),
            *want,
            "case {name}"
        );
        if let Some((k, span, _)) = got {
            assert_eq!(k, key, "case {name}");
            assert_eq!(&data[..span.start], &old[..start], "case {name}");
        }
    }
    // Data that is not UTF-8 is left to the general path, which replaces what is invalid.
    for (name, bad) in [
        ("in the literal", "\"a\u{1}b\""),
        ("in the envelope", "\"ab\""),
    ] {
        let mut bytes = with(bad).into_bytes();
        let at = match name {
            "in the literal" => bytes.iter().position(|&b| b == 1).unwrap(),
            _ => 1,
        };
        bytes[at] = 0xff;
        assert_eq!(env.matches(None, &bytes), None, "not UTF-8 {name}");
    }
}

/// Events alternating between one envelope and others (a finish chunk, a second choice, a
/// delta with an escaped quote) give the same client text as the buffered redaction.
#[test]
fn envelope_changes_are_followed() {
    let chunk = |i: usize, text: &str, extra: &str| {
        format!(
            "data: {{\"id\":\"c\",\"choices\":[{{\"index\":{i},\"delta\":{{\"content\":{}}}{extra}}}]}}\n\n",
            serde_json::to_string(text).unwrap()
        )
    };
    let input = [
        chunk(0, "mail jane.", ""),
        chunk(0, "doe@example.com \"quoted\" ", ""),
        chunk(1, "other AKIAZ7Q3", ""),
        chunk(0, "more ", ""),
        chunk(1, "H2LMNP4RSTUV end", ""),
        chunk(0, "done", ",\"finish_reason\":\"stop\""),
        chunk(1, "", ",\"finish_reason\":\"stop\""),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    let mut rng = Rng(0xE7E);
    for _ in 0..50 {
        let chunks = random_chunks(&mut rng, input.as_bytes());
        let out = rewrite(StreamApi::OpenAiChat, detector(), &chunks);
        let texts = client_texts(StreamApi::OpenAiChat, &out).unwrap();
        assert_eq!(texts["c0"], "mail [REDACTED:EMAIL] \"quoted\" more done");
        assert_eq!(texts["c1"], "other [REDACTED:AWS_ACCESS_KEY_ID] end");
    }
}

/// The fast literal writer gives exactly what `json::write_string` gives, escapes or not.
#[test]
fn literals_match_the_json_writer() {
    let cases = [
        "",
        "plain text",
        "é😀 \u{7f} ~",
        "quote \" inside",
        "back\\slash",
        "tab\there",
        "new\nline",
        "nul \u{0} and \u{1f}",
        " \u{20} space is plain",
        "ends with \\",
    ];
    for text in cases {
        let mut want = String::new();
        crate::json::write_string(&mut want, text);
        assert_eq!(crate::stream::literal(text), want, "case {text:?}");
        assert_eq!(
            crate::json::parse(&want).ok().and_then(|v| match v {
                crate::json::Value::String(s) => Some(s.text),
                _ => None,
            }),
            Some(text.to_owned()),
            "case {text:?} round-trips"
        );
    }
}

/// Token echoes (`logprobs`, `logprobsResult`) repeat the generated text token by token: an
/// event whose text the rewriter holds back or redacts loses them (in every dialect that has
/// them), whatever the chunking; an event whose text passes exactly as sent keeps them.
#[test]
fn token_echoes_go_with_held_text() {
    const EMAIL: &str = "jane.doe@example.com";
    let cases: &[(&str, StreamApi, String)] = &[
        (
            "openai chat",
            StreamApi::OpenAiChat,
            format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"mail {EMAIL}\"}},\"logprobs\":{{\"content\":[{{\"token\":\"{EMAIL}\",\"logprob\":-0.1,\"bytes\":[106],\"top_logprobs\":[]}}]}},\"finish_reason\":null}}]}}\n\ndata: {{\"choices\":[{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"stop\"}}]}}\n\ndata: [DONE]\n\n"),
        ),
        (
            "responses",
            StreamApi::OpenAiResponses,
            format!("event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"delta\":\"mail {EMAIL}\",\"logprobs\":[{{\"token\":\"{EMAIL}\",\"logprob\":-0.1}}]}}\n\nevent: response.output_text.done\ndata: {{\"type\":\"response.output_text.done\",\"sequence_number\":2,\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"text\":\"mail {EMAIL}\",\"logprobs\":[{{\"token\":\"{EMAIL}\",\"logprob\":-0.1}}]}}\n\n"),
        ),
        (
            "gemini",
            StreamApi::Gemini,
            format!("data: {{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"mail {EMAIL}\"}}],\"role\":\"model\"}},\"index\":0,\"logprobsResult\":{{\"chosenCandidates\":[{{\"token\":\"{EMAIL}\",\"logProbability\":-0.1}}]}}}}]}}\n\n"),
        ),
    ];
    for (name, api, input) in cases {
        for chunks in [vec![input.as_bytes()], one_event_per_chunk(input)] {
            let out = String::from_utf8(rewrite(*api, detector(), &chunks)).unwrap();
            assert!(!out.contains(EMAIL), "case {name}: {out}");
            assert!(
                !out.contains("\"token\""),
                "case {name}: echoes kept: {out}"
            );
        }
    }
    // Nothing held, nothing found: the stream passes byte for byte, echoes and all.
    let clean = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"logprobs\":{\"content\":[{\"token\":\"hi\",\"logprob\":-0.1}]}}]}\n\ndata: [DONE]\n\n";
    let out = rewrite_with(
        StreamApi::OpenAiChat,
        no_holdback(),
        detector(),
        &[clean.as_bytes()],
    );
    assert_eq!(String::from_utf8(out).unwrap(), clean);
    // A `.done` event repeats a text already released whole: unredacted, it keeps its echoes
    // even where the deltas were held (the default window).
    let clean = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"delta\":\"hi\",\"logprobs\":[{\"token\":\"hi\",\"logprob\":-0.1}]}\n\nevent: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"sequence_number\":2,\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"text\":\"hi\",\"logprobs\":[{\"token\":\"hi\",\"logprob\":-0.1}]}\n\n";
    let out = rewrite(StreamApi::OpenAiResponses, detector(), &[clean.as_bytes()]);
    let out = String::from_utf8(out).unwrap();
    let done = out
        .split("\n\n")
        .find(|e| e.contains(".done"))
        .unwrap_or_default();
    assert!(done.contains("\"token\":\"hi\""), "{out}");
    // `n > 1`: the echo decision is per choice. A choice whose text passes keeps its echoes;
    // another choice in the same event with echoes and no text loses them.
    let two = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"logprobs\":{\"content\":[{\"token\":\"hi\",\"logprob\":-0.1}]}},{\"index\":1,\"delta\":{},\"logprobs\":{\"content\":[{\"token\":\"other\",\"logprob\":-0.1}]}}]}\n\ndata: [DONE]\n\n";
    let out = rewrite_with(
        StreamApi::OpenAiChat,
        no_holdback(),
        detector(),
        &[two.as_bytes()],
    );
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("\"token\":\"hi\""), "choice 0 passes: {out}");
    assert!(
        !out.contains("\"token\":\"other\""),
        "choice 1 has no text: {out}"
    );
}

/// Ollama `/api/generate` ends with `context`, the token ids of the exchange: emptied when any
/// text of the stream was redacted (whatever the chunking), kept byte for byte otherwise.
#[test]
fn ollama_context_goes_with_redacted_text() {
    const EMAIL: &str = "jane.doe@example.com";
    let redacted = format!("{{\"model\":\"m\",\"response\":\"mail {EMAIL}\",\"done\":false}}\n{{\"model\":\"m\",\"response\":\" ok\",\"done\":false}}\n{{\"model\":\"m\",\"response\":\"\",\"done\":true,\"context\":[101,202,303],\"eval_count\":3}}\n");
    for chunks in [vec![redacted.as_bytes()], one_event_per_chunk(&redacted)] {
        let out = String::from_utf8(rewrite(StreamApi::Ollama, detector(), &chunks)).unwrap();
        assert!(out.contains("[REDACTED:EMAIL]"), "{out}");
        assert!(out.contains("\"context\":[]"), "{out}");
        assert!(!out.contains("101"), "{out}");
    }
    // A key spelled with escapes is the same key.
    let escaped = redacted.replace("\"context\"", "\"cont\\u0065xt\"");
    let out = String::from_utf8(rewrite(
        StreamApi::Ollama,
        detector(),
        &[escaped.as_bytes()],
    ))
    .unwrap();
    assert!(!out.contains("101"), "{out}");
    let clean = "{\"model\":\"m\",\"response\":\"hello\",\"done\":false}\n{\"model\":\"m\",\"response\":\"\",\"done\":true,\"context\":[101,202,303]}\n";
    let out = rewrite(StreamApi::Ollama, detector(), &[clean.as_bytes()]);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("\"context\":[101,202,303]"),
        "nothing redacted, context kept"
    );
}

/// The deprecated `function_call.arguments` (OpenAI chat) and raw `reasoning_text` (Responses)
/// are text streams like the others: a secret split across their deltas is redacted, the
/// held tail is flushed in the dialect's own shape before the stream closes, and the client
/// assembles what a buffered scan of the whole text gives, whatever the chunking.
#[test]
fn function_call_and_reasoning_text_streams() {
    const SECRET: &str = "jane.doe@example.com";
    let pieces = ["{\"to\":\"jane.", "doe@exa", "mple.com\",\"n\":1}"];
    let mut chat = String::from(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"function_call\":{\"name\":\"send\",\"arguments\":\"\"}}}]}\n\n",
    );
    for p in pieces {
        chat += &format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"function_call\":{{\"arguments\":{}}}}}}}]}}\n\n",
            crate::stream::literal(p)
        );
    }
    chat += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"function_call\"}]}\n\ndata: [DONE]\n\n";
    let mut responses = String::new();
    let mut seq = 0;
    let mut text = String::new();
    for p in ["thinking: mail jane.", "doe@exa", "mple.com now"] {
        seq += 1;
        text += p;
        responses += &format!(
            "event: response.reasoning_text.delta\ndata: {{\"type\":\"response.reasoning_text.delta\",\"sequence_number\":{seq},\"item_id\":\"rs_1\",\"output_index\":0,\"content_index\":0,\"delta\":{}}}\n\n",
            crate::stream::literal(p)
        );
    }
    responses += &format!(
        "event: response.reasoning_text.done\ndata: {{\"type\":\"response.reasoning_text.done\",\"sequence_number\":{},\"item_id\":\"rs_1\",\"output_index\":0,\"content_index\":0,\"text\":{}}}\n\n",
        seq + 1,
        crate::stream::literal(&text)
    );
    let secrets = [SECRET.to_owned()];
    for (name, api, input) in [
        ("function_call", StreamApi::OpenAiChat, chat),
        ("reasoning_text", StreamApi::OpenAiResponses, responses),
    ] {
        let want = expected_texts(api, input.as_bytes());
        assert!(
            want.values().any(|t| t.contains("[REDACTED:EMAIL]")),
            "case {name}: the client assembles no redacted text: {want:?}"
        );
        let mut rng = Rng(7);
        let mut chunkings = vec![vec![input.as_bytes()], one_event_per_chunk(&input)];
        chunkings.extend((0..20).map(|_| random_chunks(&mut rng, input.as_bytes())));
        check_chunkings(name, api, input.as_bytes(), &chunkings, &secrets);
    }
}

/// A chunk larger than one batch (`MAX_BATCH_BYTES`) is read in pieces: what the client gets
/// is still the redaction of the whole text, with a secret split over every pair of events
/// (so across every piece boundary of the chunk).
#[test]
fn chunks_larger_than_a_batch() {
    const SECRET: &str = "jane.doe@example.com";
    let mut input = String::new();
    let mut n = 0;
    while input.len() < 3 * crate::stream::MAX_BATCH_BYTES + 1000 {
        // Every event carries half of a secret, so each piece boundary of the chunk falls
        // inside an event whose text completes a secret.
        let delta = format!("mail{n} {SECRET} ");
        let (a, b) = delta.split_at(delta.len() / 2);
        for d in [a, b] {
            input += &format!(
                "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{}}},\"finish_reason\":null}}]}}\n\n",
                crate::stream::literal(d)
            );
        }
        n += 1;
    }
    input += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    let bytes = input.as_bytes();
    let secrets = [SECRET.to_owned()];
    let mut rng = Rng(11);
    let mut chunkings = vec![vec![bytes]];
    for _ in 0..4 {
        let cut = rng.below(bytes.len());
        chunkings.push(vec![&bytes[..cut], &bytes[cut..]]);
    }
    check_chunkings(
        "one chunk",
        StreamApi::OpenAiChat,
        bytes,
        &chunkings,
        &secrets,
    );
}

/// Ollama's flush lines carry only the held text (and `model` / `created_at`): a copy of the
/// last delta line used to repeat its tool calls, arguments unredacted, and its `logprobs`.
#[test]
fn ollama_flush_lines_carry_only_text() {
    const SECRET: &str = "jane.doe@example.com";
    let cases: &[(&str, String)] = &[
        (
            "thinking tail after a tool call",
            format!(
                "{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"I will mail {SECRET}\"}},\"done\":false}}\n{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{{\"function\":{{\"name\":\"send_email\",\"arguments\":{{\"to\":\"{SECRET}\"}}}}}}]}},\"done\":false}}\n{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",\"content\":\"\"}},\"done\":true}}\n"
            ),
        ),
        (
            "echoes on a line whose text is flushed",
            format!("{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",\"content\":\"mail {SECRET}\"}},\"done\":false,\"logprobs\":[{{\"token\":\"{SECRET}\",\"logprob\":-0.1}}]}}\n{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",\"content\":\"\"}},\"done\":true}}\n"),
        ),
        (
            "generate: thinking then response",
            format!("{{\"model\":\"m\",\"response\":\"\",\"thinking\":\"The user wants {SECRET}.\",\"done\":false}}\n{{\"model\":\"m\",\"response\":\"Hello there, friend\",\"done\":false}}\n{{\"model\":\"m\",\"response\":\"\",\"done\":true}}\n"),
        ),
    ];
    let secrets = [SECRET.to_owned()];
    for (name, input) in cases {
        let bytes = input.as_bytes();
        let want = expected_texts(StreamApi::Ollama, bytes);
        assert!(
            want.values().any(|t| t.contains("[REDACTED:EMAIL]")),
            "case {name}: {want:?}"
        );
        let chunkings = [vec![bytes], one_event_per_chunk(input)];
        check_chunkings(name, StreamApi::Ollama, bytes, &chunkings, &secrets);
        for chunks in chunkings {
            let out = String::from_utf8(rewrite(StreamApi::Ollama, detector(), &chunks)).unwrap();
            assert_eq!(
                out.matches("send_email").count(),
                input.matches("send_email").count(),
                "case {name}: tool calls repeated: {out}"
            );
        }
    }
}

/// `fixtures::check` of `input` under each chunking, with the default hold-back window.
fn check_chunkings(
    name: &str,
    api: StreamApi,
    input: &[u8],
    chunkings: &[Vec<&[u8]>],
    secrets: &[String],
) {
    let window = crate::stream::redactor::RedactorOptions::default().window;
    for chunks in chunkings {
        if let Err(e) = super::fixtures::check(api, input, chunks, secrets, window) {
            panic!("case {name}: {e}");
        }
    }
}
