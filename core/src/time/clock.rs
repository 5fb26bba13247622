//! A Core's clock: real time, or virtual time while paused.
//!
//! Virtual time is real time shifted: `now = virtual_base + (real_now - real_base)`, so it
//! never goes backwards across `pause` and `resume`. While paused it stands still at
//! `frozen`, moving only by `advance` or by the Core jumping to the next timer deadline.
//!
//! Timer deadlines are kept in the wheel as ticks: whole microseconds since the Core's
//! creation (`origin`). A deadline is converted by rounding *up*, so a timer never fires
//! before its deadline; a paused clock is kept on the microsecond grid, so in virtual time
//! a whole-microsecond sleep fires exactly at its deadline.
//!
//! `sleep` on a Core in system time reads `CLOCK_MONOTONIC` directly, as nanoseconds
//! ([`monotonic_nanos`]): the clock `std::time::Instant` reads on Linux, without the
//! `Instant` arithmetic, which costs more than the read itself. Such a reading is placed on
//! the `Instant` axis through a reference pair read once per thread ([`instant_of_monotonic`]),
//! never earlier than the moment it was read.

use std::cell::Cell;
use std::time::{Duration, Instant as StdInstant};

/// Nanoseconds per wheel tick.
const TICK_NANOS: u32 = 1_000;
/// Ticks per second.
const TICKS_PER_SEC: u64 = 1_000_000;
/// The longest sleep: far-future durations are capped at about 30 years, as a deadline that
/// far out never fires in practice.
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `CLOCK_MONOTONIC` now, in nanoseconds.
#[inline]
pub(crate) fn monotonic_nanos() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec`, and `CLOCK_MONOTONIC` exists on every
    // Linux, so the call only writes `now` (std's `Instant::now` makes the same call). It is
    // here because std's `Instant` arithmetic around it cost about as much again as the read
    // (measured: ~40 ns for `Instant::now` + `duration_since` against ~22 ns for this).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    (now.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(now.tv_nsec as u64)
}

/// A reading of [`monotonic_nanos`] and an `Instant` read just after it: the `Instant` is
/// at or after the moment the nanoseconds name, so placing readings by it never moves them
/// earlier.
///
/// One pair per thread (a Core and its sleeps stay on their thread), so there is no state
/// shared between threads; any pair read this way places readings safely.
fn reference() -> (u64, StdInstant) {
    thread_local! {
        static REFERENCE: (u64, StdInstant) = {
            // The `Instant` lies between two readings; taking the first makes every
            // placement late by at most their gap, so keep the tightest of a few tries (a
            // preemption between the reads would otherwise make every timer late by it).
            let mut best = (u64::MAX, 0, StdInstant::now());
            for _ in 0..4 {
                let before = monotonic_nanos();
                let instant = StdInstant::now();
                let gap = monotonic_nanos().saturating_sub(before);
                if gap < best.0 {
                    best = (gap, before, instant);
                }
            }
            (best.1, best.2)
        };
    }
    REFERENCE.with(|reference| *reference)
}

/// The `Instant` of a [`monotonic_nanos`] value: never before the moment it names, and the
/// same `Instant` for the same value.
pub(crate) fn instant_of_monotonic(nanos: u64) -> StdInstant {
    let (base_nanos, base) = reference();
    match nanos.checked_sub(base_nanos) {
        Some(after) => base + Duration::from_nanos(after),
        None => base
            .checked_sub(Duration::from_nanos(base_nanos - nanos))
            .unwrap_or(base),
    }
}

pub(crate) struct Clock {
    /// Tick zero.
    origin: StdInstant,
    /// `origin` in [`monotonic_nanos`], as [`instant_of_monotonic`] places it.
    origin_nanos: u64,
    virtual_base: Cell<StdInstant>,
    real_base: Cell<StdInstant>,
    /// `Some(now)` while paused.
    frozen: Cell<Option<StdInstant>>,
    /// Whether virtual time ever left real time (a `resume` after a `pause`); until then
    /// `now` is the system clock, with no arithmetic.
    shifted: Cell<bool>,
    /// Changes whenever the mapping from ticks to real time changes (`pause`, `resume`), so
    /// a kernel timer armed for a tick under the old mapping is known to be stale.
    epoch: Cell<u64>,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        let (base_nanos, base) = reference();
        let now = StdInstant::now();
        let since_base = u64::try_from(now.duration_since(base).as_nanos()).unwrap_or(u64::MAX);
        Clock {
            origin: now,
            origin_nanos: base_nanos.saturating_add(since_base),
            virtual_base: Cell::new(now),
            real_base: Cell::new(now),
            frozen: Cell::new(None),
            shifted: Cell::new(false),
            epoch: Cell::new(0),
        }
    }

    /// The Core's current time.
    #[inline]
    pub(crate) fn now(&self) -> StdInstant {
        match self.frozen.get() {
            Some(frozen) => frozen,
            None if !self.shifted.get() => StdInstant::now(),
            None => self.virtual_base.get() + (StdInstant::now() - self.real_base.get()),
        }
    }

    /// The deadline `duration` from now in [`monotonic_nanos`], if this clock is the system
    /// clock (never paused); `None` in virtual time.
    #[inline]
    pub(crate) fn monotonic_deadline(&self, duration: Duration) -> Option<u64> {
        if !self.is_system_time() {
            return None;
        }
        let duration = duration.min(FAR_FUTURE);
        let nanos = duration.as_secs() * 1_000_000_000 + u64::from(duration.subsec_nanos());
        Some(monotonic_nanos().saturating_add(nanos))
    }

    /// Whether this clock is the system's: never paused, so never shifted either. Only then
    /// do `CLOCK_MONOTONIC` readings name its instants.
    #[inline]
    pub(crate) fn is_system_time(&self) -> bool {
        self.frozen.get().is_none() && !self.shifted.get()
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.frozen.get().is_some()
    }

    /// Freezes time, moved forward onto the tick grid (by less than a microsecond).
    pub(crate) fn pause(&self) {
        assert!(
            !self.is_paused(),
            "mirage::time::pause called while time is already paused"
        );
        let now = self.now();
        self.frozen
            .set(Some(self.instant_of(self.tick_at_or_after(now))));
        self.epoch.set(self.epoch.get() + 1);
    }

    /// Lets time run again from where virtual time stands.
    pub(crate) fn resume(&self) {
        let frozen = self
            .frozen
            .take()
            .expect("mirage::time::resume called while time is not paused");
        self.virtual_base.set(frozen);
        self.real_base.set(StdInstant::now());
        self.shifted.set(true);
        self.epoch.set(self.epoch.get() + 1);
    }

    /// Which mapping from ticks to real time is in force; see the `epoch` field.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.get()
    }

    /// Moves paused time forward by `by`, rounded up to the tick grid (by less than a
    /// microsecond), so deadlines a whole number of microseconds away fire exactly at them.
    /// Panics if that would reach the clock's last tick.
    pub(crate) fn advance(&self, by: Duration) {
        let frozen = self.frozen.get().expect(
            "mirage::time::advance called while time is not paused; call mirage::time::pause first",
        );
        let target = frozen.checked_add(by).unwrap_or_else(|| {
            panic!("mirage::time::advance({by:?}) would move the clock past the end of time")
        });
        // Deadlines past the clock's range share its last tick and wait there, never due;
        // time must not reach that tick, or a sleep whose deadline it passed would never
        // complete.
        let tick = self.tick_at_or_after(target);
        assert!(
            tick < u64::MAX,
            "mirage::time::advance({by:?}) would move the clock past the last instant the \
             Core's timers can name (about 584,000 years after the Core started)"
        );
        let on_grid = self.instant_of(tick);
        self.frozen.set(Some(on_grid.max(target)));
    }

    /// Moves paused time forward to `tick` (never backwards).
    pub(crate) fn jump_to(&self, tick: u64) {
        if let Some(frozen) = self.frozen.get() {
            self.frozen.set(Some(frozen.max(self.instant_of(tick))));
        }
    }

    /// The first tick at or after `instant`: the tick a deadline fires at.
    pub(crate) fn tick_at_or_after(&self, instant: StdInstant) -> u64 {
        // u64 arithmetic on the parts: a u128 division costs more than the rest of a
        // timer registration.
        let since = instant.saturating_duration_since(self.origin);
        (since.as_secs().saturating_mul(TICKS_PER_SEC))
            .saturating_add(u64::from(since.subsec_nanos().div_ceil(TICK_NANOS)))
    }

    /// [`tick_at_or_after`](Clock::tick_at_or_after) of a [`monotonic_nanos`] value: the
    /// same tick as for its [`instant_of_monotonic`], in u64 arithmetic.
    #[inline]
    pub(crate) fn tick_at_or_after_monotonic(&self, nanos: u64) -> u64 {
        nanos
            .saturating_sub(self.origin_nanos)
            .div_ceil(u64::from(TICK_NANOS))
    }

    /// The last tick at or before `instant`: how far the wheel may advance at that time.
    pub(crate) fn tick_at_or_before(&self, instant: StdInstant) -> u64 {
        let since = instant.saturating_duration_since(self.origin);
        (since.as_secs().saturating_mul(TICKS_PER_SEC))
            .saturating_add(u64::from(since.subsec_nanos() / TICK_NANOS))
    }

    /// The instant of `tick`.
    pub(crate) fn instant_of(&self, tick: u64) -> StdInstant {
        self.origin + Duration::from_micros(tick)
    }

    /// Real time from now until `tick`, for arming the kernel timer.
    pub(crate) fn real_duration_until(&self, tick: u64) -> Duration {
        self.instant_of(tick).saturating_duration_since(self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_round_deadlines_up_and_now_down() {
        let clock = Clock::new();
        let t = clock.origin + Duration::from_nanos(1_500);
        assert_eq!(clock.tick_at_or_after(t), 2);
        assert_eq!(clock.tick_at_or_before(t), 1);
        let exact = clock.origin + Duration::from_micros(7);
        assert_eq!(clock.tick_at_or_after(exact), 7);
        assert_eq!(clock.tick_at_or_before(exact), 7);
        let before_origin = clock.origin.checked_sub(Duration::from_secs(1));
        if let Some(before) = before_origin {
            assert_eq!(clock.tick_at_or_after(before), 0);
        }
    }

    #[test]
    fn monotonic_deadlines_match_their_instants_and_never_come_early() {
        let clock = Clock::new();
        let before = StdInstant::now();
        let nanos = clock
            .monotonic_deadline(Duration::from_micros(1_500))
            .unwrap();
        let instant = instant_of_monotonic(nanos);
        assert!(instant >= before + Duration::from_micros(1_500));
        assert_eq!(instant_of_monotonic(nanos), instant);
        assert_eq!(
            clock.tick_at_or_after_monotonic(nanos),
            clock.tick_at_or_after(instant)
        );
        for offset in [0, 1, 999, 1_000, 1_001, 123_456_789] {
            let n = clock.origin_nanos + offset;
            assert_eq!(
                clock.tick_at_or_after_monotonic(n),
                clock.tick_at_or_after(instant_of_monotonic(n)),
                "{offset}"
            );
        }
        assert_eq!(clock.tick_at_or_after_monotonic(0), 0);
        clock.pause();
        assert_eq!(clock.monotonic_deadline(Duration::from_secs(1)), None);
    }

    #[test]
    fn paused_time_stands_still_on_the_grid_and_moves_only_forward() {
        let clock = Clock::new();
        clock.pause();
        let frozen = clock.now();
        assert_eq!(clock.instant_of(clock.tick_at_or_after(frozen)), frozen);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now(), frozen);
        clock.advance(Duration::from_millis(10));
        assert_eq!(clock.now(), frozen + Duration::from_millis(10));
        clock.jump_to(0);
        assert_eq!(clock.now(), frozen + Duration::from_millis(10));
    }

    #[test]
    fn resume_continues_from_virtual_time_without_going_back() {
        let clock = Clock::new();
        clock.pause();
        clock.advance(Duration::from_secs(3600));
        let virtual_now = clock.now();
        clock.resume();
        let after = clock.now();
        assert!(after >= virtual_now);
        assert!(after - virtual_now < Duration::from_secs(60));
    }

    #[test]
    fn advance_stays_on_the_tick_grid() {
        let clock = Clock::new();
        clock.pause();
        let start = clock.now();
        clock.advance(Duration::from_nanos(1_500));
        assert_eq!(clock.now() - start, Duration::from_micros(2));
        clock.advance(Duration::from_millis(10));
        assert_eq!(clock.now() - start, Duration::from_micros(10_002));
        let tick = clock.tick_at_or_after(clock.now());
        assert_eq!(clock.instant_of(tick), clock.now());
    }

    #[test]
    fn pause_and_resume_change_the_epoch() {
        let clock = Clock::new();
        let first = clock.epoch();
        clock.pause();
        let paused = clock.epoch();
        clock.resume();
        assert!(first != paused && paused != clock.epoch());
    }

    #[test]
    #[should_panic(expected = "past the end of time")]
    fn advance_past_the_end_of_time_panics_clearly() {
        let clock = Clock::new();
        clock.pause();
        clock.advance(Duration::MAX);
    }

    #[test]
    #[should_panic(expected = "not paused")]
    fn advance_without_pause_panics_clearly() {
        Clock::new().advance(Duration::from_secs(1));
    }
}
