//! The single-threaded half of a Core: the run queue and the list of live tasks.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Context;

use crate::coop;
use crate::reactor::Reactor;
use crate::shared::Shared;
use crate::task::header::{CANCEL, FUTURE, IN_LIST, JOIN, QUEUED};
use crate::task::raw::{self, TaskPtr, TaskRef};
use crate::task::{BlockingPool, JoinHandle, OwnedBlockingPool, Spawner, waker};
use crate::time::driver::Timers;

/// A Core's scheduler state. Lives in an `Rc` so the thread-local pointer to it stays valid
/// while the `Core` value moves, and so a `Runtime` can reach it while `run` borrows the Core.
pub(crate) struct Local {
    /// The thread-safe half.
    pub(crate) shared: Arc<Shared>,
    /// The I/O reactor (shared with registrations, which may outlive the Core).
    pub(crate) reactor: Rc<Reactor>,
    /// The clock and timing wheel (shared with timers, which may outlive the Core).
    pub(crate) timers: Rc<Timers>,
    /// The runtime's `spawn_blocking` pool, if built by `runtime::Builder`: closed when
    /// the Core shuts down, which is when the runtime drops (also if a leaked guard of
    /// `Runtime::enter` keeps this scheduler alive). A bare `Core` has none and uses its
    /// thread's pool.
    blocking: Option<OwnedBlockingPool>,
    /// Tasks ready to run, each at most once (`QUEUED`).
    queue: RefCell<VecDeque<TaskPtr>>,
    /// Every task whose future is alive (`IN_LIST`); a task's `slot` is its index here.
    /// Removal swaps the last task into the hole, so a slot costs 8 bytes and no search.
    /// Each change of its length is stored in `shared` too, for the runtime's metrics.
    tasks: RefCell<Vec<TaskPtr>>,
    /// The task being polled, or whose future is being dropped: what `task::id` names.
    current: Cell<Option<TaskPtr>>,
    /// Made by the first call to [`spawner`](Local::spawner).
    spawner: OnceCell<Spawner>,
    /// Set once [`shutdown`](Local::shutdown) is over: the Core is gone and runs nothing more.
    /// The scheduler may outlive it (a leaked `Runtime::enter` guard still names it), so a
    /// later spawn is cancelled at once rather than leaked.
    closed: Cell<bool>,
    /// How many times the future given to `Core::run` has been polled, for `time::advance`,
    /// which waits for a poll of it when it woke it.
    root_polls: Cell<u64>,
}

impl Local {
    pub(crate) fn new(
        shared: Arc<Shared>,
        reactor: Rc<Reactor>,
        blocking: Option<OwnedBlockingPool>,
    ) -> Local {
        Local {
            shared,
            reactor,
            timers: Rc::new(Timers::new()),
            blocking,
            queue: RefCell::new(VecDeque::new()),
            tasks: RefCell::new(Vec::new()),
            current: Cell::new(None),
            spawner: OnceCell::new(),
            closed: Cell::new(false),
            root_polls: Cell::new(0),
        }
    }

    /// Counts a poll of the future given to `Core::run`, just before it.
    pub(crate) fn root_polled(&self) {
        self.root_polls.set(self.root_polls.get() + 1);
    }

    /// How many times the future given to `Core::run` has been polled.
    pub(crate) fn root_polls(&self) -> u64 {
        self.root_polls.get()
    }

    /// A handle that spawns tasks on this Core from any thread. The first call spawns the
    /// task that receives the spawned work.
    pub(crate) fn spawner(&self) -> Spawner {
        self.spawner
            .get_or_init(|| Spawner::new(|jobs| drop(self.spawn_internal(jobs.run()))))
            .clone()
    }

    /// The runtime's own `spawn_blocking` pool, if it has one.
    pub(crate) fn blocking_pool(&self) -> Option<&BlockingPool> {
        self.blocking.as_deref()
    }

    /// Spawns `future` as a task, ready to run.
    #[inline]
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.spawn_as::<F, true>(future)
    }

    /// Spawns `future` as one of Mirage's own tasks (a `Spawner`'s dispatcher, a process
    /// reaper, a `LocalSet`'s member), which the runtime's metrics do not count.
    pub(crate) fn spawn_internal<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // Counted before it is listed: a reader on another thread may, for a moment, read
        // one task too few, never this one as the user's.
        self.shared.internal_task_spawned();
        self.spawn_as::<F, false>(future)
    }

    #[inline]
    fn spawn_as<F, const COUNTED: bool>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let task = TaskPtr::allocate::<F, COUNTED>(
            future,
            Arc::clone(&self.shared),
            IN_LIST | JOIN | QUEUED,
        );
        self.list_and_queue(task);
        JoinHandle::new(task)
    }

    /// Takes in one of Mirage's own tasks that was spawned before any Core was known (see
    /// `task/unbound.rs`): it becomes this Core's, ready to run (an aborted one is cancelled
    /// when run). Its `QUEUED` hold moves to the run queue.
    ///
    /// # Safety
    /// As [`TaskPtr::bind`]; the task is uncounted (`spawn_internal`'s kind), its future is
    /// there, it holds `QUEUED`, and it is in no Core's list or queue.
    pub(crate) unsafe fn adopt_internal(&self, task: TaskPtr) {
        let header = task.header();
        debug_assert!(header.has(FUTURE) && header.has(QUEUED) && !header.has(IN_LIST));
        // Never polled, so never woken: no remote wake can be pending, which would have
        // left `remote_queued` set and kept later wakes out of the queue.
        debug_assert!(
            !header
                .remote_queued
                .load(std::sync::atomic::Ordering::Relaxed)
        );
        // Counted here as it leaves the stand-in, so that both counts stay balanced.
        self.shared.internal_task_spawned();
        // SAFETY: forwarded from the caller.
        let stand_in = unsafe { task.bind(Arc::clone(&self.shared)) };
        stand_in.internal_task_dropped();
        header.set(IN_LIST);
        self.list_and_queue(task);
    }

    /// Lists a new task (`IN_LIST` and `QUEUED` set) and puts it on the run queue.
    #[inline]
    fn list_and_queue(&self, task: TaskPtr) {
        {
            let mut tasks = self.tasks.borrow_mut();
            let len = tasks.len();
            let slot = u32::try_from(len).expect("more than 4 billion tasks on one Core");
            task.header().slot.set(slot);
            self.shared.set_task_list_len(len + 1);
            tasks.push(task);
        }
        self.queue.borrow_mut().push_back(task);
        if self.closed.get() {
            // Nothing will ever run it: drop it now, and let its handle report it cancelled,
            // as tokio does for a spawn on a runtime that has shut down.
            self.shutdown();
        }
    }

    /// Puts a task of this Core on the run queue unless it is queued or finished.
    #[inline]
    pub(crate) fn schedule(&self, task: TaskPtr) {
        let header = task.header();
        if header.has(FUTURE) && !header.has(QUEUED) {
            header.set(QUEUED);
            self.queue.borrow_mut().push_back(task);
        }
    }

    /// The task being polled or dropped, if any.
    pub(crate) fn current_task(&self) -> Option<TaskPtr> {
        self.current.get()
    }

    /// Makes `task` the current one (for `task::id`), returning the one it replaces.
    pub(crate) fn replace_current_task(&self, task: Option<TaskPtr>) -> Option<TaskPtr> {
        self.current.replace(task)
    }

    /// How many of the user's tasks are alive: Mirage's own (a `Spawner`'s dispatcher, ...)
    /// left out, as the runtime's metrics count them.
    pub(crate) fn task_count(&self) -> usize {
        self.shared.alive_tasks()
    }

    /// Whether a task is waiting to run.
    pub(crate) fn has_ready(&self) -> bool {
        !self.queue.borrow().is_empty()
    }

    /// Whether the Core has work without waiting for an event: a task ready, the root
    /// future woken, or work handed in from another thread.
    pub(crate) fn has_work(&self) -> bool {
        self.has_ready() || self.shared.is_root_woken() || self.shared.is_notified()
    }

    /// Runs up to `budget` tasks from the queue.
    pub(crate) fn run_tasks(&self, budget: usize) {
        for _ in 0..budget {
            let Some(task) = self.queue.borrow_mut().pop_front() else {
                return;
            };
            self.run_task(task);
        }
    }

    fn run_task(&self, task: TaskPtr) {
        let header = task.header();
        if !header.has(FUTURE) {
            // Woke itself, then completed: only the queue entry is left to release.
            // SAFETY: owner thread; the queue entry held the `QUEUED` flag.
            unsafe { task.release(QUEUED) };
            return;
        }
        // Still `IN_LIST`, so clearing `QUEUED` keeps the owner reference.
        header.unset(QUEUED);
        // Neither path unwinds (both catch the future's panics), so no guard is needed.
        let outer = self.current.replace(Some(task));
        let completed = if header.has(CANCEL) {
            // SAFETY: owner thread, `FUTURE` is set.
            unsafe { task.cancel() };
            true
        } else {
            // SAFETY: the task stays allocated during the poll (it is `IN_LIST`).
            let waker = unsafe { waker::borrowed(task) };
            let mut cx = Context::from_waker(&waker);
            coop::refill();
            // SAFETY: owner thread, `FUTURE` is set, and tasks are never polled re-entrantly
            // (nested `Core::run` is refused).
            unsafe { task.poll(&mut cx) }
        };
        // The poll is over: it fixes the deadlines of the sleeps it started.
        self.timers.settle();
        self.current.set(outer);
        if completed {
            self.unlist(task);
            self.finish(task);
        }
    }

    /// Removes a completed task from the task list.
    fn unlist(&self, task: TaskPtr) {
        let mut tasks = self.tasks.borrow_mut();
        let slot = task.header().slot.get() as usize;
        debug_assert!(tasks[slot] == task, "task list slot out of sync");
        tasks.swap_remove(slot);
        self.shared.set_task_list_len(tasks.len());
        if let Some(moved) = tasks.get(slot) {
            moved.header().slot.set(slot as u32);
        }
    }

    /// After a task's stage holds its output: drops the output if nobody will read it,
    /// releases the list's hold and wakes the joiner.
    fn finish(&self, task: TaskPtr) {
        let header = task.header();
        // SAFETY: owner thread; the join waker cell is only touched on it, not re-entrantly.
        let joiner = unsafe { (*header.join_waker.get()).take() };
        if !header.has(JOIN) {
            // Detached: nobody will read the output. A panicking destructor must not take
            // the Core down with it, as a panic in the task itself would not. It runs as
            // the task, so that it sees the task's id.
            let outer = self.current.replace(Some(task));
            // SAFETY: owner thread, `OUTPUT` is set after completion.
            raw::drop_caught(catch_unwind(AssertUnwindSafe(|| unsafe {
                task.drop_output()
            })));
            self.current.set(outer);
        }
        // SAFETY: owner thread; the task held `IN_LIST` until now. `task` is not used after.
        unsafe { task.release(IN_LIST) };
        if let Some(joiner) = joiner {
            raw::wake_joiner(joiner);
        }
    }

    /// Schedules tasks woken from elsewhere.
    pub(crate) fn schedule_remote(&self, tasks: &mut Vec<TaskRef>) {
        for task in tasks.drain(..) {
            task.ptr()
                .header()
                .remote_queued
                .store(false, std::sync::atomic::Ordering::Release);
            self.schedule(task.ptr());
        }
    }

    /// Drops every task (their futures' destructors run once each), for the Core's drop, and
    /// for a task spawned after it.
    pub(crate) fn shutdown(&self) {
        // A destructor may spawn or wake tasks: keep going until the list stays empty.
        loop {
            let Some(task) = self.tasks.borrow_mut().pop() else {
                break;
            };
            let outer = self.current.replace(Some(task));
            // SAFETY: owner thread; a listed task's stage holds its future.
            unsafe { task.cancel() };
            self.current.set(outer);
            // Recorded once the future is gone, as `run_task` does: its destructor still saw
            // the task counted.
            self.shared.set_task_list_len(self.tasks.borrow().len());
            self.finish(task);
        }
        for task in self.shared.close() {
            drop(task);
        }
        loop {
            let Some(task) = self.queue.borrow_mut().pop_front() else {
                break;
            };
            // SAFETY: owner thread; the queue entry held `QUEUED`.
            unsafe { task.release(QUEUED) };
        }
        self.closed.set(true);
        // The tasks' destructors have handed the pool their last work: its idle threads may
        // go, and a `Handle` reports work handed to it later cancelled.
        if let Some(pool) = self.blocking_pool() {
            pool.close();
        }
    }
}
