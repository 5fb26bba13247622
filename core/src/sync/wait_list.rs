//! A FIFO list of parked tasks with O(1) push, pop and removal.
//!
//! Entries live in a slab (`Vec` plus free list) and are threaded into a
//! doubly linked list by index, so a cancelled waiter is unlinked and its slot
//! recycled immediately: storage is bounded by the number of *live* waiters,
//! never by how many waiters were ever cancelled.
//!
//! The list never wakes or drops a [`Waker`] itself. Every method that removes
//! a waker hands it back to the caller, who must release any `RefCell` borrow
//! of the channel before waking or dropping it (either may run arbitrary code
//! that re-enters the channel).

use std::task::Waker;

/// Sentinel index meaning "no entry".
const NIL: usize = usize::MAX;

/// When the list becomes empty, slot storage larger than this is released.
const KEEP_CAPACITY: usize = 64;

/// FIFO of parked tasks; see the module docs.
pub(crate) struct WaitList {
    slots: Vec<Slot>,
    /// Head of the free-slot chain.
    free: usize,
    /// Oldest linked waiter.
    head: usize,
    /// Newest linked waiter.
    tail: usize,
    /// Number of occupied slots (linked or not).
    occupied: usize,
}

enum Slot {
    Vacant { next_free: usize },
    Occupied(Node),
}

struct Node {
    waker: Option<Waker>,
    prev: usize,
    next: usize,
    /// Still queued in the FIFO.
    linked: bool,
    /// Popped by [`WaitList::pop_front`] (e.g. granted a slot) or [`WaitList::pop_back`].
    notified: bool,
    /// Popped by [`WaitList::pop_back`]: a `Notify` passes such a wake-up on the same way.
    popped_back: bool,
}

/// Stores `waker` in `slot` unless the current one `will_wake` it, avoiding a
/// clone. Returns the replaced waker, which the caller drops after releasing
/// its borrow (dropping a waker may drop a task, which may re-enter).
#[must_use = "the old waker must be dropped outside the channel borrow"]
pub(crate) fn update_waker(slot: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    match slot {
        Some(current) if current.will_wake(waker) => None,
        _ => slot.replace(waker.clone()),
    }
}

/// What [`WaitList::remove`] hands back.
pub(crate) struct Removed {
    /// The entry had been popped by [`WaitList::pop_front`] or [`WaitList::pop_back`].
    pub(crate) notified: bool,
    /// It was [`WaitList::pop_back`] that popped it.
    pub(crate) popped_back: bool,
    /// The entry's waker, to be dropped once no borrow is held.
    pub(crate) waker: Option<Waker>,
}

impl Default for WaitList {
    fn default() -> Self {
        WaitList::new()
    }
}

impl WaitList {
    /// Creates an empty list; does not allocate.
    pub(crate) const fn new() -> Self {
        WaitList {
            slots: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            occupied: 0,
        }
    }

    /// Returns `true` if no entry is queued (removed-but-occupied entries do
    /// not count).
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Queues `waker` at the back and returns the entry's key.
    pub(crate) fn push_back(&mut self, waker: Waker) -> usize {
        let node = Node {
            waker: Some(waker),
            prev: self.tail,
            next: NIL,
            linked: true,
            notified: false,
            popped_back: false,
        };
        let key = if self.free == NIL {
            self.slots.push(Slot::Occupied(node));
            self.slots.len() - 1
        } else {
            let key = self.free;
            match std::mem::replace(&mut self.slots[key], Slot::Occupied(node)) {
                Slot::Vacant { next_free } => self.free = next_free,
                Slot::Occupied(_) => unreachable!("wait list free chain points at a live entry"),
            }
            key
        };
        if self.tail == NIL {
            self.head = key;
        } else {
            self.node_mut(self.tail).next = key;
        }
        self.tail = key;
        self.occupied += 1;
        key
    }

    /// The key of the oldest queued entry.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// Unlinks the oldest queued entry, marks it notified and returns its
    /// waker. The entry keeps its slot until [`remove`](Self::remove).
    pub(crate) fn pop_front(&mut self) -> Option<Waker> {
        if self.head == NIL {
            return None;
        }
        let key = self.head;
        self.unlink(key);
        let node = self.node_mut(key);
        node.notified = true;
        node.waker.take()
    }

    /// Unlinks the newest queued entry, marks it notified (and popped from the back) and
    /// returns its waker. The entry keeps its slot until [`remove`](Self::remove).
    pub(crate) fn pop_back(&mut self) -> Option<Waker> {
        if self.tail == NIL {
            return None;
        }
        let key = self.tail;
        self.unlink(key);
        let node = self.node_mut(key);
        node.notified = true;
        node.popped_back = true;
        node.waker.take()
    }

    /// Unlinks every queued entry *without* marking it notified and returns
    /// their wakers in FIFO order (used when the channel closes).
    pub(crate) fn take_all(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::new();
        while self.head != NIL {
            let key = self.head;
            self.unlink(key);
            if let Some(waker) = self.node_mut(key).waker.take() {
                wakers.push(waker);
            }
        }
        wakers
    }

    /// Returns `true` if entry `key` was popped by [`pop_front`](Self::pop_front) or
    /// [`pop_back`](Self::pop_back).
    pub(crate) fn is_notified(&self, key: usize) -> bool {
        match &self.slots[key] {
            Slot::Occupied(node) => node.notified,
            Slot::Vacant { .. } => unreachable!("stale wait list key"),
        }
    }

    /// Returns `true` if entry `key` was popped by [`pop_back`](Self::pop_back).
    #[cfg(test)]
    pub(crate) fn is_popped_back(&self, key: usize) -> bool {
        match &self.slots[key] {
            Slot::Occupied(node) => node.popped_back,
            Slot::Vacant { .. } => unreachable!("stale wait list key"),
        }
    }

    /// Stores `waker` in entry `key` unless the current one `will_wake` it.
    /// Returns the replaced waker, which the caller drops after releasing its
    /// borrow.
    #[must_use = "the old waker must be dropped outside the channel borrow"]
    pub(crate) fn set_waker(&mut self, key: usize, waker: &Waker) -> Option<Waker> {
        update_waker(&mut self.node_mut(key).waker, waker)
    }

    /// Queues a waiter whose entry is `key` (`None`: it has none yet), as the
    /// futures that wait on a list do at each pending poll: refreshes the waker
    /// of an entry still queued, and queues again at the back one that
    /// [`take_all`](Self::take_all) or [`pop_front`](Self::pop_front) unlinked.
    /// Returns a replaced waker, which the caller drops after releasing its
    /// borrow.
    #[must_use = "the old waker must be dropped outside the channel borrow"]
    pub(crate) fn park(&mut self, key: &mut Option<usize>, waker: &Waker) -> Option<Waker> {
        match *key {
            Some(queued) if self.node_mut(queued).linked => self.set_waker(queued, waker),
            Some(unlinked) => {
                let old = self.remove(unlinked).waker;
                *key = Some(self.push_back(waker.clone()));
                old
            }
            None => {
                *key = Some(self.push_back(waker.clone()));
                None
            }
        }
    }

    /// Frees entry `key`, unlinking it if still queued.
    #[must_use = "the removed waker must be dropped outside the channel borrow"]
    pub(crate) fn remove(&mut self, key: usize) -> Removed {
        if self.node_mut(key).linked {
            self.unlink(key);
        }
        let slot = std::mem::replace(
            &mut self.slots[key],
            Slot::Vacant {
                next_free: self.free,
            },
        );
        let Slot::Occupied(node) = slot else {
            unreachable!("stale wait list key");
        };
        self.free = key;
        self.occupied -= 1;
        if self.occupied == 0 {
            // Nothing references any slot any more: reset the free chain and
            // give back memory left over from a burst of waiters.
            self.slots.clear();
            self.free = NIL;
            if self.slots.capacity() > KEEP_CAPACITY {
                self.slots.shrink_to(KEEP_CAPACITY);
            }
        }
        Removed {
            notified: node.notified,
            popped_back: node.popped_back,
            waker: node.waker,
        }
    }

    /// Number of slots currently allocated (live plus recyclable).
    #[cfg(test)]
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    fn node_mut(&mut self, key: usize) -> &mut Node {
        match &mut self.slots[key] {
            Slot::Occupied(node) => node,
            Slot::Vacant { .. } => unreachable!("stale wait list key"),
        }
    }

    fn unlink(&mut self, key: usize) {
        let node = self.node_mut(key);
        debug_assert!(node.linked);
        node.linked = false;
        let (prev, next) = (node.prev, node.next);
        node.prev = NIL;
        node.next = NIL;
        if prev == NIL {
            self.head = next;
        } else {
            self.node_mut(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.node_mut(next).prev = prev;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WaitList;
    use crate::sync::test_util::counting_waker;

    #[test]
    fn fifo_order_and_removal_from_the_middle() {
        let mut list = WaitList::new();
        let wakers: Vec<_> = (0..4).map(|_| counting_waker()).collect();
        let keys: Vec<_> = wakers
            .iter()
            .map(|(_, w)| list.push_back(w.clone()))
            .collect();
        let removed = list.remove(keys[1]);
        assert!(!removed.notified);
        for expected in [0, 2, 3] {
            list.pop_front().unwrap().wake();
            assert_eq!(wakers[expected].0.count(), 1);
        }
        assert!(list.pop_front().is_none());
        assert_eq!(wakers[1].0.count(), 0);
        assert!(list.is_notified(keys[0]));
        assert!(list.remove(keys[0]).notified);
    }

    #[test]
    fn slots_are_recycled_and_released_when_empty() {
        let mut list = WaitList::new();
        let (_, waker) = counting_waker();
        let keys: Vec<_> = (0..1000).map(|_| list.push_back(waker.clone())).collect();
        assert_eq!(list.slot_count(), 1000);
        for key in keys.iter().rev().skip(1) {
            let _ = list.remove(*key);
        }
        let again = list.push_back(waker.clone());
        assert!(again < 1000, "a freed slot must be reused");
        let _ = list.remove(again);
        let _ = list.remove(keys[999]);
        assert_eq!(list.slot_count(), 0);
        assert!(list.slots.capacity() <= super::KEEP_CAPACITY);
        assert!(list.is_empty());
    }

    #[test]
    fn park_refreshes_a_queued_entry_and_requeues_an_unlinked_one() {
        let mut list = WaitList::new();
        let (first, waker) = counting_waker();
        let (second, other) = counting_waker();
        let mut key = None;
        assert!(list.park(&mut key, &waker).is_none());
        let queued = key.unwrap();
        // The same waker again: kept (`will_wake`, which Miri may not honour, so unchecked).
        drop(list.park(&mut key, &waker));
        assert_eq!(key, Some(queued));
        drop(list.park(&mut key, &other));
        assert_eq!(
            key,
            Some(queued),
            "still queued: the waker is replaced in place"
        );
        list.take_all().into_iter().for_each(|w| w.wake());
        assert_eq!((first.count(), second.count()), (0, 1));
        assert!(list.is_empty());
        drop(list.park(&mut key, &waker));
        assert!(!list.is_empty(), "queued again after take_all");
        list.pop_front().unwrap().wake();
        assert_eq!(first.count(), 1);
        drop(list.remove(key.unwrap()));
        assert_eq!(list.slot_count(), 0);
    }

    #[test]
    fn pop_back_takes_the_newest_and_marks_it() {
        let mut list = WaitList::new();
        let wakers: Vec<_> = (0..3).map(|_| counting_waker()).collect();
        let keys: Vec<_> = wakers
            .iter()
            .map(|(_, w)| list.push_back(w.clone()))
            .collect();
        list.pop_back().unwrap().wake();
        assert_eq!(wakers[2].0.count(), 1);
        assert!(list.is_notified(keys[2]) && list.is_popped_back(keys[2]));
        list.pop_front().unwrap().wake();
        assert_eq!(wakers[0].0.count(), 1);
        assert!(list.is_notified(keys[0]) && !list.is_popped_back(keys[0]));
        list.pop_back().unwrap().wake();
        assert_eq!(wakers[1].0.count(), 1, "the only one left");
        assert!(list.pop_back().is_none() && list.is_empty());
        let removed = list.remove(keys[2]);
        assert!(removed.notified && removed.popped_back);
    }

    #[test]
    fn take_all_unlinks_without_notifying() {
        let mut list = WaitList::new();
        let (counter, waker) = counting_waker();
        let a = list.push_back(waker.clone());
        let b = list.push_back(waker);
        let all = list.take_all();
        assert_eq!(all.len(), 2);
        assert!(list.is_empty());
        assert!(!list.is_notified(a));
        all.into_iter().for_each(|w| w.wake());
        assert_eq!(counter.count(), 2);
        assert!(!list.remove(a).notified);
        assert!(!list.remove(b).notified);
        assert_eq!(list.slot_count(), 0);
    }
}
