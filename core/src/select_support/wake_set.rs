//! `WakeSet`: which branches of one `select!` were woken, and the task to wake.
//!
//! # Ground rules
//!
//! - **`woken`**: bit `i` is set by branch `i`'s waker, from any thread, with a `fetch_or`.
//!   Only the `select!` that leased the set clears bits, all at once, with the `swap` that
//!   starts each poll ([`WakeSet::take_woken`]); and [`WakeSet::reset`] zeroes it when the
//!   pool hands the set to a new `select!`. Wakers left behind by an earlier lease may still
//!   set bits: the new owner then polls a branch spuriously, which is harmless, and its
//!   first poll (which polls every branch, whatever the bits say) leaves it no wake-up to
//!   miss.
//! - **`parent`**: the waker of the task that polls the `select!`. Only the owner writes it
//!   (when the task's waker changes, and to clear it when a finished `select!` cannot give
//!   the set back to the pool, which otherwise keeps it: see `pool.rs`); wakers read it.
//!   Both sides hold the lock, so a stored waker is never torn or read while dropped. A
//!   kept parent that is not the waker the owner is polled with (one the pool kept, or one
//!   of an earlier poller of the same `select!`) is replaced at the start of the poll,
//!   before any branch runs, so the parent is always the waker of the set's latest poller:
//!   never a waker of a set nested inside it, and so never part of a cycle of wakes.
//!
//! # No lost wake-ups
//!
//! Every transition of `woken` from zero to non-zero wakes the parent found in the slot at
//! that moment ([`WakeSet::wake`]); bits set on a non-zero word rely on the wake of the
//! transition before them, which the owner has not consumed yet (it consumes bits only by
//! zeroing the word). The one gap is a parent that changes, or is stored for the first time:
//! a transition may have woken the old one (or nobody). So after storing a new parent the
//! owner reads `woken` again and wakes the new parent itself if any bit is set
//! ([`WakeSet::set_parent`]). The lock orders the two sides: either the waker took the lock
//! first, and then its `fetch_or` happened before the owner's read, which sees the bit; or it
//! took the lock after, and found the new parent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;

use super::parent::ParentSlot;

/// The shared half of a `select!`. Aligned to 64 bytes so the low 6 bits of its address are
/// zero and a branch waker can keep its branch index there (see `branch_waker.rs`); the
/// alignment also gives it a cache line of its own.
#[repr(align(64))]
pub(crate) struct WakeSet {
    /// Bit `i`: branch `i` was woken since the owner last looked.
    woken: AtomicU64,
    /// The task to wake when a bit goes up; `None` until a pending poll stores one. A pooled
    /// set keeps the last one.
    parent: ParentSlot,
}

/// A waker's identity, `(data, vtable)` addresses: equal ids mean `will_wake`. Kept beside a
/// set whose slot holds that waker, so the id cannot be reused while it is kept: the id of
/// the stored clone, that is, which [`WakeSet::set_parent`] returns.
pub(crate) type ParentId = (usize, usize);

/// The identity of `waker`.
#[inline]
pub(crate) fn parent_id(waker: &Waker) -> ParentId {
    (
        waker.data() as usize,
        std::ptr::from_ref(waker.vtable()) as usize,
    )
}

/// The low bits of a `WakeSet` address that are always zero: room for a branch index 0..64.
pub(crate) const INDEX_BITS: usize = 6;

const _: () = assert!(std::mem::align_of::<WakeSet>() == 1 << INDEX_BITS);

impl WakeSet {
    pub(crate) fn new() -> WakeSet {
        WakeSet {
            woken: AtomicU64::new(0),
            parent: ParentSlot::new(),
        }
    }

    /// Marks `branch` woken and, on the zero to non-zero transition, wakes the parent.
    pub(crate) fn wake(&self, branch: u32) {
        debug_assert!(branch < 64, "branch index {branch} out of range");
        // Release: what the waker wrote before waking is visible to the poll that takes the
        // bit. Acquire: orders this against the owner's swap when deciding who wakes.
        let before = self.woken.fetch_or(1 << branch, Ordering::AcqRel);
        if before == 0 {
            // Woken under the lock so the owner cannot drop the waker meanwhile. A parent's
            // wake never re-enters this set: a set's parent belongs to the code polling the
            // `select!`, never to one of its own branches.
            self.parent.with(|parent| {
                if let Some(parent) = parent {
                    parent.wake_by_ref();
                }
            });
        }
    }

    /// Takes the woken bits, leaving none.
    #[inline]
    pub(crate) fn take_woken(&self) -> u64 {
        // A plain load first: a poll with no branch woken (a spurious wake of the task) then
        // costs no read-modify-write.
        if self.woken.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        self.woken.swap(0, Ordering::AcqRel)
    }

    /// Stores a clone of `parent` as the task to wake, then wakes it at once if a branch was
    /// woken before it was stored (see "No lost wake-ups" above). Returns the id of the
    /// clone, which is not always `parent`'s: a waker lent for one poll may clone into a
    /// waker with another data pointer, and only the clone stays alive to keep its id from
    /// being reused.
    pub(crate) fn set_parent(&self, parent: &Waker) -> ParentId {
        let new = parent.clone();
        let id = parent_id(&new);
        // Dropped outside the lock: dropping a waker may run arbitrary code.
        let old = self.parent.with(|slot| slot.replace(new));
        drop(old);
        if self.woken.load(Ordering::Acquire) != 0 {
            parent.wake_by_ref();
        }
        id
    }

    /// Forgets the parent, so a waker that outlives the `select!` keeps no task alive and
    /// wakes nobody (for a set that does not go back to the pool).
    pub(crate) fn clear_parent(&self) {
        drop(self.take_parent());
    }

    /// Takes the parent out, for the caller to drop when it is safe to run arbitrary code.
    pub(crate) fn take_parent(&self) -> Option<Waker> {
        self.parent.with(Option::take)
    }

    /// Zeroes `woken` for a new lease.
    #[inline]
    pub(crate) fn reset(&self) {
        self.woken.store(0, Ordering::Relaxed);
    }
}
