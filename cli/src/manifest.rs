//! Plugin configs embedded in mesh manifests: Istio `WasmPlugin.spec.pluginConfig` and Envoy
//! Gateway `EnvoyExtensionPolicy.spec.wasm[].config`, so CI can check a manifest before it
//! reaches the mesh (the mesh itself only checks that the config is *some* JSON object).

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// One llm-warden plugin config found in a manifest file.
#[derive(Debug)]
pub struct Embedded {
    /// `#<document> <Kind> <namespace>/<name>`, for messages.
    pub origin: String,
    /// Where the config sits in the document (`spec.pluginConfig`, `spec.wasm[0].config`).
    pub path: String,
    /// The config as JSON text, exactly what the mesh hands the plugin.
    pub json: String,
}

/// What a manifest file holds.
#[derive(Debug)]
pub struct Scan {
    pub configs: Vec<Embedded>,
    /// Documents passed over, with the reason.
    pub skipped: Vec<String>,
}

/// Whether a module reference names llm-warden (other Wasm plugins in the same file are
/// someone else's and have other configs).
fn is_ours(names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| n.contains("llm-warden") || n.contains("llm_warden"))
}

pub fn scan(text: &str) -> Result<Scan, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    let mut out = Scan {
        configs: Vec::new(),
        skipped: Vec::new(),
    };
    for (i, doc) in docs.iter().enumerate() {
        if doc.is_null() {
            continue;
        }
        let kind = doc["kind"].as_str().unwrap_or("(no kind)");
        let meta = &doc["metadata"];
        let origin = format!(
            "#{} {kind} {}/{}",
            i + 1,
            meta["namespace"].as_str().unwrap_or("-"),
            meta["name"].as_str().unwrap_or("-")
        );
        let spec = &doc["spec"];
        match kind {
            "WasmPlugin" => {
                let names = [
                    spec["url"].as_str().unwrap_or(""),
                    spec["pluginName"].as_str().unwrap_or(""),
                ];
                if !is_ours(&names) {
                    out.skipped
                        .push(format!("{origin}: skipped (not llm-warden)"));
                    continue;
                }
                // An absent pluginConfig reaches the plugin as an empty config: the default policy.
                let json = match &spec["pluginConfig"] {
                    Yaml::BadValue | Yaml::Null => String::new(),
                    v => to_json(v)
                        .map_err(|e| format!("{origin}: spec.pluginConfig: {e}"))?
                        .to_string(),
                };
                out.configs.push(Embedded {
                    origin,
                    path: "spec.pluginConfig".into(),
                    json,
                });
            }
            "EnvoyExtensionPolicy" => {
                for (j, wasm) in spec["wasm"]
                    .as_vec()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    let code = &wasm["code"];
                    let names = [
                        wasm["name"].as_str().unwrap_or(""),
                        wasm["rootID"].as_str().unwrap_or(""),
                        code["image"]["url"].as_str().unwrap_or(""),
                        code["http"]["url"].as_str().unwrap_or(""),
                    ];
                    let path = format!("spec.wasm[{j}].config");
                    if !is_ours(&names) {
                        out.skipped
                            .push(format!("{origin}: {path} skipped (not llm-warden)"));
                        continue;
                    }
                    let json = match &wasm["config"] {
                        Yaml::BadValue | Yaml::Null => String::new(),
                        v => to_json(v)
                            .map_err(|e| format!("{origin}: {path}: {e}"))?
                            .to_string(),
                    };
                    out.configs.push(Embedded {
                        origin: origin.clone(),
                        path,
                        json,
                    });
                }
            }
            _ => out
                .skipped
                .push(format!("{origin}: skipped (no plugin config)")),
        }
    }
    Ok(out)
}

/// YAML → JSON with YAML 1.2 core-schema scalars (what Kubernetes does).
fn to_json(y: &Yaml) -> Result<Value, String> {
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::Real(r) => {
            let f: f64 = r
                .parse()
                .map_err(|_| format!("number `{r}` out of range"))?;
            Value::Number(Number::from_f64(f).ok_or_else(|| format!("number `{r}` is not finite"))?)
        }
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                m.insert(key, to_json(v)?);
            }
            Value::Object(m)
        }
        Yaml::Alias(_) | Yaml::BadValue => return Err("YAML aliases are not supported".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_configs_in_both_kinds_and_skips_others() {
        let text = r#"
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: a, namespace: n}
spec:
  url: oci://r/llm-warden:1
  pluginConfig:
    policies: {p: {blockStatus: 451, request: {injection: {threshold: 0.3}}}}
---
kind: WasmPlugin
metadata: {name: other}
spec: {url: oci://r/other:1, pluginConfig: {anything: 1}}
---
kind: EnvoyExtensionPolicy
metadata: {name: e}
spec:
  wasm:
  - name: llm-warden
    code: {type: Image, image: {url: r/llm-warden:1}}
---
kind: Service
metadata: {name: s}
"#;
        let s = scan(text).unwrap();
        let got: Vec<(&str, &str, &str)> = s
            .configs
            .iter()
            .map(|c| (c.origin.as_str(), c.path.as_str(), c.json.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "#1 WasmPlugin n/a",
                    "spec.pluginConfig",
                    r#"{"policies":{"p":{"blockStatus":451,"request":{"injection":{"threshold":0.3}}}}}"#
                ),
                ("#3 EnvoyExtensionPolicy -/e", "spec.wasm[0].config", ""),
            ]
        );
        assert_eq!(s.skipped.len(), 2);
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(scan("a: [").unwrap_err().starts_with("invalid YAML"));
    }
}
