//! Byte classification eight bytes at a time ("SIMD within a register"): the normaliser and
//! the run finder classify a `u64` of text with a few integer operations instead of eight table
//! lookups. Portable (no target features), so native and Wasm builds share it; most text is
//! ASCII letters and spaces, which these masks let the passes copy a block at a time.
//!
//! Every mask has the high bit of a byte set where that byte is in the class, and nothing else,
//! so masks combine with `&`, `|` and `!` (then `& HI`), and `first(mask)` is the index of
//! the first byte in the class (the block is read little-endian: byte 0 is the lowest).

/// 0x01 in every byte.
const LO: u64 = 0x0101_0101_0101_0101;
/// 0x80 in every byte.
pub const HI: u64 = 0x8080_8080_8080_8080;

/// Reads eight bytes of `bytes` at `at`, if there are eight. (`first_chunk` of the tail: two
/// compares; a range `at..at + 8` with an overflow check compiled to seven instructions per
/// block in every loop here.)
#[inline(always)]
pub fn load(bytes: &[u8], at: usize) -> Option<u64> {
    let block = bytes.get(at..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*block))
}

/// Bytes equal to `b` (exact: no false positives from borrows).
#[inline(always)]
pub fn eq(x: u64, b: u8) -> u64 {
    let t = x ^ (LO * u64::from(b));
    !(((t & !HI) + !HI) | t) & HI
}

/// Bytes of `x7` (a block with the high bits cleared) that are `>= n`, for `n` in `1..=0x80`.
/// No byte can carry into the next: each is at most 0x7F + 0x7F.
#[inline(always)]
pub fn ge(x7: u64, n: u8) -> u64 {
    x7.wrapping_add(LO * u64::from(0x80u8.wrapping_sub(n))) & HI
}

/// ASCII bytes in `lo..=hi` (`hi < 0x7F`).
#[inline(always)]
pub fn range(x: u64, lo: u8, hi: u8) -> u64 {
    let x7 = x & !HI;
    ge(x7, lo) & !ge(x7, hi.wrapping_add(1)) & !x
}

/// Index of the first byte in `mask`, or 8 when there is none.
#[inline(always)]
pub fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// The bytes before index `n` (`n` in `0..=8`).
#[inline(always)]
pub fn prefix(n: usize) -> u64 {
    match n {
        0..=7 => (1u64 << (8 * n)) - 1,
        _ => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks agree with the scalar definitions on every byte value in every position.
    #[test]
    fn masks_match_scalar_classes() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                // Neighbours that could disturb a borrow or carry: 0x00, 0x7F, 0x80, 0xFF.
                for fill in [0x00u8, 0x20, 0x7F, 0x80, 0xFF, b'A', b'z'] {
                    let mut block = [fill; 8];
                    block[pos] = b;
                    let x = u64::from_le_bytes(block);
                    let bit = 0x80u64 << (8 * pos);
                    let case = format!("byte {b:#04x} at {pos} among {fill:#04x}");
                    assert_eq!(eq(x, b' ') & bit != 0, b == b' ', "eq: {case}");
                    assert_eq!(eq(x, 0x80) & bit != 0, b == 0x80, "eq 0x80: {case}");
                    assert_eq!(
                        range(x, b'!', b'~') & bit != 0,
                        b.is_ascii_graphic(),
                        "graphic: {case}"
                    );
                    assert_eq!(
                        range(x, b'0', b'9') & bit != 0,
                        b.is_ascii_digit(),
                        "digit: {case}"
                    );
                }
            }
        }
    }

    #[test]
    fn first_and_prefix() {
        // (mask, first byte in it)
        let cases = [
            (0u64, 8),
            (0x80, 0),
            (0x8000, 1),
            (0x80u64 << 56, 7),
            (HI, 0),
        ];
        for (mask, expected) in cases {
            assert_eq!(first(mask), expected, "first({mask:#x})");
        }
        assert_eq!(prefix(0), 0);
        assert_eq!(prefix(3), 0x00FF_FFFF);
        assert_eq!(prefix(8), u64::MAX);
    }
}
