//! `select!` benchmarks, `mirage::select!` beside `tokio::select!`, same run.
//!
//! `cargo bench --bench select`. Each benchmark id has a `mirage` and a `tokio` variant;
//! compare them as a ratio (absolute times on a shared machine are noise).
//!
//! - `two_branches_one_ready`: the read-versus-timeout shape. A ready future races a
//!   `sleep(1 s)` on each runtime's own timer; time per `select!`, including creating and
//!   dropping the sleep. As a server's loop is, each runtime is set up with an earlier timer
//!   pending (0.5 s) and has turned once since, so tokio's driver has recorded that deadline
//!   and a new 1 s sleep does not wake it (tokio wakes its driver, through an eventfd
//!   `write`, for a timer earlier than the one it will wake for: the case
//!   `timers.rs`' `sleep_create_register_cancel_earliest` measures).
//! - `wakeup_to_winner/{channels,trivial}/N`: N branches are pending; a message arrives on
//!   one of them (its waker fires and its future is now ready) and the `select!` is polled.
//!   Timed: the send, and the poll up to the end of the handler (finding the winner, dropping
//!   the losers). This is the cost the issue asks to keep flat in N: Mirage polls the woken
//!   branch only, tokio polls branches until it finds it. Each wake-up is timed on its own,
//!   so each includes two clock reads; the bench prints what those cost by themselves
//!   (`stopwatch: ... ns`, about 30 ns on the reference machine) so a reader can take them
//!   out of both columns.
//! - `wakeup_still_pending/trivial/N`: N branches are pending; one branch's waker fires but
//!   its future stays pending. Timed: the wake and the poll that follows it, over a batch.
//!   The purest measure of what a wake-up costs: Mirage polls one branch, tokio all N.
//! - `join_wakeup/trivial/N`: the same as `wakeup_still_pending` for `mirage::join!` beside
//!   `tokio::join!`: N futures pending, one woken and still pending. Mirage polls that
//!   future, tokio all N.
//! - `full_cycle/{channels,trivial}/N`: the same loop, timing everything: entering a fresh
//!   `select!`, its first poll (each branch must be polled once to register its waker, with
//!   either macro), the send, the wake-up poll, and the handler.
//!
//! The N-branch benchmarks drive the `select!` by hand, with a parent waker that counts its
//! wakes (one atomic add, like a task waker), so they measure the macros and nothing of
//! either runtime. Both macros select over the same branch futures: `channels` are tokio's
//! unbounded mpsc receivers (a realistic pending poll: a few atomic operations to register
//! the waker), `trivial` is a future that only compares and stores its waker (the least a
//! pending poll can cost, the case least favourable to Mirage).

#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn, ready};
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// tokio's current-thread runtime with its I/O driver, as Mirage's Core always has its
/// reactor (and as `benches/timers.rs` runs it): the read-versus-timeout shape needs one.
fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The timer pending before `two_branches_one_ready`'s loop: earlier than its 1 s sleeps.
const EARLIER: Duration = Duration::from_millis(500);

fn two_branches_one_ready(c: &mut Criterion) {
    let mut group = c.benchmark_group("two_branches_one_ready");
    group.bench_function("mirage", |b| {
        let mut core = mirage::Core::new().unwrap();
        b.iter_custom(|iters| {
            core.run(async {
                // An earlier timer pending, and one turn of the loop, as in a server.
                let mut earlier = pin!(mirage::time::sleep(EARLIER));
                poll_fn(|cx| {
                    assert!(earlier.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                mirage::yield_now().await;
                let start = Instant::now();
                for _ in 0..iters {
                    let n = mirage::select! {
                        n = ready(black_box(1u32)) => n,
                        _ = mirage::time::sleep(Duration::from_secs(1)) => 0,
                    };
                    black_box(n);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("tokio", |b| {
        let rt = tokio_rt();
        b.iter_custom(|iters| {
            rt.block_on(async {
                // The same: the loop turn makes tokio's driver record the earlier deadline.
                let mut earlier = pin!(tokio::time::sleep(EARLIER));
                poll_fn(|cx| {
                    assert!(earlier.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                tokio::task::yield_now().await;
                let start = Instant::now();
                for _ in 0..iters {
                    let n = tokio::select! {
                        n = ready(black_box(1u32)) => n,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => 0,
                    };
                    black_box(n);
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

/// A trivial branch future's state; firing it makes the future ready and wakes it.
#[derive(Default)]
struct Slot {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Slot {
    fn fire(&self) {
        self.fired.set(true);
        self.waker
            .borrow()
            .as_ref()
            .expect("polled once")
            .wake_by_ref();
    }
}

/// Pending until its slot is fired; keeps the latest waker, cloning only when it changed.
struct Wait<'a>(&'a Slot);

impl Future for Wait<'_> {
    type Output = Option<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        let slot = self.0;
        if slot.fired.replace(false) {
            return Poll::Ready(Some(0));
        }
        let mut waker = slot.waker.borrow_mut();
        match &*waker {
            Some(current) if current.will_wake(cx.waker()) => {}
            _ => *waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

type Receiver = RefCell<tokio::sync::mpsc::UnboundedReceiver<usize>>;

/// `recv` on a shared receiver, so that N branches can each borrow one element of a `Vec`.
struct Recv<'a>(&'a Receiver);

impl Future for Recv<'_> {
    type Output = Option<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        self.0.borrow_mut().poll_recv(cx)
    }
}

/// What the branches wait on, and how to make branch `i` ready.
trait Sources {
    type Item;
    fn new(n: usize) -> Self;
    fn items(&self) -> &[Self::Item];
    fn fire(&self, i: usize);
}

struct Slots(Vec<Slot>);

impl Sources for Slots {
    type Item = Slot;
    fn new(n: usize) -> Self {
        Slots((0..n).map(|_| Slot::default()).collect())
    }
    fn items(&self) -> &[Slot] {
        &self.0
    }
    fn fire(&self, i: usize) {
        self.0[i].fire();
    }
}

struct Channels {
    senders: Vec<tokio::sync::mpsc::UnboundedSender<usize>>,
    receivers: Vec<Receiver>,
}

impl Sources for Channels {
    type Item = Receiver;
    fn new(n: usize) -> Self {
        let (senders, receivers) = (0..n)
            .map(|_| {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                (tx, RefCell::new(rx))
            })
            .unzip();
        Channels { senders, receivers }
    }
    fn items(&self) -> &[Receiver] {
        &self.receivers
    }
    fn fire(&self, i: usize) {
        self.senders[i].send(i).unwrap();
    }
}

/// Pending once, without waking anyone: hands control back to the benchmark's hand-driven
/// poll loop between two `select!`s.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// A parent waker whose wake costs what a task waker's does at least: one atomic add.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// `select!` over `$future(&$sources[i])` for the listed `i`, with either macro.
macro_rules! select_on {
    (mirage, $future:ident, $sources:expr, $($i:literal)*) => {
        mirage::select! { $( Some(v) = $future(&$sources[$i]) => { v } )* }
    };
    (tokio, $future:ident, $sources:expr, $($i:literal)*) => {
        tokio::select! { $( Some(v) = $future(&$sources[$i]) => { v } )* }
    };
}

macro_rules! select_n {
    ($which:ident, $future:ident, $sources:expr, 8) => {
        select_on!($which, $future, $sources, 0 1 2 3 4 5 6 7)
    };
    ($which:ident, $future:ident, $sources:expr, 32) => {
        select_on!($which, $future, $sources,
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)
    };
    ($which:ident, $future:ident, $sources:expr, 64) => {
        select_on!($which, $future, $sources,
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
            32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
            60 61 62 63)
    };
}

/// Drives `body` (a loop of `select!`s over `sources`, each followed by a `PendingOnce`) by
/// hand: per iteration, make one branch ready and poll (the wake-up), then poll again to
/// enter the next `select!` (its first poll). Times the wake-up only, or everything.
fn drive(
    sources: &impl Sources,
    body: impl Future<Output = ()>,
    iters: u64,
    wake_up_only: bool,
) -> Duration {
    let mut body = pin!(body);
    let parent = Waker::from(Arc::new(CountingWaker::default()));
    let mut cx = Context::from_waker(&parent);
    // Enter the first select! and poll every branch once.
    assert!(body.as_mut().poll(&mut cx).is_pending());
    let mut next = 0;
    let mut timed = Duration::ZERO;
    let all = Instant::now();
    for _ in 0..iters {
        // Visit the branches in a scattered order (17 is coprime with 8, 32 and 64).
        next = (next + 17) % sources.items().len();
        if wake_up_only {
            let start = Instant::now();
            sources.fire(next);
            // Finds the winner, drops the losers, runs the handler, stops at `PendingOnce`.
            let _ = body.as_mut().poll(&mut cx);
            timed += start.elapsed();
        } else {
            sources.fire(next);
            let _ = body.as_mut().poll(&mut cx);
        }
        // Enters the next select! and polls every branch once.
        let _ = body.as_mut().poll(&mut cx);
    }
    if wake_up_only { timed } else { all.elapsed() }
}

macro_rules! bench_n {
    ($group:ident, $kind:literal, $sources:ident, $future:ident, $n:tt, $wake_up_only:expr) => {{
        $group.bench_with_input(
            BenchmarkId::new(concat!("mirage/", $kind), $n),
            &$n,
            |b, _| {
                let sources = $sources::new($n);
                b.iter_custom(|iters| {
                    let body = async {
                        loop {
                            black_box(select_n!(mirage, $future, sources.items(), $n));
                            PendingOnce(false).await;
                        }
                    };
                    drive(&sources, body, iters, $wake_up_only)
                })
            },
        );
        $group.bench_with_input(
            BenchmarkId::new(concat!("tokio/", $kind), $n),
            &$n,
            |b, _| {
                let sources = $sources::new($n);
                b.iter_custom(|iters| {
                    let body = async {
                        loop {
                            black_box(select_n!(tokio, $future, sources.items(), $n));
                            PendingOnce(false).await;
                        }
                    };
                    drive(&sources, body, iters, $wake_up_only)
                })
            },
        );
    }};
}

/// What the stopwatch of a timed wake-up costs by itself: the two clock reads `drive` wraps
/// each wake-up in, around nothing. Both macros' `wakeup_to_winner` times include it once
/// per iteration, which pulls their ratio toward 1; printed so a reader can take it out.
fn stopwatch_ns() -> f64 {
    let rounds = 1_000_000u32;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let mut timed = Duration::ZERO;
        for i in 0..rounds {
            let start = Instant::now();
            black_box(i);
            timed += start.elapsed();
        }
        best = best.min(timed.as_nanos() as f64 / f64::from(rounds));
    }
    best
}

fn wakeup_to_winner(c: &mut Criterion) {
    eprintln!(
        "stopwatch: {:.1} ns per timed wake-up (included in both runtimes' wakeup_to_winner)",
        stopwatch_ns()
    );
    let mut group = c.benchmark_group("wakeup_to_winner");
    bench_n!(group, "channels", Channels, Recv, 8, true);
    bench_n!(group, "channels", Channels, Recv, 32, true);
    bench_n!(group, "channels", Channels, Recv, 64, true);
    bench_n!(group, "trivial", Slots, Wait, 8, true);
    bench_n!(group, "trivial", Slots, Wait, 32, true);
    bench_n!(group, "trivial", Slots, Wait, 64, true);
    group.finish();
}

/// One `select!` over `N` trivial futures that stays pending; each iteration wakes one
/// branch (without making it ready) and polls.
macro_rules! bench_still_pending {
    ($group:ident, $n:tt) => {{
        $group.bench_with_input(BenchmarkId::new("mirage/trivial", $n), &$n, |b, _| {
            let sources = Slots::new($n);
            b.iter_custom(|iters| {
                let body = async {
                    black_box(select_n!(mirage, Wait, sources.items(), $n));
                };
                wake_one_and_poll(&sources, body, iters)
            })
        });
        $group.bench_with_input(BenchmarkId::new("tokio/trivial", $n), &$n, |b, _| {
            let sources = Slots::new($n);
            b.iter_custom(|iters| {
                let body = async {
                    black_box(select_n!(tokio, Wait, sources.items(), $n));
                };
                wake_one_and_poll(&sources, body, iters)
            })
        });
    }};
}

fn wakeup_still_pending(c: &mut Criterion) {
    let mut group = c.benchmark_group("wakeup_still_pending");
    bench_still_pending!(group, 8);
    bench_still_pending!(group, 32);
    bench_still_pending!(group, 64);
    group.finish();
}

/// `join!` over `$future(&$sources[i])` for the listed `i`, with either macro.
macro_rules! join_on {
    (mirage, $future:ident, $sources:expr, $($i:literal)*) => {
        mirage::join!($( $future(&$sources[$i]) ),*)
    };
    (tokio, $future:ident, $sources:expr, $($i:literal)*) => {
        tokio::join!($( $future(&$sources[$i]) ),*)
    };
}

macro_rules! join_n {
    ($which:ident, $future:ident, $sources:expr, 8) => {
        join_on!($which, $future, $sources, 0 1 2 3 4 5 6 7)
    };
    ($which:ident, $future:ident, $sources:expr, 32) => {
        join_on!($which, $future, $sources,
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)
    };
    ($which:ident, $future:ident, $sources:expr, 64) => {
        join_on!($which, $future, $sources,
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
            32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
            60 61 62 63)
    };
}

/// One `join!` over `N` trivial futures that stay pending; each iteration wakes one of them
/// (without making it ready) and polls: what a wake-up costs a `join!` that is still
/// waiting for most of its futures.
macro_rules! bench_join_wakeup {
    ($group:ident, $n:tt) => {{
        $group.bench_with_input(BenchmarkId::new("mirage/trivial", $n), &$n, |b, _| {
            let sources = Slots::new($n);
            b.iter_custom(|iters| {
                let body = async {
                    black_box(join_n!(mirage, Wait, sources.items(), $n));
                };
                wake_one_and_poll(&sources, body, iters)
            })
        });
        $group.bench_with_input(BenchmarkId::new("tokio/trivial", $n), &$n, |b, _| {
            let sources = Slots::new($n);
            b.iter_custom(|iters| {
                let body = async {
                    black_box(join_n!(tokio, Wait, sources.items(), $n));
                };
                wake_one_and_poll(&sources, body, iters)
            })
        });
    }};
}

/// Polls `body` once (every future registers its waker), then `iters` times wakes one
/// future's waker, in a scattered order, and polls `body` again, which stays pending.
fn wake_one_and_poll(sources: &Slots, body: impl Future<Output = ()>, iters: u64) -> Duration {
    let mut body = pin!(body);
    let parent = Waker::from(Arc::new(CountingWaker::default()));
    let mut cx = Context::from_waker(&parent);
    assert!(body.as_mut().poll(&mut cx).is_pending());
    let wakers: Vec<Waker> = sources
        .0
        .iter()
        .map(|slot| slot.waker.borrow().clone().expect("polled once"))
        .collect();
    let mut next = 0;
    let start = Instant::now();
    for _ in 0..iters {
        next = (next + 17) % wakers.len();
        wakers[next].wake_by_ref();
        assert!(body.as_mut().poll(&mut cx).is_pending());
    }
    start.elapsed()
}

fn join_wakeup(c: &mut Criterion) {
    let mut group = c.benchmark_group("join_wakeup");
    bench_join_wakeup!(group, 8);
    bench_join_wakeup!(group, 32);
    bench_join_wakeup!(group, 64);
    group.finish();
}

fn full_cycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("full_cycle");
    bench_n!(group, "channels", Channels, Recv, 8, false);
    bench_n!(group, "channels", Channels, Recv, 32, false);
    bench_n!(group, "channels", Channels, Recv, 64, false);
    bench_n!(group, "trivial", Slots, Wait, 8, false);
    bench_n!(group, "trivial", Slots, Wait, 32, false);
    bench_n!(group, "trivial", Slots, Wait, 64, false);
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = two_branches_one_ready, wakeup_to_winner, wakeup_still_pending, join_wakeup, full_cycle
}
criterion_main!(benches);
