//! The base64 alphabet, shared by the detectors that decode it (JWT headers, encoded
//! injection payloads). Both the standard (`+/`) and URL-safe (`-_`) alphabets are accepted:
//! attackers and tokens use either.

/// The 6-bit value of a base64 character, or `None` for anything else (padding included).
pub fn sextet(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_alphabets() {
        assert_eq!(
            (sextet(b'A'), sextet(b'z'), sextet(b'9')),
            (Some(0), Some(51), Some(61))
        );
        assert_eq!(
            (sextet(b'+'), sextet(b'-'), sextet(b'/'), sextet(b'_')),
            (Some(62), Some(62), Some(63), Some(63))
        );
        assert_eq!((sextet(b'='), sextet(b' ')), (None, None));
    }
}
