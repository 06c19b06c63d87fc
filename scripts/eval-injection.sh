#!/usr/bin/env bash
# Scores the injection screen on the shared corpus: builds the CLI in release, runs
# `llm-warden scan` on the dev and test splits with the default policy, and prints the
# per-category tables of shared/eval/score_injection.py.
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
