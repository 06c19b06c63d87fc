#!/usr/bin/env python3
"""Renders a bootstrap from envoy/ for one run: ports, module path, plugin config, and
optionally a real provider over TLS instead of the local mock. Used by scripts/run.sh and the
e2e harness, so what runs is a shipped config with only these values changed.

    envoy_config.py [--base envoy/envoy.yaml] [--listen-port N] [--admin-port N]
                    [--mock-port N | --upstream-url URL] [--wasm PATH] [--plugin-config FILE]
                    [--allow-header-stop] --out FILE
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "envoy/envoy.yaml"
WASM_FILTER = "envoy.filters.http.wasm"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def http_filters(bootstrap: dict) -> list[dict]:
    out = []
    for listener in bootstrap["static_resources"]["listeners"]:
        for chain in listener["filter_chains"]:
            for f in chain["filters"]:
                out.extend(f.get("typed_config", {}).get("http_filters", []))
    return out


def wasm_filter_config(bootstrap: dict) -> dict | None:
    """The PluginConfig (`typed_config.config`) of the inline llm-warden filter, if any."""
    for hf in http_filters(bootstrap):
        if hf["name"] == WASM_FILTER:
            return hf["typed_config"]["config"]
    return None


def set_plugin(cfg: dict, wasm: Path | None, plugin_config: str | None,
               allow_header_stop: bool) -> None:
    """Module path, plugin config and header-stop flag of a PluginConfig."""
    if wasm is not None and "local" in cfg["vm_config"]["code"]:
        cfg["vm_config"]["code"]["local"]["filename"] = str(wasm)
    if plugin_config is not None:
        cfg["configuration"]["value"] = plugin_config
    if allow_header_stop:
        cfg["allow_on_headers_stop_iteration"] = True


def render_ecds(source: Path, *, wasm: Path | None = None, plugin_config: str | None = None,
                version: str = "1") -> dict:
    """An ECDS resource file (DiscoveryResponse) from envoy/ecds/ with a new config/version."""
    doc = copy.deepcopy(yaml.safe_load(source.read_text()))
    doc["version_info"] = version
    for resource in doc["resources"]:
        set_plugin(resource["typed_config"]["config"], wasm, plugin_config, False)
    return doc


def routes(bootstrap: dict) -> list[dict]:
    out = []
    for listener in bootstrap["static_resources"]["listeners"]:
        for chain in listener["filter_chains"]:
            for f in chain["filters"]:
                rc = f.get("typed_config", {}).get("route_config", {})
                for vh in rc.get("virtual_hosts", []):
                    out.extend(vh.get("routes", []))
    return out


def render(base: Path = BASE, *, listen_port: int = 10000, admin_port: int = 9901,
           mock_port: int = 18080, upstream_url: str | None = None, wasm: Path | None = None,
           plugin_config: str | None = None, allow_header_stop: bool = False,
           ecds_path: Path | None = None, remote_code: tuple[int, str] | None = None) -> dict:
    """`ecds_path`: where ECDS filters read their resource; `remote_code`: (port, sha256) of the
    HTTP server that serves the module to a `code.remote` config."""
    boot = copy.deepcopy(yaml.safe_load(base.read_text()))
    boot["admin"]["address"]["socket_address"]["port_value"] = admin_port
    boot["static_resources"]["listeners"][0]["address"]["socket_address"]["port_value"] = listen_port
    cfg = wasm_filter_config(boot)
    if cfg is not None:
        set_plugin(cfg, wasm, plugin_config, allow_header_stop)
        remote = cfg["vm_config"]["code"].get("remote")
        if remote is not None and remote_code is not None:
            port, sha = remote_code
            remote["sha256"] = sha
            remote["http_uri"]["uri"] = f"http://127.0.0.1:{port}/llm_warden.wasm"
            [modules] = [c for c in boot["static_resources"]["clusters"]
                         if c["name"] == remote["http_uri"]["cluster"]]
            ep = modules["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
            ep["address"]["socket_address"]["port_value"] = port
    if ecds_path is not None:
        for hf in http_filters(boot):
            if "config_discovery" in hf:
                hf["config_discovery"]["config_source"]["path_config_source"]["path"] = str(ecds_path)
    [cluster] = [c for c in boot["static_resources"]["clusters"] if c["name"] == "upstream"]
    endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    if upstream_url is None:
        endpoint["address"]["socket_address"]["port_value"] = mock_port
        return boot

    url = urlsplit(upstream_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"UPSTREAM_URL must be http(s)://host[:port][/base], got {upstream_url!r}")
    tls = url.scheme == "https"
    port = url.port or (443 if tls else 80)
    cluster["type"] = "LOGICAL_DNS"
    cluster["dns_lookup_family"] = "V4_PREFERRED"
    cluster["connect_timeout"] = "5s"
    endpoint["address"]["socket_address"] = {"address": url.hostname, "port_value": port}
    if tls:
        cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "sni": url.hostname,
                "common_tls_context": {"validation_context": {"trusted_ca": {"filename": CA_BUNDLE}}},
            },
        }
    base_path = url.path.rstrip("/")
    for r in routes(boot):
        action = r.get("route")
        if action and action.get("cluster") == "upstream":
            action["host_rewrite_literal"] = url.hostname
            if base_path:
                r["match"] = {"prefix": r["match"]["prefix"]}
                action["prefix_rewrite"] = base_path + r["match"]["prefix"]
    return boot


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", type=Path, default=BASE, help="bootstrap to start from")
    p.add_argument("--listen-port", type=int, default=10000)
    p.add_argument("--admin-port", type=int, default=9901)
    p.add_argument("--mock-port", type=int, default=18080)
    p.add_argument("--upstream-url")
    p.add_argument("--wasm", type=Path)
    p.add_argument("--plugin-config", type=Path, help="JSON file (default: the one in envoy.yaml)")
    p.add_argument("--allow-header-stop", action="store_true")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    try:
        boot = render(a.base, listen_port=a.listen_port, admin_port=a.admin_port, mock_port=a.mock_port,
                      upstream_url=a.upstream_url, wasm=a.wasm,
                      plugin_config=a.plugin_config.read_text() if a.plugin_config else None,
                      allow_header_stop=a.allow_header_stop)
    except (ValueError, OSError) as e:
        print(f"envoy_config.py: {e}", file=sys.stderr)
        return 2
    a.out.write_text(yaml.safe_dump(boot, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
