//! The Core's park counts and busy time: what tokio's per-worker metrics report.
//!
//! [`WorkerStats`] lives in the Core's shared half, so that a `RuntimeMetrics` on any thread
//! reads it. Only the Core's thread writes the counts, each with a plain load and store (no
//! read-modify-write), as the task counts are kept (see `shared.rs`); the flag that starts
//! the busy-time clock may be set from any thread.
//!
//! The park counts cost two such stores per blocking wait for events. The busy time needs a
//! clock read at each end of a busy stretch, so it is kept only once someone has asked for
//! the runtime's metrics ([`WorkerStats::start_timing`]): a Core that nobody monitors reads
//! no clock for it. [`BusyStretch`] is the Core's side: when the current stretch began.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::time::monotonic_nanos;

/// A Core's park counts and busy time (see the module docs).
#[derive(Default)]
pub(crate) struct WorkerStats {
    /// One more at each park and at each unpark: odd while the Core is parked.
    park_unpark: AtomicU64,
    /// Nanoseconds spent busy, in the stretches that ended while timing was on.
    busy_nanos: AtomicU64,
    /// Set by the first `RuntimeMetrics`: from then on the Core times its busy stretches.
    timing: AtomicBool,
}

impl WorkerStats {
    /// Counts a park or an unpark; the Core's thread only.
    #[inline]
    pub(crate) fn park_or_unpark(&self) {
        let count = self.park_unpark.load(Ordering::Relaxed);
        self.park_unpark.store(count + 1, Ordering::Relaxed);
    }

    /// Parks plus unparks so far.
    pub(crate) fn park_unpark_count(&self) -> u64 {
        self.park_unpark.load(Ordering::Relaxed)
    }

    /// Parks so far: every park, including the one in progress.
    pub(crate) fn park_count(&self) -> u64 {
        self.park_unpark_count().div_ceil(2)
    }

    /// Busy time so far, in the stretches timed.
    pub(crate) fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy_nanos.load(Ordering::Relaxed))
    }

    /// Makes the Core time its busy stretches from its next unpark (or `run`) on; any thread.
    pub(crate) fn start_timing(&self) {
        self.timing.store(true, Ordering::Relaxed);
    }

    fn is_timing(&self) -> bool {
        self.timing.load(Ordering::Relaxed)
    }

    fn add_busy(&self, nanos: u64) {
        let total = self.busy_nanos.load(Ordering::Relaxed);
        self.busy_nanos
            .store(total.saturating_add(nanos), Ordering::Relaxed);
    }
}

/// The Core's side of the busy time: when the busy stretch in progress began, if it is
/// timed.
#[derive(Debug, Default)]
pub(crate) struct BusyStretch {
    since: Option<u64>,
}

impl BusyStretch {
    /// A busy stretch begins: the Core unparked, or `run` started. Reads the clock only if
    /// timing is on.
    #[inline]
    pub(crate) fn begin(&mut self, stats: &WorkerStats) {
        if stats.is_timing() {
            self.since = Some(monotonic_nanos());
        }
    }

    /// The stretch ends: the Core is about to park, or `run` returns. Adds its length to the
    /// busy time if it was timed.
    #[inline]
    pub(crate) fn end(&mut self, stats: &WorkerStats) {
        if let Some(since) = self.since.take() {
            stats.add_busy(monotonic_nanos().saturating_sub(since));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn park_counts_round_up_a_park_in_progress() {
        let stats = WorkerStats::default();
        assert_eq!((stats.park_count(), stats.park_unpark_count()), (0, 0));
        stats.park_or_unpark();
        assert_eq!((stats.park_count(), stats.park_unpark_count()), (1, 1));
        stats.park_or_unpark();
        assert_eq!((stats.park_count(), stats.park_unpark_count()), (1, 2));
    }

    #[test]
    fn only_stretches_begun_while_timing_count() {
        let stats = WorkerStats::default();
        let mut stretch = BusyStretch::default();
        stretch.begin(&stats);
        std::thread::sleep(Duration::from_millis(2));
        stretch.end(&stats);
        assert_eq!(stats.busy(), Duration::ZERO, "timed before timing was on");
        stats.start_timing();
        stretch.begin(&stats);
        std::thread::sleep(Duration::from_millis(2));
        stretch.end(&stats);
        assert!(
            stats.busy() >= Duration::from_millis(2),
            "{:?}",
            stats.busy()
        );
        let after_one = stats.busy();
        stretch.end(&stats);
        assert_eq!(stats.busy(), after_one, "a stretch ends once");
    }
}
