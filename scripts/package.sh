#!/usr/bin/env bash
# Builds the release module and packages it as an OCI image layout for Istio / Envoy Gateway.
#   ./scripts/package.sh [TAG]      (default: the crate version)   OUT_DIR=target/oci/llm-warden
# Prints the module's size and sha256 (Envoy `code.remote.sha256`, EG `code.http.sha256`) and the
# image manifest digest (Istio `WasmPlugin.spec.sha256` for oci://, EG `code.image.sha256`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { printf '==> %s\n' "$*"; }

tag=${1:-$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)}
out=${OUT_DIR:-target/oci/llm-warden}
module=target/wasm32-wasip1/release/llm_warden.wasm

say "cargo build --release --target wasm32-wasip1 -p llm-warden"
cargo build --release --target wasm32-wasip1 -p llm-warden
printf 'module  %s\nsize    %s bytes\nsha256  %s\n' "$module" "$(wc -c <"$module")" \
  "$(sha256sum "$module" | cut -d' ' -f1)"

say "OCI image layout (compat variant) → $out, tag $tag"
rm -rf "$out"
python3 scripts/oci_layout.py "$module" "$out" --tag "$tag"
cat <<TXT
Push it with any OCI-layout-aware client, e.g.
  oras cp --from-oci-layout $out:$tag registry.example.com/llm-warden:$tag
  skopeo copy oci:$out:$tag docker://registry.example.com/llm-warden:$tag
TXT
