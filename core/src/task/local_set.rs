//! `LocalSet`: tokio's set of local tasks, which run only while the set is driven.
//!
//! Every Mirage task is already local, so the set is for code ported from tokio, and keeps
//! tokio's observable rules: its tasks wait until the set is driven, and die with it. Each
//! is a task of the Core, wrapped in a [`Member`] that parks the task while no driver is
//! in progress, and wakes it when one starts; the set keeps a hold on each unfinished
//! future, to drop it when the set is dropped.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::unbound::Unbound;
use super::{AbortHandle, JoinHandle, raw};
use crate::context;

thread_local! {
    /// The set that `task::spawn_local` spawns into: the one whose task or `run_until`
    /// future is being polled, or that was entered.
    static CURRENT_SET: Cell<Option<Rc<Set>>> = const { Cell::new(None) };
}

/// A set of tasks that run only while the set is driven, and that are dropped with it:
/// tokio's `task::LocalSet`.
///
/// Mirage tasks need no `Send` anywhere, so the set is not needed for `!Send` futures
/// ([`spawn`](crate::spawn) takes them); it is here so that tokio code that uses one ports
/// with its meaning. The set's tasks are those spawned by [`spawn_local`](LocalSet::spawn_local),
/// and by [`task::spawn_local`](crate::task::spawn_local) inside the set (from its tasks, its
/// `run_until` future, or under [`enter`](LocalSet::enter)). They run while the set is
/// driven: during [`run_until`](LocalSet::run_until), [`block_on`](LocalSet::block_on), or
/// while the set itself is awaited (which completes once all its tasks are done). Dropping
/// the set drops their futures.
///
/// # Where it differs from tokio's
///
/// - A task of the set is a task of the Core that was current when it was spawned (running,
///   or [entered](crate::runtime::Runtime::enter)); one spawned where there is no Core
///   becomes a task of the first Core that drives the set. If another Core drives the set
///   later, the task still runs only when its own Core runs.
/// - The tasks are polled by the Core among its other tasks, not from inside the driving
///   future's `poll`: "driven" means a driver is in progress (polled once and not yet
///   finished or dropped), even in turns where the task awaiting it is not polled. A task
///   woken while the set is not driven is polled once, and parks until the set is.
/// - Awaited as a future, the set drives itself from its first poll until it completes or
///   is dropped. Awaited through `&mut` (`timeout(d, &mut set)`, a `select!` branch) and
///   given up on before it completes, it stays driven, where tokio's tasks stop with the
///   polls: use [`run_until`](LocalSet::run_until), whose future stops driving when dropped.
/// - Dropping the set drops its unfinished futures at once, as tokio does; their
///   `JoinHandle`s report cancellation once their Core next runs.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::task::LocalSet;
///
/// let runtime = mirage::runtime::Runtime::new()?;
/// let local = LocalSet::new();
/// let answer = local.block_on(&runtime, async {
///     let shared = Rc::new(41);
///     let task = mirage::task::spawn_local(async move { *shared + 1 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// # std::io::Result::Ok(())
/// ```
pub struct LocalSet {
    set: Rc<Set>,
    /// Set while the set, awaited as a future, drives itself.
    awaited: Option<Driving>,
}

/// The state a set shares with its tasks.
struct Set {
    /// How many drivers are in progress: the tasks may run while this is not 0.
    drivers: Cell<usize>,
    /// The unfinished tasks, by key.
    tasks: RefCell<BTreeMap<u64, Entry>>,
    next_key: Cell<u64>,
    /// Set when the `LocalSet` is dropped: tasks spawned later are cancelled at once.
    closed: Cell<bool>,
    /// The task awaiting the set itself, woken when its last task is done.
    idle: RefCell<Option<Waker>>,
    /// Tasks spawned outside any Core, waiting for the first Core that drives the set.
    unbound: Unbound,
}

/// The set's hold on one unfinished task.
struct Entry {
    abort: AbortHandle,
    future: Rc<dyn DropFuture>,
    /// The task's waker while it waits for the set to be driven.
    parked: Option<Waker>,
}

impl LocalSet {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = mirage::task::LocalSet::new();
    /// # drop(local);
    /// ```
    pub fn new() -> LocalSet {
        LocalSet {
            set: Rc::new(Set {
                drivers: Cell::new(0),
                tasks: RefCell::new(BTreeMap::new()),
                next_key: Cell::new(0),
                closed: Cell::new(false),
                idle: RefCell::new(None),
                unbound: Unbound::default(),
            }),
            awaited: None,
        }
    }

    /// Spawns `future` as a task of this set and returns its [`JoinHandle`]. It starts once
    /// the set is driven, even if nobody awaits the handle.
    ///
    /// It may be called outside any Core, as with tokio: the task then waits in the set,
    /// and runs on the first Core that drives it. Dropping the set before that drops the
    /// future, and the handle reports the task cancelled.
    ///
    /// # Examples
    ///
    /// A thread that runs `!Send` work handed to it, tokio's pattern:
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use mirage::sync::cross_thread::unbounded_channel;
    /// use mirage::task::LocalSet;
    ///
    /// let (tx, mut rx) = unbounded_channel::<u32>();
    /// let worker = std::thread::spawn(move || {
    ///     let runtime = mirage::runtime::Runtime::new().unwrap();
    ///     let local = LocalSet::new();
    ///     let sum = Rc::new(Cell::new(0)); // not Send
    ///     let adder = Rc::clone(&sum);
    ///     local.spawn_local(async move {
    ///         while let Some(n) = rx.recv().await {
    ///             let adder = Rc::clone(&adder);
    ///             mirage::task::spawn_local(async move { adder.set(adder.get() + n) });
    ///         }
    ///     });
    ///     runtime.block_on(local); // drives the set until all its tasks are done
    ///     sum.get()
    /// });
    /// for n in 1..=4 {
    ///     tx.send(n).unwrap();
    /// }
    /// drop(tx);
    /// assert_eq!(worker.join().unwrap(), 10);
    /// ```
    ///
    /// Inside a Core:
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use mirage::task::LocalSet;
    ///
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let local = LocalSet::new();
    /// let ran = Rc::new(Cell::new(false));
    /// let task = {
    ///     let _guard = runtime.enter();
    ///     let ran = Rc::clone(&ran);
    ///     local.spawn_local(async move { ran.set(true) })
    /// };
    /// runtime.block_on(mirage::yield_now());
    /// assert!(!ran.get()); // the set was not driven
    /// local.block_on(&runtime, task).unwrap();
    /// assert!(ran.get());
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.set.spawn(future)
    }

    /// Drives the set until `future` completes, and returns its output: the set's tasks run
    /// meanwhile (and [`task::spawn_local`](crate::task::spawn_local) in `future` spawns
    /// into the set). Tasks still pending when it returns wait for the next driver.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::task::{self, LocalSet};
    ///
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let local = LocalSet::new();
    ///     let sum = local
    ///         .run_until(async {
    ///             let a = task::spawn_local(async { 1 });
    ///             let b = task::spawn_local(async { 2 });
    ///             a.await.unwrap() + b.await.unwrap()
    ///         })
    ///         .await;
    ///     assert_eq!(sum, 3);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        let _driving = Driving::start(&self.set);
        InSet {
            set: &self.set,
            future: pin!(future),
        }
        .await
    }

    /// Runs `future` on `runtime` while driving the set: `runtime.block_on(self.run_until(future))`.
    ///
    /// # Panics
    ///
    /// As [`Runtime::block_on`](crate::runtime::Runtime::block_on): inside a running Core.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = mirage::runtime::Runtime::new()?;
    /// let local = mirage::task::LocalSet::new();
    /// let value = local.block_on(&runtime, async {
    ///     mirage::task::spawn_local(async { "from the set" }).await.unwrap()
    /// });
    /// assert_eq!(value, "from the set");
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, runtime: &crate::runtime::Runtime, future: F) -> F::Output {
        runtime.block_on(self.run_until(future))
    }

    /// Makes [`task::spawn_local`](crate::task::spawn_local) spawn into this set until the
    /// guard drops, outside its `run_until` too.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::task::{self, LocalSet};
    ///
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let local = LocalSet::new();
    ///     let task = {
    ///         let _guard = local.enter();
    ///         task::spawn_local(async { 5 })
    ///     };
    ///     local.await; // drives the set until its tasks are done
    ///     assert_eq!(task.await.unwrap(), 5);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard {
            _entered: SetGuard::enter(&self.set),
        }
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

/// Drives the set until all its tasks are done, then completes (at once if it has none).
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.set.bind_unbound();
        if this.set.tasks.borrow().is_empty() {
            this.awaited = None;
            return Poll::Ready(());
        }
        *this.set.idle.borrow_mut() = Some(cx.waker().clone());
        if this.awaited.is_none() {
            this.awaited = Some(Driving::start(&this.set));
        }
        Poll::Pending
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        self.set.closed.set(true);
        // A destructor may spawn into the set (through an `enter` guard): those tasks are
        // cancelled as they are spawned, so the loop ends.
        loop {
            let tasks = std::mem::take(&mut *self.set.tasks.borrow_mut());
            let had_tasks = !tasks.is_empty();
            for (_, entry) in tasks {
                entry.abort.abort();
                entry.future.drop_future();
            }
            // Those no Core took in are cancelled here: no Core would ever run them.
            if !self.set.unbound.cancel_all() && !had_tasks {
                break;
            }
        }
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.set.tasks.borrow().len())
            .field("driven", &(self.set.drivers.get() != 0))
            .finish()
    }
}

/// Keeps a [`LocalSet`] current for [`task::spawn_local`](crate::task::spawn_local) until
/// dropped; made by [`LocalSet::enter`].
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let local = mirage::task::LocalSet::new();
///     let guard: mirage::task::LocalEnterGuard = local.enter();
///     let task = mirage::task::spawn_local(async {});
///     drop(guard);
///     local.run_until(task).await.unwrap();
/// });
/// # std::io::Result::Ok(())
/// ```
#[must_use = "the set is current only while the guard lives"]
pub struct LocalEnterGuard {
    _entered: SetGuard,
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}

/// Spawns `future` into the [`LocalSet`] this code runs in (a task of the set, its
/// `run_until` future, or under [`LocalSet::enter`]); elsewhere, on the current Core as
/// [`spawn`](crate::spawn) does (where tokio's panics: every Mirage task is local).
///
/// # Panics
///
/// Where there is neither a current set nor a Core, as [`spawn`](crate::spawn). (In a set
/// entered outside a Core, the task waits for the first Core that drives the set.)
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let shared = Rc::new(5); // not Send
///     let task = mirage::task::spawn_local(async move { *shared + 1 });
///     assert_eq!(task.await.unwrap(), 6);
/// });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match current_set() {
        Some(set) => set.spawn(future),
        None => crate::spawn(future),
    }
}

/// The set `task::spawn_local` spawns into, if any.
fn current_set() -> Option<Rc<Set>> {
    CURRENT_SET
        .try_with(|current| {
            let set = current.take();
            current.set(set.clone());
            set
        })
        .ok()
        .flatten()
}

impl Set {
    #[track_caller]
    fn spawn<F>(self: &Rc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let key = self.next_key.get();
        self.next_key.set(key + 1);
        let slot: Rc<Slot<F>> = Rc::new(Slot(RefCell::new(Some(Box::pin(future)))));
        let member = Member {
            set: Rc::clone(self),
            key,
            future: Rc::clone(&slot),
        };
        // The task runs no sooner than the caller yields, so it is listed below in time.
        // Internal, so that the runtime's metrics leave it out, as tokio's leave out the
        // tasks of a `LocalSet`.
        // Outside any Core, it waits for the first one that drives the set.
        let handle = match context::with_current(|_| ()) {
            Some(()) => context::with_current(|local| local.spawn_internal(member))
                .expect("a Core is current"),
            None => self.unbound.spawn(member),
        };
        let abort = handle.abort_handle();
        // Finished already: its Core is gone, and cancelled it at once (the `Member` has
        // left the set before it was listed).
        if self.closed.get() || handle.is_finished() {
            abort.abort();
            slot.drop_future();
            // A spawn outside a Core after the set was dropped: nothing will drive it. (Not
            // for a spawn on a Core that is gone while the set lives on: the tasks waiting
            // for a driver may still get one.)
            if self.closed.get() {
                self.unbound.cancel_all();
            }
        } else {
            let entry = Entry {
                abort,
                future: slot,
                parked: None,
            };
            self.tasks.borrow_mut().insert(key, entry);
        }
        handle
    }

    /// Makes the tasks spawned outside any Core tasks of the Core polling a driver of the
    /// set. At every poll of a driver, not only when it starts: a driver may stay in
    /// progress across a `block_on` that returned early, around a spawn outside the Core.
    /// (Polled where there is no Core, by another executor, they keep waiting.)
    fn bind_unbound(&self) {
        self.unbound.bind_all();
    }

    /// Parks the task at `key` until a driver starts.
    fn park(&self, key: u64, waker: &Waker) {
        if let Some(entry) = self.tasks.borrow_mut().get_mut(&key) {
            match &entry.parked {
                Some(parked) if parked.will_wake(waker) => {}
                _ => entry.parked = Some(waker.clone()),
            }
        }
    }

    /// Forgets the task at `key`, done or dropped; wakes the set's awaiter after the last.
    fn remove(&self, key: u64) {
        let (entry, idle) = {
            let mut tasks = self.tasks.borrow_mut();
            let entry = tasks.remove(&key);
            let idle = if tasks.is_empty() {
                self.idle.borrow_mut().take()
            } else {
                None
            };
            (entry, idle)
        };
        // Dropped outside the borrows: dropping a waker may run code of its own.
        drop(entry);
        if let Some(idle) = idle {
            idle.wake();
        }
    }
}

/// A driver in progress, counted while it lives.
struct Driving(Rc<Set>);

impl Driving {
    /// Counts a driver and wakes the tasks that waited for one.
    fn start(set: &Rc<Set>) -> Driving {
        set.drivers.set(set.drivers.get() + 1);
        let parked: Vec<Waker> = set
            .tasks
            .borrow_mut()
            .values_mut()
            .filter_map(|entry| entry.parked.take())
            .collect();
        for waker in parked {
            waker.wake();
        }
        Driving(Rc::clone(set))
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        self.0.drivers.set(self.0.drivers.get() - 1);
    }
}

/// Makes a set current for `task::spawn_local` until dropped.
struct SetGuard {
    previous: Option<Rc<Set>>,
}

impl SetGuard {
    fn enter(set: &Rc<Set>) -> SetGuard {
        let previous = CURRENT_SET
            .try_with(|current| current.replace(Some(Rc::clone(set))))
            .ok()
            .flatten();
        SetGuard { previous }
    }
}

impl Drop for SetGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // Dropped after the thread-local is updated: it may be a set's last hold.
        let _left = CURRENT_SET.try_with(|current| current.replace(previous));
    }
}

/// `run_until`'s future, polled with its set current.
struct InSet<'a, F> {
    set: &'a Rc<Set>,
    future: Pin<&'a mut F>,
}

impl<F: Future> Future for InSet<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.set.bind_unbound();
        let _current = SetGuard::enter(self.set);
        self.future.as_mut().poll(cx)
    }
}

/// A future of a set, where the set can drop it: in place, as it is pinned.
struct Slot<F>(RefCell<Option<Pin<Box<F>>>>);

/// Drops a set's future of any type.
trait DropFuture {
    /// Drops the future unless it is being polled (the set is then dropped by its own task,
    /// which the abort ends).
    fn drop_future(&self);
}

impl<F> DropFuture for Slot<F> {
    fn drop_future(&self) {
        let future = match self.0.try_borrow_mut() {
            Ok(mut future) => future.take(),
            Err(_) => None,
        };
        // Caught, as the Core catches it when it cancels a task: a destructor that panics
        // must not keep the set from dropping its other tasks.
        raw::drop_caught(catch_unwind(AssertUnwindSafe(move || drop(future))));
    }
}

/// A task of a set, as the Core runs it: parks while the set is not driven, and leaves
/// the set when done or dropped.
struct Member<F> {
    set: Rc<Set>,
    key: u64,
    future: Rc<Slot<F>>,
}

impl<F: Future> Future for Member<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        if this.set.drivers.get() == 0 {
            this.set.park(this.key, cx.waker());
            return Poll::Pending;
        }
        let _current = SetGuard::enter(&this.set);
        let mut slot = this.future.0.borrow_mut();
        match slot.as_mut() {
            Some(future) => future.as_mut().poll(cx),
            // Dropped with the set; the task is aborted and never polled again.
            None => Poll::Pending,
        }
    }
}

impl<F> Drop for Member<F> {
    fn drop(&mut self) {
        self.set.remove(self.key);
    }
}
