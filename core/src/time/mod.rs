//! Time: sleeps, timeouts, intervals, and virtual time for tests.
//!
//! Every Core has a clock and a hierarchical timing wheel (from `mirage-timer`). Timers
//! register on their first poll in O(1), leave the wheel in O(1) when dropped, and never
//! fire before their deadline. The wheel ticks in microseconds.
//!
//! # Clock reads
//!
//! A [`sleep()`] started in a poll of a running Core (a task's, or that of the future given to
//! `run`) counts its duration from the end of that poll: the Core then reads its clock once
//! for every sleep the poll started and still holds, and not at all if they were all
//! dropped within it, as in a loop that races a fresh timeout against a read that is ready.
//! No timer fires before its Core's next turn anyway, so this delays a deadline only by the
//! rest of that poll; [`Sleep::deadline`] fixes it at once. [`sleep_until`] and
//! [`interval()`] take instants, fixed when they are called, and [`Instant::now`] reads the
//! clock at every call.
//!
//! # Precision
//!
//! When a Core has nothing to do until a timer's deadline, it blocks in `epoll_wait` with no
//! timeout and arms a `timerfd` in the same epoll set for the deadline. `epoll_wait`'s own
//! timeout would be rounded up to a whole millisecond (as tokio's timers are) and the kernel
//! adds 50 µs of timer slack on top; a timerfd has nanosecond resolution and no slack, so a
//! timer wakes the Core microseconds after its deadline. The timerfd is re-armed only when
//! the earliest deadline moves earlier, and not at all while tasks are ready (the Core then
//! polls without blocking), so a busy Core makes no extra system calls for its timers.
//!
//! What remains is the time the kernel takes to wake the sleeping thread, which on a
//! virtual machine is typically 60 to 90 µs (on the machine of `BENCHMARKS.md`), and now and
//! then hundreds, while the host gets round to the idle virtual CPU. No kernel timer avoids
//! that; waking early does. So by default ([`TimerSpin::Adaptive`]) a Core learns how late
//! the kernel wakes it, sleeps until that long before each deadline (at most 250 µs, and
//! at most a quarter of the wait), and stays awake for the rest, still serving sockets and
//! other threads. On the 2-core virtual
//! machine of `BENCHMARKS.md` this takes a 1 ms sleep's lateness from about 65 µs (p50) and
//! 120 to 160 µs (p99) to about 1 µs and 40 to 80 µs, for 15 to 25 µs of CPU per timer
//! wake-up. While the host keeps the virtual CPU from running for longer stretches, the p99
//! follows those (300 µs and more, as for a fixed window). Where threads wake at once, it
//! learns a lead of next to nothing and costs nothing.
//! [`Core::set_timer_spin`](crate::Core::set_timer_spin) (or `runtime::Builder::timer_spin`)
//! chooses otherwise: [`TimerSpin::Off`] never spins, and [`TimerSpin::Window`] spins for a
//! fixed stretch before every deadline (200 µs takes even the p99 to a few µs, for a busy
//! CPU during those 200 µs).
//!
//! # Virtual time
//!
//! [`pause`] freezes the clock; [`advance`] moves it by hand; and while paused, a Core with
//! nothing else to do (no task ready, no I/O event, no [`spawn_blocking`](crate::spawn_blocking)
//! work running) jumps straight to the next deadline. Timers then fire exactly at their
//! deadlines, with no rounding drift.
//!
//! # Fairness
//!
//! A sleep that finds its deadline passed, and each interval tick, spend one unit of the
//! task's [`coop`](crate::coop) budget, so a loop over timers already due (a burst of
//! missed ticks) gives the other tasks a turn. A [`Timeout`] checks its deadline without
//! spending, so it fires even around a future that spends the whole budget.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use mirage::time::{interval, timeout, Instant};
//!
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     mirage::time::pause();
//!     let start = Instant::now();
//!     let mut heartbeat = interval(Duration::from_secs(1));
//!     for _ in 0..3 {
//!         heartbeat.tick().await; // at 0 s, 1 s, 2 s
//!     }
//!     let slow = mirage::time::sleep(Duration::from_secs(60));
//!     assert!(timeout(Duration::from_secs(5), slow).await.is_err());
//!     assert_eq!(start.elapsed(), Duration::from_secs(7));
//! });
//! ```

mod clock;
pub(crate) mod driver;
mod instant;
mod interval;
mod sleep;
mod timeout;
mod timer_spin;
pub(crate) mod unsettled;
mod virtual_time;
pub(crate) mod wake_latency;

pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
pub use timer_spin::TimerSpin;
pub use virtual_time::{advance, pause, resume};

pub(crate) use clock::monotonic_nanos;

/// `std::time::Duration`, under tokio's path (`tokio::time::Duration`), so that code written
/// for tokio ports by changing the crate name.
///
/// # Examples
///
/// ```
/// use mirage::time::Duration;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let start = mirage::time::Instant::now();
///     mirage::time::sleep(Duration::from_secs(2)).await;
///     assert_eq!(start.elapsed(), std::time::Duration::from_secs(2));
/// });
/// ```
#[doc(no_inline)]
pub use std::time::Duration;

/// The time errors under tokio's path, `tokio::time::error`, so that code written for tokio
/// ports by changing the crate name.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::error::Elapsed;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let late = mirage::time::timeout(Duration::from_secs(1), std::future::pending::<()>());
///     let _: Elapsed = late.await.unwrap_err();
/// });
/// ```
pub mod error {
    #[doc(no_inline)]
    pub use super::Elapsed;
}
