//! A hierarchical timing wheel (Varghese & Lauck) over integer ticks.
//!
//! # Layout
//!
//! * **7 levels of 64 slots** (`level.rs`): level `L` slots are `64^L`
//!   ticks wide; a timer sits at the level of the highest base-64 digit in
//!   which its deadline differs from [`Wheel::now`], and is *cascaded* to a
//!   finer level when `now` reaches its slot's start. The top level wraps,
//!   which gives a reach of at least [`HORIZON`] = `63 * 2^36` ticks
//!   (≈ 50.1 days at 1 µs per tick) from any `now`.
//! * **Parked list**: later deadlines wait there and are re-placed when the
//!   earliest of them comes into the top level's reach.
//! * **Due list**: timers inserted (or rescheduled) with a deadline at or
//!   before `now`; the next [`Wheel::advance`] yields them first.
//! * **Unsettled list** (`unsettled.rs`): timers whose deadline is a delay
//!   after a moment not known yet; [`Wheel::settle`] schedules them all.
//!
//! A key can also be taken before its timer is stored (`reserved.rs`), so
//! that a caller can hand it out at once and store the timer later, or
//! never.
//!
//! Every list is index-linked through the entries of one slab
//! (`entry.rs`), so insert, remove and reschedule are O(1) and a pending
//! timer costs one slab slot (48 bytes for a 16-byte payload).
//!
//! # Examples
//!
//! ```
//! use mirage_timer::wheel::Wheel;
//!
//! let mut wheel = Wheel::with_start(1_000);
//! let late = wheel.insert(1_000 + 86_400_000_000, "in a day");
//! wheel.insert(1_500, "soon");
//! assert_eq!(wheel.next_expiration(), Some(1_500));
//!
//! let mut fired = Vec::new();
//! wheel.advance(2_000, |_, value| fired.push(value));
//! assert_eq!(fired, ["soon"]);
//! assert_eq!(wheel.len(), 1);
//! assert_eq!(wheel.remove(late), Some("in a day"));
//! assert!(wheel.is_empty());
//! ```

mod entry;
mod events;
mod key;
mod level;
#[cfg(test)]
mod model_tests;
mod reserved;
#[cfg(test)]
mod tests;
mod unsettled;

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU32, Ordering};

use self::entry::{Entries, Entry, Home, List};
use self::events::Source;
pub use self::key::TimerKey;
pub use self::level::HORIZON;
use self::level::{LEVELS, Level, Placement, placement, slot_of};

/// A hierarchical timing wheel holding timers with payloads of type `T`.
///
/// Time is a `u64` count of ticks; the wheel never reads a clock. See the
/// [module docs](self) for the layout.
///
/// # Expiry order
///
/// One [`advance`](Wheel::advance) yields timers in deadline order; timers
/// with equal deadlines come out in the order they were inserted (a
/// [`reschedule`](Wheel::reschedule) counts as a new insertion).
///
/// # Examples
///
/// ```
/// use mirage_timer::wheel::Wheel;
///
/// let mut wheel = Wheel::new();
/// for deadline in [30, 10, 20, 10] {
///     wheel.insert(deadline, deadline);
/// }
/// let mut order = Vec::new();
/// wheel.advance(25, |_, deadline| order.push(deadline));
/// assert_eq!(order, [10, 10, 20]);
/// assert_eq!(wheel.now(), 25);
/// assert_eq!(wheel.next_expiration(), Some(30));
/// ```
pub struct Wheel<T> {
    /// Every tick up to and including `now` has been processed.
    now: u64,
    entries: Entries<T>,
    levels: Box<[Level; LEVELS]>,
    /// Timers beyond the top level's reach.
    parked: List,
    /// Timers whose deadline was not after `now` when scheduled.
    due: List,
    /// Timers waiting for [`settle`](Wheel::settle), and how many.
    unsettled: List,
    unsettled_len: usize,
    /// Generation of the next inserted timer; never 0.
    next_generation: u64,
    /// This wheel's number, which its keys carry (see [`TimerKey`]).
    id: u32,
    /// Reused buffer for sorting the due list.
    scratch: Vec<u32>,
    /// Events (slot fires, cascades, unparks) processed so far, for tests
    /// that check big jumps visit only occupied slots.
    #[cfg(test)]
    events: u64,
}

impl<T> Wheel<T> {
    /// Creates an empty wheel standing at tick 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let wheel: Wheel<()> = Wheel::new();
    /// assert_eq!(wheel.now(), 0);
    /// assert!(wheel.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::with_start(0)
    }

    /// Creates an empty wheel standing at tick `now`: deadlines up to `now`
    /// count as already due.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::with_start(100);
    /// wheel.insert(40, "late already");
    /// assert_eq!(wheel.next_expiration(), Some(100));
    /// ```
    pub fn with_start(now: u64) -> Self {
        Wheel {
            now,
            entries: Entries::new(),
            levels: Box::new(std::array::from_fn(Level::new)),
            parked: List::EMPTY,
            due: List::EMPTY,
            unsettled: List::EMPTY,
            unsettled_len: 0,
            next_generation: 1,
            id: next_wheel_id(),
            scratch: Vec::new(),
            #[cfg(test)]
            events: 0,
        }
    }

    /// The tick the wheel stands at: every timer due at or before it has
    /// been yielded by [`advance`](Wheel::advance) (or is in the due list
    /// for the next call, if inserted with a past deadline).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::<()>::with_start(7);
    /// assert_eq!(wheel.now(), 7);
    /// wheel.advance(20, |_, _| {});
    /// assert_eq!(wheel.now(), 20);
    /// ```
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Number of pending timers, [unsettled](Wheel::insert_unsettled) ones
    /// included.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.insert(10, 'a');
    /// wheel.insert(20, 'b');
    /// assert_eq!(wheel.len(), 2);
    /// wheel.remove(key);
    /// assert_eq!(wheel.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no timer is pending.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// assert!(wheel.is_empty());
    /// wheel.insert(10, ());
    /// wheel.advance(10, |_, _| {});
    /// assert!(wheel.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a timer due at tick `deadline`, in O(1).
    ///
    /// A deadline at or before [`now`](Wheel::now) is due at once: the next
    /// [`advance`](Wheel::advance) yields it, even one that does not move
    /// time forward.
    ///
    /// # Panics
    ///
    /// If `u32::MAX` timers are already pending, or after 2^64 - 1
    /// inserts.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::with_start(50);
    /// let key = wheel.insert(80, "eighty");
    /// assert_eq!(wheel.deadline(key), Some(80));
    /// wheel.insert(10, "past"); // fires on the next advance
    /// let mut fired = Vec::new();
    /// wheel.advance(50, |_, v| fired.push(v));
    /// assert_eq!(fired, ["past"]);
    /// ```
    #[inline]
    pub fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        let home = self.home_of(deadline);
        self.insert_at(home, deadline, value)
    }

    /// Stores a new timer at the end of `home`'s list: due at `deadline`, or for
    /// [`Home::Unsettled`], `deadline` later than the moment [`settle`](Wheel::settle)
    /// is given.
    #[inline]
    fn insert_at(&mut self, home: Home, deadline: u64, value: T) -> TimerKey {
        let key = TimerKey::new(self.entries.vacant_index(), self.id, self.next_generation());
        let entry = self.linked_entry(key, home, deadline, value);
        let stored = self.entries.insert(entry);
        debug_assert_eq!(stored, key.index() as usize);
        key
    }

    /// Stores a timer at the end of `home`'s list under `key`, which
    /// [`reserve`](Wheel::reserve) gave and nothing has filled or released since.
    #[inline]
    fn fill(&mut self, key: TimerKey, home: Home, deadline: u64, value: T) {
        let entry = self.linked_entry(key, home, deadline, value);
        self.entries.fill(key.index() as usize, entry);
    }

    /// The entry of a timer about to be stored under `key`, already linked at the
    /// end of `home`'s list: linked first, so that the entry is written once, with
    /// its links and home, instead of being looked up again for each.
    #[inline]
    fn linked_entry(&mut self, key: TimerKey, home: Home, deadline: u64, value: T) -> Entry<T> {
        let mut entry = Entry::new(value, deadline, key.generation);
        let list = match home {
            Home::Slot { level, slot } => {
                self.levels[usize::from(level)].slot_for_push(usize::from(slot))
            }
            Home::Parked => &mut self.parked,
            Home::Due => &mut self.due,
            Home::Unsettled => {
                self.unsettled_len += 1;
                &mut self.unsettled
            }
        };
        entry.prev = list.push_back_new(&mut self.entries, key.index(), deadline);
        entry.home = home;
        entry
    }

    /// The generation of the next key handed out.
    #[inline]
    fn next_generation(&mut self) -> NonZeroU64 {
        let generation = self.next_generation;
        self.next_generation = generation
            .checked_add(1)
            .expect("timer generation counter exhausted");
        NonZeroU64::new(generation).expect("generations start at 1")
    }

    /// Removes a pending timer in O(1), returning its payload; `None` if
    /// the key's timer already fired or was removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.insert(7, "x");
    /// assert_eq!(wheel.remove(key), Some("x"));
    /// assert_eq!(wheel.remove(key), None);
    /// ```
    #[inline]
    pub fn remove(&mut self, key: TimerKey) -> Option<T> {
        let index = self.resolve(key)?;
        let entry = self.entries.remove(index as usize);
        let (prev, next) = (entry.prev, entry.next);
        match entry.home {
            Home::Slot { level, slot } => self.levels[usize::from(level)].unlink_removed(
                &mut self.entries,
                usize::from(slot),
                prev,
                next,
            ),
            Home::Parked => self.parked.unlink_removed(&mut self.entries, prev, next),
            Home::Due => self.due.unlink_removed(&mut self.entries, prev, next),
            Home::Unsettled => {
                self.unsettled_len -= 1;
                self.unsettled.unlink_removed(&mut self.entries, prev, next);
            }
        }
        Some(entry.value)
    }

    /// Moves a pending timer to `deadline` in O(1), keeping its key and
    /// payload; returns `false` (and does nothing) if the key's timer
    /// already fired or was removed. Among timers with the same deadline it
    /// then counts as the most recently inserted.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.insert(100, ());
    /// assert!(wheel.reschedule(key, 20));
    /// assert_eq!(wheel.next_expiration(), Some(20));
    /// wheel.advance(20, |_, _| {});
    /// assert!(!wheel.reschedule(key, 30));
    /// ```
    pub fn reschedule(&mut self, key: TimerKey, deadline: u64) -> bool {
        let Some(index) = self.resolve(key) else {
            return false;
        };
        self.unlink(index);
        self.entries[index as usize].deadline = deadline;
        self.schedule(index);
        true
    }

    /// The deadline of a pending timer, as last given to
    /// [`insert`](Wheel::insert) or [`reschedule`](Wheel::reschedule), or
    /// as [`settle`](Wheel::settle) worked it out; `None` for an unsettled
    /// timer, which has none yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.insert(1 << 50, ());
    /// assert_eq!(wheel.deadline(key), Some(1 << 50));
    /// ```
    pub fn deadline(&self, key: TimerKey) -> Option<u64> {
        let entry = &self.entries[self.resolve(key)? as usize];
        (entry.home != Home::Unsettled).then_some(entry.deadline)
    }

    /// Mutable access to a pending timer's payload, e.g. to replace a
    /// stored waker.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.insert(3, 1);
    /// *wheel.get_mut(key).unwrap() = 2;
    /// assert_eq!(wheel.remove(key), Some(2));
    /// assert!(wheel.get_mut(key).is_none());
    /// ```
    pub fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let index = self.resolve(key)?;
        Some(&mut self.entries[index as usize].value)
    }

    /// The tick at which the next timer is due: the event loop's poll
    /// deadline. `None` when no timer is pending. [Unsettled](Wheel::settle)
    /// timers have no deadline yet, so they count only once settled.
    ///
    /// Never earlier than [`now`](Wheel::now) (exactly `now` while a timer
    /// with a past deadline waits) and never later than the earliest
    /// pending deadline. It is that deadline exactly unless the earliest
    /// timer of the same slot was removed or rescheduled since the slot
    /// filled up: then it is a lower bound within that slot, the wake-up
    /// there yields nothing, and the [`advance`](Wheel::advance) cascades
    /// the slot so the next answer is exact again.
    ///
    /// Cost O(levels): the first occupied slot comes from each level's
    /// occupancy mask, and each slot keeps a lower bound of its deadlines.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// assert_eq!(wheel.next_expiration(), None);
    /// wheel.insert(5_000_000, ());
    /// wheel.insert(70_000, ());
    /// assert_eq!(wheel.next_expiration(), Some(70_000));
    /// ```
    pub fn next_expiration(&self) -> Option<u64> {
        let next = if !self.due.is_empty() {
            Some(self.now)
        } else if let Some((level, slot, _)) = self.first_slot() {
            Some(self.levels[level].min_deadline(slot))
        } else if !self.parked.is_empty() {
            Some(self.parked.min_deadline())
        } else {
            None
        };
        debug_assert!(
            next.is_none_or(|next| next >= self.now),
            "next expiration {next:?} before now: {self:?}"
        );
        next
    }

    /// Moves the wheel to tick `now` and hands every timer due at or before
    /// it to `on_expired`, each exactly once, in the order documented on
    /// [`Wheel`]; timers due later stay. A `now` earlier than
    /// [`Wheel::now`] does not move time back: it only yields timers
    /// inserted with a past deadline.
    ///
    /// Cost: O(levels) per call, plus amortised O(1) per yielded timer and
    /// per cascade step (a timer is re-placed at most once per level on its
    /// way down). Large jumps visit only occupied slots. Re-placing the
    /// parked list costs O(parked timers) each time its earliest deadline
    /// comes into reach. Timers inserted with a past deadline are sorted:
    /// O(k log k) for k of them (O(k) if inserted in deadline order).
    ///
    /// If `on_expired` panics, the timers not yet yielded stay pending.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// wheel.insert(1_000_000_000_000, "far");
    /// wheel.insert(3, "near");
    /// let mut fired = Vec::new();
    /// wheel.advance(1_000_000_000_000, |_, v| fired.push(v));
    /// assert_eq!(fired, ["near", "far"]);
    /// ```
    pub fn advance(&mut self, now: u64, mut on_expired: impl FnMut(TimerKey, T)) {
        let target = now.max(self.now);
        if self.is_empty() {
            // Nothing to fire or cascade: what the loop below would find, without looking
            // through every level (the Core brings an empty wheel up to its clock when a
            // timer registers into it).
            self.now = target;
            return;
        }
        self.fire_due(&mut on_expired);
        while let Some(event) = self.next_event() {
            if event.at > target {
                break;
            }
            debug_assert!(
                event.at >= self.now,
                "{event:?} is behind now, advancing to {target}: {self:?}"
            );
            self.now = event.at;
            #[cfg(test)]
            {
                self.events += 1;
            }
            match event.source {
                Source::Slot { level: 0, slot } => self.fire_slot(slot, &mut on_expired),
                Source::Slot { level, slot } => {
                    let chain = self.levels[level].take(slot);
                    self.replace_chain(chain);
                }
                Source::Parked => {
                    let chain = self.parked.take();
                    self.replace_chain(chain);
                }
            }
        }
        self.now = target;
    }

    /// Where a timer due at `deadline` goes now: the due list if it is not
    /// after `now`, else a level's slot or the parked list.
    #[inline]
    fn home_of(&self, deadline: u64) -> Home {
        if deadline <= self.now {
            return Home::Due;
        }
        match placement(self.now, deadline) {
            Placement::Level(level) => Home::Slot {
                level: level as u8,
                slot: slot_of(level, deadline) as u8,
            },
            Placement::Parked => Home::Parked,
        }
    }

    /// Looks a key up, checking its wheel and generation.
    #[inline]
    fn resolve(&self, key: TimerKey) -> Option<u32> {
        if key.wheel() != self.id {
            return None;
        }
        let entry = self.entries.get(key.index() as usize)?;
        (entry.generation == key.generation).then_some(key.index())
    }

    /// Links an unlinked entry according to its deadline: the due list if
    /// it is not after `now`, else the levels or the parked list.
    fn schedule(&mut self, index: u32) {
        if self.entries[index as usize].deadline <= self.now {
            self.entries[index as usize].home = Home::Due;
            self.due.push_back(&mut self.entries, index);
        } else {
            self.place(index);
        }
    }

    /// Links an unlinked entry with a deadline not before `now` into the
    /// levels or the parked list.
    fn place(&mut self, index: u32) {
        let deadline = self.entries[index as usize].deadline;
        match placement(self.now, deadline) {
            Placement::Level(level) => {
                let slot = slot_of(level, deadline);
                self.entries[index as usize].home = Home::Slot {
                    level: level as u8,
                    slot: slot as u8,
                };
                self.levels[level].push(&mut self.entries, slot, index);
            }
            Placement::Parked => {
                self.entries[index as usize].home = Home::Parked;
                self.parked.push_back(&mut self.entries, index);
            }
        }
    }

    /// Unlinks an entry from whichever list holds it.
    fn unlink(&mut self, index: u32) {
        match self.entries[index as usize].home {
            Home::Slot { level, slot } => {
                self.levels[usize::from(level)].unlink(&mut self.entries, usize::from(slot), index)
            }
            Home::Parked => self.parked.unlink(&mut self.entries, index),
            Home::Due => self.due.unlink(&mut self.entries, index),
            Home::Unsettled => {
                self.unsettled_len -= 1;
                self.unsettled.unlink(&mut self.entries, index);
            }
        }
    }
}

/// A number for a new wheel, for its keys to carry: distinct from those of
/// the last 2^32 - 1 wheels created in the process.
fn next_wheel_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A summary: `now`, the number of timers, the occupied slots per level
/// (counts and masks) and whether the due and parked lists hold timers.
/// Never lists the timers themselves.
impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Computed without `next_expiration`, whose debug assertion prints
        // this summary.
        let occupied: [u32; LEVELS] =
            std::array::from_fn(|l| self.levels[l].occupied().count_ones());
        let masks: [String; LEVELS] =
            std::array::from_fn(|l| format!("{:#018x}", self.levels[l].occupied()));
        f.debug_struct("Wheel")
            .field("now", &self.now)
            .field("len", &self.entries.len())
            .field("occupied_slots_per_level", &occupied)
            .field("occupancy_masks", &masks)
            .field("has_due", &!self.due.is_empty())
            .field("has_parked", &!self.parked.is_empty())
            .field("unsettled", &self.unsettled_len)
            .field(
                "parked_min_deadline",
                &(!self.parked.is_empty()).then(|| self.parked.min_deadline()),
            )
            .finish()
    }
}
