//! The config as users write it (Istio `pluginConfig`, Envoy Gateway `config`, raw Envoy JSON).
//!
//! Every field is optional: an omitted field takes the built-in default, so a policy states only
//! what differs. Unknown fields are errors, because a misspelt guard setting that is silently
//! ignored is a guard that is silently off. `parse.rs` reads JSON into these types; the JSON
//! Schema in `schema/` mirrors it.

use super::read::Named;

/// A JSON object of names to settings (`policies`, `byType`, `categories`), in document order;
/// the reader rejects a name given twice. A list, not a map: these hold a handful of entries,
/// are looked up only while the config compiles, and a map type's code is not worth it there.
pub type ByName<T> = Vec<(String, T)>;

/// The entry named `name`.
pub fn by_name<'a, T>(entries: &'a [(String, T)], name: &str) -> Option<&'a T> {
    entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

#[derive(Debug, Default)]
pub struct ConfigSpec {
    /// Named policies. `default` exists even when not listed (the built-in policy).
    pub policies: ByName<PolicySpec>,
    /// Ordered route rules; the first that matches chooses the policy.
    pub routes: Vec<RouteSpec>,
    /// Policy for requests no route rule matches; `default` when omitted.
    pub default_policy: Option<String>,
    /// Hold headers until the body is decided, so a blocked request never reaches the provider
    /// (not even its headers) and a blocked response gets a clean error status. Requires the
    /// Envoy filter setting `allow_on_headers_stop_iteration: true`; without it Envoy stalls
    /// the stream. Off by default because Istio's WasmPlugin cannot set that flag.
    pub hold_headers: Option<bool>,
    /// Audit lines: level and whether allowed requests get one.
    pub audit: Option<AuditSpec>,
    /// Add `x-llm-warden: request=<action>[, response=<action>]` to responses.
    pub decision_header: Option<bool>,
    /// Settings of the redaction strategies shared by every policy (the keyed-hash key).
    pub redaction: Option<RedactionSpec>,
}

/// Keyed-hash redaction settings. The key comes from the config itself or, better, from an
/// environment variable of the Wasm VM (Envoy `vm_config.environment_variables`, Istio
/// `WasmPlugin.spec.vmConfig.env`), so it can live in a Kubernetes Secret.
#[derive(Debug, Default)]
pub struct RedactionSpec {
    /// The HMAC key (at least 16 bytes).
    pub hash_key: Option<String>,
    /// Name of the VM environment variable holding the HMAC key.
    pub hash_key_env: Option<String>,
    /// Hex digits of each token (8–64, default 12).
    pub hash_length: Option<u32>,
}

#[derive(Debug, Default)]
pub struct AuditSpec {
    pub level: Option<AuditLevel>,
    /// Log `allow` decisions at `level` too (otherwise at debug).
    pub include_allowed: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditLevel {
    Off,
    Debug,
    Info,
    Warn,
}

/// Body size limits of a policy, in bytes.
#[derive(Debug, Default, Clone)]
pub struct LimitsSpec {
    pub max_request_bytes: Option<u64>,
    pub max_response_bytes: Option<u64>,
}

/// What to do with a body the policy cannot inspect.
#[derive(Debug, Default, Clone)]
pub struct BodyErrorSpec {
    /// Request over `maxRequestBytes`: `reject` (413, API-shaped) or `pass` uninspected.
    pub oversize_request: Option<OnError>,
    /// Response over `maxResponseBytes`: `reject` (end with an error) or `pass`.
    pub oversize_response: Option<OnError>,
    /// Request body with a `content-encoding`: `reject` (415) or `pass`.
    pub compressed_request: Option<OnError>,
    /// Compressed response arriving despite the stripped `accept-encoding`.
    pub compressed_response: Option<OnError>,
    /// Request body that is not UTF-8 JSON on an LLM API path: `pass` or `reject` (400).
    pub malformed_request: Option<OnError>,
    /// Response body that is not UTF-8 JSON: `pass` or `reject` (502).
    pub malformed_response: Option<OnError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    Reject,
    Pass,
}

#[derive(Debug, Default, Clone)]
pub struct PolicySpec {
    /// A policy whose settings this one starts from; fields set here win, lists replace.
    pub extends: Option<String>,
    pub mode: Option<Mode>,
    /// HTTP status of block answers (400–599).
    pub block_status: Option<u16>,
    pub request: Option<RequestSpec>,
    pub response: Option<ResponseSpec>,
    pub limits: Option<LimitsSpec>,
    pub on_body_error: Option<BodyErrorSpec>,
    /// Which tools a request may offer and a response may call.
    pub tools: Option<ToolsSpec>,
    /// Which models may be asked, and how many output tokens.
    pub models: Option<ModelsSpec>,
    /// Size limits on the conversation itself.
    pub budgets: Option<BudgetsSpec>,
    /// System-prompt leak detection.
    pub system_prompt: Option<SystemPromptSpec>,
    /// Bodies of no known LLM API: `pass` them uninspected (default), or `inspect` them
    /// (JSON: every string value; UTF-8 text: the whole text).
    pub unknown_bodies: Option<UnknownBodies>,
    /// Entity types of this policy's own, detected by pattern (see `DetectorSpec`).
    pub detectors: Option<Vec<DetectorSpec>>,
}

/// A custom entity detector: a regex-lite pattern, run only where a `prefilter` literal
/// occurs (when given), confirmed by a checksum and by context words near the match.
#[derive(Debug, Default, Clone)]
pub struct DetectorSpec {
    /// The type name (upper snake case, not a built-in name): used in `types`, `byType`,
    /// labels, stats and audit lines.
    pub name: String,
    /// `secrets` or `pii` (default): the group whose settings it follows.
    pub group: Option<GroupName>,
    pub pattern: String,
    /// Literals (case-sensitive) of which one must occur in a text for the pattern to run.
    pub prefilter: Option<Vec<String>>,
    /// A checksum the match must pass: `luhn` or `mod97`.
    pub validator: Option<ValidatorName>,
    /// Words (ASCII case-insensitive) of which one must occur within `contextWindow` bytes
    /// before or after a match.
    pub context: Option<Vec<String>>,
    pub context_window: Option<u32>,
    /// Longest match reported, in bytes (default 256, at most 4096).
    pub max_length: Option<u32>,
    /// This type's action where its group is enabled (default: the group's).
    pub action: Option<Action>,
    /// This type's redaction strategy (default: the group's).
    pub strategy: Option<StrategyName>,
    pub keep: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupName {
    Secrets,
    Pii,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidatorName {
    Luhn,
    Mod97,
}

/// How redacted values are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyName {
    /// `[REDACTED:EMAIL]` (default).
    Label,
    /// Masked except the last `keep` letters and digits.
    Partial,
    /// `[EMAIL:<hmac>]` under `redaction.hashKey`.
    Hash,
    /// `<EMAIL_1>` sent to the provider, the value restored in the response (requests only).
    Pseudonym,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownBodies {
    Pass,
    Inspect,
}

#[derive(Debug, Default, Clone)]
pub struct ToolsSpec {
    /// Tool / function names allowed (`*` and `?` globs). Absent: every tool is allowed.
    pub allow: Option<Vec<String>>,
    /// A request offering a tool outside `allow`: `block` it, or `strip` those tools.
    pub on_disallowed: Option<ToolAction>,
    /// Constraints on the arguments of tool calls a response makes.
    pub arguments: Option<Vec<ArgumentSpec>>,
    /// Screen the strings of tool-call arguments for prompt injection (default true).
    pub screen_arguments: Option<bool>,
}

/// One constraint on the arguments of the tools `tool` (a glob) names.
#[derive(Debug, Default, Clone)]
pub struct ArgumentSpec {
    pub tool: String,
    /// RFC 6901 JSON pointer into the arguments: `/query`, `/filters/0/field`.
    pub pointer: String,
    /// The value must equal one of these JSON values.
    pub allowed: Option<Vec<serde_json::Value>>,
    /// regex-lite the (string) value must match; anchor it (`^…$`) for whole values.
    pub pattern: Option<String>,
    /// Longest value: characters of a string, bytes of any other value serialised.
    pub max_length: Option<u64>,
    /// The argument must be present (default false: absent arguments pass).
    pub required: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolAction {
    Block,
    Strip,
}

#[derive(Debug, Default, Clone)]
pub struct ModelsSpec {
    /// Model names allowed (`*` and `?` globs). Absent: every model.
    pub allow: Option<Vec<String>>,
    /// Cap on `max_tokens` / `max_completion_tokens` / `max_output_tokens`: larger values are
    /// rewritten to the cap, and the cap is added where the request sets none.
    pub max_output_tokens: Option<u64>,
}

#[derive(Debug, Default, Clone)]
pub struct BudgetsSpec {
    pub max_messages: Option<u64>,
    pub max_chars_per_message: Option<u64>,
    pub max_tools: Option<u64>,
    /// Content parts (text, images, files) in one message.
    pub max_parts: Option<u64>,
}

#[derive(Debug, Default, Clone)]
pub struct SystemPromptSpec {
    /// Insert a per-request random canary into the system prompt and watch responses for it.
    pub canary: Option<bool>,
    /// Protected system-prompt snippets, detected in responses by word n-gram overlap.
    pub protect: Option<Vec<String>>,
    /// Share of a snippet's n-grams an answer must repeat to count as a leak (0, 1].
    pub threshold: Option<f32>,
    /// A leak in a response: `block` it, or `redact` (the canary token, or the whole text
    /// that repeats a protected snippet).
    pub on_leak: Option<LeakAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeakAction {
    Block,
    Redact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Block and rewrite as the policy says.
    Enforce,
    /// Detect, count and log what would happen; never block or rewrite.
    Monitor,
}

#[derive(Debug, Default, Clone)]
pub struct RequestSpec {
    pub injection: Option<InjectionSpec>,
    /// Regexes (regex-lite syntax); a prompt matching any of them is blocked.
    pub deny_patterns: Option<Vec<String>>,
    /// Regexes (regex-lite syntax); every user message must match at least one of them.
    pub allow_patterns: Option<Vec<String>>,
    /// Phrases (matched whole-word and case-insensitively in the screen's folded words
    /// form); a prompt containing one is blocked.
    pub banned_phrases: Option<Vec<String>>,
    pub secrets: Option<EntitySpec>,
    pub pii: Option<EntitySpec>,
}

#[derive(Debug, Default, Clone)]
pub struct ResponseSpec {
    pub secrets: Option<EntitySpec>,
    pub pii: Option<EntitySpec>,
}

#[derive(Debug, Default, Clone)]
pub struct InjectionSpec {
    pub action: Option<Action>,
    /// Score in `[0, 1]` at or above which a prompt counts as an attack.
    pub threshold: Option<f32>,
    /// A threshold preset: `low` 0.7, `medium` 0.5, `high` 0.35 (exclusive with `threshold`).
    pub sensitivity: Option<Sensitivity>,
    /// Roles whose text is screened (default: user, tool and untyped messages).
    pub roles: Option<Vec<ScreenRole>>,
    /// Screen only the last N turns of the conversation (default: all), so long agent loops
    /// cost the same per request. History is client-supplied: only for trusted callers whose
    /// every turn passed the filter when it was new.
    pub last_messages: Option<u32>,
    /// An action per signal category (`evasion`, `classifier`, …): `off` drops its signals,
    /// `monitor` keeps it from blocking on its own.
    pub categories: Option<ByName<Action>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenRole {
    System,
    User,
    Assistant,
    Tool,
    Other,
}

#[derive(Debug, Default, Clone)]
pub struct EntitySpec {
    pub action: Option<Action>,
    /// Restricts the group to these types (built-in names as in `EntityType`, or custom
    /// detector names); all when omitted.
    pub types: Option<Vec<String>>,
    /// How redacted values are replaced (default `label`).
    pub strategy: Option<StrategyName>,
    /// Letters and digits a `partial` mask keeps at the end (default 4).
    pub keep: Option<u32>,
    /// Settings for single types that differ from the group's.
    pub by_type: Option<ByName<TypeSpec>>,
}

/// One type's own settings inside a group.
#[derive(Debug, Default, Clone)]
pub struct TypeSpec {
    pub action: Option<Action>,
    pub strategy: Option<StrategyName>,
    pub keep: Option<u32>,
}

/// What to do with a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Default)]
pub struct RouteSpec {
    /// A label for audit lines and errors.
    pub name: Option<String>,
    pub matches: MatchSpec,
    pub policy: String,
}

/// Conditions that must all hold; an empty match matches every request.
#[derive(Debug, Default)]
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
#[derive(Debug, Default)]
pub struct HeaderMatchSpec {
    pub name: String,
    pub exact: Option<String>,
    pub prefix: Option<String>,
    pub present: Option<bool>,
}

/// Implements `Named`: each variant's JSON spelling (camelCase, as in Istio and Envoy Gateway).
macro_rules! named {
    ($($ty:ident { $($variant:ident = $name:literal),* $(,)? })*) => {$(
        impl Named for $ty {
            const NAMES: &'static [&'static str] = &[$($name),*];
            const VALUES: &'static [$ty] = &[$($ty::$variant),*];
        }
    )*};
}

named! {
    AuditLevel { Off = "off", Debug = "debug", Info = "info", Warn = "warn" }
    OnError { Reject = "reject", Pass = "pass" }
    GroupName { Secrets = "secrets", Pii = "pii" }
    ValidatorName { Luhn = "luhn", Mod97 = "mod97" }
    StrategyName { Label = "label", Partial = "partial", Hash = "hash", Pseudonym = "pseudonym" }
    UnknownBodies { Pass = "pass", Inspect = "inspect" }
    ToolAction { Block = "block", Strip = "strip" }
    LeakAction { Block = "block", Redact = "redact" }
    Mode { Enforce = "enforce", Monitor = "monitor" }
    Sensitivity { Low = "low", Medium = "medium", High = "high" }
    ScreenRole {
        System = "system", User = "user", Assistant = "assistant", Tool = "tool", Other = "other",
    }
    Action { Block = "block", Redact = "redact", Monitor = "monitor", Off = "off" }
}

/// A section laid over the same section of a base policy (`extends`): every field set in the
/// child wins; lists and maps are replaced, not merged.
pub trait Layer: Clone {
    fn over(&self, base: &Self) -> Self;
}

/// The child's value if set, else the base's.
fn pick<T: Clone>(child: &Option<T>, base: &Option<T>) -> Option<T> {
    child.as_ref().or(base.as_ref()).cloned()
}

/// Merges two optional sections: both present → the child laid over the base, else whichever
/// exists. Not inlined: the merge of each section stays its own small function (config code,
/// run once per update; V8 compiles every function of the module at start-up).
#[inline(never)]
fn merge<T: Layer>(child: &Option<T>, base: &Option<T>) -> Option<T> {
    match (child, base) {
        (Some(c), Some(b)) => Some(c.over(b)),
        (Some(c), None) => Some(c.clone()),
        (None, b) => b.clone(),
    }
}

impl PolicySpec {
    /// This policy laid over `base`; its `extends` is the base's (the chain is resolved).
    pub fn over(&self, base: &PolicySpec) -> PolicySpec {
        PolicySpec {
            extends: base.extends.clone(),
            mode: self.mode.or(base.mode),
            block_status: self.block_status.or(base.block_status),
            request: merge(&self.request, &base.request),
            response: merge(&self.response, &base.response),
            limits: merge(&self.limits, &base.limits),
            on_body_error: merge(&self.on_body_error, &base.on_body_error),
            tools: merge(&self.tools, &base.tools),
            models: merge(&self.models, &base.models),
            budgets: merge(&self.budgets, &base.budgets),
            system_prompt: merge(&self.system_prompt, &base.system_prompt),
            unknown_bodies: self.unknown_bodies.or(base.unknown_bodies),
            detectors: pick(&self.detectors, &base.detectors),
        }
    }
}

impl Layer for RequestSpec {
    fn over(&self, b: &Self) -> Self {
        RequestSpec {
            injection: merge(&self.injection, &b.injection),
            deny_patterns: pick(&self.deny_patterns, &b.deny_patterns),
            allow_patterns: pick(&self.allow_patterns, &b.allow_patterns),
            banned_phrases: pick(&self.banned_phrases, &b.banned_phrases),
            secrets: merge(&self.secrets, &b.secrets),
            pii: merge(&self.pii, &b.pii),
        }
    }
}

impl Layer for InjectionSpec {
    fn over(&self, b: &Self) -> Self {
        InjectionSpec {
            action: self.action.or(b.action),
            // A child's preset or threshold replaces the base's choice as a whole.
            threshold: if self.sensitivity.is_some() {
                self.threshold
            } else {
                self.threshold.or(b.threshold)
            },
            sensitivity: if self.threshold.is_some() {
                self.sensitivity
            } else {
                self.sensitivity.or(b.sensitivity)
            },
            roles: pick(&self.roles, &b.roles),
            last_messages: self.last_messages.or(b.last_messages),
            categories: pick(&self.categories, &b.categories),
        }
    }
}

impl Layer for ResponseSpec {
    fn over(&self, b: &Self) -> Self {
        ResponseSpec {
            secrets: merge(&self.secrets, &b.secrets),
            pii: merge(&self.pii, &b.pii),
        }
    }
}

impl Layer for EntitySpec {
    fn over(&self, b: &Self) -> Self {
        EntitySpec {
            action: self.action.or(b.action),
            types: pick(&self.types, &b.types),
            strategy: self.strategy.or(b.strategy),
            keep: self.keep.or(b.keep),
            by_type: pick(&self.by_type, &b.by_type),
        }
    }
}

impl Layer for LimitsSpec {
    fn over(&self, b: &Self) -> Self {
        LimitsSpec {
            max_request_bytes: self.max_request_bytes.or(b.max_request_bytes),
            max_response_bytes: self.max_response_bytes.or(b.max_response_bytes),
        }
    }
}

impl Layer for BodyErrorSpec {
    fn over(&self, b: &Self) -> Self {
        BodyErrorSpec {
            oversize_request: self.oversize_request.or(b.oversize_request),
            oversize_response: self.oversize_response.or(b.oversize_response),
            compressed_request: self.compressed_request.or(b.compressed_request),
            compressed_response: self.compressed_response.or(b.compressed_response),
            malformed_request: self.malformed_request.or(b.malformed_request),
            malformed_response: self.malformed_response.or(b.malformed_response),
        }
    }
}

impl Layer for ToolsSpec {
    fn over(&self, b: &Self) -> Self {
        ToolsSpec {
            allow: pick(&self.allow, &b.allow),
            on_disallowed: self.on_disallowed.or(b.on_disallowed),
            arguments: pick(&self.arguments, &b.arguments),
            screen_arguments: self.screen_arguments.or(b.screen_arguments),
        }
    }
}

impl Layer for ModelsSpec {
    fn over(&self, b: &Self) -> Self {
        ModelsSpec {
            allow: pick(&self.allow, &b.allow),
            max_output_tokens: self.max_output_tokens.or(b.max_output_tokens),
        }
    }
}

impl Layer for BudgetsSpec {
    fn over(&self, b: &Self) -> Self {
        BudgetsSpec {
            max_messages: self.max_messages.or(b.max_messages),
            max_chars_per_message: self.max_chars_per_message.or(b.max_chars_per_message),
            max_tools: self.max_tools.or(b.max_tools),
            max_parts: self.max_parts.or(b.max_parts),
        }
    }
}

impl Layer for SystemPromptSpec {
    fn over(&self, b: &Self) -> Self {
        SystemPromptSpec {
            canary: self.canary.or(b.canary),
            protect: pick(&self.protect, &b.protect),
            threshold: self.threshold.or(b.threshold),
            on_leak: self.on_leak.or(b.on_leak),
        }
    }
}
