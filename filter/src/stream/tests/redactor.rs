//! The streaming redactor: tables of delta sequences, hold-back behaviour, private-key
//! blocks, actions, and the invariant over random splits of random texts.

use super::support::{detector, random_pieces, reference_redact, Rng};
use crate::detect::Finding;
use crate::entity::EntityType;
use crate::stream::redactor::{
    redact_whole, Detector, FindingAction, Redactor, RedactorOptions, Sink,
};

const EMAIL: &str = "jane.doe@example.com";
const AWS: &str = "AKIAZ7Q3H2LMNP4RSTUV";

fn opts() -> RedactorOptions {
    RedactorOptions {
        window: 256,
        lookbehind: 64,
        private_keys: true,
        pem_cap: 16 * 1024,
        run_cap: 16 * 1024,
    }
}

/// Feeds `deltas`; returns what each push released and the final flush.
fn run(det: &dyn Detector, o: RedactorOptions, deltas: &[&str]) -> (Vec<String>, String) {
    let mut r = Redactor::new(o);
    let mut pushes = Vec::new();
    for d in deltas {
        let mut sink = Sink::default();
        r.push(d, det, &mut sink);
        pushes.push(sink.text);
    }
    let mut sink = Sink::default();
    r.finish(det, &mut sink);
    (pushes, sink.text)
}

fn pem(body_lines: usize) -> String {
    let line = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
    let mut s = String::from("-----BEGIN RSA PRIVATE KEY-----\n");
    for _ in 0..body_lines {
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("-----END RSA PRIVATE KEY-----");
    s
}

#[test]
fn deltas_table() {
    let det = detector();
    let cases: &[(&str, &[&str])] = &[
        ("no entity", &["hello ", "world"]),
        ("email whole", &["mail ", EMAIL, " now"]),
        ("email split", &["mail jane.", "doe@exa", "mple.com now"]),
        (
            "email split before tld ends",
            &["mail jane.doe@example.c", "om", "!"],
        ),
        ("aws split", &["key AKIAZ7Q3", "H2LMNP4R", "STUV done"]),
        (
            "aws followed by word char is no key",
            &["key AKIAZ7Q3H2LMNP4RSTUV", "X done"],
        ),
        ("two entities", &["a ", EMAIL, " b ", AWS, " c"]),
        ("entity at the very end", &["x ", EMAIL]),
        ("multibyte around", &["é😀 ", "jane.doe@exam", "ple.com ü"]),
        (
            "one byte at a time",
            &["m", "a", "i", "l", " ", "a", "@", "b", ".", "c", "o", " "],
        ),
    ];
    for (name, deltas) in cases {
        let whole: String = deltas.concat();
        let want = reference_redact(det.as_ref(), &whole);
        let (pushes, tail) = run(det.as_ref(), opts(), deltas);
        let got = pushes.concat() + &tail;
        assert_eq!(
            got, want,
            "case {name}: input {deltas:?}\nexpected {want:?}\nactual {got:?}"
        );
    }
}

#[test]
fn plain_text_is_released_up_to_the_window() {
    let det = detector();
    let o = RedactorOptions {
        window: 64,
        lookbehind: 16,
        private_keys: true,
        pem_cap: 1024,
        run_cap: 16 * 1024,
    };
    let text = "word ".repeat(100);
    let (pushes, _) = run(det.as_ref(), o, &[&text]);
    assert_eq!(
        pushes[0].len(),
        text.len() - 64,
        "released {}",
        pushes[0].len()
    );
    // Small deltas: once past the window, every push releases as much as it adds.
    let mut r = Redactor::new(o);
    let mut released = 0;
    for i in 0..100 {
        let mut sink = Sink::default();
        r.push("abcd ", det.as_ref(), &mut sink);
        released += sink.text.len();
        assert_eq!(
            released,
            (5 * (i + 1usize)).saturating_sub(64),
            "after push {i}"
        );
        assert!(r.held() <= 64 + 5);
    }
}

#[test]
fn label_comes_out_as_soon_as_the_finding_is_final() {
    let det = detector();
    let o = RedactorOptions {
        window: 64,
        lookbehind: 16,
        private_keys: true,
        pem_cap: 1024,
        run_cap: 16 * 1024,
    };
    let mut r = Redactor::new(o);
    let mut sink = Sink::default();
    r.push(&format!("to {EMAIL} "), det.as_ref(), &mut sink);
    assert_eq!(sink.text, "", "nothing final yet");
    r.push(&"x".repeat(70), det.as_ref(), &mut sink);
    assert!(
        sink.text.starts_with("to [REDACTED:EMAIL] "),
        "{:?}",
        sink.text
    );
    assert_eq!(sink.hits.len(), 1);
}

#[test]
fn never_splits_a_char() {
    let det = detector();
    let o = RedactorOptions {
        window: 64,
        lookbehind: 7,
        private_keys: true,
        pem_cap: 1024,
        run_cap: 16 * 1024,
    };
    let text = "é😀ü".repeat(50);
    let mut rng = Rng(5);
    for _ in 0..50 {
        let pieces = random_pieces(&mut rng, &text, 9);
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let (pushes, tail) = run(det.as_ref(), o, &refs);
        assert_eq!(pushes.concat() + &tail, text);
    }
}

#[test]
fn private_key_is_held_until_its_end_line() {
    let det = detector();
    let key = pem(8);
    let text = format!("key:\n{key}\nbye");
    let mut rng = Rng(11);
    for _ in 0..30 {
        let pieces = random_pieces(&mut rng, &text, 12);
        let mut r = Redactor::new(opts());
        let mut out = String::new();
        for p in &pieces {
            let mut sink = Sink::default();
            r.push(p, det.as_ref(), &mut sink);
            out.push_str(&sink.text);
            assert!(!out.contains("MIIE"), "key body released: {out:?}");
            assert!(!out.contains("-----"), "header released: {out:?}");
        }
        let mut sink = Sink::default();
        r.finish(det.as_ref(), &mut sink);
        out.push_str(&sink.text);
        assert_eq!(out, "key:\n[REDACTED:PRIVATE_KEY]\nbye");
    }
}

#[test]
fn oversized_private_key_is_redacted_unseen() {
    let det = detector();
    let o = RedactorOptions {
        window: 64,
        lookbehind: 16,
        private_keys: true,
        pem_cap: 1024,
        run_cap: 16 * 1024,
    };
    let key = pem(200); // ~13 KiB, over the cap
    let text = format!("a {key} b {EMAIL} c");
    let mut rng = Rng(3);
    for _ in 0..20 {
        let pieces = random_pieces(&mut rng, &text, 40);
        let mut r = Redactor::new(o);
        let mut out = String::new();
        let mut max_held = 0;
        for p in &pieces {
            let mut sink = Sink::default();
            r.push(p, det.as_ref(), &mut sink);
            out.push_str(&sink.text);
            max_held = max_held.max(r.held());
        }
        let mut sink = Sink::default();
        r.finish(det.as_ref(), &mut sink);
        out.push_str(&sink.text);
        assert_eq!(out, "a [REDACTED:PRIVATE_KEY] b [REDACTED:EMAIL] c");
        assert!(max_held <= 1024 + 64 + 40 + 64, "held {max_held}");
    }
}

#[test]
fn unterminated_private_key_is_redacted_at_the_end() {
    let det = detector();
    let key = pem(4);
    let cut = &key[..key.len() - 20];
    let text = format!("see {cut}");
    let (pushes, tail) = run(det.as_ref(), opts(), &[&text[..30], &text[30..]]);
    assert_eq!(pushes.concat() + &tail, "see [REDACTED:PRIVATE_KEY]");
}

/// The END-line search resumes a fixed number of bytes before the text already searched, which
/// can fall inside a multi-byte character. A search that needs a char boundary there (as
/// `str::find` on a sub-slice did before 20c06cd) finds nothing and keeps holding the block
/// and everything after it; the search reads bytes, so the block is redacted as soon as its
/// END line arrives.
#[test]
fn end_line_is_found_when_the_search_resumes_inside_a_character() {
    let det = detector();
    let line = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";
    // 97 bytes of header and body line, then three-byte characters: the next search starts
    // `END_TAIL` (62) bytes before the end of this delta, one byte into a `€`.
    let first = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{line}\n{}",
        "€".repeat(30)
    );
    assert_eq!(
        (first.len() - 62 - 97) % 3,
        1,
        "resume point inside a character"
    );
    let second = format!("\n-----END RSA PRIVATE KEY-----\n{}", "z ".repeat(200));
    let (pushes, tail) = run(det.as_ref(), opts(), &[&first, &second]);
    assert_eq!(pushes[0], "", "the block is held while open");
    assert!(
        pushes[1].starts_with("[REDACTED:PRIVATE_KEY]\nz z"),
        "released once its END line is in: {:?}",
        pushes[1]
    );
    assert_eq!(
        pushes.concat() + &tail,
        format!("[REDACTED:PRIVATE_KEY]\n{}", "z ".repeat(200))
    );
}

#[test]
fn public_pem_blocks_are_not_held() {
    let det = detector();
    let cert = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
        "A".repeat(64)
    );
    let text = format!("{cert} {}", "z".repeat(600));
    let (pushes, _) = run(det.as_ref(), opts(), &[&text]);
    assert!(
        pushes[0].starts_with("-----BEGIN CERTIFICATE-----"),
        "{:?}",
        pushes[0]
    );
}

struct Acting(Box<dyn Detector>, FindingAction);

impl Detector for Acting {
    fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        self.0.scan(text, out)
    }
    fn action(&self, _: EntityType) -> FindingAction {
        self.1
    }
}

#[test]
fn actions() {
    let text = format!("first {} then {EMAIL} end", "w ".repeat(10));
    let keep = Acting(detector(), FindingAction::Keep);
    let s = redact_whole(&text, &keep, opts());
    assert_eq!(s.text, text, "monitor keeps the text");
    assert_eq!(s.hits.len(), 1);

    let block = Acting(detector(), FindingAction::Block);
    let mut r = Redactor::new(opts());
    let mut sink = Sink::default();
    r.push(&text, &block, &mut sink);
    r.finish(&block, &mut sink);
    assert_eq!(sink.blocked, Some(EntityType::Email));
    assert_eq!(sink.text, format!("first {} then ", "w ".repeat(10)));
    // Nothing more is ever released.
    let mut more = Sink::default();
    r.push("later text", &block, &mut more);
    r.finish(&block, &mut more);
    assert_eq!(more.text, "");
}

/// Random texts: words, punctuation, multibyte characters, anchors that do not complete,
/// and planted entities with word breaks around them.
pub fn random_text(rng: &mut Rng, planted: &[&str]) -> String {
    const VOCAB: &[&str] = &[
        "the ",
        "key ",
        "is ",
        "é",
        "😀",
        "\n",
        "ünï ",
        "-- ",
        "AKIA",
        "ghp_",
        "@",
        ".",
        "a",
        "Z7",
        "\r\n",
        "  ",
        "mail",
        "example",
        ".com ",
        "x@",
        "日本語 ",
        ", ",
        "\"",
        "{",
        "}",
        "-----BEGIN ",
        "PRIVATE ",
    ];
    let mut s = String::new();
    for _ in 0..rng.below(120) {
        if rng.chance(8) && !planted.is_empty() {
            s.push(' ');
            s.push_str(planted[rng.below(planted.len())]);
            s.push(' ');
        } else {
            s.push_str(VOCAB[rng.below(VOCAB.len())]);
        }
    }
    s
}

pub fn planted() -> Vec<String> {
    vec![
        EMAIL.to_owned(),
        AWS.to_owned(),
        "ops+alerts@mail.example.org".to_owned(),
        super::fixtures::github_token(),
        pem(3),
    ]
}

#[test]
fn property_any_split_equals_buffered_redaction() {
    let det = detector();
    let planted = planted();
    let refs: Vec<&str> = planted.iter().map(String::as_str).collect();
    let mut rng = Rng(0xC0FFEE);
    for case in 0..300 {
        let text = random_text(&mut rng, &refs);
        let want = reference_redact(det.as_ref(), &text);
        for _ in 0..4 {
            let max = 1 + rng.below(40);
            let pieces = random_pieces(&mut rng, &text, max);
            let deltas: Vec<&str> = pieces.iter().map(String::as_str).collect();
            // A small window leans on the run hold for every token.
            let o = RedactorOptions {
                window: [48, 256][rng.below(2)],
                ..opts()
            };
            let (pushes, tail) = run(det.as_ref(), o, &deltas);
            let got = pushes.concat() + &tail;
            assert_eq!(
                got, want,
                "case {case} window {}: input {deltas:?}\nexpected {want:?}\nactual {got:?}",
                o.window
            );
            for secret in &planted {
                assert!(
                    !got.contains(secret.as_str()),
                    "case {case}: {secret:?} leaked"
                );
            }
        }
    }
}

#[test]
fn tokens_longer_than_the_window_are_held_whole() {
    let det = detector();
    let o = RedactorOptions {
        window: 32,
        lookbehind: 16,
        ..RedactorOptions::default()
    };
    let email = format!("{}@example.com", "a".repeat(300));
    let text = format!("mail {email} now {}", "z ".repeat(40));
    let mut rng = Rng(21);
    for _ in 0..30 {
        let pieces = random_pieces(&mut rng, &text, 9);
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let (pushes, tail) = run(det.as_ref(), o, &refs);
        let all = pushes.concat() + &tail;
        assert_eq!(
            all,
            format!("mail [REDACTED:EMAIL] now {}", "z ".repeat(40))
        );
        assert!(
            !pushes.concat().contains("aaaa"),
            "a token prefix was released early"
        );
    }
    // Without the run hold the same stream leaks the start of the address.
    let off = RedactorOptions { run_cap: 0, ..o };
    let (pushes, _) = run(det.as_ref(), off, &[&text[..200], &text[200..]]);
    assert!(pushes.concat().contains("aaaa"));
}

/// Batching: deltas appended in random groups, released once per group, give the buffered
/// redaction; and whenever a release is not `rewritten`, it is exactly the input between the
/// released offsets before and after it with its marks' replacements (what the rewriter relies
/// on to forward deltas as they came).
#[test]
fn property_batched_release_is_exact_and_verbatim_when_unrewritten() {
    let det = detector();
    let planted = planted();
    let refs: Vec<&str> = planted.iter().map(String::as_str).collect();
    let mut rng = Rng(0xBA7C4);
    let mut verbatim_releases = 0;
    for case in 0..300 {
        let text = random_text(&mut rng, &refs);
        let want = reference_redact(det.as_ref(), &text);
        let max = 1 + rng.below(40);
        let pieces = random_pieces(&mut rng, &text, max);
        let o = RedactorOptions {
            window: [48, 256][rng.below(2)],
            ..opts()
        };
        let mut r = Redactor::new(o);
        let mut input = String::new();
        let mut got = String::new();
        let mut i = 0;
        while i < pieces.len() {
            let group = 1 + rng.below(8);
            for p in pieces.iter().skip(i).take(group) {
                r.append(p);
                input.push_str(p);
            }
            i += group;
            assert_eq!(r.input_offset(), input.len() as u64, "case {case}");
            let r0 = r.released_offset() as usize;
            let mut sink = Sink::default();
            r.release_ready(det.as_ref(), &mut sink);
            let r1 = r.released_offset() as usize;
            if !sink.rewritten {
                // The released input with each mark's input replaced by its output.
                let mut want = String::new();
                let mut at = r0;
                for m in &sink.marks {
                    let (a, b) = (m.input.start as usize, m.input.end as usize);
                    assert!(at <= a && b <= r1, "case {case}: mark {m:?} in {r0}..{r1}");
                    want.push_str(&input[at..a]);
                    assert_eq!(m.output.start, want.len(), "case {case}");
                    want.push_str(&sink.text[m.output.clone()]);
                    at = b;
                }
                want.push_str(&input[at..r1]);
                assert_eq!(sink.text, want, "case {case}: release {r0}..{r1}");
                verbatim_releases += 1;
            }
            got.push_str(&sink.text);
        }
        let mut sink = Sink::default();
        r.finish(det.as_ref(), &mut sink);
        got.push_str(&sink.text);
        assert_eq!(got, want, "case {case}: input {pieces:?}");
    }
    assert!(
        verbatim_releases > 300,
        "{verbatim_releases} verbatim releases"
    );
}
