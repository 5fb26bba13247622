//! `Acquire`: the future of the cross-thread `Semaphore::acquire` and `acquire_many`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::{Semaphore, SemaphorePermit};
use crate::sync::AcquireError;
use crate::sync::semaphore::state::{State, Waiting};

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`]. Panics if polled
/// after completion.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::{Acquire, Semaphore};
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
    waiting: Waiting<'a, Mutex<State>>,
    /// It returned `Ready`: polling it again would take more permits.
    done: bool,
}

impl<'a> Acquire<'a> {
    pub(super) fn new(semaphore: &'a Semaphore, wants: u32) -> Acquire<'a> {
        Acquire {
            semaphore,
            waiting: Waiting::new(&semaphore.state, wants),
            done: false,
        }
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "Acquire future polled after completion");
        let semaphore = this.semaphore;
        let wants = this.waiting.wants();
        let acquired = std::task::ready!(this.waiting.poll(cx));
        this.done = true;
        Poll::Ready(acquired.map(|()| SemaphorePermit::new(semaphore, wants)))
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("wants", &self.waiting.wants())
            .field("waiting", &self.waiting.is_queued())
            .finish()
    }
}
