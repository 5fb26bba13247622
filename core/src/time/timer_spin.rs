//! How a Core waits for a timer deadline: asleep in the kernel, or awake for the last stretch.

use std::time::Duration;

use super::wake_latency::MAX_LEAD;

/// How a Core with nothing else to do waits for its next timer deadline, set with
/// [`Core::set_timer_spin`](crate::Core::set_timer_spin) or
/// [`runtime::Builder::timer_spin`](crate::runtime::Builder::timer_spin).
///
/// A Core sleeps in the kernel until its next deadline, and waking a sleeping thread takes
/// time: a few microseconds on a bare machine, 60 to 90 µs on a typical virtual machine, now
/// and then hundreds. A timer fires that late. To fire sooner, the Core can wake *before*
/// the deadline and stay awake for the rest: it keeps polling for I/O without blocking, so
/// sockets, wake-ups from other threads and the timer itself are all seen at once, at the
/// price of a busy CPU for that stretch. A spinning Core does not park: a runtime's
/// `on_thread_park` hook does not run for the stretch, and its metrics count it as busy.
/// Timers never fire early in any mode, and virtual time ([`pause`](super::pause)) is
/// unaffected.
///
/// A [`Duration`] converts into a `TimerSpin`: zero is [`Off`](TimerSpin::Off), anything
/// else a [`Window`](TimerSpin::Window).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::{sleep_until, Instant, TimerSpin};
///
/// let mut core = mirage::Core::new()?;
/// assert_eq!(TimerSpin::default(), TimerSpin::Adaptive);
/// core.set_timer_spin(TimerSpin::Off); // never spin: sleep in the kernel until the deadline
/// core.set_timer_spin(Duration::from_micros(200)); // TimerSpin::Window(200 µs)
/// core.run(async {
///     let deadline = Instant::now() + Duration::from_millis(1);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline); // never early; usually within a microsecond
/// });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TimerSpin {
    /// Sleep in the kernel until the deadline: no busy CPU, and timers fire as late as the
    /// kernel takes to wake the thread. For a machine where every spare cycle counts (a
    /// battery, a CPU quota).
    Off,
    /// The default. The Core learns how late the kernel wakes it, as it runs, and sleeps
    /// until that long before each deadline, so about nine wake-ups in ten come before the
    /// deadline and fire it within a microsecond or two. The lead is at most 250 µs, and at
    /// most a quarter of the wait, so timers close together never keep the Core spinning
    /// most of the time (a short wait is then late by the rest of the wake-up). Where waking is
    /// quick this spins for next to nothing; on a virtual machine, 15 to 25 µs of CPU per
    /// timer wake-up (measured on the machine of `BENCHMARKS.md`, where a 1 ms sleep's p99
    /// lateness falls from 120 to 160 µs to 40 to 80 µs). Only a Core that would otherwise
    /// sleep until a timer spins: a busy Core never does, and one woken by I/O long before
    /// its next deadline goes back to sleep.
    #[default]
    Adaptive,
    /// Sleep until this long before each deadline, then stay awake until it: a fixed busy
    /// stretch before every timer wake-up, for latency-critical periodic work (a control
    /// loop, a pacer). 100 to 300 µs covers a typical virtual machine's wake-up.
    Window(Duration),
}

impl TimerSpin {
    /// The bound on the lead [`Adaptive`](TimerSpin::Adaptive) learns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::TimerSpin;
    ///
    /// assert_eq!(TimerSpin::ADAPTIVE_MAX, Duration::from_micros(250));
    /// ```
    pub const ADAPTIVE_MAX: Duration = MAX_LEAD;
}

impl From<Duration> for TimerSpin {
    /// Zero is [`Off`](TimerSpin::Off); anything else a [`Window`](TimerSpin::Window) of that
    /// length.
    fn from(window: Duration) -> TimerSpin {
        if window.is_zero() {
            TimerSpin::Off
        } else {
            TimerSpin::Window(window)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_duration_turns_spinning_off_and_any_other_is_a_window() {
        assert_eq!(TimerSpin::from(Duration::ZERO), TimerSpin::Off);
        assert_eq!(
            TimerSpin::from(Duration::from_micros(1)),
            TimerSpin::Window(Duration::from_micros(1))
        );
    }
}
