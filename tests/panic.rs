//! Panics in tasks are contained; a panic in the root future propagates.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use mirage::Core;

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
