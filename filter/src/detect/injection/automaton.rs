//! Multi-pattern search for the phrase, squashed-phrase and marker sets, over a flat table.
//!
//! The sets are searched leftmost-longest: of the matches that start first, the longest, then
//! on from its end. aho-corasick builds the automaton for that, but its search loop, measured
//! with callgrind on these views, costs ~18 instructions per byte (bounds checks, and the
//! table length and special-state bound reloaded from memory every step): for prose, more
//! than the normaliser. `Dfa` walks aho-corasick's own DFA once, when the config compiles,
//! into a flat table with premultiplied state ids, a byte-class table (each byte the patterns
//! use is a class of its own; every other byte behaves the same in every state), and the dead
//! and match states numbered first, so a search step is two lookups and one comparison. The
//! search loop is aho-corasick's, so the matches are the same (also tested against it).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use std::sync::Arc;

/// A compiled pattern set (see the module docs).
#[derive(Debug, Clone)]
pub struct Dfa {
    /// Next state: `trans[state + class]`, states premultiplied by `stride`. Shared: each
    /// policy that screens for injection holds a clone of the screen, and the table is most of
    /// its memory (hundreds of KiB).
    trans: Arc<[u32]>,
    /// The class of each byte.
    classes: [u32; 256],
    stride: u32,
    start: u32,
    /// States below this are the dead state (0) or match states.
    special: u32,
    /// For each match state (by number, `state / stride`): its pattern and that pattern's
    /// length.
    matches: Vec<(u32, u32)>,
}

/// One match: the pattern's index in the set, and where it is in the haystack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
}

impl Dfa {
    /// Compiles non-empty patterns for leftmost-longest search.
    pub fn new(patterns: &[String]) -> Result<Dfa, String> {
        if patterns.iter().any(String::is_empty) {
            return Err("empty pattern".into());
        }
        let dfa = DFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns)
            .map_err(|e| e.to_string())?;
        let (classes, representatives) = byte_classes(patterns);
        let stride = u32::try_from(representatives.len()).map_err(|e| e.to_string())?;
        let start = dfa.start_state(Anchored::No).map_err(|e| e.to_string())?;
        // Every state reachable from the start, breadth first, with its successor on each
        // class. `number` maps aho-corasick's state ids (table offsets) to ours.
        const UNSEEN: u32 = u32::MAX;
        let mut number = vec![UNSEEN; dfa.memory_usage() / 4 + 1];
        let mut mark = |s: StateID, value: u32| -> bool {
            let k = s.as_usize();
            if k >= number.len() {
                number.resize(k + 1, UNSEEN);
            }
            number.get_mut(k).is_some_and(|n| {
                let fresh = *n == UNSEEN;
                *n = value;
                fresh
            })
        };
        mark(start, 0);
        let mut found: Vec<StateID> = vec![start];
        let mut next: Vec<StateID> = Vec::new();
        let mut k = 0;
        while let Some(&s) = found.get(k) {
            k += 1;
            for &b in &representatives {
                let n = dfa.next_state(Anchored::No, s, b);
                next.push(n);
                if mark(n, 0) {
                    found.push(n);
                }
            }
        }
        // Our numbering: the dead state (reachable or not) is 0, then the match states.
        let dead = found.iter().position(|&s| dfa.is_dead(s));
        let mut order: Vec<Option<usize>> = vec![dead];
        order.extend(
            (0..found.len())
                .filter(|&k| found.get(k).is_some_and(|&s| dfa.is_match(s)))
                .map(Some),
        );
        let special = order.len();
        let plain = |&k: &usize| {
            found
                .get(k)
                .is_some_and(|&s| !dfa.is_match(s) && !dfa.is_dead(s))
        };
        order.extend((0..found.len()).filter(plain).map(Some));
        let id = |n: usize| u32::try_from(n).ok().and_then(|n| n.checked_mul(stride));
        for (n, k) in order.iter().enumerate() {
            if let Some(&s) = k.and_then(|k| found.get(k)) {
                mark(s, id(n).ok_or("automaton too large")?);
            }
        }
        let id_of = |s: &StateID| number.get(s.as_usize()).copied().unwrap_or(0);
        let width = representatives.len();
        let mut trans = Vec::with_capacity(order.len() * width);
        let mut matches = Vec::with_capacity(special);
        for k in &order {
            match k {
                Some(k) => {
                    let row = next.get(k * width..(k + 1) * width).unwrap_or_default();
                    trans.extend(row.iter().map(id_of));
                }
                None => trans.extend(std::iter::repeat_n(0, width)),
            }
            if matches.len() < special {
                let s = k.and_then(|k| found.get(k).copied());
                let m = s.filter(|&s| dfa.is_match(s)).map(|s| {
                    let pattern = dfa.match_pattern(s, 0);
                    (pattern.as_u32(), dfa.pattern_len(pattern) as u32)
                });
                matches.push(m.unwrap_or((0, 0)));
            }
        }
        Ok(Dfa {
            trans: trans.into(),
            classes,
            stride,
            start: id_of(&start),
            special: id(special).ok_or("automaton too large")?,
            matches,
        })
    }

    /// The leftmost-longest, non-overlapping matches in `haystack`, in order.
    pub fn find_iter<'a>(&'a self, haystack: &'a [u8]) -> impl Iterator<Item = Match> + 'a {
        let mut from = 0;
        std::iter::from_fn(move || {
            let m = self.find_from(haystack, from)?;
            from = m.end;
            Some(m)
        })
    }

    /// The leftmost-longest match that starts at `from` or later: the walk goes on past a
    /// match for a longer one until the automaton can match nothing more (the dead state).
    fn find_from(&self, haystack: &[u8], from: usize) -> Option<Match> {
        let mut state = self.start;
        let mut at = from;
        let mut last = None;
        while let Some(rest) = haystack.get(at..).filter(|r| !r.is_empty()) {
            let (next, taken) = self.walk(state, rest);
            at += taken;
            state = next;
            if state >= self.special || state == 0 {
                // The end of the haystack, or nothing more can match.
                break;
            }
            // A match state: go on for a longer match (a haystack ending here ends the loop).
            last = Some((state, at));
        }
        // The last match state passed holds the longest match of the leftmost start.
        let (state, end) = last?;
        let &(pattern, len) = self.matches.get((state / self.stride) as usize)?;
        Some(Match {
            pattern: pattern as usize,
            start: end.saturating_sub(len as usize),
            end,
        })
    }

    /// Steps from `state` through `bytes` until a dead or match state; returns that state (or
    /// the last one) and how many bytes were taken. The hot loop of the search, kept out of
    /// line so that it holds the table, the byte classes and the bound in registers (inlined
    /// into the screen, it reloaded them from the stack every byte).
    ///
    /// Four bytes per round, with one test of the four states (the least of them): most text
    /// never reaches a dead or match state, and a round that does is walked again a byte at a
    /// time to find the first such state.
    #[inline(never)]
    fn walk(&self, mut state: u32, bytes: &[u8]) -> (u32, usize) {
        let (trans, classes, special) = (&*self.trans, &self.classes, self.special);
        let step = |state: u32, b: u8| {
            let class = classes.get(usize::from(b)).copied().unwrap_or(0);
            // Out of the table cannot happen (every entry is a state id); it would be dead.
            trans.get((state + class) as usize).copied().unwrap_or(0)
        };
        let mut rounds = bytes.chunks_exact(4);
        let mut taken = 0;
        for round in &mut rounds {
            let &[a, b, c, d] = round else {
                break;
            };
            let s1 = step(state, a);
            let s2 = step(s1, b);
            let s3 = step(s2, c);
            let s4 = step(s3, d);
            if s1.min(s2).min(s3.min(s4)) < special {
                break;
            }
            state = s4;
            taken += 4;
        }
        let rest = bytes.get(taken..).unwrap_or_default();
        let stop = rest.iter().position(|&b| {
            state = step(state, b);
            state < special
        });
        (state, taken + stop.map_or(rest.len(), |k| k + 1))
    }

    /// Heap bytes held.
    #[cfg(test)]
    pub fn memory_usage(&self) -> usize {
        self.trans.len() * 4 + self.matches.len() * 8
    }
}

/// Byte classes for a pattern set: each byte that occurs in a pattern has a class of its own,
/// all others share class 0 (an automaton cannot tell them apart). Returns the class of each
/// byte and one byte of each class.
fn byte_classes(patterns: &[String]) -> ([u32; 256], Vec<u8>) {
    let mut used = [false; 256];
    for b in patterns.iter().flat_map(|p| p.bytes()) {
        if let Some(u) = used.get_mut(usize::from(b)) {
            *u = true;
        }
    }
    let is_used = |b: u8| used.get(usize::from(b)).copied().unwrap_or(false);
    let mut classes = [0u32; 256];
    let mut representatives: Vec<u8> = (0..=255u8).find(|&b| !is_used(b)).into_iter().collect();
    for b in (0..=255u8).filter(|&b| is_used(b)) {
        if let Some(c) = classes.get_mut(usize::from(b)) {
            *c = representatives.len() as u32;
        }
        representatives.push(b);
    }
    (classes, representatives)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, AhoCorasickKind};

    fn strings(patterns: &[&str]) -> Vec<String> {
        patterns.iter().map(|p| p.to_string()).collect()
    }

    /// The table steps exactly as aho-corasick's DFA does, from every state on every byte.
    #[test]
    fn table_is_the_dfa() {
        let patterns = strings(&["abc", "bcd", "b", "cd e", "zz"]);
        let ours = Dfa::new(&patterns).unwrap();
        let dfa = DFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .unwrap();
        let (classes, reps) = byte_classes(&patterns);
        assert_eq!(reps.len() as u32, ours.stride);
        // Every byte steps like its class's representative.
        let start = dfa.start_state(Anchored::No).unwrap();
        let mut states = vec![start];
        let mut k = 0;
        while k < states.len() {
            let s = states[k];
            k += 1;
            for b in 0..=255u8 {
                let rep = reps[classes[b as usize] as usize];
                let next = dfa.next_state(Anchored::No, s, b);
                assert_eq!(next, dfa.next_state(Anchored::No, s, rep), "byte {b}");
                if !states.contains(&next) {
                    states.push(next);
                }
            }
        }
    }

    /// A clone (one per policy that screens) shares the table instead of copying it.
    #[test]
    fn clones_share_the_table() {
        let ours = Dfa::new(&strings(&["ab", "cd"])).unwrap();
        let copy = ours.clone();
        assert!(Arc::ptr_eq(&ours.trans, &copy.trans));
    }

    /// Named edge cases: matches at both ends, a longer match past a shorter one, none.
    #[test]
    fn edges() {
        let patterns = strings(&["ab", "abcd", "b", "zz"]);
        let ours = Dfa::new(&patterns).unwrap();
        // (name, haystack, matches as (pattern, start, end))
        type Found = &'static [(usize, usize, usize)];
        let cases: &[(&str, &str, Found)] = &[
            ("empty haystack", "", &[]),
            ("no match", "xyx", &[]),
            ("whole haystack", "zz", &[(3, 0, 2)]),
            ("at the end", "xxab", &[(0, 2, 4)]),
            ("longest wins", "abcd", &[(1, 0, 4)]),
            ("longer one cut short", "abcx", &[(0, 0, 2)]),
            (
                "one after another",
                "abzzb",
                &[(0, 0, 2), (3, 2, 4), (2, 4, 5)],
            ),
        ];
        for (name, hay, want) in cases {
            let got: Vec<_> = ours
                .find_iter(hay.as_bytes())
                .map(|m| (m.pattern, m.start, m.end))
                .collect();
            assert_eq!(&got, want, "{name}");
        }
    }

    /// Same matches as aho-corasick's own search, on the screen's sets and on generated text.
    #[test]
    fn matches_equal_aho_corasick() {
        let sets: Vec<Vec<String>> = vec![
            super::super::phrases::PHRASES
                .iter()
                .map(|p| p.text.to_string())
                .collect(),
            super::super::structure::MARKERS
                .iter()
                .map(|m| m.text.to_string())
                .collect(),
            strings(&["a", "ab", "abc", "b", "bcd", "cd", "a b", "b a"]),
        ];
        // A small alphabet from the patterns, so matches and near misses are frequent.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for patterns in sets {
            let ours = Dfa::new(&patterns).unwrap();
            let theirs = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .unwrap();
            let alphabet: Vec<u8> = {
                let mut a: Vec<u8> = patterns.iter().flat_map(|p| p.bytes()).collect();
                a.sort_unstable();
                a.dedup();
                a.extend(b"x\0\xff");
                a
            };
            for n in 0..3000 {
                let len = n % 97;
                let mut hay = Vec::with_capacity(len);
                for _ in 0..len {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    if seed % 4 == 0 {
                        // Splice in a pattern, whole or cut short.
                        let p = patterns[(seed >> 8) as usize % patterns.len()].as_bytes();
                        hay.extend_from_slice(&p[..p.len() - (seed >> 40) as usize % 2]);
                    } else {
                        hay.push(alphabet[(seed >> 16) as usize % alphabet.len()]);
                    }
                }
                let got: Vec<_> = ours.find_iter(&hay).collect();
                let want: Vec<_> = theirs
                    .find_iter(&hay)
                    .map(|m| Match {
                        pattern: m.pattern().as_usize(),
                        start: m.start(),
                        end: m.end(),
                    })
                    .collect();
                assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&hay));
            }
        }
    }
}
