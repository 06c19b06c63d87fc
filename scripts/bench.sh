#!/usr/bin/env bash
# Envoy without a filter (A), with a no-op buffering filter (B), with llm-warden (C) and with
# llm-warden passing through (P), in one run, alternating A B C P; prints req/s, p50/p99, Envoy
# CPU per request, the ratios and RSS (idle and after the load).
#   ./scripts/bench.sh [--rounds N] [--seconds S] [--connections C] [--record]
#                      [--scenarios 1k,16k,...] [--configs A,B,C,P,C-noinj,...] [--alt-wasm PATH]
# --record appends the table, with the command and the date, to BENCHMARKS.md. The other options
# are scripts/bench.py's (its docstring says what each configuration switches off).
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
