"""The OCI image layout scripts/package.sh writes, judged the way Istio's and Envoy Gateway's
image fetchers judge a pulled image (go-containerregistry; ../shared/PLATFORM.md §d):
  1. Docker schema-2 manifest: last layer a docker rootfs tar.gzip holding plugin.wasm;
  2. "compat": OCI manifest whose last layer is an OCI tar+gzip holding plugin.wasm;
  3. "oci": exactly two layers, one of them the raw module (vnd.module.wasm.content.layer).
Anything else is rejected. The checker is itself checked against the shared reference script."""

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
WASM = REPO / "target/wasm32-wasip1/release/llm_warden.wasm"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm"


def blob(layout: Path, digest: str) -> bytes:
    algo, hexdigest = digest.split(":")
    data = (layout / "blobs" / algo / hexdigest).read_bytes()
    assert hashlib.sha256(data).hexdigest() == hexdigest, f"blob {digest} does not match its digest"
    return data


def plugin_from_tgz(data: bytes) -> bytes | None:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        for member in tar.getmembers():
            if Path(member.name).name == "plugin.wasm" and member.isfile():
                return tar.extractfile(member).read()
    return None


def fetch(layout: Path, tag: str) -> tuple[str, bytes]:
    """(variant, module) as the fetchers would extract them; raises on rejection."""
    index = json.loads((layout / "index.json").read_text())
    [desc] = [m for m in index["manifests"]
              if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    manifest = json.loads(blob(layout, desc["digest"]))
    layers = manifest["layers"]
    if manifest.get("mediaType") == DOCKER_MANIFEST and layers[-1]["mediaType"] == DOCKER_LAYER:
        module = plugin_from_tgz(blob(layout, layers[-1]["digest"]))
        if module is not None:
            return "docker", module
    if layers and layers[-1]["mediaType"] == OCI_LAYER:
        module = plugin_from_tgz(blob(layout, layers[-1]["digest"]))
        if module is not None:
            return "compat", module
    if len(layers) != 2:
        raise ValueError(f"number of layers must be 2 but got {len(layers)}")
    wasm = [layer for layer in layers if layer["mediaType"] == WASM_LAYER]
    if len(wasm) != 1:
        raise ValueError("no wasm content layer")
    return "oci", blob(layout, wasm[0]["digest"])


def package(out: Path, tag: str = "0.1.0") -> str:
    r = subprocess.run([str(REPO / "scripts/package.sh"), tag], capture_output=True, text=True,
                       env={"OUT_DIR": str(out), "PATH": subprocess.os.environ["PATH"],
                            "HOME": subprocess.os.environ.get("HOME", "/root")})
    assert r.returncode == 0, r.stderr
    [line] = [ln for ln in r.stdout.splitlines() if ln.startswith("manifest sha256:")]
    return line.split()[1]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    out = tmp_path_factory.mktemp("oci") / "llm-warden"
    return out, package(out)


def test_layout_is_accepted_as_compat_and_carries_the_module(packaged):
    out, digest = packaged
    variant, module = fetch(out, "0.1.0")
    assert variant == "compat"
    assert module == WASM.read_bytes()
    index = json.loads((out / "index.json").read_text())
    assert index["manifests"][0]["digest"] == digest
    assert json.loads((out / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}


def test_layout_is_reproducible(packaged, tmp_path):
    _, first = packaged
    assert package(tmp_path / "again") == first, "same module and tag → same manifest digest"


def test_checker_agrees_with_the_reference_layouts(tmp_path):
    reference = SHARED / "platform-examples/wasm_oci_layout.py"
    assert reference.is_file(), f"{reference} missing: ../shared must sit beside the repo"
    for variant in ("compat", "oci"):
        out = tmp_path / variant
        subprocess.run([sys.executable, str(reference), str(WASM), str(out), "--tag", "t",
                        "--variant", variant], check=True, capture_output=True)
        assert fetch(out, "t") == (variant, WASM.read_bytes())


def test_checker_rejects_a_one_layer_artifact(tmp_path):
    """What a bare `oras push x:1 plugin.wasm:<wasm layer type>` produces: both fetchers refuse."""
    (tmp_path / "blobs/sha256").mkdir(parents=True)

    def put(data: bytes) -> dict:
        h = hashlib.sha256(data).hexdigest()
        (tmp_path / "blobs/sha256" / h).write_bytes(data)
        return {"digest": f"sha256:{h}", "size": len(data)}

    layer = {"mediaType": WASM_LAYER, **put(WASM.read_bytes())}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.empty.v1+json", **put(b"{}")},
                "layers": [layer]}
    desc = {"mediaType": manifest["mediaType"], **put(json.dumps(manifest).encode()),
            "annotations": {"org.opencontainers.image.ref.name": "t"}}
    (tmp_path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    with pytest.raises(ValueError, match="number of layers must be 2 but got 1"):
        fetch(tmp_path, "t")
