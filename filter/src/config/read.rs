//! Reading the config's JSON tree into typed values, with errors that name the field path.
//!
//! Why not serde: its derived deserialisers were about 160 KB of the Wasm module's 1.05 MB of
//! code, one monomorphised visitor per struct, field and container type, all compiled by V8's
//! optimising compiler in every Envoy at start-up, for a document read once. This reader (with
//! `parse.rs`, about 28 KB) walks the tree `crate::json` already parses (strict RFC 8259,
//! nesting bounded) through a handful of non-generic functions, and keeps serde's rules and
//! words: unknown and duplicate fields are errors (a misspelt guard setting must never be
//! silently ignored), `null` means the field is unset, integers must fit their type, and each
//! error says what was found and expected. Unlike serde it goes on after an error, so one run
//! lists every problem of a config.

use super::ConfigError;
use crate::json::{self, Str, Value};

/// Reads a document; collects every error on the way.
pub(super) struct Reader<'a> {
    /// The config text: the source of the line and column of some errors, and of the raw
    /// JSON kept verbatim (`tools.arguments[].allowed`).
    src: &'a str,
    pub errors: Vec<ConfigError>,
}

/// A value of the document and where it sits.
pub(super) struct Node<'a> {
    pub value: &'a Value,
    /// `policies.strict.request.denyPatterns[1]`; empty for the document itself.
    pub path: String,
    /// The member key the value belongs to (`None` for array elements and the document).
    pub key: Option<&'a Str>,
}

/// A config enum spelt in JSON by name (`"block"`, `"redact"`): `NAMES[i]` spells `VALUES[i]`.
pub(super) trait Named: Copy + 'static {
    const NAMES: &'static [&'static str];
    const VALUES: &'static [Self];
}

/// A struct field made from what was read: an `Option` field is what was read; a required or
/// defaulted field is its default when nothing valid was read (the error says why).
pub(super) trait Field<T> {
    fn from_read(value: Option<T>) -> Self;
}

impl<T> Field<T> for Option<T> {
    fn from_read(value: Option<T>) -> Self {
        value
    }
}

/// Implements `Field` for field types that are not `Option`s.
macro_rules! plain_fields {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::config::read::Field<$t> for $t {
            fn from_read(value: Option<$t>) -> Self {
                value.unwrap_or_default()
            }
        }
    )*};
}
pub(super) use plain_fields;

/// The reader of one struct: each JSON field name with the struct field it fills and the
/// function that reads it. The names listed are exactly the names accepted (the unknown-field
/// error lists them), and the struct literal this builds must name every field of the struct,
/// so a spec field cannot lack its JSON name. Fields in `required` must be present.
///
/// ```ignore
/// read_struct!(r, node, AuditSpec {
///     "level" => level: Reader::choice,
///     "includeAllowed" => include_allowed: Reader::bool,
/// })
/// ```
macro_rules! read_struct {
    ($r:expr, $node:expr, $ty:ident {
        $($name:literal => $field:ident : $read:expr),* $(,)?
    } $(required $($required:literal),*)?) => {{
        let r: &mut $crate::config::read::Reader<'_> = $r;
        let required: &[&str] = &[$($($required),*)?];
        // One slot per name, in this order; the struct literal takes them in the same order.
        let slots = r.fields(&$node, &[$($name),*], required)?;
        let mut slots = slots.iter();
        Some($ty {
            $($field: $crate::config::read::Field::from_read(
                slots.next().and_then(Option::as_ref).and_then(|n| $read(r, n)),
            ),)*
        })
    }};
}
pub(super) use read_struct;

// The readers are `inline(never)`: the config is read once per update, and a call per field
// keeps each struct's reader a short list of calls instead of the readers' bodies copied into
// one large function per struct (V8 compiles every function of the module at start-up).
impl<'a> Reader<'a> {
    pub fn new(src: &'a str) -> Reader<'a> {
        Reader {
            src,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(ConfigError::new(path, message));
    }

    /// ` at line L column C`, C being the column of the byte before `offset` (in bytes, as
    /// serde_json counts: it names the last byte it read).
    pub fn position(&self, offset: usize) -> String {
        let before = self.src.get(..offset).unwrap_or(self.src);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        format!(
            " at line {line} column {}",
            offset.saturating_sub(line_start)
        )
    }

    /// Reports that `node` is not what `expected` names (`a string`, `u64`, `a map`).
    fn mismatch(&mut self, node: &Node<'_>, expected: &str) {
        let found = match node.value {
            Value::Null => "null".to_string(),
            Value::Bool(b) => format!("boolean `{b}`"),
            Value::Number(range) => {
                let text = self.src.get(range.clone()).unwrap_or_default();
                if text.contains(['.', 'e', 'E']) {
                    format!("floating point `{text}`")
                } else {
                    format!("integer `{text}`")
                }
            }
            Value::String(s) => format!("string {:?}", s.text),
            Value::Array(_) => "sequence".to_string(),
            Value::Object(_) => "map".to_string(),
        };
        self.error(
            &node.path,
            format!("invalid type: {found}, expected {expected}"),
        );
    }

    /// The members of the object `node` by field: slot `i` holds the member named `fields[i]`,
    /// `None` when it is absent or `null` (unset). Unknown and repeated names are reported, and
    /// absent `required` ones; `None` when `node` is not an object.
    pub fn fields(
        &mut self,
        node: &Node<'a>,
        fields: &[&str],
        required: &[&str],
    ) -> Option<Vec<Option<Node<'a>>>> {
        let members = self.members(node)?;
        let mut slots: Vec<Option<Node<'a>>> = fields.iter().map(|_| None).collect();
        let mut present = Vec::with_capacity(members.len());
        for m in members {
            let Some(key) = m.key else { continue };
            let Some(slot) = fields
                .iter()
                .position(|f| *f == key.text)
                .and_then(|i| slots.get_mut(i))
            else {
                let expected = match fields {
                    [] => "there are no fields".to_string(),
                    [one] => format!("expected `{one}`"),
                    [a, b] => format!("expected `{a}` or `{b}`"),
                    _ => format!("expected one of `{}`", fields.join("`, `")),
                };
                let at = self.position(key.span.end);
                self.error(
                    &m.path,
                    format!("unknown field `{}`, {expected}{at}", key.text),
                );
                continue;
            };
            present.push(key.text.as_str());
            if !matches!(m.value, Value::Null) {
                *slot = Some(m);
            }
        }
        for name in required {
            if !present.contains(name) {
                self.error(&node.path, format!("missing field `{name}`"));
            }
        }
        Some(slots)
    }

    /// Every member of the object `node`, with its path (`<path>.<key>`); a key given twice
    /// is reported (which of the two would count is not obvious to a reader of the config).
    fn members(&mut self, node: &Node<'a>) -> Option<Vec<Node<'a>>> {
        let Value::Object(members) = node.value else {
            self.mismatch(node, "a map");
            return None;
        };
        let mut out: Vec<Node<'a>> = Vec::with_capacity(members.len());
        for (key, value) in members {
            let path = if node.path.is_empty() {
                key.text.clone()
            } else {
                format!("{}.{}", node.path, key.text)
            };
            if out
                .iter()
                .any(|m| m.key.is_some_and(|k| k.text == key.text))
            {
                let at = self.position(key.span.end);
                self.error(&path, format!("duplicate field `{}`{at}", key.text));
                continue;
            }
            out.push(Node {
                value,
                path,
                key: Some(key),
            });
        }
        Some(out)
    }

    /// A JSON object of names to values that `read` reads (`policies`, `byType`), in
    /// document order.
    #[inline(never)]
    pub fn map<T>(
        &mut self,
        node: &Node<'a>,
        read: fn(&mut Reader<'a>, &Node<'a>) -> Option<T>,
    ) -> Option<Vec<(String, T)>> {
        let members = self.members(node)?;
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            let name = m.key.map(|k| k.text.clone()).unwrap_or_default();
            if let Some(v) = read(self, &m) {
                out.push((name, v));
            }
        }
        Some(out)
    }

    /// The elements of the array `node`, with their paths (`<path>[i]`).
    fn elements(&mut self, node: &Node<'a>) -> Option<Vec<Node<'a>>> {
        let Value::Array(items) = node.value else {
            self.mismatch(node, "a sequence");
            return None;
        };
        Some(
            items
                .iter()
                .enumerate()
                .map(|(i, value)| Node {
                    value,
                    path: format!("{}[{i}]", node.path),
                    key: None,
                })
                .collect(),
        )
    }

    /// A JSON array whose elements `read` reads. An element that cannot be read is left out
    /// (its error is reported), so later checks see the rest.
    #[inline(never)]
    pub fn list<T>(
        &mut self,
        node: &Node<'a>,
        read: fn(&mut Reader<'a>, &Node<'a>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.elements(node)?;
        Some(items.iter().filter_map(|n| read(self, n)).collect())
    }

    #[inline(never)]
    pub fn strings(&mut self, node: &Node<'a>) -> Option<Vec<String>> {
        self.list(node, Reader::string)
    }

    #[inline(never)]
    pub fn string(&mut self, node: &Node<'a>) -> Option<String> {
        match node.value {
            Value::String(s) => Some(s.text.clone()),
            _ => {
                self.mismatch(node, "a string");
                None
            }
        }
    }

    #[inline(never)]
    pub fn bool(&mut self, node: &Node<'a>) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.mismatch(node, "a boolean");
                None
            }
        }
    }

    /// A non-negative integer no larger than `max` (the range of `ty`, serde's name for it).
    fn unsigned(&mut self, node: &Node<'a>, max: u64, ty: &str) -> Option<u64> {
        let text = match node.value {
            Value::Number(range) => self.src.get(range.clone()).unwrap_or_default(),
            _ => "",
        };
        if text.is_empty() || text.contains(['.', 'e', 'E']) {
            self.mismatch(node, ty);
            return None;
        }
        match text.parse::<u64>() {
            Ok(n) if n <= max => Some(n),
            _ => {
                self.error(
                    &node.path,
                    format!("invalid value: integer `{text}`, expected {ty}"),
                );
                None
            }
        }
    }

    #[inline(never)]
    pub fn u64(&mut self, node: &Node<'a>) -> Option<u64> {
        self.unsigned(node, u64::MAX, "u64")
    }

    #[inline(never)]
    pub fn u32(&mut self, node: &Node<'a>) -> Option<u32> {
        let n = self.unsigned(node, u64::from(u32::MAX), "u32")?;
        u32::try_from(n).ok()
    }

    #[inline(never)]
    pub fn u16(&mut self, node: &Node<'a>) -> Option<u16> {
        let n = self.unsigned(node, u64::from(u16::MAX), "u16")?;
        u16::try_from(n).ok()
    }

    /// Any JSON number, read as serde_json reads an `f32`: parsed as `f64`, then narrowed.
    #[inline(never)]
    pub fn f32(&mut self, node: &Node<'a>) -> Option<f32> {
        let parsed = match node.value {
            Value::Number(range) => self
                .src
                .get(range.clone())
                .and_then(|t| t.parse::<f64>().ok()),
            _ => None,
        };
        match parsed {
            // Thresholds are f32 in the engine; serde_json narrows the same way.
            Some(v) => Some(v as f32),
            None => {
                self.mismatch(node, "f32");
                None
            }
        }
    }

    /// One of an enum's JSON names.
    #[inline(never)]
    pub fn choice<T: Named>(&mut self, node: &Node<'a>) -> Option<T> {
        let i = self.name_index(node, T::NAMES)?;
        T::VALUES.get(i).copied()
    }

    /// The index in `names` of the string `node`.
    fn name_index(&mut self, node: &Node<'a>, names: &[&str]) -> Option<usize> {
        let Value::String(s) = node.value else {
            self.mismatch(node, "a string");
            return None;
        };
        let found = names.iter().position(|name| *name == s.text);
        if found.is_none() {
            self.unknown_variant(&node.path, &s.text, names);
        }
        found
    }

    fn unknown_variant(&mut self, path: &str, found: &str, names: &[&str]) {
        let expected = match names {
            [a, b] => format!("`{a}` or `{b}`"),
            _ => format!("one of `{}`", names.join("`, `")),
        };
        self.error(
            path,
            format!("unknown variant `{found}`, expected {expected}"),
        );
    }

    /// An array of any JSON values, as `serde_json::Value`s (what the tool-argument checks
    /// compare with). They are read from their own source text, so numbers keep serde_json's
    /// meaning.
    #[inline(never)]
    pub fn json_values(&mut self, node: &Node<'a>) -> Option<Vec<serde_json::Value>> {
        let items = self.elements(node)?;
        let start = node.key.and_then(|k| json::after_colon(self.src, k));
        let spans = start.and_then(|s| json::element_spans(self.src, s));
        let Some(spans) = spans.filter(|s| s.len() == items.len()) else {
            self.error(&node.path, "could not locate the values in the config text");
            return None;
        };
        let mut out = Vec::with_capacity(spans.len());
        for (item, span) in items.iter().zip(spans) {
            match serde_json::from_str(self.src.get(span).unwrap_or_default()) {
                Ok(v) => out.push(v),
                // serde_json's position is within the value alone: the path says where it is.
                Err(e) => {
                    let message = e.to_string();
                    let message = message.split(" at line ").next().unwrap_or_default();
                    self.error(&item.path, message);
                }
            }
        }
        Some(out)
    }
}
