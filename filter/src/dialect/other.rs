//! Text locations in Gemini and Bedrock Converse bodies (Ollama's are chat-shaped and handled
//! by the chat walker).

use super::{Loc, Role, Segment};
use crate::json::Value;

/// The `text` of every part, and the strings in the arguments of tool calls (Gemini
/// `functionCall.args`, Bedrock `toolUse.input`): a secret handed to a tool is a leak too.
fn parts_text<'d>(parts: Option<&'d Value>, at: &str, role: Role, out: &mut Vec<Segment<'d>>) {
    let Some(parts) = parts.and_then(Value::as_array) else {
        return;
    };
    for (j, part) in parts.iter().enumerate() {
        if let Some(call) = part.get("functionCall") {
            let here = Loc::at(at).index(j).key("functionCall.args").done();
            super::chat::strings_in(call.get("args"), &here, role, out);
        }
        if let Some(call) = part.get("toolUse") {
            let here = Loc::at(at).index(j).key("toolUse.input").done();
            super::chat::strings_in(call.get("input"), &here, role, out);
        }
        for text in part.get_all("text") {
            if let Some(literal) = text.as_str() {
                out.push(Segment {
                    role,
                    literal,
                    location: Loc::at(at).index(j).key("text").done(),
                });
            }
        }
    }
}

/// Gemini: `systemInstruction.parts[].text`, `contents[].parts[].text` (role `user`/`model`).
pub fn gemini_request<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    if let Some(si) = doc
        .get("systemInstruction")
        .or_else(|| doc.get("system_instruction"))
    {
        parts_text(
            si.get("parts"),
            "systemInstruction.parts",
            Role::System,
            out,
        );
    }
    let Some(contents) = doc.get("contents").and_then(Value::as_array) else {
        return;
    };
    for (i, c) in contents.iter().enumerate() {
        let role = Role::of(c, Role::User);
        parts_text(
            c.get("parts"),
            &Loc::at("contents").index(i).key("parts").done(),
            role,
            out,
        );
    }
}

/// Gemini: `candidates[].content.parts[].text`.
pub fn gemini_response<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    let Some(candidates) = doc.get("candidates").and_then(Value::as_array) else {
        return;
    };
    for (i, c) in candidates.iter().enumerate() {
        let parts = c.get("content").and_then(|content| content.get("parts"));
        parts_text(
            parts,
            &Loc::at("candidates").index(i).key("content.parts").done(),
            Role::Assistant,
            out,
        );
    }
}

/// Bedrock Converse: `system[].text`, `messages[].content[].text`, and the text of
/// `toolResult.content[]` (indirect injection arrives there).
pub fn bedrock_request<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    parts_text(doc.get("system"), "system", Role::System, out);
    let Some(messages) = doc.get("messages").and_then(Value::as_array) else {
        return;
    };
    for (i, m) in messages.iter().enumerate() {
        let role = Role::of(m, Role::Other);
        let at = Loc::at("messages").index(i).key("content").done();
        parts_text(m.get("content"), &at, role, out);
        for (j, block) in m
            .get("content")
            .and_then(Value::as_array)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(result) = block.get("toolResult") {
                parts_text(
                    result.get("content"),
                    &Loc::at(&at).index(j).key("toolResult.content").done(),
                    Role::Tool,
                    out,
                );
            }
        }
    }
}

/// Bedrock Converse: `output.message.content[].text`.
pub fn bedrock_response<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    let content = doc
        .get("output")
        .and_then(|o| o.get("message"))
        .and_then(|m| m.get("content"));
    parts_text(content, "output.message.content", Role::Assistant, out);
    // Reasoning blocks (`reasoningContent.reasoningText.text`) are model text too.
    let blocks = content.and_then(Value::as_array).unwrap_or_default();
    for (i, block) in blocks.iter().enumerate() {
        let reasoning = block
            .get("reasoningContent")
            .and_then(|r| r.get("reasoningText"))
            .and_then(|r| r.get("text"));
        if let Some(literal) = reasoning.and_then(Value::as_str) {
            out.push(Segment {
                role: Role::Assistant,
                literal,
                location: Loc::at("output.message.content")
                    .index(i)
                    .key("reasoningContent.reasoningText.text")
                    .done(),
            });
        }
    }
}
