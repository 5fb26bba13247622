//! `Handle`: reaches a runtime's Core from any thread.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Weak};

use super::{RuntimeFlavor, RuntimeMetrics};
use crate::scheduler::Local;
use crate::shared::Shared;
use crate::task::{BlockingPool, job_core, spawn_on_pool};
use crate::{RemoteJoinHandle, Spawner, context};

/// Reaches a [`Runtime`](super::Runtime)'s Core (or any Core) from anywhere: `Send`, `Sync`
/// and cheap to clone, as tokio's `runtime::Handle`.
///
/// Where tokio's handle hands a `Send` future to a runtime that any thread may drive, a
/// Mirage Core is driven by its own thread only, and its tasks need not be `Send`. So:
/// - [`spawn`](Handle::spawn) takes a `Send` future, as tokio's, from any thread, and
///   returns a [`RemoteJoinHandle`] (awaitable on any Core, or
///   [`blocking_join`](RemoteJoinHandle::blocking_join)ed from a plain thread) rather than a
///   [`JoinHandle`](crate::JoinHandle), which lives on one Core. The task starts once the
///   Core runs (a [`block_on`](super::Runtime::block_on) in progress, or the next);
/// - for a future that is not `Send` (it holds an `Rc`, a socket of that Core...),
///   [`spawner`](Handle::spawner) gives the [`Spawner`], which makes the future on the
///   Core's thread from a `Send` closure;
/// - there is no `block_on` nor `enter`: a Core cannot be driven from another thread. From
///   another thread, `handle.spawn(future).blocking_join()` waits for a future run on the
///   Core.
///
/// # Examples
///
/// ```
/// use mirage::runtime::{Handle, Runtime};
///
/// let runtime = Runtime::new()?;
/// let (stop, stopped) = mirage::sync::cross_thread::oneshot::channel::<()>();
/// let handle: Handle = runtime.handle().clone();
/// let worker = std::thread::spawn(move || {
///     let sum = handle.spawn(async { 20 + 22 }).blocking_join().unwrap();
///     stop.send(()).unwrap();
///     sum
/// });
/// runtime.block_on(stopped).unwrap();
/// assert_eq!(worker.join().unwrap(), 42);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct Handle {
    spawner: Spawner,
    /// The runtime's blocking pool; `None` for a bare [`Core`](crate::Core)'s handle.
    blocking: Option<BlockingPool>,
    /// The Core's thread-safe half, for [`metrics`](Handle::metrics) and the blocking work
    /// it counts; weak, so that a kept handle does not keep the Core's eventfd open.
    shared: Weak<Shared>,
}

impl Handle {
    /// The handle of the Core whose scheduler is `local`.
    pub(crate) fn of(local: &Local) -> Handle {
        Handle {
            spawner: local.spawner(),
            blocking: local.blocking_pool().cloned(),
            shared: Arc::downgrade(&local.shared),
        }
    }

    /// The handle of the Core that is current on this thread: the one running (inside
    /// [`Runtime::block_on`](super::Runtime::block_on), [`Core::run`](crate::Core::run) or a task),
    /// or else the one [entered](super::Runtime::enter); on a blocking pool thread, the Core
    /// whose [`spawn_blocking`](crate::spawn_blocking) closure runs there, as in tokio.
    ///
    /// # Panics
    ///
    /// Outside a Core, as tokio's does outside a runtime; [`try_current`](Handle::try_current)
    /// does not.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new()?;
    /// let handle = core.run(async { mirage::runtime::Handle::current() });
    /// let task = handle.spawn(async { "spawned through the handle" });
    /// assert_eq!(core.run(task).unwrap(), "spawned through the handle");
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(_) => panic!(
                "mirage::runtime::Handle::current called outside a mirage Core: call it inside \
                 Runtime::block_on or Core::run (or a task spawned there), or after Runtime::enter"
            ),
        }
    }

    /// The handle of the Core current on this thread (see [`current`](Handle::current)), or
    /// an error outside one.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::runtime::Handle;
    ///
    /// assert!(Handle::try_current().unwrap_err().is_missing_context());
    /// let mut core = mirage::Core::new()?;
    /// assert!(core.run(async { Handle::try_current() }).is_ok());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(Handle::of)
            .or_else(job_core::current)
            .ok_or(TryCurrentError(()))
    }

    /// The Core's thread-safe half, while the Core lives.
    pub(crate) fn core(&self) -> Option<Arc<Shared>> {
        self.shared.upgrade()
    }

    /// Spawns `future` on this handle's Core, from any thread, and returns a handle to its
    /// output. It starts when the Core runs: at once if it is running, else at its next
    /// run. The bounds are tokio's: the future travels to the Core's thread. For a future
    /// that is not `Send`, use [`spawner`](Handle::spawner). Unlike tokio's, Mirage's own
    /// futures are mostly not `Send`: a future that awaits a `mirage::time::sleep`, a
    /// socket or a `mirage::sync` channel (but for `sync::cross_thread`) is made on the
    /// Core's thread through the spawner.
    ///
    /// A panic in the task is reported through the handle; if the Core is dropped before the
    /// task completes, the handle reports it cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let handle = runtime.handle().clone();
    /// let task = std::thread::spawn(move || handle.spawn(async { 6 * 7 })).join().unwrap();
    /// assert_eq!(runtime.block_on(task).unwrap(), 42);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> RemoteJoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawner.spawn(move || future)
    }

    /// Runs `f` on the blocking pool of this handle's runtime, from any thread, counted as
    /// that runtime's work (its paused clock does not jump meanwhile), as tokio's does. Once
    /// the runtime is dropped, `f` is dropped unrun and the handle reports it cancelled.
    ///
    /// The handle of a bare [`Core`](crate::Core) (which has no pool of its own) runs `f` as
    /// [`mirage::spawn_blocking`](crate::spawn_blocking) does where it is called: on the pool
    /// of the calling thread, counted as the work of the Core running there, if any (inside
    /// a blocking closure, on the pool it runs on, counted as the work of the Core that handed
    /// it out).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let sum = runtime.handle().spawn_blocking(|| (1..=10).sum::<u32>());
    /// assert_eq!(runtime.block_on(sum).unwrap(), 55);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> RemoteJoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match &self.blocking {
            Some(pool) => spawn_on_pool(pool, self, f),
            None => crate::spawn_blocking(f),
        }
    }

    /// The [`Spawner`] of this handle's Core: spawns a future that need not be `Send`, made
    /// on the Core's thread by a closure that is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let spawner = runtime.handle().spawner().clone();
    /// let task = std::thread::spawn(move || {
    ///     spawner.spawn(|| async {
    ///         let local = Rc::new(5); // not Send: made on the Core's thread
    ///         *local + 1
    ///     })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(runtime.block_on(task).unwrap(), 6);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn spawner(&self) -> &Spawner {
        &self.spawner
    }

    /// The counts of this handle's Core (see [`RuntimeMetrics`]), readable from any thread;
    /// 0s once the Core is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let handle = runtime.handle().clone();
    /// let task = runtime.spawn(async {});
    /// let seen = std::thread::spawn(move || handle.metrics().num_alive_tasks());
    /// assert_eq!(seen.join().unwrap(), 1);
    /// runtime.block_on(task).unwrap();
    /// assert_eq!(runtime.handle().metrics().num_alive_tasks(), 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.shared.clone(), self.spawner.clone())
    }

    /// Which scheduler the runtime has: always [`RuntimeFlavor::CurrentThread`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::runtime::{Runtime, RuntimeFlavor};
    ///
    /// let runtime = Runtime::new()?;
    /// assert_eq!(runtime.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        RuntimeFlavor::CurrentThread
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.runtime_flavor())
            .field("closed", &self.spawner.is_closed())
            .finish()
    }
}

/// What [`Handle::try_current`] returns outside a Core.
///
/// # Examples
///
/// ```
/// let err = mirage::runtime::Handle::try_current().unwrap_err();
/// assert!(err.is_missing_context());
/// assert!(!err.is_thread_local_destroyed());
/// println!("{err}");
/// ```
pub struct TryCurrentError(());

impl TryCurrentError {
    /// Whether no Core was current on the thread: always, as that is the only way
    /// `try_current` fails in Mirage.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(mirage::runtime::Handle::try_current().unwrap_err().is_missing_context());
    /// ```
    pub fn is_missing_context(&self) -> bool {
        true
    }

    /// Whether the thread-local state that names the current Core was already destroyed
    /// (during thread exit): never, as Mirage reports any failure to find a Core as
    /// [missing context](TryCurrentError::is_missing_context).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!mirage::runtime::Handle::try_current().unwrap_err().is_thread_local_destroyed());
    /// ```
    pub fn is_thread_local_destroyed(&self) -> bool {
        false
    }
}

impl fmt::Debug for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryCurrentError").finish()
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no mirage Core is running or entered on this thread")
    }
}

impl Error for TryCurrentError {}
