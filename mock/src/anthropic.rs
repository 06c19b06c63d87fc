//! Anthropic Messages wire shapes (`POST /v1/messages`).
//!
//! The stream reproduces the real event order and `event:`/`data:` framing, including
//! the `ping`, because the official `anthropic` SDK's stream accumulator and the filter's
//! SSE decoder both depend on it.

use std::borrow::Cow;

use bytes::Bytes;

use crate::body::{json_str, next_piece, EventSource};
use crate::openai::Usage;

/// Buffered `message` object, keys in the API's order.
pub fn message(id: u64, model: &str, reply: &str, usage: Usage) -> Bytes {
    let (model, reply) = (json_str(model), json_str(reply));
    let (p, c) = (usage.prompt, usage.completion);
    Bytes::from(format!(
        "{{\"id\":\"msg_mock_{id}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":{model},\
         \"content\":[{{\"type\":\"text\",\"text\":{reply}}}],\"stop_reason\":\"end_turn\",\
         \"stop_sequence\":null,\"usage\":{{\"input_tokens\":{p},\"output_tokens\":{c}}}}}"
    ))
}

/// Anthropic error envelope (`{"type":"error","error":{…}}`).
pub fn error(kind: &str, message: &str) -> Bytes {
    Bytes::from(format!(
        "{{\"type\":\"error\",\"error\":{{\"type\":{},\"message\":{}}}}}",
        json_str(kind),
        json_str(message)
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    MessageStart,
    BlockStart,
    Ping,
    Delta,
    BlockStop,
    MessageDelta,
    MessageStop,
    End,
}

const DELTA_HEAD: &str = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":";

/// Lazily generated Messages SSE stream: message_start, content_block_start, ping,
/// content_block_delta per piece, content_block_stop, message_delta, message_stop.
pub struct MessageStream {
    id: u64,
    model: String,
    reply: Cow<'static, str>,
    pos: usize,
    delta_chars: usize,
    usage: Usage,
    phase: Phase,
}

impl MessageStream {
    pub fn new(
        id: u64,
        model: &str,
        reply: Cow<'static, str>,
        delta_chars: usize,
        usage: Usage,
    ) -> Self {
        MessageStream {
            id,
            model: model.to_owned(),
            reply,
            pos: 0,
            delta_chars,
            usage,
            phase: Phase::MessageStart,
        }
    }
}

/// One `event: <type>\ndata: <json>\n\n` frame.
fn event(kind: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
}

impl EventSource for MessageStream {
    fn next_event(&mut self) -> Option<Bytes> {
        loop {
            match self.phase {
                Phase::MessageStart => {
                    self.phase = Phase::BlockStart;
                    // Like the real API, message_start carries the input usage and a
                    // token-so-far output count; the final count comes in message_delta.
                    let data = format!(
                        "{{\"type\":\"message_start\",\"message\":{{\"id\":\"msg_mock_{}\",\
                         \"type\":\"message\",\"role\":\"assistant\",\"model\":{},\"content\":[],\
                         \"stop_reason\":null,\"stop_sequence\":null,\
                         \"usage\":{{\"input_tokens\":{},\"output_tokens\":{}}}}}}}",
                        self.id,
                        json_str(&self.model),
                        self.usage.prompt,
                        self.usage.completion.min(1)
                    );
                    return Some(event("message_start", &data));
                }
                Phase::BlockStart => {
                    self.phase = Phase::Ping;
                    return Some(event(
                        "content_block_start",
                        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                    ));
                }
                Phase::Ping => {
                    self.phase = Phase::Delta;
                    // Byte-for-byte what the API sends (note the space).
                    return Some(event("ping", r#"{"type": "ping"}"#));
                }
                Phase::Delta => match next_piece(&self.reply, self.pos, self.delta_chars) {
                    Some((piece, next)) => {
                        self.pos = next;
                        let text = json_str(piece);
                        let mut s = String::with_capacity(DELTA_HEAD.len() + text.len() + 4);
                        s.push_str(DELTA_HEAD);
                        s.push_str(&text);
                        s.push_str("}}\n\n");
                        return Some(Bytes::from(s));
                    }
                    None => self.phase = Phase::BlockStop,
                },
                Phase::BlockStop => {
                    self.phase = Phase::MessageDelta;
                    return Some(event(
                        "content_block_stop",
                        r#"{"type":"content_block_stop","index":0}"#,
                    ));
                }
                Phase::MessageDelta => {
                    self.phase = Phase::MessageStop;
                    let data = format!(
                        "{{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"end_turn\",\
                         \"stop_sequence\":null}},\"usage\":{{\"output_tokens\":{}}}}}",
                        self.usage.completion
                    );
                    return Some(event("message_delta", &data));
                }
                Phase::MessageStop => {
                    self.phase = Phase::End;
                    return Some(event("message_stop", r#"{"type":"message_stop"}"#));
                }
                Phase::End => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Parses `event: X\ndata: Y\n\n` frames into (X, Y).
    fn drain(mut s: MessageStream) -> Vec<(String, Value)> {
        std::iter::from_fn(|| s.next_event())
            .map(|b| {
                let text = String::from_utf8(b.to_vec()).unwrap();
                let body = text.strip_suffix("\n\n").unwrap();
                let (ev, data) = body.split_once('\n').unwrap();
                let ev = ev.strip_prefix("event: ").unwrap().to_owned();
                let data = data.strip_prefix("data: ").unwrap();
                // `type` first, as the API sends it (ping alone has a space after ':').
                let compact = data.replace("\": \"", "\":\"");
                assert!(
                    compact.starts_with(&format!("{{\"type\":\"{ev}\"")),
                    "{data}"
                );
                let data: Value = serde_json::from_str(data).unwrap();
                assert_eq!(data["type"], ev.as_str(), "event name matches data.type");
                (ev, data)
            })
            .collect()
    }

    #[test]
    fn message_shape() {
        let body = message(
            4,
            "claude-x",
            "hi",
            Usage {
                prompt: 9,
                completion: 1,
            },
        );
        assert!(body.starts_with(b"{\"id\":\"msg_mock_4\",\"type\":\"message\","));
        let v: Value = serde_json::from_slice(&message(
            4,
            "claude-x",
            "hi",
            Usage {
                prompt: 9,
                completion: 1,
            },
        ))
        .unwrap();
        assert_eq!(v["id"], "msg_mock_4");
        assert_eq!(v["type"], "message");
        assert_eq!(v["role"], "assistant");
        assert_eq!(v["model"], "claude-x");
        assert_eq!(v["content"], json!([{"type": "text", "text": "hi"}]));
        assert_eq!(v["stop_reason"], "end_turn");
        assert!(v["stop_sequence"].is_null());
        assert_eq!(v["usage"], json!({"input_tokens": 9, "output_tokens": 1}));
    }

    #[test]
    fn error_shape() {
        let v: Value = serde_json::from_slice(&error("api_error", "mock error")).unwrap();
        assert_eq!(
            v,
            json!({"type":"error","error":{"type":"api_error","message":"mock error"}})
        );
    }

    #[test]
    fn stream_event_sequence() {
        let reply = "Gr\u{fc}\u{df}e \u{1F30D}\n\"ok\"";
        let usage = Usage {
            prompt: 11,
            completion: 5,
        };
        let events = drain(MessageStream::new(
            2,
            "claude-x",
            Cow::Borrowed(reply),
            2,
            usage,
        ));
        let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
        let deltas = reply.chars().count().div_ceil(2);
        let mut expected = vec!["message_start", "content_block_start", "ping"];
        expected.resize(expected.len() + deltas, "content_block_delta");
        expected.extend(["content_block_stop", "message_delta", "message_stop"]);
        assert_eq!(names, expected);

        let start = &events[0].1["message"];
        assert_eq!(start["id"], "msg_mock_2");
        assert_eq!(start["model"], "claude-x");
        assert_eq!(start["content"], json!([]));
        assert_eq!(start["usage"]["input_tokens"], 11);
        assert_eq!(
            events[1].1["content_block"],
            json!({"type": "text", "text": ""})
        );

        let text: String = events
            .iter()
            .filter(|(e, _)| e == "content_block_delta")
            .map(|(_, d)| {
                assert_eq!(d["index"], 0);
                assert_eq!(d["delta"]["type"], "text_delta");
                d["delta"]["text"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(text, reply);

        let md = &events[events.len() - 2].1;
        assert_eq!(
            md["delta"],
            json!({"stop_reason": "end_turn", "stop_sequence": null})
        );
        assert_eq!(md["usage"], json!({"output_tokens": 5}));
    }
}
