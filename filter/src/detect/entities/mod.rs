//! Built-in entity detectors, compiled into one scanner per policy direction.
//!
//! Each detector names the literal anchors its matches must contain (a vendor prefix, `@`),
//! and a validator that grows an anchor hit into the full span or rejects it. One
//! aho-corasick automaton over the anchors of every enabled detector finds all candidates
//! in a single pass, so text without anchors costs one automaton scan and nothing else.

mod checksum;
mod email;
mod tokens;

use super::{resolve_overlaps, Finding};
use crate::entity::EntityType;
use aho_corasick::{AhoCorasick, MatchKind};
use std::ops::Range;

/// Grows the anchor hit at `start..anchor_end` into a finding's span, or rejects it.
type Validator = fn(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>>;

struct Detector {
    entity: EntityType,
    anchors: &'static [&'static str],
    validate: Validator,
}

/// Every built-in detector. A type without an entry here is accepted by config but finds
/// nothing yet (see `EntityType::is_implemented`).
const DETECTORS: &[Detector] = &[
    Detector {
        entity: EntityType::Email,
        anchors: &["@"],
        validate: email::extend,
    },
    Detector {
        entity: EntityType::AwsAccessKeyId,
        anchors: &["AKIA", "ASIA", "ABIA", "ACCA"],
        validate: tokens::aws_access_key_id,
    },
    Detector {
        entity: EntityType::GithubToken,
        anchors: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        validate: tokens::github_token,
    },
];

impl EntityType {
    /// Whether a built-in detector exists for this type.
    pub fn is_implemented(self) -> bool {
        DETECTORS.iter().any(|d| d.entity == self)
    }
}

/// The compiled detectors for one set of entity types.
#[derive(Debug, Clone)]
pub struct EntityScanner {
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern id: the detector it belongs to.
    pattern_detector: Vec<usize>,
}

/// Why a scanner could not be built (only an automaton size limit can cause it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

impl EntityScanner {
    /// Builds a scanner for `types`; types without a detector are skipped.
    pub fn new(types: &[EntityType]) -> Result<EntityScanner, BuildError> {
        let mut patterns = Vec::new();
        let mut pattern_detector = Vec::new();
        for (index, detector) in DETECTORS.iter().enumerate() {
            if !types.contains(&detector.entity) {
                continue;
            }
            for anchor in detector.anchors {
                patterns.push(*anchor);
                pattern_detector.push(index);
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .map_err(|e| BuildError(e.to_string()))?;
            Some(ac)
        };
        Ok(EntityScanner {
            automaton,
            pattern_detector,
        })
    }

    /// Whether this scanner can find anything at all.
    pub fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// Appends the entities in `text` to `out`, sorted and without overlaps.
    pub fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        let Some(ac) = &self.automaton else { return };
        let first_new = out.len();
        for m in ac.find_iter(text) {
            let Some(detector) = self
                .pattern_detector
                .get(m.pattern().as_usize())
                .and_then(|&i| DETECTORS.get(i))
            else {
                continue;
            };
            if let Some(span) = (detector.validate)(text, m.start(), m.end()) {
                out.push(Finding {
                    entity: detector.entity,
                    span,
                });
            }
        }
        let mut mine = out.split_off(first_new);
        resolve_overlaps(&mut mine);
        out.append(&mut mine);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_only_enabled_types() {
        let text = "mail ops@example.com key AKIAZ7Q3H2LMNP4RSTUV end";
        let all = EntityScanner::new(EntityType::ALL).unwrap();
        let mut found = Vec::new();
        all.scan(text, &mut found);
        let got: Vec<_> = found
            .iter()
            .map(|f| (f.entity, &text[f.span.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                (EntityType::Email, "ops@example.com"),
                (EntityType::AwsAccessKeyId, "AKIAZ7Q3H2LMNP4RSTUV")
            ]
        );

        let only_email = EntityScanner::new(&[EntityType::Email]).unwrap();
        let mut found = Vec::new();
        only_email.scan(text, &mut found);
        assert_eq!(found.len(), 1);

        let none = EntityScanner::new(&[]).unwrap();
        assert!(none.is_empty());
    }
}
