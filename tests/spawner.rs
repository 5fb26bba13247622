//! `Core::spawner`: spawning tasks on a Core from other threads and other Cores.

use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use mirage::sync::cross_thread::oneshot;
use mirage::{Core, RemoteAbortHandle, RemoteJoinHandle, Spawner};

/// A Core running on its own thread until `stop` is sent, with its spawner.
fn core_on_a_thread() -> (Spawner, oneshot::Sender<()>, thread::JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let (spawner_tx, spawner_rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        let mut core = Core::new().unwrap();
        spawner_tx.send(core.spawner()).unwrap();
        // Blocks in epoll: each spawn has to wake it.
        let _ = core.run(stopped);
    });
    (spawner_rx.recv().unwrap(), stop, thread)
}

#[test]
fn tasks_spawned_from_another_thread_run_on_the_cores_thread() {
    let (spawner, stop, core_thread) = core_on_a_thread();
    let core_id = core_thread.thread().id();
    for n in 0..100u64 {
        let handle: RemoteJoinHandle<(u64, thread::ThreadId)> = spawner.spawn(move || async move {
            let local = Rc::new(n); // the future need not be Send
            mirage::yield_now().await;
            (*local * 2, thread::current().id())
        });
        let (doubled, ran_on) = handle.blocking_join().unwrap();
        assert_eq!(doubled, n * 2);
        assert_eq!(ran_on, core_id);
    }
    stop.send(()).unwrap();
    core_thread.join().unwrap();
}

#[test]
fn one_core_hands_work_to_another_and_awaits_it() {
    let (spawner, stop, core_thread) = core_on_a_thread();
    let mut here = Core::new().unwrap();
    let total = here.run(async move {
        let handles: Vec<_> = (0..16u32)
            .map(|n| {
                spawner.spawn(move || async move {
                    mirage::time::sleep(Duration::from_millis(1)).await;
                    n
                })
            })
            .collect();
        let mut total = 0;
        for handle in handles {
            total += handle.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..16).sum());
    stop.send(()).unwrap();
    core_thread.join().unwrap();
}

#[test]
fn panics_in_the_closure_or_the_task_are_reported_and_the_core_goes_on() {
    let (spawner, stop, core_thread) = core_on_a_thread();
    let in_closure = spawner
        .spawn(|| -> std::future::Ready<()> { panic!("made badly") })
        .blocking_join()
        .unwrap_err();
    assert_eq!(
        *in_closure.into_panic().downcast::<&str>().unwrap(),
        "made badly"
    );
    let in_task = spawner
        .spawn(|| async {
            mirage::yield_now().await;
            panic!("ran badly");
        })
        .blocking_join()
        .unwrap_err();
    assert_eq!(
        *in_task.into_panic().downcast::<&str>().unwrap(),
        "ran badly"
    );
    assert_eq!(
        spawner
            .spawn(|| async { "still serving" })
            .blocking_join()
            .unwrap(),
        "still serving"
    );
    stop.send(()).unwrap();
    core_thread.join().unwrap();
}

/// Panics when dropped (unless already unwinding).
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("dropped badly");
        }
    }
}

#[test]
fn a_spawn_whose_drop_panics_leaves_the_core_accepting_spawns() {
    let mut core = Core::new().unwrap();
    let spawner = core.spawner();
    // Aborted before it is made: the closure, and what it holds, is dropped unrun.
    let held = PanicsOnDrop;
    let aborted = spawner.spawn(move || {
        let _held = held;
        async {}
    });
    aborted.abort();
    // Its closure panics with a payload that panics when dropped, and nobody awaits it.
    drop(spawner.spawn(|| -> std::future::Ready<()> { std::panic::panic_any(PanicsOnDrop) }));
    core.run(mirage::yield_now());
    assert!(!spawner.is_closed());
    let later = spawner.spawn(|| async { "still serving" });
    assert_eq!(core.run(later).unwrap(), "still serving");
}

#[test]
fn tasks_left_when_the_core_is_dropped_report_cancelled() {
    let core = Core::new().unwrap();
    let spawner = core.spawner();
    // Queued, never run: the Core is dropped without running again.
    let queued = spawner.spawn(|| async { "never" });
    drop(core);
    assert!(queued.blocking_join().unwrap_err().is_cancelled());
    assert!(spawner.is_closed());
    assert!(
        spawner
            .spawn(|| async {})
            .blocking_join()
            .unwrap_err()
            .is_cancelled()
    );

    // Started, then dropped with its Core while pending.
    let mut core = Core::new().unwrap();
    let spawner = core.spawner();
    let pending = spawner.spawn(std::future::pending::<()>);
    core.run(mirage::yield_now());
    drop(core);
    assert!(pending.blocking_join().unwrap_err().is_cancelled());
}

#[test]
fn the_spawner_is_send_sync_and_the_handle_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Spawner>();
    send::<RemoteJoinHandle<String>>();
    send_sync::<RemoteAbortHandle>();
    let core = Core::new().unwrap();
    let a = core.spawner();
    let b = core.spawner();
    assert!(format!("{a:?}").contains("closed: false"));
    drop((a, b));
}

#[test]
#[should_panic(expected = "RemoteJoinHandle::blocking_join called on a thread running a Core")]
fn blocking_join_on_a_core_panics_with_a_clear_message() {
    let mut core = Core::new().unwrap();
    let handle = core.spawner().spawn(|| async {});
    core.run(async move {
        let _ = handle.blocking_join();
    });
}

#[test]
fn a_handle_polled_again_after_its_result_panics_naming_the_handle() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Waker};

    fn poll_twice(mut handle: RemoteJoinHandle<()>) -> String {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut handle).poll(&mut cx).is_ready());
        let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = Pin::new(&mut handle).poll(&mut cx);
        }));
        let payload = again.expect_err("a second poll must panic");
        match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => payload.downcast::<&str>().unwrap().to_string(),
        }
    }

    let mut core = Core::new().unwrap();
    let finished = core.spawner().spawn(|| async {});
    core.run(mirage::yield_now());
    let gone = Core::new().unwrap();
    let cancelled = gone.spawner().spawn(|| async {});
    drop(gone);
    for handle in [finished, cancelled] {
        let message = poll_twice(handle);
        assert!(
            message.contains("RemoteJoinHandle polled again after it returned"),
            "{message}"
        );
    }
}

/// Sends on `dropped` when dropped: tells another thread that a task's future is gone.
struct DropSignal(mpsc::Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// Spawns, through `spawner`, a task that waits forever, and returns once it has started:
/// its handle, and a receiver that hears when its future is dropped.
fn spawn_waiting(spawner: &Spawner) -> (RemoteJoinHandle<()>, mpsc::Receiver<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let handle = spawner.spawn(move || async move {
        let _signal = DropSignal(dropped_tx);
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await
    });
    started_rx.recv().unwrap();
    (handle, dropped_rx)
}

#[test]
fn abort_from_another_thread_drops_a_waiting_task_and_reports_it_cancelled() {
    let (spawner, stop, core_thread) = core_on_a_thread();
    let (handle, dropped_rx) = spawn_waiting(&spawner);
    assert!(!handle.is_finished());
    handle.abort();
    // The Core, blocked in epoll, is woken to drop the task.
    dropped_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the aborted task's future was dropped");
    assert!(handle.blocking_join().unwrap_err().is_cancelled());
    stop.send(()).unwrap();
    core_thread.join().unwrap();
}

#[test]
fn an_abort_handle_on_another_thread_stops_a_waiting_task_and_then_reports_it_finished() {
    let (spawner, stop, core_thread) = core_on_a_thread();
    let (handle, dropped_rx) = spawn_waiting(&spawner);
    let abort = handle.abort_handle();
    assert_eq!(abort.id(), handle.id());
    assert!(!abort.is_finished(), "the task waits");
    // A clone, on a third thread, while the join handle stays here.
    let clone = abort.clone();
    thread::spawn(move || clone.abort()).join().unwrap();
    dropped_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the aborted task's future was dropped");
    assert!(handle.blocking_join().unwrap_err().is_cancelled());
    assert!(abort.is_finished(), "over once the handle had its answer");
    stop.send(()).unwrap();
    core_thread.join().unwrap();
}

#[test]
fn an_abort_handle_sees_work_finished_when_its_core_is_dropped_unrun() {
    let core = Core::new().unwrap();
    let queued = core.spawner().spawn(|| async { "never" });
    let abort = queued.abort_handle();
    assert!(!abort.is_finished());
    drop(core);
    assert!(abort.is_finished(), "the task will never run");
    assert!(queued.blocking_join().unwrap_err().is_cancelled());
}

#[test]
fn abort_before_the_core_runs_never_makes_the_task() {
    let mut core = Core::new().unwrap();
    let spawner = core.spawner();
    let handle = spawner.spawn(|| -> std::future::Ready<()> { panic!("made after the abort") });
    handle.abort();
    let err = core.run(handle).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
}

#[test]
fn abort_after_the_task_finished_keeps_its_output() {
    let mut core = Core::new().unwrap();
    let spawner = core.spawner();
    let handle = spawner.spawn(|| async { 5 });
    core.run(async {
        while !handle.is_finished() {
            mirage::yield_now().await;
        }
    });
    handle.abort();
    assert_eq!(handle.blocking_join().unwrap(), 5);
}

#[test]
fn a_task_whose_future_panics_when_dropped_reports_the_panic_and_drops_its_output() {
    /// A future that finishes at its first poll, and panics when dropped.
    struct ReadyThenPanicsOnDrop(Option<DropSignal>, PanicsOnDrop);

    impl std::future::Future for ReadyThenPanicsOnDrop {
        type Output = DropSignal;

        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<DropSignal> {
            std::task::Poll::Ready(self.0.take().unwrap())
        }
    }

    let mut core = Core::new().unwrap();
    let spawner = core.spawner();
    let spawn = |output: DropSignal| {
        spawner.spawn(move || ReadyThenPanicsOnDrop(Some(output), PanicsOnDrop))
    };
    // Awaited: the destructor's panic is the task's result, as for a local task.
    let (output_tx, output_dropped) = mpsc::channel();
    let Err(err) = core.run(spawn(DropSignal(output_tx))) else {
        panic!("the destructor's panic was not reported");
    };
    assert!(err.is_panic(), "{err:?}");
    assert!(output_dropped.try_recv().is_ok(), "the output was leaked");
    // Not awaited: the output is dropped all the same.
    let (output_tx, output_dropped) = mpsc::channel();
    drop(spawn(DropSignal(output_tx)));
    core.run(async {
        for _ in 0..4 {
            mirage::yield_now().await;
        }
    });
    assert!(output_dropped.try_recv().is_ok(), "the output was leaked");
}
