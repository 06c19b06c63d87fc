//! Password values: `password=…`, `"db_password": "…"`, `<password>…</password>`,
//! `PGPASSWORD='…'`, `mysql -p'…'`, `curl -u user:…`, "my password is …", "login with admin / …",
//! and the same labels in other languages. Span = the value without quotes. References
//! (`${DB_PASSWORD}`, `os.environ[…]`) and placeholders (`<password>`, `********`) are not
//! passwords.

use super::util::{
    byte_at, byte_before, contains_ci, ends_with_ci, letters_and_spaces, line_before, run_len_back,
    run_len_max, starts_with_ci,
};
use std::ops::Range;

const MAX_VALUE: usize = 256;

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Short labels that must stand alone or end a compound key at a boundary (`db_pass`,
/// `smtpPwd`), so that `bypass` or `compass` never count.
const SHORT_LABELS: &[&[u8]] = &[b"pass", b"pwd", b"pw", b"passwd", b"passphrase"];
/// Labels that end a key anywhere (`PGPASSWORD`, `redisPassword`).
const LONG_LABELS: &[&[u8]] = &[
    b"password",
    b"passwort",
    b"kennwort",
    b"wachtwoord",
    b"losenord",
];

/// Words a password value is never: types, nulls, prose.
const NOT_VALUES: &[&[u8]] = &[
    b"null",
    b"none",
    b"nil",
    b"true",
    b"false",
    b"required",
    b"optional",
    b"string",
    b"str",
    b"undefined",
    b"password",
    b"secret",
    b"hidden",
    b"redacted",
    b"empty",
    b"missing",
    b"changeme",
    b"example",
    b"bool",
    b"int",
    b"text",
];

/// Whether `value` is a reference, template or placeholder rather than a literal password.
pub fn not_a_password(value: &[u8]) -> bool {
    let starts = |p: &[u8]| starts_with_ci(value, p);
    let has = |n: &[u8]| value.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    value.len() < 3
        || value
            .iter()
            .all(|&b| matches!(b, b'*' | b'x' | b'X' | b'.' | b'#' | b'-' | b'_' | b'?'))
        || matches!(value.first(), Some(b'$' | b'<' | b'[' | b'{' | b'`'))
        || NOT_VALUES.iter().any(|v| value.eq_ignore_ascii_case(v))
        || [
            b"%(".as_slice(),
            b"!vault",
            b"your",
            b"os.environ",
            b"os.getenv",
            b"process.env",
            b"getenv(",
            b"env[",
            b"env(",
            b"env.",
            b"settings.",
            b"config.",
            b"self.",
            b"secrets.",
            b"vault:",
        ]
        .iter()
        .any(|p| starts(p))
        || has(b"password_here")
        || has(b"{{")
        || has(b"${")
        || (value.ends_with(b")") && value.contains(&b'('))
        || has(b"****")
        || has(b"xxxx")
}

/// Prose forms are weaker evidence: the value must look like a password (letters and a digit
/// or symbol), not like the next word of a sentence.
fn looks_like_password(value: &[u8]) -> bool {
    let has_alpha = value.iter().any(u8::is_ascii_alphabetic);
    let has_other = value.iter().any(|b| !b.is_ascii_alphabetic());
    value.len() >= 6
        && (has_other
            || (has_alpha
                && value.iter().any(u8::is_ascii_uppercase)
                && value.iter().any(u8::is_ascii_lowercase)
                && value.len() >= 10))
}

/// Where a key's label sits: the whole key, and whether it is a recognised password label.
/// The label runs from the anchor to the end of the key, so the end is found first and most
/// anchors (`passing`, `passport`) are rejected before the key is read backwards.
fn key_bounds(text: &str, start: usize, anchor_end: usize) -> Option<(usize, usize)> {
    let key_end = anchor_end + run_len_max(text, anchor_end, 64, is_key_byte);
    let label = text.as_bytes().get(start..key_end)?;
    let is = |l: &&[u8]| label.eq_ignore_ascii_case(l);
    let long = LONG_LABELS.iter().any(is);
    if !long && !SHORT_LABELS.iter().any(is) {
        return None;
    }
    let key_start = start - run_len_back(text, start, 64, is_key_byte);
    if long || key_start == start {
        return Some((key_start, key_end));
    }
    // A boundary before a short label: `db_pass`, `smtp-pwd`, `dbPass`.
    let key = text.as_bytes().get(key_start..key_end)?;
    let before = byte_before(text, start);
    let first = label.first().copied();
    let ok = matches!(before, Some(b'_' | b'-'))
        || (before.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && first.is_some_and(|b| b.is_ascii_uppercase()))
        || key.iter().all(|b| !b.is_ascii_lowercase());
    ok.then_some((key_start, key_end))
}

/// A password label anchored at `start..anchor_end` (`pass`, `pwd`, `pw`, `kennwort`,
/// `wachtwoord`): the end of a key such as `db_pass` or `PGPASSWORD`.
pub fn labelled(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let (key_start, key_end) = key_bounds(text, start, anchor_end)?;
    after_label(text, key_start, key_end)
}

/// A multi-word or non-ASCII label (`mot de passe`, `contraseña`): it stands as written.
pub fn labelled_phrase(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if byte_before(text, start).is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    after_label(text, start, anchor_end)
}

/// The value after a password label that spans `key_start..key_end`.
fn after_label(text: &str, key_start: usize, key_end: usize) -> Option<Range<usize>> {
    // The type name inside one of our replacements (`[REDACTED:PASSWORD]`) labels nothing.
    if super::replacement::within_replacement(text.as_bytes(), key_start, key_end) {
        return None;
    }
    // `<password>value</password>`
    if byte_before(text, key_start) == Some(b'<') && byte_at(text, key_end) == Some(b'>') {
        let from = key_end + 1;
        let len = run_len_max(text, from, MAX_VALUE, |b| b != b'<' && b != b'\n');
        let value = text.as_bytes().get(from..from + len)?;
        if byte_at(text, from + len) != Some(b'<') || not_a_password(value) {
            return None;
        }
        return Some(from..from + len);
    }
    let mut i = key_end;
    // The key's own closing quote: `"password": …`, `['password'] = …`.
    if matches!(byte_at(text, i), Some(b'"' | b'\'')) {
        i += 1;
    }
    if byte_at(text, i) == Some(b']') {
        i += 1;
    }
    i += run_len_max(text, i, 16, |b| b == b' ' || b == b'\t');
    let ado = matches!(byte_before(text, key_start), Some(b';'));
    match byte_at(text, i) {
        Some(b'=' | b':') => {
            let op = byte_at(text, i);
            i += 1;
            if matches!(byte_at(text, i), Some(b'=' | b'>')) {
                if op == Some(b'=') && byte_at(text, i) == Some(b'=') {
                    return None; // `password == x` is a comparison
                }
                i += 1;
            }
            i += run_len_max(text, i, 16, |b| b == b' ' || b == b'\t');
            value_at(text, i, ado, false)
        }
        _ => prose(text, key_start, i),
    }
}

/// Reads the value at `i`: quoted (to the matching quote on the same line) or bare (to
/// whitespace; in `Key=Value;` connection strings also to `;`).
fn value_at(text: &str, i: usize, ado: bool, prose: bool) -> Option<Range<usize>> {
    let (from, len) = match byte_at(text, i)? {
        q @ (b'"' | b'\'' | b'`') => {
            let from = i + 1;
            let len = run_len_max(text, from, MAX_VALUE + 1, |b| b != q && b != b'\n');
            if len > MAX_VALUE || byte_at(text, from + len) != Some(q) {
                return None;
            }
            (from, len)
        }
        _ => {
            let stop_semicolon = ado || byte_before(text, i).is_some_and(|_| false);
            let len = run_len_max(text, i, MAX_VALUE + 1, |b| {
                !(b.is_ascii_whitespace()
                    || (stop_semicolon && b == b';')
                    || b == b'"'
                    || b == b'\''
                    || b == b'<')
            });
            if len > MAX_VALUE {
                return None;
            }
            let mut len = len;
            // `password=s3cret;` in a connection string or `"…": s3cret,` in inline JSON.
            while len > 0 && matches!(byte_at(text, i + len - 1), Some(b',' | b';')) && !prose {
                len -= 1;
            }
            (i, len)
        }
    };
    let value = text.as_bytes().get(from..from + len)?;
    if not_a_password(value) || (prose && !looks_like_password(value)) {
        return None;
    }
    // A value holding one of our replacements was judged when that part was redacted: read
    // again, it would be shorter than the run first rejected as too long, and a second scan
    // of a redacted text would find more than the first.
    if super::replacement::holds_replacement(value) {
        return None;
    }
    if !text.is_char_boundary(from + len) {
        return None;
    }
    Some(from..from + len)
}

/// "my password is X", "the wifi password is X", "pw for the shared mailbox: X",
/// "temp password X".
fn prose(text: &str, key_start: usize, mut i: usize) -> Option<Range<usize>> {
    let rest = text.as_bytes().get(i..)?;
    if starts_with_ci(rest, b"is ") || starts_with_ci(rest, b"is: ") {
        i += if starts_with_ci(rest, b"is: ") { 4 } else { 3 };
        return value_at(text, i, false, true);
    }
    // A few words, then a colon: "pw for the shared mailbox: X". The words are letters and
    // spaces, so the first other byte decides (one short read, stopping at the first digit or
    // punctuation, instead of 40 bytes and a second pass).
    let line = text.as_bytes().get(i..)?;
    let p = letters_and_spaces(line, 40);
    if p < 40 && line.get(p) == Some(&b':') && line.get(p + 1) == Some(&b' ') {
        return value_at(text, i + p + 2, false, true);
    }
    // "temp password X", "new password X": a direct value after a qualifying word. The
    // qualifiers hold no line break, so matching the bytes right before the key is matching
    // the end of its line.
    let before = text.as_bytes().get(..key_start)?;
    let qualified = byte_before(text, key_start) == Some(b' ')
        && ["temp ", "temporary ", "new ", "initial ", "one-time "]
            .iter()
            .any(|q| ends_with_ci(before, q.as_bytes()));
    if qualified && i > key_start {
        return value_at(text, i, false, true);
    }
    None
}

/// `login with admin / X`, anchored on the ` / ` (rare in prose, unlike the words).
pub fn login_with(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    let user = run_len_back(text, start, 64, |b| !b.is_ascii_whitespace());
    if user == 0 {
        return None;
    }
    let before = text.as_bytes().get(..start - user)?;
    if !ends_with_ci(before, b"login with ") && !ends_with_ci(before, b"log in with ") {
        return None;
    }
    value_at(text, anchor_end, false, false)
}

/// `mysql … -p'secret'` / `-psecret`.
pub fn mysql_p(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if text.as_bytes().get(start..anchor_end) != Some(b"-p".as_slice())
        || byte_before(text, start) != Some(b' ')
    {
        return None;
    }
    let line = line_before(text, start, 120);
    if !(contains_ci(line, "mysql") || contains_ci(line, "mariadb")) {
        return None;
    }
    if byte_at(text, anchor_end).is_none_or(|b| b.is_ascii_whitespace()) {
        return None;
    }
    value_at(text, anchor_end, false, false)
}

/// `curl -u user:secret` (the password half).
pub fn curl_u(text: &str, start: usize, anchor_end: usize) -> Option<Range<usize>> {
    if text.as_bytes().get(start..anchor_end) != Some(b"-u ".as_slice()) {
        return None;
    }
    let line = line_before(text, start, 200);
    if !contains_ci(line, "curl") {
        return None;
    }
    let quoted = matches!(byte_at(text, anchor_end), Some(b'"' | b'\''));
    let from = anchor_end + usize::from(quoted);
    let len = run_len_max(text, from, MAX_VALUE, |b| {
        !(b.is_ascii_whitespace() || b == b'"' || b == b'\'')
    });
    let token = text.as_bytes().get(from..from + len)?;
    let colon = token.iter().position(|&b| b == b':')?;
    let v_from = from + colon + 1;
    let value = text.as_bytes().get(v_from..from + len)?;
    (!not_a_password(value)).then_some(v_from..from + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_placeholders() {
        let cases: &[(&str, bool)] = &[
            ("${DB_PASSWORD}", true),
            ("$DB_PASSWORD", true),
            ("%(db_password)s", true),
            ("{{ .Values.db.password }}", true),
            ("os.environ[\"DB_PASSWORD\"]", true),
            ("process.env.DB_PASS", true),
            ("getenv(\"PGPASSWORD\")", true),
            ("<password>", true),
            ("********", true),
            ("YOUR_PASSWORD_HERE", true),
            ("[REDACTED]", true),
            ("!vault |", true),
            ("null", true),
            ("%8H5Syp0T#", false),
            ("(94b**%UQ3X_", false),
            ("@Mn6o^fXr4S", false),
            ("hunter2", false),
        ];
        for (value, want) in cases {
            assert_eq!(not_a_password(value.as_bytes()), *want, "value {value:?}");
        }
    }

    #[test]
    fn labels() {
        let cases: &[(&str, Option<&str>)] = &[
            ("db_pass=s3cret!", Some("s3cret!")),
            ("dbPass: 'x9y8z7'", Some("x9y8z7")),
            ("bypass=true1", None),
            ("passport: AB12345", None),
            ("password_reset_url = https://x.example/reset", None),
            ("password is too short", None),
            ("the password is Sh0rt-but-ok", Some("Sh0rt-but-ok")),
            ("password for the shared mailbox: Xy7!abc", Some("Xy7!abc")),
            ("password for 2 boxes: Xy7!abc", None),
            ("password for the mailbox:Xy7!abc", None),
            ("temp password Xy7!abc9", Some("Xy7!abc9")),
            ("TEMPORARY password Xy7!abc9", Some("Xy7!abc9")),
            ("temp\npassword Xy7!abc9", None),
            ("attempt password Xy7!abc9", None),
        ];
        for (text, want) in cases {
            let lower = text.to_ascii_lowercase();
            let at = lower.find("pass").unwrap();
            let got = labelled(text, at, at + 4).map(|r| &text[r]);
            assert_eq!(got, *want, "case {text:?}");
        }
    }
}
