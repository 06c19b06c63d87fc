//! Prompt-injection and jailbreak screening.
//!
//! Each text is normalised into three views (see `normalise`), then:
//! - phrase rules (aho-corasick over the `words` view, plus a verb/object grammar for
//!   instruction overrides, plus the `squash` view for spaced-out letters and ROT13 copies),
//! - structural rules (chat-template role markers, forged tool output, markdown-image
//!   exfiltration) over the `fold` view,
//! - evasion signals (Unicode tag characters, invisible characters inside words, mixed-script
//!   words, encoded payloads),
//! - an adversarial-suffix detector (optimised token soup),
//! - and a compact statistical model (`model`)
//!
//! each produce signals with a rule id, a category and a weight. Encoded payloads are decoded
//! and screened too (depth- and size-limited). The weights of distinct rules combine as a
//! noisy-or into a score in `[0, 1]`, so one strong signal or several weak ones cross the
//! threshold, and the verdict is explained by rule ids without quoting the text.
//!
//! Everything is linear in the input: each view is one pass, the automatons are linear, the
//! model reads each byte a bounded number of times, decoding is capped by `DECODE_BUDGET` and
//! `MAX_DEPTH`.

mod encodings;
mod model;
mod normalise;
mod phrases;
mod soup;
mod structure;
#[cfg(test)]
mod tests;

use aho_corasick::{AhoCorasick, MatchKind};
use model::Model;
use normalise::{fold, squash, words, Normalised};
use phrases::{
    OVERRIDE, OVERRIDE_ANCHORS, OVERRIDE_FILLERS, OVERRIDE_OBJECTS, OVERRIDE_VERBS, OVERRIDE_WEAK,
    PHRASES,
};
use std::fmt;
use structure::{MARKDOWN_EXFIL, MARKERS};

/// Total decoded bytes screened per request (base64, hex, escapes).
const DECODE_BUDGET: usize = 64 * 1024;
/// How many times decoded text is itself decoded (base64 inside base64 ...).
const MAX_DEPTH: usize = 2;
/// Squashed phrases shorter than this are too likely to appear across word boundaries.
const MIN_SQUASHED: usize = 14;
/// Model scores below this do not produce a signal (they are noise, not evidence).
const MODEL_FLOOR: f32 = 0.15;

pub const RULE_MODEL: &str = "injection.model.classifier";
pub const RULE_TAGS: &str = "injection.evasion.unicode_tags";
pub const RULE_INVISIBLE: &str = "injection.evasion.invisible_in_word";
pub const RULE_MIXED: &str = "injection.evasion.mixed_script";
pub const RULE_SPACED: &str = "injection.evasion.spaced_phrase";
pub const RULE_ROT13: &str = "injection.evasion.rot13_phrase";
pub const RULE_ENCODED: &str = "injection.evasion.encoded_text";
pub const RULE_SUFFIX: &str = "injection.adversarial.token_soup";

/// What kind of attack a signal points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    InstructionOverride,
    RoleHijack,
    Jailbreak,
    PromptExtraction,
    Exfiltration,
    /// Text shaped to slip past filters (hidden characters, look-alikes, encodings).
    Evasion,
    /// Optimised gibberish suffixes (GCG-style).
    AdversarialSuffix,
    /// The statistical model.
    Classifier,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::InstructionOverride,
        Category::RoleHijack,
        Category::Jailbreak,
        Category::PromptExtraction,
        Category::Exfiltration,
        Category::Evasion,
        Category::AdversarialSuffix,
        Category::Classifier,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::InstructionOverride => "instruction_override",
            Category::RoleHijack => "role_hijack",
            Category::Jailbreak => "jailbreak",
            Category::PromptExtraction => "prompt_extraction",
            Category::Exfiltration => "exfiltration",
            Category::Evasion => "evasion",
            Category::AdversarialSuffix => "adversarial_suffix",
            Category::Classifier => "classifier",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Stable id such as `injection.override.ignore_previous`.
    pub rule: &'static str,
    pub category: Category,
    pub weight: f32,
    /// Which input text (index into the slice given to `screen`).
    pub text_index: usize,
    /// Byte offset of the evidence in that (original, unnormalised) text.
    pub offset: usize,
}

/// The outcome of screening a set of texts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Screening {
    pub score: f32,
    /// Strongest signal per rule, in order of first appearance.
    pub signals: Vec<Signal>,
}

impl Screening {
    /// Noisy-or of the signals of one category: how much that kind of evidence alone says.
    pub fn category_score(&self, category: Category) -> f32 {
        combine(self.signals.iter().filter(|s| s.category == category))
    }

    /// Per-category contributions, strongest first, zero categories left out.
    pub fn contributions(&self) -> Vec<(Category, f32)> {
        let mut out: Vec<(Category, f32)> = Category::ALL
            .iter()
            .map(|&c| (c, self.category_score(c)))
            .filter(|&(_, s)| s > 0.0)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }
}

fn combine<'a>(signals: impl Iterator<Item = &'a Signal>) -> f32 {
    let miss: f32 = signals.map(|s| 1.0 - s.weight.clamp(0.0, 1.0)).product();
    (1.0 - miss).clamp(0.0, 1.0)
}

/// The compiled screen; built once per config, shared by every request.
#[derive(Debug, Clone)]
pub struct InjectionScreen {
    /// The phrases, then their ROT13 copies (pattern `PHRASES.len() + i` is `rot13_ids[i]`).
    phrases: AhoCorasick,
    /// Squashed copies of the long phrases (spaced-out letters), pattern i = `squashed[i]`.
    squashed: AhoCorasick,
    squashed_ids: Vec<usize>,
    rot13_ids: Vec<usize>,
    markers: AhoCorasick,
    model: Model,
}

/// Collects signals, keeping the strongest per rule.
struct Collector {
    signals: Vec<Signal>,
}

impl Collector {
    fn add(&mut self, rule: &'static str, category: Category, weight: f32, at: (usize, usize)) {
        let (text_index, offset) = at;
        match self.signals.iter_mut().find(|s| s.rule == rule) {
            Some(s) if s.weight < weight => {
                s.weight = weight;
                s.text_index = text_index;
                s.offset = offset;
            }
            Some(_) => {}
            None => self.signals.push(Signal {
                rule,
                category,
                weight,
                text_index,
                offset,
            }),
        }
    }
}

impl InjectionScreen {
    pub fn new() -> Result<InjectionScreen, String> {
        let build = |patterns: &[String]| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns)
                .map_err(|e| e.to_string())
        };
        let mut texts: Vec<String> = PHRASES.iter().map(|p| p.text.to_string()).collect();
        let mut squashed = Vec::new();
        let mut squashed_ids = Vec::new();
        let mut rot = Vec::new();
        let mut rot13_ids = Vec::new();
        for (i, p) in PHRASES.iter().enumerate() {
            let s: String = p.text.chars().filter(char::is_ascii_alphabetic).collect();
            if s.len() >= MIN_SQUASHED {
                squashed.push(s);
                squashed_ids.push(i);
            }
            if p.text.len() >= MIN_SQUASHED && p.weight >= 0.5 {
                rot.push(encodings::rot13(p.text));
                rot13_ids.push(i);
            }
        }
        // The override grammar's strongest form, squashed and in ROT13.
        for v in ["ignore", "disregard", "forget"] {
            for q in ["", "all"] {
                for a in ["previous", "prior", "above"] {
                    let words = format!("{v} {q} {a} instructions").replace("  ", " ");
                    squashed.push(words.replace(' ', ""));
                    squashed_ids.push(usize::MAX);
                    rot.push(encodings::rot13(&words));
                    rot13_ids.push(usize::MAX);
                }
            }
        }
        let markers: Vec<String> = MARKERS.iter().map(|m| m.text.to_string()).collect();
        texts.extend(rot);
        Ok(InjectionScreen {
            phrases: build(&texts)?,
            squashed: build(&squashed)?,
            squashed_ids,
            rot13_ids,
            markers: build(&markers)?,
            model: Model::default(),
        })
    }

    /// Screens texts together: signals from every text add up, so an attack split across
    /// messages still scores.
    pub fn screen<S: AsRef<str>>(&self, texts: &[S]) -> Screening {
        let mut out = Collector {
            signals: Vec::new(),
        };
        let mut budget = DECODE_BUDGET;
        for (text_index, text) in texts.iter().enumerate() {
            self.screen_text(text.as_ref(), text_index, None, 0, &mut budget, &mut out);
        }
        Screening {
            score: combine(out.signals.iter()),
            signals: out.signals,
        }
    }

    /// Screens one text. `pinned` is the offset in the request's original text when `text` was
    /// decoded from an encoded run (signals then point at the run).
    fn screen_text(
        &self,
        text: &str,
        index: usize,
        pinned: Option<usize>,
        depth: usize,
        budget: &mut usize,
        out: &mut Collector,
    ) {
        let at = |offset: usize| (index, pinned.unwrap_or(offset));
        let (folded, stats) = fold(text);
        let word_view = words(&folded);
        let origin = |view: &Normalised, i: usize| view.original_offset(i, text.len());

        // Evasion signals.
        if stats.tags >= 4 {
            out.add(RULE_TAGS, Category::Evasion, 0.6, at(stats.first_tag));
        }
        if stats.invisible_in_word >= 3 {
            out.add(
                RULE_INVISIBLE,
                Category::Evasion,
                0.3,
                at(stats.first_invisible),
            );
        }
        if stats.mixed_script_words >= 2 {
            out.add(RULE_MIXED, Category::Evasion, 0.15, at(stats.first_mixed));
        }

        // Phrases.
        for m in self.phrases.find_iter(&word_view.text) {
            if !word_bounded(&word_view.text, m.start(), m.end()) {
                continue;
            }
            let offset = origin(&word_view, m.start());
            let id = m.pattern().as_usize();
            if let Some(p) = PHRASES.get(id) {
                out.add(p.rule, p.category, p.weight, at(offset));
            } else if let Some(&i) = self.rot13_ids.get(id.saturating_sub(PHRASES.len())) {
                let (rule, category, weight) = match PHRASES.get(i) {
                    Some(p) => (p.rule, p.category, p.weight),
                    None => (OVERRIDE, Category::InstructionOverride, 0.9),
                };
                out.add(rule, category, weight, at(offset));
                out.add(RULE_ROT13, Category::Evasion, 0.5, at(offset));
            }
        }
        if let Some((strong, start)) = override_grammar(&word_view.text) {
            let (rule, weight) = if strong {
                (OVERRIDE, 0.9)
            } else {
                (OVERRIDE_WEAK, 0.35)
            };
            out.add(
                rule,
                Category::InstructionOverride,
                weight,
                at(origin(&word_view, start)),
            );
        }
        // Spaced-out or dotted letters leave runs of one-letter words; only then is the
        // letters-only view worth building.
        let squashed = if has_spaced_letters(&word_view.text) {
            squash(&word_view)
        } else {
            Normalised::default()
        };
        for m in self.squashed.find_iter(&squashed.text) {
            let offset = origin(&squashed, m.start());
            let (rule, category, weight) = self.phrase_of(&self.squashed_ids, m.pattern());
            // Plain text squashes to the same letters; only a phrase the words view missed
            // (spaced-out or dotted letters) is an evasion.
            if out
                .signals
                .iter()
                .any(|s| s.rule == rule && s.text_index == index)
            {
                continue;
            }
            out.add(rule, category, weight, at(offset));
            out.add(RULE_SPACED, Category::Evasion, 0.3, at(offset));
        }

        // Structure.
        for m in self.markers.find_iter(&folded.text) {
            if let Some(mk) = MARKERS.get(m.pattern().as_usize()) {
                out.add(
                    mk.rule,
                    mk.category,
                    mk.weight,
                    at(origin(&folded, m.start())),
                );
            }
        }
        if let Some(i) = structure::markdown_image_exfil(&folded.text) {
            out.add(
                MARKDOWN_EXFIL,
                Category::Exfiltration,
                0.6,
                at(origin(&folded, i)),
            );
        }

        // Adversarial suffix.
        if let Some(offset) = soup::token_soup(text) {
            out.add(RULE_SUFFIX, Category::AdversarialSuffix, 0.3, at(offset));
        }

        // Model.
        let view = model::model_view(text);
        let p = self.model.score(view.as_bytes());
        if p >= MODEL_FLOOR {
            out.add(RULE_MODEL, Category::Classifier, p, at(0));
        }

        // Encoded payloads, screened like the text itself.
        if depth < MAX_DEPTH && *budget > 0 {
            let mut decoded = Vec::new();
            encodings::decode_runs(text, budget, &mut decoded);
            for d in decoded {
                let offset = pinned.unwrap_or(d.offset);
                if d.kind != "escapes" {
                    out.add(RULE_ENCODED, Category::Evasion, 0.1, (index, offset));
                }
                self.screen_text(&d.text, index, Some(offset), depth + 1, budget, out);
            }
        }
    }

    fn phrase_of(
        &self,
        ids: &[usize],
        pattern: aho_corasick::PatternID,
    ) -> (&'static str, Category, f32) {
        match ids.get(pattern.as_usize()).and_then(|&i| PHRASES.get(i)) {
            Some(p) => (p.rule, p.category, p.weight),
            None => (OVERRIDE, Category::InstructionOverride, 0.9),
        }
    }
}

/// True when the `words` view has four one-letter words in a row ("i g n o r e").
fn has_spaced_letters(view: &str) -> bool {
    let mut run = 0;
    for w in view.split(' ') {
        run = if w.len() == 1 { run + 1 } else { 0 };
        if run >= 4 {
            return true;
        }
    }
    false
}

/// True when `start..end` of the `words` view begins and ends on word boundaries.
fn word_bounded(view: &str, start: usize, end: usize) -> bool {
    let bytes = view.as_bytes();
    let before = start == 0 || bytes.get(start - 1) == Some(&b' ');
    let after = bytes.get(end).is_none_or(|&b| b == b' ');
    before && after
}

/// The instruction-override grammar over the `words` view: an override verb, up to five
/// filler words, then an object ("ignore all of your previous instructions"). Returns whether
/// the form is strong (a "what came before" anchor or an instruction-like object) and the view
/// offset of the verb. Linear: each word is looked at a bounded number of times.
fn override_grammar(view: &str) -> Option<(bool, usize)> {
    const MAX_FILLERS: usize = 5;
    let mut best: Option<(bool, usize)> = None;
    let mut words = view.split(' ').scan(0usize, |pos, w| {
        let start = *pos;
        *pos += w.len() + 1;
        Some((start, w))
    });
    let mut window: Vec<(usize, &str)> = Vec::with_capacity(MAX_FILLERS + 2);
    loop {
        let next = words.next();
        if let Some(w) = next {
            window.push(w);
        }
        if window.len() < MAX_FILLERS + 2 && next.is_some() {
            continue;
        }
        let Some(&(start, verb)) = window.first() else {
            break;
        };
        if OVERRIDE_VERBS.contains(&verb) {
            let mut anchored = false;
            for &(_, w) in window.iter().skip(1) {
                if let Some(&(_, strong_object)) = OVERRIDE_OBJECTS.iter().find(|(o, _)| *o == w) {
                    let strong = anchored || strong_object;
                    let form = (strong, start);
                    if best.is_none_or(|(s, _)| !s && strong) {
                        best = Some(form);
                    }
                    break;
                }
                if OVERRIDE_ANCHORS.contains(&w) {
                    anchored = true;
                } else if !OVERRIDE_FILLERS.contains(&w) {
                    break;
                }
            }
            if best.is_some_and(|(s, _)| s) {
                return best;
            }
        }
        if next.is_none() && window.len() <= 1 {
            break;
        }
        window.remove(0);
    }
    best
}
