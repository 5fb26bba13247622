//! Task benchmarks, Mirage beside tokio's current-thread runtime + `LocalSet`, same run.
//!
//! `cargo bench --bench tasks`. Each benchmark id has a `mirage` and a `tokio` variant;
//! compare them as a ratio (absolute times on a shared machine are noise). tokio's runtime
//! is built with `enable_all()`, as Mirage's Core always has its reactor and timers; with
//! its I/O driver, tokio's scheduler calls `epoll_wait` whenever it runs out of ready tasks,
//! which these loops do at nearly every operation (`strace -c`): with no driver, tokio ran
//! spawn, `yield_now` and ping-pong about 1.5-3x faster.
//! `cross_thread_mutex_uncontended` compares the mutexes that threads share, Mirage's
//! `sync::cross_thread::Mutex` beside `tokio::sync::Mutex`.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

fn tokio_local() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (rt, tokio::task::LocalSet::new())
}

/// spawn + run + join of an empty task.
fn spawn_join(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_join_empty_task");
    group.bench_function("mirage", |b| {
        let mut core = mirage::Core::new().unwrap();
        b.iter_custom(|iters| {
            core.run(async {
                let start = Instant::now();
                for _ in 0..iters {
                    mirage::spawn(async {}).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("tokio", |b| {
        let (rt, local) = tokio_local();
        b.iter_custom(|iters| {
            local.block_on(&rt, async {
                let start = Instant::now();
                for _ in 0..iters {
                    tokio::task::spawn_local(async {}).await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

/// One `yield_now` round trip of a spawned task.
fn yield_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_now_round_trip");
    group.bench_function("mirage", |b| {
        let mut core = mirage::Core::new().unwrap();
        b.iter_custom(|iters| {
            core.run(core.spawn(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    mirage::yield_now().await;
                }
                start.elapsed()
            }))
            .unwrap()
        })
    });
    group.bench_function("tokio", |b| {
        let (rt, local) = tokio_local();
        b.iter_custom(|iters| {
            local
                .block_on(
                    &rt,
                    local.spawn_local(async move {
                        let start = Instant::now();
                        for _ in 0..iters {
                            tokio::task::yield_now().await;
                        }
                        start.elapsed()
                    }),
                )
                .unwrap()
        })
    });
    group.finish();
}

/// A message there and back between two tasks over two bounded channels.
fn channel_ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("channel_ping_pong");
    group.bench_function("mirage", |b| {
        let mut core = mirage::Core::new().unwrap();
        b.iter_custom(|iters| {
            core.run(async move {
                let (ping_tx, mut ping_rx) = mirage::sync::mpsc::channel::<u64>(1);
                let (pong_tx, mut pong_rx) = mirage::sync::mpsc::channel::<u64>(1);
                let echo = mirage::spawn(async move {
                    while let Some(v) = ping_rx.recv().await {
                        pong_tx.send(v).await.unwrap();
                    }
                });
                let start = Instant::now();
                for i in 0..iters {
                    ping_tx.send(i).await.unwrap();
                    assert_eq!(pong_rx.recv().await, Some(i));
                }
                let elapsed = start.elapsed();
                drop(ping_tx);
                echo.await.unwrap();
                elapsed
            })
        })
    });
    group.bench_function("tokio", |b| {
        let (rt, local) = tokio_local();
        b.iter_custom(|iters| {
            local.block_on(&rt, async move {
                let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
                let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
                let echo = tokio::task::spawn_local(async move {
                    while let Some(v) = ping_rx.recv().await {
                        pong_tx.send(v).await.unwrap();
                    }
                });
                let start = Instant::now();
                for i in 0..iters {
                    ping_tx.send(i).await.unwrap();
                    assert_eq!(pong_rx.recv().await, Some(i));
                }
                let elapsed = start.elapsed();
                drop(ping_tx);
                echo.await.unwrap();
                elapsed
            })
        })
    });
    group.finish();
}

/// Set by the benchmark thread, awaited by a task on a Core blocked in its poller.
#[derive(Default)]
struct Flag {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Flag {
    fn raise(&self) {
        self.set.store(true, Ordering::Release);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }

    fn wait(self: &Arc<Self>) -> impl Future<Output = ()> + '_ {
        struct Wait<'a>(&'a Flag);
        impl Future for Wait<'_> {
            type Output = ();
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
                if self.0.set.swap(false, Ordering::AcqRel) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }
        Wait(self)
    }
}

/// A wake from another thread reaching a Core blocked in `epoll_wait`, plus the reply
/// through a std channel (the same for both runtimes): a round trip.
fn cross_thread_wake(c: &mut Criterion) {
    let mut group = c.benchmark_group("cross_thread_wake_round_trip");
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("mirage", |b| {
        let flag = Arc::new(Flag::default());
        let (reply_tx, reply_rx) = std_mpsc::channel::<()>();
        let core_flag = Arc::clone(&flag);
        let core_thread = std::thread::spawn(move || {
            let mut core = mirage::Core::new().unwrap();
            core.run(core.spawn(async move {
                loop {
                    core_flag.wait().await;
                    if reply_tx.send(()).is_err() {
                        break;
                    }
                }
            }))
            .unwrap();
        });
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                flag.raise();
                reply_rx.recv().unwrap();
            }
            start.elapsed()
        });
        drop(reply_rx);
        flag.raise();
        core_thread.join().unwrap();
    });
    group.bench_function("tokio", |b| {
        let flag = Arc::new(Flag::default());
        let (reply_tx, reply_rx) = std_mpsc::channel::<()>();
        let core_flag = Arc::clone(&flag);
        let core_thread = std::thread::spawn(move || {
            let (rt, local) = tokio_local();
            local
                .block_on(
                    &rt,
                    local.spawn_local(async move {
                        loop {
                            core_flag.wait().await;
                            if reply_tx.send(()).is_err() {
                                break;
                            }
                        }
                    }),
                )
                .unwrap();
        });
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                flag.raise();
                reply_rx.recv().unwrap();
            }
            start.elapsed()
        });
        drop(reply_rx);
        flag.raise();
        core_thread.join().unwrap();
    });
    group.finish();
}

/// Lock, increment and unlock a mutex that threads share, Mirage's
/// `sync::cross_thread::Mutex` beside `tokio::sync::Mutex`, from one task on one Core
/// (runtime): the cost of the lock itself. Per lock. (A contended variant, two Cores on
/// two threads handing the lock back and forth, was tried: on a shared 2-core machine its
/// time swung by several times between runs, for both, so it is not kept.)
fn cross_thread_mutex(c: &mut Criterion) {
    let mut group = c.benchmark_group("cross_thread_mutex_uncontended");
    group.bench_function("mirage", |b| {
        let mut core = mirage::Core::new().unwrap();
        let mutex = mirage::sync::cross_thread::Mutex::new(0u64);
        b.iter_custom(|iters| {
            core.run(async {
                let start = Instant::now();
                for _ in 0..iters {
                    *mutex.lock().await += 1;
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("tokio", |b| {
        let (rt, _) = tokio_local();
        let mutex = tokio::sync::Mutex::new(0u64);
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    *mutex.lock().await += 1;
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = spawn_join, yield_round_trip, channel_ping_pong, cross_thread_wake, cross_thread_mutex
}
criterion_main!(benches);
