//! Who holds the slots of a bounded channel: giving one back, handing the oldest waiting
//! sender the slots it wants, counting the free and the held ones. The rules are the
//! invariants in the parent module.

use std::task::Waker;

use super::State;

impl<T> State<T> {
    /// Gives a slot back to `permits`, and hands the oldest waiting sender its slots if
    /// that makes enough (its waker is returned, to be woken by the caller).
    ///
    /// After `close()`, the receiver waits for the slots still held: the last one given
    /// back wakes it (its waker is returned instead) to see the end.
    pub(super) fn release_slot(&mut self) -> Option<Waker> {
        self.max_capacity?;
        self.permits += 1;
        if !self.send_waiters.is_empty() {
            // At most one: the oldest wanted more than `permits` before this slot.
            return self.grant_oldest();
        }
        if self.rx_closed && self.held_slots() == 0 {
            return self.rx_waker.take();
        }
        None
    }

    /// Gives back `n` slots (a cancelled waiter's, or the unused ones of a `reserve_many`),
    /// returning the wakers to wake: as `n` calls of [`release_slot`](Self::release_slot),
    /// in one step whatever `n` (a `reserve_many` may hold nearly `usize::MAX` slots), so
    /// its cost is in the waiters served, not in the slots.
    pub(super) fn release_slots(&mut self, n: usize) -> Vec<Waker> {
        if n == 0 || self.max_capacity.is_none() {
            return Vec::new();
        }
        self.permits += n;
        let mut next = Vec::new();
        while let Some(waker) = self.grant_oldest() {
            next.push(waker);
        }
        if self.send_waiters.is_empty() && self.rx_closed && self.held_slots() == 0 {
            next.extend(self.rx_waker.take());
        }
        next
    }

    /// Hands the oldest waiting sender its slots if enough are free, returning its waker.
    pub(super) fn grant_oldest(&mut self) -> Option<Waker> {
        let oldest = self.send_waiters.front()?;
        let wants = self.wants[oldest];
        if self.permits < wants {
            return None;
        }
        self.permits -= wants;
        self.send_waiters.pop_front()
    }

    /// Queues a sender waiting for `slots` slots; returns its key.
    pub(super) fn queue_sender(&mut self, waker: &Waker, slots: usize) -> usize {
        let key = self.send_waiters.push_back(waker.clone());
        if self.wants.len() <= key {
            self.wants.resize(key + 1, 0);
        }
        self.wants[key] = slots;
        key
    }

    /// Free slots that a sender could take now: none while senders wait, as those free
    /// are gathered for the oldest.
    pub(super) fn free_slots(&self) -> usize {
        if self.send_waiters.is_empty() {
            self.permits
        } else {
            0
        }
    }

    /// Slots senders hold (granted to a waiting `send`, or in a permit), bounded only.
    pub(super) fn held_slots(&self) -> usize {
        self.max_capacity
            .map_or(0, |max| max - self.permits - self.queue.len())
    }
}
