#!/usr/bin/env bash
# Envoy without a filter (A), with a no-op buffering filter (B) and with llm-warden (C), in one
# run, alternating A B C; prints req/s, p50/p99, Envoy CPU per request and the ratios.
#   ./scripts/bench.sh [--rounds N] [--seconds S] [--connections C] [--record]
# --record appends the table, with the command and the date, to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { printf '==> %s\n' "$*"; }

args=()
for a in "$@"; do
  if [ "$a" = "--record" ]; then args+=(--markdown BENCHMARKS.md); else args+=("$a"); fi
done
command -v wrk >/dev/null || { say "apt-get install wrk"; apt-get update -qq && apt-get install -y -qq wrk; }
[ -x .venv/bin/envoy ] || ./scripts/setup.sh
say "release builds: llm-warden, the no-op filter, the mock provider"
cargo build --release --target wasm32-wasip1 -p llm-warden -p llm-warden-noop
cargo build --release -p llm-warden-mock
.venv/bin/python scripts/bench.py ${args[@]+"${args[@]}"}
