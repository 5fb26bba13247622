//! `Builder`: sets up a [`Runtime`] the way tokio's `runtime::Builder` does.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::Runtime;
use super::park_hooks::ParkHooks;
use crate::Core;
use crate::event_loop::{EVENTS_PER_POLL, TASKS_PER_TURN};
use crate::task::{BlockingConfig, OwnedBlockingPool};
use crate::time::TimerSpin;

/// Configures and builds a [`Runtime`]: tokio's `runtime::Builder`, for code ported from
/// tokio that builds its runtime by hand.
///
/// Only [`new_current_thread`](Builder::new_current_thread) exists: a Mirage runtime is one
/// Core on one thread. There is no `new_multi_thread`; for several threads, build a
/// `Runtime` (or a [`Core`]) on each, with its own listener (`SO_REUSEPORT`, see the
/// README's `reuseport` example) and `sync::cross_thread` channels between them. The
/// [module docs](super) list the tokio settings left out.
///
/// # The blocking pool
///
/// A runtime built here owns a pool of threads for [`spawn_blocking`](crate::spawn_blocking),
/// which [`max_blocking_threads`](Builder::max_blocking_threads),
/// [`thread_keep_alive`](Builder::thread_keep_alive), [`thread_name`](Builder::thread_name),
/// [`thread_name_fn`](Builder::thread_name_fn), [`thread_stack_size`](Builder::thread_stack_size),
/// [`on_thread_start`](Builder::on_thread_start) and [`on_thread_stop`](Builder::on_thread_stop)
/// configure, as tokio's do (they set nothing else: the runtime's tasks run on the thread
/// that calls [`block_on`](Runtime::block_on)). Its work goes there: `spawn_blocking` and
/// what runs on the pool ([`fs`](crate::fs), the standard streams) called inside the
/// runtime's `block_on`, in its tasks, or after [`Runtime::enter`]; and
/// [`Runtime::spawn_blocking`] and [`Handle::spawn_blocking`](super::Handle::spawn_blocking)
/// from anywhere; and, as on tokio's blocking threads, `spawn_blocking` inside a closure
/// that runs on the pool. Two runtimes on one thread have a pool each, with its own settings
/// and limit. Work handed out elsewhere (on a thread that runs no runtime, or inside a bare
/// [`Core`]) goes to the calling thread's own pool, with the defaults, as before.
///
/// Why a pool per runtime rather than one per thread set by the last runtime built: the
/// settings then mean what they say, whatever else the thread runs, and a limit of 1 holds
/// for one runtime's work only. The pool is found through the Core that is current, which
/// `spawn_blocking` looks up anyway: the Core's own paths pay nothing for it.
///
/// The pool is made with the runtime, but starts no thread before its first job. Dropping
/// the runtime does not wait for blocking work (unlike tokio's): its idle threads exit
/// then, and the busy ones once their job, and the jobs queued behind them, are done.
/// [`Runtime::shutdown_timeout`] waits for them, up to a limit.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::runtime::Builder;
///
/// let runtime = Builder::new_current_thread()
///     .enable_all()
///     .start_paused(true)
///     .build()?;
/// let waited = runtime.block_on(async {
///     let start = mirage::time::Instant::now();
///     mirage::time::sleep(Duration::from_secs(60)).await; // virtual time: instant
///     start.elapsed()
/// });
/// assert_eq!(waited, Duration::from_secs(60));
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    start_paused: bool,
    event_interval: u32,
    max_io_events_per_tick: usize,
    /// The settings of the runtime's blocking pool.
    blocking: BlockingConfig,
    /// `on_thread_park` and `on_thread_unpark`.
    park_hooks: ParkHooks,
    /// [`Builder::timer_spin`].
    timer_spin: TimerSpin,
}

impl Builder {
    /// A builder for a runtime that runs every task on the thread that calls
    /// [`Runtime::block_on`]: Mirage's only kind.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread().build()?;
    /// assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder {
            start_paused: false,
            event_interval: TASKS_PER_TURN as u32,
            max_io_events_per_tick: EVENTS_PER_POLL,
            blocking: BlockingConfig::default(),
            park_hooks: ParkHooks::default(),
            timer_spin: TimerSpin::default(),
        }
    }

    /// Accepted for tokio's sake; does nothing: every Core has its I/O reactor and its
    /// timers.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread().enable_all().build()?;
    /// # drop(runtime);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Accepted for tokio's sake; does nothing: every Core has its I/O reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread().enable_io().build()?;
    /// # drop(runtime);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Accepted for tokio's sake; does nothing: every Core has its timers.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread().enable_time().build()?;
    /// # drop(runtime);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// Whether the runtime's clock starts [paused](crate::time::pause): virtual time, in
    /// which a Core with nothing else to do jumps to its next timer. Off by default. (tokio
    /// has this behind its `test-util` feature; Mirage always has it.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = mirage::runtime::Builder::new_current_thread().start_paused(true).build()?;
    /// runtime.block_on(async {
    ///     let timeout = mirage::time::timeout(Duration::from_secs(3600), std::future::pending::<()>());
    ///     assert!(timeout.await.is_err()); // an hour, in no real time
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.start_paused = start_paused;
        self
    }

    /// How many tasks the Core runs in a turn before it polls for I/O and timers again
    /// (step 3 of [a turn](crate::Core#a-turn-of-the-loop)). Mirage's default is 128 (tokio's,
    /// 61). Lower lets I/O in sooner when tasks take long to poll; higher costs fewer polls.
    ///
    /// # Panics
    ///
    /// If `val` is 0, as tokio's.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread().event_interval(31).build()?;
    /// # drop(runtime);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn event_interval(&mut self, val: u32) -> &mut Self {
        assert!(val > 0, "event_interval must be greater than 0");
        self.event_interval = val;
        self
    }

    /// Accepted for tokio's sake; has no effect, as in tokio's current-thread runtime: a
    /// Mirage runtime has one worker, the thread that calls [`block_on`](Runtime::block_on).
    ///
    /// # Panics
    ///
    /// If `val` is 0, as tokio's.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread().worker_threads(4).build()?;
    /// assert_eq!(runtime.metrics().num_workers(), 1);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn worker_threads(&mut self, val: usize) -> &mut Self {
        assert!(val > 0, "worker_threads cannot be set to 0");
        self
    }

    /// Accepted for tokio's sake; has no effect: a Core takes in the work woken or spawned
    /// from other threads (tokio's global queue) at every turn, that is after at most
    /// [`event_interval`](Builder::event_interval) tasks, and queues it behind the tasks
    /// already ready, in the order it came.
    ///
    /// # Panics
    ///
    /// If `val` is 0, as tokio's.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .global_queue_interval(31)
    ///     .build()?;
    /// # drop(runtime);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn global_queue_interval(&mut self, val: u32) -> &mut Self {
        assert!(val > 0, "global_queue_interval must be greater than 0");
        self
    }

    /// How many I/O events one poll of the Core collects; more wait for the next turn.
    /// 1024 by default, as in tokio. A value above what one `epoll_wait` accepts (about 178
    /// million events) is capped there.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0, as tokio's.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .max_io_events_per_tick(256)
    ///     .build()?;
    /// # drop(runtime);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn max_io_events_per_tick(&mut self, capacity: usize) -> &mut Self {
        assert!(
            capacity > 0,
            "max_io_events_per_tick must be greater than 0"
        );
        self.max_io_events_per_tick = capacity;
        self
    }

    /// Sets how the runtime's Core waits for a timer deadline when it has nothing else to
    /// do: asleep in the kernel until it, or awake for the last stretch before it, so that
    /// timers fire within microseconds of their deadline even where waking a sleeping thread
    /// is slow. [`TimerSpin::Adaptive`] by default; a [`Duration`] converts (zero turns
    /// spinning off, anything else is a fixed window). Not in tokio; see [`TimerSpin`] for
    /// what each mode costs.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .timer_spin(Duration::from_micros(200))
    ///     .build()?;
    /// runtime.block_on(mirage::time::sleep(Duration::from_millis(1)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn timer_spin(&mut self, spin: impl Into<TimerSpin>) -> &mut Self {
        self.timer_spin = spin.into();
        self
    }

    /// How many threads the runtime's blocking pool may run at once: 512 by default, as in
    /// tokio. A job for which no idle thread waits starts a new one below the limit; at the
    /// limit it queues, and the threads take the queued jobs in order as they finish theirs.
    /// The queue has no bound.
    ///
    /// Below the limit a job never waits behind another, so jobs that wait for each other
    /// (through a channel, say) all run. At the limit they may wait for good: with a limit
    /// of 1, a job that waits for a later one never sees it run. Keep the limit above the
    /// number of such jobs that may run at once, as tokio advises. The standard streams and
    /// [`fs`](crate::fs) run on this pool too: each of their calls takes a thread while it
    /// runs.
    ///
    /// # Panics
    ///
    /// If `val` is 0, as tokio's: no job could ever run.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .max_blocking_threads(1)
    ///     .build()?;
    /// let (tx, rx) = mpsc::channel();
    /// let (first_tx, second_tx) = (tx.clone(), tx);
    /// let first = runtime.spawn_blocking(move || first_tx.send("first").unwrap());
    /// let second = runtime.spawn_blocking(move || second_tx.send("second").unwrap());
    /// runtime.block_on(async {
    ///     first.await.unwrap();
    ///     second.await.unwrap();
    /// });
    /// // One thread: the second job ran after the first.
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["first", "second"]);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn max_blocking_threads(&mut self, val: usize) -> &mut Self {
        assert!(val > 0, "max_blocking_threads must be greater than 0");
        self.blocking.max_threads = val;
        self
    }

    /// How long a thread of the blocking pool waits idle for a job before it exits: 10
    /// seconds by default, as in tokio. The next job after that starts a new thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .thread_keep_alive(Duration::from_millis(100))
    ///     .build()?;
    /// let job = runtime.spawn_blocking(|| "the thread exits 100 ms after this job");
    /// assert_eq!(runtime.block_on(job).unwrap(), "the thread exits 100 ms after this job");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.blocking.keep_alive = duration;
        self
    }

    /// The name of each thread of the blocking pool: `"mirage-blocking"` by default (tokio's
    /// is `"tokio-rt-worker"`). Replaces a [`thread_name_fn`](Builder::thread_name_fn).
    ///
    /// # Panics
    ///
    /// If `val` holds a NUL byte, which no thread name may.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .thread_name("disk-io")
    ///     .build()?;
    /// let name = runtime.spawn_blocking(|| std::thread::current().name().map(String::from));
    /// assert_eq!(runtime.block_on(name).unwrap().as_deref(), Some("disk-io"));
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn thread_name(&mut self, val: impl Into<String>) -> &mut Self {
        let val = val.into();
        assert!(
            !val.contains('\0'),
            "thread_name must not contain a NUL byte: {val:?}"
        );
        self.blocking.thread_name = Arc::new(move || val.clone());
        self
    }

    /// Names each thread of the blocking pool by calling `f` as it starts the thread, on the
    /// thread whose job starts it. Replaces a [`thread_name`](Builder::thread_name).
    ///
    /// A panic in `f` is the panic of the call that needed the thread (its job is dropped
    /// unrun), and so is a name that holds a NUL byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .thread_name_fn(|| {
    ///         static NEXT: AtomicUsize = AtomicUsize::new(0);
    ///         format!("blocking-{}", NEXT.fetch_add(1, Ordering::Relaxed))
    ///     })
    ///     .build()?;
    /// let name = runtime.spawn_blocking(|| std::thread::current().name().map(String::from));
    /// assert_eq!(runtime.block_on(name).unwrap().as_deref(), Some("blocking-0"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn thread_name_fn<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self.blocking.thread_name = Arc::new(f);
        self
    }

    /// The stack size, in bytes, of each thread of the blocking pool. By default, std's for
    /// a new thread (2 MiB unless the `RUST_MIN_STACK` variable says otherwise). The system
    /// may round it up to its minimum or to whole pages.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .thread_stack_size(8 * 1024 * 1024)
    ///     .build()?;
    /// let deep = runtime.spawn_blocking(|| {
    ///     let frame = [1u8; 4 * 1024 * 1024]; // more than a default stack holds
    ///     std::hint::black_box(&frame).iter().map(|&b| u32::from(b)).sum::<u32>()
    /// });
    /// assert_eq!(runtime.block_on(deep).unwrap(), 4 * 1024 * 1024);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn thread_stack_size(&mut self, val: usize) -> &mut Self {
        self.blocking.stack_size = Some(val);
        self
    }

    /// Runs `f` on each new thread of the blocking pool, before its first job: for
    /// bookkeeping, as in tokio. It runs once per thread, outside any runtime.
    ///
    /// A panic in `f` is reported by the panic hook (printed to stderr, by default), then
    /// caught: the thread goes on to its job. (In tokio the thread would die, and the pool
    /// count it as running.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .on_thread_start({
    ///         let started = Arc::clone(&started);
    ///         move || {
    ///             started.fetch_add(1, Ordering::SeqCst);
    ///         }
    ///     })
    ///     .build()?;
    /// runtime.block_on(runtime.spawn_blocking(|| ())).unwrap();
    /// assert_eq!(started.load(Ordering::SeqCst), 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.blocking.on_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each thread of the blocking pool as it exits, after its last job: when
    /// it has idled for the [keep-alive](Builder::thread_keep_alive) time, or once the
    /// runtime is dropped and no job is left for it. It runs once per thread, outside any
    /// runtime. A panic in `f` is reported and caught, as in
    /// [`on_thread_start`](Builder::on_thread_start).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// let (stopped_tx, stopped) = mpsc::channel();
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .on_thread_stop(move || stopped_tx.send(()).unwrap())
    ///     .build()?;
    /// runtime.block_on(runtime.spawn_blocking(|| ())).unwrap();
    /// drop(runtime); // its idle thread exits now
    /// assert!(stopped.recv_timeout(Duration::from_secs(10)).is_ok());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.blocking.on_stop = Some(Arc::new(f));
        self
    }

    /// Runs `f` on the runtime's thread just before its Core parks: when it has no task
    /// ready and waits for an event (I/O, a timer, a wake-up from another thread), as
    /// tokio's does; on a [paused](Builder::start_paused) clock, also before each jump to
    /// the next timer. `f` runs inside the runtime, so it may spawn or wake tasks; the Core
    /// then only checks for events instead of waiting (or jumping). A panic in `f` propagates out of
    /// [`block_on`](Runtime::block_on). The stretch the Core stays awake just before a timer
    /// deadline ([`TimerSpin`]) is not a park: `f` runs before the sleep that precedes it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let parks = Arc::new(AtomicUsize::new(0));
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .on_thread_park({
    ///         let parks = Arc::clone(&parks);
    ///         move || {
    ///             parks.fetch_add(1, Ordering::SeqCst);
    ///         }
    ///     })
    ///     .build()?;
    /// runtime.block_on(mirage::time::sleep(Duration::from_millis(1)));
    /// assert!(parks.load(Ordering::SeqCst) >= 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_thread_park<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.park_hooks.on_park = Some(Arc::new(f));
        self
    }

    /// Runs `f` on the runtime's thread just after its Core unparks: an event came (or a
    /// deadline passed) and it goes back to its tasks. Each run of the
    /// [`on_thread_park`](Builder::on_thread_park) hook is followed by one run of this one,
    /// as in tokio, also when that hook gave the Core work (it then only checked for
    /// events, which the metrics do not count as a park). `f` runs once the Core has taken
    /// in the events it waited for, so a panic in `f`, which propagates out of
    /// [`block_on`](Runtime::block_on), loses none of them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let unparks = Arc::new(AtomicUsize::new(0));
    /// let runtime = mirage::runtime::Builder::new_current_thread()
    ///     .on_thread_unpark({
    ///         let unparks = Arc::clone(&unparks);
    ///         move || {
    ///             unparks.fetch_add(1, Ordering::SeqCst);
    ///         }
    ///     })
    ///     .build()?;
    /// runtime.block_on(mirage::time::sleep(Duration::from_millis(1)));
    /// assert_eq!(unparks.load(Ordering::SeqCst) as u64, runtime.metrics().worker_park_count(0));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_thread_unpark<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.park_hooks.on_unpark = Some(Arc::new(f));
        self
    }

    /// Builds the runtime: a [`Core`] on this thread.
    ///
    /// # Errors
    ///
    /// As [`Core::new`]: when the operating system refuses the Core's descriptors (the
    /// process is out of file descriptors, say).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Builder::new_current_thread().build()?;
    /// runtime.block_on(async { println!("running") });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let pool = OwnedBlockingPool::for_runtime(self.blocking.clone());
        let mut core = Core::with_blocking_pool(Some(pool))?;
        core.configure(self.event_interval as usize, self.max_io_events_per_tick);
        core.set_park_hooks(self.park_hooks.clone());
        core.set_timer_spin(self.timer_spin);
        if self.start_paused {
            core.local().timers.clock.pause();
        }
        Ok(Runtime::from_core(core))
    }
}
