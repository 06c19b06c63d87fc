//! `llm-warden`: the filter's engine on the command line, for policy authors and CI.
//!
//! - `validate CONFIG.json` — the same path-qualified errors Envoy would log.
//! - `scan [--config C] --input F.jsonl` — one JSON line per input line, the interface the
//!   evaluation scorers in `../shared/eval/` read.
//! - `check [--config C] --request REQ.json [--response RESP.json]` — verdict, findings and
//!   rewritten bodies for one exchange.

// Tests slice strings at offsets they just computed; clippy.toml cannot allow this lint in tests.
#![cfg_attr(test, allow(clippy::string_slice))]

mod check;
mod manifest;
mod scan;

use llm_warden::config;
use llm_warden::policy::Config;
use std::process::ExitCode;

const USAGE: &str = "usage:
  llm-warden validate CONFIG.json | MANIFEST.yaml ...
  llm-warden scan [--config CONFIG.json] --input FILE.jsonl [--output OUT.jsonl]
  llm-warden check [--config CONFIG.json] --request REQ.json [--response RESP.json]
                   [--path PATH] [--host HOST] [--route-name NAME] [--header 'NAME: VALUE']...";

/// A CLI failure: a message for stderr and the exit code (1: the input is bad, 2: usage).
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: format!("{}\n{USAGE}", message.into()),
            code: 2,
        }
    }

    pub fn input(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 1,
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("validate") => validate(args.get(1..).unwrap_or_default()),
        Some("scan") => scan::run(args.get(1..).unwrap_or_default()),
        Some("check") => check::run(args.get(1..).unwrap_or_default()),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(Failure::usage(format!("unknown command `{other}`"))),
        None => Err(Failure::usage("missing command")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Validates plugin configs: JSON files as they are, YAML files as Istio `WasmPlugin` /
/// Envoy Gateway `EnvoyExtensionPolicy` manifests whose embedded llm-warden config is checked.
fn validate(args: &[String]) -> Result<(), Failure> {
    if args.is_empty() {
        return Err(Failure::usage("validate takes one or more files"));
    }
    let mut errors = Vec::new();
    for file in args {
        let bytes = read(file)?;
        let yaml = file.ends_with(".yaml") || file.ends_with(".yml");
        if !yaml {
            match config::load(&bytes) {
                Ok(c) => println!("{file}: ok ({})", summary(&c)),
                Err(e) => errors.extend(e.0.iter().map(|e| format!("{file}: {e}"))),
            }
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let found = manifest::scan(&text).map_err(|e| Failure::input(format!("{file}: {e}")))?;
        for skipped in &found.skipped {
            println!("{file}{skipped}");
        }
        if found.configs.is_empty() {
            errors.push(format!(
                "{file}: no llm-warden WasmPlugin or EnvoyExtensionPolicy found"
            ));
        }
        for embedded in &found.configs {
            let at = format!("{file}{}", embedded.origin);
            match config::load(embedded.json.as_bytes()) {
                Ok(c) => println!("{at}: {}: ok ({})", embedded.path, summary(&c)),
                Err(e) => errors.extend(e.0.iter().map(|e| {
                    let sep = if e.path.is_empty() { "" } else { "." };
                    format!("{at}: {}{sep}{}: {}", embedded.path, e.path, e.message)
                })),
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::input(errors.join("\n")))
    }
}

fn summary(c: &llm_warden::policy::Config) -> String {
    format!("{} policies, {} routes", c.policies.len(), c.routes.len())
}

pub fn read(path: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::input(format!("{path}: {e}")))
}

/// Loads `--config`, or the built-in default when absent.
pub fn load_config(path: Option<&str>) -> Result<Config, Failure> {
    let bytes = match path {
        Some(p) => read(p)?,
        None => Vec::new(),
    };
    config::load(&bytes).map_err(|e| {
        Failure::input(format!(
            "{}: invalid config: {e}",
            path.unwrap_or("(built-in)")
        ))
    })
}

/// Minimal `--flag value` parsing: every option takes a value; unknown flags are errors.
pub struct Flags {
    pairs: Vec<(String, String)>,
}

impl Flags {
    pub fn parse(args: &[String], known: &[&str]) -> Result<Flags, Failure> {
        let mut pairs = Vec::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if !known.contains(&flag.as_str()) {
                return Err(Failure::usage(format!("unknown argument `{flag}`")));
            }
            let value = it
                .next()
                .ok_or_else(|| Failure::usage(format!("{flag} needs a value")))?;
            pairs.push((flag.clone(), value.clone()));
        }
        Ok(Flags { pairs })
    }

    pub fn get(&self, flag: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable flag, in order.
    pub fn all<'a>(&'a self, flag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }

    pub fn require(&self, flag: &str) -> Result<&str, Failure> {
        self.get(flag)
            .ok_or_else(|| Failure::usage(format!("missing {flag}")))
    }
}
