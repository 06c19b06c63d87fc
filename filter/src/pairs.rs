//! The proxy-wasm header-map wire format: a u32 count, then a (key size, value size) pair of
//! u32s per entry, then each key and value followed by a NUL (all little-endian).
//!
//! Pure code, so it is tested natively; the glue uses it for header maps the host returns
//! (bytes an attacker influences: every read here is bounds-checked and values are converted
//! lossily, where the SDK `unwrap`s).

/// Parses a serialised map; a malformed or truncated one yields the entries that parsed.
pub fn deserialize(bytes: &[u8]) -> Vec<(String, String)> {
    let u32_at = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?]) as usize)
    };
    let mut out = Vec::new();
    let Some(count) = u32_at(0) else { return out };
    let mut cursor = count.saturating_mul(8).saturating_add(4);
    for n in 0..count {
        let slot = n.saturating_mul(8).saturating_add(4);
        let (Some(key_len), Some(value_len)) = (u32_at(slot), u32_at(slot.saturating_add(4)))
        else {
            break;
        };
        let key = bytes.get(cursor..cursor.saturating_add(key_len));
        cursor = cursor.saturating_add(key_len).saturating_add(1);
        let value = bytes.get(cursor..cursor.saturating_add(value_len));
        cursor = cursor.saturating_add(value_len).saturating_add(1);
        let (Some(key), Some(value)) = (key, value) else {
            break;
        };
        out.push((
            String::from_utf8_lossy(key).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
    }
    out
}

/// Serialises pairs for the host.
pub fn serialize(pairs: &[(&str, &str)]) -> Vec<u8> {
    let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes();
    let mut out = Vec::new();
    out.extend_from_slice(&len(pairs.len()));
    for (k, v) in pairs {
        out.extend_from_slice(&len(k.len()));
        out.extend_from_slice(&len(v.len()));
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let pairs = [("a", "1"), (":path", "/v1"), ("empty", "")];
        let back = deserialize(&serialize(&pairs));
        assert_eq!(
            back.iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            pairs
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let mut bytes = serialize(&[("x-id", "ab")]);
        let at = bytes.len() - 3; // the 'a' of the value
        bytes[at] = 0xff;
        assert_eq!(
            deserialize(&bytes),
            vec![("x-id".to_string(), "\u{FFFD}b".to_string())]
        );
    }

    #[test]
    fn truncated_and_hostile_input_never_panics() {
        let bytes = serialize(&[("k", "v"), ("key2", "value2")]);
        for cut in 0..bytes.len() {
            assert!(deserialize(&bytes[..cut]).len() <= 2);
        }
        assert!(
            deserialize(&[0xff, 0xff, 0xff, 0xff]).is_empty(),
            "a huge count with no data"
        );
        let mut lie = serialize(&[("k", "v")]);
        lie[4] = 0xff; // key length far past the end
        assert!(deserialize(&lie).is_empty());
    }
}
