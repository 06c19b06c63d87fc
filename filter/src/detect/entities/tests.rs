//! Scanner-level tests: the fixture corpus under `testdata/pii/`, type selection, and
//! adversarial inputs that must stay linear.

use super::*;
use serde_json::Value;
use std::path::PathBuf;

fn found(types: &[EntityType], text: &str) -> Vec<(EntityType, String)> {
    let scanner = EntityScanner::new(types).unwrap();
    let mut out = Vec::new();
    scanner.scan(text, &mut out);
    out.iter()
        .map(|f| (f.entity, text[f.span.clone()].to_string()))
        .collect()
}

#[test]
fn scans_only_enabled_types() {
    let text = "mail ops@example.com key AKIAZ7Q3H2LMNP4RSTUV end";
    let got = found(EntityType::ALL, text);
    assert_eq!(
        got,
        [
            (EntityType::Email, "ops@example.com".to_string()),
            (
                EntityType::AwsAccessKeyId,
                "AKIAZ7Q3H2LMNP4RSTUV".to_string()
            )
        ]
    );
    assert_eq!(found(&[EntityType::Email], text).len(), 1);
    assert!(EntityScanner::new(&[]).unwrap().is_empty());
    assert!(!EntityScanner::new(&[EntityType::Phone]).unwrap().is_empty());
}

/// Invisible, tag and fullwidth characters hide a value from a byte-level reader but not from
/// a model (bypass suite, `testdata/bypass/`): the finding covers the hiding characters too.
#[test]
fn values_hidden_by_invisible_tag_or_fullwidth_characters() {
    let tags: String = "jane.doe@example.com"
        .chars()
        .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
        .collect();
    let fullwidth: String = "4539148803436467"
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let cases: &[(&str, String, EntityType, &str)] = &[
        (
            "zero-width",
            "key AKIA\u{200B}Z7Q3\u{200B}H2LMNP4RSTUV ok".into(),
            EntityType::AwsAccessKeyId,
            "AKIA\u{200B}Z7Q3\u{200B}H2LMNP4RSTUV",
        ),
        (
            "soft hyphen and bidi",
            "mail \u{202D}jane\u{00AD}.doe@example.com\u{202C} now".into(),
            EntityType::Email,
            "jane\u{00AD}.doe@example.com",
        ),
        (
            "tag characters",
            format!("Summarise this.{tags} Thanks"),
            EntityType::Email,
            tags.as_str(),
        ),
        (
            "fullwidth digits",
            format!("card {fullwidth} due"),
            EntityType::CreditCard,
            fullwidth.as_str(),
        ),
    ];
    for (name, text, entity, value) in cases {
        assert_eq!(
            found(EntityType::ALL, text),
            [(*entity, value.to_string())],
            "case {name}: {text:?}"
        );
    }
    // Joiners inside a word do not join what was apart: two addresses stay two.
    let two = "a@example.com\u{200B} b@example.org";
    assert_eq!(found(&[EntityType::Email], two).len(), 2);
}

#[test]
fn every_type_is_implemented() {
    for t in EntityType::ALL {
        assert!(t.is_implemented(), "{t} has no detector");
    }
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/pii")
}

struct Case {
    file: String,
    name: String,
    text: String,
    expect: Vec<(EntityType, String)>,
}

fn load(path: &std::path::Path) -> Vec<Case> {
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let expect = v["expect"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let name = e["type"].as_str().unwrap();
                    let t = EntityType::from_name(name)
                        .unwrap_or_else(|| panic!("{file}: unknown type {name}"));
                    (t, e["value"].as_str().unwrap().to_string())
                })
                .collect();
            Case {
                file: file.clone(),
                name: v["name"].as_str().unwrap().to_string(),
                text: v["text"].as_str().unwrap().to_string(),
                expect,
            }
        })
        .collect()
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

/// Every fixture: the scanner with all types must report exactly the expected
/// `(type, value)` list, in order. Known gaps are listed in `known-gaps.jsonl` and must still
/// fail (so the ledger only shrinks).
#[test]
fn fixtures() {
    let mut failures = Vec::new();
    let mut total = 0;
    let mut gaps = 0;
    for path in fixture_files() {
        let is_gap_file = path.file_name().is_some_and(|n| n == "known-gaps.jsonl");
        for case in load(&path) {
            total += 1;
            let got = found(EntityType::ALL, &case.text);
            let pass = got == case.expect;
            if is_gap_file {
                gaps += 1;
                if pass {
                    failures.push(format!(
                        "{}: {}: known gap now passes; move it to its family's file\n  input:    {:?}",
                        case.file, case.name, case.text
                    ));
                }
            } else if !pass {
                failures.push(format!(
                    "{}: {}\n  input:    {:?}\n  expected: {:?}\n  actual:   {:?}",
                    case.file, case.name, case.text, case.expect, got
                ));
            }
        }
    }
    assert!(total > 200, "only {total} fixtures found");
    assert!(
        failures.is_empty(),
        "{} of {total} fixtures failed ({gaps} known gaps):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every new vendor type has at least one positive and one negative fixture.
#[test]
fn fixtures_cover_every_type() {
    let cases: Vec<Case> = fixture_files().iter().flat_map(|p| load(p)).collect();
    for t in EntityType::ALL {
        assert!(
            cases.iter().any(|c| c.expect.iter().any(|(e, _)| e == t)),
            "no positive fixture for {t}"
        );
    }
    assert!(cases.iter().filter(|c| c.expect.is_empty()).count() > 80);
}

/// Findings are sorted, non-overlapping and on char boundaries whatever the text.
#[test]
fn spans_are_well_formed_around_non_ascii() {
    let texts = [
        "é4111 1111 1111 1111é",
        "😀+44 20 7946 0958😀",
        "ü10.0.0.1ü 2001:db8::1ß",
        "password: pässwörd123 ok",
        "‑‑‑‑‑BEGIN PRIVATE KEY‑‑‑‑‑",
        "contraseña: ñandú-2024!",
        "日本語jane@例え.jp、",
        "\u{a0}4111\u{a0}1111\u{a0}1111\u{a0}1111\u{a0}",
    ];
    let scanner = EntityScanner::new(EntityType::ALL).unwrap();
    for text in texts {
        let mut out = Vec::new();
        scanner.scan(text, &mut out);
        let mut last = 0;
        for f in &out {
            assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
            assert!(
                f.span.start >= last && f.span.start < f.span.end,
                "{text:?}: {out:?}"
            );
            last = f.span.end;
        }
    }
}

/// Addresses written back to back (`a@b.gls+c@d.com`): the second one's local part runs back
/// over the first one's domain to its `@`. Each is found in the first scan, the second
/// starting where the first ends, so a scan of the redacted text finds nothing more
/// (redaction is idempotent; found by the `response` fuzz target).
#[test]
fn chained_addresses_are_redacted_in_one_pass() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "plus after the domain",
            "x@dom.gls+p@amp.glso",
            &["x@dom.gls", "+p@amp.glso"],
        ),
        (
            "underscore after the domain",
            "mail x@dom.gls_p@amp.glso now",
            &["x@dom.gls", "_p@amp.glso"],
        ),
        (
            "three in a row",
            "a@b.gls%c@d.glso%e@f.com",
            &["a@b.gls", "%c@d.glso", "%e@f.com"],
        ),
        (
            "dot ending the first domain",
            "a@b.gls.+c@d.com",
            &["a@b.gls", "+c@d.com"],
        ),
        ("first one rejected", "a@b.g1+c@d.com", &["+c@d.com"]),
        ("domain right before an at", "a@b.co@c.com", &[]),
        ("empty domain before the local part", "a@+c@d.com", &[]),
        (
            "fuzz input",
            "p:or@cxampl6ye.gls+%t-orcx@ampl6yeye.gls+%t-orcx@ampl6ye.glso%tye",
            &[
                "or@cxampl6ye.gls",
                "+%t-orcx@ampl6yeye.gls",
                "+%t-orcx@ampl6ye.glso",
            ],
        ),
    ];
    for (name, text, want) in cases {
        let scanner = EntityScanner::new(&[EntityType::Email]).unwrap();
        let mut out = Vec::new();
        scanner.scan(text, &mut out);
        let got: Vec<&str> = out.iter().map(|f| &text[f.span.clone()]).collect();
        assert_eq!(&got, want, "case {name}: {text:?}");
        assert_rescan_finds_nothing(&scanner, name, text, &out);
    }
}

/// Replaces `findings` of `text` with their labels and scans the result again: redaction must
/// be idempotent, so the second scan finds nothing.
fn assert_rescan_finds_nothing(
    scanner: &EntityScanner,
    name: &str,
    text: &str,
    findings: &[Finding],
) {
    let redacted = crate::detect::labelled(text, findings);
    let mut again = Vec::new();
    scanner.scan(&redacted, &mut again);
    assert!(
        again.is_empty(),
        "case {name}: {redacted:?} gives {again:?}"
    );
}

/// Findings that overlap without one holding the other (a URL whose path runs into the next
/// URL's scheme and userinfo) come out as one finding over both, of the longer one's type:
/// keeping only the longer one left the other's password in clear, and a scan of the
/// redacted text then found more (found by the `response` fuzz target).
#[test]
fn partly_overlapping_findings_are_merged() {
    type Case<'a> = (&'a str, &'a str, &'a [(EntityType, &'a str)]);
    let cases: &[Case] = &[
        (
            "first URL longer, its path into the second",
            "see db://u:pw1@host.b://v:sec|ret@h2.co ok",
            &[(
                EntityType::UrlCredentials,
                "db://u:pw1@host.b://v:sec|ret@h2.co",
            )],
        ),
        (
            "second URL longer",
            "p.exant://0o+.spmltq::.@p.exacont://А:zorHcщpzv:o@os5pw.dpco./ ok",
            &[(
                EntityType::UrlCredentials,
                "p.exant://0o+.spmltq::.@p.exacont://А:zorHcщpzv:o@os5pw.dpco./",
            )],
        ),
        (
            "non-ASCII letter in the host, then another at",
            "x nt://:r@tӿ@p.ef y",
            &[(EntityType::UrlCredentials, "nt://:r@tӿ@p.ef")],
        ),
        (
            "scheme glued to an e-mail domain by a non-ASCII letter",
            "x i@p.tӿnt://:z@c.com y",
            &[],
        ),
        (
            "one inside the other stays the outer one",
            "x postgres://bob:s3cr3t@db.example.com/app y",
            &[(
                EntityType::UrlCredentials,
                "postgres://bob:s3cr3t@db.example.com/app",
            )],
        ),
        (
            "equal spans keep the specific type",
            "password = AKIAZ7Q3H2LMNP4RSTUV",
            &[(EntityType::AwsAccessKeyId, "AKIAZ7Q3H2LMNP4RSTUV")],
        ),
    ];
    let scanner = EntityScanner::new(EntityType::ALL).unwrap();
    for (name, text, want) in cases {
        let mut out = Vec::new();
        scanner.scan(text, &mut out);
        let got: Vec<(EntityType, &str)> = out
            .iter()
            .map(|f| (f.entity, &text[f.span.clone()]))
            .collect();
        assert_eq!(&got, want, "case {name}: {text:?}");
        assert_rescan_finds_nothing(&scanner, name, text, &out);
    }
}

/// Adversarial inputs: a megabyte of one repeated trigger must scan without panicking and give
/// disjoint findings. How fast is a benchmark's job (`benches/entities.rs`, group
/// `adversarial`), not a timed assertion here; a quadratic rescan would still show as a test
/// run that takes minutes.
#[test]
fn adversarial_inputs_stay_linear() {
    const MB: usize = 1 << 20;
    let unit_inputs: &[(&str, &str)] = &[
        ("digits", "7"),
        ("colons", ":"),
        ("at signs", "@"),
        ("hex colon", "a:"),
        ("dotted digits", "1."),
        ("dashed hex", "ab-"),
        ("spaced groups", "1234 "),
        ("scheme separators", "a://"),
        ("url userinfo", "a://b:c@"),
        ("begin markers", "-----BEGIN RSA PRIVATE KEY-----"),
        ("jwt headers", "eyJhbGciOiJIUzI1NiJ9."),
        ("password labels", "password "),
        ("pass labels", "pass"),
        ("slack prefixes", "xoxb-1"),
        ("aws prefixes", "AKIA"),
        ("secret labels", "aws_secret_access_key "),
        ("plus signs", "+1"),
        ("parens", "(1"),
        ("iban-like", "DE12"),
        ("base64", "Ab9+"),
        ("backslash n", "\\n"),
    ];
    let scanner = EntityScanner::new(EntityType::ALL).unwrap();
    for (name, unit) in unit_inputs {
        let text = unit.repeat(MB / unit.len());
        let mut out = Vec::new();
        scanner.scan(&text, &mut out);
        assert!(
            out.windows(2).all(|w| w[0].span.end <= w[1].span.start),
            "{name}: overlapping findings"
        );
        assert!(out.len() <= text.len(), "{name}: more findings than bytes");
    }
}

/// The pass stops wherever an anchor's key pair occurs, so a key common in prose costs every
/// prompt a stop every few hundred bytes: keys avoid the prose pairs when the anchor has other
/// pairs, and take the rarest prose pair when it has none.
#[test]
fn anchors_are_keyed_off_common_prose_pairs() {
    let cases: &[(&str, &str, &str)] = &[
        ("german label avoids ke", "kennwort", "nw"),
        ("dutch label avoids ch", "wachtwoord", "tw"),
        ("slack prefix avoids xp", "xoxp-", "p-"),
        ("shopify prefix avoids pp", "shppa_", "a_"),
        ("gitlab prefix avoids gl and lp", "glpat-", "t-"),
        ("github prefix keeps its underscore", "ghp_", "p_"),
        ("capitals are not prose pairs", "AKIA", "KI"),
        ("all-prose label takes its rarest pair", "pass", "pa"),
    ];
    let scanner = EntityScanner::new(EntityType::ALL).unwrap();
    for (name, pattern, want) in cases {
        let anchor = scanner.anchors.iter().find(|a| a.pattern == *pattern);
        let key = anchor.map(|a| &a.pattern[a.key..(a.key + 2).min(a.pattern.len())]);
        assert_eq!(key, Some(*want), "{name}: key of {pattern:?}");
    }
}

/// `Anchor::is_at` compares the first four bytes as one word before any byte loop; it must
/// agree with a plain comparison (`eq_ignore_ascii_case` for any-case anchors) everywhere,
/// including near the end of the text where no word can be loaded.
#[test]
fn anchor_word_comparison_agrees_with_byte_comparison() {
    fn never(_: &str, _: usize, _: usize) -> Option<Range<usize>> {
        None
    }
    let cases: &[(&str, &str, bool, &str, bool)] = &[
        ("label in capitals", "pass", true, "x PASSWORD", true),
        ("label in mixed case", "pass", true, "x pAsS", true),
        (
            "exact prefix in other case",
            "ghp_",
            false,
            "x GHP_abc",
            false,
        ),
        ("exact prefix", "ghp_", false, "x ghp_abc", true),
        (
            "backtick is not an any-case at sign",
            "@a",
            true,
            "x `a",
            false,
        ),
        (
            "at sign is not an any-case backtick",
            "`a",
            true,
            "x @a",
            false,
        ),
        (
            "bracket is not an any-case brace",
            "{a",
            true,
            "x [a",
            false,
        ),
        ("short anchor at the very end", "pw", true, "x PW", true),
        (
            "short anchor cut off by the end",
            "pwd",
            true,
            "x pw",
            false,
        ),
        (
            "long anchor differs after four bytes",
            "secret_key",
            true,
            "x SECRET-KEY",
            false,
        ),
        (
            "long anchor in any case",
            "secret_key",
            true,
            "x Secret_Key=",
            true,
        ),
        ("non-ASCII label", "lösenord", true, "x LöSENORD", true),
        (
            "non-ASCII byte compared exactly",
            "lösenord",
            true,
            "x lÖsenord",
            false,
        ),
        ("one-byte anchor", "@", false, "x @", true),
    ];
    for (name, pattern, any_case, text, want) in cases {
        let anchor = Anchor {
            pattern,
            any_case: *any_case,
            key: 0,
            prefix: Prefix::of(pattern.as_bytes(), *any_case),
            entity: EntityType::Password,
            validate: never,
        };
        let bytes = text.as_bytes();
        let window = bytes.get(2..2 + pattern.len());
        let plain = window.is_some_and(|w| {
            if *any_case {
                w.eq_ignore_ascii_case(pattern.as_bytes())
            } else {
                w == pattern.as_bytes()
            }
        });
        assert_eq!(plain, *want, "{name}: the case itself");
        assert_eq!(
            anchor.is_at(bytes, 2),
            *want,
            "{name}: {pattern:?} in {text:?}"
        );
    }
}

/// Our own replacements name the type: `[REDACTED:PASSWORD]` or a keyed hash
/// `[PASSWORD:3f9a0c21b7d4]` must not label the value after them, or a second scan of a
/// redacted text would find more (found by the `response` fuzz target, crash-143cc75a); nor
/// may a value that holds one (a run first rejected as too long, shortened by the redaction
/// inside it: crash-d0c0be29).
#[test]
fn replacements_are_not_password_labels() {
    let cases: &[(&str, &str, usize)] = &[
        ("label replacement", "pw:[REDACTED:PASSWORD] :opw", 0),
        ("hash replacement", "pw:[PASSWORD:3f9a0c21b7d4] :opw", 0),
        ("a real label still counts", "password: hunter2x", 1),
        (
            "a value holding a replacement",
            "pw:abc.pwd==x//[REDACTED:PASSWORD] end",
            0,
        ),
        (
            "a real bracketed key still counts",
            "cfg['password'] = 's3cr3t!x'",
            1,
        ),
    ];
    for (name, text, want) in cases {
        let got = found(&[EntityType::Password], text);
        assert_eq!(got.len(), *want, "case {name}: {text:?} gives {got:?}");
    }
}
