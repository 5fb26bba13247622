//! `Id`: which task this is.

use std::fmt;
use std::num::NonZeroU64;

use super::raw::TaskPtr;
use crate::context;

/// Identifies a task among the tasks alive at the same time, on every Core of the process.
///
/// It is what [`JoinHandle::id`](crate::JoinHandle::id),
/// [`AbortHandle::id`](crate::AbortHandle::id), [`JoinError::id`](crate::JoinError::id) and
/// [`id()`] inside the task report, e.g. to tell which task of a
/// [`JoinSet`](crate::JoinSet) failed, or to tag a task's log lines.
///
/// As in tokio, an `Id` is unique only while its task is alive, or while a handle to it
/// is: once the task has completed and its handles are gone, a new task may receive the
/// same `Id`. It is an opaque number, fit for comparing, hashing and printing, and it
/// costs the task no memory: it is derived from where the task lives, so it also tells
/// where in memory that is, which logs shown to untrusted parties should not reveal. Ids
/// are ordered, so they can key a `BTreeMap`, but the order means nothing (not the order
/// of spawning).
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let handle = mirage::spawn(async { mirage::task::id() });
///     let expected = handle.id();
///     assert_eq!(handle.await.unwrap(), expected);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(NonZeroU64);

impl Id {
    /// The id of a live task.
    pub(crate) fn of(task: TaskPtr) -> Id {
        Id::from_addr(task.as_raw() as usize)
    }

    /// The id named by the address of an allocation that lives as long as what it names.
    pub(crate) fn from_addr(addr: usize) -> Id {
        Id(NonZeroU64::new(addr as u64).expect("a live allocation is never at address zero"))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// The [`Id`] of the task being polled, or whose future (or unclaimed output) its Core is
/// dropping.
///
/// # Panics
///
/// Outside a task: on a thread running no Core, or in the future given to
/// [`Core::run`](crate::Core::run), which is not a task. [`try_id`] returns `None` there.
/// A [`spawn_blocking`](crate::spawn_blocking) closure counts as a task, as in tokio: there
/// it is the id of the closure's handle.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let a = mirage::spawn(async { mirage::task::id() });
///     let b = mirage::spawn(async { mirage::task::id() });
///     let (a_id, b_id) = (a.id(), b.id());
///     assert_eq!((a.await.unwrap(), b.await.unwrap()), (a_id, b_id));
///     assert_ne!(a_id, b_id);
/// });
/// ```
#[track_caller]
pub fn id() -> Id {
    try_id().expect(
        "mirage::task::id called outside a task: \
         it names the task being polled (use try_id where there may be none; \
         the future given to Core::run is not a task)",
    )
}

/// The [`Id`] of the task being polled, or whose future (or unclaimed output) its Core is
/// dropping, or of the [`spawn_blocking`](crate::spawn_blocking) closure running on this
/// thread (its handle's id, as in tokio); `None` outside a task, including in the future
/// given to [`Core::run`](crate::Core::run).
///
/// # Examples
///
/// ```
/// assert!(mirage::task::try_id().is_none());
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     assert!(mirage::task::try_id().is_none(), "the run future is not a task");
///     let inner = mirage::spawn(async { mirage::task::try_id() });
///     assert!(inner.await.unwrap().is_some());
/// });
/// ```
pub fn try_id() -> Option<Id> {
    match context::with_current(|local| local.current_task()) {
        Some(Some(task)) => Some(Id::of(task)),
        // The future given to a running Core's `run`: not a task.
        Some(None) if context::is_running_any() => None,
        // No Core here, or one only entered (which makes no thread a task's, nor stops it
        // being one): on a blocking pool thread, the job's id, as tokio's.
        _ => super::job_core::current_id(),
    }
}
