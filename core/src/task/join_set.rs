//! `JoinSet`: a group of spawned tasks, joined in the order they finish.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};

use slab::Slab;

use super::remote_abort::RemoteAbort;
use super::{AbortHandle, Id, JoinError, JoinHandle, LocalSet, RemoteJoinHandle};
use crate::runtime::Handle;
use crate::sync::update_waker;

/// A group of tasks spawned on the current Core, whose results are taken in the order the
/// tasks finish: a server's connections, a batch of requests sent at once.
///
/// [`join_next`](JoinSet::join_next) returns the next task to finish, without polling the
/// others: each task tells the set when it finishes, so joining n tasks costs O(n), however
/// many are still running. Dropping the set aborts every task still in it.
///
/// Like its tasks, a `JoinSet` stays on its Core's thread (it is `!Send`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::JoinSet;
///
/// let mut core = mirage::Core::new().unwrap();
/// let order = core.run(async {
///     let mut set = JoinSet::new();
///     for ms in [30, 10, 20] {
///         set.spawn(async move {
///             mirage::time::sleep(Duration::from_millis(ms)).await;
///             ms
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(result) = set.join_next().await {
///         order.push(result.unwrap());
///     }
///     order
/// });
/// assert_eq!(order, [10, 20, 30]);
/// ```
pub struct JoinSet<T> {
    /// Each task's handle, by key, with the number of its spawn (keys are reused) and, for
    /// blocking work, the flag that aborts the closure if it has not started: what
    /// [`abort_all`](JoinSet::abort_all) raises instead of aborting the task.
    tasks: Slab<(u64, JoinHandle<T>, Option<Arc<RemoteAbort>>)>,
    finished: Rc<Finished>,
    spawned: u64,
}

/// The tasks that finished and have not been joined, as the tasks report them.
#[derive(Default)]
struct Finished {
    /// `(key, spawn number)` of each task, in the order they finished. An entry whose task
    /// has left the set (an abort reported after the set dropped the handle) is skipped.
    /// An entry can come before its task's output is stored: a dropped `LocalSet` drops its
    /// tasks' futures at once, which reports them, and their Cores store the outputs
    /// (cancelled) only when they next run them. Joins pass over those entries, so that
    /// they hide none behind them, and take them once their outputs are stored.
    queue: RefCell<VecDeque<(usize, u64)>>,
    /// The task waiting in `join_next`.
    waker: RefCell<Option<Waker>>,
}

/// Travels inside each task's future: when the future completes, panics or is dropped
/// (aborted), dropping this reports the task finished.
struct ReportFinished {
    finished: Rc<Finished>,
    key: usize,
    spawn: u64,
}

impl Drop for ReportFinished {
    fn drop(&mut self) {
        self.finished
            .queue
            .borrow_mut()
            .push_back((self.key, self.spawn));
        let waker = self.finished.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Where [`JoinSet::insert`] spawns a task.
enum Where<'a> {
    /// On the current Core: [`spawn`](crate::spawn).
    Core,
    /// Into the current [`LocalSet`], if any: [`task::spawn_local`](super::spawn_local).
    Local,
    /// Into this [`LocalSet`].
    Set(&'a LocalSet),
}

impl<T: 'static> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = mirage::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            tasks: Slab::new(),
            finished: Rc::default(),
            spawned: 0,
        }
    }

    /// Spawns `future` as a task on the current Core, in this set; returns a handle that
    /// can abort that one task.
    ///
    /// # Panics
    ///
    /// Outside a running or entered Core, as [`spawn`](crate::spawn) does.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     set.spawn(async { 2 });
    ///     assert_eq!(set.len(), 2);
    ///     let mut sum = 0;
    ///     while let Some(n) = set.join_next().await {
    ///         sum += n.unwrap();
    ///     }
    ///     assert_eq!(sum, 3);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(future, Where::Core)
    }

    /// Spawns `future` as [`task::spawn_local`](super::spawn_local) does, in this set: into
    /// the [`LocalSet`](super::LocalSet) this code runs in (so the task runs only while that
    /// set is driven, and is dropped with it, as in tokio), or else on the current Core, as
    /// [`spawn`](JoinSet::spawn) does. Every Mirage task is local: `spawn` takes `!Send`
    /// futures too.
    ///
    /// # Panics
    ///
    /// Where there is neither a current `LocalSet` nor a running or entered Core, as
    /// [`spawn`](crate::spawn) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let shared = Rc::new(20); // not Send
    ///     let mut set = mirage::JoinSet::new();
    ///     for n in 1..=2 {
    ///         let shared = Rc::clone(&shared);
    ///         set.spawn_local(async move { *shared + n });
    ///     }
    ///     assert_eq!(set.join_all().await.iter().sum::<i32>(), 43);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(future, Where::Local)
    }

    /// Spawns `future` in this set, where `place` says.
    #[track_caller]
    fn insert<F>(&mut self, future: F, place: Where<'_>) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert_with(future, place, None)
    }

    /// [`insert`](JoinSet::insert), keeping `blocking`, the abort flag of the blocking work
    /// the task waits for, if any.
    #[track_caller]
    fn insert_with<F>(
        &mut self,
        future: F,
        place: Where<'_>,
        blocking: Option<Arc<RemoteAbort>>,
    ) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        let entry = self.tasks.vacant_entry();
        self.spawned += 1;
        let report = ReportFinished {
            finished: Rc::clone(&self.finished),
            key: entry.key(),
            spawn: self.spawned,
        };
        let task = async move {
            let _report = report;
            future.await
        };
        let handle = match place {
            Where::Core => crate::spawn(task),
            Where::Local => super::spawn_local(task),
            Where::Set(local_set) => local_set.spawn_local(task),
        };
        let abort = handle.abort_handle();
        entry.insert((self.spawned, handle, blocking));
        abort
    }

    /// Runs `f` on the blocking thread pool, as [`spawn_blocking`](crate::spawn_blocking)
    /// does, as a task of this set: its result (or its panic) is joined like any other
    /// task's.
    ///
    /// [`abort_all`](JoinSet::abort_all) and [`shutdown`](JoinSet::shutdown) treat it as
    /// tokio's do: a closure that has not started never runs, and is joined as cancelled;
    /// one that has started runs to its end (a thread cannot be interrupted), and is
    /// joined with its value, so `shutdown` waits for it. The returned handle's
    /// [`abort`](AbortHandle::abort) and dropping the set stop a closure from starting too,
    /// but do not wait for one that has: it runs on, its result dropped, and the set joins
    /// it as cancelled at once.
    ///
    /// Inside `f`, [`task::id`](crate::task::id) names the blocking job, as it does in any
    /// `spawn_blocking` closure, not the set's entry: tokio gives both the entry's id (the
    /// returned handle's, and `join_next_with_id`'s). The entry's task may end while the
    /// closure runs on, and its id could then go to a new task.
    ///
    /// # Panics
    ///
    /// Outside a running or entered Core, or if no thread can be started, as
    /// `spawn_blocking` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     for n in 1..=4u64 {
    ///         set.spawn_blocking(move || (1..=n).product::<u64>()); // CPU work off the Core
    ///     }
    ///     let mut factorials = set.join_all().await;
    ///     factorials.sort();
    ///     assert_eq!(factorials, [1, 2, 6, 24]);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        self.join_blocking(crate::task::spawn_blocking(f))
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime as a task of this set, as
    /// [`spawn_blocking`](JoinSet::spawn_blocking) does on the current one (see
    /// [`Handle::spawn_blocking`](crate::runtime::Handle::spawn_blocking)).
    ///
    /// # Panics
    ///
    /// Outside a running or entered Core, or if no thread can be started, as
    /// `spawn_blocking` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let handle = runtime.handle().clone();
    /// let sum = runtime.block_on(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     set.spawn_blocking_on(|| (1..=10u32).sum::<u32>(), &handle);
    ///     set.join_next().await.unwrap().unwrap()
    /// });
    /// assert_eq!(sum, 55);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        self.join_blocking(handle.spawn_blocking(f))
    }

    /// [`join_remote`](JoinSet::join_remote) for blocking work, which
    /// [`abort_all`](JoinSet::abort_all) aborts through its own flag, leaving the task to
    /// join it: cancelled if it had not started, with its value if it had.
    #[track_caller]
    fn join_blocking(&mut self, work: RemoteJoinHandle<T>) -> AbortHandle
    where
        T: Send,
    {
        let flag = work.abort_flag();
        self.insert_with(wait_for_remote(work), Where::Core, Some(flag))
    }

    /// Spawns `future` on the Core that `handle` reaches, usually another thread's, as a task
    /// of this set, as tokio's `spawn_on` does; the set itself stays on the current Core.
    ///
    /// The task runs on `handle`'s Core (hence `Send`, as [`Handle::spawn`] asks), and the set
    /// holds a task of the current Core that waits for it. Its result, its panic, or its
    /// cancellation (if its Core is dropped first) is joined like any other task's; aborting
    /// it through the returned handle, or dropping the set, aborts the remote task too. For a
    /// future that is not `Send`, spawn through `handle.spawner()` and
    /// [`join_remote`](JoinSet::join_remote) the handle it returns.
    ///
    /// # Panics
    ///
    /// Outside a running or entered Core, as [`spawn`](crate::spawn) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::runtime::{Handle, Runtime};
    ///
    /// // A second Core, on a thread of its own, reached through its handle.
    /// let (handle_tx, handle_rx) = std::sync::mpsc::channel::<Handle>();
    /// let (stop, stopped) = mirage::sync::cross_thread::oneshot::channel::<()>();
    /// let worker = std::thread::spawn(move || {
    ///     let runtime = Runtime::new().unwrap();
    ///     handle_tx.send(runtime.handle().clone()).unwrap();
    ///     runtime.block_on(stopped).unwrap();
    /// });
    /// let other = handle_rx.recv().unwrap();
    ///
    /// let mut core = mirage::Core::new()?;
    /// let results = core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     for n in 1..=3 {
    ///         set.spawn_on(async move { (n, std::thread::current().id()) }, &other);
    ///     }
    ///     set.join_all().await
    /// });
    /// assert_eq!(results.len(), 3);
    /// assert!(results.iter().all(|(_, thread)| *thread == worker.thread().id()));
    /// stop.send(()).unwrap();
    /// worker.join().unwrap();
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        self.join_remote(handle.spawn(future))
    }

    /// Spawns `future` into `local_set` as a task of this set, as tokio's `spawn_local_on`
    /// does: it runs only while that set is driven, and is dropped with it (its result here
    /// is then a cancellation), as [`LocalSet::spawn_local`] says. Outside any Core too:
    /// the task then runs on the first Core that drives the set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::task::LocalSet;
    ///
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let local = LocalSet::new();
    ///     let shared = Rc::new(2); // not Send
    ///     let mut set = mirage::JoinSet::new();
    ///     for n in 1..=3 {
    ///         let shared = Rc::clone(&shared);
    ///         set.spawn_local_on(async move { *shared * n }, &local);
    ///     }
    ///     // The tasks wait for the set to be driven.
    ///     let results = local.run_until(set.join_all()).await;
    ///     assert_eq!(results.iter().sum::<i32>(), 12);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn_local_on<F>(&mut self, future: F, local_set: &LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(future, Where::Set(local_set))
    }

    /// Adds work that runs elsewhere, known by its [`RemoteJoinHandle`] (from a
    /// [`Spawner`](crate::Spawner), a [`Handle`] or [`spawn_blocking`](crate::spawn_blocking)),
    /// to this set: a task of the current Core waits for it. Its result, its panic, or its
    /// cancellation is joined like a task's; aborting it through the returned handle, or
    /// dropping the set, calls [`RemoteJoinHandle::abort`].
    ///
    /// # Panics
    ///
    /// Outside a running or entered Core, as [`spawn`](crate::spawn) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let spawner = runtime.handle().spawner().clone();
    /// let len = runtime.block_on(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     // A future that is not Send, made on the Core's thread by a closure that is.
    ///     set.join_remote(spawner.spawn(|| async { Rc::new("local").len() }));
    ///     set.join_next().await.unwrap().unwrap()
    /// });
    /// assert_eq!(len, 5);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn join_remote(&mut self, work: RemoteJoinHandle<T>) -> AbortHandle
    where
        T: Send,
    {
        self.spawn(wait_for_remote(work))
    }

    /// Waits for the next task to finish and returns its result: `Ok(value)`, or a
    /// [`JoinError`] if it panicked or was aborted. `None` once the set is empty.
    ///
    /// Cancel-safe: if the future is dropped, no result is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     set.spawn(async { panic!("boom") });
    ///     let err = set.join_next().await.unwrap().unwrap_err();
    ///     assert!(err.is_panic());
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The poll form of [`join_next`](JoinSet::join_next), for hand-written futures: the
    /// last task to poll is the one woken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     set.spawn(async { "done" });
    ///     let first = poll_fn(|cx| set.poll_join_next(cx)).await;
    ///     assert_eq!(first.unwrap().unwrap(), "done");
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|next| next.map(|result| result.map(|(_, value)| value)))
    }

    /// Like [`join_next`](JoinSet::join_next), with the finished task's [`Id`] beside its
    /// value (a [`JoinError`] carries it too: [`JoinError::id`]).
    ///
    /// Cancel-safe: if the future is dropped, no result is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     let ok = set.spawn(async { 1 }).id();
    ///     let failed = set.spawn(async { panic!("boom") }).id();
    ///     let mut seen = Vec::new();
    ///     while let Some(result) = set.join_next_with_id().await {
    ///         seen.push(match result {
    ///             Ok((id, value)) => (id, Some(value)),
    ///             Err(err) => (err.id(), None),
    ///         });
    ///     }
    ///     assert_eq!(seen, [(ok, Some(1)), (failed, None)]);
    /// });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// The poll form of [`join_next_with_id`](JoinSet::join_next_with_id).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     let id = set.spawn(async { "done" }).id();
    ///     let first = poll_fn(|cx| set.poll_join_next_with_id(cx)).await;
    ///     assert_eq!(first.unwrap().unwrap(), (id, "done"));
    /// });
    /// ```
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.tasks.is_empty() {
            return Poll::Ready(None);
        }
        // Polled, an entry passed over wakes this task when its output arrives.
        let next = self.next_finished(|handle| {
            let _ = Pin::new(handle).poll(cx);
        });
        let Some((at, key)) = next else {
            // Nothing to take: wait for the next report.
            let previous = update_waker(&mut self.finished.waker.borrow_mut(), cx.waker());
            drop(previous);
            return Poll::Pending;
        };
        let handle = &mut self.tasks[key].1;
        let id = handle.id();
        // Pending only when the task's budget is spent (the handle woke it): the output
        // stays, to be taken on the next poll.
        let result = ready!(Pin::new(handle).poll(cx));
        self.remove_joined(at, key);
        Poll::Ready(Some(result.map(|value| (id, value))))
    }

    /// The result of a task that has finished, without waiting: `None` if no task has
    /// finished since the last join (or the set is empty). Spends no budget.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     set.spawn(async { 5 });
    ///     assert!(set.try_join_next().is_none(), "the task has not run yet");
    ///     mirage::yield_now().await;
    ///     assert_eq!(set.try_join_next().unwrap().unwrap(), 5);
    /// });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|result| result.map(|(_, value)| value))
    }

    /// Like [`try_join_next`](JoinSet::try_join_next), with the finished task's [`Id`]
    /// beside its value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     let id = set.spawn(async { 5 }).id();
    ///     mirage::yield_now().await;
    ///     assert_eq!(set.try_join_next_with_id().unwrap().unwrap(), (id, 5));
    /// });
    /// ```
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        let (at, key) = self.next_finished(|_| {})?;
        let handle = &mut self.tasks[key].1;
        let id = handle.id();
        let result = handle
            .take_finished()
            .expect("an entry with its output stored");
        self.remove_joined(at, key);
        Some(result.map(|value| (id, value)))
    }

    /// The place in the queue and the task key of the first reported task whose output is
    /// stored. Drops the entries of tasks that left the set on the way, and passes over
    /// (calling `passed_over` on its handle) each one whose output is not stored yet (see
    /// `Finished::queue`), so that it hides none of the tasks that finished after it.
    fn next_finished(
        &mut self,
        mut passed_over: impl FnMut(&mut JoinHandle<T>),
    ) -> Option<(usize, usize)> {
        let mut at = 0;
        loop {
            let (key, spawn) = self.finished.queue.borrow().get(at).copied()?;
            match self.tasks.get_mut(key).filter(|task| task.0 == spawn) {
                None => {
                    self.finished.queue.borrow_mut().remove(at);
                }
                Some((_, handle, _)) if handle.has_output() => return Some((at, key)),
                Some((_, handle, _)) => {
                    passed_over(handle);
                    at += 1;
                }
            }
        }
    }

    /// Removes the task `key`, whose output was just taken, and its entry `at` in the queue.
    fn remove_joined(&mut self, at: usize, key: usize) {
        self.finished.queue.borrow_mut().remove(at);
        self.tasks.remove(key);
    }

    /// Waits for every task and returns their values, in the order they finished.
    ///
    /// # Panics
    ///
    /// If a task panicked, with its panic, or was aborted; the other tasks are aborted
    /// then, as the set is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     for n in 0..4 {
    ///         set.spawn(async move { n * n });
    ///     }
    ///     let mut squares = set.join_all().await;
    ///     squares.sort();
    ///     assert_eq!(squares, [0, 1, 4, 9]);
    /// });
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut values = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(value) => values.push(value),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!("a task of the JoinSet failed: {err}"),
            }
        }
        values
    }

    /// Aborts every task in the set. They stay in it until joined: each then yields a
    /// [`JoinError`] for which [`is_cancelled`](JoinError::is_cancelled) is true, unless it
    /// finished first. A [`spawn_blocking`](JoinSet::spawn_blocking) closure that has
    /// already started cannot be stopped: it is joined with its value once it ends.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for (_, (_, handle, blocking)) in &self.tasks {
            match blocking {
                Some(flag) => flag.request(),
                None => handle.abort(),
            }
        }
    }

    /// Aborts every task and waits until all have finished; the set is empty then. A
    /// [`spawn_blocking`](JoinSet::spawn_blocking) closure that has started is waited
    /// for, as in tokio: it cannot be stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Removes every task from the set without aborting it: each keeps running, as a task
    /// whose [`JoinHandle`] was dropped does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let ran = Rc::new(Cell::new(false));
    ///     let mut set = mirage::JoinSet::new();
    ///     let flag = ran.clone();
    ///     set.spawn(async move { flag.set(true) });
    ///     set.detach_all();
    ///     drop(set);
    ///     mirage::yield_now().await;
    ///     assert!(ran.get(), "the detached task ran");
    /// });
    /// ```
    pub fn detach_all(&mut self) {
        self.tasks.clear();
        // The detached tasks report to the old queue, which goes when the last of them does.
        self.finished = Rc::default();
    }
}

impl<T> JoinSet<T> {
    /// How many tasks are in the set: running, or finished and not yet joined.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut set = mirage::JoinSet::new();
    ///     set.spawn(async {});
    ///     assert_eq!(set.len(), 1);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(mirage::JoinSet::<u8>::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl<T: 'static> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

/// Spawns each future as a task of a new set, as [`spawn`](JoinSet::spawn) does.
///
/// # Panics
///
/// Outside a running or entered Core.
///
/// # Examples
///
/// ```
/// use mirage::JoinSet;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let set: JoinSet<u32> = (1..=3).map(|n| async move { n * 10 }).collect();
///     let mut results = set.join_all().await;
///     results.sort();
///     assert_eq!(results, [10, 20, 30]);
/// });
/// ```
impl<T: 'static, F: Future<Output = T> + 'static> FromIterator<F> for JoinSet<T> {
    fn from_iter<I: IntoIterator<Item = F>>(futures: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(futures);
        set
    }
}

/// Spawns each future as a task of this set, as [`spawn`](JoinSet::spawn) does.
///
/// # Panics
///
/// Outside a running or entered Core.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut set = mirage::JoinSet::new();
///     set.spawn(async { 1 });
///     set.extend([2, 3].map(|n| async move { n }));
///     assert_eq!(set.len(), 3);
/// });
/// ```
impl<T: 'static, F: Future<Output = T> + 'static> Extend<F> for JoinSet<T> {
    fn extend<I: IntoIterator<Item = F>>(&mut self, futures: I) {
        for future in futures {
            self.spawn(future);
        }
    }
}

/// The task of a set that waits for remote work: it ends with the work's value, fails with
/// its panic (as a task's own panic would), or is cancelled if the work was (its Core or
/// pool gone, or aborted before it started). Aborting the task, or dropping the set,
/// aborts the work, also before the task first runs.
fn wait_for_remote<T>(work: RemoteJoinHandle<T>) -> impl Future<Output = T> {
    // Outside the async block, so that a task aborted before its first poll aborts the work.
    let mut work = AbortOnDrop(work);
    async move {
        match (&mut work.0).await {
            Ok(value) => value,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => {
                super::abort::cancel_current();
                std::future::pending().await
            }
        }
    }
}

/// Aborts blocking work whose task in the set was aborted (or whose set was dropped).
struct AbortOnDrop<T>(RemoteJoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Drop for JoinSet<T> {
    /// Aborts every task still in the set.
    fn drop(&mut self) {
        for (_, (_, handle, _)) in &self.tasks {
            handle.abort();
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
