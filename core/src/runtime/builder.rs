//! `Builder`: sets up a [`Runtime`] the way tokio's `runtime::Builder` does.

use std::io;

use super::Runtime;
use crate::event_loop::{EVENTS_PER_POLL, TASKS_PER_TURN};
use crate::Core;

/// Configures and builds a [`Runtime`]: tokio's `runtime::Builder`, for code ported from
/// tokio that builds its runtime by hand.
///
/// Only [`new_current_thread`](Builder::new_current_thread) exists: a Mirage runtime is one
/// Core on one thread. There is no `new_multi_thread`; for several threads, build a
/// `Runtime` (or a [`Core`]) on each, with its own listener (`SO_REUSEPORT`, see the
/// README's `reuseport` example) and `sync::cross_thread` channels between them. The
/// [module docs](super) list the tokio settings left out.
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
    /// (step 2 of [a turn](crate::Core#a-turn-of-the-loop)). Mirage's default is 128 (tokio's,
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

    /// How many I/O events one poll of the Core collects; more wait for the next turn.
    /// 1024 by default, as in tokio.
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
        let mut core = Core::new()?;
        core.configure(self.event_interval as usize, self.max_io_events_per_tick);
        if self.start_paused {
            core.local().timers.clock.pause();
        }
        Ok(Runtime::from_core(core))
    }
}
