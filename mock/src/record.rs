//! In-memory log of what the provider received, so tests can assert what the proxy
//! actually forwarded (redacted bodies, stripped headers, requests that never arrived).
//!
//! A mutex-guarded ring buffer: the critical section is a push/pop, and entries are
//! rendered to JSON values outside the lock, so recording does not serialise a
//! benchmark's request handling.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hyper::header::HeaderMap;
use serde_json::{json, Map, Value};

/// Recording policy, from the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordConfig {
    /// Maximum entries kept (oldest dropped first); 0 keeps only the counters.
    pub limit: usize,
    /// `false` (`--no-record`): entries omit the body text (its length is still kept).
    pub bodies: bool,
}

#[derive(Default)]
struct Inner {
    entries: VecDeque<Value>,
    seq: u64,
    complete: u64,
    incomplete: u64,
}

pub struct Recorder {
    config: RecordConfig,
    inner: Mutex<Inner>,
}

impl Recorder {
    pub fn new(config: RecordConfig) -> Self {
        Recorder {
            config,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// A panic elsewhere must not take the recorder down with it; the data is plain
    /// counters and values, always consistent between statements.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records one request. `complete` is false when reading the body failed midway
    /// (client or proxy reset); `body` then holds whatever arrived.
    pub fn record(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &HeaderMap,
        body: &[u8],
        complete: bool,
    ) {
        let entry = if self.config.limit > 0 {
            let mut map = Map::new();
            map.insert("method".into(), Value::from(method));
            map.insert("path".into(), Value::from(path_and_query));
            map.insert("headers".into(), Value::Object(headers_json(headers)));
            let text = if self.config.bodies {
                String::from_utf8_lossy(body).into_owned()
            } else {
                String::new()
            };
            map.insert("body".into(), Value::String(text));
            map.insert("body_len".into(), Value::from(body.len()));
            map.insert("complete".into(), Value::Bool(complete));
            Some(map)
        } else {
            None
        };

        let mut inner = self.lock();
        inner.seq += 1;
        if complete {
            inner.complete += 1;
        } else {
            inner.incomplete += 1;
        }
        if let Some(mut map) = entry {
            map.insert("seq".into(), Value::from(inner.seq));
            if inner.entries.len() >= self.config.limit {
                inner.entries.pop_front();
            }
            inner.entries.push_back(Value::Object(map));
        }
    }

    /// `{"requests":[…]}`, oldest first.
    pub fn requests_json(&self) -> Vec<u8> {
        let inner = self.lock();
        let mut out = Vec::with_capacity(64 + inner.entries.len() * 256);
        out.extend_from_slice(b"{\"requests\":[");
        for (i, entry) in inner.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing a Value into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut out, entry);
        }
        out.extend_from_slice(b"]}");
        out
    }

    /// `{"received":N,"complete":N,"incomplete":N}`.
    pub fn stats_json(&self) -> Vec<u8> {
        let inner = self.lock();
        let value = json!({
            "received": inner.complete + inner.incomplete,
            "complete": inner.complete,
            "incomplete": inner.incomplete,
        });
        serde_json::to_vec(&value).unwrap_or_default()
    }

    /// Clears entries, counters and the sequence number, so each test starts from seq 1.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }
}

/// Lower-case header names (hyper already normalises them); repeated headers are joined
/// with ", " as HTTP allows; non-UTF-8 values are converted lossily.
fn headers_json(headers: &HeaderMap) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        match map.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                map.insert(name.as_str().to_owned(), Value::String(value.into_owned()));
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn recorder(limit: usize, bodies: bool) -> Recorder {
        Recorder::new(RecordConfig { limit, bodies })
    }

    fn requests(r: &Recorder) -> Vec<Value> {
        let v: Value = serde_json::from_slice(&r.requests_json()).unwrap();
        v["requests"].as_array().unwrap().clone()
    }

    #[test]
    fn records_entries_with_headers_and_body() {
        let r = recorder(10, true);
        let mut h = HeaderMap::new();
        h.insert("X-Test", HeaderValue::from_static("a"));
        h.append("x-test", HeaderValue::from_static("b"));
        r.record("POST", "/v1/x?q=1", &h, b"hi \xff", true);
        r.record("GET", "/y", &HeaderMap::new(), b"par", false);
        let reqs = requests(&r);
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0]["seq"], 1);
        assert_eq!(reqs[0]["method"], "POST");
        assert_eq!(reqs[0]["path"], "/v1/x?q=1");
        assert_eq!(reqs[0]["headers"]["x-test"], "a, b");
        assert_eq!(reqs[0]["body"], "hi \u{fffd}");
        assert_eq!(reqs[0]["body_len"], 4);
        assert_eq!(reqs[0]["complete"], true);
        assert_eq!(reqs[1]["complete"], false);
        let stats: Value = serde_json::from_slice(&r.stats_json()).unwrap();
        assert_eq!(
            stats,
            json!({"received": 2, "complete": 1, "incomplete": 1})
        );
    }

    #[test]
    fn limit_drops_oldest_and_reset_clears() {
        let r = recorder(2, true);
        for _ in 0..3 {
            r.record("GET", "/", &HeaderMap::new(), b"", true);
        }
        let seqs: Vec<u64> = requests(&r)
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, vec![2, 3]);
        r.reset();
        assert!(requests(&r).is_empty());
        r.record("GET", "/", &HeaderMap::new(), b"", true);
        assert_eq!(requests(&r)[0]["seq"], 1);
    }

    #[test]
    fn no_record_keeps_length_not_body_and_zero_limit_keeps_counts() {
        let r = recorder(5, false);
        r.record("POST", "/", &HeaderMap::new(), b"secret", true);
        assert_eq!(requests(&r)[0]["body"], "");
        assert_eq!(requests(&r)[0]["body_len"], 6);
        let r = recorder(0, true);
        r.record("POST", "/", &HeaderMap::new(), b"x", true);
        assert!(requests(&r).is_empty());
        let stats: Value = serde_json::from_slice(&r.stats_json()).unwrap();
        assert_eq!(stats["received"], 1);
    }
}
