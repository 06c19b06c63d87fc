//! OpenAI Chat Completions wire shapes (`POST /v1/chat/completions`).
//!
//! Field sets follow the real API closely enough for the official `openai` SDK's models
//! (buffered and `stream=True`), which is what the e2e tests and demo drive.

use std::borrow::Cow;

use crate::body::{json_str, next_piece, EventSource};
use bytes::Bytes;

/// Fixed `created` timestamp: responses stay byte-for-byte reproducible.
pub const CREATED: u64 = 1_700_000_000;

/// Token usage reported to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub prompt: u64,
    pub completion: u64,
}

/// Buffered `chat.completion` object, keys in the API's order.
pub fn completion(id: u64, model: &str, reply: &str, usage: Usage) -> Bytes {
    let (model, reply) = (json_str(model), json_str(reply));
    let (p, c) = (usage.prompt, usage.completion);
    let total = p.saturating_add(c); // token counts can come from headers: never overflow
    Bytes::from(format!(
        "{{\"id\":\"chatcmpl-mock-{id}\",\"object\":\"chat.completion\",\"created\":{CREATED},\"model\":{model},\
         \"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":{reply},\"refusal\":null}},\
         \"logprobs\":null,\"finish_reason\":\"stop\"}}],\
         \"usage\":{{\"prompt_tokens\":{p},\"completion_tokens\":{c},\"total_tokens\":{total}}}}}"
    ))
}

/// OpenAI error envelope; the SDK maps the HTTP status to its exception class and reads
/// `error.message`.
pub fn error(message: &str, kind: &str) -> Bytes {
    Bytes::from(format!(
        "{{\"error\":{{\"message\":{},\"type\":{},\"param\":null,\"code\":null}}}}",
        json_str(message),
        json_str(kind)
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Role,
    Content,
    Finish,
    Usage,
    Done,
    End,
}

const CHOICE_OPEN: &str = "\"choices\":[{\"index\":0,\"delta\":";
const CHOICE_OPEN_TAIL: &str = ",\"logprobs\":null,\"finish_reason\":null}]}\n\n";
const CHOICE_STOP_TAIL: &str = ",\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n";

/// Lazily generated `chat.completion.chunk` SSE stream: role chunk, one chunk per reply
/// piece, finish chunk, optional usage chunk, `data: [DONE]`.
///
/// Chunks are formatted from a pre-rendered prefix instead of building a JSON tree per
/// piece, since a benchmark reply can be millions of pieces.
pub struct ChatStream {
    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,`
    head: String,
    reply: Cow<'static, str>,
    pos: usize,
    delta_chars: usize,
    /// Set when the request asked for `stream_options.include_usage`.
    usage: Option<Usage>,
    phase: Phase,
}

impl ChatStream {
    pub fn new(
        id: u64,
        model: &str,
        reply: Cow<'static, str>,
        delta_chars: usize,
        usage: Option<Usage>,
    ) -> Self {
        let head = format!(
            "data: {{\"id\":\"chatcmpl-mock-{id}\",\"object\":\"chat.completion.chunk\",\"created\":{CREATED},\"model\":{},",
            json_str(model)
        );
        ChatStream {
            head,
            reply,
            pos: 0,
            delta_chars,
            usage,
            phase: Phase::Role,
        }
    }

    fn choice_event(&self, delta: &str, tail: &str) -> Bytes {
        let mut s =
            String::with_capacity(self.head.len() + CHOICE_OPEN.len() + delta.len() + tail.len());
        s.push_str(&self.head);
        s.push_str(CHOICE_OPEN);
        s.push_str(delta);
        s.push_str(tail);
        Bytes::from(s)
    }
}

impl EventSource for ChatStream {
    fn next_event(&mut self) -> Option<Bytes> {
        loop {
            match self.phase {
                Phase::Role => {
                    self.phase = Phase::Content;
                    return Some(
                        self.choice_event(r#"{"role":"assistant","content":""}"#, CHOICE_OPEN_TAIL),
                    );
                }
                Phase::Content => match next_piece(&self.reply, self.pos, self.delta_chars) {
                    Some((piece, next)) => {
                        let delta = format!("{{\"content\":{}}}", json_str(piece));
                        self.pos = next;
                        return Some(self.choice_event(&delta, CHOICE_OPEN_TAIL));
                    }
                    None => self.phase = Phase::Finish,
                },
                Phase::Finish => {
                    self.phase = if self.usage.is_some() {
                        Phase::Usage
                    } else {
                        Phase::Done
                    };
                    return Some(self.choice_event("{}", CHOICE_STOP_TAIL));
                }
                Phase::Usage => {
                    self.phase = Phase::Done;
                    let usage = self.usage.unwrap_or(Usage {
                        prompt: 0,
                        completion: 0,
                    });
                    return Some(Bytes::from(format!(
                        "{}\"choices\":[],\"usage\":{{\"prompt_tokens\":{},\"completion_tokens\":{},\"total_tokens\":{}}}}}\n\n",
                        self.head,
                        usage.prompt,
                        usage.completion,
                        usage.prompt.saturating_add(usage.completion)
                    )));
                }
                Phase::Done => {
                    self.phase = Phase::End;
                    return Some(Bytes::from_static(b"data: [DONE]\n\n"));
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

    fn drain(mut s: ChatStream) -> Vec<String> {
        std::iter::from_fn(|| s.next_event())
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect()
    }

    fn data(event: &str) -> Value {
        let json = event
            .strip_prefix("data: ")
            .unwrap()
            .strip_suffix("\n\n")
            .unwrap();
        assert!(!json.contains('\n'), "one data line per event");
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn completion_shape() {
        let body = completion(
            7,
            "gpt-x",
            "hi \"there\"\n",
            Usage {
                prompt: 3,
                completion: 4,
            },
        );
        assert!(body.starts_with(b"{\"id\":\"chatcmpl-mock-7\",\"object\":\"chat.completion\","));
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["id"], "chatcmpl-mock-7");
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["created"], 1_700_000_000);
        assert_eq!(v["model"], "gpt-x");
        assert_eq!(v["choices"][0]["index"], 0);
        assert_eq!(v["choices"][0]["message"]["role"], "assistant");
        assert_eq!(v["choices"][0]["message"]["content"], "hi \"there\"\n");
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
        assert!(v["choices"][0]["logprobs"].is_null());
        assert_eq!(v["usage"]["prompt_tokens"], 3);
        assert_eq!(v["usage"]["completion_tokens"], 4);
        assert_eq!(v["usage"]["total_tokens"], 7);
    }

    #[test]
    fn header_supplied_usage_cannot_overflow() {
        let usage = Usage {
            prompt: u64::MAX,
            completion: 5,
        };
        let v: Value = serde_json::from_slice(&completion(1, "m", "", usage)).unwrap();
        assert_eq!(v["usage"]["total_tokens"], u64::MAX);
        let events = drain(ChatStream::new(1, "m", Cow::Borrowed(""), 8, Some(usage)));
        assert_eq!(data(&events[2])["usage"]["total_tokens"], u64::MAX);
    }

    #[test]
    fn error_shape() {
        let v: Value = serde_json::from_slice(&error("mock \"error\"", "mock_error")).unwrap();
        assert_eq!(v["error"]["message"], "mock \"error\"");
        assert_eq!(v["error"]["type"], "mock_error");
        assert!(v["error"]["code"].is_null());
    }

    #[test]
    fn stream_framing_and_content() {
        let reply = "h\u{e9}llo \"w\u{f6}rld\"\n\u{1F44B}!";
        let events = drain(ChatStream::new(1, "m\"odel", Cow::Borrowed(reply), 3, None));
        assert_eq!(events.last().unwrap(), "data: [DONE]\n\n");
        let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|e| data(e)).collect();
        for c in &chunks {
            assert_eq!(c["id"], "chatcmpl-mock-1");
            assert_eq!(c["object"], "chat.completion.chunk");
            assert_eq!(c["created"], 1_700_000_000);
            assert_eq!(c["model"], "m\"odel");
        }
        let first = &chunks[0]["choices"][0];
        assert_eq!(first["delta"], json!({"role": "assistant", "content": ""}));
        assert!(first["finish_reason"].is_null() && first["logprobs"].is_null());
        let last = &chunks[chunks.len() - 1]["choices"][0];
        assert_eq!(last["delta"], json!({}));
        assert_eq!(last["finish_reason"], "stop");
        let pieces: Vec<&str> = chunks[1..chunks.len() - 1]
            .iter()
            .map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap())
            .collect();
        assert!(pieces.iter().all(|p| p.chars().count() <= 3));
        assert_eq!(pieces.concat(), reply);
        assert_eq!(pieces.len(), reply.chars().count().div_ceil(3));
    }

    #[test]
    fn stream_usage_chunk_when_requested() {
        let usage = Usage {
            prompt: 5,
            completion: 2,
        };
        let events = drain(ChatStream::new(
            2,
            "m",
            Cow::Borrowed("abc"),
            8,
            Some(usage),
        ));
        // role, "abc", finish, usage, [DONE]
        assert_eq!(events.len(), 5);
        let u = data(&events[3]);
        assert_eq!(u["choices"], json!([]));
        assert_eq!(
            u["usage"],
            json!({"prompt_tokens":5,"completion_tokens":2,"total_tokens":7})
        );
    }

    #[test]
    fn empty_reply_streams_no_content_chunks() {
        let events = drain(ChatStream::new(3, "m", Cow::Borrowed(""), 8, None));
        assert_eq!(events.len(), 3);
    }
}
