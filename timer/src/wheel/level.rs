//! Slot and level arithmetic, and one level's slots with their occupancy
//! mask.
//!
//! A deadline is a `u64` tick count read as base-64 digits: digit `L`
//! (bits `6L..6L+6`) selects the slot at level `L`. Level 0 slots are one
//! tick wide, level 1 slots 64 ticks, level `L` slots `64^L` ticks.
//!
//! **Placement rule.** A timer lives at the level of the highest digit in
//! which its deadline differs from `now`. Below the top level this means the
//! deadline shares every higher digit with `now`, so a level's 64 slots
//! cover exactly the `64^(L+1)`-tick window `now` is in, never wrap, and
//! every occupied slot lies strictly after `now`'s own digit (level 0 may
//! also hold `now` itself while [`super::Wheel::advance`] runs). Two
//! consequences the wheel relies on:
//!
//! * every timer at level `L` is due before every timer at level `L + 1`,
//!   so the earliest timer is in the lowest occupied level's first occupied
//!   slot: found with `trailing_zeros`, no slot scan;
//! * moving `now` forward to any tick before that slot's start keeps every
//!   timer correctly placed; reaching the start means the slot's timers now
//!   share its digit with `now`, so they are re-placed (cascaded) one or
//!   more levels down.
//!
//! The top level (6) instead takes any deadline whose top digit
//! (`deadline >> 36`) is 1 to 63 ahead of `now`'s, wrapping around its 64
//! slots. That guarantees a reach of at least [`HORIZON`] ticks from any
//! `now` (≈ 50 days at 1 µs per tick). Later deadlines are *parked* in a
//! separate list until [`unpark_tick`].

use super::entry::{Entries, List};

/// Bits of the deadline consumed by one level.
pub(crate) const LEVEL_BITS: u32 = 6;
/// Slots per level.
pub(crate) const SLOTS: usize = 1 << LEVEL_BITS;
/// Mask of one digit.
pub(crate) const SLOT_MASK: u64 = SLOTS as u64 - 1;
/// Number of levels. Seven levels of six bits resolve 42 bits: at 1 µs per
/// tick a six-level wheel would reach only ~19 hours, seven reach ~50 days.
pub(crate) const LEVELS: usize = 7;
/// Index of the top, wrapping level.
pub(crate) const TOP_LEVEL: usize = LEVELS - 1;
/// Shift that turns a tick into its top-level digit count (`64^6` ticks
/// per top-level slot).
pub(crate) const TOP_SHIFT: u32 = slot_shift(TOP_LEVEL);
/// The wheel's guaranteed reach: a deadline at most this many ticks after
/// [`Wheel::now`](super::Wheel::now) is held in the levels (its top digit
/// is then at most 63 ahead of `now`'s); later ones may be parked until
/// they come into reach. `63 * 2^36` ticks, ≈ 50.1 days at 1 µs per tick.
///
/// # Examples
///
/// ```
/// use mirage_timer::wheel::HORIZON;
///
/// assert!(HORIZON > 2 * 86_400 * 1_000_000); // more than 2 days of µs
/// ```
pub const HORIZON: u64 = SLOT_MASK << TOP_SHIFT;

/// Shift from a tick to its digit at `level`.
pub(crate) const fn slot_shift(level: usize) -> u32 {
    LEVEL_BITS * level as u32
}

/// Width of one slot at `level`, in ticks.
#[cfg(test)]
pub(crate) const fn slot_span(level: usize) -> u64 {
    1 << slot_shift(level)
}

/// The slot of `level` that `tick` falls in: its digit at that level.
#[inline]
pub(crate) const fn slot_of(level: usize, tick: u64) -> usize {
    ((tick >> slot_shift(level)) & SLOT_MASK) as usize
}

/// Where a timer with a deadline not before `now` belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// In this level, at slot [`slot_of`]`(level, deadline)`.
    Level(usize),
    /// Beyond the top level's reach: parked.
    Parked,
}

/// Where a timer due at `deadline` belongs when the wheel stands at `now`.
///
/// Requires `deadline >= now`: earlier deadlines are already due and never
/// enter the levels.
#[inline]
pub(crate) fn placement(now: u64, deadline: u64) -> Placement {
    debug_assert!(
        deadline >= now,
        "placement of deadline {deadline} before now {now}"
    );
    // The top level wraps, so it can only tell apart deadlines whose top
    // digits are fewer than 64 apart from `now`'s; anything further would
    // land in a slot that also means "this rotation".
    if (deadline >> TOP_SHIFT) - (now >> TOP_SHIFT) > SLOT_MASK {
        return Placement::Parked;
    }
    // Highest differing bit decides the level. OR-ing in the low digit makes
    // `deadline == now` (and any difference confined to digit 0) level 0
    // and keeps `leading_zeros` below 64.
    let masked = (deadline ^ now) | SLOT_MASK;
    let significant = u64::BITS - 1 - masked.leading_zeros();
    // Differences above the top level's digit happen only when the top digit
    // wraps past a multiple of 64 (checked above to be < 64 slots away); the
    // top level takes them.
    Placement::Level(((significant / LEVEL_BITS) as usize).min(TOP_LEVEL))
}

/// The first tick at which a parked `deadline` fits in the top level again:
/// the start of the top-level slot 63 slots before the deadline's.
///
/// Re-placing parked timers at this tick is never too late (the deadline is
/// at least 63 top slots away) and never too early (one tick earlier the
/// deadline would still be 64 top slots away, i.e. parked).
pub(crate) fn unpark_tick(deadline: u64) -> u64 {
    ((deadline >> TOP_SHIFT).saturating_sub(SLOT_MASK)) << TOP_SHIFT
}

/// The tick at which a level's slot begins, given that it lies `distance`
/// slots after `now`'s own slot at that level.
///
/// Below the top level the distance never carries into the next digit
/// (slots never wrap there). At the top level a wrapped slot carries into
/// the bits above, which is exactly the next rotation.
pub(crate) fn slot_start(level: usize, now: u64, distance: u64) -> u64 {
    let shift = slot_shift(level);
    let slot_index = (now >> shift) + distance;
    debug_assert!(
        slot_index <= u64::MAX >> shift,
        "slot start overflows u64: level {level}, now {now}, distance {distance}"
    );
    slot_index << shift
}

/// One level: 64 slot lists and a bitmask of the non-empty ones.
#[derive(Debug)]
pub(crate) struct Level {
    /// This level's index, 0 = finest.
    index: usize,
    /// Bit `s` is set iff `slots[s]` is non-empty.
    occupied: u64,
    slots: [List; SLOTS],
}

impl Level {
    pub(crate) fn new(index: usize) -> Self {
        Level {
            index,
            occupied: 0,
            slots: [List::EMPTY; SLOTS],
        }
    }

    /// Bitmask of non-empty slots.
    pub(crate) fn occupied(&self) -> u64 {
        self.occupied
    }

    /// A lower bound (usually exact) of the deadlines in `slot`.
    pub(crate) fn min_deadline(&self, slot: usize) -> u64 {
        self.slots[slot].min_deadline()
    }

    /// The slot list itself (for walking it).
    #[cfg(test)]
    pub(crate) fn slot(&self, slot: usize) -> &List {
        &self.slots[slot]
    }

    /// Appends timer `index` to `slot`.
    pub(crate) fn push<T>(&mut self, entries: &mut Entries<T>, slot: usize, index: u32) {
        self.slots[slot].push_back(entries, index);
        self.occupied |= 1 << slot;
    }

    /// The list of `slot`, marked occupied, for a new entry to be appended
    /// with [`List::push_back_new`].
    #[inline]
    pub(crate) fn slot_for_push(&mut self, slot: usize) -> &mut List {
        self.occupied |= 1 << slot;
        &mut self.slots[slot]
    }

    /// Unlinks an entry already taken out of the slab from `slot`, given its
    /// links.
    #[inline]
    pub(crate) fn unlink_removed<T>(
        &mut self,
        entries: &mut Entries<T>,
        slot: usize,
        prev: u32,
        next: u32,
    ) {
        self.slots[slot].unlink_removed(entries, prev, next);
        self.sync_bit(slot);
    }

    /// Unlinks timer `index` from `slot`, wherever it is in the list.
    pub(crate) fn unlink<T>(&mut self, entries: &mut Entries<T>, slot: usize, index: u32) {
        self.slots[slot].unlink(entries, index);
        self.sync_bit(slot);
    }

    /// Removes and returns the first timer of `slot`.
    pub(crate) fn pop_front<T>(&mut self, entries: &mut Entries<T>, slot: usize) -> Option<u32> {
        let index = self.slots[slot].pop_front(entries);
        self.sync_bit(slot);
        index
    }

    /// Empties `slot`, returning the head of the detached chain.
    pub(crate) fn take(&mut self, slot: usize) -> u32 {
        self.occupied &= !(1 << slot);
        self.slots[slot].take()
    }

    #[inline]
    fn sync_bit(&mut self, slot: usize) {
        if self.slots[slot].is_empty() {
            self.occupied &= !(1 << slot);
        }
    }

    /// The first occupied slot at or after `now`'s digit and the tick it
    /// begins at, or `None` if the level is empty.
    ///
    /// Rotating the mask right by `now`'s digit puts that digit at bit 0, so
    /// `trailing_zeros` is the distance in slots: O(1), no scan.
    pub(crate) fn next_occupied(&self, now: u64) -> Option<(usize, u64)> {
        if self.occupied == 0 {
            return None;
        }
        let digit = slot_of(self.index, now);
        if self.index < TOP_LEVEL {
            // Below the top level nothing may sit before `now`'s digit, and
            // above level 0 not on it either (see the module docs).
            let stale = if self.index == 0 {
                (1u64 << digit) - 1
            } else {
                (2u64 << digit).wrapping_sub(1)
            };
            debug_assert!(
                self.occupied & stale == 0,
                "level {} has slots behind now {now} (digit {digit}): occupied {:#018x}",
                self.index,
                self.occupied
            );
        } else {
            debug_assert!(
                self.occupied & (1 << digit) == 0,
                "top level holds now's own slot {digit} at now {now}: occupied {:#018x}",
                self.occupied
            );
        }
        let distance = self.occupied.rotate_right(digit as u32).trailing_zeros();
        let slot = (digit + distance as usize) & SLOT_MASK as usize;
        Some((slot, slot_start(self.index, now, u64::from(distance))))
    }
}

#[cfg(test)]
mod tests {
    use super::super::entry::Entry;
    use super::*;

    /// Checks every property the wheel relies on for one `(now, deadline)`.
    fn check(now: u64, deadline: u64) {
        match placement(now, deadline) {
            Placement::Parked => {
                assert!(
                    deadline - now > HORIZON,
                    "parked within horizon: {now} {deadline}"
                );
                let unpark = unpark_tick(deadline);
                assert!(unpark > now, "unpark {unpark} not after now {now}");
                assert!(matches!(
                    placement(unpark, deadline),
                    Placement::Level(TOP_LEVEL)
                ));
                assert_eq!(placement(unpark - 1, deadline), Placement::Parked);
            }
            Placement::Level(level) => {
                let slot = slot_of(level, deadline);
                let digit = slot_of(level, now);
                let distance = (slot as u64).wrapping_sub(digit as u64) & SLOT_MASK;
                let start = slot_start(level, now, distance);
                assert!(
                    start <= deadline,
                    "start {start} after {deadline} (now {now})"
                );
                assert!(deadline - start < slot_span(level), "{now} {deadline}");
                if level == 0 {
                    assert_eq!(start, deadline);
                } else {
                    assert!(
                        start > now,
                        "level {level} slot starts at {start} <= now {now}"
                    );
                    // At the slot's start the timer must move down.
                    match placement(start, deadline) {
                        Placement::Level(lower) => assert!(lower < level),
                        Placement::Parked => panic!("cascade parks {deadline} at {start}"),
                    }
                }
                if level < TOP_LEVEL {
                    assert!(slot > digit || (level == 0 && slot == digit));
                }
            }
        }
    }

    #[test]
    fn exhaustive_small_range() {
        for now in 0..300 {
            for deadline in now..now + 5000 {
                check(now, deadline);
            }
        }
    }

    #[test]
    fn boundaries() {
        let edges = [
            0,
            1,
            62,
            63,
            64,
            65,
            4095,
            4096,
            4097,
            (1 << 18) - 1,
            1 << 18,
            (1 << 36) - 1,
            1 << 36,
            (1 << 42) - 1,
            1 << 42,
            (1 << 42) + 1,
            (1 << 48) - 1,
            u64::MAX - (1 << 42),
            u64::MAX - 64,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &a in &edges {
            for &b in &edges {
                for da in [0, 1, 2] {
                    for db in [0, 1, 2] {
                        let (now, deadline) = (a.saturating_sub(da), b.saturating_sub(db));
                        if deadline >= now {
                            check(now, deadline);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn level_of_known_offsets() {
        assert_eq!(placement(0, 0), Placement::Level(0));
        assert_eq!(placement(0, 63), Placement::Level(0));
        assert_eq!(placement(0, 64), Placement::Level(1));
        assert_eq!(placement(0, 4095), Placement::Level(1));
        assert_eq!(placement(0, 4096), Placement::Level(2));
        assert_eq!(placement(63, 64), Placement::Level(1));
        assert_eq!(placement(4095, 4096), Placement::Level(2));
        assert_eq!(placement(0, (1 << 36) - 1), Placement::Level(5));
        assert_eq!(placement(0, 1 << 36), Placement::Level(6));
        assert_eq!(placement(0, HORIZON), Placement::Level(6));
        assert_eq!(placement(0, HORIZON + (1 << 36) - 1), Placement::Level(6));
        assert_eq!(placement(0, 1 << 42), Placement::Parked);
        // Crossing a 2^42 boundary by one tick wraps the top level.
        assert_eq!(placement((1 << 42) - 1, 1 << 42), Placement::Level(6));
        // The guaranteed reach holds from every phase of `now`.
        for now in [
            0,
            1,
            (1 << 36) - 1,
            1 << 36,
            12_345_678_901,
            u64::MAX - HORIZON,
        ] {
            assert!(matches!(placement(now, now + HORIZON), Placement::Level(_)));
        }
        assert_eq!(placement(u64::MAX, u64::MAX), Placement::Level(0));
        assert_eq!(placement(0, u64::MAX), Placement::Parked);
        assert_eq!(HORIZON, 63 << 36);
    }

    #[test]
    fn placement_is_monotonic_in_deadline() {
        // Later deadlines never sit at a lower level: what makes "lowest
        // occupied level first" the earliest timer.
        let rank = |p| match p {
            Placement::Level(l) => l,
            Placement::Parked => LEVELS,
        };
        for now in [0, 5, 63, 64, 1000, 4095, 4096, 70_000, (1 << 36) - 3] {
            let mut last = 0;
            for deadline in now..now + 20_000 {
                let r = rank(placement(now, deadline));
                assert!(r >= last, "now {now} deadline {deadline}");
                last = r;
            }
        }
    }

    #[test]
    fn next_occupied_uses_distance_from_now() {
        let mut entries = Entries::<()>::new();
        let mut level = Level::new(1);
        let index =
            u32::try_from(entries.insert(Entry::new((), 64 * 5 + 7, std::num::NonZeroU64::MIN)))
                .unwrap();
        level.push(&mut entries, 5, index);
        assert_eq!(level.next_occupied(70), Some((5, 320)));
        assert_eq!(level.pop_front(&mut entries, 5), Some(index));
        assert_eq!(level.occupied(), 0);
        assert_eq!(level.next_occupied(70), None);

        // The top level wraps: slot 2 seen from digit 60 is 6 slots ahead.
        let mut top = Level::new(TOP_LEVEL);
        top.push(&mut entries, 2, index);
        let now = (64 + 60) << TOP_SHIFT;
        assert_eq!(top.next_occupied(now), Some((2, (128 + 2) << TOP_SHIFT)));
    }
}
