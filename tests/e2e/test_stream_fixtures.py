"""The recorded stream fixtures (testdata/streams/, also replayed natively by the stream
rewriter's property tests) served by the mock and sent through Envoy at several chunk sizes:
each stream's reassembled text must contain none of the planted secrets."""

import base64
import json
from collections import defaultdict
from pathlib import Path

import pytest

from harness import REPO

STREAMS = REPO / "testdata/streams"
SECRETS = [line.strip() for line in (STREAMS / "secrets.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")]
# fixture → (request path, content-type)
FIXTURES = {
    "openai_chat.sse": ("/v1/chat/completions", "text/event-stream"),
    "openai_chat_tools.sse": ("/v1/chat/completions", "text/event-stream"),
    "openai_responses.sse": ("/v1/responses", "text/event-stream"),
    "anthropic_messages.sse": ("/v1/messages", "text/event-stream"),
    "gemini.sse": ("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "text/event-stream"),
    "ollama_chat.ndjson": ("/api/chat", "application/x-ndjson"),
    "ollama_generate.ndjson": ("/api/generate", "application/x-ndjson"),
}


def events(body: bytes, ndjson: bool) -> list[dict]:
    out = []
    for line in body.decode().replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        data = line if ndjson else (line[6:] if line.startswith("data: ") else line[5:] if line.startswith("data:") else None)
        if data and data.strip() not in ("", "[DONE]"):
            out.append(json.loads(data))
    return out


def streams_of(evs: list[dict]) -> dict[str, str]:
    """Every text stream reassembled by key, whatever the dialect."""
    text: dict[str, str] = defaultdict(str)
    for e in evs:
        for c in e.get("choices", []):  # OpenAI chat
            d = c.get("delta") or {}
            text[f"c{c.get('index')}"] += d.get("content") or ""
            for tc in d.get("tool_calls") or []:
                text[f"c{c.get('index')}t{tc.get('index')}"] += (tc.get("function") or {}).get("arguments") or ""
        kind = e.get("type", "")
        if kind.endswith(".delta") and isinstance(e.get("delta"), str):  # Responses
            text[f"r{e.get('output_index')}.{e.get('content_index')}"] += e["delta"]
        if kind == "content_block_delta":  # Anthropic
            d = e["delta"]
            text[f"a{e['index']}"] += d.get("text") or d.get("partial_json") or ""
        for i, cand in enumerate(e.get("candidates", [])):  # Gemini
            text[f"g{i}"] += "".join(p.get("text", "") for p in cand.get("content", {}).get("parts", []))
        if "message" in e and isinstance(e["message"], dict):  # Ollama chat
            text["o"] += e["message"].get("content") or ""
        if isinstance(e.get("response"), str):  # Ollama generate
            text["o"] += e["response"]
    return text


@pytest.mark.parametrize("chunk", [None, 1, 13])
@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_recorded_stream_through_envoy_leaks_nothing(envoy, mock, fixture, chunk):
    path, content_type = FIXTURES[fixture]
    raw = (STREAMS / fixture).read_bytes()
    headers = {"x-mock-raw-b64": base64.b64encode(raw).decode(), "x-mock-content-type": content_type}
    if chunk:
        headers["x-mock-chunk-bytes"] = str(chunk)
    r = envoy.post(path.split("?")[0] if "gemini" not in fixture else path, {"model": "m", "stream": True}, headers)
    assert r.status == 200
    evs = events(r.body, content_type.endswith("ndjson"))
    assert evs, "the client received a parseable stream"
    texts = streams_of(evs)
    assert any("[REDACTED:" in t for t in texts.values()), texts
    for secret in SECRETS:
        assert secret.encode() not in r.body, f"{secret[:12]}… leaked raw"
        for key, t in texts.items():
            assert secret not in t, f"{secret[:12]}… leaked in stream {key}"
