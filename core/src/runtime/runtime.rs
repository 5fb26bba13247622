//! `Runtime`: tokio's runtime object, as one Core behind a shared reference.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::{Builder, EnterGuard, Handle, RuntimeMetrics};
use crate::scheduler::Local;
use crate::{Core, JoinHandle, RemoteJoinHandle, context};

/// A [`Core`] with tokio's `Runtime` API: [`block_on`](Runtime::block_on) through `&self`,
/// [`spawn`](Runtime::spawn), [`handle`](Runtime::handle), [`enter`](Runtime::enter).
///
/// Like tokio's current-thread runtime, it runs its tasks only while a `block_on` drives
/// it: tasks still pending when `block_on` returns wait for the next one, and dropping the
/// runtime drops them (their `JoinHandle`s report cancellation). Unlike tokio's, it is
/// neither `Send` nor `Sync`: it stays on the thread that built it, so its tasks need not
/// be `Send`. Other threads reach it through [`handle`](Runtime::handle).
///
/// # Examples
///
/// ```
/// use mirage::runtime::Runtime;
///
/// let runtime = Runtime::new()?;
/// let task = runtime.spawn(async { "spawned before block_on" });
/// assert_eq!(runtime.block_on(task).unwrap(), "spawned before block_on");
/// # std::io::Result::Ok(())
/// ```
pub struct Runtime {
    core: RefCell<Core>,
    /// The Core's scheduler, reachable while `block_on` borrows the Core.
    local: Rc<Local>,
    handle: Handle,
}

impl Runtime {
    pub(super) fn from_core(core: Core) -> Runtime {
        Runtime {
            local: Rc::clone(core.local()),
            handle: Handle::of(core.local()),
            core: RefCell::new(core),
        }
    }

    /// A runtime with the default settings: one [`Core`] on this thread, as
    /// `Builder::new_current_thread().enable_all().build()`. (tokio's `Runtime::new` builds a
    /// multi-thread runtime; Mirage has only this kind.)
    ///
    /// # Errors
    ///
    /// As [`Core::new`]: when the operating system refuses the Core's descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// assert_eq!(runtime.block_on(async { 2 + 2 }), 4);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new_current_thread().enable_all().build()
    }

    /// Runs `future` to completion on this thread, running the runtime's tasks meanwhile,
    /// and returns its output: [`Core::run`] through a shared reference. A panic in `future`
    /// propagates to the caller.
    ///
    /// # Panics
    ///
    /// When called while a Core is running on this thread (inside another `block_on`, a
    /// [`Core::run`], or a task): it would block that Core for as long as it runs. tokio
    /// panics the same way. `.await` the future there, or spawn it.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let mut log = Vec::new();
    /// runtime.block_on(async { log.push("borrowed, not 'static") });
    /// runtime.block_on(async { log.push("and again") });
    /// assert_eq!(log.len(), 2);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        const NESTED: &str = "mirage::runtime::Runtime::block_on called while a mirage Core is \
            running on this thread (inside block_on, Core::run or a task); it would block that \
            Core. Use .await, or spawn the future, instead";
        if context::is_running_any() {
            panic!("{NESTED}");
        }
        let Ok(mut core) = self.core.try_borrow_mut() else {
            panic!("{NESTED}");
        };
        core.run(future)
    }

    /// Spawns `future` as a task of this runtime and returns its [`JoinHandle`]. It runs
    /// while the runtime is driven: during a [`block_on`](Runtime::block_on) in progress, or
    /// from the next one. It need not be `Send` (tokio's bound): the runtime never leaves
    /// this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let shared = Rc::new(20); // not Send, and need not be
    /// let task = runtime.spawn({
    ///     let shared = Rc::clone(&shared);
    ///     async move { *shared + 22 }
    /// });
    /// assert_eq!(runtime.block_on(task).unwrap(), 42);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn(future)
    }

    /// Runs `f` on this runtime's blocking pool (set up by its [`Builder`]), as
    /// [`mirage::spawn_blocking`](crate::spawn_blocking) does inside the runtime, counted as
    /// this runtime's work: while it runs, its paused clock does not jump. So also when
    /// called while another Core runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let checksum = runtime.spawn_blocking(|| (1..=100u32).sum::<u32>());
    /// assert_eq!(runtime.block_on(checksum).unwrap(), 5050);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> RemoteJoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// The runtime's [`Handle`], which spawns on it from any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let handle = runtime.handle().clone();
    /// let task = std::thread::spawn(move || handle.spawn(async { "from a thread" }))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(runtime.block_on(task).unwrap(), "from a thread");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The counts of this runtime's Core (see [`RuntimeMetrics`]), as
    /// [`Handle::metrics`]: the returned value may go to another thread, and reads 0s once
    /// the runtime is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let metrics = runtime.metrics();
    /// let _task = runtime.spawn(async {});
    /// assert_eq!(metrics.num_alive_tasks(), 1);
    /// drop(runtime);
    /// assert_eq!(metrics.num_alive_tasks(), 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Makes this runtime current on this thread until the guard drops, without running it:
    /// [`mirage::spawn`](crate::spawn), timers and [`Handle::current`] then use it, and
    /// tasks spawned start at the next [`block_on`](Runtime::block_on).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = mirage::runtime::Builder::new_current_thread().start_paused(true).build()?;
    /// let timer = {
    ///     let _guard = runtime.enter();
    ///     mirage::spawn(mirage::time::sleep(Duration::from_secs(1)))
    /// };
    /// runtime.block_on(timer).unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard::new(context::enter_idle(&self.local))
    }

    /// Drops the runtime and its tasks, then waits up to `duration` for the threads of its
    /// blocking pool to finish the work they were given (and their
    /// [`on_thread_stop`](super::Builder::on_thread_stop) hooks), as tokio's does. Work
    /// still running after that goes on in the background; dropping the runtime does not
    /// wait at all (see [`Builder`'s docs](super::Builder#the-blocking-pool)).
    ///
    /// Called on a thread running another Core (from one of its tasks), it does not wait,
    /// as that would stall every task of that Core: it is then
    /// [`shutdown_background`](Runtime::shutdown_background). Either way, a task dropped with
    /// a [`Stdout`](crate::io::Stdout) or [`Stderr`](crate::io::Stderr) lets its last write
    /// finish first (on a pipe nobody reads, that waits indefinitely).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let done = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&done);
    /// let _job = runtime.spawn_blocking(move || {
    ///     std::thread::sleep(Duration::from_millis(20));
    ///     flag.store(true, Ordering::SeqCst);
    /// });
    /// runtime.shutdown_timeout(Duration::from_secs(10));
    /// assert!(done.load(Ordering::SeqCst), "the blocking work was waited for");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown_timeout(self, duration: Duration) {
        let pool = self.local.blocking_pool().cloned();
        // `None` for a duration past what the clock can count: no deadline.
        let deadline = Instant::now().checked_add(duration);
        drop(self);
        if let Some(pool) = pool
            && !context::is_running_any()
        {
            pool.wait_for_threads(deadline);
        }
    }

    /// Drops the runtime and its tasks without waiting for blocking work, as dropping it
    /// does in Mirage (but for a standard stream's last write, as
    /// [`shutdown_timeout`](Runtime::shutdown_timeout) says); also from inside another
    /// runtime's task, as in tokio.
    ///
    /// # Examples
    ///
    /// ```
    /// let outer = mirage::runtime::Runtime::new()?;
    /// outer.block_on(async {
    ///     let inner = mirage::runtime::Runtime::new().unwrap();
    ///     inner.shutdown_background();
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown_background(self) {
        drop(self);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.handle.runtime_flavor())
            .field("tasks", &self.local.task_count())
            .field("running", &self.core.try_borrow_mut().is_err())
            .finish_non_exhaustive()
    }
}
