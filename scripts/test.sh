#!/usr/bin/env bash
# The test command (README, CI): installs what it needs, then runs every check in order and
# stops at the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

say "setup (scripts/setup.sh)"
./scripts/setup.sh

say "cargo fmt --check"
cargo fmt --all -- --check

say "clippy, native and wasm32, warnings denied"
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo clippy --locked -p llm-warden -p llm-warden-noop --target wasm32-wasip1 -- -D warnings

say "cargo test (engine, CLI, mock)"
cargo test --locked --workspace

say "release wasm"
cargo build --locked --release --target wasm32-wasip1 -p llm-warden
wasm=target/wasm32-wasip1/release/llm_warden.wasm
printf 'built %s (%s bytes)\n' "$wasm" "$(wc -c <"$wasm")"

say "fault-injection module (test only: lets e2e show Envoy's failure_policy with this filter)"
cargo build --locked --profile fault --target wasm32-wasip1 -p llm-warden --features fault-injection

say "CLI and mock upstream"
cargo build --locked -p llm-warden-cli -p llm-warden-mock

say "envoy --mode validate on every config under envoy/"
for config in envoy/*.yaml; do
  .venv/bin/envoy --mode validate -c "$config" --log-level error
done
rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
.venv/bin/python scripts/envoy_config.py --upstream-url https://api.openai.com --out "$rendered/tls.yaml"
.venv/bin/envoy --mode validate -c "$rendered/tls.yaml" --log-level error
echo "(rendered) envoy/envoy.yaml with UPSTREAM_URL=https://api.openai.com: OK"

say "mesh manifests: real CRD schemas (../shared/schemas) and the embedded plugin configs"
.venv/bin/python ../shared/schemas/validate_manifests.py --skip-unknown istio/
./target/debug/llm-warden validate istio/*.yaml

say "python tests: config schema and fixtures, packaging, e2e in real Envoy"
.venv/bin/python -m pytest -q tests

say "demo: scripts/run.sh --smoke"
./scripts/run.sh --smoke

printf '\nall checks passed in %ss\n' "$((SECONDS - started))"
