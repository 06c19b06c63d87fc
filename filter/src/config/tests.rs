use super::*;
use crate::entity::EntityType;
use crate::policy::RouteInput;

#[test]
fn empty_config_is_the_builtin_default() {
    for input in ["", "  \n", "{}"] {
        let config = load(input.as_bytes()).unwrap();
        assert_eq!(config.policies.len(), 1, "input {input:?}");
        let p = config.select(&RouteInput::default()).unwrap();
        assert_eq!(p.name, DEFAULT_POLICY);
        assert_eq!(p.block_status, 403);
        assert_eq!(p.mode, Mode::Enforce);
        assert!(
            p.request.injection.is_some(),
            "injection screening on by default"
        );
        let req = p.request.entities.as_ref().unwrap();
        assert_eq!(req.action(EntityType::AwsAccessKeyId), Action::Redact);
        assert_eq!(
            req.action(EntityType::Email),
            Action::Off,
            "PII in prompts is left alone"
        );
        let resp = p.response.entities.as_ref().unwrap();
        assert_eq!(resp.action(EntityType::Email), Action::Redact);
        assert_eq!(resp.action(EntityType::GithubToken), Action::Redact);
    }
}

/// Each bad config and the exact error line it must produce.
#[test]
fn errors_name_the_field() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown top-level field",
            r#"{"polices":{}}"#,
            "polices: unknown field `polices`, expected one of `policies`, `routes`, `defaultPolicy`, `holdHeaders`, `audit`, `decisionHeader`, `redaction` at line 1 column 10",
        ),
        (
            "unknown nested field",
            r#"{"policies":{"strict":{"request":{"injection":{"treshold":0.3}}}}}"#,
            "policies.strict.request.injection.treshold: unknown field `treshold`, expected one of `action`, `threshold`, `sensitivity`, `roles`, `lastMessages`, `categories` at line 1 column 57",
        ),
        (
            "pseudonyms are for requests",
            r#"{"policies":{"p":{"response":{"pii":{"strategy":"pseudonym"}}}}}"#,
            "policies.p.response.pii.strategy: `pseudonym` applies to requests only",
        ),
        (
            "hash needs a key",
            r#"{"policies":{"p":{"request":{"pii":{"action":"redact","byType":{"EMAIL":{"strategy":"hash"}}}}}}}"#,
            "policies.p.request.pii.byType.EMAIL.strategy: `hash` needs a key: set `redaction.hashKey` or `redaction.hashKeyEnv`",
        ),
        (
            "short hash key",
            r#"{"redaction":{"hashKey":"short"}}"#,
            "redaction.hashKey: the key must be at least 16 bytes",
        ),
        (
            "missing key variable",
            r#"{"redaction":{"hashKeyEnv":"LLM_WARDEN_TEST_UNSET_VARIABLE"}}"#,
            "redaction.hashKeyEnv: environment variable `LLM_WARDEN_TEST_UNSET_VARIABLE` is not set",
        ),
        (
            "keep without partial",
            r#"{"policies":{"p":{"response":{"pii":{"strategy":"label","keep":2}}}}}"#,
            "policies.p.response.pii.keep: `keep` applies to the `partial` strategy only",
        ),
        (
            "byType outside the group",
            r#"{"policies":{"p":{"response":{"pii":{"byType":{"GITHUB_TOKEN":{"action":"block"}}}}}}}"#,
            "policies.p.response.pii.byType.GITHUB_TOKEN: `GITHUB_TOKEN` belongs under `secrets`",
        ),
        (
            "byType not among types",
            r#"{"policies":{"p":{"response":{"pii":{"types":["EMAIL"],"byType":{"PHONE":{"action":"block"}}}}}}}"#,
            "policies.p.response.pii.byType.PHONE: `PHONE` is not among this group's `types`",
        ),
        (
            "custom detector bad regex",
            r#"{"policies":{"p":{"detectors":[{"name":"EMP_ID","pattern":"EMP-(["}]}}}"#,
            "policies.p.detectors[0].pattern: invalid regex:",
        ),
        (
            "custom detector built-in name",
            r#"{"policies":{"p":{"detectors":[{"name":"EMAIL","pattern":"x"}]}}}"#,
            "policies.p.detectors[0].name: `EMAIL` is a built-in type name",
        ),
        (
            "custom detector name shape",
            r#"{"policies":{"p":{"detectors":[{"name":"emp-id","pattern":"x"}]}}}"#,
            "policies.p.detectors[0].name: `emp-id` is not a type name",
        ),
        (
            "custom detector max length",
            r#"{"policies":{"p":{"detectors":[{"name":"X","pattern":"x","maxLength":0}]}}}"#,
            "policies.p.detectors[0].maxLength: 0 is outside 1..=4096",
        ),
        (
            "custom detector unknown validator",
            r#"{"policies":{"p":{"detectors":[{"name":"X","pattern":"x","validator":"crc"}]}}}"#,
            "policies.p.detectors[0].validator: unknown variant `crc`, expected `luhn` or `mod97`",
        ),
        (
            "custom type in the wrong group",
            r#"{"policies":{"p":{"detectors":[{"name":"EMP_ID","pattern":"x"}],"response":{"secrets":{"types":["EMP_ID"]}}}}}"#,
            "policies.p.response.secrets.types[0]: `EMP_ID` belongs under `pii`",
        ),
        (
            "tool argument constraint without a check",
            r#"{"policies":{"p":{"tools":{"arguments":[{"tool":"send_*","pointer":"/to"}]}}}}"#,
            "policies.p.tools.arguments[0]: a constraint needs `allowed`, `pattern`, `maxLength` or `required: true`",
        ),
        (
            "tool argument pointer",
            r#"{"policies":{"p":{"tools":{"arguments":[{"tool":"send_*","pointer":"to","maxLength":5}]}}}}"#,
            "policies.p.tools.arguments[0].pointer: `to` is not a JSON pointer",
        ),
        (
            "tool argument pattern",
            r#"{"policies":{"p":{"tools":{"arguments":[{"tool":"x","pointer":"/a","pattern":"("}]}}}}"#,
            "policies.p.tools.arguments[0].pattern: invalid regex:",
        ),
        (
            "bad allow pattern",
            r#"{"policies":{"p":{"request":{"allowPatterns":["(x"]}}}}"#,
            "policies.p.request.allowPatterns[0]: invalid regex:",
        ),
        (
            "banned phrase without words",
            r#"{"policies":{"p":{"request":{"bannedPhrases":["fine","--"]}}}}"#,
            "policies.p.request.bannedPhrases[1]: the phrase has no letters or digits",
        ),
        (
            "bad regex with index",
            r#"{"policies":{"default":{"request":{"denyPatterns":["ok","(unclosed"]}}}}"#,
            "policies.default.request.denyPatterns[1]: invalid regex:",
        ),
        (
            "bad action value",
            r#"{"policies":{"p":{"response":{"pii":{"action":"scrub"}}}}}"#,
            "policies.p.response.pii.action: unknown variant `scrub`, expected one of `block`, `redact`, `monitor`, `off`",
        ),
        (
            "redact is not an injection action",
            r#"{"policies":{"p":{"request":{"injection":{"action":"redact"}}}}}"#,
            "policies.p.request.injection.action: `redact` does not apply to injection",
        ),
        (
            "threshold out of range",
            r#"{"policies":{"p":{"request":{"injection":{"threshold":1.5}}}}}"#,
            "policies.p.request.injection.threshold: must be in (0, 1]",
        ),
        (
            "block status 200",
            r#"{"policies":{"p":{"blockStatus":200}}}"#,
            "policies.p.blockStatus: 200 is not an error status (expected 400–599)",
        ),
        (
            "unknown entity type",
            r#"{"policies":{"p":{"response":{"pii":{"types":["EMAIL","SHOE_SIZE"]}}}}}"#,
            "policies.p.response.pii.types[1]: unknown entity type `SHOE_SIZE`",
        ),
        (
            "type in the wrong group",
            r#"{"policies":{"p":{"request":{"secrets":{"types":["EMAIL"]}}}}}"#,
            "policies.p.request.secrets.types[0]: `EMAIL` belongs under `pii`",
        ),
        (
            "route to unknown policy",
            r#"{"routes":[{"match":{"routeName":"x"},"policy":"strict"}]}"#,
            "routes[0].policy: unknown policy `strict`",
        ),
        (
            "unknown default policy",
            r#"{"defaultPolicy":"nope"}"#,
            "defaultPolicy: unknown policy `nope`",
        ),
        (
            "relative path prefix",
            r#"{"routes":[{"match":{"pathPrefix":"v1/"},"policy":"default"}]}"#,
            "routes[0].match.pathPrefix: must start with `/`",
        ),
        ("not an object", "[]", "config must be a JSON object"),
        ("yaml instead of json", "policies:\n  default: {}", "config must be a JSON object"),
        ("trailing garbage", "{} x", "trailing characters at line 1 column 4"),
        ("wrong type", r#"{"routes":{}}"#, "routes: invalid type: map, expected a sequence"),
        ("not utf-8", "\u{0}", ""),
        // The reader's own rules: serde's strictness, and every reading error reported at once
        // (in the order of the parser's fields).
        (
            "duplicate field",
            r#"{"holdHeaders":true,"holdHeaders":false}"#,
            "holdHeaders: duplicate field `holdHeaders` at line 1 column 33",
        ),
        (
            "duplicate policy name",
            r#"{"policies":{"p":{},"p":{"mode":"monitor"}}}"#,
            "policies.p: duplicate field `p`",
        ),
        (
            "missing route policy",
            r#"{"routes":[{"match":{"path":"/v1"}}]}"#,
            "routes[0]: missing field `policy`",
        ),
        (
            "missing detector pattern",
            r#"{"policies":{"p":{"detectors":[{"name":"X"}]}}}"#,
            "policies.p.detectors[0]: missing field `pattern`",
        ),
        (
            "integer over its type",
            r#"{"policies":{"p":{"blockStatus":70000}}}"#,
            "policies.p.blockStatus: invalid value: integer `70000`, expected u16",
        ),
        (
            "fraction for a count",
            r#"{"policies":{"p":{"budgets":{"maxMessages":1.5}}}}"#,
            "policies.p.budgets.maxMessages: invalid type: floating point `1.5`, expected u64",
        ),
        (
            "string for a boolean",
            r#"{"holdHeaders":"yes"}"#,
            r#"holdHeaders: invalid type: string "yes", expected a boolean"#,
        ),
        (
            "number for a name",
            r#"{"policies":{"p":{"mode":1}}}"#,
            "policies.p.mode: invalid type: integer `1`, expected a string",
        ),
        (
            "two-field section",
            r#"{"audit":{"levle":"info"}}"#,
            "audit.levle: unknown field `levle`, expected `level` or `includeAllowed` at line 1 column 17",
        ),
        (
            "syntax error located",
            "{\n  \"routes\": [}\n",
            "unexpected character at line 2 column 14",
        ),
        (
            "every reading error at once",
            r#"{"holdHeaders":1,"routes":[{"policy":2}],"audit":{"level":"loud"}}"#,
            "routes[0].policy: invalid type: integer `2`, expected a string; holdHeaders: invalid type: integer `1`, expected a boolean; audit.level: unknown variant `loud`, expected one of `off`, `debug`, `info`, `warn`",
        ),
        (
            "unrepresentable allowed value",
            r#"{"policies":{"p":{"tools":{"arguments":[{"tool":"t","pointer":"/a","allowed":[1,1e999]}]}}}}"#,
            "policies.p.tools.arguments[0].allowed[1]: number out of range",
        ),
    ];
    for (name, input, want) in cases {
        let bytes: Vec<u8> = if *name == "not utf-8" {
            vec![b'{', 0xFF, b'}']
        } else {
            input.as_bytes().to_vec()
        };
        let got = match load(&bytes) {
            Ok(_) => panic!("case {name}: accepted {input}"),
            Err(e) => e.to_string(),
        };
        assert!(!got.contains('\n'), "case {name}: error spans lines: {got}");
        assert!(
            got.starts_with(want),
            "case {name}\n input:    {input}\n expected: {want}…\n actual:   {got}"
        );
    }
}

#[test]
fn all_errors_are_reported_together() {
    let input = r#"{"policies":{"p":{"blockStatus":99,"request":{"denyPatterns":["("]}}},
                    "routes":[{"policy":"q"}]}"#;
    let errors = load(input.as_bytes()).unwrap_err();
    let paths: Vec<&str> = errors.0.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "policies.p.blockStatus",
            "policies.p.request.denyPatterns[0]",
            "routes[0].policy"
        ]
    );
}

#[test]
fn routes_select_policies_first_match_wins() {
    let config = load(
        br#"{
        "policies": {"strict": {"blockStatus": 451}, "lenient": {"request": {"injection": {"action": "off"}}}},
        "routes": [
            {"name": "chat", "match": {"routeName": "chat_route"}, "policy": "strict"},
            {"match": {"host": "*.internal", "pathPrefix": "/v1/"}, "policy": "lenient"},
            {"match": {"path": "/v1/messages"}, "policy": "strict"}
        ],
        "defaultPolicy": "lenient"
    }"#,
    )
    .unwrap();
    let cases: &[(&str, RouteInput<'_>, &str)] = &[
        (
            "route name",
            RouteInput {
                route_name: "chat_route",
                host: "x",
                path: "/",
                ..RouteInput::default()
            },
            "strict",
        ),
        (
            "host and prefix",
            RouteInput {
                route_name: "",
                host: "llm.internal:80",
                path: "/v1/messages",
                ..RouteInput::default()
            },
            "lenient",
        ),
        (
            "exact path ignores query",
            RouteInput {
                route_name: "",
                host: "api",
                path: "/v1/messages?beta=1",
                ..RouteInput::default()
            },
            "strict",
        ),
        (
            "default",
            RouteInput {
                route_name: "",
                host: "api",
                path: "/v2",
                ..RouteInput::default()
            },
            "lenient",
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(config.select(input).unwrap().name, *want, "case {name}");
    }
    assert!(config
        .policy("lenient")
        .unwrap()
        .request
        .injection
        .is_none());
    assert_eq!(config.policy("strict").unwrap().block_status, 451);
    assert!(
        config.policy("default").is_some(),
        "built-in default stays available"
    );
}

/// The published JSON Schema and the parser must describe the same config. The parser lists the
/// fields it accepts at each level in its unknown-field error, so the test asks it.
#[test]
fn schema_matches_the_parser() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../schema/llm-warden.schema.json")).unwrap();
    let defs = &schema["$defs"];
    let props = |v: &serde_json::Value| -> Vec<String> {
        let mut keys: Vec<String> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    // (level, config with an unknown field `zz` at that level, schema object for that level)
    let levels = [
        ("top", r#"{"zz":1}"#.to_string(), schema.clone()),
        (
            "policy",
            r#"{"policies":{"p":{"zz":1}}}"#.into(),
            defs["policy"].clone(),
        ),
        (
            "request",
            r#"{"policies":{"p":{"request":{"zz":1}}}}"#.into(),
            defs["policy"]["properties"]["request"].clone(),
        ),
        (
            "response",
            r#"{"policies":{"p":{"response":{"zz":1}}}}"#.into(),
            defs["policy"]["properties"]["response"].clone(),
        ),
        (
            "injection",
            r#"{"policies":{"p":{"request":{"injection":{"zz":1}}}}}"#.into(),
            defs["policy"]["properties"]["request"]["properties"]["injection"].clone(),
        ),
        (
            "entities",
            r#"{"policies":{"p":{"response":{"pii":{"zz":1}}}}}"#.into(),
            defs["piiRule"].clone(),
        ),
        (
            "limits",
            r#"{"policies":{"p":{"limits":{"zz":1}}}}"#.into(),
            defs["policy"]["properties"]["limits"].clone(),
        ),
        (
            "onBodyError",
            r#"{"policies":{"p":{"onBodyError":{"zz":1}}}}"#.into(),
            defs["policy"]["properties"]["onBodyError"].clone(),
        ),
        (
            "tools",
            r#"{"policies":{"p":{"tools":{"zz":1}}}}"#.into(),
            defs["policy"]["properties"]["tools"].clone(),
        ),
        (
            "models",
            r#"{"policies":{"p":{"models":{"zz":1}}}}"#.into(),
            defs["policy"]["properties"]["models"].clone(),
        ),
        (
            "budgets",
            r#"{"policies":{"p":{"budgets":{"zz":1}}}}"#.into(),
            defs["policy"]["properties"]["budgets"].clone(),
        ),
        (
            "systemPrompt",
            r#"{"policies":{"p":{"systemPrompt":{"zz":1}}}}"#.into(),
            defs["policy"]["properties"]["systemPrompt"].clone(),
        ),
        (
            "audit",
            r#"{"audit":{"zz":1}}"#.into(),
            schema["properties"]["audit"].clone(),
        ),
        (
            "redaction",
            r#"{"redaction":{"zz":1}}"#.into(),
            schema["properties"]["redaction"].clone(),
        ),
        (
            "detector",
            r#"{"policies":{"p":{"detectors":[{"name":"X","pattern":"x","zz":1}]}}}"#.into(),
            defs["detector"].clone(),
        ),
        (
            "byType",
            r#"{"policies":{"p":{"response":{"pii":{"byType":{"EMAIL":{"zz":1}}}}}}}"#.into(),
            defs["typeRule"].clone(),
        ),
        (
            "toolArgument",
            r#"{"policies":{"p":{"tools":{"arguments":[{"tool":"x","pointer":"/a","zz":1}]}}}}"#
                .into(),
            defs["policy"]["properties"]["tools"]["properties"]["arguments"]["items"].clone(),
        ),
        (
            "route",
            r#"{"routes":[{"zz":1}]}"#.into(),
            defs["route"].clone(),
        ),
        (
            "match",
            r#"{"routes":[{"policy":"default","match":{"zz":1}}]}"#.into(),
            defs["route"]["properties"]["match"].clone(),
        ),
    ];
    for (level, input, schema_obj) in levels {
        // The first error: a level with required fields also reports them missing.
        let err = load(input.as_bytes()).unwrap_err().0[0].to_string();
        let listed = err.split("expected ").nth(1).unwrap_or_default();
        let mut fields: Vec<String> = listed
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            props(&schema_obj),
            "level {level}: parser says {err}"
        );
    }
    assert_eq!(props(&defs["secretRule"]), props(&defs["piiRule"]));

    // Entity type enums: exactly the built-in types of each group.
    for (def, group) in [("piiType", Group::Pii), ("secretType", Group::Secret)] {
        let mut in_schema: Vec<&str> = defs[def]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        in_schema.sort();
        let mut built_in: Vec<&str> = EntityType::ALL
            .iter()
            .filter(|t| t.group() == group)
            .map(|t| t.name())
            .collect();
        built_in.sort();
        assert_eq!(in_schema, built_in, "schema $defs.{def}");
    }
}

#[test]
fn extends_layers_a_policy_over_its_base() {
    let config = load(
        br#"{"policies": {
            "base": {"blockStatus": 451, "request": {"denyPatterns": ["a"], "injection": {"threshold": 0.3}},
                     "response": {"pii": {"action": "off"}}},
            "child": {"extends": "base", "request": {"injection": {"action": "monitor"}}},
            "grandchild": {"extends": "child", "blockStatus": 400, "request": {"denyPatterns": []}},
            "default": {"extends": "base", "mode": "monitor"}
        }}"#,
    )
    .unwrap();
    let child = config.policy("child").unwrap();
    assert_eq!(child.block_status, 451, "inherited");
    let injection = child.request.injection.as_ref().unwrap();
    assert_eq!(
        (injection.action, injection.threshold),
        (Action::Monitor, 0.3),
        "merged field by field"
    );
    assert_eq!(child.request.deny_patterns.len(), 1);
    assert!(
        child
            .response
            .entities
            .as_ref()
            .unwrap()
            .action(EntityType::Email)
            == Action::Off
    );
    let grandchild = config.policy("grandchild").unwrap();
    assert_eq!(grandchild.block_status, 400);
    assert!(
        grandchild.request.deny_patterns.is_empty(),
        "lists replace, not merge"
    );
    assert_eq!(
        grandchild.request.injection.as_ref().unwrap().action,
        Action::Monitor
    );
    assert_eq!(config.policy("default").unwrap().mode, Mode::Monitor);
    assert_eq!(config.policy("default").unwrap().block_status, 451);
}

#[test]
fn extends_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown base",
            r#"{"policies":{"a":{"extends":"zz"}}}"#,
            "policies.a.extends: unknown policy `zz`",
        ),
        (
            "cycle",
            r#"{"policies":{"a":{"extends":"b"},"b":{"extends":"a"}}}"#,
            "policies.a.extends: cycle: a → b → a",
        ),
        (
            "self",
            r#"{"policies":{"a":{"extends":"a"}}}"#,
            "policies.a.extends: cycle: a → a",
        ),
        (
            "reserved name",
            r#"{"policies":{"none":{}}}"#,
            "policies.none: policy names must be non-empty and not `none` (reserved)",
        ),
    ];
    for (name, input, want) in cases {
        let got = load(input.as_bytes()).unwrap_err().to_string();
        assert!(
            got.starts_with(want),
            "case {name}\n expected: {want}\n actual:   {got}"
        );
    }
}

#[test]
fn policy_none_passes_requests_through() {
    let config = load(
        br#"{"routes": [{"match": {"pathPrefix": "/internal/"}, "policy": "none"}], "defaultPolicy": "default"}"#,
    )
    .unwrap();
    let internal = RouteInput {
        path: "/internal/v1/chat/completions",
        ..RouteInput::default()
    };
    assert!(config.select(&internal).is_none());
    assert!(config
        .select(&RouteInput {
            path: "/v1/chat/completions",
            ..RouteInput::default()
        })
        .is_some());
    let nothing = load(br#"{"defaultPolicy": "none"}"#).unwrap();
    assert!(nothing.select(&RouteInput::default()).is_none());
}

#[test]
fn routes_match_methods_headers_and_path_regex() {
    let config = load(
        br#"{"policies": {"a": {}, "b": {}, "c": {}, "d": {}},
            "routes": [
                {"match": {"methods": ["PUT", "PATCH"]}, "policy": "a"},
                {"match": {"headers": [{"name": "X-Tenant", "exact": "blue"}, {"name": "x-debug", "present": false}]}, "policy": "b"},
                {"match": {"headers": [{"name": "authorization", "prefix": "Bearer sk-ant-"}]}, "policy": "c"},
                {"match": {"pathRegex": "^/v1/(chat|responses)"}, "policy": "d"}
            ]}"#,
    )
    .unwrap();
    assert!(config.needs_headers());
    let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    let blue = h(&[("x-tenant", "blue")]);
    let blue_debug = h(&[("x-tenant", "blue"), ("x-debug", "1")]);
    let anthropic = h(&[("authorization", "Bearer sk-ant-xyz")]);
    let cases: Vec<(&str, RouteInput<'_>, Option<&str>)> = vec![
        (
            "method",
            RouteInput {
                method: "PATCH",
                path: "/x",
                ..RouteInput::default()
            },
            Some("a"),
        ),
        (
            "header exact + absent",
            RouteInput {
                method: "POST",
                headers: &blue,
                ..RouteInput::default()
            },
            Some("b"),
        ),
        (
            "absent header present",
            RouteInput {
                method: "POST",
                headers: &blue_debug,
                path: "/x",
                ..RouteInput::default()
            },
            Some("default"),
        ),
        (
            "header prefix",
            RouteInput {
                method: "POST",
                headers: &anthropic,
                ..RouteInput::default()
            },
            Some("c"),
        ),
        (
            "path regex",
            RouteInput {
                method: "POST",
                path: "/v1/responses?x=1",
                ..RouteInput::default()
            },
            Some("d"),
        ),
        (
            "nothing",
            RouteInput {
                method: "POST",
                path: "/v2/chat",
                ..RouteInput::default()
            },
            Some("default"),
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(
            config.select(&input).map(|p| p.name.as_str()),
            want,
            "case {name}"
        );
    }
}

#[test]
fn route_match_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "bad method",
            r#"{"routes":[{"match":{"methods":["post"]},"policy":"default"}]}"#,
            "routes[0].match.methods[0]: `post` is not an upper-case HTTP method",
        ),
        (
            "bad header",
            r#"{"routes":[{"match":{"headers":[{"name":"a","exact":"x","prefix":"y"}]},"policy":"default"}]}"#,
            "routes[0].match.headers[0]: use one of `exact`, `prefix` or `present: false`",
        ),
        (
            "bad regex",
            r#"{"routes":[{"match":{"pathRegex":"("},"policy":"default"}]}"#,
            "routes[0].match.pathRegex: invalid regex:",
        ),
    ];
    for (name, input, want) in cases {
        let got = load(input.as_bytes()).unwrap_err().to_string();
        assert!(
            got.starts_with(want),
            "case {name}\n expected: {want}\n actual:   {got}"
        );
    }
}

#[test]
fn injection_sensitivity_roles_and_categories() {
    let c = load(
        br#"{"policies": {
            "high": {"request": {"injection": {"sensitivity": "high", "roles": ["user"], "categories": {"evasion": "monitor", "classifier": "off"}}}},
            "low": {"request": {"injection": {"sensitivity": "low"}}}
        }}"#,
    )
    .unwrap();
    let high = c
        .policy("high")
        .unwrap()
        .request
        .injection
        .as_ref()
        .unwrap();
    assert_eq!(high.threshold, 0.35);
    assert_eq!(high.roles, vec![crate::dialect::Role::User]);
    assert_eq!(high.categories.len(), 2);
    assert_eq!(
        c.policy("low")
            .unwrap()
            .request
            .injection
            .as_ref()
            .unwrap()
            .threshold,
        0.7
    );
    let cases: &[(&str, &str, &str)] = &[
        (
            "both",
            r#"{"policies":{"p":{"request":{"injection":{"sensitivity":"high","threshold":0.4}}}}}"#,
            "policies.p.request.injection: set `sensitivity` or `threshold`, not both",
        ),
        (
            "unknown category",
            r#"{"policies":{"p":{"request":{"injection":{"categories":{"vibes":"off"}}}}}}"#,
            "policies.p.request.injection.categories.vibes: unknown category; expected one of",
        ),
        (
            "redact category",
            r#"{"policies":{"p":{"request":{"injection":{"categories":{"evasion":"redact"}}}}}}"#,
            "policies.p.request.injection.categories.evasion: expected block, monitor or off",
        ),
    ];
    for (name, input, want) in cases {
        let got = load(input.as_bytes()).unwrap_err().to_string();
        assert!(
            got.starts_with(want),
            "case {name}\n expected: {want}\n actual:   {got}"
        );
    }
}

#[test]
fn strategies_and_custom_detectors_compile_per_type() {
    let c = load(
        br#"{"redaction":{"hashKey":"0123456789abcdef-test-key"},
            "policies":{"default":{
              "detectors":[{"name":"EMPLOYEE_ID","pattern":"EMP-[0-9]{6}","prefilter":["EMP-"],"strategy":"hash"},
                           {"name":"VAULT_TOKEN","group":"secrets","pattern":"hvs\\.[A-Za-z0-9]{20,}","action":"block"}],
              "request":{"pii":{"action":"redact","strategy":"pseudonym",
                                "byType":{"CREDIT_CARD":{"strategy":"partial","keep":4},"IPV4":{"action":"off"}}}},
              "response":{"pii":{"strategy":"partial"}}}}}"#,
    )
    .unwrap();
    let p = &c.policies[0];
    let req = p.request.entities.as_ref().unwrap();
    use crate::redact::Strategy;
    assert_eq!(req.strategy(EntityType::Email), Strategy::Pseudonym);
    assert_eq!(
        req.strategy(EntityType::CreditCard),
        Strategy::Partial { keep: 4 }
    );
    assert_eq!(req.action(EntityType::Ipv4), Action::Off);
    let emp = EntityType::Custom(0);
    assert_eq!(req.name(emp), "EMPLOYEE_ID");
    assert_eq!(req.action(emp), Action::Redact, "the group's action");
    assert_eq!(req.strategy(emp), Strategy::Hash, "the detector's own");
    let vault = EntityType::Custom(1);
    assert_eq!(req.action(vault), Action::Block);
    assert!(req.uses_pseudonyms());
    assert!(p.inspects_responses());
    let resp = p.response.entities.as_ref().unwrap();
    // The detector's hash holds on responses too; a group's pseudonym could not.
    assert_eq!(resp.strategy(emp), Strategy::Hash);
    assert_eq!(
        resp.strategy(EntityType::Email),
        Strategy::Partial { keep: 4 }
    );
    assert!(!resp.uses_pseudonyms());
    assert_eq!(resp.custom_window(), 256);
}

#[test]
fn type_errors_are_located_on_any_line() {
    let input = "{\n  \"policies\": {\n    \"p\": {\"request\": {\"denyPatterns\": [\"a\", 7]}},\n    \"q\": {\"tools\": {\"arguments\": [{\"tool\": \"x\", \"pointer\": \"/a\", \"maxLength\": -1}]}}\n  }\n}";
    let err = load(input.as_bytes()).unwrap_err().to_string();
    assert!(
        err.starts_with("policies.p.request.denyPatterns[1]: invalid type: integer `7`"),
        "{err}"
    );
    let second = input.replace("[\"a\", 7]", "[\"a\"]");
    let err = load(second.as_bytes()).unwrap_err().to_string();
    assert!(
        err.starts_with("policies.q.tools.arguments[0].maxLength: invalid value: integer `-1`"),
        "{err}"
    );
}

/// The reader accepts `null` as unset, integers where a float is expected, and exponents.
#[test]
fn reading_accepts_what_serde_accepted() {
    let accepted: &[(&str, &str)] = &[
        (
            "null is unset",
            r#"{"defaultPolicy":null,"audit":null,"routes":null}"#,
        ),
        (
            "null inside a section",
            r#"{"policies":{"p":{"mode":null,"request":{"pii":null}}}}"#,
        ),
        (
            "integer threshold",
            r#"{"policies":{"p":{"request":{"injection":{"threshold":1}}}}}"#,
        ),
        (
            "exponent threshold",
            r#"{"policies":{"p":{"systemPrompt":{"threshold":5e-1,"canary":true}}}}"#,
        ),
    ];
    for (name, input) in accepted {
        if let Err(e) = load(input.as_bytes()) {
            panic!("case {name}: rejected {input}: {e}");
        }
    }
}

/// `allowed` values are kept as written (any JSON, `null` included), in order.
#[test]
fn tool_argument_values_are_read_verbatim() {
    let config = load(
        br#"{"policies":{"default":{"tools":{"arguments":[
            {"tool":"t","pointer":"/a","allowed":[ 1 , "x\u0041", {"k":[true,null]}, null, 2.5 ]}]}}}}"#,
    )
    .unwrap();
    let tools = config.policies[0].agency.tools.as_ref().unwrap();
    let allowed = tools.arguments[0].allowed.as_ref().unwrap();
    assert_eq!(
        allowed,
        &vec![
            serde_json::json!(1),
            serde_json::json!("xA"),
            serde_json::json!({"k": [true, null]}),
            serde_json::Value::Null,
            serde_json::json!(2.5),
        ]
    );
}

/// Each enum's JSON names are the names the engine reports it by.
#[test]
fn enum_names_match_their_reported_names() {
    use super::read::Named;
    assert_eq!(Action::NAMES.len(), Action::VALUES.len());
    for (name, action) in Action::NAMES.iter().zip(Action::VALUES) {
        assert_eq!(action.name(), *name);
    }
}
