//! URLs that carry a password in their userinfo (`postgres://app:s3cret@db/prod`).
//! Span = the whole URL; URLs without a password, or whose password is a placeholder or a
//! template reference, are not credentials.

use super::replacement::holds_replacement_of;
use super::util::byte_at;
use crate::entity::EntityType;
use std::ops::Range;

const MAX_SCHEME: usize = 24;
const MAX_USERINFO: usize = 256;
const MAX_URL: usize = 2048;

fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')
}

/// Whether a password is a stand-in: `<password>`, `${VAR}`, `{{ … }}`, `****`, `xxxx`.
pub fn placeholder_password(p: &[u8]) -> bool {
    let lower: Vec<u8> = p.iter().map(u8::to_ascii_lowercase).collect();
    p.is_empty()
        || p.starts_with(b"<")
        || p.starts_with(b"$")
        || p.starts_with(b"{")
        || p.starts_with(b"%(")
        || p.starts_with(b"[")
        || p.iter()
            .all(|&b| b == b'*' || b == b'x' || b == b'X' || b == b'.')
        || lower == b"password"
        || lower == b"pass"
        || lower == b"pwd"
        || lower == b"secret"
        || lower == b"changeme"
        || lower.starts_with(b"your")
}

/// Whether a non-ASCII letter may join a URL's host (an internationalised name, as it joins an
/// e-mail domain, see `email::is_domain_char`): not Chinese, Japanese or Korean characters,
/// which prose written right after a host without a space consists of.
pub fn joins_host(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Han, kana and Hangul.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{AC00}'..='\u{D7AF}' | '\u{20000}'..='\u{2FFFF}')
}

/// Whether the run of non-space characters before `start` (at most 256 bytes back) holds an
/// `@`: a scheme right after a non-ASCII letter there is glued to an e-mail domain
/// (`a@p.tӿnt://…`, one domain run for the e-mail rule), not a URL of its own. A replacement
/// of an address or a credentials URL stands for the `@` it took away, so a second scan of the
/// redacted text decides as the first did (found by fuzzing).
fn after_a_domain(text: &str, start: usize) -> bool {
    let run = super::util::token_before(text, start, 256);
    run.contains('@')
        || [EntityType::Email, EntityType::UrlCredentials]
            .iter()
            .any(|t| holds_replacement_of(run.as_bytes(), t.name()))
}

/// A credentials URL around the `://` at `sep`.
pub fn url_credentials(text: &str, sep: usize, anchor_end: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    // Scheme: letters first, then letters, digits, `+ . -`.
    let mut start = sep;
    while start > 0
        && sep - start < MAX_SCHEME
        && bytes.get(start - 1).copied().is_some_and(is_scheme_byte)
    {
        start -= 1;
    }
    while start < sep && !bytes.get(start).is_some_and(u8::is_ascii_alphabetic) {
        start += 1;
    }
    // A scheme glued to a word is no scheme. After a non-ASCII letter it is one (Chinese and
    // Japanese write `连接mysql://…`), unless that letter ends an e-mail domain
    // (`a@p.tӿnt://…`): the e-mail rule reads one domain run there, and both rules must see
    // the same words.
    let glued = match text
        .get(..start)
        .and_then(|before| before.chars().next_back())
    {
        Some(c) if c.is_ascii() => c.is_ascii_alphanumeric() || c == '_',
        Some(c) => joins_host(c) && after_a_domain(text, start),
        None => false,
    };
    if sep - start < 2 || glued {
        return None;
    }
    // Userinfo: up to the first `@` before any `/`, whitespace or quote.
    let mut at = None;
    let mut colon = None;
    for (k, &b) in bytes
        .get(anchor_end..)?
        .iter()
        .take(MAX_USERINFO)
        .enumerate()
    {
        match b {
            b'@' => {
                at = Some(anchor_end + k);
                break;
            }
            b':' if colon.is_none() => colon = Some(anchor_end + k),
            b'/' | b'\\' | b'"' | b'\'' | b'`' | b'>' | b'?' | b'#' => return None,
            _ if b.is_ascii_whitespace() => return None,
            _ => {}
        }
    }
    let (at, colon) = (at?, colon?);
    // Userinfo holding one of our replacements (`[REDACTED:TYPE]`, `[TYPE:3f9a…]`) was judged
    // when that part was redacted; its colon would read as a password's on a second scan of
    // the redacted text, which would then find more than the first (found by fuzzing).
    if super::replacement::holds_replacement(bytes.get(anchor_end..at)?) {
        return None;
    }
    let password = bytes.get(colon + 1..at)?;
    // `<db_password>` contains no `@`, but `<password>` parsing stops at `>`, handled above.
    if placeholder_password(password) {
        return None;
    }
    // Host: a name or a bracketed IPv6 literal, then port, path, query, fragment.
    let host_start = at + 1;
    let first = byte_at(text, host_start)?;
    if !(first.is_ascii_alphanumeric() || first == b'[') {
        return None;
    }
    // Non-ASCII letters belong to an internationalised host name (`u:p@müller.de`), as they do
    // to an e-mail domain: were the host cut before them, the e-mail rule would read them as the
    // local part of a following `…@x.y` and a second pass over the redacted text would find an
    // address the first pass did not (redaction must be idempotent). Chinese, Japanese and
    // Korean characters end it (`@db并且重试`: prose written without a space), and after the host
    // (path, query, port) any non-ASCII character ends the URL.
    let mut end = host_start;
    let mut in_host = true;
    for c in text.get(host_start..)?.chars() {
        if end - host_start >= MAX_URL {
            break;
        }
        let stop = if c.is_ascii() {
            c.is_ascii_whitespace()
                || matches!(
                    c,
                    '"' | '\'' | '`' | '<' | '>' | '\\' | '|' | '^' | '{' | '}'
                )
        } else {
            !(in_host && joins_host(c))
        };
        if stop {
            break;
        }
        if matches!(c, '/' | '?' | '#' | ':') {
            in_host = false;
        }
        end += c.len_utf8();
    }
    // Sentence punctuation after the URL is not part of it.
    while end > host_start
        && matches!(
            byte_at(text, end - 1),
            Some(b'.' | b',' | b';' | b':' | b'!' | b'?' | b')')
        )
    {
        end -= 1;
    }
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "plain",
                "postgres://u:p4ss@db/x",
                Some("postgres://u:p4ss@db/x"),
            ),
            (
                "quoted",
                "'redis://:pw123@h:6379/0'",
                Some("redis://:pw123@h:6379/0"),
            ),
            ("no password", "ssh://git@github.com/a/b.git", None),
            ("placeholder", "postgres://u:<password>@db/x", None),
            ("env", "postgres://u:${PW}@db/x", None),
            ("masked", "amqp://guest:****@mq:5672/", None),
            (
                "trailing colon",
                "mysql://u:p4ss@db/x: timeout",
                Some("mysql://u:p4ss@db/x"),
            ),
            ("scheme in a word", "xhttp://u:p@h", Some("xhttp://u:p@h")),
            (
                "scheme after an e-mail domain's letter",
                "a@p.ӿnt://u:p@h",
                None,
            ),
            (
                "the same once the address is redacted",
                "[REDACTED:EMAIL]ӿnt://u:p@h",
                None,
            ),
            (
                "after a redacted credentials url",
                "[URL_CREDENTIALS:0a1b]ӿnt://u:p@h",
                None,
            ),
            (
                "after another redaction",
                "[REDACTED:PHONE]ӿnt://u:p@h",
                Some("nt://u:p@h"),
            ),
            (
                "scheme right after Chinese",
                "连接mysql://root:s3cretPW@db.internal/app",
                Some("mysql://root:s3cretPW@db.internal/app"),
            ),
            (
                "scheme right after Japanese",
                "データベースはpostgres://admin:hunter2x@10.0.0.5:5432/prodです",
                Some("postgres://admin:hunter2x@10.0.0.5:5432/prod"),
            ),
            (
                "scheme after a Cyrillic word",
                "ӿnt://u:p@h",
                Some("nt://u:p@h"),
            ),
            (
                "prose right after the host",
                "连接 mysql://u:p4ss@db并且重试",
                Some("mysql://u:p4ss@db"),
            ),
            (
                "prose right after a dotted host",
                "mysql://u:p4ss@db.internal请使用它",
                Some("mysql://u:p4ss@db.internal"),
            ),
            (
                "a bracket in the password",
                "mongodb://admin:Pa[SS:w0rd123@db.example.com/app",
                Some("mongodb://admin:Pa[SS:w0rd123@db.example.com/app"),
            ),
            (
                "a bracket in the user",
                "redis://[ADMIN:hunter2secret@cache.internal:6379",
                Some("redis://[ADMIN:hunter2secret@cache.internal:6379"),
            ),
            (
                "userinfo holding a label",
                "nt://[REDACTED:URL_CREDENTIALS]:x@p",
                None,
            ),
            (
                "userinfo holding a keyed hash",
                "nt://[URL_CREDENTIALS:3f9a0c]:x@p",
                None,
            ),
            (
                "idn host",
                "redis://u:p4ss@müller.de/0 ok",
                Some("redis://u:p4ss@müller.de/0"),
            ),
            (
                "prose after the path",
                "连接 mysql://u:p4ss@db/x并且重试",
                Some("mysql://u:p4ss@db/x"),
            ),
            (
                "prose after the port",
                "mysql://u:p4ss@db:3306并且",
                Some("mysql://u:p4ss@db:3306"),
            ),
        ];
        for (name, text, want) in cases {
            let sep = text.find("://").unwrap();
            let got = url_credentials(text, sep, sep + 3).map(|r| &text[r]);
            assert_eq!(got, *want, "case {name}");
        }
    }
}
