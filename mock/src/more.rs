//! Gemini, Ollama, the OpenAI Responses API and Bedrock Converse: buffered replies and
//! (except Bedrock, whose ConverseStream is a binary AWS event stream) streamed ones, in each
//! API's own wire shape. Streams are rendered up front: these serve tests, not benchmarks.

use bytes::Bytes;
use serde_json::{json, Value};

use crate::body::{pieces, EventSource};
use crate::openai::Usage;

const CREATED: u64 = 1_700_000_000;

/// A stream whose events are already rendered.
pub struct EventList(std::vec::IntoIter<Bytes>);

impl EventList {
    pub fn new(events: Vec<Bytes>) -> Self {
        EventList(events.into_iter())
    }
}

impl EventSource for EventList {
    fn next_event(&mut self) -> Option<Bytes> {
        self.0.next()
    }
}

/// Sets a member of an object (no-op on anything else: these are always objects here).
fn set(v: &mut Value, key: &str, value: Value) {
    if let Some(map) = v.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn gemini_chunk(model: &str, text: &str, finish: bool, usage: Usage) -> Value {
    let mut candidate =
        json!({"content": {"role": "model", "parts": [{"text": text}]}, "index": 0});
    if finish {
        set(&mut candidate, "finishReason", json!("STOP"));
    }
    json!({
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": usage.prompt, "candidatesTokenCount": usage.completion,
                          "totalTokenCount": usage.prompt + usage.completion},
        "modelVersion": model,
    })
}

pub fn gemini(model: &str, reply: &str, usage: Usage) -> Vec<u8> {
    to_bytes(&gemini_chunk(model, reply, true, usage))
}

/// `streamGenerateContent?alt=sse`: `data: <chunk>` events, CRLF-framed as Google sends them.
pub fn gemini_stream(model: &str, reply: &str, delta: usize, usage: Usage) -> EventList {
    let parts = pieces(reply, delta);
    let last = parts.len().saturating_sub(1);
    let events = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let chunk = gemini_chunk(model, p, i == last, usage);
            Bytes::from(format!("data: {chunk}\r\n\r\n"))
        })
        .collect();
    EventList::new(events)
}

fn ollama_line(model: &str, chat: bool, text: &str, done: bool) -> Value {
    let mut v = json!({"model": model, "created_at": "2026-01-01T00:00:00Z", "done": done});
    if chat {
        set(
            &mut v,
            "message",
            json!({"role": "assistant", "content": text}),
        );
    } else {
        set(&mut v, "response", json!(text));
    }
    if done {
        set(&mut v, "done_reason", json!("stop"));
    }
    v
}

pub fn ollama(model: &str, chat: bool, reply: &str) -> Vec<u8> {
    to_bytes(&ollama_line(model, chat, reply, true))
}

/// NDJSON: one line per piece, then a final `done: true` line with empty text.
pub fn ollama_stream(model: &str, chat: bool, reply: &str, delta: usize) -> EventList {
    let mut events: Vec<Bytes> = pieces(reply, delta)
        .iter()
        .map(|p| Bytes::from(format!("{}\n", ollama_line(model, chat, p, false))))
        .collect();
    events.push(Bytes::from(format!(
        "{}\n",
        ollama_line(model, chat, "", true)
    )));
    EventList::new(events)
}

fn response_object(id: u64, model: &str, text: Option<&str>, usage: Usage) -> Value {
    let output = match text {
        Some(t) => {
            json!([{"type": "message", "id": format!("msg_mock_{id}"), "status": "completed",
                           "role": "assistant",
                           "content": [{"type": "output_text", "text": t, "annotations": []}]}])
        }
        None => json!([]),
    };
    json!({
        "id": format!("resp_mock_{id}"), "object": "response", "created_at": CREATED,
        "status": if text.is_some() { "completed" } else { "in_progress" },
        "model": model, "output": output,
        "usage": {"input_tokens": usage.prompt, "output_tokens": usage.completion,
                  "total_tokens": usage.prompt + usage.completion},
    })
}

pub fn responses(id: u64, model: &str, reply: &str, usage: Usage) -> Vec<u8> {
    to_bytes(&response_object(id, model, Some(reply), usage))
}

/// The Responses API event sequence for one text output item.
pub fn responses_stream(
    id: u64,
    model: &str,
    reply: &str,
    delta: usize,
    usage: Usage,
) -> EventList {
    let item = format!("msg_mock_{id}");
    let mut seq = 0u64;
    let mut events = Vec::new();
    let mut push = |kind: &str, mut data: Value| {
        set(&mut data, "type", json!(kind));
        set(&mut data, "sequence_number", json!(seq));
        seq += 1;
        events.push(Bytes::from(format!("event: {kind}\ndata: {data}\n\n")));
    };
    push(
        "response.created",
        json!({"response": response_object(id, model, None, usage)}),
    );
    push(
        "response.output_item.added",
        json!({"output_index": 0, "item": {"type": "message", "id": item,
          "status": "in_progress", "role": "assistant", "content": []}}),
    );
    push(
        "response.content_part.added",
        json!({"item_id": item, "output_index": 0, "content_index": 0,
          "part": {"type": "output_text", "text": "", "annotations": []}}),
    );
    for p in pieces(reply, delta) {
        push(
            "response.output_text.delta",
            json!({"item_id": item, "output_index": 0, "content_index": 0, "delta": p}),
        );
    }
    push(
        "response.output_text.done",
        json!({"item_id": item, "output_index": 0, "content_index": 0, "text": reply}),
    );
    push(
        "response.content_part.done",
        json!({"item_id": item, "output_index": 0, "content_index": 0,
          "part": {"type": "output_text", "text": reply, "annotations": []}}),
    );
    push(
        "response.output_item.done",
        json!({"output_index": 0, "item": {"type": "message", "id": item,
          "status": "completed", "role": "assistant",
          "content": [{"type": "output_text", "text": reply, "annotations": []}]}}),
    );
    push(
        "response.completed",
        json!({"response": response_object(id, model, Some(reply), usage)}),
    );
    EventList::new(events)
}

pub fn bedrock(reply: &str, usage: Usage) -> Vec<u8> {
    to_bytes(&json!({
        "output": {"message": {"role": "assistant", "content": [{"text": reply}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": usage.prompt, "outputTokens": usage.completion,
                  "totalTokens": usage.prompt + usage.completion},
        "metrics": {"latencyMs": 1},
    }))
}
