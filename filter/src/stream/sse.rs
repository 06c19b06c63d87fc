//! A WHATWG `text/event-stream` decoder that keeps every event's original bytes.
//!
//! Why keep the bytes: most events pass through untouched, and a guard should not reformat what
//! it does not change (field order, `event:`/`id:` lines, comments, `\r\n` vs `\n`). So each
//! decoded [`Block`] owns the exact bytes it came from, and [`Block::encode_with_data`] writes a
//! changed event in the same shape: every non-data line as it was, the new data where the old
//! data lines were, the upstream's line ending.
//!
//! The decoder accepts the byte stream split anywhere (mid-line, mid-UTF-8 character, between
//! `\r` and `\n`): lines are only interpreted once complete, and an event that ends in a bare
//! `\r` at the end of a chunk waits for the next byte to learn whether a `\n` belongs to it.
//! Everything it buffers is bounded by `max_event_bytes`.

use std::fmt;

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

/// One line of a block, as ranges into the block's raw bytes.
#[derive(Debug, Clone)]
struct Line {
    kind: FieldKind,
    start: usize,
    /// End of the line's content (before its terminator).
    content_end: usize,
    /// End of the terminator.
    term_end: usize,
}

/// The lines up to and including one blank line: a dispatched event (when it has data) or a
/// data-less block (comments, `retry:`), which passes through as it is.
#[derive(Debug, Clone)]
pub struct Block {
    raw: Vec<u8>,
    lines: Vec<Line>,
    /// Bytes before the first line (a byte-order mark at the stream start).
    body_start: usize,
    /// The last `event:` value.
    pub event_type: Option<String>,
    /// The `data:` values joined with `\n`; `None` when the block has no data line.
    pub data: Option<String>,
    /// The last valid `id:` value.
    pub id: Option<String>,
    /// The last valid `retry:` value.
    pub retry: Option<u64>,
    /// The ending of the block's first line; new lines are written with it.
    pub ending: LineEnding,
    /// Whether the first `data` line had a space after the colon.
    data_space: bool,
    /// False for the trailing partial block handed out by [`Decoder::finish`].
    pub terminated: bool,
}

impl Block {
    fn new() -> Block {
        Block {
            raw: Vec::new(),
            lines: Vec::new(),
            body_start: 0,
            event_type: None,
            data: None,
            id: None,
            retry: None,
            ending: LineEnding::Lf,
            data_space: true,
            terminated: false,
        }
    }

    /// The bytes the block was decoded from.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Appends the block with its data replaced by `data`, in the block's own shape: non-data
    /// lines kept byte for byte, the new data (one `data:` line per `\n`-separated part) where
    /// the first data line was, lines ended as the upstream ended its first line.
    pub fn encode_with_data(&self, data: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(self.raw.get(..self.body_start).unwrap_or_default());
        let mut wrote = false;
        for line in &self.lines {
            if line.kind == FieldKind::Data {
                if !wrote {
                    self.write_data(data, out);
                    wrote = true;
                }
                continue;
            }
            out.extend_from_slice(self.raw.get(line.start..line.term_end).unwrap_or_default());
            if line.term_end == line.content_end {
                // The unterminated last line of a stream's partial block.
                out.extend_from_slice(self.ending.as_bytes());
            }
        }
        if !wrote {
            self.write_data(data, out);
        }
        let tail = self.lines.last().map_or(self.body_start, |l| l.term_end);
        match self.raw.get(tail..) {
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

/// `bytes` as text, invalid sequences replaced by U+FFFD. Why not `String::from_utf8_lossy`
/// directly: it walks the bytes one at a time, while `str::from_utf8` checks ASCII a word at a
/// time; event data is almost always valid, so the lossy walk only runs when it is not.
pub(crate) fn utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The index of the first `\n` or `\r` in `bytes`.
fn find_terminator(bytes: &[u8]) -> Option<usize> {
    find_either(bytes, b'\n', b'\r')
}

/// The index of the first `a` or `b` in `bytes`. Why by hand: every byte of the stream goes
/// through this search, and testing eight bytes per step (a word with a zero byte where the
/// input had `a` or `b`) costs a fraction of a byte-by-byte `position`.
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let xa = u64::from_ne_bytes([a; 8]);
    let xb = u64::from_ne_bytes([b; 8]);
    /// Whether a word has a zero byte (exact: a borrow can only pass a zero byte upwards).
    fn has_zero(v: u64) -> bool {
        v.wrapping_sub(ONES) & !v & HIGHS != 0
    }
    let mut at = 0;
    for word in bytes.chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let v = u64::from_ne_bytes(w);
        if has_zero(v ^ xa) || has_zero(v ^ xb) {
            break;
        }
        at += 8;
    }
    bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .position(|&c| c == a || c == b)
        .map(|i| at + i)
}

/// Incremental event-stream decoder.
#[derive(Debug)]
pub struct Decoder {
    cur: Block,
    /// Start of the current, unterminated line in `cur.raw`.
    line_start: usize,
    /// The last terminator seen was a `\r` at the end of a chunk: a leading `\n` in the next
    /// chunk belongs to it.
    pending_cr: bool,
    /// That `\r` ended a blank line: the block is dispatched once the next byte is known.
    pending_dispatch: bool,
    /// The block's line ending was taken from a `\r` whose `\n` may still come.
    ending_tentative: bool,
    /// Whether the stream start (and a possible byte-order mark) is still being read.
    at_start: bool,
    data_buf: String,
    has_data: bool,
    max_event_bytes: usize,
    /// Stream bytes consumed so far.
    offset: u64,
    error: Option<DecodeError>,
}

impl Decoder {
    pub fn new(max_event_bytes: usize) -> Decoder {
        Decoder {
            cur: Block::new(),
            line_start: 0,
            pending_cr: false,
            pending_dispatch: false,
            ending_tentative: false,
            at_start: true,
            data_buf: String::new(),
            has_data: false,
            max_event_bytes,
            offset: 0,
            error: None,
        }
    }

    /// Decodes `chunk`, appending every completed block to `out`. After an error every call
    /// returns the same error.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Block>) -> Result<(), DecodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.push_inner(chunk, out);
        if let Err(e) = &result {
            self.error = Some(e.clone());
            self.cur = Block::new();
            self.data_buf = String::new();
        }
        result
    }

    fn push_inner(&mut self, mut chunk: &[u8], out: &mut Vec<Block>) -> Result<(), DecodeError> {
        if self.at_start {
            // Collect up to three bytes to decide whether the stream opens with a BOM.
            while self.cur.raw.len() < BOM.len() {
                let Some((&b, rest)) = chunk.split_first() else {
                    return Ok(());
                };
                if BOM.get(self.cur.raw.len()) != Some(&b) {
                    break;
                }
                self.cur.raw.push(b);
                self.offset += 1;
                chunk = rest;
            }
            self.at_start = false;
            if self.cur.raw == BOM {
                self.cur.body_start = BOM.len();
                self.line_start = BOM.len();
            } else {
                // Not a BOM: the bytes taken are ordinary content.
                let taken = std::mem::take(&mut self.cur.raw);
                self.offset -= taken.len() as u64;
                self.feed(&taken, out)?;
            }
        }
        self.feed(chunk, out)
    }

    fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<Block>) -> Result<(), DecodeError> {
        if chunk.is_empty() {
            return Ok(());
        }
        if self.pending_cr {
            self.pending_cr = false;
            let tentative = std::mem::take(&mut self.ending_tentative);
            if chunk.first() == Some(&b'\n') {
                self.cur.raw.push(b'\n');
                self.offset += 1;
                self.line_start += 1;
                if let Some(line) = self.cur.lines.last_mut() {
                    if line.term_end + 1 == self.line_start {
                        line.term_end += 1;
                    }
                }
                if tentative {
                    self.cur.ending = LineEnding::CrLf;
                }
                chunk = chunk.get(1..).unwrap_or_default();
            }
            if self.pending_dispatch {
                self.pending_dispatch = false;
                self.dispatch(out);
            }
        }
        while !chunk.is_empty() {
            let pos = find_terminator(chunk);
            let take = pos.unwrap_or(chunk.len());
            self.check_room(take)?;
            self.cur
                .raw
                .extend_from_slice(chunk.get(..take).unwrap_or_default());
            self.offset += take as u64;
            let Some(pos) = pos else { break };
            let term = chunk.get(pos).copied().unwrap_or(b'\n');
            let content_end = self.cur.raw.len();
            let (ending, term_len) = match (term, chunk.get(pos + 1)) {
                (b'\r', Some(b'\n')) => (LineEnding::CrLf, 2),
                (b'\r', Some(_)) => (LineEnding::Cr, 1),
                (b'\r', None) => {
                    self.pending_cr = true;
                    (LineEnding::Cr, 1)
                }
                _ => (LineEnding::Lf, 1),
            };
            self.check_room(term_len)?;
            self.cur
                .raw
                .extend_from_slice(chunk.get(pos..pos + term_len).unwrap_or_default());
            self.offset += term_len as u64;
            chunk = chunk.get(pos + term_len..).unwrap_or_default();
            self.line(content_end, ending, out);
        }
        Ok(())
    }

    fn check_room(&self, more: usize) -> Result<(), DecodeError> {
        if self.cur.raw.len().saturating_add(more) > self.max_event_bytes {
            return Err(DecodeError::TooLarge {
                limit: self.max_event_bytes,
                offset: self.offset,
            });
        }
        Ok(())
    }

    /// Interprets the line `line_start..content_end` of the current block.
    fn line(&mut self, content_end: usize, ending: LineEnding, out: &mut Vec<Block>) {
        let start = self.line_start;
        let term_end = self.cur.raw.len();
        self.line_start = term_end;
        if self.cur.lines.is_empty() && start == self.cur.body_start {
            self.cur.ending = ending;
            self.ending_tentative = self.pending_cr;
        }
        if start == content_end {
            // Blank line: the block ends here, unless a `\n` may still follow its `\r`.
            if self.pending_cr {
                self.pending_dispatch = true;
            } else {
                self.dispatch(out);
            }
            return;
        }
        let content = self.cur.raw.get(start..content_end).unwrap_or_default();
        let (name, value) = match content.iter().position(|&b| b == b':') {
            Some(0) => (&b""[..], &b""[..]),
            Some(i) => {
                let value = content.get(i + 1..).unwrap_or_default();
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (content.get(..i).unwrap_or_default(), value)
            }
            None => (content, &b""[..]),
        };
        let kind = if content.first() == Some(&b':') {
            FieldKind::Comment
        } else {
            match name {
                b"event" => FieldKind::Event,
                b"data" => FieldKind::Data,
                b"id" => FieldKind::Id,
                b"retry" => FieldKind::Retry,
                _ => FieldKind::Other,
            }
        };
        match kind {
            FieldKind::Event => {
                self.cur.event_type = Some(utf8(value).into_owned());
            }
            FieldKind::Data => {
                if !self.has_data {
                    self.cur.data_space = content.get(5) == Some(&b' ');
                }
                self.has_data = true;
                self.data_buf.push_str(&utf8(value));
                self.data_buf.push('\n');
            }
            FieldKind::Id if !value.contains(&0) => {
                self.cur.id = Some(utf8(value).into_owned());
            }
            FieldKind::Retry if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.cur.retry = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            }
            _ => {}
        }
        self.cur.lines.push(Line {
            kind,
            start,
            content_end,
            term_end,
        });
    }

    fn dispatch(&mut self, out: &mut Vec<Block>) {
        // The next event is likely shaped like this one: sized alike, it is built without
        // growing its buffers byte by byte.
        let mut next = Block::new();
        next.raw.reserve(self.cur.raw.len());
        next.lines.reserve(self.cur.lines.len());
        let mut block = std::mem::replace(&mut self.cur, next);
        let data_len = self.data_buf.len();
        let mut data = std::mem::replace(&mut self.data_buf, String::with_capacity(data_len));
        if self.has_data {
            data.pop();
            block.data = Some(data);
        }
        self.has_data = false;
        block.terminated = true;
        self.line_start = 0;
        out.push(block);
    }

    /// Ends the stream: a block still waiting for its `\r\n` is dispatched, and bytes after the
    /// last blank line come out as an unterminated block (its fields parsed as far as its
    /// lines are complete; a trailing partial line is kept in the raw bytes).
    pub fn finish(&mut self, out: &mut Vec<Block>) -> Result<(), DecodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.pending_dispatch {
            self.pending_dispatch = false;
            self.pending_cr = false;
            self.dispatch(out);
        }
        if self.at_start && !self.cur.raw.is_empty() {
            // Fewer than three bytes, all a BOM prefix: plain content.
            self.at_start = false;
            let taken = std::mem::take(&mut self.cur.raw);
            self.feed(&taken, out)?;
        }
        if self.cur.raw.len() > self.cur.body_start {
            let partial_start = self.line_start;
            let partial_end = self.cur.raw.len();
            if partial_end > partial_start {
                // Interpret the unterminated last line as if it were complete.
                self.line(partial_end, self.cur.ending, &mut Vec::new());
                self.line_start = partial_end;
            }
            let mut block = std::mem::replace(&mut self.cur, Block::new());
            if self.has_data {
                let mut data = std::mem::take(&mut self.data_buf);
                data.pop();
                block.data = Some(data);
            }
            self.has_data = false;
            block.terminated = false;
            out.push(block);
        } else if !self.cur.raw.is_empty() {
            // Only a byte-order mark: pass it on.
            let block = std::mem::replace(&mut self.cur, Block::new());
            out.push(block);
        }
        Ok(())
    }
}
