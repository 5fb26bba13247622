//! Timer benchmarks, Mirage beside tokio's current-thread runtime, same run.
//!
//! `cargo bench --bench timers`. Each benchmark id has a `mirage` and a `tokio` variant;
//! compare them as a ratio (absolute times on a shared machine are noise). Before the
//! benchmarks it prints the sizes of both runtimes' `Sleep` and `Timeout` futures, and while
//! building the pending timers of `sleep_create_register_cancel` it prints how long that
//! took and how much memory each pending timer costs.
//!
//! - `sleep_create_register_cancel/{mirage,tokio}/{1k,100k,1M,10M}`: with N other timers
//!   registered (deadlines spread over one to two hours from now), create a one-hour
//!   sleep, poll it once so it registers, and drop it. Per timer. Each sample first lets
//!   the loop turn once, as a server's loop turns between events, so tokio's timer driver
//!   has recorded its earliest deadline: the new timer is later, and nothing is woken.
//! - `sleep_create_register_cancel_earliest/...`: the same with a one-minute sleep, which is
//!   always the earliest timer: tokio then wakes its own driver through its eventfd, one
//!   `write` per timer (checked with `strace -c`), the case the timer issue describes;
//!   Mirage's loop reads the earliest deadline when it next blocks, so it wakes nothing.
//!   Inside a running Core a Mirage `sleep` fixes its deadline when the poll that started it
//!   ends, with one clock read for all the sleeps that poll started and still holds, so
//!   these two shapes, whose sleeps are all dropped within the poll, read no clock.
//! - `sleep_register_outliving_poll/{mirage,tokio}/{1k,10M}`: the shape that pays for
//!   that: with N other timers pending, a poll creates and registers 64 one-hour sleeps,
//!   then yields (Mirage reads its clock and places the 64 in the wheel), and the next poll
//!   drops them. Per batch of 64; 1k against 10M shows the wheel's O(1) here too.
//! - `sleep_create_only/{mirage,tokio}`: create a one-hour sleep and drop it unpolled.
//! - `sleep_fire_1m_tasks/{mirage,tokio}`: spawn a million tasks that each sleep until a
//!   deadline spread evenly over the next 50 ms, and join them all; from the first spawn to
//!   the last join.
//! - `timeout_ready/{mirage,tokio}`: `timeout(1 s, ready(1)).await`. Per timeout.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::future::{Future, poll_fn};
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group};

const HOUR: Duration = Duration::from_secs(3600);

/// tokio's current-thread runtime as a server runs it (`#[tokio::main(flavor =
/// "current_thread")]` enables every driver): with its I/O driver, as Mirage's Core always
/// has its reactor.
fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The `i`th of `n` offsets spread evenly over `span`.
fn spread(i: usize, n: usize, span: Duration) -> Duration {
    Duration::from_nanos((span.as_nanos() * i as u128 / n as u128) as u64)
}

/// Resident set size of this process, in bytes (0 where /proc is missing).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn report_setup(runtime: &str, n: usize, took: Duration, rss_before: u64) {
    let per_timer = rss_bytes().saturating_sub(rss_before) as f64 / n as f64;
    eprintln!(
        "setup {runtime:>6} {n:>9} pending timers: {:>8.3} s, {per_timer:>6.1} B RSS per timer",
        took.as_secs_f64()
    );
}

/// `n` Mirage sleeps at one to two hours from now, each polled once so it is registered.
fn mirage_pending(core: &mut mirage::Core, n: usize) -> Vec<mirage::time::Sleep> {
    let rss_before = rss_bytes();
    let start = Instant::now();
    let pending = core.run(async move {
        let base = mirage::time::Instant::now() + HOUR;
        let mut pending: Vec<mirage::time::Sleep> = (0..n)
            .map(|i| mirage::time::sleep_until(base + spread(i, n, HOUR)))
            .collect();
        poll_fn(|cx| {
            for sleep in &mut pending {
                assert!(Pin::new(sleep).poll(cx).is_pending());
            }
            Poll::Ready(())
        })
        .await;
        pending
    });
    report_setup("mirage", n, start.elapsed(), rss_before);
    pending
}

/// A Core and the pending timers it holds, built on a benchmark's first sample and kept
/// across the others (criterion calls the routine once per sample; a filter that skips the
/// benchmark skips building them).
type MiragePending = Option<(mirage::Core, Vec<mirage::time::Sleep>)>;

/// The same for tokio.
type TokioPending = Option<(tokio::runtime::Runtime, Vec<Pin<Box<tokio::time::Sleep>>>)>;

/// The Core of `slot`, holding `n` pending timers (built now if `slot` is empty).
fn mirage_with_pending(slot: &mut MiragePending, n: usize) -> &mut mirage::Core {
    &mut slot
        .get_or_insert_with(|| {
            let mut core = mirage::Core::new().unwrap();
            let pending = mirage_pending(&mut core, n);
            (core, pending)
        })
        .0
}

/// The runtime of `slot`, holding `n` pending timers (built now if `slot` is empty).
fn tokio_with_pending(slot: &mut TokioPending, n: usize) -> &tokio::runtime::Runtime {
    &slot
        .get_or_insert_with(|| {
            let rt = tokio_rt();
            let pending = tokio_pending(&rt, n);
            (rt, pending)
        })
        .0
}

/// `n` tokio sleeps at one to two hours from now, each polled once so it is registered.
fn tokio_pending(rt: &tokio::runtime::Runtime, n: usize) -> Vec<Pin<Box<tokio::time::Sleep>>> {
    let rss_before = rss_bytes();
    let start = Instant::now();
    let pending = rt.block_on(async move {
        let base = tokio::time::Instant::now() + HOUR;
        let mut pending: Vec<Pin<Box<tokio::time::Sleep>>> = (0..n)
            .map(|i| Box::pin(tokio::time::sleep_until(base + spread(i, n, HOUR))))
            .collect();
        poll_fn(|cx| {
            for sleep in &mut pending {
                assert!(sleep.as_mut().poll(cx).is_pending());
            }
            Poll::Ready(())
        })
        .await;
        pending
    });
    report_setup("tokio", n, start.elapsed(), rss_before);
    pending
}

/// Create, register (one pending poll) and drop a one-hour sleep beside N pending timers
/// (one to two hours out): the new timer is never the earliest.
fn sleep_create_register_cancel(c: &mut Criterion) {
    create_register_cancel(c, "sleep_create_register_cancel", HOUR);
}

/// The same with a one-minute sleep: the new timer is always the earliest, so a runtime
/// whose timer driver sleeps until the earliest deadline must be told (tokio wakes its
/// driver through an eventfd; Mirage's loop recomputes its timeout before it blocks).
fn sleep_create_register_cancel_earliest(c: &mut Criterion) {
    create_register_cancel(
        c,
        "sleep_create_register_cancel_earliest",
        Duration::from_secs(60),
    );
}

fn create_register_cancel(c: &mut Criterion, name: &str, new_sleep: Duration) {
    let mut group = c.benchmark_group(name);
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for (label, n) in [
        ("1k", 1_000),
        ("100k", 100_000),
        ("1M", 1_000_000),
        ("10M", 10_000_000),
    ] {
        group.sample_size(if n >= 10_000_000 { 10 } else { 30 });

        let mut mirage: MiragePending = None;
        group.bench_function(BenchmarkId::new("mirage", label), |b| {
            let core = mirage_with_pending(&mut mirage, n);
            b.iter_custom(|iters| {
                core.run(async {
                    // One turn of the loop first, as a server's loop turns between events.
                    mirage::yield_now().await;
                    poll_fn(|cx| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            let mut sleep = mirage::time::sleep(new_sleep);
                            black_box(Pin::new(&mut sleep).poll(cx).is_pending());
                            // Dropped in place here, as tokio's pinned one is below: a
                            // `drop(sleep)` would first copy the 56 bytes the poll just wrote.
                        }
                        Poll::Ready(start.elapsed())
                    })
                    .await
                })
            })
        });
        drop(mirage);

        let mut tokio: TokioPending = None;
        group.bench_function(BenchmarkId::new("tokio", label), |b| {
            let rt = tokio_with_pending(&mut tokio, n);
            b.iter_custom(|iters| {
                rt.block_on(async {
                    // One turn of the loop first: tokio's timer driver then records the
                    // earliest pending deadline, which it compares new timers against.
                    tokio::task::yield_now().await;
                    poll_fn(|cx| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            let mut sleep = pin!(tokio::time::sleep(new_sleep));
                            black_box(sleep.as_mut().poll(cx).is_pending());
                        }
                        Poll::Ready(start.elapsed())
                    })
                    .await
                })
            })
        });
        drop(tokio);
    }
    group.finish();
}

/// Sleeps per poll in `sleep_register_outliving_poll`.
const BATCH: usize = 64;

/// Create and register `BATCH` one-hour sleeps in one poll, yield, drop them in the next,
/// beside 1k and 10M pending timers (one to two hours out).
fn sleep_register_outliving_poll(c: &mut Criterion) {
    let mut group = c.benchmark_group("sleep_register_outliving_poll");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for (label, n) in [("1k", 1_000), ("10M", 10_000_000)] {
        group.sample_size(if n >= 10_000_000 { 10 } else { 30 });
        let mut mirage: MiragePending = None;
        group.bench_function(BenchmarkId::new("mirage", label), |b| {
            let core = mirage_with_pending(&mut mirage, n);
            b.iter_custom(|iters| {
                core.run(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let sleeps: [mirage::time::Sleep; BATCH] =
                            std::array::from_fn(|_| mirage::time::sleep(HOUR));
                        register_all(pin!(sleeps)).await;
                    }
                    start.elapsed()
                })
            })
        });
        drop(mirage);

        let mut tokio: TokioPending = None;
        group.bench_function(BenchmarkId::new("tokio", label), |b| {
            let rt = tokio_with_pending(&mut tokio, n);
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let sleeps: [tokio::time::Sleep; BATCH] =
                            std::array::from_fn(|_| tokio::time::sleep(HOUR));
                        register_all(pin!(sleeps)).await;
                    }
                    start.elapsed()
                })
            })
        });
        drop(tokio);
    }
    group.finish();
}

/// Polls each of `sleeps` once (all pending), then yields, so that they outlive the poll
/// that registered them; they drop with the caller's next poll.
async fn register_all<S: Future<Output = ()>>(mut sleeps: Pin<&mut [S; BATCH]>) {
    poll_fn(|cx| {
        for i in 0..BATCH {
            // SAFETY: structural projection to an element of a pinned array, which is never
            // moved out of it.
            let sleep = unsafe { sleeps.as_mut().map_unchecked_mut(|all| &mut all[i]) };
            black_box(sleep.poll(cx).is_pending());
        }
        Poll::Ready(())
    })
    .await;
    yield_once().await;
}

/// Returns `Pending` once, waking itself: the same yield for both runtimes.
async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// Create and drop a sleep that is never polled: what starting one costs.
fn sleep_create_only(c: &mut Criterion) {
    let mut group = c.benchmark_group("sleep_create_only");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("mirage", |b| {
        let mut core = mirage::Core::new().unwrap();
        b.iter_custom(|iters| {
            core.run(async {
                let start = Instant::now();
                for _ in 0..iters {
                    drop(black_box(mirage::time::sleep(black_box(HOUR))));
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("tokio", |b| {
        let rt = tokio_rt();
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    drop(black_box(tokio::time::sleep(black_box(HOUR))));
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

const FIRE_TASKS: usize = 1_000_000;
const FIRE_SPAN: Duration = Duration::from_millis(50);

/// A million tasks each sleeping until a deadline spread over 50 ms, all joined.
fn sleep_fire_1m_tasks(c: &mut Criterion) {
    let mut group = c.benchmark_group("sleep_fire_1m_tasks");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(FIRE_TASKS as u64));
    group.bench_function("mirage", |b| {
        let mut core = mirage::Core::new().unwrap();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += core.run(async {
                    let began = Instant::now();
                    let start = mirage::time::Instant::now();
                    let handles: Vec<_> = (0..FIRE_TASKS)
                        .map(|i| {
                            let deadline = start + spread(i, FIRE_TASKS, FIRE_SPAN);
                            mirage::spawn(mirage::time::sleep_until(deadline))
                        })
                        .collect();
                    for handle in handles {
                        handle.await.unwrap();
                    }
                    began.elapsed()
                });
            }
            total
        })
    });
    group.bench_function("tokio", |b| {
        let rt = tokio_rt();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += rt.block_on(async {
                    let began = Instant::now();
                    let start = tokio::time::Instant::now();
                    let handles: Vec<_> = (0..FIRE_TASKS)
                        .map(|i| {
                            let deadline = start + spread(i, FIRE_TASKS, FIRE_SPAN);
                            tokio::spawn(tokio::time::sleep_until(deadline))
                        })
                        .collect();
                    for handle in handles {
                        handle.await.unwrap();
                    }
                    began.elapsed()
                });
            }
            total
        })
    });
    group.finish();
}

/// `timeout` around a future that is ready at once.
fn timeout_ready(c: &mut Criterion) {
    let mut group = c.benchmark_group("timeout_ready");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("mirage", |b| {
        let mut core = mirage::Core::new().unwrap();
        b.iter_custom(|iters| {
            core.run(async {
                let start = Instant::now();
                let mut sum = 0u64;
                for _ in 0..iters {
                    let ready = std::future::ready(black_box(1u64));
                    sum += mirage::time::timeout(Duration::from_secs(1), ready)
                        .await
                        .unwrap();
                }
                black_box(sum);
                start.elapsed()
            })
        })
    });
    group.bench_function("tokio", |b| {
        let rt = tokio_rt();
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                let mut sum = 0u64;
                for _ in 0..iters {
                    let ready = std::future::ready(black_box(1u64));
                    sum += tokio::time::timeout(Duration::from_secs(1), ready)
                        .await
                        .unwrap();
                }
                black_box(sum);
                start.elapsed()
            })
        })
    });
    group.finish();
}

fn print_sizes() {
    use std::future::Ready;
    use std::mem::size_of;
    eprintln!("size_of                         mirage  tokio");
    eprintln!(
        "Sleep                           {:>6}  {:>5}",
        size_of::<mirage::time::Sleep>(),
        size_of::<tokio::time::Sleep>()
    );
    eprintln!(
        "Timeout<Ready<i32>>             {:>6}  {:>5}",
        size_of::<mirage::time::Timeout<Ready<i32>>>(),
        size_of::<tokio::time::Timeout<Ready<i32>>>()
    );
}

criterion_group!(
    benches,
    sleep_create_register_cancel,
    sleep_create_register_cancel_earliest,
    sleep_register_outliving_poll,
    sleep_create_only,
    sleep_fire_1m_tasks,
    timeout_ready
);

// `criterion_main!(benches)`, with the sizes printed first.
fn main() {
    print_sizes();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
