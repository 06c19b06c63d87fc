//! Reversible pseudonyms: a request's sensitive values become `<EMAIL_1>`, `<PHONE_2>`, … before
//! the provider sees them, and the response path (buffered or streamed) puts the values back,
//! so the user reads real values and the provider never receives them.
//!
//! A map lives for one request/response exchange only (the glue keeps it in the HTTP
//! context); the same value gets the same placeholder within it, so a model can still tell
//! that two mentions are one person. Only exact placeholders are restored: a model that
//! rewrites `<EMAIL_1>` as `EMAIL_1` gets no value back, which is the safe direction.

use crate::detect::{resolve_overlaps, Finding};
use crate::entity::EntityType;
use crate::stream::redactor::{Detector, FindingAction};
use std::collections::HashMap;
use std::ops::Range;

/// Most distinct values pseudonymised in one request; beyond it values get the label (the
/// map is memory held until the response ends).
pub const MAX_PSEUDONYMS: usize = 4096;

/// The type a placeholder occurrence is reported as inside a [`Restorer`]: no custom
/// detector index reaches it (a policy has at most `detect::custom::MAX_DETECTORS`).
pub const RESTORED: EntityType = EntityType::Custom(u16::MAX);

/// The placeholders of one exchange and the values they stand for.
#[derive(Default, Clone)]
pub struct Pseudonyms {
    /// `(placeholder, value)` in order of assignment.
    entries: Vec<(String, String)>,
    by_value: HashMap<(String, String), usize>,
    by_placeholder: HashMap<String, usize>,
    /// Last number given per type name.
    counters: HashMap<String, usize>,
    longest: usize,
}

impl std::fmt::Debug for Pseudonyms {
    // The values are the user's secrets: a debug dump shows how many, never which.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pseudonyms")
            .field("len", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl Pseudonyms {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The placeholder for `value` of type `name`, assigning the next number on first sight;
    /// `None` once the map is full.
    pub fn assign(&mut self, name: &str, value: &str) -> Option<&str> {
        // A value read from a text already holding placeholders of this exchange (a later
        // pass over the request, a labelled value that runs over earlier ones) is stored as
        // the user wrote it: restoring its placeholder must give the original text, not one
        // with placeholders left in it (found by the `pseudonyms` fuzz target).
        let expanded = self.restore(value);
        let value = expanded.as_deref().unwrap_or(value);
        let key = (name.to_string(), value.to_string());
        let index = match self.by_value.get(&key) {
            Some(&i) => i,
            None => {
                if self.entries.len() >= MAX_PSEUDONYMS {
                    return None;
                }
                let n = self.counters.entry(name.to_string()).or_insert(0);
                *n += 1;
                let placeholder = format!("<{name}_{n}>");
                let i = self.entries.len();
                self.longest = self.longest.max(placeholder.len());
                self.by_placeholder.insert(placeholder.clone(), i);
                self.entries.push((placeholder, value.to_string()));
                self.by_value.insert(key, i);
                i
            }
        };
        self.entries.get(index).map(|(p, _)| p.as_str())
    }

    /// The value a placeholder stands for.
    pub fn value_of(&self, placeholder: &str) -> Option<&str> {
        let i = *self.by_placeholder.get(placeholder)?;
        self.entries.get(i).map(|(_, v)| v.as_str())
    }

    /// Length in bytes of the longest placeholder (what a stream must hold back).
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// Byte ranges of the known placeholders in `text`, in order.
    pub fn find(&self, text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        if self.entries.is_empty() {
            return out;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(offset) = bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == b'<'))
        {
            let start = i + offset;
            let mut end = start + 1;
            while end - start < self.longest
                && bytes
                    .get(end)
                    .is_some_and(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                end += 1;
            }
            if bytes.get(end) == Some(&b'>') {
                let span = start..end + 1;
                if text
                    .get(span.clone())
                    .is_some_and(|p| self.by_placeholder.contains_key(p))
                {
                    i = span.end;
                    out.push(span);
                    continue;
                }
            }
            i = start + 1;
        }
        out
    }

    /// `text` with every known placeholder replaced by its value; `None` when there was none.
    pub fn restore(&self, text: &str) -> Option<String> {
        let spans = self.find(text);
        if spans.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut cursor = 0;
        for span in spans {
            out.push_str(text.get(cursor..span.start).unwrap_or_default());
            let placeholder = text.get(span.clone()).unwrap_or_default();
            out.push_str(self.value_of(placeholder).unwrap_or(placeholder));
            cursor = span.end;
        }
        out.push_str(text.get(cursor..).unwrap_or_default());
        Some(out)
    }
}

/// A streamed response's detector when its request was pseudonymised: the response's own
/// entity rules (if any) plus the exchange's placeholders, which are "redacted" into the
/// values they stand for. The stream redactor holds back a partial placeholder like any
/// partial match, so a placeholder split across events is restored whole.
pub struct Restorer {
    pub inner: Option<Box<dyn Detector>>,
    pub pseudonyms: Pseudonyms,
}

impl Detector for Restorer {
    fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        let found = self.pseudonyms.find(text);
        if found.is_empty() {
            if let Some(inner) = &self.inner {
                inner.scan(text, out);
            }
            return;
        }
        let mut all = Vec::new();
        if let Some(inner) = &self.inner {
            inner.scan(text, &mut all);
        }
        all.extend(found.into_iter().map(|span| Finding {
            entity: RESTORED,
            span,
        }));
        resolve_overlaps(&mut all);
        out.append(&mut all);
    }

    fn action(&self, entity: EntityType) -> FindingAction {
        match (&self.inner, entity) {
            (_, RESTORED) => FindingAction::Redact,
            (Some(inner), _) => inner.action(entity),
            (None, _) => FindingAction::Keep,
        }
    }

    fn replace(&self, entity: EntityType, matched: &str, out: &mut String) {
        match (&self.inner, entity) {
            (_, RESTORED) => out.push_str(self.pseudonyms.value_of(matched).unwrap_or(matched)),
            (Some(inner), _) => inner.replace(entity, matched, out),
            (None, _) => out.push_str(matched),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::redactor::{redact_whole, RedactorOptions};

    #[test]
    fn same_value_same_placeholder_numbers_per_type() {
        let mut p = Pseudonyms::default();
        assert_eq!(p.assign("EMAIL", "a@x.io"), Some("<EMAIL_1>"));
        assert_eq!(p.assign("EMAIL", "b@x.io"), Some("<EMAIL_2>"));
        assert_eq!(p.assign("PHONE", "+1 415 555 0100"), Some("<PHONE_1>"));
        assert_eq!(p.assign("EMAIL", "a@x.io"), Some("<EMAIL_1>"));
        assert_eq!(p.len(), 3);
        assert_eq!(p.longest(), "<EMAIL_1>".len());
        assert_eq!(p.value_of("<PHONE_1>"), Some("+1 415 555 0100"));
        assert_eq!(p.value_of("<PHONE_2>"), None);
    }

    #[test]
    fn restore_only_exact_known_placeholders() {
        let mut p = Pseudonyms::default();
        p.assign("EMAIL", "a@x.io");
        p.assign("US_SSN", "123-45-6789");
        let text =
            "Mail <EMAIL_1>, not <EMAIL_2> or EMAIL_1 or <EMAIL_1, ssn <US_SSN_1>.<<EMAIL_1>>";
        assert_eq!(
            p.restore(text).unwrap(),
            "Mail a@x.io, not <EMAIL_2> or EMAIL_1 or <EMAIL_1, ssn 123-45-6789.<a@x.io>"
        );
        assert_eq!(p.restore("nothing here <b>"), None);
        assert_eq!(Pseudonyms::default().restore("<EMAIL_1>"), None);
    }

    /// A value read over text that already holds placeholders is stored as the user wrote it,
    /// so that restoring it gives the original text whole.
    #[test]
    fn values_holding_placeholders_are_stored_expanded() {
        let mut p = Pseudonyms::default();
        assert_eq!(p.assign("PASSWORD", "ss)"), Some("<PASSWORD_1>"));
        assert_eq!(
            p.assign("PASSWORD", "x <PASSWORD_1> y"),
            Some("<PASSWORD_2>")
        );
        assert_eq!(p.value_of("<PASSWORD_2>"), Some("x ss) y"));
        assert_eq!(p.restore("pw <PASSWORD_2>").unwrap(), "pw x ss) y");
        // The same value written either way is one pseudonym.
        assert_eq!(p.assign("PASSWORD", "x ss) y"), Some("<PASSWORD_2>"));
    }

    #[test]
    fn full_map_falls_back() {
        let mut p = Pseudonyms::default();
        for i in 0..MAX_PSEUDONYMS {
            assert!(p.assign("EMAIL", &format!("u{i}@x.io")).is_some());
        }
        assert_eq!(p.assign("EMAIL", "one-too-many@x.io"), None);
        assert!(
            p.assign("EMAIL", "u7@x.io").is_some(),
            "known values still map"
        );
    }

    #[test]
    fn restorer_restores_whole_text_and_runs_inner_rules() {
        let mut p = Pseudonyms::default();
        p.assign("EMAIL", "a@x.io");
        let inner = |text: &str, out: &mut Vec<Finding>| {
            if let Some(i) = text.find("SECRET") {
                out.push(Finding {
                    entity: EntityType::Password,
                    span: i..i + 6,
                });
            }
        };
        let restorer = Restorer {
            inner: Some(Box::new(inner)),
            pseudonyms: p,
        };
        let sink = redact_whole(
            "to <EMAIL_1>: SECRET",
            &restorer,
            RedactorOptions::default(),
        );
        assert_eq!(sink.text, "to a@x.io: [REDACTED:PASSWORD]");
    }
}
