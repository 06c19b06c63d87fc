#!/usr/bin/env python3
"""Regenerates the hand-written stream fixtures in this directory (see README.md).

The shapes follow recorded provider streams; the texts plant secrets split across deltas.
Run from anywhere: python3 testdata/streams/gen.py
"""
import json, os, random, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
rnd = random.Random(7)

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

def github_token(data30):
    n = zlib.crc32(data30.encode())
    check = ""
    for _ in range(6):
        check = B62[n % 62] + check
        n //= 62
    return "ghp_" + data30 + check

EMAIL = "jane.doe@example.com"
AWS = "AKIAZ7Q3H2LMNP4RSTUV"
GH = github_token("q7Lm2Xv9Tr4Kp8Wz3Nb6Hd1Fs5Gj0Y")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
PEM_BODY = "\n".join("".join(rnd.choice(B64) for _ in range(64)) for _ in range(6))
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + PEM_BODY + "\n-----END RSA PRIVATE KEY-----"

def pieces(text, size=(1, 9)):
    out, i = [], 0
    while i < len(text):
        n = rnd.randint(*size)
        out.append(text[i:i + n])
        i += n
    return out

def js(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

def write(name, data):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        f.write(data)

# --- OpenAI chat: text with e-mail, AWS key id and a PEM key, then [DONE] ---------------
def chat_chunk(delta, finish=None, **extra):
    c = {"id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", "object": "chat.completion.chunk",
         "created": 1741570283, "model": "gpt-4o-2024-08-06", "service_tier": "default",
         "system_fingerprint": "fp_eb9dce56a8",
         "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
         "usage": None}
    c.update(extra)
    return "data: " + js(c) + "\n\n"

text = ("Sure — contact " + EMAIL + " for access. The deploy user's key id is " + AWS +
        " and the key file is:\n" + PEM + "\nRotate it after use. Ünïcödé ✓ 😀 done.")
s = chat_chunk({"role": "assistant", "content": "", "refusal": None})
for p in pieces(text):
    s += chat_chunk({"content": p})
s += chat_chunk({}, "stop")
c = json.loads(chat_chunk({})[6:])
c["choices"] = []
c["usage"] = {"prompt_tokens": 19, "completion_tokens": 210, "total_tokens": 229}
s += "data: " + js(c) + "\n\n" + "data: [DONE]\n\n"
write("openai_chat.sse", s)

# --- OpenAI chat: two parallel tool calls with secrets in the arguments -------------------
args0 = js({"to": EMAIL, "subject": "keys", "body": "use " + GH})
args1 = js({"user": "deploy", "access_key_id": AWS})
s = chat_chunk({"role": "assistant", "content": None, "refusal": None})
for j, (name, args) in enumerate([("send_email", args0), ("rotate_key", args1)]):
    s += chat_chunk({"tool_calls": [{"index": j, "id": f"call_{j}Xn8aQ2", "type": "function",
                                      "function": {"name": name, "arguments": ""}}]})
    for p in pieces(args):
        s += chat_chunk({"tool_calls": [{"index": j, "function": {"arguments": p}}]})
s += chat_chunk({}, "tool_calls")
s += "data: [DONE]\n\n"
write("openai_chat_tools.sse", s)

# --- OpenAI Responses API ------------------------------------------------------------------
seq = [0]
def ev(kind, **fields):
    d = {"type": kind, "sequence_number": seq[0]}
    d.update(fields)
    seq[0] += 1
    return "event: " + kind + "\ndata: " + js(d) + "\n\n"

resp = {"id": "resp_67c9fdcecf488190bdd9a0b7", "object": "response", "created_at": 1741290958,
        "status": "in_progress", "model": "gpt-4.1-2025-04-14", "output": [], "usage": None}
text = "Your admin is " + EMAIL + "; the CI key id is " + AWS + ". Keep them private."
args = js({"token": GH, "notify": EMAIL})
msg = {"id": "msg_67c9fdcf37fc8190ba82116e", "type": "message", "status": "in_progress",
       "role": "assistant", "content": []}
fc = {"id": "fc_67c9fdd0a1b48190", "type": "function_call", "status": "in_progress",
      "name": "store_secret", "call_id": "call_Xk2", "arguments": ""}
s = ev("response.created", response=resp) + ev("response.in_progress", response=resp)
s += ev("response.output_item.added", output_index=0, item=msg)
s += ev("response.content_part.added", item_id=msg["id"], output_index=0, content_index=0,
        part={"type": "output_text", "text": "", "annotations": []})
for p in pieces(text):
    s += ev("response.output_text.delta", item_id=msg["id"], output_index=0, content_index=0,
            delta=p, logprobs=[])
s += ev("response.output_text.done", item_id=msg["id"], output_index=0, content_index=0,
        text=text, logprobs=[])
part = {"type": "output_text", "text": text, "annotations": []}
s += ev("response.content_part.done", item_id=msg["id"], output_index=0, content_index=0, part=part)
done_msg = dict(msg, status="completed", content=[part])
s += ev("response.output_item.done", output_index=0, item=done_msg)
s += ev("response.output_item.added", output_index=1, item=fc)
for p in pieces(args):
    s += ev("response.function_call_arguments.delta", item_id=fc["id"], output_index=1, delta=p)
s += ev("response.function_call_arguments.done", item_id=fc["id"], output_index=1, arguments=args)
done_fc = dict(fc, status="completed", arguments=args)
s += ev("response.output_item.done", output_index=1, item=done_fc)
s += ev("response.completed", response=dict(resp, status="completed", output=[done_msg, done_fc],
        usage={"input_tokens": 37, "output_tokens": 61, "total_tokens": 98}))
write("openai_responses.sse", s)

# --- Anthropic Messages: text with a PEM key, tool_use input with an AWS key id ----------
def aev(kind, **fields):
    d = {"type": kind}
    d.update(fields)
    return "event: " + kind + "\ndata: " + js(d) + "\n\n"

text = "Here is the key for " + EMAIL + ":\n" + PEM + "\nStore it in the vault."
tool = js({"account": "prod", "key_id": AWS, "owner": EMAIL})
s = aev("message_start", message={"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message",
        "role": "assistant", "content": [], "model": "claude-sonnet-4-5-20250929",
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 472, "output_tokens": 2}})
s += aev("content_block_start", index=0, content_block={"type": "text", "text": ""})
s += aev("ping")
for p in pieces(text):
    s += aev("content_block_delta", index=0, delta={"type": "text_delta", "text": p})
s += aev("content_block_stop", index=0)
s += aev("content_block_start", index=1, content_block={"type": "tool_use",
         "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "rotate_key", "input": {}})
s += aev("content_block_delta", index=1, delta={"type": "input_json_delta", "partial_json": ""})
for p in pieces(tool):
    s += aev("content_block_delta", index=1, delta={"type": "input_json_delta", "partial_json": p})
s += aev("content_block_stop", index=1)
s += aev("message_delta", delta={"stop_reason": "tool_use", "stop_sequence": None},
         usage={"output_tokens": 89})
s += aev("message_stop")
write("anthropic_messages.sse", s)

# --- Gemini streamGenerateContent?alt=sse (CRLF framing, as Google sends it) ------------
text = "Reach the owner at " + EMAIL + ". Token " + GH + " was revoked. 🚀 Fin."
chunks = pieces(text, (4, 24))
s = ""
for k, p in enumerate(chunks):
    cand = {"content": {"parts": [{"text": p}], "role": "model"}, "index": 0}
    if k == len(chunks) - 1:
        cand["finishReason"] = "STOP"
    d = {"candidates": [cand],
         "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": k + 1,
                           "totalTokenCount": 10 + k},
         "modelVersion": "gemini-2.0-flash", "responseId": "sSo6aN6qL4jtz7IPk_zY6Qg"}
    s += "data: " + js(d) + "\r\n\r\n"
write("gemini.sse", s)

# --- Ollama /api/chat NDJSON --------------------------------------------------------------
text = "Use " + AWS + " with " + EMAIL + " — ok."
s = ""
for p in pieces(text):
    s += js({"model": "llama3.2", "created_at": "2025-05-01T12:00:00.123456Z",
             "message": {"role": "assistant", "content": p}, "done": False}) + "\n"
s += js({"model": "llama3.2", "created_at": "2025-05-01T12:00:01.5Z",
         "message": {"role": "assistant", "content": ""}, "done_reason": "stop", "done": True,
         "total_duration": 4883583458, "load_duration": 1334875, "prompt_eval_count": 26,
         "eval_count": 39}) + "\n"
write("ollama_chat.ndjson", s)

# --- Ollama /api/generate NDJSON ----------------------------------------------------------
text = "Key " + GH + " belongs to " + EMAIL + "."
s = ""
for p in pieces(text):
    s += js({"model": "llama3.2", "created_at": "2025-05-01T12:00:00Z", "response": p,
             "done": False}) + "\n"
s += js({"model": "llama3.2", "created_at": "2025-05-01T12:00:02Z", "response": "",
         "done": True, "done_reason": "stop", "context": [1, 2, 3]}) + "\n"
write("ollama_generate.ndjson", s)

with open(os.path.join(HERE, "secrets.txt"), "w") as f:
    f.write("# Values planted in these fixtures; the tests assert none reaches the client.\n")
    for v in [EMAIL, AWS, GH, "MIIEowIBAAKCAQEA"] + PEM_BODY.split("\n"):
        f.write(v + "\n")
