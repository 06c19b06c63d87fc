#!/usr/bin/env python3
"""Envoy with and without llm-warden, measured in one run (issue: performance).

Envoys (--concurrency 1 unless told) in front of the same mock provider, by default four:
  A  no Wasm filter
  B  the no-op filter (noop/): buffers and reads both bodies, nothing else
  C  llm-warden, default policy plus PII redaction on requests
  P  llm-warden in pass-through (`defaultPolicy: none`): the baseline for streamed redaction
and, with --configs, variants of C that switch one part off, to see where C's cost goes:
  C-noinj   C without the injection screen
  C-noent   C without the request's entity scan (secrets and PII)
  C-noresp  C without the response's entity scan (the request is inspected as in C)
  C-parse   nothing but a model allow-list: the request is parsed and its texts extracted, no
            detector; the response is not buffered
  B-spin    B that also burns ~25 µs of register-only arithmetic in the request body callback
  B-touch   B that also writes one byte per cache line over 1 MiB there: with B-spin, tells
            the cost of the module's work from the cost of its memory traffic to Envoy's own
            code (caches the module fills are cold for Envoy afterwards)
Each scenario is driven by wrk in alternation (A B C P A B C P …) so that drift on a shared
machine hits all alike. Envoy's CPU per request comes from /proc (utime + stime over the run ÷
requests), steadier than req/s on a noisy machine. RSS is read right after start (idle) and
after the load. `--alt-wasm PATH` A/Bs two builds in one run: a configuration named `X+alt`
(`C+alt`, `P+alt`, …) is `X` running the module at PATH.

    bench.py [--rounds 3] [--seconds 5] [--connections 8] [--scenarios 1k,16k,256k,s64k,s1m]
             [--configs A,B,C,P,C-noinj,C-noent,C-noresp,C-parse,C+alt] [--alt-wasm PATH]
             [--wasm PATH] [--concurrency 1] [--markdown BENCHMARKS.md]
`--concurrency N` runs each Envoy with N workers (Istio's sidecar default is 2); RSS then
includes one VM per worker, the idle readings show what each worker adds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from envoy_config import http_filters, render  # noqa: E402
import envoy_ports  # noqa: E402

WASM = REPO / "target/wasm32-wasip1/release/llm_warden.wasm"
NOOP = REPO / "target/wasm32-wasip1/release/llm_warden_noop.wasm"
MOCK = REPO / "target/release/llm-warden-mock"
C_CONFIG = {"policies": {"default": {"request": {"pii": {"action": "redact"}}}}}
OFF = {"action": "off"}
# The Wasm filter's plugin config per configuration name; None: no filter, NOOP: the no-op one.
CONFIGS: dict[str, dict | None] = {
    "A": None,
    "B": {},
    "C": C_CONFIG,
    "P": {"defaultPolicy": "none"},
    "C-noinj": {"policies": {"default": {"request": {"injection": OFF, "pii": {"action": "redact"}}}}},
    "C-noent": {"policies": {"default": {"request": {"secrets": OFF, "pii": OFF}}}},
    "C-noresp": {"policies": {"default": {"request": {"pii": {"action": "redact"}},
                                          "response": {"secrets": OFF, "pii": OFF}}}},
    "B-spin": {"spin": 20000},
    "B-touch": {"touch_kib": 1024},
    "C-parse": {"policies": {"default": {
        "request": {"injection": OFF, "secrets": OFF, "pii": OFF},
        "response": {"secrets": OFF, "pii": OFF},
        "models": {"allow": ["*"]}}}},
}
DEFAULT_CONFIGS = "A,B,C,P"
# key: (title, request size, streamed, reply size)
SCENARIOS = {
    "1k": ("1 KiB request, 4 KiB response", 1024, False, 4096),
    "16k": ("16 KiB request, 4 KiB response", 16 * 1024, False, 4096),
    "256k": ("256 KiB request, 4 KiB response", 256 * 1024, False, 4096),
    "s64k": ("streamed 64 KiB response", 1024, True, 64 * 1024),
    "s1m": ("streamed 1 MiB response", 1024, True, 1024 * 1024),
}
TICK = os.sysconf("SC_CLK_TCK")

PROSE = (
    "The quarterly planning review covered the migration of the billing service, the rollout "
    "schedule for the new search index, and the open questions about data retention. The team "
    "agreed to keep the current architecture for another release, to measure latency before "
    "and after each change, and to write down every assumption that the estimates depend on. "
)


def start_mock(*extra: str) -> tuple[subprocess.Popen, int]:
    """The mock provider on a port it binds itself (port 0), and that port."""
    mock = subprocess.Popen([str(MOCK), "--listen", "127.0.0.1:0", *extra],
                            stdout=subprocess.PIPE, text=True)
    line = mock.stdout.readline().strip() if mock.stdout else ""
    if not line.startswith("listening on "):
        mock.kill()
        raise SystemExit(f"mock did not start: {line!r}")
    return mock, int(line.rsplit(":", 1)[1])


def chat_body(size: int, stream: bool = False) -> bytes:
    text = (PROSE * (size // len(PROSE) + 1))[: max(0, size - 120)]
    body = {"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": text}]}
    if stream:
        body["stream"] = True
    return json.dumps(body).encode()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Proxy:
    def __init__(self, name: str, workdir: Path, mock_port: int, wasm: Path | None, config: str,
                 concurrency: int = 1):
        self.name = name
        # Port 0: Envoy binds free ports itself and they are read back below (scripts/envoy_ports.py).
        boot = render(listen_port=0, admin_port=0, mock_port=mock_port,
                      wasm=wasm or NOOP, plugin_config=config)
        hcm = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        hcm.pop("access_log", None)  # the same for all three: measure the filter, not logging
        if wasm is None:
            hcm["http_filters"] = [f for f in http_filters(boot) if f["name"] != "envoy.filters.http.wasm"]
        path = workdir / f"{name}.yaml"
        path.write_text(yaml.safe_dump(boot))
        address_path = workdir / f"{name}.admin"
        envoy = os.environ.get("ENVOY_BIN") or str(REPO / ".venv/bin/envoy")
        self.log = open(workdir / f"{name}.log", "wb")
        self.proc = subprocess.Popen([envoy, "-c", str(path), "--concurrency", str(concurrency),
                                      "--disable-hot-restart", "--log-level", "error",
                                      "--admin-address-path", str(address_path)],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            self.admin, self.port = envoy_ports.wait_bound(
                self.proc, address_path, envoy_ports.first_listener_name(boot))
        except envoy_ports.NotReady as e:
            raise SystemExit(f"Envoy {name}: {e}; see {workdir / (name + '.log')}") from None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def wrk(port: int, body_file: Path, headers: dict[str, str], seconds: int, conns: int,
        lua_dir: Path) -> dict:
    lua = lua_dir / f"{body_file.stem}.lua"
    hdrs = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    lua.write_text(f'wrk.method = "POST"\nlocal f = io.open("{body_file}", "rb")\n'
                   f'wrk.body = f:read("*all")\nf:close()\n'
                   f'wrk.headers["content-type"] = "application/json"\n{hdrs}')
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", str(lua),
                          f"http://127.0.0.1:{port}/v1/chat/completions"],
                         capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        m = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"requests": requests, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": latency("50%"), "p99": latency("99%"),
            "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--scenarios", default=",".join(SCENARIOS),
                   help=f"comma-separated, of {','.join(SCENARIOS)}")
    p.add_argument("--configs", default=DEFAULT_CONFIGS,
                   help=f"comma-separated, of {','.join(CONFIGS)}")
    p.add_argument("--wasm", type=Path, default=WASM, help="the llm-warden module")
    p.add_argument("--alt-wasm", type=Path, help="the module of `X+alt` configurations")
    p.add_argument("--concurrency", type=int, default=1, help="Envoy worker threads")
    p.add_argument("--markdown", type=Path)
    a = p.parse_args(argv)
    names = [c for c in a.configs.split(",") if c]
    keys = [k for k in a.scenarios.split(",") if k]
    unknown = [n for n in names if n.removesuffix("+alt") not in CONFIGS]
    unknown += [k for k in keys if k not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown configuration or scenario: {', '.join(unknown)}")
    if any(n.endswith("+alt") for n in names) and a.alt_wasm is None:
        raise SystemExit("a `+alt` configuration needs --alt-wasm")
    for f in (a.wasm, NOOP, MOCK, *([a.alt_wasm] if a.alt_wasm else [])):
        if not f.is_file():
            raise SystemExit(f"{f} missing: run scripts/bench.sh (it builds everything)")

    work = Path(tempfile.mkdtemp(prefix="llm-warden-bench-"))
    mock, mock_port = start_mock("--no-record")
    proxies = []
    for name in names:
        base = name.removesuffix("+alt")
        wasm = a.alt_wasm if name != base else a.wasm
        wasm = None if CONFIGS[base] is None else NOOP if base.startswith("B") else wasm
        proxies.append(Proxy(name, work, mock_port, wasm, json.dumps(CONFIGS[base] or {}),
                             a.concurrency))
    scenarios = [SCENARIOS[k] for k in keys]
    results: dict[tuple[str, str], list[dict]] = {}
    time.sleep(1)  # let start-up work (module compilation, config compilation) settle
    idle = {px.name: rss_kib(px.proc.pid) for px in proxies}
    try:
        for title, size, stream, reply in scenarios:
            body = work / f"body-{size}-{int(stream)}.json"
            body.write_bytes(chat_body(size, stream))
            # Streams in 64-character deltas (a few tokens per event, as providers send).
            headers = {"x-mock-reply-size": str(reply)}
            if stream:
                headers["x-mock-delta-chars"] = "64"
            print(f"== {title}", flush=True)
            for r in range(a.rounds):
                for px in proxies:
                    before = cpu_ticks(px.proc.pid)
                    run = wrk(px.port, body, headers, a.seconds, a.connections, work)
                    run["cpu_ticks"] = cpu_ticks(px.proc.pid) - before
                    results.setdefault((title, px.name), []).append(run)
                    print(f"   round {r + 1} {px.name}: {run['rps']:.0f} req/s, p50 {run['p50']:.2f} ms, "
                          f"p99 {run['p99']:.2f} ms, non-2xx {run['non2xx']}", flush=True)
        rss = {px.name: rss_kib(px.proc.pid) for px in proxies}
        ttfb = {px.name: first_byte_ms(px.port, work) for px in proxies if px.name in ("C", "P")}
    finally:
        for px in proxies:
            px.stop()
        mock.terminate()

    lines = report(results, scenarios, names, idle, rss, a, ttfb)
    print("\n".join(lines))
    if a.markdown:
        with a.markdown.open("a") as f:
            f.write("\n".join(lines) + "\n")
    return 0


def first_byte_ms(port: int, work: Path, runs: int = 21) -> float:
    """Median time to the first response byte of a streamed 64 KiB reply (curl)."""
    body = work / "ttfb.json"
    body.write_bytes(chat_body(256, stream=True))
    times = []
    for _ in range(runs):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_starttransfer}",
                              "-H", "content-type: application/json", "-H", "x-mock-reply-size: 65536",
                              "-H", "x-mock-delta-chars: 64", "--data-binary", f"@{body}",
                              f"http://127.0.0.1:{port}/v1/chat/completions"],
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout) * 1000)
    return statistics.median(times)


def report(results, scenarios, names, idle, rss, a, ttfb) -> list[str]:
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    options = f"--rounds {a.rounds} --seconds {a.seconds} --connections {a.connections}"
    if a.alt_wasm:
        options += f" --alt-wasm {a.alt_wasm}"
    if a.configs != DEFAULT_CONFIGS:
        options += f" --configs {a.configs}"
    if a.concurrency != 1:
        options += f" --concurrency {a.concurrency}"
    if a.scenarios != ",".join(SCENARIOS):
        options += f" --scenarios {a.scenarios}"
    load = os.getloadavg()
    lines = [f"\n## {date}", "",
             f"`./scripts/bench.sh {options}`"
             f" · Envoy --concurrency {a.concurrency} · wrk -t1 -c{a.connections} · {os.cpu_count()} CPUs"
             f" · load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}", "",
             "| scenario | config | req/s | p50 ms | p99 ms | Envoy CPU µs/req | CPU ×A | CPU ×B | CPU −P µs | req/s C/B | req/s C/P |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def ratio(x: float, y: float | None) -> str:
        # A configuration that served nothing (B buffers whole bodies: a 1 MiB stream exceeds
        # Envoy's buffer limit) has no meaningful ratio.
        return f"{x / y:.2f}" if y else "—"

    for title, *_ in scenarios:
        cpu: dict[str, float] = {}
        rps: dict[str, float] = {}
        for name in names:
            runs = results[(title, name)]
            reqs = sum(r["requests"] for r in runs)
            cpu[name] = sum(r["cpu_ticks"] for r in runs) / TICK / max(reqs, 1) * 1e6
            rps[name] = statistics.median(r["rps"] for r in runs)
        served = {n for n in names if rps[n] > 0}
        base = {k: cpu[k] if k in served else None for k in ("A", "B", "P")}
        for name in names:
            runs = results[(title, name)]
            p50 = statistics.median(r["p50"] for r in runs)
            p99 = statistics.median(r["p99"] for r in runs)
            bad = sum(r["non2xx"] for r in runs)
            note = f" ({bad} non-2xx)" if bad else ""
            ok = name in served
            over_p = f"{cpu[name] - base['P']:+.0f}" if ok and base["P"] is not None and name != "P" else ""
            c_cells = ["", ""]
            if name.startswith("C") and ok:
                c_cells = [ratio(rps[name], rps.get("B")), ratio(rps[name], rps.get("P"))]
            lines.append(f"| {title} | {name}{note} | {rps[name]:.0f} | {p50:.2f} | {p99:.2f} | "
                         f"{f'{cpu[name]:.0f}' if ok else '—'} | "
                         f"{ratio(cpu[name], base['A']) if ok else '—'} | "
                         f"{ratio(cpu[name], base['B']) if ok else '—'} | {over_p} | "
                         f"{c_cells[0]} | {c_cells[1]} |")
    lines.append("")
    if "C" in ttfb and "P" in ttfb:
        lines += [f"Time to first byte of a streamed 64 KiB reply (median of 21, curl): "
                  f"C {ttfb['C']:.2f} ms, P (pass-through) {ttfb['P']:.2f} ms, "
                  f"difference {ttfb['C'] - ttfb['P']:+.2f} ms.", ""]
    mib = lambda kib: f"{kib / 1024:.1f}"  # noqa: E731
    cells = ", ".join(f"{n} {mib(idle[n])} → {mib(rss[n])}" for n in names)
    gap = ""
    if "B" in names and "C" in names:
        gap = (f" C − B: {mib(idle['C'] - idle['B'])} MiB idle, "
               f"{mib(rss['C'] - rss['B'])} MiB after the load ({a.concurrency} worker"
               f"{'s' if a.concurrency > 1 else ''}).")
    lines += [f"Envoy RSS in MiB, idle after start → after the load: {cells}.{gap} "
              f"Module sizes: llm_warden.wasm {a.wasm.stat().st_size:,} B, "
              f"llm_warden_noop.wasm {NOOP.stat().st_size:,} B."
              + (f" Alternative module: {a.alt_wasm.stat().st_size:,} B." if a.alt_wasm else "")]
    return lines


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
