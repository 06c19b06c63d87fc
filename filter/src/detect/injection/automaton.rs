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
//!
//! A step cannot start before the table load of the step before has finished, so one walk
//! through a long text is bound by load latency, not by instructions. `find_all` cuts a
//! text into three stretches and walks them in turn (their loads overlap), then joins the
//! three searches into exactly the matches of one.

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
    /// The longest pattern, in bytes: no match is longer (see `find_all`).
    longest: usize,
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
            longest: patterns.iter().map(String::len).max().unwrap_or(0),
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

    /// The same matches as `find_iter`, collected; a long haystack is cut into `LANES`
    /// stretches searched in turn (`find_split`).
    pub fn find_all(&self, haystack: &[u8]) -> Vec<Match> {
        if haystack.len() < INTERLEAVE_MIN {
            return self.find_iter(haystack).collect();
        }
        let part = haystack.len() / LANES;
        self.find_split(haystack, std::array::from_fn(|k| k * part))
    }

    /// `find_iter`'s matches, found by `LANES` searches that advance in turn, search `k` from
    /// `seams[k]` (ascending, the first 0). Each step of a walk waits for the table load of
    /// the step before, so one search leaves the processor mostly idle, and a few independent
    /// ones take about the time of one.
    ///
    /// Search `k` reads the haystack up to the next seam plus the longest pattern, so it finds
    /// every match that starts before the next seam as the whole search would from the same
    /// starting point (no such match, nor a longer one at its start, can reach further). Where
    /// the whole search has come to `from` (the end of its last match, or the seam when that
    /// is further: nothing starts in between, or the search before would have found it), it
    /// finds next what search `k` found next from one of its own starting points `e` (its
    /// seam, or the end of one of its matches) when `e <= from <=` that match's start, and
    /// from there on the two are the same search. A match of search `k` can also straddle
    /// `from`: then matches are searched one at a time from `from` until the two agree again
    /// (rare in text; at worst a stretch is searched twice).
    fn find_split(&self, haystack: &[u8], seams: [usize; LANES]) -> Vec<Match> {
        let len = haystack.len();
        let next_seam = |k: usize| seams.get(k + 1).copied();
        let mut searches: [Search; LANES] = std::array::from_fn(|k| {
            let end = next_seam(k).map_or(len, |s| s.saturating_add(self.longest).min(len));
            let at = seams.get(k).copied().unwrap_or(len).min(end);
            Search::new(self, haystack.get(..end).unwrap_or_default(), at)
        });
        let mut lanes: [Vec<Match>; LANES] = Default::default();
        while searches.iter().all(|s| !s.done) {
            self.walk_lanes(&mut searches);
            // A round with a match or dead state in it (or the end of a haystack) is walked
            // by each search on its own.
            for (search, found) in searches.iter_mut().zip(lanes.iter_mut()) {
                self.advance(search, LANE_ROUND, found);
            }
        }
        for (search, found) in searches.iter_mut().zip(lanes.iter_mut()) {
            self.advance(search, usize::MAX, found);
        }

        let mut found = Vec::new();
        let mut from = 0;
        for (k, lane) in lanes.iter().enumerate() {
            let seam = seams.get(k).copied().unwrap_or(len);
            let next = next_seam(k).unwrap_or(usize::MAX);
            from = from.max(seam);
            loop {
                let i = lane.partition_point(|m| m.start < from);
                let start_point = i
                    .checked_sub(1)
                    .and_then(|i| lane.get(i))
                    .map_or(seam, |m| m.end);
                if start_point <= from {
                    for m in lane.get(i..).unwrap_or_default() {
                        if m.start >= next {
                            break;
                        }
                        from = m.end;
                        found.push(*m);
                    }
                    break;
                }
                match self.find_from(haystack, from) {
                    None => return found,
                    // Nothing starts between `from` and the next seam.
                    Some(m) if m.start >= next => break,
                    Some(m) => {
                        from = m.end;
                        found.push(m);
                    }
                }
            }
        }
        found
    }

    /// Walks the searches in turn, `LANE_ROUND` bytes of each per round, while none meets a
    /// dead or match state or the end of its haystack. The rounds of different searches are
    /// independent, so their table loads overlap.
    #[inline(never)]
    fn walk_lanes(&self, searches: &mut [Search; LANES]) {
        let (trans, classes, special) = (&*self.trans, &self.classes, self.special);
        let step = |state: u32, b: u8| {
            let class = classes.get(usize::from(b)).copied().unwrap_or(0);
            trans.get((state + class) as usize).copied().unwrap_or(0)
        };
        let rests: [&[u8]; LANES] = std::array::from_fn(|k| {
            searches
                .get(k)
                .and_then(|s| s.haystack.get(s.at..))
                .unwrap_or_default()
        });
        let mut states: [u32; LANES] =
            std::array::from_fn(|k| searches.get(k).map_or(0, |s| s.state));
        let mut taken = 0;
        'rounds: loop {
            let mut rounds = [[0u8; LANE_ROUND]; LANES];
            for (round, rest) in rounds.iter_mut().zip(&rests) {
                match rest
                    .get(taken..)
                    .and_then(|r| r.first_chunk::<LANE_ROUND>())
                {
                    Some(r) => *round = *r,
                    None => break 'rounds,
                }
            }
            let mut next = states;
            let mut low = u32::MAX;
            for j in 0..LANE_ROUND {
                for (state, round) in next.iter_mut().zip(&rounds) {
                    *state = step(*state, round.get(j).copied().unwrap_or(0));
                    low = low.min(*state);
                }
            }
            if low < special {
                break;
            }
            states = next;
            taken += LANE_ROUND;
        }
        for (search, state) in searches.iter_mut().zip(states) {
            search.state = state;
            search.at += taken;
        }
    }

    /// Advances `search` by up to `len` bytes (to the end of its haystack at most), as
    /// `find_iter` would: past a match state for a longer match, and back to the start state
    /// after each match, which goes to `found`.
    fn advance(&self, search: &mut Search, len: usize, found: &mut Vec<Match>) {
        let stop = search.at.saturating_add(len).min(search.haystack.len());
        while !search.done {
            let Some(rest) = search
                .haystack
                .get(search.at..stop)
                .filter(|r| !r.is_empty())
            else {
                if search.at < search.haystack.len() {
                    return;
                }
                // The end of the haystack ends the attempt.
                self.end_attempt(search, found);
                continue;
            };
            let (state, taken) = self.walk(search.state, rest);
            search.at += taken;
            search.state = state;
            if state >= self.special {
                continue;
            }
            if state == 0 {
                self.end_attempt(search, found);
            } else {
                search.last = Some((state, search.at));
            }
        }
    }

    /// The end of one attempt of `search` (a dead state or the haystack's end): its last
    /// match state gives the match, and the search starts again where that ends; without
    /// one the search is over, as `find_from` returning `None` ends `find_iter`.
    fn end_attempt(&self, search: &mut Search, found: &mut Vec<Match>) {
        match search.last.take().and_then(|l| self.match_at(l)) {
            Some(m) => {
                search.at = m.end;
                search.state = self.start;
                found.push(m);
            }
            None => search.done = true,
        }
    }

    /// The match a match state `state` reached at `end` stands for.
    fn match_at(&self, (state, end): (u32, usize)) -> Option<Match> {
        let &(pattern, len) = self.matches.get((state / self.stride) as usize)?;
        Some(Match {
            pattern: pattern as usize,
            start: end.saturating_sub(len as usize),
            end,
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
        self.match_at(last?)
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

/// Haystacks shorter than this are searched in one walk: each stretch is also walked for the
/// longest pattern (43 bytes for the phrases) past its end, and splitting costs a few hundred
/// instructions. At 1 KiB the split already makes the whole screen 17 % cheaper.
const INTERLEAVE_MIN: usize = 256;

/// How many searches `Dfa::find_all` runs in turn.
const LANES: usize = 3;

/// Bytes each search of `Dfa::walk_lanes` takes per round.
const LANE_ROUND: usize = 4;

/// One leftmost-longest search through a haystack, between two steps.
struct Search<'h> {
    haystack: &'h [u8],
    /// The next byte to read.
    at: usize,
    state: u32,
    /// The last match state of the current attempt, and where it was reached.
    last: Option<(u32, usize)>,
    /// No match is left.
    done: bool,
}

impl<'h> Search<'h> {
    fn new(dfa: &Dfa, haystack: &'h [u8], at: usize) -> Search<'h> {
        Search {
            haystack,
            at,
            state: dfa.start,
            last: None,
            done: false,
        }
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

    /// Generated haystacks for a pattern set: a small alphabet from the patterns, with whole
    /// and cut-short patterns spliced in, so matches and near misses are frequent.
    fn haystacks(patterns: &[String], lens: impl Iterator<Item = usize>) -> Vec<Vec<u8>> {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut alphabet: Vec<u8> = patterns.iter().flat_map(|p| p.bytes()).collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        alphabet.extend(b"x\0\xff");
        lens.map(|len| {
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
            hay
        })
        .collect()
    }

    /// The screen's phrase set.
    fn phrase_texts() -> Vec<String> {
        let phrases = super::super::phrases::PHRASES.iter();
        phrases.map(|p| p.text.to_string()).collect()
    }

    /// The split search finds what one search finds, wherever the seams are: in the middle of
    /// a match, where the second search is out of step with the whole one (runs of "a" with
    /// "aa" and "aaa"), at either end.
    #[test]
    fn split_search_equals_one_search() {
        let sets: Vec<Vec<String>> = vec![
            phrase_texts(),
            strings(&["a", "ab", "abc", "b", "bcd", "cd", "a b", "b a"]),
            strings(&["aa", "aaa", "ab"]),
        ];
        for patterns in sets {
            let ours = Dfa::new(&patterns).unwrap();
            for hay in haystacks(&patterns, (0..600).map(|n| n % 60)) {
                let want: Vec<_> = ours.find_iter(&hay).collect();
                for seam in 0..=hay.len() + 1 {
                    for gap in [0, 3, 17] {
                        let seams: [usize; LANES] =
                            std::array::from_fn(|k| if k == 0 { 0 } else { seam + (k - 1) * gap });
                        let got = ours.find_split(&hay, seams);
                        let text = || String::from_utf8_lossy(&hay);
                        assert_eq!(got, want, "seams {seams:?}: {:?}", text());
                    }
                }
            }
            // Long haystacks, split by `find_all` itself.
            for hay in haystacks(&patterns, [1100, 2500, 6000].into_iter()) {
                assert!(hay.len() >= INTERLEAVE_MIN);
                let want: Vec<_> = ours.find_iter(&hay).collect();
                assert_eq!(ours.find_all(&hay), want);
            }
        }
    }

    /// Same matches as aho-corasick's own search, on the screen's sets and on generated text.
    #[test]
    fn matches_equal_aho_corasick() {
        let sets: Vec<Vec<String>> = vec![
            phrase_texts(),
            super::super::structure::MARKERS
                .iter()
                .map(|m| m.text.to_string())
                .collect(),
            strings(&["a", "ab", "abc", "b", "bcd", "cd", "a b", "b a"]),
        ];
        for patterns in sets {
            let ours = Dfa::new(&patterns).unwrap();
            let theirs = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .unwrap();
            for hay in haystacks(&patterns, (0..3000).map(|n| n % 97)) {
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
