//! `JoinSet`: results in the order tasks finish, panics and aborts reported, nothing lost to
//! a cancelled `join_next`, and every task aborted with the set.

use std::cell::Cell;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use mirage::sync::oneshot;
use mirage::time::{Instant, sleep, timeout};
use mirage::{Core, JoinSet};

/// How long a test waits for another thread's Core: 10 s, or 600 s under Miri, where that
/// thread may wait that long for its turn behind other tests' threads.
const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 10 });

/// Sets its flag when dropped: shows a task's future was dropped.
struct SetOnDrop(Rc<Cell<bool>>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// Counts its drops in a shared counter.
struct CountDrops(Rc<Cell<usize>>);

impl Drop for CountDrops {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[mirage::test(start_paused = true)]
async fn results_come_in_the_order_the_tasks_finish() {
    let mut set = JoinSet::new();
    let start = Instant::now();
    for ms in [50u64, 10, 40, 20, 30] {
        set.spawn(async move {
            sleep(Duration::from_millis(ms)).await;
            ms
        });
    }
    let mut order = Vec::new();
    while let Some(result) = set.join_next().await {
        let ms = result.unwrap();
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(ms),
            "joined when it finished"
        );
        order.push(ms);
    }
    assert_eq!(order, [10, 20, 30, 40, 50]);
    assert!(set.is_empty());
    assert!(set.join_next().await.is_none(), "an empty set ends at once");
}

#[mirage::test]
async fn panics_and_aborts_are_reported_and_the_others_keep_running() {
    let mut set = JoinSet::new();
    let (tx, rx) = oneshot::channel::<u32>();
    set.spawn(async { panic!("boom") });
    set.spawn(async move { rx.await.unwrap() });
    let err = set.join_next().await.unwrap().unwrap_err();
    assert!(err.is_panic());
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
    assert_eq!(set.len(), 1);
    tx.send(7).unwrap();
    assert_eq!(set.join_next().await.unwrap().unwrap(), 7);

    let dropped = Rc::new(Cell::new(false));
    let guard = SetOnDrop(dropped.clone());
    set.spawn(async move {
        let _guard = guard;
        std::future::pending::<u32>().await
    });
    set.spawn(async { 1 });
    mirage::yield_now().await;
    set.abort_all();
    let mut cancelled = 0;
    let mut finished = 0;
    while let Some(result) = set.join_next().await {
        match result {
            Ok(1) => finished += 1,
            Err(err) if err.is_cancelled() => cancelled += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        (cancelled, finished),
        (1, 1),
        "a task that finished first keeps its value"
    );
    assert!(dropped.get());
}

#[mirage::test]
async fn a_task_aborted_before_it_ever_ran_is_reported() {
    let mut set = JoinSet::new();
    set.spawn(async { 1 });
    set.abort_all();
    let err = set.join_next().await.unwrap().unwrap_err();
    assert!(err.is_cancelled());
}

#[mirage::test(start_paused = true)]
async fn a_cancelled_join_next_loses_no_result() {
    let mut set = JoinSet::new();
    for ms in [10u64, 10, 30] {
        set.spawn(async move {
            sleep(Duration::from_millis(ms)).await;
            ms
        });
    }
    let mut joined = Vec::new();
    let mut timeouts = 0;
    while !set.is_empty() {
        // A short timeout drops the pending `join_next` again and again.
        match timeout(Duration::from_millis(3), set.join_next()).await {
            Ok(result) => joined.push(result.unwrap().unwrap()),
            Err(_) => timeouts += 1,
        }
    }
    assert_eq!(joined, [10, 10, 30]);
    assert!(timeouts >= 5, "join_next was dropped only {timeouts} times");
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    let mut core = Core::new().unwrap();
    let dropped = Rc::new(Cell::new(false));
    let ran_on = Rc::new(Cell::new(false));
    core.run(async {
        let mut set = JoinSet::new();
        let guard = SetOnDrop(dropped.clone());
        let ran_on = ran_on.clone();
        set.spawn(async move {
            let _guard = guard;
            sleep(Duration::from_millis(5)).await;
            ran_on.set(true);
        });
        mirage::yield_now().await;
        drop(set);
        mirage::yield_now().await;
        assert!(dropped.get(), "the task's future was dropped");
        sleep(Duration::from_millis(20)).await;
    });
    assert!(!ran_on.get(), "an aborted task ran on");
}

#[test]
fn detached_tasks_run_on_and_do_not_reach_the_set_again() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut set = JoinSet::new();
        let ran = Rc::new(Cell::new(0));
        for _ in 0..3 {
            let ran = ran.clone();
            set.spawn(async move {
                mirage::yield_now().await;
                ran.set(ran.get() + 1);
                0
            });
        }
        set.detach_all();
        assert!(set.is_empty());
        // New tasks reuse the slots the detached ones left.
        set.spawn(async { 1 });
        set.spawn(async { 2 });
        let mut joined = Vec::new();
        while let Some(result) = set.join_next().await {
            joined.push(result.unwrap());
        }
        joined.sort_unstable();
        assert_eq!(joined, [1, 2], "only the set's own tasks");
        mirage::yield_now().await;
        mirage::yield_now().await;
        assert_eq!(ran.get(), 3, "the detached tasks ran to the end");
    });
}

#[mirage::test]
async fn shutdown_aborts_and_empties_the_set() {
    let mut set = JoinSet::new();
    let dropped: Vec<_> = (0..5).map(|_| Rc::new(Cell::new(false))).collect();
    for flag in &dropped {
        let guard = SetOnDrop(flag.clone());
        set.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
    }
    set.shutdown().await;
    assert!(set.is_empty());
    assert!(dropped.iter().all(|flag| flag.get()));
}

#[mirage::test]
#[should_panic(expected = "boom")]
async fn join_all_passes_a_task_panic_on() {
    let mut set = JoinSet::new();
    set.spawn(async { 1 });
    set.spawn(async { panic!("boom") });
    set.join_all().await;
}

#[test]
fn a_set_may_outlive_its_core() {
    let mut core = Core::new().unwrap();
    let mut set = core.run(async {
        let mut set = JoinSet::new();
        set.spawn(std::future::pending::<()>());
        set.spawn(async {});
        set
    });
    drop(core);
    // The Core dropped the pending task: nothing left to run, and nothing to panic about.
    set.abort_all();
    drop(set);
}

#[test]
fn spawning_outside_a_core_panics_with_the_spawn_message() {
    let result = std::panic::catch_unwind(|| {
        let mut set = JoinSet::new();
        set.spawn(async {});
    });
    let err = result.unwrap_err();
    let message = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap();
    assert!(message.contains("spawn"), "{message}");
}

#[test]
fn many_tasks_finishing_in_reverse_are_all_joined_once() {
    const TASKS: usize = if cfg!(miri) { 300 } else { 10_000 };
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut set = JoinSet::new();
        let mut senders = Vec::with_capacity(TASKS);
        for n in 0..TASKS {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            set.spawn(async move {
                rx.await.unwrap();
                n
            });
        }
        mirage::yield_now().await;
        let mut expected = TASKS;
        while let Some(tx) = senders.pop() {
            tx.send(()).unwrap();
            expected -= 1;
            assert_eq!(set.join_next().await.unwrap().unwrap(), expected);
        }
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn a_set_inside_a_task_is_dropped_with_its_core() {
    let dropped = Rc::new(Cell::new(0));
    let mut core = Core::new().unwrap();
    core.run(async {
        let dropped = dropped.clone();
        mirage::spawn(async move {
            let mut set = JoinSet::new();
            for _ in 0..3 {
                let guard = CountDrops(dropped.clone());
                set.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
            }
            set.join_next().await;
        });
        mirage::yield_now().await;
    });
    // The Core drops the task that owns the set, whose drop aborts the set's tasks, while
    // it drops those tasks too: each future is dropped exactly once.
    drop(core);
    assert_eq!(dropped.get(), 3);
}

#[mirage::test]
async fn try_join_next_takes_finished_results_even_with_the_budget_spent() {
    let mut set = JoinSet::new();
    assert!(set.try_join_next().is_none(), "empty");
    set.spawn(async { 1 });
    set.spawn(std::future::pending::<i32>());
    assert!(set.try_join_next().is_none(), "nothing has run yet");
    mirage::yield_now().await;
    // Spend the whole budget without yielding: a waiting join would now yield first.
    for _ in 0..mirage::coop::BUDGET {
        mirage::coop::consume_budget().await;
    }
    let waiting = std::future::poll_fn(|cx| Poll::Ready(set.poll_join_next(cx))).await;
    assert!(
        waiting.is_pending(),
        "the budget is spent: a waiting join yields"
    );
    assert_eq!(set.try_join_next().unwrap().unwrap(), 1);
    assert!(
        set.try_join_next().is_none(),
        "the other task is still running"
    );
    assert_eq!(set.len(), 1);
}

#[test]
fn blocking_work_joins_like_a_task_its_panic_included() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut set = JoinSet::new();
        let main_thread = std::thread::current().id();
        set.spawn_blocking(move || std::thread::current().id() != main_thread);
        let off_core = set.join_next().await.unwrap().unwrap();
        assert!(off_core, "the closure ran on a pool thread");
        set.spawn_blocking(|| -> bool { panic!("blocking boom") });
        let err = set.join_next().await.unwrap().unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            *err.into_panic().downcast::<&str>().unwrap(),
            "blocking boom"
        );
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn aborted_blocking_work_reports_cancelled_and_its_result_is_dropped() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        /// Sets its flag when dropped, on whichever thread.
        #[derive(Debug)]
        struct Flag(std::sync::Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let mut set = JoinSet::new();
        let flag = Flag(dropped.clone());
        let abort = set.spawn_blocking(move || {
            gate.recv().unwrap();
            flag
        });
        abort.abort();
        let err = set.join_next().await.unwrap().unwrap_err();
        assert!(err.is_cancelled());
        // If the pool had not started the closure yet, the abort dropped it unrun, and its
        // gate and flag with it: then there is no one to release.
        let _ = release.send(());
        // Either way its result (or the unrun closure's capture) goes.
        let deadline = std::time::Instant::now() + LIMIT;
        while !dropped.load(std::sync::atomic::Ordering::SeqCst) {
            assert!(std::time::Instant::now() < deadline, "the result was kept");
            sleep(Duration::from_millis(1)).await;
        }
    });
}

/// `abort_all` and `shutdown` treat blocking work as tokio's do: a closure that has started
/// cannot be stopped, so the set waits for it and joins its value; one still queued never
/// runs and is joined as cancelled.
#[test]
fn shutdown_waits_for_started_blocking_work_and_cancels_queued_work() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, mpsc};

    let runtime = mirage::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (started_tx, started) = mpsc::channel::<()>();
        let (release, gate) = mpsc::channel::<()>();
        let queued_ran = Arc::new(AtomicBool::new(false));
        let mut set = JoinSet::new();
        set.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            gate.recv().unwrap();
            "finished"
        });
        let ran = queued_ran.clone();
        // Behind the first on the pool's one thread.
        set.spawn_blocking(move || {
            ran.store(true, Ordering::SeqCst);
            "ran"
        });
        let deadline = std::time::Instant::now() + LIMIT;
        while started.try_recv().is_err() {
            assert!(std::time::Instant::now() < deadline, "never started");
            sleep(Duration::from_millis(1)).await;
        }
        set.abort_all();
        // Released only later: the set must wait for it.
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            release.send(()).unwrap();
        });
        let mut joined = Vec::new();
        while let Some(result) = timeout(LIMIT, set.join_next()).await.unwrap() {
            joined.push(result.map_err(|err| err.is_cancelled()));
        }
        joined.sort();
        assert_eq!(joined, [Ok("finished"), Err(true)]);
        assert!(!queued_ran.load(Ordering::SeqCst), "the queued closure ran");
    });
}

/// A second Core on a thread of its own, reached through its `Handle`; stopped and joined
/// when dropped.
struct OtherCore {
    handle: mirage::runtime::Handle,
    thread: std::thread::ThreadId,
    stop: Option<mirage::sync::cross_thread::oneshot::Sender<()>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl OtherCore {
    fn start() -> OtherCore {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = mirage::sync::cross_thread::oneshot::channel::<()>();
        let worker = std::thread::spawn(move || {
            let runtime = mirage::runtime::Runtime::new().unwrap();
            handle_tx.send(runtime.handle().clone()).unwrap();
            let _ = runtime.block_on(stopped);
        });
        let handle = handle_rx.recv().unwrap();
        OtherCore {
            handle,
            thread: worker.thread().id(),
            stop: Some(stop),
            worker: Some(worker),
        }
    }

    /// Stops the Core and waits for its thread: its unfinished tasks are dropped.
    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(worker) = self.worker.take() {
            worker.join().unwrap();
        }
    }
}

impl Drop for OtherCore {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sets its flag when dropped, on whichever thread.
struct SetOnDropAnywhere(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for SetOnDropAnywhere {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Waits (in real time, bounded) for `flag` to be set by another thread.
async fn wait_for(flag: &std::sync::atomic::AtomicBool, what: &str) {
    let deadline = std::time::Instant::now() + LIMIT;
    while !flag.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(std::time::Instant::now() < deadline, "{what}");
        sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn spawn_on_runs_on_the_other_core_and_joins_here() {
    let other = OtherCore::start();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut set = JoinSet::new();
        for n in 0..10u32 {
            set.spawn_on(
                async move {
                    mirage::yield_now().await;
                    (n, std::thread::current().id())
                },
                &other.handle,
            );
        }
        let results = timeout(LIMIT, set.join_all())
            .await
            .expect("every remote task reported");
        let mut numbers: Vec<u32> = results.iter().map(|(n, _)| *n).collect();
        numbers.sort();
        assert_eq!(numbers, (0..10).collect::<Vec<_>>());
        assert!(results.iter().all(|(_, thread)| *thread == other.thread));
        // A panic on the other Core is this set's panic.
        let mut set = JoinSet::new();
        set.spawn_on(async { panic!("remote boom") }, &other.handle);
        let err = timeout(LIMIT, set.join_next())
            .await
            .expect("the panic was reported")
            .unwrap()
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "remote boom");
    });
}

#[test]
fn aborting_a_spawn_on_task_or_dropping_the_set_aborts_the_remote_task() {
    let other = OtherCore::start();
    let mut core = Core::new().unwrap();
    core.run(async {
        let aborted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut set = JoinSet::new();
        let guard = SetOnDropAnywhere(aborted.clone());
        let abort = set.spawn_on(
            async move {
                let _guard = guard;
                std::future::pending::<()>().await
            },
            &other.handle,
        );
        abort.abort();
        let err = set.join_next().await.unwrap().unwrap_err();
        assert!(err.is_cancelled());
        wait_for(&aborted, "the remote future was not dropped by the abort").await;

        let guard = SetOnDropAnywhere(dropped.clone());
        set.spawn_on(
            async move {
                let _guard = guard;
                std::future::pending::<()>().await
            },
            &other.handle,
        );
        mirage::yield_now().await;
        drop(set);
        wait_for(&dropped, "dropping the set left the remote task running").await;
    });
}

#[test]
fn a_spawn_on_task_whose_core_is_dropped_is_reported_cancelled() {
    let mut other = OtherCore::start();
    let mut core = Core::new().unwrap();
    core.run(async {
        let (started_tx, started) = mirage::sync::cross_thread::oneshot::channel::<()>();
        let mut set = JoinSet::new();
        set.spawn_on(
            async move {
                started_tx.send(()).unwrap();
                std::future::pending::<u8>().await
            },
            &other.handle,
        );
        started.await.unwrap();
        other.stop();
        let result = timeout(LIMIT, set.join_next())
            .await
            .expect("the cancellation was reported");
        assert!(result.unwrap().unwrap_err().is_cancelled());
        assert!(set.is_empty());
    });
}

#[test]
fn spawn_local_on_runs_only_while_the_local_set_is_driven() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let local = mirage::task::LocalSet::new();
        let ran = Rc::new(Cell::new(0));
        let mut set = JoinSet::new();
        for _ in 0..3 {
            let ran = Rc::clone(&ran);
            set.spawn_local_on(async move { ran.set(ran.get() + 1) }, &local);
        }
        sleep(Duration::from_millis(5)).await;
        assert_eq!(ran.get(), 0, "ran while the set was not driven");
        assert_eq!(set.len(), 3);
        let joined = local.run_until(set.join_all()).await;
        assert_eq!(joined.len(), 3);
        assert_eq!(ran.get(), 3);
        // Dropped with the local set, unrun: joined as cancelled.
        let mut set = JoinSet::new();
        set.spawn_local_on(async { 1 }, &local);
        drop(local);
        let err = timeout(LIMIT, set.join_next())
            .await
            .expect("the cancellation was reported")
            .unwrap()
            .unwrap_err();
        assert!(err.is_cancelled());
    });
}

#[test]
fn join_remote_and_spawn_blocking_on_join_work_done_elsewhere() {
    let other = OtherCore::start();
    let runtime = mirage::runtime::Runtime::new().unwrap();
    let handle = runtime.handle().clone();
    runtime.block_on(async {
        let mut set = JoinSet::new();
        let spawner = other.handle.spawner().clone();
        set.join_remote(spawner.spawn(|| async {
            let local = Rc::new(std::thread::current().id()); // not Send
            format!("{:?}", *local)
        }));
        set.spawn_blocking_on(|| "from the pool".to_string(), &handle);
        let mut results = timeout(LIMIT, set.join_all()).await.expect("both reported");
        results.sort();
        assert_eq!(results[0], format!("{:?}", other.thread));
        assert_eq!(results[1], "from the pool");
    });
}

/// Makes a set whose first reported task is a `LocalSet` task not run yet since its local
/// set was dropped (reported, its output not stored), with a task returning 7 finished
/// behind it; hands the set to `check` in a task that runs between the two.
fn with_a_cancellation_on_its_way_ahead_of_a_finished_task<R: 'static>(
    check: impl FnOnce(JoinSet<u32>) -> R + 'static,
) -> R {
    let mut core = Core::new().unwrap();
    core.run(async {
        let local = mirage::task::LocalSet::new();
        let mut set = JoinSet::new();
        set.spawn_local_on(std::future::pending::<u32>(), &local);
        // The local set's task runs once (and waits for a driver).
        mirage::yield_now().await;
        // Run in this order: the drop (which reports the task and queues its cancellation
        // behind the checker), the task returning 7, the checker.
        let dropper = mirage::spawn(async move { drop(local) });
        let finished = Rc::new(Cell::new(false));
        let seen = Rc::clone(&finished);
        set.spawn(async move {
            seen.set(true);
            7
        });
        let checker = mirage::spawn(async move {
            assert!(finished.get(), "the task returning 7 has run");
            check(set)
        });
        dropper.await.unwrap();
        checker.await.unwrap()
    })
}

#[test]
fn try_join_next_passes_over_a_cancellation_on_its_way() {
    let (first, mut set) = with_a_cancellation_on_its_way_ahead_of_a_finished_task(|mut set| {
        (set.try_join_next(), set)
    });
    assert_eq!(first.expect("the task returning 7 is taken").unwrap(), 7);
    // The cancellation arrives once its Core has run the task, or is gone, as here.
    let mut core = Core::new().unwrap();
    let rest = core.run(async move { set.join_next().await });
    assert!(rest.unwrap().unwrap_err().is_cancelled());
}

#[test]
fn join_next_passes_over_a_cancellation_on_its_way() {
    let first = with_a_cancellation_on_its_way_ahead_of_a_finished_task(|mut set| {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match set.poll_join_next(&mut cx) {
            Poll::Ready(first) => first,
            Poll::Pending => panic!("pending while the task returning 7 had finished"),
        }
    });
    assert_eq!(first.unwrap().unwrap(), 7);
}
