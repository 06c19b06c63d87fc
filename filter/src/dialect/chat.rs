//! Text locations in OpenAI and Anthropic bodies. Both put text either in a plain string or in
//! an array of typed parts carrying a `text` field, so one walker serves both.

use super::{Loc, Role, Segment};
use crate::json::Value;

fn push<'d>(out: &mut Vec<Segment<'d>>, role: Role, v: &'d Value, location: String) {
    if let Some(literal) = v.as_str() {
        out.push(Segment {
            role,
            literal,
            location,
        });
    }
}

/// `content` as a string or an array of parts (`text`, `input_text`, `output_text`,
/// Anthropic `tool_result` with nested content, tool-call `arguments`).
pub fn content<'d>(v: Option<&'d Value>, at: &str, role: Role, out: &mut Vec<Segment<'d>>) {
    let Some(v) = v else { return };
    if v.as_str().is_some() {
        push(out, role, v, at.to_string());
        return;
    }
    let Some(parts) = v.as_array() else { return };
    for (i, part) in parts.iter().enumerate() {
        let here = Loc::at(at).index(i).done();
        if part.as_str().is_some() {
            push(out, role, part, here);
            continue;
        }
        for text in part.get_all("text") {
            push(out, role, text, Loc::at(&here).key("text").done());
        }
        let kind = part
            .get("type")
            .and_then(Value::as_str)
            .map(|t| t.text.as_str());
        if kind == Some("tool_result") {
            content(
                part.get("content"),
                &Loc::at(&here).key("content").done(),
                Role::Tool,
                out,
            );
        }
        if kind == Some("tool_use") {
            // Tool arguments as a JSON object: every string in it can carry a secret.
            strings_in(
                part.get("input"),
                &Loc::at(&here).key("input").done(),
                Role::Assistant,
                out,
            );
        }
    }
}

/// Every string value under `v` (objects and arrays walked, keys not), e.g. tool arguments.
pub(super) fn strings_in<'d>(
    v: Option<&'d Value>,
    at: &str,
    role: Role,
    out: &mut Vec<Segment<'d>>,
) {
    match v {
        Some(Value::String(literal)) => out.push(Segment {
            role,
            literal,
            location: at.to_string(),
        }),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                strings_in(Some(item), &Loc::at(at).index(i).done(), role, out);
            }
        }
        Some(Value::Object(members)) => {
            for (k, item) in members {
                strings_in(Some(item), &Loc::at(at).key(&k.text).done(), role, out);
            }
        }
        _ => {}
    }
}

/// Every string value of a document (the generic fallback), located by JSON path.
pub fn every_string<'d>(doc: &'d Value, role: Role, out: &mut Vec<Segment<'d>>) {
    strings_in(Some(doc), "$", role, out);
}

/// Chat requests: Anthropic's top-level `system`, then every message's content and the
/// arguments of tool calls an assistant message carries.
pub fn request<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    content(doc.get("system"), "system", Role::System, out);
    let Some(messages) = doc.get("messages").and_then(Value::as_array) else {
        return;
    };
    for (i, m) in messages.iter().enumerate() {
        let role = Role::of(m, Role::Other);
        for c in m.get_all("content") {
            content(
                Some(c),
                &Loc::at("messages").index(i).key("content").done(),
                role,
                out,
            );
        }
        tool_call_arguments(m, &Loc::at("messages").index(i).done(), out);
    }
}

fn tool_call_arguments<'d>(message: &'d Value, at: &str, out: &mut Vec<Segment<'d>>) {
    let Some(calls) = message.get("tool_calls").and_then(Value::as_array) else {
        return;
    };
    for (j, call) in calls.iter().enumerate() {
        if let Some(args) = call.get("function").and_then(|f| f.get("arguments")) {
            push(
                out,
                Role::Assistant,
                args,
                Loc::at(at)
                    .key("tool_calls")
                    .index(j)
                    .key("function.arguments")
                    .done(),
            );
        }
    }
}

/// A field holding a string or an array of strings (`prompt`, `input`).
pub fn strings<'d>(doc: &'d Value, key: &str, role: Role, out: &mut Vec<Segment<'d>>) {
    let Some(v) = doc.get(key) else { return };
    if v.as_str().is_some() {
        push(out, role, v, key.to_string());
    } else if let Some(items) = v.as_array() {
        for (i, item) in items.iter().enumerate() {
            push(out, role, item, Loc::at(key).index(i).done());
        }
    }
}

/// Responses API requests: `instructions`, and `input` as a string or a list of items.
pub fn responses_request<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    if let Some(v) = doc.get("instructions") {
        push(out, Role::System, v, "instructions".to_string());
    }
    let Some(input) = doc.get("input") else {
        return;
    };
    if input.as_str().is_some() {
        push(out, Role::User, input, "input".to_string());
        return;
    }
    let Some(items) = input.as_array() else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let role = match item
            .get("type")
            .and_then(Value::as_str)
            .map(|t| t.text.as_str())
        {
            Some("function_call_output") => Role::Tool,
            _ => Role::of(item, Role::Other),
        };
        content(
            item.get("content"),
            &Loc::at("input").index(i).key("content").done(),
            role,
            out,
        );
        if let Some(o) = item.get("output") {
            push(
                out,
                Role::Tool,
                o,
                Loc::at("input").index(i).key("output").done(),
            );
        }
    }
}

pub fn openai_chat_response<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    let Some(choices) = doc.get("choices").and_then(Value::as_array) else {
        return;
    };
    for (i, choice) in choices.iter().enumerate() {
        let Some(message) = choice.get("message") else {
            continue;
        };
        let at = Loc::at("choices").index(i).key("message").done();
        content(
            message.get("content"),
            &Loc::at(&at).key("content").done(),
            Role::Assistant,
            out,
        );
        tool_call_arguments(message, &at, out);
        // Text outside `content` that the model wrote: a refusal, reasoning (DeepSeek, vLLM),
        // and the deprecated single `function_call`.
        for field in ["refusal", "reasoning_content", "reasoning"] {
            if let Some(v) = message.get(field) {
                push(out, Role::Assistant, v, Loc::at(&at).key(field).done());
            }
        }
        if let Some(args) = message
            .get("function_call")
            .and_then(|f| f.get("arguments"))
        {
            push(
                out,
                Role::Assistant,
                args,
                Loc::at(&at).key("function_call.arguments").done(),
            );
        }
    }
}

/// Anthropic Messages responses: the content blocks, the text of `thinking` blocks, and the
/// `cited_text` of citations (it quotes the source documents, which may hold what the
/// answer's own text does not).
pub fn anthropic_response<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    content(doc.get("content"), "content", Role::Assistant, out);
    let blocks = doc
        .get("content")
        .and_then(Value::as_array)
        .unwrap_or_default();
    for (i, block) in blocks.iter().enumerate() {
        if let Some(v) = block.get("thinking") {
            push(
                out,
                Role::Assistant,
                v,
                Loc::at("content").index(i).key("thinking").done(),
            );
        }
        let at = Loc::at("content").index(i).key("citations").done();
        field_of_each(block.get("citations"), &at, "cited_text", out);
    }
}

/// The string member `field` of each object in the array `list` (model text), located as
/// `{at}[j].{field}`.
fn field_of_each<'d>(list: Option<&'d Value>, at: &str, field: &str, out: &mut Vec<Segment<'d>>) {
    let items = list.and_then(Value::as_array).unwrap_or_default();
    for (j, item) in items.iter().enumerate() {
        if let Some(v) = item.get(field) {
            push(
                out,
                Role::Assistant,
                v,
                Loc::at(at).index(j).key(field).done(),
            );
        }
    }
}

pub fn openai_completions_response<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    field_of_each(doc.get("choices"), "choices", "text", out);
}

/// Responses API output: message items' `output_text` parts and function-call arguments.
pub fn responses_output<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    let Some(items) = doc.get("output").and_then(Value::as_array) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        content(
            item.get("content"),
            &Loc::at("output").index(i).key("content").done(),
            Role::Assistant,
            out,
        );
        if let Some(args) = item.get("arguments") {
            push(
                out,
                Role::Assistant,
                args,
                Loc::at("output").index(i).key("arguments").done(),
            );
        }
        // Refusal parts, and the summaries of reasoning items.
        let at = Loc::at("output").index(i).done();
        field_of_each(
            item.get("content"),
            &Loc::at(&at).key("content").done(),
            "refusal",
            out,
        );
        field_of_each(
            item.get("summary"),
            &Loc::at(&at).key("summary").done(),
            "text",
            out,
        );
    }
}

/// Ollama `/api/chat` responses: the message's content and thinking, and the arguments of its
/// tool calls (JSON objects: every string in them).
pub fn ollama_chat_response<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    let Some(m) = doc.get("message") else { return };
    content(m.get("content"), "message.content", Role::Assistant, out);
    if let Some(v) = m.get("thinking") {
        push(out, Role::Assistant, v, "message.thinking".to_string());
    }
    let calls = m.get("tool_calls").and_then(Value::as_array);
    for (j, call) in calls.unwrap_or_default().iter().enumerate() {
        let args = call.get("function").and_then(|f| f.get("arguments"));
        let at = Loc::at("message.tool_calls")
            .index(j)
            .key("function.arguments")
            .done();
        strings_in(args, &at, Role::Assistant, out);
    }
}
