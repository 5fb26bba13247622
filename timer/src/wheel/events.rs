//! What [`Wheel::advance`] processes next, and how: firing a level-0 slot
//! or the due list, cascading a coarser slot, re-placing parked timers.
//!
//! `advance` repeatedly takes the earliest [`Event`], moves `now` to its
//! tick and processes it, until the next event lies past the target tick.
//! Only occupied slots produce events, so a jump costs time in proportion
//! to the timers it passes, not to the ticks or slots in between.

use super::entry::NIL;
use super::level::unpark_tick;
use super::{TimerKey, Wheel};

/// The next thing [`Wheel::advance`] has to process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Event {
    /// Tick at which it must happen.
    pub(super) at: u64,
    pub(super) source: Source,
}

/// What an [`Event`] acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// Fire (level 0) or cascade (higher levels) one slot.
    Slot { level: usize, slot: usize },
    /// Re-place the parked timers.
    Parked,
}

impl<T> Wheel<T> {
    /// The earliest event at or after `now`: the lowest occupied level's
    /// first occupied slot (its timers precede every other level's), or
    /// re-placing the parked timers if that comes first. On a tie the slot
    /// goes first, so parked timers are placed relative to a wheel whose
    /// slots all still lie ahead of `now`.
    pub(super) fn next_event(&self) -> Option<Event> {
        let slot = self.first_slot().map(|(level, slot, at)| Event {
            at,
            source: Source::Slot { level, slot },
        });
        let parked = (!self.parked.is_empty()).then(|| Event {
            // A lower bound of the parked deadlines gives a tick no later
            // than the one at which the earliest of them comes into reach.
            at: unpark_tick(self.parked.min_deadline()),
            source: Source::Parked,
        });
        match (slot, parked) {
            (Some(slot), Some(parked)) if parked.at < slot.at => Some(parked),
            (slot, parked) => slot.or(parked),
        }
    }

    /// `(level, slot, start tick)` of the earliest occupied slot, if any:
    /// O(levels), one `trailing_zeros` per level.
    pub(super) fn first_slot(&self) -> Option<(usize, usize, u64)> {
        self.levels.iter().enumerate().find_map(|(level, l)| {
            l.next_occupied(self.now)
                .map(|(slot, start)| (level, slot, start))
        })
    }

    /// Yields every timer of level-0 `slot`, all due exactly at `now`, in
    /// list (insertion) order. Each is unlinked before `on_expired` runs,
    /// so a panicking callback leaves the rest pending.
    pub(super) fn fire_slot(&mut self, slot: usize, on_expired: &mut impl FnMut(TimerKey, T)) {
        while let Some(index) = self.levels[0].pop_front(&mut self.entries, slot) {
            let entry = self.entries.remove(index as usize);
            debug_assert_eq!(
                entry.deadline, self.now,
                "level 0 slot {slot} holds a timer due at another tick: {self:?}"
            );
            let key = TimerKey::new(index, self.id, entry.generation);
            on_expired(key, entry.value);
        }
    }

    /// Yields the due list (its deadlines precede every timer in the
    /// levels), sorted by deadline; the sort is stable so equal deadlines
    /// keep list order, which is insertion order.
    pub(super) fn fire_due(&mut self, on_expired: &mut impl FnMut(TimerKey, T)) {
        if self.due.is_empty() {
            return;
        }
        let mut order = std::mem::take(&mut self.scratch);
        order.clear();
        let mut cursor = self.due.head();
        while cursor != NIL {
            order.push(cursor);
            cursor = self.entries[cursor as usize].next;
        }
        order.sort_by_key(|&index| self.entries[index as usize].deadline);
        for &index in &order {
            self.due.unlink(&mut self.entries, index);
            let entry = self.entries.remove(index as usize);
            let key = TimerKey::new(index, self.id, entry.generation);
            on_expired(key, entry.value);
        }
        self.scratch = order;
    }

    /// Re-places every entry of a chain detached with `List::take`
    /// (cascading a slot, or unparking), relative to the current `now`.
    /// Entries keep their relative order, so equal deadlines stay in
    /// insertion order: a list they land in holds no timer with the same
    /// deadline, since where a timer goes depends only on `now` and its
    /// deadline, and all timers with that deadline were in this chain.
    pub(super) fn replace_chain(&mut self, mut cursor: u32) {
        while cursor != NIL {
            let entry = &mut self.entries[cursor as usize];
            let next = std::mem::replace(&mut entry.next, NIL);
            entry.prev = NIL;
            self.place(cursor);
            cursor = next;
        }
    }
}
