//! Dropping a Core drops every task it holds, exactly once.

use std::cell::Cell;
use std::rc::Rc;

use mirage::Core;

struct CountDrop(Rc<Cell<u32>>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn dropping_a_core_runs_each_pending_destructor_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    let mut handles = Vec::new();
    {
        let mut core = Core::new().unwrap();
        core.run(async {
            for _ in 0..1000 {
                let guard = CountDrop(Rc::clone(&drops));
                handles.push(mirage::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                }));
            }
            mirage::yield_now().await;
        });
        assert_eq!(drops.get(), 0);
        // Some are queued again (woken), some idle: both kinds must be dropped.
        handles[0].abort();
    }
    assert_eq!(drops.get(), 1000);
    // The handles outlive the Core and report cancellation.
    assert!(handles.iter().all(|h| h.is_finished()));
    let mut other = Core::new().unwrap();
    for handle in handles.drain(..10) {
        assert!(other.run(handle).unwrap_err().is_cancelled());
    }
}

#[test]
fn destructors_may_spawn_and_wake_during_the_drop() {
    let drops = Rc::new(Cell::new(0));
    {
        struct SpawnOnDrop(Rc<Cell<u32>>);
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let guard = CountDrop(Rc::clone(&self.0));
                mirage::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
                self.0.set(self.0.get() + 1);
            }
        }
        let mut core = Core::new().unwrap();
        core.run(async {
            let guard = SpawnOnDrop(Rc::clone(&drops));
            mirage::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            mirage::yield_now().await;
        });
    }
    assert_eq!(
        drops.get(),
        2,
        "the task spawned during the drop was dropped too"
    );
}

#[test]
fn a_waker_outliving_its_core_is_harmless() {
    let mut core = Core::new().unwrap();
    let waker = core.run(async {
        let (tx, rx) = mirage::sync::oneshot::channel();
        let mut tx = Some(tx);
        mirage::spawn(async move {
            std::future::poll_fn(|cx| {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(cx.waker().clone());
                }
                std::task::Poll::<()>::Pending
            })
            .await
        });
        rx.await.unwrap()
    });
    drop(core);
    // Waking and dropping a waker of a dropped Core, here and on another thread.
    waker.wake_by_ref();
    let clone = waker.clone();
    std::thread::spawn(move || clone.wake()).join().unwrap();
    drop(waker);
}

/// A destructor that the Core's drop runs may run another Core (or block on a runtime), as
/// a destructor run by a tokio runtime's drop may: the Core being dropped runs nothing
/// that the nested run would hold up. Inside a running Core's task it is still refused.
#[test]
fn a_destructor_run_by_the_drop_may_run_another_core() {
    struct RunOnDrop(Rc<Cell<u32>>);
    impl Drop for RunOnDrop {
        fn drop(&mut self) {
            let ran = std::panic::catch_unwind(|| {
                let a = Core::new()
                    .unwrap()
                    .run(async { mirage::spawn(async { 2 }).await });
                let runtime = mirage::runtime::Runtime::new().unwrap();
                a.unwrap() + runtime.block_on(async { 3 })
            });
            self.0.set(ran.unwrap_or(0));
        }
    }
    let got = Rc::new(Cell::new(u32::MAX));
    let mut core = Core::new().unwrap();
    let guard = RunOnDrop(Rc::clone(&got));
    core.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    core.run(mirage::yield_now());
    drop(core);
    assert_eq!(got.get(), 5, "the destructor ran both");

    // A Core dropped by a task of a running Core: the nested run would block the outer one.
    let got = Rc::new(Cell::new(u32::MAX));
    let mut inner = Core::new().unwrap();
    let guard = RunOnDrop(Rc::clone(&got));
    inner.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    inner.run(mirage::yield_now());
    Core::new().unwrap().run(async move { drop(inner) });
    assert_eq!(got.get(), 0, "refused inside a running Core");
}

/// A `JoinHandle` polled by a hand-written executor whose waker panics when woken: the
/// Core's drop wakes it as the task is cancelled, and must still drop every other task,
/// as tokio does (it catches the joiner's panic).
#[test]
fn a_joiner_whose_waker_panics_does_not_stop_the_drop() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, RawWaker, RawWakerVTable, Waker};

    static VTABLE: RawWakerVTable = RawWakerVTable::new(
        |_| RawWaker::new(std::ptr::null(), &VTABLE),
        |_| panic!("the joiner's waker panics"),
        |_| panic!("the joiner's waker panics"),
        |_| {},
    );
    let drops = Rc::new(Cell::new(0));
    let mut core = Core::new().unwrap();
    let guard = CountDrop(Rc::clone(&drops));
    core.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    let mut joined = core.spawn(std::future::pending::<()>());
    let guard = CountDrop(Rc::clone(&drops));
    core.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    core.run(mirage::yield_now());
    // SAFETY: the vtable's functions ignore the data pointer and keep no resources.
    let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
    assert!(
        Pin::new(&mut joined)
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(core)));
    assert!(dropped.is_ok(), "the waker's panic escaped the Core's drop");
    assert_eq!(drops.get(), 2, "every task was dropped");
    assert!(joined.is_finished());
}
