//! Property tests of the byte streams and the reactor's readiness cache.
//!
//! Random exchanges on TCP and Unix stream pairs: reads, `try_read`s and peeks of random
//! sizes (0 and 1 included) raced against `select!` branches and timeouts that drop them,
//! read timeouts that fail some of them, several tasks on one stream through an `Rc`,
//! buffers small enough that writes wait for writability, half closes, resets and urgent
//! data from the peer. The properties are the documented ones: a cancelled read loses nothing, every byte
//! arrives exactly once and in order, end of stream comes after the last byte, and nothing
//! hangs.
//!
//! Everything runs in real time, bounded by a generous guard that turns a lost wake-up into
//! a failure. (Paused time would jump the guard forward whenever the kernel has not yet
//! delivered a loopback packet.) The races use yields and timeouts of microseconds, so a
//! case takes milliseconds.

mod net_common;
mod prop_config;

use std::cell::RefCell;
use std::io::{self, IoSliceMut};
use std::net::Shutdown;
use std::rc::Rc;
use std::time::Duration;

use mirage::Core;
use mirage::time::timeout;
use net_common::streams::{
    GUARD, Kind, StdPeer, Stream, pace_strategy, prompt, race_strategy, set_linger_zero,
    small_buffers,
};
use net_common::{Lcg, Pace, Race, bytes, join, race, send_urgent, yields};
use prop_config::config;
use proptest::prelude::*;

/// A buffer length, small ones (0 and 1 included) often.
fn len_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![
        1 => Just(0usize),
        2 => 1usize..4,
        3 => 4usize..3000,
    ]
}

/// One step of the reader of [`cancelled_reads_lose_nothing`].
#[derive(Debug, Clone)]
enum ReadOp {
    Read(usize, Race),
    PollRead(usize, Race),
    /// A vectored read into buffers of these lengths.
    Vectored(Vec<usize>, Race),
    Peek(usize, Race),
    /// `try_read`, waiting with `readable` after each `WouldBlock`.
    TryRead(usize, Race),
    /// Sets (microseconds) or clears the read timeout.
    Timeout(Option<u16>),
}

fn read_op_strategy() -> impl Strategy<Value = ReadOp> {
    prop_oneof![
        4 => (len_strategy(), race_strategy()).prop_map(|(n, r)| ReadOp::Read(n, r)),
        2 => (len_strategy(), race_strategy()).prop_map(|(n, r)| ReadOp::PollRead(n, r)),
        1 => (prop::collection::vec(0usize..700, 0..4), race_strategy())
            .prop_map(|(lens, r)| ReadOp::Vectored(lens, r)),
        2 => (len_strategy(), race_strategy()).prop_map(|(n, r)| ReadOp::Peek(n, r)),
        2 => (len_strategy(), race_strategy()).prop_map(|(n, r)| ReadOp::TryRead(n, r)),
        1 => prop::option::of(50u16..3000).prop_map(ReadOp::Timeout),
    ]
}

/// What a read returned, or `None` if it lost its race.
type Outcome = Option<io::Result<usize>>;

/// A read's outcome checked against the bytes still expected: returns how many it
/// consumed, and whether it saw end of stream.
fn check_read(outcome: Outcome, asked: usize, got: &[u8], expected: &[u8]) -> (usize, bool) {
    match outcome {
        None => (0, false),
        Some(Err(err)) => {
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
            (0, false)
        }
        Some(Ok(n)) => {
            assert!(n <= asked, "read {n} bytes into {asked}");
            assert_eq!(
                &got[..n],
                &expected[..n.min(expected.len())],
                "bytes out of order"
            );
            (n, n == 0 && asked > 0)
        }
    }
}

/// The reader's whole run: cycles through `ops` until a read reports end of stream, then
/// checks it came after exactly the bytes sent. A plain read of 4 KiB ends each cycle, so
/// the stream always makes progress.
async fn read_to_end_with(stream: &Stream, ops: &[ReadOp], sent: &[u8]) {
    let plain = ReadOp::Read(4096, Race::None);
    let mut received = 0;
    let mut buf = vec![0u8; 4096];
    for op in ops.iter().chain([&plain]).cycle() {
        let expected = &sent[received..];
        let (n, eof) = match op {
            ReadOp::Read(len, r) => {
                let outcome = race(*r, stream.read(&mut buf[..*len])).await;
                check_read(outcome, *len, &buf, expected)
            }
            ReadOp::PollRead(len, r) => {
                let outcome = race(*r, stream.poll_read(&mut buf[..*len])).await;
                check_read(outcome, *len, &buf, expected)
            }
            ReadOp::Vectored(lens, r) => {
                let mut storage: Vec<Vec<u8>> = lens.iter().map(|&n| vec![0; n]).collect();
                let mut slices: Vec<_> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
                let outcome = race(*r, stream.read_vectored(&mut slices)).await;
                let flat: Vec<u8> = storage.concat();
                check_read(outcome, flat.len(), &flat, expected)
            }
            ReadOp::TryRead(len, r) => {
                let outcome = race(*r, stream.try_read_loop(&mut buf[..*len])).await;
                check_read(outcome, *len, &buf, expected)
            }
            ReadOp::Peek(len, r) => {
                let outcome = race(*r, stream.peek(&mut buf[..*len])).await;
                check_read(outcome, *len, &buf, expected);
                (0, false)
            }
            ReadOp::Timeout(us) => {
                stream
                    .set_read_timeout(us.map(|us| Duration::from_micros(us.into())))
                    .unwrap();
                (0, false)
            }
        };
        received += n;
        if eof {
            assert_eq!(received, sent.len(), "end of stream before the last byte");
            return;
        }
    }
}

/// The writer's chunks: a length and how many times to yield before writing it.
fn chunks_strategy() -> impl Strategy<Value = Vec<(usize, u8)>> {
    prop::collection::vec((1usize..3000, 0u8..4), 0..24)
}

/// Writes `data` in `chunks` (the last one takes the rest), yielding between them, then
/// shuts down the write half.
async fn write_in_chunks(stream: &Stream, data: &[u8], chunks: &[(usize, u8)]) {
    let mut offset = 0;
    for &(len, pause) in chunks {
        yields(pause).await;
        let end = (offset + len).min(data.len());
        stream.write_all(&data[offset..end]).await.unwrap();
        offset = end;
    }
    stream.write_all(&data[offset..]).await.unwrap();
    stream.shutdown(Shutdown::Write);
}

fn cancelled_reads_lose_nothing(kind: Kind, chunks: &[(usize, u8)], ops: &[ReadOp]) {
    let total = chunks.iter().map(|c| c.0).sum();
    let data = bytes(total as u64, total);
    let mut core = Core::new().unwrap();
    core.run(async {
        let (writer, reader) = Stream::pair(kind).await;
        let writing = write_in_chunks(&writer, &data, chunks);
        let reading = read_to_end_with(&reader, ops, &data);
        let both = async { join(writing, reading).await };
        timeout(GUARD, both).await.expect("the exchange hung");
    });
}

proptest! {
    #![proptest_config(config(48))]

    /// Reads, vectored, poll-level and `try_read` reads and peeks, of random sizes, raced against
    /// `select!` branches and timeouts that drop them, some failing with a read timeout:
    /// what is read is exactly what was written, in order, then end of stream.
    #[test]
    fn tcp_cancelled_reads_lose_nothing(
        chunks in chunks_strategy(),
        ops in prop::collection::vec(read_op_strategy(), 0..24),
    ) {
        cancelled_reads_lose_nothing(Kind::Tcp, &chunks, &ops);
    }

    /// As `tcp_cancelled_reads_lose_nothing`, on a Unix stream pair.
    #[test]
    fn unix_cancelled_reads_lose_nothing(
        chunks in chunks_strategy(),
        ops in prop::collection::vec(read_op_strategy(), 0..24),
    ) {
        cancelled_reads_lose_nothing(Kind::Unix, &chunks, &ops);
    }
}

/// One task's script in [`concurrent_tasks_share_a_stream`]: operation sizes and paces,
/// cycled.
type Script = Vec<(usize, Pace)>;

fn script_strategy() -> impl Strategy<Value = Script> {
    prop::collection::vec((1usize..20_000, pace_strategy()), 1..8)
}

/// A log of the bytes moved by several tasks on one stream, in the order their operations
/// completed: on one thread each operation completes whole, so this is the stream's order.
type Log = Rc<RefCell<Vec<u8>>>;

/// Writes `data` with single `write`s of the script's sizes, logging what each one took.
async fn logging_writer(
    stream: Rc<Stream>,
    data: Vec<u8>,
    log: Log,
    script: Script,
    poll_level: bool,
) {
    let mut rest = &data[..];
    for &(len, pace) in script.iter().cycle() {
        if rest.is_empty() {
            return;
        }
        pace.wait().await;
        let chunk = &rest[..len.min(rest.len())];
        let n = if poll_level {
            stream.poll_write(chunk).await.unwrap()
        } else {
            stream.write(chunk).await.unwrap()
        };
        assert!(0 < n && n <= chunk.len());
        log.borrow_mut().extend_from_slice(&chunk[..n]);
        rest = &rest[n..];
    }
}

/// Reads until end of stream, logging what each read returned.
async fn shared_reader(stream: Rc<Stream>, log: Log, script: Script, poll_level: bool) {
    let mut buf = vec![0u8; 20_000];
    for &(len, pace) in script.iter().cycle() {
        pace.wait().await;
        let n = if poll_level {
            stream.poll_read(&mut buf[..len]).await.unwrap()
        } else {
            stream.read(&mut buf[..len]).await.unwrap()
        };
        if n == 0 {
            return;
        }
        log.borrow_mut().extend_from_slice(&buf[..n]);
    }
}

/// Two writers on one end of a stream and two readers on the other, each direction at
/// once, through `Rc`s, with small socket buffers so that writes wait for room. One task
/// per direction and side uses the poll-level traits (they wake only the last task to poll,
/// so only one may), the other the `async` methods.
fn concurrent_tasks_share_a_stream(kind: Kind, lens: (usize, usize, usize), scripts: &[Script]) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = Stream::pair(kind).await;
        small_buffers(&a);
        small_buffers(&b);
        let (a, b) = (Rc::new(a), Rc::new(b));
        let [w1, w2, r1, r2, back_w, back_r] = scripts else {
            unreachable!()
        };
        let sent: Log = Rc::default();
        let received: Log = Rc::default();
        let writers = [
            mirage::spawn(logging_writer(
                a.clone(),
                bytes(1, lens.0),
                sent.clone(),
                w1.clone(),
                false,
            )),
            mirage::spawn(logging_writer(
                a.clone(),
                bytes(2, lens.1),
                sent.clone(),
                w2.clone(),
                true,
            )),
        ];
        let readers = [
            mirage::spawn(shared_reader(
                b.clone(),
                received.clone(),
                r1.clone(),
                false,
            )),
            mirage::spawn(shared_reader(b.clone(), received.clone(), r2.clone(), true)),
        ];
        // The other direction at the same time: one writer, one reader.
        let back_sent: Log = Rc::default();
        let back_received: Log = Rc::default();
        let back_writer = mirage::spawn(logging_writer(
            b.clone(),
            bytes(3, lens.2),
            back_sent.clone(),
            back_w.clone(),
            false,
        ));
        let back_reader = mirage::spawn(shared_reader(
            a.clone(),
            back_received.clone(),
            back_r.clone(),
            false,
        ));
        let all = async {
            for writer in writers {
                writer.await.unwrap();
            }
            a.shutdown(Shutdown::Write);
            back_writer.await.unwrap();
            b.shutdown(Shutdown::Write);
            for reader in readers {
                reader.await.unwrap();
            }
            back_reader.await.unwrap();
        };
        timeout(GUARD, all).await.expect("a task hung");
        assert_eq!(sent.borrow().len(), lens.0 + lens.1);
        assert!(
            *sent.borrow() == *received.borrow(),
            "the readers' bytes differ"
        );
        assert_eq!(back_sent.borrow().len(), lens.2);
        assert!(*back_sent.borrow() == *back_received.borrow());
    });
}

fn lens_strategy() -> impl Strategy<Value = (usize, usize, usize)> {
    (0usize..60_000, 0usize..60_000, 0usize..60_000)
}

proptest! {
    #![proptest_config(config(32))]

    /// Two writers and two readers per direction on one TCP connection: no byte is lost or
    /// duplicated, every task finishes.
    #[test]
    fn tcp_concurrent_tasks_share_a_stream(
        lens in lens_strategy(),
        scripts in prop::collection::vec(script_strategy(), 6),
    ) {
        concurrent_tasks_share_a_stream(Kind::Tcp, lens, &scripts);
    }

    /// As `tcp_concurrent_tasks_share_a_stream`, on a Unix stream pair.
    #[test]
    fn unix_concurrent_tasks_share_a_stream(
        lens in lens_strategy(),
        scripts in prop::collection::vec(script_strategy(), 6),
    ) {
        concurrent_tasks_share_a_stream(Kind::Unix, lens, &scripts);
    }
}

/// One step of [`reads_follow_the_peer`].
#[derive(Debug, Clone)]
enum Step {
    /// The std peer writes this many bytes.
    PeerWrite(usize),
    /// The peer sends one byte of urgent data (`MSG_OOB`), which is not part of the stream.
    PeerUrgent,
    Read(usize),
    Vectored(Vec<usize>),
    Peek(usize),
}

/// How the peer ends the exchange.
#[derive(Debug, Clone, Copy)]
enum End {
    /// `shutdown(Write)`: end of stream after the data.
    Shutdown,
    /// Closes the socket, its receive queue empty: also end of stream.
    Close,
    /// Closes the socket abortively: TCP sends a reset (`SO_LINGER` 0); a Unix socket closed
    /// with unread data resets its peer too.
    Reset,
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1usize..3000).prop_map(Step::PeerWrite),
        2 => Just(Step::PeerUrgent),
        4 => len_strategy().prop_map(Step::Read),
        1 => prop::collection::vec(0usize..700, 0..4).prop_map(Step::Vectored),
        1 => len_strategy().prop_map(Step::Peek),
    ]
}

fn end_strategy() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Shutdown), Just(End::Close), Just(End::Reset)]
}

/// A script of peer writes (some with urgent data), reads of every kind and size, and peeks: each
/// read with data queued returns some of it, in order; each read with nothing queued waits, except
/// an empty one, which returns 0 at once; once the peer ends, the reads return the rest and then
/// end of stream (or, after a reset, the rest or a prefix of it, then `ConnectionReset` or end of
/// stream), never hanging.
fn reads_follow_the_peer(kind: Kind, steps: &[Step], end: End) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = Stream::pair_with_std_peer(kind).await;
        let mut rng = Lcg(steps.len() as u64);
        // What the peer sent that we have not read yet, in order.
        let mut queued: std::collections::VecDeque<u8> = Default::default();
        let mut urgent_sent = false;
        let mut buf = vec![0u8; 3000];
        for step in steps {
            match step {
                Step::PeerWrite(len) => {
                    let data: Vec<u8> = (0..*len).map(|_| rng.next() as u8).collect();
                    peer.write_all(&data);
                    queued.extend(data);
                }
                // One urgent byte at most: a second one before the first is read would turn
                // the first into ordinary data, which this model leaves out.
                Step::PeerUrgent if !urgent_sent => urgent_sent = send_urgent(peer.fd()),
                Step::PeerUrgent => {}
                Step::Read(len) | Step::Peek(len) => {
                    let peek = matches!(step, Step::Peek(_));
                    let read = async {
                        if peek {
                            ours.peek(&mut buf[..*len]).await
                        } else {
                            ours.read(&mut buf[..*len]).await
                        }
                    };
                    let n = if *len == 0 {
                        // An empty read returns 0 at once, data queued or not.
                        assert_eq!(prompt("an empty read", read).await.unwrap(), 0);
                        continue;
                    } else if queued.is_empty() {
                        // Nothing to read: the read waits.
                        match timeout(Duration::from_millis(1), read).await {
                            Err(_) => continue,
                            Ok(result) => result.unwrap(),
                        }
                    } else {
                        prompt("a read", read).await.unwrap()
                    };
                    assert!(n <= *len);
                    assert!(n > 0 || *len == 0, "end of stream before the peer's end");
                    let expected: Vec<u8> = queued.iter().take(n).copied().collect();
                    assert!(buf[..n] == expected[..], "bytes out of order");
                    if !peek {
                        queued.drain(..n);
                    }
                }
                Step::Vectored(lens) => {
                    let mut storage: Vec<Vec<u8>> = lens.iter().map(|&n| vec![0; n]).collect();
                    let mut slices: Vec<_> =
                        storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
                    let read = ours.read_vectored(&mut slices);
                    let n = if queued.is_empty() {
                        match timeout(Duration::from_millis(1), read).await {
                            Err(_) => continue,
                            Ok(result) => result.unwrap(),
                        }
                    } else {
                        prompt("a vectored read", read).await.unwrap()
                    };
                    let flat = storage.concat();
                    assert!(
                        n > 0 || flat.is_empty(),
                        "end of stream before the peer's end"
                    );
                    let expected: Vec<u8> = queued.drain(..n).collect();
                    assert!(flat[..n] == expected[..], "bytes out of order");
                }
            }
        }
        // All that is queued can be read before the peer ends: no edge is needed for it.
        while !queued.is_empty() {
            let n = prompt("a read of queued data", ours.read(&mut buf))
                .await
                .unwrap();
            assert!(n > 0, "end of stream before the peer's end");
            let expected: Vec<u8> = queued.drain(..n.min(queued.len())).collect();
            assert!(buf[..n] == expected[..], "bytes out of order");
        }
        match end {
            End::Shutdown => peer.shutdown(Shutdown::Write),
            End::Close => drop(peer),
            End::Reset => {
                match &peer {
                    StdPeer::Tcp(_) => set_linger_zero(peer.fd()),
                    // Unread data in the peer's queue makes its close a reset.
                    StdPeer::Unix(_) => ours.write_all(b"unread").await.unwrap(),
                }
                drop(peer);
            }
        }
        let mut reset_seen = false;
        loop {
            match prompt("a read after the peer's end", ours.read(&mut buf)).await {
                Ok(0) => break,
                Ok(n) => {
                    assert!(!reset_seen, "data after the reset was reported");
                    let expected: Vec<u8> = queued.drain(..n.min(queued.len())).collect();
                    assert!(buf[..n] == expected[..], "bytes out of order");
                }
                Err(err) if matches!(end, End::Reset) => {
                    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
                    reset_seen = true;
                }
                Err(err) => panic!("{err}"),
            }
        }
        if !matches!(end, End::Reset) {
            assert!(queued.is_empty(), "end of stream before the last byte");
        }
        // End of stream stays reported.
        let again = prompt("a read after end of stream", ours.read(&mut buf)).await;
        assert_eq!(again.unwrap(), 0);
    });
}

proptest! {
    #![proptest_config(config(64))]

    /// Reads follow a TCP peer's writes, urgent data, half close, close and reset.
    #[test]
    fn tcp_reads_follow_the_peer(
        steps in prop::collection::vec(step_strategy(), 0..16),
        end in end_strategy(),
    ) {
        reads_follow_the_peer(Kind::Tcp, &steps, end);
    }

    /// As `tcp_reads_follow_the_peer`, on a Unix stream pair.
    #[test]
    fn unix_reads_follow_the_peer(
        steps in prop::collection::vec(step_strategy(), 0..16),
        end in end_strategy(),
    ) {
        reads_follow_the_peer(Kind::Unix, &steps, end);
    }
}
