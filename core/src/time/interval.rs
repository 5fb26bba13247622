//! `Interval`: ticks at a fixed period.

use std::fmt;
use std::future::{Future, poll_fn};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use super::{Instant, Sleep, sleep_until};
use crate::coop;

/// Ticks every `period`, starting now: the first [`tick`](Interval::tick) completes at once.
///
/// Ticks are scheduled from the previous tick's deadline, not from when the task got to run,
/// so they do not drift. A `period` over about 30 years is capped there, as in
/// [`sleep`](super::sleep()).
///
/// # Panics
///
/// If `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{interval, Instant};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let start = Instant::now();
///     let mut ticks = interval(Duration::from_millis(10));
///     for _ in 0..100 {
///         ticks.tick().await;
///     }
///     assert_eq!(start.elapsed(), Duration::from_millis(990));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{interval_at, Instant};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let start = Instant::now() + Duration::from_secs(1);
///     let mut ticks = interval_at(start, Duration::from_secs(1));
///     assert_eq!(ticks.tick().await, start);
///     assert_eq!(ticks.tick().await, start + Duration::from_secs(1));
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        period > Duration::ZERO,
        "mirage::time::interval: the period must be greater than zero"
    );
    Interval {
        sleep: sleep_until(start),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does when a tick completes late, because the task did not poll
/// it in time.
///
/// A tick counts as late when it completes more than 5 ms after its deadline (tokio's
/// allowance), or more than one period after it if the period is shorter than 5 ms (then
/// the next tick was missed outright; tokio would still count such a tick as on time). A
/// tick that is not late keeps the schedule, whatever the behaviour.
///
/// Example: period 10 ms, ticks due at 0, 10, 20, 30 ms...; the task is stalled from 5 ms to
/// 35 ms, so the tick due at 10 ms completes at 35 ms.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{interval, sleep, Instant, MissedTickBehavior};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let start = Instant::now();
///     let mut ticks = interval(Duration::from_millis(10));
///     ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
///     ticks.tick().await;
///     sleep(Duration::from_millis(35)).await; // the task stalls
///     assert_eq!(ticks.tick().await - start, Duration::from_millis(10)); // late
///     assert_eq!(ticks.tick().await - start, Duration::from_millis(45)); // 35 + 10
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks (20 and 30 ms) complete at once, then 40, 50 ms...
    #[default]
    Burst,
    /// Start over from now: the next ticks are at 45, 55 ms... (`period` after the late tick).
    Delay,
    /// Skip the missed ticks, stay on the original grid: the next tick is at 40 ms.
    Skip,
}

/// How late a tick may complete and still count as on time, at most (see
/// [`MissedTickBehavior`]).
const LATE_ALLOWANCE: Duration = Duration::from_millis(5);

impl MissedTickBehavior {
    /// The deadline after a tick that was due at `due` and completed at `now`. Never
    /// overflows: a deadline beyond what `Instant` holds is capped far in the future.
    fn next(self, due: Instant, now: Instant, period: Duration) -> Instant {
        let on_schedule = due.far_future_saturating(period);
        let late = now.saturating_duration_since(due);
        if late <= period.min(LATE_ALLOWANCE) {
            return on_schedule;
        }
        match self {
            MissedTickBehavior::Burst => on_schedule,
            MissedTickBehavior::Delay => now.far_future_saturating(period),
            MissedTickBehavior::Skip => {
                // The first grid point after `now`. `late` is below `u64::MAX` nanoseconds
                // (584 years), so the remainder fits.
                let behind = late.as_nanos() % period.as_nanos();
                let behind = Duration::from_nanos(u64::try_from(behind).unwrap_or(u64::MAX));
                now.far_future_saturating(period.saturating_sub(behind))
            }
        }
    }
}

/// A stream of evenly spaced ticks; see [`interval`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{interval, Instant, Interval};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let start = Instant::now();
///     let mut ticks: Interval = interval(Duration::from_millis(10));
///     let dues = [ticks.tick().await, ticks.tick().await, ticks.tick().await];
///     assert_eq!(dues.map(|due| (due - start).as_millis()), [0, 10, 20]);
/// });
/// ```
pub struct Interval {
    sleep: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was due at.
    ///
    /// Cancel-safe: if the future is dropped before it completes, no tick is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{interval, Instant};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     mirage::time::pause();
    ///     let start = Instant::now();
    ///     let mut ticks = interval(Duration::from_secs(1));
    ///     assert_eq!(ticks.tick().await, start); // the first tick is immediate
    ///     assert_eq!(ticks.tick().await, start + Duration::from_secs(1));
    /// });
    /// ```
    pub fn tick(&mut self) -> impl Future<Output = Instant> + '_ {
        poll_fn(|cx| self.poll_tick(cx))
    }

    /// Polls for the next tick; see [`tick`](Interval::tick).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::time::Duration;
    /// use mirage::time::interval;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut ticks = interval(Duration::from_secs(60));
    ///     poll_fn(|cx| {
    ///         assert!(ticks.poll_tick(cx).is_ready()); // the first tick is immediate
    ///         assert!(ticks.poll_tick(cx).is_pending());
    ///         std::task::Poll::Ready(())
    ///     })
    ///     .await;
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let due = self.sleep.deadline();
        // A tick already due needs no trip through the wheel: this makes the first tick
        // immediate and a burst of missed ticks take no extra turns.
        if !self.sleep.is_elapsed() && self.sleep.poll_deadline(cx).is_pending() {
            return Poll::Pending;
        }
        // A burst of missed ticks yields like any loop over ready operations; the tick
        // stays due for the task's next turn.
        ready!(coop::poll_proceed(cx));
        let now = Instant::now();
        let next = self.missed_tick_behavior.next(due, now, self.period);
        self.sleep.reset(next);
        Poll::Ready(due)
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{interval, Instant};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     mirage::time::pause();
    ///     let mut ticks = interval(Duration::from_secs(1));
    ///     ticks.tick().await;
    ///     mirage::time::advance(Duration::from_millis(500)).await;
    ///     ticks.reset();
    ///     let start = Instant::now();
    ///     ticks.tick().await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn reset(&mut self) {
        self.sleep
            .reset(Instant::now().far_future_saturating(self.period));
    }

    /// Makes the next tick due at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{interval, Instant};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     mirage::time::pause();
    ///     let mut ticks = interval(Duration::from_secs(1));
    ///     ticks.tick().await;
    ///     ticks.reset_immediately();
    ///     let before = Instant::now();
    ///     ticks.tick().await;
    ///     assert_eq!(Instant::now(), before); // no wait
    /// });
    /// ```
    pub fn reset_immediately(&mut self) {
        self.sleep.reset(Instant::now());
    }

    /// Makes the next tick due `after` from now, the schedule continuing from there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{interval, Instant};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     mirage::time::pause();
    ///     let start = Instant::now();
    ///     let mut ticks = interval(Duration::from_secs(1));
    ///     ticks.tick().await;
    ///     ticks.reset_after(Duration::from_millis(200));
    ///     assert_eq!(ticks.tick().await - start, Duration::from_millis(200));
    ///     assert_eq!(ticks.tick().await - start, Duration::from_millis(1200));
    /// });
    /// ```
    pub fn reset_after(&mut self, after: Duration) {
        self.sleep
            .reset(Instant::now().far_future_saturating(after));
    }

    /// Makes the next tick due at `deadline`, the schedule continuing from there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{interval, Instant};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     mirage::time::pause();
    ///     let start = Instant::now();
    ///     let mut ticks = interval(Duration::from_secs(1));
    ///     ticks.reset_at(start + Duration::from_millis(300));
    ///     assert_eq!(ticks.tick().await - start, Duration::from_millis(300));
    ///     assert_eq!(ticks.tick().await - start, Duration::from_millis(1300));
    /// });
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) {
        self.sleep.reset(deadline);
    }

    /// The period between ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ticks = mirage::time::interval(Duration::from_millis(250));
    /// assert_eq!(ticks.period(), Duration::from_millis(250));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens when ticks are missed; [`Burst`](MissedTickBehavior::Burst) unless set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::MissedTickBehavior;
    ///
    /// let ticks = mirage::time::interval(Duration::from_secs(1));
    /// assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what happens when ticks are missed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{interval, MissedTickBehavior};
    ///
    /// let mut ticks = interval(Duration::from_secs(1));
    /// ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    /// assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("next", &self.sleep.deadline())
            .field("period", &self.period)
            .field("missed_tick_behavior", &self.missed_tick_behavior)
            .finish()
    }
}
