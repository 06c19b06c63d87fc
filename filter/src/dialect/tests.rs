use super::*;
use crate::json::parse;

fn texts(segments: &[Segment<'_>]) -> Vec<(Role, String, String)> {
    segments
        .iter()
        .map(|s| (s.role, s.location.clone(), s.text().to_string()))
        .collect()
}

#[test]
fn api_from_path() {
    let cases: &[(&str, Option<Api>)] = &[
        ("/v1/chat/completions", Some(Api::OpenAiChat)),
        (
            "/openai/deployments/gpt4/chat/completions?api-version=2024-06-01",
            Some(Api::OpenAiChat),
        ),
        ("/v1/messages", Some(Api::AnthropicMessages)),
        ("/v1/messages/", Some(Api::AnthropicMessages)),
        ("/v1/completions", Some(Api::OpenAiCompletions)),
        ("/v1/embeddings", Some(Api::OpenAiEmbeddings)),
        ("/v1/responses", Some(Api::OpenAiResponses)),
        ("/v1/models", None),
        ("/healthz", None),
    ];
    for (path, want) in cases {
        assert_eq!(Api::from_path(path), *want, "path {path}");
    }
}

#[test]
fn openai_chat_request_all_text_locations() {
    let body = r#"{"model":"m","messages":[
        {"role":"system","content":"be nice"},
        {"role":"user","content":[{"type":"text","text":"hello"},{"type":"image_url","image_url":{"url":"data:x"}}]},
        {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"q\":1}"}}]},
        {"role":"tool","tool_call_id":"c1","content":"result text"}
    ]}"#;
    let doc = parse(body).unwrap();
    assert_eq!(Api::from_request_body(&doc), Some(Api::OpenAiChat));
    let got = texts(&request_segments(Api::OpenAiChat, &doc));
    let want = vec![
        (
            Role::System,
            "messages[0].content".to_string(),
            "be nice".to_string(),
        ),
        (
            Role::User,
            "messages[1].content[0].text".into(),
            "hello".into(),
        ),
        (
            Role::Assistant,
            "messages[2].tool_calls[0].function.arguments".into(),
            "{\"q\":1}".into(),
        ),
        (
            Role::Tool,
            "messages[3].content".into(),
            "result text".into(),
        ),
    ];
    assert_eq!(got, want);
}

#[test]
fn anthropic_request_blocks_and_tool_results() {
    let body = r#"{"model":"claude","max_tokens":10,"system":[{"type":"text","text":"sys"}],"messages":[
        {"role":"user","content":[{"type":"text","text":"q"},
            {"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"doc"}]}]}]}"#;
    let doc = parse(body).unwrap();
    assert_eq!(Api::from_request_body(&doc), Some(Api::AnthropicMessages));
    let got = texts(&request_segments(Api::AnthropicMessages, &doc));
    assert_eq!(
        got,
        vec![
            (
                Role::System,
                "system[0].text".to_string(),
                "sys".to_string()
            ),
            (Role::User, "messages[0].content[0].text".into(), "q".into()),
            (
                Role::Tool,
                "messages[0].content[1].content[0].text".into(),
                "doc".into()
            ),
        ]
    );
}

#[test]
fn responses_and_legacy_requests() {
    let doc = parse(r#"{"instructions":"i","input":[{"role":"user","content":[{"type":"input_text","text":"u"}]},{"type":"function_call_output","call_id":"x","output":"o"}]}"#).unwrap();
    let got = texts(&request_segments(Api::OpenAiResponses, &doc));
    assert_eq!(
        got.iter()
            .map(|(r, _, t)| (*r, t.as_str()))
            .collect::<Vec<_>>(),
        [(Role::System, "i"), (Role::User, "u"), (Role::Tool, "o")]
    );

    let doc = parse(r#"{"prompt":["a","b"]}"#).unwrap();
    assert_eq!(request_segments(Api::OpenAiCompletions, &doc).len(), 2);
    let doc = parse(r#"{"input":"embed me"}"#).unwrap();
    assert_eq!(request_segments(Api::OpenAiEmbeddings, &doc).len(), 1);
}

#[test]
fn responses_of_each_api() {
    let cases: &[(Api, &str, &[&str])] = &[
        (
            Api::OpenAiChat,
            r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]}"#,
            &["hi"],
        ),
        (
            Api::AnthropicMessages,
            r#"{"content":[{"type":"text","text":"a"},{"type":"tool_use","input":{}}]}"#,
            &["a"],
        ),
        (
            Api::OpenAiCompletions,
            r#"{"choices":[{"text":"t"}]}"#,
            &["t"],
        ),
        (
            Api::OpenAiResponses,
            r#"{"output":[{"type":"message","content":[{"type":"output_text","text":"o"}]}]}"#,
            &["o"],
        ),
        (
            Api::OpenAiEmbeddings,
            r#"{"data":[{"embedding":[0.1]}]}"#,
            &[],
        ),
        // Text the model writes outside the main content: each is redacted like it.
        (
            Api::OpenAiChat,
            r#"{"choices":[{"message":{"content":null,"refusal":"r","reasoning_content":"th","function_call":{"name":"f","arguments":"{\"a\":1}"}}}]}"#,
            &["r", "th", r#"{"a":1}"#],
        ),
        (
            Api::AnthropicMessages,
            r#"{"content":[{"type":"thinking","thinking":"th","signature":"s"},{"type":"text","text":"a","citations":[{"type":"char_location","cited_text":"c"}]}]}"#,
            &["a", "th", "c"],
        ),
        (
            Api::OpenAiResponses,
            r#"{"output":[{"type":"reasoning","summary":[{"type":"summary_text","text":"s"}]},{"type":"message","content":[{"type":"refusal","refusal":"r"}]}]}"#,
            &["s", "r"],
        ),
        (
            Api::OllamaChat,
            r#"{"message":{"role":"assistant","content":"a","thinking":"th","tool_calls":[{"function":{"name":"f","arguments":{"q":"v","n":[1,"w"]}}}]}}"#,
            &["a", "th", "v", "w"],
        ),
        (
            Api::OpenAiChat,
            r#"{"choices":[{"message":{"content":"a","reasoning":"th"}}]}"#,
            &["a", "th"],
        ),
        (
            Api::OllamaGenerate,
            r#"{"response":"a","thinking":"th","done":true}"#,
            &["a", "th"],
        ),
        (
            Api::BedrockConverse,
            r#"{"output":{"message":{"content":[{"reasoningContent":{"reasoningText":{"text":"th","signature":"s"}}},{"text":"a"}]}}}"#,
            &["a", "th"],
        ),
    ];
    for (api, body, want) in cases {
        let doc = parse(body).unwrap();
        let got: Vec<String> = response_segments(*api, &doc)
            .iter()
            .map(|s| s.text().to_string())
            .collect();
        assert_eq!(got, *want, "api {api}");
    }
}

#[test]
fn non_chat_bodies_are_not_guessed() {
    for body in [
        r#"{"messages":[{"text":"no role"}]}"#,
        r#"{"foo":1}"#,
        r#"[1,2]"#,
    ] {
        assert_eq!(
            Api::from_request_body(&parse(body).unwrap()),
            None,
            "{body}"
        );
    }
}

#[test]
fn gemini_bedrock_and_ollama_paths() {
    let cases: &[(&str, Option<Api>)] = &[
        (
            "/v1beta/models/gemini-2.5-flash:generateContent",
            Some(Api::Gemini),
        ),
        (
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            Some(Api::Gemini),
        ),
        (
            "/model/anthropic.claude-3-haiku/converse",
            Some(Api::BedrockConverse),
        ),
        (
            "/model/amazon.nova-pro-v1%3A0/converse-stream",
            Some(Api::BedrockConverse),
        ),
        ("/api/chat", Some(Api::OllamaChat)),
        ("/api/generate", Some(Api::OllamaGenerate)),
        ("/api/tags", None),
    ];
    for (path, want) in cases {
        assert_eq!(Api::from_path(path), *want, "path {path}");
    }
}

#[test]
fn gemini_bedrock_and_ollama_text() {
    type Case<'a> = (Api, &'a str, &'a [(Role, &'a str)], &'a [&'a str]);
    let cases: &[Case<'_>] = &[
        (
            Api::Gemini,
            r#"{"systemInstruction":{"parts":[{"text":"sys"}]},"contents":[{"role":"user","parts":[{"text":"q"},{"inlineData":{}}]},{"role":"model","parts":[{"text":"a"}]}]}"#,
            &[
                (Role::System, "sys"),
                (Role::User, "q"),
                (Role::Assistant, "a"),
            ],
            &[],
        ),
        (
            Api::BedrockConverse,
            r#"{"system":[{"text":"sys"}],"messages":[{"role":"user","content":[{"text":"q"},{"toolResult":{"toolUseId":"t","content":[{"text":"doc"}]}}]}]}"#,
            &[
                (Role::System, "sys"),
                (Role::User, "q"),
                (Role::Tool, "doc"),
            ],
            &[],
        ),
        (
            Api::OllamaChat,
            r#"{"model":"llama3","messages":[{"role":"system","content":"sys"},{"role":"user","content":"q"}]}"#,
            &[(Role::System, "sys"), (Role::User, "q")],
            &[],
        ),
        (
            Api::OllamaGenerate,
            r#"{"model":"llama3","system":"s","prompt":"p"}"#,
            &[(Role::System, "s"), (Role::User, "p")],
            &[],
        ),
    ];
    for (api, body, want, _) in cases {
        let doc = parse(body).unwrap();
        let got: Vec<(Role, String)> = request_segments(*api, &doc)
            .iter()
            .map(|s| (s.role, s.text().to_string()))
            .collect();
        let want: Vec<(Role, String)> = want.iter().map(|(r, t)| (*r, t.to_string())).collect();
        assert_eq!(got, want, "api {api}");
    }
    let responses: &[(Api, &str, &[&str])] = &[
        (
            Api::Gemini,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"hi"},{"text":"there"}]}}]}"#,
            &["hi", "there"],
        ),
        (
            Api::BedrockConverse,
            r#"{"output":{"message":{"role":"assistant","content":[{"text":"b"}]}},"stopReason":"end_turn"}"#,
            &["b"],
        ),
        (
            Api::OllamaChat,
            r#"{"message":{"role":"assistant","content":"o"},"done":true}"#,
            &["o"],
        ),
        (
            Api::OllamaGenerate,
            r#"{"response":"g","done":true}"#,
            &["g"],
        ),
    ];
    for (api, body, want) in responses {
        let doc = parse(body).unwrap();
        let got: Vec<String> = response_segments(*api, &doc)
            .iter()
            .map(|s| s.text().to_string())
            .collect();
        assert_eq!(got, *want, "api {api}");
    }
}

#[test]
fn anthropic_tool_use_input_strings_are_segments() {
    let body = r#"{"content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"t","name":"send","input":{"to":"a@b.co","cc":["c@d.co"],"n":1}}]}"#;
    let doc = parse(body).unwrap();
    let got: Vec<(String, String)> = response_segments(Api::AnthropicMessages, &doc)
        .iter()
        .map(|s| (s.location.clone(), s.text().to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("content[0].text".to_string(), "ok".to_string()),
            ("content[1].input.to".into(), "a@b.co".into()),
            ("content[1].input.cc[0]".into(), "c@d.co".into()),
        ]
    );
}

#[test]
fn segments_know_their_turn() {
    let doc = parse(
        r#"{"system":"s","messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"}]}]}"#,
    )
    .unwrap();
    let turns: Vec<Option<usize>> = request_segments(Api::AnthropicMessages, &doc)
        .iter()
        .map(Segment::turn)
        .collect();
    assert_eq!(turns, vec![None, Some(0), Some(1)]);
    let gemini = parse(r#"{"contents":[{"role":"user","parts":[{"text":"x"}]}]}"#).unwrap();
    assert_eq!(request_segments(Api::Gemini, &gemini)[0].turn(), Some(0));
}

#[test]
fn locations_built_step_by_step() {
    let cases: &[(&str, String, &str)] = &[
        ("a base alone", Loc::at("system").done(), "system"),
        (
            "index then key",
            Loc::at("messages").index(0).key("content").done(),
            "messages[0].content",
        ),
        (
            "indices past one digit",
            Loc::at("a").index(9).index(10).index(1234).done(),
            "a[9][10][1234]",
        ),
        (
            "a dotted key",
            Loc::at("choices")
                .index(2)
                .key("function_call.arguments")
                .done(),
            "choices[2].function_call.arguments",
        ),
        ("an empty key", Loc::at("$").key("").done(), "$."),
    ];
    for (name, got, want) in cases {
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn many_messages_are_located_by_index() {
    let messages: Vec<String> = (0..12)
        .map(|i| format!(r#"{{"role":"user","content":"m{i}"}}"#))
        .collect();
    let body = format!(r#"{{"messages":[{}]}}"#, messages.join(","));
    let doc = parse(&body).unwrap();
    let got = texts(&request_segments(Api::OpenAiChat, &doc));
    let last = got.last().map(|(_, at, text)| (at.as_str(), text.as_str()));
    assert_eq!(got.len(), 12);
    assert_eq!(last, Some(("messages[11].content", "m11")));
}
