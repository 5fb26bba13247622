//! `Lock`: where a primitive that comes in a local and a cross-thread flavour keeps its
//! state. The local one keeps it in a `RefCell` (no lock: one Core), the cross-thread one in
//! a `Mutex`, and the logic on the state is written once, over this trait (`notify/state.rs`,
//! `watch/state.rs`, `semaphore/state.rs`).

use std::cell::RefCell;
use std::sync::{Mutex, PoisonError};

/// Runs code on state of type `S` behind a `RefCell` or a `Mutex`.
pub(crate) trait Lock<S> {
    /// Calls `f` with the state borrowed (or locked) for the length of the call. `f` must
    /// not wake or drop a waker: either may run code that uses the same state.
    fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R;
}

impl<S> Lock<S> for RefCell<S> {
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut self.borrow_mut())
    }
}

impl<S> Lock<S> for Mutex<S> {
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        // What panics under the lock panics before it changes the state (the semaphore's
        // overflow check): a poisoned lock still holds consistent state.
        f(&mut self.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
