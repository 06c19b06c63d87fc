//! llm-warden: an Envoy proxy-wasm filter that screens LLM prompts for injection and redacts
//! secrets and personal data in requests and responses.
//!
//! The crate is an engine (pure Rust, tested natively) plus one glue module, compiled only for
//! `wasm32`, that connects it to Envoy through proxy-wasm. See `DESIGN.md` §1 in `../shared`.

// Tests slice strings at offsets they just computed; clippy.toml cannot allow this lint in tests.
#![cfg_attr(test, allow(clippy::string_slice))]

pub mod agency;
pub mod config;
pub mod detect;
pub mod dialect;
pub mod engine;
pub mod entity;
pub mod json;
pub mod pairs;
pub mod policy;
pub mod redact;
pub mod report;
pub mod stream;
pub mod verdict;

#[cfg(target_arch = "wasm32")]
mod glue;
