//! Streamed responses: decode the event stream, redact each text stream's deltas with a
//! hold-back window, re-encode every event in the shape the upstream used.
//!
//! ```text
//! bytes ─▶ sse / ndjson decoder ─▶ dialect: (key, delta) pairs ─▶ one Redactor per key
//!       ◀─ same framing, only delta strings changed ◀─ released text spliced back ◀─┘
//! ```
//!
//! Events without text pass through byte for byte. An event whose delta is rewritten keeps
//! every other byte of its JSON (`json::splice`).
//!
//! The redactors release once per body chunk, not once per event: a chunk's deltas are
//! appended as its events are read, each text stream is scanned once at the end of the chunk
//! (or when an event closes it), and the released text is handed back to the chunk's delta
//! slots. Each slot gets what stands for the input bytes it brought (a replacement goes with
//! the slot where its finding starts), so every delta past the hold-back that nothing touched
//! goes out exactly as the upstream sent it; only the first delta of a stream in a chunk
//! (which also carries what was held before it), the last few (whose text is still held) and
//! those holding findings are rewritten. A fast upstream's chunk carries dozens of small
//! deltas, so this removes both the per-delta rescan of the held window and most re-encoding;
//! a slow one's chunk carries one event, which is released as before. Held text reaches the client in the event
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
//! * Bounded agency: wrap the detector in [`redactor::WithCanary`] with the request's canary
//!   (held back while partial, then redacted as `[REDACTED:CANARY]`, blocked, or kept in
//!   monitor mode), and add [`StreamRewriter::with_tool_check`] with the tool allow-list: a
//!   call of a tool it refuses ends the stream before any byte of the event naming it. With
//!   [`ToolCheck::arguments`], each call's argument text is held back (up to
//!   `max_tool_arguments` in all) until the call is complete, then checked whole: a call that
//!   breaks a rule ends the stream before any byte of its arguments, one that passes is
//!   released through the redactor. Arguments that arrive whole in one event (Gemini, Ollama,
//!   Responses `.done` events and snapshots) are checked before that event is sent.
//!   `Output::arguments_flagged` lists what a monitor-mode check let through.
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

mod bytes;
pub mod dialect;
pub mod ndjson;
pub mod redactor;
pub mod sse;

use crate::json::{self, Edit};
use bytes::{find_string_stop, same};
use dialect::{Framing, Key, NewEvent, StreamDialect, SynthContext, WholeArgs};
use redactor::{redact_whole, Detector, FindingAction, Hit, Redactor, RedactorOptions, Sink};
use sse::{DecodeError, LineEnding};
use std::borrow::Cow;
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
    /// Most tool-call argument text held back at once while arguments are checked (see
    /// [`ToolCheck::arguments`]); past it the stream ends (rule `tools.arguments`).
    pub max_tool_arguments: usize,
}

impl Default for StreamOptions {
    fn default() -> StreamOptions {
        StreamOptions {
            redactor: RedactorOptions::default(),
            max_event_bytes: sse::DEFAULT_MAX_EVENT_BYTES,
            max_keys: 64,
            strict_json: true,
            max_tool_arguments: 64 * 1024,
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
    /// The model called a tool the policy does not allow (rule `tools.allowCall`).
    ToolNotAllowed,
    /// The request's system-prompt canary, with the `Block` action (rule `leak.canary`).
    Leak,
    /// A tool call's complete arguments broke `rule` (`tools.arguments[i]`,
    /// `tools.argumentsInjection`), or more argument text than could be held arrived
    /// (`tools.arguments`).
    ToolArguments {
        rule: String,
    },
}

impl StreamError {
    /// The policy rule behind a stop, for stats and audit lines; `None` for stream errors.
    pub fn rule(&self) -> Option<String> {
        match self {
            StreamError::Blocked { entity } => Some(format!("entity.{}", entity.name())),
            StreamError::ToolNotAllowed => Some(TOOL_RULE.into()),
            StreamError::Leak => Some(LEAK_RULE.into()),
            StreamError::ToolArguments { rule } => Some(rule.clone()),
            StreamError::Decode(_) | StreamError::TooManyKeys { .. } | StreamError::Malformed => {
                None
            }
        }
    }
}

/// Rule id of a disallowed tool call (the buffered check's id).
pub const TOOL_RULE: &str = "tools.allowCall";
/// Rule id of a canary in the response (the buffered check's id).
pub const LEAK_RULE: &str = "leak.canary";
/// Rule id of tool-call arguments that could not be checked (more than could be held).
pub const ARGUMENTS_RULE: &str = "tools.arguments";

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
            StreamError::ToolNotAllowed => f.write_str("tool call not allowed in stream"),
            StreamError::Leak => f.write_str("system-prompt canary in stream"),
            StreamError::ToolArguments { .. } => {
                f.write_str("tool call arguments not allowed in stream")
            }
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
    /// Canary occurrences decided in this call, by action (`Redact`, or `Keep` in monitor mode).
    pub leaks: Vec<FindingAction>,
    /// Disallowed tool calls let through because the check does not enforce (monitor mode).
    pub tools_monitored: usize,
    /// Rules tool-call arguments broke without ending the stream (monitor mode, or a finding
    /// that does not block), one per call and rule.
    pub arguments_flagged: Vec<String>,
    /// Set when the stream must end; see [`StreamError`].
    pub error: Option<StreamError>,
}

impl Output {
    /// Appends what a later call produced (the final `finish` after the last `push`).
    pub fn absorb(&mut self, later: Output) {
        self.bytes.extend(later.bytes);
        self.hits.extend(later.hits);
        self.leaks.extend(later.leaks);
        self.tools_monitored += later.tools_monitored;
        self.arguments_flagged.extend(later.arguments_flagged);
        self.error = later.error;
    }
}

/// One decoded event, borrowed from the chunk `'c` it arrived in (see `sse`).
enum Frame<'c> {
    Sse(sse::Block<'c>),
    Line(ndjson::Line<'c>),
}

impl Frame<'_> {
    fn raw(&self) -> &[u8] {
        match self {
            Frame::Sse(block) => block.raw(),
            Frame::Line(line) => line.raw(),
        }
    }

    fn data(&self) -> Option<Cow<'_, str>> {
        match self {
            Frame::Sse(block) => block.data(),
            Frame::Line(line) => (!line.is_blank()).then(|| Cow::Borrowed(&*line.text)),
        }
    }

    /// The data's bytes (see `sse::Block::data_bytes`); `None` exactly when `data` is.
    fn data_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Sse(block) => block.data_bytes(),
            Frame::Line(line) => (!line.is_blank()).then(|| line.text.as_bytes()),
        }
    }

    fn take_data(self) -> Option<String> {
        match self {
            Frame::Sse(block) => block.into_data(),
            Frame::Line(line) => Some(line.text.into_owned()),
        }
    }
}

struct KeyState {
    key: Key,
    redactor: Redactor,
    item_id: Option<String>,
    /// The tool whose arguments this stream carries, when a call named it.
    tool: Option<String>,
    /// Tool-call arguments held back whole until the call is complete and checked.
    hold: bool,
    /// Its arguments were checked whole, from an event that repeated them before any delta
    /// came: the (empty) streamed text is not checked again.
    checked: bool,
    /// This chunk's delta slots of the key not yet given their text (indices into the
    /// batch's slots).
    pending: Vec<usize>,
}

/// Longest Responses `item_id` kept for synthesized events.
const MAX_ITEM_ID: usize = 256;

/// What a delta slot of a batched event ends up carrying.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SlotText {
    /// Not released yet: written as `""` if the stream stops before it is decided.
    Pending,
    /// Exactly the upstream's delta.
    Same,
    New(String),
}

/// One delta string of a batched event: where its literal sits in the event data, and which
/// input bytes of its text stream it carried (`a..b`).
struct Slot {
    span: std::ops::Range<usize>,
    a: u64,
    b: u64,
    text: SlotText,
}

/// An upstream event waiting for the end of its chunk, when its deltas' released text is known.
struct Pending<'c> {
    frame: Frame<'c>,
    /// Synthesized events that go before it (flushes of streams it closes).
    pre: Vec<u8>,
    /// Edits already decided (whole texts, sequence numbers).
    edits: Vec<Edit>,
    /// The event's token echoes (`logprobs`), each emptied when any text of the object that
    /// holds it (its choice, candidate or the event) reaches the client other than as the
    /// upstream sent it: the tokens repeat the text the upstream sent, which hold-back and
    /// redaction exist to keep from the client until it is judged. A choice whose text passes
    /// unchanged keeps them.
    echoes: Vec<crate::dialect::Echo>,
    /// Edits that empty Ollama's final `context` (the token ids of the exchange), applied once
    /// any text of the stream has reached the client redacted.
    exchange_tokens: Vec<Edit>,
    /// Whether the event carries whole texts (`.done` events, snapshots), and whether one of
    /// them was redacted.
    whole: bool,
    rewritten: bool,
    /// Its delta slots: a range of the batch's `slots`.
    slots: std::ops::Range<usize>,
}

impl<'c> Pending<'c> {
    /// An event that goes out as the upstream sent it, but for the text of its `slots`.
    fn as_sent(frame: Frame<'c>, slots: std::ops::Range<usize>) -> Self {
        Pending {
            frame,
            pre: Vec::new(),
            edits: Vec::new(),
            echoes: Vec::new(),
            exchange_tokens: Vec::new(),
            whole: false,
            rewritten: false,
            slots,
        }
    }
}

/// The events of one `push`: their deltas are appended to the redactors as they are read, and
/// each redactor releases once per chunk (or when an event closes its stream). Why: a chunk of
/// a fast stream carries dozens of small deltas, and releasing per delta would rescan the held
/// window for each one. Nothing waits longer than before: the chunk's bytes leave together.
/// The slots of all events are kept in one vector (an event's are a range of it), so an event
/// costs no allocation of its own.
#[derive(Default)]
struct Batch<'c> {
    events: Vec<Pending<'c>>,
    slots: Vec<Slot>,
    /// The batched event that last carried a delta (the template for synthesized events).
    template: Option<usize>,
}

/// Where input offsets of one release land in its text: the released input with each mark's
/// input replaced by its output. `None` when a release cannot be mapped (see
/// `Sink::rewritten`) or does not add up. Offsets are asked for in increasing order (slots
/// follow each other), so a cursor walks the marks once per release.
struct OutputMap<'s> {
    marks: &'s [redactor::Mark],
    len: usize,
    /// Marks before `next` end at or before the last offset asked for; `input` / `output`
    /// is where the last of them ended (the release's start before any).
    next: usize,
    input: u64,
    output: usize,
}

impl<'s> OutputMap<'s> {
    fn new(sink: &'s Sink, r0: u64, r1: u64, len: usize) -> Option<OutputMap<'s>> {
        if sink.rewritten || r1 < r0 {
            return None;
        }
        let mut expected = r1 - r0;
        for m in &sink.marks {
            let in_len = m.input.end.checked_sub(m.input.start)?;
            expected = expected.checked_sub(in_len)?;
            expected += (m.output.end.checked_sub(m.output.start)?) as u64;
        }
        (expected == len as u64).then_some(OutputMap {
            marks: &sink.marks,
            len,
            next: 0,
            input: r0,
            output: 0,
        })
    }

    /// The text offset of input offset `x` (clamped to the text); inside a replacement, its
    /// end (a replacement goes with the slot where it starts, and one that starts at `x` after
    /// it). `x` must not decrease between calls.
    fn at(&mut self, x: u64) -> usize {
        while let Some(m) = self.marks.get(self.next) {
            if x <= m.input.start {
                break;
            }
            if x < m.input.end {
                return m.output.end.min(self.len);
            }
            self.output = m.output.end;
            self.input = m.input.end;
            self.next += 1;
        }
        let plain = usize::try_from(x.saturating_sub(self.input)).unwrap_or(usize::MAX);
        self.output.saturating_add(plain).min(self.len)
    }

    /// Whether a replacement overlaps `a..b`, where `a` was the last offset asked for.
    fn touches(&self, a: u64, b: u64) -> bool {
        self.marks
            .iter()
            .skip(self.next)
            .take_while(|m| m.input.start < b)
            .any(|m| a < m.input.end)
    }
}

/// The tool allow-list applied to the calls a streamed response makes.
pub struct ToolCheck {
    pub allowed: Box<dyn Fn(&str) -> bool>,
    /// The rule a call's complete arguments break, given the tool's name and the arguments
    /// parsed (`None`: not JSON). With it, each call's streamed argument text is held back
    /// whole until the call is complete (its block or item closes, the next call starts, the
    /// stream ends) and checked before any byte of it is released: a constraint cannot be
    /// judged on part of a JSON document, and once bytes are out they cannot be taken back.
    pub arguments: Option<ArgumentCheck>,
    /// Whether a disallowed call (or a blocking argument finding) ends the stream; otherwise
    /// it is only counted (monitor mode).
    pub enforce: bool,
}

/// See [`ToolCheck::arguments`].
pub type ArgumentCheck = Box<dyn Fn(&str, Option<&serde_json::Value>) -> Option<ArgumentFinding>>;

/// A rule a call's arguments broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentFinding {
    pub rule: String,
    /// Whether it ends the stream (when the check enforces); otherwise it is only flagged
    /// (an injection screen whose action is `monitor`).
    pub blocks: bool,
}

/// A streamed call's argument text as JSON. Text that never arrived reads as `{}`: an
/// Anthropic `tool_use` block's input before any `input_json_delta`, a call to a tool
/// without parameters.
fn parse_arguments(text: &str) -> Option<serde_json::Value> {
    if text.trim().is_empty() {
        return Some(serde_json::Value::Object(serde_json::Map::new()));
    }
    serde_json::from_str(text).ok()
}

/// The last event whose only text was one delta (and which closed, named and numbered
/// nothing): the next event that differs from it only inside that delta's string literal has
/// the same analysis, so it is read without parsing it.
///
/// Why this is exact: JSON's grammar is context-free, so putting one valid string literal in
/// place of another leaves a valid document with the same structure; and no dialect decides
/// anything from a delta's value but the delta itself. Providers repeat one envelope for
/// every delta of a text (`chat.completion.chunk`s of one completion, Anthropic's
/// `content_block_delta`s), which makes parsing most of a stream unnecessary.
struct Envelope {
    event: Option<String>,
    data: String,
    /// The delta's string literal in `data`.
    span: std::ops::Range<usize>,
    key: Key,
}

impl Envelope {
    fn new(event: Option<&str>, data: &str, key: Key, span: std::ops::Range<usize>) -> Envelope {
        Envelope {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            span,
            key,
        }
    }

    /// The delta of `data` when it is this envelope around another string literal: its key,
    /// the literal's span and its decoded text. `data` is the event data's bytes, not yet
    /// checked as UTF-8: what matches the envelope is valid (the envelope is), and only the
    /// literal is checked here. Data that is not UTF-8 is left to the general path.
    fn matches<'d>(
        &self,
        event: Option<&str>,
        data: &'d [u8],
    ) -> Option<(Key, std::ops::Range<usize>, Cow<'d, str>)> {
        if self.event.as_deref() != event {
            return None;
        }
        let start = self.span.start;
        let prefix = self.data.as_bytes().get(..start)?;
        let suffix = self.data.as_bytes().get(self.span.end..)?;
        let tail = data.len().checked_sub(suffix.len())?;
        if tail < start + 2 || !same(data.get(..start)?, prefix) || !same(data.get(tail..)?, suffix)
        {
            return None;
        }
        let (end, plain) = literal_end(data, start)?;
        if end != tail {
            return None;
        }
        let literal = std::str::from_utf8(data.get(start..end)?).ok()?;
        if plain {
            // No escapes and no control characters: the literal's text is its inside.
            return Some((
                self.key,
                start..end,
                Cow::Borrowed(literal.get(1..literal.len() - 1)?),
            ));
        }
        // Decoding validates it: escapes, no raw control characters.
        match json::parse(literal) {
            Ok(json::Value::String(s)) => Some((self.key, start..end, Cow::Owned(s.text))),
            _ => None,
        }
    }
}

/// The end of the JSON string literal that opens at `start` (just past its closing quote), and
/// whether it is plain: no escape and no byte below U+0020, so it is valid JSON and its text is
/// exactly the bytes between its quotes, with no decoding needed.
fn literal_end(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut plain = true;
    let mut i = start + 1;
    loop {
        i += find_string_stop(bytes.get(i..)?)?;
        match *bytes.get(i)? {
            b'\\' => {
                plain = false;
                i += 2;
            }
            b'"' => return Some((i + 1, plain)),
            // A control character.
            _ => {
                plain = false;
                i += 1;
            }
        }
    }
}

/// Rewrites one streamed response.
pub struct StreamRewriter {
    tools: Option<ToolCheck>,
    envelope: Option<Envelope>,
    /// The decoder's outline (see `sse::Block::outline`) of a block that matched `envelope`
    /// with its delta where the outline leaves its literal open: every block read by that
    /// outline matches too, so it is not compared again.
    envelope_outline: Option<u64>,
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
    /// Whether any text of the stream reached the client redacted so far: then the answer's
    /// token ids (Ollama's `context`) go too.
    redacted: bool,
}

/// The most bytes of a chunk read in one batch (see [`StreamRewriter::push`]).
pub const MAX_BATCH_BYTES: usize = 64 * 1024;

impl StreamRewriter {
    pub fn new(api: StreamApi, opts: StreamOptions, detector: Box<dyn Detector>) -> Self {
        let dialect = api.dialect();
        StreamRewriter {
            tools: None,
            envelope: None,
            envelope_outline: None,
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
            redacted: false,
        }
    }

    /// Checks every tool call the response makes against `check`: a disallowed one ends the
    /// stream before any of its event is sent.
    pub fn with_tool_check(mut self, check: ToolCheck) -> Self {
        self.tools = Some(check);
        self
    }

    /// Feeds a body chunk; returns what to send now.
    ///
    /// A chunk is read in pieces of at most [`MAX_BATCH_BYTES`]. Why: a batch keeps the
    /// bookkeeping of every event of its piece until the piece's releases are known, and a
    /// 1 MiB chunk (what Envoy hands over from a fast upstream) of small deltas is some 16,000
    /// events; that bookkeeping, larger than the chunk, stayed as high-water mark in the Wasm
    /// VM's linear memory, which never shrinks. The decoders accept any split, and one
    /// release per piece instead of per chunk costs nothing measurable.
    pub fn push(&mut self, chunk: &[u8]) -> Output {
        let mut pieces = chunk.chunks(MAX_BATCH_BYTES);
        let mut out = self.run(pieces.next().unwrap_or_default(), false);
        if chunk.len() > MAX_BATCH_BYTES {
            out.bytes.reserve(chunk.len() + chunk.len() / 8);
        }
        for piece in pieces {
            if out.error.is_some() {
                break;
            }
            out.absorb(self.run(piece, false));
        }
        out
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
        // Most of a chunk goes out as it came, plus a little held text and framing.
        out.bytes.reserve(chunk.len() + chunk.len() / 8);
        // The events borrow from `chunk` (see `sse`): nothing of them is copied until it is
        // written out.
        let mut blocks = Vec::new();
        let mut lines = Vec::new();
        let decoded = match (self.framing, fin) {
            (Framing::Sse, true) => self.sse.finish(&mut blocks),
            (Framing::Sse, false) => self.sse.push(chunk, &mut blocks),
            (Framing::Ndjson, true) => self.ndjson.finish(&mut lines),
            (Framing::Ndjson, false) => self.ndjson.push(chunk, &mut lines),
        };
        let mut batch = Batch::default();
        batch.events.reserve(blocks.len() + lines.len());
        batch.slots.reserve(blocks.len() + lines.len());
        let frames = blocks
            .into_iter()
            .map(Frame::Sse)
            .chain(lines.into_iter().map(Frame::Line));
        for frame in frames {
            if let Err(e) = self.frame(frame, &mut batch, &mut out) {
                // What came before the failing event is still sent, as it would have been
                // had the chunk ended there; a second error (a block found while releasing)
                // changes nothing, the stream ends either way.
                let _ = self.settle_all(&mut batch, &mut out);
                self.write_batch(batch, &mut out);
                return self.stop(out, e);
            }
        }
        let settled = if fin {
            self.finish_all(&mut batch, &mut out)
        } else {
            self.settle_all(&mut batch, &mut out).map(|()| Vec::new())
        };
        let synthesized = match settled {
            Ok(bytes) => bytes,
            Err(e) => {
                self.write_batch(batch, &mut out);
                return self.stop(out, e);
            }
        };
        self.write_batch(batch, &mut out);
        out.bytes.extend_from_slice(&synthesized);
        if let Err(e) = decoded {
            return self.stop(out, StreamError::Decode(e));
        }
        if fin {
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

    /// Reads one event into the batch: its deltas go to their redactors, the streams it closes
    /// are released whole, its other strings are redacted.
    fn frame<'c>(
        &mut self,
        frame: Frame<'c>,
        batch: &mut Batch<'c>,
        out: &mut Output,
    ) -> Result<(), StreamError> {
        if let Frame::Sse(block) = &frame {
            if block.terminated {
                self.ending = block.ending;
            }
        }
        let event = match &frame {
            Frame::Sse(block) => block.event_type.as_deref(),
            Frame::Line(_) => None,
        };
        let first_slot = batch.slots.len();
        let Some(bytes) = frame.data_bytes() else {
            batch
                .events
                .push(Pending::as_sent(frame, first_slot..first_slot));
            return Ok(());
        };
        let outline = match &frame {
            Frame::Sse(block) => block.outline(),
            Frame::Line(_) => None,
        };
        let matched = match (&self.envelope, &outline) {
            // An outline that already matched the envelope: this block differs from that one
            // only inside the literal, which the decoder found plain; only its text is read.
            (Some(env), Some((number, span))) if self.envelope_outline == Some(*number) => bytes
                .get(span.start + 1..span.end.saturating_sub(1))
                .and_then(|b| std::str::from_utf8(b).ok())
                .map(|text| (env.key, span.clone(), Cow::Borrowed(text))),
            _ => None,
        };
        let matched = matched.or_else(|| {
            let found = self.envelope.as_ref()?.matches(event, bytes)?;
            if let Some((number, span)) = &outline {
                if *span == found.1 {
                    self.envelope_outline = Some(*number);
                }
            }
            Some(found)
        });
        if let Some((key, span, text)) = matched {
            let index = batch.events.len();
            self.add_delta(key, span, &text, None, batch, out)?;
            drop(text);
            batch
                .events
                .push(Pending::as_sent(frame, first_slot..batch.slots.len()));
            batch.template = Some(index);
            return Ok(());
        }
        let Some(data) = frame.data() else {
            return Ok(()); // `data_bytes` was some: never here
        };
        let data: &str = &data;
        let doc = json::parse(data).ok();
        if doc.is_none() && self.opts.strict_json && !matches!(data.trim(), "" | "[DONE]") {
            return Err(StreamError::Malformed);
        }
        let an = self.dialect.analyze(event, data, doc.as_ref());
        if let Some(check) = &self.tools {
            for name in &an.tool_calls {
                if !(check.allowed)(name) {
                    if check.enforce {
                        return Err(StreamError::ToolNotAllowed);
                    }
                    out.tools_monitored += 1;
                }
            }
        }
        self.tool_arguments(&an.tool_keys, &an.tool_args, data, out)?;
        let index = batch.events.len();
        for (key, s) in &an.deltas {
            let item_id = an.item_id.filter(|id| id.len() <= MAX_ITEM_ID);
            self.add_delta(*key, s.span.clone(), &s.text, item_id, batch, out)?;
        }
        let mut pre = Vec::new();
        let mut edits = Vec::new();
        // The streams this event closes: their text (tails included) goes into their last
        // slot of this chunk, or into an event synthesized just before this one.
        let mut i = 0;
        while let Some(state) = self.keys.get(i) {
            if !an.ends.iter().any(|scope| scope.covers(state.key)) {
                i += 1;
                continue;
            }
            let tail = self.settle(i, true, batch, out)?;
            if !tail.is_empty() {
                self.synthesize(i, &tail, batch, &mut pre);
            }
            self.keys.remove(i);
        }

        let det: &dyn Detector = self.detector.as_ref();
        let mut rewritten = false;
        for (s, repeat) in an
            .full
            .iter()
            .map(|s| (s, false))
            .chain(an.repeats.iter().map(|s| (s, true)))
        {
            let mut sink = redact_whole(&s.text, det, self.opts.redactor);
            if repeat {
                sink.hits.clear();
                sink.leaks.clear();
            }
            collect(&mut sink, out)?;
            if sink.text != s.text {
                edits.push(Edit::string(s, &sink.text));
                rewritten = true;
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
        // Token echoes are looked for only in events that name them, or that escape characters
        // (a key can be spelled with `\u` escapes): a substring search, the walk over the
        // parse is the rare case.
        let echoes = match &doc {
            Some(doc) if data.contains("logprobs") || data.contains("\\u") => {
                crate::dialect::token_echoes(data, doc)
            }
            _ => Vec::new(),
        };
        // Ollama's final `context`, likewise only in lines that name it or escape characters.
        let exchange_tokens = match &doc {
            Some(doc)
                if self.framing == Framing::Ndjson
                    && (data.contains("\"context\"") || data.contains("\\u")) =>
            {
                crate::dialect::drop_exchange_tokens(data, doc)
            }
            _ => Vec::new(),
        };
        let whole = !an.full.is_empty() || !an.repeats.is_empty();
        let is_template = !an.deltas.is_empty() && doc.as_ref().is_some_and(json::Value::is_object);
        self.envelope_outline = None;
        self.envelope = match an.deltas.as_slice() {
            [(key, s)]
                if is_template
                    && an.full.is_empty()
                    && an.repeats.is_empty()
                    && an.ends.is_empty()
                    && an.tool_calls.is_empty()
                    && an.tool_keys.is_empty()
                    && an.tool_args.is_empty()
                    && an.sequence.is_none()
                    && an.item_id.is_none()
                    && echoes.is_empty()
                    && exchange_tokens.is_empty() =>
            {
                Some(Envelope::new(event, data, *key, s.span.clone()))
            }
            _ => None,
        };
        drop(an);
        drop(doc);
        batch.events.push(Pending {
            frame,
            pre,
            edits,
            echoes,
            exchange_tokens,
            whole,
            rewritten,
            slots: first_slot..batch.slots.len(),
        });
        if is_template {
            batch.template = Some(index);
        }
        Ok(())
    }

    /// Appends one delta to its stream's redactor and records its slot in the batch (for the
    /// event read now).
    fn add_delta(
        &mut self,
        key: Key,
        span: std::ops::Range<usize>,
        text: &str,
        item_id: Option<&str>,
        batch: &mut Batch<'_>,
        out: &mut Output,
    ) -> Result<(), StreamError> {
        let hold = self.holds_arguments();
        let idx = key_index(&mut self.keys, key, &self.opts, hold)?;
        let Some(state) = self.keys.get_mut(idx) else {
            return Ok(());
        };
        if let Some(id) = item_id {
            if state.item_id.as_deref() != Some(id) {
                state.item_id = Some(id.to_owned());
            }
        }
        let a = state.redactor.input_offset();
        state.redactor.append(text);
        state.pending.push(batch.slots.len());
        batch.slots.push(Slot {
            span,
            a,
            b: state.redactor.input_offset(),
            text: SlotText::Pending,
        });
        if state.hold {
            self.bound_arguments(idx, out)?;
        }
        Ok(())
    }

    /// Whether tool-call arguments are held back until they are checked.
    fn holds_arguments(&self) -> bool {
        self.tools.as_ref().is_some_and(|t| t.arguments.is_some())
    }

    /// Keeps the argument text held at once under `max_tool_arguments`: past it the stream
    /// ends, or in monitor mode key `i` is flagged and released as any text (its arguments
    /// can then no longer be judged whole, so they are not checked).
    fn bound_arguments(&mut self, i: usize, out: &mut Output) -> Result<(), StreamError> {
        let held: usize = self
            .keys
            .iter()
            .filter(|k| k.hold)
            .map(|k| k.redactor.held())
            .sum();
        if held <= self.opts.max_tool_arguments {
            return Ok(());
        }
        if self.tools.as_ref().is_some_and(|t| t.enforce) {
            return Err(StreamError::ToolArguments {
                rule: ARGUMENTS_RULE.into(),
            });
        }
        out.arguments_flagged.push(ARGUMENTS_RULE.into());
        if let Some(state) = self.keys.get_mut(i) {
            state.hold = false;
            state.checked = true;
        }
        Ok(())
    }

    /// Applies the argument check to one complete call.
    fn judge_arguments(
        &self,
        name: &str,
        parsed: Option<&serde_json::Value>,
        out: &mut Output,
    ) -> Result<(), StreamError> {
        let Some(check) = &self.tools else {
            return Ok(());
        };
        let Some(finding) = check.arguments.as_ref().and_then(|f| f(name, parsed)) else {
            return Ok(());
        };
        if check.enforce && finding.blocks {
            return Err(StreamError::ToolArguments { rule: finding.rule });
        }
        out.arguments_flagged.push(finding.rule);
        Ok(())
    }

    /// Records the tools named for argument streams, and checks the calls whose arguments an
    /// event carries whole.
    fn tool_arguments(
        &mut self,
        named: &[(Key, &str)],
        whole: &[WholeArgs<'_>],
        data: &str,
        out: &mut Output,
    ) -> Result<(), StreamError> {
        if !self.holds_arguments() {
            return Ok(());
        }
        for (key, name) in named {
            let i = key_index(&mut self.keys, *key, &self.opts, true)?;
            if let Some(state) = self.keys.get_mut(i) {
                state.tool = Some((*name).to_owned());
            }
        }
        for call in whole {
            let state = call
                .key
                .and_then(|k| self.keys.iter_mut().find(|s| s.key == k));
            let mut name = call.name.map(str::to_owned);
            if let Some(state) = state {
                name = name.or_else(|| state.tool.clone());
                // A call whose arguments come only whole (no delta before them) is judged
                // here, not again as an empty stream when its item closes.
                if state.redactor.input_offset() == 0 {
                    state.checked = true;
                }
            }
            let parsed = call.args.parsed(data);
            self.judge_arguments(name.as_deref().unwrap_or_default(), parsed.as_ref(), out)?;
        }
        Ok(())
    }

    /// Releases what is final in every stream with deltas in this chunk.
    fn settle_all(&mut self, batch: &mut Batch, out: &mut Output) -> Result<(), StreamError> {
        for i in 0..self.keys.len() {
            if self.keys.get(i).is_some_and(|k| !k.pending.is_empty()) {
                self.settle(i, false, batch, out)?;
            }
        }
        Ok(())
    }

    /// The end of the stream: every stream releases everything; tails without a slot in this
    /// chunk come out in synthesized events after it (returned).
    fn finish_all(&mut self, batch: &mut Batch, out: &mut Output) -> Result<Vec<u8>, StreamError> {
        let mut written = Vec::new();
        for i in 0..self.keys.len() {
            let tail = self.settle(i, true, batch, out)?;
            if !tail.is_empty() {
                self.synthesize(i, &tail, batch, &mut written);
            }
        }
        Ok(written)
    }

    /// Releases key `i` (everything with `finish`) and hands the text to its pending slots in
    /// the batch (the event being read has its slots there already). Returns text that found
    /// no slot.
    fn settle(
        &mut self,
        i: usize,
        finish: bool,
        batch: &mut Batch,
        out: &mut Output,
    ) -> Result<String, StreamError> {
        if let Some(state) = self.keys.get_mut(i).filter(|s| s.hold) {
            if !finish {
                // Nothing of a call's arguments leaves before they are complete and checked:
                // this chunk's slots go out empty (`Pending`), the text stays in the redactor
                // and the slots of the chunk that completes the call take all of it.
                state.pending.clear();
                return Ok(String::new());
            }
        }
        if let Some(state) = self.keys.get(i).filter(|s| s.hold && !s.checked) {
            let parsed = parse_arguments(state.redactor.held_text());
            let name = state.tool.as_deref().unwrap_or_default();
            self.judge_arguments(name, parsed.as_ref(), out)?;
        }
        let det: &dyn Detector = self.detector.as_ref();
        let Some(state) = self.keys.get_mut(i) else {
            return Ok(String::new());
        };
        let r0 = state.redactor.released_offset();
        let mut sink = Sink::default();
        if finish {
            state.redactor.finish(det, &mut sink);
        } else {
            state.redactor.release_ready(det, &mut sink);
        }
        let r1 = state.redactor.released_offset();
        let mut pending = std::mem::take(&mut state.pending);
        let mut text = std::mem::take(&mut sink.text);
        let mut map = OutputMap::new(&sink, r0, r1, text.len());
        let count = pending.len();
        for (n, &slot) in pending.iter().enumerate() {
            let Some(slot) = batch.slots.get_mut(slot) else {
                continue;
            };
            let last = n + 1 == count;
            slot.text = match &mut map {
                // Each slot takes what stands for the input bytes it brought (the first also
                // what was held before it, the last whatever the hold-back let through), so
                // deltas that nothing touched go out exactly as they came.
                Some(map) => {
                    let start = map.at(slot.a);
                    let start = if n == 0 { 0 } else { start };
                    let touched = map.touches(slot.a, slot.b);
                    let end = map.at(slot.b);
                    let end = if last { text.len() } else { end };
                    let whole = (n > 0 || slot.a == r0) && (!last || slot.b == r1);
                    if whole && slot.b <= r1 && !touched {
                        SlotText::Same
                    } else {
                        SlotText::New(text.get(start..end).unwrap_or_default().to_owned())
                    }
                }
                None if last => SlotText::New(std::mem::take(&mut text)),
                None => SlotText::New(String::new()),
            };
        }
        // The vector goes back, empty, for the next chunk's slots.
        pending.clear();
        state.pending = pending;
        collect(&mut sink, out)?;
        if count > 0 {
            text.clear();
        }
        Ok(text)
    }

    /// Writes a delta event for key `i` carrying `text` to `to`.
    fn synthesize(&mut self, i: usize, text: &str, batch: &Batch, to: &mut Vec<u8>) {
        let Some(state) = self.keys.get(i) else {
            return;
        };
        let template = match batch.template.and_then(|t| batch.events.get(t)) {
            Some(event) => event.frame.data(),
            None => self.template.as_deref().map(Cow::Borrowed),
        };
        let seq = self.last_seq.map(|s| s.saturating_add(1));
        let cx = SynthContext {
            template: template.as_deref(),
            item_id: state.item_id.as_deref(),
            sequence_number: seq,
        };
        let ev = self.dialect.synthesize(state.key, text, &cx);
        if seq.is_some() {
            self.last_seq = seq;
            self.seq_shift += 1;
        }
        write_new(self.framing, self.ending, &ev, to);
    }

    /// Writes the batched events: byte for byte when nothing in them changed.
    fn write_batch(&mut self, batch: Batch, out: &mut Output) {
        let Batch {
            events,
            mut slots,
            template,
        } = batch;
        // Hits are recorded when text is released, before its events are written.
        self.redacted = self.redacted
            || out.hits.iter().any(|h| h.action == FindingAction::Redact)
            || out.leaks.contains(&FindingAction::Redact);
        for (index, event) in events.into_iter().enumerate() {
            out.bytes.extend_from_slice(&event.pre);
            let mut edits = event.edits;
            // Ollama's final `context`: the token ids of the exchange as the model wrote it.
            if self.redacted {
                edits.extend(event.exchange_tokens);
            }
            let event_slots = slots.get_mut(event.slots).unwrap_or_default();
            // An echo goes unless every text of the object holding it passes exactly as sent:
            // its deltas released as they came, and the event's whole texts (`.done`,
            // snapshots: everything before them was released) unredacted. An echo with no text
            // beside it to compare with goes too (in an `n > 1` event, a choice with echoes
            // and no text keeps nothing because another choice's text passed).
            for echo in event.echoes {
                let mut beside = event_slots
                    .iter()
                    .filter(|s| echo.within.start <= s.span.start && s.span.end <= echo.within.end)
                    .peekable();
                let passes = !event.rewritten
                    && (event.whole || beside.peek().is_some())
                    && beside.all(|s| matches!(s.text, SlotText::Same));
                if !passes {
                    edits.push(echo.edit);
                }
            }
            for slot in event_slots {
                let replacement = match std::mem::replace(&mut slot.text, SlotText::Same) {
                    SlotText::Same => continue,
                    SlotText::Pending => String::from("\"\""),
                    SlotText::New(t) => literal(&t),
                };
                edits.push(Edit {
                    span: slot.span.clone(),
                    replacement,
                });
            }
            // The data is read as text only for the few events that change.
            let data = if edits.is_empty() {
                None
            } else {
                event.frame.data()
            };
            match data {
                Some(data) => {
                    let new = json::splice(&data, edits);
                    match &event.frame {
                        Frame::Sse(block) => block.encode_with_data(&new, &mut out.bytes),
                        Frame::Line(line) => line.encode_with_text(&new, &mut out.bytes),
                    }
                }
                None => out.bytes.extend_from_slice(event.frame.raw()),
            }
            if template == Some(index) {
                self.template = event.frame.take_data();
            }
        }
    }
}

/// The JSON string literal for `text`, as `json::write_string` writes it. Why the fast path:
/// released text almost never needs an escape, and then the literal is the text between two
/// quotes; checking bytes is far cheaper than `write_string`'s walk over chars.
pub(crate) fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    if find_string_stop(text.as_bytes()).is_none() {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        json::write_string(&mut out, text);
    }
    out
}

fn key_index(
    keys: &mut Vec<KeyState>,
    key: Key,
    opts: &StreamOptions,
    hold: bool,
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
        tool: None,
        hold: hold && key.kind.is_arguments(),
        checked: false,
        pending: Vec::new(),
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
    out.leaks.append(&mut sink.leaks);
    match sink.blocked {
        Some(entity) => Err(StreamError::Blocked { entity }),
        None if sink.leak_blocked => Err(StreamError::Leak),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
