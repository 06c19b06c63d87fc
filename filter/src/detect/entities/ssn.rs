//! US social security numbers: `AAA-GG-SSSS`, `AAA GG SSSS`, or nine digits under an SSN label.

use super::digits::{read_groups, Sep};
use super::util::{byte_before, contains_ci, ends_word, line_before, starts_word};
use std::ops::Range;

/// Area 001–899 except 666, group 01–99, serial 0001–9999.
pub fn valid_parts(d: &[u8]) -> bool {
    let num = |r: std::ops::Range<usize>| {
        d.get(r).map_or(0, |s| {
            s.iter()
                .fold(0u32, |acc, &b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
        })
    };
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    d.len() == 9 && area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// An SSN starting at the digit at `start`.
pub fn ssn(text: &str, start: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) || matches!(byte_before(text, start), Some(b'-' | b'.' | b'+')) {
        return None;
    }
    let g = read_groups(text, start, &[Sep::Space, Sep::Hyphen]);
    let (end, ok_shape) = match g.lens() {
        [3, 2, 4] => (g.end_of(3)?, true),
        [9] => (g.end_of(1)?, labelled(text, start)),
        _ => return None,
    };
    if !ok_shape || g.truncated || !ends_word(text, end) || !valid_parts(g.digits()) {
        return None;
    }
    if matches!(text.as_bytes().get(end), Some(b'-' | b'.'))
        && text.as_bytes().get(end + 1).is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    Some(start..end)
}

/// Nine bare digits are an SSN only where the text calls them one.
fn labelled(text: &str, start: usize) -> bool {
    let before = line_before(text, start, 48);
    contains_ci(before, "ssn")
        || contains_ci(before, "social security")
        || contains_ci(before, "social_security")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let cases: &[(&str, &str, bool)] = &[
            ("ordinary", "123456789", true),
            ("area 000", "000456789", false),
            ("area 666", "666456789", false),
            ("area 899", "899456789", true),
            ("area 900", "900456789", false),
            ("group 00", "123006789", false),
            ("serial 0000", "123450000", false),
            ("eight digits", "12345678", false),
        ];
        for (name, d, want) in cases {
            assert_eq!(valid_parts(d.as_bytes()), *want, "case {name}");
        }
    }

    #[test]
    fn shapes() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("dashed", "123-45-6789", Some("123-45-6789")),
            ("spaced", "123 45 6789", Some("123 45 6789")),
            ("nine digits unlabelled", "123456789", None),
            ("nine digits labelled", "SSN: 123456789", Some("123456789")),
            ("followed by more", "123-45-6789-1", None),
            ("phone shape", "123-456-7890", None),
        ];
        for (name, text, want) in cases {
            let at = text.find(|c: char| c.is_ascii_digit()).unwrap();
            assert_eq!(ssn(text, at).map(|r| &text[r]), *want, "case {name}");
        }
    }
}
