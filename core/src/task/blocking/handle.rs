//! `BlockingJoinHandle`: the result of [`spawn_blocking`](super::spawn_blocking).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::sync::cross_thread::oneshot;
use crate::JoinError;

type Outcome<T> = Result<T, Box<dyn Any + Send + 'static>>;

/// Completes with the value the blocking closure returned, or a [`JoinError`] if it
/// panicked. Await it from any task, on any Core; it is `Send` for a `Send` value, so it
/// may move to another thread first. Dropping it lets the closure run on, and drops its
/// result.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// let err = core.run(async {
///     let handle: mirage::BlockingJoinHandle<()> = mirage::spawn_blocking(|| panic!("disk on fire"));
///     handle.await.unwrap_err()
/// });
/// assert!(err.is_panic());
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "disk on fire");
/// ```
#[must_use = "dropping the handle lets the closure run, but its result is lost"]
pub struct BlockingJoinHandle<T> {
    rx: oneshot::Receiver<Outcome<T>>,
}

impl<T> BlockingJoinHandle<T> {
    pub(super) fn new(rx: oneshot::Receiver<Outcome<T>>) -> BlockingJoinHandle<T> {
        BlockingJoinHandle { rx }
    }
}

impl<T> Future for BlockingJoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        Poll::Ready(match ready!(Pin::new(&mut self.rx).poll(cx)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(payload)) => Err(JoinError::panic(payload)),
            // The job was dropped unrun: its pool went down with the process's threads.
            Err(_) => Err(JoinError::cancelled()),
        })
    }
}

impl<T> fmt::Debug for BlockingJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingJoinHandle").finish_non_exhaustive()
    }
}
