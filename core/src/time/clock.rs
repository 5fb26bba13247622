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

use std::cell::Cell;
use std::time::{Duration, Instant as StdInstant};

/// Nanoseconds per wheel tick.
const TICK_NANOS: u32 = 1_000;
/// Ticks per second.
const TICKS_PER_SEC: u64 = 1_000_000;

pub(crate) struct Clock {
    /// Tick zero.
    origin: StdInstant,
    virtual_base: Cell<StdInstant>,
    real_base: Cell<StdInstant>,
    /// `Some(now)` while paused.
    frozen: Cell<Option<StdInstant>>,
    /// Whether virtual time ever left real time (a `resume` after a `pause`); until then
    /// `now` is the system clock, with no arithmetic.
    shifted: Cell<bool>,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        let now = StdInstant::now();
        Clock {
            origin: now,
            virtual_base: Cell::new(now),
            real_base: Cell::new(now),
            frozen: Cell::new(None),
            shifted: Cell::new(false),
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
    }

    /// Moves paused time forward by `by`.
    pub(crate) fn advance(&self, by: Duration) {
        let frozen = self.frozen.get().expect(
            "mirage::time::advance called while time is not paused; call mirage::time::pause first",
        );
        self.frozen.set(Some(frozen + by));
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
    #[should_panic(expected = "not paused")]
    fn advance_without_pause_panics_clearly() {
        Clock::new().advance(Duration::from_secs(1));
    }
}
