//! What stands where a sensitive value was: a label, a partial mask, a keyed hash, or a
//! pseudonym that the response path turns back into the value.
//!
//! Every strategy writes text no built-in detector reports again (labels and pseudonyms are
//! bracketed names, masks keep too few characters to validate, hashes are short hex), so
//! redaction stays a fixpoint whichever strategy a type uses.

mod pseudonym;

pub use pseudonym::{Pseudonyms, Restorer, MAX_PSEUDONYMS, RESTORED};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;

/// How a redacted value is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `[REDACTED:EMAIL]`.
    Label,
    /// Letters and digits masked with `*` except the last `keep` of them (at most half of
    /// them); punctuation and spacing kept, so `4111 1111 1111 1111` reads `**** **** **** 1111`.
    Partial { keep: usize },
    /// `[EMAIL:3f9a0c21b7d4]`: HMAC-SHA-256 of the value under the configured key, truncated.
    /// The same value gives the same token in every request (joins and counts still work),
    /// and without the key the token cannot be linked back to a guessed value.
    Hash,
    /// `<EMAIL_1>` in the request; the response path restores the value (requests only).
    Pseudonym,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Label => "label",
            Strategy::Partial { .. } => "partial",
            Strategy::Hash => "hash",
            Strategy::Pseudonym => "pseudonym",
        }
    }
}

/// Default number of trailing characters a partial mask keeps.
pub const DEFAULT_KEEP: usize = 4;
/// Default hex digits of a keyed-hash token.
pub const DEFAULT_HASH_LENGTH: usize = 12;
/// Most hex digits a keyed-hash token may have (`redaction.hashLength`).
pub const MAX_HASH_LENGTH: usize = 64;
/// Shortest key accepted for keyed hashing, in bytes: below this a key can be guessed.
pub const MIN_HASH_KEY_BYTES: usize = 16;

/// The key and token length of keyed-hash redaction, shared by every policy of a config.
#[derive(Clone)]
pub struct HashKey {
    key: Arc<[u8]>,
    /// Hex digits kept (8–64).
    length: usize,
}

impl std::fmt::Debug for HashKey {
    // The key itself never reaches a log line or a debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashKey")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl HashKey {
    pub fn new(key: &[u8], length: usize) -> HashKey {
        HashKey {
            key: key.into(),
            length: length.clamp(8, 64),
        }
    }

    /// Writes the first `length` hex digits of HMAC-SHA-256(key, value).
    fn write_hash(&self, value: &str, out: &mut String) {
        // HMAC accepts keys of any length, so this never fails; the label stands if it did.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            out.push_str("REDACTED");
            return;
        };
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digits = digest
            .iter()
            .flat_map(|byte| [byte >> 4, byte & 0x0f])
            .map(|nibble| char::from(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0')));
        out.extend(digits.take(self.length));
    }
}

/// Writes the replacement of `value`, a finding of type `name`, under `strategy`.
/// `pseudonyms` is where request-side pseudonyms are assigned; without it (responses,
/// streams) a pseudonym strategy falls back to the label.
pub fn write_replacement(
    strategy: Strategy,
    name: &str,
    value: &str,
    hash: Option<&HashKey>,
    pseudonyms: Option<&mut Pseudonyms>,
    out: &mut String,
) {
    match (strategy, hash, pseudonyms) {
        (Strategy::Partial { keep }, _, _) => write_partial(value, keep, out),
        (Strategy::Hash, Some(key), _) => {
            out.push('[');
            out.push_str(name);
            out.push(':');
            key.write_hash(value, out);
            out.push(']');
        }
        (Strategy::Pseudonym, _, Some(map)) => match map.assign(name, value) {
            Some(placeholder) => out.push_str(placeholder),
            None => write_label(name, out),
        },
        _ => write_label(name, out),
    }
}

/// What opens a label replacement, `[REDACTED:<name>]`. The detectors know it too: a second
/// scan of a redacted text must not read the label as text (`detect::entities::password`).
pub const LABEL_PREFIX: &str = "[REDACTED:";

/// `[REDACTED:<name>]`.
pub fn write_label(name: &str, out: &mut String) {
    out.push_str(LABEL_PREFIX);
    out.push_str(name);
    out.push(']');
}

fn write_partial(value: &str, keep: usize, out: &mut String) {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    let shown = keep.min(total / 2);
    let masked = total - shown;
    let mut seen = 0;
    for c in value.chars() {
        if !c.is_alphanumeric() {
            out.push(c);
            continue;
        }
        out.push(if seen < masked { '*' } else { c });
        seen += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(strategy: Strategy, value: &str, hash: Option<&HashKey>) -> String {
        let mut out = String::new();
        write_replacement(strategy, "EMAIL", value, hash, None, &mut out);
        out
    }

    #[test]
    fn labels_and_partial_masks() {
        assert_eq!(render(Strategy::Label, "a@b.co", None), "[REDACTED:EMAIL]");
        let keep4 = Strategy::Partial { keep: 4 };
        assert_eq!(
            render(keep4, "4111 1111 1111 1111", None),
            "**** **** **** 1111"
        );
        assert_eq!(render(keep4, "123-45-6789", None), "***-**-6789");
        // At most half of the characters are ever shown.
        assert_eq!(render(keep4, "ab12", None), "**12");
        assert_eq!(render(keep4, "x", None), "*");
        assert_eq!(
            render(Strategy::Partial { keep: 0 }, "ab-cd", None),
            "**-**"
        );
        // Non-ASCII letters count as letters.
        assert_eq!(render(keep4, "Jörg.Müller", None), "****.**ller");
    }

    #[test]
    fn keyed_hash_is_stable_keyed_and_truncated() {
        let key = HashKey::new(b"0123456789abcdef0123", 12);
        let a = render(Strategy::Hash, "alice@example.com", Some(&key));
        assert_eq!(a, render(Strategy::Hash, "alice@example.com", Some(&key)));
        assert_ne!(a, render(Strategy::Hash, "bob@example.com", Some(&key)));
        let other = HashKey::new(b"another key of 16+ bytes", 12);
        assert_ne!(a, render(Strategy::Hash, "alice@example.com", Some(&other)));
        assert!(a.starts_with("[EMAIL:") && a.ends_with(']'), "{a}");
        let token = &a["[EMAIL:".len()..a.len() - 1];
        assert_eq!(token.len(), 12);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        // RFC 4231 test case 2: HMAC-SHA-256("Jefe", "what do ya want for nothing?").
        let jefe = HashKey::new(b"Jefe", 64);
        let mut full = String::new();
        jefe.write_hash("what do ya want for nothing?", &mut full);
        assert_eq!(
            full,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Without a key (never configured so by validation) the label stands.
        assert_eq!(render(Strategy::Hash, "x", None), "[REDACTED:EMAIL]");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = HashKey::new(b"super-secret-key-material", 12);
        assert!(!format!("{key:?}").contains("super"));
    }
}
