#!/usr/bin/env python3
"""Envoy with and without llm-warden, measured in one run (issue: performance).

Four Envoys (--concurrency 1) in front of the same mock provider:
  A  no Wasm filter
  B  the no-op filter (noop/): buffers and reads both bodies, nothing else
  C  llm-warden, default policy plus PII redaction on requests
  P  llm-warden in pass-through (`defaultPolicy: none`): the baseline for streamed redaction
Each scenario is driven by wrk in alternation (A B C A B C …) so that drift on a shared machine
hits all three alike. Envoy's CPU per request comes from /proc (utime + stime over the run ÷
requests), steadier than req/s on a noisy machine.

    bench.py [--rounds 3] [--seconds 5] [--connections 8] [--markdown BENCHMARKS.md]
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

WASM = REPO / "target/wasm32-wasip1/release/llm_warden.wasm"
NOOP = REPO / "target/wasm32-wasip1/release/llm_warden_noop.wasm"
MOCK = REPO / "target/release/llm-warden-mock"
C_CONFIG = {"policies": {"default": {"request": {"pii": {"action": "redact"}}}}}
TICK = os.sysconf("SC_CLK_TCK")

PROSE = (
    "The quarterly planning review covered the migration of the billing service, the rollout "
    "schedule for the new search index, and the open questions about data retention. The team "
    "agreed to keep the current architecture for another release, to measure latency before "
    "and after each change, and to write down every assumption that the estimates depend on. "
)


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    def __init__(self, name: str, workdir: Path, mock_port: int, wasm: Path | None, config: str):
        self.name, self.port, self.admin = name, free_port(), free_port()
        boot = render(listen_port=self.port, admin_port=self.admin, mock_port=mock_port,
                      wasm=wasm or WASM, plugin_config=config)
        hcm = boot["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        hcm.pop("access_log", None)  # the same for all three: measure the filter, not logging
        if wasm is None:
            hcm["http_filters"] = [f for f in http_filters(boot) if f["name"] != "envoy.filters.http.wasm"]
        path = workdir / f"{name}.yaml"
        path.write_text(yaml.safe_dump(boot))
        envoy = os.environ.get("ENVOY_BIN") or str(REPO / ".venv/bin/envoy")
        self.log = open(workdir / f"{name}.log", "wb")
        self.proc = subprocess.Popen([envoy, "-c", str(path), "--concurrency", "1",
                                      "--disable-hot-restart", "--log-level", "error"],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = subprocess.run(["curl", "-fs", f"127.0.0.1:{self.admin}/ready"], capture_output=True)
            if r.returncode == 0:
                return
            if self.proc.poll() is not None:
                raise SystemExit(f"Envoy {name} exited; see {workdir / (name + '.log')}")
            time.sleep(0.1)
        raise SystemExit(f"Envoy {name} not ready")

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
    p.add_argument("--markdown", type=Path)
    a = p.parse_args(argv)
    for f in (WASM, NOOP, MOCK):
        if not f.is_file():
            raise SystemExit(f"{f} missing: run scripts/bench.sh (it builds everything)")

    work = Path(tempfile.mkdtemp(prefix="llm-warden-bench-"))
    mock_port = free_port()
    mock = subprocess.Popen([str(MOCK), "--listen", f"127.0.0.1:{mock_port}", "--no-record"],
                            stdout=subprocess.PIPE, text=True)
    mock.stdout.readline()
    proxies = [Proxy("A", work, mock_port, None, "{}"), Proxy("B", work, mock_port, NOOP, "{}"),
               Proxy("C", work, mock_port, WASM, json.dumps(C_CONFIG)),
               Proxy("P", work, mock_port, WASM, '{"defaultPolicy": "none"}')]
    scenarios = [("1 KiB request, 4 KiB response", 1024, False, 4096),
                 ("16 KiB request, 4 KiB response", 16 * 1024, False, 4096),
                 ("256 KiB request, 4 KiB response", 256 * 1024, False, 4096),
                 ("streamed 64 KiB response", 1024, True, 64 * 1024),
                 ("streamed 1 MiB response", 1024, True, 1024 * 1024)]
    results: dict[tuple[str, str], list[dict]] = {}
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
        ttfb = {px.name: first_byte_ms(px.port, work) for px in proxies if px.name in "CP"}
    finally:
        for px in proxies:
            px.stop()
        mock.terminate()

    lines = report(results, scenarios, rss, a, ttfb)
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


def report(results, scenarios, rss, a, ttfb) -> list[str]:
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {date}", "",
             f"`./scripts/bench.sh --rounds {a.rounds} --seconds {a.seconds} --connections {a.connections}`"
             f" · Envoy --concurrency 1 · wrk -t1 -c{a.connections} · {os.cpu_count()} CPUs", "",
             "| scenario | config | req/s | p50 ms | p99 ms | Envoy CPU µs/req | CPU ×A | CPU ×B | req/s C/B | req/s C/P |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for title, *_ in scenarios:
        cpu = {}
        rps = {}
        for name in "ABCP":
            runs = results[(title, name)]
            reqs = sum(r["requests"] for r in runs)
            cpu[name] = sum(r["cpu_ticks"] for r in runs) / TICK / max(reqs, 1) * 1e6
            rps[name] = statistics.median(r["rps"] for r in runs)
        def ratio(a: float, b: float) -> str:
            # A configuration that served nothing (B buffers whole bodies: a 1 MiB stream
            # exceeds Envoy's buffer limit) has no meaningful ratio.
            return f"{a / b:.2f}" if b > 0 else "—"

        for name in "ABCP":
            runs = results[(title, name)]
            p50 = statistics.median(r["p50"] for r in runs)
            p99 = statistics.median(r["p99"] for r in runs)
            bad = sum(r["non2xx"] for r in runs)
            note = f" ({bad} non-2xx)" if bad else ""
            served = rps[name] > 0
            cpu_cell = f"{cpu[name]:.0f}" if served else "—"
            lines.append(f"| {title} | {name}{note} | {rps[name]:.0f} | {p50:.2f} | {p99:.2f} | "
                         f"{cpu_cell} | {ratio(cpu[name], cpu['A']) if served else '—'} | "
                         f"{ratio(cpu[name], cpu['B']) if served and rps['B'] > 0 else '—'} | "
                         + (ratio(rps["C"], rps["B"]) if name == "C" else "") + " | "
                         + (ratio(rps["C"], rps["P"]) if name == "C" else "") + " |")
    sizes = {p.name: p.stat().st_size for p in (WASM, NOOP)}
    lines += ["", f"Time to first byte of a streamed 64 KiB reply (median of 21, curl): "
              f"C {ttfb['C']:.2f} ms, P (pass-through) {ttfb['P']:.2f} ms, "
              f"difference {ttfb['C'] - ttfb['P']:+.2f} ms.",
              "", f"Envoy RSS at the end: A {rss['A'] / 1024:.1f} MiB, B {rss['B'] / 1024:.1f} MiB, "
              f"C {rss['C'] / 1024:.1f} MiB (C − B = {(rss['C'] - rss['B']) / 1024:.1f} MiB, one worker). "
              f"Module sizes: llm_warden.wasm {sizes['llm_warden.wasm']:,} B, "
              f"llm_warden_noop.wasm {sizes['llm_warden_noop.wasm']:,} B."]
    return lines


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
