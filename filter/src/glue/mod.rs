//! The only module that talks to Envoy. It reads headers, properties and bodies, hands plain
//! values to the engine, and applies the engine's decision.
//!
//! Rules this module keeps (see `../shared/PLATFORM.md`):
//! - Host calls go through `host`, which never panics (the SDK's wrappers panic on unexpected
//!   statuses and on non-UTF-8 header values; a panic aborts the VM).
//! - Headers are paused only with `holdHeaders` (Envoy's `allow_on_headers_stop_iteration`);
//!   otherwise bodies are buffered in the body callbacks, and `content-length` is dropped
//!   while headers can still change.
//! - After `Pause`, `body_size` is the cumulative buffered size: the limit is checked on it.
//! - End of stream may arrive in the trailers callback; the body is finalised there too.
//! - After a local response the callback returns `Pause`.

mod host;

use crate::config;
use crate::config::spec::AuditLevel;
use crate::config::spec::Mode;
use crate::dialect::Api;
use crate::engine::{self, Decision, Exchange};
use crate::policy::{Config, Policy, RouteInput};
use crate::report::{Direction, Outcome, PassReason, Report};
use crate::stream::{StreamApi, StreamRewriter};
use crate::verdict::Verdict;
use host::{Buffer, Map};
use log::{debug, info, log_enabled, warn, Level};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(Root {
            config: None,
            needs: RouteNeeds::default(),
        })
    });
}}

struct Root {
    config: Option<Rc<Config>>,
    needs: RouteNeeds,
}

/// Which request values route selection reads beyond the path. Each is a host call, and one
/// that returns a value costs about 0.75 µs of Envoy CPU (most of it Envoy calling back into
/// the module to allocate the copy; an absent header costs 0.07 µs), so a config whose routes
/// never look at the host, method, route name or other headers does not pay for reading them.
#[derive(Debug, Clone, Copy, Default)]
struct RouteNeeds {
    route_name: bool,
    host: bool,
    method: bool,
    headers: bool,
}

impl RouteNeeds {
    fn of(config: &Config) -> RouteNeeds {
        let any = |f: fn(&crate::policy::Route) -> bool| config.routes.iter().any(f);
        RouteNeeds {
            route_name: any(|r| r.route_name.is_some()),
            host: any(|r| r.host.is_some()),
            method: any(|r| !r.methods.is_empty()),
            headers: config.needs_headers(),
        }
    }
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        // Format only what Envoy will print: audit lines cost a JSON serialisation.
        let level = match host::log_level() {
            Some(0) => LogLevel::Trace,
            Some(1) => LogLevel::Debug,
            Some(3) => LogLevel::Warn,
            Some(4) | Some(5) => LogLevel::Error,
            _ => LogLevel::Info,
        };
        proxy_wasm::set_log_level(level);
        let bytes = host::buffer(Buffer::PluginConfiguration, usize::MAX);
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
                self.needs = RouteNeeds::of(&c);
                self.config = Some(Rc::new(c));
                true
            }
            Err(e) => {
                log::error!("llm-warden: config rejected: {e}");
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Flow::new(self.config.clone(), self.needs)))
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
    /// A streamed response rewritten chunk by chunk (`Flow::stream`).
    Stream,
}

/// One HTTP exchange.
struct Flow {
    config: Option<Rc<Config>>,
    needs: RouteNeeds,
    /// Index of the selected policy; `None` when no policy applies (pass-through).
    policy: Option<usize>,
    api: Option<Api>,
    path: String,
    /// Envoy's route name, read when first needed (route selection, an audit line).
    route: Option<String>,
    /// `x-request-id`, read only when an audit line or a canary may need it (the request
    /// headers, and the `request.*` properties, are readable only in their own callback).
    request_id: String,
    /// `llm_warden_policy` has been set (once per exchange).
    policy_recorded: bool,
    request: Body,
    response: Body,
    /// What was done with each direction, for the decision header and filter state.
    request_action: &'static str,
    response_action: &'static str,
    /// The streamed response's rewriter, and what it has decided so far.
    stream: Option<StreamRewriter>,
    stream_report: Option<Report>,
    /// The rewriter ended the stream (block or error): later chunks are dropped.
    stream_stopped: bool,
    /// This request's system-prompt canary (when the policy uses one) and the pseudonyms
    /// its values became: what the response is checked against and restored from.
    exchange: Exchange,
}

impl Flow {
    fn new(config: Option<Rc<Config>>, needs: RouteNeeds) -> Flow {
        Flow {
            config,
            needs,
            policy: None,
            api: None,
            path: String::new(),
            route: None,
            request_id: String::new(),
            policy_recorded: false,
            request: Body::Skip,
            response: Body::Skip,
            request_action: "none",
            response_action: "none",
            stream: None,
            stream_report: None,
            stream_stopped: false,
            exchange: Exchange::default(),
        }
    }

    /// Sets up streamed redaction and agency checks (tool allow-list, canary) when the
    /// response is an event stream of a known API.
    fn start_stream(&mut self, content_type: &str) -> bool {
        let Some(api) = StreamApi::from_path(&self.path) else {
            return false;
        };
        let Some(policy) = self.policy() else {
            return false;
        };
        if !api.is_stream_content_type(content_type) {
            return false;
        }
        let Some(rewriter) = engine::stream_rewriter(policy, api, &self.exchange) else {
            return false;
        };
        let monitor = policy.mode == Mode::Monitor;
        let mut report = Report::new(Direction::Response, &policy.name, monitor);
        report.api = self.api;
        self.stream = Some(rewriter);
        self.stream_report = Some(report);
        true
    }

    /// Rewrites one chunk of a streamed response (and the end of it).
    fn stream_chunk(&mut self, size: usize, end_of_stream: bool) -> Action {
        let chunk = host::buffer(Buffer::ResponseBody, size);
        // The policy through its own handle on the config, so it can be read while the
        // rewriter (a field of self) is borrowed.
        let config = self.config.clone();
        let policy = self
            .policy
            .and_then(|i| config.as_deref().and_then(|c| c.policies.get(i)));
        let Some(rewriter) = self.stream.as_mut() else {
            return Action::Continue;
        };
        let mut out = if self.stream_stopped {
            Default::default()
        } else {
            rewriter.push(&chunk)
        };
        if end_of_stream && !self.stream_stopped && out.error.is_none() {
            out.absorb(rewriter.finish());
        }
        let mut blocked_rules = Vec::new();
        if let Some(error) = &out.error {
            let rule = policy
                .map(|p| engine::stream_error_rule(p, error))
                .unwrap_or_else(|| format!("stream.{}", stat_part(&error.to_string())));
            blocked_rules.push(rule);
            let message = "llm-warden ended this stream: it could not be forwarded safely";
            out.bytes
                .extend(rewriter.block_event(message, &blocked_rules));
            self.stream_stopped = true;
        }
        if let (Some(report), Some(policy)) = (self.stream_report.as_mut(), policy) {
            engine::record_output(policy, &out, report);
            report.rules.extend(blocked_rules);
        }
        if out.bytes != chunk {
            if let Err(status) = host::set_buffer(Buffer::ResponseBody, chunk.len(), &out.bytes) {
                warn!("llm-warden: could not rewrite a stream chunk (status {status})");
                let _ = host::reset_response();
                self.stream_stopped = true;
            }
        }
        if end_of_stream || self.stream_stopped {
            self.end_stream();
        }
        Action::Continue
    }

    /// Records the streamed response's decision once.
    /// Records the stream's decision, once. A stopped stream stays in `Body::Stream`, so
    /// whatever the upstream still sends after the error event is dropped, not forwarded.
    fn end_stream(&mut self) {
        if !self.stream_stopped {
            self.response = Body::Done;
        }
        let Some(mut report) = self.stream_report.take() else {
            return;
        };
        let has = |a: &str| report.entities.iter().any(|e| e.action == a);
        // Without a stop, an agency rule in the report redacted (a canary) or, in monitor
        // mode, only watched.
        let agency = report.rules.iter().any(|r| {
            r == crate::stream::LEAK_RULE
                || r == crate::stream::TOOL_RULE
                || r.starts_with("tools.arguments")
        });
        report.outcome = if self.stream_stopped {
            Outcome::Blocked
        } else if has("redact") || (agency && !report.monitor) {
            Outcome::Redacted
        } else if has("monitor") || agency {
            Outcome::Monitored
        } else {
            Outcome::Allowed
        };
        self.record(&report);
    }

    fn policy(&self) -> Option<&Policy> {
        let index = self.policy?;
        self.config.as_ref().and_then(|c| c.policies.get(index))
    }

    fn hold_headers(&self) -> bool {
        self.config.as_ref().is_some_and(|c| c.hold_headers)
    }

    /// Headers of a body being buffered: held when the config says Envoy allows it.
    fn headers_action(&self) -> Action {
        if self.hold_headers() {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn state(&mut self, direction: Direction) -> &mut Body {
        match direction {
            Direction::Request => &mut self.request,
            Direction::Response => &mut self.response,
        }
    }

    /// Runs the engine on the buffered body and applies its verdict.
    fn finish(&mut self, direction: Direction) -> Action {
        *self.state(direction) = Body::Done;
        let buffer = match direction {
            Direction::Request => Buffer::RequestBody,
            Direction::Response => Buffer::ResponseBody,
        };
        let body = host::buffer(buffer, usize::MAX);
        let mut exchange = std::mem::take(&mut self.exchange);
        let Some(policy) = self.policy() else {
            self.exchange = exchange;
            return Action::Continue;
        };
        let decision = match direction {
            Direction::Request => {
                engine::inspect_request_with(policy, &self.path, &body, &mut exchange)
            }
            Direction::Response => {
                engine::inspect_response_with(policy, self.api, &body, &exchange)
            }
        };
        self.exchange = exchange;
        if direction == Direction::Request && decision.report.api.is_some() {
            // A chat body on a custom path is recognised by shape; its response follows suit.
            self.api = decision.report.api;
        }
        self.apply(decision, Some((buffer, body.len())))
    }

    /// Records a decision and carries out its verdict. `body` is the buffer to rewrite.
    fn apply(&mut self, decision: Decision, body: Option<(Buffer, usize)>) -> Action {
        self.record(&decision.report);
        let direction = decision.report.direction;
        match decision.verdict {
            Verdict::Continue => Action::Continue,
            Verdict::Rewrite(new_body) => {
                let Some((buffer, size)) = body else {
                    return Action::Continue;
                };
                if let Err(status) = host::set_buffer(buffer, size, new_body.as_bytes()) {
                    warn!(
                        "llm-warden: could not replace the {} body (status {status})",
                        direction.name()
                    );
                    return self.fail(direction);
                }
                Action::Continue
            }
            Verdict::Block(reply) => {
                *self.state(direction) = Body::Done;
                let headers = [
                    ("content-type", "application/json"),
                    ("x-llm-warden", "blocked"),
                ];
                if let Err(status) =
                    host::send_response(reply.status, &headers, reply.body.as_bytes())
                {
                    // Response headers already left: stopping the stream is all that is left.
                    warn!(
                        "llm-warden: local reply refused (status {status}); resetting the stream"
                    );
                    let _ = host::reset_response();
                }
                Action::Pause
            }
        }
    }

    /// A redaction that could not be applied must not forward the original: fail closed.
    fn fail(&mut self, direction: Direction) -> Action {
        count(&format!("llm_warden.{}.error.internal", direction.name()));
        *self.state(direction) = Body::Done;
        let body = br#"{"error":{"message":"llm-warden could not apply its policy","type":"llm_warden_error","param":null,"code":"internal_error"}}"#;
        if host::send_response(500, &[("content-type", "application/json")], body).is_err() {
            let _ = host::reset_response();
        }
        Action::Pause
    }

    /// A body that cannot be inspected (oversize, compressed): the policy decides.
    fn uninspectable(&mut self, direction: Direction, reason: PassReason) -> Action {
        let Some(policy) = self.policy() else {
            return Action::Continue;
        };
        let decision = engine::uninspectable(policy, direction, self.api, reason);
        let passes = matches!(decision.verdict, Verdict::Continue);
        let action = self.apply(decision, None);
        if passes {
            *self.state(direction) = Body::Skip;
        }
        action
    }

    /// Counts the decision, exposes it to access logs and writes its audit line (never text).
    fn record(&mut self, report: &Report) {
        let dir = report.direction.name();
        // A monitor-mode policy changes nothing: its counters say what it *would* have done.
        let prefix = if report.monitor { "would_" } else { "" };
        let outcome = report.outcome.name();
        count_outcome(&report.policy, report.direction, prefix, outcome);
        match &report.outcome {
            Outcome::PassedThrough(reason) => {
                count(&format!("llm_warden.{dir}.pass_through.{}", reason.name()));
                if let Some(kind) = error_kind(reason) {
                    count(&format!("llm_warden.{dir}.error.{kind}"));
                }
            }
            _ => {
                for rule in &report.rules {
                    count(&format!("llm_warden.rule.{}.{dir}", stat_part(rule)));
                    if let Some(kind) = rule.strip_prefix("body.").and_then(|r| error_kind_name(r))
                    {
                        count(&format!("llm_warden.{dir}.error.{kind}"));
                    }
                }
                for e in &report.entities {
                    count(&format!("llm_warden.entity.{}.{dir}.{}", e.name, e.action));
                }
            }
        }
        let action = if report.monitor { "monitor" } else { outcome };
        match report.direction {
            Direction::Request => self.request_action = action,
            Direction::Response => self.response_action = action,
        }
        let property = match report.direction {
            Direction::Request => "llm_warden_request",
            Direction::Response => "llm_warden_response",
        };
        let _ = host::set_property(&[property], action.as_bytes());
        if !self.policy_recorded {
            // One policy serves both directions of an exchange.
            let _ = host::set_property(&["llm_warden_policy"], report.policy.as_bytes());
            self.policy_recorded = true;
        }
        if !report.rules.is_empty() {
            let _ = host::set_property(
                &[&format!("llm_warden_{dir}_rules")],
                report.rules.join(",").as_bytes(),
            );
        }
        self.audit(report);
    }

    fn audit(&mut self, report: &Report) {
        let Some(config) = &self.config else { return };
        let allowed = report.outcome == Outcome::Allowed;
        let Some(level) = audit_level(config, allowed) else {
            return;
        };
        if !log_enabled!(level) {
            return;
        }
        let route = self.route().to_string();
        let line = report.to_json(&[("request_id", &self.request_id), ("route", &route)]);
        log::log!(level, "llm-warden audit {line}");
    }

    /// Envoy's route name (`xds.route_name`), read on first use.
    fn route(&mut self) -> &str {
        self.route.get_or_insert_with(|| {
            host::property(&["xds", "route_name"])
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        })
    }

    /// Tells the client what happened, when the config asks for it.
    fn decision_header(&self) {
        if !self.config.as_ref().is_some_and(|c| c.decision_header) {
            return;
        }
        let mut value = format!("request={}", self.request_action);
        if self.response_action != "none" {
            value.push_str(&format!(", response={}", self.response_action));
        }
        let _ = host::set_header(Map::ResponseHeaders, "x-llm-warden", Some(&value));
    }
}

/// The log level of an audit line for an allowed or other decision; `None`: audit is off.
fn audit_level(config: &Config, allowed: bool) -> Option<Level> {
    Some(
        match (config.audit.level, allowed && !config.audit.include_allowed) {
            (AuditLevel::Off, _) => return None,
            (_, true) | (AuditLevel::Debug, _) => Level::Debug,
            (AuditLevel::Info, _) => Level::Info,
            (AuditLevel::Warn, _) => Level::Warn,
        },
    )
}

/// A fresh, unguessable canary: the request id and a per-VM counter hashed with the VM's
/// random keys (std's RandomState, seeded from WASI `random_get`).
fn canary_token(request_id: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    thread_local! {
        static KEYS: std::collections::hash_map::RandomState =
            std::collections::hash_map::RandomState::new();
        static COUNTER: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    let n = COUNTER.with(|c| {
        let n = c.get().wrapping_add(1);
        c.set(n);
        n
    });
    let (a, b) = KEYS.with(|k| {
        let mut h1 = k.build_hasher();
        h1.write(request_id.as_bytes());
        h1.write_u64(n);
        let mut h2 = k.build_hasher();
        h2.write_u64(n);
        h2.write(request_id.as_bytes());
        (h1.finish(), h2.finish())
    });
    format!("lwc-{a:016x}{b:016x}")
}

/// `oversize`, `compressed`, `malformed`, `truncated`: the error kinds operators alert on.
fn error_kind(reason: &PassReason) -> Option<&'static str> {
    error_kind_name(reason.name())
}

fn error_kind_name(reason: &str) -> Option<&'static str> {
    match reason {
        "oversize" => Some("oversize"),
        "compressed" => Some("compressed"),
        "malformed_json" | "not_utf8" => Some("malformed"),
        "truncated" => Some("truncated"),
        _ => None,
    }
}

/// A stat name segment: anything but letters, digits, `_`, `-` and `.` becomes `_`.
fn stat_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Context for Flow {}

impl HttpContext for Flow {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        let Some(config) = self.config.clone() else {
            // on_configure never succeeded for this root: fail closed, clearly.
            let body = br#"{"error":{"message":"llm-warden has no valid configuration","type":"llm_warden_error","param":null,"code":"not_configured"}}"#;
            let _ = host::send_response(503, &[("content-type", "application/json")], body);
            return Action::Pause;
        };
        #[cfg(feature = "fault-injection")]
        if host::header(Map::RequestHeaders, "x-llm-warden-fault") == "panic" {
            #[allow(clippy::panic)] // test builds only: the point is to abort the VM
            {
                panic!("llm-warden: fault injected");
            }
        }
        self.path = host::header(Map::RequestHeaders, ":path");
        // Only what some route matches on is read; the rest stays empty and unconsulted.
        let needs = self.needs;
        let read = |needed: bool, name: &str| {
            if needed {
                host::header(Map::RequestHeaders, name)
            } else {
                String::new()
            }
        };
        let host_header = read(needs.host, ":authority");
        let method = read(needs.method, ":method");
        let headers = if needs.headers {
            host::headers(Map::RequestHeaders)
        } else {
            Vec::new()
        };
        let route_name = if needs.route_name {
            self.route().to_string()
        } else {
            String::new()
        };
        let input = RouteInput {
            route_name: &route_name,
            host: &host_header,
            path: &self.path,
            method: &method,
            headers: &headers,
        };
        let Some(selected) = config.select(&input) else {
            count("llm_warden.request.pass_through.no_policy");
            let _ = host::set_property(&["llm_warden_request"], b"none");
            return Action::Continue;
        };
        self.policy = config.index_of(selected);
        self.api = Api::from_path(&self.path);
        // Read only if an audit line can be written (Envoy's log level lets it through) or
        // the canary is made from it.
        let audits = [false, true]
            .into_iter()
            .filter_map(|allowed| audit_level(&config, allowed))
            .any(|level| log_enabled!(level));
        if audits || selected.agency.wants_canary() {
            self.request_id = host::header(Map::RequestHeaders, "x-request-id");
        }
        if selected.agency.wants_canary() {
            self.exchange.canary = Some(canary_token(&self.request_id));
        }
        let (inspects_requests, max_request) = (
            selected.inspects_requests(),
            selected.limits.max_request_bytes,
        );
        if selected.inspects_responses() {
            // Ask for an identity-encoded response: compressed bytes cannot be inspected.
            let _ = host::set_header(Map::RequestHeaders, "accept-encoding", None);
        }
        if end_of_stream || !inspects_requests {
            return Action::Continue;
        }
        let encoding = host::header(Map::RequestHeaders, "content-encoding");
        if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity") {
            return self.uninspectable(Direction::Request, PassReason::Compressed);
        }
        let declared = host::header(Map::RequestHeaders, "content-length")
            .parse::<usize>()
            .ok();
        if declared.is_some_and(|n| n > max_request) {
            // Refuse before buffering a byte of it.
            return self.uninspectable(Direction::Request, PassReason::Oversize);
        }
        let _ = host::set_header(Map::RequestHeaders, "content-length", None);
        self.request = Body::Buffer;
        self.headers_action()
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.request != Body::Buffer {
            return Action::Continue;
        }
        let limit = self
            .policy()
            .map_or(usize::MAX, |p| p.limits.max_request_bytes);
        if body_size > limit {
            return self.uninspectable(Direction::Request, PassReason::Oversize);
        }
        if end_of_stream {
            self.finish(Direction::Request)
        } else {
            Action::Pause
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
        let (inspects, max_response) = (
            policy.inspects_responses(),
            policy.limits.max_response_bytes,
        );
        if end_of_stream || !inspects {
            self.decision_header();
            return Action::Continue;
        }
        let content_type = host::header(Map::ResponseHeaders, "content-type").to_ascii_lowercase();
        let encoding = host::header(Map::ResponseHeaders, "content-encoding");
        let identity = encoding.is_empty() || encoding.eq_ignore_ascii_case("identity");
        if identity && self.start_stream(&content_type) {
            let _ = host::set_header(Map::ResponseHeaders, "content-length", None);
            self.response = Body::Stream;
            self.decision_header();
            return Action::Continue;
        }
        // With `unknownBodies: inspect`, JSON of no known API and plain text are inspected.
        let inspect_unknown = self.policy().is_some_and(|p| p.inspect_unknown);
        let plain_text = inspect_unknown && self.api.is_none() && content_type.starts_with("text/");
        // On a known API, a text or unlabelled body is inspected whatever its label: clients
        // parse the completion anyway, so a mislabelled one must not pass unread (the
        // engine reads JSON, and event streams as streams).
        let mislabelled = self.api.is_some()
            && (content_type.is_empty() || content_type.starts_with("text/plain"));
        let skip = if self.api.is_none() && !inspect_unknown {
            Some("unknown_api")
        } else if content_type.starts_with("text/event-stream") {
            Some("stream")
        } else if !content_type.contains("json") && !plain_text && !mislabelled {
            Some("not_json")
        } else {
            None
        };
        if let Some(reason) = skip {
            count(&format!("llm_warden.response.pass_through.{reason}"));
            debug!("llm-warden: response forwarded uninspected ({reason})");
            self.decision_header();
            return Action::Continue;
        }
        // Still in the headers callback: a rejection here is a clean local reply.
        if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity") {
            return self.uninspectable(Direction::Response, PassReason::Compressed);
        }
        let declared = host::header(Map::ResponseHeaders, "content-length")
            .parse::<usize>()
            .ok();
        if declared.is_some_and(|n| n > max_response) {
            return self.uninspectable(Direction::Response, PassReason::Oversize);
        }
        let _ = host::set_header(Map::ResponseHeaders, "content-length", None);
        self.response = Body::Buffer;
        if !self.hold_headers() {
            self.decision_header();
        }
        self.headers_action()
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.response == Body::Stream {
            return self.stream_chunk(body_size, end_of_stream);
        }
        if self.response != Body::Buffer {
            return Action::Continue;
        }
        let limit = self
            .policy()
            .map_or(usize::MAX, |p| p.limits.max_response_bytes);
        let action = if body_size > limit {
            self.uninspectable(Direction::Response, PassReason::Oversize)
        } else if end_of_stream {
            self.finish(Direction::Response)
        } else {
            return Action::Pause;
        };
        if self.hold_headers() && action == Action::Continue {
            self.decision_header();
        }
        action
    }

    fn on_http_response_trailers(&mut self, _num_trailers: usize) -> Action {
        if self.response == Body::Stream {
            // The body can no longer be written: what the rewriter holds is dropped, never
            // leaked. Every supported API closes its text before the end, so only truncated
            // streams lose a tail.
            self.end_stream();
            return Action::Continue;
        }
        if self.response == Body::Buffer {
            let action = self.finish(Direction::Response);
            if self.hold_headers() && action == Action::Continue {
                self.decision_header();
            }
            return action;
        }
        Action::Continue
    }

    fn on_log(&mut self) {
        // A body still buffering when the exchange ends was cut short (client disconnect,
        // upstream reset): nothing was forwarded from it; say so.
        if self.response == Body::Stream && !self.stream_stopped {
            if let Some(report) = self.stream_report.as_mut() {
                report.rules.push("stream.truncated".into());
            }
            count("llm_warden.response.error.truncated");
            self.end_stream();
        }
        for direction in [Direction::Request, Direction::Response] {
            if *self.state(direction) == Body::Buffer {
                *self.state(direction) = Body::Done;
                if let Some(policy) = self.policy() {
                    let mut report = Report::new(direction, &policy.name, false);
                    report.api = self.api;
                    report.outcome = Outcome::PassedThrough(PassReason::Truncated);
                    self.record(&report);
                }
            }
        }
    }
}

thread_local! {
    /// Counter ids by name, defined on first use. Each worker VM has its own copy; Envoy sums
    /// counters of the same name across VMs.
    static METRICS: RefCell<HashMap<String, u32>> = RefCell::new(HashMap::new());
}

/// Increments the Envoy counter `name` (shown as `wasmcustom.<name>`).
fn count(name: &str) {
    if let Some(id) = counter(name) {
        let _ = host::increment(id, 1);
    }
}

/// The id of the counter `name`, defined on first use; `None` if Envoy refused it.
fn counter(name: &str) -> Option<u32> {
    METRICS.with(|m| {
        let mut m = m.borrow_mut();
        if let Some(id) = m.get(name) {
            return Some(*id);
        }
        let id = host::define_counter(name).ok()?;
        m.insert(name.to_string(), id);
        Some(id)
    })
}

/// The two counters of every decision, `llm_warden.<dir>.<outcome>` and
/// `llm_warden.policy.<policy>.<dir>.<outcome>` (`<outcome>` with its `would_` prefix in
/// monitor mode), found in a short list by what names them. Building both names per request
/// meant two `format!`s and two hashes of the results: cold code in Envoy, where every
/// request's module work starts with caches full of the proxy's own data (issue #10).
fn count_outcome(policy: &str, direction: Direction, prefix: &'static str, outcome: &'static str) {
    /// What names the pair, and their ids (`None`: Envoy refused the name).
    struct Known {
        policy: String,
        direction: Direction,
        prefix: &'static str,
        outcome: &'static str,
        ids: [Option<u32>; 2],
    }
    thread_local! {
        // A config names few policies, and each has a handful of outcomes per direction.
        static KNOWN: RefCell<Vec<Known>> = const { RefCell::new(Vec::new()) };
    }
    let ids = KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        let found = known.iter().find(|k| {
            k.direction == direction
                && k.outcome == outcome
                && k.prefix == prefix
                && k.policy == policy
        });
        if let Some(k) = found {
            return k.ids;
        }
        let dir = direction.name();
        let ids = [
            counter(&format!("llm_warden.{dir}.{prefix}{outcome}")),
            counter(&format!(
                "llm_warden.policy.{}.{dir}.{prefix}{outcome}",
                stat_part(policy)
            )),
        ];
        known.push(Known {
            policy: policy.to_string(),
            direction,
            prefix,
            outcome,
            ids,
        });
        ids
    });
    for id in ids.into_iter().flatten() {
        let _ = host::increment(id, 1);
    }
}
