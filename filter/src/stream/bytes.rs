//! Byte searches over stream data, a machine word at a time, and the UTF-8 view of event bytes.
//!
//! Why by hand: every byte of a stream passes through the terminator search, and every byte of
//! a streamed delta through the string-literal scan; testing eight bytes per step (a word with
//! a zero byte in the lane where the input had a byte looked for) costs a fraction of a
//! byte-by-byte walk.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Whether a word has a zero byte (exact: a borrow can only pass a zero byte upwards).
fn has_zero(v: u64) -> bool {
    v.wrapping_sub(ONES) & !v & HIGHS != 0
}

/// Whether a word has a byte below `0x20` (exact for bounds up to `0x80`, like `has_zero`).
fn has_control(v: u64) -> bool {
    v.wrapping_sub(ONES * 0x20) & !v & HIGHS != 0
}

/// The index of the first byte of `bytes` for which `lane` says yes, where `word` says whether
/// eight bytes hold one.
fn find_by_word(
    bytes: &[u8],
    word: impl Fn(u64) -> bool,
    lane: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if word(u64::from_ne_bytes(w)) {
            break;
        }
        at += 8;
    }
    bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .position(|&c| lane(c))
        .map(|i| at + i)
}

/// The index of the first `a` or `b` in `bytes`.
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    let xa = u64::from_ne_bytes([a; 8]);
    let xb = u64::from_ne_bytes([b; 8]);
    find_by_word(
        bytes,
        |v| has_zero(v ^ xa) || has_zero(v ^ xb),
        |c| c == a || c == b,
    )
}

/// The index of the first byte that ends or interrupts the plain run of a JSON string
/// literal's inside: `"`, `\`, or a control character (below U+0020).
pub(crate) fn find_string_stop(bytes: &[u8]) -> Option<usize> {
    const QUOTE: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASH: u64 = u64::from_ne_bytes([b'\\'; 8]);
    find_by_word(
        bytes,
        |v| has_zero(v ^ QUOTE) || has_zero(v ^ BACKSLASH) || has_control(v),
        |c| c == b'"' || c == b'\\' || c < 0x20,
    )
}

/// `bytes` as text, invalid sequences replaced by U+FFFD. Why not `String::from_utf8_lossy`
/// directly: it walks the bytes one at a time, while `str::from_utf8` checks ASCII a word at a
/// time; event data is almost always valid, so the lossy walk only runs when it is not.
pub(crate) fn utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}
