//! `spawn_blocking`: run blocking code (file I/O, a C library, heavy computation) on a
//! thread of its own, and await its result without stalling the Core.

mod config;
pub(crate) mod job_core;
mod pool;
#[cfg(test)]
mod tests;

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

pub(crate) use config::{Config, Hook};
pub(crate) use pool::{OwnedPool, Pool};

use super::RemoteJoinHandle;
use crate::runtime::Handle;
use crate::shared::Shared;

/// Runs `f` on a thread of a blocking pool and returns a handle that completes with its
/// result, so a task can wait for blocking work while the Core serves the others.
///
/// There is no process-wide pool, in keeping with a Core sharing nothing. Inside a runtime
/// built by [`runtime::Builder`](crate::runtime::Builder) (in its `block_on`, its tasks, or
/// after [`Runtime::enter`](crate::runtime::Runtime::enter)), `f` runs on that runtime's
/// pool, with the builder's settings. Inside a closure running on a pool (with no Core
/// running there), on that pool (see below). Anywhere else (a bare [`Core`](crate::Core),
/// or no Core at all), on the calling thread's own pool, with the defaults, whose idle
/// threads exit when the thread does.
///
/// A pool starts a thread when no idle one is waiting, up to its limit
/// ([`max_blocking_threads`](crate::runtime::Builder::max_blocking_threads), 512 by
/// default); beyond that, calls queue until a thread is free. So a call never waits behind
/// another below that limit, even one that blocks for good. A thread that has had nothing to
/// do for its [keep-alive](crate::runtime::Builder::thread_keep_alive) time (10 seconds by
/// default) exits.
///
/// Dropping the handle does not stop `f`: it runs to the end, and its result is dropped.
/// [`RemoteJoinHandle::abort`] stops `f` only if it has not started yet.
/// A panic in `f` is caught and reported through the handle.
///
/// While `f` waits or runs, the calling Core's [paused](crate::time::pause) clock does not
/// jump to its next timer, as in tokio: `f` takes real time, which a jump would not wait for.
///
/// Inside `f`, as on tokio's blocking threads, the calling Core is current:
/// [`Handle::current`](crate::runtime::Handle::current) names it (so
/// `Handle::current().spawn(future).blocking_join()` runs a future there and waits for it),
/// and a `spawn_blocking` inside `f` goes to the same pool, counted as that Core's work.
/// [`task::id`](crate::task::id) inside `f` is the id of the returned handle, as in tokio
/// (wherever `f` was spawned from).
/// [`mirage::spawn`](crate::spawn) still panics there: the Core runs on another thread, and
/// its tasks need not be `Send`. Nor is the Core's clock current there:
/// [`time::Instant::now`](crate::time::Instant::now) inside `f` reads the system clock, even
/// while the Core's clock is [paused](crate::time::pause) (tokio's reads the paused clock).
///
/// # Panics
///
/// If the operating system cannot start a thread and none of the pool's is running, as
/// [`std::thread::spawn`] panics; with the panic of the runtime's
/// [`thread_name_fn`](crate::runtime::Builder::thread_name_fn), if it panics naming a new
/// thread (`f` is then dropped unrun).
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let checksum = mirage::spawn_blocking(|| {
///         // Stands in for reading a large file, or a call into a blocking library.
///         (0..1_000_000u64).fold(0u64, |sum, n| sum.wrapping_add(n * n))
///     });
///     let ticks = mirage::spawn(async { "the Core keeps serving its tasks meanwhile" });
///     assert_eq!(ticks.await.unwrap(), "the Core keeps serving its tasks meanwhile");
///     assert_eq!(checksum.await.unwrap(), 333_332_833_333_500_000);
/// });
/// ```
pub fn spawn_blocking<F, R>(f: F) -> RemoteJoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match try_spawn_blocking(f) {
        Ok(handle) => handle,
        Err(err) => panic!("spawn_blocking: {err}"),
    }
}

/// [`spawn_blocking`] for I/O that runs on the pool (the standard streams, file system
/// calls, host-name lookups): a thread that cannot be started, with none of the pool's
/// running to take the job later, is the operation's error rather than a panic. `f` is then
/// dropped unrun. Not part of the public API: for Mirage's own crates.
#[doc(hidden)]
pub fn try_spawn_blocking<F, R>(f: F) -> io::Result<RemoteJoinHandle<R>>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (job, handle) = job_for(Running::current(), f);
    pool::run(job)?;
    Ok(handle)
}

/// Runs `f` on the current blocking pool (as [`spawn_blocking`] chooses it outside a
/// blocking closure) with no handle, neither counted as work of the
/// running Core nor holding it: for chores no task awaits, such as reaping a dropped child,
/// which may outlive the Core and must not hold back its paused clock.
///
/// On a pool thread with no Core of its own, on that thread's own pool, not the one it works
/// for: a chore is no Core's work, and must not take for the child's whole life a thread
/// that the limit of a runtime's pool keeps for that runtime's work.
pub(crate) fn run_detached(f: impl FnOnce() + Send + 'static) -> io::Result<()> {
    pool::run_chore(Box::new(f))
}

/// [`spawn_blocking`] on `pool`, the blocking pool of a runtime built by
/// [`runtime::Builder`](crate::runtime::Builder), counted as the work of `core`'s Core (the
/// handle holds it weakly: one kept after its runtime is gone must not keep the Core's
/// eventfd open), from any thread. Once the runtime is gone, `f` is dropped unrun and the
/// handle reports it cancelled, as [`Handle::spawn`](crate::runtime::Handle::spawn) does
/// with a task (and tokio with either).
pub(crate) fn spawn_on_pool<F, R>(pool: &Pool, core: &Handle, f: F) -> RemoteJoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (job, handle) = job_for(Running::of(Some(core.clone())), f);
    if let Err(err) = pool.run_unless_closed(job) {
        panic!("spawn_blocking: {err}");
    }
    handle
}

/// The pool's job that runs `f` (unless aborted before it starts), counted by `running`,
/// and its handle.
fn job_for<F, R>(mut running: Running, f: F) -> (pool::Job, RemoteJoinHandle<R>)
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (reply, handle) = RemoteJoinHandle::pair();
    let job = Box::new(move || {
        if reply.abort().is_requested() {
            // Aborted before it started: dropping the reply unsent reports it cancelled.
            drop(reply);
        } else {
            let entered = job_core::Enter::new(running.handle.take(), reply.task_id());
            let outcome = panic::catch_unwind(AssertUnwindSafe(f));
            drop(entered);
            // The handle may be gone: the result is then dropped here.
            reply.send(outcome);
        }
        // Over only once the handle has its answer: a Core that sees the job over then also
        // sees the task the answer woke, and does not jump time past it.
        drop(running);
    });
    (job, handle)
}

/// Travels with a job spawned for a Core, which counts it from the spawn until the job is
/// over (run, or dropped unrun): meanwhile that Core's paused clock does not jump (see
/// [`pause`](crate::time::pause)). It also carries that Core's handle, current on the pool
/// thread while the job runs ([`job_core`]).
struct Running {
    core: Option<Arc<Shared>>,
    handle: Option<Handle>,
}

impl Running {
    /// Counted by the current Core (running, or else entered, or on a pool thread the Core
    /// whose job runs there; see [`Handle::try_current`]), if any.
    fn current() -> Running {
        Running::of(Handle::try_current().ok())
    }

    /// Counted by `core`'s Core while it lives, with `core` current while the job runs.
    fn of(core: Option<Handle>) -> Running {
        let counted = core.as_ref().and_then(Handle::core);
        if let Some(counted) = &counted {
            counted.blocking_started();
        }
        Running {
            core: counted,
            handle: core,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(shared) = &self.core {
            shared.blocking_finished();
        }
    }
}
