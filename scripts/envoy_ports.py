"""Ports an Envoy bound for itself, read back once it runs.

Tests and benchmarks start Envoy with port 0 for its admin interface and its listener, so the
kernel picks free ports at bind time. Choosing a "free" port first and handing it to Envoy races
with every other socket on the machine (the probe socket is closed before Envoy binds, and an
outgoing connection can take that port in between: "Address already in use"). With port 0 there
is no window to lose.

Envoy writes the admin address to `--admin-address-path` once the admin socket is bound; the
listener's port comes from the admin `/listeners?format=json` answer after `/ready`.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path

ADMIN_ADDRESS = re.compile(r"^127\.0\.0\.1:(\d+)$")


def admin_port(address_path: Path) -> int | None:
    """The admin port Envoy wrote to `--admin-address-path`; None until the file is complete."""
    try:
        text = address_path.read_text().strip()
    except FileNotFoundError:
        return None
    m = ADMIN_ADDRESS.match(text)
    return int(m.group(1)) if m else None


def listener_ports(admin: int, timeout: float = 5) -> dict[str, int]:
    """Listener name → the port it is bound to, from the admin interface."""
    with urllib.request.urlopen(f"http://127.0.0.1:{admin}/listeners?format=json",
                                timeout=timeout) as r:
        doc = json.load(r)
    out = {}
    for status in doc.get("listener_statuses", []):
        port = status.get("local_address", {}).get("socket_address", {}).get("port_value")
        if isinstance(port, int) and port > 0:
            out[status["name"]] = port
    return out


def first_listener_name(bootstrap: dict) -> str:
    """The name of the listener that `envoy_config.render` points at the proxy's port."""
    return bootstrap["static_resources"]["listeners"][0]["name"]


class NotReady(Exception):
    """Envoy exited, or did not become ready with its listener bound in time."""


def wait_bound(proc, address_path: Path, listener: str, timeout: float = 60) -> tuple[int, int]:
    """Waits until the Envoy run by `proc` is ready; returns (admin port, `listener`'s port)."""
    deadline = time.monotonic() + timeout
    admin = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NotReady(f"Envoy exited with {proc.returncode}")
        if admin is None:
            admin = admin_port(address_path)
        if admin is not None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=2) as r:
                    ready = r.status == 200
            except OSError:  # not listening yet, or 503 while initialising
                ready = False
            if ready:
                port = listener_ports(admin).get(listener)
                if port is None:
                    raise NotReady(f"Envoy is ready but lists no bound listener {listener!r}")
                return admin, port
        time.sleep(0.1)
    raise NotReady(f"Envoy not ready after {timeout}s")
