//! `mirage::sync::OnceCell`: one initializer at a time, and the next in line takes over when
//! one fails, panics or is dropped. Virtual time keeps the initializers' sleeps quick and
//! in deadline order. `cross_thread::OnceCell` keeps the same rules for tasks on several
//! Cores: racing on a `static` cell, they run one initializer; one that is cancelled or
//! fails on one Core hands the turn to a waiter on another.

mod guard;

use std::cell::{Cell, RefCell};
use std::future::{Future, pending, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::sync::{OnceCell, SetError, cross_thread};
use mirage::time::{sleep, timeout};

/// A value that counts its drops.
#[derive(Debug)]
struct Counted(u32, Rc<Cell<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.set(self.1.get() + 1);
    }
}

/// Awaits `task`, failing instead of hanging if it waits for a value that nobody computes
/// (the virtual clock jumps to the deadline once every task is stuck).
async fn within<T>(task: mirage::JoinHandle<T>) -> T {
    let joined = timeout(Duration::from_secs(3600), task).await;
    joined.expect("the task still waits for the cell").unwrap()
}

/// Spawns a task that asks `cell` for its value, running (and logging) an initializer that
/// sleeps 1 ms and returns `n` if its turn comes.
fn ask(cell: &Rc<OnceCell<u32>>, ran: &Rc<RefCell<Vec<u32>>>, n: u32) -> mirage::JoinHandle<u32> {
    let (cell, ran) = (Rc::clone(cell), Rc::clone(ran));
    mirage::spawn(async move {
        let value = cell
            .get_or_init(|| async {
                ran.borrow_mut().push(n);
                sleep(Duration::from_millis(1)).await;
                n
            })
            .await;
        *value
    })
}

#[mirage::test(start_paused = true)]
async fn of_many_concurrent_initializers_only_the_first_runs_and_all_get_its_value() {
    let cell = Rc::new(OnceCell::new());
    let ran = Rc::new(RefCell::new(Vec::new()));
    let tasks: Vec<_> = (0..20).map(|n| ask(&cell, &ran, n)).collect();
    for task in tasks {
        assert_eq!(within(task).await, 0);
    }
    assert_eq!(*ran.borrow(), [0]);
    assert_eq!(cell.get(), Some(&0));
}

#[mirage::test(start_paused = true)]
async fn a_cancelled_initializer_lets_the_longest_waiting_task_run_its_own() {
    let cell = Rc::new(OnceCell::new());
    let ran = Rc::new(RefCell::new(Vec::new()));
    let finished = Rc::new(Cell::new(false));
    let first = mirage::spawn({
        let (cell, finished) = (Rc::clone(&cell), Rc::clone(&finished));
        async move {
            let init = cell.get_or_init(|| async {
                sleep(Duration::from_secs(60)).await;
                finished.set(true);
                0
            });
            timeout(Duration::from_millis(5), init).await.is_err()
        }
    });
    mirage::yield_now().await; // the first one's initializer runs
    let second = ask(&cell, &ran, 1);
    mirage::yield_now().await; // the second waits before the third
    let third = ask(&cell, &ran, 2);
    assert!(first.await.unwrap(), "the first initializer timed out");
    assert_eq!(within(second).await, 1);
    assert_eq!(within(third).await, 1);
    assert_eq!(
        *ran.borrow(),
        [1],
        "only the next in line ran its initializer"
    );
    assert!(!finished.get(), "the cancelled initializer never finished");
}

#[mirage::test(start_paused = true)]
async fn an_aborted_task_s_initializer_lets_the_next_run() {
    let cell = Rc::new(OnceCell::new());
    let ran = Rc::new(RefCell::new(Vec::new()));
    let stuck = mirage::spawn({
        let cell = Rc::clone(&cell);
        async move { *cell.get_or_init(pending).await }
    });
    mirage::yield_now().await;
    let waiter = ask(&cell, &ran, 1);
    sleep(Duration::from_millis(5)).await;
    assert!(
        !waiter.is_finished(),
        "waits while the stuck initializer runs"
    );
    stuck.abort();
    assert!(stuck.await.unwrap_err().is_cancelled());
    assert_eq!(within(waiter).await, 1);
    assert_eq!(*ran.borrow(), [1]);
}

#[mirage::test(start_paused = true)]
async fn a_failed_initializer_returns_its_error_and_lets_the_next_run() {
    let cell = Rc::new(OnceCell::new());
    let ran = Rc::new(RefCell::new(Vec::new()));
    let failing = mirage::spawn({
        let cell = Rc::clone(&cell);
        async move {
            let init = cell.get_or_try_init(|| async {
                sleep(Duration::from_millis(1)).await;
                Err::<u32, _>("refused")
            });
            init.await.copied()
        }
    });
    mirage::yield_now().await;
    let waiter = ask(&cell, &ran, 1);
    assert_eq!(failing.await.unwrap(), Err("refused"));
    assert_eq!(within(waiter).await, 1);
    assert_eq!(*ran.borrow(), [1]);
}

#[mirage::test(start_paused = true)]
async fn a_panicking_initializer_lets_the_next_run() {
    let cell = Rc::new(OnceCell::<u32>::new());
    let ran = Rc::new(RefCell::new(Vec::new()));
    let panicking = mirage::spawn({
        let cell = Rc::clone(&cell);
        async move {
            let init = cell.get_or_init(|| async {
                sleep(Duration::from_millis(1)).await;
                panic!("initializer exploded")
            });
            *init.await
        }
    });
    mirage::yield_now().await;
    let waiter = ask(&cell, &ran, 1);
    let err = panicking.await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(within(waiter).await, 1);
    assert_eq!(*ran.borrow(), [1]);
}

#[mirage::test(start_paused = true)]
async fn set_fails_while_an_initializer_runs_and_once_a_value_is_stored() {
    let cell = Rc::new(OnceCell::new());
    let ran = Rc::new(RefCell::new(Vec::new()));
    let init = ask(&cell, &ran, 1);
    mirage::yield_now().await; // its initializer now sleeps
    assert_eq!(cell.set(2), Err(SetError::InitializingError(2)));
    assert_eq!(format!("{cell:?}"), "OnceCell { value: <initializing> }");
    assert_eq!(init.await.unwrap(), 1);
    assert_eq!(cell.set(3), Err(SetError::AlreadyInitializedError(3)));
    assert_eq!(cell.get(), Some(&1));
}

#[mirage::test(start_paused = true)]
async fn a_turn_handed_to_a_waiter_counts_as_initializing() {
    let cell = Rc::new(OnceCell::new());
    let ran = Rc::new(RefCell::new(Vec::new()));
    let stuck = mirage::spawn({
        let cell = Rc::clone(&cell);
        async move { *cell.get_or_init(pending).await }
    });
    mirage::yield_now().await;
    let waiters: Vec<_> = (1..4).map(|n| ask(&cell, &ran, n)).collect();
    mirage::yield_now().await;
    stuck.abort();
    assert!(stuck.await.unwrap_err().is_cancelled());
    // The turn went to the first waiter: whether or not its initializer has begun, a set
    // may not slip in before it.
    assert_eq!(cell.set(9), Err(SetError::InitializingError(9)));
    for waiter in waiters {
        assert_eq!(within(waiter).await, 1);
    }
    assert_eq!(*ran.borrow(), [1]);
}

#[mirage::test]
async fn a_value_set_on_an_empty_cell_wins_over_later_initializers() {
    let cell = OnceCell::new();
    assert!(!cell.initialized());
    assert_eq!(cell.set(5), Ok(()));
    assert!(cell.initialized());
    let value = cell
        .get_or_init(|| async { unreachable!("already set") })
        .await;
    assert_eq!(*value, 5);
    let tried = cell.get_or_try_init(|| async { Err::<u32, ()>(()) }).await;
    assert_eq!(
        tried,
        Ok(&5),
        "a stored value wins over a failing initializer"
    );
}

#[mirage::test(start_paused = true)]
async fn take_empties_the_cell_for_a_new_initializer_and_into_inner_returns_the_value() {
    let mut cell = OnceCell::new();
    assert_eq!(cell.take(), None);
    cell.get_or_init(|| async { 1 }).await;
    assert_eq!(cell.take(), Some(1));
    assert!(!cell.initialized());
    assert_eq!(format!("{cell:?}"), "OnceCell { value: <uninitialized> }");
    assert_eq!(*cell.get_or_init(|| async { 2 }).await, 2);
    *cell.get_mut().unwrap() += 1;
    assert_eq!(format!("{cell:?}"), "OnceCell { value: 3 }");
    assert_eq!(cell.into_inner(), Some(3));
    assert_eq!(OnceCell::<u32>::new().into_inner(), None);
}

#[mirage::test(start_paused = true)]
async fn every_value_is_dropped_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    let counted = |n| Counted(n, Rc::clone(&drops));
    {
        let mut cell = OnceCell::new();
        cell.set(counted(1)).unwrap();
        let refused = cell.set(counted(2)).unwrap_err();
        assert!(refused.is_already_init_err());
        drop(refused);
        assert_eq!(drops.get(), 1, "the refused value, handed back and dropped");
        let value = cell.get_or_init(|| async { counted(3) }).await;
        assert_eq!(value.0, 1);
        let taken = cell.take().unwrap();
        assert_eq!(drops.get(), 1, "take moves the value out, dropping nothing");
        drop(taken);
        assert_eq!(drops.get(), 2);
        cell.get_or_init(|| async { counted(4) }).await;
        assert_eq!(drops.get(), 2);
    }
    assert_eq!(drops.get(), 3, "the cell drops the value it holds");
    let cell = OnceCell::new_with(Some(counted(5)));
    let inner = cell.into_inner().unwrap();
    assert_eq!(drops.get(), 3, "into_inner moves the value out");
    drop(inner);
    assert_eq!(drops.get(), 4);
    // A cancelled initializer's value is never made, and one that fails made none.
    let cell = OnceCell::new();
    let cancelled = timeout(
        Duration::from_millis(1),
        cell.get_or_init(|| async {
            sleep(Duration::from_secs(1)).await;
            counted(6)
        }),
    )
    .await;
    assert!(cancelled.is_err());
    drop(cell);
    assert_eq!(drops.get(), 4, "an empty cell drops nothing");
}

#[test]
fn new_is_const_and_a_thread_local_cell_is_set_once() {
    thread_local! {
        static CELL: OnceCell<String> = const { OnceCell::new() };
    }
    let mut core = mirage::Core::new().unwrap();
    let values = core.run(async {
        let tasks: Vec<_> = (0..3)
            .map(|n| {
                mirage::spawn(async move {
                    // The thread-local is 'static only within `with`: copy out what we need.
                    let _ = CELL.with(|cell| cell.set(format!("task {n}")));
                    CELL.with(|cell| cell.get().unwrap().clone())
                })
            })
            .collect();
        let mut values = Vec::new();
        for task in tasks {
            values.push(task.await.unwrap());
        }
        values
    });
    assert_eq!(values, ["task 0", "task 0", "task 0"]);
}

#[test]
fn clone_equality_and_from() {
    let cell = OnceCell::from(4);
    assert_eq!(cell.clone(), cell);
    assert_ne!(cell, OnceCell::new());
    assert_eq!(OnceCell::<u32>::default(), OnceCell::new_with(None));
}

// `cross_thread::OnceCell`: the same cell for the tasks of several Cores, one per thread.

/// Polls `fut` once, with the task's waker; `None` if it is pending.
async fn poll_once<F: Future>(fut: Pin<&mut F>) -> Option<F::Output> {
    let mut fut = Some(fut);
    poll_fn(|cx| match fut.take().unwrap().poll(cx) {
        Poll::Ready(out) => Poll::Ready(Some(out)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

#[test]
fn cores_racing_on_a_static_cell_run_one_initializer_and_all_get_its_value() {
    const CORES: usize = 8;
    static CELL: cross_thread::OnceCell<String> = cross_thread::OnceCell::const_new();
    static RUNS: AtomicUsize = AtomicUsize::new(0);

    /// Asks for the cell's value, with an initializer that names its Core and task.
    async fn ask(core: usize, task: usize) -> &'static str {
        let value = CELL.get_or_init(|| async move {
            RUNS.fetch_add(1, Ordering::SeqCst);
            // Long enough for the other Cores to ask meanwhile, and wait.
            sleep(Duration::from_millis(5)).await;
            format!("core {core}, task {task}")
        });
        value.await
    }

    let values = within_guard(|| {
        let start = Arc::new(std::sync::Barrier::new(CORES));
        let cores: Vec<_> = (0..CORES)
            .map(|core| {
                let start = Arc::clone(&start);
                thread::spawn(move || {
                    let mut runtime = mirage::Core::new().unwrap();
                    start.wait();
                    runtime.run(async move { mirage::join!(ask(core, 0), ask(core, 1)) })
                })
            })
            .collect();
        let values: Vec<_> = cores.into_iter().map(|core| core.join().unwrap()).collect();
        values
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 1, "one initializer ran");
    let stored = CELL.get().expect("stored").as_str();
    for (first, second) in values {
        assert_eq!((first, second), (stored, stored));
    }
}

/// How the first initializer of `second_in_line_after` gives up.
#[derive(Clone, Copy)]
enum GiveUp {
    /// Its future is dropped (a `select!` takes another branch).
    Cancelled,
    /// It returns an error.
    Fails,
}

/// Runs an initializer on a Core of its own thread until the task that runs it is told to
/// give up, the way `how` says; meanwhile a task on this thread's Core queues behind it.
/// Returns how the first ended, and what the second got and whether its initializer ran.
fn second_in_line_after(how: GiveUp) -> (&'static str, u32, bool) {
    within_guard(move || {
        let cell = Arc::new(cross_thread::OnceCell::new());
        let (cancel, fail) = (
            Arc::new(cross_thread::Notify::new()),
            Arc::new(cross_thread::Notify::new()),
        );
        let (holds_tx, holds_rx) = std_mpsc::channel();
        let first_core = thread::spawn({
            let (cell, cancel, fail) = (Arc::clone(&cell), Arc::clone(&cancel), Arc::clone(&fail));
            move || {
                mirage::Core::new().unwrap().run(async move {
                    let init = cell.get_or_try_init(|| async move {
                        holds_tx.send(()).unwrap();
                        fail.notified().await;
                        Err("failed")
                    });
                    mirage::select! {
                        result = init => result.copied().unwrap_err(),
                        _ = cancel.notified() => "cancelled",
                    }
                })
            }
        });
        holds_rx.recv().unwrap();
        let mut core = mirage::Core::new().unwrap();
        let ran = AtomicBool::new(false);
        let second = core.run(async {
            let mut init = pin!(cell.get_or_init(|| async {
                ran.store(true, Ordering::SeqCst);
                2
            }));
            assert!(
                poll_once(init.as_mut()).await.is_none(),
                "waits while the other Core's initializer runs"
            );
            match how {
                GiveUp::Cancelled => cancel.notify_one(),
                GiveUp::Fails => fail.notify_one(),
            }
            *init.await
        });
        let first = first_core.join().unwrap();
        (first, second, ran.load(Ordering::SeqCst))
    })
}

#[test]
fn an_initializer_cancelled_on_one_core_lets_the_waiter_on_another_run_its_own() {
    assert_eq!(
        second_in_line_after(GiveUp::Cancelled),
        ("cancelled", 2, true)
    );
}

#[test]
fn an_initializer_failing_on_one_core_lets_the_waiter_on_another_run_its_own() {
    assert_eq!(second_in_line_after(GiveUp::Fails), ("failed", 2, true));
}
