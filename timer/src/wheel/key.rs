//! The handle a caller keeps to address one pending timer.

use std::num::NonZeroU64;

/// Identifies one timer inserted into a [`Wheel`](super::Wheel).
///
/// A key stays valid until its timer fires or is removed; after that every
/// method taking it treats it as unknown (`None` / `false`), even when the
/// wheel has reused the same storage slot for a newer timer. A key handed
/// out by another wheel is unknown too: it never reaches a timer of this one.
///
/// # Generations
///
/// The key holds the timer's slab index and a generation drawn from a
/// 64-bit counter that the wheel increments on every insert; an entry
/// answers to a key only if both match. A stale key could only be mistaken
/// for a newer timer if the counter came back to the same value, which
/// takes 2^64 inserts: at one insert per nanosecond, 584 years. The counter
/// is checked and `insert` panics rather than wrap. (A 32-bit counter would
/// wrap after ~71 minutes at one insert per microsecond, which is why it is
/// 64 bits.) The generation is never zero, so `Option<TimerKey>` is no
/// larger than `TimerKey`.
///
/// Every wheel numbers its timers the same way, so the key also names its
/// wheel, by a 32-bit number drawn from a process-wide counter when the
/// wheel is created (beside the 32-bit slab index, in one 64-bit half of the key); only a
/// wheel created 2^32 wheels later could share it.
///
/// # Examples
///
/// ```
/// use mirage_timer::wheel::{TimerKey, Wheel};
///
/// let mut wheel = Wheel::new();
/// let first: TimerKey = wheel.insert(5, 'a');
/// assert_eq!(wheel.remove(first), Some('a'));
///
/// // The freed slot is reused, but the old key does not reach the new timer.
/// let second = wheel.insert(5, 'b');
/// assert_ne!(first, second);
/// assert_eq!(wheel.remove(first), None);
/// assert_eq!(wheel.deadline(second), Some(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerKey {
    /// The number of the wheel that handed the key out in the high half, the slab index in
    /// the low half: two 64-bit fields, so that a key is returned in two registers rather
    /// than through memory (see `new`).
    place: u64,
    pub(crate) generation: NonZeroU64,
}

impl TimerKey {
    /// A key in two 64-bit halves. Three fields (`u32`, `u32`, `u64`) were returned through
    /// memory, and reading the key back from there right after `insert` stalled on the
    /// store: a fifth of the time of a `sleep` created, registered and dropped in one poll.
    #[inline]
    pub(crate) fn new(index: u32, wheel: u32, generation: NonZeroU64) -> TimerKey {
        TimerKey {
            place: (u64::from(wheel) << 32) | u64::from(index),
            generation,
        }
    }

    /// The timer's slab index.
    #[inline]
    pub(crate) fn index(self) -> u32 {
        self.place as u32
    }

    /// The number of the wheel that handed the key out.
    #[inline]
    pub(crate) fn wheel(self) -> u32 {
        (self.place >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    #[test]
    fn option_of_key_has_no_overhead() {
        assert_eq!(size_of::<TimerKey>(), 16);
        assert_eq!(size_of::<Option<TimerKey>>(), size_of::<TimerKey>());
    }
}
