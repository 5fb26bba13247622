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
//!   that follows (the `fetch_or`, and the `swap` that takes the bit).
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
//!   Mirage's own making (a parent that relays its wake to wakers it was handed can still
//!   reach this set again: see [`WakeSet::wake_parent`]).
//!
//! # No lost wake-ups
//!
//! - **`remote`**: every transition from zero to non-zero wakes the parent found in the slot
//!   at that moment ([`WakeSet::wake`]); bits set on a non-zero word rely on the wake of the
//!   transition before them, which the owner has not consumed yet (it consumes bits only by
//!   zeroing the word).
//! - **`local`**: every wake on the home thread wakes the parent after storing its bit,
//!   whatever the word held. A plain load and store is not atomic, and a `select!` polled on
//!   another thread may swap the word out between the two: the store then puts back bits
//!   that poll already took (a spurious poll of those branches later, which is harmless),
//!   and a wake that skipped the parent because the word it loaded was non-zero would be
//!   lost. Two threads never store plainly at once: only the home thread does.
//! - **A new parent**: the one gap left is a parent that changes, or is stored for the first
//!   time: a wake may have woken the old one (or nobody). So after storing a new parent the
//!   owner reads both words again and wakes the new parent itself if any bit is set
//!   ([`WakeSet::set_parent`]). The lock orders the two sides: either the waker took the lock
//!   first, and then its bit was set before the owner's read, which sees it; or it took the
//!   lock after, and found the new parent.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::Waker;

use super::parent::ParentSlot;

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
    /// The thread waking the parent, while it holds the lock; 0 otherwise. Written only by
    /// the lock holder ([`WakeSet::wake_parent`]).
    waking: AtomicUsize,
    /// A branch of this set was woken from inside its own parent wake: wake the parent once
    /// more. Only the thread in `waking` touches it.
    wake_again: AtomicBool,
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
            waking: AtomicUsize::new(0),
            wake_again: AtomicBool::new(false),
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
        let thread = this_thread();
        if self.home == thread {
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
        self.wake_parent(thread);
    }

    /// Wakes the parent, if any, under the lock so the owner cannot drop it meanwhile.
    ///
    /// A parent's wake may reach this set again on the same thread: a parent that wakes
    /// wakers it was handed, as `futures`' `Shared` does, one of them a branch waker of this
    /// set (a `select!` inside a shared future, with a branch awaiting a clone of it). The
    /// lock is held then, and not re-entrant, so the inner wake only asks this one to wake
    /// the parent once more when it is done: after the inner bit was stored, so that a
    /// `select!` polled meanwhile on another thread cannot have taken the bits without it.
    ///
    /// Across threads relays can still deadlock: two sets whose parents relay wakes to each
    /// other's branches, woken at the same moment on two threads, each hold one lock and
    /// wait for the other. Waking a clone of the parent after releasing the lock would end
    /// that, for a waker clone and drop per wake (two more read-modify-writes on a task
    /// waker); a lock that a waker finding it held hands its wake to instead of waiting
    /// would too, for one.
    fn wake_parent(&self, thread: usize) {
        // Only the thread holding the lock stores its id here, and clears it before letting
        // go: reading this thread's own id means this thread holds the lock, below us.
        if self.waking.load(Ordering::Relaxed) == thread {
            self.wake_again.store(true, Ordering::Relaxed);
            return;
        }
        self.parent.with(|parent| {
            let Some(parent) = parent else { return };
            // Cleared by the guard, also if the wake panics.
            self.waking.store(thread, Ordering::Relaxed);
            let _waking = ClearWaking(self);
            loop {
                parent.wake_by_ref();
                if !self.wake_again.load(Ordering::Relaxed) {
                    break;
                }
                self.wake_again.store(false, Ordering::Relaxed);
            }
        });
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

/// Clears [`WakeSet::wake_parent`]'s marks when its wake is over.
struct ClearWaking<'a>(&'a WakeSet);

impl Drop for ClearWaking<'_> {
    fn drop(&mut self) {
        self.0.wake_again.store(false, Ordering::Relaxed);
        self.0.waking.store(0, Ordering::Relaxed);
    }
}

thread_local! {
    /// Nothing but an address that differs from every other live thread's.
    static THREAD: u8 = const { 0 };
}

/// An id of the calling thread: the address of its [`THREAD`]. Two threads alive at once
/// never share one; a thread started after another ended may reuse its id, which can only
/// make it the home of sets whose home is gone, and one thread at a time is all the plain
/// path needs.
#[inline]
pub(crate) fn this_thread() -> usize {
    // A `u8` with a `const` initialiser has no destructor, so it is there for the whole life
    // of the thread, even while other thread-locals are destroyed.
    THREAD.with(|thread| std::ptr::from_ref(thread).addr())
}
