//! `WakeSet`: which branches of one `select!` were woken, and the task to wake.
//!
//! # Ground rules
//!
//! - **Two words of woken bits.** Bit `i` is set by branch `i`'s waker. A set has a home
//!   thread, the one that made it (and whose pool alone ever keeps it: see `pool.rs`). A
//!   waker woken on the home thread sets its bit in `local` with a plain load and store; one
//!   woken on any other thread sets it in `remote` with a `fetch_or`. The home thread is
//!   where nearly every wake-up comes from (the Core's reactor, its timers, its tasks), and
//!   the plain path spares it two of the three read-modify-writes of a wake-up and the poll
//!   that follows (the `fetch_or`, and the `swap` that takes the bit). The home is a thread
//!   number (`thread_id.rs`): a thread started after the home ended may get the same number
//!   and then is the set's home, which keeps the rule (one live thread stores plainly, and
//!   it is the one whose pool takes the set back).
//! - **Only the `select!` that leased the set clears bits**, at the start of each poll
//!   ([`WakeSet::take_woken`]): `remote` with a `swap`, and `local` with a plain store on
//!   the home thread, or a `swap` when the `select!` is polled elsewhere (a `Send` future
//!   moved by a work-stealing executor); and [`WakeSet::lease`] zeroes both when the pool
//!   hands the set to a new `select!`. Wakers left behind by an earlier lease may still set
//!   bits: the new owner then polls a branch spuriously, which is harmless, and its first
//!   poll (which polls every branch, whatever the bits say) leaves it no wake-up to miss.
//!   While the set waits in the pool, a wake on the home thread sets no bit and wakes no
//!   parent: there is no `select!` to wake, and the next lease starts clean anyway.
//! - **`parent`**: the waker of the task that polls the `select!`. Only the owner writes it
//!   (when the task's waker changes, and to clear it when a finished `select!` cannot give
//!   the set back to the pool, which otherwise keeps it: see `pool.rs`); wakers read it.
//!   Both sides hold the lock, so a stored waker is never torn or read while dropped. A
//!   kept parent that is not the waker the owner is polled with (one the pool kept, or one
//!   of an earlier poller of the same `select!`) is replaced at the start of the poll,
//!   before any branch runs, so the parent is always the waker of the set's latest poller:
//!   never a waker of a set nested inside it, and so never part of a cycle of wakes of
//!   Mirage's own making. A parent that relays its wake to wakers it was handed can still
//!   lead back to this set, or to another whose parent relays back here; a branch wake
//!   therefore never waits for the lock, but hands its wake to the holder (`parent.rs`).
//!
//! # No lost wake-ups
//!
//! - **`remote`**: every transition from zero to non-zero wakes the parent found in the slot
//!   at that moment ([`WakeSet::wake`]); bits set on a non-zero word rely on the wake of the
//!   transition before them, which the owner has not consumed yet (it consumes bits only by
//!   zeroing the word).
//! - **`local`**: every wake on the home thread wakes the parent (or hands the wake to the
//!   thread holding the parent's slot, which then wakes it: `parent.rs`) after storing its
//!   bit, whatever the word held. A plain load and store is not atomic, and a `select!` polled on
//!   another thread may swap the word out between the two: the store then puts back bits
//!   that poll already took (a spurious poll of those branches later, which is harmless),
//!   and a wake that skipped the parent because the word it loaded was non-zero would be
//!   lost. Two threads never store plainly at once: only the home thread does.
//! - **A new parent**: the one gap left is a parent that changes, or is stored for the first
//!   time: a wake may have woken the old one (or nobody). So after storing a new parent the
//!   owner reads both words again and wakes the new parent itself if any bit is set
//!   ([`WakeSet::set_parent`]). The slot's lock orders the two sides: either the waker took
//!   the lock first, and then its bit was set before the owner's read, which sees it; or it
//!   took the lock after, and found the new parent; or it found the owner holding it and
//!   handed its wake over, which the owner carries out, to the new parent, as it lets go.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::Waker;

use super::parent::ParentSlot;
use crate::thread_id::this_thread;

/// The shared half of a `select!`. Aligned to 64 bytes so the low 6 bits of its address are
/// zero and a branch waker can keep its branch index there (see `branch_waker.rs`); the
/// alignment also gives it a cache line of its own.
#[repr(align(64))]
pub(crate) struct WakeSet {
    /// Bit `i`: branch `i` was woken on another thread than `home` since the owner last
    /// looked.
    remote: AtomicU64,
    /// Bit `i`: branch `i` was woken on `home` since the owner last looked. Only `home`
    /// stores bits here, with a plain load and store; the owner also zeroes it.
    local: AtomicU64,
    /// The thread that made the set ([`this_thread`]).
    home: usize,
    /// Whether a `select!` holds the set: false while it waits in `home`'s pool. Only
    /// `home` reads or writes it (the pool is `home`'s alone).
    leased: AtomicBool,
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
    /// A set whose home is the calling thread.
    pub(crate) fn new() -> WakeSet {
        WakeSet {
            remote: AtomicU64::new(0),
            local: AtomicU64::new(0),
            home: this_thread(),
            leased: AtomicBool::new(true),
            parent: ParentSlot::new(),
        }
    }

    /// Whether the calling thread is this set's home.
    #[inline]
    pub(crate) fn is_home(&self) -> bool {
        self.home == this_thread()
    }

    /// Marks `branch` woken and wakes the parent: always on the home thread, and on the
    /// zero to non-zero transition of `remote` elsewhere (see "No lost wake-ups" above).
    pub(crate) fn wake(&self, branch: u32) {
        debug_assert!(branch < 64, "branch index {branch} out of range");
        let bit = 1 << branch;
        if self.is_home() {
            // A set in the pool has no `select!` to wake: its next lease zeroes the bits and
            // polls every branch first. (The parent it keeps would only get a spurious wake.)
            if !self.leased.load(Ordering::Relaxed) {
                return;
            }
            // Release: what the waker wrote before waking is visible to a poll on another
            // thread that swaps the bit out. On this thread, program order does it.
            let before = self.local.load(Ordering::Relaxed);
            self.local.store(before | bit, Ordering::Release);
        } else {
            // Release: as above. Acquire: orders this against the owner's swap when deciding
            // who wakes.
            let before = self.remote.fetch_or(bit, Ordering::AcqRel);
            if before != 0 {
                return;
            }
        }
        // Never waits: a parent's wake may lead back here (see `parent.rs`).
        self.parent.wake();
    }

    /// Takes the woken bits, leaving none.
    #[inline]
    pub(crate) fn take_woken(&self) -> u64 {
        // Plain loads first: a word with no bit set then costs no write, and a poll with no
        // branch woken (a spurious wake of the task) no read-modify-write.
        let mut woken = self.local.load(Ordering::Relaxed);
        if woken != 0 {
            if self.is_home() {
                // Only this thread stores bits here, so nothing can come between.
                self.local.store(0, Ordering::Relaxed);
            } else {
                // The home thread may store a bit between the load and this swap.
                woken = self.local.swap(0, Ordering::Acquire);
            }
        }
        if self.remote.load(Ordering::Relaxed) != 0 {
            woken |= self.remote.swap(0, Ordering::AcqRel);
        }
        woken
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
        if self.remote.load(Ordering::Acquire) | self.local.load(Ordering::Acquire) != 0 {
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

    /// Marks the set leased, with both words zeroed, as the pool hands it to a new
    /// `select!`. Called on the home thread.
    #[inline]
    pub(crate) fn lease(&self) {
        debug_assert!(
            self.is_home(),
            "a wake set leased away from its home thread"
        );
        self.local.store(0, Ordering::Relaxed);
        self.remote.store(0, Ordering::Relaxed);
        self.leased.store(true, Ordering::Relaxed);
    }

    /// Marks the set as back in the pool. Called on the home thread.
    #[inline]
    pub(crate) fn unlease(&self) {
        debug_assert!(
            self.is_home(),
            "a wake set pooled away from its home thread"
        );
        self.leased.store(false, Ordering::Relaxed);
    }
}
