//! Property tests of the datagram sockets: `UdpSocket` on loopback, and `UnixDatagram` as a
//! `socketpair` and bound to paths in a temporary directory.
//!
//! Random sequences of datagrams of random sizes (0 included, and longer than the receive buffer),
//! from connected and unconnected senders, received and peeked with every method and awaited with
//! `readable()`, raced against `select!` branches and timeouts that drop the receives, failed by
//! read timeouts, shared by several receiving tasks through an `Rc`; senders that fill a peer that
//! does not read; errors reported by the kernel, compared with std's blocking sockets. The
//! properties are std's: each receive returns exactly one datagram, cut to the buffer (the rest is
//! discarded); a peek returns the next datagram and leaves it queued; an empty datagram is received
//! as `Ok(0)`; a cancelled or timed-out operation receives or sends nothing; every datagram sent
//! arrives exactly once, in order; nothing hangs.
//!
//! Loopback UDP may drop datagrams when the receive buffer is full, so the senders keep only a few
//! datagrams in flight. It has not been seen to reorder them, and the properties rely on it not
//! doing so.
//!
//! Everything runs in real time, bounded by a generous guard that turns a lost wake-up into a
//! failure (see `net_props.rs`).

mod net_common;
mod prop_config;
mod temp_dir;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use temp_dir::TempDir;

use mirage::Core;
use mirage::net::{UdpSocket, UnixDatagram};
use mirage::time::{Instant, sleep, timeout};
use net_common::{Lcg, Pace, Race, bytes, join, race, set_sockopt};
use prop_config::config;
use proptest::prelude::*;

/// The guard on one whole case: far beyond what a case needs, so only a hang reaches it.
const GUARD: Duration = Duration::from_secs(20);

/// How much later than its timeout a timed-out operation may return: generous, for a
/// loaded machine.
const SLACK: Duration = Duration::from_secs(3);

/// The longest datagram sent: far below the Unix socket buffers and the UDP payload limit.
const MAX_LEN: usize = 2000;

/// At most this many datagrams are sent and not yet received: fewer than a Unix datagram
/// socket queues (`net.unix.max_dgram_qlen`, 10 by default), and little enough of the UDP
/// receive buffer that loopback drops none.
const WINDOW: usize = 8;

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Two sockets on 127.0.0.1, the sender connected to the receiver.
    Udp,
    /// As `Udp`, the sender not connected: it sends with `send_to` only.
    UdpUnconnected,
    /// A `socketpair`: both connected, both unnamed.
    UnixPair,
    /// Two sockets bound to paths, the sender connected to the receiver.
    UnixPath,
    /// As `UnixPath`, the sender not connected: it sends with `send_to` only.
    UnixPathUnconnected,
}

impl Kind {
    fn connected(self) -> bool {
        !matches!(self, Kind::UdpUnconnected | Kind::UnixPathUnconnected)
    }
}

/// A UDP or Unix datagram socket, so that each property runs on both.
enum Socket {
    Udp(UdpSocket),
    Unix(UnixDatagram),
}

/// A sender's address, as a receive reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Addr {
    Ip(SocketAddr),
    /// A path, or `None` for an unnamed socket.
    Unix(Option<PathBuf>),
}

impl From<std::os::unix::net::SocketAddr> for Addr {
    fn from(addr: std::os::unix::net::SocketAddr) -> Addr {
        Addr::Unix(addr.as_pathname().map(Path::to_owned))
    }
}

/// Where `send_to` reaches a socket.
#[derive(Debug, Clone)]
enum Target {
    Ip(SocketAddr),
    Path(PathBuf),
}

/// How to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Recv,
    RecvFrom,
    Peek,
    PeekFrom,
}

impl How {
    fn peeks(self) -> bool {
        matches!(self, How::Peek | How::PeekFrom)
    }
}

impl Socket {
    async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Udp(s) => s.send(buf).await,
            Socket::Unix(s) => s.send(buf).await,
        }
    }

    async fn send_to(&self, buf: &[u8], target: &Target) -> io::Result<usize> {
        match (self, target) {
            (Socket::Udp(s), Target::Ip(addr)) => s.send_to(buf, addr).await,
            (Socket::Unix(s), Target::Path(path)) => s.send_to(buf, path).await,
            _ => unreachable!("a target of the other family"),
        }
    }

    /// Receives (or peeks) one datagram `how`: its length, and its sender for the `_from`
    /// methods.
    async fn receive(&self, how: How, buf: &mut [u8]) -> io::Result<(usize, Option<Addr>)> {
        let with = |(n, from): (usize, Addr)| (n, Some(from));
        match (self, how) {
            (Socket::Udp(s), How::Recv) => s.recv(buf).await.map(|n| (n, None)),
            (Socket::Udp(s), How::Peek) => s.peek(buf).await.map(|n| (n, None)),
            (Socket::Udp(s), How::RecvFrom) => s
                .recv_from(buf)
                .await
                .map(|(n, from)| with((n, Addr::Ip(from)))),
            (Socket::Udp(s), How::PeekFrom) => s
                .peek_from(buf)
                .await
                .map(|(n, from)| with((n, Addr::Ip(from)))),
            (Socket::Unix(s), How::Recv) => s.recv(buf).await.map(|n| (n, None)),
            (Socket::Unix(s), How::Peek) => s.peek(buf).await.map(|n| (n, None)),
            (Socket::Unix(s), How::RecvFrom) => s
                .recv_from(buf)
                .await
                .map(|(n, from)| with((n, from.into()))),
            (Socket::Unix(s), How::PeekFrom) => s
                .peek_from(buf)
                .await
                .map(|(n, from)| with((n, from.into()))),
        }
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Udp(s) => s.set_read_timeout(timeout),
            Socket::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    fn read_timeout(&self) -> Option<Duration> {
        match self {
            Socket::Udp(s) => s.read_timeout().unwrap(),
            Socket::Unix(s) => s.read_timeout().unwrap(),
        }
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Udp(s) => s.set_write_timeout(timeout),
            Socket::Unix(s) => s.set_write_timeout(timeout),
        }
    }

    fn write_timeout(&self) -> Option<Duration> {
        match self {
            Socket::Udp(s) => s.write_timeout().unwrap(),
            Socket::Unix(s) => s.write_timeout().unwrap(),
        }
    }

    fn fd(&self) -> RawFd {
        match self {
            Socket::Udp(s) => s.as_raw_fd(),
            Socket::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// A sender and a receiver.
struct Pair {
    kind: Kind,
    sender: Socket,
    receiver: Socket,
    /// The sender's address, as the receiver's `recv_from` reports it.
    sender_addr: Addr,
    /// Where `send_to` reaches the receiver; `None` for a socketpair, which has no name.
    target: Option<Target>,
    _dir: Option<TempDir>,
}

impl Pair {
    async fn new(kind: Kind) -> Pair {
        match kind {
            Kind::Udp | Kind::UdpUnconnected => {
                let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
                let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
                let target = receiver.local_addr().unwrap();
                if kind.connected() {
                    sender.connect(target).await.unwrap();
                }
                Pair {
                    kind,
                    sender_addr: Addr::Ip(sender.local_addr().unwrap()),
                    sender: Socket::Udp(sender),
                    receiver: Socket::Udp(receiver),
                    target: Some(Target::Ip(target)),
                    _dir: None,
                }
            }
            Kind::UnixPair => {
                let (sender, receiver) = UnixDatagram::pair().unwrap();
                Pair {
                    kind,
                    sender: Socket::Unix(sender),
                    receiver: Socket::Unix(receiver),
                    sender_addr: Addr::Unix(None),
                    target: None,
                    _dir: None,
                }
            }
            Kind::UnixPath | Kind::UnixPathUnconnected => {
                let dir = TempDir::new("dgram");
                let (sender_path, receiver_path) = (dir.join("sender"), dir.join("receiver"));
                let receiver = UnixDatagram::bind(&receiver_path).unwrap();
                let sender = UnixDatagram::bind(&sender_path).unwrap();
                if kind.connected() {
                    sender.connect(&receiver_path).unwrap();
                }
                Pair {
                    kind,
                    sender: Socket::Unix(sender),
                    receiver: Socket::Unix(receiver),
                    sender_addr: Addr::Unix(Some(sender_path)),
                    target: Some(Target::Path(receiver_path)),
                    _dir: Some(dir),
                }
            }
        }
    }

    /// Sends `buf` to the receiver: with `send_to` if `to` (and the receiver has a name)
    /// or the sender is not connected, else with `send`.
    async fn send(&self, buf: &[u8], to: bool) -> io::Result<usize> {
        match (&self.target, to || !self.kind.connected()) {
            (Some(target), true) => self.sender.send_to(buf, target).await,
            _ => self.sender.send(buf).await,
        }
    }

    /// Waits until a datagram is in the receiver's queue. A UDP datagram crosses loopback
    /// after its send returns, if soon after; a receive with a short read timeout must not
    /// race it. (A `poll(2)` of the descriptor, which leaves the reactor's epoll alone.)
    fn wait_queued(&self) {
        if matches!(self.kind, Kind::Udp | Kind::UdpUnconnected) {
            assert!(
                poll_fd(self.receiver.fd(), libc::POLLIN),
                "a datagram got lost"
            );
        }
    }
}

/// Whether `fd` reports `events` within five seconds, by `poll(2)`.
fn poll_fd(fd: RawFd, events: libc::c_short) -> bool {
    let mut pollfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: `pollfd` is one live `struct pollfd`, and one is passed.
    let n = unsafe { libc::poll(&mut pollfd, 1, 5000) };
    assert!(n >= 0, "poll: {}", io::Error::last_os_error());
    n == 1 && pollfd.revents & events != 0
}

/// An operation that must not wait: what it waits for is already there.
async fn prompt<T>(what: &str, operation: impl Future<Output = T>) -> T {
    timeout(Duration::from_secs(5), operation)
        .await
        .unwrap_or_else(|_| panic!("{what} hung though it need not wait"))
}

/// Runs `operation`, counting how many times it is polled.
async fn counted<F: Future>(polls: &Cell<u32>, operation: F) -> F::Output {
    let mut operation = pin!(operation);
    poll_fn(|cx| {
        polls.set(polls.get() + 1);
        operation.as_mut().poll(cx)
    })
    .await
}

/// A datagram or buffer length: 0 and tiny ones often, and often a datagram longer than
/// the buffer it is received into.
fn len_strategy() -> impl Strategy<Value = usize> {
    prop_oneof![
        2 => Just(0usize),
        2 => 1usize..4,
        4 => 4usize..=MAX_LEN,
    ]
}

fn how_strategy() -> impl Strategy<Value = How> {
    prop_oneof![
        Just(How::Recv),
        Just(How::RecvFrom),
        Just(How::Peek),
        Just(How::PeekFrom),
    ]
}

fn race_strategy() -> impl Strategy<Value = Race> {
    prop_oneof![
        1 => Just(Race::None),
        2 => (0u8..4).prop_map(Race::Yields),
        2 => (0u16..400).prop_map(Race::Micros),
        2 => (0u16..400).prop_map(Race::Sleep),
    ]
}

fn pace_strategy() -> impl Strategy<Value = Pace> {
    prop_oneof![
        3 => (0u8..3).prop_map(Pace::Yields),
        1 => (0u16..300).prop_map(Pace::Micros),
    ]
}

fn kind_strategy() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Udp),
        Just(Kind::UdpUnconnected),
        Just(Kind::UnixPair),
        Just(Kind::UnixPath),
        Just(Kind::UnixPathUnconnected),
    ]
}

/// One step of [`datagrams_follow_the_model`].
#[derive(Debug, Clone)]
enum Step {
    /// Sends a datagram of this length, with `send_to` if `to`.
    Send { len: usize, to: bool },
    /// Receives or peeks into a buffer of this length.
    Receive { how: How, len: usize },
    /// Sets the read timeout to this many milliseconds (0: the refused zero), or clears
    /// it.
    ReadTimeout(Option<u8>),
    /// Waits with `readable()`.
    Readable,
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (len_strategy(), any::<bool>()).prop_map(|(len, to)| Step::Send { len, to }),
        4 => (how_strategy(), len_strategy()).prop_map(|(how, len)| Step::Receive { how, len }),
        1 => prop::option::of(0u8..4).prop_map(Step::ReadTimeout),
        1 => Just(Step::Readable),
    ]
}

/// One receive (or peek) of [`datagrams_follow_the_model`], checked against the datagrams
/// still queued: with one queued, it returns at once with that datagram, cut to `buf`, and
/// its sender; with none, it waits, an empty `buf` too (as std's blocking sockets do), and
/// fails with `TimedOut` once the read timeout passes.
async fn receive_step(
    pair: &Pair,
    how: How,
    buf: &mut [u8],
    queued: &mut VecDeque<Vec<u8>>,
    read_timeout: Option<Duration>,
) {
    let Some(next) = queued.front() else {
        let started = Instant::now();
        match read_timeout {
            None => {
                let result =
                    timeout(Duration::from_millis(1), pair.receiver.receive(how, buf)).await;
                assert!(result.is_err(), "{how:?} with nothing sent: {result:?}");
            }
            Some(limit) => {
                let result = pair.receiver.receive(how, buf).await;
                let elapsed = started.elapsed();
                let err = result.expect_err("a receive with nothing sent");
                assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
                assert!(
                    limit <= elapsed && elapsed < limit + SLACK,
                    "timed out after {elapsed:?}, with a timeout of {limit:?}"
                );
            }
        }
        return;
    };
    pair.wait_queued();
    let (n, from) = prompt("a receive", pair.receiver.receive(how, buf))
        .await
        .unwrap();
    assert_eq!(
        n,
        next.len().min(buf.len()),
        "{how:?} of a {}-byte datagram into {} bytes",
        next.len(),
        buf.len()
    );
    assert!(buf[..n] == next[..n], "{how:?}: not the next datagram");
    if let Some(from) = from {
        assert_eq!(from, pair.sender_addr, "{how:?}: the wrong sender");
    }
    if !how.peeks() {
        queued.pop_front();
    }
}

/// A `readable()` of [`datagrams_follow_the_model`]: with a datagram queued it returns
/// at once; with none it waits, and fails with `TimedOut` once the read timeout passes, "as
/// a read would".
async fn readable_step(pair: &Pair, queued: &VecDeque<Vec<u8>>, read_timeout: Option<Duration>) {
    let readable = async {
        match &pair.receiver {
            Socket::Udp(s) => s.readable().await,
            Socket::Unix(s) => s.readable().await,
        }
    };
    if !queued.is_empty() {
        pair.wait_queued();
        prompt("readable()", readable).await.unwrap();
        return;
    }
    let started = Instant::now();
    match read_timeout {
        None => {
            let result = timeout(Duration::from_millis(1), readable).await;
            assert!(result.is_err(), "readable() with nothing sent: {result:?}");
        }
        Some(limit) => {
            let err = readable.await.expect_err("readable() with nothing sent");
            let elapsed = started.elapsed();
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
            assert!(limit <= elapsed && elapsed < limit + SLACK, "{elapsed:?}");
        }
    }
}

/// A script of sends, receives and peeks of random sizes and read timeouts, checked step
/// by step against a queue of the datagrams sent (see [`receive_step`]); at the end, the
/// datagrams still queued are received in order, and then nothing.
fn datagrams_follow_the_model(kind: Kind, steps: &[Step]) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let run = async {
            let pair = Pair::new(kind).await;
            let mut queued = VecDeque::new();
            let mut rng = Lcg(steps.len() as u64);
            let mut read_timeout = None;
            let mut buf = vec![0u8; MAX_LEN];
            for step in steps {
                match *step {
                    Step::Send { len, to } => {
                        if queued.len() >= WINDOW {
                            continue;
                        }
                        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                        let sent = prompt("a send", pair.send(&data, to)).await.unwrap();
                        assert_eq!(sent, len);
                        queued.push_back(data);
                    }
                    Step::Receive { how, len } => {
                        receive_step(&pair, how, &mut buf[..len], &mut queued, read_timeout).await
                    }
                    Step::Readable => readable_step(&pair, &queued, read_timeout).await,
                    Step::ReadTimeout(ms) => {
                        let limit = ms.map(|ms| Duration::from_millis(ms.into()));
                        let result = pair.receiver.set_read_timeout(limit);
                        if limit == Some(Duration::ZERO) {
                            let err = result.unwrap_err();
                            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
                        } else {
                            result.unwrap();
                            read_timeout = limit;
                        }
                        assert_eq!(pair.receiver.read_timeout(), read_timeout);
                    }
                }
            }
            while !queued.is_empty() {
                receive_step(&pair, How::RecvFrom, &mut buf, &mut queued, read_timeout).await;
            }
            receive_step(&pair, How::Recv, &mut buf, &mut queued, read_timeout).await;
        };
        timeout(GUARD, run).await.expect("the exchange hung");
    });
}

proptest! {
    #![proptest_config(config(48))]

    /// Each receive returns one datagram, cut to the buffer; a peek leaves it queued;
    /// empty datagrams and empty buffers are received as `Ok(0)`; the `_from` methods
    /// name the sender; with nothing queued a receive waits, or times out.
    #[test]
    fn datagrams_arrive_one_per_receive(
        kind in kind_strategy(),
        steps in prop::collection::vec(step_strategy(), 0..40),
    ) {
        datagrams_follow_the_model(kind, &steps);
    }
}

/// One step of the receiver of [`cancelled_receives_lose_nothing`].
#[derive(Debug, Clone)]
enum ReceiveOp {
    Receive(How, usize, Race),
    /// Sets (microseconds) or clears the read timeout.
    Timeout(Option<u16>),
}

fn receive_op_strategy() -> impl Strategy<Value = ReceiveOp> {
    prop_oneof![
        6 => (how_strategy(), len_strategy(), race_strategy())
            .prop_map(|(how, len, r)| ReceiveOp::Receive(how, len, r)),
        1 => prop::option::of(50u16..3000).prop_map(ReceiveOp::Timeout),
    ]
}

/// A sender paced at random, a receiver that cycles through `ops`, most of them raced
/// against `select!` branches and timeouts that drop them or failed by read timeouts: the
/// receiver gets every datagram exactly once, in order (cut to its buffer), and then
/// nothing. A plain receive ends each cycle, so the receiver always makes progress.
fn cancelled_receives_lose_nothing(
    kind: Kind,
    datagrams: &[(usize, bool, Pace)],
    ops: &[ReceiveOp],
) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let pair = Pair::new(kind).await;
        let sent: Vec<Vec<u8>> = datagrams
            .iter()
            .enumerate()
            .map(|(i, &(len, _, _))| bytes(i as u64, len))
            .collect();
        let received = Cell::new(0usize);
        let sending = async {
            for (i, (data, &(_, to, pace))) in sent.iter().zip(datagrams).enumerate() {
                pace.wait().await;
                while i - received.get() >= WINDOW {
                    sleep(Duration::from_micros(100)).await;
                }
                assert_eq!(pair.send(data, to).await.unwrap(), data.len());
            }
        };
        let receiving = async {
            let mut buf = vec![0u8; MAX_LEN];
            let plain = ReceiveOp::Receive(How::RecvFrom, MAX_LEN, Race::None);
            let mut read_timeout = None;
            let mut ops = ops.iter().chain([&plain]).cycle();
            while received.get() < sent.len() {
                match *ops.next().unwrap() {
                    ReceiveOp::Receive(how, len, r) => {
                        let outcome = race(r, pair.receiver.receive(how, &mut buf[..len])).await;
                        match outcome {
                            None => {}
                            Some(Err(err)) => {
                                assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
                                assert!(read_timeout.is_some(), "timed out with no timeout");
                            }
                            Some(Ok((n, from))) => {
                                let next = &sent[received.get()];
                                assert_eq!(n, next.len().min(len), "datagram {}", received.get());
                                assert!(
                                    buf[..n] == next[..n],
                                    "datagram {} lost or out of order",
                                    received.get()
                                );
                                if let Some(from) = from {
                                    assert_eq!(from, pair.sender_addr);
                                }
                                if !how.peeks() {
                                    received.set(received.get() + 1);
                                }
                            }
                        }
                    }
                    ReceiveOp::Timeout(us) => {
                        read_timeout = us.map(|us| Duration::from_micros(us.into()));
                        pair.receiver.set_read_timeout(read_timeout).unwrap();
                    }
                }
            }
            // Nothing more: every datagram was received once.
            pair.receiver.set_read_timeout(None).unwrap();
            let extra = timeout(
                Duration::from_millis(2),
                pair.receiver.receive(How::Recv, &mut buf),
            )
            .await;
            assert!(extra.is_err(), "a datagram received twice: {extra:?}");
        };
        timeout(GUARD, join(sending, receiving))
            .await
            .expect("the exchange hung");
    });
}

fn datagrams_strategy() -> impl Strategy<Value = Vec<(usize, bool, Pace)>> {
    prop::collection::vec((len_strategy(), any::<bool>(), pace_strategy()), 0..32)
}

proptest! {
    #![proptest_config(config(48))]

    /// Receives and peeks dropped by `select!` or `timeout`, or failed by read timeouts,
    /// lose no datagram and receive none twice.
    #[test]
    fn cancelled_receives_lose_no_datagram(
        kind in kind_strategy(),
        datagrams in datagrams_strategy(),
        ops in prop::collection::vec(receive_op_strategy(), 0..16),
    ) {
        cancelled_receives_lose_nothing(kind, &datagrams, &ops);
    }
}

/// The first byte of a datagram of [`tasks_share_a_receiving_socket`] that carries an id.
const DATA: u8 = 0xDA;
/// The whole of a datagram that tells one receiving task to stop.
const STOP: [u8; 1] = [0x5D];

/// One receiving task's script: how to receive, what to race against, and the pace
/// before, cycled, with a plain receive at the end of each cycle.
type Script = Vec<(bool, Race, Pace)>;

/// What the receiving tasks got: the ids of the datagrams with one, and how many empty
/// datagrams.
#[derive(Default)]
struct Tally {
    ids: Vec<u32>,
    empty: usize,
}

/// Receives until a stop datagram, tallying the rest; `from` picks `recv_from` over
/// `recv`.
async fn shared_receiver(pair: Rc<Pair>, script: Script, tally: Rc<RefCell<Tally>>) {
    let mut buf = vec![0u8; MAX_LEN];
    let plain = (true, Race::None, Pace::Yields(0));
    for &(from, r, pace) in script.iter().chain([&plain]).cycle() {
        pace.wait().await;
        let how = if from { How::RecvFrom } else { How::Recv };
        let (n, sender) = match race(r, pair.receiver.receive(how, &mut buf)).await {
            None => continue,
            Some(Err(err)) => {
                assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
                continue;
            }
            Some(Ok(received)) => received,
        };
        if let Some(sender) = sender {
            assert_eq!(sender, pair.sender_addr);
        }
        match &buf[..n] {
            [] => tally.borrow_mut().empty += 1,
            stop if stop == STOP => return,
            [DATA, id @ ..] if id.len() >= 4 => {
                let id = u32::from_le_bytes(id[..4].try_into().unwrap());
                assert!(
                    buf[5..n] == bytes(id.into(), n - 5)[..],
                    "datagram {id} corrupted"
                );
                tally.borrow_mut().ids.push(id);
            }
            other => panic!("a datagram never sent: {other:?}"),
        }
    }
}

/// Several tasks receive on one socket through an `Rc`, each with its own pace, races and
/// method, the socket maybe with a read timeout: each datagram is received by exactly one
/// of them, and every task finishes.
fn tasks_share_a_receiving_socket(
    kind: Kind,
    datagrams: &[(usize, bool, Pace)],
    scripts: &[Script],
    read_timeout: Option<u16>,
) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let pair = Rc::new(Pair::new(kind).await);
        pair.receiver
            .set_read_timeout(read_timeout.map(|us| Duration::from_micros(us.into())))
            .unwrap();
        let tally = Rc::new(RefCell::new(Tally::default()));
        let receivers: Vec<_> = scripts
            .iter()
            .map(|script| {
                mirage::spawn(shared_receiver(pair.clone(), script.clone(), tally.clone()))
            })
            .collect();
        let received = || {
            let tally = tally.borrow();
            tally.ids.len() + tally.empty
        };
        let run = async {
            let mut empty = 0;
            for (i, &(len, to, pace)) in datagrams.iter().enumerate() {
                pace.wait().await;
                while i - received() >= WINDOW {
                    sleep(Duration::from_micros(100)).await;
                }
                // Empty, or the marker, the id and bytes of its own.
                let data = match len {
                    0 => Vec::new(),
                    _ => {
                        let len = len.max(5);
                        let mut data = vec![DATA];
                        data.extend((i as u32).to_le_bytes());
                        data.extend(bytes(i as u64, len - 5));
                        data
                    }
                };
                empty += usize::from(data.is_empty());
                assert_eq!(pair.send(&data, to).await.unwrap(), data.len());
            }
            while received() < datagrams.len() {
                sleep(Duration::from_micros(100)).await;
            }
            // One stop for each task: a task stops at the first it gets.
            for _ in &receivers {
                pair.send(&STOP, false).await.unwrap();
            }
            for receiver in receivers {
                receiver.await.unwrap();
            }
            empty
        };
        let empty = timeout(GUARD, run).await.expect("a task hung");
        let Tally {
            mut ids,
            empty: got_empty,
        } = tally.take();
        ids.sort_unstable();
        let expected: Vec<u32> = (0..datagrams.len() as u32)
            .filter(|&i| datagrams[i as usize].0 > 0)
            .collect();
        assert_eq!(ids, expected, "datagrams lost or received twice");
        assert_eq!(got_empty, empty, "empty datagrams lost or received twice");
        // And nothing is left.
        pair.receiver.set_read_timeout(None).unwrap();
        let mut buf = [0u8; 8];
        let extra = timeout(
            Duration::from_millis(2),
            pair.receiver.receive(How::Recv, &mut buf),
        )
        .await;
        assert!(extra.is_err(), "a datagram left over: {extra:?}");
    });
}

fn script_strategy() -> impl Strategy<Value = Script> {
    prop::collection::vec((any::<bool>(), race_strategy(), pace_strategy()), 1..6)
}

proptest! {
    #![proptest_config(config(32))]

    /// Two to four tasks receive on one socket: every datagram reaches exactly one.
    #[test]
    fn tasks_share_a_receiving_socket_exactly_once(
        kind in kind_strategy(),
        datagrams in datagrams_strategy(),
        scripts in prop::collection::vec(script_strategy(), 2..5),
        read_timeout in prop::option::of(100u16..3000),
    ) {
        tasks_share_a_receiving_socket(kind, &datagrams, &scripts, read_timeout);
    }
}

/// Datagram `i` of [`sends_wait_for_a_full_peer`]: its index, then `len` bytes of its own.
fn numbered(i: u32, len: usize) -> Vec<u8> {
    let mut data = i.to_le_bytes().to_vec();
    data.extend(bytes(i.into(), len));
    data
}

/// Checks that a send left waiting for room for `waited` did not spin: a `send` of a
/// connected sender was polled once, and again only for a (rare) spurious wake-up.
///
/// A `send_to` cannot be told when the receiver's queue has room (Linux wakes only a
/// blocking sender for that, and the socket reports writable after every failed attempt),
/// so it retries after pauses that grow from 100 µs to 10 ms: a few polls in the first
/// 2 ms, then at most one per millisecond.
fn check_waited(kind: Kind, to: bool, polls: &Cell<u32>, waited: Duration) {
    let limit = if kind.connected() && !to {
        3
    } else {
        8 + u32::try_from(waited.as_millis()).unwrap_or(u32::MAX)
    };
    assert!(
        polls.get() <= limit,
        "a send that waited {waited:?} was polled {} times",
        polls.get()
    );
}

/// A Unix datagram sender whose receiver does not read: sends succeed until the socket
/// buffer (for a pair) or the receiver's queue (for bound paths) is full; then a send
/// waits, polled only when woken rather than spinning, and one dropped by a race, or failed
/// by a write timeout, sends nothing. A send left waiting completes once the receiver
/// reads, and the receiver gets exactly the datagrams whose sends completed, in order.
fn sends_wait_for_a_full_peer(
    kind: Kind,
    lens: &[usize],
    to: bool,
    dropped_by: Race,
    write_timeout_ms: u8,
    reader_pace: &[Pace],
) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let pair = Pair::new(kind).await;
        // A pair fills the sender's buffer (the receiver's queue limit does not apply to a
        // socket connected back to its sender), so make it small; sockets bound to paths
        // fill the receiver's queue first.
        if let Kind::UnixPair = kind {
            set_sockopt(pair.sender.fd(), libc::SO_SNDBUF, 4096);
        }
        let mut sent = Vec::new();
        let mut next = 0u32;
        let run = async {
            // Fill the peer, until a send is still waiting when its race ends.
            loop {
                assert!(next < 10_000, "the peer never filled up");
                let data = numbered(next, lens[next as usize % lens.len()]);
                next += 1;
                let polls = Cell::new(0);
                let started = Instant::now();
                match race(dropped_by, counted(&polls, pair.send(&data, to))).await {
                    Some(result) => {
                        assert_eq!(result.unwrap(), data.len());
                        sent.push(data);
                    }
                    None => {
                        check_waited(kind, to, &polls, started.elapsed());
                        break;
                    }
                }
            }
            assert!(!sent.is_empty(), "not one datagram fit");

            // A write timeout fails the next send, which sends nothing either.
            let err = pair
                .sender
                .set_write_timeout(Some(Duration::ZERO))
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
            assert_eq!(pair.sender.write_timeout(), None);
            let limit = Duration::from_millis(write_timeout_ms.into());
            pair.sender.set_write_timeout(Some(limit)).unwrap();
            let data = numbered(next, 8);
            next += 1;
            let polls = Cell::new(0);
            let started = Instant::now();
            let err = counted(&polls, pair.send(&data, to)).await.unwrap_err();
            let elapsed = started.elapsed();
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
            assert!(
                limit <= elapsed && elapsed < limit + SLACK,
                "timed out after {elapsed:?}, with a timeout of {limit:?}"
            );
            check_waited(kind, to, &polls, elapsed);
            pair.sender.set_write_timeout(None).unwrap();

            // A send that waits until the receiver, reading at its own pace, makes room.
            let late = numbered(next, 8);
            let late_done = Cell::new(false);
            let sending = async {
                assert_eq!(pair.send(&late, to).await.unwrap(), late.len());
                late_done.set(true);
            };
            let receiving = async {
                let mut buf = vec![0u8; MAX_LEN + 8];
                let expected = sent.iter().chain([&late]);
                for (i, (data, pace)) in expected.zip(reader_pace.iter().cycle()).enumerate() {
                    pace.wait().await;
                    let n = if i == sent.len() && !late_done.get() {
                        // Its send may not be done yet: this receive may wait for it.
                        pair.receiver.receive(How::Recv, &mut buf).await.unwrap().0
                    } else {
                        prompt("a receive", pair.receiver.receive(How::Recv, &mut buf))
                            .await
                            .unwrap()
                            .0
                    };
                    assert!(
                        buf[..n] == data[..],
                        "datagram {i} of {} lost, or not sent",
                        sent.len()
                    );
                }
            };
            join(sending, receiving).await;
            let mut buf = [0u8; 16];
            let extra = timeout(
                Duration::from_millis(2),
                pair.receiver.receive(How::Recv, &mut buf),
            )
            .await;
            assert!(extra.is_err(), "a datagram whose send failed: {extra:?}");

            // Usable again.
            let data = numbered(next, 3);
            prompt("a send", pair.send(&data, to)).await.unwrap();
            let n = prompt("a receive", pair.receiver.receive(How::Recv, &mut buf))
                .await
                .unwrap()
                .0;
            assert_eq!(&buf[..n], &data[..]);
        };
        timeout(GUARD, run).await.expect("the exchange hung");
    });
}

fn unix_kind_strategy() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::UnixPair),
        Just(Kind::UnixPath),
        Just(Kind::UnixPathUnconnected),
    ]
}

/// A race that leaves a send waiting long enough (a millisecond or more) to tell one that
/// waits from one that spins.
fn long_race_strategy() -> impl Strategy<Value = Race> {
    prop_oneof![
        (1000u16..4000).prop_map(Race::Micros),
        (1000u16..4000).prop_map(Race::Sleep),
    ]
}

proptest! {
    #![proptest_config(config(24))]

    /// Sends to a Unix datagram peer that does not read wait, cancel and time out cleanly.
    #[test]
    fn sends_to_a_full_peer_wait(
        kind in unix_kind_strategy(),
        lens in prop::collection::vec(0usize..MAX_LEN, 1..8),
        to in any::<bool>(),
        dropped_by in long_race_strategy(),
        write_timeout_ms in 1u8..5,
        reader_pace in prop::collection::vec(pace_strategy(), 1..6),
    ) {
        sends_wait_for_a_full_peer(kind, &lens, to, dropped_by, write_timeout_ms, &reader_pace);
    }
}

/// One step on a UDP socket connected to a port nobody listens on.
#[derive(Debug, Clone, Copy)]
enum RefusedOp {
    Send(usize),
    Receive(How),
    /// A receive that is already waiting when a send's ICMP "port unreachable" arrives.
    ReceiveWhileSending(usize),
}

fn refused_op_strategy() -> impl Strategy<Value = RefusedOp> {
    prop_oneof![
        (0usize..64).prop_map(RefusedOp::Send),
        how_strategy().prop_map(RefusedOp::Receive),
        (0usize..64).prop_map(RefusedOp::ReceiveWhileSending),
    ]
}

/// What an operation did: sent or received this many bytes, failed, or waited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done(usize),
    Failed(io::ErrorKind),
    Waited,
}

fn outcome(result: io::Result<usize>) -> Outcome {
    match result {
        Ok(n) => Outcome::Done(n),
        Err(err) => Outcome::Failed(err.kind()),
    }
}

/// A socket connected to a port nobody listens on: each datagram sent brings back an
/// ICMP "port unreachable", which Linux keeps as the socket's pending error.
fn refused_socket() -> std::net::UdpSocket {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(port).unwrap();
    socket
}

/// Waits until the ICMP error of the datagram just sent is pending on `fd`.
fn wait_refused(fd: RawFd) {
    assert!(poll_fd(fd, libc::POLLERR), "no ICMP error came back");
}

/// What std's blocking socket does for `ops`, each receive with a short read timeout:
/// the oracle for [`refused_sends_and_receives`].
fn refused_with_std(ops: &[RefusedOp]) -> Vec<Outcome> {
    let socket = refused_socket();
    socket
        .set_read_timeout(Some(Duration::from_millis(2)))
        .unwrap();
    let mut pending = false;
    let mut buf = [0u8; 64];
    let receive = |how: How, buf: &mut [u8]| {
        let result = match how {
            How::Recv => socket.recv(buf),
            How::RecvFrom => socket.recv_from(buf).map(|(n, _)| n),
            How::Peek => socket.peek(buf),
            How::PeekFrom => socket.peek_from(buf).map(|(n, _)| n),
        };
        match result {
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Outcome::Waited
            }
            result => outcome(result),
        }
    };
    let mut outcomes = Vec::new();
    for &op in ops {
        match op {
            RefusedOp::Send(len) => {
                let result = outcome(socket.send(&buf[..len]));
                pending = result == Outcome::Done(len);
                if pending {
                    wait_refused(socket.as_raw_fd());
                }
                outcomes.push(result);
            }
            RefusedOp::Receive(how) => {
                outcomes.push(receive(how, &mut buf));
                pending = false;
            }
            // The receive gets a pending error at once; otherwise it waits for the one the
            // send brings.
            RefusedOp::ReceiveWhileSending(len) => {
                if pending {
                    outcomes.push(receive(How::Recv, &mut buf));
                    outcomes.push(outcome(socket.send(&buf[..len])));
                    wait_refused(socket.as_raw_fd());
                } else {
                    let sent = outcome(socket.send(&buf[..len]));
                    wait_refused(socket.as_raw_fd());
                    outcomes.push(receive(How::Recv, &mut buf));
                    outcomes.push(sent);
                    pending = false;
                }
            }
        }
    }
    outcomes
}

/// Sends and receives on a UDP socket connected to a port nobody listens on: each
/// `ConnectionRefused` the kernel reports reaches the next operation, a receive already
/// waiting included, as it does on std's blocking socket, and nothing hangs.
fn refused_sends_and_receives(ops: &[RefusedOp]) {
    let expected = refused_with_std(ops);
    let mut core = Core::new().unwrap();
    let outcomes = core.run(async {
        let socket = UdpSocket::from_std(refused_socket()).unwrap();
        let socket = Socket::Udp(socket);
        let mut outcomes = Vec::new();
        let mut buf = [0u8; 64];
        let run = async {
            for &op in ops {
                match op {
                    RefusedOp::Send(len) => {
                        let result = outcome(prompt("a send", socket.send(&buf[..len])).await);
                        if result == Outcome::Done(len) {
                            wait_refused(socket.fd());
                        }
                        outcomes.push(result);
                    }
                    RefusedOp::Receive(how) => {
                        let result =
                            timeout(Duration::from_millis(2), socket.receive(how, &mut buf)).await;
                        outcomes.push(match result {
                            Err(_) => Outcome::Waited,
                            Ok(result) => outcome(result.map(|(n, _)| n)),
                        });
                    }
                    RefusedOp::ReceiveWhileSending(len) => {
                        let received = Cell::new(None);
                        let sent = Cell::new(None);
                        let mut recv_buf = [0u8; 64];
                        let receiving = async {
                            let result = socket.receive(How::Recv, &mut recv_buf).await;
                            received.set(Some(outcome(result.map(|(n, _)| n))));
                        };
                        let sending = async {
                            mirage::yield_now().await;
                            sent.set(Some(outcome(socket.send(&buf[..len]).await)));
                            wait_refused(socket.fd());
                        };
                        join(receiving, sending).await;
                        outcomes.push(received.get().unwrap());
                        outcomes.push(sent.get().unwrap());
                    }
                }
            }
        };
        timeout(GUARD, run).await.expect("an operation hung");
        outcomes
    });
    assert_eq!(outcomes, expected);
}

proptest! {
    #![proptest_config(config(32))]

    /// `ConnectionRefused` from ICMP reaches the next send or receive, as in std.
    #[test]
    fn refused_datagrams_are_reported_as_in_std(
        ops in prop::collection::vec(refused_op_strategy(), 0..12),
    ) {
        refused_sends_and_receives(&ops);
    }
}

/// Where [`unix_send_errors`] sends.
#[derive(Debug, Clone, Copy)]
enum UnixDest {
    /// A path where nothing exists.
    Missing,
    /// A regular file.
    File,
    /// The path a socket was bound to before it was closed.
    Dead,
    /// A bound socket that reads what it gets.
    Live,
    /// The peer of a socketpair, closed at the step given with the script.
    PairPeer,
}

fn unix_dest_strategy() -> impl Strategy<Value = UnixDest> {
    prop_oneof![
        Just(UnixDest::Missing),
        Just(UnixDest::File),
        Just(UnixDest::Dead),
        Just(UnixDest::Live),
        Just(UnixDest::PairPeer),
    ]
}

/// The paths of [`unix_send_errors`] in `dir`, made ready: a file, and the path of a
/// socket bound there and closed.
fn unix_dests(dir: &TempDir) -> [PathBuf; 4] {
    let paths = ["missing", "file", "dead", "live"].map(|name| dir.join(name));
    std::fs::write(&paths[1], b"not a socket").unwrap();
    drop(std::os::unix::net::UnixDatagram::bind(&paths[2]).unwrap());
    paths
}

/// What std's blocking sockets do for `dests`, the socketpair's peer closed before step
/// `close_at`: the oracle for [`unix_send_errors`].
fn unix_send_errors_with_std(dests: &[UnixDest], close_at: usize) -> Vec<Outcome> {
    use std::os::unix::net::UnixDatagram;
    let dir = TempDir::new("dgram");
    let paths = unix_dests(&dir);
    let live = UnixDatagram::bind(&paths[3]).unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    let (ours, peer) = UnixDatagram::pair().unwrap();
    let mut peer = Some(peer);
    let mut buf = [0u8; 16];
    let mut outcomes = Vec::new();
    for (i, &dest) in dests.iter().enumerate() {
        if i == close_at {
            peer = None;
        }
        let result = match dest {
            UnixDest::Missing => sender.send_to(b"x", &paths[0]),
            UnixDest::File => sender.send_to(b"x", &paths[1]),
            UnixDest::Dead => sender.send_to(b"x", &paths[2]),
            UnixDest::Live => sender.send_to(b"x", &paths[3]),
            UnixDest::PairPeer => ours.send(b"x"),
        };
        // What arrived is read, so that no queue fills up.
        if result.is_ok() {
            match dest {
                UnixDest::Live => live.recv(&mut buf).unwrap(),
                _ => peer.as_ref().unwrap().recv(&mut buf).unwrap(),
            };
        }
        outcomes.push(outcome(result));
    }
    outcomes
}

/// Sends to paths with no socket, to a closed socket's path, and on a socketpair whose
/// peer closes: each fails (or succeeds) as on std's blocking sockets, `NotFound` for a
/// missing path, at once.
fn unix_send_errors(dests: &[UnixDest], close_at: usize) {
    let expected = unix_send_errors_with_std(dests, close_at);
    for (dest, outcome) in dests.iter().zip(&expected) {
        if let UnixDest::Missing = dest {
            assert_eq!(*outcome, Outcome::Failed(io::ErrorKind::NotFound));
        }
    }
    let mut core = Core::new().unwrap();
    let outcomes = core.run(async {
        let dir = TempDir::new("dgram");
        let paths = unix_dests(&dir);
        let live = UnixDatagram::bind(&paths[3]).unwrap();
        let sender = UnixDatagram::unbound().unwrap();
        let (ours, peer) = UnixDatagram::pair().unwrap();
        let mut peer = Some(peer);
        let mut buf = [0u8; 16];
        let mut outcomes = Vec::new();
        for (i, &dest) in dests.iter().enumerate() {
            if i == close_at {
                peer = None;
            }
            let sending = async {
                match dest {
                    UnixDest::Missing => sender.send_to(b"x", &paths[0]).await,
                    UnixDest::File => sender.send_to(b"x", &paths[1]).await,
                    UnixDest::Dead => sender.send_to(b"x", &paths[2]).await,
                    UnixDest::Live => sender.send_to(b"x", &paths[3]).await,
                    UnixDest::PairPeer => ours.send(b"x").await,
                }
            };
            let result = prompt("a send", sending).await;
            if result.is_ok() {
                let receiver = match dest {
                    UnixDest::Live => &live,
                    _ => peer.as_ref().unwrap(),
                };
                prompt("a receive", receiver.recv(&mut buf)).await.unwrap();
            }
            outcomes.push(outcome(result));
        }
        outcomes
    });
    assert_eq!(outcomes, expected);
}

proptest! {
    #![proptest_config(config(32))]

    /// Unix datagram sends fail as std's do: `NotFound` where nothing exists,
    /// `ConnectionRefused` where no socket listens or the peer closed, then
    /// `NotConnected`.
    #[test]
    fn unix_send_errors_are_as_in_std(
        dests in prop::collection::vec(unix_dest_strategy(), 0..12),
        close_at in 0usize..12,
    ) {
        unix_send_errors(&dests, close_at);
    }
}

/// A sender's name in [`peeks_name_the_sender_as_receives_do`].
#[derive(Debug, Clone)]
enum Name {
    Unnamed,
    /// A path in a temporary directory whose file name is this long, at most what
    /// `sun_path` holds.
    Path(usize),
    /// A Linux abstract name: any bytes, NULs included.
    Abstract(Vec<u8>),
}

fn name_strategy() -> impl Strategy<Value = Name> {
    prop_oneof![
        Just(Name::Unnamed),
        (1usize..120).prop_map(Name::Path),
        prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..108).prop_map(Name::Abstract),
    ]
}

/// What a Unix address is, comparable.
fn unix_addr_parts(
    addr: &std::os::unix::net::SocketAddr,
) -> (bool, Option<PathBuf>, Option<Vec<u8>>) {
    use std::os::linux::net::SocketAddrExt;
    (
        addr.is_unnamed(),
        addr.as_pathname().map(Path::to_owned),
        addr.as_abstract_name().map(<[u8]>::to_vec),
    )
}

/// A sender with `name` sends to a bound receiver: `peek_from` names it exactly as
/// `recv_from` (std's conversion) does, and as it was bound.
fn peeks_name_the_sender(name: &Name) {
    use std::os::linux::net::SocketAddrExt;
    let dir = TempDir::new("dgram");
    let receiver_path = dir.join("r");
    let receiver = UnixDatagram::bind(&receiver_path).unwrap();
    let sender = match name {
        Name::Unnamed => UnixDatagram::unbound().unwrap(),
        Name::Path(len) => {
            // `sun_path` holds 108 bytes, the terminating NUL included.
            let room = 107 - dir.path().as_os_str().len() - 1;
            let path = dir.join("s".repeat((*len).min(room)));
            UnixDatagram::bind(path).unwrap()
        }
        Name::Abstract(bytes) => {
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(bytes).unwrap();
            UnixDatagram::bind_addr(&addr).unwrap()
        }
    };
    let bound = unix_addr_parts(&sender.local_addr().unwrap());
    let mut core = Core::new().unwrap();
    core.run(async {
        let run = async {
            sender.send_to(b"hi", &receiver_path).await.unwrap();
            let mut buf = [0u8; 4];
            let (n, peeked) = prompt("a peek", receiver.peek_from(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"hi");
            let (n, received) = prompt("a receive", receiver.recv_from(&mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"hi");
            assert_eq!(unix_addr_parts(&peeked), unix_addr_parts(&received));
            assert_eq!(unix_addr_parts(&received), bound);
        };
        timeout(GUARD, run).await.expect("the exchange hung");
    });
}

proptest! {
    #![proptest_config(config(32))]

    /// `peek_from` on a Unix socket names unnamed senders, paths of every length and
    /// abstract names as `recv_from` does.
    #[test]
    fn peeks_name_the_sender_as_receives_do(name in name_strategy()) {
        peeks_name_the_sender(&name);
    }
}
