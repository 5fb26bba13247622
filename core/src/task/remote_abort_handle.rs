//! `RemoteAbortHandle`: aborts work running on another thread, from any thread, without a
//! claim on its result.

use std::fmt;
use std::sync::Arc;

use super::id::Id;
use super::remote_abort::RemoteAbort;

/// Aborts the work of a [`RemoteJoinHandle`](crate::RemoteJoinHandle) (a
/// [`spawn_blocking`](crate::spawn_blocking) closure, or a task spawned through a
/// [`Spawner`](crate::Spawner)) without the right to its result: from
/// [`RemoteJoinHandle::abort_handle`](crate::RemoteJoinHandle::abort_handle). It is `Send`,
/// `Sync` and `Clone`, like tokio's `AbortHandle`, and may outlive the work.
///
/// # Examples
///
/// ```
/// let handle = mirage::spawn_blocking(|| 6 * 7);
/// let abort = handle.abort_handle();
/// assert_eq!(handle.blocking_join().unwrap(), 42);
/// assert!(abort.is_finished());
/// abort.abort(); // too late: does nothing
/// ```
#[derive(Clone)]
pub struct RemoteAbortHandle {
    abort: Arc<RemoteAbort>,
}

impl RemoteAbortHandle {
    pub(super) fn new(abort: Arc<RemoteAbort>) -> RemoteAbortHandle {
        RemoteAbortHandle { abort }
    }

    /// Asks the work to stop, as [`RemoteJoinHandle::abort`](crate::RemoteJoinHandle::abort)
    /// does (see there what stops when); does nothing once the work is over.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let task = core.spawner().spawn(|| std::future::pending::<()>());
    /// let abort = task.abort_handle();
    /// std::thread::spawn(move || abort.abort()).join().unwrap();
    /// assert!(core.run(task).unwrap_err().is_cancelled());
    /// ```
    pub fn abort(&self) {
        self.abort.request();
    }

    /// Whether the work is over: finished, panicked, or cancelled. Once its
    /// [`RemoteJoinHandle`](crate::RemoteJoinHandle) has the result (or says it is finished),
    /// this says so too; it may say so a moment before, while the result is handed over.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = mirage::spawn_blocking(|| ());
    /// let abort = handle.abort_handle();
    /// handle.blocking_join().unwrap();
    /// assert!(abort.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.abort.is_finished()
    }

    /// The work's [`Id`], the same as its
    /// [`RemoteJoinHandle::id`](crate::RemoteJoinHandle::id).
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = mirage::spawn_blocking(|| ());
    /// assert_eq!(handle.abort_handle().id(), handle.id());
    /// # handle.blocking_join().unwrap();
    /// ```
    pub fn id(&self) -> Id {
        self.abort.id()
    }
}

impl fmt::Debug for RemoteAbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteAbortHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .field("abort_requested", &self.abort.is_requested())
            .finish()
    }
}
