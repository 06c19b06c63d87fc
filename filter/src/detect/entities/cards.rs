//! Payment card numbers: Luhn, a network's prefix and length, and the grouping people write.

use super::checksum::luhn;
use super::digits::{read_groups, Sep};
use super::util::{byte_at, byte_before, ends_word, starts_word};
use std::ops::Range;

/// How card numbers are grouped on paper: blocks of 4, Amex 4-6-5, Diners 4-6-4, 13 digits
/// 4-4-5, 19 digits 4-4-4-4-3. Longest first.
const GROUPINGS: &[&[usize]] = &[
    &[4, 4, 4, 4, 3],
    &[4, 4, 4, 4],
    &[4, 6, 5],
    &[4, 4, 5],
    &[4, 6, 4],
    &[4, 4, 4],
];

fn prefix(d: &[u8], k: usize) -> u32 {
    d.iter()
        .take(k)
        .fold(0, |acc, &b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
}

/// Whether the digits carry a card network's prefix with one of its lengths.
pub fn network_ok(d: &[u8]) -> bool {
    let n = d.len();
    let (p1, p2, p3, p4) = (prefix(d, 1), prefix(d, 2), prefix(d, 3), prefix(d, 4));
    let visa = p1 == 4 && matches!(n, 13 | 16 | 19);
    let mastercard = ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16;
    let amex = matches!(p2, 34 | 37) && n == 15;
    let discover = (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65) && (16..=19).contains(&n);
    let jcb = (3528..=3589).contains(&p4) && (16..=19).contains(&n);
    let diners =
        ((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39)) && (14..=19).contains(&n);
    let unionpay = p2 == 62 && (16..=19).contains(&n);
    let maestro =
        matches!(p4, 5018 | 5020 | 5038 | 6304 | 6759 | 6761 | 6763) && (12..=19).contains(&n);
    visa || mastercard || amex || discover || jcb || diners || unionpay || maestro
}

/// A card number starting at the digit at `start`.
pub fn card(text: &str, start: usize) -> Option<Range<usize>> {
    if !starts_word(text, start) || matches!(byte_before(text, start), Some(b'+' | b'.' | b'/')) {
        return None;
    }
    // The middle of a longer grouped number (`… 1234 5678`) is not a card of its own.
    if let Some(sep) = start.checked_sub(1).and_then(|i| Sep::at(text, i)) {
        if sep != Sep::NoBreakSpace
            && start
                .checked_sub(2)
                .and_then(|i| byte_at(text, i))
                .is_some_and(|b| b.is_ascii_digit())
        {
            return None;
        }
    }
    let g = read_groups(text, start, &[Sep::Space, Sep::Hyphen, Sep::NoBreakSpace]);
    let lens = g.lens();
    let first = *lens.first()?;
    if (12..=19).contains(&first) {
        let end = g.end_of(1)?;
        let d = g.digits_of(1);
        let clean_end = ends_word(text, end) && !continues_number(text, end);
        return (clean_end && network_ok(d) && luhn(d)).then_some(start..end);
    }
    if first != 4 || g.truncated {
        return None;
    }
    for grouping in GROUPINGS {
        if lens.len() != grouping.len() || lens != *grouping {
            continue;
        }
        let end = g.end_of(grouping.len())?;
        let d = g.digits_of(grouping.len());
        if ends_word(text, end) && !continues_number(text, end) && network_ok(d) && luhn(d) {
            return Some(start..end);
        }
    }
    None
}

/// `1234.5`: the digits are part of a decimal number. (A comma is a CSV field separator as
/// often as a decimal one.)
fn continues_number(text: &str, end: usize) -> bool {
    byte_at(text, end) == Some(b'.') && byte_at(text, end + 1).is_some_and(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let cases: &[(&str, &str, bool)] = &[
            ("visa 16", "4111111111111111", true),
            ("visa 13", "4222222222222", true),
            ("visa 15 is not a length", "411111111111111", false),
            ("mastercard 51", "5105105105105100", true),
            ("mastercard 2221", "2221000000000009", true),
            ("mastercard 2721 out of range", "2721000000000000", false),
            ("amex 15", "378282246310005", true),
            ("amex 16", "3782822463100050", false),
            ("diners 14", "30569309025904", true),
            ("jcb", "3530111333300000", true),
            ("discover 644", "6445644564456445", true),
            ("unionpay 19", "6212345678901234567", true),
            ("maestro 12", "675964982643", true),
            ("imei prefix", "356938035643809", false),
        ];
        for (name, digits, want) in cases {
            assert_eq!(
                network_ok(digits.as_bytes()),
                *want,
                "case {name}: {digits}"
            );
        }
    }

    #[test]
    fn card_at() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("contiguous", "4111111111111111", Some("4111111111111111")),
            (
                "grouped",
                "4111 1111 1111 1111",
                Some("4111 1111 1111 1111"),
            ),
            ("preceded by a digit group", "12 4111 1111 1111 1111", None),
            ("part of a word", "x4111111111111111", None),
            ("phone-like plus", "+4111111111111111", None),
            ("too many groups", "4111 1111 1111 1111 1111", None),
        ];
        for (name, text, want) in cases {
            let at = text.find('4').unwrap();
            let got = card(text, at).map(|r| &text[r]);
            assert_eq!(got, *want, "case {name}: {text:?}");
        }
    }
}
