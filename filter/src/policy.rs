//! Compiled policies and route selection: what the engine consults for every request.
//! Everything here is built once per config (see `config::load`) and only read afterwards.

use crate::config::spec::{Action, AuditLevel, Mode, OnError};
use crate::detect::custom::CustomDetector;
use crate::detect::entities::EntityScanner;
use crate::detect::injection::InjectionScreen;
use crate::detect::patterns::Pattern;
use crate::detect::{resolve_overlaps, Finding};
use crate::entity::EntityType;
use crate::redact::{write_replacement, HashKey, Pseudonyms, Strategy};
use regex_lite::Regex;
use std::sync::Arc;

/// A whole compiled config.
#[derive(Debug, Clone)]
pub struct Config {
    pub policies: Vec<Policy>,
    pub routes: Vec<Route>,
    /// Index into `policies` for requests no route matches; `None`: they pass uninspected.
    pub default_policy: Option<usize>,
    /// See `ConfigSpec::hold_headers`.
    pub hold_headers: bool,
    pub audit: Audit,
    /// See `ConfigSpec::decision_header`.
    pub decision_header: bool,
}

/// Where audit lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audit {
    pub level: AuditLevel,
    pub include_allowed: bool,
}

/// What route selection looks at; values come from Envoy properties and headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteInput<'a> {
    pub route_name: &'a str,
    /// `:authority`/`Host`, possibly with a port.
    pub host: &'a str,
    /// `:path`, possibly with a query.
    pub path: &'a str,
    pub method: &'a str,
    /// Request headers (lower-case names); only needed when `Config::needs_headers`.
    pub headers: &'a [(String, String)],
}

impl Config {
    /// The policy for a request: the first route whose conditions all hold, else the default.
    /// `None` means the request passes uninspected (policy `none`).
    pub fn select(&self, input: &RouteInput<'_>) -> Option<&Policy> {
        let index = match self.routes.iter().find(|r| r.matches(input)) {
            Some(route) => route.policy,
            None => self.default_policy,
        };
        // Indexes are checked when the config compiles.
        index.and_then(|i| self.policies.get(i))
    }

    /// The index of `policy` in `policies` (for callers that keep an index, not a borrow).
    pub fn index_of(&self, policy: &Policy) -> Option<usize> {
        self.policies.iter().position(|p| std::ptr::eq(p, policy))
    }

    /// Whether any route matches on headers (so the caller must collect them).
    pub fn needs_headers(&self) -> bool {
        self.routes.iter().any(|r| !r.headers.is_empty())
    }

    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Route {
    pub name: String,
    pub route_name: Option<String>,
    pub host: Option<HostMatch>,
    pub path: Option<String>,
    pub path_prefix: Option<String>,
    pub path_regex: Option<Regex>,
    /// Empty: any method.
    pub methods: Vec<String>,
    pub headers: Vec<HeaderMatch>,
    /// `None`: matching requests pass uninspected.
    pub policy: Option<usize>,
}

impl Route {
    fn matches(&self, input: &RouteInput<'_>) -> bool {
        let path = input.path.split(['?', '#']).next().unwrap_or_default();
        self.route_name
            .as_deref()
            .is_none_or(|n| n == input.route_name)
            && self.host.as_ref().is_none_or(|h| h.matches(input.host))
            && self.path.as_deref().is_none_or(|p| p == path)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
            && self.path_regex.as_ref().is_none_or(|r| r.is_match(path))
            && (self.methods.is_empty() || self.methods.iter().any(|m| m == input.method))
            && self.headers.iter().all(|h| h.matches(input.headers))
    }
}

/// A header condition; `name` is stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMatch {
    pub name: String,
    pub condition: HeaderCondition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderCondition {
    Exact(String),
    Prefix(String),
    Present,
    Absent,
}

impl HeaderMatch {
    fn matches(&self, headers: &[(String, String)]) -> bool {
        let mut values = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&self.name));
        match &self.condition {
            HeaderCondition::Exact(v) => values.any(|(_, value)| value == v),
            HeaderCondition::Prefix(p) => values.any(|(_, value)| value.starts_with(p.as_str())),
            HeaderCondition::Present => values.next().is_some(),
            HeaderCondition::Absent => values.next().is_none(),
        }
    }
}

/// A host pattern, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMatch {
    Exact(String),
    /// `*.example.com` → `.example.com`: any subdomain, not the apex.
    Suffix(String),
    /// `api.*` → `api.`.
    Prefix(String),
}

impl HostMatch {
    pub fn parse(pattern: &str) -> HostMatch {
        let p = pattern.to_ascii_lowercase();
        if let Some(rest) = p.strip_prefix('*') {
            HostMatch::Suffix(rest.to_string())
        } else if let Some(rest) = p.strip_suffix('*') {
            HostMatch::Prefix(rest.to_string())
        } else {
            HostMatch::Exact(p)
        }
    }

    fn matches(&self, host: &str) -> bool {
        let host = strip_port(host).to_ascii_lowercase();
        match self {
            HostMatch::Exact(h) => host == *h,
            HostMatch::Suffix(s) => host.len() > s.len() && host.ends_with(s.as_str()),
            HostMatch::Prefix(p) => host.starts_with(p.as_str()),
        }
    }
}

/// `example.com:8080` → `example.com`; `[::1]:80` → `[::1]`.
fn strip_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(i)
            if !host.ends_with(']')
                && host
                    .get(i + 1..)
                    .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            host.get(..i).unwrap_or(host)
        }
        _ => host,
    }
}

/// One named policy, compiled.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub mode: Mode,
    pub block_status: u16,
    pub request: RequestPolicy,
    pub response: ResponsePolicy,
    pub limits: Limits,
    pub on_body_error: BodyErrors,
    /// Tools, models, budgets and system-prompt leak rules.
    pub agency: crate::agency::Agency,
    /// Inspect bodies of no known API (generic JSON walk, plain text) instead of passing them.
    pub inspect_unknown: bool,
}

/// Largest bodies inspected, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_request_bytes: usize,
    pub max_response_bytes: usize,
}

/// What to do with bodies that cannot be inspected (see `BodyErrorSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyErrors {
    pub oversize_request: OnError,
    pub oversize_response: OnError,
    pub compressed_request: OnError,
    pub compressed_response: OnError,
    pub malformed_request: OnError,
    pub malformed_response: OnError,
}

#[derive(Debug, Clone)]
pub struct RequestPolicy {
    pub injection: Option<InjectionRule>,
    pub deny_patterns: Vec<Pattern>,
    /// Empty: no allow-list. Otherwise every user message must match one.
    pub allow_patterns: Vec<Pattern>,
    pub banned_phrases: Option<crate::detect::patterns::BannedPhrases>,
    pub entities: Option<EntityRules>,
}

#[derive(Debug, Clone)]
pub struct ResponsePolicy {
    pub entities: Option<EntityRules>,
}

#[derive(Debug, Clone)]
pub struct InjectionRule {
    /// `Block` or `Monitor`; an `Off` rule is not compiled at all.
    pub action: Action,
    pub threshold: f32,
    pub screen: InjectionScreen,
    /// Roles whose text is screened.
    pub roles: Vec<crate::dialect::Role>,
    /// Category actions that differ from `action` (`Off`: signals dropped; `Monitor`: never
    /// blocks on its own).
    pub categories: Vec<(crate::detect::injection::Category, Action)>,
    /// Only the last N turns are screened (`None`: all).
    pub last_messages: Option<usize>,
}

/// What a policy does with one entity type in one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeRule {
    pub entity: EntityType,
    pub action: Action,
    pub strategy: Strategy,
}

/// Entity detection for one direction: the built-in scanner for every type with an action,
/// the policy's custom detectors, and the action and redaction strategy per type. Cheap to
/// clone (streams take their own handle).
#[derive(Debug, Clone)]
pub struct EntityRules {
    inner: Arc<RulesInner>,
}

#[derive(Debug)]
struct RulesInner {
    scanner: EntityScanner,
    /// `EntityType::Custom(i)` is `custom[i]`; detectors whose type is off are `None`.
    custom: Vec<Option<CustomDetector>>,
    rules: Vec<TypeRule>,
    hash: Option<HashKey>,
}

impl EntityRules {
    /// `None` when no type has an action other than `Off` (nothing to scan). `custom` holds
    /// every custom detector of the policy, by index.
    pub fn new(
        rules: Vec<TypeRule>,
        custom: &[CustomDetector],
        hash: Option<HashKey>,
    ) -> Result<Option<EntityRules>, String> {
        let rules: Vec<TypeRule> = rules
            .into_iter()
            .filter(|r| r.action != Action::Off)
            .collect();
        let builtin: Vec<EntityType> = rules
            .iter()
            .map(|r| r.entity)
            .filter(|t| !matches!(t, EntityType::Custom(_)))
            .collect();
        let scanner = EntityScanner::new(&builtin).map_err(|e| e.0)?;
        let custom: Vec<Option<CustomDetector>> = custom
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let id = u16::try_from(i).ok().map(EntityType::Custom);
                rules
                    .iter()
                    .any(|r| Some(r.entity) == id)
                    .then(|| d.clone())
            })
            .collect();
        if scanner.is_empty() && custom.iter().all(Option::is_none) {
            return Ok(None);
        }
        Ok(Some(EntityRules {
            inner: Arc::new(RulesInner {
                scanner,
                custom,
                rules,
                hash,
            }),
        }))
    }

    /// Appends the findings of every enabled detector in `text`, sorted, without overlaps.
    pub fn scan(&self, text: &str, out: &mut Vec<Finding>) {
        let inner = &*self.inner;
        if inner.custom.iter().all(Option::is_none) {
            inner.scanner.scan(text, out);
            return;
        }
        let mut all = Vec::new();
        inner.scanner.scan(text, &mut all);
        for (i, detector) in inner.custom.iter().enumerate() {
            if let (Some(d), Ok(i)) = (detector, u16::try_from(i)) {
                d.scan(text, EntityType::Custom(i), &mut all);
            }
        }
        resolve_overlaps(&mut all);
        out.append(&mut all);
    }

    fn rule(&self, entity: EntityType) -> Option<&TypeRule> {
        self.inner.rules.iter().find(|r| r.entity == entity)
    }

    pub fn action(&self, entity: EntityType) -> Action {
        self.rule(entity).map_or(Action::Off, |r| r.action)
    }

    pub fn strategy(&self, entity: EntityType) -> Strategy {
        self.rule(entity).map_or(Strategy::Label, |r| r.strategy)
    }

    /// The name a type is reported and labelled as (a custom detector's own name).
    pub fn name(&self, entity: EntityType) -> &str {
        match entity {
            EntityType::Custom(i) => self
                .inner
                .custom
                .get(usize::from(i))
                .and_then(Option::as_ref)
                .map_or("CUSTOM", |d| d.name.as_str()),
            builtin => builtin.name(),
        }
    }

    /// Writes the replacement of a finding of `entity` whose text is `value`; pseudonyms
    /// are assigned in `pseudonyms` (requests), other strategies ignore it.
    pub fn write_replacement(
        &self,
        entity: EntityType,
        value: &str,
        pseudonyms: Option<&mut Pseudonyms>,
        out: &mut String,
    ) {
        let strategy = self.strategy(entity);
        let hash = self.inner.hash.as_ref();
        write_replacement(strategy, self.name(entity), value, hash, pseudonyms, out);
    }

    /// Hold-back a stream needs beyond the built-in detectors' own: the longest custom match
    /// plus the context it reads after it.
    pub fn custom_window(&self) -> usize {
        self.custom_detectors()
            .map(|d| d.max_length() + d.context_window())
            .max()
            .unwrap_or(0)
    }

    /// Bytes before a match the custom detectors read (their context windows).
    pub fn custom_lookbehind(&self) -> usize {
        self.custom_detectors()
            .map(CustomDetector::context_window)
            .max()
            .unwrap_or(0)
    }

    fn custom_detectors(&self) -> impl Iterator<Item = &CustomDetector> {
        self.inner.custom.iter().flatten()
    }

    /// Whether any type is redacted with pseudonyms (the response must then be read to
    /// restore them).
    pub fn uses_pseudonyms(&self) -> bool {
        self.inner
            .rules
            .iter()
            .any(|r| r.action == Action::Redact && r.strategy == Strategy::Pseudonym)
    }
}

impl Policy {
    /// Whether responses under this policy need their bodies read.
    pub fn inspects_responses(&self) -> bool {
        self.response.entities.is_some()
            || self
                .request
                .entities
                .as_ref()
                .is_some_and(EntityRules::uses_pseudonyms)
            || self.agency.tools.is_some()
            || self.agency.leaks.is_some()
    }

    /// Whether requests under this policy need their bodies read.
    pub fn inspects_requests(&self) -> bool {
        self.request.injection.is_some()
            || !self.request.deny_patterns.is_empty()
            || !self.request.allow_patterns.is_empty()
            || self.request.banned_phrases.is_some()
            || self.request.entities.is_some()
            || !self.agency.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns() {
        let cases: &[(&str, &str, bool)] = &[
            ("api.example.com", "api.example.com", true),
            ("api.example.com", "API.Example.com:8443", true),
            ("api.example.com", "example.com", false),
            ("*.example.com", "a.b.example.com", true),
            ("*.example.com", "example.com", false),
            ("*.example.com", "badexample.com", false),
            ("api.*", "api.internal:80", true),
            ("api.*", "web.internal", false),
            ("[::1]", "[::1]:10000", true),
        ];
        for (pattern, host, want) in cases {
            assert_eq!(
                HostMatch::parse(pattern).matches(host),
                *want,
                "{pattern} vs {host}"
            );
        }
    }
}
