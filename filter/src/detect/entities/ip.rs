//! IP addresses. IPv4 starts at a digit run; IPv6 (and colon-separated MAC addresses, which
//! share its alphabet) is read from the maximal run of `[0-9A-Fa-f:.]` around a colon.

use super::util::{byte_at, byte_before, contains_any_ci, is_word_byte, line_after, line_before};
use std::ops::Range;

/// Parses a dotted quad at `start`; returns its end and octets.
fn dotted_quad(text: &str, start: usize) -> Option<(usize, [u8; 4])> {
    let mut octets = [0u8; 4];
    let mut i = start;
    for (k, slot) in octets.iter_mut().enumerate() {
        if k > 0 {
            if byte_at(text, i) != Some(b'.') {
                return None;
            }
            i += 1;
        }
        let mut v = 0u32;
        let mut len = 0;
        while let Some(b) = byte_at(text, i).filter(u8::is_ascii_digit) {
            v = v * 10 + u32::from(b - b'0');
            len += 1;
            i += 1;
            if len > 3 {
                return None;
            }
        }
        if len == 0 || v > 255 || (len > 1 && byte_at(text, i - len) == Some(b'0')) {
            return None;
        }
        *slot = u8::try_from(v).ok()?;
    }
    Some((i, octets))
}

/// An IPv4 address at the digit run starting at `start`.
pub fn ipv4(text: &str, start: usize) -> Option<Range<usize>> {
    if byte_before(text, start).is_some_and(|b| is_word_byte(b) || b == b'.' || b == b'-') {
        return None;
    }
    let (end, o) = dotted_quad(text, start)?;
    match byte_at(text, end) {
        Some(b) if is_word_byte(b) => return None,
        Some(b'.' | b'-') if byte_at(text, end + 1).is_some_and(|b| b.is_ascii_alphanumeric()) => {
            return None
        }
        _ => {}
    }
    let special = o == [0, 0, 0, 0] || o[0] == 127 || o == [255, 255, 255, 255];
    if special || version_context(text, start, end) {
        return None;
    }
    Some(start..end)
}

/// `version 4.2.1.0`, `pkg==1.2.3.4`, `### 5.13.2.100 (2023-01-22)`: a version, not a host.
fn version_context(text: &str, start: usize, end: usize) -> bool {
    let before = line_before(text, start, 40);
    let after = line_after(text, end, 24);
    let b = before.trim_end_matches(['"', '\'', ' ', '=', ':', 'v', 'V']);
    before.ends_with("==")
        || before.ends_with(">=")
        || before.ends_with("<=")
        || before.ends_with("~=")
        || before.ends_with('v')
        || before.ends_with('V')
        || contains_any_ci(
            before,
            &[
                "version",
                "release",
                "library to",
                "upgrade to",
                "updated to",
                "build",
                "oid",
                "snmp",
            ],
        )
        || b.ends_with('#')
        || after.starts_with(" or newer")
        || after.starts_with(" or later")
        || after.starts_with(" (20")
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// A colon-driven region: its bounds after trimming, for the IPv6 and MAC parsers.
pub fn colon_region(text: &str, colon: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let in_set = |b: u8| is_hex(b) || b == b':' || b == b'.';
    let mut start = colon;
    while start > 0 && bytes.get(start - 1).copied().is_some_and(in_set) {
        start -= 1;
    }
    let mut end = colon;
    while bytes.get(end).copied().is_some_and(in_set) {
        end += 1;
    }
    start..end
}

/// IPv6 address inside `region` (from `colon_region`), trimmed of sentence punctuation.
pub fn ipv6(text: &str, region: Range<usize>) -> Option<Range<usize>> {
    let (mut start, mut end) = (region.start, region.end);
    if byte_before(text, start).is_some_and(|b| is_word_byte(b) || b == b'@' || b == b'-') {
        return None;
    }
    let bytes = text.as_bytes();
    while end > start && bytes.get(end - 1) == Some(&b'.') {
        end -= 1;
    }
    // `fe80::1:` at the end of a clause: one trailing colon is punctuation, `::` is not.
    if bytes.get(end - 1) == Some(&b':')
        && bytes.get(end.wrapping_sub(2)) != Some(&b':')
        && end > start
    {
        end -= 1;
    }
    while start < end && bytes.get(start) == Some(&b'.') {
        start += 1;
    }
    match byte_at(text, end) {
        Some(b'%') => {} // zone index, outside the span
        Some(b) if is_word_byte(b) => return None,
        _ => {}
    }
    let s = bytes.get(start..end)?;
    // Cheap shape gate: times (`12:34:56`) and `host:port` have too few colons.
    let colons = s.iter().filter(|&&b| b == b':').count();
    if colons < 2 || (colons < 7 && !s.windows(2).any(|w| w == b"::")) {
        return None;
    }
    (valid_ipv6(s)? && !special_v6(s)).then_some(start..end)
}

/// RFC 4291 text form; `Some(false)` for well-formed but unwanted, `None` for malformed.
fn valid_ipv6(s: &[u8]) -> Option<bool> {
    if s.len() < 3 || s.len() > 45 || !s.iter().any(u8::is_ascii_digit) {
        return None;
    }
    let double = s.windows(2).position(|w| w == b"::");
    if let Some(p) = double {
        if s.get(p + 2..)?.windows(2).any(|w| w == b"::") || s.windows(3).any(|w| w == b":::") {
            return None;
        }
    }
    let mut groups = 0usize;
    let parts = s.split(|&b| b == b':');
    let n_parts = s.iter().filter(|&&b| b == b':').count() + 1;
    for (k, part) in parts.enumerate() {
        if part.is_empty() {
            continue; // part of `::` (checked above) or a leading/trailing `::`
        }
        if part.contains(&b'.') {
            // Embedded IPv4, only as the last part.
            if k + 1 != n_parts {
                return None;
            }
            let text = std::str::from_utf8(part).ok()?;
            let (end, _) = dotted_quad(text, 0)?;
            if end != part.len() {
                return None;
            }
            groups += 2;
            continue;
        }
        if part.len() > 4 || !part.iter().all(|&b| is_hex(b)) {
            return None;
        }
        groups += 1;
    }
    // Empty parts are only legal as `::`.
    let empties = s.split(|&b| b == b':').filter(|p| p.is_empty()).count();
    match double {
        None => (groups == 8 && empties == 0).then_some(true),
        Some(p) => {
            let allowed = if s.len() == 2 {
                3
            } else if p == 0 || p + 2 == s.len() {
                2
            } else {
                1
            };
            (groups < 8 && empties <= allowed).then_some(true)
        }
    }
}

/// `::` and `::1` identify no host.
fn special_v6(s: &[u8]) -> bool {
    let trimmed: Vec<u8> = s.iter().copied().filter(|&b| b != b'0').collect();
    trimmed == b"::"
        || trimmed == b"::1"
        || s.iter().all(|&b| b == b':' || b == b'0')
        || is_loopback(s)
}

fn is_loopback(s: &[u8]) -> bool {
    // 0:0:0:0:0:0:0:1 and friends: every group zero but a final 1.
    let Some(last) = s.rsplit(|&b| b == b':').next() else {
        return false;
    };
    let last_is_one = last
        .iter()
        .rev()
        .skip_while(|&&b| b == b'1')
        .all(|&b| b == b'0')
        && last.ends_with(b"1")
        && last.iter().filter(|&&b| b == b'1').count() == 1;
    last_is_one
        && s.get(..s.len() - last.len())
            .is_some_and(|head| head.iter().all(|&b| b == b':' || b == b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_text_forms() {
        let cases: &[(&str, &str, bool)] = &[
            ("full", "2001:0db8:0000:0000:0000:ff00:0042:8329", true),
            ("compressed", "2001:db8::ff00:42:8329", true),
            ("leading compression", "::ffff:192.0.2.7", true),
            ("trailing compression", "fe80::", true),
            ("two compressions", "2001:db8::1::2", false),
            ("triple colon", "2001:::1", false),
            ("nine groups", "1:2:3:4:5:6:7:8:9", false),
            ("seven groups no compression", "1:2:3:4:5:6:7", false),
            ("v4 not last", "::1.2.3.4:5", false),
            ("group too long", "2001:db8::12345", false),
            ("no digits", "abc::def", false),
        ];
        for (name, s, want) in cases {
            assert_eq!(
                valid_ipv6(s.as_bytes()).is_some(),
                *want,
                "case {name}: {s}"
            );
        }
    }

    #[test]
    fn ipv6_in_text() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("bracketed", "[2001:db8::1]:443", Some("2001:db8::1")),
            ("zone", "fe80::1%eth0", Some("fe80::1")),
            ("loopback", "::1", None),
            ("loopback long form", "0:0:0:0:0:0:0:1", None),
            ("unspecified", "::", None),
            ("scope", "std::vector", None),
            ("sentence end", "at 2001:db8::5.", Some("2001:db8::5")),
        ];
        for (name, text, want) in cases {
            let colon = text.find(':').unwrap();
            let got = ipv6(text, colon_region(text, colon)).map(|r| &text[r]);
            assert_eq!(got, *want, "case {name}");
        }
    }

    #[test]
    fn ipv4_table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("plain", "10.1.2.3", Some("10.1.2.3")),
            ("port", "10.1.2.3:80", Some("10.1.2.3")),
            ("leading zero", "10.01.2.3", None),
            ("over 255", "10.1.2.256", None),
            ("five parts", "10.1.2.3.4", None),
            ("loopback", "127.0.0.2", None),
            ("version", "version 10.1.2.3", None),
            ("pinned", "pkg==10.1.2.3", None),
            ("v prefix", "v10.1.2.3", None),
        ];
        for (name, text, want) in cases {
            let at = text.find(|c: char| c.is_ascii_digit()).unwrap();
            assert_eq!(ipv4(text, at).map(|r| &text[r]), *want, "case {name}");
        }
    }
}
