//! `Config`: how a blocking pool starts, names and retires its threads, as
//! `runtime::Builder` sets it (`max_blocking_threads`, `thread_keep_alive`, `thread_name`,
//! `thread_stack_size`, `on_thread_start`, `on_thread_stop`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Makes the name of each new pool thread (`thread_name`, `thread_name_fn`).
pub(crate) type NameFn = Arc<dyn Fn() -> String + Send + Sync + 'static>;
/// Runs on a pool thread as it starts or stops (`on_thread_start`, `on_thread_stop`); the
/// runtime's park hooks (`on_thread_park`, `on_thread_unpark`) share the type.
pub(crate) type Hook = Arc<dyn Fn() + Send + Sync + 'static>;

/// At most this many threads per pool by default (tokio's default); further jobs queue
/// until one is free.
pub(crate) const MAX_THREADS: usize = 512;
/// An idle worker exits after this long without a job, by default (tokio's default).
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// The name of a pool thread unless `thread_name` says otherwise.
pub(crate) const THREAD_NAME: &str = "mirage-blocking";

/// A pool's settings. The default is what the pool of a thread (for `spawn_blocking`
/// outside any runtime built by `runtime::Builder`) always uses.
#[derive(Clone)]
pub(crate) struct Config {
    /// Never 0: a job would wait for a thread that may never start.
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    /// Called once per thread started, on the thread that starts it.
    pub(crate) thread_name: NameFn,
    /// `None`: std's default (2 MiB, or `RUST_MIN_STACK`).
    pub(crate) stack_size: Option<usize>,
    /// Runs on each new thread before its first job.
    pub(crate) on_start: Option<Hook>,
    /// Runs on each thread after its last job, as it exits.
    pub(crate) on_stop: Option<Hook>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_threads: MAX_THREADS,
            keep_alive: KEEP_ALIVE,
            thread_name: Arc::new(|| THREAD_NAME.to_owned()),
            stack_size: None,
            on_start: None,
            on_stop: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The closures are shown by whether they are set: they have no `Debug`, and calling
        // the name function here would use up a name a counter in it hands out.
        f.debug_struct("Config")
            .field("max_threads", &self.max_threads)
            .field("keep_alive", &self.keep_alive)
            .field("stack_size", &self.stack_size)
            .field("on_start", &self.on_start.is_some())
            .field("on_stop", &self.on_stop.is_some())
            .finish_non_exhaustive()
    }
}
