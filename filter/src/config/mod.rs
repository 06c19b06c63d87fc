//! Config lifecycle: parse (strict, see `read.rs`) → validate (errors with paths) → compile (automatons,
//! regexes, route table). The result is shared read-only by every request; nothing is compiled
//! per request.

mod entities;
mod error;
mod parse;
mod read;
pub mod spec;

pub use error::{ConfigError, ConfigErrors};

use crate::agency::{
    Agency, Budgets, Constraint, Fingerprint, Glob, LeakRules, ModelRules, ToolRules,
};
use crate::detect::injection::{Category, InjectionScreen};
use crate::detect::patterns::{BannedPhrases, Pattern, MAX_PATTERNS, MAX_PHRASES};
use crate::dialect::Role;
use crate::entity::Group;
use crate::policy::{
    Audit, BodyErrors, Config, HeaderCondition, HeaderMatch, HostMatch, InjectionRule, Limits,
    Policy, RequestPolicy, ResponsePolicy, Route,
};
use crate::redact::HashKey;
use spec::{
    Action, AuditLevel, ConfigSpec, LeakAction, Mode, OnError, PolicySpec, ScreenRole, Sensitivity,
    ToolAction, UnknownBodies,
};

// The compile steps are `inline(never)`: they run once per config update, and separate
// functions keep each one small for V8, which compiles every function of the module at start-up
// (its memory peak follows the largest functions).

/// The policy every config has unless it defines its own policy of this name.
pub const DEFAULT_POLICY: &str = "default";
/// The reserved policy name for "do not inspect": as `defaultPolicy` or a route's `policy`.
pub const PASS_THROUGH: &str = "none";
/// Injection score at or above which the default policy blocks.
pub const DEFAULT_THRESHOLD: f32 = 0.5;
const DEFAULT_BLOCK_STATUS: u16 = 403;
/// Default body limit each way: Envoy's own default buffer limit, so by default the filter
/// answers before Envoy would.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest body limit accepted: 64 MiB.
const MAX_BODY_LIMIT: u64 = 64 * 1024 * 1024;
/// Longest config accepted, in bytes: far above any real policy, far below a memory problem.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

/// Parses, validates and compiles a config. Empty input (Istio sends zero bytes for an empty
/// `pluginConfig`) means the built-in default policy.
pub fn load(bytes: &[u8]) -> Result<Config, ConfigErrors> {
    let one = |path: &str, msg: String| ConfigErrors(vec![ConfigError::new(path, msg)]);
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(one(
            "",
            format!("config larger than {MAX_CONFIG_BYTES} bytes"),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        one(
            "",
            format!("config is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    let trimmed = text.trim();
    let spec = if trimmed.is_empty() {
        ConfigSpec::default()
    } else if !trimmed.starts_with('{') {
        return Err(one("", "config must be a JSON object".to_string()));
    } else {
        parse::document(text)?
    };
    compile(&spec)
}

#[inline(never)]
fn compile(spec: &ConfigSpec) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let screen = InjectionScreen::new().map_err(|e| ConfigErrors(vec![ConfigError::new("", e)]))?;

    let hash = entities::hash_key(spec.redaction.as_ref(), &mut errors);
    let builtin = PolicySpec::default();
    let mut named: Vec<(&str, &PolicySpec)> =
        spec.policies.iter().map(|(k, v)| (k.as_str(), v)).collect();
    if spec::by_name(&spec.policies, DEFAULT_POLICY).is_none() {
        named.insert(0, (DEFAULT_POLICY, &builtin));
    }
    let mut policies = Vec::with_capacity(named.len());
    for (name, _) in &named {
        let path = format!("policies.{name}");
        if name.is_empty() || *name == PASS_THROUGH {
            errors.push(ConfigError::new(
                &path,
                format!("policy names must be non-empty and not `{PASS_THROUGH}` (reserved)"),
            ));
            continue;
        }
        let Some(resolved) = resolve_extends(name, spec, &path, &mut errors) else {
            continue;
        };
        let shared = Shared {
            screen: &screen,
            hash: hash.as_ref(),
        };
        if let Some(policy) = compile_policy(name, &resolved, &path, &shared, &mut errors) {
            policies.push(policy);
        }
    }

    // Route and default targets: a compiled policy's index, or `none` for pass-through.
    let target = |name: &str, at: &str, errors: &mut Vec<ConfigError>| -> Option<usize> {
        if name == PASS_THROUGH {
            return None;
        }
        let index = policies.iter().position(|p| p.name == name);
        if index.is_none() && !named.iter().any(|(n, _)| *n == name) {
            errors.push(ConfigError::new(at, format!("unknown policy `{name}`")));
        }
        index
    };
    let default_name = spec.default_policy.as_deref().unwrap_or(DEFAULT_POLICY);
    let default_policy = target(default_name, "defaultPolicy", &mut errors);

    let mut routes = Vec::with_capacity(spec.routes.len());
    for (i, r) in spec.routes.iter().enumerate() {
        let path = format!("routes[{i}]");
        let policy = target(&r.policy, &format!("{path}.policy"), &mut errors);
        if let Some(route) = compile_route(r, &path, policy, &mut errors) {
            routes.push(route);
        }
    }

    if errors.is_empty() {
        Ok(Config {
            policies,
            routes,
            default_policy,
            hold_headers: spec.hold_headers.unwrap_or(false),
            audit: Audit {
                level: spec
                    .audit
                    .as_ref()
                    .and_then(|a| a.level)
                    .unwrap_or(AuditLevel::Info),
                include_allowed: spec
                    .audit
                    .as_ref()
                    .and_then(|a| a.include_allowed)
                    .unwrap_or(false),
            },
            decision_header: spec.decision_header.unwrap_or(false),
        })
    } else {
        Err(ConfigErrors(errors))
    }
}

/// Longest `extends` chain followed; deeper is reported as an error.
const MAX_EXTENDS_DEPTH: usize = 16;

/// The policy `name` with its `extends` chain applied (base first, then each child over it).
#[inline(never)]
fn resolve_extends(
    name: &str,
    spec: &ConfigSpec,
    path: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<PolicySpec> {
    let builtin = PolicySpec::default();
    let lookup = |n: &str| -> Option<&PolicySpec> {
        spec::by_name(&spec.policies, n).or((n == DEFAULT_POLICY).then_some(&builtin))
    };
    let mut chain: Vec<&str> = vec![name];
    let mut current = lookup(name)?;
    while let Some(base) = current.extends.as_deref() {
        let at = format!("{path}.extends");
        if chain.contains(&base) {
            chain.push(base);
            errors.push(ConfigError::new(
                at,
                format!("cycle: {}", chain.join(" → ")),
            ));
            return None;
        }
        if chain.len() > MAX_EXTENDS_DEPTH {
            errors.push(ConfigError::new(
                at,
                format!("more than {MAX_EXTENDS_DEPTH} levels"),
            ));
            return None;
        }
        let Some(next) = lookup(base) else {
            errors.push(ConfigError::new(at, format!("unknown policy `{base}`")));
            return None;
        };
        chain.push(base);
        current = next;
    }
    // `chain` runs child → … → root; lay each level over the one below it.
    let mut resolved = PolicySpec::default();
    for level in chain.iter().rev() {
        if let Some(p) = lookup(level) {
            resolved = p.over(&resolved);
        }
    }
    Some(resolved)
}

#[inline(never)]
fn compile_route(
    r: &spec::RouteSpec,
    path: &str,
    policy: Option<usize>,
    errors: &mut Vec<ConfigError>,
) -> Option<Route> {
    let before = errors.len();
    let m = &r.matches;
    for (field, value) in [("path", &m.path), ("pathPrefix", &m.path_prefix)] {
        if value.as_deref().is_some_and(|v| !v.starts_with('/')) {
            errors.push(ConfigError::new(
                format!("{path}.match.{field}"),
                "must start with `/`",
            ));
        }
    }
    if let Some(host) = m.host.as_deref() {
        if host.is_empty() || host.trim_matches('*').contains('*') {
            errors.push(ConfigError::new(
                format!("{path}.match.host"),
                "expected an exact host, `*.suffix` or `prefix*`",
            ));
        }
    }
    let path_regex = m.path_regex.as_deref().and_then(|source| {
        Pattern::compile_regex(source)
            .map_err(|msg| errors.push(ConfigError::new(format!("{path}.match.pathRegex"), msg)))
            .ok()
    });
    let methods = m.methods.clone().unwrap_or_default();
    for (j, method) in methods.iter().enumerate() {
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(ConfigError::new(
                format!("{path}.match.methods[{j}]"),
                format!("`{method}` is not an upper-case HTTP method"),
            ));
        }
    }
    let mut headers = Vec::new();
    for (j, h) in m.headers.iter().flatten().enumerate() {
        let at = format!("{path}.match.headers[{j}]");
        if h.name.is_empty() {
            errors.push(ConfigError::new(format!("{at}.name"), "must not be empty"));
        }
        let condition = match (&h.exact, &h.prefix, h.present) {
            (Some(v), None, None | Some(true)) => HeaderCondition::Exact(v.clone()),
            (None, Some(p), None | Some(true)) => HeaderCondition::Prefix(p.clone()),
            (None, None, None | Some(true)) => HeaderCondition::Present,
            (None, None, Some(false)) => HeaderCondition::Absent,
            _ => {
                errors.push(ConfigError::new(
                    at,
                    "use one of `exact`, `prefix` or `present: false`",
                ));
                continue;
            }
        };
        headers.push(HeaderMatch {
            name: h.name.to_ascii_lowercase(),
            condition,
        });
    }
    (errors.len() == before).then(|| Route {
        name: r.name.clone().unwrap_or_else(|| path.to_string()),
        route_name: m.route_name.clone(),
        host: m.host.as_deref().map(HostMatch::parse),
        path: m.path.clone(),
        path_prefix: m.path_prefix.clone(),
        path_regex,
        methods,
        headers,
        policy,
    })
}

/// What every policy of a config compiles against.
struct Shared<'a> {
    screen: &'a InjectionScreen,
    hash: Option<&'a HashKey>,
}

#[inline(never)]
fn compile_policy(
    name: &str,
    p: &PolicySpec,
    path: &str,
    shared: &Shared<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<Policy> {
    let errors_before = errors.len();
    let block_status = p.block_status.unwrap_or(DEFAULT_BLOCK_STATUS);
    if !(400..=599).contains(&block_status) {
        errors.push(ConfigError::new(
            format!("{path}.blockStatus"),
            format!("{block_status} is not an error status (expected 400–599)"),
        ));
    }

    let req = p.request.as_ref();
    let injection = injection_rule(
        req.and_then(|r| r.injection.as_ref()),
        shared.screen,
        path,
        errors,
    );

    let deny_patterns = pattern_list(
        req.and_then(|r| r.deny_patterns.as_deref()),
        "denyPatterns",
        path,
        errors,
    );
    let allow_patterns = pattern_list(
        req.and_then(|r| r.allow_patterns.as_deref()),
        "allowPatterns",
        path,
        errors,
    );
    let banned_phrases = req
        .and_then(|r| r.banned_phrases.as_deref())
        .filter(|list| !list.is_empty())
        .and_then(|list| {
            let at = format!("{path}.request.bannedPhrases");
            if list.len() > MAX_PHRASES {
                errors.push(ConfigError::new(
                    &at,
                    format!("more than {MAX_PHRASES} phrases"),
                ));
                return None;
            }
            BannedPhrases::new(list)
                .map_err(|(i, msg)| errors.push(ConfigError::new(format!("{at}[{i}]"), msg)))
                .ok()
        });

    // Defaults: secrets redacted both ways; personal data left alone in requests (it is often
    // the point of the prompt) and redacted in responses.
    let custom = entities::custom_detectors(p.detectors.as_ref(), path, shared.hash, errors);
    let resp = p.response.as_ref();
    let request_rules = entities::direction_rules(
        [
            (
                req.and_then(|r| r.secrets.as_ref()),
                Group::Secret,
                Action::Redact,
            ),
            (req.and_then(|r| r.pii.as_ref()), Group::Pii, Action::Off),
        ],
        entities::Way::Request,
        &format!("{path}.request"),
        &custom,
        shared.hash,
        errors,
    );
    let response_rules = entities::direction_rules(
        [
            (
                resp.and_then(|r| r.secrets.as_ref()),
                Group::Secret,
                Action::Redact,
            ),
            (
                resp.and_then(|r| r.pii.as_ref()),
                Group::Pii,
                Action::Redact,
            ),
        ],
        entities::Way::Response,
        &format!("{path}.response"),
        &custom,
        shared.hash,
        errors,
    );

    let limit = |value: Option<u64>, field: &str, errors: &mut Vec<ConfigError>| -> usize {
        match value {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(v) if (1..=MAX_BODY_LIMIT).contains(&v) => {
                usize::try_from(v).unwrap_or(DEFAULT_MAX_BODY_BYTES)
            }
            Some(v) => {
                errors.push(ConfigError::new(
                    format!("{path}.limits.{field}"),
                    format!("{v} is outside 1..={MAX_BODY_LIMIT}"),
                ));
                DEFAULT_MAX_BODY_BYTES
            }
        }
    };
    let l = p.limits.clone().unwrap_or_default();
    let limits = Limits {
        max_request_bytes: limit(l.max_request_bytes, "maxRequestBytes", errors),
        max_response_bytes: limit(l.max_response_bytes, "maxResponseBytes", errors),
    };
    // Defaults: what cannot be inspected is refused, except bodies that are not JSON, which
    // the provider refuses anyway (and which non-LLM traffic on the same route may send).
    let e = p.on_body_error.clone().unwrap_or_default();
    let on_body_error = BodyErrors {
        oversize_request: e.oversize_request.unwrap_or(OnError::Reject),
        oversize_response: e.oversize_response.unwrap_or(OnError::Reject),
        compressed_request: e.compressed_request.unwrap_or(OnError::Reject),
        compressed_response: e.compressed_response.unwrap_or(OnError::Reject),
        malformed_request: e.malformed_request.unwrap_or(OnError::Pass),
        malformed_response: e.malformed_response.unwrap_or(OnError::Pass),
    };

    let agency = compile_agency(p, path, errors);

    (errors.len() == errors_before).then(|| Policy {
        name: name.to_string(),
        mode: p.mode.unwrap_or(Mode::Enforce),
        block_status,
        request: RequestPolicy {
            injection,
            deny_patterns,
            allow_patterns,
            banned_phrases,
            entities: request_rules,
        },
        response: ResponsePolicy {
            entities: response_rules,
        },
        limits,
        on_body_error,
        agency,
        inspect_unknown: p.unknown_bodies == Some(UnknownBodies::Inspect),
    })
}

/// The prompt-injection rule of a policy (`request.injection`); `None` when it is off.
#[inline(never)]
fn injection_rule(
    injection_spec: Option<&spec::InjectionSpec>,
    screen: &InjectionScreen,
    path: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<InjectionRule> {
    let injection_action = injection_spec
        .and_then(|i| i.action)
        .unwrap_or(Action::Block);
    if injection_action == Action::Redact {
        errors.push(ConfigError::new(
            format!("{path}.request.injection.action"),
            "`redact` does not apply to injection; expected block, monitor or off",
        ));
    }
    let at = format!("{path}.request.injection");
    let preset = injection_spec.and_then(|i| i.sensitivity).map(|s| match s {
        Sensitivity::Low => 0.7,
        Sensitivity::Medium => DEFAULT_THRESHOLD,
        Sensitivity::High => 0.35,
    });
    let explicit = injection_spec.and_then(|i| i.threshold);
    if preset.is_some() && explicit.is_some() {
        errors.push(ConfigError::new(
            &at,
            "set `sensitivity` or `threshold`, not both",
        ));
    }
    let threshold = explicit.or(preset).unwrap_or(DEFAULT_THRESHOLD);
    if !(threshold > 0.0 && threshold <= 1.0) {
        errors.push(ConfigError::new(
            format!("{at}.threshold"),
            "must be in (0, 1]",
        ));
    }
    let roles: Vec<Role> = match injection_spec.and_then(|i| i.roles.as_ref()) {
        Some(list) => list
            .iter()
            .map(|r| match r {
                ScreenRole::System => Role::System,
                ScreenRole::User => Role::User,
                ScreenRole::Assistant => Role::Assistant,
                ScreenRole::Tool => Role::Tool,
                ScreenRole::Other => Role::Other,
            })
            .collect(),
        None => vec![Role::User, Role::Tool, Role::Other],
    };
    let mut categories = Vec::new();
    for (name, action) in injection_spec
        .and_then(|i| i.categories.as_ref())
        .into_iter()
        .flatten()
    {
        let field = format!("{at}.categories.{name}");
        let Some(category) = Category::ALL.iter().copied().find(|c| c.name() == name) else {
            let known: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
            errors.push(ConfigError::new(
                field,
                format!("unknown category; expected one of {}", known.join(", ")),
            ));
            continue;
        };
        if *action == Action::Redact {
            errors.push(ConfigError::new(field, "expected block, monitor or off"));
            continue;
        }
        categories.push((category, *action));
    }
    let last_messages = injection_spec.and_then(|i| i.last_messages);
    if last_messages == Some(0) {
        errors.push(ConfigError::new(
            format!("{at}.lastMessages"),
            "must be at least 1",
        ));
    }
    (injection_action != Action::Off).then(|| InjectionRule {
        action: injection_action,
        threshold,
        screen: screen.clone(),
        roles,
        categories,
        last_messages: last_messages.and_then(|n| usize::try_from(n).ok()),
    })
}

/// Glob lists must name something: an empty pattern would match only the empty name.
fn globs(list: &[String], at: &str, errors: &mut Vec<ConfigError>) -> Vec<Glob> {
    list.iter()
        .enumerate()
        .filter_map(|(i, g)| {
            if g.is_empty() {
                errors.push(ConfigError::new(format!("{at}[{i}]"), "must not be empty"));
                None
            } else {
                Some(Glob::new(g))
            }
        })
        .collect()
}

/// A list of request patterns (`denyPatterns`, `allowPatterns`): rule ids `<list>[i]`, errors
/// at `<policy>.request.<list>[i]`.
#[inline(never)]
fn pattern_list(
    sources: Option<&[String]>,
    list: &str,
    path: &str,
    errors: &mut Vec<ConfigError>,
) -> Vec<Pattern> {
    let sources = sources.unwrap_or_default();
    let at = format!("{path}.request.{list}");
    if sources.len() > MAX_PATTERNS {
        errors.push(ConfigError::new(
            &at,
            format!("more than {MAX_PATTERNS} patterns"),
        ));
    }
    let mut out = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        match Pattern::compile(format!("{list}[{i}]"), source) {
            Ok(pattern) => out.push(pattern),
            Err(msg) => errors.push(ConfigError::new(format!("{at}[{i}]"), msg)),
        }
    }
    out
}

/// One `tools.arguments[i]` entry, compiled; errors name its fields.
#[inline(never)]
fn argument_constraint(
    a: &spec::ArgumentSpec,
    at: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<Constraint> {
    let before = errors.len();
    if a.tool.is_empty() {
        errors.push(ConfigError::new(format!("{at}.tool"), "empty tool glob"));
    }
    if !(a.pointer.is_empty() || a.pointer.starts_with('/')) {
        errors.push(ConfigError::new(
            format!("{at}.pointer"),
            format!(
                "`{}` is not a JSON pointer (starts with `/`, or empty for the whole arguments)",
                a.pointer
            ),
        ));
    }
    let pattern = a.pattern.as_deref().and_then(|p| {
        Pattern::compile_regex(p)
            .map_err(|e| errors.push(ConfigError::new(format!("{at}.pattern"), e)))
            .ok()
    });
    if a.allowed.is_none()
        && a.pattern.is_none()
        && a.max_length.is_none()
        && a.required != Some(true)
    {
        errors.push(ConfigError::new(
            at,
            "a constraint needs `allowed`, `pattern`, `maxLength` or `required: true`",
        ));
    }
    if a.max_length == Some(0) {
        errors.push(ConfigError::new(
            format!("{at}.maxLength"),
            "must be at least 1",
        ));
    }
    (errors.len() == before).then(|| Constraint {
        tool: Glob::new(&a.tool),
        pointer: a.pointer.clone(),
        allowed: a.allowed.clone(),
        pattern,
        max_length: a.max_length.and_then(|n| usize::try_from(n).ok()),
        required: a.required.unwrap_or(false),
    })
}

#[inline(never)]
fn compile_agency(p: &PolicySpec, path: &str, errors: &mut Vec<ConfigError>) -> Agency {
    let positive = |v: Option<u64>, at: String, errors: &mut Vec<ConfigError>| -> Option<u64> {
        if v == Some(0) {
            errors.push(ConfigError::new(at, "must be at least 1"));
        }
        v
    };
    let tools = p.tools.as_ref().and_then(|t| {
        if t.allow.is_none() && t.arguments.is_none() && t.screen_arguments.is_none() {
            return None;
        }
        let allow = match &t.allow {
            Some(allow) => globs(allow, &format!("{path}.tools.allow"), errors),
            None => vec![Glob::new("*")],
        };
        let arguments = t
            .arguments
            .as_deref()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                argument_constraint(a, &format!("{path}.tools.arguments[{i}]"), errors)
            })
            .collect();
        Some(ToolRules {
            allow,
            strip: t.on_disallowed == Some(ToolAction::Strip),
            arguments,
            screen_arguments: t.screen_arguments.unwrap_or(true),
        })
    });
    let models = p.models.as_ref().map(|m| ModelRules {
        allow: globs(
            m.allow.as_deref().unwrap_or_default(),
            &format!("{path}.models.allow"),
            errors,
        ),
        max_output_tokens: positive(
            m.max_output_tokens,
            format!("{path}.models.maxOutputTokens"),
            errors,
        ),
    });
    let b = p.budgets.clone().unwrap_or_default();
    let budgets = Budgets {
        max_messages: positive(
            b.max_messages,
            format!("{path}.budgets.maxMessages"),
            errors,
        ),
        max_chars_per_message: positive(
            b.max_chars_per_message,
            format!("{path}.budgets.maxCharsPerMessage"),
            errors,
        ),
        max_tools: positive(b.max_tools, format!("{path}.budgets.maxTools"), errors),
        max_parts: positive(b.max_parts, format!("{path}.budgets.maxParts"), errors),
    };
    let leaks = p.system_prompt.as_ref().and_then(|sp| {
        let at = format!("{path}.systemPrompt");
        let threshold = sp.threshold.unwrap_or(0.5);
        if !(threshold > 0.0 && threshold <= 1.0) {
            errors.push(ConfigError::new(
                format!("{at}.threshold"),
                "must be in (0, 1]",
            ));
        }
        let mut fingerprints = Vec::new();
        for (i, snippet) in sp.protect.iter().flatten().enumerate() {
            match Fingerprint::new(snippet) {
                Some(f) => fingerprints.push(f),
                None => errors.push(ConfigError::new(
                    format!("{at}.protect[{i}]"),
                    "has no words",
                )),
            }
        }
        let canary = sp.canary.unwrap_or(false);
        (canary || !fingerprints.is_empty()).then(|| LeakRules {
            canary,
            fingerprints,
            threshold,
            action: sp.on_leak.unwrap_or(LeakAction::Block),
        })
    });
    Agency {
        tools,
        models,
        budgets,
        leaks,
    }
}

#[cfg(test)]
mod tests;
