//! Exact streaming redaction of one text stream (one choice, one content block, one tool call's
//! arguments): deltas in, redacted text out as early as the detectors allow.
//!
//! # Hold-back
//! A match can only involve bytes not yet received if it ends beyond the end of the buffer; if
//! every match (plus whatever the detector reads after it to accept it) is at most `window`
//! bytes long, such a match starts after `len - window`. Everything before that *horizon* is
//! final: plain text there is released at once, and a finding that ends before it is replaced
//! by its label. Text from the horizon on, or from the start of a finding that reaches past
//! it, is held. The detector is re-run over the held text plus up to `lookbehind` bytes of
//! already released text (context a detector may look back at, never emitted again).
//!
//! Tokens (keys, JWTs, URLs, addresses) can be far longer than a window sized for spaced
//! matches (phone and card numbers, `password: …`). So the run of token characters that ends
//! the buffer is held too, whole, up to `run_cap` bytes: a match longer than the window is
//! released only once it is complete, provided it contains no separator (whitespace,
//! `" \ < > { } ` | ^`: what URLs exclude and no token contains). Holding one partial word
//! costs nothing a reader would notice.
//!
//! So, for detectors whose matches are at most `window` bytes or separator-free and at most
//! `run_cap` bytes, and depend on at most `lookbehind` preceding bytes, the concatenation of
//! everything released equals [`redact_whole`] of the concatenated input, however the input
//! was split.
//!
//! # Private-key blocks
//! A PEM private key is longer than any sensible window. With `private_keys` on, once a
//! `-----BEGIN … PRIVATE KEY-----` header is seen (a partial `-----BEGIN ` at the end of the
//! buffer is held too, so a header is never half released), nothing from the header on is
//! released until its `-----END …-----` line has arrived, and then the detectors decide as for
//! any other text. A block still open after
//! `pem_cap` bytes (or at the end of the stream) is redacted as `PRIVATE_KEY` regardless, and
//! the rest of it is dropped up to its END line: a key must not leak because it is long or
//! truncated. That is the one place where the output can differ from a buffered scan (a huge
//! or unterminated block the detectors would not have reported).

use super::bytes::find;
use crate::config::spec::Action;
use crate::detect::entities::util::floor_boundary;
use crate::detect::entities::EntityScanner;
use crate::detect::{resolve_overlaps, Finding};
use crate::entity::EntityType;
use crate::policy::EntityRules;

/// What to do with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingAction {
    /// Replace it with `[REDACTED:<TYPE>]`.
    Redact,
    /// Stop releasing text and report: the caller ends the stream with an error event.
    Block,
    /// Report it and release the text unchanged (monitor mode).
    Keep,
}

/// The detectors a redactor runs. Implemented for closures (`Fn(&str, &mut Vec<Finding>)`,
/// every finding redacted) and for [`EntityScanner`].
pub trait Detector {
    /// Appends the findings in `text`, sorted and without overlaps.
    fn scan(&self, text: &str, out: &mut Vec<Finding>);

    /// The action for a type; redaction unless overridden.
    fn action(&self, _entity: EntityType) -> FindingAction {
        FindingAction::Redact
    }

    /// Writes what stands in place of a redacted finding whose text was `matched` (the whole
    /// match; for an oversized private-key block, what was held of it): `[REDACTED:<TYPE>]`
    /// unless overridden (partial masks, keyed hashes, pseudonyms and their restoration).
    fn replace(&self, entity: EntityType, _matched: &str, out: &mut String) {
        push_label(out, entity);
    }

    /// A fixed string that must never reach the client whole (the request's system-prompt
    /// canary), and what happens where it appears; none unless overridden. Not an entity: it
    /// is reported as [`Sink::leaks`], and redacted as `[REDACTED:CANARY]` like a buffered
    /// response's.
    fn canary(&self) -> Option<(&str, FindingAction)> {
        None
    }
}

impl<F: Fn(&str, &mut Vec<Finding>)> Detector for F {
    fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        self(text, out)
    }
}

impl Detector for EntityScanner {
    fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        EntityScanner::scan(self, text, out)
    }
}

/// A policy direction's entity rules: its scanner, and its per-type actions (`monitor` keeps
/// the text; `off` types are not in the scanner).
impl Detector for EntityRules {
    fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        EntityRules::scan(self, text, out)
    }

    fn replace(&self, entity: EntityType, matched: &str, out: &mut String) {
        self.write_replacement(entity, matched, None, out)
    }

    fn action(&self, entity: EntityType) -> FindingAction {
        match EntityRules::action(self, entity) {
            Action::Redact => FindingAction::Redact,
            Action::Block => FindingAction::Block,
            Action::Monitor | Action::Off => FindingAction::Keep,
        }
    }
}

/// Reports every finding and changes nothing: a policy in monitor mode.
pub struct MonitorOnly<D>(pub D);

impl<D: Detector> Detector for MonitorOnly<D> {
    fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        self.0.scan(text, out)
    }

    fn action(&self, _entity: EntityType) -> FindingAction {
        FindingAction::Keep
    }

    fn canary(&self) -> Option<(&str, FindingAction)> {
        self.0
            .canary()
            .map(|(token, _)| (token, FindingAction::Keep))
    }
}

/// Another detector plus the request's system-prompt canary.
pub struct WithCanary {
    pub inner: Box<dyn Detector>,
    pub token: String,
    /// `Redact`, `Block`, or `Keep` (report only: a monitor-mode policy).
    pub action: FindingAction,
}

impl Detector for WithCanary {
    fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        self.inner.scan(text, out)
    }

    fn action(&self, entity: EntityType) -> FindingAction {
        self.inner.action(entity)
    }

    fn replace(&self, entity: EntityType, matched: &str, out: &mut String) {
        self.inner.replace(entity, matched, out)
    }

    fn canary(&self) -> Option<(&str, FindingAction)> {
        Some((self.token.as_str(), self.action)).filter(|(token, _)| !token.is_empty())
    }
}

/// What stands in place of a redacted canary (the buffered path writes the same).
pub const CANARY_LABEL: &str = "[REDACTED:CANARY]";

/// Hold-back parameters; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedactorOptions {
    /// Longest match of any enabled detector, plus the bytes it reads after a match to accept
    /// it.
    pub window: usize,
    /// Bytes before a match any detector reads to accept it.
    pub lookbehind: usize,
    /// Whether private-key blocks are held (and redacted when oversized): on when the policy
    /// redacts `PRIVATE_KEY`.
    pub private_keys: bool,
    /// Longest private-key block held before it is redacted unseen.
    pub pem_cap: usize,
    /// Longest run of token characters held back whole (see the module docs); 0 turns the
    /// run hold off.
    pub run_cap: usize,
}

impl Default for RedactorOptions {
    fn default() -> RedactorOptions {
        RedactorOptions {
            window: 256,
            lookbehind: 64,
            private_keys: true,
            pem_cap: 16 * 1024,
            run_cap: 16 * 1024,
        }
    }
}

/// A finding whose fate was decided (for audit: type and action, never the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub entity: EntityType,
    pub action: FindingAction,
}

/// Where a redactor writes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sink {
    /// Released text.
    pub text: String,
    pub hits: Vec<Hit>,
    /// Set when a `Block` finding was reached; nothing from it on is ever released.
    pub blocked: Option<EntityType>,
    /// Canary occurrences decided, with their action (never the text).
    pub leaks: Vec<FindingAction>,
    /// Set when a canary whose action is `Block` was reached; nothing from it on is released.
    pub leak_blocked: bool,
    /// Whether `text` differs from the input it stands for other than by `marks` (a dropped
    /// key block, a block). While false, the text is the released input with each mark's
    /// input replaced by its output, so the caller may map it back onto the deltas it came
    /// from (and forward unchanged deltas as they were).
    pub rewritten: bool,
    /// The replacements in `text`, in order.
    pub marks: Vec<Mark>,
}

/// One replacement: input bytes (stream offsets, see [`Redactor::input_offset`]) and what
/// stands for them in [`Sink::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub input: std::ops::Range<u64>,
    pub output: std::ops::Range<usize>,
}

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";
/// Longest label between `BEGIN ` and `-----` (`ENCRYPTED PRIVATE KEY`, …).
const MAX_LABEL: usize = 40;
/// Longest PEM header: `-----BEGIN ` + label + `-----`.
pub const PEM_HEADER_MAX: usize = BEGIN.len() + MAX_LABEL + DASHES.len();
/// Tail kept while dropping an oversized key, so an END line split across deltas is found.
const END_TAIL: usize = END.len() + MAX_LABEL + DASHES.len() + 8;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pem {
    Idle,
    /// A private-key header starts at this index of `buf`; nothing from it is released.
    /// `searched`: how far the END line was already looked for.
    Hold {
        start: usize,
        searched: usize,
    },
    /// An oversized key was redacted; its remaining bytes are dropped up to the END line.
    Drop,
}

/// The streaming redactor for one text stream.
#[derive(Debug, Clone)]
pub struct Redactor {
    opts: RedactorOptions,
    /// Released context (`..ctx`) followed by held text.
    buf: String,
    ctx: usize,
    pem: Pem,
    /// Index of `buf` from which to look for the next BEGIN header.
    pem_from: usize,
    /// Start of the run of token characters that ends `buf`.
    run_start: usize,
    /// Input bytes dropped from the front of `buf` so far: `buf[0]` is input byte `base`.
    base: u64,
    blocked: bool,
    scratch: Vec<Finding>,
    /// What `release` decides on, in order: findings and canary occurrences.
    items: Vec<Item>,
}

/// A span `release` acts on.
#[derive(Debug, Clone)]
struct Item {
    span: std::ops::Range<usize>,
    /// `None`: a canary occurrence.
    entity: Option<EntityType>,
}

enum Begin {
    Private(usize),
    /// A header whose label has not fully arrived.
    Undecided(usize),
    /// Not a private key; look again from here.
    Skip(usize),
}

impl Redactor {
    pub fn new(opts: RedactorOptions) -> Redactor {
        Redactor {
            opts,
            buf: String::new(),
            ctx: 0,
            pem: Pem::Idle,
            pem_from: 0,
            run_start: 0,
            base: 0,
            blocked: false,
            scratch: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Bytes currently held (not yet released), context excluded.
    pub fn held(&self) -> usize {
        self.buf.len().saturating_sub(self.ctx)
    }

    /// The text held (not yet released), context excluded: a tool call's whole arguments when
    /// nothing of them was released before they were checked.
    pub fn held_text(&self) -> &str {
        self.buf.get(self.ctx..).unwrap_or_default()
    }

    /// Input bytes received so far (appended, held or released).
    pub fn input_offset(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Input bytes released so far, as text or as a replacement. Exact while releases are
    /// mappable (`Sink::rewritten` false); the caller maps output onto input only then.
    pub fn released_offset(&self) -> u64 {
        self.base + self.ctx as u64
    }

    /// Adds `text` and releases what has become final.
    pub fn push(&mut self, text: &str, det: &dyn Detector, sink: &mut Sink) {
        self.append(text);
        self.release_ready(det, sink);
    }

    /// Adds `text` without scanning. Why: a body chunk often brings many small deltas, and
    /// scanning the held window once per chunk instead of once per delta gives the same output
    /// (appending then releasing is a push of the concatenation) at a fraction of the cost.
    pub fn append(&mut self, text: &str) {
        if self.blocked {
            return;
        }
        let old = self.buf.len();
        self.buf.push_str(text);
        if let Some(i) = text.bytes().rposition(is_separator) {
            self.run_start = old + i + 1;
        }
    }

    /// Releases what has become final since the last release.
    pub fn release_ready(&mut self, det: &dyn Detector, sink: &mut Sink) {
        if self.blocked {
            return;
        }
        self.process(det, false, sink);
    }

    /// Releases everything still held (the text stream ended).
    pub fn finish(&mut self, det: &dyn Detector, sink: &mut Sink) {
        if self.blocked {
            return;
        }
        self.process(det, true, sink);
        let len = self.buf.len();
        self.drain_front(len);
        self.run_start = 0;
        self.ctx = 0;
        self.pem = Pem::Idle;
        self.pem_from = 0;
    }

    fn process(&mut self, det: &dyn Detector, fin: bool, sink: &mut Sink) {
        if self.pem == Pem::Drop {
            // Input consumed with nothing in its place.
            sink.rewritten = true;
            match find_end_line(&self.buf, 0) {
                Some(end) => {
                    self.drain_front(end);
                    self.ctx = 0;
                    self.pem = Pem::Idle;
                    self.pem_from = 0;
                }
                None => {
                    let keep = floor_boundary(&self.buf, self.buf.len().saturating_sub(END_TAIL));
                    self.drain_front(keep);
                    self.ctx = 0;
                    if fin {
                        self.drain_front(self.buf.len());
                    }
                    return;
                }
            }
        }
        let len = self.buf.len();
        let mut horizon = if fin {
            len
        } else {
            floor_boundary(&self.buf, len.saturating_sub(self.opts.window))
        };
        if !fin && self.opts.run_cap > 0 {
            // A token still growing at the end is held whole (up to the cap).
            let run = self.run_start.max(len.saturating_sub(self.opts.run_cap));
            horizon = horizon.min(floor_boundary(&self.buf, run));
        }
        if let (false, Some((token, _))) = (fin, det.canary()) {
            // A canary may be starting at the very end: hold its first bytes.
            horizon = horizon.min(partial_literal(&self.buf, token, self.ctx));
        }
        if !self.opts.private_keys {
            self.release(det, horizon, sink);
            return;
        }
        if !fin {
            // A header may be starting at the very end: hold its first bytes.
            horizon = horizon.min(partial_literal(&self.buf, BEGIN, self.ctx));
        }
        loop {
            match self.pem {
                Pem::Hold { start, searched } => {
                    let from = (start + BEGIN.len()).max(searched.saturating_sub(END_TAIL));
                    match find_end_line(&self.buf, from) {
                        Some(end) => {
                            self.pem = Pem::Idle;
                            self.pem_from = end;
                            continue;
                        }
                        None if fin || len.saturating_sub(start) > self.opts.pem_cap => {
                            self.overflow(det, start, fin, sink);
                            return;
                        }
                        None => {
                            self.pem = Pem::Hold {
                                start,
                                searched: len,
                            };
                            horizon = horizon.min(start);
                        }
                    }
                    break;
                }
                Pem::Idle => match find_begin(&self.buf, self.ctx.max(self.pem_from)) {
                    Some(Begin::Private(start)) => self.pem = Pem::Hold { start, searched: 0 },
                    Some(Begin::Undecided(start)) => {
                        if fin {
                            self.pem_from = start + BEGIN.len();
                        } else {
                            horizon = horizon.min(start);
                            break;
                        }
                    }
                    Some(Begin::Skip(from)) => self.pem_from = from,
                    None => {
                        // No header starts before the last few bytes (a partial one there is
                        // held above): the next search starts there, not at the held text's
                        // start again.
                        let tail = len.saturating_sub(BEGIN.len() - 1);
                        self.pem_from = floor_boundary(&self.buf, tail).max(self.pem_from);
                        break;
                    }
                },
                Pem::Drop => break,
            }
        }
        self.release(det, horizon, sink);
    }

    /// Releases up to `horizon`: findings ending before it are final, text before the first
    /// finding that reaches past it is plain.
    fn release(&mut self, det: &dyn Detector, horizon: usize, sink: &mut Sink) {
        let c = self.ctx;
        if horizon <= c {
            return;
        }
        self.scratch.clear();
        det.scan(&self.buf, &mut self.scratch);
        resolve_overlaps(&mut self.scratch);
        self.collect_items(det);
        let mut pos = c;
        let mut limit = horizon;
        for item in &self.items {
            if item.span.end <= pos {
                continue;
            }
            // A finding reaching into released context only happens when a detector looks
            // further back than `lookbehind`; the held part of it is still redacted. Likewise
            // the part of a grown canary that an earlier finding did not cover.
            let start = item.span.start.max(pos);
            if item.span.end > horizon {
                limit = limit.min(start);
                break;
            }
            let action = match item.entity {
                Some(entity) => {
                    let action = det.action(entity);
                    sink.hits.push(Hit { entity, action });
                    action
                }
                None => {
                    let action = det.canary().map_or(FindingAction::Keep, |(_, a)| a);
                    sink.leaks.push(action);
                    action
                }
            };
            match action {
                FindingAction::Redact => {
                    sink.text
                        .push_str(self.buf.get(pos..start).unwrap_or_default());
                    let matched = self.buf.get(start..item.span.end).unwrap_or_default();
                    let out_start = sink.text.len();
                    match item.entity {
                        Some(entity) => det.replace(entity, matched, &mut sink.text),
                        None => sink.text.push_str(CANARY_LABEL),
                    }
                    sink.marks.push(Mark {
                        input: self.base + start as u64..self.base + item.span.end as u64,
                        output: out_start..sink.text.len(),
                    });
                    pos = item.span.end;
                }
                FindingAction::Block => {
                    sink.text
                        .push_str(self.buf.get(pos..start).unwrap_or_default());
                    match item.entity {
                        Some(entity) => sink.blocked = Some(entity),
                        None => sink.leak_blocked = true,
                    }
                    sink.rewritten = true;
                    self.blocked = true;
                    self.buf = String::new();
                    self.run_start = 0;
                    self.ctx = 0;
                    return;
                }
                FindingAction::Keep => {}
            }
        }
        if limit > pos {
            sink.text
                .push_str(self.buf.get(pos..limit).unwrap_or_default());
            pos = limit;
        }
        self.trim(pos);
    }

    /// Merges the findings in `scratch` with the canary's occurrences in `buf` into `items`,
    /// by start. A finding that overlaps a canary is folded into it (the canary's span grows to
    /// cover both), so no part of either is released as plain text.
    fn collect_items(&mut self, det: &dyn Detector) {
        self.items.clear();
        let token = det.canary().map(|(t, _)| t).filter(|t| !t.is_empty());
        let Some(token) = token else {
            self.items.extend(self.scratch.iter().map(|f| Item {
                span: f.span.clone(),
                entity: Some(f.entity),
            }));
            return;
        };
        let mut canaries: Vec<std::ops::Range<usize>> = self
            .buf
            .match_indices(token)
            .map(|(i, t)| i..i + t.len())
            .collect();
        for f in &self.scratch {
            let overlapping = canaries
                .iter_mut()
                .filter(|c| c.start < f.span.end && f.span.start < c.end);
            let mut folded = false;
            for c in overlapping {
                c.start = c.start.min(f.span.start);
                c.end = c.end.max(f.span.end);
                folded = true;
            }
            if !folded {
                self.items.push(Item {
                    span: f.span.clone(),
                    entity: Some(f.entity),
                });
            }
        }
        self.items
            .extend(canaries.into_iter().map(|span| Item { span, entity: None }));
        self.items.sort_by_key(|i| i.span.start);
    }

    /// A private-key block at `start` outgrew the cap (or the stream ended inside it).
    fn overflow(&mut self, det: &dyn Detector, start: usize, fin: bool, sink: &mut Sink) {
        self.release(det, start, sink);
        if self.blocked {
            return;
        }
        let from = self.ctx;
        let action = det.action(EntityType::PrivateKey);
        sink.hits.push(Hit {
            entity: EntityType::PrivateKey,
            action,
        });
        match action {
            FindingAction::Redact => {
                let held = self.buf.get(from..).unwrap_or_default();
                det.replace(EntityType::PrivateKey, held, &mut sink.text);
                sink.rewritten = true;
            }
            FindingAction::Block => {
                sink.blocked = Some(EntityType::PrivateKey);
                sink.rewritten = true;
                self.blocked = true;
                self.buf = String::new();
                self.run_start = 0;
                self.ctx = 0;
                return;
            }
            FindingAction::Keep => {
                sink.text.push_str(self.buf.get(from..).unwrap_or_default());
                let end = self.buf.len();
                self.pem = Pem::Idle;
                self.trim(end);
                self.pem_from = self.buf.len();
                return;
            }
        }
        if fin {
            self.drain_front(self.buf.len());
            self.ctx = 0;
            self.pem = Pem::Idle;
            return;
        }
        // Keep only the tail, where a split END line may be starting.
        let keep = floor_boundary(&self.buf, self.buf.len().saturating_sub(END_TAIL)).max(from);
        self.drain_front(keep);
        self.ctx = 0;
        self.pem = Pem::Drop;
        self.pem_from = 0;
    }

    /// Drops the first `n` bytes of `buf` (`n` on a char boundary).
    fn drain_front(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.base += n as u64;
        self.run_start = self.run_start.saturating_sub(n);
    }

    /// Marks `..pos` released, keeping `lookbehind` bytes of it as context.
    fn trim(&mut self, pos: usize) {
        let cut = floor_boundary(&self.buf, pos.saturating_sub(self.opts.lookbehind));
        self.drain_front(cut);
        self.ctx = pos - cut;
        self.pem_from = self.pem_from.saturating_sub(cut);
        if let Pem::Hold { start, searched } = &mut self.pem {
            *start = start.saturating_sub(cut);
            *searched = searched.saturating_sub(cut);
        }
    }
}

/// Redacts a complete text exactly as a redactor fed any split of it would.
pub fn redact_whole(text: &str, det: &dyn Detector, opts: RedactorOptions) -> Sink {
    let mut r = Redactor::new(opts);
    let mut sink = Sink::default();
    r.push(text, det, &mut sink);
    r.finish(det, &mut sink);
    sink
}

/// Bytes that end a run of token characters: no match longer than the window contains one.
/// Whitespace, and what RFC 3986 excludes from URLs and no token, key or address contains.
fn is_separator(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\\' | b'<' | b'>' | b'{' | b'}' | b'`' | b'|' | b'^'
        )
}

fn push_label(out: &mut String, entity: EntityType) {
    crate::redact::write_label(entity.name(), out);
}

fn find_begin(buf: &str, from: usize) -> Option<Begin> {
    let i = find(buf.as_bytes().get(from..)?, BEGIN.as_bytes())?;
    let start = from + i;
    let after = start + BEGIN.len();
    let head_end = (after + MAX_LABEL + DASHES.len()).min(buf.len());
    let head = buf.as_bytes().get(after..head_end)?;
    match head
        .windows(DASHES.len())
        .position(|w| w == DASHES.as_bytes())
    {
        Some(n) => {
            let label = buf.get(after..after + n).unwrap_or_default();
            let private = (label.ends_with("PRIVATE KEY") || label == "PGP PRIVATE KEY BLOCK")
                && !label.contains(['\n', '\r']);
            Some(if private {
                Begin::Private(start)
            } else {
                Begin::Skip(after)
            })
        }
        None if head.len() < MAX_LABEL + DASHES.len() => Some(Begin::Undecided(start)),
        None => Some(Begin::Skip(after)),
    }
}

/// Where a proper, non-empty prefix of `literal` ends `buf` (searched from `from`), else
/// `buf.len()`.
fn partial_literal(buf: &str, literal: &str, from: usize) -> usize {
    let len = buf.len();
    let lo = len
        .saturating_sub(literal.len().saturating_sub(1))
        .max(from);
    (lo..len)
        .find(|&p| {
            buf.as_bytes()
                .get(p..)
                .is_some_and(|tail| literal.as_bytes().starts_with(tail))
        })
        .unwrap_or(len)
}

/// The end of the first complete `-----END <label>-----` at or after `from`.
fn find_end_line(buf: &str, from: usize) -> Option<usize> {
    let mut from = from;
    loop {
        let i = find(buf.as_bytes().get(from..)?, END.as_bytes())?;
        let after = from + i + END.len();
        let head_end = (after + MAX_LABEL + DASHES.len()).min(buf.len());
        let head = buf.as_bytes().get(after..head_end)?;
        match head
            .windows(DASHES.len())
            .position(|w| w == DASHES.as_bytes())
        {
            Some(n) => return Some(after + n + DASHES.len()),
            None if head.len() < MAX_LABEL + DASHES.len() => return None,
            None => from = after,
        }
    }
}
