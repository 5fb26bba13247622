//! `sleep(d)` without a clock read per sleep: the deadline is `d` after the poll that
//! started the sleep ends.
//!
//! A running Core settles after every poll (of a task, or of the future given to `run`),
//! before it parks, when `run` returns, before `pause`, and when it closes. A `sleep` started
//! during a poll records only its delay, counted in the poll's [`Record`]; if it registers
//! before the poll ends, its wheel entry is unsettled (it has no deadline yet). The settle
//! reads the clock once for them all, gives every unsettled entry its deadline (that moment
//! plus its delay) and notes the moment in the record, where a sleep looks it up the next
//! time it needs its deadline. A poll whose sleeps were all dropped before it ended, as in a
//! loop that races a fresh timeout against a read that is ready, reads no clock at all.
//!
//! No timer can fire before its Core's next turn, which comes after the settle, so a
//! deadline counted from the settle is never earlier than one counted from the call; it is
//! later by the rest of that poll, which is all the lateness this adds. Asking a sleep for
//! its deadline (`Sleep::deadline`, `is_elapsed`) settles at once, so an answer, once given,
//! never changes.
//!
//! Records live in a slab, each until the last of its sleeps has learned its deadline or
//! been dropped, so there are never more records than such sleeps.
//!
//! The sleep registered last in the poll under way does not enter the wheel's lists at once:
//! it waits beside the wheel under a reserved key (`fresh.rs`), so that one dropped within
//! its poll touches no list at all.

use std::num::NonZeroU64;
use std::rc::Rc;

use super::clock::monotonic_nanos;
use super::driver::Timers;

mod fresh;

pub(crate) use self::fresh::Fresh;

/// The sleeps one poll started that still need the moment it was settled at.
pub(crate) struct Record {
    /// `CLOCK_MONOTONIC` nanoseconds at the settle (never zero: that clock counts from
    /// boot); `None` while the poll is under way. Non-zero, so that a record takes 16 bytes.
    base: Option<NonZeroU64>,
    /// Sleeps of this poll still holding it: not dropped, and their deadline not learned.
    /// Counted in `Timers::open_holders` instead while the poll is under way.
    holders: u32,
}

/// Held by `Core::run`: while it lives, every poll ends in a settle, so sleeps may defer
/// their clock read. Its drop settles a poll that panicked.
pub(crate) struct RunSettle(Rc<Timers>);

impl RunSettle {
    pub(crate) fn start(timers: &Rc<Timers>) -> RunSettle {
        timers.running.set(true);
        RunSettle(Rc::clone(timers))
    }
}

impl Drop for RunSettle {
    fn drop(&mut self) {
        self.0.settle();
        self.0.running.set(false);
    }
}

impl Timers {
    /// For a `sleep` starting now: the record of the poll under way, counting the sleep as
    /// one of its holders; `None` where the sleep must read the clock itself (outside
    /// `run`, in virtual time, or on a closed Core).
    #[inline]
    pub(crate) fn start_unsettled(&self) -> Option<u32> {
        // A running Core is live: it closes only when dropped.
        if !self.running.get() || !self.clock.is_system_time() {
            return None;
        }
        let record = match self.open.get() {
            Some(record) => record,
            None => self.open_record(),
        };
        self.open_holders.set(self.open_holders.get() + 1);
        Some(record)
    }

    /// Opens a record for the poll under way, at its first sleep.
    fn open_record(&self) -> u32 {
        let record = self.records.borrow_mut().insert(Record {
            base: None,
            holders: 0,
        });
        let record = u32::try_from(record).expect("fewer than 2^32 polls hold unsettled sleeps");
        self.open.set(Some(record));
        record
    }

    /// Whether `record` belongs to the poll under way, not settled yet.
    #[inline]
    pub(crate) fn is_open(&self, record: u32) -> bool {
        self.open.get() == Some(record)
    }

    /// The moment `record`'s poll was settled at (settling it now if it is still under
    /// way), as `CLOCK_MONOTONIC` nanoseconds, for one of its holders, which stops holding it.
    pub(crate) fn learn(&self, record: u32) -> u64 {
        if self.is_open(record) {
            self.settle();
        }
        let mut records = self.records.borrow_mut();
        let entry = &mut records[record as usize];
        let base = entry.base.expect("a record not open is settled").get();
        entry.holders -= 1;
        if entry.holders == 0 {
            records.remove(record as usize);
        }
        base
    }

    /// A holder of `record` that no longer needs it (dropped, or given a deadline of its own).
    #[inline]
    pub(crate) fn forget(&self, record: u32) {
        if self.is_open(record) {
            // The open record stays for the poll's next sleep; the settle removes it if unheld.
            self.open_holders.set(self.open_holders.get() - 1);
            return;
        }
        let mut records = self.records.borrow_mut();
        let entry = &mut records[record as usize];
        entry.holders -= 1;
        if entry.holders == 0 {
            records.remove(record as usize);
        }
    }

    /// Ends the poll under way for the sleeps it started: one clock read for all of them if
    /// any is still held, none otherwise. O(1) when the poll started none.
    #[inline]
    pub(crate) fn settle(&self) {
        debug_assert!(
            self.open.get().is_some() || !self.fresh.is_set(),
            "a fresh sleep outside an open poll"
        );
        if let Some(record) = self.open.take() {
            self.settle_record(record);
        }
    }

    fn settle_record(&self, record: u32) {
        self.store_fresh();
        let holders = self.open_holders.replace(0);
        let mut records = self.records.borrow_mut();
        if holders == 0 {
            // Every sleep of the poll is gone already: nothing needs the time.
            records.remove(record as usize);
            return;
        }
        let now = monotonic_nanos();
        records[record as usize] = Record {
            base: Some(NonZeroU64::new(now).unwrap_or(NonZeroU64::MIN)),
            holders,
        };
        drop(records);
        let mut wheel = self.wheel.borrow_mut();
        if wheel.unsettled_len() == 0 {
            return;
        }
        // Read from the clock a second time, as an `Instant`, which places ticks without
        // ever moving the wheel past the present (a tick of `now` could, by the few
        // nanoseconds between the reads that tie the two clocks together).
        self.catch_up_idle(&mut wheel);
        let clock = &self.clock;
        wheel.settle(|delay| clock.tick_at_or_after_monotonic(now.saturating_add(delay)));
    }
}

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
