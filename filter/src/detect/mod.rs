//! Detectors: what in a piece of text is sensitive (entities) or hostile (injection signals).
//!
//! Every detector reports byte ranges into the text it was given and never copies matched
//! values anywhere else: findings flow into redaction and audit as types and offsets only.

pub mod base64;
pub mod custom;
pub mod entities;
pub mod injection;
pub mod patterns;

use crate::entity::EntityType;
use std::ops::Range;

/// One sensitive value found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub entity: EntityType,
    /// Byte range in the scanned text; always on `char` boundaries.
    pub span: Range<usize>,
}

/// `text` with each of `findings` (in order, disjoint) replaced by its label: what tests
/// compare a redaction with, or scan again.
#[cfg(test)]
pub(crate) fn labelled(text: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    let mut cursor = 0;
    for f in findings {
        out.push_str(&text[cursor..f.span.start]);
        crate::redact::write_label(f.entity.name(), &mut out);
        cursor = f.span.end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// Sorts findings by position and resolves overlaps: the earlier start wins, then the longer
/// span ("outermost entity wins", as the corpus labels them). The result never overlaps, which
/// redaction relies on.
pub fn resolve_overlaps(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(b.span.end.cmp(&a.span.end))
    });
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        match kept.last_mut() {
            Some(last) if f.span.start < last.span.end => {
                // Overlap: keep the longer of the two.
                if f.span.end - f.span.start > last.span.end - last.span.start {
                    *last = f;
                }
            }
            _ => kept.push(f),
        }
    }
    *findings = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(entity: EntityType, span: Range<usize>) -> Finding {
        Finding { entity, span }
    }

    #[test]
    fn overlaps_resolve_to_the_outermost() {
        let mut v = vec![
            f(EntityType::Ipv4, 20..27),
            f(EntityType::UrlCredentials, 5..40),
            f(EntityType::Email, 50..60),
            f(EntityType::Email, 0..3),
        ];
        resolve_overlaps(&mut v);
        assert_eq!(
            v,
            vec![
                f(EntityType::Email, 0..3),
                f(EntityType::UrlCredentials, 5..40),
                f(EntityType::Email, 50..60)
            ]
        );
    }
}
