//! Where each streaming API puts its text deltas, and how to write the events the rewriter has
//! to add (a flush of held text, an error that ends the stream) in that API's own shape.
//!
//! A dialect reads one decoded event and reports: the delta strings it carries (with the key
//! of the text stream each belongs to), the strings that repeat a whole text (`.done` events,
//! snapshots: redacted in one piece), and which text streams the event closes. The rewriter
//! does the rest, so a dialect never re-serialises an event it did not create.

mod anthropic;
mod gemini;
mod ollama;
mod openai_chat;
mod responses;

pub use anthropic::Anthropic;
pub use gemini::Gemini;
pub use ollama::Ollama;
pub use openai_chat::OpenAiChat;
pub use responses::Responses;

use crate::agency::Args;
use crate::json::{write_string, Str, Value};
use std::ops::Range;

/// What kind of text a stream carries; part of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    Content,
    Refusal,
    Reasoning,
    /// Tool / function-call arguments (JSON text, streamed in pieces).
    Tool,
    /// The arguments of OpenAI's deprecated single `function_call`.
    Function,
    /// Raw reasoning text (Responses `reasoning_text`, from open models), as opposed to a
    /// reasoning summary.
    ReasoningText,
}

impl KeyKind {
    /// Whether the stream carries a call's JSON arguments.
    pub fn is_arguments(self) -> bool {
        matches!(self, KeyKind::Tool | KeyKind::Function)
    }
}

/// Identifies one text stream within a response: `a` is the choice / candidate / content
/// block / output item, `b` the tool call or content part within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub kind: KeyKind,
    pub a: u64,
    pub b: u64,
}

impl Key {
    pub fn new(kind: KeyKind, a: u64, b: u64) -> Key {
        Key { kind, a, b }
    }
}

/// Which text streams an event closes: their held text must reach the client before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Key(Key),
    /// Every stream whose `a` is this (a choice, a content block, an output item).
    Group(u64),
    /// Everything: the event ends the response.
    All,
}

impl Scope {
    pub fn covers(self, key: Key) -> bool {
        match self {
            Scope::Key(k) => k == key,
            Scope::Group(a) => key.a == a,
            Scope::All => true,
        }
    }
}

/// What one event holds.
#[derive(Debug, Default)]
pub struct Analysis<'d> {
    /// Delta strings in document order.
    pub deltas: Vec<(Key, &'d Str)>,
    /// Strings holding a complete text that is not also streamed (redacted whole).
    pub full: Vec<&'d Str>,
    /// Strings repeating a streamed text whole (`.done` events, snapshots): redacted whole to
    /// the same result, their findings not reported again.
    pub repeats: Vec<&'d Str>,
    pub ends: Vec<Scope>,
    /// The event's `sequence_number` (Responses API): its source range and value.
    pub sequence: Option<(Range<usize>, u64)>,
    /// The output item the deltas belong to (Responses API), for synthesized deltas.
    pub item_id: Option<&'d str>,
    /// Names of the tools the model calls in this event (where a call's name first appears:
    /// the rewriter checks them against the policy's allow-list before anything of it is sent).
    pub tool_calls: Vec<&'d str>,
    /// The text stream each call named here streams its arguments in: the rewriter needs the
    /// name when the arguments are complete, many events later.
    pub tool_keys: Vec<(Key, &'d str)>,
    /// Calls whose complete arguments this event carries whole (Gemini `functionCall.args`,
    /// Ollama `tool_calls`, Responses `.done` events and snapshots, Anthropic `message_start`):
    /// checked before any byte of the event is sent.
    pub tool_args: Vec<WholeArgs<'d>>,
}

/// One call's complete arguments, carried whole by one event.
#[derive(Debug, Clone, Copy)]
pub struct WholeArgs<'d> {
    /// The tool, when the event names it.
    pub name: Option<&'d str>,
    /// The text stream the call's arguments streamed in, whose announced name stands for a
    /// missing `name` (Responses' `function_call_arguments.done` names no tool).
    pub key: Option<Key>,
    pub args: Args<'d>,
}

/// What a dialect may use to write a new event.
#[derive(Debug, Default, Clone, Copy)]
pub struct SynthContext<'a> {
    /// The data of the last event that carried a delta (an envelope to copy).
    pub template: Option<&'a str>,
    pub item_id: Option<&'a str>,
    /// The sequence number the new event takes, when the API numbers its events.
    pub sequence_number: Option<u64>,
}

/// An event the rewriter adds: SSE event name (if any) and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event: Option<&'static str>,
    pub data: String,
}

/// How an API frames its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Sse,
    Ndjson,
}

/// One streaming API.
pub trait StreamDialect {
    fn framing(&self) -> Framing;

    /// Reads one event. `event` is the SSE event name, `data` the event data (an NDJSON line),
    /// `doc` its parse when it is JSON.
    fn analyze<'d>(&self, event: Option<&str>, data: &str, doc: Option<&'d Value>) -> Analysis<'d>;

    /// A delta event carrying `text` for `key`, to flush held text where the upstream sent no
    /// event with a slot for it. It adds text and nothing else, so SDKs that accumulate deltas
    /// (and concatenate every string field they see) end up with the right message.
    fn synthesize(&self, key: Key, text: &str, cx: &SynthContext<'_>) -> NewEvent;

    /// Events that end the stream with an error the API's SDKs raise.
    fn block_events(&self, message: &str, cx: &SynthContext<'_>) -> Vec<NewEvent>;
}

/// The error `code` of a mid-stream block.
pub const BLOCK_CODE: &str = "response_blocked";

pub(crate) fn items(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).unwrap_or_default()
}

pub(crate) fn text(v: Option<&Value>) -> Option<&Str> {
    v.and_then(Value::as_str)
}

/// The text of a string member `field` of `v`.
pub(crate) fn name_of<'d>(v: Option<&'d Value>, field: &str) -> Option<&'d str> {
    text(v?.get(field)).map(|s| s.text.as_str())
}

/// Every string value (not member names) inside `v`: tool-call arguments that arrive as whole
/// JSON objects, redacted string by string.
pub(crate) fn strings_in<'d>(v: &'d Value, out: &mut Vec<&'d Str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings_in(i, out)),
        Value::Object(members) => members.iter().for_each(|(_, m)| strings_in(m, out)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A call's arguments as the event holds them: JSON text in a string, or a JSON value.
pub(crate) fn args_in(v: Option<&Value>) -> Args<'_> {
    match v {
        Some(v) => v.as_str().map_or(Args::Object(v), Args::Encoded),
        None => Args::Absent,
    }
}

/// A non-negative integer's value.
pub(crate) fn uint(data: &str, v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(span) => data.get(span.clone())?.parse().ok(),
        _ => None,
    }
}

pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::new();
    write_string(&mut out, s);
    out
}

/// Writes `v` compactly, numbers and strings exactly as spelled in `src`.
pub(crate) fn write_value(src: &str, v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(span) => out.push_str(src.get(span.clone()).unwrap_or("0")),
        Value::String(s) => out.push_str(src.get(s.span.clone()).unwrap_or("\"\"")),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(src, item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(src.get(k.span.clone()).unwrap_or("\"\""));
                out.push(':');
                write_value(src, v, out);
            }
            out.push('}');
        }
    }
}

/// A copy of the template object with member `key` set to `value` (raw JSON) and the `drop`
/// members left out; `{"key":value}` when there is no usable template.
pub(crate) fn envelope(template: Option<&str>, key: &str, value: &str, drop: &[&str]) -> String {
    let doc = template.and_then(|t| crate::json::parse(t).ok().map(|d| (t, d)));
    let mut out = String::from("{");
    let mut wrote_key = false;
    let mut first = true;
    if let Some((src, Value::Object(members))) = &doc {
        for (k, v) in members {
            if drop.contains(&k.text.as_str()) || (wrote_key && k.text == key) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(src.get(k.span.clone()).unwrap_or("\"\""));
            out.push(':');
            if k.text == key {
                out.push_str(value);
                wrote_key = true;
            } else {
                write_value(src, v, &mut out);
            }
        }
    }
    if !wrote_key {
        if !first {
            out.push(',');
        }
        out.push_str(&quoted(key));
        out.push(':');
        out.push_str(value);
    }
    out.push('}');
    out
}
