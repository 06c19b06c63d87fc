//! Byte searches over stream data, a machine word at a time, and the UTF-8 view of event bytes.
//!
//! Why by hand: every byte of a stream passes through the terminator search, and every byte of
//! a streamed delta through the string-literal scan; testing eight bytes per step (a word with
//! a zero byte in the lane where the input had a byte looked for) costs a fraction of a
//! byte-by-byte walk.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Nonzero when a word has a zero byte (exact: a borrow can only pass a zero byte upwards).
/// Masks rather than booleans, so that several tests combine with `|` and one branch.
fn zero_mask(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// Nonzero when a word has a byte below `n` (exact for `n` up to `0x80`, like `zero_mask`).
fn below_mask(v: u64, n: u64) -> u64 {
    v.wrapping_sub(ONES * n) & !v & HIGHS
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

/// The index of the first line terminator (`\n` or `\r`) in `bytes`. Why not `find_either`:
/// one test for a byte below `\r` + 1 is cheaper than two equality tests, and in event streams
/// the other bytes it lets through (tab, NUL, …) are rare; the byte walk sorts them out.
pub(crate) fn find_line_end(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let i = find_by_word(
            bytes.get(at..)?,
            |v| below_mask(v, u64::from(b'\r') + 1) != 0,
            |c| c <= b'\r',
        )?;
        at += i;
        if matches!(bytes.get(at), Some(b'\n' | b'\r')) {
            return Some(at);
        }
        at += 1;
    }
}

/// The index of the first `a` or `b` in `bytes`.
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    let xa = u64::from_ne_bytes([a; 8]);
    let xb = u64::from_ne_bytes([b; 8]);
    find_by_word(
        bytes,
        |v| zero_mask(v ^ xa) | zero_mask(v ^ xb) != 0,
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
        |v| zero_mask(v ^ QUOTE) | zero_mask(v ^ BACKSLASH) | below_mask(v, 0x20) != 0,
        |c| c == b'"' || c == b'\\' || c < 0x20,
    )
}

/// The index of the first occurrence of `needle` (not empty) in `hay`. Why not `str::find`:
/// its two-way searcher sets up per call and then steps through the text; the needles here
/// (`-----BEGIN `, `-----END `) start with a byte that prose seldom holds, so finding that
/// byte a word at a time and comparing there is cheaper.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    let mut at = 0;
    loop {
        at += find_either(hay.get(at..)?, first, first)?;
        if hay.get(at..)?.starts_with(needle) {
            return Some(at);
        }
        at += 1;
    }
}

/// Whether `a` and `b` hold the same bytes. Why by hand: on wasm32 slice equality calls the
/// runtime's `memcmp`, a byte-at-a-time loop, and the rewriter compares an event envelope's
/// hundred-odd bytes for every event.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut words = a.chunks_exact(8).zip(b.chunks_exact(8));
    let word = |w: &[u8]| {
        let mut x = [0u8; 8];
        x.copy_from_slice(w);
        u64::from_ne_bytes(x)
    };
    words.all(|(x, y)| word(x) == word(y))
        && a.chunks_exact(8).remainder() == b.chunks_exact(8).remainder()
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
