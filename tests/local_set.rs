//! `task::LocalSet`: tasks that run only while their set is driven, and die with it.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use mirage::Core;
use mirage::runtime::Runtime;
use mirage::task::{self, LocalSet};

mod guard;
use guard::within_guard;

/// Sets a flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// Runs `body` on a fresh Core under a generous timeout, so a bug fails instead of hanging:
/// 10 s, or 600 s under Miri, which runs a test a hundred times slower.
fn run<F: std::future::Future>(body: F) -> F::Output {
    let limit = Duration::from_secs(if cfg!(miri) { 600 } else { 10 });
    let mut core = Core::new().unwrap();
    core.run(async {
        mirage::time::timeout(limit, body)
            .await
            .unwrap_or_else(|_| panic!("the test did not finish in {limit:?}"))
    })
}

/// Lets the Core run its other tasks for a while.
async fn let_others_run() {
    for _ in 0..10 {
        mirage::yield_now().await;
    }
}

fn counter_task(counter: &Rc<Cell<u32>>) -> impl std::future::Future<Output = ()> + use<> {
    let counter = Rc::clone(counter);
    async move {
        loop {
            counter.set(counter.get() + 1);
            mirage::yield_now().await;
        }
    }
}

#[test]
fn tasks_run_only_while_the_set_is_driven() {
    run(async {
        let local = LocalSet::new();
        let polls = Rc::new(Cell::new(0));
        let task = local.spawn_local(counter_task(&polls));
        let_others_run().await;
        assert_eq!(polls.get(), 0, "ran before the set was driven");

        local.run_until(let_others_run()).await;
        let after_driving = polls.get();
        assert!(after_driving > 0);

        let_others_run().await;
        assert_eq!(polls.get(), after_driving, "ran after run_until returned");

        local.run_until(let_others_run()).await;
        assert!(
            polls.get() > after_driving,
            "did not resume at the next run_until"
        );
        task.abort();
    });
}

#[test]
fn spawn_local_inside_the_set_spawns_into_it() {
    run(async {
        let local = LocalSet::new();
        let dropped = Rc::new(Cell::new(false));
        let polls = Rc::new(Cell::new(0));
        let (outer_polls, inner_polls) = (Rc::new(Cell::new(0)), Rc::clone(&polls));
        let flag = DropFlag(Rc::clone(&dropped));
        let on_core = mirage::spawn(counter_task(&outer_polls));
        local
            .run_until(async move {
                // From the run_until future: into the set.
                drop(task::spawn_local(async move {
                    let _flag = flag;
                    // From a task of the set: into the set too.
                    drop(task::spawn_local(counter_task(&inner_polls)));
                    std::future::pending::<()>().await;
                }));
                let_others_run().await;
            })
            .await;
        let seen = polls.get();
        assert!(seen > 0);
        let_others_run().await;
        assert_eq!(polls.get(), seen, "the nested task ran outside the set");
        drop(local);
        assert!(dropped.get(), "dropping the set did not drop its task");
        // Spawned with `mirage::spawn`, not into the set: unaffected.
        let before = outer_polls.get();
        let_others_run().await;
        assert!(outer_polls.get() > before);
        on_core.abort();
    });
}

#[test]
fn spawn_local_outside_a_set_spawns_on_the_core() {
    run(async {
        let task = task::spawn_local(async { "on the Core" });
        assert_eq!(task.await.unwrap(), "on the Core");
    });
}

#[test]
fn awaiting_the_set_waits_for_all_its_tasks_including_later_ones() {
    run(async {
        let local = LocalSet::new();
        let done = Rc::new(Cell::new(0));
        let counter = Rc::clone(&done);
        drop(local.spawn_local(async move {
            mirage::time::sleep(Duration::from_millis(2)).await;
            let inner = Rc::clone(&counter);
            drop(task::spawn_local(async move {
                mirage::time::sleep(Duration::from_millis(2)).await;
                inner.set(inner.get() + 1);
            }));
            counter.set(counter.get() + 1);
        }));
        local.await;
        assert_eq!(done.get(), 2);
    });
}

#[test]
fn an_empty_set_completes_at_once() {
    run(async {
        LocalSet::new().await;
        LocalSet::default().await;
    });
}

#[test]
fn dropping_the_set_drops_unfinished_futures_and_cancels_their_handles() {
    run(async {
        let local = LocalSet::new();
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(Rc::clone(&dropped));
        let task = local.spawn_local(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        });
        local.run_until(let_others_run()).await;
        assert!(!dropped.get());
        drop(local);
        assert!(dropped.get(), "the future outlived the set");
        assert!(task.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn join_set_spawn_local_inside_the_set_spawns_into_it() {
    run(async {
        let local = LocalSet::new();
        let mut tasks = mirage::JoinSet::new();
        let polls = Rc::new(Cell::new(0));
        let dropped = Rc::new(Cell::new(false));
        local
            .run_until(async {
                let polls = Rc::clone(&polls);
                let flag = DropFlag(Rc::clone(&dropped));
                tasks.spawn_local(async move {
                    let _flag = flag;
                    counter_task(&polls).await;
                });
                let_others_run().await;
            })
            .await;
        let after_driving = polls.get();
        assert!(after_driving > 0);
        let_others_run().await;
        assert_eq!(polls.get(), after_driving, "ran after run_until returned");
        drop(local);
        assert!(dropped.get(), "the future outlived the set");
        assert!(tasks.join_next().await.unwrap().unwrap_err().is_cancelled());
    });
}

#[test]
fn a_task_never_driven_is_dropped_with_the_set() {
    run(async {
        let local = LocalSet::new();
        let ran = Rc::new(Cell::new(false));
        let task = local.spawn_local({
            let ran = Rc::clone(&ran);
            async move { ran.set(true) }
        });
        let_others_run().await;
        drop(local);
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(!ran.get());
    });
}

#[test]
fn block_on_drives_the_set_on_a_runtime() {
    let runtime = Runtime::new().unwrap();
    let local = LocalSet::new();
    let early = {
        let _guard = runtime.enter();
        local.spawn_local(async { 1 })
    };
    let total = local.block_on(&runtime, async move {
        let later = task::spawn_local(async { 2 });
        early.await.unwrap() + later.await.unwrap()
    });
    assert_eq!(total, 3);
}

#[test]
fn a_runtime_can_block_on_the_set_itself() {
    let runtime = Runtime::new().unwrap();
    let local = LocalSet::new();
    let done = Rc::new(Cell::new(false));
    {
        let _guard = runtime.enter();
        let done = Rc::clone(&done);
        drop(local.spawn_local(async move {
            mirage::yield_now().await;
            done.set(true);
        }));
    }
    runtime.block_on(local);
    assert!(done.get());
}

#[test]
fn a_task_spawned_outside_a_core_waits_for_the_first_driver() {
    within_guard(|| {
        let local = LocalSet::new();
        let ran = Rc::new(Cell::new(false));
        let task = local.spawn_local({
            let ran = Rc::clone(&ran);
            async move {
                ran.set(true);
                mirage::yield_now().await;
                7
            }
        });
        assert!(!task.is_finished());
        assert_eq!(task.id(), task.abort_handle().id());
        assert!(format!("{local:?}").contains("tasks: 1"), "{local:?}");
        let runtime = Runtime::new().unwrap();
        runtime.block_on(let_others_run());
        assert!(!ran.get(), "ran before the set was driven");
        runtime.block_on(local);
        assert!(ran.get());
        assert_eq!(runtime.block_on(task).unwrap(), 7);
    });
}

#[test]
fn a_task_spawned_outside_a_core_is_woken_from_another_thread() {
    // Once a Core takes the task in, a wake from another thread must reach that Core (and
    // wake it from `epoll_wait`), not the stand-in the task was spawned with.
    let (tx, rx) = mirage::sync::cross_thread::oneshot::channel::<u32>();
    let local = LocalSet::new();
    let task = local.spawn_local(async move { rx.await.unwrap() + 1 });
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        tx.send(41).unwrap();
    });
    let mut core = Core::new().unwrap();
    let answer = core.run(async {
        mirage::time::timeout(Duration::from_secs(10), local.run_until(task))
            .await
            .expect("the wake from another thread was lost")
    });
    assert_eq!(answer.unwrap(), 42);
    sender.join().unwrap();
}

#[test]
fn tasks_spawned_outside_a_core_spawn_into_the_set() {
    within_guard(|| {
        let local = LocalSet::new();
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        let outer = {
            let order = Rc::clone(&order);
            local.spawn_local(async move {
                order.borrow_mut().push("outer");
                let inner = task::spawn_local({
                    let order = Rc::clone(&order);
                    async move { order.borrow_mut().push("inner") }
                });
                inner.await.unwrap();
            })
        };
        let entered = {
            let _guard = local.enter();
            let order = Rc::clone(&order);
            task::spawn_local(async move { order.borrow_mut().push("entered") })
        };
        let runtime = Runtime::new().unwrap();
        runtime.block_on(async {
            let metrics = mirage::runtime::Handle::current().metrics();
            local
                .run_until(async {
                    outer.await.unwrap();
                    entered.await.unwrap();
                    // The set's tasks are Mirage's own, also when spawned outside a Core.
                    assert_eq!(metrics.num_alive_tasks(), 0);
                })
                .await;
        });
        assert_eq!(*order.borrow(), ["outer", "entered", "inner"]);
    });
}

#[test]
fn a_driver_still_in_progress_takes_in_later_spawns_outside_a_core() {
    // A `run_until` given up on by one `block_on` is still a driver when a later one
    // resumes it; a task spawned outside the Core in between must still run.
    let runtime = Runtime::new().unwrap();
    let local = LocalSet::new();
    let (release, released) = mirage::sync::oneshot::channel::<()>();
    let mut driver = std::pin::pin!(local.run_until(async move { released.await.unwrap() }));
    let early = runtime.block_on(mirage::time::timeout(
        Duration::from_millis(1),
        driver.as_mut(),
    ));
    assert!(early.is_err(), "the driver finished early");
    let ran = Rc::new(Cell::new(false));
    let task = local.spawn_local({
        let ran = Rc::clone(&ran);
        async move {
            ran.set(true);
            release.send(()).unwrap();
        }
    });
    runtime
        .block_on(mirage::time::timeout(Duration::from_secs(10), driver))
        .expect("a task spawned outside the Core never ran");
    assert!(ran.get());
    runtime.block_on(task).unwrap();
}

#[test]
fn dropping_an_undriven_set_cancels_tasks_spawned_outside_a_core() {
    within_guard(|| {
        let local = LocalSet::new();
        let joined_flag = Rc::new(Cell::new(false));
        let detached_flag = Rc::new(Cell::new(false));
        let joined = {
            let flag = DropFlag(Rc::clone(&joined_flag));
            local.spawn_local(async move {
                let _flag = flag;
                unreachable!("never driven");
            })
        };
        drop({
            let flag = DropFlag(Rc::clone(&detached_flag));
            local.spawn_local(async move {
                let _flag = flag;
            })
        });
        drop(local);
        assert!(
            joined_flag.get() && detached_flag.get(),
            "a future outlived its set"
        );
        assert!(joined.is_finished());
        let mut core = Core::new().unwrap();
        assert!(core.run(joined).unwrap_err().is_cancelled());
    });
}

/// A task spawned outside a Core, whose `JoinHandle` was polled by a hand-written executor
/// whose waker panics when woken: the set's drop wakes it as it cancels the task, and must
/// still cancel every other task, as a Core's drop does.
#[test]
fn a_joiner_whose_waker_panics_does_not_stop_the_drop_of_an_undriven_set() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, RawWaker, RawWakerVTable, Waker};

    static VTABLE: RawWakerVTable = RawWakerVTable::new(
        |_| RawWaker::new(std::ptr::null(), &VTABLE),
        |_| panic!("the joiner's waker panics"),
        |_| panic!("the joiner's waker panics"),
        |_| {},
    );
    within_guard(|| {
        let local = LocalSet::new();
        let mut joined = local.spawn_local(std::future::pending::<()>());
        let later_flag = Rc::new(Cell::new(false));
        let later = {
            let flag = DropFlag(Rc::clone(&later_flag));
            local.spawn_local(async move {
                let _flag = flag;
                std::future::pending::<()>().await
            })
        };
        // SAFETY: the vtable's functions ignore the data pointer and keep no resources.
        let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
        assert!(
            Pin::new(&mut joined)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(local)));
        assert!(dropped.is_ok(), "the waker's panic escaped the set's drop");
        assert!(later_flag.get(), "a task after it outlived its set");
        assert!(later.is_finished() && joined.is_finished());
    });
}

#[test]
fn a_join_handle_awaited_elsewhere_learns_of_the_set_dropped() {
    within_guard(|| {
        let local = LocalSet::new();
        let task = local.spawn_local(std::future::pending::<()>());
        let mut core = Core::new().unwrap();
        let result = core.run(async move {
            let waiting = mirage::spawn(task);
            let_others_run().await;
            drop(local);
            waiting.await.unwrap()
        });
        assert!(result.unwrap_err().is_cancelled());
    });
}

#[test]
fn aborting_a_task_spawned_outside_a_core_cancels_it_when_driven() {
    within_guard(|| {
        let local = LocalSet::new();
        let ran = Rc::new(Cell::new(false));
        let dropped = Rc::new(Cell::new(false));
        let task = local.spawn_local({
            let ran = Rc::clone(&ran);
            let flag = DropFlag(Rc::clone(&dropped));
            async move {
                let _flag = flag;
                ran.set(true);
            }
        });
        task.abort();
        task.abort_handle().abort(); // twice is harmless
        let runtime = Runtime::new().unwrap();
        let result = local.block_on(&runtime, task);
        assert!(result.unwrap_err().is_cancelled());
        assert!(!ran.get() && dropped.get());
    });
}

#[test]
fn join_set_spawn_local_on_works_outside_a_core() {
    within_guard(|| {
        let local = LocalSet::new();
        let mut set = mirage::JoinSet::new();
        for n in 1..=3 {
            set.spawn_local_on(async move { n * 10 }, &local);
        }
        let runtime = Runtime::new().unwrap();
        let mut results = local.block_on(&runtime, set.join_all());
        results.sort_unstable();
        assert_eq!(results, [10, 20, 30]);
    });
}

#[test]
fn a_spawn_outside_a_core_into_a_dropped_set_is_cancelled_at_once() {
    within_guard(|| {
        let local = LocalSet::new();
        let guard = local.enter();
        drop(local);
        let dropped = Rc::new(Cell::new(false));
        let task = task::spawn_local({
            let flag = DropFlag(Rc::clone(&dropped));
            async move {
                let _flag = flag;
            }
        });
        drop(guard);
        assert!(dropped.get() && task.is_finished());
        let mut core = Core::new().unwrap();
        assert!(core.run(task).unwrap_err().is_cancelled());
    });
}

#[test]
fn enter_makes_spawn_local_spawn_into_the_set() {
    run(async {
        let local = LocalSet::new();
        let ran = Rc::new(Cell::new(false));
        let task = {
            let _guard = local.enter();
            let ran = Rc::clone(&ran);
            task::spawn_local(async move { ran.set(true) })
        };
        let_others_run().await;
        assert!(!ran.get(), "ran before the set was driven");
        local.run_until(task).await.unwrap();
        assert!(ran.get());
    });
}

#[test]
fn spawning_into_a_dropped_set_cancels_the_task() {
    run(async {
        let local = LocalSet::new();
        let guard = local.enter();
        drop(local);
        let task = task::spawn_local(async {});
        drop(guard);
        assert!(task.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn spawning_into_a_set_on_a_runtime_that_is_gone_cancels_the_task() {
    std::thread::spawn(|| {
        let runtime = Runtime::new().unwrap();
        std::mem::forget(runtime.enter());
        drop(runtime);
        let local = LocalSet::new();
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(Rc::clone(&dropped));
        let task = local.spawn_local(async move {
            let _flag = flag;
        });
        assert!(dropped.get(), "the future outlived its Core");
        // The set does not wait for a task that can never run.
        let mut core = Core::new().unwrap();
        let finished = core.run(mirage::time::timeout(Duration::from_secs(1), local));
        assert!(
            finished.is_ok(),
            "the set waited for a task that cannot run"
        );
        assert!(core.run(task).unwrap_err().is_cancelled());
    })
    .join()
    .unwrap();
}

#[test]
fn a_panicking_task_does_not_stop_the_set() {
    run(async {
        let local = LocalSet::new();
        let failed = local.spawn_local(async { panic!("task failed") });
        let fine = local.spawn_local(async { 7 });
        local
            .run_until(async {
                assert!(failed.await.unwrap_err().is_panic());
                assert_eq!(fine.await.unwrap(), 7);
            })
            .await;
    });
}

#[test]
fn two_drivers_at_once() {
    run(async {
        let local = Rc::new(LocalSet::new());
        let task = local.spawn_local(async {
            mirage::time::sleep(Duration::from_millis(2)).await;
            "done"
        });
        let other = Rc::clone(&local);
        let short = mirage::spawn(async move { other.run_until(mirage::yield_now()).await });
        // The short driver ends first: the set stays driven by this one.
        let value = local.run_until(task).await.unwrap();
        short.await.unwrap();
        assert_eq!(value, "done");
    });
}

#[test]
fn debug_shows_tasks_and_whether_driven() {
    run(async {
        let local = LocalSet::new();
        drop(local.spawn_local(std::future::pending::<()>()));
        let shown = format!("{local:?}");
        assert!(shown.contains("tasks: 1"), "{shown}");
        assert!(shown.contains("driven: false"), "{shown}");
        let inside = local.run_until(async { format!("{local:?}") }).await;
        assert!(inside.contains("driven: true"), "{inside}");
        assert!(format!("{:?}", local.enter()).contains("LocalEnterGuard"));
    });
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("a task's future panicked as it was dropped");
    }
}

#[test]
fn a_future_that_panics_as_the_set_drops_it_stops_no_other_task_being_dropped() {
    run(async {
        let local = LocalSet::new();
        let bomb = PanicOnDrop;
        let first = local.spawn_local(async move {
            let _bomb = bomb;
            std::future::pending::<()>().await
        });
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(Rc::clone(&dropped));
        let second = local.spawn_local(async move {
            let _flag = flag;
            std::future::pending::<()>().await
        });
        local.run_until(let_others_run()).await;
        // Caught inside the set, as the Core catches it when it cancels a task.
        drop(local);
        assert!(dropped.get(), "the second task's future outlived its set");
        assert!(first.await.unwrap_err().is_cancelled());
        assert!(second.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn a_future_that_panics_as_an_undriven_set_drops_it_stops_no_other_task_being_dropped() {
    // Spawned outside any Core: the set holds the tasks until a driver takes them in.
    let local = LocalSet::new();
    let bomb = PanicOnDrop;
    let first = local.spawn_local(async move {
        let _bomb = bomb;
    });
    let dropped = Rc::new(Cell::new(false));
    let flag = DropFlag(Rc::clone(&dropped));
    let second = local.spawn_local(async move {
        let _flag = flag;
    });
    drop(local);
    assert!(dropped.get(), "the second task's future outlived its set");
    assert!(first.is_finished() && second.is_finished());
}

#[test]
fn a_spawn_on_a_core_that_is_gone_cancels_only_that_task() {
    within_guard(|| {
        let local = LocalSet::new();
        // Spawned where there is no Core: it waits in the set for its first driver.
        let waiting = local.spawn_local(async { 1 });
        let runtime = Runtime::new().unwrap();
        // The guard is leaked, so the runtime's Core stays current after it is gone.
        std::mem::forget(runtime.enter());
        drop(runtime);
        let doomed = local.spawn_local(async { 2 });
        assert!(doomed.is_finished(), "no Core will run it");
        assert!(!waiting.is_finished(), "cancelled by another task's spawn");
        let mut core = Core::new().unwrap();
        assert_eq!(core.run(local.run_until(waiting)).unwrap(), 1);
    });
}
