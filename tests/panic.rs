//! Panics in tasks are contained; a panic in the root future propagates.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use mirage::Core;

mod panic_site;
use panic_site::panic_location;

#[test]
fn a_panicking_task_reaches_its_join_handle_and_others_keep_running() {
    let mut core = Core::new().unwrap();
    let others = Rc::new(Cell::new(0));
    let err = core.run({
        let others = Rc::clone(&others);
        async move {
            let before = mirage::spawn({
                let others = Rc::clone(&others);
                async move { others.set(others.get() + 1) }
            });
            let bad = mirage::spawn(async { panic!("task exploded") });
            let after = mirage::spawn({
                let others = Rc::clone(&others);
                async move {
                    mirage::yield_now().await;
                    others.set(others.get() + 1)
                }
            });
            let err = bad.await.unwrap_err();
            before.await.unwrap();
            after.await.unwrap();
            err
        }
    });
    assert_eq!(others.get(), 2);
    assert!(err.is_panic());
    assert!(err.to_string().contains("task exploded"), "{err}");
    let payload = err.into_panic();
    assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "task exploded");
}

#[test]
fn a_detached_panicking_task_does_not_stop_the_core() {
    let mut core = Core::new().unwrap();
    let value = core.run(async {
        drop(mirage::spawn(async { panic!("nobody is listening") }));
        mirage::yield_now().await;
        mirage::yield_now().await;
        5
    });
    assert_eq!(value, 5);
}

#[test]
fn a_panic_in_the_root_future_propagates_and_the_core_stays_usable() {
    let mut core = Core::new().unwrap();
    let survivor = core.spawn(async {
        mirage::yield_now().await;
        "still here"
    });
    let err = catch_unwind(AssertUnwindSafe(|| {
        core.run(async { panic!("root failed") })
    }))
    .unwrap_err();
    assert_eq!(*err.downcast_ref::<&str>().unwrap(), "root failed");
    assert_eq!(core.run(survivor).unwrap(), "still here");
    // The thread is no longer marked as running a Core.
    assert_eq!(core.run(async { 1 }), 1);
}

#[test]
fn nested_run_panics_with_a_message_instead_of_deadlocking() {
    let mut outer = Core::new().unwrap();
    let mut inner = Core::new().unwrap();
    let err = catch_unwind(AssertUnwindSafe(|| {
        outer.run(async { inner.run(async {}) })
    }))
    .unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_else(|| {
        err.downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default()
    });
    assert!(msg.contains("already running"), "message: {msg}");
    // Both Cores remain usable afterwards.
    assert_eq!(outer.run(async { 2 }), 2);
    assert_eq!(inner.run(async { 3 }), 3);
}

/// A panic payload whose own destructor panics: what `panic_any` may carry.
struct PanicsWhenDropped;

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("the payload's destructor");
    }
}

/// A future, pending until aborted, whose destructor counts its runs and panics with a
/// [`PanicsWhenDropped`] payload.
struct PanickyDestructor(Rc<Cell<u32>>);

impl std::future::Future for PanickyDestructor {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Pending
    }
}

impl Drop for PanickyDestructor {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
        std::panic::panic_any(PanicsWhenDropped);
    }
}

#[test]
fn a_payload_that_panics_when_dropped_neither_escapes_the_core_nor_drops_a_future_twice() {
    let drops = Rc::new(Cell::new(0));
    let mut core = Core::new().unwrap();
    let cancelled = core.run({
        let drops = Rc::clone(&drops);
        async move {
            let task = mirage::spawn(PanickyDestructor(drops));
            mirage::yield_now().await;
            task.abort();
            task.await.unwrap_err().is_cancelled()
        }
    });
    assert!(cancelled);
    drop(core);
    assert_eq!(drops.get(), 1, "the future was dropped once");
}

#[test]
fn a_detached_output_whose_panic_payload_panics_when_dropped_does_not_stop_the_core() {
    struct Output;
    impl Drop for Output {
        fn drop(&mut self) {
            std::panic::panic_any(PanicsWhenDropped);
        }
    }
    let mut core = Core::new().unwrap();
    let value = core.run(async {
        drop(mirage::spawn(async { Output }));
        mirage::yield_now().await;
        mirage::yield_now().await;
        5
    });
    assert_eq!(value, 5);
}

#[test]
fn a_value_dropped_for_a_destructor_panic_cannot_unwind_through_the_core() {
    /// Returned by the task; its destructor panics too.
    #[derive(Debug)]
    struct Value;
    impl Drop for Value {
        fn drop(&mut self) {
            panic!("the value's destructor");
        }
    }
    /// Ready with a `Value` at once; its destructor, run once it completed, panics.
    struct Completes(Rc<Cell<u32>>);
    impl std::future::Future for Completes {
        type Output = Value;

        fn poll(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Value> {
            std::task::Poll::Ready(Value)
        }
    }
    impl Drop for Completes {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
            panic!("the future's destructor");
        }
    }
    let drops = Rc::new(Cell::new(0));
    let mut core = Core::new().unwrap();
    let future = Completes(Rc::clone(&drops));
    let panicked = core.run(async move { mirage::spawn(future).await.unwrap_err().is_panic() });
    assert!(panicked, "the destructor's panic is the task's result");
    drop(core);
    assert_eq!(drops.get(), 1, "the future was dropped once");
}

#[test]
fn a_join_error_is_sync_so_it_boxes_into_a_send_sync_error() {
    // As in tokio: `handle.await?` into `Box<dyn Error + Send + Sync>` (or anyhow).
    fn boxed(err: mirage::JoinError) -> Box<dyn std::error::Error + Send + Sync> {
        err.into()
    }
    let mut core = Core::new().unwrap();
    let err = core.run(async { mirage::spawn(async { panic!("boom") }).await.unwrap_err() });
    let shared = &err;
    let message = std::thread::scope(|scope| scope.spawn(|| shared.to_string()).join().unwrap());
    assert!(message.contains("boom"), "{message}");
    assert!(boxed(err).to_string().contains("boom"));
}

#[test]
fn a_root_panic_unwinds_through_a_core_drop_whose_destructors_wake_tasks() {
    /// Sends on its channel when dropped, waking the task that waits on it.
    struct WakeOnDrop(Option<mirage::sync::oneshot::Sender<()>>);
    impl Drop for WakeOnDrop {
        fn drop(&mut self) {
            self.0.take().unwrap().send(()).unwrap();
        }
    }
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let (tx, rx) = mirage::sync::oneshot::channel::<()>();
        let mut core = Core::new().unwrap();
        core.spawn(async move {
            let _wakes = WakeOnDrop(Some(tx));
            std::future::pending::<()>().await;
        });
        let _waiter = core.spawn(rx);
        core.run(async {
            mirage::yield_now().await;
            panic!("boom");
        });
    }));
    // A second panic while unwinding would have aborted the process instead.
    let payload = caught.unwrap_err();
    assert_eq!(*payload.downcast::<&str>().unwrap(), "boom");
}

#[test]
fn dropping_a_join_handle_does_not_raise_its_outputs_destructor_panic() {
    // As in tokio (its `join_handle_panic.rs`): the output of a finished task, dropped with
    // its handle, is the task's value, and its destructor's panic is contained like the
    // task's own would be, not thrown into whatever code drops the handle.
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("output destructor");
        }
    }
    let mut core = Core::new().unwrap();
    core.run(async {
        let handle = mirage::spawn(async { PanicsOnDrop });
        mirage::yield_now().await;
        assert!(handle.is_finished());
        let dropped = catch_unwind(AssertUnwindSafe(|| drop(handle)));
        assert!(
            dropped.is_ok(),
            "the output's panic escaped the handle's drop"
        );
    });
}

#[test]
fn into_panic_of_a_cancelled_task_s_error_panics_at_the_caller_s_line() {
    // As tokio's `#[track_caller]` does: the mistake is the caller's.
    let mut core = Core::new().unwrap();
    let err = core.run(async {
        let handle = mirage::spawn(std::future::pending::<()>());
        handle.abort();
        handle.await.unwrap_err()
    });
    assert_eq!(panic_location(|| drop(err.into_panic())), file!());
}
