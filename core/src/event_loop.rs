//! `Core`: the event loop that runs tasks and waits for I/O.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant as StdInstant};

use std::os::fd::AsRawFd;

use crate::reactor::{Reactor, TIMER_TOKEN, WAKER_TOKEN};
use crate::runtime::park_hooks::ParkHooks;
use crate::runtime::worker_stats::BusyStretch;
use crate::scheduler::Local;
use crate::shared::Shared;
use crate::sys::timerfd::TimerFd;
use crate::task::raw::TaskRef;
use crate::task::{JoinHandle, OwnedBlockingPool, Spawner, waker};
use crate::time::TimerSpin;
use crate::time::wake_latency::WakeLatency;
use crate::{context, coop};

/// How many tasks one turn of the loop runs before it checks for I/O again, so a task that
/// keeps waking itself cannot starve sockets and timers.
pub(crate) const TASKS_PER_TURN: usize = 128;

/// How many I/O events one poll collects; more wait for the next turn.
pub(crate) const EVENTS_PER_POLL: usize = 1024;

/// The most events one `epoll_wait` accepts a buffer for: the kernel refuses a larger
/// `maxevents` (`EP_MAX_EVENTS`, `INT_MAX` over the size of an event) with `EINVAL`.
const MAX_EVENTS_PER_POLL: usize = i32::MAX as usize / std::mem::size_of::<libc::epoll_event>();

/// A single-threaded event loop: it runs tasks and waits for I/O readiness.
///
/// One `Core` per thread; it never moves between threads (`!Send`), so its tasks need not be
/// `Send` and its bookkeeping takes no locks. Wakers stay `Send + Sync`: a task woken from
/// another thread is handed over through a queue, and a Core blocked in its poller wakes up.
///
/// # A turn of the loop
///
/// [`run`](Core::run) repeats these steps until its future completes:
/// 1. the future given to `run` is polled, if it was woken;
/// 2. tasks woken from other threads (or on this one while the Core was not running) join
///    the run queue;
/// 3. up to 128 tasks from the run queue are polled, in the order they were woken (a task
///    woken meanwhile goes to the back), each with a fresh [cooperative budget](crate::coop);
/// 4. the Core polls for I/O: without blocking if anything is ready to run, otherwise until
///    an I/O event, a wake-up from another thread, or the next timer deadline. Then it wakes
///    the tasks whose sockets became ready, then those whose timers are due (in virtual time,
///    with nothing else to do, the clock first jumps to the next deadline).
///
/// Tasks woken in step 4 run at step 3 of the next turn, and tasks that keep waking one
/// another still let sockets and timers in after every 128 polls.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new()?;
/// let answer = core.run(async {
///     let task = mirage::spawn(async { 6 * 7 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// # std::io::Result::Ok(())
/// ```
pub struct Core {
    /// On the heap so the thread-local pointer to it survives moves of the `Core`; an `Rc` so
    /// a `Runtime` and its enter guards can name it while `run` borrows the `Core`.
    local: Rc<Local>,
    poll: mio::Poll,
    events: mio::Events,
    root_waker: Waker,
    /// Wakes a blocked Core at the next timer deadline (see `time`'s docs on precision).
    timerfd: TimerFd,
    /// What the timerfd is armed for, until it fires.
    armed: Option<Armed>,
    /// Reused buffers, so a turn allocates nothing.
    remote_tasks: Vec<TaskRef>,
    io_wakers: Vec<Waker>,
    /// How many tasks one turn runs (`runtime::Builder::event_interval`).
    tasks_per_turn: usize,
    /// When the busy stretch in progress began, for the runtime's metrics.
    busy: BusyStretch,
    /// `runtime::Builder`'s `on_thread_park` and `on_thread_unpark`.
    park_hooks: ParkHooks,
    /// How long before a timer deadline the Core stops sleeping in the kernel and polls
    /// without blocking instead ([`Core::set_timer_spin`]).
    timer_spin: TimerSpin,
    /// How late the kernel wakes this Core after the timerfd expires, for
    /// [`TimerSpin::Adaptive`].
    wake_latency: WakeLatency,
    /// The deadline (tick and clock epoch) whose spin lead last woke the Core: until it,
    /// the Core stays awake ([`TimerSpin::Adaptive`]).
    woke_early_for: Option<(u64, u64)>,
}

/// The timerfd's setting, from arming until it fires.
#[derive(Clone, Copy)]
struct Armed {
    /// The tick of the deadline it is armed for.
    tick: u64,
    /// The clock epoch it was armed in: after a `pause`/`resume` the same tick maps to
    /// another real time.
    epoch: u64,
    /// When it expires, on the clock's axis: the deadline less the spin lead.
    expires: StdInstant,
    /// Whether it expires before the deadline (a spin lead), so that the Core stays awake
    /// from then on.
    early: bool,
    /// Whether the park in progress armed it, just before it waits: only such a wait, if it
    /// begins before the expiry, measures the kernel's latency (a wait that began after a
    /// busy stretch or a long park hook would count those too).
    fresh: bool,
}

impl Core {
    /// Creates a Core: an epoll instance and an eventfd for cross-thread wake-ups.
    ///
    /// # Errors
    ///
    /// When the operating system refuses those descriptors (e.g. the process is out of file
    /// descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// let core = mirage::Core::new()?;
    /// # drop(core);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new() -> io::Result<Core> {
        Core::with_blocking_pool(None)
    }

    /// A Core whose `spawn_blocking` work goes to `blocking` (a runtime's own pool, from
    /// `runtime::Builder`), or else, with `None`, to the pool of the thread that hands it
    /// out.
    pub(crate) fn with_blocking_pool(blocking: Option<OwnedBlockingPool>) -> io::Result<Core> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        let shared = Arc::new(Shared::new(waker));
        let reactor = Rc::new(Reactor::new(poll.registry().try_clone()?));
        let timerfd = TimerFd::new()?;
        poll.registry().register(
            &mut mio::unix::SourceFd(&timerfd.as_raw_fd()),
            TIMER_TOKEN,
            mio::Interest::READABLE,
        )?;
        Ok(Core {
            root_waker: waker::root(&shared),
            local: Rc::new(Local::new(shared, reactor, blocking)),
            timerfd,
            armed: None,
            poll,
            events: mio::Events::with_capacity(EVENTS_PER_POLL),
            remote_tasks: Vec::new(),
            io_wakers: Vec::new(),
            tasks_per_turn: TASKS_PER_TURN,
            busy: BusyStretch::default(),
            park_hooks: ParkHooks::default(),
            timer_spin: TimerSpin::default(),
            wake_latency: WakeLatency::default(),
            woke_early_for: None,
        })
    }

    /// Runs `future` to completion on this thread, running every spawned task meanwhile,
    /// and returns its output.
    ///
    /// `future` need not be `'static` nor `Send`: it may borrow from the caller. Tasks still
    /// pending when it completes stay in the Core and continue at the next `run`. A panic in
    /// `future` propagates to the caller (a panic in a spawned task does not; see
    /// [`JoinHandle`]).
    ///
    /// # Panics
    ///
    /// If a Core is already running on this thread: the nested run would block the outer
    /// one. Spawn the future, or `.await` it, instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut log = Vec::new();
    /// core.run(async { log.push("borrowed, not 'static") });
    /// assert_eq!(log.len(), 1);
    /// ```
    pub fn run<F: Future>(&mut self, future: F) -> F::Output {
        let _running = context::enter(&self.local);
        // While the Core runs, sleeps may defer their clock read to the end of their poll
        // (see `time/unsettled.rs`); a poll that panics is settled as `run` unwinds.
        let _settle = crate::time::unsettled::RunSettle::start(&self.local.timers);
        let mut future = pin!(future);
        let root_waker = self.root_waker.clone();
        let mut cx = Context::from_waker(&root_waker);
        self.local.shared.wake_root(true);
        self.busy.begin(&self.local.shared.worker);
        loop {
            if self.local.shared.take_root_woken() {
                self.local.root_polled();
                coop::refill();
                let polled = future.as_mut().poll(&mut cx);
                self.local.timers.settle();
                if let Poll::Ready(output) = polled {
                    self.busy.end(&self.local.shared.worker);
                    return output;
                }
            }
            // Tasks woken from other threads, or on this one while the Core was not running
            // (between two `run`s), join the queue before this turn's tasks run: a task that
            // was ready before the future above yielded then runs before it continues, as
            // every locally woken one does (and as in tokio's current-thread runtime).
            if self.local.shared.is_notified() {
                self.local.shared.drain(&mut self.remote_tasks);
                self.local.schedule_remote(&mut self.remote_tasks);
            }
            self.local.run_tasks(self.tasks_per_turn);
            self.park();
        }
    }

    /// Spawns a task on this Core from outside it; it starts at the next [`run`](Core::run).
    /// Inside a running Core, use [`mirage::spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let handle = core.spawn(async { "spawned before run" });
    /// assert_eq!(core.run(handle).unwrap(), "spawned before run");
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.local.spawn(future)
    }

    /// A handle that spawns tasks on this Core from any thread (see [`Spawner`]).
    ///
    /// The first call spawns a task that receives the spawned work; it runs like any other
    /// task of this Core, and ends with the Core.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let spawner = core.spawner();
    /// let answer = std::thread::spawn(move || spawner.spawn(|| async { 6 * 7 }))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(core.run(answer).unwrap(), 42);
    /// ```
    pub fn spawner(&self) -> Spawner {
        self.local.spawner()
    }

    /// Sets how this Core waits for a timer deadline when it has nothing else to do:
    /// asleep in the kernel until it, or awake for the last stretch before it, so that the
    /// timer fires within microseconds even where waking a sleeping thread is slow. The
    /// default, [`TimerSpin::Adaptive`], learns how long that stretch needs to be; see
    /// [`TimerSpin`] for each mode and what it costs. A [`Duration`] converts: zero turns
    /// spinning off, anything else is a fixed window.
    ///
    /// [`runtime::Builder::timer_spin`](crate::runtime::Builder::timer_spin) sets it for a
    /// `Runtime`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::time::{sleep_until, Instant};
    ///
    /// let mut core = mirage::Core::new()?;
    /// core.set_timer_spin(Duration::from_micros(200));
    /// core.run(async {
    ///     let deadline = Instant::now() + Duration::from_millis(1);
    ///     sleep_until(deadline).await;
    ///     assert!(Instant::now() >= deadline); // never early; usually within a microsecond
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_timer_spin(&mut self, spin: impl Into<TimerSpin>) {
        self.timer_spin = spin.into();
        // An armed timerfd may be set for the deadline itself: let the next park re-arm it.
        self.armed = None;
        // An early wake-up under the old setting (a window's, as long as that window) must
        // not keep the Core awake under the new one: the next park works out its own lead.
        self.woke_early_for = None;
    }

    /// Sets how many tasks a turn runs before polling for I/O, and how many I/O events a
    /// poll collects (`runtime::Builder`'s `event_interval` and `max_io_events_per_tick`).
    pub(crate) fn configure(&mut self, tasks_per_turn: usize, events_per_poll: usize) {
        self.tasks_per_turn = tasks_per_turn;
        // Capped at what one poll can return: a larger buffer would fail every poll (or, for
        // the largest values, its allocation), and the events beyond wait a turn anyway.
        self.events = mio::Events::with_capacity(events_per_poll.min(MAX_EVENTS_PER_POLL));
    }

    /// Sets what the Core runs around each park (`runtime::Builder`'s `on_thread_park` and
    /// `on_thread_unpark`).
    pub(crate) fn set_park_hooks(&mut self, hooks: ParkHooks) {
        self.park_hooks = hooks;
    }

    /// The scheduler, for a `Runtime` to spawn on and enter while `run` borrows the Core.
    pub(crate) fn local(&self) -> &Rc<Local> {
        &self.local
    }

    /// Waits for I/O and timers: without blocking when work is ready, otherwise until an I/O
    /// event, a wake-up from another thread, or the next timer deadline. Then fires the
    /// timers that are due.
    fn park(&mut self) {
        // The turn's polls are over: the park hooks run outside any task's budget.
        coop::lift();
        let local = &*self.local;
        // Every poll settles its sleeps; this catches those started elsewhere in the turn
        // (a waker's `wake`, a destructor run by the scheduler).
        local.timers.settle();
        // Read before `ready`: a job counts until its handle has its answer, so once it is
        // seen over, the wake-up of the task awaiting it is seen too.
        let blocking = local.shared.is_blocking();
        let mut ready = local.has_work();
        let next_timer = local.timers.next_expiration();
        let paused = local.timers.clock.is_paused();
        // Virtual time jumps to the next deadline when nothing else can happen first; not
        // while `spawn_blocking` work runs, which completes in real time (as in tokio).
        let may_jump = paused && next_timer.is_some() && !blocking;
        // A frozen clock can still stand at or past a deadline the wheel has not reached
        // (`pause` moves it on from where the wheel last fired): that timer is due now.
        let clock = &local.timers.clock;
        let due_now =
            paused && next_timer.is_some_and(|tick| tick <= clock.tick_at_or_before(clock.now()));
        let mut timeout = if ready || may_jump || due_now {
            Some(Duration::ZERO)
        } else if paused {
            // No later timer comes due on a frozen clock: wait for a wake-up.
            None
        } else {
            next_timer.and_then(|tick| self.wait_for_timer(tick))
        };
        let local = &*self.local;
        let mut io_events = false;
        // Out of work, about to wait for events rather than only check for them: the Core
        // parks, and the park hooks run around it. So also on a paused clock, where the wait
        // is for a timer that virtual time jumps to (tokio's paused clock jumps inside its
        // park too). A spin before a deadline only checks.
        let parks = !ready && (timeout != Some(Duration::ZERO) || paused);
        if parks && !self.park_hooks.is_empty() {
            self.park_hooks.before_park();
            local.timers.settle();
            // The hook may have spawned or woken a task: then only check for events, and
            // let the task run before virtual time jumps.
            if local.has_work() {
                timeout = Some(Duration::ZERO);
                ready = true;
            }
        }
        // A park the hook did not turn into a check counts in the metrics.
        let counted = parks && !ready;
        // Whether it still waits in real time: only then is the Core idle for the metrics'
        // busy time. A check with no socket registered needs no poll (timers and other
        // threads' wake-ups are seen without one).
        let waits = timeout != Some(Duration::ZERO);
        // Only a wait in the park that armed the timerfd measures how late the kernel wakes,
        // and only if it begins before the expiry: a deadline already past (a busy stretch
        // ran over it) or a park hook that ran past the expiry would measure themselves.
        let armed_now = self
            .armed
            .as_mut()
            .and_then(|armed| std::mem::take(&mut armed.fresh).then_some(armed.expires));
        let measures_wake_up =
            waits && armed_now.is_some_and(|expires| local.timers.clock.now() < expires);
        let worker = &local.shared.worker;
        if counted {
            worker.park_or_unpark();
        }
        if waits || !local.reactor.is_empty() {
            if waits {
                self.busy.end(worker);
            }
            let polled = self.poll.poll(&mut self.events, timeout);
            if waits {
                self.busy.begin(worker);
            }
            match polled {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                // epoll_wait fails only on a bad descriptor or buffer: a bug, not a condition
                // to retry (retrying would spin).
                Err(err) => panic!("mirage Core: polling for I/O failed: {err}"),
            }
            io_events = !self.events.is_empty();
            if local.reactor.dispatch(&self.events, &mut self.io_wakers)
                && let Some(armed) = self.armed.take()
            {
                if armed.early {
                    self.woke_early_for = Some((armed.tick, armed.epoch));
                }
                if measures_wake_up {
                    let clock = &local.timers.clock;
                    self.wake_latency
                        .record(clock.now().saturating_duration_since(armed.expires));
                }
            }
        }
        if counted {
            worker.park_or_unpark();
        }
        if let Some(tick) = next_timer {
            // Checked again: another thread may have woken a task since `ready` was read
            // (tokio checks likewise that nothing woke its driver before it jumps). No test
            // can hit that window on purpose; it is one load per jump.
            if may_jump && !ready && !io_events && !local.has_work() {
                // Virtual time with nothing else to do: jump to the next deadline.
                local.timers.clock.jump_to(tick);
            }
            local.timers.fire_due(&mut self.io_wakers);
        }
        for waker in self.io_wakers.drain(..) {
            waker.wake();
        }
        // Last: a panic in the hook must not lose the events just taken from epoll.
        if parks {
            self.park_hooks.after_unpark();
        }
    }

    /// The poll timeout for a Core with nothing to do before the timer due at `tick`: none,
    /// with the timerfd armed to end the wait (at the deadline, or the spin lead before it),
    /// or zero while the Core stays awake for the last stretch ([`Core::set_timer_spin`]):
    /// it then polls without blocking, turn after turn, until the timer is due or something
    /// else happens.
    fn wait_for_timer(&mut self, tick: u64) -> Option<Duration> {
        let epoch = self.local.timers.clock.epoch();
        // Armed at or before this deadline already (a wake-up that comes early re-arms): no
        // clock read, so a Core woken by I/O goes back to sleep as cheaply as without a lead.
        if self
            .armed
            .is_some_and(|armed| armed.tick <= tick && armed.epoch == epoch)
        {
            return None;
        }
        // Woken by the adaptive lead for this deadline (or a later one, since cancelled): stay
        // awake until it.
        if self.timer_spin == TimerSpin::Adaptive
            && self
                .woke_early_for
                .is_some_and(|(woke_for, woke_epoch)| tick <= woke_for && woke_epoch == epoch)
        {
            return Some(spin_turn());
        }
        let clock = &self.local.timers.clock;
        let until = clock.real_duration_until(tick);
        if until.is_zero() {
            // Due already (a task ran past the deadline): a check, then the timer fires,
            // with no kernel timer to arm and no wait.
            return Some(Duration::ZERO);
        }
        let lead = match self.timer_spin {
            TimerSpin::Off => Duration::ZERO,
            TimerSpin::Adaptive => self.wake_latency.lead(until),
            TimerSpin::Window(window) => window,
        };
        if !lead.is_zero() && until <= lead {
            return Some(spin_turn());
        }
        let after = until - lead;
        match self.timerfd.set(after) {
            Ok(()) => {
                let expires = clock.instant_of(tick) - lead;
                self.armed = Some(Armed {
                    tick,
                    epoch,
                    expires,
                    early: !lead.is_zero(),
                    fresh: true,
                });
                None
            }
            // Cannot happen with a valid descriptor and duration; epoll's own timeout
            // (millisecond resolution) still wakes the Core, if later.
            Err(_) => Some(after),
        }
    }
}

/// One turn of staying awake before a deadline: a pause, kind to a hyper-threaded sibling
/// and nothing next to the clock read (and poll) of each turn, then a poll that does not
/// block.
fn spin_turn() -> Duration {
    std::hint::spin_loop();
    Duration::ZERO
}

#[cfg(test)]
impl Core {
    /// The Core's thread-safe half, for tests that check what keeps it alive.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.local.shared
    }

    /// The lead [`TimerSpin::Adaptive`] would take now before a deadline `until` away.
    pub(crate) fn wake_lead(&self, until: Duration) -> Duration {
        self.wake_latency.lead(until)
    }
}

impl Drop for Core {
    /// Drops every task the Core holds; each future's destructor runs exactly once, and their
    /// `JoinHandle`s report cancellation.
    fn drop(&mut self) {
        let _dropping = context::enter_for_drop(&self.local);
        self.local.shutdown();
        self.local.timers.close();
        self.remote_tasks.clear();
        // The `select!`s of the tasks just dropped gave their wake sets back to this
        // thread's pool, which keeps each set's parent (a waker of this Core's task or root
        // future) for the next `select!`: let go of them, or they would keep this Core's
        // shared half, and its eventfd, alive.
        crate::select_support::forget_parents();
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("tasks", &self.local.task_count())
            .field("ready", &self.local.has_ready())
            .field("timers", &self.local.timers.len())
            .field("timer_spin", &self.timer_spin)
            .finish_non_exhaustive()
    }
}

/// Spawns a task on the Core running on this thread and returns its [`JoinHandle`].
///
/// The future needs no `Send` bound: it stays on this thread. It starts running after the
/// current task yields. Where no Core runs but a [`Runtime`](crate::runtime::Runtime) is
/// [entered](crate::runtime::Runtime::enter), the task is that runtime's, and starts at its
/// next `block_on`.
///
/// # Panics
///
/// Outside a running or entered Core (call it from inside [`Core::run`], or use
/// [`Core::spawn`]).
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let shared = Rc::new(5); // `Rc` is not `Send`, and need not be.
///     let task = mirage::spawn({
///         let shared = Rc::clone(&shared);
///         async move { *shared * 2 }
///     });
///     assert_eq!(task.await.unwrap(), 10);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match context::with_current(|local| local.spawn(future)) {
        Some(handle) => handle,
        None => panic!(
            "mirage::spawn called outside a running or entered Core: call it from inside \
             Core::run or Runtime::block_on (or a task on it), under Runtime::enter, or use \
             Core::spawn; from another thread or a spawn_blocking closure, spawn a Send \
             future with Handle::spawn (Handle::current() inside spawn_blocking)"
        ),
    }
}
