#!/usr/bin/env python3
"""Time to first byte of streamed redaction, against its bound (issue #5).

What is measured: a paced upstream (the mock sends one OpenAI chat chunk of `--delta-chars`
characters every `--delay-ms`) streams the same reply through two Envoys in the same run:
  C  llm-warden as bench.sh runs it: the default policy (streamed response redaction on) plus
     PII redaction on requests
  P  llm-warden in pass-through (`defaultPolicy: none`)
The client records when each byte of the reply's text arrives (the decoded `delta.content`),
so that C and P can be compared byte by byte.

What "time to first byte grows by no more than the hold-back window" means here: the redactor
holds back the last `--window` bytes of text (engine::STREAM_WINDOW, 320) plus the word that
straddles that point (until the byte that ends it), and releases the rest at once. So a text
byte may reach the client later than through P by at most the time the upstream needs to send
the window's bytes and that word after it, in whole events:
    budget = ceil((window + longest word + 1) / delta-chars) * delay,
plus processing. A paced upstream drifts (its timer wakes late, more so on a busy machine), so
the bound is also checked against P's own clock: byte i must reach C's client no later than byte
i + window + longest word + 1 reaches P's (the byte whose arrival makes byte i final; for the last
bytes, the end of the stream), plus processing. Printed, as medians over `--runs` requests each:
  first body byte   C - P (the role chunk: nothing to hold, should be ~0)
  first text byte   C - P against the budget; and C(0) - P(window + word): processing only
  worst text byte   the largest C(i) - P(i) and the largest C(i) - P(i + window + word)
  last text byte    C - P (the held tail leaves with the finish chunk: about one event)
  last byte         C - P (should be ~0)

    bench-ttfb.py [--delay-ms 10] [--delta-chars 64] [--reply-bytes 2048] [--runs 7]
                  [--window 320]
Needs the release wasm and the mock (scripts/bench.sh builds both).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (Proxy, start_mock, chat_body, paths)


def stream_once(port: int, body: bytes, headers: dict[str, str]) -> dict:
    """One streamed request: arrival times (seconds from sending) of the first body byte, of
    each text byte (a list indexed by text offset) and of the last byte; and the text."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body=body,
                 headers={"content-type": "application/json", **headers})
    resp = conn.getresponse()
    if resp.status != 200:
        raise SystemExit(f"HTTP {resp.status} from port {port}: {resp.read()[:200]!r}")
    first = last = None
    text_times: list[float] = []
    chars: list[str] = []
    pending = b""
    while True:
        piece = resp.read1(65536)
        now = time.perf_counter() - start
        if not piece:
            break
        first = first if first is not None else now
        last = now
        pending += piece
        *events, pending = pending.split(b"\n\n")
        for event in events:
            for line in event.split(b"\n"):
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    continue
                for choice in json.loads(data).get("choices", []):
                    content = (choice.get("delta") or {}).get("content") or ""
                    text_times.extend([now] * len(content.encode()))
                    chars.append(content)
    conn.close()
    return {"first": first, "text": text_times, "last": last, "chars": "".join(chars)}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--delay-ms", type=int, default=10)
    p.add_argument("--delta-chars", type=int, default=64)
    p.add_argument("--reply-bytes", type=int, default=2048)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--window", type=int, default=320)
    a = p.parse_args(argv)
    for f in (bench.WASM, bench.MOCK):
        if not f.is_file():
            raise SystemExit(f"{f} missing: run scripts/bench.sh (it builds everything)")
    work = Path(tempfile.mkdtemp(prefix="llm-warden-ttfb-"))
    print(f"== mock and two Envoys (C, P) in {work}; {a.runs} paced requests each", flush=True)
    mock, mock_port = bench.start_mock("--no-record")
    proxies = [bench.Proxy("C", work, mock_port, bench.WASM, json.dumps(bench.C_CONFIG)),
               bench.Proxy("P", work, mock_port, bench.WASM, '{"defaultPolicy": "none"}')]
    body = bench.chat_body(256, stream=True)
    headers = {"x-mock-reply-size": str(a.reply_bytes), "x-mock-delta-chars": str(a.delta_chars),
               "x-mock-delay-ms": str(a.delay_ms)}
    runs: dict[str, list[dict]] = {"C": [], "P": []}
    try:
        for px in proxies:  # warm up each VM and connection pool
            stream_once(px.port, body, headers)
        for _ in range(a.runs):
            for px in proxies:
                runs[px.name].append(stream_once(px.port, body, headers))
    finally:
        for px in proxies:
            px.stop()
        mock.terminate()

    text = runs["P"][0]["chars"]
    word = max((len(w.encode()) for w in text.split()), default=0)
    budget = -(-(a.window + word + 1) // a.delta_chars) * a.delay_ms
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    pairs = list(zip(runs["C"], runs["P"]))
    for c, p_ in pairs:
        if len(c["text"]) != len(p_["text"]):
            raise SystemExit(f"C delivered {len(c['text'])} text bytes, P {len(p_['text'])}")
    first_body = ms([c["first"] - p_["first"] for c, p_ in pairs])
    hold = a.window + word + 1  # the word is held until the byte that ends it arrives
    first_text = ms([c["text"][0] - p_["text"][0] for c, p_ in pairs])
    worst = ms([max(tc - tp for tc, tp in zip(c["text"], p_["text"])) for c, p_ in pairs])

    def over_hold(c: dict, p_: dict, i: int) -> float:
        # The last `hold` bytes become final only when the stream closes: P's last byte.
        j = i + hold
        return c["text"][i] - (p_["text"][j] if j < len(p_["text"]) else p_["last"])

    first_over = ms([over_hold(c, p_, 0) for c, p_ in pairs])
    worst_over = ms([max(over_hold(c, p_, i) for i in range(len(c["text"]))) for c, p_ in pairs])
    last_text = ms([c["text"][-1] - p_["text"][-1] for c, p_ in pairs])
    last = ms([c["last"] - p_["last"] for c, p_ in pairs])
    print(f"Paced stream: {a.reply_bytes} bytes of text in {a.delta_chars}-character deltas every "
          f"{a.delay_ms} ms; medians of {a.runs} requests, C (default policy) minus P (pass-through).")
    print(f"Budget: window {a.window} bytes + longest word {word} bytes + 1, in whole events: "
          f"{budget:.1f} ms of upstream time.")
    print(f"  first body byte   C - P {first_body:+7.1f} ms")
    print(f"  first text byte   C - P {first_text:+7.1f} ms   (budget {budget:.1f});  "
          f"C(0) - P({hold}) {first_over:+6.1f} ms")
    print(f"  worst text byte   C - P {worst:+7.1f} ms   (budget {budget:.1f});  "
          f"C(i) - P(i + {hold}) {worst_over:+6.1f} ms")
    print(f"  last text byte    C - P {last_text:+7.1f} ms")
    print(f"  last byte         C - P {last:+7.1f} ms")
    print(f"  P alone: first body byte {ms([r['first'] for r in runs['P']]):.1f} ms, first text byte "
          f"{ms([r['text'][0] for r in runs['P']]):.1f} ms, last byte {ms([r['last'] for r in runs['P']]):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
