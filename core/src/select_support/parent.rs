//! `ParentSlot`: where a `select!` keeps the waker of the task polling it, for its branch
//! wakers to wake.
//!
//! A spin lock around an `Option<Waker>`. Every critical section is short (a swap, or a
//! `wake_by_ref` of the parent), nearly always uncontended (the owner and a waker on another
//! thread only meet if a wake races a poll), and a spin lock releases with a plain store
//! where a `Mutex` needs a second read-modify-write: on the hot paths (a branch wake, the
//! end of a `select!`) that is a third of their atomic operations. A waiter that spins for
//! long (the holder is waking a parent whose wake makes a system call) yields its thread.

use std::cell::UnsafeCell;
use std::hint;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;

pub(crate) struct ParentSlot {
    locked: AtomicBool,
    /// Only touched while `locked` is held.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the `Waker` inside is `Send + Sync`, and it is only reached through `with`, which
// holds the lock: no two threads ever access it at once.
unsafe impl Sync for ParentSlot {}

/// Spins this many times before yielding the thread.
const SPINS_BEFORE_YIELD: u32 = 64;

impl ParentSlot {
    pub(crate) const fn new() -> ParentSlot {
        ParentSlot {
            locked: AtomicBool::new(false),
            waker: UnsafeCell::new(None),
        }
    }

    /// Runs `f` on the slot with the lock held. `f` must not reach this slot again (the
    /// lock is not re-entrant); whatever it returns is dropped after the lock is released.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Option<Waker>) -> R) -> R {
        let _guard = self.lock();
        // SAFETY: the guard holds the lock until the end of this function, so this is the
        // only reference to the waker meanwhile.
        f(unsafe { &mut *self.waker.get() })
    }

    #[inline]
    fn lock(&self) -> Guard<'_> {
        // Acquire: what the previous holder wrote to the slot is visible.
        if self.locked.swap(true, Ordering::Acquire) {
            self.lock_contended();
        }
        Guard(self)
    }

    #[cold]
    fn lock_contended(&self) {
        let mut spins = 0;
        loop {
            while self.locked.load(Ordering::Relaxed) {
                if spins < SPINS_BEFORE_YIELD {
                    spins += 1;
                    hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            if !self.locked.swap(true, Ordering::Acquire) {
                return;
            }
        }
    }
}

/// Releases the lock when dropped, also if the critical section panics.
struct Guard<'a>(&'a ParentSlot);

impl Drop for Guard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: the slot's new contents are visible to the next holder.
        self.0.locked.store(false, Ordering::Release);
    }
}
