//! The thread-safe half of a Core: how other threads hand it work.
//!
//! Everything else in a Core is single-threaded. A waker woken on another thread (or on the
//! Core's own thread while the Core is not running) pushes its task here and, unless a
//! notification is already pending, wakes the Core's `mio::Poll` through a `mio::Waker`
//! (an eventfd on Linux), so a Core blocked in `epoll_wait` returns at once.
//!
//! # The notification protocol
//!
//! `notified` coalesces wake-ups: one eventfd write per Core wake-up, however many tasks are
//! pushed. A waker pushes its task *then* swaps `notified` to true and writes the eventfd
//! only if it was false. The Core clears `notified` *then* drains the queue. Whatever the
//! interleaving, a pushed task is either drained now or its pusher saw `notified == false`
//! after the drain and wrote the eventfd, so no wake-up is lost. The Core only blocks after
//! seeing `notified == false`.
//!
//! The root future's flag has no mutex to order it: a remote wake stores `root_woken` then
//! swaps `notified`, and the Core clears `notified` then loads `root_woken` before it blocks.
//! That is the store-buffering pattern, where with weaker orderings each side may miss the
//! other's store: the waker finds `notified` still set by an earlier wake (so writes no
//! eventfd) while the Core reads a stale `root_woken == false` and blocks for good. All four
//! accesses are `SeqCst`, which forbids that outcome. On x86 the loads cost the same, and
//! the remote store is one `xchg`. x86 itself never shows the stale read, but the language's
//! memory model allows it, and Miri emulates it: with release/acquire here, Miri runs of
//! `tests/sync_cross_thread.rs`'s three-Cores test hung at seeds 4 and 7 (of 3 to 8).
//!
//! # The task counts
//!
//! `task_list` and `internal_tasks` are what `runtime::RuntimeMetrics` reads from any
//! thread. Only the Core's thread writes them, and only with plain `Relaxed` stores (no
//! read-modify-write, which would cost a locked instruction per spawn): `task_list` mirrors
//! the length of the scheduler's task list after each change, `internal_tasks` counts the
//! listed tasks that are Mirage's own (a `Spawner`'s dispatcher, a process reaper, a
//! `LocalSet`'s members), which the metrics leave out. On the Core's thread the difference
//! is exact whenever user code runs (in the Core's drop, a destructor that spawns a task
//! reads one too few until it returns). Another thread may see one store before the
//! other, so it reads a count that was true a moment ago, or off by one for that moment
//! (hence the saturating subtraction).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::runtime::worker_stats::WorkerStats;
use crate::task::raw::TaskRef;

/// The Core's thread-safe half, shared through `Arc` by every task of the Core.
pub(crate) struct Shared {
    /// Tasks woken from outside the Core's running thread.
    queue: Mutex<Remote>,
    /// Something was pushed or the root future was woken since the Core last looked.
    notified: AtomicBool,
    /// The future passed to `Core::run` was woken.
    root_woken: AtomicBool,
    /// `spawn_blocking` jobs spawned from this Core and not yet over: while any is, paused
    /// time does not jump to the next deadline.
    blocking: AtomicUsize,
    /// The length of the Core's task list (see "The task counts").
    task_list: AtomicUsize,
    /// How many listed tasks are Mirage's own (see "The task counts").
    internal_tasks: AtomicUsize,
    /// The Core's park counts and busy time, for the runtime's metrics.
    pub(crate) worker: WorkerStats,
    /// Wakes the Core's poller; `None` in a stand-in (see [`Shared::stand_in`]).
    waker: Option<mio::Waker>,
}

struct Remote {
    tasks: Vec<TaskRef>,
    /// Set when the Core is dropped: later wakes have nobody to run them.
    closed: bool,
}

impl Shared {
    pub(crate) fn new(waker: mio::Waker) -> Shared {
        Shared::with_waker(Some(waker))
    }

    /// The shared half of no Core, held by tasks spawned before any Core was known (a
    /// `LocalSet`'s spawns outside a Core) until a Core takes them in. Nothing ever drives
    /// it: its queue is closed from the start, so a stray remote wake drops its reference
    /// instead of leaking it, and it has no poller to wake.
    pub(crate) fn stand_in() -> Shared {
        Shared::with_waker(None)
    }

    /// A Core's half when given the Core's poller waker, else a stand-in.
    fn with_waker(waker: Option<mio::Waker>) -> Shared {
        Shared {
            queue: Mutex::new(Remote {
                tasks: Vec::new(),
                closed: waker.is_none(),
            }),
            notified: AtomicBool::new(false),
            root_woken: AtomicBool::new(false),
            blocking: AtomicUsize::new(0),
            task_list: AtomicUsize::new(0),
            internal_tasks: AtomicUsize::new(0),
            worker: WorkerStats::default(),
            waker,
        }
    }

    /// Hands a task to the Core from any thread. Dropped at once if the Core is gone.
    pub(crate) fn push_remote(&self, task: TaskRef) {
        {
            let mut remote = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            if remote.closed {
                drop(remote);
                drop(task);
                return;
            }
            remote.tasks.push(task);
        }
        self.notify();
    }

    /// Marks the root future woken; `local` is true on the Core's own running thread, where
    /// the loop will see the flag without a notification.
    pub(crate) fn wake_root(&self, local: bool) {
        if local {
            self.root_woken.store(true, Ordering::Relaxed);
        } else {
            // SeqCst, with `notify`'s swap and the Core's side: see the module docs.
            self.root_woken.store(true, Ordering::SeqCst);
            self.notify();
        }
    }

    /// Whether the root future was woken and not yet polled.
    pub(crate) fn is_root_woken(&self) -> bool {
        // SeqCst: this is the load the Core makes before it blocks (see the module docs).
        self.root_woken.load(Ordering::SeqCst)
    }

    /// Takes the root-woken flag.
    pub(crate) fn take_root_woken(&self) -> bool {
        // A load first: the flag is usually already false and a plain load is cheaper than
        // a swap.
        self.root_woken.load(Ordering::Acquire) && self.root_woken.swap(false, Ordering::AcqRel)
    }

    /// Counts a `spawn_blocking` job that starts or waits for a thread.
    pub(crate) fn blocking_started(&self) {
        self.blocking.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts a `spawn_blocking` job over, from any thread; the last one wakes the Core:
    /// blocked in paused time, it may now jump to its next deadline. (While others run, it
    /// may not, so their ends need no wake-up.)
    pub(crate) fn blocking_finished(&self) {
        // SeqCst, then `notify`'s swap: the pattern of `wake_root` (see the module docs).
        if self.blocking.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.notify();
        }
    }

    /// Whether a `spawn_blocking` job of this Core is not over; read before blocking.
    pub(crate) fn is_blocking(&self) -> bool {
        self.blocking.load(Ordering::SeqCst) != 0
    }

    /// Records the length of the task list; the Core's thread only.
    #[inline]
    pub(crate) fn set_task_list_len(&self, len: usize) {
        self.task_list.store(len, Ordering::Relaxed);
    }

    /// Counts one of Mirage's own tasks spawned; the Core's thread only, so a load and a
    /// store do what `fetch_add` would.
    pub(crate) fn internal_task_spawned(&self) {
        let count = self.internal_tasks.load(Ordering::Relaxed);
        self.internal_tasks.store(count + 1, Ordering::Relaxed);
    }

    /// Counts one of Mirage's own tasks gone, its future dropped; the Core's thread only.
    pub(crate) fn internal_task_dropped(&self) {
        let count = self.internal_tasks.load(Ordering::Relaxed);
        debug_assert!(count > 0, "an internal task dropped that was never counted");
        self.internal_tasks
            .store(count.saturating_sub(1), Ordering::Relaxed);
    }

    /// The user's tasks whose future is alive: the task list less Mirage's own tasks.
    pub(crate) fn alive_tasks(&self) -> usize {
        let internal = self.internal_tasks.load(Ordering::Relaxed);
        self.task_list
            .load(Ordering::Relaxed)
            .saturating_sub(internal)
    }

    /// How many of the user's tasks were woken from outside the Core and wait in the remote
    /// queue (Mirage's own tasks left out).
    pub(crate) fn remote_depth(&self) -> usize {
        let remote = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        remote
            .tasks
            .iter()
            .filter(|task| task.ptr().is_counted())
            .count()
    }

    fn notify(&self) {
        if !self.notified.swap(true, Ordering::SeqCst) {
            // An eventfd write fails only if the counter would overflow, which mio handles by
            // draining it; there is nothing useful to do with an error here, and a wake must
            // never panic.
            if let Some(waker) = &self.waker {
                let _ = waker.wake();
            }
        }
    }

    /// Whether a notification is pending (cheap: one load).
    pub(crate) fn is_notified(&self) -> bool {
        self.notified.load(Ordering::Acquire)
    }

    /// Clears the notification and moves the remote tasks into `out`.
    pub(crate) fn drain(&self, out: &mut Vec<TaskRef>) {
        self.notified.store(false, Ordering::SeqCst);
        let mut remote = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        out.append(&mut remote.tasks);
    }

    /// Refuses further remote tasks and returns the ones queued, for the Core's drop.
    pub(crate) fn close(&self) -> Vec<TaskRef> {
        let mut remote = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        remote.closed = true;
        std::mem::take(&mut remote.tasks)
    }
}
