//! Detectors a policy defines in config: a regex-lite pattern, optionally gated by literal
//! prefilters, confirmed by a checksum and by context words near the match.
//!
//! regex-lite is linear-time but slow (≈50× `regex` here), so a detector with a `prefilter`
//! runs its pattern only on texts that contain one of the literals (one aho-corasick pass for
//! all of them); without one, the pattern runs on every scanned text and the policy pays
//! for it. Matches longer than `max_length` are dropped, so a streamed response can hold back
//! a bounded window and still redact exactly what a buffered scan would.

use crate::detect::entities::checksum;
use crate::detect::entities::util::{ceil_boundary, floor_boundary};
use crate::detect::patterns::Pattern;
use crate::detect::Finding;
use crate::entity::{EntityType, Group};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_lite::Regex;

/// Longest match a custom detector may declare (`maxLength`), in bytes.
pub const MAX_MATCH_LENGTH: usize = 4096;
/// Default `maxLength`.
pub const DEFAULT_MATCH_LENGTH: usize = 256;
/// Widest context window (`contextWindow`), in bytes either side of a match.
pub const MAX_CONTEXT_WINDOW: usize = 256;
/// Default `contextWindow`.
pub const DEFAULT_CONTEXT_WINDOW: usize = 48;
/// Most custom detectors in one policy.
pub const MAX_DETECTORS: usize = 64;

/// A checksum the matched value must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// Luhn over the match's digits (card numbers, IMEIs, many account ids).
    Luhn,
    /// ISO 7064 mod 97-10 over the match's letters and digits, first four moved to the end
    /// (IBAN-style identifiers).
    Mod97,
}

impl Validator {
    pub fn from_name(name: &str) -> Option<Validator> {
        match name {
            "luhn" => Some(Validator::Luhn),
            "mod97" => Some(Validator::Mod97),
            _ => None,
        }
    }

    fn accepts(self, value: &str) -> bool {
        match self {
            Validator::Luhn => {
                let digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).collect();
                digits.len() >= 2 && checksum::luhn(&digits)
            }
            Validator::Mod97 => {
                let chars: Vec<u8> = value
                    .bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|b| b.to_ascii_uppercase())
                    .collect();
                if chars.len() < 5 {
                    return false;
                }
                let (head, tail) = chars.split_at(4);
                checksum::mod97(tail.iter().chain(head)) == Some(1)
            }
        }
    }
}

/// One compiled custom detector.
#[derive(Debug, Clone)]
pub struct CustomDetector {
    /// The type name it reports (upper snake case, distinct from every built-in name).
    pub name: String,
    pub group: Group,
    regex: Regex,
    prefilter: Option<AhoCorasick>,
    validator: Option<Validator>,
    /// Lower-cased words of which one must occur within `context_window` bytes of a match.
    context: Option<AhoCorasick>,
    context_window: usize,
    max_length: usize,
}

/// What a detector is built from (the config layer validates names and ranges).
#[derive(Debug, Clone, Default)]
pub struct CustomSpec<'a> {
    pub name: &'a str,
    pub pattern: &'a str,
    pub prefilter: &'a [String],
    pub validator: Option<Validator>,
    pub context: &'a [String],
    pub context_window: usize,
    pub max_length: usize,
}

impl CustomDetector {
    /// Compiles a detector; the error names what is wrong with the pattern or the literals.
    pub fn new(spec: &CustomSpec<'_>, group: Group) -> Result<CustomDetector, String> {
        let regex = Pattern::compile_regex(spec.pattern)?;
        let literals = |words: &[String], case_insensitive: bool| -> Result<_, String> {
            if words.is_empty() {
                return Ok(None);
            }
            if let Some(empty) = words.iter().position(String::is_empty) {
                return Err(format!("literal {empty} is empty"));
            }
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(case_insensitive)
                .match_kind(MatchKind::LeftmostFirst)
                .build(words)
                .map(Some)
                .map_err(|e| format!("cannot build the literal automaton: {e}"))
        };
        Ok(CustomDetector {
            name: spec.name.to_string(),
            group,
            regex,
            prefilter: literals(spec.prefilter, false)?,
            validator: spec.validator,
            context: literals(spec.context, true)?,
            context_window: spec.context_window.min(MAX_CONTEXT_WINDOW),
            max_length: spec.max_length.clamp(1, MAX_MATCH_LENGTH),
        })
    }

    /// Longest match this detector reports, in bytes.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Bytes either side of a match it reads to accept it.
    pub fn context_window(&self) -> usize {
        if self.context.is_some() {
            self.context_window
        } else {
            0
        }
    }

    /// Appends this detector's findings in `text`, reported as `entity`.
    pub fn scan(&self, text: &str, entity: EntityType, out: &mut Vec<Finding>) {
        if let Some(prefilter) = &self.prefilter {
            if !prefilter.is_match(text) {
                return;
            }
        }
        for m in self.regex.find_iter(text) {
            if m.start() == m.end() || m.len() > self.max_length {
                continue;
            }
            if let Some(v) = self.validator {
                if !v.accepts(m.as_str()) {
                    continue;
                }
            }
            if !self.has_context(text, m.start(), m.end()) {
                continue;
            }
            out.push(Finding {
                entity,
                span: m.start()..m.end(),
            });
        }
    }

    fn has_context(&self, text: &str, start: usize, end: usize) -> bool {
        let Some(words) = &self.context else {
            return true;
        };
        let from = floor_boundary(text, start.saturating_sub(self.context_window));
        let to = ceil_boundary(text, end.saturating_add(self.context_window));
        text.get(from..to)
            .is_some_and(|around| words.is_match(around))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector(spec: CustomSpec<'_>) -> CustomDetector {
        CustomDetector::new(&spec, Group::Pii).unwrap()
    }

    fn spans<'t>(d: &CustomDetector, text: &'t str) -> Vec<&'t str> {
        let mut out = Vec::new();
        d.scan(text, EntityType::Custom(0), &mut out);
        out.iter().map(|f| &text[f.span.clone()]).collect()
    }

    #[test]
    fn pattern_prefilter_and_length() {
        let prefilter = vec!["EMP-".to_string()];
        let d = detector(CustomSpec {
            name: "EMPLOYEE_ID",
            pattern: r"EMP-[0-9]{4,}",
            prefilter: &prefilter,
            max_length: 10,
            ..CustomSpec::default()
        });
        assert_eq!(
            spans(&d, "ids EMP-1234 and EMP-123456789"),
            vec!["EMP-1234"],
            "the second match is longer than maxLength"
        );
        assert!(
            spans(&d, "emp-1234").is_empty(),
            "prefilter is case-sensitive"
        );
    }

    #[test]
    fn validators() {
        let luhn = detector(CustomSpec {
            name: "MEMBER",
            pattern: r"\b[0-9]{8}\b",
            validator: Some(Validator::Luhn),
            max_length: 64,
            ..CustomSpec::default()
        });
        // 12345674 passes Luhn, 12345678 does not.
        assert_eq!(spans(&luhn, "a 12345674 b 12345678"), vec!["12345674"]);
        let mod97 = detector(CustomSpec {
            name: "ACCOUNT",
            pattern: r"\b[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}\b",
            validator: Some(Validator::Mod97),
            max_length: 64,
            ..CustomSpec::default()
        });
        assert_eq!(
            spans(&mod97, "GB82WEST12345698765432 and GB82WEST12345698765433"),
            vec!["GB82WEST12345698765432"]
        );
    }

    #[test]
    fn context_words_within_the_window() {
        let context = vec!["Policy".to_string()];
        let d = detector(CustomSpec {
            name: "POLICY_NUMBER",
            pattern: r"\b[0-9]{6}\b",
            context: &context,
            context_window: 12,
            max_length: 64,
            ..CustomSpec::default()
        });
        assert_eq!(spans(&d, "policy no 123456"), vec!["123456"]);
        assert!(spans(&d, "policy .............. 123456").is_empty());
        assert_eq!(spans(&d, "123456 the POLICY"), vec!["123456"]);
        assert_eq!(d.context_window(), 12);
    }

    #[test]
    fn empty_matches_and_bad_patterns() {
        let d = detector(CustomSpec {
            name: "X",
            pattern: r"a*",
            max_length: 64,
            ..CustomSpec::default()
        });
        assert_eq!(spans(&d, "bab"), vec!["a"]);
        let err = CustomDetector::new(
            &CustomSpec {
                name: "X",
                pattern: "(",
                ..CustomSpec::default()
            },
            Group::Pii,
        )
        .unwrap_err();
        assert!(err.starts_with("invalid regex"), "{err}");
        let empty = vec![String::new()];
        let err = CustomDetector::new(
            &CustomSpec {
                name: "X",
                pattern: "a",
                prefilter: &empty,
                ..CustomSpec::default()
            },
            Group::Pii,
        )
        .unwrap_err();
        assert!(err.contains("empty"), "{err}");
    }
}
