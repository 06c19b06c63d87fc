//! HTTP front: accept loop, routing, request-body capture and response assembly.
//!
//! One hyper HTTP/1.1 connection task per socket and no middleware, so the mock stays far
//! cheaper than the Envoy + Wasm path it sits behind in benchmarks.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use serde_json::json;
use tokio::net::TcpListener;

use crate::anthropic;
use crate::body::{EventSource, MockBody, Once};
use crate::controls::Controls;
use crate::more;
use crate::openai::{self, Usage};
use crate::record::{RecordConfig, Recorder};
use crate::reqinfo::{estimate_tokens, RequestInfo};

const JSON: &str = "application/json";
const SSE: &str = "text/event-stream";
const OCTETS: &str = "application/octet-stream";

/// Shared per-process state.
pub struct State {
    pub recorder: Recorder,
    /// Source of the `N` in `chatcmpl-mock-N` / `msg_mock_N`; never reset so ids stay
    /// unique for the life of the process.
    next_id: AtomicU64,
}

impl State {
    pub fn new(config: RecordConfig) -> Self {
        State {
            recorder: Recorder::new(config),
            next_id: AtomicU64::new(1),
        }
    }
}

/// Accepts connections until `shutdown` resolves. In-flight connections are dropped with
/// the runtime; the mock holds no state worth draining.
pub async fn serve(listener: TcpListener, state: Arc<State>, shutdown: impl Future<Output = ()>) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Small SSE frames must leave immediately, not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let state = Arc::clone(&state);
                    tokio::spawn(async move {
                        let service = service_fn(move |req| handle(req, Arc::clone(&state)));
                        // Connection errors (peer resets, our own x-mock-reset aborts) are
                        // routine for a test upstream; nothing useful to report.
                        // HTTP/1.1, or HTTP/2 with prior knowledge (h2c): an h2 upstream is
                        // how tests get real response trailers.
                        let mut builder = auto::Builder::new(TokioExecutor::new());
                        builder.http1().timer(TokioTimer::new());
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Typically EMFILE under a large wrk run: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

/// Which provider API a request targets; decides response and error shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    OpenAi,
    Anthropic,
    /// `generateContent` (buffered) or `streamGenerateContent?alt=sse`.
    Gemini {
        stream: bool,
    },
    OllamaChat,
    OllamaGenerate,
    Responses,
    Bedrock,
    Other,
}

impl Api {
    /// Suffix match so routes that keep a prefix (e.g. `/openai/v1/chat/completions`)
    /// still reach the emulation.
    fn of(method: &Method, path: &str) -> Api {
        if method != Method::POST {
            Api::Other
        } else if path.ends_with("/v1/chat/completions") {
            Api::OpenAi
        } else if path.ends_with("/v1/messages") {
            Api::Anthropic
        } else if path.ends_with(":generateContent") {
            Api::Gemini { stream: false }
        } else if path.ends_with(":streamGenerateContent") {
            Api::Gemini { stream: true }
        } else if path.ends_with("/api/chat") {
            Api::OllamaChat
        } else if path.ends_with("/api/generate") {
            Api::OllamaGenerate
        } else if path.ends_with("/v1/responses") {
            Api::Responses
        } else if path.ends_with("/converse") {
            Api::Bedrock
        } else {
            Api::Other
        }
    }

    fn error(self, kind: &str, message: &str) -> Bytes {
        match self {
            Api::Anthropic => anthropic::error(kind, message),
            _ => openai::error(message, kind),
        }
    }
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<MockBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();

    // Control endpoints are never recorded. Their bodies are still drained so the
    // connection stays reusable.
    if path == "/healthz" {
        let _ = read_body(body).await;
        return Ok(simple(
            StatusCode::OK,
            "text/plain",
            Bytes::from_static(b"ok"),
        ));
    }
    if let Some(name) = path.strip_prefix("/__mock/") {
        let _ = read_body(body).await;
        return Ok(control(&parts.method, name, &state));
    }

    let (bytes, complete) = read_body(body).await;
    let path_and_query = parts.uri.path_and_query().map_or(path, |pq| pq.as_str());
    state.recorder.record(
        parts.method.as_str(),
        path_and_query,
        &parts.headers,
        &bytes,
        complete,
    );
    if !complete {
        // The peer is most likely gone; answer anyway in case it is only half-closed.
        let api = Api::of(&parts.method, path);
        let body = api.error(
            "invalid_request_error",
            "request body was not fully received",
        );
        return Ok(simple(StatusCode::BAD_REQUEST, JSON, body));
    }
    Ok(respond(&parts, &bytes, &state).await)
}

/// Reads the whole request body. On a read error (reset mid-body) returns the bytes that
/// did arrive and `false`, so the recording shows how far the request got.
async fn read_body(mut body: Incoming) -> (Bytes, bool) {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        match frame {
            // Trailers carry no body bytes; ignore them.
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            Err(_) => return (buf.freeze(), false),
        }
    }
    (buf.freeze(), true)
}

/// `/__mock/<name>` endpoints.
fn control(method: &Method, name: &str, state: &State) -> Response<MockBody> {
    match (method, name) {
        (&Method::GET, "requests") => simple(StatusCode::OK, JSON, state.recorder.requests_json()),
        (&Method::GET, "stats") => simple(StatusCode::OK, JSON, state.recorder.stats_json()),
        (&Method::POST, "reset") => {
            state.recorder.reset();
            simple(StatusCode::OK, JSON, Bytes::from_static(b"{\"ok\":true}"))
        }
        _ => simple(
            StatusCode::NOT_FOUND,
            JSON,
            openai::error(
                "unknown mock control endpoint (GET /__mock/requests, GET /__mock/stats, POST /__mock/reset)",
                "not_found",
            ),
        ),
    }
}

/// What the response body will be, before pacing/chunking is applied.
struct Payload {
    source: Box<dyn EventSource>,
    content_type: &'static str,
    /// Exact length for single-buffer bodies (sent as content-length).
    len: Option<usize>,
    streaming: bool,
}

impl Payload {
    fn buffered(bytes: impl Into<Bytes>, content_type: &'static str) -> Self {
        let bytes = bytes.into();
        Payload {
            len: Some(bytes.len()),
            source: Box::new(Once(Some(bytes))),
            content_type,
            streaming: false,
        }
    }

    fn stream(source: impl EventSource) -> Self {
        Payload {
            source: Box::new(source),
            content_type: SSE,
            len: None,
            streaming: true,
        }
    }

    /// Ollama's newline-delimited JSON stream.
    fn ndjson(source: impl EventSource) -> Self {
        Payload {
            content_type: "application/x-ndjson",
            ..Payload::stream(source)
        }
    }
}

async fn respond(parts: &Parts, body: &[u8], state: &State) -> Response<MockBody> {
    let path = parts.uri.path();
    let api = Api::of(&parts.method, path);
    let controls = match Controls::from_headers(&parts.headers) {
        Ok(controls) => controls,
        Err(err) => {
            let body = api.error("invalid_request_error", &err.0);
            return simple(StatusCode::BAD_REQUEST, JSON, body);
        }
    };
    let status = controls.status.unwrap_or(StatusCode::OK);
    let payload = payload(api, path, status, &controls, body, state);

    // For single-buffer answers the delay is time-to-first-byte (timeout tests); for
    // streams it is the gap between frames, applied by the body.
    if !payload.streaming {
        if let Some(delay) = controls.delay {
            tokio::time::sleep(delay).await;
        }
    }

    let content_type = controls
        .content_type
        .unwrap_or_else(|| HeaderValue::from_static(payload.content_type));
    let mut body = MockBody::new(
        payload.source,
        controls.chunk_bytes,
        controls.delay,
        controls.reset_after_bytes,
    );
    if !controls.trailers.is_empty() {
        body.set_trailers(controls.trailers.iter().cloned().collect());
    }
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, content_type);
    for (name, value) in controls.extra_headers {
        headers.append(name, value);
    }
    if payload.streaming {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    if let Some(len) = payload.len {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    response
}

fn payload(
    api: Api,
    path: &str,
    status: StatusCode,
    controls: &Controls,
    body: &[u8],
    state: &State,
) -> Payload {
    if let Some(raw) = &controls.raw_body {
        return Payload::buffered(raw.clone(), OCTETS);
    }
    if status.as_u16() >= 400 {
        let kind = if api == Api::Anthropic {
            "api_error"
        } else {
            "mock_error"
        };
        return Payload::buffered(api.error(kind, "mock error"), JSON);
    }
    if api == Api::Other {
        // Early, so non-provider paths skip body parsing and do not consume an id.
        return other_ok(path);
    }

    let info = RequestInfo::parse(body);
    let usage = Usage {
        prompt: controls.prompt_tokens.unwrap_or(info.prompt_tokens),
        completion: controls
            .completion_tokens
            .unwrap_or_else(|| estimate_tokens(controls.reply.chars().count())),
    };
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    let reply = if controls.echo_system {
        Cow::Owned(format!("My instructions are: {}", info.system))
    } else {
        controls.reply.clone()
    };
    match (api, info.stream) {
        (Api::OpenAi, false) => {
            Payload::buffered(openai::completion(id, &info.model, &reply, usage), JSON)
        }
        (Api::OpenAi, true) => Payload::stream(openai::ChatStream::new(
            id,
            &info.model,
            reply,
            controls.delta_chars,
            info.include_usage.then_some(usage),
        )),
        (Api::Anthropic, false) => {
            Payload::buffered(anthropic::message(id, &info.model, &reply, usage), JSON)
        }
        (Api::Anthropic, true) => Payload::stream(anthropic::MessageStream::new(
            id,
            &info.model,
            reply,
            controls.delta_chars,
            usage,
        )),
        (Api::Gemini { stream: false }, _) => {
            Payload::buffered(more::gemini(&info.model, &reply, usage), JSON)
        }
        (Api::Gemini { stream: true }, _) => Payload::stream(more::gemini_stream(
            &info.model,
            &reply,
            controls.delta_chars,
            usage,
        )),
        (Api::OllamaChat | Api::OllamaGenerate, _) => {
            let chat = api == Api::OllamaChat;
            // Ollama streams unless the request says `"stream": false`.
            let buffered = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("stream").and_then(serde_json::Value::as_bool))
                == Some(false);
            if buffered {
                Payload::buffered(more::ollama(&info.model, chat, &reply), JSON)
            } else {
                Payload::ndjson(more::ollama_stream(
                    &info.model,
                    chat,
                    &reply,
                    controls.delta_chars,
                ))
            }
        }
        (Api::Responses, false) => {
            Payload::buffered(more::responses(id, &info.model, &reply, usage), JSON)
        }
        (Api::Responses, true) => Payload::stream(more::responses_stream(
            id,
            &info.model,
            &reply,
            controls.delta_chars,
            usage,
        )),
        (Api::Bedrock, _) => Payload::buffered(more::bedrock(&reply, usage), JSON),
        (Api::Other, _) => other_ok(path),
    }
}

/// `{"ok":true,"path":…}` for paths the mock does not emulate.
fn other_ok(path: &str) -> Payload {
    let value = json!({"ok": true, "path": path});
    Payload::buffered(serde_json::to_vec(&value).unwrap_or_default(), JSON)
}

/// A complete single-buffer response with a content-length.
fn simple(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<MockBody> {
    let body = body.into();
    let len = body.len();
    let mut response = Response::new(MockBody::full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_method_and_suffix() {
        assert_eq!(Api::of(&Method::POST, "/v1/chat/completions"), Api::OpenAi);
        assert_eq!(
            Api::of(&Method::POST, "/openai/v1/chat/completions"),
            Api::OpenAi
        );
        assert_eq!(Api::of(&Method::POST, "/v1/messages"), Api::Anthropic);
        assert_eq!(Api::of(&Method::GET, "/v1/messages"), Api::Other);
        assert_eq!(
            Api::of(&Method::POST, "/v1/messages/count_tokens"),
            Api::Other
        );
        assert_eq!(Api::of(&Method::POST, "/v1/models"), Api::Other);
    }
}
