//! Newline-delimited JSON (Ollama's `/api/chat` and `/api/generate` streams), decoded line by
//! line with each line's original bytes kept, so unchanged lines pass through byte for byte.
//!
//! Lines end at `\n`; a `\r` before it belongs to the terminator. Splits anywhere in the byte
//! stream are fine because a line is only interpreted once its `\n` has arrived (or the stream
//! ended). As with SSE, a line wholly inside the chunk being decoded borrows from it; only the
//! line a chunk boundary cuts is carried over. Each line is bounded by `max_line_bytes`.

use super::bytes::{find_either, utf8};
use super::sse::{DecodeError, LineEnding};
use std::borrow::Cow;

/// One line of the stream, read from chunk `'c` (owned when it spanned chunks).
#[derive(Debug, Clone)]
pub struct Line<'c> {
    raw: Cow<'c, [u8]>,
    /// The line without its terminator, decoded as UTF-8 (invalid bytes become U+FFFD).
    pub text: Cow<'c, str>,
    /// `None` for a last line the stream ended without terminating.
    pub ending: Option<LineEnding>,
}

impl<'c> Line<'c> {
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Whether the line holds nothing but whitespace (passed through, never parsed).
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Appends `text` as a replacement for this line, with the line's own terminator (`\n`
    /// when the stream ended without one: a rewritten line is always complete).
    pub fn encode_with_text(&self, text: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(self.ending.unwrap_or(LineEnding::Lf).as_bytes());
    }

    fn new(raw: Cow<'c, [u8]>) -> Line<'c> {
        let (len, ending) = if raw.ends_with(b"\r\n") {
            (raw.len() - 2, Some(LineEnding::CrLf))
        } else if raw.ends_with(b"\n") {
            (raw.len() - 1, Some(LineEnding::Lf))
        } else {
            (raw.len(), None)
        };
        let text = match &raw {
            Cow::Borrowed(bytes) => utf8((*bytes).get(..len).unwrap_or_default()),
            Cow::Owned(bytes) => {
                Cow::Owned(utf8(bytes.get(..len).unwrap_or_default()).into_owned())
            }
        };
        Line { raw, text, ending }
    }
}

/// Incremental NDJSON line splitter.
#[derive(Debug)]
pub struct Decoder {
    /// The bytes so far of a line that began in an earlier chunk.
    carry: Vec<u8>,
    max_line_bytes: usize,
    offset: u64,
    error: Option<DecodeError>,
}

impl Decoder {
    pub fn new(max_line_bytes: usize) -> Decoder {
        Decoder {
            carry: Vec::new(),
            max_line_bytes,
            offset: 0,
            error: None,
        }
    }

    /// Splits `chunk` into lines, appending each completed one to `out`: the lines that lie
    /// wholly in `chunk` borrow from it.
    pub fn push<'c>(
        &mut self,
        chunk: &'c [u8],
        out: &mut Vec<Line<'c>>,
    ) -> Result<(), DecodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut pos = 0;
        while pos < chunk.len() {
            let rest = chunk.get(pos..).unwrap_or_default();
            let found = find_either(rest, b'\n', b'\n');
            let take = found.map_or(rest.len(), |p| p + 1);
            if self.carry.len().saturating_add(take) > self.max_line_bytes {
                let e = DecodeError::TooLarge {
                    limit: self.max_line_bytes,
                    offset: self.offset,
                };
                self.error = Some(e.clone());
                self.carry = Vec::new();
                return Err(e);
            }
            self.offset += take as u64;
            let piece = rest.get(..take).unwrap_or_default();
            pos += take;
            if found.is_none() {
                self.carry.extend_from_slice(piece);
            } else if self.carry.is_empty() {
                out.push(Line::new(Cow::Borrowed(piece)));
            } else {
                // The carry buffer keeps its capacity for the next cut line.
                self.carry.extend_from_slice(piece);
                out.push(Line::new(Cow::Owned(self.carry.to_vec())));
                self.carry.clear();
            }
        }
        Ok(())
    }

    /// Ends the stream: an unterminated last line comes out as a line without ending.
    pub fn finish<'c>(&mut self, out: &mut Vec<Line<'c>>) -> Result<(), DecodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.carry.is_empty() {
            out.push(Line::new(Cow::Owned(std::mem::take(&mut self.carry))));
        }
        Ok(())
    }
}
