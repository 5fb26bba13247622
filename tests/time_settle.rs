//! `sleep(d)` on a running Core counts `d` from the end of the poll that calls it (one clock
//! read for all the sleeps a poll starts): never before the call, never after that poll,
//! and fixed for good once asked for. Real time, with generous bounds.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use mirage::Core;
use mirage::time::{Instant, Sleep, advance, pause, sleep, sleep_until};

/// Polls `nap` once, within the poll under way, and returns what it answered.
async fn poll_once(nap: &mut Sleep) -> Poll<()> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *nap).poll(cx))).await
}

/// Blocks the Core's thread, as a long computation between two `.await`s does.
fn compute_for(duration: Duration) {
    std::thread::sleep(duration);
}

#[test]
fn a_sleep_never_completes_before_its_duration_after_the_call() {
    let mut core = Core::new().unwrap();
    core.run(async {
        for micros in [0u64, 1, 7, 150, 999, 1_000, 2_500, 10_000] {
            let duration = Duration::from_micros(micros);
            let called = std::time::Instant::now();
            sleep(duration).await;
            let elapsed = called.elapsed();
            assert!(elapsed >= duration, "{duration:?} took {elapsed:?}");
            assert!(elapsed < duration + Duration::from_secs(2), "{elapsed:?}");
        }
    });
}

#[test]
fn the_deadline_counts_from_the_end_of_the_poll_that_called_sleep() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let nap = sleep(Duration::from_millis(20));
        compute_for(Duration::from_millis(50));
        let work_done = Instant::now();
        mirage::yield_now().await;
        let deadline = nap.deadline();
        assert!(
            deadline >= work_done + Duration::from_millis(20),
            "the deadline {:?} counts from before the poll ended",
            deadline - work_done
        );
        assert!(deadline < work_done + Duration::from_secs(2));
        nap.await;
        assert!(Instant::now() >= deadline);
    });
}

#[test]
fn a_sleep_first_polled_polls_later_keeps_the_deadline_its_own_poll_gave_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let nap = sleep(Duration::from_millis(40));
        let poll_ends = Instant::now();
        mirage::yield_now().await;
        // The next poll takes long; neither it nor the ones after may push the deadline
        // back (settled at the end of any of them, it would be 250 ms later or more).
        compute_for(Duration::from_millis(250));
        mirage::yield_now().await;
        mirage::yield_now().await;
        let deadline = nap.deadline();
        assert!(deadline >= poll_ends + Duration::from_millis(40));
        assert!(
            deadline < poll_ends + Duration::from_millis(40 + 200),
            "settled {:?} after the poll that started it ended",
            deadline - poll_ends - Duration::from_millis(40)
        );
        // Its deadline passed during the computation: ready at the first poll.
        let mut nap = nap;
        assert!(poll_once(&mut nap).await.is_ready());
    });
}

#[test]
fn asking_for_the_deadline_fixes_it_at_once_and_for_good() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let called = Instant::now();
        let nap = sleep(Duration::from_secs(1));
        let first = nap.deadline();
        let asked = Instant::now();
        assert!(first >= called + Duration::from_secs(1));
        assert!(first <= asked + Duration::from_secs(1));
        compute_for(Duration::from_millis(20));
        mirage::yield_now().await;
        assert_eq!(nap.deadline(), first);
        assert!(!nap.is_elapsed());
    });
}

#[test]
fn a_sleep_registered_in_its_own_poll_fires_after_the_poll_ends() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut nap = sleep(Duration::from_millis(5));
        // Registered while its deadline is still unknown.
        assert!(poll_once(&mut nap).await.is_pending());
        compute_for(Duration::from_millis(30));
        let work_done = Instant::now();
        nap.await;
        assert!(Instant::now() >= work_done + Duration::from_millis(5));
    });
}

#[test]
fn a_sleep_reset_before_its_poll_ends_takes_the_new_deadline() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let start = Instant::now();
        let mut nap = sleep(Duration::from_secs(30));
        poll_fn(|cx| {
            assert!(Pin::new(&mut nap).poll(cx).is_pending());
            nap.reset(start + Duration::from_millis(5));
            Poll::Ready(())
        })
        .await;
        assert_eq!(nap.deadline(), start + Duration::from_millis(5));
        nap.await;
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(5));
        assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    });
}

#[test]
fn a_sleep_returned_out_of_run_counts_from_that_run_not_the_next() {
    let mut core = Core::new().unwrap();
    // Made in the run's own poll and handed out unawaited.
    let nap = core.run(poll_fn(|_| {
        Poll::Ready(sleep(Duration::from_millis(1_000)))
    }));
    let returned = std::time::Instant::now();
    compute_for(Duration::from_millis(1_100));
    core.run(nap);
    let waited = returned.elapsed();
    assert!(waited >= Duration::from_millis(1_100));
    // Counted from the second run, it would end 2.1 s or more after the first.
    assert!(
        waited < Duration::from_millis(1_800),
        "{waited:?}: the deadline counted from the second run"
    );
}

#[test]
fn a_sleep_started_just_before_pause_is_settled_on_the_system_clock() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let called = Instant::now();
        let mut nap = sleep(Duration::from_secs(1));
        pause();
        // The pause settled it on the system clock at that moment: one virtual second on.
        assert!(nap.deadline() >= called + Duration::from_secs(1));
        assert!(nap.deadline() <= Instant::now() + Duration::from_secs(1));
        assert!(poll_once(&mut nap).await.is_pending());
        advance(Duration::from_secs(1)).await;
        assert!(poll_once(&mut nap).await.is_ready());
    });
}

#[test]
fn a_million_sleeps_started_and_dropped_in_one_poll_leave_no_timer() {
    let mut core = Core::new().unwrap();
    core.run(async {
        poll_fn(|cx| {
            for i in 0..1_000_000u64 {
                let mut nap = sleep(Duration::from_micros(i % 5_000));
                assert!(Pin::new(&mut nap).poll(cx).is_pending());
            }
            Poll::Ready(())
        })
        .await;
    });
    let debug = format!("{core:?}");
    assert!(debug.contains("timers: 0"), "{debug}");
}

#[test]
fn a_sleep_started_on_one_core_and_first_awaited_on_another_waits_there() {
    let mut first = Core::new().unwrap();
    let mut second = Core::new().unwrap();
    let nap = first.run(poll_fn(|_| Poll::Ready(sleep(Duration::from_millis(20)))));
    // `first` stays alive but does not run: the sleep must wait on the Core awaiting it.
    let waited = second.run(mirage::time::timeout(Duration::from_secs(5), nap));
    assert!(
        waited.is_ok(),
        "the sleep waited on the Core that was not running"
    );
    drop(first);
}

/// A way to ask a sleep for its deadline, and its name.
type Asker = (&'static str, fn(&mut Sleep));

#[test]
fn a_sleep_asked_for_its_deadline_then_awaited_on_another_core_waits_there() {
    let askers: [Asker; 4] = [
        ("deadline", |nap| assert!(nap.deadline() > Instant::now())),
        ("is_elapsed", |nap| assert!(!nap.is_elapsed())),
        ("Debug", |nap| drop(format!("{nap:?}"))),
        ("deadline, then reset", |nap| {
            let later = nap.deadline() + Duration::from_millis(10);
            nap.reset(later);
        }),
    ];
    for (asked, ask) in askers {
        let mut first = Core::new().unwrap();
        let mut second = Core::new().unwrap();
        let mut nap = first.run(poll_fn(|_| Poll::Ready(sleep(Duration::from_millis(20)))));
        // Asked on the thread while no Core runs: the deadline is learned from `first`'s
        // record, and `first` then stands idle while `second` awaits the sleep.
        ask(&mut nap);
        let waited = second.run(mirage::time::timeout(Duration::from_secs(5), nap));
        assert!(
            waited.is_ok(),
            "after {asked}, the sleep waited on the Core that was not running"
        );
        drop(first);
    }
}

#[test]
fn a_sleep_reset_into_the_past_in_its_registering_poll_is_ready_at_once() {
    let mut core = Core::new().unwrap();
    core.run(async {
        // No timer yet: the wheel has stood still since the Core started.
        compute_for(Duration::from_millis(30));
        let mut nap = sleep(Duration::from_secs(3_600));
        assert!(poll_once(&mut nap).await.is_pending());
        nap.reset(Instant::now() - Duration::from_millis(10));
        assert!(
            poll_once(&mut nap).await.is_ready(),
            "a deadline already past must complete at the first poll after the reset"
        );
    });
}

#[test]
fn a_sleep_polled_again_under_another_waker_in_its_poll_wakes_that_one() {
    let mut core = Core::new().unwrap();
    let woke = core.run(async {
        let mut nap = sleep(Duration::from_millis(5));
        assert!(poll_once(&mut nap).await.is_pending());
        // In the same poll, awaited as a `select!` branch: only that branch's own waker
        // makes the `select!` poll it again, so the timer must now hold that waker.
        mirage::time::timeout(Duration::from_secs(5), async {
            mirage::select! {
                () = &mut nap => {}
            }
        })
        .await
    });
    assert!(
        woke.is_ok(),
        "the sleep woke the waker it was first polled with"
    );
}

thread_local! {
    /// The clones and wake-ups of `waker_that_uses_the_timers_when_cloned`'s wakers.
    static CLONES: Cell<usize> = const { Cell::new(0) };
    static WAKES: Cell<usize> = const { Cell::new(0) };
}

/// A waker whose `clone` asks a new sleep whether it has elapsed, which settles this Core's
/// open poll and so takes its timers (tokio, too, clones a timer's waker outside its driver's
/// lock). Counts its clones and wake-ups.
fn waker_that_uses_the_timers_when_cloned() -> Waker {
    const VTABLE: &RawWakerVTable = &RawWakerVTable::new(clone, wake, wake, noop);
    unsafe fn clone(_: *const ()) -> RawWaker {
        let _ = sleep(Duration::from_secs(1)).is_elapsed();
        CLONES.with(|clones| clones.set(clones.get() + 1));
        RawWaker::new(std::ptr::null(), VTABLE)
    }
    unsafe fn wake(_: *const ()) {
        WAKES.with(|wakes| wakes.set(wakes.get() + 1));
    }
    unsafe fn noop(_: *const ()) {}
    // SAFETY: the vtable's functions ignore the data pointer, so any value keeps the
    // contract.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), VTABLE)) }
}

#[test]
fn a_waker_whose_clone_uses_the_timers_is_cloned_outside_them() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let hook = waker_that_uses_the_timers_when_cloned();
        let poll_with = |nap: &mut Sleep, waker: &Waker| {
            let mut cx = Context::from_waker(waker);
            assert!(Pin::new(nap).poll(&mut cx).is_pending());
        };
        let in_a_moment = || Instant::now() + Duration::from_millis(20);
        // Each way a timer stores a waker: a first registration; a new waker for a timer in
        // the wheel; the sleep registered last in the poll, which waits beside the wheel; and
        // an earlier sleep of the poll, in the wheel waiting for the settle.
        let mut first = sleep_until(in_a_moment());
        poll_with(&mut first, &hook);
        let mut replaced = sleep_until(in_a_moment());
        poll_with(&mut replaced, Waker::noop());
        poll_with(&mut replaced, &hook);
        let mut earlier = sleep(Duration::from_millis(20));
        poll_with(&mut earlier, Waker::noop());
        let mut fresh = sleep(Duration::from_millis(20));
        poll_with(&mut fresh, Waker::noop());
        poll_with(&mut fresh, &hook);
        poll_with(&mut earlier, &hook);
        assert_eq!(
            CLONES.with(Cell::get),
            4,
            "each store cloned the waker once"
        );
        // Later than all four: by the time it fires, they have.
        sleep(Duration::from_millis(200)).await;
        assert_eq!(
            WAKES.with(Cell::get),
            4,
            "each timer woke the waker stored last"
        );
    });
}
