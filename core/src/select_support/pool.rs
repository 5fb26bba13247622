//! A per-thread free list of `WakeSet`s, so that a `select!` in a loop allocates nothing once
//! warm, and clones no waker either.
//!
//! The list is a stack: a `select!` takes the set most recently given back, which in a loop
//! is the one its previous iteration used. That set may still be reachable from wakers the
//! losing futures left behind (a `recv` leaves its waker in the channel until the next
//! `recv` replaces it). Reusing it anyway is sound, since every waker holds an `Arc` and the
//! parent was cleared on release, and it is what makes a loop cheap: branch `i`'s new waker
//! is the same waker (`will_wake`) as the one its channel or timer still holds, so nothing
//! is cloned, and a late wake of the old waker polls branch `i`, which in a loop is the same
//! resource. A `select!` whose set comes from another call site may see a spurious poll of
//! a branch instead, which futures must tolerate; it never misses a wake-up, because its
//! first poll polls every branch and registers fresh wakers.

use std::cell::RefCell;
use std::sync::Arc;

use super::wake_set::WakeSet;

/// Sets kept per thread: enough for nested and interleaved `select!`s.
const CAPACITY: usize = 16;

thread_local! {
    static FREE: RefCell<Vec<Arc<WakeSet>>> = const { RefCell::new(Vec::new()) };
}

/// A set with no woken bits and no parent: the most recently released one, or a new one.
#[inline]
pub(crate) fn acquire() -> Arc<WakeSet> {
    let reused = FREE
        .try_with(|free| free.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten();
    match reused {
        Some(set) => {
            set.reset();
            set
        }
        None => Arc::new(WakeSet::new()),
    }
}

/// Gives `set` back. Its parent must already be cleared.
#[inline]
pub(crate) fn release(set: Arc<WakeSet>) {
    // A set that does not fit is dropped after the borrow ends.
    let _dropped = FREE.try_with(|free| match free.try_borrow_mut() {
        Ok(mut free) if free.len() < CAPACITY => {
            free.push(set);
            None
        }
        _ => Some(set),
    });
}

/// How many sets this thread's free list holds (for tests).
#[cfg(test)]
pub(crate) fn free_len() -> usize {
    FREE.with(|free| free.borrow().len())
}
