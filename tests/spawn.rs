//! Spawning, joining and detaching tasks.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mirage::Core;

#[test]
fn hundred_thousand_tasks_are_spawned_and_joined() {
    let mut core = Core::new().unwrap();
    let total = core.run(async {
        let handles: Vec<_> = (0..100_000u64)
            .map(|i| {
                mirage::spawn(async move {
                    mirage::yield_now().await;
                    i
                })
            })
            .collect();
        let mut total = 0;
        for handle in handles {
            total += handle.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..100_000u64).sum::<u64>());
}

#[test]
fn spawn_outside_a_core_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| {
        mirage::spawn(async {});
    })
    .unwrap_err();
    let msg = err.downcast_ref::<&str>().copied().unwrap_or_else(|| {
        err.downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default()
    });
    assert!(
        msg.contains("outside a running or entered Core"),
        "message: {msg}"
    );
}

#[test]
fn core_spawn_before_run_starts_at_the_next_run() {
    let mut core = Core::new().unwrap();
    let ran = Rc::new(Cell::new(false));
    let handle = core.spawn({
        let ran = Rc::clone(&ran);
        async move { ran.set(true) }
    });
    assert!(!ran.get(), "a task must not run before the Core does");
    core.run(handle).unwrap();
    assert!(ran.get());
}

#[test]
fn pending_tasks_continue_at_the_next_run() {
    let mut core = Core::new().unwrap();
    let (tx, rx) = mirage::sync::oneshot::channel::<u32>();
    let waiter = core.spawn(async move { rx.await.unwrap() + 1 });
    core.run(mirage::yield_now());
    assert!(!waiter.is_finished());
    tx.send(41).unwrap();
    assert_eq!(core.run(waiter).unwrap(), 42);
}

#[test]
fn detached_task_runs_to_completion_and_drops_its_output() {
    struct Output(Rc<Cell<u32>>);
    impl Drop for Output {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let mut core = Core::new().unwrap();
    let drops = Rc::new(Cell::new(0));
    let finished = Rc::new(Cell::new(false));
    core.run({
        let (drops, finished) = (Rc::clone(&drops), Rc::clone(&finished));
        async move {
            drop(mirage::spawn(async move {
                mirage::yield_now().await;
                finished.set(true);
                Output(drops)
            }));
            for _ in 0..3 {
                mirage::yield_now().await;
            }
        }
    });
    assert!(finished.get(), "a detached task must keep running");
    assert_eq!(drops.get(), 1, "its output is dropped exactly once");
}

#[test]
fn yield_now_lets_every_ready_task_run_first() {
    let mut core = Core::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    core.run({
        let log = Rc::clone(&log);
        async move {
            for i in 0..3 {
                let log = Rc::clone(&log);
                mirage::spawn(async move { log.borrow_mut().push(i) });
            }
            mirage::yield_now().await;
            log.borrow_mut().push(99);
        }
    });
    assert_eq!(*log.borrow(), vec![0, 1, 2, 99]);
}

#[test]
fn a_self_waking_task_does_not_starve_the_root_future() {
    let mut core = Core::new().unwrap();
    let spins = Rc::new(Cell::new(0u64));
    core.run({
        let spins = Rc::clone(&spins);
        async move {
            let spinner = mirage::spawn({
                let spins = Rc::clone(&spins);
                async move {
                    loop {
                        spins.set(spins.get() + 1);
                        mirage::yield_now().await;
                    }
                }
            });
            for _ in 0..10 {
                mirage::yield_now().await;
            }
            spinner.abort();
        }
    });
    assert!(spins.get() >= 10, "the spinner ran too: {}", spins.get());
}

#[test]
fn join_handle_reports_is_finished() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (tx, rx) = mirage::sync::oneshot::channel::<()>();
        let handle = mirage::spawn(async move { rx.await.is_ok() });
        mirage::yield_now().await;
        assert!(!handle.is_finished());
        tx.send(()).unwrap();
        mirage::yield_now().await;
        assert!(handle.is_finished());
        assert!(handle.await.unwrap());
    });
}

/// Awaiting `&mut handle` is cancel-safe: a wait given up on (here by a `select!` whose
/// other branch wins as the task finishes) leaves the output for the next await.
#[test]
fn a_join_through_mut_given_up_on_leaves_the_output_in_the_handle() {
    let mut core = Core::new().unwrap();
    let value = core.run(async {
        let mut handle = mirage::spawn(async {
            mirage::yield_now().await;
            7
        });
        let mut given_up = 0;
        loop {
            mirage::select! {
                biased;
                _ = mirage::yield_now() => given_up += 1,
                value = &mut handle => break (value.unwrap(), given_up),
            }
        }
    });
    assert_eq!(value.0, 7);
    assert!(value.1 > 0, "the join lost at least once");
}

/// A `JoinHandle` polled outside any Core, by an executor whose waker runs code when
/// cloned: here the clone runs the task's Core, so the task completes while the handle is
/// storing that clone. The poll must then see the output, or its waker be woken; a clone
/// stored after the completion is never woken (a lost wake-up, and the cell that holds it
/// written by the Core while the poll borrowed it).
#[test]
fn a_waker_whose_clone_completes_the_task_does_not_lose_the_wake_up() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

    thread_local! {
        static CORE: RefCell<Option<Core>> = const { RefCell::new(None) };
        static WOKEN: Cell<u32> = const { Cell::new(0) };
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);
    fn raw() -> RawWaker {
        RawWaker::new(std::ptr::null(), &VTABLE)
    }
    unsafe fn clone(_: *const ()) -> RawWaker {
        // Runs the task's Core, if the poll's thread holds it (only on the first clone).
        if let Some(mut core) = CORE.with(|c| c.borrow_mut().take()) {
            core.run(mirage::yield_now());
            CORE.with(|c| *c.borrow_mut() = Some(core));
        }
        raw()
    }
    unsafe fn wake(_: *const ()) {
        WOKEN.with(|w| w.set(w.get() + 1));
    }
    unsafe fn drop(_: *const ()) {}

    let core = Core::new().unwrap();
    let mut handle = core.spawn(async { 5 });
    CORE.with(|c| *c.borrow_mut() = Some(core));
    // SAFETY: the vtable's functions ignore the data pointer and keep no resources.
    let waker = unsafe { Waker::from_raw(raw()) };
    let mut cx = Context::from_waker(&waker);
    let first = Pin::new(&mut handle).poll(&mut cx).map(Result::unwrap);
    assert!(
        first == Poll::Ready(5) || WOKEN.with(Cell::get) > 0,
        "the task completed while the handle stored the waker: {first:?}, never woken"
    );
    if first.is_pending() {
        let second = Pin::new(&mut handle).poll(&mut cx).map(Result::unwrap);
        assert_eq!(second, Poll::Ready(5));
    }
    std::mem::drop(handle);
    CORE.with(|c| c.borrow_mut().take());
}

/// A `JoinHandle` dropped after a hand-written executor polled it with a waker that panics
/// when dropped: the panic reaches the dropper, but the task is still detached, so its
/// output is dropped when it completes (not kept for a handle that is gone).
#[test]
fn a_handle_whose_stored_waker_panics_when_dropped_still_detaches_its_task() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, RawWaker, RawWakerVTable, Waker};

    struct Output(Rc<Cell<u32>>);
    impl Drop for Output {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(
        |_| RawWaker::new(std::ptr::null(), &VTABLE),
        |_| {},
        |_| {},
        |_| panic!("the stored waker panics when dropped"),
    );
    let mut core = Core::new().unwrap();
    let drops = Rc::new(Cell::new(0));
    let output = Output(Rc::clone(&drops));
    let mut handle = core.spawn(async move {
        mirage::yield_now().await;
        output
    });
    // SAFETY: the vtable's functions ignore the data pointer and keep no resources.
    let waker = std::mem::ManuallyDrop::new(unsafe {
        Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE))
    });
    assert!(
        Pin::new(&mut handle)
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(handle)));
    assert!(dropped.is_err(), "the waker's panic reaches the dropper");
    core.run(async {
        for _ in 0..3 {
            mirage::yield_now().await;
        }
    });
    assert_eq!(drops.get(), 1, "the detached task's output was dropped");
}
