//! Differential property tests of the buffered reading in `mirage::io`: `BufReader`,
//! `read_until`, `read_line` and `lines` against `std::io::BufReader` and `std::io::BufRead`
//! on the same bytes, with the source handing them over in random pieces, returning
//! `Pending` or `Interrupted` at random, and (for `next_line`) the futures dropped at random
//! while pending.

mod prop_config;

use std::future::Future;
use std::io::{self, BufRead};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use mirage::Core;
use mirage::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use proptest::prelude::*;

/// What the source does at one poll.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Hands over at most this many bytes.
    Give(usize),
    /// Returns `Pending`, after waking the task.
    Pending,
    /// Fails with `Interrupted`, which readers retry.
    Interrupted,
}

/// A source that follows `steps` (cyclically) while it has bytes.
struct Source {
    data: Vec<u8>,
    at: usize,
    steps: Vec<Step>,
    step: usize,
}

impl AsyncRead for Source {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let step = this.steps[this.step % this.steps.len()];
        this.step += 1;
        match step {
            Step::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Step::Interrupted => Poll::Ready(Err(io::ErrorKind::Interrupted.into())),
            Step::Give(most) => {
                let n = most.min(buf.len()).min(this.data.len() - this.at);
                buf[..n].copy_from_slice(&this.data[this.at..this.at + n]);
                this.at += n;
                Poll::Ready(Ok(n))
            }
        }
    }
}

/// Bytes rich in line ends, carriage returns and (now and then) bytes that are not UTF-8.
fn text() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        6 => prop::sample::select(b"abc xyz".to_vec()),
        2 => Just(b'\n'),
        1 => Just(b'\r'),
        1 => Just(0xe2), // starts a three-byte character
        1 => Just(0x82),
        1 => Just(0xac), // e2 82 ac is "€"; alone, or in another order, they are not UTF-8
    ];
    prop::collection::vec(byte, 0..300)
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        6 => (1usize..40).prop_map(Step::Give),
        2 => Just(Step::Pending),
        1 => Just(Step::Interrupted),
    ];
    // At least one `Give` keeps the source moving.
    (prop::collection::vec(step, 0..8), 1usize..40).prop_map(|(mut steps, give)| {
        steps.push(Step::Give(give));
        steps
    })
}

/// Read sizes, some of them 0, and at least one not (so that the reads reach the end).
fn sizes() -> impl Strategy<Value = Vec<usize>> {
    (prop::collection::vec(0usize..100, 0..10), 1usize..100).prop_map(|(mut sizes, size)| {
        sizes.push(size);
        sizes
    })
}

fn source(data: &[u8], steps: Vec<Step>) -> Source {
    Source {
        data: data.to_vec(),
        at: 0,
        steps,
        step: 0,
    }
}

/// An error as the comparisons see it: `Interrupted` never reaches the caller of the
/// line readers, so only the kind matters.
fn kind<T>(result: io::Result<T>) -> Result<T, io::ErrorKind> {
    result.map_err(|err| err.kind())
}

/// `std`'s lines, each with the result `next_line` should give.
fn std_lines(data: &[u8]) -> Vec<Result<String, io::ErrorKind>> {
    io::BufReader::new(data).lines().map(kind).collect()
}

/// Polls `future` once; if pending, drops it (as a losing `select!` branch is dropped).
fn poll_once<F: Future>(future: F, cx: &mut Context<'_>) -> Option<F::Output> {
    match pin!(future).poll(cx) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// A `read_line` dropped in the middle of a line (as a losing `select!` branch is) leaves
/// the string as it was: the part of the line read so far is cut off again.
#[test]
fn a_dropped_read_line_leaves_the_string_as_it_was() {
    // "par" arrives, then nothing: the line stays unfinished.
    let mut reader = BufReader::new(source(b"par", vec![Step::Give(3), Step::Pending]));
    let mut line = String::from("before|");
    let waker = std::task::Waker::noop();
    let polled = poll_once(reader.read_line(&mut line), &mut Context::from_waker(waker));
    assert!(polled.is_none(), "the line is unfinished");
    assert_eq!(line, "before|");
}

/// A line over `max_len` whose end is already buffered is skipped with its error: the next
/// call goes on with the line after it, instead of failing on the same bytes again forever.
#[test]
fn a_buffered_line_over_the_limit_is_skipped_after_its_error() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut lines = BufReader::new(&b"1234567\nabc\n"[..]).lines().max_len(5);
        let err = lines.next_line().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("abc"));
        assert_eq!(lines.next_line().await.unwrap(), None);
    });
}

/// A line over `max_len` whose end has not arrived yet is skipped up to its newline, however
/// far that comes, without buffering it: its tail is never returned as a line of its own.
#[test]
fn the_rest_of_a_line_over_the_limit_is_skipped_when_it_arrives() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let text = b"123456789abcdef\nabc\n1234567";
        let mut lines = BufReader::with_capacity(4, &text[..]).lines().max_len(5);
        let err = lines.next_line().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("abc"));
        // Over the limit again, then the end of the stream while skipping it.
        assert!(lines.next_line().await.is_err());
        assert_eq!(lines.next_line().await.unwrap(), None);
    });
}

proptest! {
    #![proptest_config(prop_config::config(256))]

    /// Reads of random sizes through a `BufReader` of random capacity yield the bytes of
    /// the source, in order, and nothing else.
    #[test]
    fn buf_reader_yields_every_byte_in_order(
        data in prop::collection::vec(any::<u8>(), 0..2000),
        steps in steps(),
        capacity in 1usize..64,
        sizes in sizes(),
    ) {
        let mut core = Core::new().unwrap();
        let read = core.run(async {
            let mut reader = BufReader::with_capacity(capacity, source(&data, steps));
            let mut read = Vec::new();
            for size in sizes.iter().cycle() {
                let mut buf = vec![0; *size];
                match reader.read(&mut buf).await {
                    Ok(0) if *size > 0 => break,
                    Ok(n) => read.extend_from_slice(&buf[..n]),
                    Err(err) => assert_eq!(err.kind(), io::ErrorKind::Interrupted),
                }
            }
            read
        });
        prop_assert_eq!(read, data);
    }

    /// `read_until` finds what `std`'s finds, piece by piece.
    #[test]
    fn read_until_matches_std(
        data in text(),
        steps in steps(),
        capacity in 1usize..32,
        delimiter in prop::sample::select(b"\nx\r".to_vec()),
    ) {
        let mut expected = Vec::new();
        let mut std_reader = io::BufReader::new(&data[..]);
        loop {
            let mut piece = Vec::new();
            if std_reader.read_until(delimiter, &mut piece).unwrap() == 0 {
                break;
            }
            expected.push(piece);
        }
        let mut core = Core::new().unwrap();
        let pieces = core.run(async {
            let mut reader = BufReader::with_capacity(capacity, source(&data, steps));
            let mut pieces = Vec::new();
            loop {
                let mut piece = Vec::new();
                let n = reader.read_until(delimiter, &mut piece).await.unwrap();
                assert_eq!(n, piece.len());
                if n == 0 {
                    break pieces;
                }
                pieces.push(piece);
            }
        });
        prop_assert_eq!(pieces, expected);
    }

    /// `read_line` gives what `std`'s gives, errors for lines that are not UTF-8 included,
    /// and leaves the string as it was when it fails.
    #[test]
    fn read_line_matches_std(data in text(), steps in steps(), capacity in 1usize..32) {
        let mut expected = Vec::new();
        let mut std_reader = io::BufReader::new(&data[..]);
        loop {
            let mut line = String::from("before|");
            match std_reader.read_line(&mut line) {
                Ok(0) => break,
                result => expected.push((kind(result), line)),
            }
        }
        let mut core = Core::new().unwrap();
        let lines = core.run(async {
            let mut reader = BufReader::with_capacity(capacity, source(&data, steps));
            let mut lines = Vec::new();
            loop {
                let mut line = String::from("before|");
                match reader.read_line(&mut line).await {
                    Ok(0) => break lines,
                    result => lines.push((kind(result), line)),
                }
            }
        });
        prop_assert_eq!(lines, expected);
    }

    /// `next_line` gives `std`'s lines, even when most calls are dropped while pending (it
    /// is cancel-safe) and the reader's capacity is smaller than a line.
    #[test]
    fn next_line_matches_std_when_dropped_at_random(
        data in text(),
        steps in steps(),
        capacity in 1usize..32,
        drop_pending in any::<bool>(),
    ) {
        let expected = std_lines(&data);
        let mut core = Core::new().unwrap();
        let lines = core.run(async {
            let mut lines = BufReader::with_capacity(capacity, source(&data, steps)).lines();
            let mut all = Vec::new();
            loop {
                let next = if drop_pending {
                    // A fresh call each poll: each pending one is dropped.
                    loop {
                        let polled = std::future::poll_fn(|cx| {
                            Poll::Ready(poll_once(lines.next_line(), cx))
                        })
                        .await;
                        match polled {
                            Some(next) => break next,
                            None => mirage::yield_now().await,
                        }
                    }
                } else {
                    lines.next_line().await
                };
                match kind(next).transpose() {
                    None => break all,
                    Some(line) => all.push(line),
                }
            }
        });
        prop_assert_eq!(lines, expected);
    }

    /// With a limit, `next_line` gives `std`'s lines up to the first that is too long, and
    /// then an `InvalidData` error.
    #[test]
    fn next_line_refuses_the_first_line_over_the_limit(
        data in text(),
        steps in steps(),
        capacity in 1usize..32,
        max_len in 0usize..20,
    ) {
        // The model: the raw lines (as `std` splits them), refused for their length first.
        let mut expected = Vec::new();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &[][..]),
            };
            if next.len() < rest.len() - line.len() && line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            rest = next;
            if line.len() > max_len {
                expected.push(Err(io::ErrorKind::InvalidData));
                break;
            }
            expected.push(
                String::from_utf8(line.to_vec()).map_err(|_| io::ErrorKind::InvalidData),
            );
        }
        let mut core = Core::new().unwrap();
        let lines = core.run(async {
            let mut lines = BufReader::with_capacity(capacity, source(&data, steps))
                .lines()
                .max_len(max_len);
            let mut all = Vec::new();
            while all.len() < expected.len() {
                match kind(lines.next_line().await).transpose() {
                    None => break,
                    Some(line) => all.push(line),
                }
            }
            all
        });
        prop_assert_eq!(lines, expected);
    }
}
