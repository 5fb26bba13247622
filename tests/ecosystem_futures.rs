//! Mirage's futures driven by the `futures` crate's combinators, wakers and executors, and
//! the `futures` crate's futures driven by Mirage: `FuturesUnordered`'s per-future wakers,
//! `Shared`'s relayed wakes (also across Cores on two threads), `select`/`join` combinators
//! that drop losers, `block_on` outside a Core, and `futures::channel` wakes from plain
//! threads into `select!` wake sets.

mod guard;

use std::future::Future;
use std::io;
use std::panic::catch_unwind;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use futures::channel::{mpsc as fmpsc, oneshot as foneshot};
use futures::future::{self, Either, FutureExt};
use futures::stream::{self, FuturesUnordered, StreamExt};

use guard::within_guard;
use mirage::Core;
use mirage::net::{TcpListener, TcpStream};
use mirage::sync::cross_thread;
use mirage::time::{Instant, pause, sleep, timeout};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs the future `test` makes on a fresh Core, on a thread of its own with a time limit
/// (`within_guard`: a lost wake-up fails the test instead of hanging it).
fn on_core<F: Future<Output = ()>>(test: impl FnOnce() -> F + Send + 'static) {
    within_guard(|| Core::new().unwrap().run(test()));
}

/// A permutation of `0..n` (multiplication by a unit modulo a prime `p > n`, filtered).
fn shuffled(n: u64) -> Vec<u64> {
    let p = 10_007;
    assert!(n < p);
    (1..p)
        .map(|i| (i * 7919) % p)
        .filter(|&x| x <= n && x > 0)
        .map(|x| x - 1)
        .collect()
}

// ---------------------------------------------------------------------------------------
// 1. FuturesUnordered of Mirage timers and select!s, in virtual time.
// ---------------------------------------------------------------------------------------

#[test]
fn futures_unordered_of_sleeps_completes_in_deadline_order_at_the_deadlines() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        let mut set = FuturesUnordered::new();
        for i in shuffled(600) {
            set.push(async move {
                sleep(ms(10 * (i + 1))).await;
                (i, start.elapsed())
            });
        }
        let mut seen = Vec::new();
        while let Some((i, at)) = set.next().await {
            assert_eq!(at, ms(10 * (i + 1)), "sleep {i} fired at the wrong time");
            seen.push(i);
        }
        assert_eq!(seen, (0..600).collect::<Vec<_>>());
    });
}

#[test]
fn futures_unordered_of_due_sleeps_beyond_the_coop_budget_all_complete() {
    on_core(|| async {
        pause();
        let mut set: FuturesUnordered<_> = (0..2000)
            .map(|i| async move {
                sleep(Duration::ZERO).await;
                sleep(Duration::ZERO).await;
                i
            })
            .collect();
        let mut count = 0;
        while set.next().await.is_some() {
            count += 1;
        }
        assert_eq!(count, 2000);
    });
}

#[test]
fn futures_unordered_of_selects_sleep_against_oneshot() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        let mut senders = Vec::new();
        let mut set = FuturesUnordered::new();
        for i in 0..300u64 {
            let (tx, rx) = mirage::sync::oneshot::channel::<u64>();
            senders.push(tx);
            set.push(async move {
                // Even branches are answered at 5 ms * i / 2; odd ones time out at 1 s + i ms.
                mirage::select! {
                    v = rx => (i, v.ok(), start.elapsed()),
                    _ = sleep(Duration::from_secs(1) + ms(i)) => (i, None, start.elapsed()),
                }
            });
        }
        let sender = mirage::spawn(async move {
            for (i, tx) in senders.into_iter().enumerate() {
                if i % 2 == 0 {
                    sleep(ms(5)).await;
                    tx.send(i as u64 * 10).unwrap();
                } else {
                    // Kept alive until the end so the odd branches' channels stay open.
                    std::mem::forget(tx);
                }
            }
        });
        let mut got = Vec::new();
        while let Some(r) = set.next().await {
            got.push(r);
        }
        sender.await.unwrap();
        assert_eq!(got.len(), 300);
        for (n, &(i, v, at)) in got.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(v, Some(i * 10));
                assert_eq!(at, ms(5 * (i / 2 + 1)));
                assert_eq!(n as u64, i / 2, "answered branches finish in send order");
            } else {
                assert_eq!(v, None);
                assert_eq!(at, Duration::from_secs(1) + ms(i));
            }
        }
    });
}

/// select! inside FuturesUnordered inside select!, in a loop, with the outer select!'s
/// losing branch (a fresh sleep) dropped on every pass.
#[test]
fn selects_nested_in_futures_unordered_nested_in_select() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        let (tx, mut rx) = mirage::sync::mpsc::unbounded_channel::<u64>();
        let mut set = FuturesUnordered::new();
        for i in 0..64u64 {
            let tx = tx.clone();
            set.push(async move {
                let mut rounds = 0;
                loop {
                    mirage::select! {
                        _ = sleep(ms(3 + i)) => rounds += 1,
                        _ = sleep(ms(1000)) => unreachable!(),
                    }
                    if rounds == 5 {
                        let _ = tx.send(i);
                        return (i, start.elapsed());
                    }
                }
            });
        }
        drop(tx);
        let mut done = Vec::new();
        let mut ticks = 0u32;
        let mut messages = 0;
        loop {
            mirage::select! {
                Some((i, at)) = set.next() => {
                    assert_eq!(at, ms(5 * (3 + i)));
                    done.push(i);
                }
                Some(_) = rx.recv() => messages += 1,
                _ = sleep(ms(2)) => ticks += 1,
                else => break,
            }
            if done.len() == 64 && messages == 64 {
                break;
            }
        }
        assert_eq!(done, (0..64).collect::<Vec<_>>());
        assert!(ticks > 0);
    });
}

/// A future that polls its inner future with a brand new `Arc` waker each poll (one that
/// forwards to the real one): a foreign waker that changes every poll.
struct FreshWaker<F>(Pin<Box<F>>);

struct Forward(Waker, AtomicUsize);

impl Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.1.fetch_add(1, Ordering::Relaxed);
        self.0.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.1.fetch_add(1, Ordering::Relaxed);
        self.0.wake_by_ref();
    }
}

impl<F: Future> Future for FreshWaker<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let waker = Waker::from(Arc::new(Forward(cx.waker().clone(), AtomicUsize::new(0))));
        self.0.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

#[test]
fn select_and_join_polled_with_a_new_waker_every_poll() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        for round in 0..200u64 {
            let (tx, rx) = mirage::sync::oneshot::channel::<u64>();
            mirage::spawn(async move {
                sleep(ms(1)).await;
                mirage::yield_now().await;
                let _ = tx.send(round);
            });
            let got = FreshWaker(Box::pin(async {
            mirage::select! {
                v = rx => {
                    let (a, b) = mirage::join!(sleep(ms(1)), FreshWaker(Box::pin(sleep(ms(2)))));
                    let _ = (a, b);
                    v.unwrap()
                }
                _ = sleep(ms(500)) => u64::MAX,
            }
        }))
        .await;
            assert_eq!(got, round);
        }
        assert_eq!(start.elapsed(), ms(200 * 3));
    });
}

// ---------------------------------------------------------------------------------------
// 2. futures::future::Shared.
// ---------------------------------------------------------------------------------------

#[test]
fn shared_sleep_awaited_by_tasks_and_selects() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        let shared = async {
            sleep(ms(50)).await;
            42u32
        }
        .boxed_local()
        .shared();
        let mut handles = Vec::new();
        for i in 0..50u64 {
            let s = shared.clone();
            handles.push(mirage::spawn(async move {
                if i % 2 == 0 {
                    (s.await, start.elapsed())
                } else {
                    mirage::select! {
                        v = s => (v, start.elapsed()),
                        _ = sleep(ms(1000)) => (0, start.elapsed()),
                    }
                }
            }));
        }
        let mut set: FuturesUnordered<_> = (0..50).map(|_| shared.clone()).collect();
        let mut n = 0;
        while let Some(v) = set.next().await {
            assert_eq!(v, 42);
            n += 1;
        }
        assert_eq!(n, 50);
        for h in handles {
            assert_eq!(h.await.unwrap(), (42, ms(50)));
        }
    });
}

/// A `select!` branch awaits a `Shared` whose inner future is a `select!` whose branch
/// awaits another `Shared` whose inner future is a `select!`: three levels of relayed wakes.
#[test]
fn shared_of_select_chains() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        for round in 0..50u64 {
            let (tx, rx) = mirage::sync::oneshot::channel::<u64>();
            let inner = async move {
                mirage::select! {
                    v = rx => v.unwrap(),
                    _ = sleep(ms(100)) => u64::MAX,
                }
            }
            .boxed_local()
            .shared();
            let middle = {
                let inner = inner.clone();
                async move {
                    mirage::select! {
                        v = inner => v + 1,
                        _ = sleep(ms(200)) => u64::MAX,
                    }
                }
                .boxed_local()
                .shared()
            };
            let waiters: Vec<_> = (0..8)
                .map(|k| {
                    let middle = middle.clone();
                    let inner = inner.clone();
                    mirage::spawn(async move {
                        if k % 2 == 0 {
                            mirage::select! {
                                v = middle => v,
                                _ = sleep(ms(300)) => 0,
                            }
                        } else {
                            mirage::select! {
                                v = inner => v + 1,
                                _ = sleep(ms(300)) => 0,
                            }
                        }
                    })
                })
                .collect();
            sleep(ms(3)).await;
            tx.send(round).unwrap();
            for w in waiters {
                assert_eq!(w.await.unwrap(), round + 1);
            }
            assert_eq!(middle.clone().await, round + 1);
        }
        assert_eq!(start.elapsed(), ms(150));
    });
}

/// A `Shared` whose inner future holds a `select!` branch waiting on a clone of the same
/// `Shared` (so the relay wakes a branch of the `select!` being woken, through its own
/// parent). The other branch completes it.
#[test]
fn shared_whose_inner_select_awaits_itself() {
    on_core(|| async {
        pause();
        for round in 0..50u32 {
            let (tx, rx) = mirage::sync::oneshot::channel::<u32>();
            let slot: std::rc::Rc<std::cell::RefCell<Option<future::Shared<_>>>> =
                Default::default();
            let slot2 = slot.clone();
            let shared = async move {
                let me = slot2.borrow().clone().unwrap();
                let me: future::Shared<futures::future::LocalBoxFuture<'static, u32>> = me;
                mirage::select! {
                    v = me => v + 1000,
                    v = rx => v.unwrap(),
                }
            }
            .boxed_local()
            .shared();
            *slot.borrow_mut() = Some(shared.clone());
            let w = {
                let s = shared.clone();
                mirage::spawn(async move {
                    mirage::select! {
                        v = s => v,
                        _ = sleep(ms(100)) => u32::MAX,
                    }
                })
            };
            mirage::yield_now().await;
            sleep(ms(1)).await;
            tx.send(round).unwrap();
            assert_eq!(w.await.unwrap(), round);
            slot.borrow_mut().take();
        }
    });
}

/// Clones of one `Shared` (inner: a `select!` over two cross-thread oneshots) awaited inside
/// `select!`s on two Cores on two threads; the inner `select!` is polled on whichever
/// thread polls the `Shared`, and is answered from a third thread or from one of the Cores.
#[test]
fn shared_select_awaited_on_two_cores() {
    within_guard(|| {
        const ROUNDS: u32 = 2000;
        type S = future::Shared<futures::future::BoxFuture<'static, u32>>;
        let (to_a, from_main_a) =
            cross_thread::unbounded::<(S, Option<cross_thread::oneshot::Sender<u32>>)>();
        let (to_b, from_main_b) =
            cross_thread::unbounded::<(S, Option<cross_thread::oneshot::Sender<u32>>)>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(char, u32, u32)>();
        let spawn_core =
            |name: char,
             mut rx: cross_thread::UnboundedReceiver<(
                S,
                Option<cross_thread::oneshot::Sender<u32>>,
            )>,
             done: std::sync::mpsc::Sender<(char, u32, u32)>| {
                thread::spawn(move || {
                    let mut core = Core::new().unwrap();
                    core.run(async move {
                    let mut round = 0;
                    while let Some((shared, answer)) = rx.recv().await {
                        if let Some(tx) = answer {
                            let s2 = shared.clone();
                            mirage::spawn(async move {
                                mirage::yield_now().await;
                                let _ = tx.send(round);
                                drop(s2);
                            });
                        }
                        let v = mirage::select! {
                            v = shared => v,
                            _ = sleep(Duration::from_secs(10)) => panic!("{name}: round {round} lost its wake-up"),
                        };
                        done.send((name, round, v)).unwrap();
                        round += 1;
                    }
                });
                })
            };
        let a = spawn_core('a', from_main_a, done_tx.clone());
        let b = spawn_core('b', from_main_b, done_tx);
        for round in 0..ROUNDS {
            let (tx1, rx1) = cross_thread::oneshot::channel::<u32>();
            let (tx2, rx2) = cross_thread::oneshot::channel::<u32>();
            let shared: S = async move {
                // Both may be ready (one answered, one dropped): the answer wins either way.
                mirage::select! {
                    Ok(v) = rx1 => v,
                    Ok(v) = rx2 => v,
                    else => u32::MAX,
                }
            }
            .boxed()
            .shared();
            match round % 3 {
                0 => {
                    to_a.send((shared.clone(), None)).unwrap();
                    to_b.send((shared, None)).unwrap();
                    thread::yield_now();
                    tx1.send(round).unwrap();
                    drop(tx2);
                }
                1 => {
                    to_a.send((shared.clone(), Some(tx2))).unwrap();
                    to_b.send((shared, None)).unwrap();
                    // tx1 dropped at the end of the round... only after the answer.
                    let got: Vec<_> = (0..2).map(|_| done_rx.recv().unwrap()).collect();
                    for (_, r, v) in got {
                        assert_eq!((r, v), (round, round));
                    }
                    drop(tx1);
                    continue;
                }
                _ => {
                    to_a.send((shared.clone(), None)).unwrap();
                    to_b.send((shared, Some(tx1))).unwrap();
                    let got: Vec<_> = (0..2).map(|_| done_rx.recv().unwrap()).collect();
                    for (_, r, v) in got {
                        assert_eq!((r, v), (round, round));
                    }
                    drop(tx2);
                    continue;
                }
            }
            for _ in 0..2 {
                let (_, r, v) = done_rx.recv().unwrap();
                assert_eq!((r, v), (round, round));
            }
        }
        drop(to_a);
        drop(to_b);
        a.join().unwrap();
        b.join().unwrap();
    });
}

// ---------------------------------------------------------------------------------------
// 3. futures' select / join combinators over Mirage futures; losers dropped.
// ---------------------------------------------------------------------------------------

#[test]
fn futures_select_and_join_combinators_over_mirage_timers() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        match future::select(sleep(ms(10)), sleep(ms(20))).await {
            Either::Left(((), _loser)) => {}
            Either::Right(_) => panic!("the later sleep won"),
        }
        assert_eq!(start.elapsed(), ms(10));
        let sleeps: Vec<_> = (1..=50).rev().map(|i| sleep(ms(i)).boxed_local()).collect();
        let ((), index, rest) = future::select_all(sleeps).await;
        assert_eq!((index, rest.len()), (49, 49));
        drop(rest);
        assert_eq!(start.elapsed(), ms(11));
        let all = future::join_all((1..=50).map(|i| async move {
            sleep(ms(i)).await;
            i
        }))
        .await;
        assert_eq!(all, (1..=50).collect::<Vec<_>>());
        assert_eq!(start.elapsed(), ms(61));
        let r: Result<Vec<u64>, u64> = future::try_join_all((1..=50u64).map(|i| async move {
            match timeout(ms(25), sleep(ms(i))).await {
                Ok(()) => Ok(i),
                Err(_) => Err(i),
            }
        }))
        .await;
        assert_eq!(r, Err(26));
        assert_eq!(start.elapsed(), ms(86));
        let (a, b) = futures::join!(sleep(ms(5)), async {
            sleep(ms(7)).await;
            7
        });
        assert_eq!((a, b), ((), 7));
        assert_eq!(start.elapsed(), ms(93));
        let mut long = sleep(Duration::from_secs(3600)).fuse();
        let mut short = sleep(ms(1)).fuse();
        futures::select! {
            _ = long => panic!("the hour passed"),
            _ = short => {}
        }
        assert_eq!(start.elapsed(), ms(94));
        drop(long);
        // Nothing else waits: a oneshot answered an hour of virtual time later by a task
        // must arrive exactly then (a loser left in the wheel is harmless but would show
        // up below as an early wake-up count).
        let (tx, rx) = mirage::sync::oneshot::channel();
        mirage::spawn(async move {
            sleep(Duration::from_secs(7200)).await;
            tx.send(()).unwrap();
        });
        rx.await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(7200) + ms(94));
    });
}

/// A losing socket read owned by a dropped `futures::future::select` loser closes its
/// socket: the peer sees EOF.
#[test]
fn futures_select_loser_closes_its_socket() {
    on_core(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        for round in 0..20 {
            let (ready_tx, ready_rx) = mirage::sync::oneshot::channel::<()>();
            let reader = async move {
                let stream = TcpStream::connect(addr).await.unwrap();
                ready_tx.send(()).unwrap();
                let mut buf = [0u8; 16];
                let n = stream.read(&mut buf).await;
                panic!("the read completed: {n:?}");
            }
            .boxed_local();
            let timer = async move {
                ready_rx.await.unwrap();
                sleep(ms(5)).await;
            }
            .boxed_local();
            let (accepted, r) = futures::join!(listener.accept(), future::select(reader, timer));
            let (peer, _) = accepted.unwrap();
            assert!(matches!(r, Either::Right(_)), "round {round}");
            drop(r);
            let mut buf = [0u8; 4];
            let n = timeout(Duration::from_secs(5), peer.read(&mut buf))
                .await
                .expect("the loser's socket stayed open")
                .unwrap();
            assert_eq!(n, 0);
        }
    });
}

// ---------------------------------------------------------------------------------------
// 4. Streams of TCP connects and echo exchanges.
// ---------------------------------------------------------------------------------------

async fn echo_server(listener: TcpListener) {
    loop {
        let (s, _) = listener.accept().await.unwrap();
        mirage::spawn(async move {
            let mut buf = [0u8; 1024];
            loop {
                let n = match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if s.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
    }
}

async fn echo_once(addr: std::net::SocketAddr, i: u32) -> io::Result<u32> {
    let s = TcpStream::connect(addr).await?;
    let msg = format!("hello {i:08}");
    for _ in 0..3 {
        s.write_all(msg.as_bytes()).await?;
        let mut buf = vec![0u8; msg.len()];
        s.read_exact(&mut buf).await?;
        assert_eq!(buf, msg.as_bytes());
    }
    Ok(i)
}

#[test]
fn buffer_unordered_and_for_each_concurrent_over_tcp_echo() {
    on_core(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = mirage::spawn(echo_server(listener));
        let mut got: Vec<u32> = stream::iter(0..300)
            .map(|i| echo_once(addr, i))
            .buffer_unordered(32)
            .map(|r| r.unwrap())
            .collect()
            .await;
        got.sort();
        assert_eq!(got, (0..300).collect::<Vec<_>>());
        let count = std::cell::Cell::new(0);
        stream::iter(0..300)
            .for_each_concurrent(50, |i| {
                let count = &count;
                async move {
                    let r = timeout(Duration::from_secs(10), echo_once(addr, i)).await;
                    r.expect("echo timed out").unwrap();
                    count.set(count.get() + 1);
                }
            })
            .await;
        assert_eq!(count.get(), 300);
        server.abort();
    });
}

// ---------------------------------------------------------------------------------------
// 5. Foreign executors.
// ---------------------------------------------------------------------------------------

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn block_on_outside_a_core_panics_clearly_for_timers() {
    within_guard(|| {
        let p = catch_unwind(|| futures::executor::block_on(sleep(ms(1)))).unwrap_err();
        let msg = panic_message(p);
        assert!(msg.contains("outside a running or entered Core"), "{msg}");
        let p =
            catch_unwind(|| futures::executor::block_on(timeout(ms(1), future::pending::<()>())))
                .unwrap_err();
        let msg = panic_message(p);
        assert!(msg.contains("outside a running or entered Core"), "{msg}");
    });
}

#[test]
fn block_on_drives_select_over_cross_thread_channels() {
    within_guard(|| {
        let (tx1, mut rx1) = cross_thread::unbounded::<u32>();
        let (tx2, mut rx2) = cross_thread::unbounded::<u32>();
        let sender = thread::spawn(move || {
            for i in 0..20_000u32 {
                if i % 2 == 0 {
                    tx1.send(i).unwrap()
                } else {
                    tx2.send(i).unwrap()
                }
                if i % 64 == 0 {
                    thread::yield_now();
                }
            }
        });
        let sum = futures::executor::block_on(async {
            let (mut sum, mut open) = (0u64, 2);
            while open > 0 {
                mirage::select! {
                    v = rx1.recv() => match v { Some(v) => sum += v as u64, None => open -= 1 },
                    v = rx2.recv() => match v { Some(v) => sum += v as u64, None => open -= 1 },
                }
                if open < 2 {
                    // One closed: drain the other alone.
                    while let Some(v) = rx1.recv().await {
                        sum += v as u64;
                    }
                    while let Some(v) = rx2.recv().await {
                        sum += v as u64;
                    }
                    break;
                }
            }
            sum
        });
        sender.join().unwrap();
        assert_eq!(sum, (0..20_000u64).sum::<u64>());
    });
}

/// A `select!` spawned on futures' `ThreadPool`: polled on whichever pool thread runs it,
/// woken from plain threads and from a Core.
#[test]
fn select_on_a_work_stealing_thread_pool() {
    within_guard(|| {
        let pool = futures::executor::ThreadPool::builder()
            .pool_size(3)
            .create()
            .unwrap();
        let (req_tx, mut req_rx) = cross_thread::unbounded::<cross_thread::oneshot::Sender<u32>>();
        let core_thread = thread::spawn(move || {
            let mut core = Core::new().unwrap();
            core.run(async move {
                let mut n = 0;
                while let Some(tx) = req_rx.recv().await {
                    if n % 2 == 0 {
                        mirage::yield_now().await;
                    }
                    let _ = tx.send(n);
                    n += 1;
                }
            });
        });
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        for worker in 0..4u32 {
            let req_tx = req_tx.clone();
            let done_tx = done_tx.clone();
            pool.spawn_ok(async move {
                let mut answered = 0;
                for _ in 0..2000 {
                    let (tx, rx) = cross_thread::oneshot::channel::<u32>();
                    let (ftx, frx) = foneshot::channel::<u32>();
                    req_tx.send(tx).unwrap();
                    let t = thread::spawn(move || {
                        let _ = ftx.send(7);
                    });
                    let mut rx = rx.fuse_like();
                    let mut frx = Some(frx);
                    let mut got = 0;
                    while got < 2 {
                        mirage::select! {
                            v = &mut rx, if !rx.done => { v.unwrap(); rx.done = true; got += 1; }
                            v = future::OptionFuture::from(frx.as_mut()), if frx.is_some() => { v.unwrap().unwrap(); frx = None; got += 1; }
                        }
                    }
                    t.join().unwrap();
                    answered += 1;
                }
                done_tx.send((worker, answered)).unwrap();
            });
        }
        drop(req_tx);
        for _ in 0..4 {
            let (_, answered) = done_rx.recv().unwrap();
            assert_eq!(answered, 2000);
        }
        drop(pool);
        core_thread.join().unwrap();
    });
}

/// A oneshot receiver that knows whether it finished (cross_thread's asserts on a poll
/// after completion).
struct FuseLike<T> {
    rx: cross_thread::oneshot::Receiver<T>,
    done: bool,
}

trait FuseLikeExt<T> {
    fn fuse_like(self) -> FuseLike<T>;
}

impl<T> FuseLikeExt<T> for cross_thread::oneshot::Receiver<T> {
    fn fuse_like(self) -> FuseLike<T> {
        FuseLike {
            rx: self,
            done: false,
        }
    }
}

impl<T> Future for FuseLike<T> {
    type Output = Result<T, cross_thread::oneshot::error::RecvError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx).poll(cx)
    }
}

// ---------------------------------------------------------------------------------------
// 6. futures::channel wakes from plain threads into select! wake sets.
// ---------------------------------------------------------------------------------------

#[test]
fn futures_channels_from_threads_wake_a_select_with_a_timeout_branch() {
    within_guard(|| {
        const ROUNDS: u32 = 20_000;
        let (req_tx, mut req_rx) = fmpsc::unbounded::<(u32, foneshot::Sender<u32>)>();
        let (bulk_tx, mut bulk_rx) = fmpsc::channel::<u32>(4);
        let echo = thread::spawn(move || {
            futures::executor::block_on(async move {
                let mut bulk_tx = bulk_tx;
                while let Some((i, reply)) = req_rx.next().await {
                    if i % 7 == 0 {
                        futures::SinkExt::send(&mut bulk_tx, i).await.unwrap();
                    }
                    let _ = reply.send(i);
                }
            })
        });
        let mut core = Core::new().unwrap();
        let (answered, bulk) = core.run(async move {
            let mut bulk = 0u32;
            for i in 0..ROUNDS {
                let (tx, mut rx) = foneshot::channel();
                req_tx.unbounded_send((i, tx)).unwrap();
                loop {
                    mirage::select! {
                        v = &mut rx => { assert_eq!(v.unwrap(), i); break; }
                        Some(b) = bulk_rx.next() => { assert_eq!(b % 7, 0); bulk += 1; }
                        _ = sleep(Duration::from_secs(10)) => panic!("round {i}: lost wake-up"),
                    }
                }
            }
            drop(req_tx);
            while bulk_rx.next().await.is_some() {
                bulk += 1;
            }
            (ROUNDS, bulk)
        });
        echo.join().unwrap();
        assert_eq!(answered, ROUNDS);
        assert_eq!(bulk, ROUNDS.div_ceil(7));
    });
}

/// As above, but the select! runs inside a FuturesUnordered inside a spawned task, so its
/// parent is a FuturesUnordered waker, woken from the other thread.
#[test]
fn futures_channels_wake_selects_inside_futures_unordered() {
    within_guard(|| {
        const PER: u32 = 3000;
        const LANES: u32 = 8;
        let mut core = Core::new().unwrap();
        core.run(async {
            let handle = mirage::spawn(async {
                let mut set = FuturesUnordered::new();
                let mut threads = Vec::new();
                for lane in 0..LANES {
                    let (tx, mut rx) = fmpsc::channel::<u32>(1);
                    threads.push(thread::spawn(move || {
                        futures::executor::block_on(async move {
                            let mut tx = tx;
                            for i in 0..PER {
                                futures::SinkExt::send(&mut tx, i).await.unwrap();
                            }
                        })
                    }));
                    set.push(async move {
                        let mut next = 0;
                        loop {
                            mirage::select! {
                                v = rx.next() => match v {
                                    Some(v) => { assert_eq!(v, next); next += 1; }
                                    None => break,
                                },
                                _ = sleep(Duration::from_secs(10)) => panic!("lane {lane}: lost wake-up at {next}"),
                            }
                        }
                        (lane, next)
                    });
                }
                let mut done = 0;
                while let Some((_, n)) = set.next().await {
                    assert_eq!(n, PER);
                    done += 1;
                }
                for t in threads {
                    t.join().unwrap();
                }
                done
            });
            assert_eq!(handle.await.unwrap(), LANES);
        });
    });
}

// ---------------------------------------------------------------------------------------
// 7. abortable, now_or_never, poll_immediate, futures' Mutex.
// ---------------------------------------------------------------------------------------

#[test]
fn abortable_mirage_futures_abort_from_the_core_and_from_another_thread() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        let (fut, handle) = future::abortable(async {
            mirage::select! {
                _ = sleep(Duration::from_secs(3600)) => 1,
                _ = future::pending::<()>() => 2,
            }
        });
        let task = mirage::spawn(fut);
        sleep(ms(5)).await;
        handle.abort();
        assert!(task.await.unwrap().is_err());
        assert_eq!(start.elapsed(), ms(5));
    });
}

#[test]
fn abort_handle_from_another_thread_wakes_a_waiting_task() {
    on_core(|| async {
        for _ in 0..200 {
            let (fut, handle) = future::abortable(async {
                let (_tx, rx) = mirage::sync::oneshot::channel::<()>();
                mirage::select! {
                    _ = rx => 1,
                    _ = sleep(Duration::from_secs(3600)) => 2,
                }
            });
            let task = mirage::spawn(fut);
            mirage::yield_now().await;
            let t = thread::spawn(move || handle.abort());
            let r = timeout(Duration::from_secs(10), task)
                .await
                .expect("abort lost");
            assert!(r.unwrap().is_err());
            t.join().unwrap();
        }
    });
}

#[test]
fn now_or_never_and_poll_immediate_on_mirage_timers() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        for _ in 0..1000 {
            // Each pass spends a few units of the task's coop budget: a fresh budget.
            mirage::yield_now().await;
            assert_eq!(sleep(ms(1)).now_or_never(), None);
            // (Not `sleep(ZERO)`: its deadline rounds up to the next microsecond tick.)
            assert_eq!(
                mirage::time::sleep_until(Instant::now() - ms(1)).now_or_never(),
                Some(())
            );
            assert!(
                timeout(ms(1), future::pending::<()>())
                    .now_or_never()
                    .is_none()
            );
            assert_eq!(timeout(ms(1), async { 3 }).now_or_never(), Some(Ok(3)));
            let s = async {
                mirage::select! {
                    _ = sleep(ms(1)) => 1,
                    _ = future::pending::<()>() => 2,
                }
            };
            assert_eq!(s.now_or_never(), None);
            let mut nap = sleep(ms(2));
            assert_eq!(future::poll_immediate(&mut nap).await, None);
            assert_eq!(future::poll_immediate(&mut nap).await, None);
            drop(nap);
        }
        // Nothing registered above remains: the clock has not moved, and a sleep of 1 ms
        // completes exactly 1 ms later.
        assert_eq!(start.elapsed(), Duration::ZERO);
        sleep(ms(1)).await;
        assert_eq!(start.elapsed(), ms(1));
        // A sleep polled once with a noop waker, then awaited by the task: the task's
        // waker replaces the noop one.
        let mut nap = sleep(ms(3));
        let waker = futures::task::noop_waker();
        assert!(
            Pin::new(&mut nap)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        nap.await;
        assert_eq!(start.elapsed(), ms(4));
    });
}

#[test]
fn futures_mutex_held_across_mirage_sleeps() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        let lock = std::rc::Rc::new(futures::lock::Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..20u64)
            .map(|i| {
                let lock = lock.clone();
                mirage::spawn(async move {
                    let mut g = lock.lock().await;
                    sleep(ms(2)).await;
                    g.push(i);
                    drop(g);
                    // And through a select!: the lock or a timeout.
                    mirage::select! {
                        mut g = lock.lock() => { g.push(100 + i); }
                        _ = sleep(Duration::from_secs(60)) => panic!("lock starved"),
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(lock.lock().await.len(), 40);
        assert_eq!(start.elapsed(), ms(40));
    });
}

/// `sleep_until` documents that a deadline in the past completes at the first poll, which
/// `now_or_never` and `poll_immediate` rely on (they poll exactly once). A Core with no
/// timer registered never advanced its wheel, so a past deadline used to look pending.
#[test]
fn a_past_deadline_is_ready_at_the_first_poll_of_now_or_never() {
    on_core(|| async {
        // The Core runs for a while with no timer registered.
        thread::sleep(ms(50));
        let past = Instant::now() - ms(10);
        assert_eq!(mirage::time::sleep_until(past).now_or_never(), Some(()));
        let limited = mirage::time::timeout_at(past, future::pending::<()>());
        assert!(matches!(limited.now_or_never(), Some(Err(_))));
        let mut nap = mirage::time::sleep_until(past);
        assert_eq!(future::poll_immediate(&mut nap).await, Some(()));
        // The same after a pause: virtual time starts where the clock stood.
        thread::sleep(ms(50));
        pause();
        let past = Instant::now() - ms(10);
        assert_eq!(mirage::time::sleep_until(past).now_or_never(), Some(()));
    });
}

// ---------------------------------------------------------------------------------------
// 8. Mirage futures held by futures' containers across Cores, tasks and threads.
// ---------------------------------------------------------------------------------------

/// A FuturesUnordered of sleeps and select!s, registered with one Core, which is dropped;
/// the set then finishes on a second Core of the same thread.
#[test]
fn futures_unordered_outlives_its_core() {
    within_guard(|| {
        let mut set = FuturesUnordered::new();
        {
            let mut core = Core::new().unwrap();
            core.run(async {
                for i in 0..100u64 {
                    set.push(
                        async move {
                            if i % 2 == 0 {
                                sleep(ms(20 + i)).await;
                            } else {
                                mirage::select! {
                                    _ = sleep(ms(20 + i)) => {}
                                    _ = future::pending::<()>() => unreachable!(),
                                }
                            }
                            i
                        }
                        .boxed_local(),
                    );
                }
                // Registered with this Core's wheel, none due yet.
                assert!(future::poll_immediate(set.next()).await.is_none());
            });
        }
        let mut core = Core::new().unwrap();
        let mut got: Vec<u64> = core.run(async {
            timeout(Duration::from_secs(10), set.collect::<Vec<_>>())
                .await
                .expect("timers of a dropped Core never moved to this one")
        });
        got.sort();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    });
}

/// A JoinSet and JoinHandles joined through futures' combinators: select against a sleep in
/// a loop (a fresh loser every pass), FuturesUnordered of handles, Shared of a handle.
#[test]
fn join_handles_and_join_sets_through_futures_combinators() {
    on_core(|| async {
        pause();
        let start = Instant::now();
        let mut set = mirage::JoinSet::new();
        for i in 0..50u64 {
            set.spawn(async move {
                sleep(ms(10 * (50 - i))).await;
                i
            });
        }
        let mut order = Vec::new();
        let mut ticks = 0;
        loop {
            let next = std::future::poll_fn(|cx| set.poll_join_next(cx));
            match future::select(next.boxed_local(), sleep(ms(7))).await {
                Either::Left((Some(r), _)) => order.push(r.unwrap()),
                Either::Left((None, _)) => break,
                Either::Right(_) => ticks += 1,
            }
        }
        assert_eq!(order, (0..50).rev().collect::<Vec<_>>());
        assert!(ticks >= 50);
        assert_eq!(start.elapsed(), ms(500));
        let handles: FuturesUnordered<_> = (0..50u64)
            .map(|i| {
                mirage::spawn(async move {
                    sleep(ms(50 - i)).await;
                    i
                })
            })
            .collect();
        let got: Vec<u64> = handles.map(|r| r.unwrap()).collect().await;
        assert_eq!(got, (0..50).rev().collect::<Vec<_>>());
        let shared = mirage::spawn(async {
            sleep(ms(5)).await;
            9u8
        })
        .map(|r| r.unwrap())
        .shared();
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let s = shared.clone();
                mirage::spawn(async move {
                    mirage::select! {
                        v = s => v,
                        _ = sleep(ms(100)) => 0,
                    }
                })
            })
            .collect();
        for w in waiters {
            assert_eq!(w.await.unwrap(), 9);
        }
    });
}

/// select!s whose branch awaits a Shared of a cross-thread oneshot answered by another
/// thread while the select!'s timeout branch may win: the set goes back to the pool while
/// the other thread's wake may still be on its way.
#[test]
fn shared_cross_thread_oneshot_races_a_select_timeout() {
    on_core(|| async {
        let (won, lost) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
        for round in 0..3000u32 {
            let (tx, rx) = cross_thread::oneshot::channel::<u32>();
            let shared = rx.map(|r| r.ok()).shared();
            let t = thread::spawn(move || {
                if round % 3 == 0 {
                    thread::yield_now();
                }
                let _ = tx.send(round);
            });
            let s2 = shared.clone();
            mirage::select! {
                v = shared => { assert_eq!(v, Some(round)); won.set(won.get() + 1); }
                _ = mirage::yield_now() => lost.set(lost.get() + 1),
            }
            // Whatever won, the other clone sees the value, woken in time.
            let v = timeout(Duration::from_secs(10), s2)
                .await
                .expect("lost wake-up");
            assert_eq!(v, Some(round));
            t.join().unwrap();
        }
        assert_eq!(won.get() + lost.get(), 3000);
    });
}

/// futures' stream::select_all over Mirage channel receivers turned into streams.
#[test]
fn stream_select_all_over_mirage_receivers() {
    on_core(|| async {
        pause();
        let mut streams = Vec::new();
        for lane in 0..16u64 {
            let (tx, rx) = mirage::sync::mpsc::channel::<u64>(2);
            mirage::spawn(async move {
                for i in 0..100 {
                    sleep(ms(lane + 1)).await;
                    tx.send(lane * 1000 + i).await.unwrap();
                }
            });
            streams.push(
                stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
                    .boxed_local(),
            );
        }
        let all: Vec<u64> = stream::select_all(streams).collect().await;
        assert_eq!(all.len(), 1600);
        for lane in 0..16u64 {
            let mine: Vec<u64> = all.iter().copied().filter(|v| v / 1000 == lane).collect();
            assert_eq!(mine, (0..100).map(|i| lane * 1000 + i).collect::<Vec<_>>());
        }
    });
}

/// A `Shared` whose inner future loops over a `select!` fed by a plain thread and by a task
/// of one of two Cores; both Cores await clones, so the inner `select!` is polled on
/// whichever thread gets there first, while its wake-ups come from three threads.
#[test]
fn shared_looping_select_polled_from_two_cores_fed_from_three_threads() {
    within_guard(|| {
        const ROUNDS: u32 = 300;
        const PER_SIDE: u64 = 40;
        type S = future::Shared<futures::future::BoxFuture<'static, u64>>;
        type Job = (S, Option<cross_thread::UnboundedSender<u64>>);
        let (to_a, mut from_main_a) = cross_thread::unbounded::<Job>();
        let (to_b, mut from_main_b) = cross_thread::unbounded::<Job>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<u64>();
        let done_a = done_tx.clone();
        let a = thread::spawn(move || {
            Core::new().unwrap().run(async move {
                while let Some((shared, feed)) = from_main_a.recv().await {
                    if let Some(feed) = feed {
                        mirage::spawn(async move {
                            for i in 0..PER_SIDE {
                                feed.send(1000 + i).unwrap();
                                if i % 4 == 0 {
                                    mirage::yield_now().await;
                                }
                            }
                        });
                    }
                    let v = mirage::select! {
                        v = shared => v,
                        _ = sleep(Duration::from_secs(10)) => panic!("a: lost wake-up"),
                    };
                    done_a.send(v).unwrap();
                }
            })
        });
        let b = thread::spawn(move || {
            Core::new().unwrap().run(async move {
                while let Some((shared, _)) = from_main_b.recv().await {
                    let v = mirage::select! {
                        v = shared => v,
                        _ = sleep(Duration::from_secs(10)) => panic!("b: lost wake-up"),
                    };
                    done_tx.send(v).unwrap();
                }
            })
        });
        let expected: u64 = (0..PER_SIDE).sum::<u64>() * 2 + 1000 * PER_SIDE;
        for _ in 0..ROUNDS {
            let (feed_thread, mut rx1) = cross_thread::unbounded::<u64>();
            let (feed_core, mut rx2) = cross_thread::unbounded::<u64>();
            let shared: S = async move {
                let (mut sum, mut n) = (0, 0);
                while n < 2 * PER_SIDE {
                    mirage::select! {
                        Some(v) = rx1.recv() => { sum += v; n += 1; }
                        Some(v) = rx2.recv() => { sum += v; n += 1; }
                    }
                }
                sum
            }
            .boxed()
            .shared();
            to_b.send((shared.clone(), None)).unwrap();
            to_a.send((shared, Some(feed_core))).unwrap();
            let t = thread::spawn(move || {
                for i in 0..PER_SIDE {
                    feed_thread.send(i).unwrap();
                    if i % 8 == 0 {
                        thread::yield_now();
                    }
                }
            });
            for _ in 0..2 {
                assert_eq!(done_rx.recv().unwrap(), expected);
            }
            t.join().unwrap();
        }
        drop((to_a, to_b));
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// Reads with `set_read_timeout`, raced and joined by futures' combinators in virtual time:
/// each times out at its own limit, and a loser's socket closes when it is dropped.
#[test]
fn socket_read_timeouts_under_futures_combinators() {
    on_core(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut clients = Vec::new();
        let mut peers = Vec::new();
        for i in 0..20u64 {
            let (c, p) = futures::join!(TcpStream::connect(addr), listener.accept());
            let c = c.unwrap();
            c.set_read_timeout(Some(ms(100 * (i + 1)))).unwrap();
            clients.push(c);
            peers.push(p.unwrap().0);
        }
        pause();
        let start = Instant::now();
        let reads = clients.iter().map(|c| async move {
            let mut buf = [0u8; 8];
            let err = c.read(&mut buf).await.unwrap_err();
            (err.kind(), start.elapsed())
        });
        let mut set: FuturesUnordered<_> = reads.collect();
        let mut n = 0u64;
        while let Some((kind, at)) = set.next().await {
            n += 1;
            assert_eq!(kind, io::ErrorKind::TimedOut);
            assert_eq!(at, ms(100 * n));
        }
        drop(set);
        // select_all over reads of the first ten, whose peers answer one by one.
        let reads: Vec<_> = clients
            .drain(..10)
            .map(|c| {
                async move {
                    let mut buf = [0u8; 8];
                    c.set_read_timeout(None).unwrap();
                    let n = c.read(&mut buf).await.unwrap();
                    (buf[0], n)
                }
                .boxed_local()
            })
            .collect();
        peers[7].write_all(&[7]).await.unwrap();
        let ((byte, len), index, rest) = future::select_all(reads).await;
        assert_eq!((byte, len, index), (7, 1, 7));
        drop(rest);
        // The nine losers owned their streams: their peers see EOF.
        for (i, peer) in peers.iter().enumerate().take(10) {
            if i == 7 {
                continue;
            }
            let mut buf = [0u8; 1];
            let n = timeout(Duration::from_secs(5), peer.read(&mut buf)).await;
            assert_eq!(
                n.expect("a loser's socket stayed open").unwrap(),
                0,
                "peer {i}"
            );
        }
    });
}

/// Mirage's own locks and `Notify` waited on by many futures of one FuturesUnordered (one
/// waker each), some dropped after they were handed the lock or the notification: what they
/// were handed passes on.
#[test]
fn mirage_mutex_and_notify_waiters_inside_futures_unordered() {
    on_core(|| async {
        pause();
        let lock = std::rc::Rc::new(mirage::sync::Mutex::new(0u32));
        let guard = lock.lock().await;
        let mut set: FuturesUnordered<_> = (0..50u32)
            .map(|i| {
                let lock = lock.clone();
                async move {
                    let mut g = lock.lock().await;
                    *g += 1;
                    sleep(ms(1)).await;
                    i
                }
                .boxed_local()
            })
            .collect();
        // Every waiter queued; then the lock is handed to the first, and the whole set is
        // dropped before that waiter runs.
        assert!(future::poll_immediate(set.next()).await.is_none());
        drop(guard);
        drop(set);
        let g = timeout(ms(10), lock.lock())
            .await
            .expect("a dropped waiter kept the lock");
        assert_eq!(*g, 0);
        drop(g);
        // Half of a new set is dropped mid-way (each one holds the lock for a millisecond).
        let mut set: FuturesUnordered<_> = (0..20u32)
            .map(|i| {
                let lock = lock.clone();
                async move {
                    let mut g = lock.lock().await;
                    *g += 1;
                    sleep(ms(1)).await;
                    i
                }
                .boxed_local()
            })
            .collect();
        for _ in 0..10 {
            set.next().await.unwrap();
        }
        drop(set);
        let g = timeout(ms(10), lock.lock()).await.expect("lock lost");
        assert!((10..=11).contains(&*g), "{}", *g);
        drop(g);
        // Notify: one permit for fifty waiters; the first notified is dropped, so it goes
        // to another.
        let notify = std::rc::Rc::new(mirage::sync::Notify::new());
        let mut waiters: Vec<_> = (0..50u32)
            .map(|i| {
                let notify = notify.clone();
                async move {
                    notify.notified().await;
                    i
                }
                .boxed_local()
            })
            .collect();
        // Queued in order 0..50, each with a waker of its own.
        for w in &mut waiters {
            assert!(future::poll_immediate(w).await.is_none());
        }
        notify.notify_one();
        // The oldest waiter was notified; it is dropped unpolled, so the notification
        // passes to the next one.
        drop(waiters.remove(0));
        let rest: FuturesUnordered<_> = waiters.into_iter().collect();
        let (got, rest) = timeout(ms(10), StreamExt::into_future(rest))
            .await
            .expect("notification lost");
        assert_eq!(got, Some(1));
        assert!(
            future::poll_immediate(StreamExt::into_future(rest))
                .await
                .is_none()
        );
    });
}

/// Work handed to a Core through its `Spawner` from futures' `ThreadPool`, the handles
/// joined there with `join_all` and raced with `select` (losers dropped: the Core goes on),
/// and a `Shared` of one handle awaited from two pool tasks.
#[test]
fn spawner_handles_joined_on_a_futures_thread_pool() {
    within_guard(|| {
        let (spawner_tx, spawner_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = cross_thread::oneshot::channel::<()>();
        let core_thread = thread::spawn(move || {
            let mut core = Core::new().unwrap();
            spawner_tx.send(core.spawner()).unwrap();
            core.run(async move {
                stop_rx.await.unwrap();
            });
        });
        let spawner = spawner_rx.recv().unwrap();
        let pool = futures::executor::ThreadPool::builder()
            .pool_size(2)
            .create()
            .unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<u64>();
        for worker in 0..4u64 {
            let spawner = spawner.clone();
            let done_tx = done_tx.clone();
            pool.spawn_ok(async move {
                let mut total = 0;
                for round in 0..50u64 {
                    let handles = (0..8u64).map(|i| {
                        spawner.spawn(move || async move {
                            sleep(ms(i % 3)).await;
                            worker * 1000 + round * 10 + i
                        })
                    });
                    let outs = future::join_all(handles).await;
                    total += outs.into_iter().map(|r| r.unwrap()).sum::<u64>();
                    let slow = spawner.spawn(|| async {
                        sleep(Duration::from_secs(3600)).await;
                        0u64
                    });
                    let fast = spawner.spawn(|| async { 1u64 });
                    match future::select(slow, fast).await {
                        Either::Right((v, slow)) => {
                            total += v.unwrap();
                            slow.abort();
                            assert!(slow.await.unwrap_err().is_cancelled());
                        }
                        Either::Left(_) => panic!("the hour passed"),
                    }
                    let shared = spawner
                        .spawn(move || async move {
                            sleep(ms(1)).await;
                            round
                        })
                        .map(|r| r.unwrap())
                        .shared();
                    let (a, b) = futures::join!(shared.clone(), shared);
                    assert_eq!((a, b), (round, round));
                }
                done_tx.send(total).unwrap();
            });
        }
        let mut grand = 0;
        for _ in 0..4 {
            grand += done_rx.recv().unwrap();
        }
        let expected: u64 = (0..4u64)
            .flat_map(|w| {
                (0..50u64).flat_map(move |r| (0..8u64).map(move |i| w * 1000 + r * 10 + i))
            })
            .sum::<u64>()
            + 4 * 50;
        assert_eq!(grand, expected);
        stop_tx.send(()).unwrap();
        core_thread.join().unwrap();
    });
}
