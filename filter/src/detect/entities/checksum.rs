//! Checksums that separate real tokens from look-alikes.

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it), bitwise: tokens are short, and a
/// 1 KiB table would cost more in the Wasm binary than it saves here.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// `n` in base 62 (`0-9A-Za-z`), left-padded with `0` to `width` digits, compared against
/// `digits` without allocating.
pub fn base62_equals(mut n: u32, width: usize, digits: &[u8]) -> bool {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    if digits.len() != width {
        return false;
    }
    for &d in digits.iter().rev() {
        let r = (n % 62) as usize;
        n /= 62;
        if ALPHABET.get(r) != Some(&d) {
            return false;
        }
    }
    n == 0
}

/// Luhn (mod 10) over ASCII digits; `false` for anything else.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        if !d.is_ascii_digit() {
            return false;
        }
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// ISO 7064 mod 97-10 remainder of an alphanumeric string (letters count as 10–35), as used
/// by IBANs after moving the first four characters to the end. `None` on other characters.
pub fn mod97<'a>(chars: impl Iterator<Item = &'a u8>) -> Option<u32> {
    let mut r = 0u32;
    for &c in chars {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn luhn_and_mod97() {
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        assert!(!luhn(b"41111111111a1111"));
        // DE89 3704 0044 0532 0130 00, rearranged.
        assert_eq!(mod97(b"370400440532013000DE89".iter()), Some(1));
        assert_eq!(mod97(b"37040044053201300 0".iter()), None);
    }

    #[test]
    fn base62_encoding() {
        assert!(base62_equals(0, 6, b"000000"));
        assert!(base62_equals(61, 6, b"00000z"));
        assert!(base62_equals(62, 6, b"000010"));
        assert!(!base62_equals(62, 6, b"00000z"));
        assert!(!base62_equals(62, 5, b"000010"));
    }
}
