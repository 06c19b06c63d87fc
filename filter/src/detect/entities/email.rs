//! E-mail addresses, anchored on `@`.

use std::ops::Range;

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '.'
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
    let domain_start = at + 1;
    let rest = text.get(domain_start..)?;
    let mut end = domain_start;
    for (i, c) in rest.char_indices() {
        if !is_domain_char(c) {
            break;
        }
        end = domain_start + i + c.len_utf8();
    }
    let mut domain = text.get(domain_start..end)?;
    while let Some(d) = domain.strip_suffix(['.', '-']) {
        domain = d;
    }
    let end = domain_start + domain.len();
    // `git@github.com:org/repo.git` is an SSH remote, not a mailbox.
    if text.get(end..).is_some_and(|after| after.starts_with(':')) {
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
    let tld_ok = last.chars().count() >= 2 && last.chars().all(char::is_alphabetic);
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
            ("url userinfo", "https://user@host.example.com/x", None),
            ("lone at", "@", None),
        ];
        for (name, text, want) in cases {
            assert_eq!(find(text), *want, "case {name}: {text:?}");
        }
    }
}
