//! AWS secret access keys: 40 characters of `[A-Za-z0-9/+]`, recognised only as the value of an
//! AWS secret-key field or phrase (the format alone matches any base64 run).

use super::util::{byte_at, ends_with_ci, line_after, line_before, run_len, starts_with_ci};
use std::ops::Range;

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'/' || b == b'+'
}

/// Whether the anchor at `start..anchor_end` names an AWS secret key: `secret_access_key`,
/// `SecretAccessKey`, "secret access key" (any case), `aws_secret…`, or `secret_key` /
/// `secretKey` right after `aws` (`aws_secret_key`, `awsSecretKey`).
fn aws_label(text: &str, start: usize, anchor_end: usize) -> bool {
    let bytes = text.as_bytes();
    let anchor = bytes.get(start..anchor_end).unwrap_or(&[]);
    if starts_with_ci(anchor, b"aws")
        || anchor.windows(6).any(|w| w.eq_ignore_ascii_case(b"access"))
    {
        return true;
    }
    let prefix = bytes.get(start.saturating_sub(4)..start).unwrap_or(&[]);
    let prefix = prefix
        .strip_suffix(b"_")
        .or_else(|| prefix.strip_suffix(b" "))
        .or_else(|| prefix.strip_suffix(b"-"))
        .unwrap_or(prefix);
    ends_with_ci(prefix, b"aws")
}

fn valid_key(k: &[u8]) -> bool {
    k.len() == 40
        && k.iter().any(u8::is_ascii_uppercase)
        && k.iter().any(u8::is_ascii_lowercase)
        && !k.ends_with(b"EXAMPLEKEY")
        && !k
            .windows(6)
            .any(|w| w.iter().all(|&b| b == b'X' || b == b'x'))
}

/// The first credential-sized token after the label on the same line.
pub fn aws_secret_key(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if !aws_label(text, start, anchor_end) {
        return None;
    }
    let line = line_after(text, anchor_end, 96);
    let base = anchor_end;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied()?;
        if is_key_char(b) {
            let len = run_len(line, i, is_key_char);
            if len >= 16 {
                let tok = bytes.get(i..i + len)?;
                let after = bytes.get(i + len).copied();
                return (valid_key(tok) && after != Some(b'=')).then_some(base + i..base + i + len);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    // IAM credentials CSV: the header names the column, the value is on the next line.
    csv_column(text, start)
}

fn csv_column(text: &str, start: usize) -> Option<Range<usize>> {
    if !starts_with_ci(text.as_bytes().get(start..)?, b"secret access key") {
        return None;
    }
    // Bounded windows: a header line and the row after it, each at most `MAX_LINE` bytes.
    const MAX_LINE: usize = 512;
    let head_before = line_before(text, start, MAX_LINE);
    let header_rest = line_after(text, start, MAX_LINE);
    if !head_before.contains(',') && !header_rest.contains(',') {
        return None;
    }
    let column = head_before.matches(',').count();
    let next_start = start + header_rest.len() + 1;
    if byte_at(text, next_start - 1) != Some(b'\n') {
        return None;
    }
    let next = line_after(text, next_start, MAX_LINE);
    let mut offset = next_start;
    for (k, field) in next.split(',').enumerate() {
        if k == column {
            let f = field.trim_end_matches('\r');
            return valid_key(f.as_bytes()).then_some(offset..offset + f.len());
        }
        offset += field.len() + 1;
    }
    None
}
