//! `RemoteJoinHandle`: the result of work running on another thread, from
//! [`spawn_blocking`](super::spawn_blocking) or a [`Spawner`](super::Spawner).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::sync::cross_thread::oneshot;
use crate::JoinError;

/// What remote work produced: its value, or the payload of its panic.
pub(crate) type Outcome<T> = Result<T, Box<dyn Any + Send + 'static>>;

/// Completes with the value of work running on another thread: a closure given to
/// [`spawn_blocking`](crate::spawn_blocking), or a task spawned through a
/// [`Spawner`](crate::Spawner). It fails with a [`JoinError`] if the work panicked, or was
/// dropped unfinished (its Core dropped).
///
/// Await it from any task, on any Core; on a thread with no Core,
/// [`blocking_join`](RemoteJoinHandle::blocking_join) waits for it. It is `Send` for a
/// `Send` value. Dropping it lets the work run on and drops its result.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// let err = core.run(async {
///     let handle: mirage::RemoteJoinHandle<()> = mirage::spawn_blocking(|| panic!("disk on fire"));
///     handle.await.unwrap_err()
/// });
/// assert!(err.is_panic());
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "disk on fire");
/// ```
#[must_use = "dropping the handle lets the closure run, but its result is lost"]
pub struct RemoteJoinHandle<T> {
    rx: oneshot::Receiver<Outcome<T>>,
}

impl<T> RemoteJoinHandle<T> {
    pub(crate) fn new(rx: oneshot::Receiver<Outcome<T>>) -> RemoteJoinHandle<T> {
        RemoteJoinHandle { rx }
    }

    /// Waits for the result on a thread with no Core, parking the thread.
    ///
    /// # Panics
    ///
    /// On a thread running a Core, which it would block: `.await` the handle there.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = mirage::spawn_blocking(|| 2 + 2);
    /// assert_eq!(handle.blocking_join().unwrap(), 4);
    /// ```
    pub fn blocking_join(self) -> Result<T, JoinError> {
        crate::sync::cross_thread::block_on("RemoteJoinHandle::blocking_join", self)
    }
}

impl<T> Future for RemoteJoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        Poll::Ready(match ready!(Pin::new(&mut self.rx).poll(cx)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(payload)) => Err(JoinError::panic(payload)),
            // Dropped unfinished: a task whose Core was dropped, or a job whose pool could
            // not run it.
            Err(_) => Err(JoinError::cancelled()),
        })
    }
}

impl<T> fmt::Debug for RemoteJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJoinHandle").finish_non_exhaustive()
    }
}
