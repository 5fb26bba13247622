//! Virtual time for tests: pause the clock, advance it by hand, or let it jump.

use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

use crate::context;
use crate::yield_now;

/// Runs `f` on the running Core's clock. Its panics, and those of `pause` and `resume`,
/// name the caller's line (`track_caller`; a closure would name this file instead).
#[track_caller]
fn with_clock<R>(what: &str, f: impl FnOnce(&super::clock::Clock) -> R) -> R {
    match context::with_current(|local| f(&local.timers.clock)) {
        Some(result) => result,
        None => {
            panic!(
                "mirage::time::{what} called outside a running or entered Core: call it inside \
                 Core::run or Runtime::block_on, or under Runtime::enter"
            )
        }
    }
}

/// Freezes the running Core's clock.
///
/// While time is paused and the Core has nothing else to do (no task ready, no I/O event),
/// the clock jumps straight to the next timer's deadline, so a test of a 30-second timeout
/// runs in microseconds. Timers fire exactly at their deadlines, in deadline order. As in
/// tokio, the clock does not jump while work given to [`spawn_blocking`](crate::spawn_blocking)
/// on this Core waits or runs, nor while a host-name lookup (`mirage::net::lookup_host`, a
/// `connect` to a name) resolves: the Core waits for it in real time.
///
/// # Panics
///
/// Outside a running or entered Core, or if time is already paused.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{sleep, Instant};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let start = Instant::now();
///     sleep(Duration::from_secs(30)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(30));
/// });
/// ```
#[track_caller]
pub fn pause() {
    let paused = with_clock("pause", |clock| clock.is_paused());
    assert!(
        !paused,
        "mirage::time::pause called while time is already paused"
    );
    // Sleeps waiting for this poll to end count from the system clock: settle them on it.
    context::with_current(|local| local.timers.settle());
    with_clock("pause", |clock| clock.pause());
}

/// Lets the running Core's clock follow real time again, from the virtual time reached.
///
/// # Panics
///
/// Outside a running or entered Core, or if time is not paused.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     mirage::time::resume();
/// });
/// ```
#[track_caller]
pub fn resume() {
    let paused = with_clock("resume", |clock| clock.is_paused());
    assert!(
        paused,
        "mirage::time::resume called while time is not paused"
    );
    with_clock("resume", |clock| clock.resume());
}

/// Moves paused time forward by `duration`, fires the timers that became due, and yields so
/// the tasks they woke (however many), and the future given to `Core::run` if they woke it,
/// run before this one continues.
///
/// Virtual time moves on the timing wheel's whole-microsecond grid: a `duration` with a
/// fraction of a microsecond is rounded up to the next one, so that timers a whole number
/// of microseconds away still fire exactly at their deadlines.
///
/// Polled under [`Runtime::enter`](crate::runtime::Runtime::enter) while the runtime is
/// not running (from another executor's `block_on`, say), it moves the clock and fires the
/// due timers, then yields once, as tokio's does: the tasks they woke run at the runtime's
/// next `block_on`.
///
/// # Panics
///
/// When polled outside a running or entered Core, if time is not paused, or if the clock would move
/// past what `Instant` can represent or past the last instant the Core's timers can name (about
/// 584,000 years after the Core started).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{advance, sleep, Instant};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let sleeper = mirage::spawn(sleep(Duration::from_secs(5)));
///     advance(Duration::from_secs(4)).await;
///     assert!(!sleeper.is_finished());
///     advance(Duration::from_secs(1)).await;
///     assert!(sleeper.is_finished());
/// });
/// ```
pub async fn advance(duration: Duration) {
    let (woken, root_polls, running) = context::with_current(|local| {
        local.timers.clock.advance(duration);
        let mut wakers = Vec::new();
        local.timers.fire_due(&mut wakers);
        let running = context::is_running(std::sync::Arc::as_ptr(&local.shared));
        (wakers, local.root_polls(), running)
    })
    .unwrap_or_else(|| {
        panic!(
            "mirage::time::advance called outside a running or entered Core: call it inside \
             Core::run or Runtime::block_on"
        )
    });
    for waker in woken {
        waker.wake();
    }
    if !running {
        // Entered (`Runtime::enter`) but not running: the woken tasks run at the Core's
        // next run, which nothing here can wait for (a task spawned to wait behind them
        // would never run, and this would hang). Yield once, as tokio's `advance` does.
        yield_now().await;
        return;
    }
    let root_woken = context::with_current(|local| local.shared.is_root_woken()) == Some(true);
    // Wait for a task queued behind the woken ones: once it has run, so have they, however
    // many they are. (A fixed number of yields would not do: the future given to `Core::run`
    // is polled again after every turn of at most 128 tasks.) A last yield lets the tasks
    // they in turn woke at once (e.g. a `JoinHandle` waiter), queued behind it, run too.
    let _ = crate::spawn(async {}).await;
    yield_now().await;
    // The future given to `Core::run` is not in the queue: it is polled between turns. If
    // it was woken, wait for that poll, or a task calling `advance` again would move the
    // clock on before it saw the time it was woken at (tokio polls it first too).
    if root_woken {
        poll_fn(|cx| {
            let polled = context::with_current(|local| local.root_polls() != root_polls);
            if polled != Some(false) {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
    }
}
