//! A span-keeping JSON reader and a splicing writer.
//!
//! Why not `serde_json::Value`: a guard must rewrite only the strings it redacts and leave every
//! other byte of the body as the client wrote it (key order, number spelling, whitespace,
//! duplicate keys). So the reader records where each string literal sits in the source, and
//! rewriting splices new literals into the original bytes instead of re-serialising the tree.
//!
//! The reader is strict RFC 8259 (no comments, no trailing commas, no raw control characters in
//! strings) with a nesting bound, and it keeps duplicate object keys: a detector must see every
//! value, whichever one the provider ends up using.

use std::fmt;
use std::ops::Range;

/// Deepest array/object nesting accepted. Chat bodies nest about six levels; the bound keeps an
/// attacker's `[[[[…` from costing stack.
pub const MAX_DEPTH: usize = 128;

/// A parsed JSON value whose strings remember their place in the source.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number's source text, unparsed (the engine never needs its value).
    Number(Range<usize>),
    String(Str),
    Array(Vec<Value>),
    /// Members in source order, duplicates kept.
    Object(Vec<(Str, Value)>),
}

/// A string literal: its decoded text and the byte range of the literal, quotes included.
#[derive(Debug, Clone, PartialEq)]
pub struct Str {
    pub text: String,
    pub span: Range<usize>,
}

impl Value {
    /// The member named `key` (objects only). With duplicate keys, the last one: what the
    /// providers' parsers (Python's json, serde_json, Go's encoding/json) keep, so what we
    /// inspect is what the model is given.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| k.text == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Every member named `key`: duplicate keys are all inspected.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        let members: &[(Str, Value)] = match self {
            Value::Object(members) => members,
            _ => &[],
        };
        members
            .iter()
            .filter(move |(k, _)| k.text == key)
            .map(|(_, v)| v)
    }

    pub fn as_str(&self) -> Option<&Str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// `Some(true)` for a JSON `true`, `Some(false)` for `false`, `None` otherwise.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// Why a body is not JSON; `offset` is a byte offset into the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    UnexpectedEnd,
    UnexpectedByte,
    InvalidEscape,
    ControlCharacter,
    InvalidNumber,
    TooDeep,
    TrailingData,
}

impl ParseErrorKind {
    /// What went wrong, in words.
    pub fn what(self) -> &'static str {
        match self {
            ParseErrorKind::UnexpectedEnd => "unexpected end of input",
            ParseErrorKind::UnexpectedByte => "unexpected character",
            ParseErrorKind::InvalidEscape => "invalid escape sequence",
            ParseErrorKind::ControlCharacter => "control character in string",
            ParseErrorKind::InvalidNumber => "invalid number",
            ParseErrorKind::TooDeep => "nesting deeper than 128 levels",
            ParseErrorKind::TrailingData => "trailing characters",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.what(), self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole document.
pub fn parse(src: &str) -> Result<Value, ParseError> {
    let mut p = Parser {
        src: src.as_bytes(),
        text: src,
        pos: 0,
    };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(p.err(ParseErrorKind::TrailingData));
    }
    Ok(value)
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            offset: self.pos,
            kind,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, lit: &[u8]) -> Result<(), ParseError> {
        let end = self.pos + lit.len();
        match self.src.get(self.pos..end) {
            Some(s) if s == lit => {
                self.pos = end;
                Ok(())
            }
            Some(_) => Err(self.err(ParseErrorKind::UnexpectedByte)),
            None => Err(self.err(ParseErrorKind::UnexpectedEnd)),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        match self.peek() {
            None => Err(self.err(ParseErrorKind::UnexpectedEnd)),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.expect_literal(b"true").map(|()| Value::Bool(true)),
            Some(b'f') => self.expect_literal(b"false").map(|()| Value::Bool(false)),
            Some(b'n') => self.expect_literal(b"null").map(|()| Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err(ParseErrorKind::UnexpectedByte)),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err(ParseErrorKind::TooDeep));
        }
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.end_or(ParseErrorKind::UnexpectedByte));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.end_or(ParseErrorKind::UnexpectedByte));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.end_or(ParseErrorKind::UnexpectedByte)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err(ParseErrorKind::TooDeep));
        }
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.end_or(ParseErrorKind::UnexpectedByte)),
            }
        }
    }

    /// `UnexpectedEnd` at the end of input, `kind` otherwise.
    fn end_or(&self, kind: ParseErrorKind) -> ParseError {
        if self.pos >= self.src.len() {
            self.err(ParseErrorKind::UnexpectedEnd)
        } else {
            self.err(kind)
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.end_or(ParseErrorKind::InvalidNumber)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.end_or(ParseErrorKind::InvalidNumber));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.end_or(ParseErrorKind::InvalidNumber));
            }
            self.digits();
        }
        Ok(Value::Number(start..self.pos))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<Str, ParseError> {
        let start = self.pos;
        self.pos += 1; // opening quote
        let mut text = String::new();
        loop {
            // Copy the run of plain bytes up to the next quote, backslash or control byte.
            let run_start = self.pos;
            self.pos += plain_run(self.src.get(self.pos..).unwrap_or_default());
            // The source is a &str and the run stops only at ASCII bytes, so it is a char boundary.
            text.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
            match self.peek() {
                None => return Err(self.err(ParseErrorKind::UnexpectedEnd)),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Str {
                        text,
                        span: start..self.pos,
                    });
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut text)?;
                }
                Some(_) => return Err(self.err(ParseErrorKind::ControlCharacter)),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let c = self
            .peek()
            .ok_or_else(|| self.err(ParseErrorKind::UnexpectedEnd))?;
        self.pos += 1;
        let decoded = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => {
                self.pos -= 1;
                return Err(self.err(ParseErrorKind::InvalidEscape));
            }
        };
        out.push(decoded);
        Ok(())
    }

    /// Decodes `XXXX` after `\u`, joining surrogate pairs. A lone surrogate decodes to U+FFFD:
    /// it cannot be represented in Rust text, and detectors still see the characters around it.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.src.get(self.pos..self.pos + 2) == Some(b"\\u") {
                let save = self.pos;
                self.pos += 2;
                let lo = self.hex4()?;
                if (0xDC00..0xE000).contains(&lo) {
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Ok(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                }
                self.pos = save;
            }
            return Ok('\u{FFFD}');
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let b = self
                .peek()
                .ok_or_else(|| self.err(ParseErrorKind::UnexpectedEnd))?;
            let d = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.err(ParseErrorKind::InvalidEscape))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
}

/// Is `b` a byte that ends a run of string content: a quote, a backslash or a control byte?
fn ends_run(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The length of the run of string content at the start of `bytes`: the bytes before the first
/// quote, backslash or control byte. Message texts are most of a body's bytes, so clean runs
/// are skipped eight bytes at a time (one u64, on Wasm as natively), not byte by byte.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of a byte of `zero(x)` is set if a byte of `x` is zero; a zero byte is
    // the only thing that borrows, so the test is exact for the word as a whole.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let mut clean = 0;
    for chunk in bytes.chunks_exact(8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let quote = zero(w ^ (ONES * u64::from(b'"')));
        let backslash = zero(w ^ (ONES * u64::from(b'\\')));
        // Set where a byte is below 0x20, by the same borrow argument.
        let control = w.wrapping_sub(ONES * 0x20) & !w;
        if (quote | backslash | control) & HIGH != 0 {
            break;
        }
        clean += 8;
    }
    let rest = bytes.get(clean..).unwrap_or_default();
    clean + rest.iter().position(|&b| ends_run(b)).unwrap_or(rest.len())
}

/// The byte range of the value that starts at `start` (after optional whitespace) in `src`,
/// for values whose span the tree does not keep (arrays, objects). `None` if `src` does not
/// hold a valid value there.
pub fn value_span(src: &str, start: usize) -> Option<Range<usize>> {
    let mut p = Parser {
        src: src.as_bytes(),
        text: src,
        pos: start,
    };
    p.skip_ws();
    let from = p.pos;
    p.value(0).ok()?;
    Some(from..p.pos)
}

/// The element ranges of the array whose `[` is at or after `start` (whitespace skipped).
pub fn element_spans(src: &str, start: usize) -> Option<Vec<Range<usize>>> {
    let mut p = Parser {
        src: src.as_bytes(),
        text: src,
        pos: start,
    };
    p.skip_ws();
    if p.peek() != Some(b'[') {
        return None;
    }
    p.pos += 1;
    let mut out = Vec::new();
    loop {
        p.skip_ws();
        if p.peek() == Some(b']') && out.is_empty() {
            return Some(out);
        }
        let from = p.pos;
        p.value(1).ok()?;
        out.push(from..p.pos);
        p.skip_ws();
        match p.peek() {
            Some(b',') => p.pos += 1,
            Some(b']') => return Some(out),
            _ => return None,
        }
    }
}

/// The byte offset just after the `:` that follows an object member's key literal.
pub fn after_colon(src: &str, key: &Str) -> Option<usize> {
    let after = src.get(key.span.end..)?;
    Some(key.span.end + after.find(':')? + 1)
}

/// Edits that remove the members at indexes `remove` of an object whose keys, in order, are
/// `keys`. Each run of removed members takes the comma that joined it to a kept neighbour,
/// so the object stays valid whatever is removed.
pub fn remove_members(src: &str, keys: &[&Str], remove: &[usize]) -> Option<Vec<Edit>> {
    // Full member ranges: key start to value end.
    let mut spans = Vec::with_capacity(keys.len());
    for key in keys {
        spans.push(key.span.start..value_span(src, after_colon(src, key)?)?.end);
    }
    let mut edits = Vec::new();
    let mut i = 0;
    while i < spans.len() {
        if !remove.contains(&i) {
            i += 1;
            continue;
        }
        let first = i;
        while i < spans.len() && remove.contains(&i) {
            i += 1;
        }
        let (run_start, run_end) = (spans.get(first)?.start, spans.get(i - 1)?.end);
        let span = match (
            spans.get(i),
            first.checked_sub(1).and_then(|p| spans.get(p)),
        ) {
            // A kept member follows: remove up to it (the comma after the run goes too).
            (Some(next), _) => run_start..next.start,
            // The run ends the object: remove from the kept member before it.
            (None, Some(prev)) => prev.end..run_end,
            (None, None) => run_start..run_end,
        };
        edits.push(Edit {
            span,
            replacement: String::new(),
        });
    }
    Some(edits)
}

/// One edit that removes the elements at indexes `remove` from an array whose element ranges
/// are `spans`: the run from the first to the last element becomes the kept elements joined
/// by commas (bytes outside that run, and inside kept elements, are untouched).
pub fn remove_elements(src: &str, spans: &[Range<usize>], remove: &[usize]) -> Option<Edit> {
    remove_elements_editing(src, spans, remove, &[])
}

/// As `remove_elements`, also applying `nested` edits (by element index, spans in `src`)
/// inside the elements kept: one edit, so that the removal and the inner edits never overlap.
pub fn remove_elements_editing(
    src: &str,
    spans: &[Range<usize>],
    remove: &[usize],
    nested: &[(usize, Edit)],
) -> Option<Edit> {
    let (first, last) = (spans.first()?, spans.last()?);
    if remove.is_empty() {
        return None;
    }
    let mut kept = Vec::with_capacity(spans.len());
    for (i, span) in spans.iter().enumerate() {
        if remove.contains(&i) {
            continue;
        }
        let Some(element) = src.get(span.clone()) else {
            continue;
        };
        let inner: Vec<Edit> = nested
            .iter()
            .filter(|(j, _)| *j == i)
            .map(|(_, e)| Edit {
                span: e.span.start.saturating_sub(span.start)
                    ..e.span.end.saturating_sub(span.start),
                replacement: e.replacement.clone(),
            })
            .collect();
        kept.push(if inner.is_empty() {
            element.to_string()
        } else {
            splice(element, inner)
        });
    }
    Some(Edit {
        span: first.start..last.end,
        replacement: kept.join(","),
    })
}

/// Appends `s` as a JSON string literal: quotes, backslash and control characters escaped,
/// everything else (non-ASCII included) written as UTF-8.
pub fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of bytes that need no escape are copied whole; every escaped byte is ASCII, so
    // the run boundaries are always char boundaries.
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(run..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            for nibble in [b >> 4, b & 0x0f] {
                out.push(char::from(
                    HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                ));
            }
        } else {
            out.push_str(escape);
        }
        run = i + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// Writes a JSON object's text member by member, for the few documents the filter makes itself
/// (block answers, audit lines): a few string pushes instead of building a `serde_json::Value`
/// tree and serialising it. Members appear in the order written.
pub struct ObjectWriter {
    out: String,
}

impl ObjectWriter {
    pub fn new() -> ObjectWriter {
        ObjectWriter {
            out: String::from("{"),
        }
    }

    /// A member whose value is already JSON text (a number, `null`, an array, an object).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut ObjectWriter {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_string(&mut self.out, key);
        self.out.push(':');
        self.out.push_str(json);
        self
    }

    /// A member whose value is the string `value`.
    pub fn string(&mut self, key: &str, value: &str) -> &mut ObjectWriter {
        self.raw(key, "");
        write_string(&mut self.out, value);
        self
    }

    pub fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.out);
        out.push('}');
        out
    }
}

impl Default for ObjectWriter {
    fn default() -> ObjectWriter {
        ObjectWriter::new()
    }
}

/// `items` (JSON texts) as a JSON array.
pub fn array(items: impl IntoIterator<Item = String>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item);
    }
    out.push(']');
    out
}

/// `s` as a JSON string literal.
pub fn string(s: &str) -> String {
    let mut out = String::new();
    write_string(&mut out, s);
    out
}

/// One replacement of a source byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Range<usize>,
    pub replacement: String,
}

impl Edit {
    /// An edit that replaces the string literal `s` with the literal for `text`.
    pub fn string(s: &Str, text: &str) -> Edit {
        let mut replacement = String::new();
        write_string(&mut replacement, text);
        Edit {
            span: s.span.clone(),
            replacement,
        }
    }
}

/// Applies edits to `src`. Edits are sorted here; overlapping or out-of-range edits are dropped
/// (they cannot come from one parse, and a partial splice must never corrupt the body).
pub fn splice(src: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| e.span.start);
    let mut out = String::with_capacity(src.len());
    let mut cursor = 0;
    for edit in edits {
        if edit.span.start < cursor || edit.span.end > src.len() || edit.span.start > edit.span.end
        {
            continue;
        }
        out.push_str(src.get(cursor..edit.span.start).unwrap_or_default());
        out.push_str(&edit.replacement);
        cursor = edit.span.end;
    }
    out.push_str(src.get(cursor..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str_at<'a>(v: &'a Value, key: &str) -> &'a Str {
        v.get(key).and_then(Value::as_str).unwrap()
    }

    #[test]
    fn written_strings_parse_back_to_themselves() {
        let controls: String = (0u8..0x20).map(char::from).collect();
        let cases = [
            String::new(),
            "plain ascii".into(),
            "quote \" backslash \\ slash /".into(),
            controls,
            "é😀\u{7f}\u{2028} mixed \t tab".into(),
            "\"".into(),
        ];
        for case in &cases {
            let mut out = String::new();
            write_string(&mut out, case);
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(&back, case, "{out}");
            assert_eq!(parse(&out).unwrap().as_str().unwrap().text, *case);
        }
        let mut out = String::new();
        write_string(&mut out, "a\u{1}b\n");
        assert_eq!(out, r#""a\u0001b\n""#);
    }

    #[test]
    fn plain_runs_stop_at_the_first_quote_backslash_or_control_byte() {
        // Each case puts the stop byte at every offset of a 20-byte run, so that the word
        // scan meets it in every lane and in the byte-wise tail.
        let cases: &[(&str, &[u8])] = &[
            ("quote", b"\""),
            ("backslash", b"\\"),
            ("newline", b"\n"),
            ("nul", b"\0"),
            ("unit separator", b"\x1f"),
        ];
        for (name, stop) in cases {
            for at in 0..20 {
                let mut bytes = "é plain text, long".as_bytes().to_vec();
                bytes.resize(20, b'x');
                bytes.splice(at..at, stop.iter().copied());
                assert_eq!(plain_run(&bytes), at, "case {name} at {at}: {bytes:?}");
            }
        }
        let clean: &[(&str, &[u8])] = &[
            ("empty", b""),
            ("space and above", b" !#[]^~\x7f"),
            ("non-ASCII", "é😀\u{2028}€ and more é😀".as_bytes()),
        ];
        for (name, bytes) in clean {
            assert_eq!(plain_run(bytes), bytes.len(), "case {name}");
        }
    }

    #[test]
    fn strings_keep_spans_and_decode_escapes() {
        let src = r#"{"a": "x\"y\u00e9\ud83d\ude00\n", "b": [1, -2.5e3, true, null]}"#;
        let v = parse(src).unwrap();
        let a = str_at(&v, "a");
        assert_eq!(a.text, "x\"y\u{e9}\u{1F600}\n");
        assert_eq!(&src[a.span.clone()], r#""x\"y\u00e9\ud83d\ude00\n""#);
        assert_eq!(
            v.get("b").and_then(Value::as_array).map(<[Value]>::len),
            Some(4)
        );
    }

    #[test]
    fn duplicate_keys_are_all_kept() {
        let v = parse(r#"{"k":"one","k":"two"}"#).unwrap();
        let all: Vec<_> = v
            .get_all("k")
            .filter_map(Value::as_str)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(all, ["one", "two"]);
    }

    #[test]
    fn lone_surrogate_becomes_replacement_character() {
        let v = parse(r#"["a\ud800b"]"#).unwrap();
        let s = v.as_array().unwrap()[0].as_str().unwrap();
        assert_eq!(s.text, "a\u{FFFD}b");
    }

    #[test]
    fn rejects_malformed_documents() {
        let cases: &[(&str, &str, ParseErrorKind)] = &[
            ("empty", "", ParseErrorKind::UnexpectedEnd),
            (
                "truncated object",
                r#"{"a":1"#,
                ParseErrorKind::UnexpectedEnd,
            ),
            ("trailing comma", r#"[1,]"#, ParseErrorKind::UnexpectedByte),
            ("single quotes", "{'a':1}", ParseErrorKind::UnexpectedByte),
            (
                "raw newline in string",
                "[\"a\nb\"]",
                ParseErrorKind::ControlCharacter,
            ),
            ("bad escape", r#"["\x"]"#, ParseErrorKind::InvalidEscape),
            ("leading zero", "[01]", ParseErrorKind::UnexpectedByte),
            ("bare minus", "[-]", ParseErrorKind::InvalidNumber),
            ("trailing data", "{} {}", ParseErrorKind::TrailingData),
            ("comment", "{} // x", ParseErrorKind::TrailingData),
        ];
        for (name, src, kind) in cases {
            let got = parse(src).map(|_| ()).map_err(|e| e.kind);
            assert_eq!(got, Err(*kind), "case {name}: input {src:?}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().kind, ParseErrorKind::TooDeep);
        // A huge unclosed prefix is rejected without recursing past the bound.
        let hostile = "[".repeat(1_000_000);
        assert_eq!(parse(&hostile).unwrap_err().kind, ParseErrorKind::TooDeep);
    }

    #[test]
    fn splice_changes_only_the_edited_literals() {
        let src = "{ \"keep\" : 1.50,\n  \"msg\": \"mail me at a@b.co\" ,\"z\":[\"x\"] }";
        let v = parse(src).unwrap();
        let edit = Edit::string(str_at(&v, "msg"), "mail me at [REDACTED:EMAIL]");
        let out = splice(src, vec![edit]);
        assert_eq!(
            out,
            "{ \"keep\" : 1.50,\n  \"msg\": \"mail me at [REDACTED:EMAIL]\" ,\"z\":[\"x\"] }"
        );
        // Compare the parsed documents: the edited string changed, nothing else did.
        let a: serde_json::Value = serde_json::from_str(src).unwrap();
        let mut b: serde_json::Value = serde_json::from_str(&out).unwrap();
        b["msg"] = a["msg"].clone();
        assert_eq!(a, b);
    }

    #[test]
    fn write_string_round_trips_through_serde() {
        let cases = [
            "plain",
            "quote \" and \\ backslash",
            "ctl \u{1}\u{1f}\t\r\n",
            "é😀\u{2028}",
        ];
        for s in cases {
            let mut lit = String::new();
            write_string(&mut lit, s);
            let back: String = serde_json::from_str(&lit).unwrap();
            assert_eq!(back, s, "literal {lit}");
        }
    }

    #[test]
    fn spans_of_containers_and_removals() {
        let src = r#"{"a": 1, "tools": [ {"n":"x"}, {"n":"y"} ,{"n":"z"}], "b": [] }"#;
        let doc = parse(src).unwrap();
        let Value::Object(members) = &doc else {
            panic!()
        };
        let tools_key = &members[1].0;
        let at = src.find('[').unwrap();
        let spans = element_spans(src, at).unwrap();
        let texts: Vec<&str> = spans.iter().map(|r| &src[r.clone()]).collect();
        assert_eq!(texts, [r#"{"n":"x"}"#, r#"{"n":"y"}"#, r#"{"n":"z"}"#]);
        let edit = remove_elements(src, &spans, &[0, 2]).unwrap();
        let out = splice(src, vec![edit]);
        assert_eq!(out, r#"{"a": 1, "tools": [ {"n":"y"}], "b": [] }"#);
        assert!(element_spans(src, src.rfind('[').unwrap())
            .unwrap()
            .is_empty());

        // Single members through remove_members: first, middle and last.
        let keys: Vec<&Str> = members.iter().map(|(k, _)| k).collect();
        for (key_index, want) in [
            (1, r#"{"a": 1, "b": [] }"#),
            (
                0,
                r#"{"tools": [ {"n":"x"}, {"n":"y"} ,{"n":"z"}], "b": [] }"#,
            ),
            (
                2,
                r#"{"a": 1, "tools": [ {"n":"x"}, {"n":"y"} ,{"n":"z"}] }"#,
            ),
        ] {
            let out = splice(src, remove_members(src, &keys, &[key_index]).unwrap());
            assert_eq!(out, want, "removing member {key_index}");
            parse(&out).unwrap();
        }
        let _ = tools_key;
        let keys: Vec<&Str> = members.iter().map(|(k, _)| k).collect();
        for (remove, want) in [
            (vec![1, 2], r#"{"a": 1 }"#),
            (vec![0, 1], r#"{"b": [] }"#),
            (
                vec![0, 2],
                r#"{"tools": [ {"n":"x"}, {"n":"y"} ,{"n":"z"}] }"#,
            ),
            (vec![0, 1, 2], r#"{ }"#),
        ] {
            let out = splice(src, remove_members(src, &keys, &remove).unwrap());
            assert_eq!(out, want, "removing {remove:?}");
            parse(&out).unwrap();
        }
        assert_eq!(
            value_span(src, at).map(|r| &src[r]),
            Some(r#"[ {"n":"x"}, {"n":"y"} ,{"n":"z"}]"#)
        );
    }

    #[test]
    fn overlapping_edits_are_dropped_not_corrupting() {
        let src = "abcdef";
        let edits = vec![
            Edit {
                span: 1..3,
                replacement: "X".into(),
            },
            Edit {
                span: 2..4,
                replacement: "Y".into(),
            },
            Edit {
                span: 5..9,
                replacement: "Z".into(),
            },
        ];
        assert_eq!(splice(src, edits), "aXdef");
    }
}
