//! tokio's `runtime` entry points, as thin shims over a [`Core`](crate::Core): for code
//! ported from tokio that builds its runtime by hand instead of using `#[mirage::main]`.
//!
//! A [`Runtime`] is one Core on the thread that built it; [`Runtime::block_on`] is
//! [`Core::run`](crate::Core::run) behind a shared reference, and [`Handle`] reaches the Core
//! from anywhere through a [`Spawner`](crate::Spawner). What tokio does with a multi-thread
//! runtime, Mirage does with one Core per thread (each with its own listener on a shared
//! port, say; see the README's `reuseport` example) and `sync::cross_thread` between them.
//!
//! | tokio | Mirage |
//! | --- | --- |
//! | `Builder::new_current_thread()` | [`Builder::new_current_thread`] |
//! | `Builder::new_multi_thread()` | not provided: one Core per thread |
//! | `enable_all`, `enable_io`, `enable_time` | accepted, no effect: a Core always has both |
//! | `start_paused`, `event_interval`, `max_io_events_per_tick` | the same |
//! | `on_thread_park`, `on_thread_unpark` | the same: around each park of the Core, on its thread |
//! | `worker_threads`, `global_queue_interval` | accepted, no effect (as `worker_threads` in tokio's current-thread runtime): one worker, which takes in work from other threads at every turn and queues it behind the ready tasks |
//! | `max_blocking_threads`, `thread_keep_alive`, `thread_name`, `thread_name_fn`, `thread_stack_size`, `on_thread_start`, `on_thread_stop` | the same, for the runtime's blocking pool (see [`Builder`'s docs](Builder#the-blocking-pool)); dropping the runtime does not wait for its blocking work, [`Runtime::shutdown_timeout`] does |
//! | `Runtime::new()` | builds one Core (tokio's builds a multi-thread runtime) |
//! | `Runtime::spawn` | needs no `Send`: the `Runtime` stays on its thread |
//! | `Handle::spawn` | `Send` futures, from any thread, as tokio's; returns a [`RemoteJoinHandle`](crate::RemoteJoinHandle) |
//! | `Runtime::metrics`, `Handle::metrics` | [`RuntimeMetrics`] with tokio's stable metrics: `num_workers` (1), `num_alive_tasks`, `global_queue_depth`, and the per-worker `worker_park_count`, `worker_park_unpark_count`, `worker_total_busy_duration` |
//! | (none) | [`Builder::timer_spin`]: Mirage's own: how the Core waits for a timer deadline, so that timers fire within microseconds of it on a machine slow to wake a sleeping thread (adaptive by default; see [`TimerSpin`](crate::time::TimerSpin)) |
//!
//! Left out, as Mirage has nothing they would do: `Handle::block_on` (a Core is driven only
//! by its own thread: from another, `handle.spawn(future).blocking_join()`),
//! `Handle::enter`, runtime names and ids, and tokio's unstable options.
//!
//! # Examples
//!
//! ```
//! use mirage::runtime::Builder;
//!
//! let runtime = Builder::new_current_thread().enable_all().build()?;
//! let answer = runtime.block_on(async {
//!     let task = mirage::spawn(async { 6 * 7 });
//!     task.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! # std::io::Result::Ok(())
//! ```

mod builder;
mod enter;
mod flavor;
mod handle;
mod metrics;
pub(crate) mod park_hooks;
// Named as tokio names it, where a newcomer looks for it.
#[allow(clippy::module_inception)]
mod runtime;
pub(crate) mod worker_stats;

pub use builder::Builder;
pub use enter::EnterGuard;
pub use flavor::RuntimeFlavor;
pub use handle::{Handle, TryCurrentError};
pub use metrics::RuntimeMetrics;
pub use runtime::Runtime;
