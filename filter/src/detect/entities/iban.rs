//! IBANs (ISO 13616): a registered country's length, mod-97 check digits and, for countries
//! whose BBAN carries a simple national check (BE, ES, FR, NO), that check too.

use super::checksum::mod97;
use super::util::{byte_at, is_word_byte};
use std::ops::Range;

const MAX_LEN: usize = 34;

/// IBAN length by country.
const LENGTHS: &[(&[u8; 2], u8)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BI", 27),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DJ", 27),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FK", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HN", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MN", 20),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NI", 28),
    (b"NL", 18),
    (b"NO", 15),
    (b"OM", 23),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"RU", 33),
    (b"SA", 24),
    (b"SC", 31),
    (b"SD", 18),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"SO", 23),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"YE", 30),
];

/// An IBAN whose check digits start at `digits` (the country code is the two bytes before).
pub fn iban(text: &str, digits: usize) -> Option<Range<usize>> {
    let start = digits.checked_sub(2)?;
    let cc = text.as_bytes().get(start..digits)?;
    if start > 0 && byte_at(text, start - 1).is_some_and(is_word_byte) {
        return None;
    }
    let &(_, len) = LENGTHS.iter().find(|(c, _)| c.as_slice() == cc)?;
    let len = usize::from(len);
    // Collect the characters, compact or in groups of four separated by single spaces.
    let mut buf = [0u8; MAX_LEN];
    let mut n = 0;
    let mut i = start;
    let mut grouped = None;
    while n < len {
        let b = byte_at(text, i)?;
        if b.is_ascii_uppercase() || b.is_ascii_digit() {
            *buf.get_mut(n)? = b;
            n += 1;
            i += 1;
            continue;
        }
        if b != b' ' || n % 4 != 0 || n == 0 || byte_at(text, i + 1) == Some(b' ') {
            return None;
        }
        match grouped {
            None if n == 4 => grouped = Some(true),
            Some(true) => {}
            _ => return None,
        }
        i += 1;
    }
    let end = i;
    if byte_at(text, end).is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let iban = buf.get(..n)?;
    let (head, bban) = (iban.get(..4)?, iban.get(4..)?);
    if !head.get(2..4)?.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if mod97(bban.iter().chain(head.iter()))? != 1 {
        return None;
    }
    national_check(cc, bban).then_some(start..end)
}

fn num(d: &[u8]) -> Option<u64> {
    d.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

/// National check digits inside the BBAN, where they are simple.
fn national_check(cc: &[u8], bban: &[u8]) -> bool {
    match cc {
        // Belgium: the last two digits are the first ten mod 97 (97 for 0).
        b"BE" => {
            let (Some(body), Some(check)) =
                (bban.get(..10).and_then(num), bban.get(10..12).and_then(num))
            else {
                return false;
            };
            let r = body % 97;
            check == if r == 0 { 97 } else { r }
        }
        // Norway: MOD11 over the first ten digits with weights 5,4,3,2,7,6,5,4,3,2.
        b"NO" => {
            const W: [u64; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
            let Some(check) = bban
                .get(10)
                .and_then(|&b| b.is_ascii_digit().then(|| u64::from(b - b'0')))
            else {
                return false;
            };
            let mut sum = 0;
            for (w, &b) in W.iter().zip(bban.iter()) {
                if !b.is_ascii_digit() {
                    return false;
                }
                sum += w * u64::from(b - b'0');
            }
            let r = 11 - sum % 11;
            let want = if r == 11 { 0 } else { r };
            want != 10 && check == want
        }
        // Spain: two control digits over bank+branch and over the account number.
        b"ES" => {
            const W: [u64; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
            let dc = |digits: &[u8]| -> Option<u64> {
                let mut sum = 0;
                let pad = 10usize.checked_sub(digits.len())?;
                for (w, &b) in W.iter().skip(pad).zip(digits) {
                    sum += w * u64::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
                }
                let r = 11 - sum % 11;
                Some(match r {
                    11 => 0,
                    10 => 1,
                    r => r,
                })
            };
            let (Some(bank), Some(checks), Some(account)) =
                (bban.get(..8), bban.get(8..10), bban.get(10..20))
            else {
                return false;
            };
            let (Some(c1), Some(c2)) = (dc(bank), dc(account)) else {
                return false;
            };
            checks.first().map(|b| u64::from(b.wrapping_sub(b'0'))) == Some(c1)
                && checks.get(1).map(|b| u64::from(b.wrapping_sub(b'0'))) == Some(c2)
        }
        // France: RIB key = 97 - ((89·bank + 15·branch + 3·account) mod 97), letters mapped.
        b"FR" => {
            let conv = |b: u8| -> Option<u64> {
                Some(match b {
                    b'0'..=b'9' => u64::from(b - b'0'),
                    b'A'..=b'I' => u64::from(b - b'A' + 1),
                    b'J'..=b'R' => u64::from(b - b'J' + 1),
                    b'S'..=b'Z' => u64::from(b - b'S' + 2),
                    _ => return None,
                })
            };
            let part = |r: Range<usize>| -> Option<u64> {
                bban.get(r)?
                    .iter()
                    .try_fold(0u64, |acc, &b| Some((acc * 10 + conv(b)?) % 97))
            };
            let (Some(bank), Some(branch), Some(account), Some(key)) = (
                part(0..5),
                part(5..10),
                part(10..21),
                bban.get(21..23).and_then(num),
            ) else {
                return false;
            };
            97 - (89 * bank + 15 * branch + 3 * account) % 97 == key
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "de compact",
                "DE89370400440532013000",
                Some("DE89370400440532013000"),
            ),
            (
                "de grouped",
                "DE89 3704 0044 0532 0130 00",
                Some("DE89 3704 0044 0532 0130 00"),
            ),
            (
                "gb letters in bban",
                "GB29 NWBK 6016 1331 9268 19",
                Some("GB29 NWBK 6016 1331 9268 19"),
            ),
            (
                "be national check",
                "BE68539007547034",
                Some("BE68539007547034"),
            ),
            (
                "fr rib key",
                "FR1420041010050500013M02606",
                Some("FR1420041010050500013M02606"),
            ),
            (
                "es control digits",
                "ES9121000418450200051332",
                Some("ES9121000418450200051332"),
            ),
            ("no mod 11", "NO9386011117947", Some("NO9386011117947")),
            ("bad check digits", "DE88370400440532013000", None),
            ("too short", "DE8937040044053201300", None),
            ("double space", "DE89  3704 0044 0532 0130 00", None),
            ("inside a word", "XDE89370400440532013000", None),
        ];
        for (name, text, want) in cases {
            let at = text.find(|c: char| c.is_ascii_digit()).unwrap();
            assert_eq!(iban(text, at).map(|r| &text[r]), *want, "case {name}");
        }
    }
}
