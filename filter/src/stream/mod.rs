//! Streamed responses: decode the event stream, redact each text stream's deltas with a
//! hold-back window, re-encode every event in the shape the upstream used.
//!
//! ```text
//! bytes ─▶ sse / ndjson decoder ─▶ dialect: (key, delta) pairs ─▶ one Redactor per key
//!       ◀─ same framing, only delta strings changed ◀─ released text spliced back ◀─┘
//! ```
//!
//! Events without text pass through byte for byte. An event whose delta is rewritten keeps
//! every other byte of its JSON (`json::splice`). Held text reaches the client in the event
//! that closes its stream (when that event has a slot for it) or in a delta event synthesized
//! just before it (`finish_reason`, `content_block_stop`, `.done`, `[DONE]`, `message_stop`,
//! `response.completed`, Ollama's `done: true`); at the end of the stream, in synthesized
//! events. Everything is bounded: event size, keys, held text per key.
//!
//! Pure Rust: the glue feeds body chunks in and writes `Output::bytes` out.
//!
//! # Driving it from the glue
//! * Response headers: `StreamApi::from_path(request path)` and
//!   `is_stream_content_type(content-type)` decide whether the body is a stream to rewrite;
//!   then drop `content-length` (the body changes size) and build one rewriter per response
//!   with the policy's response `EntityRules` as the detector (it implements
//!   [`redactor::Detector`]; wrap it in [`redactor::MonitorOnly`] for a monitor-mode policy).
//! * Each body chunk: replace the chunk with `push(chunk).bytes` (possibly empty) and return
//!   `Continue`, so nothing accumulates in Envoy's buffer. At `end_of_stream`, append
//!   `finish().bytes` to that last chunk.
//! * `Output::error` set: send that call's `bytes` followed by `block_event(message, rules)`,
//!   and from then on replace every later chunk with nothing; the rewriter stays stopped and
//!   never releases what it held.
//! * End of stream in the trailers callback: the body can no longer be written, so what is
//!   still held is dropped (never leaked). Every API here closes its text streams with an event
//!   (`[DONE]`, `message_stop`, `response.completed`, `finishReason`, `done: true`), and that
//!   event already carries the flushed text, so only truncated streams lose their tail.

pub mod dialect;
pub mod ndjson;
pub mod redactor;
pub mod sse;

use crate::json::{self, Edit};
use dialect::{Analysis, Framing, Key, NewEvent, StreamDialect, SynthContext};
use redactor::{redact_whole, Detector, Hit, Redactor, RedactorOptions, Sink};
use sse::{DecodeError, LineEnding};
use std::fmt;

/// The streaming APIs understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamApi {
    OpenAiChat,
    OpenAiResponses,
    AnthropicMessages,
    /// Gemini `streamGenerateContent?alt=sse`.
    Gemini,
    /// Ollama `/api/chat` and `/api/generate` (NDJSON).
    Ollama,
}

impl StreamApi {
    pub fn dialect(self) -> &'static dyn StreamDialect {
        match self {
            StreamApi::OpenAiChat => &dialect::OpenAiChat,
            StreamApi::OpenAiResponses => &dialect::Responses,
            StreamApi::AnthropicMessages => &dialect::Anthropic,
            StreamApi::Gemini => &dialect::Gemini,
            StreamApi::Ollama => &dialect::Ollama,
        }
    }

    /// Recognises a streaming API from the request path (and query): Gemini's
    /// `…:streamGenerateContent?alt=sse`, Ollama's `/api/chat` and `/api/generate`, and the
    /// paths `dialect::Api::from_path` knows.
    pub fn from_path(path: &str) -> Option<StreamApi> {
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let route = route.trim_end_matches('/');
        if route.ends_with(":streamGenerateContent") {
            // Without `alt=sse` Gemini streams one JSON array, which is not an event stream.
            let sse = query.split('&').any(|kv| kv == "alt=sse");
            return sse.then_some(StreamApi::Gemini);
        }
        if route.ends_with("/api/chat") || route.ends_with("/api/generate") {
            return Some(StreamApi::Ollama);
        }
        crate::dialect::Api::from_path(path).and_then(StreamApi::from_api)
    }

    /// Whether a response `content-type` is this API's stream (`text/event-stream`, or
    /// `application/x-ndjson` for Ollama); anything else is a buffered body.
    pub fn is_stream_content_type(self, content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match self.dialect().framing() {
            Framing::Sse => essence == "text/event-stream",
            Framing::Ndjson => essence == "application/x-ndjson" || essence == "application/jsonl",
        }
    }

    /// The streaming API for a request-side `dialect::Api`, where one exists.
    pub fn from_api(api: crate::dialect::Api) -> Option<StreamApi> {
        use crate::dialect::Api;
        match api {
            Api::OpenAiChat => Some(StreamApi::OpenAiChat),
            Api::OpenAiResponses => Some(StreamApi::OpenAiResponses),
            Api::AnthropicMessages => Some(StreamApi::AnthropicMessages),
            Api::Gemini => Some(StreamApi::Gemini),
            Api::OllamaChat | Api::OllamaGenerate => Some(StreamApi::Ollama),
            // ConverseStream is a binary AWS event stream, not SSE: passed through, counted.
            Api::OpenAiCompletions
            | Api::OpenAiEmbeddings
            | Api::BedrockConverse
            | Api::GenericJson => None,
        }
    }
}

/// Bounds and hold-back parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOptions {
    pub redactor: RedactorOptions,
    /// Largest event (SSE) or line (NDJSON) accepted.
    pub max_event_bytes: usize,
    /// Most text streams (choices × tool calls, content blocks, output items) tracked at once.
    pub max_keys: usize,
    /// Stop on event data that is neither JSON nor `[DONE]` (its text could not be screened).
    /// On by default: a guard fails closed.
    pub strict_json: bool,
}

impl Default for StreamOptions {
    fn default() -> StreamOptions {
        StreamOptions {
            redactor: RedactorOptions::default(),
            max_event_bytes: sse::DEFAULT_MAX_EVENT_BYTES,
            max_keys: 64,
            strict_json: true,
        }
    }
}

/// Why the rewriter stopped. After it, nothing held is ever released; the caller sends
/// `Output::bytes`, then [`StreamRewriter::block_event`], and ends the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    Decode(DecodeError),
    TooManyKeys {
        limit: usize,
    },
    /// A finding whose action is `Block`.
    Blocked {
        entity: crate::entity::EntityType,
    },
    /// Event data that is not JSON (with `strict_json`).
    Malformed,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Decode(e) => e.fmt(f),
            StreamError::TooManyKeys { limit } => {
                write!(
                    f,
                    "more than {limit} concurrent text streams in one response"
                )
            }
            StreamError::Blocked { entity } => write!(f, "blocked entity {entity} in stream"),
            StreamError::Malformed => f.write_str("stream event data is not JSON"),
        }
    }
}

impl std::error::Error for StreamError {}

/// What one call produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    /// Bytes to send to the client now (possibly empty).
    pub bytes: Vec<u8>,
    /// Findings decided in this call (types and actions only).
    pub hits: Vec<Hit>,
    /// Set when the stream must end; see [`StreamError`].
    pub error: Option<StreamError>,
}

enum Frame {
    Sse(sse::Block),
    Line(ndjson::Line),
}

struct KeyState {
    key: Key,
    redactor: Redactor,
    item_id: Option<String>,
}

/// Longest Responses `item_id` kept for synthesized events.
const MAX_ITEM_ID: usize = 256;

/// Rewrites one streamed response.
pub struct StreamRewriter {
    dialect: &'static dyn StreamDialect,
    framing: Framing,
    opts: StreamOptions,
    detector: Box<dyn Detector>,
    sse: sse::Decoder,
    ndjson: ndjson::Decoder,
    keys: Vec<KeyState>,
    /// Data of the last event that carried a delta.
    template: Option<String>,
    ending: LineEnding,
    /// Events synthesized so far: added to every later upstream `sequence_number`.
    seq_shift: u64,
    last_seq: Option<u64>,
    stopped: Option<StreamError>,
}

impl StreamRewriter {
    pub fn new(api: StreamApi, opts: StreamOptions, detector: Box<dyn Detector>) -> Self {
        let dialect = api.dialect();
        StreamRewriter {
            dialect,
            framing: dialect.framing(),
            opts,
            detector,
            sse: sse::Decoder::new(opts.max_event_bytes),
            ndjson: ndjson::Decoder::new(opts.max_event_bytes),
            keys: Vec::new(),
            template: None,
            ending: LineEnding::Lf,
            seq_shift: 0,
            last_seq: None,
            stopped: None,
        }
    }

    /// Feeds a body chunk; returns what to send now.
    pub fn push(&mut self, chunk: &[u8]) -> Output {
        self.run(chunk, false)
    }

    /// Ends the stream (end of body or trailers): releases everything held, in synthesized
    /// delta events after the last upstream event.
    pub fn finish(&mut self) -> Output {
        self.run(&[], true)
    }

    /// Text bytes held back across all text streams (for metrics and tests).
    pub fn held_bytes(&self) -> usize {
        self.keys.iter().map(|k| k.redactor.held()).sum()
    }

    /// Whether the rewriter has stopped on an error.
    pub fn error(&self) -> Option<&StreamError> {
        self.stopped.as_ref()
    }

    /// Events that end the stream with an error in the API's own shape, naming `rules`.
    pub fn block_event(&self, message: &str, rules: &[String]) -> Vec<u8> {
        let mut message = message.to_owned();
        if !rules.is_empty() {
            let named: Vec<&str> = rules.iter().map(String::as_str).take(5).collect();
            message.push_str(" (");
            message.push_str(&named.join(", "));
            if rules.len() > 5 {
                message.push_str(", …");
            }
            message.push(')');
        }
        let cx = SynthContext {
            template: None,
            item_id: None,
            sequence_number: self.last_seq.map(|s| s.saturating_add(1)),
        };
        let mut out = Vec::new();
        for ev in self.dialect.block_events(&message, &cx) {
            write_new(self.framing, self.ending, &ev, &mut out);
        }
        out
    }

    fn run(&mut self, chunk: &[u8], fin: bool) -> Output {
        let mut out = Output::default();
        if let Some(e) = &self.stopped {
            out.error = Some(e.clone());
            return out;
        }
        let mut frames = Vec::new();
        let decoded = match self.framing {
            Framing::Sse => {
                let mut blocks = Vec::new();
                let r = if fin {
                    self.sse.finish(&mut blocks)
                } else {
                    self.sse.push(chunk, &mut blocks)
                };
                frames.extend(blocks.into_iter().map(Frame::Sse));
                r
            }
            Framing::Ndjson => {
                let mut lines = Vec::new();
                let r = if fin {
                    self.ndjson.finish(&mut lines)
                } else {
                    self.ndjson.push(chunk, &mut lines)
                };
                frames.extend(lines.into_iter().map(Frame::Line));
                r
            }
        };
        for frame in &frames {
            if let Err(e) = self.frame(frame, &mut out) {
                return self.stop(out, e);
            }
        }
        if let Err(e) = decoded {
            return self.stop(out, StreamError::Decode(e));
        }
        if fin {
            let keys: Vec<usize> = (0..self.keys.len()).collect();
            match self.flush_keys(&keys, &mut [], &mut out) {
                Ok(written) => out.bytes.extend_from_slice(&written),
                Err(e) => return self.stop(out, e),
            }
            self.keys.clear();
        }
        out
    }

    fn stop(&mut self, mut out: Output, e: StreamError) -> Output {
        self.stopped = Some(e.clone());
        self.keys.clear();
        out.error = Some(e);
        out
    }

    fn frame(&mut self, frame: &Frame, out: &mut Output) -> Result<(), StreamError> {
        let (event, data) = match frame {
            Frame::Sse(block) => {
                if block.terminated {
                    self.ending = block.ending;
                }
                (block.event_type.as_deref(), block.data.as_deref())
            }
            Frame::Line(line) => (None, (!line.is_blank()).then_some(line.text.as_str())),
        };
        let raw = match frame {
            Frame::Sse(block) => block.raw(),
            Frame::Line(line) => line.raw(),
        };
        let Some(data) = data else {
            out.bytes.extend_from_slice(raw);
            return Ok(());
        };
        let doc = json::parse(data).ok();
        if doc.is_none() && self.opts.strict_json && !matches!(data.trim(), "" | "[DONE]") {
            return Err(StreamError::Malformed);
        }
        let an = self.dialect.analyze(event, data, doc.as_ref());
        let mut pre = Vec::new();
        let edits = self.apply(&an, &mut pre, out)?;
        out.bytes.extend_from_slice(&pre);
        if edits.is_empty() {
            out.bytes.extend_from_slice(raw);
        } else {
            let new = json::splice(data, edits);
            match frame {
                Frame::Sse(block) => block.encode_with_data(&new, &mut out.bytes),
                Frame::Line(line) => line.encode_with_text(&new, &mut out.bytes),
            }
        }
        if !an.deltas.is_empty() && doc.as_ref().is_some_and(json::Value::is_object) {
            self.template = Some(data.to_owned());
        }
        Ok(())
    }

    /// Runs the event's texts through the redactors; returns the edits for the event and
    /// writes synthesized events that must precede it to `pre`.
    fn apply(
        &mut self,
        an: &Analysis<'_>,
        pre: &mut Vec<u8>,
        out: &mut Output,
    ) -> Result<Vec<Edit>, StreamError> {
        // Released text per delta, in order.
        let mut released: Vec<(Key, String)> = Vec::with_capacity(an.deltas.len());
        for (key, s) in &an.deltas {
            let idx = key_index(&mut self.keys, *key, &self.opts)?;
            let det: &dyn Detector = self.detector.as_ref();
            let Some(state) = self.keys.get_mut(idx) else {
                continue;
            };
            if let Some(id) = an.item_id.filter(|id| id.len() <= MAX_ITEM_ID) {
                if state.item_id.as_deref() != Some(id) {
                    state.item_id = Some(id.to_owned());
                }
            }
            let mut sink = Sink::default();
            state.redactor.push(&s.text, det, &mut sink);
            collect(&mut sink, out)?;
            released.push((*key, sink.text));
        }
        let ending: Vec<usize> = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| an.ends.iter().any(|scope| scope.covers(k.key)))
            .map(|(i, _)| i)
            .collect();
        let written = self.flush_keys(&ending, &mut released, out)?;
        pre.extend_from_slice(&written);
        let mut remove = ending;
        remove.sort_unstable();
        for i in remove.into_iter().rev() {
            if i < self.keys.len() {
                self.keys.remove(i);
            }
        }

        let det: &dyn Detector = self.detector.as_ref();
        let mut edits = Vec::new();
        for ((_, s), (_, text)) in an.deltas.iter().zip(&released) {
            if *text != s.text {
                edits.push(Edit::string(s, text));
            }
        }
        for (s, repeat) in an
            .full
            .iter()
            .map(|s| (s, false))
            .chain(an.repeats.iter().map(|s| (s, true)))
        {
            let mut sink = redact_whole(&s.text, det, self.opts.redactor);
            if repeat {
                sink.hits.clear();
            }
            collect(&mut sink, out)?;
            if sink.text != s.text {
                edits.push(Edit::string(s, &sink.text));
            }
        }
        if let Some((span, n)) = &an.sequence {
            let new = n.saturating_add(self.seq_shift);
            if self.seq_shift > 0 {
                edits.push(Edit {
                    span: span.clone(),
                    replacement: new.to_string(),
                });
            }
            self.last_seq = Some(new);
        }
        Ok(edits)
    }

    /// Finishes the redactors at `indices`. Each tail goes into the last delta of `released`
    /// for the same key (the closing event has a slot for it) or into a synthesized event,
    /// whose bytes are returned.
    fn flush_keys(
        &mut self,
        indices: &[usize],
        released: &mut [(Key, String)],
        out: &mut Output,
    ) -> Result<Vec<u8>, StreamError> {
        let det: &dyn Detector = self.detector.as_ref();
        let mut written = Vec::new();
        for &i in indices {
            let Some(state) = self.keys.get_mut(i) else {
                continue;
            };
            let mut sink = Sink::default();
            state.redactor.finish(det, &mut sink);
            collect(&mut sink, out)?;
            if sink.text.is_empty() {
                continue;
            }
            let key = state.key;
            if let Some((_, slot)) = released.iter_mut().rev().find(|(k, _)| *k == key) {
                slot.push_str(&sink.text);
                continue;
            }
            let seq = self.last_seq.map(|s| s.saturating_add(1));
            let cx = SynthContext {
                template: self.template.as_deref(),
                item_id: state.item_id.as_deref(),
                sequence_number: seq,
            };
            let ev = self.dialect.synthesize(key, &sink.text, &cx);
            if seq.is_some() {
                self.last_seq = seq;
                self.seq_shift += 1;
            }
            write_new(self.framing, self.ending, &ev, &mut written);
        }
        Ok(written)
    }
}

fn key_index(
    keys: &mut Vec<KeyState>,
    key: Key,
    opts: &StreamOptions,
) -> Result<usize, StreamError> {
    if let Some(i) = keys.iter().position(|k| k.key == key) {
        return Ok(i);
    }
    if keys.len() >= opts.max_keys {
        return Err(StreamError::TooManyKeys {
            limit: opts.max_keys,
        });
    }
    keys.push(KeyState {
        key,
        redactor: Redactor::new(opts.redactor),
        item_id: None,
    });
    Ok(keys.len() - 1)
}

fn write_new(framing: Framing, ending: LineEnding, ev: &NewEvent, out: &mut Vec<u8>) {
    match framing {
        Framing::Sse => sse::encode_event(ev.event, &ev.data, ending, out),
        Framing::Ndjson => {
            out.extend_from_slice(ev.data.as_bytes());
            out.push(b'\n');
        }
    }
}

/// Moves a sink's hits to the output; a block stops the stream.
fn collect(sink: &mut Sink, out: &mut Output) -> Result<(), StreamError> {
    out.hits.append(&mut sink.hits);
    match sink.blocked {
        Some(entity) => Err(StreamError::Blocked { entity }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
