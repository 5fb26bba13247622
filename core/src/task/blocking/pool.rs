//! The threads that run blocking work: a pool per runtime built by `runtime::Builder`, with
//! its settings, and one per thread, with the defaults, for work handed out anywhere else
//! (but for a pool's own threads, which hand their work to that pool); each grown on
//! demand, each worker kept for a while after its last job.
//!
//! A job goes straight to an idle worker (through that worker's own queue) or to a new
//! thread, so it never waits behind another job while the pool is below its thread limit:
//! jobs that wait for each other cannot deadlock. Only at the limit do jobs queue, and a
//! worker takes the next queued job when it finishes one.

use std::any::Any;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Instant;

use super::config::{Config, Hook};
use crate::context;
use crate::task::raw::drop_caught;

/// Work for a pool thread; it catches its own panics.
pub(super) type Job = Box<dyn FnOnce() + Send + 'static>;

thread_local! {
    /// This thread's pool, made at its first use, with the default settings. Dropped when
    /// the thread exits, which lets the idle workers go at once.
    static POOL: RefCell<Option<OwnedPool>> = const { RefCell::new(None) };

    /// On a pool's worker thread, while it serves jobs (not while it runs its start or stop
    /// hook), that pool.
    static WORKER_OF: RefCell<Option<Pool>> = const { RefCell::new(None) };
}

/// Runs `job` on the pool of the current runtime (the one running on this thread, or else
/// the one entered) if it has one; with no Core on this thread, on the pool this thread
/// works for, if it is a pool thread (as tokio's blocking threads hand work to their own
/// runtime's pool; once that runtime is gone, the job is dropped unrun, cancelled); or else
/// on this thread's pool. Fails only if no thread could be started and none is running to
/// take the job later; the job is then dropped.
pub(super) fn run(job: Job) -> io::Result<()> {
    // Cloned out, so that no user code (the thread name function) runs while the current
    // Core's scheduler is borrowed.
    match context::with_current(|local| local.blocking_pool().cloned()) {
        Some(Some(pool)) => pool.run(job),
        Some(None) => run_on_thread_pool(job),
        None => match WORKER_OF
            .try_with(|pool| pool.borrow().clone())
            .ok()
            .flatten()
        {
            Some(pool) if pool.shared.runtime => pool.run_unless_closed(job),
            Some(pool) => pool.run(job),
            None => run_on_thread_pool(job),
        },
    }
}

/// Runs `job`, a chore that is no Core's work, on the pool of the current runtime if it has
/// one, or else on this thread's pool: on a pool thread, not the pool it works for (see
/// [`run_detached`](super::run_detached)).
pub(super) fn run_chore(job: Job) -> io::Result<()> {
    match context::with_current(|local| local.blocking_pool().cloned()).flatten() {
        Some(pool) => pool.run(job),
        None => run_on_thread_pool(job),
    }
}

/// Runs `job` on this thread's pool.
///
/// While the thread exits, the pool may already be gone when the destructor of another
/// thread-local (a Core kept in one, whose tasks drop a child) hands over a job: a pool of
/// its own runs it, and closes after it. That pool has the defaults, as the thread's had:
/// its worker hands it the jobs its job hands out (see [`WORKER_OF`]), which a limit of 1
/// would queue behind the job that waits for them.
fn run_on_thread_pool(job: Job) -> io::Result<()> {
    let mut job = Some(job);
    let pooled = POOL.try_with(|pool| {
        pool.borrow_mut()
            .get_or_insert_with(|| OwnedPool::new(Config::default()))
            .run(job.take().expect("the job is taken once"))
    });
    // `job` is still here only if the pool was not reachable.
    pooled.unwrap_or_else(|_| {
        OwnedPool::new(Config::default())
            .run(job.take().expect("the pool was gone; the job is here"))
    })
}

/// A pool of worker threads; its clones share it. It stays open until
/// [`close`](Pool::close)d, which its owner does: an [`OwnedPool`] when dropped.
#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

/// A pool that closes when dropped: how a thread, or a runtime, owns its pool.
pub(crate) struct OwnedPool(Pool);

pub(super) struct Shared {
    state: Mutex<State>,
    /// Notified when `live` drops to 0, for [`Pool::wait_for_threads`].
    all_exited: Condvar,
    config: Config,
    /// Whether a runtime owns the pool (rather than a thread): closed, it is gone, and work
    /// its own threads hand out is cancelled, as tokio cancels work handed to a runtime
    /// that is gone.
    runtime: bool,
}

pub(super) struct State {
    /// The queues of the workers waiting for a job, by worker id.
    idle: Vec<(u64, mpsc::Sender<Job>)>,
    /// Jobs waiting for a worker, with every thread busy. Never left non-empty with no
    /// thread counted: a counted worker takes them before it leaves.
    queued: VecDeque<Job>,
    /// Threads started (or being started) and not yet uncounted; at most
    /// `config.max_threads`.
    pub(super) threads: usize,
    /// Threads started (or being started) that have not finished yet, stop hook included:
    /// `threads` plus those past their last job.
    live: usize,
    next_id: u64,
    /// The owner is gone: idle workers exit, busy ones after the queued jobs. Jobs handed
    /// over still run (a child's reaper, handed over while its Core is dropped, must), on
    /// threads that exit after them.
    closed: bool,
}

/// The error of a thread the system refused to start, as the operations that needed it
/// report it: saying so (the system's own message names no thread), and of kind `Other`
/// where the system's `EAGAIN` (a limit on threads) would read as `WouldBlock`, which tells
/// async code to wait for readiness and try again.
pub(super) fn thread_refused(err: io::Error) -> io::Error {
    let kind = match err.kind() {
        io::ErrorKind::WouldBlock => io::ErrorKind::Other,
        kind => kind,
    };
    io::Error::new(
        kind,
        format!("the blocking pool could not start a thread: {err}"),
    )
}

/// Why a thread counted for a job did not start.
enum NotStarted {
    /// The operating system refused it.
    Spawn(io::Error),
    /// The thread name function panicked (or named it with a NUL byte): the caller's
    /// panic.
    Name(Box<dyn Any + Send>),
}

impl Pool {
    pub(crate) fn new(config: Config) -> Pool {
        Pool::with_owner(config, false)
    }

    /// A pool that a runtime owns (`runtime`) or a thread.
    fn with_owner(config: Config, runtime: bool) -> Pool {
        debug_assert!(config.max_threads > 0, "the builder refuses a limit of 0");
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    idle: Vec::new(),
                    queued: VecDeque::new(),
                    threads: 0,
                    live: 0,
                    next_id: 0,
                    closed: false,
                }),
                all_exited: Condvar::new(),
                config,
                runtime,
            }),
        }
    }

    /// Hands `job` to an idle worker, a new thread, or (at the thread limit, or if no thread
    /// can be started while one runs) the queue.
    ///
    /// # Panics
    ///
    /// If the thread name function panics (the job is then dropped), with its panic.
    pub(super) fn run(&self, job: Job) -> io::Result<()> {
        self.run_locked(self.shared.lock(), job)
    }

    /// [`run`](Pool::run), unless the pool is [closed](Pool::close): then `job` is dropped
    /// unrun, so that its handle reports it cancelled, as tokio cancels work handed to a
    /// runtime that is gone. Checked under the lock that hands the job over, so that a close
    /// cannot come between the check and the hand-over.
    pub(super) fn run_unless_closed(&self, job: Job) -> io::Result<()> {
        let state = self.shared.lock();
        if state.closed {
            drop(state);
            // Outside the lock: the job's drop reports to its handle, and drops what `f`
            // captured.
            drop(job);
            return Ok(());
        }
        self.run_locked(state, job)
    }

    /// [`run`](Pool::run) with the pool's lock taken.
    fn run_locked(&self, mut state: MutexGuard<'_, State>, job: Job) -> io::Result<()> {
        let Some(job) = state.hand_to_idle(job) else {
            return Ok(());
        };
        if state.threads >= self.shared.config.max_threads {
            state.queued.push_back(job);
            return Ok(());
        }
        let id = state.next_id;
        state.next_id += 1;
        state.threads += 1;
        state.live += 1;
        drop(state);
        match self.start(id, job) {
            Ok(()) => Ok(()),
            Err((job, why)) => self.not_started(job, why),
        }
    }

    /// Starts worker `id`, counted already, with `job` as its first; gives the job back if
    /// the thread did not start.
    fn start(&self, id: u64, job: Job) -> Result<(), (Job, NotStarted)> {
        let config = &self.shared.config;
        // Called outside the lock, as it is user code; caught, as the thread is counted.
        let name = panic::catch_unwind(AssertUnwindSafe(|| {
            let name = (config.thread_name)();
            assert!(
                !name.contains('\0'),
                "the blocking pool's thread name function returned a name with a NUL byte: {name:?}"
            );
            name
        }));
        let name = match name {
            Ok(name) => name,
            Err(payload) => return Err((job, NotStarted::Name(payload))),
        };
        let mut builder = thread::Builder::new().name(name);
        if let Some(size) = config.stack_size {
            builder = builder.stack_size(size);
        }
        let shared = Arc::clone(&self.shared);
        // Passed through a slot, so that a failed spawn gives the job back.
        let slot = Arc::new(Mutex::new(Some(job)));
        let first = Arc::clone(&slot);
        let started = builder.spawn(move || {
            let job = take(&first);
            drop(first);
            work(shared, id, job);
        });
        match started {
            Ok(_) => Ok(()),
            Err(err) => {
                let job = take(&slot).expect("the thread that would have taken it never started");
                Err((job, NotStarted::Spawn(thread_refused(err))))
            }
        }
    }

    /// Uncounts the thread that did not start for `job`, and finds `job` another: an idle
    /// worker, or a running one through the queue. With none running, a failed spawn is
    /// the call's error; a name function's panic is the caller's in any case.
    fn not_started(&self, job: Job, why: NotStarted) -> io::Result<()> {
        let mut state = self.shared.lock();
        state.threads -= 1;
        state.exited(&self.shared.all_exited);
        let (unrun, outcome) = match why {
            NotStarted::Name(payload) => (Some(job), Err(payload)),
            NotStarted::Spawn(err) => match state.hand_to_idle(job) {
                None => (None, Ok(Ok(()))),
                Some(job) if state.threads == 0 => (Some(job), Ok(Err(err))),
                Some(job) => {
                    // A running worker takes it when it finishes its job.
                    state.queued.push_back(job);
                    (None, Ok(Ok(())))
                }
            },
        };
        let stranded = if state.threads == 0 {
            // Counted, the thread that did not start let callers on other threads (through
            // a runtime's `Handle`) queue their jobs at the limit; nothing would run them
            // now. Dropped: their handles report them cancelled. (Only when the operating
            // system refuses threads, or a name function panics, while other threads spawn.)
            std::mem::take(&mut state.queued)
        } else {
            VecDeque::new()
        };
        // Dropped outside the lock and caught: a job's drop reports to its handle, and
        // whatever it captured may panic when dropped.
        drop(state);
        drop_caught(panic::catch_unwind(AssertUnwindSafe(move || {
            drop(unrun);
            drop(stranded);
        })));
        match outcome {
            Ok(result) => result,
            Err(payload) => panic::resume_unwind(payload),
        }
    }

    /// Lets the idle workers exit now, and the busy ones once the queue is empty. Jobs
    /// handed over later still run, each on a thread that exits after it.
    pub(crate) fn close(&self) {
        // Each idle worker is woken by an empty job, after which it sees `closed`.
        let mut state = self.shared.lock();
        state.closed = true;
        for (_, worker) in std::mem::take(&mut state.idle) {
            let _ = worker.send(Box::new(|| {}));
        }
    }

    /// Waits until every thread of the pool has finished (its stop hook included), or until
    /// `deadline` if there is one; returns whether they all had. For a closed pool, whose
    /// threads exit once their jobs are done; an open one keeps idle threads for its
    /// keep-alive time.
    pub(crate) fn wait_for_threads(&self, deadline: Option<Instant>) -> bool {
        let all_exited = &self.shared.all_exited;
        let mut state = self.shared.lock();
        while state.live > 0 {
            state = match deadline {
                None => all_exited
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                        return false;
                    };
                    all_exited
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        true
    }

    /// Whether the pool was [closed](Pool::close).
    #[cfg(test)]
    pub(super) fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    #[cfg(test)]
    pub(super) fn shared_for_tests(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// Threads started and not yet exited, and of those how many wait idle.
    #[cfg(test)]
    pub(super) fn counts(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.threads, state.idle.len())
    }
}

impl OwnedPool {
    pub(crate) fn new(config: Config) -> OwnedPool {
        OwnedPool(Pool::new(config))
    }

    /// The pool of a runtime built by `runtime::Builder`.
    pub(crate) fn for_runtime(config: Config) -> OwnedPool {
        OwnedPool(Pool::with_owner(config, true))
    }
}

impl Deref for OwnedPool {
    type Target = Pool;

    fn deref(&self) -> &Pool {
        &self.0
    }
}

impl Drop for OwnedPool {
    fn drop(&mut self) {
        self.0.close();
    }
}

fn take(slot: &Mutex<Option<Job>>) -> Option<Job> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics under the lock, so a poisoned one still holds consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Uncounts a thread from `live`, waking the waiters of
    /// [`wait_for_threads`](Pool::wait_for_threads) when it was the last.
    fn exited(&mut self, all_exited: &Condvar) {
        self.live -= 1;
        if self.live == 0 {
            all_exited.notify_all();
        }
    }

    /// Hands `job` to an idle worker, or gives it back if none is.
    fn hand_to_idle(&mut self, mut job: Job) -> Option<Job> {
        while let Some((_, worker)) = self.idle.pop() {
            // Sent under the lock: a worker that times out checks, under the lock, whether
            // it was handed a job.
            match worker.send(job) {
                Ok(()) => return None,
                // That worker is gone (it could only have panicked outside a job).
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        Some(job)
    }
}

/// A worker thread: the start hook, the jobs (see [`serve`]), then the stop hook.
fn work(shared: Arc<Shared>, id: u64, first: Option<Job>) {
    if let Some(hook) = &shared.config.on_start {
        run_hook(hook);
    }
    // The pool the jobs hand their work to; not the hooks, which run outside any runtime (a
    // stop hook's job would start a thread whose stop hook hands out another, for good).
    WORKER_OF.with(|pool| {
        *pool.borrow_mut() = Some(Pool {
            shared: Arc::clone(&shared),
        });
    });
    serve(&shared, id, first);
    drop(WORKER_OF.with(|pool| pool.borrow_mut().take()));
    if let Some(hook) = &shared.config.on_stop {
        run_hook(hook);
    }
    shared.lock().exited(&shared.all_exited);
}

/// Runs a start or stop hook. Its panic is reported by the panic hook as any (on stderr, by
/// default) and then caught: the thread goes on, counted right, rather than die and leave
/// the pool a thread short for good, or (at a limit of 1) with no thread at all.
fn run_hook(hook: &Hook) {
    drop_caught(panic::catch_unwind(AssertUnwindSafe(|| hook())));
}

/// Runs `first`, then the queued jobs and the ones handed to the worker, until it idles for
/// the keep-alive time or the pool closes; returns uncounted.
fn serve(shared: &Shared, id: u64, first: Option<Job>) {
    let (tx, rx) = mpsc::channel::<Job>();
    let mut job = first;
    loop {
        if let Some(job) = job.take() {
            // Jobs catch their own panics; this catches one from dropping what a job
            // returned, so that the thread stays counted right, and drops its payload
            // without unwinding (a payload's own drop may panic).
            drop_caught(panic::catch_unwind(AssertUnwindSafe(job)));
        }
        let mut state = shared.lock();
        if let Some(next) = state.queued.pop_front() {
            job = Some(next);
            continue;
        }
        if state.closed {
            state.threads -= 1;
            return;
        }
        state.idle.push((id, tx.clone()));
        drop(state);
        match rx.recv_timeout(shared.config.keep_alive) {
            Ok(next) => job = Some(next),
            // Never disconnected: this worker holds a sender itself.
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                let mut state = shared.lock();
                match state.idle.iter().position(|(idle, _)| *idle == id) {
                    Some(at) => {
                        state.idle.swap_remove(at);
                        // A job queued while this worker was idle (a failed thread start
                        // can queue one) is taken before leaving.
                        match state.queued.pop_front() {
                            Some(next) => job = Some(next),
                            // Uncounted under the same lock: a job that finds no idle
                            // worker must not queue behind this one, as if it were busy.
                            None => {
                                state.threads -= 1;
                                return;
                            }
                        }
                    }
                    // Handed a job just as the wait ended: it is in the queue already.
                    None => {
                        drop(state);
                        job = rx.try_recv().ok();
                        debug_assert!(
                            job.is_some(),
                            "a worker taken from the idle list gets a job"
                        );
                    }
                }
            }
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Pool")
            .field("threads", &state.threads)
            .field("idle", &state.idle.len())
            .field("queued", &state.queued.len())
            .finish()
    }
}

impl fmt::Debug for OwnedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
