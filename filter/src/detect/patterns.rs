//! User-written deny/allow patterns (regex-lite), compiled once with size limits.
//!
//! regex-lite keeps the Wasm binary small and guarantees linear-time matching, at the cost of
//! speed; built-in detectors therefore never use it, and user patterns run only on request text.

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
