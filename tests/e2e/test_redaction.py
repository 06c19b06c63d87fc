"""Redaction strategies and custom detectors in a real Envoy: pseudonyms leave with the
request and come back in the response (buffered, streamed at every chunking, through the
OpenAI SDK), partial masks and keyed hashes (key from the VM environment), and a custom
detector that blocks."""

import hashlib
import hmac
import json

import openai
import pytest

CHAT = "/v1/chat/completions"
HASH_KEY = "e2e-hash-key-0123456789abcdef"
EMAIL_A = "jane.doe@corp.example.com"
EMAIL_B = "ops-team@corp.example.com"
CARD = "4111 1111 1111 1111"

POLICY = {
    "redaction": {"hashKeyEnv": "LLM_WARDEN_HASH_KEY", "hashLength": 16},
    "policies": {"default": {
        "request": {"injection": {"action": "off"},
                    "pii": {"action": "redact", "strategy": "pseudonym",
                            "byType": {"CREDIT_CARD": {"strategy": "partial"},
                                       "EMPLOYEE_ID": {"strategy": "hash"}}}},
        "response": {"pii": {"types": ["PHONE", "EMPLOYEE_ID"]}},
        "detectors": [
            {"name": "EMPLOYEE_ID", "pattern": r"\bEMP-[0-9]{6}\b", "prefilter": ["EMP-"]},
            {"name": "VAULT_TOKEN", "group": "secrets", "pattern": r"\bhvs\.[A-Za-z0-9]{24}\b",
             "prefilter": ["hvs."], "action": "block"}]}}}


def with_hash_key(bootstrap: dict) -> None:
    """Gives the Wasm VM the key as an environment variable, as a Secret-backed env would."""
    for listener in bootstrap["static_resources"]["listeners"]:
        for chain in listener["filter_chains"]:
            for f in chain["filters"]:
                for hf in f.get("typed_config", {}).get("http_filters", []):
                    if hf["name"] == "envoy.filters.http.wasm":
                        vm = hf["typed_config"]["config"]["vm_config"]
                        vm["environment_variables"] = {
                            "key_values": {"LLM_WARDEN_HASH_KEY": HASH_KEY}}


@pytest.fixture(scope="module")
def proxy(start_envoy):
    return start_envoy(json.dumps(POLICY), mutate=with_hash_key)


def chat(text: str, **extra) -> dict:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}


def sent(mock) -> str:
    [r] = [r for r in mock.requests() if r["complete"]]
    return json.loads(r["body"])["messages"][0]["content"]


PROMPT = f"Mail {EMAIL_A} and {EMAIL_B}, then {EMAIL_A} again. Card {CARD}, badge EMP-123456."
REPLY = "Done: wrote to <EMAIL_2> and <EMAIL_1>; call +1 415 555 0132 about EMP-654321. <EMAIL_7>"
RESTORED = (f"Done: wrote to {EMAIL_B} and {EMAIL_A}; call [REDACTED:PHONE] about "
            "[REDACTED:EMPLOYEE_ID]. <EMAIL_7>")


def test_the_provider_sees_placeholders_masks_and_hashes(proxy, mock):
    r = proxy.post(CHAT, chat(PROMPT), {"x-mock-reply": "ok"})
    assert r.status == 200, r.body
    text = sent(mock)
    token = hmac.new(HASH_KEY.encode(), b"EMP-123456", hashlib.sha256).hexdigest()[:16]
    assert text == (f"Mail <EMAIL_1> and <EMAIL_2>, then <EMAIL_1> again. "
                    f"Card **** **** **** 1111, badge [EMPLOYEE_ID:{token}].")
    for value in (EMAIL_A, EMAIL_B, CARD, "EMP-123456"):
        assert value not in text


def test_buffered_reply_gets_the_values_back(proxy, mock):
    r = proxy.post(CHAT, chat(PROMPT), {"x-mock-reply": REPLY})
    assert r.status == 200, r.body
    assert r.json()["choices"][0]["message"]["content"] == RESTORED


@pytest.mark.parametrize("chunk", [None, 1, 3, 7, 64])
@pytest.mark.parametrize("delta", [1, 4, 11])
def test_streamed_reply_is_restored_at_every_chunking(proxy, mock, chunk, delta):
    headers = {"x-mock-reply": REPLY, "x-mock-delta-chars": str(delta)}
    if chunk:
        headers["x-mock-chunk-bytes"] = str(chunk)
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{proxy.port}/v1", api_key="sk-test",
                           max_retries=0, default_headers=headers)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}], stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == RESTORED


def test_a_request_without_values_restores_nothing(proxy, mock):
    # Placeholders the request did not create stay as they are.
    r = proxy.post(CHAT, chat("no personal data here"), {"x-mock-reply": "<EMAIL_1> hi"})
    assert r.json()["choices"][0]["message"]["content"] == "<EMAIL_1> hi"


def test_a_blocking_custom_detector_names_its_type(proxy, mock):
    r = proxy.post(CHAT, chat("use hvs.AbCdEfGhIjKlMnOpQrStUvWx to log in"))
    assert r.status == 403
    body = r.body.decode()
    assert "entity.VAULT_TOKEN" in body and "hvs.AbCd" not in body
    assert [q for q in mock.requests() if q["complete"]] == []
    assert proxy.counters().get("llm_warden.entity.VAULT_TOKEN.request.block", 0) >= 1
