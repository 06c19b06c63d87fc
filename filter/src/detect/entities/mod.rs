//! Built-in entity detectors, compiled into one scanner per policy direction.
//!
//! One pass over the bytes finds every candidate, and hand-written validators grow each
//! candidate into a span or reject it (no regular expressions on the hot path):
//!
//! * **anchors**: every anchored detector names literal anchors (a vendor prefix, `@`, `://`,
//!   `-----BEGIN `, a password label). Each anchor is keyed on its rarest *pair* of adjacent
//!   bytes (`p_` of `ghp_`, `nw` of `kennwort`, chosen when the scanner is built from a byte
//!   commonness ranking and a list of the letter pairs common in prose), and the pass compares
//!   an anchor only where its key pair occurs: one lookup per byte in a 64 KiB pair table,
//!   eight pairs per step, each pair read as one 16-bit load. The table entry names the group
//!   of anchors keyed on that very pair, so a hit compares only those. (One aho-corasick
//!   automaton over these ~100 anchors, which start with almost every letter, admits no
//!   prefilter and measured several times slower.)
//! * **structure**: the same pass stops at the bytes that start structured numbers: digit runs
//!   for cards, SSNs, phones, IPv4 and IBANs; `:` for IPv6 and MAC; `-`/`.` for the other MAC
//!   forms.
//!
//! Every validator reads a bounded window from its candidate, so the scan is linear in the
//! input however adversarial it is.

mod aws_secret;
mod cards;
pub(crate) mod checksum;
mod digits;
mod email;
mod fold;
mod iban;
mod ip;
mod jwt;
mod mac;
mod password;
mod pem;
mod phone;
mod replacement;
mod ssn;
mod tokens;
mod url_creds;
pub(crate) mod util;
mod vendors;

use super::Finding;
use crate::entity::EntityType;
use std::collections::BTreeMap;
use std::ops::Range;

/// Grows the anchor hit at `start..anchor_end` into a finding's span, or rejects it.
type Validator = fn(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>>;

struct Detector {
    entity: EntityType,
    anchors: &'static [&'static str],
    /// Whether the anchors match in any ASCII case (labels) or only as written (prefixes).
    any_case: bool,
    validate: Validator,
}

const fn exact(
    entity: EntityType,
    anchors: &'static [&'static str],
    validate: Validator,
) -> Detector {
    Detector {
        entity,
        anchors,
        any_case: false,
        validate,
    }
}

const fn any_case(
    entity: EntityType,
    anchors: &'static [&'static str],
    validate: Validator,
) -> Detector {
    Detector {
        entity,
        anchors,
        any_case: true,
        validate,
    }
}

use EntityType as E;

/// Every anchored detector.
const DETECTORS: &[Detector] = &[
    exact(E::Email, &["@"], email::extend),
    exact(
        E::AwsAccessKeyId,
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        tokens::aws_access_key_id,
    ),
    any_case(
        E::AwsSecretAccessKey,
        &[
            "secret_access_key",
            "secretaccesskey",
            "secret access key",
            "secret-access-key",
            "aws_secret",
            "aws secret",
            "aws-secret",
            "secret_key",
            "secretkey",
        ],
        aws_secret::aws_secret_key,
    ),
    exact(
        E::GithubToken,
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        tokens::github_token,
    ),
    exact(
        E::SlackToken,
        &[
            "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-",
        ],
        tokens::slack_token,
    ),
    exact(
        E::SlackToken,
        &["hooks.slack.com/services/"],
        tokens::slack_webhook,
    ),
    exact(
        E::StripeKey,
        &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        tokens::stripe_key,
    ),
    exact(E::OpenaiApiKey, &["sk-"], tokens::openai_key),
    exact(E::AnthropicApiKey, &["sk-ant-"], tokens::anthropic_key),
    exact(E::GoogleApiKey, &["AIza"], tokens::google_api_key),
    exact(E::Jwt, &["eyJ"], jwt::jwt),
    exact(E::PrivateKey, &["-----BEGIN "], pem::private_key),
    exact(E::UrlCredentials, &["://"], url_creds::url_credentials),
    any_case(
        E::Password,
        &["pass", "pwd", "pw", "kennwort", "wachtwoord"],
        password::labelled,
    ),
    any_case(
        E::Password,
        &["mot de passe", "contraseña", "hasło", "lösenord"],
        password::labelled_phrase,
    ),
    exact(E::Password, &[" / "], password::login_with),
    exact(E::Password, &["-p"], password::mysql_p),
    exact(E::Password, &["-u "], password::curl_u),
];

/// Types found by the byte pass rather than by anchors.
const BYTE_TYPES: &[EntityType] = &[
    E::CreditCard,
    E::UsSsn,
    E::Phone,
    E::Iban,
    E::Ipv4,
    E::Ipv6,
    E::MacAddress,
];

impl EntityType {
    /// Whether a built-in detector exists for this type.
    pub fn is_implemented(self) -> bool {
        DETECTORS.iter().any(|d| d.entity == self)
            || BYTE_TYPES.contains(&self)
            || vendors::DETECTORS.iter().any(|d| d.entity == self)
    }
}

/// Which byte-pass detectors are on.
#[derive(Debug, Clone, Copy, Default)]
struct ByteDetectors {
    card: bool,
    ssn: bool,
    phone: bool,
    iban: bool,
    ipv4: bool,
    ipv6: bool,
    mac: bool,
}

impl ByteDetectors {
    fn digits(&self) -> bool {
        self.card || self.ssn || self.phone || self.iban || self.ipv4
    }
    fn any(&self) -> bool {
        self.digits() || self.ipv6 || self.mac
    }
}

/// An enabled anchor: its text, how to match it, and the detector it belongs to.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    pattern: &'static str,
    any_case: bool,
    /// Offset of the key pair (the rarest) within `pattern`.
    key: usize,
    /// The first four bytes of `pattern`, compared in one load before any byte loop.
    prefix: Prefix,
    entity: EntityType,
    validate: Validator,
}

impl Anchor {
    /// Whether the anchor is written at `start` (in any ASCII case when `any_case`). Most key
    /// hits are other words (`pa` of `part`), and one 32-bit comparison rejects them.
    fn is_at(&self, bytes: &[u8], start: usize) -> bool {
        let pattern = self.pattern.as_bytes();
        if let Some(word) = bytes.get(start..).and_then(|rest| rest.first_chunk::<4>()) {
            if !self.prefix.matches(u32::from_le_bytes(*word)) {
                return false;
            }
            if pattern.len() <= 4 {
                return true;
            }
        }
        let Some(window) = bytes.get(start..start + pattern.len()) else {
            return false;
        };
        if self.any_case {
            window.eq_ignore_ascii_case(pattern)
        } else {
            window == pattern
        }
    }
}

/// Up to four leading bytes of an anchor as a little-endian word: `value` holds them
/// (letters lower-cased when the anchor matches any case), `mask` covers the bytes the anchor
/// has, and `fold` sets the lower-case bit (0x20) in the lanes of letters that match any case.
/// OR-ing 0x20 into a text byte gives a lower-case letter only for that letter's two cases,
/// so the word test agrees with `eq_ignore_ascii_case` on those bytes.
#[derive(Debug, Clone, Copy)]
struct Prefix {
    value: u32,
    mask: u32,
    fold: u32,
}

impl Prefix {
    fn of(pattern: &[u8], any_case: bool) -> Prefix {
        let (mut value, mut mask, mut fold) = ([0u8; 4], [0u8; 4], [0u8; 4]);
        for (j, &b) in pattern.iter().take(4).enumerate() {
            let letter = any_case && b.is_ascii_alphabetic();
            let lanes = (value.get_mut(j), mask.get_mut(j), fold.get_mut(j));
            if let (Some(v), Some(m), Some(f)) = lanes {
                *v = if letter { b.to_ascii_lowercase() } else { b };
                *m = 0xFF;
                *f = if letter { 0x20 } else { 0 };
            }
        }
        Prefix {
            value: u32::from_le_bytes(value),
            mask: u32::from_le_bytes(mask),
            fold: u32::from_le_bytes(fold),
        }
    }

    #[inline(always)]
    fn matches(self, word: u32) -> bool {
        (word | self.fold) & self.mask == self.value
    }
}

/// A trigger-table entry: the low bits name the pair's anchor group (0: none), so a hit
/// compares only the anchors keyed on exactly that pair; the high bit marks a pair that starts a
/// structured number.
const ANCHOR_GROUP: u8 = 0x7F;
const STARTS_NUMBER: u8 = 0x80;

/// One flag byte per byte pair, at `pair_index(a, b)`. A fixed-size array rather than a
/// slice: an index built from two bytes is provably in range, so the lookups in the hot loop
/// carry no bounds check.
type PairTable = [u8; 1 << 16];

/// Where the pair `a`, `b` sits in a `PairTable`: `a | b << 8`, the two bytes read as one
/// little-endian `u16`, so the hot loop fetches each index with a single 16-bit load (x86 and
/// Wasm are both little-endian) instead of two byte loads, a shift and an or.
#[inline(always)]
fn pair_index(a: u8, b: u8) -> usize {
    usize::from(u16::from_le_bytes([a, b]))
}

/// The flags of the pair `a`, `b`.
#[inline(always)]
fn pair(triggers: &PairTable, a: u8, b: u8) -> u8 {
    triggers.get(pair_index(a, b)).copied().unwrap_or(0)
}

/// The flags of the byte pair starting at `i` (the last byte pairs with 0).
fn pair_flags(triggers: &PairTable, bytes: &[u8], i: usize) -> u8 {
    let first = bytes.get(i).copied().unwrap_or(0);
    let second = bytes.get(i + 1).copied().unwrap_or(0);
    pair(triggers, first, second)
}

/// The flags of the pair at `j` of a nine-byte window, the pair read as one 16-bit load.
#[inline(always)]
fn window_pair(triggers: &PairTable, w: &[u8; 9], j: usize) -> u8 {
    w.get(j..j + 2)
        .and_then(|p| <[u8; 2]>::try_from(p).ok())
        .map_or(0, |p| pair_flags_of(triggers, u16::from_le_bytes(p)))
}

/// The flags of the pair whose two bytes, read as a little-endian `u16`, make `index`.
#[inline(always)]
fn pair_flags_of(triggers: &PairTable, index: u16) -> u8 {
    triggers.get(usize::from(index)).copied().unwrap_or(0)
}

/// The first trigger pair of a window known to hold one. Kept out of line: inlined, the
/// compiler keeps all eight flags of every window alive for it and slows the fast loop.
#[inline(never)]
fn first_in_window(triggers: &PairTable, w: &[u8; 9]) -> Option<(usize, u8)> {
    (0..8).find_map(|j| {
        let flags = window_pair(triggers, w, j);
        (flags != 0).then_some((j, flags))
    })
}

/// The first offset `>= from` where a trigger pair starts (the last byte pairs with 0), and
/// that pair's flags. Eight pairs per step, their table lookups OR-ed without a branch per
/// byte: on prose almost every step finds nothing, and this loop is most of the scan's cost.
fn next_trigger(triggers: &PairTable, bytes: &[u8], from: usize) -> Option<(usize, u8)> {
    let mut rest = bytes.get(from..)?;
    while let Some(w) = rest.first_chunk::<9>() {
        let t = |j| window_pair(triggers, w, j);
        if t(0) | t(1) | t(2) | t(3) | t(4) | t(5) | t(6) | t(7) != 0 {
            let k = bytes.len() - rest.len();
            return first_in_window(triggers, w).map(|(j, flags)| (k + j, flags));
        }
        rest = rest.get(8..)?;
    }
    let k = bytes.len() - rest.len();
    (k..bytes.len()).find_map(|i| {
        let flags = pair_flags(triggers, bytes, i);
        (flags != 0).then_some((i, flags))
    })
}

/// The pairs common in English prose, most common first: lower-case letter pairs and a letter
/// before a space, each above 0.1 ‰ of the byte pairs of the injection corpus' dev split
/// (`../shared/eval/injection/dev.jsonl`, prompts, case folded). A byte ranking alone keys
/// `kennwort` on `ke` (token, like, make) and `wachtwoord` on `ch` (which, each); these keys
/// stop the pass every few hundred bytes of prose, `nw` and `tw` almost never.
const PROSE_PAIRS: &str = concat!(
    "e |s |th|in|t |re|an|on|er|he|n |d |te|es|or|at|r |st|en|ti|se|ou|y |is|al|it|nt|o |nd|le|",
    "ng|to|ar|co|de|a |ra|ed|l |io|ha|ne|ns|as|ve|ll|g |ri|ic|li|me|ac|ma|ro|f |ch|fo|ta|et|ct|",
    "tr|ca|hi|il|yo|om|ur|us|pr|ho|ea|wi|po|el|ul|ai|ec|of|h |na|ce|no|lo|da|si|fi|do|em|ge|un|",
    "ot|ut|be|m |ss|u |pl|im|nc|di|ow|pe|la|mp|ly|am|mo|so|ev|rs|ex|ol|sp|ue|ad|ie|id|pt|eg|ry|",
    "od|gi|pa|ni|i |bl|ay|ts|ab|vi|su|rt|sh|if|wh|ke|ld|qu|ci|wa|ny|os|iv|mi|we|ee|ir|ru|ck|rm|",
    "w |op|rd|tu|sa|sc|cr|ty|ip|ig|av|ys|ag|ep|wo|pu|ia|oc|va|cl|k |fr|ga|um|lu|rn|tt|fu|cu|p |",
    "bo|uc|ls|nf|fe|ba|ov|lt|rr|ef|rc|ap|bu|ff|ib|cc|bi|og|gr|sw|ak|ds|ei|up|ud|du|nn|c |mb|pi|",
    "oi|mu|xt|ht|gp|gu|ki|ua|pp|tp|yt|oo|by|dd|go|mm|rg|eq|br|sy|fa|wr|my|ui|au|gh|nu|py|xp|nl|",
    "ph|cy|iz|sk|ey|tg|yp|dr|rv|ob|lw|ik|af|rk|ew|rl|rp|tl|gn|ub|ps|tw|ze|nv|dm|xa|oe|hu|x |ks|",
    "td|hy|lf|ms|gs|eb|ix|ok|ju|hr|eo|je|ug|kn|uf|oa|ye|ft|ax|nk|ww|gl|ka|np|vo|wn|sm|sl|ja|aw|",
    "sf|pd|oh|dl|tc|za|jo|lp|fl|yi|sn|xi|bj|cs|kl|b |bs|ws|eh|xe|fy|dy|gg|oy|tm|df|hn|nh|xc|dn|",
    "sr|lc|dv|lm|dg|gt",
);

/// Key scores of the pairs in `PROSE_PAIRS` start here, above any score `commonness` gives a
/// pair, so that an anchor is keyed on a prose pair only when it has nothing else.
const PROSE_RANKED: u32 = 1000;

/// The rank of every pair in `PROSE_PAIRS`, for the pairs of lower-case letters and of a letter
/// and a space: 0 absent, else the distance from the end of the list plus one (the most common
/// pair ranks highest). Built once per scanner.
struct ProseRanks([u16; 26 * 27]);

impl ProseRanks {
    fn slot(a: u8, b: u8) -> Option<usize> {
        let first = usize::from(a.checked_sub(b'a').filter(|&x| x < 26)?);
        let second = match b {
            b' ' => 26,
            b'a'..=b'z' => usize::from(b - b'a'),
            _ => return None,
        };
        Some(first * 27 + second)
    }

    fn new() -> ProseRanks {
        let mut ranks = [0u16; 26 * 27];
        let pairs: Vec<&[u8]> = PROSE_PAIRS.as_bytes().split(|&b| b == b'|').collect();
        for (from_end, pair) in pairs.iter().rev().enumerate() {
            let rank = u16::try_from(from_end + 1).unwrap_or(u16::MAX);
            if let [a, b] = **pair {
                if let Some(r) = Self::slot(a, b).and_then(|i| ranks.get_mut(i)) {
                    *r = rank;
                }
            }
        }
        ProseRanks(ranks)
    }

    /// The rank of the pair `a`, `b`, if it is a prose pair.
    fn get(&self, a: u8, b: u8) -> Option<u32> {
        let rank = *self.0.get(Self::slot(a, b)?)?;
        (rank != 0).then_some(u32::from(rank))
    }
}

/// How common a byte is in text (lower = rarer): the anchor's key is its rarest pair by this
/// ranking, outside `PROSE_PAIRS`, so the pass compares anchors as seldom as possible. Digits
/// never key an anchor (digit runs are skipped whole by the structured pass).
fn commonness(b: u8) -> u32 {
    const LOWER_BY_FREQUENCY: &[u8] = b"zqxjkvbpygwfmculdrhsnioate";
    match b {
        b'@' | b'=' | b'/' | b'\\' | b'<' | b'>' => 0,
        b'_' => 35,
        b':' => 3,
        // Capitals are rarer than their lower-case letters, but `I`, `A`, `T` start sentences.
        b'A'..=b'Z' => {
            36 + LOWER_BY_FREQUENCY
                .iter()
                .position(|&c| c == b.to_ascii_lowercase())
                .map_or(0, |p| p as u32)
        }
        b'-' => 45,
        b'.' => 50,
        b'a'..=b'z' => {
            40 + LOWER_BY_FREQUENCY
                .iter()
                .position(|&c| c == b)
                .map_or(0, |p| p as u32)
        }
        // UTF-8 continuation bytes: each value is rare in Latin text and 1/64 of CJK text.
        0x80..=0xBF => 38,
        0xC0..=0xFF => 70,
        b'0'..=b'9' | b' ' => u32::MAX,
        _ => 20,
    }
}

/// Sorts findings by start and merges those that overlap into one finding over their union,
/// of the type of the longest. Why a union rather than keeping the longer of two
/// (`detect::resolve_overlaps`): findings that overlap without one holding the other (a URL
/// whose path runs into the next URL's userinfo) would leave the part of the shorter one that
/// the longer does not cover in clear, and a second scan of the redacted text would find it.
fn merge_overlaps(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(b.span.end.cmp(&a.span.end))
    });
    // Each kept finding, and the length of the longest finding merged into it.
    let mut kept: Vec<(Finding, usize)> = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        let len = f.span.len();
        match kept.last_mut() {
            Some((last, longest)) if f.span.start < last.span.end => {
                if len > *longest {
                    last.entity = f.entity;
                    *longest = len;
                }
                last.span.end = last.span.end.max(f.span.end);
            }
            _ => kept.push((f, len)),
        }
    }
    findings.extend(kept.into_iter().map(|(f, _)| f));
}

/// The compiled detectors for one set of entity types.
#[derive(Clone)]
pub struct EntityScanner {
    anchors: Vec<Anchor>,
    /// Anchor groups (indices into `anchors`), numbered by the trigger table; group 0 is empty.
    groups: Vec<Vec<u16>>,
    /// For each byte pair (at `pair_index`): its anchor group and `STARTS_NUMBER`. Keying anchors on
    /// a *pair* (`pa` of `password`, `p_` of `ghp_`) makes candidates several times rarer than
    /// a single letter would; 64 KiB per scanner, built once per policy.
    triggers: Box<PairTable>,
    bytes: ByteDetectors,
}

impl std::fmt::Debug for EntityScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityScanner")
            .field("anchors", &self.anchors.len())
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

/// Marks every pair whose first byte is `first` (a one-byte trigger).
fn mark_first(triggers: &mut PairTable, first: u8, flag: u8) {
    for second in 0..=255u8 {
        if let Some(t) = triggers.get_mut(pair_index(first, second)) {
            *t |= flag;
        }
    }
}

/// Both ASCII cases of `b` when `any_case`, else `b` alone.
fn cases(b: u8, any_case: bool) -> impl Iterator<Item = u8> {
    let (lo, up) = (b.to_ascii_lowercase(), b.to_ascii_uppercase());
    let second = (any_case && lo != up).then_some(if b == lo { up } else { lo });
    std::iter::once(b).chain(second)
}

/// Why a scanner could not be built. Kept for the API: the anchor tables cannot fail to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

impl EntityScanner {
    /// Builds a scanner for `types`; types without a detector are skipped.
    pub fn new(types: &[EntityType]) -> Result<EntityScanner, BuildError> {
        let all = DETECTORS
            .iter()
            .map(|d| (d.entity, d.anchors, d.any_case, d.validate))
            .chain(
                vendors::DETECTORS
                    .iter()
                    .map(|d| (d.entity, d.anchors, false, d.validate)),
            );
        let prose = ProseRanks::new();
        let mut anchors = Vec::new();
        // The anchors keyed on each pair, then numbered as groups (pairs with the same anchors,
        // such as `@` before any letter, share one).
        let mut by_pair: BTreeMap<usize, Vec<u16>> = BTreeMap::new();
        for (entity, list, any_case, validate) in all {
            if !types.contains(&entity) {
                continue;
            }
            for pattern in list {
                let bytes = pattern.as_bytes();
                let fold = |b: u8| if any_case { b.to_ascii_lowercase() } else { b };
                // The key pair: the rarest two adjacent bytes (the second may be a space).
                let score = |k: usize| {
                    let first = bytes.get(k).map_or(u32::MAX, |&b| commonness(fold(b)));
                    let second = bytes.get(k + 1).map(|&b| fold(b));
                    match second.and_then(|b| prose.get(bytes.get(k).map(|&a| fold(a))?, b)) {
                        Some(rank) => PROSE_RANKED.saturating_add(rank),
                        None => first.saturating_add(second.map_or(0, |b| commonness(b).min(80))),
                    }
                };
                let key = (0..bytes.len().saturating_sub(1).max(1))
                    .min_by_key(|&k| score(k))
                    .unwrap_or(0);
                let Some(&kb) = bytes.get(key) else { continue };
                let second = bytes.get(key + 1).copied();
                let index = u16::try_from(anchors.len())
                    .map_err(|_| BuildError("too many entity anchors".into()))?;
                anchors.push(Anchor {
                    pattern,
                    any_case,
                    key,
                    prefix: Prefix::of(bytes, any_case),
                    entity,
                    validate,
                });
                let mut key_pair = |pair: usize| by_pair.entry(pair).or_default().push(index);
                for first in cases(kb, any_case) {
                    match second {
                        // `@`: only before what can start a domain.
                        None => {
                            for b in 0..=255u8 {
                                if b.is_ascii_alphanumeric() || b >= 0x80 {
                                    key_pair(pair_index(first, b));
                                }
                            }
                        }
                        Some(sb) => {
                            for s2 in cases(sb, any_case) {
                                key_pair(pair_index(first, s2));
                            }
                        }
                    }
                }
            }
        }
        // Built on the heap: a 64 KiB array on the stack is a needless risk in a Wasm VM.
        let mut triggers: Box<PairTable> = vec![0u8; 1 << 16]
            .into_boxed_slice()
            .try_into()
            .map_err(|_| BuildError("pair table size".into()))?;
        let mut groups: Vec<Vec<u16>> = vec![Vec::new()];
        let mut numbered: BTreeMap<Vec<u16>, u8> = BTreeMap::new();
        for (pair, list) in by_pair {
            let group = match numbered.get(&list) {
                Some(&g) => g,
                None => {
                    let g = u8::try_from(groups.len())
                        .ok()
                        .filter(|&g| g <= ANCHOR_GROUP)
                        .ok_or_else(|| BuildError("too many entity anchor groups".into()))?;
                    groups.push(list.clone());
                    numbered.insert(list, g);
                    g
                }
            };
            if let Some(t) = triggers.get_mut(pair) {
                *t |= group;
            }
        }
        let on = |t: EntityType| types.contains(&t);
        let bytes = ByteDetectors {
            card: on(E::CreditCard),
            ssn: on(E::UsSsn),
            phone: on(E::Phone),
            iban: on(E::Iban),
            ipv4: on(E::Ipv4),
            ipv6: on(E::Ipv6),
            mac: on(E::MacAddress),
        };
        if bytes.digits() {
            for b in b'0'..=b'9' {
                mark_first(&mut triggers, b, STARTS_NUMBER);
            }
        }
        // Separators matter only before a hex digit (`:` also before `::`): `. ` ending a
        // sentence or `- ` in a list never starts an address.
        let hex_or_colon = |b: u8| b.is_ascii_hexdigit() || b == b':';
        let mut mark_before = |first: u8, second: &dyn Fn(u8) -> bool| {
            for b in 0..=255u8 {
                if second(b) {
                    if let Some(t) = triggers.get_mut(pair_index(first, b)) {
                        *t |= STARTS_NUMBER;
                    }
                }
            }
        };
        if bytes.ipv6 || bytes.mac {
            mark_before(b':', &hex_or_colon);
        }
        if bytes.mac {
            mark_before(b'-', &|b: u8| b.is_ascii_hexdigit());
            mark_before(b'.', &|b: u8| b.is_ascii_hexdigit());
        }
        Ok(EntityScanner {
            anchors,
            groups,
            triggers,
            bytes,
        })
    }

    /// Whether this scanner can find anything at all.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty() && !self.bytes.any()
    }

    /// Appends the entities in `text` to `out`, sorted and without overlaps.
    pub fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        let first_new = out.len();
        if !self.is_empty() {
            match fold::fold(text) {
                None => self.scan_bytes(text, out),
                // Invisible, tag or fullwidth characters: scan the folded copy, report spans
                // of the original that cover whatever hid the value.
                Some(folded) => {
                    let mut found = Vec::new();
                    self.scan_bytes(&folded.text, &mut found);
                    out.extend(found.into_iter().filter_map(|f| {
                        let span = folded.original_span(text, &f.span)?;
                        Some(Finding { span, ..f })
                    }));
                }
            }
        }
        let mut mine = out.split_off(first_new);
        // The same span found twice (`password = <vendor token>`): the vendor's type is more
        // specific than PASSWORD. `merge_overlaps` keeps the type of the first of equally
        // long findings (its sort is stable), so the generic type goes last.
        mine.sort_by_key(|f| f.entity == E::Password);
        merge_overlaps(&mut mine);
        out.append(&mut mine);
    }

    /// The anchors of `group`, keyed on the pair at `i`.
    fn at_key(&self, text: &str, i: usize, group: u8, out: &mut Vec<Finding>) {
        let Some(list) = self.groups.get(usize::from(group)) else {
            return;
        };
        let bytes = text.as_bytes();
        for &index in list {
            let Some(anchor) = self.anchors.get(usize::from(index)) else {
                continue;
            };
            let Some(start) = i.checked_sub(anchor.key) else {
                continue;
            };
            if !anchor.is_at(bytes, start) {
                continue;
            }
            let end = start + anchor.pattern.len();
            if let Some(span) = (anchor.validate)(text, start, end) {
                if text.is_char_boundary(span.start) && text.is_char_boundary(span.end) {
                    out.push(Finding {
                        entity: anchor.entity,
                        span,
                    });
                }
            }
        }
    }

    /// The single pass: anchors at their key bytes, structured numbers at theirs.
    fn scan_bytes(&self, text: &str, out: &mut Vec<Finding>) {
        let d = self.bytes;
        let bytes = text.as_bytes();
        let triggers: &PairTable = &self.triggers;
        let mut i = 0;
        // End of the last colon region: IPv6/MAC regions are read once.
        let mut colon_done = 0;
        // Skip to the next byte pair that can start a candidate (one table lookup per byte).
        while let Some((next, flags)) = next_trigger(triggers, bytes, i) {
            i = next;
            let Some(&b) = bytes.get(i) else { break };
            if flags & ANCHOR_GROUP != 0 {
                self.at_key(text, i, flags & ANCHOR_GROUP, out);
            }
            if flags & STARTS_NUMBER == 0 {
                i += 1;
                continue;
            }
            let mut push = |entity: EntityType, span: Option<Range<usize>>| {
                if let Some(span) = span {
                    out.push(Finding { entity, span });
                }
            };
            match b {
                b'0'..=b'9' => {
                    let run = util::digit_run_len(text, i);
                    if d.digits() {
                        self.at_digit_run(text, i, run, &mut push);
                    }
                    i += run.max(1);
                    continue;
                }
                b':' if i >= colon_done && (d.ipv6 || d.mac) => {
                    let region = ip::colon_region(text, i);
                    colon_done = region.end.max(i + 1);
                    if d.mac {
                        push(E::MacAddress, mac::mac_colon(text, region.clone()));
                    }
                    if d.ipv6 {
                        push(E::Ipv6, ip::ipv6(text, region));
                    }
                }
                b'-' if d.mac => push(E::MacAddress, mac::mac_dash(text, i)),
                b'.' if d.mac => push(E::MacAddress, mac::mac_dotted(text, i)),
                _ => {}
            }
            i += 1;
        }
    }

    /// Every numeric detector at the digit run of `run` bytes starting at `i`.
    fn at_digit_run(
        &self,
        text: &str,
        i: usize,
        run: usize,
        push: &mut impl FnMut(EntityType, Option<Range<usize>>),
    ) {
        let d = self.bytes;
        // Cheap gates first: what follows the run and how long it is decide which numeric
        // shapes are possible at all (`2024 was` rules out everything at once). Runs are
        // measured up to 25 digits: no shape is longer.
        let len = run.min(25);
        let next = util::byte_at(text, i + len);
        let after = util::byte_at(text, i + len + 1);
        let prev = util::byte_before(text, i);
        let grouped = matches!(next, Some(b' ' | b'-' | b'.' | b')' | 0xC2))
            && after.is_some_and(|b| b.is_ascii_digit() || b == b'(' || b == 0xA0 || b == b' ');
        // A lone short number (`in 2024 we`) fails every gate below: no second group, too
        // short for a card or an SSN, no `.` (IPv4) or `)` (phone) after it, no `+`, `(` or
        // country code before it.
        if !grouped
            && len < 9
            && !matches!(next, Some(b'.' | b')'))
            && !matches!(prev, Some(b'+' | b'(' | b'A'..=b'Z'))
        {
            return;
        }
        // Length of the second digit group (after one separator byte, or two for U+00A0 / `) `).
        let len2 = if grouped {
            let skip = match (next, after) {
                (Some(0xC2), _) | (Some(b')'), Some(b' ')) => 2,
                _ => 1,
            };
            util::run_len_max(text, i + len + skip, 8, |b| b.is_ascii_digit())
        } else {
            0
        };
        let first = util::byte_at(text, i);
        if d.ipv4 && len <= 3 && next == Some(b'.') {
            push(E::Ipv4, ip::ipv4(text, i));
        }
        if d.card && ((12..=19).contains(&len) || (len == 4 && matches!(len2, 4 | 6))) {
            push(E::CreditCard, cards::card(text, i));
        }
        if d.ssn && (len == 9 || (len == 3 && len2 == 2)) {
            push(E::UsSsn, ssn::ssn(text, i));
        }
        let phone_shape = matches!(prev, Some(b'+' | b'('))
            || (len == 3 && (len2 == 3 || next == Some(b')')))
            || (len == 1 && first == Some(b'1') && len2 == 3)
            || (grouped && first == Some(b'0'));
        if d.phone && phone_shape {
            push(E::Phone, phone::phone(text, i));
        }
        if d.iban
            && i >= 2
            && text
                .as_bytes()
                .get(i - 2..i)
                .is_some_and(|cc| cc.iter().all(u8::is_ascii_uppercase))
        {
            push(E::Iban, iban::iban(text, i));
        }
    }
}

#[cfg(test)]
mod tests;
