//! `llm-warden-mock`: a fast mock LLM provider (OpenAI Chat Completions and Anthropic
//! Messages wire shapes) for llm-warden's end-to-end tests, demo and benchmarks.
//!
//! Each request steers its own response through `x-mock-*` headers (see `controls`), and
//! everything the provider receives is recorded for inspection under `/__mock/`.
//! The process prints exactly one stdout line, `listening on 127.0.0.1:PORT`, which test
//! harnesses parse to find the port when started with `--listen 127.0.0.1:0`.

// Tests slice strings at offsets they just computed; clippy.toml cannot allow this lint in tests.
#![cfg_attr(test, allow(clippy::string_slice))]

mod anthropic;
mod body;
mod controls;
mod more;
mod openai;
mod record;
mod reqinfo;
mod server;

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use record::RecordConfig;

const USAGE: &str = "\
usage: llm-warden-mock [--listen 127.0.0.1:18080] [--record-limit 1000] [--no-record]

  --listen ADDR        loopback address to bind (port 0 picks a free port)
  --record-limit N     keep at most N recorded requests, dropping the oldest (0: counters only)
  --no-record          do not keep request bodies in recordings (benchmarks)
  -h, --help           show this help
";

#[derive(Debug, PartialEq, Eq)]
struct Args {
    listen: SocketAddr,
    record: RecordConfig,
}

/// Outcome of argument parsing that is not a runnable configuration.
#[derive(Debug, PartialEq, Eq)]
enum ArgsError {
    Help,
    Invalid(String),
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, ArgsError> {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 18080));
    let mut record = RecordConfig {
        limit: 1000,
        bodies: true,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| ArgsError::Invalid(format!("{name} needs a value")))
        };
        match flag.as_str() {
            "-h" | "--help" => return Err(ArgsError::Help),
            "--listen" => {
                let v = value("--listen")?;
                listen = v
                    .parse()
                    .map_err(|_| ArgsError::Invalid(format!("--listen: {v:?} is not IP:PORT")))?;
            }
            "--record-limit" => {
                let v = value("--record-limit")?;
                record.limit = v.parse().map_err(|_| {
                    ArgsError::Invalid(format!("--record-limit: {v:?} is not a number"))
                })?;
            }
            "--no-record" => record.bodies = false,
            other => return Err(ArgsError::Invalid(format!("unknown argument {other:?}"))),
        }
    }
    // A mock that echoes and records prompts must never be reachable off-host.
    if !listen.ip().is_loopback() {
        return Err(ArgsError::Invalid(format!(
            "--listen: {} is not a loopback address",
            listen.ip()
        )));
    }
    Ok(Args { listen, record })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(ArgsError::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(ArgsError::Invalid(msg)) => {
            eprintln!("llm-warden-mock: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("llm-warden-mock: cannot bind {}: {err}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(args.listen);
    // Handlers first: a harness may signal as soon as it reads the port line.
    let shutdown = shutdown_signal();
    {
        // Exactly one line, flushed: harnesses block on it to learn the port.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {addr}");
        let _ = out.flush();
    }

    let state = Arc::new(server::State::new(args.record));
    server::serve(listener, state, shutdown).await;
    ExitCode::SUCCESS
}

/// Registers SIGINT and SIGTERM handlers now, so that `kill` from a test harness is a clean
/// exit (0) even right after the port is announced, and resolves when either arrives. (An
/// `async fn` would register them only when first polled, after the announcement: a test
/// that signalled fast enough saw the process die of SIGTERM.)
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut t), Ok(mut i)) => {
                tokio::select! {
                    _ = t.recv() => {}
                    _ = i.recv() => {}
                }
            }
            (Ok(mut t), Err(_)) => {
                t.recv().await;
            }
            (Err(_), Ok(mut i)) => {
                i.recv().await;
            }
            (Err(_), Err(_)) => std::future::pending::<()>().await,
        }
    }
}

#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, ArgsError> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.listen, "127.0.0.1:18080".parse().unwrap());
        assert_eq!(
            a.record,
            RecordConfig {
                limit: 1000,
                bodies: true
            }
        );
    }

    #[test]
    fn flags() {
        let a = parse(&["--listen", "127.0.0.1:0", "--record-limit=5", "--no-record"]).unwrap();
        assert_eq!(a.listen.port(), 0);
        assert_eq!(
            a.record,
            RecordConfig {
                limit: 5,
                bodies: false
            }
        );
        assert_eq!(parse(&["--listen=[::1]:9"]).unwrap().listen.port(), 9);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(parse(&["--help"]), Err(ArgsError::Help));
        for bad in [
            &["--listen", "0.0.0.0:80"][..],
            &["--listen", "nope"],
            &["--listen"],
            &["--record-limit", "x"],
            &["--frobnicate"],
        ] {
            assert!(matches!(parse(bad), Err(ArgsError::Invalid(_))), "{bad:?}");
        }
    }
}
