#!/usr/bin/env python3
"""Writes a Wasm module as an OCI image layout that Istio and Envoy Gateway can pull.

The image is the "compat" variant both fetchers accept (go-containerregistry based, see
../shared/PLATFORM.md §d): a regular OCI image manifest whose last (only) layer is a gzipped
tar holding `plugin.wasm`. Everything that could vary between runs is fixed (tar and gzip
timestamps, owners, JSON key order), so the manifest digest, the value Istio's
`WasmPlugin.spec.sha256` pins for oci:// URLs, is a function of the module bytes and the tag.

    oci_layout.py MODULE.wasm OUT_DIR [--tag 0.1.0] [--name llm-warden]

Prints `manifest sha256:<hex>` and `module sha256:<hex>`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def layer_tar(module: bytes) -> bytes:
    """An uncompressed tar with one member, plugin.wasm, and no varying metadata."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("plugin.wasm")
        info.size, info.mode, info.mtime = len(module), 0o644, 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, io.BytesIO(module))
    return buf.getvalue()


def gzipped(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


class Blobs:
    def __init__(self, root: Path):
        self.dir = root / "blobs" / "sha256"
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, media_type: str, data: bytes, annotations: dict | None = None) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        (self.dir / digest).write_bytes(data)
        desc = {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}
        if annotations:
            desc["annotations"] = annotations
        return desc


def write_layout(module: bytes, out: Path, tag: str, name: str) -> dict:
    """Writes the layout; returns the manifest descriptor."""
    out.mkdir(parents=True, exist_ok=True)
    blobs = Blobs(out)
    tar = layer_tar(module)
    layer = blobs.put(LAYER, gzipped(tar), {"org.opencontainers.image.title": "plugin.wasm"})
    config = blobs.put(CONFIG, canonical({
        "architecture": "wasm",
        "os": "wasip1",
        "created": "1970-01-01T00:00:00Z",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(tar).hexdigest()}"]},
    }))
    manifest = blobs.put(MANIFEST, canonical({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": config,
        "layers": [layer],
        "annotations": {
            "module.wasm.image/variant": "compat",
            "org.opencontainers.image.title": name,
            "org.opencontainers.image.version": tag,
        },
    }), {"org.opencontainers.image.ref.name": tag})
    (out / "index.json").write_bytes(canonical({
        "schemaVersion": 2, "mediaType": INDEX, "manifests": [manifest]}))
    (out / "oci-layout").write_bytes(canonical({"imageLayoutVersion": "1.0.0"}))
    return manifest


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("module", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--tag", default="0.1.0")
    p.add_argument("--name", default="llm-warden")
    a = p.parse_args(argv)
    module = a.module.read_bytes()
    if not module.startswith(b"\0asm"):
        print(f"oci_layout.py: {a.module} is not a Wasm module", file=sys.stderr)
        return 2
    manifest = write_layout(module, a.out, a.tag, a.name)
    print(f"manifest {manifest['digest']}")
    print(f"module sha256:{hashlib.sha256(module).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
