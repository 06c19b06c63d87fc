//! E-mail addresses, anchored on `@`.

use super::replacement::holds_replacement_of;
use crate::entity::EntityType;
use std::ops::Range;

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// Letters, digits, `-` and `.`; not Chinese, Japanese or Korean characters, which a URL's
/// host does not take either (`url_creds::joins_host`): both rules must end a host name at
/// the same place, or redacting one would change what the other finds.
fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.' || super::url_creds::joins_host(c)
}

/// Top-level "domains" that are file extensions (`logo@2x.png`, `photo@large.jpg`).
const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tiff",
];

/// Where a domain that starts at `from` ends: its run of domain characters, without the dots
/// and hyphens that end it (`mail a@b.com.`).
fn domain_end(text: &str, from: usize) -> usize {
    let rest = text.get(from..).unwrap_or_default();
    let run = rest
        .char_indices()
        .find(|&(_, c)| !is_domain_char(c))
        .map_or(rest.len(), |(i, _)| i);
    let domain = rest.get(..run).unwrap_or_default();
    from + domain.trim_end_matches(['.', '-']).len()
}

/// Whether the token that ends at `start` (at most 96 bytes back) holds a URL's `://`, or the
/// replacement of a credentials URL that held one: a redacted URL before the address must
/// decide as the URL did (redaction is idempotent).
fn after_scheme(text: &str, start: usize) -> bool {
    let token = super::util::token_before(text, start, 96);
    token.contains("://")
        || holds_replacement_of(token.as_bytes(), EntityType::UrlCredentials.name())
}

/// Grows an address around the `@` at byte `at`, or rejects it.
pub fn extend(text: &str, at: usize, _anchor_end: usize) -> Option<Range<usize>> {
    let before = text.get(..at)?;
    let mut start = at;
    for (i, c) in before.char_indices().rev() {
        if !is_local_char(c) {
            break;
        }
        start = i;
    }
    // `a@b.gls+c@d.com`: a local part that runs back to another `@` holds that address's
    // domain first, and starts where that domain ends (`+c`), as it does once the address
    // before it is redacted: a second pass over the redacted text must decide as the first
    // did (redaction is idempotent).
    if text.as_bytes().get(start.wrapping_sub(1)) == Some(&b'@') {
        start = domain_end(text, start);
    }
    while text.as_bytes().get(start) == Some(&b'.') {
        start += 1;
    }
    if start >= at {
        return None;
    }
    // `scheme://user@host`: a URL's userinfo without a password is not a mailbox.
    if text
        .get(..start)
        .is_some_and(|before| before.ends_with("//"))
    {
        return None;
    }
    // `scheme://user:password@host`: the userinfo of a URL, whatever the password looks like.
    if text.as_bytes().get(start.wrapping_sub(1)) == Some(&b':') && after_scheme(text, start) {
        return None;
    }
    let domain_start = at + 1;
    let end = domain_end(text, domain_start);
    let domain = text.get(domain_start..end)?;
    // `git@github.com:org/repo.git` is an SSH remote, not a mailbox: a path follows the colon.
    // A colon ending a sentence or a label (`write to a@b.com: …`, end of line) does not.
    // `[` too: once the path is redacted it starts with a label, and a second pass over the
    // redacted text must decide as the first did (redaction is idempotent).
    let remote_path =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '~' | '.' | '/' | '-' | '[');
    if text
        .get(end..)
        .and_then(|after| after.strip_prefix(':'))
        .and_then(|path| path.chars().next())
        .is_some_and(remote_path)
    {
        return None;
    }
    // `a@b.co@c.com` is no mailbox: a local part right after an `@` (no domain between them),
    // or a domain right before one, is part of a chain (otherwise overlapping candidates
    // redact one address per pass).
    if text.as_bytes().get(start.wrapping_sub(1)) == Some(&b'@')
        || text.as_bytes().get(end) == Some(&b'@')
    {
        return None;
    }
    let mut labels = 0;
    let mut last = "";
    for label in domain.split('.') {
        if label.is_empty() || label.starts_with('-') || label.ends_with('-') {
            return None;
        }
        labels += 1;
        last = label;
    }
    let tld_ok = last.chars().count() >= 2
        && last.chars().all(char::is_alphabetic)
        && !FILE_EXTENSIONS.iter().any(|e| last.eq_ignore_ascii_case(e));
    // `icon@2x.png`: an image scale, not a mailbox.
    let first = domain.split('.').next().unwrap_or("");
    let scale = first.len() >= 2
        && first.ends_with(['x', 'X'])
        && first
            .get(..first.len() - 1)
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    if scale {
        return None;
    }
    (labels >= 2 && tld_ok).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Option<&str> {
        let at = text.find('@')?;
        extend(text, at, at + 1).map(|r| &text[r])
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "plain",
                "write to jane.doe@acme-corp.com today",
                Some("jane.doe@acme-corp.com"),
            ),
            (
                "trailing dot",
                "mail: a.b+tag@example.co.uk.",
                Some("a.b+tag@example.co.uk"),
            ),
            (
                "idn domain",
                "ping jörg@müller.de now",
                Some("jörg@müller.de"),
            ),
            ("upper case", "JOHN@EXAMPLE.ORG", Some("JOHN@EXAMPLE.ORG")),
            ("no dotted domain", "deploy@web-01", None),
            ("numeric tld", "pkg@1.2.3", None),
            ("scope", "npm i @types/node", None),
            ("ssh remote", "git@github.com:org/repo.git", None),
            (
                "colon ends the sentence",
                "the key for jane.doe@example.com:\n",
                Some("jane.doe@example.com"),
            ),
            (
                "colon then space",
                "mail ops@corp.example.com: they answer",
                Some("ops@corp.example.com"),
            ),
            ("url userinfo", "https://user@host.example.com/x", None),
            (
                "after a url's password",
                "pg://h.io/db:x:mia@mail.example.com",
                None,
            ),
            (
                "after a redacted credentials url",
                "[REDACTED:URL_CREDENTIALS]db:x:mia@mail.example.com",
                None,
            ),
            (
                "after a keyed-hash credentials url",
                "[URL_CREDENTIALS:0a1b]db:x:mia@mail.example.com",
                None,
            ),
            (
                "after another redaction",
                "[REDACTED:PHONE]:mia@mail.example.com",
                Some("mia@mail.example.com"),
            ),
            ("lone at", "@", None),
        ];
        for (name, text, want) in cases {
            assert_eq!(find(text), *want, "case {name}: {text:?}");
        }
    }
}
