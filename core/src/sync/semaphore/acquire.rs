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
        let (poll, stale) = semaphore.state.borrow_mut().poll_acquire(
            &mut this.key,
            this.wants,
            cx,
            coop::try_spend,
        );
        drop(stale);
        poll.map_ok(|()| SemaphorePermit::new(semaphore, this.wants))
    }
}

impl Acquire<'_> {
    /// Leaves the queue, giving back permits handed to it (kept out of line: most acquires
    /// complete without waiting, and their drop is then only the check in `drop`).
    #[inline(never)]
    fn cancel(&mut self, key: usize) {
        let (served, stale) = self.semaphore.state.borrow_mut().cancel(key, self.wants);
        drop(stale);
        for waker in served {
            waker.wake();
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.cancel(key);
        }
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
