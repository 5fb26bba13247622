//! `RuntimeMetrics`: tokio's stable runtime metrics, read from any thread.
//!
//! The Core keeps the counts where another thread can read them (see `shared.rs`, "The task
//! counts") without costing its own spawns more than a plain store each.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::Spawner;
use crate::shared::Shared;

/// What a runtime's Core is doing, as counts: tokio's `runtime::RuntimeMetrics`, with its
/// stable methods [`num_workers`](RuntimeMetrics::num_workers),
/// [`num_alive_tasks`](RuntimeMetrics::num_alive_tasks),
/// [`global_queue_depth`](RuntimeMetrics::global_queue_depth), and the per-worker
/// [`worker_park_count`](RuntimeMetrics::worker_park_count),
/// [`worker_park_unpark_count`](RuntimeMetrics::worker_park_unpark_count) and
/// [`worker_total_busy_duration`](RuntimeMetrics::worker_total_busy_duration), whose one
/// worker is the Core. Made by
/// [`Runtime::metrics`](super::Runtime::metrics) or [`Handle::metrics`](super::Handle::metrics);
/// `Send`, `Sync` and cheap to clone, so a monitoring thread may keep one.
///
/// Each method reads the counts at the time of the call. On the Core's own thread they are
/// exact; on another thread, they are what they were a moment ago (the Core does not
/// synchronise with readers). A `RuntimeMetrics` kept after its Core is dropped reads 0s.
///
/// Left out: tokio's unstable metrics.
///
/// # Examples
///
/// ```
/// use mirage::runtime::Runtime;
///
/// let runtime = Runtime::new()?;
/// let metrics = runtime.metrics();
/// let task = runtime.spawn(async {});
/// assert_eq!(metrics.num_alive_tasks(), 1);
/// runtime.block_on(task).unwrap();
/// assert_eq!(metrics.num_alive_tasks(), 0);
/// assert_eq!(metrics.num_workers(), 1);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    /// The Core's thread-safe half, which holds the task counts and the remote queue. Weak,
    /// so that a kept `RuntimeMetrics` does not keep the Core's eventfd open.
    shared: Weak<Shared>,
    /// The Core's `Spawner`: the spawns it has not yet taken in.
    spawner: Spawner,
}

impl RuntimeMetrics {
    /// Also starts the Core's busy-time clock (see
    /// [`worker_total_busy_duration`](RuntimeMetrics::worker_total_busy_duration)).
    pub(super) fn new(shared: Weak<Shared>, spawner: Spawner) -> RuntimeMetrics {
        if let Some(shared) = shared.upgrade() {
            shared.worker.start_timing();
        }
        RuntimeMetrics { shared, spawner }
    }

    /// The Core's shared half, for the per-worker metrics of `worker`, which must be 0.
    #[track_caller]
    fn worker(&self, worker: usize) -> Option<Arc<Shared>> {
        assert!(
            worker < self.num_workers(),
            "worker index {worker} out of range: a Mirage runtime has one worker, index 0"
        );
        self.shared.upgrade()
    }

    /// How many threads run the runtime's tasks: always 1, the thread of its Core (tokio's
    /// current-thread runtime says the same). The threads of the blocking pool are not
    /// workers.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// assert_eq!(runtime.metrics().num_workers(), 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn num_workers(&self) -> usize {
        1
    }

    /// How many tasks of the Core are alive: spawned, and whose future has not yet completed
    /// nor been dropped (an aborted task counts until the Core drops its future, at its next
    /// turn, as in tokio).
    ///
    /// Counted are the tasks spawned by [`mirage::spawn`](crate::spawn),
    /// [`Runtime::spawn`](super::Runtime::spawn), [`Core::spawn`](crate::Core::spawn) and
    /// [`JoinSet`](crate::JoinSet)s, and those from [`Handle::spawn`](super::Handle::spawn) or
    /// a [`Spawner`] once the Core has taken them in; until then they count in
    /// [`global_queue_depth`](RuntimeMetrics::global_queue_depth) instead (tokio counts
    /// them in both). Not counted, as in tokio: the future given to
    /// [`block_on`](super::Runtime::block_on) or [`Core::run`](crate::Core::run), which is
    /// not a task; the tasks of a [`LocalSet`](crate::task::LocalSet); `spawn_blocking`
    /// work. Nor are Mirage's own tasks (the one that receives a `Spawner`'s spawns, the
    /// one that waits for a dropped child process): a program that spawns nothing reads 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::runtime::Handle;
    ///
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// runtime.block_on(async {
    ///     let metrics = Handle::current().metrics();
    ///     assert_eq!(metrics.num_alive_tasks(), 0, "block_on's future is not a task");
    ///     let sleeper = mirage::spawn(mirage::time::sleep(Duration::from_secs(60)));
    ///     let quick = mirage::spawn(async {});
    ///     assert_eq!(metrics.num_alive_tasks(), 2);
    ///     quick.await.unwrap();
    ///     assert_eq!(metrics.num_alive_tasks(), 1);
    ///     sleeper.abort();
    ///     assert!(sleeper.await.unwrap_err().is_cancelled());
    ///     assert_eq!(metrics.num_alive_tasks(), 0);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn num_alive_tasks(&self) -> usize {
        self.shared
            .upgrade()
            .map_or(0, |shared| shared.alive_tasks())
    }

    /// How much work waits to enter the Core from outside it: tasks of the Core woken from
    /// another thread (or while the Core was not running) that it has not yet put in its
    /// run queue, and futures sent by [`Handle::spawn`](super::Handle::spawn) or a
    /// [`Spawner`] that it has not yet taken in. This is the depth of tokio's global
    /// (injection) queue, where its current-thread runtime puts the same work. A running
    /// Core takes it in at every turn, so it stays near 0 except while the Core is blocked in a
    /// long poll of a task, or not running at all.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let metrics = runtime.metrics();
    /// let handle = runtime.handle().clone();
    /// // The runtime is not running: the spawn waits.
    /// let task = std::thread::spawn(move || handle.spawn(async { 7 })).join().unwrap();
    /// assert_eq!(metrics.global_queue_depth(), 1);
    /// assert_eq!(runtime.block_on(task).unwrap(), 7);
    /// assert_eq!(metrics.global_queue_depth(), 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn global_queue_depth(&self) -> usize {
        let woken = self
            .shared
            .upgrade()
            .map_or(0, |shared| shared.remote_depth());
        woken + self.spawner.queued()
    }

    /// How many times the worker (the Core) has parked: run out of ready work and waited
    /// for an event (I/O, a timer, a wake-up from another thread), or on a paused clock
    /// jumped to the next timer, as tokio's count is kept. A turn that only checks for
    /// events, with tasks still ready, is not a park. A park in progress counts.
    ///
    /// # Panics
    ///
    /// If `worker` is not 0: the Core is the runtime's one worker (tokio panics too for an
    /// index past its workers).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let metrics = runtime.metrics();
    /// let before = metrics.worker_park_count(0);
    /// runtime.block_on(mirage::time::sleep(Duration::from_millis(1))); // nothing else to do
    /// assert!(metrics.worker_park_count(0) > before);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker)
            .map_or(0, |shared| shared.worker.park_count())
    }

    /// How many times the worker (the Core) has parked plus how many times it has unparked:
    /// odd while it is parked, even while it runs.
    ///
    /// # Panics
    ///
    /// If `worker` is not 0, as [`worker_park_count`](RuntimeMetrics::worker_park_count).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let metrics = runtime.metrics();
    /// runtime.block_on(async {
    ///     // Read on the Core's own thread, while it runs: not parked.
    ///     assert!(metrics.worker_park_unpark_count(0).is_multiple_of(2));
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn worker_park_unpark_count(&self, worker: usize) -> u64 {
        self.worker(worker)
            .map_or(0, |shared| shared.worker.park_unpark_count())
    }

    /// How long the worker (the Core) has been busy, running tasks and handling events,
    /// rather than parked or not running at all: compared with the time passed, the load of
    /// the Core. It grows when a busy stretch ends (the Core parks, or
    /// [`block_on`](super::Runtime::block_on) returns), so one in progress is not counted yet.
    /// The stretch a Core stays awake just before a timer deadline
    /// ([`TimerSpin`](crate::time::TimerSpin)) counts as busy.
    ///
    /// It counts from the first `RuntimeMetrics` made for this runtime on (where tokio's
    /// counts from its start): timing a stretch takes a clock read at each end, which a
    /// Core that nobody monitors is spared. Monitors compare two readings, so for them this
    /// makes no difference.
    ///
    /// # Panics
    ///
    /// If `worker` is not 0, as [`worker_park_count`](RuntimeMetrics::worker_park_count).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let metrics = runtime.metrics();
    /// runtime.block_on(async {
    ///     let start = Instant::now();
    ///     while start.elapsed() < Duration::from_millis(5) {} // busy
    /// });
    /// assert!(metrics.worker_total_busy_duration(0) >= Duration::from_millis(5));
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        self.worker(worker)
            .map_or(Duration::ZERO, |shared| shared.worker.busy())
    }
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("global_queue_depth", &self.global_queue_depth())
            .field("worker_park_count", &self.worker_park_count(0))
            .field(
                "worker_total_busy_duration",
                &self.worker_total_busy_duration(0),
            )
            .finish()
    }
}
