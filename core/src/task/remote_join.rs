//! `RemoteJoinHandle`: the result of work running on another thread, from
//! [`spawn_blocking`](super::spawn_blocking) or a [`Spawner`](super::Spawner).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use super::RemoteAbortHandle;
use super::id::Id;
use super::remote_abort::{RemoteAbort, Reply};
use crate::JoinError;
use crate::sync::cross_thread::oneshot;

/// What remote work produced: its value, or the payload of its panic.
pub(crate) type Outcome<T> = Result<T, Box<dyn Any + Send + 'static>>;

/// Completes with the value of work running on another thread: a closure given to
/// [`spawn_blocking`](crate::spawn_blocking), or a task spawned through a
/// [`Spawner`](crate::Spawner). It fails with a [`JoinError`] if the work panicked, or was
/// dropped unfinished (its Core dropped).
///
/// Await it from any task, on any Core; on a thread with no Core,
/// [`blocking_join`](RemoteJoinHandle::blocking_join) waits for it. It is `Send` for a
/// `Send` value. Dropping it lets the work run on and drops its result;
/// [`abort`](RemoteJoinHandle::abort) stops it. Awaiting `&mut handle` is cancel-safe: given
/// up on, it leaves the result in the handle for the next await.
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
    abort: Arc<RemoteAbort>,
    /// The work was dropped unfinished, seen by a poll that found the task's coop budget
    /// spent: the next poll reports it. Cleared once reported.
    cancelled: bool,
}

impl<T> RemoteJoinHandle<T> {
    /// A handle, and the [`Reply`] through which the work it joins reports (and checks
    /// for an abort).
    pub(crate) fn pair() -> (Reply<Outcome<T>>, Self) {
        let (tx, rx) = oneshot::channel();
        let abort = Arc::new(RemoteAbort::default());
        let handle = RemoteJoinHandle {
            rx,
            abort: Arc::clone(&abort),
            cancelled: false,
        };
        (Reply::new(tx, abort), handle)
    }

    /// The flag [`abort`](RemoteJoinHandle::abort) raises, for a holder that must abort the
    /// work after the handle moved into a task (a [`JoinSet`](super::JoinSet)'s blocking
    /// work).
    pub(crate) fn abort_flag(&self) -> Arc<RemoteAbort> {
        Arc::clone(&self.abort)
    }

    /// Identifies this work among live tasks and handles, as
    /// [`JoinHandle::id`](crate::JoinHandle::id) does for a local task; the
    /// [`JoinError`] it may yield carries the same [`Id`].
    ///
    /// The work runs elsewhere, so this is the handle's own `Id`: inside a task started by a
    /// [`Spawner`](crate::Spawner), [`task::id`](crate::task::id) names that task on the
    /// Core that runs it, which is a different `Id`.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = mirage::spawn_blocking(|| 1);
    /// let b = mirage::spawn_blocking(|| 2);
    /// assert_ne!(a.id(), b.id());
    /// # a.blocking_join().unwrap();
    /// # b.blocking_join().unwrap();
    /// ```
    pub fn id(&self) -> Id {
        self.abort.id()
    }

    /// Asks the work to stop, from any thread, like [`JoinHandle::abort`](crate::JoinHandle::abort).
    /// Unless it finished first, the handle then reports
    /// [`JoinError::is_cancelled`], once the work is gone:
    ///
    /// - a task spawned through a [`Spawner`](crate::Spawner) is dropped at its Core's next
    ///   turn (woken for it if it waits), or never started if it has not yet been;
    /// - a [`spawn_blocking`](crate::spawn_blocking) closure that has not started never
    ///   starts. One already running runs to its end, as no thread can be stopped from
    ///   outside, and the handle gives its result (as in tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let spawner = core.spawner();
    /// let client = std::thread::spawn(move || {
    ///     let forever = spawner.spawn(|| std::future::pending::<()>());
    ///     forever.abort();
    ///     forever.blocking_join()
    /// });
    /// // Runs the Core until the aborted task is gone and the client thread has its answer.
    /// core.run(async {
    ///     while !client.is_finished() {
    ///         mirage::time::sleep(std::time::Duration::from_millis(1)).await;
    ///     }
    /// });
    /// assert!(client.join().unwrap().unwrap_err().is_cancelled());
    /// ```
    pub fn abort(&self) {
        self.abort.request();
    }

    /// A handle that aborts this work without the right to its result, as tokio's
    /// `JoinHandle::abort_handle`: unlike the local [`AbortHandle`](crate::AbortHandle), it
    /// is `Send` and `Sync`, for any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let spawner = core.spawner();
    /// let forever = spawner.spawn(|| std::future::pending::<()>());
    /// let abort = forever.abort_handle();
    /// assert_eq!(abort.id(), forever.id());
    /// std::thread::spawn(move || abort.abort()).join().unwrap();
    /// let err = core.run(forever).unwrap_err();
    /// assert!(err.is_cancelled());
    /// ```
    pub fn abort_handle(&self) -> RemoteAbortHandle {
        RemoteAbortHandle::new(Arc::clone(&self.abort))
    }

    /// Whether the work is over (finished, panicked, or cancelled), so that awaiting the
    /// handle would not wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = mirage::spawn_blocking(|| 1);
    /// while !handle.is_finished() {
    ///     std::thread::yield_now();
    /// }
    /// assert_eq!(handle.blocking_join().unwrap(), 1);
    /// ```
    pub fn is_finished(&self) -> bool {
        self.rx.is_ready()
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
    #[track_caller]
    pub fn blocking_join(self) -> Result<T, JoinError> {
        crate::sync::cross_thread::block_on("RemoteJoinHandle::blocking_join", self)
    }
}

impl<T> Future for RemoteJoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        // The channel would panic too, naming a type the caller never saw.
        assert!(
            self.cancelled || !self.rx.is_terminated(),
            "RemoteJoinHandle polled again after it returned the work's result"
        );
        let id = self.id();
        if !self.cancelled {
            // An outcome spends a unit of the task's coop budget as the channel hands it over.
            match ready!(Pin::new(&mut self.rx).poll(cx)) {
                Ok(Ok(value)) => return Poll::Ready(Ok(value)),
                Ok(Err(payload)) => return Poll::Ready(Err(JoinError::panic(id, payload))),
                // Dropped unfinished: a task whose Core was dropped, or a job whose pool
                // could not run it.
                Err(_) => self.cancelled = true,
            }
        }
        // The channel spends nothing to report its sender gone; a cancellation spends a unit
        // here, as a finished `JoinHandle` does, so that a task joining many cancelled
        // handles still yields.
        ready!(crate::coop::poll_proceed(cx));
        self.cancelled = false;
        Poll::Ready(Err(JoinError::cancelled(id)))
    }
}

impl<T> fmt::Debug for RemoteJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .field("abort_requested", &self.abort.is_requested())
            .finish()
    }
}
