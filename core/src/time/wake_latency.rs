//! How late the kernel wakes a Core blocked until its timerfd expires, learned as the Core
//! runs, for [`TimerSpin::Adaptive`](super::TimerSpin::Adaptive).
//!
//! The estimate follows the 90th percentile of the wake-ups it sees, with no memory of
//! them: each wake-up later than the estimate raises it by a step, each one earlier lowers
//! it by a ninth of a step, so it settles where nine in ten wake-ups come earlier. Starting
//! at zero, it costs nothing on a machine that wakes threads at once, and on a virtual
//! machine (60 to 90 µs) it settles within about fifty timer wake-ups.
//!
//! Three bounds keep it from spinning a CPU for nothing. The estimate never exceeds
//! [`MAX_LEAD`]. The lead it gives is at most a quarter of the wait. And a wake-up later
//! than [`MAX_LEAD`] is ignored: it is the host running something else on the virtual CPU,
//! which no lead within the bound would have covered, and counting it would drive the
//! estimate to the bound and make every other wake-up spin for most of it.

use std::time::Duration;

/// The most the Core learns to wake before a deadline, and the latest wake-up it learns from.
pub(crate) const MAX_LEAD: Duration = Duration::from_micros(250);

/// How far one wake-up later than the estimate raises it.
const STEP_UP: Duration = Duration::from_micros(2);

/// How far one wake-up at or before the estimate lowers it: a ninth of [`STEP_UP`], which
/// balances at the 90th percentile (nine steps down for each step up).
const STEP_DOWN: Duration = Duration::from_nanos(STEP_UP.as_nanos() as u64 / 9);

/// An estimate of the 90th percentile of the kernel's timer wake-up latency.
#[derive(Debug, Default)]
pub(crate) struct WakeLatency {
    estimate: Duration,
}

impl WakeLatency {
    /// Learns from one wake-up that came `late` after the timerfd expired.
    pub(crate) fn record(&mut self, late: Duration) {
        if late > MAX_LEAD {
            return;
        }
        self.estimate = if late > self.estimate {
            (self.estimate + STEP_UP).min(MAX_LEAD)
        } else {
            self.estimate.saturating_sub(STEP_DOWN)
        };
    }

    /// How long before a deadline `until` away to wake: the estimate, but at most a quarter
    /// of the wait, so that timers close together (a busy server's timeouts) never keep the
    /// Core spinning most of the time.
    pub(crate) fn lead(&self, until: Duration) -> Duration {
        self.estimate.min(until / 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wake-ups of 1 to 100 µs, each value as often as the others, in a scrambled order:
    /// the 90th percentile is 90 µs.
    fn uniform_latencies(count: usize) -> impl Iterator<Item = Duration> {
        (0..count).map(|i| Duration::from_micros(1 + (i as u64 * 37) % 100))
    }

    #[test]
    fn settles_near_the_90th_percentile() {
        let mut latency = WakeLatency::default();
        for late in uniform_latencies(20_000) {
            latency.record(late);
        }
        let lead = latency.lead(Duration::MAX);
        assert!(
            (Duration::from_micros(84)..=Duration::from_micros(96)).contains(&lead),
            "lead {lead:?}"
        );
    }

    #[test]
    fn starts_at_zero_and_stays_there_on_a_machine_that_wakes_at_once() {
        let mut latency = WakeLatency::default();
        assert_eq!(latency.lead(Duration::MAX), Duration::ZERO);
        for _ in 0..1_000 {
            latency.record(Duration::ZERO);
        }
        assert_eq!(latency.lead(Duration::MAX), Duration::ZERO);
    }

    #[test]
    fn falls_again_when_wake_ups_get_faster() {
        let mut latency = WakeLatency::default();
        for late in uniform_latencies(20_000) {
            latency.record(late);
        }
        for _ in 0..5_000 {
            latency.record(Duration::from_micros(5));
        }
        assert!(
            latency.lead(Duration::MAX) <= Duration::from_micros(5),
            "{:?}",
            latency.lead(Duration::MAX)
        );
    }

    #[test]
    fn never_leads_by_more_than_the_bound() {
        let mut latency = WakeLatency::default();
        for _ in 0..10_000 {
            latency.record(MAX_LEAD);
            assert!(
                latency.lead(Duration::MAX) <= MAX_LEAD,
                "{:?}",
                latency.lead(Duration::MAX)
            );
        }
        // Settled at the bound, give or take the step down.
        assert!(
            latency.lead(Duration::MAX) >= MAX_LEAD - STEP_UP,
            "{:?}",
            latency.lead(Duration::MAX)
        );
    }

    #[test]
    fn ignores_wake_ups_later_than_the_bound() {
        let mut latency = WakeLatency::default();
        for late in uniform_latencies(20_000) {
            latency.record(late);
        }
        let before = latency.lead(Duration::MAX);
        // A stretch where the host kept the virtual CPU for milliseconds.
        for _ in 0..1_000 {
            latency.record(Duration::from_millis(3));
        }
        assert_eq!(latency.lead(Duration::MAX), before);
    }

    #[test]
    fn leads_by_at_most_a_quarter_of_the_wait() {
        let mut latency = WakeLatency::default();
        for late in uniform_latencies(20_000) {
            latency.record(late);
        }
        let learned = latency.lead(Duration::MAX);
        assert!(learned > Duration::from_micros(80), "{learned:?}");
        assert_eq!(latency.lead(Duration::from_millis(1)), learned);
        assert_eq!(
            latency.lead(Duration::from_micros(100)),
            Duration::from_micros(25)
        );
        assert_eq!(latency.lead(Duration::ZERO), Duration::ZERO);
    }

    /// Stays busy for `stretch` of real time, as a task computing would.
    fn busy_for(stretch: Duration) {
        let start = std::time::Instant::now();
        while start.elapsed() < stretch {
            std::hint::spin_loop();
        }
    }

    #[test]
    fn a_deadline_passed_before_the_core_waits_teaches_nothing() {
        // A timer registered, then a busy stretch past its deadline: how long the stretch
        // ran past the deadline is not how late the kernel wakes. The Core fires such a
        // timer without a park, so no wait is measured; were it to arm the timerfd for the
        // moment gone and wait, that wait would begin after the expiry, which teaches
        // nothing either (that check has its own test: the park hook's, below).
        let mut core = crate::Core::new().unwrap();
        core.run(async {
            for _ in 0..200 {
                let deadline = crate::time::Instant::now() + Duration::from_micros(20);
                let sleep = crate::time::sleep_until(deadline);
                busy_for(Duration::from_micros(170));
                sleep.await;
            }
        });
        let lead = core.wake_lead(Duration::MAX);
        assert!(
            lead < Duration::from_micros(50),
            "learned a lead of {lead:?}"
        );
    }

    #[test]
    fn a_park_hook_that_outlasts_the_wait_teaches_nothing() {
        // The timerfd is armed before the park hook runs: a hook longer than the wait lets
        // it expire before the Core waits, and the wait's end measures the hook.
        let mut core = crate::Core::new().unwrap();
        core.set_park_hooks(crate::runtime::park_hooks::ParkHooks {
            on_park: Some(std::sync::Arc::new(|| busy_for(Duration::from_micros(200)))),
            on_unpark: None,
        });
        core.run(async {
            for _ in 0..200 {
                crate::time::sleep(Duration::from_micros(100)).await;
            }
        });
        let lead = core.wake_lead(Duration::MAX);
        assert!(
            lead < Duration::from_micros(50),
            "learned a lead of {lead:?}"
        );
    }
}
