//! Replays every input saved under `testdata/fuzz/<target>/` (crashes found by
//! `scripts/fuzz.sh`, plus hand-picked seeds) through the same checks the fuzz targets run.
//! A crash found once stays fixed.

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

/// A fuzz target's property check.
type Check = fn(&[u8]);

#[test]
fn saved_fuzz_inputs_pass_their_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fuzz");
    let targets: [(&str, Check); 9] = [
        ("json", checks::json),
        ("config", checks::config_bytes),
        ("request", checks::request),
        ("response", checks::response),
        ("pairs", checks::pairs),
        ("entities", checks::entities),
        ("injection", checks::injection),
        ("stream", checks::stream),
        ("pseudonyms", checks::pseudonyms),
    ];
    let mut replayed = 0;
    for (name, check) in targets {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for entry in dir.flatten() {
            let data = std::fs::read(entry.path()).unwrap();
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(
                result.is_ok(),
                "{name}: {} fails its check again",
                entry.path().display()
            );
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no saved inputs under {}", root.display());
}

/// The pseudonym round trip over hand-written texts (the fuzz target explores the rest).
#[test]
fn pseudonym_round_trip_examples() {
    let aws = ["AKIA", "Z7Q3H2LMNP4RSTUV"].concat();
    let texts = [
        "plain text, nothing to hide".to_string(),
        "mail jane.doe@corp.example.com and ops@example.org, again jane.doe@corp.example.com"
            .to_string(),
        format!("key {aws} card 4111 1111 1111 1111 ssn 123-45-6789 ip 10.1.2.3"),
        "quotes \"a@b.io\" and unicode é a@b.io 😀 +1 415 555 0132".to_string(),
        "password: hunter2hunter2 and postgres://user:s3cr3tPass@db.internal:5432/app".to_string(),
    ];
    let counts: Vec<usize> = texts
        .iter()
        .map(|t| checks::pseudonym_round_trip(t.as_bytes()))
        .collect();
    // Values found per text: none; two e-mails; key, card, SSN, IP; two e-mails and a phone;
    // a password and URL credentials.
    assert_eq!(counts, vec![0, 2, 4, 2, 2]);
}
