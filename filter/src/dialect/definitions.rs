//! Request text that is not a message but that the model reads all the same: the
//! descriptions in tool definitions (where "tool poisoning" hides instructions, e.g. in an
//! MCP server's tool list) and the `name` of a message.

use super::{Loc, Role, Segment};
use crate::json::Value;

/// Every `description` string in the request's tool definitions (`tools`, legacy
/// `functions`, Bedrock `toolConfig.tools`), at any depth (parameter schemas carry them too),
/// as tool-supplied text; and every message `name`, in its message's role.
pub fn definitions<'d>(doc: &'d Value, out: &mut Vec<Segment<'d>>) {
    for key in ["tools", "functions"] {
        for (i, tool) in doc.get_all(key).flat_map(items).enumerate() {
            descriptions(tool, &Loc::at(key).index(i).done(), out);
        }
    }
    if let Some(tools) = doc.get("toolConfig").and_then(|c| c.get("tools")) {
        for (i, tool) in items(tools).enumerate() {
            descriptions(tool, &Loc::at("toolConfig.tools").index(i).done(), out);
        }
    }
    for (i, m) in doc
        .get("messages")
        .map(items)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for name in m.get_all("name") {
            if let Some(literal) = name.as_str() {
                out.push(Segment {
                    role: Role::of(m, Role::Other),
                    literal,
                    location: Loc::at("messages").index(i).key("name").done(),
                });
            }
        }
    }
}

fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().unwrap_or_default().iter()
}

fn descriptions<'d>(v: &'d Value, at: &str, out: &mut Vec<Segment<'d>>) {
    match v {
        Value::Object(members) => {
            for (k, item) in members {
                let here = Loc::at(at).key(&k.text).done();
                match item.as_str() {
                    Some(literal) if k.text == "description" => out.push(Segment {
                        role: Role::Tool,
                        literal,
                        location: here,
                    }),
                    _ => descriptions(item, &here, out),
                }
            }
        }
        Value::Array(list) => {
            for (i, item) in list.iter().enumerate() {
                descriptions(item, &Loc::at(at).index(i).done(), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn tool_descriptions_at_any_depth_and_message_names() {
        let doc = parse(
            r#"{"messages":[{"role":"user","name":"alice","content":"hi"}],
                "tools":[{"type":"function","function":{"name":"f","description":"top",
                  "parameters":{"type":"object","properties":{"q":{"type":"string","description":"deep"}}}}}],
                "toolConfig":{"tools":[{"toolSpec":{"name":"g","description":"bedrock"}}]}}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        definitions(&doc, &mut out);
        let got: Vec<(Role, &str, &str)> = out
            .iter()
            .map(|s| (s.role, s.text(), s.location.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Role::Tool, "top", "tools[0].function.description"),
                (
                    Role::Tool,
                    "deep",
                    "tools[0].function.parameters.properties.q.description"
                ),
                (
                    Role::Tool,
                    "bedrock",
                    "toolConfig.tools[0].toolSpec.description"
                ),
                (Role::User, "alice", "messages[0].name"),
            ]
        );
    }
}
