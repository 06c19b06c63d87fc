//! End-to-end: spawn the real binary on port 0 and speak HTTP/1.1 to it over a plain
//! `TcpStream`, so the wire format (content-length, chunked framing, aborts) is checked
//! exactly as Envoy would see it, without pulling an HTTP client into the build.

// Test-harness helpers live outside `#[test]` fns, where clippy.toml's in-tests allowances
// do not reach; panicking on a malformed response is exactly what a test helper should do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A running mock; killed on drop so a failing test never leaks the process.
struct Mock {
    child: Child,
    addr: String,
}

impl Mock {
    fn start(extra_args: &[&str]) -> Mock {
        let mut child = Command::new(env!("CARGO_BIN_EXE_llm-warden-mock"))
            .args(["--listen", "127.0.0.1:0"])
            .args(extra_args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn mock");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .strip_suffix('\n')
            .and_then(|l| l.strip_prefix("listening on "))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(
            addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
            "{addr}"
        );
        Mock { child, addr }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }

    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nhost: mock\r\nconnection: close\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        let mut stream = self.connect();
        stream.write_all(req.as_bytes()).unwrap();
        parse_response(&read_all(&mut stream))
    }

    fn post_json(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> Resp {
        let mut h = vec![("content-type", "application/json")];
        h.extend_from_slice(headers);
        self.request("POST", path, &h, &body.to_string())
    }

    fn recorded(&self) -> Vec<Value> {
        let resp = self.request("GET", "/__mock/requests", &[], "");
        assert_eq!(resp.status, 200);
        resp.json()["requests"].as_array().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads until EOF, tolerating a reset after partial data (x-mock-reset-after-bytes).
fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Sizes of the HTTP/1.1 chunks as sent (chunked responses only).
    chunk_sizes: Vec<usize>,
    /// Body ended properly (terminating chunk seen / content-length satisfied).
    complete: bool,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

fn parse_response(raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut rest = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let mut resp = Resp {
        status,
        headers,
        body: Vec::new(),
        chunk_sizes: Vec::new(),
        complete: false,
    };
    if resp.header("transfer-encoding") == Some("chunked") {
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap(), 16).unwrap();
            rest = &rest[eol + 2..];
            if size == 0 {
                resp.complete = true;
                break;
            }
            if rest.len() < size + 2 {
                resp.body.extend_from_slice(&rest[..size.min(rest.len())]);
                break;
            }
            resp.body.extend_from_slice(&rest[..size]);
            resp.chunk_sizes.push(size);
            rest = &rest[size + 2..];
        }
    } else {
        let len: usize = resp
            .header("content-length")
            .expect("content-length")
            .parse()
            .unwrap();
        resp.complete = rest.len() == len;
        resp.body = rest.to_vec();
    }
    resp
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn chat(stream: bool) -> Value {
    json!({"model": "gpt-4o-mini", "stream": stream,
           "messages": [{"role": "user", "content": "Say hello"}]})
}

/// `data:` payloads of an OpenAI-style SSE body.
fn sse_data(body: &str) -> Vec<String> {
    assert!(body.ends_with("\n\n"));
    body.split_terminator("\n\n")
        .map(|ev| {
            ev.strip_prefix("data: ")
                .unwrap_or_else(|| panic!("{ev:?}"))
                .to_owned()
        })
        .collect()
}

#[test]
fn buffered_chat() {
    let mock = Mock::start(&[]);
    let resp = mock.post_json(
        "/v1/chat/completions",
        &[("x-mock-reply", "Hi there")],
        &chat(false),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(
        resp.header("content-length"),
        Some(resp.body.len().to_string().as_str())
    );
    assert!(resp.complete);
    let v = resp.json();
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-mock-"));
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gpt-4o-mini");
    assert_eq!(v["choices"][0]["message"]["content"], "Hi there");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let u = &v["usage"];
    assert_eq!(
        u["total_tokens"],
        u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap()
    );

    // Default reply, non-JSON body still answered, Anthropic shape.
    let resp = mock.request("POST", "/v1/messages", &[], "not json");
    assert_eq!(resp.status, 200);
    let v = resp.json();
    assert_eq!(v["type"], "message");
    assert_eq!(v["model"], "mock-model");
    assert_eq!(v["content"][0]["text"], "Hello from the mock upstream.");
}

#[test]
fn streamed_chat_in_7_byte_frames() {
    let mock = Mock::start(&[]);
    let reply = "h\u{e9}llo w\u{f6}rld \u{1F44B}\nsecond line \"quoted\"";
    let reply_b64 = b64(reply.as_bytes());
    let resp = mock.post_json(
        "/v1/chat/completions",
        &[
            ("x-mock-reply-b64", &reply_b64),
            ("x-mock-chunk-bytes", "7"),
            ("x-mock-delta-chars", "3"),
        ],
        &chat(true),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    assert_eq!(resp.header("cache-control"), Some("no-cache"));
    assert!(resp.complete);
    let (last, init) = resp.chunk_sizes.split_last().unwrap();
    assert!(
        init.iter().all(|n| *n == 7) && *last <= 7,
        "{:?}",
        resp.chunk_sizes
    );

    let data = sse_data(&resp.text());
    assert_eq!(data.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, reply);
}

#[test]
fn streamed_messages_event_sequence() {
    let mock = Mock::start(&[]);
    let body = json!({"model": "claude-x", "max_tokens": 64, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]});
    let resp = mock.post_json(
        "/v1/messages",
        &[("x-mock-reply", "abcdefghij"), ("x-mock-delta-chars", "4")],
        &body,
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let names: Vec<String> = resp
        .text()
        .split_terminator("\n\n")
        .map(|ev| {
            ev.lines()
                .next()
                .unwrap()
                .strip_prefix("event: ")
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
}

#[test]
fn recording_and_reset() {
    let mock = Mock::start(&[]);
    assert_eq!(mock.request("GET", "/healthz", &[], "").text(), "ok");
    mock.post_json(
        "/v1/chat/completions",
        &[("X-Custom", "Value")],
        &chat(false),
    );
    let other = mock.request("PUT", "/some/where?x=1", &[], "plain body");
    assert_eq!(other.json(), json!({"ok": true, "path": "/some/where"}));

    let reqs = mock.recorded();
    assert_eq!(
        reqs.len(),
        2,
        "healthz and /__mock/ are not recorded: {reqs:?}"
    );
    assert_eq!(reqs[0]["seq"], 1);
    assert_eq!(reqs[0]["method"], "POST");
    assert_eq!(reqs[0]["path"], "/v1/chat/completions");
    assert_eq!(reqs[0]["headers"]["x-custom"], "Value");
    assert_eq!(
        serde_json::from_str::<Value>(reqs[0]["body"].as_str().unwrap()).unwrap(),
        chat(false)
    );
    assert_eq!(reqs[0]["complete"], true);
    assert_eq!(reqs[1]["path"], "/some/where?x=1");
    assert_eq!(reqs[1]["body"], "plain body");
    assert_eq!(reqs[1]["body_len"], 10);

    let stats = mock.request("GET", "/__mock/stats", &[], "").json();
    assert_eq!(
        stats,
        json!({"received": 2, "complete": 2, "incomplete": 0})
    );
    assert_eq!(
        mock.request("POST", "/__mock/reset", &[], "").json(),
        json!({"ok": true})
    );
    assert!(mock.recorded().is_empty());
    assert_eq!(
        mock.request("GET", "/__mock/stats", &[], "").json()["received"],
        0
    );
}

#[test]
fn incomplete_request_body_is_recorded() {
    let mock = Mock::start(&[]);
    let mut stream = mock.connect();
    stream
        .write_all(b"POST /v1/chat/completions HTTP/1.1\r\nhost: mock\r\ncontent-length: 100\r\n\r\n{\"partial\":")
        .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    stream.shutdown(Shutdown::Write).unwrap();
    let _ = read_all(&mut stream);

    let deadline = Instant::now() + Duration::from_secs(5);
    let reqs = loop {
        let reqs = mock.recorded();
        if !reqs.is_empty() || Instant::now() > deadline {
            break reqs;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0]["complete"], false);
    assert_eq!(reqs[0]["body"], "{\"partial\":");
    let stats = mock.request("GET", "/__mock/stats", &[], "").json();
    assert_eq!(
        stats,
        json!({"received": 1, "complete": 0, "incomplete": 1})
    );
}

#[test]
fn status_control_uses_api_error_shapes() {
    let mock = Mock::start(&[]);
    let resp = mock.post_json(
        "/v1/chat/completions",
        &[("x-mock-status", "429")],
        &chat(true),
    );
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(
        resp.json(),
        json!({"error": {"message": "mock error", "type": "mock_error", "param": null, "code": null}})
    );

    let resp = mock.post_json("/v1/messages", &[("x-mock-status", "529")], &chat(false));
    assert_eq!(resp.status, 529);
    assert_eq!(
        resp.json(),
        json!({"type": "error", "error": {"type": "api_error", "message": "mock error"}})
    );

    // Invalid controls are a 400, not a panic or a silent default.
    let resp = mock.post_json(
        "/v1/chat/completions",
        &[("x-mock-delta-chars", "zero")],
        &chat(false),
    );
    assert_eq!(resp.status, 400);
    assert!(resp.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("x-mock-delta-chars"));
}

#[test]
fn raw_body_content_type_and_reply_size() {
    let mock = Mock::start(&[]);
    let raw = b"\x00\x01binary\xff";
    let resp = mock.request(
        "POST",
        "/v1/chat/completions",
        &[("x-mock-raw-b64", &b64(raw))],
        "{}",
    );
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(resp.body, raw);

    let resp = mock.post_json(
        "/v1/chat/completions",
        &[("x-mock-content-type", "text/plain")],
        &chat(false),
    );
    assert_eq!(resp.header("content-type"), Some("text/plain"));
    assert_eq!(resp.json()["object"], "chat.completion");

    let resp = mock.post_json(
        "/v1/chat/completions",
        &[("x-mock-reply-size", "5000")],
        &chat(false),
    );
    let content = resp.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(content.len(), 5000);
    assert!(content.bytes().all(|b| b.is_ascii_lowercase() || b == b' '));
}

#[test]
fn reset_after_bytes_aborts_stream() {
    let mock = Mock::start(&[]);
    let resp = mock.post_json(
        "/v1/chat/completions",
        &[("x-mock-reset-after-bytes", "50")],
        &chat(true),
    );
    assert_eq!(resp.status, 200);
    assert!(!resp.complete, "stream must not end cleanly");
    assert_eq!(resp.body.len(), 50);
    // The server is still healthy afterwards.
    assert_eq!(mock.request("GET", "/healthz", &[], "").status, 200);
}

#[test]
fn sigterm_exits_cleanly() {
    let mut mock = Mock::start(&[]);
    let status = Command::new("kill")
        .args(["-TERM", &mock.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = mock.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "mock did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}
