//! Response body machinery: lazy event sources, byte re-framing, pacing and aborts.
//!
//! Events are generated on demand rather than pre-rendered so a 16 MiB reply streamed in
//! 8-char deltas never materialises millions of SSE events in memory at once. The body is
//! a hand-rolled [`hyper::body::Body`] (no channel, no extra task per response) so the
//! common case — one ready frame — costs nothing beyond the bytes themselves.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// Produces the logical units of a response body (for SSE: one event each).
pub trait EventSource: Send + 'static {
    /// Next unit, or `None` when the body is complete.
    fn next_event(&mut self) -> Option<Bytes>;
}

/// A body that is a single, already-rendered buffer.
pub struct Once(pub Option<Bytes>);

impl EventSource for Once {
    fn next_event(&mut self) -> Option<Bytes> {
        self.0.take()
    }
}

/// Turns events into body frames: one frame per event, or — with `chunk` — fixed-size
/// frames that ignore event boundaries, deliberately splitting lines and UTF-8 sequences
/// so the filter's incremental decoder is exercised.
pub struct Framer {
    source: Box<dyn EventSource>,
    chunk: Option<usize>,
    buf: BytesMut,
    exhausted: bool,
}

impl Framer {
    pub fn new(source: Box<dyn EventSource>, chunk: Option<usize>) -> Self {
        Framer {
            source,
            chunk: chunk.filter(|n| *n > 0),
            buf: BytesMut::new(),
            exhausted: false,
        }
    }

    /// Next non-empty frame, or `None` at the end of the body.
    pub fn next_frame(&mut self) -> Option<Bytes> {
        let Some(size) = self.chunk else {
            // Empty frames carry nothing and would only confuse frame-counting tests.
            loop {
                let event = self.source.next_event()?;
                if !event.is_empty() {
                    return Some(event);
                }
            }
        };
        while self.buf.len() < size && !self.exhausted {
            match self.source.next_event() {
                Some(event) => self.buf.extend_from_slice(&event),
                None => self.exhausted = true,
            }
        }
        if self.buf.is_empty() {
            return None;
        }
        let take = size.min(self.buf.len());
        Some(self.buf.split_to(take).freeze())
    }
}

/// The response body handed to hyper.
pub struct MockBody {
    framer: Framer,
    /// Frame fetched but held back while the inter-frame delay runs.
    held: Option<Bytes>,
    delay: Option<Duration>,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Whether a frame has been sent yet (the delay applies *between* frames).
    started: bool,
    /// Bytes still allowed before the connection is aborted (`x-mock-reset-after-bytes`).
    reset_budget: Option<usize>,
    /// The reset is due: the next poll (after a short pause) returns the error.
    resetting: bool,
    exact_len: Option<u64>,
    done: bool,
    /// Sent as the final frame (`x-mock-trailer`).
    trailers: Option<hyper::HeaderMap>,
}

/// Pause between the last permitted bytes and the abort, so hyper flushes those bytes to
/// the socket (and a proxy can forward them) before the connection drops.
const RESET_FLUSH_PAUSE: Duration = Duration::from_millis(20);

impl MockBody {
    pub fn new(
        source: Box<dyn EventSource>,
        chunk: Option<usize>,
        delay: Option<Duration>,
        reset_after_bytes: Option<usize>,
    ) -> Self {
        MockBody {
            framer: Framer::new(source, chunk),
            held: None,
            delay,
            sleep: None,
            started: false,
            reset_budget: reset_after_bytes,
            resetting: false,
            exact_len: None,
            done: false,
            trailers: None,
        }
    }

    /// Trailers to send after the last data frame (the body is then not of known length).
    pub fn set_trailers(&mut self, trailers: hyper::HeaderMap) {
        self.trailers = Some(trailers);
        self.exact_len = None;
    }

    /// A single-buffer body with no pacing, chunking or reset.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let len = bytes.len() as u64;
        let mut body = MockBody::new(Box::new(Once(Some(bytes))), None, None, None);
        body.exact_len = Some(len);
        body
    }

    /// Polls the pending sleep, arming it first if needed.
    fn poll_pause(&mut self, cx: &mut Context<'_>, pause: Duration) -> Poll<()> {
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(pause)));
        match sleep.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.sleep = None;
                Poll::Ready(())
            }
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if this.resetting {
            if this.poll_pause(cx, RESET_FLUSH_PAUSE).is_pending() {
                return Poll::Pending;
            }
            this.done = true;
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "x-mock-reset-after-bytes: aborting response",
            ))));
        }

        let frame = match this.held.take().or_else(|| this.framer.next_frame()) {
            Some(frame) => frame,
            None => {
                if this.reset_budget.is_some() {
                    // The body was shorter than the budget: still abort instead of ending
                    // cleanly, so the peer sees an incomplete response.
                    this.resetting = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                this.done = true;
                if let Some(trailers) = this.trailers.take() {
                    return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
                }
                return Poll::Ready(None);
            }
        };

        if let (true, Some(delay)) = (this.started, this.delay) {
            if this.poll_pause(cx, delay).is_pending() {
                this.held = Some(frame);
                return Poll::Pending;
            }
        }
        this.started = true;

        let frame = match this.reset_budget.as_mut() {
            None => frame,
            Some(budget) => {
                if frame.len() < *budget {
                    *budget -= frame.len();
                    frame
                } else {
                    let cut = frame.slice(..*budget);
                    this.resetting = true;
                    if cut.is_empty() {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                    cut
                }
            }
        };
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact_len {
            Some(len) => SizeHint::with_exact(len),
            None => SizeHint::default(),
        }
    }
}

/// JSON string literal (quotes included) for `s`.
///
/// Response JSON is formatted by hand around this rather than via `serde_json::Value`,
/// because `Value` maps sort keys alphabetically and the mock should emit fields in the
/// providers' real order (ids and `type` first), as a byte-oriented decoder would see.
pub fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

/// Splits `text` into consecutive pieces of at most `n` chars, never inside a UTF-8
/// sequence. The OpenAI and Anthropic generators use [`next_piece`] lazily instead.
pub fn pieces(text: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some((piece, next)) = next_piece(text, pos, n) {
        out.push(piece);
        pos = next;
    }
    out
}

/// The piece of at most `n` chars starting at byte `pos`, and the byte offset after it;
/// `None` once `pos` reaches the end.
pub fn next_piece(text: &str, pos: usize, n: usize) -> Option<(&str, usize)> {
    let rest = text.get(pos..).filter(|r| !r.is_empty())?;
    let len = rest
        .char_indices()
        .nth(n.max(1))
        .map_or(rest.len(), |(i, _)| i);
    Some((rest.get(..len)?, pos + len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    struct Events(std::vec::IntoIter<Bytes>);
    impl EventSource for Events {
        fn next_event(&mut self) -> Option<Bytes> {
            self.0.next()
        }
    }
    fn events(parts: &[&str]) -> Box<dyn EventSource> {
        let v: Vec<Bytes> = parts
            .iter()
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect();
        Box::new(Events(v.into_iter()))
    }
    fn all_frames(mut f: Framer) -> Vec<Bytes> {
        std::iter::from_fn(|| f.next_frame()).collect()
    }

    #[test]
    fn one_frame_per_event_by_default() {
        let frames = all_frames(Framer::new(
            events(&["data: a\n\n", "", "data: b\n\n"]),
            None,
        ));
        assert_eq!(
            frames,
            vec![Bytes::from("data: a\n\n"), Bytes::from("data: b\n\n")]
        );
    }

    #[test]
    fn chunking_splits_lines_and_utf8_and_reassembles() {
        let parts = [
            "data: {\"t\":\"h\u{e9}llo \u{1F44B}\"}\n\n",
            "data: \u{4e16}\u{754c}\n\n",
            "data: [DONE]\n\n",
        ];
        let whole: String = parts.concat();
        for size in 1..=13 {
            let frames = all_frames(Framer::new(events(&parts), Some(size)));
            let (last, init) = frames.split_last().unwrap();
            assert!(init.iter().all(|f| f.len() == size), "size {size}");
            assert!(!last.is_empty() && last.len() <= size);
            let joined: Vec<u8> = frames.iter().flat_map(|f| f.to_vec()).collect();
            assert_eq!(joined, whole.as_bytes(), "size {size}");
        }
        // With 7-byte frames some frame must end mid-UTF-8 and some mid-line.
        let frames = all_frames(Framer::new(events(&parts), Some(7)));
        assert!(frames.iter().any(|f| std::str::from_utf8(f).is_err()));
        assert!(frames
            .iter()
            .any(|f| !f.ends_with(b"\n") && f.contains(&b'\n')));
    }

    #[test]
    fn pieces_respect_char_boundaries() {
        let text = "h\u{e9}llo w\u{f6}rld \u{1F44B}\u{1F3FD} \u{4e16}\u{754c}\nend";
        for n in 1..=6 {
            let p = pieces(text, n);
            assert_eq!(p.concat(), text);
            assert!(p.iter().all(|s| !s.is_empty() && s.chars().count() <= n));
            assert!(p.iter().rev().skip(1).all(|s| s.chars().count() == n));
        }
        assert!(pieces("", 3).is_empty());
        assert_eq!(pieces("abc", 0), vec!["a", "b", "c"]);
    }

    #[tokio::test]
    async fn body_reset_sends_budget_then_errors() {
        let mut body = MockBody::new(events(&["0123456789", "abcdef"]), Some(4), None, Some(9));
        let mut got = Vec::new();
        let err = loop {
            match body.frame().await {
                Some(Ok(frame)) => got.extend_from_slice(&frame.into_data().unwrap()),
                Some(Err(e)) => break e,
                None => panic!("body ended cleanly"),
            }
        };
        assert_eq!(got, b"012345678");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    }

    #[tokio::test]
    async fn body_reset_past_end_still_aborts() {
        let mut body = MockBody::new(events(&["abc"]), None, None, Some(100));
        assert_eq!(
            body.frame().await.unwrap().unwrap().into_data().unwrap(),
            "abc"
        );
        assert!(body.frame().await.unwrap().is_err());
    }

    #[tokio::test]
    async fn delay_is_between_frames_only() {
        let start = std::time::Instant::now();
        let delay = Duration::from_millis(30);
        let body = MockBody::new(events(&["a", "b", "c"]), None, Some(delay), None);
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "abc");
        let elapsed = start.elapsed();
        // Two gaps for three frames; generous upper bound for a loaded CI machine.
        assert!(
            elapsed >= 2 * delay && elapsed < Duration::from_secs(2),
            "{elapsed:?}"
        );
    }

    #[tokio::test]
    async fn full_body_has_exact_size() {
        let body = MockBody::full("hello");
        assert_eq!(body.size_hint().exact(), Some(5));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "hello");
    }
}
