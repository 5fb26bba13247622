//! Keys taken before their timer is stored.
//!
//! A caller that may cancel a timer soon after creating it, and must hand
//! out its key at once, can [`reserve`](Wheel::reserve) the key, keep the
//! timer beside it, and store it in the wheel only if it is still wanted
//! later ([`insert_reserved`](Wheel::insert_reserved),
//! [`insert_unsettled_reserved`](Wheel::insert_unsettled_reserved)), or
//! [`release`](Wheel::release) the key. A reservation costs one slab slot
//! taken off the free list and touches no list, so a timer cancelled before
//! it is stored is never linked into one.

use super::entry::Home;
use super::{TimerKey, Wheel};

impl<T> Wheel<T> {
    /// Takes a key for a timer to be stored later, in O(1). Until it is
    /// stored, the key names no timer: [`remove`](Wheel::remove),
    /// [`deadline`](Wheel::deadline) and the others treat it as a timer
    /// already gone, and [`len`](Wheel::len) does not count it.
    ///
    /// # Panics
    ///
    /// As [`insert`](Wheel::insert).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.reserve();
    /// assert_eq!((wheel.len(), wheel.deadline(key)), (0, None));
    /// wheel.insert_reserved(key, 40, "forty");
    /// assert_eq!(wheel.deadline(key), Some(40));
    /// ```
    #[inline]
    pub fn reserve(&mut self) -> TimerKey {
        let generation = self.next_generation();
        TimerKey::new(self.entries.reserve(generation), self.id, generation)
    }

    /// Gives back a key [`reserve`](Wheel::reserve) gave, whose timer was
    /// never stored, in O(1). Its slot may go to the next timer inserted.
    ///
    /// # Panics
    ///
    /// If `key` is not such a reservation of this wheel.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::<()>::new();
    /// let key = wheel.reserve();
    /// wheel.release(key); // cancelled before it was stored
    /// assert!(wheel.is_empty());
    /// ```
    #[inline]
    pub fn release(&mut self, key: TimerKey) {
        self.assert_reserved(key);
        self.entries.release(key.index() as usize);
    }

    /// Stores a timer due at `deadline` under a reserved key, as
    /// [`insert`](Wheel::insert) stores one under a new key.
    ///
    /// # Panics
    ///
    /// If `key` is not a reservation of this wheel still unused.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.reserve();
    /// wheel.insert_reserved(key, 5, 'x');
    /// assert_eq!(wheel.remove(key), Some('x'));
    /// ```
    pub fn insert_reserved(&mut self, key: TimerKey, deadline: u64, value: T) {
        self.assert_reserved(key);
        let home = self.home_of(deadline);
        self.fill(key, home, deadline, value);
    }

    /// Stores a timer due `delay` after the moment the next
    /// [`settle`](Wheel::settle) names, under a reserved key, as
    /// [`insert_unsettled`](Wheel::insert_unsettled) stores one under a new
    /// key.
    ///
    /// # Panics
    ///
    /// If `key` is not a reservation of this wheel still unused.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// let key = wheel.reserve();
    /// wheel.insert_unsettled_reserved(key, 30, "thirty after the settle");
    /// assert_eq!(wheel.unsettled_len(), 1);
    /// wheel.settle(|delay| 100 + delay);
    /// assert_eq!(wheel.deadline(key), Some(130));
    /// ```
    #[inline]
    pub fn insert_unsettled_reserved(&mut self, key: TimerKey, delay: u64, value: T) {
        self.assert_reserved(key);
        self.fill(key, Home::Unsettled, delay, value);
    }

    #[inline]
    fn assert_reserved(&self, key: TimerKey) {
        assert!(
            key.wheel() == self.id
                && self
                    .entries
                    .is_reserved(key.index() as usize, key.generation),
            "TimerKey {key:?} is not an unused reservation of this Wheel"
        );
    }
}
