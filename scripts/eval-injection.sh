#!/usr/bin/env bash
# Scores the injection screen on the shared corpus: builds the CLI in release, runs
# `llm-warden scan` on the dev and test splits with the default policy, and prints the
# per-category tables of shared/eval/score_injection.py.
#
# Then scans the team-written probes that are never trained on (testdata/injection/*-probe.jsonl:
# benign requests and security-guidance paragraphs) and prints how many the screen flags.
#
# Usage: scripts/eval-injection.sh [dev|test|both]   (default both; test is for reporting only)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
eval_dir="${EVAL_DIR:-/work/shared/eval}"
splits="${1:-both}"
[ "$splits" = both ] && splits="dev test"
out="$root/target/eval/injection"
mkdir -p "$out"

echo "+ cargo build --release -p llm-warden-cli"
cargo build --release -p llm-warden-cli --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/release/llm-warden"

for split in $splits; do
  corpus="$eval_dir/injection/$split.jsonl"
  pred="$out/$split.pred.jsonl"
  echo "+ llm-warden scan --input $corpus --output $pred"
  "$bin" scan --input "$corpus" --output "$pred"
  echo "+ python3 $eval_dir/score_injection.py $pred $corpus"
  echo "== $split =="
  python3 "$eval_dir/score_injection.py" "$pred" "$corpus" --json="$out/$split.report.json"
done

# Team-written benign probes, never trained on: flagged per file (and per language).
for probe in "$root"/testdata/injection/*-probe.jsonl; do
  pred="$out/$(basename "$probe" .jsonl).pred.jsonl"
  "$bin" scan --input "$probe" --output "$pred"
  python3 - "$probe" "$pred" <<'EOF'
import collections, json, os, sys
items = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
flags = {p["id"]: p["flagged"] for p in (json.loads(l) for l in open(sys.argv[2]) if l.strip())}
by = collections.defaultdict(lambda: [0, 0])
for d in items:
    for key in ("all", d.get("lang", "en")):
        by[key][0] += 1
        by[key][1] += flags[d["id"]]
langs = " ".join(f"{k} {f}/{n}" for k, (n, f) in sorted(by.items()) if k != "all")
n, f = by["all"]
print(f"== probe {os.path.basename(sys.argv[1])}: flagged {f} of {n} ({f / n:.3f}); {langs}")
EOF
done
