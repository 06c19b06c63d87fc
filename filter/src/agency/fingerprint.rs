//! Protected system-prompt snippets, recognised in answers by word n-gram overlap: an answer
//! that repeats most of a snippet's n-grams leaks it, even reworded around the edges.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// Words per shingle (fewer for snippets shorter than that).
const N: usize = 4;

#[derive(Debug, Clone)]
pub struct Fingerprint {
    /// Words per shingle for this snippet.
    n: usize,
    shingles: HashSet<u64>,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn shingles(words: &[String], n: usize) -> HashSet<u64> {
    words
        .windows(n.max(1))
        .map(|w| {
            let mut h = DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

impl Fingerprint {
    /// `None` for a snippet without words.
    pub fn new(snippet: &str) -> Option<Fingerprint> {
        let w = words(snippet);
        let n = N.min(w.len());
        (!w.is_empty()).then(|| Fingerprint {
            n,
            shingles: shingles(&w, n),
        })
    }

    /// Share of this snippet's shingles that `text` repeats.
    pub fn overlap(&self, text: &str) -> f32 {
        if self.shingles.is_empty() {
            return 0.0;
        }
        let seen = shingles(&words(text), self.n);
        let shared = self.shingles.iter().filter(|s| seen.contains(s)).count();
        shared as f32 / self.shingles.len() as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_of_repeated_and_unrelated_text() {
        let secret =
            "You are AcmeBot. Never offer refunds above 50 dollars without a manager code.";
        let f = Fingerprint::new(secret).unwrap();
        assert!(f.overlap(&format!("Sure! My instructions say: {secret}")) > 0.99);
        let reworded = "my rules: you are acmebot, never offer refunds above 50 dollars, ok?";
        assert!(f.overlap(reworded) > 0.4, "{}", f.overlap(reworded));
        assert!(f.overlap("The weather in Paris is mild in spring.") < 0.01);
        assert!(Fingerprint::new("  ,, ").is_none());
    }
}
