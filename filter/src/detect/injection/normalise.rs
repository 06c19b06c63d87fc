//! Folds text into the form the phrase signals are written in, keeping a map back to the
//! original byte offsets so audit lines can point at the source.

/// Normalised text plus, for each of its bytes, the byte offset in the original text.
#[derive(Debug, Default, Clone)]
pub struct Normalised {
    pub text: String,
    pub origin: Vec<u32>,
}

impl Normalised {
    /// The original byte offset of normalised byte `i` (the text end for `i == len`).
    pub fn original_offset(&self, i: usize, original_len: usize) -> usize {
        self.origin.get(i).map_or(original_len, |&o| o as usize)
    }

    fn push(&mut self, c: char, from: usize) {
        let before = self.text.len();
        self.text.push(c);
        let offset = u32::try_from(from).unwrap_or(u32::MAX);
        self.origin.resize(before + c.len_utf8(), offset);
    }
}

/// Characters that render as nothing and are used to break up keywords.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Lower-cases, drops invisible characters and folds every whitespace run into one space.
pub fn normalise(text: &str) -> Normalised {
    let mut out = Normalised {
        text: String::with_capacity(text.len()),
        origin: Vec::with_capacity(text.len()),
    };
    let mut pending_space: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space.get_or_insert(i);
            continue;
        }
        if let Some(at) = pending_space.take() {
            if !out.text.is_empty() {
                out.push(' ', at);
            }
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase(), i);
        } else {
            for lower in c.to_lowercase() {
                out.push(lower, i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_space_and_invisibles() {
        let src = "IGNORE\u{200B} all\n\n  PREVIOUS\tinstructions";
        let n = normalise(src);
        assert_eq!(n.text, "ignore all previous instructions");
        let at = n.text.find("previous").unwrap();
        assert_eq!(&src[n.original_offset(at, src.len())..][..8], "PREVIOUS");
        assert_eq!(n.origin.len(), n.text.len());
    }
}
