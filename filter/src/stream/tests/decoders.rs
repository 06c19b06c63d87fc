//! SSE and NDJSON decoding: grammar cases under every split, raw-byte preservation.

use crate::stream::ndjson;
use crate::stream::sse::{Block, Decoder, LineEnding};

/// (event, data, id) of a dispatched block.
type Want = (Option<&'static str>, &'static str, Option<&'static str>);

fn decode<'c>(chunks: &[&'c [u8]]) -> Vec<Block<'c>> {
    let mut d = Decoder::new(1 << 20);
    let mut out = Vec::new();
    for c in chunks {
        d.push(c, &mut out).unwrap();
    }
    d.finish(&mut out).unwrap();
    out
}

fn events(blocks: &[Block]) -> Vec<(Option<String>, String, Option<String>)> {
    blocks
        .iter()
        .filter_map(|b| {
            b.data()
                .map(|d| (str(&b.event_type), d.to_string(), str(&b.id)))
        })
        .collect()
}

fn str(field: &Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    field.as_deref().map(String::from)
}

/// Every way of cutting `input` in two, and byte by byte.
fn splits(input: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![input]];
    for i in 1..input.len() {
        all.push(vec![&input[..i], &input[i..]]);
    }
    all.push(input.chunks(1).collect());
    all
}

#[test]
fn sse_grammar_table() {
    let cases: &[(&str, &str, &[Want])] = &[
        ("simple", "data: hello\n\n", &[(None, "hello", None)]),
        (
            "multi-line data",
            "data: a\ndata: b\n\n",
            &[(None, "a\nb", None)],
        ),
        (
            "event name",
            "event: add\ndata: x\n\n",
            &[(Some("add"), "x", None)],
        ),
        ("no space after colon", "data:x\n\n", &[(None, "x", None)]),
        (
            "only one space stripped",
            "data:  x\n\n",
            &[(None, " x", None)],
        ),
        ("comment only", ": ping\n\n", &[]),
        (
            "comment inside event",
            "data: a\n: c\ndata: b\n\n",
            &[(None, "a\nb", None)],
        ),
        ("field without colon", "data\n\n", &[(None, "", None)]),
        ("empty data line", "data:\n\n", &[(None, "", None)]),
        (
            "trailing empty data",
            "data: a\ndata:\n\n",
            &[(None, "a\n", None)],
        ),
        (
            "crlf",
            "data: a\r\n\r\ndata: b\r\n\r\n",
            &[(None, "a", None), (None, "b", None)],
        ),
        (
            "cr only",
            "data: a\r\rdata: b\r\r",
            &[(None, "a", None), (None, "b", None)],
        ),
        (
            "mixed endings",
            "data: a\r\n\ndata: b\n\r\n",
            &[(None, "a", None), (None, "b", None)],
        ),
        ("bom", "\u{FEFF}data: a\n\n", &[(None, "a", None)]),
        (
            "bom only at start",
            "\u{FEFF}data: a\n\n\u{FEFF}data: b\n\n",
            &[(None, "a", None)],
        ),
        ("id", "id: 7\ndata: x\n\n", &[(None, "x", Some("7"))]),
        (
            "id with nul ignored",
            "id: a\0b\ndata: x\n\n",
            &[(None, "x", None)],
        ),
        (
            "unknown field ignored",
            "foo: bar\ndata: x\n\n",
            &[(None, "x", None)],
        ),
        ("colon in value", "data: a:b\n\n", &[(None, "a:b", None)]),
        ("utf-8", "data: é😀\n\n", &[(None, "é😀", None)]),
        (
            "event without data",
            "event: x\n\ndata: y\n\n",
            &[(None, "y", None)],
        ),
        (
            "last event name wins",
            "event: a\nevent: b\ndata: y\n\n",
            &[(Some("b"), "y", None)],
        ),
        (
            "extra blank lines",
            "\n\ndata: y\n\n\n",
            &[(None, "y", None)],
        ),
        (
            "unterminated last event",
            "data: a\n\ndata: b",
            &[(None, "a", None), (None, "b", None)],
        ),
    ];
    for (name, input, want) in cases {
        for chunks in splits(input.as_bytes()) {
            let blocks = decode(&chunks);
            let got = events(&blocks);
            let want: Vec<_> = want
                .iter()
                .map(|(e, d, i)| (e.map(String::from), d.to_string(), i.map(String::from)))
                .collect();
            assert_eq!(
                got, want,
                "case {name}: input {input:?} chunks {chunks:?}\nexpected {want:?}\nactual {got:?}"
            );
            let raw: Vec<u8> = blocks.iter().flat_map(|b| b.raw().to_vec()).collect();
            assert_eq!(
                raw,
                input.as_bytes(),
                "case {name}: raw bytes not preserved"
            );
        }
    }
}

#[test]
fn sse_retry_field() {
    let cases: &[(&str, &str, Option<u64>)] = &[
        ("valid", "retry: 1000\ndata: x\n\n", Some(1000)),
        ("not digits", "retry: 1x\ndata: x\n\n", None),
        ("empty", "retry:\ndata: x\n\n", None),
    ];
    for (name, input, want) in cases {
        let blocks = decode(&[input.as_bytes()]);
        assert_eq!(blocks[0].retry, *want, "case {name}: input {input:?}");
    }
}

#[test]
fn sse_line_ending_detected_across_splits() {
    let cases: &[(&str, &str, LineEnding)] = &[
        ("lf", "data: a\n\n", LineEnding::Lf),
        ("crlf", "data: a\r\n\r\n", LineEnding::CrLf),
        ("cr", "data: a\r\r", LineEnding::Cr),
    ];
    for (name, input, want) in cases {
        for chunks in splits(input.as_bytes()) {
            let blocks = decode(&chunks);
            assert_eq!(blocks[0].ending, *want, "case {name}: chunks {chunks:?}");
        }
    }
}

#[test]
fn sse_encode_keeps_the_block_shape() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "event and id kept, crlf kept",
            "event: x\r\nid: 1\r\ndata: {\"a\":1}\r\n\r\n",
            "{\"a\":2}",
            "event: x\r\nid: 1\r\ndata: {\"a\":2}\r\n\r\n",
        ),
        (
            "multi-line data collapses into the first data line's place",
            ": c\ndata: {\ndata: \"a\":1}\nid: 9\n\n",
            "{\"a\":2}",
            ": c\ndata: {\"a\":2}\nid: 9\n\n",
        ),
        ("no space kept", "data:{}\n\n", "[]", "data:[]\n\n"),
        (
            "newline in new data",
            "data: x\n\n",
            "a\nb",
            "data: a\ndata: b\n\n",
        ),
        (
            "bom kept",
            "\u{FEFF}data: x\n\n",
            "y",
            "\u{FEFF}data: y\n\n",
        ),
        ("cr", "data: x\r\r", "y", "data: y\r\r"),
    ];
    for (name, input, data, want) in cases {
        for chunks in splits(input.as_bytes()) {
            let blocks = decode(&chunks);
            let block = blocks.iter().find(|b| b.data().is_some()).unwrap();
            let mut out = Vec::new();
            block.encode_with_data(data, &mut out);
            assert_eq!(
                String::from_utf8_lossy(&out),
                *want,
                "case {name}: input {input:?} chunks {chunks:?}"
            );
        }
    }
}

#[test]
fn sse_event_size_is_bounded() {
    let mut d = Decoder::new(64);
    let mut out = Vec::new();
    d.push(b"data: small\n\n", &mut out).unwrap();
    assert_eq!(out.len(), 1);
    let big = vec![b'x'; 100];
    let err = d.push(&big, &mut out).unwrap_err();
    assert!(err.to_string().contains("64 bytes"), "{err}");
    // Sticky: the stream cannot resume mid-event.
    assert_eq!(d.push(b"\n\n", &mut out), Err(err.clone()));
    assert_eq!(d.finish(&mut out), Err(err));
}

/// The bound holds however an event is split, the `\n` of a `\r\n` that arrives in the next
/// chunk included: an event one byte over it fails under every split, one at it passes.
#[test]
fn sse_event_bound_holds_under_every_split() {
    let event = format!("data: {}\r\n\r\n", "x".repeat(10));
    for (name, limit, fits) in [
        ("one byte over", event.len() - 1, false),
        ("at the bound", event.len(), true),
    ] {
        for chunks in splits(event.as_bytes()) {
            let mut d = Decoder::new(limit);
            let mut out = Vec::new();
            let result = chunks
                .iter()
                .try_for_each(|c| d.push(c, &mut out))
                .and_then(|()| d.finish(&mut out));
            assert_eq!(
                result.is_ok(),
                fits,
                "{name}: chunks {chunks:?} gave {result:?}, {} block(s)",
                out.len()
            );
        }
    }
}

#[test]
fn ndjson_lines_under_every_split() {
    let input = "{\"a\":1}\n\n{\"b\":\"é\"}\r\n{\"c\":3}";
    for chunks in splits(input.as_bytes()) {
        let mut d = ndjson::Decoder::new(1 << 20);
        let mut out = Vec::new();
        for c in &chunks {
            d.push(c, &mut out).unwrap();
        }
        d.finish(&mut out).unwrap();
        let texts: Vec<&str> = out.iter().map(|l| &*l.text).collect();
        assert_eq!(
            texts,
            ["{\"a\":1}", "", "{\"b\":\"é\"}", "{\"c\":3}"],
            "chunks {chunks:?}"
        );
        let raw: Vec<u8> = out.iter().flat_map(|l| l.raw().to_vec()).collect();
        assert_eq!(raw, input.as_bytes());
        assert_eq!(out[2].ending, Some(LineEnding::CrLf));
        assert_eq!(out[3].ending, None);
    }
}

#[test]
fn terminator_search_agrees_with_a_byte_walk() {
    use crate::stream::bytes::{find_either, find_line_end};
    type Search = fn(&[u8]) -> Option<usize>;
    let searches: [(&str, Search); 2] = [
        ("find_either", |b| find_either(b, b'\n', b'\r')),
        ("find_line_end", find_line_end),
    ];
    // Bytes next to the ones looked for (and ones whose low bits match, or that sit below
    // `\r` like tab and NUL) around every offset of a word, so a borrow between bytes or a
    // missed lane would show.
    let fillers: &[u8] = &[b'a', 0x00, 0x0b, 0x0c, 0x09, 0x8a, 0x8d, 0xff, 0x0e, 0x1a];
    let naive = |b: &[u8]| b.iter().position(|&c| c == b'\n' || c == b'\r');
    for (name, search) in searches {
        for len in 0..40 {
            for filler in fillers {
                let mut bytes = vec![*filler; len];
                assert_eq!(search(&bytes), naive(&bytes), "{name} len {len}");
                for at in 0..len {
                    for t in [b'\n', b'\r'] {
                        bytes[at] = t;
                        assert_eq!(
                            search(&bytes),
                            Some(at),
                            "{name} len {len} filler {filler:#x} at {at}"
                        );
                        if at + 3 < len {
                            bytes[at + 3] = b'\n';
                            assert_eq!(search(&bytes), Some(at), "{name}");
                            bytes[at + 3] = *filler;
                        }
                        bytes[at] = *filler;
                    }
                }
            }
        }
    }
}

#[test]
fn word_wise_equality_agrees_with_slice_equality() {
    use crate::stream::bytes::same;
    let base: Vec<u8> = (0u8..40).map(|i| i.wrapping_mul(37)).collect();
    for len in 0..base.len() {
        let a = &base[..len];
        assert!(same(a, a), "len {len}");
        assert!(!same(a, &base[..len + 1]), "len {len}: longer");
        for at in 0..len {
            let mut b = a.to_vec();
            b[at] ^= 0x80;
            assert!(!same(a, &b), "len {len}: byte {at} differs");
        }
    }
}

#[test]
fn invalid_utf8_in_data_is_replaced_as_before() {
    let blocks = decode(&[b"event: a\xffb\ndata: x\xc3(y\n\n"]);
    let got = events(&blocks);
    assert_eq!(
        got,
        vec![(Some("a\u{fffd}b".into()), "x\u{fffd}(y".into(), None)]
    );
}

/// Whether `part` lies inside `whole` (the same memory, not a copy of it).
fn within(part: &[u8], whole: &[u8]) -> bool {
    let w = whole.as_ptr_range();
    let p = part.as_ptr_range();
    w.start <= p.start && p.end <= w.end
}

#[test]
fn events_inside_a_chunk_are_read_in_place() {
    // (case, first chunk, second chunk, events of the first chunk read in place)
    let cases: &[(&str, &str, &str, usize)] = &[
        ("two whole events", "data: a\n\ndata: b\n\n", "", 2),
        ("one whole, one cut", "data: a\n\ndata: b", "\n\n", 1),
        ("cut in the terminator", "data: a\r", "\n\r\n", 0),
    ];
    for (name, first, second, in_place) in cases {
        let mut d = Decoder::new(1 << 20);
        let mut out = Vec::new();
        d.push(first.as_bytes(), &mut out).unwrap();
        let borrowed = out
            .iter()
            .filter(|b| within(b.raw(), first.as_bytes()))
            .filter(|b| {
                b.data_bytes().is_some_and(|t| within(t, first.as_bytes()))
                    && b.data()
                        .is_some_and(|t| within(t.as_bytes(), first.as_bytes()))
            })
            .count();
        assert_eq!(borrowed, *in_place, "case {name}");
        let before = out.len();
        d.push(second.as_bytes(), &mut out).unwrap();
        d.finish(&mut out).unwrap();
        let raw: Vec<u8> = out.iter().flat_map(|b| b.raw().to_vec()).collect();
        assert_eq!(raw, format!("{first}{second}").as_bytes(), "case {name}");
        assert!(out.len() > before || second.is_empty(), "case {name}");
    }
    let input = b"{\"a\":1}\n{\"b\":2}\n{\"c\"";
    let mut d = ndjson::Decoder::new(1 << 20);
    let mut out = Vec::new();
    d.push(input, &mut out).unwrap();
    assert_eq!(out.len(), 2);
    assert!(out
        .iter()
        .all(|l| within(l.raw(), input) && within(l.text.as_bytes(), input)));
}

#[test]
fn string_stop_search_agrees_with_a_byte_walk() {
    use crate::stream::bytes::find_string_stop;
    let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
    // Plain bytes next to the stops (0x20 just above the control range, 0x80+ with the same
    // low bits as a stop) at every offset of a word.
    let fillers: &[u8] = &[b'a', 0x20, 0x21, 0x5b, 0x5d, 0xa2, 0xdc, 0xff, 0x7f];
    let stops: &[u8] = &[b'"', b'\\', 0x00, 0x0a, 0x1f];
    for len in 0..40 {
        for filler in fillers {
            let mut bytes = vec![*filler; len];
            assert_eq!(find_string_stop(&bytes), naive(&bytes), "len {len}");
            for at in 0..len {
                for stop in stops {
                    bytes[at] = *stop;
                    assert_eq!(
                        find_string_stop(&bytes),
                        Some(at),
                        "len {len} filler {filler:#x} stop {stop:#x} at {at}"
                    );
                    bytes[at] = *filler;
                }
            }
        }
    }
}

#[test]
fn substring_search_finds_the_first_occurrence() {
    use crate::stream::bytes::find;
    let cases: &[(&str, &str, &str, Option<usize>)] = &[
        ("absent", "plain prose, no dashes", "-----BEGIN ", None),
        ("at the start", "-----BEGIN RSA", "-----BEGIN ", Some(0)),
        (
            "after near misses",
            "- -- ----- -----BEGI -----BEGIN x",
            "-----BEGIN ",
            Some(21),
        ),
        ("cut at the end", "text -----BEGI", "-----BEGIN ", None),
        (
            "first of two",
            "a-----END X----- b-----END Y",
            "-----END ",
            Some(1),
        ),
        (
            "after multi-byte text",
            "é😀-----END ",
            "-----END ",
            Some(6),
        ),
        ("empty needle", "abc", "", None),
        ("empty haystack", "", "-", None),
    ];
    for (name, hay, needle, want) in cases {
        assert_eq!(
            find(hay.as_bytes(), needle.as_bytes()),
            *want,
            "case {name}"
        );
        if !needle.is_empty() {
            assert_eq!(hay.find(needle), *want, "case {name}: the table itself");
        }
    }
}

/// Everything a block says, for comparing two decodings.
type Decoded = (
    Vec<u8>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
    LineEnding,
    bool,
);

/// The decoding of `chunks`, and how many blocks were read by their outline.
fn decoded(d: Decoder, chunks: &[&[u8]]) -> (Vec<Decoded>, usize) {
    let mut d = d;
    let mut out = Vec::new();
    for c in chunks {
        d.push(c, &mut out).unwrap();
    }
    d.finish(&mut out).unwrap();
    let blocks = out
        .iter()
        .map(|b| {
            (
                b.raw().to_vec(),
                str(&b.event_type),
                b.data().map(String::from),
                str(&b.id),
                b.retry,
                b.ending,
                b.terminated,
            )
        })
        .collect();
    (blocks, d.fitted)
}

/// Streams of events that repeat an envelope around changing strings (and some that break
/// it: escapes, quotes, control characters and line ends inside the string, other lines
/// around the data, other line endings) decode the same whether blocks are read by their
/// outline or line by line, whole and under random splits.
#[test]
fn outlines_change_nothing_that_is_decoded() {
    use super::support::{random_chunks, Rng};
    let texts = [
        "plain words",
        "",
        "é😀 mixed",
        "a\\\"b",
        "tab\\tx",
        "c\"d",
        "e\rf",
        "g\nh",
        "i\u{1}j",
    ];
    let mut rng = Rng(7);
    let mut fitted = 0;
    for case in 0..300 {
        let mut input = String::new();
        if rng.chance(10) {
            input.push('\u{feff}');
        }
        let ending = ["\n", "\r\n", "\r"][rng.below(3)];
        // One envelope per stream, broken now and then.
        let named = rng.chance(30);
        let index = rng.below(2);
        for _ in 0..1 + rng.below(16) {
            let text = match rng.chance(70) {
                true => format!("words {}", rng.below(1000)),
                false => texts[rng.below(texts.len())].to_owned(),
            };
            if named != rng.chance(5) {
                input.push_str(&format!("event: delta{ending}"));
            }
            if rng.chance(5) {
                input.push_str(&format!("id: {}{ending}", rng.below(3)));
            }
            let i = if rng.chance(5) { 2 } else { index };
            input.push_str(&format!(
                "data: {{\"i\":{i},\"delta\":{{\"text\":\"{text}\"}}}}{ending}"
            ));
            if rng.chance(5) {
                input.push_str(&format!(": comment{ending}"));
            }
            input.push_str(ending);
        }
        if rng.chance(20) {
            input.push_str("data: {\"tail\":\"cut");
        }
        let bytes = input.as_bytes();
        for chunks in [vec![bytes], random_chunks(&mut rng, bytes)] {
            let (plain, none) = decoded(Decoder::new(1 << 20).without_shapes(), &chunks);
            let (shaped, n) = decoded(Decoder::new(1 << 20), &chunks);
            assert_eq!(
                shaped, plain,
                "case {case}: input {input:?} chunks {chunks:?}"
            );
            assert_eq!(none, 0);
            fitted += n;
        }
    }
    // The outline path was taken (the whole inputs alone repeat envelopes hundreds of times).
    assert!(fitted > 300, "only {fitted} blocks read by their outline");
}

#[test]
fn an_outline_does_not_stretch_the_event_bound() {
    let small = "data: {\"t\":\"ab\"}\n\n";
    let large = format!("data: {{\"t\":\"{}\"}}\n\n", "x".repeat(100));
    let mut d = Decoder::new(64);
    let mut out = Vec::new();
    d.push(small.as_bytes(), &mut out).unwrap();
    let err = d.push(large.as_bytes(), &mut out).unwrap_err();
    assert!(err.to_string().contains("64 bytes"), "{err}");
    assert_eq!(out.len(), 1);
}
