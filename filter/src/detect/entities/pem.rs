//! PEM private-key blocks, from `-----BEGIN … PRIVATE KEY-----` through the matching END line,
//! whether the line breaks are real (LF, CRLF, indented) or escaped (`\n` in a string).

use super::util::floor_boundary;
use std::ops::Range;

/// The longest label accepted between `BEGIN ` and `-----` (`ENCRYPTED PRIVATE KEY`, …).
const MAX_LABEL: usize = 40;
/// The longest body searched for its END line.
const MAX_BODY: usize = 64 * 1024;

/// A private-key block whose `-----BEGIN ` anchor spans `start..anchor_end`.
pub fn private_key(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let rest = text.get(anchor_end..)?;
    let head = rest.as_bytes();
    let label_len = head
        .get(..head.len().min(MAX_LABEL + 5))?
        .windows(5)
        .position(|w| w == b"-----")?;
    let label = rest.get(..label_len)?;
    let private = label.ends_with("PRIVATE KEY") || label == "PGP PRIVATE KEY BLOCK";
    if !private || label.contains(['\n', '\r']) {
        return None;
    }
    let body_start = anchor_end + label_len + 5;
    let body_area = text.get(body_start..)?;
    let limit = floor_boundary(body_area, MAX_BODY);
    let body_area = body_area.get(..limit)?;
    // The next `-----` must open the END line: a body never contains dashes, so each BEGIN
    // scans only up to the next marker and the whole pass stays linear.
    let next = body_area.find("-----")?;
    let body = body_area.get(..next)?;
    let after = body_area.get(next..)?;
    let end_line = after.strip_prefix("-----END ")?;
    let end_label = end_line.strip_prefix(label)?;
    if !end_label.starts_with("-----") {
        return None;
    }
    let b64 = body
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    if b64 < 64 || body.contains("...") {
        return None;
    }
    let end = body_start + next + "-----END ".len() + label.len() + 5;
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(label: &str, nl: &str) -> String {
        let line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
        format!("-----BEGIN {label}-----{nl}{line}{nl}{line}{nl}-----END {label}-----")
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, String, bool)> = vec![
            ("lf", block("PRIVATE KEY", "\n"), true),
            ("crlf", block("RSA PRIVATE KEY", "\r\n"), true),
            ("escaped", block("EC PRIVATE KEY", "\\n"), true),
            ("indented", block("ENCRYPTED PRIVATE KEY", "\n    "), true),
            ("pgp", block("PGP PRIVATE KEY BLOCK", "\n"), true),
            ("public", block("PUBLIC KEY", "\n"), false),
            ("certificate", block("CERTIFICATE", "\n"), false),
            (
                "no end",
                block("PRIVATE KEY", "\n").replace("-----END PRIVATE KEY-----", ""),
                false,
            ),
        ];
        for (name, text, want) in cases {
            let got = private_key(&text, 0, "-----BEGIN ".len());
            assert_eq!(got == Some(0..text.len()), want, "case {name}: {got:?}");
        }
    }
}
