//! A per-thread free list of `WakeSet`s, so that a `select!` in a loop allocates nothing once
//! warm, and clones no waker either.
//!
//! The list is a stack: a `select!` takes the set most recently given back, which in a loop
//! is the one its previous iteration used. That set may still be reachable from wakers the
//! losing futures left behind (a `recv` leaves its waker in the channel until the next
//! `recv` replaces it). Reusing it anyway is sound, since every waker holds an `Arc`, and it
//! is what makes a loop cheap: branch `i`'s new waker is the same waker (`will_wake`) as the
//! one its channel or timer still holds, so nothing is cloned, and a late wake of the old
//! waker polls branch `i`, which in a loop is the same resource. A `select!` whose set comes
//! from another call site may see a spurious poll of a branch instead, which futures must
//! tolerate; it never misses a wake-up, because its first poll polls every branch and
//! registers fresh wakers.
//!
//! A released set keeps its parent, and the list remembers which waker that is
//! ([`ParentId`]): the next `select!` of the same task finds its waker stored already and
//! skips storing it, which spares two lock round trips and a waker clone and drop per
//! `select!` (an eighth of a loop iteration over 32 trivial branches: 0.44 s instead of
//! 0.50 s per million, median of 20 alternating runs). The price: while the set waits here,
//! a straggler's wake from another thread reaches that task, once, as a spurious wake (one
//! on the set's own thread is ignored: see `wake_set.rs`); and up to [`CAPACITY`]
//! wakers per thread stay alive until their set is reused by another task or freed, or the
//! Core they belong to is dropped, which forgets them all ([`forget_parents`]): each would
//! keep that Core's shared half, and its eventfd, alive. A set that does not fit in the list
//! is not kept, and its owner clears the parent before letting it go.

use std::cell::RefCell;
use std::sync::Arc;
use std::task::Waker;

use super::wake_set::{ParentId, WakeSet};

/// Sets kept per thread: enough for nested and interleaved `select!`s.
pub(crate) const CAPACITY: usize = 16;

thread_local! {
    static FREE: RefCell<Vec<(Arc<WakeSet>, Option<ParentId>)>> = const { RefCell::new(Vec::new()) };
}

/// A set with no woken bits: the most recently released one, with the parent it still
/// holds, or a new one without a parent.
#[inline]
pub(crate) fn acquire() -> (Arc<WakeSet>, Option<ParentId>) {
    let reused = FREE
        .try_with(|free| free.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten();
    match reused {
        Some((set, parent)) => {
            set.lease();
            (set, parent)
        }
        None => (Arc::new(WakeSet::new()), None),
    }
}

/// Gives `set` back with `parent`, the id of the waker it holds (if any); hands it back
/// instead when the list is full or, at thread exit, gone, and when this thread is not the
/// set's home (a `select!` that a work-stealing executor moved): only the home thread
/// stores bits plainly (see `wake_set.rs`), so a set never changes threads.
#[inline]
pub(crate) fn release(set: Arc<WakeSet>, parent: Option<ParentId>) -> Option<Arc<WakeSet>> {
    if !set.is_home() {
        return Some(set);
    }
    let mut set = Some(set);
    let _ = FREE.try_with(|free| {
        if let Ok(mut free) = free.try_borrow_mut()
            && free.len() < CAPACITY
        {
            // A push of the taken set, not `extend` with the option: extend's general path
            // cost 4 instructions more per `select!` (callgrind, a 32-branch loop).
            if let Some(set) = set.take() {
                set.unlease();
                free.push((set, parent));
            }
        }
    });
    set
}

/// Forgets the parent of every set in this thread's list. A Core calls this when it is
/// dropped: a kept parent is a waker of one of its tasks or of its root future, which keeps
/// the Core's shared half (and its eventfd) alive until the set is reused or the thread
/// exits.
pub(crate) fn forget_parents() {
    let parents: Vec<Waker> = FREE
        .try_with(|free| {
            let Ok(mut free) = free.try_borrow_mut() else {
                return Vec::new();
            };
            free.iter_mut()
                .filter_map(|(set, parent)| {
                    *parent = None;
                    set.take_parent()
                })
                .collect()
        })
        .unwrap_or_default();
    // Dropped after the list is released: dropping a waker may run arbitrary code, even a
    // `select!`.
    drop(parents);
}

/// How many sets this thread's free list holds (for tests).
#[cfg(test)]
pub(crate) fn free_len() -> usize {
    FREE.with(|free| free.borrow().len())
}
