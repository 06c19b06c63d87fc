//! User-written deny/allow patterns (regex-lite), compiled once with size limits.
//!
//! regex-lite keeps the Wasm binary small and guarantees linear-time matching, at the cost of
//! speed; built-in detectors therefore never use it, and user patterns run only on request text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_lite::{Regex, RegexBuilder};

/// Longest pattern source accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 1024;
/// Compiled-program size limit per pattern (regex-lite's own knob), in bytes.
const SIZE_LIMIT: usize = 256 * 1024;
/// Most patterns in one list.
pub const MAX_PATTERNS: usize = 256;

/// One compiled pattern and the rule id it reports as (`<list>[<index>]`).
#[derive(Debug, Clone)]
pub struct Pattern {
    pub rule_id: String,
    regex: Regex,
}

impl Pattern {
    /// Compiles `source`; the error text is regex-lite's own message on one line.
    pub fn compile(rule_id: String, source: &str) -> Result<Pattern, String> {
        Ok(Pattern {
            rule_id,
            regex: Pattern::compile_regex(source)?,
        })
    }

    /// A bare regex with the same limits (route `pathRegex`).
    pub fn compile_regex(source: &str) -> Result<Regex, String> {
        if source.len() > MAX_PATTERN_LEN {
            return Err(format!("pattern longer than {MAX_PATTERN_LEN} bytes"));
        }
        RegexBuilder::new(source)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| format!("invalid regex: {}", e.to_string().replace('\n', " ")))
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// Most banned phrases in one policy.
pub const MAX_PHRASES: usize = 4096;

/// Banned phrases, matched as whole words in the screen's `words` form (folded, lower case,
/// punctuation as single spaces, leetspeak folded), so spelling tricks fold away too.
#[derive(Debug, Clone)]
pub struct BannedPhrases {
    automaton: AhoCorasick,
}

impl BannedPhrases {
    /// `phrases` are written as users would (`"Project Falcon"`); each is folded the same way
    /// as the texts. An error names the index of a phrase with no letters or digits.
    pub fn new(phrases: &[String]) -> Result<BannedPhrases, (usize, String)> {
        let mut folded = Vec::with_capacity(phrases.len());
        for (i, phrase) in phrases.iter().enumerate() {
            let [_, words] = crate::detect::injection::folded_forms(phrase);
            let words = words.trim();
            if words.is_empty() {
                return Err((i, "the phrase has no letters or digits".into()));
            }
            folded.push(format!(" {words} "));
        }
        // Standard semantics: overlapping matches, so two phrases sharing the space between
        // them are both found.
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&folded)
            .map(|automaton| BannedPhrases { automaton })
            .map_err(|e| (0, format!("cannot build the phrase automaton: {e}")))
    }

    /// The indexes of the banned phrases in `words` (a `words` form), in order, each once.
    pub fn find_all(&self, words: &str) -> Vec<usize> {
        let padded = format!(" {} ", words.trim());
        let mut out: Vec<usize> = Vec::new();
        for m in self.automaton.find_overlapping_iter(padded.as_str()) {
            let i = m.pattern().as_usize();
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_and_match() {
        let p = Pattern::compile("denyPatterns[0]".into(), r"(?i)project\s+falcon").unwrap();
        assert!(p.is_match("tell me about Project  FALCON"));
        assert!(!p.is_match("project hawk"));
    }

    #[test]
    fn errors_are_one_line() {
        let err = Pattern::compile("x".into(), "(unclosed").unwrap_err();
        assert!(err.starts_with("invalid regex:"), "{err}");
        assert!(!err.contains('\n'));
        let long = "a".repeat(MAX_PATTERN_LEN + 1);
        assert!(Pattern::compile("x".into(), &long).is_err());
    }
}

#[cfg(test)]
mod banned_tests {
    use super::*;
    use crate::detect::injection::folded_forms;

    #[test]
    fn phrases_match_whole_words_through_folding() {
        let b = BannedPhrases::new(&["Project Falcon".into(), "wire transfer".into()]).unwrap();
        let find = |t: &str| b.find_all(&folded_forms(t)[1]);
        assert_eq!(find("what is PROJECT  falcon?"), vec![0]);
        assert_eq!(find("pr0ject f\u{200B}alcon"), vec![0]);
        assert_eq!(find("do a wire-transfer now"), vec![1]);
        assert_eq!(find("project falcon wire transfer"), vec![0, 1]);
        assert!(find("projects falconry").is_empty(), "whole words only");
        assert!(find("nothing here").is_empty());
        assert!(BannedPhrases::new(&["ok".into(), "!!".into()]).is_err());
    }
}
