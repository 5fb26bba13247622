//! `Acquire`: the future of `Semaphore::acquire` and `acquire_many`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{AcquireError, Semaphore, SemaphorePermit};
use crate::coop;

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
///
/// # Examples
///
/// ```
/// use mirage::sync::{Acquire, Semaphore};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let semaphore = Semaphore::new(1);
///     let acquire: Acquire<'_> = semaphore.acquire();
///     assert!(acquire.await.is_ok());
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    wants: u32,
    /// This future's entry in the queue, once it waited.
    key: Option<usize>,
}

impl<'a> Acquire<'a> {
    pub(super) fn new(semaphore: &'a Semaphore, wants: u32) -> Acquire<'a> {
        Acquire {
            semaphore,
            wants,
            key: None,
        }
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let semaphore = this.semaphore;
        let mut state = semaphore.state.borrow_mut();
        if let Some(key) = this.key {
            if state.waiters.is_notified(key) {
                // Handed the permits while it waited: it completes, as a bounded send that
                // was handed room does, whatever the budget says.
                let removed = state.waiters.remove(key);
                this.key = None;
                drop(state);
                drop(removed);
                return Poll::Ready(Ok(SemaphorePermit::new(semaphore, this.wants)));
            }
        }
        if state.closed {
            let removed = this.key.take().map(|key| state.waiters.remove(key));
            drop(state);
            drop(removed);
            return Poll::Ready(Err(AcquireError::new()));
        }
        let wants = this.wants as usize;
        // Zero permits take nothing from the waiters, so they need not queue behind them.
        let free = wants == 0 || (state.waiters.is_empty() && state.permits >= wants);
        if this.key.is_none() && free {
            if !coop::try_spend() {
                // The permits stay free for the task's next turn.
                drop(state);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            state.permits -= wants;
            return Poll::Ready(Ok(SemaphorePermit::new(semaphore, this.wants)));
        }
        let old = state.waiters.park(&mut this.key, cx.waker());
        let key = this.key.expect("parked");
        if state.wants.len() <= key {
            state.wants.resize(key + 1, 0);
        }
        state.wants[key] = this.wants;
        drop(state);
        drop(old);
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let removed = self.semaphore.state.borrow_mut().waiters.remove(key);
        let granted = removed.notified;
        drop(removed);
        // Permits handed to it come back; and if it was first in line, the next waiters
        // may be satisfied by what is free now.
        self.semaphore
            .release(if granted { self.wants as usize } else { 0 });
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("wants", &self.wants)
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
