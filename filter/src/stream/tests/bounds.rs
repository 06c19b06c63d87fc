//! Hostile streams: a huge line, millions of tiny events, an endless private key. Memory stays
//! bounded and the stream ends with a clean error or flush.

use super::support::{client_texts, detector};
use crate::stream::sse::DecodeError;
use crate::stream::{StreamApi, StreamError, StreamOptions, StreamRewriter};

#[test]
fn ten_megabyte_line_is_an_error_not_a_buffer() {
    for api in [StreamApi::OpenAiChat, StreamApi::Ollama] {
        let mut rw = StreamRewriter::new(api, StreamOptions::default(), detector());
        let chunk = vec![b'a'; 64 * 1024];
        let mut error = None;
        let mut fed = 0;
        while fed < 10 << 20 {
            let o = rw.push(&chunk);
            fed += chunk.len();
            assert!(o.bytes.is_empty());
            if let Some(e) = o.error {
                error = Some(e);
                break;
            }
        }
        let limit = StreamOptions::default().max_event_bytes;
        assert!(
            matches!(error, Some(StreamError::Decode(DecodeError::TooLarge { limit: l, .. })) if l == limit),
            "{api:?}: {error:?}"
        );
        assert!(
            fed <= limit + chunk.len(),
            "{api:?}: error only after {fed} bytes"
        );
        // The rewriter stays stopped and cheap; the caller ends the stream with this.
        assert!(rw.push(&chunk).error.is_some());
        assert!(!rw.block_event("stream too large", &[]).is_empty());
        assert_eq!(rw.held_bytes(), 0);
    }
}

#[test]
fn millions_of_tiny_events_stream_through() {
    let mut rw = StreamRewriter::new(
        StreamApi::AnthropicMessages,
        StreamOptions::default(),
        detector(),
    );
    let event = b"data:{}\n\n:\n\n";
    let chunk: Vec<u8> = event
        .iter()
        .copied()
        .cycle()
        .take(event.len() * 50_000)
        .collect();
    let mut total = 0;
    for _ in 0..20 {
        let o = rw.push(&chunk);
        assert_eq!(o.error, None);
        assert_eq!(o.bytes, chunk, "unchanged events pass byte for byte");
        total += o.bytes.len();
    }
    assert_eq!(total, chunk.len() * 20);
    assert_eq!(rw.held_bytes(), 0);
}

#[test]
fn many_text_deltas_hold_at_most_the_window() {
    let opts = StreamOptions::default();
    let mut rw = StreamRewriter::new(StreamApi::OpenAiChat, opts, detector());
    let event = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"}}]}\n\n";
    let chunk: Vec<u8> = event
        .iter()
        .copied()
        .cycle()
        .take(event.len() * 2000)
        .collect();
    for _ in 0..20 {
        let o = rw.push(&chunk);
        assert_eq!(o.error, None);
        let window = opts.redactor.window;
        assert!(
            rw.held_bytes() <= window + opts.redactor.lookbehind + 5,
            "held {}",
            rw.held_bytes()
        );
    }
}

#[test]
fn endless_private_key_is_redacted_and_dropped() {
    let opts = StreamOptions::default();
    let mut rw = StreamRewriter::new(StreamApi::AnthropicMessages, opts, detector());
    let delta = |t: &str| {
        format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{}}}}}\n\n",
            serde_json::to_string(t).unwrap()
        )
    };
    let mut out = Vec::new();
    out.extend(rw.push(b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n").bytes);
    out.extend(
        rw.push(delta("my key:\n-----BEGIN OPENSSH PRIVATE KEY-----\n").as_bytes())
            .bytes,
    );
    let body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n";
    let mut max_held = 0;
    for _ in 0..1000 {
        let o = rw.push(delta(body).as_bytes());
        assert_eq!(o.error, None);
        out.extend(o.bytes);
        max_held = max_held.max(rw.held_bytes());
    }
    let o = rw.push(b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    out.extend(o.bytes);
    out.extend(rw.finish().bytes);
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("b3BlbnNza"), "key body leaked");
    assert!(
        max_held <= opts.redactor.pem_cap + 2 * opts.redactor.window + body.len() + 64,
        "held {max_held}"
    );
    let texts = client_texts(StreamApi::AnthropicMessages, text.as_bytes()).unwrap();
    assert_eq!(texts["t0"], "my key:\n[REDACTED:PRIVATE_KEY]");
}

/// Random bytes built from the grammar's pieces (and broken JSON, odd types, invalid UTF-8)
/// never panic the rewriter, whatever the dialect and chunking.
#[test]
fn garbage_never_panics() {
    use super::support::{random_chunks, Rng};
    const PIECES: &[&[u8]] = &[
        b"data:",
        b"data: ",
        b"event: ",
        b"id: ",
        b"retry: 9",
        b":",
        b"\n",
        b"\r",
        b"\r\n",
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b",",
        b"\\",
        b"\xEF\xBB\xBF",
        b"\xFF",
        b"\xC3",
        b"\xF0\x9F",
        b"[DONE]",
        b"\"choices\":[{\"index\":",
        b"\"delta\":{\"content\":\"",
        b"18446744073709551615",
        b"-1",
        b"\"index\":\"x\"",
        b"\"type\":\"content_block_delta\"",
        b"\"delta\":{\"text\":\"",
        b"\"type\":\"response.output_text.delta\"",
        b"\"sequence_number\":",
        b"\"done\":true",
        b"\"message\":{\"content\":\"",
        b"\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"",
        b"a@b.io",
        b"AKIAZ7Q3H2LMNP4RSTUV",
        b"-----BEGIN RSA PRIVATE KEY-----",
        b"-----END ",
        b"\"finish_reason\":\"stop\"",
        b"content_block_stop",
        b"\"response\":\"",
    ];
    let apis = [
        StreamApi::OpenAiChat,
        StreamApi::OpenAiResponses,
        StreamApi::AnthropicMessages,
        StreamApi::Gemini,
        StreamApi::Ollama,
    ];
    let mut rng = Rng(99);
    for _ in 0..300 {
        let mut input = Vec::new();
        for _ in 0..rng.below(200) {
            input.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        let api = apis[rng.below(apis.len())];
        let opts = StreamOptions {
            max_event_bytes: 64 + rng.below(4096),
            max_keys: 1 + rng.below(8),
            ..StreamOptions::default()
        };
        let mut rw = StreamRewriter::new(api, opts, detector());
        for chunk in random_chunks(&mut rng, &input) {
            let _ = rw.push(chunk);
        }
        let _ = rw.finish();
        let _ = rw.block_event("m", &["r".into()]);
    }
}
