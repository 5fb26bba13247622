//! Sleeps in virtual time: deadlines, order, reset, and dropping timers mid-flight.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use mirage::Core;
use mirage::time::{Instant, Sleep, advance, pause, sleep, sleep_until};

mod panic_site;
use panic_site::panic_location;

/// Polls `nap` once, which registers it with the running Core, and checks it is pending.
async fn register(nap: &mut Sleep) {
    std::future::poll_fn(|cx| {
        assert!(Pin::new(&mut *nap).poll(cx).is_pending());
        Poll::Ready(())
    })
    .await;
}

#[test]
fn a_30_second_sleep_takes_no_real_time_when_paused() {
    let mut core = Core::new().unwrap();
    let real = std::time::Instant::now();
    let elapsed = core.run(async {
        pause();
        let start = Instant::now();
        sleep(Duration::from_secs(30)).await;
        start.elapsed()
    });
    assert_eq!(elapsed, Duration::from_secs(30));
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "{:?}",
        real.elapsed()
    );
}

#[test]
fn hundred_thousand_concurrent_sleeps_wake_in_deadline_order() {
    const N: u64 = 100_000;
    let mut core = Core::new().unwrap();
    let order = Rc::new(RefCell::new(Vec::with_capacity(N as usize)));
    core.run({
        let order = Rc::clone(&order);
        async move {
            pause();
            let start = Instant::now();
            // Deadlines in a scrambled order, some shared, spread over ~2 minutes so they
            // sit on several wheel levels.
            let handles: Vec<_> = (0..N)
                .map(|i| {
                    let micros = (i * 7_919 % N) * 1_231;
                    let deadline = start + Duration::from_micros(micros);
                    let order = Rc::clone(&order);
                    mirage::spawn(async move {
                        sleep_until(deadline).await;
                        assert_eq!(Instant::now(), deadline, "fired exactly at its deadline");
                        order.borrow_mut().push(micros);
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        }
    });
    let order = order.borrow();
    assert_eq!(order.len(), N as usize);
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "woken out of order");
}

#[test]
fn reset_moves_the_deadline_earlier_and_later() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let mut nap = sleep(Duration::from_secs(10));
        nap.reset(start + Duration::from_secs(2));
        (&mut nap).await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));

        // Later, after it completed: it waits again.
        nap.reset(start + Duration::from_secs(5));
        assert!(!nap.is_elapsed());
        (&mut nap).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));

        // Reset while registered and pending, from another task's point of view.
        let (tx, rx) = mirage::sync::oneshot::channel::<()>();
        let sleeper = mirage::spawn(async move {
            let mut nap = sleep(Duration::from_secs(100));
            let mut rx = rx;
            std::future::poll_fn(|cx| {
                let _ = Pin::new(&mut nap).poll(cx);
                Pin::new(&mut rx).poll(cx)
            })
            .await
            .unwrap();
            nap.reset(Instant::now() + Duration::from_secs(1));
            nap.await;
            Instant::now()
        });
        advance(Duration::from_secs(3)).await;
        tx.send(()).unwrap();
        let woke = sleeper.await.unwrap();
        assert_eq!(woke - start, Duration::from_secs(9));
    });
}

#[test]
fn a_deadline_in_the_past_completes_at_once() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        advance(Duration::from_secs(1)).await;
        sleep_until(start).await;
        sleep(Duration::ZERO).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    });
}

/// `sleep_until` promises a past deadline completes at the first poll, which combinators
/// that poll once (`now_or_never`) rely on. A Core with no timer registered does not advance
/// its wheel, which then stands behind the clock: the first timer into it reads the clock.
#[test]
fn a_past_deadline_is_ready_at_the_first_poll_after_the_core_held_no_timers() {
    let mut core = Core::new().unwrap();
    core.run(async {
        // Real time moves on while no timer is registered (`advance` would move the wheel
        // too): the wheel stays where the Core started.
        std::thread::sleep(Duration::from_millis(20));
        let past = Instant::now() - Duration::from_millis(10);
        let mut nap = sleep_until(past);
        std::future::poll_fn(|cx| {
            assert!(
                Pin::new(&mut nap).poll(cx).is_ready(),
                "a deadline 10 ms in the past is ready at the first poll"
            );
            Poll::Ready(())
        })
        .await;
        // The same once a timer has gone into that wheel, in the same turn: the first timer
        // brought the wheel up to the clock, so the next one compares with a fresh time.
        std::thread::sleep(Duration::from_millis(20));
        let mut later = sleep(Duration::from_secs(3600));
        register(&mut later).await;
        let mut nap = sleep_until(Instant::now() - Duration::from_millis(10));
        std::future::poll_fn(|cx| {
            assert!(
                Pin::new(&mut nap).poll(cx).is_ready(),
                "a past deadline after a timer entered the empty wheel is ready at once"
            );
            Poll::Ready(())
        })
        .await;
        drop(later);
        // A later deadline still waits, and fires on time, in virtual time.
        pause();
        let start = Instant::now();
        sleep(Duration::from_millis(3)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(3));
    });
}

/// Polls a sleep once, drops it, then stays pending forever, counting its own polls.
struct PollOnceThenDrop {
    sleep: Option<Sleep>,
    polls: Rc<Cell<u32>>,
}

impl Future for PollOnceThenDrop {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        if let Some(mut sleep) = self.sleep.take() {
            assert!(Pin::new(&mut sleep).poll(cx).is_pending());
        }
        Poll::Pending
    }
}

#[test]
fn dropping_a_registered_sleep_removes_its_timer() {
    let mut core = Core::new().unwrap();
    let polls = Rc::new(Cell::new(0));
    core.run({
        let polls = Rc::clone(&polls);
        async move {
            pause();
            let start = Instant::now();
            let task = mirage::spawn(PollOnceThenDrop {
                sleep: Some(sleep(Duration::from_secs(1))),
                polls,
            });
            sleep(Duration::from_secs(3)).await;
            // Had the entry stayed in the wheel, virtual time would also have stopped at 1 s
            // and woken the task a second time.
            assert_eq!(start.elapsed(), Duration::from_secs(3));
            task.abort();
        }
    });
    assert_eq!(polls.get(), 1, "the dropped sleep's timer woke its task");
}

#[test]
fn aborting_sleeping_tasks_mid_flight_leaves_the_others_on_time() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let handles: Vec<_> = (1..=1000u64)
            .map(|i| {
                mirage::spawn(async move {
                    sleep_until(start + Duration::from_millis(i)).await;
                    Instant::now()
                })
            })
            .collect();
        advance(Duration::from_micros(500)).await;
        for handle in handles.iter().step_by(2) {
            handle.abort();
        }
        for (i, handle) in handles.into_iter().enumerate() {
            let result = handle.await;
            if i % 2 == 0 {
                assert!(result.unwrap_err().is_cancelled());
            } else {
                assert_eq!(result.unwrap() - start, Duration::from_millis(i as u64 + 1));
            }
        }
    });
}

#[test]
fn a_sleep_polled_by_a_new_task_wakes_the_new_one() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let mut nap = sleep(Duration::from_secs(1));
        // Registered by the root future...
        register(&mut nap).await;
        // ...then moved into a task, which must be the one woken.
        let start = Instant::now();
        mirage::spawn(nap).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    });
}

#[test]
#[should_panic(expected = "outside a running or entered Core")]
fn pause_outside_a_core_panics_clearly() {
    pause();
}

#[test]
#[should_panic(expected = "outside a running or entered Core")]
fn a_sleep_polled_outside_a_core_panics_clearly() {
    let mut nap = sleep(Duration::from_secs(1));
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let _ = Pin::new(&mut nap).poll(&mut cx);
}

#[test]
#[should_panic(expected = "not paused")]
fn advance_without_pause_panics_clearly() {
    let mut core = Core::new().unwrap();
    core.run(advance(Duration::from_secs(1)));
}

#[test]
fn a_cancelled_sleep_never_lends_its_waker_to_another_task() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        // Task A registers a sleep and cancels it: the Core keeps A's waker for reuse.
        let a = mirage::spawn(async {
            let mut nap = sleep(Duration::from_secs(1));
            register(&mut nap).await;
        });
        a.await.unwrap();
        // Task B's sleep must wake B.
        let b = mirage::spawn(sleep(Duration::from_secs(2)));
        let woke = mirage::time::timeout(Duration::from_secs(3), b).await;
        assert!(woke.is_ok(), "task B was never woken");
        // The same task reusing its own waker is woken too, over many iterations.
        for _ in 0..1000 {
            let mut nap = sleep(Duration::from_secs(1));
            register(&mut nap).await;
        }
        let start = Instant::now();
        sleep(Duration::from_millis(5)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(5));
    });
}

#[test]
fn advance_from_the_root_runs_every_task_it_woke_before_returning() {
    // More tasks than the Core runs between two polls of the root future (128 a turn).
    const N: usize = 300;
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let handles: Vec<_> = (0..N)
            .map(|_| {
                mirage::spawn(async move {
                    sleep_until(start + Duration::from_millis(1)).await;
                    Instant::now()
                })
            })
            .collect();
        // The Core idles (and jumps) only once every task has registered its sleep.
        sleep(Duration::from_micros(1)).await;
        advance(Duration::from_millis(1)).await;
        let woke = handles.iter().filter(|handle| handle.is_finished()).count();
        assert_eq!(woke, N, "tasks woken by advance still waiting to run");
        // Had some woken tasks not run yet, they would see the clock of this second advance.
        advance(Duration::from_secs(1)).await;
        for handle in handles {
            assert_eq!(handle.await.unwrap() - start, Duration::from_micros(1_001));
        }
    });
}

#[test]
fn advance_from_a_task_lets_the_run_future_it_woke_see_the_time_it_woke_at() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let driver = mirage::spawn(async {
            // Lets the run future register its sleep first.
            mirage::yield_now().await;
            advance(Duration::from_secs(1)).await;
            advance(Duration::from_secs(1)).await;
        });
        sleep(Duration::from_secs(1)).await;
        // Had the first `advance` returned before this future ran, the second would have
        // moved the clock on first (tokio polls it first too).
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        driver.await.unwrap();
    });
}

#[test]
fn a_sleep_that_outlives_its_core_waits_on_the_core_that_polls_it_next() {
    let mut first = Core::new().unwrap();
    let mut nap = sleep(Duration::from_millis(5));
    first.run(register(&mut nap));
    drop(first);
    // Registered with a wheel nobody drives any more: without moving to the new Core it
    // would never fire, and the generous guard would report a hang.
    let mut second = Core::new().unwrap();
    let fired = second.run(async {
        mirage::time::timeout(Duration::from_secs(30), &mut nap)
            .await
            .is_ok()
    });
    assert!(fired, "the sleep never fired on the second Core");
    assert!(nap.is_elapsed());
}

#[test]
fn a_sleep_awaited_on_another_core_moves_there_when_its_own_core_drops() {
    let mut first = Core::new().unwrap();
    let mut second = Core::new().unwrap();
    let mut nap = sleep(Duration::from_millis(5));
    first.run(register(&mut nap));
    // A task of the second Core waits on it while it is still in the first Core's wheel.
    let waiter = second.spawn(nap);
    second.run(mirage::yield_now());
    assert!(!waiter.is_finished());
    // Dropping the first Core must wake that task, or nothing ever polls the sleep again.
    drop(first);
    let fired = second.run(async {
        mirage::time::timeout(Duration::from_secs(30), waiter)
            .await
            .is_ok()
    });
    assert!(fired, "the sleep never fired after its Core was dropped");
}

thread_local! {
    /// The sleeps the waker of `a_waker_may_drop_other_sleeps_when_the_wheel_wakes_it` drops.
    static HELD: RefCell<Vec<Sleep>> = const { RefCell::new(Vec::new()) };
}

/// A waker that, when woken, drops every sleep in `HELD`: registered timers leave the wheel
/// from inside a wake-up the wheel delivers.
struct DropsTheSleeps;

impl std::task::Wake for DropsTheSleeps {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        drop(HELD.with(|held| held.take()));
    }
}

#[test]
fn a_waker_may_drop_other_sleeps_when_the_wheel_wakes_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let waker = std::task::Waker::from(std::sync::Arc::new(DropsTheSleeps));
        for _ in 0..100 {
            let mut nap = sleep(Duration::from_millis(10));
            let mut cx = Context::from_waker(&waker);
            assert!(Pin::new(&mut nap).poll(&mut cx).is_pending());
            HELD.with(|held| held.borrow_mut().push(nap));
        }
        // Fired by the Core jumping to the deadline, then by `advance`.
        sleep(Duration::from_millis(11)).await;
        assert!(HELD.with(|held| held.borrow().is_empty()));
        for _ in 0..100 {
            let mut nap = sleep(Duration::from_millis(10));
            let mut cx = Context::from_waker(&waker);
            assert!(Pin::new(&mut nap).poll(&mut cx).is_pending());
            HELD.with(|held| held.borrow_mut().push(nap));
        }
        advance(Duration::from_millis(11)).await;
        assert!(HELD.with(|held| held.borrow().is_empty()));
    });
}

#[test]
fn pause_and_resume_misuse_panics_at_the_caller_s_line() {
    // Called from closures written here: passed as they are, the functions would be
    // called, and located, in the standard library's `FnOnce::call_once`.
    assert_eq!(panic_location(|| pause()), file!());
    assert_eq!(panic_location(|| mirage::time::resume()), file!());
    let twice = || {
        Core::new().unwrap().run(async {
            pause();
            pause();
        })
    };
    assert_eq!(panic_location(twice), file!());
    let unpaused = || Core::new().unwrap().run(async { mirage::time::resume() });
    assert_eq!(panic_location(unpaused), file!());
}

#[test]
fn a_deadline_past_the_clocks_range_never_fires_early() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        // About 1.1 million years: past the 2^64 µs (about 584,000 years) the Core's clock
        // can name, where every later deadline would share the last tick.
        let deadline = Instant::now() + Duration::from_secs(1 << 45);
        let sleeper = mirage::spawn(sleep_until(deadline));
        let mut moved = sleep(Duration::from_secs(1));
        (&mut moved).await;
        moved.reset(deadline);
        // 580,000 years on: just short of that last tick (the clock goes no further; see
        // below), still before the deadline.
        advance(Duration::from_secs(580_000 * 365 * 86_400)).await;
        assert!(Instant::now() < deadline);
        assert!(!sleeper.is_finished(), "fired before its deadline");
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(Pin::new(&mut moved).poll(&mut cx).is_pending());
    });
}

#[test]
fn a_sleep_past_the_clocks_range_reset_from_elsewhere_wakes_its_task() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        // Past the last tick the clock can name (see above): such a sleep stays out of the
        // wheel, but the task waiting on it must still be woken at a deadline moved earlier.
        let nap = Rc::new(RefCell::new(sleep_until(
            start + Duration::from_secs(1 << 45),
        )));
        let waiting = Rc::clone(&nap);
        let sleeper = mirage::spawn(std::future::poll_fn(move |cx| {
            Pin::new(&mut *waiting.borrow_mut()).poll(cx)
        }));
        mirage::task::yield_now().await;
        nap.borrow_mut().reset(start + Duration::from_secs(1));
        let woke = mirage::time::timeout(Duration::from_secs(10), sleeper).await;
        assert!(woke.is_ok(), "the reset sleep never woke its task");
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    });
}

#[test]
#[should_panic(expected = "past the last instant the Core's timers can name")]
fn advancing_past_the_clocks_range_panics_instead_of_stranding_sleeps() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        // A deadline past the clock's range waits at its last tick. Were the clock moved
        // past both that tick and the deadline, the sleep would be due but never complete.
        let deadline = Instant::now() + Duration::from_secs(1 << 45);
        let sleeper = mirage::spawn(sleep_until(deadline));
        mirage::task::yield_now().await;
        advance(Duration::from_secs(1 << 46)).await;
        assert!(Instant::now() > deadline);
        mirage::task::yield_now().await;
        assert!(
            sleeper.is_finished(),
            "the sleep is due but never completes"
        );
    });
}
