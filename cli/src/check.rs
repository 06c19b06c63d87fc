//! `llm-warden check`: what the filter would do with one request (and its response), for
//! policy authors. Prints the selected policy, each direction's verdict and findings (rule
//! ids, types, locations, offsets — never matched values) and the bodies as forwarded.

use crate::{load_config, read, Failure, Flags};
use llm_warden::dialect::Api;
use llm_warden::engine::{inspect_request, inspect_response, Decision};
use llm_warden::policy::RouteInput;
use llm_warden::verdict::Verdict;
use serde_json::{json, Value};

pub fn run(args: &[String]) -> Result<(), Failure> {
    let known = [
        "--config",
        "--request",
        "--response",
        "--path",
        "--host",
        "--route-name",
    ];
    let flags = Flags::parse(args, &known)?;
    let config = load_config(flags.get("--config"))?;
    let request = read(flags.require("--request")?)?;
    let path = flags.get("--path").unwrap_or("/v1/chat/completions");
    let headers: Vec<(String, String)> = flags
        .all("--header")
        .map(|h| {
            let (name, value) = h.split_once(':').unwrap_or((h, ""));
            (name.trim().to_ascii_lowercase(), value.trim().to_string())
        })
        .collect();
    let input = RouteInput {
        route_name: flags.get("--route-name").unwrap_or_default(),
        host: flags.get("--host").unwrap_or_default(),
        path,
        method: "POST",
        headers: &headers,
    };
    let Some(policy) = config.select(&input) else {
        println!(
            "{}",
            json!({"policy": "none", "path": path, "verdict": "pass_through"})
        );
        return Ok(());
    };

    let req = inspect_request(policy, path, &request);
    let mut out = json!({"policy": policy.name, "path": path, "request": direction(&req)});
    let blocked = matches!(req.verdict, Verdict::Block(_));
    if let (Some(resp_path), false) = (flags.get("--response"), blocked) {
        let body = read(resp_path)?;
        let api = req.report.api.or_else(|| Api::from_path(path));
        let resp = inspect_response(policy, api, &body);
        if let Some(obj) = out.as_object_mut() {
            obj.insert("response".into(), direction(&resp));
        }
    }
    let text = serde_json::to_string_pretty(&out).map_err(|e| Failure::input(e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn direction(d: &Decision) -> Value {
    let mut v = d.report.to_json(&[]);
    let (verdict, status, body) = match &d.verdict {
        Verdict::Continue => ("continue", None, None),
        Verdict::Rewrite(b) => ("rewrite", None, Some(b.clone())),
        Verdict::Block(r) => ("block", Some(r.status), Some(r.body.clone())),
    };
    if let Some(obj) = v.as_object_mut() {
        obj.insert("verdict".into(), json!(verdict));
        if let Some(s) = status {
            obj.insert("status".into(), json!(s));
        }
        if let Some(b) = body {
            // The exact bytes the filter would forward or answer with (re-parsing would reorder
            // keys and hide what the rewrite preserved).
            obj.insert("body".into(), Value::String(b));
        }
    }
    v
}
