//! The threads that run blocking work: one pool per thread that hands out work, grown on
//! demand, each worker kept for a while after its last job.
//!
//! A job goes straight to an idle worker (through that worker's own queue) or to a new
//! thread, so it never waits behind another job while the pool is below its thread limit:
//! jobs that wait for each other cannot deadlock. Only at the limit do jobs queue, and a
//! worker takes the next queued job when it finishes one.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use crate::task::raw::drop_caught;

/// Work for a pool thread; it catches its own panics.
pub(super) type Job = Box<dyn FnOnce() + Send + 'static>;

/// At most this many threads per pool; further jobs queue until one is free.
pub(super) const MAX_THREADS: usize = 512;
/// An idle worker exits after this long without a job.
pub(super) const KEEP_ALIVE: Duration = Duration::from_secs(10);

thread_local! {
    /// This thread's pool, made at its first use. Dropped when the thread exits, which lets
    /// the idle workers go at once.
    static POOL: RefCell<Option<Pool>> = const { RefCell::new(None) };
}

/// Runs `job` on this thread's pool. Fails only if no thread could be started and none is
/// running to take the job later; the job is then dropped.
///
/// While the thread exits, the pool may already be gone when the destructor of another
/// thread-local (a Core kept in one, whose tasks drop a child) hands over a job: a pool of
/// its own runs it, and closes after it.
pub(super) fn run(job: Job) -> io::Result<()> {
    let mut job = Some(job);
    let pooled = POOL.try_with(|pool| {
        pool.borrow_mut()
            .get_or_insert_with(|| Pool::new(MAX_THREADS, KEEP_ALIVE))
            .run(job.take().expect("the job is taken once"))
    });
    // `job` is still here only if the pool was not reachable.
    pooled.unwrap_or_else(|_| {
        Pool::new(1, KEEP_ALIVE).run(job.take().expect("the pool was gone; the job is here"))
    })
}

/// A pool of worker threads.
pub(super) struct Pool {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    state: Mutex<State>,
    max_threads: usize,
    keep_alive: Duration,
}

pub(super) struct State {
    /// The queues of the workers waiting for a job, by worker id.
    idle: Vec<(u64, mpsc::Sender<Job>)>,
    /// Jobs waiting for a worker, with every thread busy.
    queued: VecDeque<Job>,
    pub(super) threads: usize,
    next_id: u64,
    /// The owner is gone: idle workers exit, busy ones after the queued jobs.
    closed: bool,
}

impl Pool {
    pub(super) fn new(max_threads: usize, keep_alive: Duration) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    idle: Vec::new(),
                    queued: VecDeque::new(),
                    threads: 0,
                    next_id: 0,
                    closed: false,
                }),
                max_threads,
                keep_alive,
            }),
        }
    }

    /// Hands `job` to an idle worker, a new thread, or (at the thread limit, or if no thread
    /// can be started while one runs) the queue.
    pub(super) fn run(&self, mut job: Job) -> io::Result<()> {
        let mut state = self.shared.lock();
        while let Some((_, worker)) = state.idle.pop() {
            // Sent under the lock: a worker that times out checks, under the lock, whether
            // it was handed a job.
            match worker.send(job) {
                Ok(()) => return Ok(()),
                // That worker is gone (it could only have panicked outside a job).
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        if state.threads >= self.shared.max_threads {
            state.queued.push_back(job);
            return Ok(());
        }
        let id = state.next_id;
        state.next_id += 1;
        state.threads += 1;
        drop(state);
        let shared = Arc::clone(&self.shared);
        // Passed through a slot, so that a failed spawn gives the job back.
        let slot = Arc::new(Mutex::new(Some(job)));
        let first = Arc::clone(&slot);
        let started = thread::Builder::new()
            .name("mirage-blocking".into())
            .spawn(move || {
                let job = take(&first);
                drop(first);
                work(shared, id, job);
            });
        let Err(err) = started else {
            return Ok(());
        };
        let mut job = take(&slot).expect("the thread that would have taken it never started");
        let mut state = self.shared.lock();
        state.threads -= 1;
        // A worker may have gone idle meanwhile.
        while let Some((_, worker)) = state.idle.pop() {
            match worker.send(job) {
                Ok(()) => return Ok(()),
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        if state.threads == 0 {
            return Err(err);
        }
        // A running worker takes it when it finishes its job.
        state.queued.push_back(job);
        Ok(())
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

fn take(slot: &Mutex<Option<Job>>) -> Option<Job> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics under the lock, so a poisoned one still holds consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A worker thread: runs `first`, then the queued jobs and the ones handed to it, until it
/// idles for the keep-alive time or the pool closes.
fn work(shared: Arc<Shared>, id: u64, first: Option<Job>) {
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
        match rx.recv_timeout(shared.keep_alive) {
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

impl Drop for Pool {
    fn drop(&mut self) {
        // The thread that owned the pool is gone: the idle workers exit now, each woken by
        // an empty job after which it sees `closed`; the busy ones after the queued jobs.
        let mut state = self.shared.lock();
        state.closed = true;
        for (_, worker) in std::mem::take(&mut state.idle) {
            let _ = worker.send(Box::new(|| {}));
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
