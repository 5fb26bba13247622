//! `AbortHandle`: cancels a task without a claim on its output.

use std::fmt;
use std::marker::PhantomData;

use super::header::{CANCEL, FUTURE, QUEUED};
use super::id::Id;
use super::raw::{TaskPtr, TaskRef};
use super::waker;

/// Cancels a task, like [`JoinHandle::abort`](crate::JoinHandle::abort), without the right
/// to its output: from [`JoinHandle::abort_handle`](crate::JoinHandle::abort_handle) and
/// [`JoinSet::spawn`](crate::JoinSet::spawn). It may outlive the task, and be cloned.
///
/// It stays on its Core's thread (it is `!Send`), as the task's state lives there:
///
/// ```compile_fail
/// let mut core = mirage::Core::new().unwrap();
/// let handle = core.spawn(async {}).abort_handle();
/// std::thread::spawn(move || handle.abort());
/// ```
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let task = mirage::spawn(std::future::pending::<()>());
///     let abort = task.abort_handle();
///     abort.abort();
///     assert!(task.await.unwrap_err().is_cancelled());
///     assert!(abort.is_finished());
/// });
/// ```
pub struct AbortHandle {
    task: TaskRef,
    /// The task's state is read and written on its Core's thread only.
    _not_send: PhantomData<*const ()>,
}

impl AbortHandle {
    pub(super) fn new(task: TaskRef) -> AbortHandle {
        AbortHandle {
            task,
            _not_send: PhantomData,
        }
    }

    /// Cancels the task: its future is dropped the next time the Core would run it, and
    /// its `JoinHandle` yields a cancelled [`JoinError`](crate::JoinError). Does nothing if
    /// the task already finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     let abort = set.spawn(std::future::pending::<()>());
    ///     abort.abort();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        abort(self.task.ptr());
    }

    /// The task's [`Id`], the same as its [`JoinHandle::id`](crate::JoinHandle::id).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     let abort = set.spawn(async { mirage::task::id() });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), abort.id());
    /// });
    /// ```
    pub fn id(&self) -> Id {
        Id::of(self.task.ptr())
    }

    /// Whether the task has finished: completed, panicked, or been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let abort = mirage::spawn(async {}).abort_handle();
    ///     assert!(!abort.is_finished());
    ///     mirage::yield_now().await;
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        is_finished(self.task.ptr())
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        AbortHandle::new(self.task.ptr().add_ref())
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Sets `CANCEL` on a task whose future is still there and schedules it, so that the Core
/// drops the future; owner thread only (`JoinHandle` and `AbortHandle` are `!Send`). A task
/// queued already is only marked: the Core cancels it when it comes to run it. That is
/// also how a task no Core has taken in yet (see `unbound.rs`) is aborted: it waits in its
/// set queued, and scheduling it would send it to the stand-in, which has no Core.
pub(super) fn abort(task: TaskPtr) {
    let header = task.header();
    if header.has(FUTURE) && !header.has(CANCEL) {
        header.set(CANCEL);
        if !header.has(QUEUED) {
            waker::schedule(task);
        }
    }
}

/// Cancels the task being polled, from inside its own poll: its future is dropped once
/// the poll returns, and its `JoinHandle` reports it cancelled. Outside a task, nothing.
pub(super) fn cancel_current() {
    if let Some(Some(task)) = crate::context::with_current(|local| local.current_task()) {
        abort(task);
    }
}

/// Whether the task's future is gone (it completed, panicked or was cancelled); owner
/// thread only.
pub(super) fn is_finished(task: TaskPtr) -> bool {
    !task.header().has(FUTURE)
}
