//! Property tests of the byte streams' write side and of their timeouts.
//!
//! Random writes of every kind (`write`, `write_vectored` with empty slices among the
//! others, `write_all`, each also through the poll-level `AsyncWrite` impl, and `try_write`
//! after `writable`) on TCP and Unix
//! stream pairs with buffers small enough that writes wait: against a peer that does not
//! read, so that the write timeout fails them; raced against `select!` branches and
//! timeouts that drop them; with a read timeout on the same stream at the same time; and
//! while the stream's write half is shut down, or the peer closes or resets the
//! connection.
//!
//! The properties are the documented ones. Each write's result says what it wrote: a
//! `write` that fails or is dropped wrote nothing; a `write_all` that fails or is dropped
//! wrote some prefix of its buffer, which the caller cannot learn. The peer must read
//! exactly what the results allow, in order: no byte twice, none reordered, none that no
//! call claimed. A write timeout fails a write that waits that long, and no sooner; the
//! stream stays usable. An empty write returns `Ok(0)` at once, even on a full stream. A
//! write waiting for room when the stream ends fails at once. Nothing hangs.
//!
//! Everything runs in real time under a generous guard, as in `net_props.rs`.

mod net_common;
mod prop_config;

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mirage::Core;
use mirage::time::{sleep, timeout};
use net_common::streams::{
    GUARD, Kind, Stream, pace_strategy, prompt, race_strategy, set_linger_zero, small_buffers,
};
use net_common::{Lcg, Pace, Race, join, race, yields};
use prop_config::config;
use proptest::prelude::*;

/// How much longer than its timeout a single write may take to report `TimedOut`: generous,
/// for a loaded machine; a lost wake-up of the timer would take forever.
const SLACK: Duration = Duration::from_secs(2);

/// Fresh bytes for each write from one running generator, so that no two writes share a
/// pattern and the peer's bytes can be traced to the write that sent them.
struct Data(Lcg);

impl Data {
    fn take(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.0.next() as u8).collect()
    }
}

/// One write call.
#[derive(Debug, Clone)]
enum WriteOp {
    /// `write`, or (`poll`) `AsyncWriteExt::write` on `&Stream`.
    One { len: usize, poll: bool },
    /// `write_vectored` from slices of these lengths, or its poll-level form.
    Vectored { lens: Vec<usize>, poll: bool },
    /// `write_all`, or its poll-level form.
    All { len: usize, poll: bool },
    /// `try_write`, waiting with `writable` after each `WouldBlock`.
    Try { len: usize },
}

impl WriteOp {
    fn len(&self) -> usize {
        match self {
            WriteOp::One { len, .. } | WriteOp::All { len, .. } | WriteOp::Try { len } => *len,
            WriteOp::Vectored { lens, .. } => lens.iter().sum(),
        }
    }

    fn is_all(&self) -> bool {
        matches!(self, WriteOp::All { .. })
    }
}

/// A write length: empty and tiny ones often, up to `max`.
fn len_strategy(max: usize) -> impl Strategy<Value = usize> + Clone {
    prop_oneof![
        1 => Just(0usize),
        2 => 1usize..4,
        5 => 4usize..max,
    ]
}

/// Writes of every kind, up to `max` bytes.
fn write_strategy(max: usize) -> impl Strategy<Value = WriteOp> {
    let slices = prop::collection::vec(prop_oneof![1 => Just(0usize), 3 => 1usize..max / 4], 0..5);
    prop_oneof![
        3 => (len_strategy(max), any::<bool>()).prop_map(|(len, poll)| WriteOp::One { len, poll }),
        2 => (slices, any::<bool>()).prop_map(|(lens, poll)| WriteOp::Vectored { lens, poll }),
        2 => (len_strategy(max), any::<bool>()).prop_map(|(len, poll)| WriteOp::All { len, poll }),
        2 => len_strategy(max).prop_map(|len| WriteOp::Try { len }),
    ]
}

/// A write that has something to write.
fn nonempty_write_strategy(max: usize) -> impl Strategy<Value = WriteOp> {
    write_strategy(max).prop_filter("an empty write", |op| op.len() > 0)
}

/// Runs `op` on `stream` with `data` (`op.len()` bytes): how many bytes it reports written
/// (all of them for a `write_all` that succeeds).
async fn perform(stream: &Stream, op: &WriteOp, data: &[u8]) -> io::Result<usize> {
    assert_eq!(data.len(), op.len());
    match op {
        WriteOp::One { poll: false, .. } => stream.write(data).await,
        WriteOp::One { poll: true, .. } => stream.poll_write(data).await,
        WriteOp::Vectored { lens, poll } => {
            let mut rest = data;
            let slices: Vec<IoSlice<'_>> = lens
                .iter()
                .map(|&len| {
                    let (slice, tail) = rest.split_at(len);
                    rest = tail;
                    IoSlice::new(slice)
                })
                .collect();
            if *poll {
                stream.poll_write_vectored(&slices).await
            } else {
                stream.write_vectored(&slices).await
            }
        }
        WriteOp::All { poll: false, .. } => stream.write_all(data).await.map(|()| data.len()),
        WriteOp::All { poll: true, .. } => stream.poll_write_all(data).await.map(|()| data.len()),
        WriteOp::Try { .. } => stream.try_write_loop(data).await,
    }
}

/// What a write call's result says it put on the stream.
#[derive(Debug)]
enum Claim {
    /// Exactly these bytes.
    Exact(Vec<u8>),
    /// Some prefix of these bytes, of a length the caller cannot learn: a `write_all` that
    /// failed (then `strict`: not all of them) or was dropped.
    Prefix { bytes: Vec<u8>, strict: bool },
}

/// The claims of every write on one stream, in order: the model of what the peer reads.
#[derive(Default)]
struct Ledger {
    claims: Vec<Claim>,
}

impl Ledger {
    fn exact(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.claims.push(Claim::Exact(bytes.to_vec()));
        }
    }

    /// Records what `op`, writing `data`, claims by its `outcome` (`None`: dropped before it
    /// completed), after checking the outcome against the call's own contract.
    fn record(&mut self, op: &WriteOp, data: &[u8], outcome: Option<&io::Result<usize>>) {
        match outcome {
            Some(Ok(n)) => {
                assert!(*n <= data.len(), "{op:?} wrote {n} bytes of {}", data.len());
                assert!(
                    *n > 0 || data.is_empty(),
                    "{op:?} returned Ok(0) for {} bytes",
                    data.len()
                );
                self.exact(&data[..*n]);
            }
            // A `write` (vectored or not) that fails or is dropped wrote nothing.
            Some(Err(_)) | None if !op.is_all() => {}
            Some(Err(_)) => self.claims.push(Claim::Prefix {
                bytes: data.to_vec(),
                strict: true,
            }),
            None => self.claims.push(Claim::Prefix {
                bytes: data.to_vec(),
                strict: false,
            }),
        }
    }

    /// Checks that `received` is what the claims allow: each exact claim in turn, each
    /// prefix claim some prefix of its bytes, and nothing else.
    fn check(&self, received: &[u8]) {
        // Every offset in `received` where the claims so far can end: sorted, disjoint
        // inclusive ranges (a prefix claim allows a range of ends).
        let mut ends = vec![(0usize, 0usize)];
        for (i, claim) in self.claims.iter().enumerate() {
            let mut next = Ends::default();
            for at in ends.iter().flat_map(|&(first, last)| first..=last) {
                let rest = &received[at..];
                match claim {
                    Claim::Exact(bytes) => {
                        if rest.starts_with(bytes) {
                            next.add(at + bytes.len(), at + bytes.len());
                        }
                    }
                    Claim::Prefix { bytes, strict } => {
                        let common = common_prefix(rest, bytes);
                        let most = if *strict {
                            common.min(bytes.len() - 1)
                        } else {
                            common
                        };
                        next.add(at, at + most);
                    }
                }
            }
            assert!(
                !next.0.is_empty(),
                "the peer's bytes after offset {} do not continue with write {i} of {} \
                 ({}): a byte lost, repeated, reordered or never claimed",
                ends[0].0,
                self.claims.len(),
                claim.describe(),
            );
            ends = next.0;
        }
        assert!(
            ends.iter()
                .any(|&(first, last)| (first..=last).contains(&received.len())),
            "the peer read {} bytes; the writes claimed {}..={}",
            received.len(),
            ends[0].0,
            ends[ends.len() - 1].1,
        );
    }
}

/// Sorted, disjoint inclusive ranges of offsets, built from ranges added in order of their
/// starts.
#[derive(Default)]
struct Ends(Vec<(usize, usize)>);

impl Ends {
    fn add(&mut self, first: usize, last: usize) {
        match self.0.last_mut() {
            Some((_, end)) if first <= *end + 1 => *end = (*end).max(last),
            _ => self.0.push((first, last)),
        }
    }
}

/// How many leading bytes `a` and `b` share.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    if a.first() != b.first() {
        return 0;
    }
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl Claim {
    fn describe(&self) -> String {
        match self {
            Claim::Exact(bytes) => format!("exactly {} bytes", bytes.len()),
            Claim::Prefix { bytes, strict } => {
                format!("a prefix of {} bytes, strict: {strict}", bytes.len())
            }
        }
    }
}

/// Checks that an operation that failed with `err` after `elapsed` timed out, no sooner
/// than its timeout `limit`, and (`single`: one system call's wait, not a `write_all`'s
/// several) not much later.
fn check_timed_out(err: &io::Error, elapsed: Duration, limit: Duration, single: bool) {
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(
        elapsed >= limit,
        "timed out after {elapsed:?}, before its timeout of {limit:?}"
    );
    assert!(
        !single || elapsed <= limit + SLACK,
        "timed out after {elapsed:?}, long after its timeout of {limit:?}"
    );
}

/// Runs `op` with fresh bytes and records its claim. An empty write must return `Ok(0)` on
/// its first poll. Any other may fail only by timing out, after the write timeout `limit`.
async fn timed_write(
    stream: &Stream,
    op: &WriteOp,
    data: &mut Data,
    ledger: &mut Ledger,
    limit: Option<Duration>,
) -> io::Result<usize> {
    let bytes = data.take(op.len());
    if bytes.is_empty() {
        let outcome = race(Race::Yields(0), perform(stream, op, &bytes)).await;
        assert!(
            matches!(outcome, Some(Ok(0))),
            "an empty {op:?} did not return Ok(0) at once: {outcome:?}"
        );
        return Ok(0);
    }
    let started = Instant::now();
    let result = perform(stream, op, &bytes).await;
    let elapsed = started.elapsed();
    if let Err(err) = &result {
        let limit = limit.unwrap_or_else(|| panic!("{op:?} failed with no timeout set: {err}"));
        check_timed_out(err, elapsed, limit, !op.is_all());
    }
    ledger.record(op, &bytes, Some(&result));
    result
}

/// Writes until a write waits a millisecond (or times out): the send path is full then (a
/// TCP stream may find a little room again as late acknowledgements arrive).
async fn fill(stream: &Stream, data: &mut Data, ledger: &mut Ledger) {
    loop {
        let bytes = data.take(64 << 10);
        match race(Race::Micros(1000), stream.write(&bytes)).await {
            Some(Ok(n)) => ledger.exact(&bytes[..n]),
            Some(Err(err)) => {
                assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
                return;
            }
            None => return,
        }
    }
}

/// A pair with small buffers: `ours` to write on, and the peer.
async fn small_pair(kind: Kind) -> (Stream, Stream) {
    let (ours, peer) = Stream::pair(kind).await;
    small_buffers(&ours);
    small_buffers(&peer);
    (ours, peer)
}

/// Writes time out against a peer that does not read, each after the write timeout and not
/// much later; an empty write returns `Ok(0)` at once. Once the peer reads, with the timeout
/// still set (`keep`) or cleared, every write succeeds, and the peer reads exactly what the
/// writes reported, in order.
fn write_timeouts(
    kind: Kind,
    millis: u64,
    before: &[WriteOp],
    probe: &WriteOp,
    after: &[WriteOp],
    keep: bool,
) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = small_pair(kind).await;
        let limit = Duration::from_millis(millis);
        ours.set_write_timeout(Some(limit)).unwrap();
        assert_eq!(ours.write_timeout(), Some(limit));
        assert_eq!(ours.read_timeout(), None, "the read timeout is separate");
        let mut data = Data(Lcg(millis));
        let mut ledger = Ledger::default();
        let run = async {
            for op in before {
                let _ = timed_write(&ours, op, &mut data, &mut ledger, Some(limit)).await;
            }
            // Chunks far larger than the buffers: one of them waits until it times out.
            let mut timed_out = false;
            for _ in 0..16 {
                let op = WriteOp::All {
                    len: 256 << 10,
                    poll: false,
                };
                if timed_write(&ours, &op, &mut data, &mut ledger, Some(limit))
                    .await
                    .is_err()
                {
                    timed_out = true;
                    break;
                }
            }
            assert!(timed_out, "4 MiB went to a peer that does not read");
            // The send path stays full: the next writes wait and time out too, though TCP
            // may make a little room as late acknowledgements arrive.
            let mut probed = 0;
            while let Ok(n) = timed_write(&ours, probe, &mut data, &mut ledger, Some(limit)).await {
                probed += n;
                assert!(
                    probed < 1 << 20,
                    "1 MiB more went to a peer that does not read"
                );
            }

            // The peer reads now: the stream is still usable.
            let reader = mirage::spawn(async move { peer.read_to_end().await.unwrap() });
            let later = keep.then_some(Duration::from_secs(10));
            ours.set_write_timeout(later).unwrap();
            assert_eq!(ours.write_timeout(), later);
            for op in after {
                let result = timed_write(&ours, op, &mut data, &mut ledger, later).await;
                assert!(
                    result.is_ok(),
                    "{op:?} failed while the peer reads: {result:?}"
                );
            }
            ours.shutdown(Shutdown::Write);
            let received = reader.await.unwrap();
            ledger.check(&received);
        };
        timeout(GUARD, run).await.expect("a write hung");
    });
}

proptest! {
    #![proptest_config(config(24))]

    /// `write_timeouts` on a TCP pair.
    #[test]
    fn tcp_write_timeouts_fail_waiting_writes_and_leave_the_stream_usable(
        millis in 1u64..8,
        before in prop::collection::vec(write_strategy(40_000), 0..4),
        probe in nonempty_write_strategy(40_000),
        after in prop::collection::vec(write_strategy(40_000), 0..4),
        keep in any::<bool>(),
    ) {
        write_timeouts(Kind::Tcp, millis, &before, &probe, &after, keep);
    }

    /// `write_timeouts` on a Unix stream pair.
    #[test]
    fn unix_write_timeouts_fail_waiting_writes_and_leave_the_stream_usable(
        millis in 1u64..8,
        before in prop::collection::vec(write_strategy(40_000), 0..4),
        probe in nonempty_write_strategy(40_000),
        after in prop::collection::vec(write_strategy(40_000), 0..4),
        keep in any::<bool>(),
    ) {
        write_timeouts(Kind::Unix, millis, &before, &probe, &after, keep);
    }
}

/// A timeout to set: `None`, zero, or a duration from a nanosecond to `Duration::MAX`.
fn timeout_strategy() -> impl Strategy<Value = Option<Duration>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Duration::ZERO)),
        1 => Just(Some(Duration::from_nanos(1))),
        1 => Just(Some(Duration::MAX)),
        3 => (0u64..100_000, 0u32..1_000_000_000).prop_map(|(s, n)| Some(Duration::new(s, n))),
    ]
}

/// Setting a read (`true`) or write timeout, in random order: each getter returns what was
/// last set in its direction; `Some(ZERO)` fails with `InvalidInput` and changes nothing,
/// as in std.
fn timeout_settings(kind: Kind, settings: &[(bool, Option<Duration>)]) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, _peer) = Stream::pair(kind).await;
        let (mut read, mut write) = (None, None);
        for &(is_read, value) in settings {
            let result = if is_read {
                ours.set_read_timeout(value)
            } else {
                ours.set_write_timeout(value)
            };
            if value == Some(Duration::ZERO) {
                let err = result.unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
            } else {
                result.unwrap();
                *if is_read { &mut read } else { &mut write } = value;
            }
            assert_eq!(ours.read_timeout(), read);
            assert_eq!(ours.write_timeout(), write);
        }
    });
}

proptest! {
    #![proptest_config(config(64))]

    /// `timeout_settings` on a TCP stream.
    #[test]
    fn tcp_timeout_settings_read_back_and_zero_is_invalid(
        settings in prop::collection::vec((any::<bool>(), timeout_strategy()), 0..12),
    ) {
        timeout_settings(Kind::Tcp, &settings);
    }

    /// `timeout_settings` on a Unix stream.
    #[test]
    fn unix_timeout_settings_read_back_and_zero_is_invalid(
        settings in prop::collection::vec((any::<bool>(), timeout_strategy()), 0..12),
    ) {
        timeout_settings(Kind::Unix, &settings);
    }
}

/// Reads `len` bytes or fewer, through the `async` method or (`poll`) the poll-level one.
async fn read_some(stream: &Stream, buf: &mut [u8], poll: bool) -> io::Result<usize> {
    if poll {
        stream.poll_read(buf).await
    } else {
        stream.read(buf).await
    }
}

/// The parameters of [`both_timeouts`].
#[derive(Debug, Clone)]
struct Both {
    read_millis: u64,
    write_millis: u64,
    /// The reads of the first phase: lengths, and whether each is poll-level.
    reads: Vec<(usize, bool)>,
    /// The writes of the first two phases, cycled in the second.
    writes: Vec<WriteOp>,
    /// What the peer sends in the second phase, after `delay` microseconds.
    peer_len: usize,
    delay: u16,
    /// The `write_all` of the third phase.
    last_len: usize,
}

fn both_strategy() -> impl Strategy<Value = Both> {
    (
        1u64..6,
        1u64..6,
        prop::collection::vec((1usize..5000, any::<bool>()), 1..4),
        prop::collection::vec(nonempty_write_strategy(20_000), 1..4),
        1usize..5000,
        0u16..3000,
        1usize..200_000,
    )
        .prop_map(
            |(read_millis, write_millis, reads, writes, peer_len, delay, last_len)| Both {
                read_millis,
                write_millis,
                reads,
                writes,
                peer_len,
                delay,
                last_len,
            },
        )
}

/// A read timeout and a write timeout on one stream, a task reading and one writing it at
/// once: each timeout fails only the operations of its own direction, after its own
/// duration. First both directions time out, concurrently; then writes time out while a
/// read without timeout waits for the peer's late data, and gets it; then reads time out
/// while a `write_all` without timeout waits for the peer to read, and completes. The peer
/// reads exactly what the writes reported.
fn both_timeouts(kind: Kind, p: &Both) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = small_pair(kind).await;
        let (ours, peer) = (Rc::new(ours), Rc::new(peer));
        let read_limit = Duration::from_millis(p.read_millis);
        let write_limit = Duration::from_millis(p.write_millis);
        ours.set_read_timeout(Some(read_limit)).unwrap();
        ours.set_write_timeout(Some(write_limit)).unwrap();
        let mut data = Data(Lcg(p.last_len as u64));
        let mut ledger = Ledger::default();
        let run = async {
            fill(&ours, &mut data, &mut ledger).await;

            // Both time out, concurrently: the peer neither writes nor reads.
            let reading = async {
                let mut buf = vec![0u8; 5000];
                for &(len, poll) in &p.reads {
                    let started = Instant::now();
                    let result = read_some(&ours, &mut buf[..len], poll).await;
                    let err = result.expect_err("a read with nothing sent");
                    check_timed_out(&err, started.elapsed(), read_limit, true);
                }
            };
            let writing = async {
                for op in &p.writes {
                    let _ = timed_write(&ours, op, &mut data, &mut ledger, Some(write_limit)).await;
                }
            };
            join(reading, writing).await;

            // Writes time out while a read without timeout waits for the peer's late data.
            ours.set_read_timeout(None).unwrap();
            let sent = Data(Lcg(p.peer_len as u64)).take(p.peer_len);
            let peer_writer = {
                let (peer, sent, delay) = (peer.clone(), sent.clone(), p.delay);
                mirage::spawn(async move {
                    sleep(Duration::from_micros(delay.into())).await;
                    peer.write_all(&sent).await.unwrap();
                })
            };
            let read_done = std::cell::Cell::new(false);
            let mut got = vec![0u8; p.peer_len];
            let reading = async {
                let n = ours.read(&mut got).await.unwrap();
                assert!(
                    0 < n && got[..n] == sent[..n],
                    "the peer's bytes out of order"
                );
                read_done.set(true);
                n
            };
            let writing = async {
                for op in p.writes.iter().cycle() {
                    if read_done.get() {
                        break;
                    }
                    let _ = timed_write(&ours, op, &mut data, &mut ledger, Some(write_limit)).await;
                }
            };
            let mut n = 0;
            join(
                async {
                    n = reading.await;
                },
                writing,
            )
            .await;
            ours.read_exact(&mut got[n..]).await.unwrap();
            assert!(got == sent, "the peer's bytes out of order");
            peer_writer.await.unwrap();

            // Reads time out while a write_all without timeout waits for the peer to read.
            ours.set_read_timeout(Some(read_limit)).unwrap();
            ours.set_write_timeout(None).unwrap();
            let drain = {
                let peer = peer.clone();
                mirage::spawn(async move { peer.read_to_end().await.unwrap() })
            };
            let write_done = std::cell::Cell::new(false);
            let reading = async {
                let mut buf = [0u8; 100];
                while !write_done.get() {
                    let started = Instant::now();
                    let result = ours.read(&mut buf).await;
                    let err = result.expect_err("a read with nothing sent");
                    check_timed_out(&err, started.elapsed(), read_limit, true);
                }
            };
            let writing = async {
                let bytes = data.take(p.last_len);
                ours.write_all(&bytes).await.unwrap();
                ledger.exact(&bytes);
                write_done.set(true);
            };
            join(reading, writing).await;
            ours.shutdown(Shutdown::Write);
            let received = drain.await.unwrap();
            ledger.check(&received);
        };
        timeout(GUARD, run).await.expect("an operation hung");
    });
}

proptest! {
    #![proptest_config(config(16))]

    /// `both_timeouts` on a TCP pair.
    #[test]
    fn tcp_read_and_write_timeouts_each_fail_only_their_own_direction(p in both_strategy()) {
        both_timeouts(Kind::Tcp, &p);
    }

    /// `both_timeouts` on a Unix stream pair.
    #[test]
    fn unix_read_and_write_timeouts_each_fail_only_their_own_direction(p in both_strategy()) {
        both_timeouts(Kind::Unix, &p);
    }
}

/// One step of [`cancelled_writes`].
#[derive(Debug, Clone)]
enum Step {
    Write(WriteOp, Race),
    /// Sets (microseconds) or clears the write timeout.
    Timeout(Option<u16>),
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (write_strategy(8000), race_strategy()).prop_map(|(op, r)| Step::Write(op, r)),
        1 => prop::option::of(50u16..3000).prop_map(Step::Timeout),
    ]
}

/// Writes of every kind raced against `select!` branches and timeouts that drop them, some
/// failing with a write timeout, to a peer that reads slowly: a dropped or failed `write`
/// wrote nothing, a dropped or failed `write_all` a prefix, and the peer reads exactly
/// what the results allow. An empty write returns `Ok(0)` at once.
fn cancelled_writes(kind: Kind, steps: &[Step], script: &[(usize, Pace)]) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = small_pair(kind).await;
        let script = script.to_vec();
        let reader = mirage::spawn(async move {
            let mut received = Vec::new();
            let mut buf = vec![0u8; 8000];
            for &(len, pace) in script.iter().cycle() {
                pace.wait().await;
                match peer.read(&mut buf[..len]).await.unwrap() {
                    0 => return received,
                    n => received.extend_from_slice(&buf[..n]),
                }
            }
            unreachable!()
        });
        let mut data = Data(Lcg(steps.len() as u64));
        let mut ledger = Ledger::default();
        let mut limit = None;
        let run = async {
            for step in steps {
                match step {
                    Step::Write(op, r) => {
                        let bytes = data.take(op.len());
                        if bytes.is_empty() {
                            let outcome = race(Race::Yields(0), perform(&ours, op, &bytes)).await;
                            assert!(
                                matches!(outcome, Some(Ok(0))),
                                "an empty {op:?} did not return Ok(0) at once: {outcome:?}"
                            );
                            continue;
                        }
                        let started = Instant::now();
                        let outcome = race(*r, perform(&ours, op, &bytes)).await;
                        if let Some(Err(err)) = &outcome {
                            let limit = limit.unwrap_or_else(|| panic!("{op:?}: {err}"));
                            check_timed_out(err, started.elapsed(), limit, false);
                        }
                        ledger.record(op, &bytes, outcome.as_ref());
                    }
                    Step::Timeout(us) => {
                        limit = us.map(|us| Duration::from_micros(us.into()));
                        ours.set_write_timeout(limit).unwrap();
                    }
                }
            }
            ours.shutdown(Shutdown::Write);
            let received = reader.await.unwrap();
            ledger.check(&received);
        };
        timeout(GUARD, run).await.expect("the exchange hung");
    });
}

/// The slow peer's reads: lengths, and the pauses before them, often long enough for the
/// buffers to fill, so that the writes wait and the races drop some.
fn script_strategy() -> impl Strategy<Value = Vec<(usize, Pace)>> {
    let pace = prop_oneof![
        1 => (0u8..3).prop_map(Pace::Yields),
        2 => (0u16..500).prop_map(Pace::Micros),
    ];
    prop::collection::vec((1usize..8000, pace), 1..6)
}

proptest! {
    #![proptest_config(config(32))]

    /// `cancelled_writes` on a TCP pair.
    #[test]
    fn tcp_cancelled_writes_lose_and_repeat_nothing(
        steps in prop::collection::vec(step_strategy(), 0..24),
        script in script_strategy(),
    ) {
        cancelled_writes(Kind::Tcp, &steps, &script);
    }

    /// `cancelled_writes` on a Unix stream pair.
    #[test]
    fn unix_cancelled_writes_lose_and_repeat_nothing(
        steps in prop::collection::vec(step_strategy(), 0..24),
        script in script_strategy(),
    ) {
        cancelled_writes(Kind::Unix, &steps, &script);
    }
}

/// What ends the connection while a write waits.
#[derive(Debug, Clone, Copy)]
enum End {
    /// This stream shuts down its write half.
    Shutdown,
    /// The peer closes its socket, with unread data queued.
    Close,
    /// The peer closes abortively (`SO_LINGER` 0 for TCP; a Unix socket closed with unread
    /// data resets its peer anyway).
    Reset,
}

fn end_strategy() -> impl Strategy<Value = End> {
    prop_oneof![Just(End::Shutdown), Just(End::Close), Just(End::Reset)]
}

/// A write waits on a full stream when `end` comes, after `pace`: it ends (with
/// `BrokenPipe` after a shutdown, `BrokenPipe` or `ConnectionReset` after the peer's
/// close; or with a count, if room came first), and so does every later write, at once.
/// After a shutdown the peer reads exactly what the writes reported, then end of stream.
fn an_end_ends_a_waiting_write(kind: Kind, op: &WriteOp, pace: Pace, end: End, later: &WriteOp) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = small_pair(kind).await;
        let ours = Rc::new(ours);
        let mut data = Data(Lcg(op.len() as u64));
        let mut ledger = Ledger::default();
        let run = async {
            fill(&ours, &mut data, &mut ledger).await;
            let bytes = data.take(op.len());
            let writer = {
                let (ours, op, bytes) = (ours.clone(), op.clone(), bytes.clone());
                mirage::spawn(async move { perform(&ours, &op, &bytes).await })
            };
            // The writer runs first, and finds the stream full.
            yields(1).await;
            pace.wait().await;
            let peer = match end {
                End::Shutdown => {
                    ours.shutdown(Shutdown::Write);
                    Some(peer)
                }
                End::Close => {
                    drop(peer);
                    None
                }
                End::Reset => {
                    set_linger_zero(peer.fd());
                    drop(peer);
                    None
                }
            };
            let expected: &[io::ErrorKind] = match end {
                End::Shutdown => &[io::ErrorKind::BrokenPipe],
                End::Close | End::Reset => {
                    &[io::ErrorKind::BrokenPipe, io::ErrorKind::ConnectionReset]
                }
            };
            let result = prompt("a write waiting when the connection ended", writer)
                .await
                .unwrap();
            if let Err(err) = &result {
                assert!(expected.contains(&err.kind()), "{end:?}: {err}");
            }
            ledger.record(op, &bytes, Some(&result));
            let bytes = data.take(later.len());
            let result = prompt("a write after the end", perform(&ours, later, &bytes)).await;
            match &result {
                Ok(n) => assert!(bytes.is_empty() && *n == 0, "{later:?} wrote after {end:?}"),
                Err(err) => assert!(expected.contains(&err.kind()), "{end:?}: {err}"),
            }
            if let Some(peer) = peer {
                let received = prompt("the peer's reads", peer.read_to_end())
                    .await
                    .unwrap();
                ledger.check(&received);
            }
        };
        timeout(GUARD, run).await.expect("an operation hung");
    });
}

proptest! {
    #![proptest_config(config(32))]

    /// `an_end_ends_a_waiting_write` on a TCP pair.
    #[test]
    fn tcp_shutdown_close_or_reset_ends_a_waiting_write(
        op in nonempty_write_strategy(300_000),
        pace in pace_strategy(),
        end in end_strategy(),
        later in write_strategy(3000),
    ) {
        an_end_ends_a_waiting_write(Kind::Tcp, &op, pace, end, &later);
    }

    /// `an_end_ends_a_waiting_write` on a Unix stream pair.
    #[test]
    fn unix_shutdown_close_or_reset_ends_a_waiting_write(
        op in nonempty_write_strategy(300_000),
        pace in pace_strategy(),
        end in end_strategy(),
        later in write_strategy(3000),
    ) {
        an_end_ends_a_waiting_write(Kind::Unix, &op, pace, end, &later);
    }
}
