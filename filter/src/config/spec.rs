//! The config as users write it (Istio `pluginConfig`, Envoy Gateway `config`, raw Envoy JSON).
//!
//! Every field is optional: an omitted field takes the built-in default, so a policy states only
//! what differs. Unknown fields are errors, because a misspelt guard setting that is silently
//! ignored is a guard that is silently off. The JSON Schema in `schema/` mirrors these types.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigSpec {
    /// Named policies. `default` exists even when not listed (the built-in policy).
    #[serde(default)]
    pub policies: BTreeMap<String, PolicySpec>,
    /// Ordered route rules; the first that matches chooses the policy.
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// Policy for requests no route rule matches; `default` when omitted.
    pub default_policy: Option<String>,
    /// Hold headers until the body is decided, so a blocked request never reaches the provider
    /// (not even its headers) and a blocked response gets a clean error status. Requires the
    /// Envoy filter setting `allow_on_headers_stop_iteration: true`; without it Envoy stalls
    /// the stream. Off by default because Istio's WasmPlugin cannot set that flag.
    pub hold_headers: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicySpec {
    /// A policy whose settings this one starts from; fields set here win, lists replace.
    pub extends: Option<String>,
    pub mode: Option<Mode>,
    /// HTTP status of block answers (400–599).
    pub block_status: Option<u16>,
    pub request: Option<RequestSpec>,
    pub response: Option<ResponseSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// Block and rewrite as the policy says.
    Enforce,
    /// Detect, count and log what would happen; never block or rewrite.
    Monitor,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestSpec {
    pub injection: Option<InjectionSpec>,
    /// Regexes (regex-lite syntax); a prompt matching any of them is blocked.
    pub deny_patterns: Option<Vec<String>>,
    pub secrets: Option<EntitySpec>,
    pub pii: Option<EntitySpec>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResponseSpec {
    pub secrets: Option<EntitySpec>,
    pub pii: Option<EntitySpec>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InjectionSpec {
    pub action: Option<Action>,
    /// Score in `[0, 1]` at or above which a prompt counts as an attack.
    pub threshold: Option<f32>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EntitySpec {
    pub action: Option<Action>,
    /// Restricts the group to these types (names as in `EntityType`); all when omitted.
    pub types: Option<Vec<String>>,
}

/// What to do with a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Block,
    Redact,
    /// Count and log only.
    Monitor,
    Off,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Redact => "redact",
            Action::Monitor => "monitor",
            Action::Off => "off",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteSpec {
    /// A label for audit lines and errors.
    pub name: Option<String>,
    #[serde(rename = "match", default)]
    pub matches: MatchSpec,
    pub policy: String,
}

/// Conditions that must all hold; an empty match matches every request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MatchSpec {
    /// Envoy route name (`xds.route_name`), exact.
    pub route_name: Option<String>,
    /// Host without port: exact, `*.suffix` or `prefix*`; case-insensitive.
    pub host: Option<String>,
    /// Path (query excluded) exact.
    pub path: Option<String>,
    /// Path (query excluded) prefix.
    pub path_prefix: Option<String>,
    /// Path (query excluded) matching this regex (regex-lite syntax; unanchored unless you
    /// anchor it).
    pub path_regex: Option<String>,
    /// Any of these methods (case-sensitive, e.g. `POST`).
    pub methods: Option<Vec<String>>,
    /// Every one of these header conditions.
    pub headers: Option<Vec<HeaderMatchSpec>>,
}

/// A request header condition: `exact` value, value `prefix`, or (neither) mere presence;
/// `present: false` requires the header to be absent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HeaderMatchSpec {
    pub name: String,
    pub exact: Option<String>,
    pub prefix: Option<String>,
    pub present: Option<bool>,
}

impl PolicySpec {
    /// This policy laid over `base`: every field set here wins; lists are replaced, not merged.
    pub fn over(&self, base: &PolicySpec) -> PolicySpec {
        PolicySpec {
            extends: base.extends.clone(),
            mode: self.mode.or(base.mode),
            block_status: self.block_status.or(base.block_status),
            request: merge(&self.request, &base.request, |c, b| RequestSpec {
                injection: merge(&c.injection, &b.injection, |c, b| InjectionSpec {
                    action: c.action.or(b.action),
                    threshold: c.threshold.or(b.threshold),
                }),
                deny_patterns: c.deny_patterns.clone().or_else(|| b.deny_patterns.clone()),
                secrets: merge(&c.secrets, &b.secrets, EntitySpec::over),
                pii: merge(&c.pii, &b.pii, EntitySpec::over),
            }),
            response: merge(&self.response, &base.response, |c, b| ResponseSpec {
                secrets: merge(&c.secrets, &b.secrets, EntitySpec::over),
                pii: merge(&c.pii, &b.pii, EntitySpec::over),
            }),
        }
    }
}

impl EntitySpec {
    fn over(&self, base: &EntitySpec) -> EntitySpec {
        EntitySpec {
            action: self.action.or(base.action),
            types: self.types.clone().or_else(|| base.types.clone()),
        }
    }
}

/// Merges two optional sections: both present → `f(child, base)`, else whichever exists.
fn merge<T: Clone>(child: &Option<T>, base: &Option<T>, f: impl Fn(&T, &T) -> T) -> Option<T> {
    match (child, base) {
        (Some(c), Some(b)) => Some(f(c, b)),
        (Some(c), None) => Some(c.clone()),
        (None, b) => b.clone(),
    }
}
