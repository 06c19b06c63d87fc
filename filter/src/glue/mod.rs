//! The only module that talks to Envoy. It reads headers, properties and bodies, hands plain
//! values to the engine, and applies the engine's decision.
//!
//! Rules this module keeps (see `../shared/PLATFORM.md`):
//! - Host calls go through `proxy_wasm::hostcalls` with every error handled; the SDK's trait
//!   helpers `unwrap` host results, and a panic aborts the VM (FAIL_CLOSED: 503s until reload).
//! - Headers are never paused (that stalls the stream unless Envoy sets
//!   `allow_on_headers_stop_iteration`); bodies are buffered in the body callbacks instead, and
//!   `content-length` is dropped while headers can still change.
//! - End of stream may arrive in the trailers callback; the body is finalised there too.
//! - After `send_http_response` the callback returns `Pause`.

use crate::config;
use crate::dialect::Api;
use crate::engine::{self, Decision};
use crate::policy::{Config, Policy, RouteInput};
use crate::report::{Direction, Outcome};
use crate::verdict::Verdict;
use log::{debug, error, info, warn};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Debug);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root { config: None }) });
}}

struct Root {
    config: Option<Rc<Config>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default();
        match config::load(&bytes) {
            Ok(c) => {
                info!(
                    "llm-warden: config loaded ({} policies, {} routes, default policy `{}`)",
                    c.policies.len(),
                    c.routes.len(),
                    c.default_policy
                        .and_then(|i| c.policies.get(i))
                        .map_or(config::PASS_THROUGH, |p| p.name.as_str())
                );
                self.config = Some(Rc::new(c));
                true
            }
            Err(e) => {
                error!("llm-warden: config rejected: {e}");
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Flow::new(self.config.clone())))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// Where a body stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Not inspected: forwarded as it streams.
    Skip,
    /// Being buffered until end of stream.
    Buffer,
    /// Decided (or answered locally); later callbacks only continue.
    Done,
}

/// One HTTP exchange.
struct Flow {
    config: Option<Rc<Config>>,
    /// Index of the selected policy; `None` when no policy applies (pass-through).
    policy: Option<usize>,
    api: Option<Api>,
    path: String,
    route: String,
    request_id: String,
    request: Body,
    response: Body,
}

impl Flow {
    fn new(config: Option<Rc<Config>>) -> Flow {
        Flow {
            config,
            policy: None,
            api: None,
            path: String::new(),
            route: String::new(),
            request_id: String::new(),
            request: Body::Skip,
            response: Body::Skip,
        }
    }

    fn policy(&self) -> Option<&Policy> {
        let index = self.policy?;
        self.config.as_ref().and_then(|c| c.policies.get(index))
    }

    /// Runs the engine on the buffered body and applies its verdict.
    fn finish(&mut self, direction: Direction) -> Action {
        let (buffer, state) = match direction {
            Direction::Request => (BufferType::HttpRequestBody, &mut self.request),
            Direction::Response => (BufferType::HttpResponseBody, &mut self.response),
        };
        *state = Body::Done;
        let body = hostcalls::get_buffer(buffer, 0, usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default();
        let Some(policy) = self.policy() else {
            return Action::Continue;
        };
        let decision = match direction {
            Direction::Request => engine::inspect_request(policy, &self.path, &body),
            Direction::Response => engine::inspect_response(policy, self.api, &body),
        };
        self.record(&decision);
        if direction == Direction::Request && decision.report.api.is_some() {
            // A chat body on a custom path is recognised by shape; its response follows suit.
            self.api = decision.report.api;
        }
        match decision.verdict {
            Verdict::Continue => Action::Continue,
            Verdict::Rewrite(new_body) => {
                if let Err(status) =
                    hostcalls::set_buffer(buffer, 0, body.len(), new_body.as_bytes())
                {
                    warn!(
                        "llm-warden: could not replace the {} body: {status:?}",
                        direction.name()
                    );
                    return self.fail(direction);
                }
                Action::Continue
            }
            Verdict::Block(reply) => {
                let headers = vec![
                    ("content-type", "application/json"),
                    ("x-llm-warden", "blocked"),
                ];
                if let Err(status) = hostcalls::send_http_response(
                    u32::from(reply.status),
                    headers,
                    Some(reply.body.as_bytes()),
                ) {
                    warn!("llm-warden: could not send the block reply: {status:?}");
                }
                Action::Pause
            }
        }
    }

    /// Headers of a body being buffered: held when the config says Envoy allows it.
    fn headers_action(&self, config: &Config) -> Action {
        if config.hold_headers {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    /// A redaction that could not be applied must not forward the original: fail closed.
    fn fail(&self, direction: Direction) -> Action {
        count(&format!("llm_warden.{}.error", direction.name()));
        let body = br#"{"error":{"message":"llm-warden could not apply its policy","type":"llm_warden_error","param":null,"code":"internal_error"}}"#;
        let _ = hostcalls::send_http_response(
            500,
            vec![("content-type", "application/json")],
            Some(body),
        );
        Action::Pause
    }

    /// Counts the decision and writes its audit line (never any text).
    fn record(&self, decision: &Decision) {
        let report = &decision.report;
        let dir = report.direction.name();
        // A monitor-mode policy changes nothing: its counters say what it *would* have done.
        let prefix = if report.monitor { "would_" } else { "" };
        count(&format!(
            "llm_warden.{dir}.{prefix}{}",
            report.outcome.name()
        ));
        if let Outcome::PassedThrough(reason) = &report.outcome {
            count(&format!("llm_warden.{dir}.pass_through.{}", reason.name()));
        }
        let line = report
            .to_json(&[("request_id", &self.request_id), ("route", &self.route)])
            .to_string();
        match report.outcome {
            Outcome::Allowed => debug!("llm-warden audit {line}"),
            _ => info!("llm-warden audit {line}"),
        }
    }
}

impl Context for Flow {}

impl HttpContext for Flow {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(config) = self.config.clone() else {
            // on_configure never succeeded for this root: fail closed, clearly.
            let body = br#"{"error":{"message":"llm-warden has no valid configuration","type":"llm_warden_error","param":null,"code":"not_configured"}}"#;
            let _ = hostcalls::send_http_response(
                503,
                vec![("content-type", "application/json")],
                Some(body),
            );
            return Action::Pause;
        };
        self.path = header(MapType::HttpRequestHeaders, ":path");
        self.request_id = header(MapType::HttpRequestHeaders, "x-request-id");
        self.route = property(&["xds", "route_name"]);
        let host = header(MapType::HttpRequestHeaders, ":authority");
        let method = header(MapType::HttpRequestHeaders, ":method");
        let headers = if config.needs_headers() {
            hostcalls::get_map(MapType::HttpRequestHeaders).unwrap_or_default()
        } else {
            Vec::new()
        };
        let input = RouteInput {
            route_name: &self.route,
            host: &host,
            path: &self.path,
            method: &method,
            headers: &headers,
        };
        let Some(selected) = config.select(&input) else {
            count("llm_warden.request.pass_through.no_policy");
            return Action::Continue;
        };
        self.policy = config.index_of(selected);
        self.api = Api::from_path(&self.path);

        if selected.inspects_responses() {
            // Ask for an identity-encoded response: compressed bytes cannot be inspected.
            remove_header(MapType::HttpRequestHeaders, "accept-encoding");
        }
        if end_of_stream || !selected.inspects_requests() {
            return Action::Continue;
        }
        let encoding = header(MapType::HttpRequestHeaders, "content-encoding");
        if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity") {
            count("llm_warden.request.pass_through.compressed");
            info!("llm-warden: request body is {encoding}-encoded; forwarded uninspected");
            return Action::Continue;
        }
        remove_header(MapType::HttpRequestHeaders, "content-length");
        self.request = Body::Buffer;
        self.headers_action(&config)
    }

    fn on_http_request_body(&mut self, _body_size: usize, end_of_stream: bool) -> Action {
        match (self.request, end_of_stream) {
            (Body::Buffer, false) => Action::Pause,
            (Body::Buffer, true) => self.finish(Direction::Request),
            _ => Action::Continue,
        }
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        if self.request == Body::Buffer {
            return self.finish(Direction::Request);
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(policy) = self.policy() else {
            return Action::Continue;
        };
        if end_of_stream || !policy.inspects_responses() {
            return Action::Continue;
        }
        let content_type =
            header(MapType::HttpResponseHeaders, "content-type").to_ascii_lowercase();
        let encoding = header(MapType::HttpResponseHeaders, "content-encoding");
        let skip = if self.api.is_none() {
            Some("unknown_api")
        } else if content_type.starts_with("text/event-stream") {
            Some("stream")
        } else if !content_type.contains("json") {
            Some("not_json")
        } else if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity") {
            Some("compressed")
        } else {
            None
        };
        if let Some(reason) = skip {
            count(&format!("llm_warden.response.pass_through.{reason}"));
            debug!("llm-warden: response forwarded uninspected ({reason})");
            return Action::Continue;
        }
        remove_header(MapType::HttpResponseHeaders, "content-length");
        self.response = Body::Buffer;
        match self.config.clone() {
            Some(config) => self.headers_action(&config),
            None => Action::Continue,
        }
    }

    fn on_http_response_body(&mut self, _body_size: usize, end_of_stream: bool) -> Action {
        match (self.response, end_of_stream) {
            (Body::Buffer, false) => Action::Pause,
            (Body::Buffer, true) => self.finish(Direction::Response),
            _ => Action::Continue,
        }
    }

    fn on_http_response_trailers(&mut self, _num_trailers: usize) -> Action {
        if self.response == Body::Buffer {
            return self.finish(Direction::Response);
        }
        Action::Continue
    }
}

fn header(map: MapType, name: &str) -> String {
    hostcalls::get_map_value(map, name)
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn remove_header(map: MapType, name: &str) {
    let _ = hostcalls::set_map_value(map, name, None);
}

/// A string property, empty when absent or unreadable (never a panic; see PLATFORM.md).
fn property(path: &[&str]) -> String {
    hostcalls::get_property(path.to_vec())
        .ok()
        .flatten()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

thread_local! {
    /// Counter ids by name, defined on first use. Each worker VM has its own copy; Envoy sums
    /// counters of the same name across VMs.
    static METRICS: RefCell<HashMap<String, u32>> = RefCell::new(HashMap::new());
}

/// Increments the Envoy counter `name` (shown as `wasmcustom.<name>`).
fn count(name: &str) {
    let id = METRICS.with(|m| {
        let mut m = m.borrow_mut();
        if let Some(id) = m.get(name) {
            return Some(*id);
        }
        let id = hostcalls::define_metric(MetricType::Counter, name).ok()?;
        m.insert(name.to_string(), id);
        Some(id)
    });
    if let Some(id) = id {
        let _ = hostcalls::increment_metric(id, 1);
    }
}
