//! `Sleep`: a future that completes at a deadline.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use mirage_timer::wheel::TimerKey;

use super::Instant;
use super::clock::{FAR_FUTURE, instant_of_monotonic};
use super::driver::Timers;
use crate::{context, coop};

/// Waits until `duration` has elapsed on the running Core's clock.
///
/// The deadline is `duration` after the poll that calls `sleep` ends, when the task (or the
/// future given to `run`) yields back to the Core: it then costs one clock read shared by
/// every sleep that poll started, and none at all if they were dropped within it (as when a
/// fresh timeout races a read that is ready). No timer can fire before that point anyway, so
/// this is later than counting from the call only by the rest of that poll: code that calls
/// `sleep`, computes at length without an `.await`, then awaits the sleep waits the whole
/// `duration` after the computation. [`Sleep::deadline`] fixes the deadline at once, and
/// outside a running Core, or in virtual time, `sleep` fixes it when called.
///
/// A sleep never completes before its deadline; on an idle Core it completes within
/// microseconds after it. A `duration` over about 30 years (e.g. `Duration::MAX`, for
/// "never") is capped there, which no real program waits out; under virtual time the cap is
/// visible.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let start = mirage::time::Instant::now();
///     mirage::time::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[inline]
pub fn sleep(duration: Duration) -> Sleep {
    let start = context::with_current(|local| {
        let timers = &local.timers;
        match timers.start_unsettled() {
            Some(record) => Start::Unsettled(record, Rc::clone(timers)),
            None => match timers.clock.monotonic_deadline(duration) {
                Some(nanos) => Start::Monotonic(nanos),
                None => Start::Virtual,
            },
        }
    });
    match start {
        Some(Start::Unsettled(record, timers)) => Sleep {
            deadline: Cell::new(Deadline::Unsettled {
                delay: nanos_of(duration.min(FAR_FUTURE)),
                record,
            }),
            tick: Cell::new(0),
            timers: Some(timers),
            key: None,
        },
        Some(Start::Monotonic(nanos)) => Sleep {
            deadline: Cell::new(Deadline::Monotonic(nanos)),
            tick: Cell::new(0),
            timers: None,
            key: None,
        },
        Some(Start::Virtual) | None => sleep_until(Instant::now().far_future_saturating(duration)),
    }
}

/// How [`sleep`] fixes its deadline.
enum Start {
    /// When the poll under way ends (the record of that poll, and the Core's timers).
    Unsettled(u32, Rc<Timers>),
    /// Now: `CLOCK_MONOTONIC` nanoseconds.
    Monotonic(u64),
    /// Now, on a clock that is not the system's.
    Virtual,
}

fn nanos_of(duration: Duration) -> u64 {
    duration.as_secs() * 1_000_000_000 + u64::from(duration.subsec_nanos())
}

/// Waits until `deadline` on the running Core's clock. A deadline in the past completes at
/// the first poll (unless the task's [budget](crate::task::coop) is spent: then at its next
/// turn), but for one that passed only since the Core last read its clock (at its last
/// turn, or when a timer registered while no other was pending): that one completes at the
/// Core's next turn. As in tokio, a timer is compared with the time the Core last read, so
/// that registering one next to others costs no clock read.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{sleep_until, Instant};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let deadline = Instant::now() + Duration::from_millis(2);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline: Cell::new(Deadline::At(deadline)),
        tick: Cell::new(0),
        timers: None,
        key: None,
    }
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// It registers with the Core's timing wheel on its first pending poll and leaves the wheel
/// as soon as it is dropped. One that outlives its Core moves to the Core that polls it
/// next. `Sleep` is `Unpin`: it can be polled through `&mut` and kept
/// across loop iterations without pinning.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{sleep, Instant, Sleep};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let start = Instant::now();
///     let mut nap: Sleep = sleep(Duration::from_secs(1));
///     (&mut nap).await; // Unpin: awaited through `&mut`, then still inspectable
///     assert!(nap.is_elapsed());
///     assert_eq!(nap.deadline() - start, Duration::from_secs(1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    /// In a `Cell`, so that [`deadline`](Sleep::deadline) can settle it.
    deadline: Cell<Deadline>,
    /// `deadline` as a wheel tick of `timers`' clock; valid while `timers` is set and the
    /// deadline is settled (in a `Cell`, as settling sets both).
    tick: Cell<u64>,
    /// The Core this sleep registered with (or, unsettled, was started on).
    timers: Option<Rc<Timers>>,
    /// Its wheel entry, while registered and not yet fired.
    key: Option<TimerKey>,
}

/// A [`Sleep`]'s deadline.
#[derive(Clone, Copy)]
enum Deadline {
    /// On the Core's clock.
    At(Instant),
    /// From [`sleep`] on a Core in system time: `CLOCK_MONOTONIC` nanoseconds, which convert
    /// to a wheel tick without `Instant` arithmetic.
    Monotonic(u64),
    /// From [`sleep`] during a running Core's poll: `delay` nanoseconds after the moment
    /// that poll's `record` is settled at (see `unsettled.rs`).
    Unsettled { delay: u64, record: u32 },
}

impl Deadline {
    /// A settled deadline as an instant.
    fn instant(self) -> Instant {
        match self {
            Deadline::At(instant) => instant,
            Deadline::Monotonic(nanos) => Instant::from_std(instant_of_monotonic(nanos)),
            Deadline::Unsettled { .. } => unreachable!("an unsettled deadline has no instant"),
        }
    }

    /// The wheel tick of `timers`' clock a settled deadline fires at (the tick `settle`
    /// gives an unsettled entry, for a deadline that was one).
    #[inline]
    fn tick(self, timers: &Timers) -> u64 {
        match self {
            Deadline::At(instant) => timers.clock.tick_at_or_after(instant.into_std()),
            Deadline::Monotonic(nanos) => timers.clock.tick_at_or_after_monotonic(nanos),
            Deadline::Unsettled { .. } => unreachable!("an unsettled deadline has no tick"),
        }
    }
}

impl Sleep {
    /// The instant at which this sleep completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{sleep_until, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(sleep_until(deadline).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.settled().instant()
    }

    /// The deadline, settled: an unsettled one learns the moment its poll was settled at
    /// (settling it now if that poll is still under way) and keeps the result, with its tick.
    fn settled(&self) -> Deadline {
        let deadline = self.deadline.get();
        let Deadline::Unsettled { delay, record } = deadline else {
            return deadline;
        };
        let timers = self
            .timers
            .as_ref()
            .expect("an unsettled sleep keeps the timers it started on");
        let settled = Deadline::Monotonic(timers.learn(record).saturating_add(delay));
        self.deadline.set(settled);
        self.tick.set(settled.tick(timers));
        settled
    }

    /// Whether the deadline has been reached on the running Core's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let sleep = mirage::time::sleep(Duration::from_secs(60));
    /// assert!(!sleep.is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.deadline() <= Instant::now()
    }

    /// Moves the deadline, earlier or later, even after the sleep completed; the task
    /// waiting on it is woken at the new deadline. O(1).
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
    ///     let mut nap = sleep(Duration::from_secs(10));
    ///     nap.reset(start + Duration::from_secs(1));
    ///     (&mut nap).await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        if let Deadline::Unsettled { record, .. } = self.deadline.replace(Deadline::At(deadline))
            && let Some(timers) = &self.timers
        {
            timers.forget(record);
        }
        if let Some(timers) = &self.timers {
            self.tick.set(Deadline::At(deadline).tick(timers));
            if let Some(key) = self.key
                && !timers.reschedule(key, self.tick.get())
            {
                self.key = None;
            }
        }
    }
}

impl Sleep {
    /// Polls for the deadline without spending the task's [`coop`] budget: for
    /// [`Timeout`](super::Timeout), which must be able to fire even when the future it
    /// limits spends the whole budget at every poll, and [`Interval`](super::Interval),
    /// which spends once per tick itself.
    pub(crate) fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Deadline::Unsettled { delay, record } = self.deadline.get() {
            let timers = self
                .timers
                .as_ref()
                .expect("an unsettled sleep keeps the timers it started on");
            if timers.is_open(record) {
                // Started during this very poll: the settle that ends it gives the deadline.
                return timers.poll_unsettled(&mut self.key, delay, cx);
            }
            // Settled since: its wheel entry (if any) waits at the tick this works out.
            self.settled();
        }
        // Not in a wheel (never registered, or fired): it takes the wheel of the Core polling
        // it, whichever Core it was started on or learned its deadline from, as that one may
        // stand idle. Registered with a Core that is gone: nothing would ever fire it there.
        if self.key.is_none() || !self.timers.as_ref().is_some_and(|timers| timers.is_live()) {
            self.register_here();
        }
        let timers = self.timers.as_ref().expect("registered just above");
        timers.poll_timer(&mut self.key, self.tick.get(), cx)
    }

    /// Takes the running Core's wheel: when not registered, or when the Core this sleep
    /// registered with is gone. Polled outside any Core, it keeps a live Core it has.
    #[inline]
    fn register_here(&mut self) {
        let Some(timers) = context::with_current(|local| Rc::clone(&local.timers)) else {
            if self.timers.as_ref().is_some_and(|timers| timers.is_live()) {
                return;
            }
            panic!(
                "mirage::time::Sleep polled outside a running or entered Core: timers must be \
                 awaited inside Core::run or Runtime::block_on (or a task spawned there), or \
                 under Runtime::enter"
            );
        };
        if let (Some(old), Some(key)) = (self.timers.take(), self.key.take()) {
            old.remove(key);
        }
        self.tick.set(self.deadline.get().tick(&timers));
        self.timers = Some(timers);
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        ready!(self.get_mut().poll_deadline(cx));
        // A sleep already due spends a unit, so that a loop over due timers yields; when
        // none is left it completes at the task's next turn (its wheel entry is gone
        // already, so that poll finds the deadline passed at once).
        coop::poll_proceed(cx)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(timers) = &self.timers {
            if let Some(key) = self.key {
                timers.remove(key);
            }
            if let Deadline::Unsettled { record, .. } = self.deadline.get() {
                timers.forget(record);
            }
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("registered", &self.key.is_some())
            .finish()
    }
}
