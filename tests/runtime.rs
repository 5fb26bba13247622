//! `mirage::runtime`: tokio's `Builder`, `Runtime` and `Handle` over a Core.

mod guard;

use std::cell::Cell;
use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::runtime::{Builder, Handle, Runtime, RuntimeFlavor};
use mirage::sync::cross_thread::oneshot;

/// The message of a caught panic.
fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Sets a flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// Spawns a task holding the flag when dropped.
struct SpawnOnDrop(Option<DropFlag>);

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let flag = self.0.take();
        drop(mirage::spawn(async move {
            let _flag = flag;
        }));
    }
}

#[test]
fn block_on_returns_the_output_and_may_borrow() {
    let runtime = Builder::new_current_thread()
        .enable_all()
        .enable_io()
        .enable_time()
        .build()
        .unwrap();
    let mut seen = Vec::new();
    let answer = runtime.block_on(async {
        seen.push(1);
        mirage::spawn(async { 6 * 7 }).await.unwrap()
    });
    assert_eq!(answer, 42);
    assert_eq!(seen, [1]);
}

#[test]
fn start_paused_runs_on_virtual_time() {
    let runtime = Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    let real = std::time::Instant::now();
    let waited = runtime.block_on(async {
        let start = mirage::time::Instant::now();
        mirage::time::sleep(Duration::from_secs(3600)).await;
        start.elapsed()
    });
    assert_eq!(waited, Duration::from_secs(3600));
    assert!(real.elapsed() < Duration::from_secs(5));
}

#[test]
fn without_start_paused_the_clock_runs() {
    let runtime = Builder::new_current_thread()
        .start_paused(false)
        .build()
        .unwrap();
    // `pause` panics if time is already paused.
    runtime.block_on(async { mirage::time::pause() });
}

#[test]
fn a_nested_block_on_panics_and_the_runtime_still_works() {
    let runtime = Runtime::new().unwrap();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(async { runtime.block_on(async {}) });
    }));
    let message = message(caught.unwrap_err());
    assert!(
        message.contains("Runtime::block_on called while"),
        "{message}"
    );
    assert_eq!(runtime.block_on(async { 5 }), 5);
}

#[test]
fn block_on_inside_another_core_panics() {
    let runtime = Runtime::new().unwrap();
    let mut core = mirage::Core::new().unwrap();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        core.run(async { runtime.block_on(async {}) });
    }));
    assert!(message(caught.unwrap_err()).contains("would block that Core"));
}

#[test]
fn spawned_tasks_run_only_while_block_on_drives_the_runtime() {
    let runtime = Runtime::new().unwrap();
    let ran = Rc::new(Cell::new(0));
    let task = runtime.spawn({
        let ran = Rc::clone(&ran);
        async move {
            ran.set(1);
            // Waits across two `block_on`s.
            mirage::time::sleep(Duration::from_millis(5)).await;
            ran.set(2);
        }
    });
    thread::sleep(Duration::from_millis(10));
    assert_eq!(ran.get(), 0, "ran before any block_on");
    runtime.block_on(mirage::yield_now());
    assert_eq!(ran.get(), 1);
    thread::sleep(Duration::from_millis(10));
    assert_eq!(ran.get(), 1, "ran between two block_ons");
    runtime.block_on(task).unwrap();
    assert_eq!(ran.get(), 2);
}

#[test]
fn spawn_inside_block_on_runs_at_once() {
    let runtime = Runtime::new().unwrap();
    let value = runtime.block_on(async { runtime.spawn(async { "inner" }).await.unwrap() });
    assert_eq!(value, "inner");
}

#[test]
fn dropping_the_runtime_drops_its_pending_tasks() {
    let dropped = Rc::new(Cell::new(false));
    let runtime = Runtime::new().unwrap();
    let flag = DropFlag(Rc::clone(&dropped));
    let task = runtime.spawn(async move {
        let _flag = flag;
        std::future::pending::<()>().await;
    });
    runtime.block_on(mirage::yield_now());
    assert!(!dropped.get());
    runtime.shutdown_timeout(Duration::from_secs(10));
    assert!(dropped.get());
    assert!(task.is_finished());
}

#[test]
fn shutdown_timeout_waits_for_blocking_work_and_its_stop_hook() {
    let stopped = Arc::new(AtomicUsize::new(0));
    let hook = Arc::clone(&stopped);
    let runtime = Builder::new_current_thread()
        .on_thread_stop(move || {
            hook.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..2 {
        let done = Arc::clone(&done);
        drop(runtime.spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(30));
            done.fetch_add(1, Ordering::SeqCst);
        }));
    }
    runtime.shutdown_timeout(Duration::from_secs(30));
    assert_eq!(done.load(Ordering::SeqCst), 2, "the jobs were waited for");
    assert_eq!(stopped.load(Ordering::SeqCst), 2, "so were the stop hooks");
}

#[test]
fn shutdown_timeout_gives_up_on_blocking_work_at_its_limit() {
    let runtime = Runtime::new().unwrap();
    let (release, wait) = mpsc::channel::<()>();
    let (finished, finish) = mpsc::channel::<()>();
    drop(runtime.spawn_blocking(move || {
        let _ = wait.recv_timeout(Duration::from_secs(30));
        finished.send(()).unwrap();
    }));
    let start = std::time::Instant::now();
    runtime.shutdown_timeout(Duration::from_millis(50));
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(50),
        "returned after {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(20),
        "waited {waited:?} for a stuck job"
    );
    // The job goes on in the background, and ends when released.
    release.send(()).unwrap();
    finish
        .recv_timeout(Duration::from_secs(30))
        .expect("the job ran on after the shutdown");
}

#[test]
fn shutdown_timeout_does_not_wait_on_a_thread_running_a_core() {
    let outer = Runtime::new().unwrap();
    let (release, wait) = mpsc::channel::<()>();
    let waited = outer.block_on(async move {
        let inner = Runtime::new().unwrap();
        drop(inner.spawn_blocking(move || {
            let _ = wait.recv_timeout(Duration::from_secs(30));
        }));
        let start = std::time::Instant::now();
        inner.shutdown_timeout(Duration::from_secs(20));
        start.elapsed()
    });
    release.send(()).unwrap();
    assert!(
        waited < Duration::from_secs(10),
        "stalled the outer Core for {waited:?}"
    );
}

#[test]
fn shutdown_background_inside_another_runtime() {
    let outer = Runtime::new().unwrap();
    let dropped = outer.block_on(async {
        let dropped = Rc::new(Cell::new(false));
        let inner = Runtime::new().unwrap();
        let flag = DropFlag(Rc::clone(&dropped));
        drop(inner.spawn(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        }));
        inner.shutdown_background();
        dropped.get()
    });
    assert!(dropped);
}

#[test]
fn handle_current_outside_a_core_panics_and_try_current_fails() {
    let err = Handle::try_current().unwrap_err();
    assert!(err.is_missing_context());
    assert!(!err.is_thread_local_destroyed());
    assert!(err.to_string().contains("no mirage Core"));
    let caught = catch_unwind(Handle::current);
    assert!(message(caught.unwrap_err()).contains("Handle::current called outside"));
}

#[test]
fn handle_current_reaches_the_running_runtime() {
    let runtime = Runtime::new().unwrap();
    let (flavor, on_thread) = runtime.block_on(async {
        let handle = Handle::current();
        let task = handle.spawn(async { thread::current().id() });
        (handle.runtime_flavor(), task.await.unwrap())
    });
    assert_eq!(flavor, RuntimeFlavor::CurrentThread);
    assert_eq!(on_thread, thread::current().id());
}

#[test]
fn a_handle_spawns_from_another_thread_and_the_task_runs_on_the_runtime() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let core_thread = thread::current().id();
        let worker = thread::spawn(move || {
            let ran_on = handle
                .spawn(async { thread::current().id() })
                .blocking_join()
                .unwrap();
            stop.send(()).unwrap();
            ran_on
        });
        runtime.block_on(stopped).unwrap();
        assert_eq!(worker.join().unwrap(), core_thread);
    });
}

#[test]
fn a_handle_spawn_after_the_runtime_is_gone_is_cancelled() {
    let runtime = Runtime::new().unwrap();
    let handle = runtime.handle().clone();
    drop(runtime);
    let err = handle.spawn(async {}).blocking_join().unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn enter_makes_the_runtime_current_until_the_guard_drops() {
    let runtime = Runtime::new().unwrap();
    let task = {
        let _guard = runtime.enter();
        assert!(Handle::try_current().is_ok());
        mirage::spawn(async { 7 })
    };
    assert!(Handle::try_current().is_err());
    assert_eq!(runtime.block_on(task).unwrap(), 7);
}

#[test]
fn block_on_while_entered() {
    let runtime = Runtime::new().unwrap();
    let _guard = runtime.enter();
    let task = mirage::spawn(async { 1 });
    assert_eq!(runtime.block_on(async { task.await.unwrap() + 1 }), 2);
    // Still entered after block_on returns.
    assert!(Handle::try_current().is_ok());
}

#[test]
fn enter_guards_nest_and_each_leaves_only_its_runtime() {
    let first = Runtime::new().unwrap();
    let second = Runtime::new().unwrap();
    let outer = first.enter();
    let inner = second.enter();
    let on_second = mirage::spawn(async { "second" });
    // Dropped out of order: the inner runtime stays current.
    drop(outer);
    let still_second = mirage::spawn(async { "still second" });
    drop(inner);
    assert!(Handle::try_current().is_err());
    assert_eq!(second.block_on(on_second).unwrap(), "second");
    assert_eq!(second.block_on(still_second).unwrap(), "still second");
    drop(first);
}

#[test]
fn a_guard_dropped_out_of_order_leaves_its_own_entry_not_a_later_one() {
    let first = Runtime::new().unwrap();
    let second = Runtime::new().unwrap();
    let outer = first.enter();
    let middle = second.enter();
    let inner = first.enter();
    // `outer` leaves its own entry: `inner`, entered last and still alive, stays current.
    drop(outer);
    let task = mirage::spawn(async {});
    drop(inner);
    drop(middle);
    let ran_on_first = first.block_on(async {
        for _ in 0..10 {
            mirage::yield_now().await;
        }
        task.is_finished()
    });
    assert!(
        ran_on_first,
        "spawned on the second runtime, whose guard is not innermost"
    );
}

#[test]
fn a_leaked_enter_guard_outlives_its_runtime_safely() {
    let runtime = Runtime::new().unwrap();
    std::mem::forget(runtime.enter());
    drop(runtime);
    // The leaked guard keeps the scheduler alive; spawning on it is sound, and cancelled.
    drop(mirage::spawn(async {}));
    assert!(Handle::try_current().is_ok());
}

#[test]
fn a_spawn_through_a_leaked_enter_guard_after_the_runtime_is_gone_is_cancelled() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        std::mem::forget(runtime.enter());
        drop(runtime);
        // The task can never run: as in tokio, it is dropped at once and reported cancelled,
        // rather than leaked with a handle that never completes.
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(Rc::clone(&dropped));
        let task = mirage::spawn(async move {
            let _flag = flag;
        });
        assert!(dropped.get(), "the future was leaked");
        // A destructor that spawns in turn: that task is dropped too.
        let second_dropped = Rc::new(Cell::new(false));
        let second_flag = DropFlag(Rc::clone(&second_dropped));
        drop(mirage::spawn(async move {
            let _spawns = SpawnOnDrop(Some(second_flag));
        }));
        assert!(
            second_dropped.get(),
            "the future spawned by a destructor was leaked"
        );
        let mut other = mirage::Core::new().unwrap();
        let result = other.run(mirage::time::timeout(Duration::from_secs(1), task));
        assert!(
            result
                .expect("the handle never completed")
                .unwrap_err()
                .is_cancelled()
        );
    });
}

#[test]
fn spawn_blocking_holds_the_paused_clock() {
    within_guard(|| {
        let runtime = Builder::new_current_thread()
            .start_paused(true)
            .build()
            .unwrap();
        let job = runtime.spawn_blocking(|| thread::sleep(Duration::from_millis(20)));
        let finished_first = runtime.block_on(async {
            // Were the job not counted, the idle Core would jump an hour at once.
            mirage::time::timeout(Duration::from_secs(3600), job)
                .await
                .is_ok()
        });
        assert!(finished_first);
    });
}

#[test]
fn event_interval_bounds_the_tasks_run_per_turn() {
    let runtime = Builder::new_current_thread()
        .event_interval(4)
        .build()
        .unwrap();
    let polls = Rc::new(Cell::new(0u32));
    for _ in 0..3 {
        let polls = Rc::clone(&polls);
        drop(runtime.spawn(async move {
            loop {
                polls.set(polls.get() + 1);
                mirage::task::unconstrained(mirage::yield_now()).await;
            }
        }));
    }
    // The root future wakes itself: it is polled once a turn, and sees how many task polls
    // the turn held.
    let mut last = 0;
    let mut most = 0;
    let mut turns = 0;
    runtime.block_on(poll_fn(|cx| {
        let now = polls.get();
        most = most.max(now - last);
        last = now;
        turns += 1;
        if turns == 50 {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }));
    assert_eq!(most, 4);
}

#[test]
#[should_panic(expected = "event_interval must be greater than 0")]
fn event_interval_zero_panics() {
    Builder::new_current_thread().event_interval(0);
}

#[test]
#[should_panic(expected = "max_io_events_per_tick must be greater than 0")]
fn max_io_events_per_tick_zero_panics() {
    Builder::new_current_thread().max_io_events_per_tick(0);
}

#[test]
fn a_huge_max_io_events_per_tick_is_capped_to_what_one_poll_can_return() {
    // More than one `epoll_wait` accepts (about 178 million), and more than a buffer can
    // hold: it may fail neither the build nor every park of the Core after it. (The capped
    // buffer is 2 GiB of address space, never touched: one such runtime, not several.)
    within_guard(|| {
        let runtime = Builder::new_current_thread()
            .max_io_events_per_tick(usize::MAX)
            .build()
            .unwrap();
        runtime.block_on(mirage::time::sleep(Duration::from_millis(1)));
    });
}

#[test]
fn one_io_event_per_tick_still_serves_every_socket() {
    within_guard(|| {
        let runtime = Builder::new_current_thread()
            .max_io_events_per_tick(1)
            .build()
            .unwrap();
        let total = runtime.block_on(async {
            let mut readers = Vec::new();
            let mut writers = Vec::new();
            for n in 0..8u8 {
                let (a, b) = mirage::net::UnixStream::pair().unwrap();
                readers.push(mirage::spawn(async move {
                    let mut byte = [0u8; 1];
                    b.read_exact(&mut byte).await.unwrap();
                    byte[0]
                }));
                a.write_all(&[n]).await.unwrap();
                writers.push(a);
            }
            let mut total = 0u32;
            for reader in readers {
                total += u32::from(reader.await.unwrap());
            }
            total
        });
        assert_eq!(total, (0..8).sum::<u32>());
    });
}

#[test]
fn debug_shows_the_flavor_and_tasks() {
    let runtime = Runtime::new().unwrap();
    // The handle's Spawner starts a task of Mirage's own, which is not shown as one.
    let _ = runtime.handle().spawner();
    drop(runtime.spawn(std::future::pending::<()>()));
    let shown = format!("{runtime:?}");
    assert!(shown.contains("CurrentThread"), "{shown}");
    assert!(shown.contains("tasks: 1"), "{shown}");
    let handle = format!("{:?}", runtime.handle());
    assert!(handle.contains("Handle"), "{handle}");
}

#[test]
fn handle_is_send_and_sync() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    send_sync::<Handle>();
}

#[test]
fn blocking_calls_are_allowed_while_a_runtime_is_only_entered() {
    let runtime = Runtime::new().unwrap();
    let _guard = runtime.enter();
    let (tx, rx) = oneshot::channel();
    tx.send(3).unwrap();
    // Nothing runs on this thread that the wait could stall, as in tokio.
    assert_eq!(rx.blocking_recv().unwrap(), 3);
}

#[test]
fn park_hooks_run_around_each_park_and_only_then() {
    let parks = Arc::new(AtomicUsize::new(0));
    let unparks = Arc::new(AtomicUsize::new(0));
    let runtime = Builder::new_current_thread()
        .on_thread_park({
            let (parks, unparks) = (Arc::clone(&parks), Arc::clone(&unparks));
            move || {
                // Pairs: each park follows the unpark of the one before.
                assert_eq!(parks.load(Ordering::SeqCst), unparks.load(Ordering::SeqCst));
                parks.fetch_add(1, Ordering::SeqCst);
            }
        })
        .on_thread_unpark({
            let unparks = Arc::clone(&unparks);
            move || {
                unparks.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap();
    let metrics = runtime.metrics();
    // Turns with a task ready only check for events: no park.
    runtime.block_on(async {
        for _ in 0..50 {
            mirage::yield_now().await;
        }
    });
    assert_eq!(parks.load(Ordering::SeqCst), 0);
    for _ in 0..3 {
        runtime.block_on(mirage::time::sleep(Duration::from_millis(1)));
    }
    let parked = parks.load(Ordering::SeqCst);
    assert!(parked >= 3, "{parked}");
    assert_eq!(unparks.load(Ordering::SeqCst), parked);
    assert_eq!(metrics.worker_park_count(0), parked as u64);
}

#[test]
fn on_a_paused_clock_each_jump_to_a_timer_is_a_park() {
    // tokio's Core parks whenever it runs out of work, and its paused clock jumps to the
    // next timer inside that park: the hooks run, and the metrics count it.
    let parks = Arc::new(AtomicUsize::new(0));
    let unparks = Arc::new(AtomicUsize::new(0));
    let runtime = Builder::new_current_thread()
        .start_paused(true)
        .on_thread_park({
            let parks = Arc::clone(&parks);
            move || {
                parks.fetch_add(1, Ordering::SeqCst);
            }
        })
        .on_thread_unpark({
            let unparks = Arc::clone(&unparks);
            move || {
                unparks.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap();
    let metrics = runtime.metrics();
    runtime.block_on(async {
        for _ in 0..3 {
            mirage::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let parked = parks.load(Ordering::SeqCst);
    assert!(parked >= 3, "{parked}");
    assert_eq!(unparks.load(Ordering::SeqCst), parked);
    assert_eq!(metrics.worker_park_count(0), parked as u64);
}

#[test]
fn on_a_paused_clock_a_task_the_park_hook_spawns_runs_before_time_jumps() {
    // How far virtual time moved before the hook's task ran; set once.
    let moved: Arc<std::sync::Mutex<Option<Duration>>> = Arc::default();
    let spawned = Arc::new(AtomicBool::new(false));
    let runtime = Builder::new_current_thread()
        .start_paused(true)
        .on_thread_park({
            let (moved, spawned) = (Arc::clone(&moved), Arc::clone(&spawned));
            move || {
                if !spawned.swap(true, Ordering::SeqCst) {
                    let moved = Arc::clone(&moved);
                    let start = mirage::time::Instant::now();
                    drop(mirage::spawn(async move {
                        *moved.lock().unwrap() = Some(start.elapsed());
                    }));
                }
            }
        })
        .build()
        .unwrap();
    runtime.block_on(mirage::time::sleep(Duration::from_secs(10)));
    assert_eq!(*moved.lock().unwrap(), Some(Duration::ZERO));
}

#[test]
fn a_task_spawned_by_the_park_hook_runs_without_waiting_for_an_event() {
    within_guard(|| {
        let (done, finished) = oneshot::channel::<()>();
        let done = Arc::new(std::sync::Mutex::new(Some(done)));
        let runtime = Builder::new_current_thread()
            .on_thread_park(move || {
                if let Some(done) = done.lock().unwrap().take() {
                    // Nothing else would wake the Core: no timer, no I/O.
                    drop(mirage::spawn(async move { done.send(()).unwrap() }));
                }
            })
            .build()
            .unwrap();
        runtime.block_on(finished).unwrap();
    });
}

#[test]
fn a_panic_in_a_park_hook_comes_out_of_block_on() {
    let runtime = Builder::new_current_thread()
        .on_thread_park(|| panic!("park hook failed"))
        .build()
        .unwrap();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(mirage::time::sleep(Duration::from_millis(1)))
    }));
    assert_eq!(message(caught.unwrap_err()), "park hook failed");
}

#[test]
fn a_panic_in_the_unpark_hook_loses_no_event() {
    within_guard(|| {
        let fail = Arc::new(AtomicBool::new(true));
        let runtime = Builder::new_current_thread()
            .on_thread_unpark({
                let fail = Arc::clone(&fail);
                move || {
                    if fail.swap(false, Ordering::SeqCst) {
                        panic!("unpark hook failed");
                    }
                }
            })
            .build()
            .unwrap();
        // The hook panics after the wait for this sleep's timer returned.
        let caught = catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(mirage::time::sleep(Duration::from_millis(5)))
        }));
        assert_eq!(message(caught.unwrap_err()), "unpark hook failed");
        // The timer's event was taken in before the hook ran, so the Core knows its timer
        // fired and arms it for the next deadline (it used to think it still armed, and
        // waited for ever).
        runtime.block_on(mirage::time::sleep(Duration::from_millis(10)));
    });
}

#[test]
fn a_park_hook_that_gives_the_core_work_makes_no_park_but_still_an_unpark() {
    within_guard(|| {
        let hooked = Arc::new(AtomicUsize::new(0));
        let unhooked = Arc::new(AtomicUsize::new(0));
        let runtime = Builder::new_current_thread()
            .on_thread_park({
                let hooked = Arc::clone(&hooked);
                move || {
                    // The first 100 times: a task to run, so the Core only checks for events.
                    if hooked.fetch_add(1, Ordering::SeqCst) < 100 {
                        drop(mirage::spawn(async {}));
                    }
                }
            })
            .on_thread_unpark({
                let unhooked = Arc::clone(&unhooked);
                move || {
                    unhooked.fetch_add(1, Ordering::SeqCst);
                }
            })
            .build()
            .unwrap();
        let metrics = runtime.metrics();
        runtime.block_on(mirage::time::sleep(Duration::from_millis(5)));
        let hooked = hooked.load(Ordering::SeqCst);
        assert!(hooked > 100, "{hooked}");
        // As in tokio: each park hook is followed by an unpark hook, and only the turns
        // that waited count as parks.
        assert_eq!(unhooked.load(Ordering::SeqCst), hooked);
        assert_eq!(metrics.worker_park_count(0), hooked as u64 - 100);
        assert_eq!(
            metrics.worker_park_unpark_count(0),
            2 * metrics.worker_park_count(0)
        );
    });
}

#[test]
fn worker_threads_and_global_queue_interval_are_accepted_but_not_zero() {
    let runtime = Builder::new_current_thread()
        .worker_threads(8)
        .global_queue_interval(31)
        .build()
        .unwrap();
    assert_eq!(runtime.metrics().num_workers(), 1);
    let zero_workers = catch_unwind(|| {
        Builder::new_current_thread().worker_threads(0);
    });
    assert_eq!(
        message(zero_workers.unwrap_err()),
        "worker_threads cannot be set to 0"
    );
    let zero_interval = catch_unwind(|| {
        Builder::new_current_thread().global_queue_interval(0);
    });
    assert_eq!(
        message(zero_interval.unwrap_err()),
        "global_queue_interval must be greater than 0"
    );
}
