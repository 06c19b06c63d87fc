//! The shape of the config document: which JSON fields each section has and how each is read.
//! The field lists are the parser's whole vocabulary; the JSON Schema in `schema/` mirrors
//! them, and a test compares the two level by level.

use super::read::{plain_fields, read_struct, Node, Reader};
use super::spec::*;
use super::{ConfigError, ConfigErrors};

plain_fields!(String, Vec<RouteSpec>, ByName<PolicySpec>, MatchSpec);

/// Reads a config document (already checked to be a JSON object) into its spec.
pub(super) fn document(text: &str) -> Result<ConfigSpec, ConfigErrors> {
    let doc = crate::json::parse(text).map_err(|e| {
        let at = Reader::new(text).position(e.offset + 1);
        ConfigErrors(vec![ConfigError::new("", format!("{}{at}", e.kind.what()))])
    })?;
    let mut r = Reader::new(text);
    let root = Node {
        value: &doc,
        path: String::new(),
        key: None,
    };
    let spec = config(&mut r, &root);
    match spec {
        Some(spec) if r.errors.is_empty() => Ok(spec),
        _ => Err(ConfigErrors(r.errors)),
    }
}

#[inline(never)]
fn config<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<ConfigSpec> {
    read_struct!(r, node, ConfigSpec {
        "policies" => policies: |r: &mut Reader<'a>, n| r.map(n, policy),
        "routes" => routes: |r: &mut Reader<'a>, n| r.list(n, route),
        "defaultPolicy" => default_policy: Reader::string,
        "holdHeaders" => hold_headers: Reader::bool,
        "audit" => audit: audit,
        "decisionHeader" => decision_header: Reader::bool,
        "redaction" => redaction: redaction,
    })
}

#[inline(never)]
fn redaction<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<RedactionSpec> {
    read_struct!(r, node, RedactionSpec {
        "hashKey" => hash_key: Reader::string,
        "hashKeyEnv" => hash_key_env: Reader::string,
        "hashLength" => hash_length: Reader::u32,
    })
}

#[inline(never)]
fn audit<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<AuditSpec> {
    read_struct!(r, node, AuditSpec {
        "level" => level: Reader::choice,
        "includeAllowed" => include_allowed: Reader::bool,
    })
}

#[inline(never)]
fn policy<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<PolicySpec> {
    read_struct!(r, node, PolicySpec {
        "extends" => extends: Reader::string,
        "mode" => mode: Reader::choice,
        "blockStatus" => block_status: Reader::u16,
        "request" => request: request,
        "response" => response: response,
        "limits" => limits: limits,
        "onBodyError" => on_body_error: body_errors,
        "tools" => tools: tools,
        "models" => models: models,
        "budgets" => budgets: budgets,
        "systemPrompt" => system_prompt: system_prompt,
        "unknownBodies" => unknown_bodies: Reader::choice,
        "detectors" => detectors: |r: &mut Reader<'a>, n| r.list(n, detector),
    })
}

#[inline(never)]
fn limits<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<LimitsSpec> {
    read_struct!(r, node, LimitsSpec {
        "maxRequestBytes" => max_request_bytes: Reader::u64,
        "maxResponseBytes" => max_response_bytes: Reader::u64,
    })
}

#[inline(never)]
fn body_errors<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<BodyErrorSpec> {
    read_struct!(r, node, BodyErrorSpec {
        "oversizeRequest" => oversize_request: Reader::choice,
        "oversizeResponse" => oversize_response: Reader::choice,
        "compressedRequest" => compressed_request: Reader::choice,
        "compressedResponse" => compressed_response: Reader::choice,
        "malformedRequest" => malformed_request: Reader::choice,
        "malformedResponse" => malformed_response: Reader::choice,
    })
}

#[inline(never)]
fn detector<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<DetectorSpec> {
    read_struct!(r, node, DetectorSpec {
        "name" => name: Reader::string,
        "group" => group: Reader::choice,
        "pattern" => pattern: Reader::string,
        "prefilter" => prefilter: Reader::strings,
        "validator" => validator: Reader::choice,
        "context" => context: Reader::strings,
        "contextWindow" => context_window: Reader::u32,
        "maxLength" => max_length: Reader::u32,
        "action" => action: Reader::choice,
        "strategy" => strategy: Reader::choice,
        "keep" => keep: Reader::u32,
    } required "name", "pattern")
}

#[inline(never)]
fn tools<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<ToolsSpec> {
    read_struct!(r, node, ToolsSpec {
        "allow" => allow: Reader::strings,
        "onDisallowed" => on_disallowed: Reader::choice,
        "arguments" => arguments: |r: &mut Reader<'a>, n| r.list(n, argument),
        "screenArguments" => screen_arguments: Reader::bool,
    })
}

#[inline(never)]
fn argument<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<ArgumentSpec> {
    read_struct!(r, node, ArgumentSpec {
        "tool" => tool: Reader::string,
        "pointer" => pointer: Reader::string,
        "allowed" => allowed: Reader::json_values,
        "pattern" => pattern: Reader::string,
        "maxLength" => max_length: Reader::u64,
        "required" => required: Reader::bool,
    } required "tool", "pointer")
}

#[inline(never)]
fn models<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<ModelsSpec> {
    read_struct!(r, node, ModelsSpec {
        "allow" => allow: Reader::strings,
        "maxOutputTokens" => max_output_tokens: Reader::u64,
    })
}

#[inline(never)]
fn budgets<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<BudgetsSpec> {
    read_struct!(r, node, BudgetsSpec {
        "maxMessages" => max_messages: Reader::u64,
        "maxCharsPerMessage" => max_chars_per_message: Reader::u64,
        "maxTools" => max_tools: Reader::u64,
        "maxParts" => max_parts: Reader::u64,
    })
}

#[inline(never)]
fn system_prompt<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<SystemPromptSpec> {
    read_struct!(r, node, SystemPromptSpec {
        "canary" => canary: Reader::bool,
        "protect" => protect: Reader::strings,
        "threshold" => threshold: Reader::f32,
        "onLeak" => on_leak: Reader::choice,
    })
}

#[inline(never)]
fn request<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<RequestSpec> {
    read_struct!(r, node, RequestSpec {
        "injection" => injection: injection,
        "denyPatterns" => deny_patterns: Reader::strings,
        "allowPatterns" => allow_patterns: Reader::strings,
        "bannedPhrases" => banned_phrases: Reader::strings,
        "secrets" => secrets: entities,
        "pii" => pii: entities,
    })
}

#[inline(never)]
fn response<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<ResponseSpec> {
    read_struct!(r, node, ResponseSpec {
        "secrets" => secrets: entities,
        "pii" => pii: entities,
    })
}

#[inline(never)]
fn injection<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<InjectionSpec> {
    read_struct!(r, node, InjectionSpec {
        "action" => action: Reader::choice,
        "threshold" => threshold: Reader::f32,
        "sensitivity" => sensitivity: Reader::choice,
        "roles" => roles: |r: &mut Reader<'a>, n| r.list(n, Reader::choice),
        "lastMessages" => last_messages: Reader::u32,
        "categories" => categories: |r: &mut Reader<'a>, n| r.map(n, Reader::choice),
    })
}

#[inline(never)]
fn entities<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<EntitySpec> {
    read_struct!(r, node, EntitySpec {
        "action" => action: Reader::choice,
        "types" => types: Reader::strings,
        "strategy" => strategy: Reader::choice,
        "keep" => keep: Reader::u32,
        "byType" => by_type: |r: &mut Reader<'a>, n| r.map(n, type_rule),
    })
}

#[inline(never)]
fn type_rule<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<TypeSpec> {
    read_struct!(r, node, TypeSpec {
        "action" => action: Reader::choice,
        "strategy" => strategy: Reader::choice,
        "keep" => keep: Reader::u32,
    })
}

#[inline(never)]
fn route<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<RouteSpec> {
    read_struct!(r, node, RouteSpec {
        "name" => name: Reader::string,
        "match" => matches: route_match,
        "policy" => policy: Reader::string,
    } required "policy")
}

#[inline(never)]
fn route_match<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<MatchSpec> {
    read_struct!(r, node, MatchSpec {
        "routeName" => route_name: Reader::string,
        "host" => host: Reader::string,
        "path" => path: Reader::string,
        "pathPrefix" => path_prefix: Reader::string,
        "pathRegex" => path_regex: Reader::string,
        "methods" => methods: Reader::strings,
        "headers" => headers: |r: &mut Reader<'a>, n| r.list(n, header),
    })
}

#[inline(never)]
fn header<'a>(r: &mut Reader<'a>, node: &Node<'a>) -> Option<HeaderMatchSpec> {
    read_struct!(r, node, HeaderMatchSpec {
        "name" => name: Reader::string,
        "exact" => exact: Reader::string,
        "prefix" => prefix: Reader::string,
        "present" => present: Reader::bool,
    } required "name")
}
