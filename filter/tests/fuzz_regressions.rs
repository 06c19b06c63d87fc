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
    let targets: [(&str, Check); 8] = [
        ("json", checks::json),
        ("config", checks::config_bytes),
        ("request", checks::request),
        ("response", checks::response),
        ("pairs", checks::pairs),
        ("entities", checks::entities),
        ("injection", checks::injection),
        ("stream", checks::stream),
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
