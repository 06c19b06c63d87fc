//! Newline-delimited JSON (Ollama's `/api/chat` and `/api/generate` streams), decoded line by
//! line with each line's original bytes kept, so unchanged lines pass through byte for byte.
//!
//! Lines end at `\n`; a `\r` before it belongs to the terminator. Splits anywhere in the byte
//! stream are fine because a line is only interpreted once its `\n` has arrived (or the stream
//! ended). Each line is bounded by `max_line_bytes`.

use super::sse::{DecodeError, LineEnding};

/// One line of the stream.
#[derive(Debug, Clone)]
pub struct Line {
    raw: Vec<u8>,
    /// The line without its terminator, decoded as UTF-8 (invalid bytes become U+FFFD).
    pub text: String,
    /// `None` for a last line the stream ended without terminating.
    pub ending: Option<LineEnding>,
}

impl Line {
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
}

/// Incremental NDJSON line splitter.
#[derive(Debug)]
pub struct Decoder {
    cur: Vec<u8>,
    max_line_bytes: usize,
    offset: u64,
    error: Option<DecodeError>,
}

impl Decoder {
    pub fn new(max_line_bytes: usize) -> Decoder {
        Decoder {
            cur: Vec::new(),
            max_line_bytes,
            offset: 0,
            error: None,
        }
    }

    /// Splits `chunk` into lines, appending each completed one to `out`.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<Line>) -> Result<(), DecodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        while !chunk.is_empty() {
            let pos = super::sse::find_either(chunk, b'\n', b'\n');
            let take = pos.map_or(chunk.len(), |p| p + 1);
            if self.cur.len().saturating_add(take) > self.max_line_bytes {
                let e = DecodeError::TooLarge {
                    limit: self.max_line_bytes,
                    offset: self.offset,
                };
                self.error = Some(e.clone());
                self.cur = Vec::new();
                return Err(e);
            }
            self.cur
                .extend_from_slice(chunk.get(..take).unwrap_or_default());
            self.offset += take as u64;
            chunk = chunk.get(take..).unwrap_or_default();
            if pos.is_some() {
                out.push(Self::line(std::mem::take(&mut self.cur)));
            }
        }
        Ok(())
    }

    /// Ends the stream: an unterminated last line comes out as a line without ending.
    pub fn finish(&mut self, out: &mut Vec<Line>) -> Result<(), DecodeError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.cur.is_empty() {
            out.push(Self::line(std::mem::take(&mut self.cur)));
        }
        Ok(())
    }

    fn line(raw: Vec<u8>) -> Line {
        let (body, ending) = if let Some(b) = raw.strip_suffix(b"\r\n") {
            (b, Some(LineEnding::CrLf))
        } else if let Some(b) = raw.strip_suffix(b"\n") {
            (b, Some(LineEnding::Lf))
        } else {
            (raw.as_slice(), None)
        };
        let text = super::sse::utf8(body).into_owned();
        Line { raw, text, ending }
    }
}
