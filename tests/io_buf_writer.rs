//! `mirage::io::BufWriter`: what reaches the writer inside and when, and what a failing
//! writer leaves in the buffer; and `BufStream`, a buffer on each side of one stream.

mod panic_site;
mod prop_config;

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, ErrorKind, IoSlice};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mirage::Core;
use mirage::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, BufStream,
    BufWriter, duplex,
};
use proptest::prelude::*;

/// What the sink does at one write.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Takes at most this many bytes (0: `Ok(0)`).
    Take(usize),
    /// Returns `Pending`, after waking the task.
    Pending,
    /// Fails with `Interrupted`.
    Interrupted,
    /// Fails with `BrokenPipe`.
    Fail,
}

/// A sink that follows `script`, one step a write, and takes everything once it has run
/// out; it records what it took, each write's size, and the flushes and the close.
#[derive(Debug, Default)]
struct Sink {
    script: VecDeque<Step>,
    /// Steps to repeat, cyclically, once `script` has run out (none: take everything).
    cycle: Vec<Step>,
    turn: usize,
    taken: Vec<u8>,
    /// The number of bytes offered by each `poll_write` and `poll_write_vectored`.
    writes: Vec<usize>,
    vectored_writes: usize,
    events: Vec<&'static str>,
    start_reads: usize,
}

impl Sink {
    fn scripted(script: impl IntoIterator<Item = Step>) -> Sink {
        Sink {
            script: script.into_iter().collect(),
            ..Sink::default()
        }
    }

    fn next_step(&mut self) -> Step {
        if let Some(step) = self.script.pop_front() {
            return step;
        }
        if self.cycle.is_empty() {
            return Step::Take(usize::MAX);
        }
        self.turn += 1;
        self.cycle[(self.turn - 1) % self.cycle.len()]
    }

    fn write(&mut self, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        self.writes.push(bytes.len());
        match self.next_step() {
            Step::Take(most) => {
                let n = most.min(bytes.len());
                self.taken.extend_from_slice(&bytes[..n]);
                Poll::Ready(Ok(n))
            }
            Step::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Step::Interrupted => Poll::Ready(Err(ErrorKind::Interrupted.into())),
            Step::Fail => Poll::Ready(Err(ErrorKind::BrokenPipe.into())),
        }
    }
}

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.vectored_writes += 1;
        let bytes: Vec<u8> = bufs.iter().flat_map(|buf| buf.iter().copied()).collect();
        this.write(cx, &bytes)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().events.push("flush");
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.events.push(if this.taken.is_empty() {
            "close with nothing taken"
        } else {
            "close"
        });
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Sink {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = buf.len().min(5);
        buf[..n].copy_from_slice(&b"reply"[..n]);
        Poll::Ready(Ok(n))
    }

    fn start_read(self: Pin<&mut Self>) {
        self.get_mut().start_reads += 1;
    }
}

/// Polls `future` once; if pending, drops it (as a losing `select!` branch is dropped).
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    pin!(future).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn small_writes_reach_the_writer_only_when_the_buffer_fills_or_on_flush() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::with_capacity(8, Sink::default());
        writer.write_all(b"abc").await.unwrap();
        writer.write_all(b"def").await.unwrap();
        assert!(
            writer.get_ref().taken.is_empty(),
            "6 of 8 bytes: all buffered"
        );
        assert_eq!(writer.buffer(), b"abcdef");
        writer.write_all(b"ghi").await.unwrap();
        assert_eq!(
            writer.get_ref().taken,
            b"abcdef",
            "9 bytes do not fit: written out"
        );
        assert_eq!(writer.get_ref().writes, [6], "in one write");
        assert_eq!(writer.buffer(), b"ghi");
        writer.flush().await.unwrap();
        assert_eq!(writer.get_ref().taken, b"abcdefghi");
        assert_eq!(writer.get_ref().events, ["flush"]);
        assert!(writer.buffer().is_empty());
    });
}

#[test]
fn a_write_as_large_as_the_buffer_bypasses_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::with_capacity(4, Sink::default());
        assert_eq!(writer.write(b"abcd").await.unwrap(), 4);
        assert_eq!(writer.get_ref().writes, [4], "straight to the writer");
        assert!(writer.buffer().is_empty());
        writer.write_all(b"x").await.unwrap();
        writer.write_all(b"0123456789").await.unwrap();
        assert_eq!(
            writer.get_ref().writes,
            [4, 1, 10],
            "the buffer first, then the large write, unbuffered"
        );
        assert_eq!(writer.get_ref().taken, b"abcdx0123456789");
    });
}

#[test]
fn a_failed_write_out_keeps_the_bytes_the_writer_did_not_take() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let sink = Sink::scripted([Step::Take(2), Step::Fail]);
        let mut writer = BufWriter::with_capacity(8, sink);
        writer.write_all(b"abcdef").await.unwrap();
        let err = writer.flush().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        assert_eq!(writer.get_ref().taken, b"ab");
        assert_eq!(
            writer.buffer(),
            b"cdef",
            "what the writer took is gone, the rest kept"
        );
        writer.flush().await.unwrap();
        assert_eq!(
            writer.get_ref().taken,
            b"abcdef",
            "nothing lost, nothing twice"
        );
    });
}

#[test]
fn a_write_that_fails_writing_out_the_buffer_takes_none_of_its_bytes() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let sink = Sink::scripted([Step::Take(2), Step::Fail]);
        let mut writer = BufWriter::with_capacity(8, sink);
        writer.write_all(b"abcdef").await.unwrap();
        let err = writer.write(b"xyz").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        assert_eq!(writer.buffer(), b"cdef", "xyz was not taken");
        // "cdef" sits at the back of the buffer; with "xyz" beside it, it fits again.
        assert_eq!(writer.write(b"xyz").await.unwrap(), 3);
        assert_eq!(writer.buffer(), b"cdefxyz");
        writer.flush().await.unwrap();
        assert_eq!(writer.get_ref().taken, b"abcdefxyz");
    });
}

#[test]
fn a_flush_dropped_while_pending_leaves_the_rest_for_the_next() {
    let sink = Sink::scripted([Step::Take(2), Step::Pending]);
    let mut writer = BufWriter::with_capacity(8, sink);
    assert!(poll_once(writer.write_all(b"abcdef")).is_ready());
    assert!(poll_once(writer.flush()).is_pending());
    assert_eq!(writer.buffer(), b"cdef");
    assert!(matches!(poll_once(writer.flush()), Poll::Ready(Ok(()))));
    assert_eq!(writer.get_ref().taken, b"abcdef");
}

#[test]
fn a_writer_that_takes_nothing_fails_the_flush_with_write_zero() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::with_capacity(8, Sink::scripted([Step::Take(0)]));
        writer.write_all(b"abc").await.unwrap();
        let err = writer.flush().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
        assert_eq!(writer.buffer(), b"abc");
        assert!(
            writer.get_ref().events.is_empty(),
            "the writer is not flushed"
        );
    });
}

#[test]
fn an_interrupted_write_out_is_retried() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let sink = Sink::scripted([Step::Interrupted, Step::Interrupted]);
        let mut writer = BufWriter::with_capacity(8, sink);
        writer.write_all(b"abc").await.unwrap();
        writer.flush().await.unwrap();
        assert_eq!(writer.get_ref().taken, b"abc");
        assert_eq!(writer.get_ref().writes, [3, 3, 3]);
    });
}

#[test]
fn close_writes_out_the_buffer_first() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::new(Sink::default());
        writer.write_all(b"bye").await.unwrap();
        writer.close().await.unwrap();
        assert_eq!(writer.get_ref().taken, b"bye");
        assert_eq!(writer.get_ref().events, ["close"]);
    });
}

#[test]
fn close_over_a_duplex_stream_ends_the_peers_stream_after_the_bytes() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, mut theirs) = duplex(64);
        let mut writer = BufWriter::new(ours);
        writer.write_all(b"last ").await.unwrap();
        writer.write_all(b"words").await.unwrap();
        writer.close().await.unwrap();
        let mut got = Vec::new();
        theirs.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last words");
    });
}

#[test]
fn vectored_writes_are_buffered_whole_or_handed_on_whole() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::with_capacity(8, Sink::default());
        let small = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")];
        assert_eq!(writer.write_vectored(&small).await.unwrap(), 4);
        assert_eq!(writer.buffer(), b"abcd");
        assert!(writer.get_ref().writes.is_empty());
        let large = [IoSlice::new(b"0123"), IoSlice::new(b"4567")];
        assert_eq!(writer.write_vectored(&large).await.unwrap(), 8);
        assert_eq!(writer.get_ref().writes, [4, 8]);
        assert_eq!(
            writer.get_ref().vectored_writes,
            1,
            "the large one as one vectored write"
        );
        assert_eq!(writer.get_ref().taken, b"abcd01234567");
    });
}

/// A writer without a vectored write of its own (the provided one writes the first
/// non-empty buffer), recording the size of each write it is given.
#[derive(Default)]
struct Plain {
    taken: Vec<u8>,
    writes: Vec<usize>,
}

impl AsyncWrite for Plain {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.writes.push(buf.len());
        this.taken.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn vectored_writes_larger_than_the_buffer_are_gathered_for_a_writer_without_vectored_writes() {
    // As std's and tokio's `BufWriter`: small buffers are gathered into the buffer however
    // many there are, rather than handed one at a time to a writer that would write only
    // the first.
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::with_capacity(8, Plain::default());
        let bytes = b"0123456789";
        let mut written = 0;
        while written < bytes.len() {
            let rest: Vec<IoSlice<'_>> = bytes[written..].chunks(1).map(IoSlice::new).collect();
            written += writer.write_vectored(&rest).await.unwrap();
        }
        writer.flush().await.unwrap();
        assert_eq!(writer.get_ref().taken, bytes);
        assert_eq!(
            writer.get_ref().writes,
            [8, 2],
            "gathered into the buffer, not written a byte at a time"
        );

        // A first buffer as large as the buffer still goes straight to the writer, and
        // empty buffers ahead of it are skipped.
        let mut writer = BufWriter::with_capacity(4, Plain::default());
        let large = [
            IoSlice::new(b""),
            IoSlice::new(b"abcd"),
            IoSlice::new(b"ef"),
        ];
        assert_eq!(writer.write_vectored(&large).await.unwrap(), 4);
        assert_eq!(writer.get_ref().writes, [4]);
        assert!(writer.buffer().is_empty());
    });
}

#[test]
fn reads_go_through_a_buf_writer() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::new(Sink::default());
        let mut reply = [0; 5];
        writer.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"reply");
        assert_eq!(writer.get_ref().start_reads, 1, "start_read is forwarded");
    });
}

#[test]
fn a_line_protocol_reads_and_writes_through_buf_writer_over_buf_reader() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, server) = duplex(64);
        mirage::spawn(async move {
            let mut server = BufWriter::new(BufReader::new(server));
            let mut line = String::new();
            while server.read_line(&mut line).await.unwrap() > 0 {
                server
                    .write_all(line.to_uppercase().as_bytes())
                    .await
                    .unwrap();
                server.flush().await.unwrap();
                line.clear();
            }
        });
        let mut client = BufWriter::new(BufReader::new(client));
        for word in ["one\n", "two\n"] {
            client.write_all(word.as_bytes()).await.unwrap();
            client.flush().await.unwrap();
            let mut answer = String::new();
            client.read_line(&mut answer).await.unwrap();
            assert_eq!(answer, word.to_uppercase());
        }
    });
}

#[test]
fn into_parts_hands_back_the_unwritten_bytes() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::with_capacity(8, Sink::default());
        writer.write_all(b"abc").await.unwrap();
        let (sink, unwritten) = writer.into_parts();
        assert!(sink.taken.is_empty());
        assert_eq!(unwritten, b"abc");
    });
}

#[test]
fn debug_shows_the_writer_and_how_full_the_buffer_is() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut writer = BufWriter::with_capacity(8, Vec::new());
        writer.write_all(b"abc").await.unwrap();
        assert_eq!(
            format!("{writer:?}"),
            "BufWriter { writer: [], buffer: 3/8 }"
        );
    });
}

/// One call of the property test: a plain or a vectored write of some bytes.
#[derive(Debug, Clone)]
enum Call {
    Write(Vec<u8>),
    Vectored(Vec<Vec<u8>>),
}

fn call() -> impl Strategy<Value = Call> {
    let bytes = || prop::collection::vec(any::<u8>(), 0..24);
    prop_oneof![
        3 => bytes().prop_map(Call::Write),
        1 => prop::collection::vec(bytes(), 0..4).prop_map(Call::Vectored),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        6 => (0usize..30).prop_map(Step::Take),
        2 => Just(Step::Pending),
        1 => Just(Step::Interrupted),
        1 => Just(Step::Fail),
    ];
    // A final `Take` of at least one byte keeps the sink moving.
    (prop::collection::vec(step, 0..8), 1usize..30).prop_map(|(mut steps, take)| {
        steps.push(Step::Take(take));
        steps
    })
}

proptest! {
    #![proptest_config(prop_config::config(256))]

    /// Whatever the writer inside does (takes part, fails, waits), what it ends up with,
    /// after a successful flush, is exactly the bytes the writes reported taken, in order.
    #[test]
    fn the_writer_gets_exactly_the_bytes_taken_in_order(
        calls in prop::collection::vec(call(), 0..30),
        steps in steps(),
        capacity in 0usize..32,
    ) {
        let mut core = Core::new().unwrap();
        let (taken, expected) = core.run(async {
            let sink = Sink { cycle: steps, ..Sink::default() };
            let mut writer = BufWriter::with_capacity(capacity, sink);
            let mut expected = Vec::new();
            for call in &calls {
                let (result, bytes) = match call {
                    Call::Write(bytes) => (writer.write(bytes).await, bytes.clone()),
                    Call::Vectored(bufs) => {
                        let slices: Vec<_> = bufs.iter().map(|b| IoSlice::new(b)).collect();
                        (writer.write_vectored(&slices).await, bufs.concat())
                    }
                };
                if let Ok(n) = result {
                    assert!(n <= bytes.len());
                    expected.extend_from_slice(&bytes[..n]);
                }
                assert!(writer.buffer().len() <= writer.capacity());
            }
            while writer.flush().await.is_err() {}
            assert!(writer.buffer().is_empty());
            assert_eq!(writer.get_ref().events.last(), Some(&"flush"));
            (writer.into_inner().taken, expected)
        });
        prop_assert_eq!(taken, expected);
    }
}

/// `BufStream`: writes wait in the write buffer until a flush, reads come from the read
/// buffer, and both directions share one stream.
#[test]
fn buf_stream_buffers_each_direction_of_one_stream() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, mut peer) = duplex(1024);
        let mut stream = mirage::io::BufStream::with_capacity(16, 64, ours);
        stream.write_all(b"request\n").await.unwrap();
        let mut probe = [0; 8];
        let mut cx = Context::from_waker(Waker::noop());
        let early = Pin::new(&mut peer).poll_read(&mut cx, &mut probe);
        assert!(
            early.is_pending(),
            "nothing reaches the peer before the flush"
        );
        stream.flush().await.unwrap();
        peer.read_exact(&mut probe).await.unwrap();
        assert_eq!(&probe, b"request\n");

        peer.write_all(b"first line\nsecond").await.unwrap();
        let mut line = String::new();
        stream.read_line(&mut line).await.unwrap();
        assert_eq!(line, "first line\n");
        let mut rest = [0; 6];
        stream.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"second");
        stream.shutdown().await.unwrap();
        assert_eq!(
            peer.read(&mut probe).await.unwrap(),
            0,
            "shutdown reaches the peer"
        );
    });
}

/// `BufStream::from` either layering of a `BufReader` and a `BufWriter`: bytes read ahead
/// and bytes not yet written stay where they were, and the write buffer keeps its capacity.
#[test]
fn buf_stream_from_either_layering_keeps_both_buffers() {
    let mut core = Core::new().unwrap();
    core.run(async {
        for writer_outside in [true, false] {
            let (ours, mut peer) = duplex(1024);
            peer.write_all(b"one\ntwo\n").await.unwrap();
            let mut line = String::new();
            let mut stream = if writer_outside {
                let mut layers = BufWriter::with_capacity(8, BufReader::with_capacity(16, ours));
                layers.read_line(&mut line).await.unwrap();
                layers.write_all(b"abc").await.unwrap();
                BufStream::from(layers)
            } else {
                let mut layers = BufReader::with_capacity(16, BufWriter::with_capacity(8, ours));
                layers.read_line(&mut line).await.unwrap();
                layers.write_all(b"abc").await.unwrap();
                BufStream::from(layers)
            };
            assert_eq!(line, "one\n");
            // 3 + 5 bytes fill the 8-byte write buffer without writing it out.
            stream.write_all(b"defgh").await.unwrap();
            let mut probe = [0; 8];
            let early = poll_once(peer.read(&mut probe));
            assert!(early.is_pending(), "{writer_outside}: written out early");
            stream.flush().await.unwrap();
            peer.read_exact(&mut probe).await.unwrap();
            assert_eq!(&probe, b"abcdefgh");

            line.clear();
            // Bounded: with the read-ahead bytes lost, the read would wait for the peer.
            let read = stream.read_line(&mut line);
            let read = mirage::time::timeout(Duration::from_secs(10), read).await;
            read.expect("the read-ahead bytes were lost").unwrap();
            assert_eq!(
                line, "two\n",
                "{writer_outside}: the read-ahead bytes are kept"
            );
        }
    });
}

#[test]
#[should_panic(expected = "BufStream::with_capacity: the read capacity must be at least 1 byte")]
fn buf_stream_refuses_a_read_buffer_of_zero_in_its_own_name() {
    // Its `BufReader` cannot have an empty buffer; the panic names the call that was made.
    let _ = mirage::io::BufStream::with_capacity(0, 64, mirage::io::empty());
}

#[test]
fn a_zero_read_buffer_panics_at_the_caller_s_line() {
    use mirage::io::{BufReader, BufStream, empty};
    let stream = || drop(BufStream::with_capacity(0, 64, empty()));
    assert_eq!(panic_site::panic_location(stream), file!());
    let reader = || drop(BufReader::with_capacity(0, empty()));
    assert_eq!(panic_site::panic_location(reader), file!());
}
