//! Telephone numbers: NANP (`(415) 555-0123`, `415-555-0123`, `+1 415 555 0123`) and
//! international numbers written with `+` or `00`, whose national part must have a length
//! the country's numbering plan allows.

use super::util::{byte_at, byte_before, is_word_byte};
use std::ops::Range;

const MAX_DIGITS: usize = 17;
const MAX_GROUPS: usize = 8;

/// The digit groups of a written phone number.
struct Tokens {
    digits: [u8; MAX_DIGITS],
    n_digits: usize,
    /// Per group: digit count, whether it was in parentheses, the separator byte after the
    /// previous group (0 for none).
    lens: [usize; MAX_GROUPS],
    paren: [bool; MAX_GROUPS],
    seps: [u8; MAX_GROUPS],
    n_groups: usize,
    end: usize,
}

impl Tokens {
    fn digits(&self) -> &[u8] {
        self.digits.get(..self.n_digits).unwrap_or(&[])
    }
    fn lens(&self) -> &[usize] {
        self.lens.get(..self.n_groups).unwrap_or(&[])
    }
    fn paren(&self, i: usize) -> bool {
        self.paren.get(i).copied().unwrap_or(false)
    }
    fn sep(&self, i: usize) -> u8 {
        self.seps.get(i).copied().unwrap_or(0)
    }
}

/// Reads groups of digits from `i`: separated by one space, `-` or `.`, a group may sit in
/// parentheses. Returns `None` when the number runs past `MAX_DIGITS` or `MAX_GROUPS`.
fn tokenize(text: &str, mut i: usize) -> Option<Tokens> {
    let mut t = Tokens {
        digits: [0; MAX_DIGITS],
        n_digits: 0,
        lens: [0; MAX_GROUPS],
        paren: [false; MAX_GROUPS],
        seps: [0; MAX_GROUPS],
        n_groups: 0,
        end: i,
    };
    let mut sep = 0u8;
    loop {
        let paren = byte_at(text, i) == Some(b'(');
        if paren {
            i += 1;
        }
        let mut len = 0;
        while let Some(b) = byte_at(text, i).filter(u8::is_ascii_digit) {
            *t.digits.get_mut(t.n_digits)? = b;
            t.n_digits += 1;
            len += 1;
            i += 1;
        }
        if len == 0 || (paren && byte_at(text, i) != Some(b')')) {
            return if t.n_groups == 0 { None } else { Some(t) };
        }
        if paren {
            i += 1;
        }
        *t.lens.get_mut(t.n_groups)? = len;
        *t.paren.get_mut(t.n_groups)? = paren;
        *t.seps.get_mut(t.n_groups)? = sep;
        t.n_groups += 1;
        t.end = i;
        let next = byte_at(text, i);
        let (skip, s) = match next {
            Some(b @ (b' ' | b'-' | b'.')) => (1, b),
            // `(415)555-0123`: no separator after a parenthesised group.
            Some(b'0'..=b'9') if paren => (0, 0),
            _ => return Some(t),
        };
        match byte_at(text, i + skip) {
            Some(b'0'..=b'9') => {}
            Some(b'(') if byte_at(text, i + skip + 1).is_some_and(|b| b.is_ascii_digit()) => {}
            _ => return Some(t),
        }
        sep = s;
        i += skip;
    }
}

/// Area code and exchange of a NANP number: NXX, not N11; area 555 is fictional.
fn nanp_ok(d: &[u8]) -> bool {
    if d.len() != 10 {
        return false;
    }
    let nxx = |k: usize| {
        let (a, b, c) = (d.get(k), d.get(k + 1), d.get(k + 2));
        matches!(a, Some(b'2'..=b'9')) && !(b == Some(&b'1') && c == Some(&b'1'))
    };
    let area_555 = d.get(..3) == Some(b"555");
    nxx(0) && nxx(3) && !area_555
}

/// National significant number lengths by country calling code (E.164 codes are prefix-free,
/// so at most one entry matches a digit string).
const COUNTRIES: &[(u16, u8, u8)] = &[
    (1, 10, 10),
    (7, 10, 10),
    (20, 8, 10),
    (27, 9, 9),
    (30, 10, 10),
    (31, 9, 9),
    (32, 8, 9),
    (33, 9, 9),
    (34, 9, 9),
    (36, 8, 9),
    (39, 6, 11),
    (40, 9, 9),
    (41, 9, 9),
    (43, 4, 13),
    (44, 9, 10),
    (45, 8, 8),
    (46, 7, 10),
    (47, 8, 8),
    (48, 9, 9),
    (49, 6, 13),
    (51, 8, 9),
    (52, 10, 10),
    (53, 8, 8),
    (54, 10, 11),
    (55, 10, 11),
    (56, 9, 9),
    (57, 10, 10),
    (58, 10, 10),
    (60, 8, 10),
    (61, 9, 9),
    (62, 8, 12),
    (63, 8, 10),
    (64, 8, 10),
    (65, 8, 8),
    (66, 8, 9),
    (81, 9, 10),
    (82, 8, 10),
    (84, 9, 10),
    (86, 10, 11),
    (90, 10, 10),
    (91, 10, 10),
    (92, 9, 10),
    (93, 9, 9),
    (94, 9, 9),
    (95, 8, 10),
    (98, 10, 10),
    (212, 9, 9),
    (213, 8, 9),
    (216, 8, 8),
    (218, 9, 9),
    (221, 9, 9),
    (225, 10, 10),
    (233, 9, 9),
    (234, 8, 10),
    (251, 9, 9),
    (254, 9, 9),
    (255, 9, 9),
    (256, 9, 9),
    (260, 9, 9),
    (263, 9, 9),
    (350, 8, 8),
    (351, 9, 9),
    (352, 4, 11),
    (353, 7, 9),
    (354, 7, 9),
    (355, 8, 9),
    (356, 8, 8),
    (357, 8, 8),
    (358, 5, 12),
    (359, 8, 9),
    (370, 8, 8),
    (371, 8, 8),
    (372, 7, 8),
    (373, 8, 8),
    (374, 8, 8),
    (375, 9, 9),
    (376, 6, 9),
    (377, 8, 9),
    (380, 9, 9),
    (381, 8, 10),
    (382, 8, 8),
    (383, 8, 9),
    (385, 8, 9),
    (386, 8, 8),
    (387, 8, 9),
    (389, 8, 8),
    (420, 9, 9),
    (421, 9, 9),
    (423, 7, 9),
    (502, 8, 8),
    (503, 8, 8),
    (504, 8, 8),
    (505, 8, 8),
    (506, 8, 8),
    (507, 7, 8),
    (591, 8, 8),
    (593, 8, 9),
    (595, 9, 9),
    (598, 8, 8),
    (852, 8, 8),
    (853, 8, 8),
    (855, 8, 9),
    (880, 10, 10),
    (886, 8, 9),
    (961, 7, 8),
    (962, 8, 9),
    (964, 10, 10),
    (965, 8, 8),
    (966, 9, 9),
    (968, 8, 8),
    (971, 8, 9),
    (972, 8, 9),
    (973, 8, 8),
    (974, 8, 8),
    (977, 8, 10),
    (994, 9, 9),
    (995, 9, 9),
    (998, 9, 9),
];

/// Whether `d` (country code + national number, no `+`) is a plausible E.164 number.
fn international_ok(d: &[u8], first_group: usize) -> bool {
    for cc_len in 1..=3usize {
        let Some(cc_digits) = d.get(..cc_len) else {
            return false;
        };
        let cc = cc_digits
            .iter()
            .fold(0u16, |acc, &b| acc * 10 + u16::from(b.wrapping_sub(b'0')));
        let Some(&(_, min, max)) = COUNTRIES.iter().find(|c| c.0 == cc) else {
            continue;
        };
        // Grouped numbers put the country code in a group of its own.
        if first_group != d.len() && first_group != cc_len && !(cc == 1 && first_group == 4) {
            return false;
        }
        let national = d.get(cc_len..).unwrap_or(&[]);
        let len = national.len();
        if len < usize::from(min) || len > usize::from(max) {
            return false;
        }
        // A national significant number starts with 0 only in Italy.
        if national.first() == Some(&b'0') && cc != 39 {
            return false;
        }
        return cc != 1 || nanp_ok(national);
    }
    false
}

/// A phone number whose first digit run starts at `start`.
pub fn phone(text: &str, start: usize) -> Option<Range<usize>> {
    match byte_before(text, start) {
        Some(b'+') => plus_form(text, start - 1),
        Some(b'(') => nanp_form(text, start - 1),
        Some(b)
            if is_word_byte(b)
                || matches!(b, b'-' | b'.' | b'/' | b'#' | b'$' | b':')
                    && colon_ok(text, start, b) =>
        {
            None
        }
        _ => match (byte_at(text, start), byte_at(text, start + 1)) {
            (Some(b'0'), Some(b'0')) => zero_zero_form(text, start),
            (Some(b'0'), _) => national_form(text, start),
            _ => nanp_form(text, start),
        },
    }
}

/// `phone:+1…` and `Tel:415…` are fine; a colon inside `12:30` or `a:b` is not a start.
fn colon_ok(text: &str, start: usize, b: u8) -> bool {
    if b != b':' {
        return true;
    }
    start
        .checked_sub(2)
        .and_then(|i| byte_at(text, i))
        .is_some_and(|p| p.is_ascii_digit())
}

fn clean_end(text: &str, end: usize) -> bool {
    match byte_at(text, end) {
        None => true,
        Some(b) if is_word_byte(b) => false,
        Some(b'-' | b'.' | b'/' | b':') => {
            !byte_at(text, end + 1).is_some_and(|b| b.is_ascii_digit())
        }
        Some(_) => true,
    }
}

fn plus_form(text: &str, plus: usize) -> Option<Range<usize>> {
    if byte_before(text, plus).is_some_and(|b| is_word_byte(b) || b == b'+') {
        return None;
    }
    let t = tokenize(text, plus + 1)?;
    let first = *t.lens().first()?;
    if t.paren(0) || !clean_end(text, t.end) {
        return None;
    }
    international_ok(t.digits(), first).then_some(plus..t.end)
}

fn zero_zero_form(text: &str, start: usize) -> Option<Range<usize>> {
    let t = tokenize(text, start)?;
    let first = *t.lens().first()?;
    if t.n_groups < 2 || t.paren(0) || first < 3 || !clean_end(text, t.end) {
        return None;
    }
    let d = t.digits().get(2..)?;
    international_ok(d, first - 2).then_some(start..t.end)
}

/// Labels that say the next number is a phone number, in the languages of the countries whose
/// national format (trunk prefix `0`) we accept.
const PHONE_LABELS: &[&str] = &[
    "tel",
    "phone",
    "mobile",
    "mobil",
    "cell",
    "call",
    "fax",
    "telefon",
    "téléphone",
    "tél",
    "portable",
    "teléfono",
    "telefono",
    "telefone",
    "telemóvel",
    "celular",
    "cellulare",
    "ring",
    "bel ",
    "kontakt",
    "contact",
    "contatto",
    "contacto",
    "電話",
    "电话",
    "携帯",
    "手机",
    "rufnummer",
    "handy",
    "numer",
    "nummer",
    "número",
    "numero",
];

/// National format with trunk prefix `0` (`030 1234567`, `020 7946 0123`, `01 23 45 67 89`,
/// `03-1234-5678`): only where a phone label on the same line makes the role clear, since the
/// shape alone is any grouped number.
fn national_form(text: &str, start: usize) -> Option<Range<usize>> {
    let t = tokenize(text, start)?;
    let n = t.n_digits;
    if t.n_groups < 2 || t.paren(0) || !(10..=11).contains(&n) && n != 9 || !clean_end(text, t.end)
    {
        return None;
    }
    let first = *t.lens().first()?;
    if !(2..=5).contains(&first) || t.digits().get(1) == Some(&b'0') {
        return None;
    }
    // One separator style throughout.
    let sep = t.sep(1);
    if sep == 0 || (1..t.n_groups).any(|k| t.sep(k) != sep) {
        return None;
    }
    let before = super::util::label_window(text, start, 48);
    let before = super::replacement::without_replacements(before).to_lowercase();
    PHONE_LABELS
        .iter()
        .any(|l| before.contains(l))
        .then_some(start..t.end)
}

/// `(415) 555-0123`, `415-555-0123`, `415.555.0123`, `415 555 0123`, `1-415-555-0123`.
fn nanp_form(text: &str, start: usize) -> Option<Range<usize>> {
    let t = tokenize(text, start)?;
    if !clean_end(text, t.end) {
        return None;
    }
    let d = t.digits();
    let national = match t.lens() {
        [3, 3, 4] => {
            let (s1, s2) = (t.sep(1), t.sep(2));
            let ok = if t.paren(0) {
                matches!(s1, 0 | b' ' | b'-' | b'.') && matches!(s2, b'-' | b' ' | b'.')
            } else {
                s1 == s2 && s1 != 0
            };
            ok.then_some(d)?
        }
        [1, 3, 3, 4] if d.first() == Some(&b'1') && !t.paren(0) => {
            let (s1, s2, s3) = (t.sep(1), t.sep(2), t.sep(3));
            let ok = if t.paren(1) {
                s1 != 0 && matches!(s3, b'-' | b' ' | b'.')
            } else {
                s1 == s2 && s2 == s3 && s1 != 0
            };
            ok.then_some(d.get(1..)?)?
        }
        _ => return None,
    };
    if t.paren(0) && t.lens().first() != Some(&3) {
        return None;
    }
    nanp_ok(national).then_some(start..t.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_plans() {
        let cases: &[(&str, &str, usize, bool)] = &[
            ("nanp", "14155550132", 1, true),
            ("nanp area 555", "15555550132", 1, false),
            ("nanp N11 exchange", "14154110132", 1, false),
            ("uk 10", "442079460958", 2, true),
            ("uk 8 too short", "4420794609", 2, false),
            ("germany compact", "4930901820", 10, true),
            ("italy leading zero", "390612345678", 2, true),
            ("france leading zero", "33012345678", 2, false),
            ("ireland 353", "35318032178", 3, true),
            ("country code not first group", "4930901820", 4, false),
            ("unassigned code", "99912345678", 3, false),
        ];
        for (name, d, first, want) in cases {
            assert_eq!(
                international_ok(d.as_bytes(), *first),
                *want,
                "case {name}: {d}"
            );
        }
    }

    #[test]
    fn forms() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("parens no space", "(415)555-0132", Some("(415)555-0132")),
            ("inconsistent separators", "415-555.0132", None),
            ("time before", "12:415-555-0132", None),
            (
                "phone label colon",
                "phone:415-555-0132",
                Some("415-555-0132"),
            ),
            ("plus inside word", "a+14155550132", None),
            ("double zero single group", "004930901820", None),
            (
                "national with a label",
                "Telefon: 030 1234567",
                Some("030 1234567"),
            ),
            // Our own label names no phone: a second scan of a redacted text decides as the
            // first did.
            (
                "national after our label",
                "[REDACTED:PHONE] 030 1234567",
                None,
            ),
            (
                "national after a keyed hash",
                "[PHONE:3f9a0c21] 030 1234567",
                None,
            ),
        ];
        for (name, text, want) in cases {
            let at = text.find(|c: char| c.is_ascii_digit()).unwrap();
            assert_eq!(phone(text, at).map(|r| &text[r]), *want, "case {name}");
        }
    }
}
