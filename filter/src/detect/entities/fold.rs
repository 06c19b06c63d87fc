//! Characters slipped into a value so that the detectors miss it while a reader, or a model,
//! still reads the value: invisible format characters (zero-width, soft hyphen, word joiner,
//! bidi controls), Unicode tag characters (an invisible copy of ASCII) and fullwidth forms.
//! `AKIA\u{200B}Z7Q3…` reaches the provider as a working key; so does a key written in tag
//! characters after an innocent sentence.
//!
//! The scanner reads a folded copy in which invisible characters are gone and the others are
//! their ASCII letters, and maps every finding back onto the original text, so a redaction
//! covers the characters that were hiding the value. Text without such characters (almost all
//! of it) is scanned as it is: the check is one pass over the bytes, and none for ASCII.

use std::ops::Range;

/// A folded copy of a text, and for each of its bytes the original offset of the character
/// it came from.
pub struct Folded {
    pub text: String,
    origin: Vec<u32>,
}

/// What a character becomes: `None` dropped, `Some(c)` written as `c`.
fn fold_char(c: char) -> Option<char> {
    match c {
        '\u{00AD}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' => None,
        // Tag characters: the printable ones spell ASCII; the language tag and cancel tag
        // are dropped.
        '\u{E0020}'..='\u{E007E}' => char::from_u32(u32::from(c) - 0xE0000),
        '\u{E0000}'..='\u{E007F}' => None,
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0),
        '\u{3000}' => Some(' '),
        _ => Some(c),
    }
}

/// Lead bytes of every character `fold_char` changes (U+00AD, U+180E, U+20xx, U+3000, U+FExx
/// and U+FFxx, U+E00xx).
fn may_fold(b: u8) -> bool {
    matches!(b, 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF | 0xF3)
}

/// The folded copy of `text`, or `None` when folding would change nothing.
pub fn fold(text: &str) -> Option<Folded> {
    if text.is_ascii() || !text.bytes().any(may_fold) {
        return None;
    }
    if !text.chars().any(|c| fold_char(c) != Some(c)) {
        return None;
    }
    let mut folded = Folded {
        text: String::with_capacity(text.len()),
        origin: Vec::with_capacity(text.len()),
    };
    let mut in_tags = false;
    for (at, c) in text.char_indices() {
        let Some(out) = fold_char(c) else { continue };
        // Every byte of a folded character points at the start of the one it came from.
        let at = u32::try_from(at).ok()?;
        // Tag characters are a hidden text of their own: a space on either side keeps it
        // from running into the visible words around it.
        let tag = c != out && ('\u{E0020}'..='\u{E007E}').contains(&c);
        if tag != in_tags && !folded.text.is_empty() {
            folded.text.push(' ');
            folded.origin.push(at);
        }
        in_tags = tag;
        folded.text.push(out);
        folded.origin.resize(folded.text.len(), at);
    }
    Some(folded)
}

impl Folded {
    /// The span of `original` that folded into `span`: from the first character's start to
    /// the last character's end (dropped characters in between included).
    pub fn original_span(&self, original: &str, span: &Range<usize>) -> Option<Range<usize>> {
        let start = *self.origin.get(span.start)? as usize;
        let last = *self.origin.get(span.end.checked_sub(1)?)? as usize;
        let last_len = original.get(last..)?.chars().next()?.len_utf8();
        Some(start..last + last_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_not_copied() {
        assert!(fold("AKIAZ7Q3H2LMNP4RSTUV, café, 東京").is_none());
    }

    #[test]
    fn invisible_dropped_tags_and_fullwidth_spelled_out() {
        let text = "k\u{200B}e\u{00AD}y \u{E0041}\u{E0042}.\u{FF21}\u{FF11}\u{3000}!";
        let f = fold(text).unwrap();
        assert_eq!(f.text, "key  AB .A1 !");
        // "AB" maps back onto both tag characters.
        let ab = f.text.find("AB").unwrap();
        let span = f.original_span(text, &(ab..ab + 2)).unwrap();
        assert_eq!(&text[span], "\u{E0041}\u{E0042}");
        // "key" covers the invisible characters inside it, and ends on a char boundary.
        let span = f.original_span(text, &(0..3)).unwrap();
        assert_eq!(&text[span], "k\u{200B}e\u{00AD}y");
    }

    #[test]
    fn multibyte_characters_map_to_their_start_and_end() {
        let text = "é\u{200B}ü";
        let f = fold(text).unwrap();
        assert_eq!(f.text, "éü");
        assert_eq!(
            f.original_span(text, &(0..f.text.len())),
            Some(0..text.len())
        );
        assert_eq!(f.original_span(text, &(2..4)), Some(5..7));
    }
}
