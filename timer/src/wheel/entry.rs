//! The slab entry of one timer and the index-linked lists threaded through
//! the entries.
//!
//! Every list (a level's slot, the parked list, the due list) is a doubly
//! linked list whose links are slab indices stored in the entries, so a
//! timer is unlinked in O(1) from its key alone, with no allocation per
//! list and no search.

use std::num::NonZeroU64;
use std::ops::{Index, IndexMut};

/// "No entry" in a link; the wheel never hands out this slab index.
pub(crate) const NIL: u32 = u32::MAX;

/// Which list an entry is linked into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Home {
    /// A slot of a level.
    Slot {
        /// Level index.
        level: u8,
        /// Slot within the level.
        slot: u8,
    },
    /// The parked list: beyond the top level's reach.
    Parked,
    /// The due list: inserted with a deadline not after `now`.
    Due,
    /// The unsettled list, waiting for [`Wheel::settle`](super::Wheel::settle): the
    /// entry's `deadline` holds its delay.
    Unsettled,
}

/// One pending timer, as stored in the slab.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    /// The payload handed back on expiry.
    pub(crate) value: T,
    /// Tick at (or after) which the timer is due.
    pub(crate) deadline: u64,
    /// Must match the key's generation; see [`super::TimerKey`].
    pub(crate) generation: NonZeroU64,
    /// Previous entry in the same list, or [`NIL`].
    pub(crate) prev: u32,
    /// Next entry in the same list, or [`NIL`].
    pub(crate) next: u32,
    /// The list holding this entry.
    pub(crate) home: Home,
}

impl<T> Entry<T> {
    /// An unlinked entry.
    pub(crate) fn new(value: T, deadline: u64, generation: NonZeroU64) -> Self {
        Entry {
            value,
            deadline,
            generation,
            prev: NIL,
            next: NIL,
            home: Home::Due,
        }
    }
}

/// The storage of the entries: a vector of slots with a free list threaded
/// through the vacant ones, as `slab::Slab` keeps them, but with insert and
/// remove inlined into the timer path (`Slab::insert` was an out-of-line
/// call that looked the slot up twice).
#[derive(Debug)]
pub(crate) struct Entries<T> {
    slots: Vec<Slot<T>>,
    /// The first vacant slot; `slots.len()` when none is.
    next_free: usize,
    /// Occupied slots.
    len: usize,
}

/// One slot of [`Entries`].
#[derive(Debug)]
enum Slot<T> {
    /// Free; holds the next free slot (`slots.len()` at the end of the list).
    Vacant(usize),
    /// Off the free list for a key whose timer is not stored yet; holds that key's
    /// generation.
    Reserved(NonZeroU64),
    Occupied(Entry<T>),
}

impl<T> Entries<T> {
    pub(crate) fn new() -> Self {
        Entries {
            slots: Vec::new(),
            next_free: 0,
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The index the next [`insert`](Entries::insert) or
    /// [`reserve`](Entries::reserve) takes.
    ///
    /// # Panics
    ///
    /// If that index would not fit a link (`u32`, less [`NIL`]).
    #[inline]
    pub(crate) fn vacant_index(&self) -> u32 {
        match u32::try_from(self.next_free) {
            Ok(index) if index != NIL => index,
            _ => panic!("a Wheel holds at most u32::MAX timers"),
        }
    }

    /// Stores `entry` at [`vacant_index`](Entries::vacant_index) and returns that index.
    #[inline]
    pub(crate) fn insert(&mut self, entry: Entry<T>) -> usize {
        let index = self.pop_free(Slot::Occupied(entry));
        self.len += 1;
        index
    }

    /// Takes a vacant slot for an entry stored later by
    /// [`fill`](Entries::fill), or given back by [`release`](Entries::release);
    /// it is marked with the `generation` of the key that holds it.
    #[inline]
    pub(crate) fn reserve(&mut self, generation: NonZeroU64) -> u32 {
        let index = self.vacant_index();
        self.pop_free(Slot::Reserved(generation));
        index
    }

    /// Whether `index` is reserved for the key of `generation`.
    #[inline]
    pub(crate) fn is_reserved(&self, index: usize, generation: NonZeroU64) -> bool {
        matches!(self.slots.get(index), Some(Slot::Reserved(held)) if *held == generation)
    }

    /// Gives a slot [`is_reserved`](Entries::is_reserved) back to the free list.
    #[inline]
    pub(crate) fn release(&mut self, index: usize) {
        debug_assert!(matches!(self.slots[index], Slot::Reserved(_)));
        self.slots[index] = Slot::Vacant(self.next_free);
        self.next_free = index;
    }

    /// Stores `entry` in a slot [`is_reserved`](Entries::is_reserved).
    #[inline]
    pub(crate) fn fill(&mut self, index: usize, entry: Entry<T>) {
        debug_assert!(matches!(self.slots[index], Slot::Reserved(_)));
        self.slots[index] = Slot::Occupied(entry);
        self.len += 1;
    }

    /// Puts `slot` in the first vacant slot (or a new one), returning its index.
    /// Always inlined, so that each caller writes only the variant it stores.
    #[inline(always)]
    fn pop_free(&mut self, slot: Slot<T>) -> usize {
        let index = self.next_free;
        match self.slots.get_mut(index) {
            Some(vacant) => {
                let Slot::Vacant(next) = *vacant else {
                    unreachable!("free list reaches taken slot {index}")
                };
                self.next_free = next;
                *vacant = slot;
            }
            None => {
                self.slots.push(slot);
                self.next_free = index + 1;
            }
        }
        index
    }

    /// Takes the entry at `index` out.
    ///
    /// # Panics
    ///
    /// If no entry is stored there.
    #[inline]
    pub(crate) fn remove(&mut self, index: usize) -> Entry<T> {
        let slot = &mut self.slots[index];
        if !matches!(slot, Slot::Occupied(_)) {
            panic!("no timer entry at {index}");
        }
        let Slot::Occupied(entry) = std::mem::replace(slot, Slot::Vacant(self.next_free)) else {
            unreachable!()
        };
        self.next_free = index;
        self.len -= 1;
        entry
    }

    /// The entry at `index`, if one is stored there.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&Entry<T>> {
        match self.slots.get(index) {
            Some(Slot::Occupied(entry)) => Some(entry),
            _ => None,
        }
    }
}

impl<T> Index<usize> for Entries<T> {
    type Output = Entry<T>;

    #[inline]
    fn index(&self, index: usize) -> &Entry<T> {
        match &self.slots[index] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant(_) | Slot::Reserved(_) => panic!("no timer entry at {index}"),
        }
    }
}

impl<T> IndexMut<usize> for Entries<T> {
    #[inline]
    fn index_mut(&mut self, index: usize) -> &mut Entry<T> {
        match &mut self.slots[index] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant(_) | Slot::Reserved(_) => panic!("no timer entry at {index}"),
        }
    }
}

/// Head and tail of one index-linked list, and a lower bound of the
/// deadlines in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct List {
    head: u32,
    tail: u32,
    /// Minimum deadline pushed since the list was last empty. Removal does
    /// not raise it (that would need a scan), so it is a lower bound that
    /// is exact until the earliest entry is unlinked.
    min_deadline: u64,
}

impl List {
    /// An empty list.
    pub(crate) const EMPTY: List = List {
        head: NIL,
        tail: NIL,
        min_deadline: u64::MAX,
    };

    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// First entry, or [`NIL`].
    pub(crate) fn head(&self) -> u32 {
        self.head
    }

    /// Last entry, or [`NIL`].
    #[cfg(test)]
    pub(crate) fn tail(&self) -> u32 {
        self.tail
    }

    /// Lower bound of the deadlines in the list (`u64::MAX` when empty).
    pub(crate) fn min_deadline(&self) -> u64 {
        self.min_deadline
    }

    /// Appends an entry that is not in the slab yet, due at `deadline`, as
    /// slab index `index`: links the old tail to it and returns that tail
    /// (or [`NIL`]), which the caller stores as the new entry's `prev` (its
    /// `next` is [`NIL`]). Saves `push_back`'s lookups of the new entry.
    #[inline]
    pub(crate) fn push_back_new<T>(
        &mut self,
        entries: &mut Entries<T>,
        index: u32,
        deadline: u64,
    ) -> u32 {
        let tail = self.tail;
        if tail == NIL {
            self.head = index;
            self.min_deadline = deadline;
        } else {
            entries[tail as usize].next = index;
            self.min_deadline = self.min_deadline.min(deadline);
        }
        self.tail = index;
        tail
    }

    /// Unlinks an entry already taken out of the slab, given its links.
    #[inline]
    pub(crate) fn unlink_removed<T>(&mut self, entries: &mut Entries<T>, prev: u32, next: u32) {
        if prev == NIL {
            self.head = next;
        } else {
            entries[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            entries[next as usize].prev = prev;
        }
        if self.head == NIL {
            self.min_deadline = u64::MAX;
        }
    }

    /// Appends `index`, which must not be linked anywhere.
    pub(crate) fn push_back<T>(&mut self, entries: &mut Entries<T>, index: u32) {
        let entry = &mut entries[index as usize];
        debug_assert!(
            entry.prev == NIL && entry.next == NIL && self.head != index,
            "pushing linked entry {index}: prev {} next {} list {self:?}",
            entry.prev,
            entry.next
        );
        entry.next = NIL;
        let deadline = entry.deadline;
        let tail = self.push_back_new(entries, index, deadline);
        entries[index as usize].prev = tail;
    }

    /// Unlinks `index`, which must be in this list.
    pub(crate) fn unlink<T>(&mut self, entries: &mut Entries<T>, index: u32) {
        let entry = &mut entries[index as usize];
        let (prev, next) = (entry.prev, entry.next);
        entry.prev = NIL;
        entry.next = NIL;
        debug_assert!(
            (prev != NIL || self.head == index) && (next != NIL || self.tail == index),
            "unlinking {index}, not in {self:?}"
        );
        self.unlink_removed(entries, prev, next);
    }

    /// Unlinks and returns the first entry.
    pub(crate) fn pop_front<T>(&mut self, entries: &mut Entries<T>) -> Option<u32> {
        let head = self.head;
        if head == NIL {
            return None;
        }
        self.unlink(entries, head);
        Some(head)
    }

    /// Empties the list, returning the head of the detached chain. The
    /// caller walks it through `next` (reading `next` before relinking an
    /// entry) and must relink or remove every entry of it.
    pub(crate) fn take(&mut self) -> u32 {
        std::mem::replace(self, List::EMPTY).head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    #[test]
    fn slot_fits_in_64_bytes_for_a_waker_sized_payload() {
        // A `std::task::Waker` is two pointers.
        assert_eq!(size_of::<[usize; 2]>(), size_of::<std::task::Waker>());
        let entry = size_of::<Entry<[usize; 2]>>();
        let slot = size_of::<Slot<[usize; 2]>>();
        assert!(slot <= 64, "slot is {slot} bytes (entry {entry})");
        assert!(size_of::<Slot<std::task::Waker>>() <= 64);
        // 16 (value) + 8 (deadline) + 8 (generation) + 2 * 4 (links)
        // + 3 (home) = 43, padded to 48; the vacant variant fits in the
        // niche of `Home`, so the slot adds nothing.
        assert_eq!(entry, 48);
        assert_eq!(slot, 48);
    }

    #[test]
    fn entries_reuse_freed_slots_last_freed_first() {
        let mut entries = Entries::new();
        let a = entries.insert(Entry::new('a', 1, NonZeroU64::MIN));
        let b = entries.insert(Entry::new('b', 2, NonZeroU64::MIN));
        let c = entries.insert(Entry::new('c', 3, NonZeroU64::MIN));
        assert_eq!((a, b, c, entries.len()), (0, 1, 2, 3));
        assert_eq!(entries.remove(a).value, 'a');
        assert_eq!(entries.remove(c).value, 'c');
        assert!(entries.get(a).is_none() && entries.get(c).is_none() && entries.get(9).is_none());
        let reserved = entries.reserve(NonZeroU64::MIN);
        assert_eq!(
            reserved as usize, c,
            "a reservation takes the slot freed last"
        );
        assert!(entries.is_reserved(c, NonZeroU64::MIN) && entries.get(c).is_none());
        assert!(
            !entries.is_reserved(c, NonZeroU64::MAX) && !entries.is_reserved(a, NonZeroU64::MIN)
        );
        entries.release(c);
        assert_eq!(entries.insert(Entry::new('d', 4, NonZeroU64::MIN)), c);
        assert_eq!(entries.insert(Entry::new('e', 5, NonZeroU64::MIN)), a);
        assert_eq!(entries.insert(Entry::new('f', 6, NonZeroU64::MIN)), 3);
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[b].value, 'b');
        entries[b].value = 'B';
        assert_eq!(entries.get(b).map(|e| e.value), Some('B'));
        for index in [a, b, c, 3] {
            entries.remove(index);
        }
        assert!(entries.is_empty());
    }

    #[test]
    #[should_panic(expected = "no timer entry at 0")]
    fn removing_a_vacant_slot_panics() {
        let mut entries = Entries::new();
        let a = entries.insert(Entry::new((), 1, NonZeroU64::MIN));
        entries.remove(a);
        entries.remove(a);
    }

    fn list_of(entries: &Entries<u32>, list: &List) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cur = list.head();
        let mut prev = NIL;
        while cur != NIL {
            assert_eq!(entries[cur as usize].prev, prev);
            out.push(entries[cur as usize].value);
            prev = cur;
            cur = entries[cur as usize].next;
        }
        assert_eq!(list.tail, prev);
        out
    }

    #[test]
    fn push_unlink_pop() {
        let mut entries = Entries::new();
        let mut list = List::EMPTY;
        let ids: Vec<u32> = (0..5u32)
            .map(|i| entries.insert(Entry::new(i, 100 - u64::from(i), NonZeroU64::MIN)) as u32)
            .collect();
        for &id in &ids {
            list.push_back(&mut entries, id);
        }
        assert_eq!(list_of(&entries, &list), [0, 1, 2, 3, 4]);
        assert_eq!(list.min_deadline(), 96);
        list.unlink(&mut entries, ids[2]);
        list.unlink(&mut entries, ids[4]);
        assert_eq!(list_of(&entries, &list), [0, 1, 3]);
        // A lower bound: not raised by removing the minimum.
        assert_eq!(list.min_deadline(), 96);
        assert_eq!(list.pop_front(&mut entries), Some(ids[0]));
        list.unlink(&mut entries, ids[3]);
        assert_eq!(list_of(&entries, &list), [1]);
        assert_eq!(list.pop_front(&mut entries), Some(ids[1]));
        assert!(list.is_empty());
        assert_eq!(list.min_deadline(), u64::MAX);
        assert_eq!(list.pop_front(&mut entries), None);
        // Refilled, the bound starts afresh.
        list.push_back(&mut entries, ids[0]);
        assert_eq!(list.min_deadline(), 100);
        assert_eq!(list.take(), ids[0]);
        assert!(list.is_empty());
    }
}
