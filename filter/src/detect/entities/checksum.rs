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
    fn base62_encoding() {
        assert!(base62_equals(0, 6, b"000000"));
        assert!(base62_equals(61, 6, b"00000z"));
        assert!(base62_equals(62, 6, b"000010"));
        assert!(!base62_equals(62, 6, b"00000z"));
        assert!(!base62_equals(62, 5, b"000010"));
    }
}
