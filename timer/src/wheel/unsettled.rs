//! Unsettled timers: due a delay after a moment not known when they are
//! inserted.
//!
//! An event loop can defer reading its clock: a timer started during a
//! task's poll is inserted with only its delay, and when the poll is over
//! the loop reads the clock once and settles every timer started meanwhile
//! at that moment plus its delay. A timer cancelled within the poll never
//! needed the clock at all, and never entered a level. Unsettled timers
//! wait in a list of their own, index-linked like the others, so insert and
//! remove stay O(1) and `settle` is O(1) per timer.

use super::entry::{Home, NIL};
use super::{TimerKey, Wheel};

impl<T> Wheel<T> {
    /// Adds a timer due `delay` ticks after a moment that
    /// [`settle`](Wheel::settle) will name, in O(1). Until then it has no
    /// deadline: it counts in [`len`](Wheel::len), can be removed, looked
    /// up and [rescheduled](Wheel::reschedule) (which settles it at the
    /// deadline given), but [`advance`](Wheel::advance) leaves it alone and
    /// [`next_expiration`](Wheel::next_expiration) does not see it.
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
    /// let mut wheel = Wheel::with_start(100);
    /// let key = wheel.insert_unsettled(50, "fifty after the settling moment");
    /// assert_eq!((wheel.len(), wheel.unsettled_len()), (1, 1));
    /// assert_eq!(wheel.deadline(key), None);
    /// wheel.advance(1_000, |_, _| unreachable!("not settled yet"));
    ///
    /// wheel.settle(|delay| 2_000 + delay);
    /// assert_eq!(wheel.deadline(key), Some(2_050));
    /// assert_eq!(wheel.next_expiration(), Some(2_050));
    /// ```
    #[inline]
    pub fn insert_unsettled(&mut self, delay: u64, value: T) -> TimerKey {
        self.insert_at(Home::Unsettled, delay, value)
    }

    /// How many timers wait for [`settle`](Wheel::settle).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// wheel.insert(10, ());
    /// let key = wheel.insert_unsettled(10, ());
    /// assert_eq!(wheel.unsettled_len(), 1);
    /// wheel.remove(key);
    /// assert_eq!(wheel.unsettled_len(), 0);
    /// ```
    #[inline]
    pub fn unsettled_len(&self) -> usize {
        self.unsettled_len
    }

    /// Gives every unsettled timer its deadline, `deadline_of(delay)`, and
    /// schedules it as [`insert`](Wheel::insert) would, in insertion order;
    /// O(1) per timer. A deadline not after [`now`](Wheel::now) is due at
    /// the next [`advance`](Wheel::advance).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage_timer::wheel::Wheel;
    ///
    /// let mut wheel = Wheel::new();
    /// wheel.insert_unsettled(30, 'a');
    /// wheel.insert_unsettled(10, 'b');
    /// let read_at = 500; // the clock, read once for both
    /// wheel.settle(|delay| read_at + delay);
    /// assert_eq!(wheel.unsettled_len(), 0);
    /// let mut fired = Vec::new();
    /// wheel.advance(600, |_, value| fired.push(value));
    /// assert_eq!(fired, ['b', 'a']);
    /// ```
    pub fn settle(&mut self, mut deadline_of: impl FnMut(u64) -> u64) {
        let mut cursor = self.unsettled.take();
        self.unsettled_len = 0;
        while cursor != NIL {
            let entry = &mut self.entries[cursor as usize];
            let next = std::mem::replace(&mut entry.next, NIL);
            entry.prev = NIL;
            entry.deadline = deadline_of(entry.deadline);
            self.schedule(cursor);
            cursor = next;
        }
    }
}
