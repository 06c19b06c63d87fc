//! Shared test machinery: a deterministic PRNG, the detector, an independent reference SSE
//! parser and per-dialect client accumulators (what an SDK would assemble from a stream).

use crate::detect::entities::EntityScanner;
use crate::detect::{resolve_overlaps, Finding};
use crate::entity::EntityType;
use crate::stream::redactor::Detector;
use crate::stream::StreamApi;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// splitmix64: small, deterministic, good enough to pick split points.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Splits `bytes` at random points: sometimes byte by byte, sometimes a few big pieces.
pub fn random_chunks<'a>(rng: &mut Rng, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    let max = match rng.below(4) {
        0 => 1,
        1 => 4,
        2 => 64,
        _ => 1 + bytes.len() / 3,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let n = 1 + rng.below(max.max(1));
        let end = (i + n).min(bytes.len());
        out.push(&bytes[i..end]);
        i = end;
    }
    out
}

/// Splits a string into random pieces on char boundaries.
pub fn random_pieces(rng: &mut Rng, text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut n = (1 + rng.below(max)).min(rest.len());
        while !rest.is_char_boundary(n) {
            n += 1;
        }
        out.push(rest[..n].to_owned());
        rest = &rest[n..];
    }
    out
}

/// A PEM private-key finder for as long as the built-in detectors have none.
fn pem_findings(text: &str, out: &mut Vec<Finding>) {
    let mut from = 0;
    while let Some(i) = text[from..].find("-----BEGIN ") {
        let start = from + i;
        let after = start + "-----BEGIN ".len();
        from = after;
        let Some(n) = text[after..].find("-----") else {
            continue;
        };
        let label = &text[after..after + n];
        if !label.ends_with("PRIVATE KEY") || label.len() > 40 || label.contains('\n') {
            continue;
        }
        let end_line = format!("-----END {label}-----");
        let body_start = after + n + 5;
        let Some(j) = text[body_start..].find("-----") else {
            continue;
        };
        if text[body_start + j..].starts_with(&end_line) {
            let end = body_start + j + end_line.len();
            out.push(Finding {
                entity: EntityType::PrivateKey,
                span: start..end,
            });
            from = end;
        }
    }
}

/// The real entity scanner (every type), plus a PEM finder while the built-in one is missing.
pub fn detector() -> Box<dyn Detector> {
    static SCANNER: OnceLock<EntityScanner> = OnceLock::new();
    let scanner = SCANNER.get_or_init(|| EntityScanner::new(EntityType::ALL).unwrap());
    let add_pem = !EntityType::PrivateKey.is_implemented();
    Box::new(move |text: &str, out: &mut Vec<Finding>| {
        let first = out.len();
        scanner.scan(text, out);
        if add_pem {
            pem_findings(text, out);
            let mut mine = out.split_off(first);
            resolve_overlaps(&mut mine);
            out.append(&mut mine);
        }
    })
}

/// What a buffered scan of the whole text gives.
pub fn reference_redact(det: &dyn Detector, text: &str) -> String {
    let mut findings = Vec::new();
    det.scan(text, &mut findings);
    crate::detect::labelled(text, &findings)
}

/// One event as a client sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientEvent {
    pub event: Option<String>,
    pub data: String,
}

/// An independent, whole-input WHATWG parser. Fails on a stream that does not end with a
/// blank line (an event a client would drop).
pub fn parse_sse(bytes: &[u8]) -> Result<Vec<ClientEvent>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let mut terminated = true;
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut cur));
                terminated = true;
            }
            '\n' => {
                lines.push(std::mem::take(&mut cur));
                terminated = true;
            }
            c => {
                cur.push(c);
                terminated = false;
            }
        }
    }
    if !terminated {
        return Err(format!("stream ends inside a line: {cur:?}"));
    }
    let mut events = Vec::new();
    let (mut event, mut data, mut has_data) = (None, String::new(), false);
    let mut pending = false;
    for line in lines {
        if line.is_empty() {
            if has_data {
                data.pop();
                events.push(ClientEvent {
                    event: event.take(),
                    data: std::mem::take(&mut data),
                });
            }
            event = None;
            data.clear();
            has_data = false;
            pending = false;
            continue;
        }
        pending = true;
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line.as_str(), ""),
        };
        match name {
            "event" => event = Some(value.to_owned()),
            "data" => {
                data.push_str(value);
                data.push('\n');
                has_data = true;
            }
            _ => {}
        }
    }
    if pending && has_data {
        return Err("stream ends inside an event".into());
    }
    Ok(events)
}

pub fn parse_ndjson(bytes: &[u8]) -> Result<Vec<ClientEvent>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("unterminated last line".into());
    }
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| ClientEvent {
            event: None,
            data: l.to_owned(),
        })
        .collect())
}

fn json(data: &str) -> Result<Value, String> {
    serde_json::from_str(data).map_err(|e| format!("invalid JSON {data:?}: {e}"))
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

/// The texts a client assembles, by stream key, after checking the stream is well formed for
/// its API.
pub fn client_texts(api: StreamApi, bytes: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let events = match api {
        StreamApi::Ollama => parse_ndjson(bytes)?,
        _ => parse_sse(bytes)?,
    };
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    fn add_to(texts: &mut BTreeMap<String, String>, k: String, t: &str) {
        texts.entry(k).or_default().push_str(t);
    }
    macro_rules! add {
        ($k:expr, $t:expr) => {
            add_to(&mut texts, $k, $t)
        };
    }
    match api {
        StreamApi::OpenAiChat => {
            let mut done = false;
            let mut names: BTreeMap<String, usize> = BTreeMap::new();
            for ev in &events {
                if done {
                    return Err("event after [DONE]".into());
                }
                if ev.data == "[DONE]" {
                    done = true;
                    continue;
                }
                let v = json(&ev.data)?;
                if v.get("error").is_some() {
                    continue;
                }
                for (pos, c) in v["choices"]
                    .as_array()
                    .ok_or("no choices")?
                    .iter()
                    .enumerate()
                {
                    let i = c["index"].as_u64().unwrap_or(pos as u64);
                    let d = &c["delta"];
                    for (f, tag) in [
                        ("content", "c"),
                        ("refusal", "r"),
                        ("reasoning_content", "z"),
                        ("reasoning", "y"),
                    ] {
                        if let Some(t) = d.get(f).and_then(s) {
                            add!(format!("{tag}{i}"), t);
                        }
                    }
                    if let Some(t) = d["function_call"]["arguments"].as_str() {
                        add!(format!("fc{i}"), t);
                    }
                    for tc in d["tool_calls"].as_array().into_iter().flatten() {
                        let j = tc["index"].as_u64().ok_or("tool call without index")?;
                        if let Some(t) = tc["function"]["arguments"].as_str() {
                            add!(format!("t{i}.{j}"), t);
                        }
                        if tc["function"].get("name").is_some() {
                            *names.entry(format!("{i}.{j}")).or_default() += 1;
                        }
                    }
                }
            }
            if !done {
                return Err("no [DONE]".into());
            }
            if names.values().any(|&n| n > 1) {
                return Err("a tool call's name was sent twice".into());
            }
        }
        StreamApi::OpenAiResponses => {
            let mut last_seq: Option<u64> = None;
            for ev in &events {
                let v = json(&ev.data)?;
                let ty = v["type"].as_str().ok_or("no type")?;
                if ev.event.as_deref() != Some(ty) {
                    return Err(format!("event name {:?} != type {ty}", ev.event));
                }
                if let Some(n) = v["sequence_number"].as_u64() {
                    if last_seq.is_some_and(|l| n <= l) {
                        return Err(format!("sequence_number {n} after {last_seq:?}"));
                    }
                    last_seq = Some(n);
                }
                let oi = v["output_index"].as_u64().unwrap_or(0);
                let ci = v["content_index"].as_u64().unwrap_or(0);
                match ty {
                    "response.output_text.delta" => {
                        add!(format!("m{oi}.{ci}"), s(&v["delta"]).ok_or("delta")?)
                    }
                    "response.function_call_arguments.delta" => {
                        add!(format!("f{oi}"), s(&v["delta"]).ok_or("delta")?)
                    }
                    "response.reasoning_text.delta" => {
                        add!(format!("rt{oi}.{ci}"), s(&v["delta"]).ok_or("delta")?)
                    }
                    _ => {}
                }
                // A `.done` text must equal what the deltas assembled.
                let check = |k: String, full: Option<&str>, texts: &BTreeMap<String, String>| {
                    let got = texts.get(&k).map(String::as_str).unwrap_or("");
                    match full {
                        Some(f) if f != got => {
                            Err(format!("{ty}: done text {f:?} != deltas {got:?}"))
                        }
                        _ => Ok(()),
                    }
                };
                match ty {
                    "response.output_text.done" => {
                        check(format!("m{oi}.{ci}"), s(&v["text"]), &texts)?
                    }
                    "response.function_call_arguments.done" => {
                        check(format!("f{oi}"), s(&v["arguments"]), &texts)?
                    }
                    "response.reasoning_text.done" => {
                        check(format!("rt{oi}.{ci}"), s(&v["text"]), &texts)?
                    }
                    "response.completed" => {
                        for (oi, item) in v["response"]["output"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .enumerate()
                        {
                            check(format!("f{oi}"), item.get("arguments").and_then(s), &texts)?;
                            for (ci, part) in
                                item["content"].as_array().into_iter().flatten().enumerate()
                            {
                                check(format!("m{oi}.{ci}"), part.get("text").and_then(s), &texts)?;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        StreamApi::AnthropicMessages => {
            let mut open: BTreeMap<u64, bool> = BTreeMap::new();
            for ev in &events {
                let v = json(&ev.data)?;
                let ty = v["type"].as_str().ok_or("no type")?;
                if ev.event.as_deref() != Some(ty) {
                    return Err(format!("event name {:?} != type {ty}", ev.event));
                }
                let i = v["index"].as_u64().unwrap_or(0);
                match ty {
                    "content_block_start" => {
                        open.insert(i, true);
                        if let Some(t) = v["content_block"].get("text").and_then(s) {
                            add!(format!("t{i}"), t);
                        }
                    }
                    "content_block_delta" => {
                        if open.get(&i) != Some(&true) {
                            return Err(format!("delta for closed block {i}"));
                        }
                        let d = &v["delta"];
                        match d["type"].as_str() {
                            Some("text_delta") => {
                                add!(format!("t{i}"), s(&d["text"]).ok_or("text")?)
                            }
                            Some("input_json_delta") => {
                                add!(format!("j{i}"), s(&d["partial_json"]).ok_or("pj")?)
                            }
                            other => return Err(format!("delta type {other:?}")),
                        }
                    }
                    "content_block_stop" => {
                        open.insert(i, false);
                    }
                    _ => {}
                }
            }
        }
        StreamApi::Gemini => {
            for ev in &events {
                let v = json(&ev.data)?;
                for (pos, c) in v["candidates"]
                    .as_array()
                    .ok_or("no candidates")?
                    .iter()
                    .enumerate()
                {
                    let i = c["index"].as_u64().unwrap_or(pos as u64);
                    for p in c["content"]["parts"].as_array().into_iter().flatten() {
                        if let Some(t) = p.get("text").and_then(s) {
                            add!(format!("c{i}"), t);
                        }
                    }
                }
            }
        }
        StreamApi::Ollama => {
            let mut done = false;
            for ev in &events {
                if done {
                    return Err("line after done".into());
                }
                let v = json(&ev.data)?;
                if let Some(t) = v["message"].get("content").and_then(s) {
                    add!("c".into(), t);
                }
                if let Some(t) = v.get("response").and_then(s) {
                    add!("c".into(), t);
                }
                for t in [&v["message"]["thinking"], &v["thinking"]] {
                    if let Some(t) = t.as_str() {
                        add!("z".into(), t);
                    }
                }
                // Each tool call is a whole call: a client runs every one it reads.
                for (j, call) in v["message"]["tool_calls"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    add!(format!("t{j}"), &call["function"].to_string());
                }
                done = v["done"].as_bool() == Some(true);
            }
            if !done {
                return Err("no done line".into());
            }
        }
    }
    Ok(texts)
}
