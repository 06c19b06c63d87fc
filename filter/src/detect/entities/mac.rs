//! MAC addresses (EUI-48): `00:1a:2b:3c:4d:5e`, `00-1A-2B-3C-4D-5E`, `0011.2233.4455`.

use super::util::{byte_at, byte_before, is_word_byte};
use std::ops::Range;

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The broadcast and all-zero addresses identify nothing.
fn special(s: &[u8]) -> bool {
    let mut vals = s.iter().filter_map(|&b| hex_value(b));
    let all = |want: u8| s.iter().filter_map(|&b| hex_value(b)).all(|v| v == want);
    vals.next().is_some() && (all(0) || all(15))
}

/// Six two-digit hex octets separated by `sep` at `start`, the whole token.
fn octets(text: &str, start: usize, sep: u8) -> Option<Range<usize>> {
    let s = text.as_bytes().get(start..start + 17)?;
    for (i, &b) in s.iter().enumerate() {
        let ok = if i % 3 == 2 {
            b == sep
        } else {
            hex_value(b).is_some()
        };
        if !ok {
            return None;
        }
    }
    let end = start + 17;
    if byte_before(text, start).is_some_and(|b| is_word_byte(b) || b == sep)
        || byte_at(text, end).is_some_and(|b| {
            is_word_byte(b)
                || (b == sep && byte_at(text, end + 1).is_some_and(|c| hex_value(c).is_some()))
        })
    {
        return None;
    }
    (!special(s)).then_some(start..end)
}

/// A colon-separated MAC filling the whole colon region (longer runs are fingerprints).
pub fn mac_colon(text: &str, region: Range<usize>) -> Option<Range<usize>> {
    let mut end = region.end;
    while end > region.start && byte_at(text, end - 1) == Some(b'.') {
        end -= 1;
    }
    if end - region.start != 17 {
        return None;
    }
    octets(text, region.start, b':')
}

/// A hyphenated MAC whose first separator is at `dash`.
pub fn mac_dash(text: &str, dash: usize) -> Option<Range<usize>> {
    if byte_at(text, dash + 3) != Some(b'-') {
        return None;
    }
    octets(text, dash.checked_sub(2)?, b'-')
}

/// Cisco's dotted form whose first dot is at `dot`.
pub fn mac_dotted(text: &str, dot: usize) -> Option<Range<usize>> {
    if byte_at(text, dot + 5) != Some(b'.') {
        return None;
    }
    let start = dot.checked_sub(4)?;
    let s = text.as_bytes().get(start..start + 14)?;
    for (i, &b) in s.iter().enumerate() {
        let ok = if i == 4 || i == 9 {
            b == b'.'
        } else {
            hex_value(b).is_some()
        };
        if !ok {
            return None;
        }
    }
    let end = start + 14;
    if byte_before(text, start).is_some_and(|b| is_word_byte(b) || b == b'.')
        || byte_at(text, end).is_some_and(|b| {
            is_word_byte(b)
                || (b == b'.' && byte_at(text, end + 1).is_some_and(|c| c.is_ascii_alphanumeric()))
        })
    {
        return None;
    }
    // `1234.5678.9012` is more likely a number than a MAC: require a letter or a leading 0.
    (!special(s)).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("dash", "00-1A-2B-3C-4D-5E", Some("00-1A-2B-3C-4D-5E")),
            ("dash broadcast", "FF-FF-FF-FF-FF-FF", None),
            ("dash seven octets", "00-1A-2B-3C-4D-5E-6F", None),
            ("dash in a word", "x00-1A-2B-3C-4D-5E", None),
        ];
        for (name, text, want) in cases {
            let dash = text.find('-').unwrap();
            assert_eq!(mac_dash(text, dash).map(|r| &text[r]), *want, "case {name}");
        }
        let dotted = "mac 0011.2233.44aa up";
        let dot = dotted.find('.').unwrap();
        assert_eq!(
            mac_dotted(dotted, dot).map(|r| &dotted[r]),
            Some("0011.2233.44aa")
        );
        let colon = "00:1a:2b:3c:4d:5e";
        assert_eq!(mac_colon(colon, 0..colon.len()), Some(0..17));
        assert_eq!(mac_colon("00:00:00:00:00:00", 0..17), None);
    }
}
