//! A WHATWG `text/event-stream` decoder that keeps every event's original bytes, and reads them
//! where they arrived.
//!
//! Why keep the bytes: most events pass through untouched, and a guard should not reformat what
//! it does not change (field order, `event:`/`id:` lines, comments, `\r\n` vs `\n`). So each
//! decoded [`Block`] holds the exact bytes it came from, and [`Block::encode_with_data`] writes a
//! changed event in the same shape: every non-data line as it was, the new data where the old
//! data lines were, the upstream's line ending.
//!
//! Why borrow them: a block that lies wholly inside the chunk being decoded is a slice of it,
//! its data a slice of that (when it is one valid UTF-8 line, as providers send it), so a fast
//! stream's events cost no allocation and no copy until they are written out. Only the event
//! a chunk boundary cuts is copied, into a carry-over buffer that the next chunk completes.
//!
//! The decoder accepts the byte stream split anywhere (mid-line, mid-UTF-8 character, between
//! `\r` and `\n`): lines are only interpreted once complete, and an event that ends in a bare
//! `\r` at the end of a chunk waits for the next byte to learn whether a `\n` belongs to it.
//! Everything it buffers is bounded by `max_event_bytes`.

use super::bytes::{find_line_end, find_string_stop, same, utf8};
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// Default bound on one event's bytes (all its lines and terminators).
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
    Cr,
}

impl LineEnding {
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
            LineEnding::Cr => b"\r",
        }
    }
}

/// What a line of an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Event,
    Data,
    Id,
    Retry,
    Comment,
    /// A field name the spec ignores.
    Other,
}

/// A line's kind and value (the text after the colon, one leading space removed).
fn field(content: &[u8]) -> (FieldKind, &[u8]) {
    let (name, value) = match content.iter().position(|&b| b == b':') {
        Some(0) => return (FieldKind::Comment, b""),
        Some(i) => {
            let value = content.get(i + 1..).unwrap_or_default();
            let value = value.strip_prefix(b" ").unwrap_or(value);
            (content.get(..i).unwrap_or_default(), value)
        }
        None => (content, &b""[..]),
    };
    let kind = match name {
        b"event" => FieldKind::Event,
        b"data" => FieldKind::Data,
        b"id" => FieldKind::Id,
        b"retry" => FieldKind::Retry,
        _ => FieldKind::Other,
    };
    (kind, value)
}

/// The line of `raw` that starts at `start`: where its content ends and where its terminator
/// ends (the same when the line is unterminated), and how it ended.
fn line_at(raw: &[u8], start: usize) -> (usize, usize, Option<LineEnding>) {
    let rest = raw.get(start..).unwrap_or_default();
    match find_line_end(rest) {
        Some(i) => {
            let end = start + i;
            match (rest.get(i), rest.get(i + 1)) {
                (Some(b'\r'), Some(b'\n')) => (end, end + 2, Some(LineEnding::CrLf)),
                (Some(b'\r'), _) => (end, end + 1, Some(LineEnding::Cr)),
                _ => (end, end + 1, Some(LineEnding::Lf)),
            }
        }
        None => (raw.len(), raw.len(), None),
    }
}

/// The lines up to and including one blank line: a dispatched event (when it has data) or a
/// data-less block (comments, `retry:`), which passes through as it is. `'c` is the chunk it
/// was read from; a block that spanned chunks owns its bytes.
#[derive(Debug, Clone)]
pub struct Block<'c> {
    raw: Cow<'c, [u8]>,
    /// Bytes before the first line (a byte-order mark at the stream start).
    body_start: usize,
    /// The last `event:` value.
    pub event_type: Option<Cow<'c, str>>,
    /// The `data:` values joined with `\n`; `None` when the block has no data line.
    data: Option<Data<'c>>,
    /// The last valid `id:` value.
    pub id: Option<Cow<'c, str>>,
    /// The last valid `retry:` value.
    pub retry: Option<u64>,
    /// The ending of the block's first line; new lines are written with it.
    pub ending: LineEnding,
    /// Whether the first `data` line had a space after the colon.
    data_space: bool,
    /// False for the trailing partial block handed out by [`Decoder::finish`].
    pub terminated: bool,
    /// Set when the block was read by an outline: see [`Block::outline`].
    outline: Option<(u64, Range<usize>)>,
}

/// A block's data: one line still to be checked as UTF-8, or text.
#[derive(Debug, Clone)]
enum Data<'c> {
    /// The value of the block's only data line, as it arrived. Why unchecked: the rewriter
    /// compares most events' data with a known envelope byte for byte and then only needs the
    /// delta string inside it as text, so checking the whole line first would be wasted.
    Line(&'c [u8]),
    Text(Cow<'c, str>),
}

impl<'c> Block<'c> {
    /// The bytes the block was decoded from.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The `data:` values joined with `\n` (invalid UTF-8 replaced by U+FFFD); `None` when the
    /// block has no data line. Checked as UTF-8 at each call for a block read in place.
    pub fn data(&self) -> Option<Cow<'_, str>> {
        match self.data.as_ref()? {
            Data::Line(bytes) => Some(utf8(bytes)),
            Data::Text(text) => Some(Cow::Borrowed(text)),
        }
    }

    /// The data's bytes, not checked as UTF-8 when it is one line read in place: what the
    /// rewriter compares with a known envelope before reading any of it as text.
    pub fn data_bytes(&self) -> Option<&[u8]> {
        match self.data.as_ref()? {
            Data::Line(bytes) => Some(bytes),
            Data::Text(text) => Some(text.as_bytes()),
        }
    }

    /// For a block read by an outline: which outline (a number the decoder gives each), and
    /// the span in the data of the string literal that outline leaves open (quotes included;
    /// its inside has no `"`, `\\` or control character). Blocks with the same outline have
    /// the same data outside that span.
    pub fn outline(&self) -> Option<(u64, Range<usize>)> {
        self.outline.clone()
    }

    /// The data as owned text (see [`Block::data`]).
    pub fn into_data(self) -> Option<String> {
        match self.data? {
            Data::Line(bytes) => Some(utf8(bytes).into_owned()),
            Data::Text(text) => Some(text.into_owned()),
        }
    }

    /// Appends the block with its data replaced by `data`, in the block's own shape: non-data
    /// lines kept byte for byte, the new data (one `data:` line per `\n`-separated part) where
    /// the first data line was, lines ended as the upstream ended its first line. The lines are
    /// found again here rather than kept from decoding: few blocks are ever rewritten.
    pub fn encode_with_data(&self, data: &str, out: &mut Vec<u8>) {
        let raw: &[u8] = &self.raw;
        out.extend_from_slice(raw.get(..self.body_start).unwrap_or_default());
        let mut wrote = false;
        let mut at = self.body_start;
        let mut blank = None;
        while at < raw.len() {
            let (content_end, term_end, _) = line_at(raw, at);
            if content_end == at {
                // The blank line that ends the block.
                blank = Some(at);
                break;
            }
            let content = raw.get(at..content_end).unwrap_or_default();
            if content.first() != Some(&b':') && field(content).0 == FieldKind::Data {
                if !wrote {
                    self.write_data(data, out);
                    wrote = true;
                }
            } else {
                out.extend_from_slice(raw.get(at..term_end).unwrap_or_default());
                if term_end == content_end {
                    // The unterminated last line of a stream's partial block.
                    out.extend_from_slice(self.ending.as_bytes());
                }
            }
            at = term_end;
        }
        if !wrote {
            self.write_data(data, out);
        }
        match blank.and_then(|b| raw.get(b..)) {
            Some(blank) if self.terminated && !blank.is_empty() => out.extend_from_slice(blank),
            _ => out.extend_from_slice(self.ending.as_bytes()),
        }
    }

    fn write_data(&self, data: &str, out: &mut Vec<u8>) {
        for part in data.split('\n') {
            out.extend_from_slice(if self.data_space { b"data: " } else { b"data:" });
            out.extend_from_slice(part.as_bytes());
            out.extend_from_slice(self.ending.as_bytes());
        }
    }
}

/// Writes a new event: `event: <name>` (when given), the data lines, a blank line.
pub fn encode_event(event: Option<&str>, data: &str, ending: LineEnding, out: &mut Vec<u8>) {
    if let Some(name) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(ending.as_bytes());
    }
    for part in data.split('\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(part.as_bytes());
        out.extend_from_slice(ending.as_bytes());
    }
    out.extend_from_slice(ending.as_bytes());
}

/// Why a stream cannot be decoded further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// One event (or NDJSON line) exceeded the bound; `offset` is the stream byte offset where
    /// it was noticed.
    TooLarge { limit: usize, offset: u64 },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge { limit, offset } => {
                write!(f, "stream event larger than {limit} bytes at byte {offset}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// What the lines read so far say about the event in progress; positions are relative to its
/// first byte, wherever its bytes are.
#[derive(Debug, Clone)]
struct Fields {
    /// Bytes before the first line (a byte-order mark).
    body_start: usize,
    /// Start of the current, unterminated line.
    line_start: usize,
    event_type: Option<Range<usize>>,
    /// The values of the data lines (kept from event to event, so it is not reallocated).
    data: Vec<Range<usize>>,
    id: Option<Range<usize>>,
    retry: Option<u64>,
    ending: LineEnding,
    data_space: bool,
}

impl Fields {
    fn new() -> Fields {
        Fields {
            body_start: 0,
            line_start: 0,
            event_type: None,
            data: Vec::new(),
            id: None,
            retry: None,
            ending: LineEnding::Lf,
            data_space: true,
        }
    }

    fn reset(&mut self) {
        let data = std::mem::take(&mut self.data);
        *self = Fields::new();
        self.data = data;
        self.data.clear();
    }

    /// Records the field of the complete line `line_start..content_end` of `event` (the event's
    /// bytes so far). Returns whether it was blank, which ends the event.
    fn line(&mut self, event: &[u8], content_end: usize, term_end: usize) -> bool {
        let start = self.line_start;
        self.line_start = term_end;
        if start == content_end {
            return true;
        }
        let content = event.get(start..content_end).unwrap_or_default();
        let (kind, value) = field(content);
        let value_start = start + (content.len() - value.len());
        let value_range = value_start..content_end;
        match kind {
            FieldKind::Event => self.event_type = Some(value_range),
            FieldKind::Data => {
                if self.data.is_empty() {
                    self.data_space = content.get(5) == Some(&b' ');
                }
                self.data.push(value_range);
            }
            FieldKind::Id if !value.contains(&0) => self.id = Some(value_range),
            FieldKind::Retry if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            }
            _ => {}
        }
        false
    }

    /// The block of `raw` (the event's bytes) as these fields describe it.
    fn block<'c>(&self, raw: Cow<'c, [u8]>, terminated: bool) -> Block<'c> {
        let text = |range: &Range<usize>| -> Cow<'c, str> {
            match &raw {
                Cow::Borrowed(bytes) => utf8((*bytes).get(range.clone()).unwrap_or_default()),
                Cow::Owned(bytes) => {
                    Cow::Owned(utf8(bytes.get(range.clone()).unwrap_or_default()).into_owned())
                }
            }
        };
        let data = match (self.data.as_slice(), &raw) {
            ([], _) => None,
            ([one], Cow::Borrowed(bytes)) => {
                Some(Data::Line((*bytes).get(one.clone()).unwrap_or_default()))
            }
            ([one], Cow::Owned(_)) => Some(Data::Text(text(one))),
            ([first, rest @ ..], _) => {
                let mut joined = text(first).into_owned();
                for part in rest {
                    joined.push('\n');
                    joined.push_str(&text(part));
                }
                Some(Data::Text(Cow::Owned(joined)))
            }
        };
        Block {
            event_type: self.event_type.as_ref().map(text),
            data,
            id: self.id.as_ref().map(text),
            retry: self.retry,
            ending: self.ending,
            data_space: self.data_space,
            body_start: self.body_start,
            terminated,
            outline: None,
            raw,
        }
    }
}

/// The outline of the last block read line by line, when its data is one line, its last, and
/// it differs from the block before it only inside one string literal of that line: its bytes
/// up to and including that literal's opening `"` (`head`) and from its closing `"` on
/// (`tail`). A block that is `head`, then bytes with no `"`, `\`, control character or line
/// end, then `tail`, has the same lines and fields but for the data's length, so it is read
/// without looking for its lines. Why: a provider repeats one envelope for every delta of a
/// text, and finding the lines of an event costs more than the rest of its decoding. Nothing
/// depends on which literal it is: a block that does not fit is read line by line.
#[derive(Debug)]
struct Shape {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// The fields of the block it was taken from; the data range's end is set per block.
    fields: Fields,
    /// Bytes of `tail` that belong to the data (before the data line's terminator).
    tail_data: usize,
}

impl Shape {
    /// The length of the block `rest` starts with when it fits this outline.
    fn fits(&self, rest: &[u8]) -> Option<usize> {
        let h = self.head.len();
        if !same(rest.get(..h)?, &self.head) {
            return None;
        }
        let q = h + find_string_stop(rest.get(h..)?)?;
        if rest.get(q) != Some(&b'"') {
            return None;
        }
        let end = q + self.tail.len();
        same(rest.get(q..end)?, &self.tail).then_some(end)
    }
}

/// How many blocks in a row may be read line by line before outlines are sought only now and
/// then: a stream whose events all differ in more than one place (a counter after the delta)
/// then pays little for the search.
const SHAPE_TRIES: u32 = 8;

/// Incremental event-stream decoder.
#[derive(Debug)]
pub struct Decoder {
    /// The bytes so far of an event that began in an earlier chunk (empty when none did).
    carry: Vec<u8>,
    fields: Fields,
    shape: Option<Shape>,
    /// Whether outlines are used at all (tests compare with and without).
    shapes: bool,
    /// Blocks read line by line in a row since an outline last fit.
    misses: u32,
    /// The number of the current outline (see [`Block::outline`]).
    generation: u64,
    /// The raw bytes of the last block read line by line (kept to find an outline).
    last: Vec<u8>,
    /// Blocks read by their outline (tests check that the path is taken).
    #[cfg(test)]
    pub(crate) fitted: usize,
    /// The last terminator seen was a `\r` at the end of a chunk: a leading `\n` in the next
    /// chunk belongs to it.
    pending_cr: bool,
    /// That `\r` ended a blank line: the block is dispatched once the next byte is known.
    pending_dispatch: bool,
    /// The block's line ending was taken from a `\r` whose `\n` may still come.
    ending_tentative: bool,
    /// Whether the stream start (and a possible byte-order mark) is still being read.
    at_start: bool,
    max_event_bytes: usize,
    /// Stream bytes consumed so far.
    offset: u64,
    error: Option<DecodeError>,
}

impl Decoder {
    pub fn new(max_event_bytes: usize) -> Decoder {
        Decoder {
            carry: Vec::new(),
            fields: Fields::new(),
            shape: None,
            shapes: true,
            misses: 0,
            generation: 0,
            last: Vec::new(),
            #[cfg(test)]
            fitted: 0,
            pending_cr: false,
            pending_dispatch: false,
            ending_tentative: false,
            at_start: true,
            max_event_bytes,
            offset: 0,
            error: None,
        }
    }

    /// The same decoder without outlines: every block read line by line.
    #[cfg(test)]
    pub(crate) fn without_shapes(mut self) -> Decoder {
        self.shapes = false;
        self
    }

    /// Decodes `chunk`, appending every completed block to `out`: the blocks that lie wholly in
    /// `chunk` borrow from it. After an error every call returns the same error.
    pub fn push<'c>(
        &mut self,
        chunk: &'c [u8],
        out: &mut Vec<Block<'c>>,
    ) -> Result<(), DecodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.feed(chunk, out);
        if let Err(e) = &result {
            self.error = Some(e.clone());
            self.carry = Vec::new();
            self.fields = Fields::new();
        }
        result
    }

    /// Where the event in progress begins in `chunk`: `None` when it began in an earlier one
    /// (its bytes so far are in `carry`, and this chunk's are appended to them as they are
    /// read).
    fn feed<'c>(&mut self, chunk: &'c [u8], out: &mut Vec<Block<'c>>) -> Result<(), DecodeError> {
        let mut start = self.carry.is_empty().then_some(0);
        let mut pos = 0;
        if self.pending_cr && !chunk.is_empty() {
            self.pending_cr = false;
            let tentative = std::mem::take(&mut self.ending_tentative);
            if chunk.first() == Some(&b'\n') {
                // The `\n` counts towards the bound like every other byte of the event.
                self.check_room(self.carry.len(), 1)?;
                self.carry.push(b'\n');
                self.offset += 1;
                self.fields.line_start += 1;
                if tentative {
                    self.fields.ending = LineEnding::CrLf;
                }
                pos = 1;
            }
            if self.pending_dispatch {
                self.pending_dispatch = false;
                self.dispatch_carry(out);
                start = Some(pos);
            }
        }
        if self.at_start {
            // Up to three bytes decide whether the stream opens with a byte-order mark.
            let mut have = self.carry.len();
            while have < BOM.len() {
                let Some(&b) = chunk.get(pos) else {
                    // Still undecided: keep what came.
                    self.carry.extend_from_slice(chunk);
                    return Ok(());
                };
                if BOM.get(have) != Some(&b) {
                    break;
                }
                have += 1;
                pos += 1;
                self.offset += 1;
            }
            self.at_start = false;
            if start.is_none() {
                self.carry
                    .extend_from_slice(chunk.get(..pos).unwrap_or_default());
            }
            if have == BOM.len() {
                self.fields.body_start = BOM.len();
                self.fields.line_start = BOM.len();
            }
            // Otherwise the bytes taken are the start of the first line.
        }
        while pos < chunk.len() {
            let rest = chunk.get(pos..).unwrap_or_default();
            if start == Some(pos) && self.fields.line_start == 0 {
                if let Some(block) = self.shaped(rest) {
                    let len = block.raw.len();
                    out.push(block);
                    self.offset += len as u64;
                    pos += len;
                    start = Some(pos);
                    continue;
                }
            }
            let found = find_line_end(rest);
            let take = found.unwrap_or(rest.len());
            let so_far = match start {
                Some(s) => pos - s,
                None => self.carry.len(),
            };
            self.check_room(so_far, take)?;
            self.offset += take as u64;
            let Some(i) = found else {
                if start.is_none() {
                    self.carry.extend_from_slice(rest);
                }
                break;
            };
            let term_len = match (rest.get(i), rest.get(i + 1)) {
                (Some(b'\r'), Some(b'\n')) => 2,
                (Some(b'\r'), None) => {
                    self.pending_cr = true;
                    1
                }
                _ => 1,
            };
            let ending = match (rest.get(i), term_len) {
                (Some(b'\r'), 2) => LineEnding::CrLf,
                (Some(b'\r'), _) => LineEnding::Cr,
                _ => LineEnding::Lf,
            };
            self.check_room(so_far + take, term_len)?;
            self.offset += term_len as u64;
            let end = pos + i + term_len;
            let event: &[u8] = match start {
                Some(s) => chunk.get(s..end).unwrap_or_default(),
                None => {
                    self.carry
                        .extend_from_slice(chunk.get(pos..end).unwrap_or_default());
                    &self.carry
                }
            };
            pos = end;
            if self.fields.line_start == self.fields.body_start {
                self.fields.ending = ending;
                self.ending_tentative = self.pending_cr;
            }
            let term_end = event.len();
            if !self.fields.line(event, term_end - term_len, term_end) {
                continue;
            }
            // A blank line ends the block, unless a `\n` may still follow its `\r`.
            if self.pending_cr {
                self.pending_dispatch = true;
                continue;
            }
            match start {
                Some(s) => {
                    let raw = chunk.get(s..end).unwrap_or_default();
                    self.learn(raw);
                    out.push(self.fields.block(Cow::Borrowed(raw), true));
                    self.fields.reset();
                }
                None => self.dispatch_carry(out),
            }
            start = Some(end);
        }
        if let Some(s) = start {
            // The event this chunk ends inside waits for the next.
            self.carry
                .extend_from_slice(chunk.get(s..).unwrap_or_default());
        }
        Ok(())
    }

    /// Hands out the carried event as a complete block. The carry buffer keeps its capacity:
    /// with small chunks most events are carried, and growing a fresh buffer for each cost
    /// several reallocations per event.
    fn dispatch_carry<'c>(&mut self, out: &mut Vec<Block<'c>>) {
        let raw = self.carry.to_vec();
        self.learn(&raw);
        self.carry.clear();
        out.push(self.fields.block(Cow::Owned(raw), true));
        self.fields.reset();
    }

    /// The block `rest` (at an event's start, in the chunk) begins with, when it fits the
    /// outline of the last block read line by line.
    fn shaped<'c>(&mut self, rest: &'c [u8]) -> Option<Block<'c>> {
        let shape = self.shape.as_mut()?;
        let len = shape
            .fits(rest)
            .filter(|&len| len <= self.max_event_bytes)?;
        self.misses = 0;
        #[cfg(test)]
        {
            self.fitted += 1;
        }
        let raw = rest.get(..len)?;
        let data = shape.fields.data.first_mut()?;
        data.end = len - (shape.tail.len() - shape.tail_data);
        let open = shape.head.len() - 1 - data.start;
        let close = len - shape.tail.len() - data.start;
        let mut block = shape.fields.block(Cow::Borrowed(raw), true);
        block.outline = Some((self.generation, open..close + 1));
        Some(block)
    }

    /// Takes the outline of the block just read line by line (`raw`, described by `fields`),
    /// when it has one (see [`Shape`]): where it differs from the block read line by line
    /// before it, widened to the string literal that holds the difference.
    fn learn(&mut self, raw: &[u8]) {
        self.misses = self.misses.saturating_add(1);
        if !self.shapes || (self.misses > SHAPE_TRIES && self.misses % 64 != 0) {
            return;
        }
        let outline = self.outline(raw);
        self.last.clear();
        self.last.extend_from_slice(raw);
        let Some((head_end, tail_start)) = outline else {
            self.shape = None;
            return;
        };
        self.generation += 1;
        let shape = self.shape.get_or_insert_with(|| Shape {
            head: Vec::new(),
            tail: Vec::new(),
            fields: Fields::new(),
            tail_data: 0,
        });
        shape.head.clear();
        shape
            .head
            .extend_from_slice(raw.get(..head_end).unwrap_or_default());
        shape.tail.clear();
        shape
            .tail
            .extend_from_slice(raw.get(tail_start..).unwrap_or_default());
        shape.fields.clone_from(&self.fields);
        shape.tail_data = self
            .fields
            .data
            .first()
            .map_or(0, |d| d.end.saturating_sub(tail_start));
    }

    /// Where the head of `raw`'s outline ends and its tail starts: `raw` must have one data
    /// line, its last, and differ from the last block read line by line only inside one of
    /// that line's string literals (between a `"` ending the head and one starting the tail).
    fn outline(&self, raw: &[u8]) -> Option<(usize, usize)> {
        let f = &self.fields;
        let [data] = f.data.as_slice() else {
            return None;
        };
        // Only the data line's terminator and the blank line may follow the data.
        let after = raw.get(data.end..)?;
        let last_line = after.len() <= 4 && after.iter().all(|&b| b == b'\n' || b == b'\r');
        if f.body_start != 0 || !last_line || !raw.ends_with(b"\n") {
            return None;
        }
        let prev: &[u8] = &self.last;
        let shorter = prev.len().min(raw.len());
        let prefix = prev.iter().zip(raw).position(|(a, b)| a != b)?;
        let suffix = prev
            .iter()
            .rev()
            .zip(raw.iter().rev())
            .position(|(a, b)| a != b)
            .unwrap_or(shorter)
            .min(shorter - prefix);
        let head_end = raw.get(..prefix)?.iter().rposition(|&b| b == b'"')? + 1;
        let from = raw.len() - suffix;
        let tail_start = from + raw.get(from..)?.iter().position(|&b| b == b'"')?;
        (data.start < head_end && tail_start < data.end).then_some((head_end, tail_start))
    }

    fn check_room(&self, so_far: usize, more: usize) -> Result<(), DecodeError> {
        if so_far.saturating_add(more) > self.max_event_bytes {
            return Err(DecodeError::TooLarge {
                limit: self.max_event_bytes,
                offset: self.offset,
            });
        }
        Ok(())
    }

    /// Ends the stream: a block still waiting for its `\r\n` is dispatched, and bytes after the
    /// last blank line come out as an unterminated block (its fields parsed as far as its
    /// lines are complete, the partial last line as if it were complete; its bytes kept as
    /// they came).
    pub fn finish<'c>(&mut self, out: &mut Vec<Block<'c>>) -> Result<(), DecodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.pending_dispatch {
            self.pending_dispatch = false;
            self.pending_cr = false;
            self.dispatch_carry(out);
        }
        // Fewer than three bytes, all a byte-order-mark prefix, are plain content.
        self.at_start = false;
        let len = self.carry.len();
        if len > self.fields.body_start {
            if len > self.fields.line_start {
                self.fields.line(&self.carry, len, len);
            }
            let raw = std::mem::take(&mut self.carry);
            out.push(self.fields.block(Cow::Owned(raw), false));
            self.fields.reset();
        } else if len > 0 {
            // Only a byte-order mark: pass it on.
            let raw = std::mem::take(&mut self.carry);
            out.push(self.fields.block(Cow::Owned(raw), false));
            self.fields.reset();
        }
        Ok(())
    }
}
