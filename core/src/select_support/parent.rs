//! `ParentSlot`: where a `select!` keeps the waker of the task polling it, for its branch
//! wakers to wake.
//!
//! An `Option<Waker>` behind a small lock with one twist: a wake never waits for it. A
//! branch wake that finds the slot held hands its wake to the holder (the `HANDED` bit) and
//! returns; the holder wakes the parent once more before it lets go. Waiting would deadlock
//! whenever the parent's own wake leads back to a held slot: a parent that relays its wake
//! to wakers it was handed (as `futures`' `Shared` does), one of them a branch of this
//! `select!` (the holder is then the waking thread itself), or of another `select!` whose
//! parent relays back to this one while a second thread holds that one's slot.
//!
//! Only the owner's writes (storing a new parent, clearing it) wait for the lock, spinning
//! briefly and then yielding the thread; those critical sections are a swap. A hand-over that
//! comes in while a writer holds the slot is carried out by the writer once it has let go.

use std::cell::UnsafeCell;
use std::hint;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::Waker;

/// The parent waker of one `select!`, behind the lock that a wake hands over instead of
/// waiting for (see the module docs).
pub(crate) struct ParentSlot {
    /// [`LOCKED`] and [`HANDED`].
    state: AtomicU8,
    /// Only touched by the thread that set `LOCKED`.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the `Waker` inside is `Send + Sync`, and it is only reached by the thread holding
// `LOCKED` (`with` and `wake`): no two threads ever access it at once.
unsafe impl Sync for ParentSlot {}

/// A thread holds the slot.
const LOCKED: u8 = 1;
/// A wake came in while the slot was held: the holder wakes the parent before letting go.
/// Only ever set together with `LOCKED`.
const HANDED: u8 = 2;

/// A writer spins this many times before yielding the thread.
const SPINS_BEFORE_YIELD: u32 = 64;

impl ParentSlot {
    pub(crate) const fn new() -> ParentSlot {
        ParentSlot {
            state: AtomicU8::new(0),
            waker: UnsafeCell::new(None),
        }
    }

    /// Runs `f` on the slot with the lock held, waiting for it. `f` must not reach this slot
    /// again. Whatever `f` returns is dropped by the caller, after the lock is released and
    /// after any wake handed over meanwhile has been carried out.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Option<Waker>) -> R) -> R {
        self.lock();
        let held = Held(self);
        // SAFETY: this thread set `LOCKED`, which `held` keeps until it is dropped: the only
        // reference to the waker meanwhile.
        let out = f(unsafe { &mut *self.waker.get() });
        drop(held);
        out
    }

    /// Wakes the parent, if any; or, if another wake or a writer holds the slot (this
    /// thread, further up its stack, or another one), leaves the wake to it and returns.
    /// What the caller wrote before is visible to the poll that the wake leads to.
    pub(crate) fn wake(&self) {
        // Acquire: the parent a writer stored is visible. Release, on a hand-over: what the
        // caller wrote is visible to the holder, which wakes after it sees `HANDED`.
        let mut state = 0;
        loop {
            let next = if state & LOCKED == 0 {
                LOCKED
            } else {
                state | HANDED
            };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) if next != LOCKED => return,
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        let held = Held(self);
        loop {
            // SAFETY: this thread set `LOCKED`, which `held` keeps: the only reference to
            // the waker meanwhile.
            if let Some(parent) = unsafe { &*self.waker.get() } {
                parent.wake_by_ref();
            }
            // Let go unless a wake was handed over meanwhile; then take it (Acquire: what its
            // thread wrote before handing it over is visible) and wake again.
            if self
                .state
                .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                std::mem::forget(held);
                return;
            }
            self.state.fetch_and(!HANDED, Ordering::Acquire);
        }
    }

    #[inline]
    fn lock(&self) {
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
    }

    #[cold]
    fn lock_contended(&self) {
        let mut spins = 0;
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state & LOCKED == 0
                && self
                    .state
                    .compare_exchange_weak(state, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            if spins < SPINS_BEFORE_YIELD {
                spins += 1;
                hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Releases the slot when dropped, also if the critical section or a parent's wake panics;
/// a wake handed over meanwhile is then carried out, unless this thread is unwinding (the
/// parent just panicked in its wake: the bits stay set for the next poll to find).
struct Held<'a>(&'a ParentSlot);

impl Drop for Held<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: the slot's new contents are visible to the next holder. Acquire: what a
        // thread that handed a wake over wrote is visible to the wake carried out here.
        let before = self.0.state.swap(0, Ordering::AcqRel);
        if before & HANDED != 0 && !std::thread::panicking() {
            self.0.wake();
        }
    }
}
