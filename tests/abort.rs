//! Aborting tasks.

use std::cell::Cell;
use std::rc::Rc;

use mirage::Core;

struct SetOnDrop(Rc<Cell<bool>>);
impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn abort_drops_the_future_and_reports_cancellation() {
    let mut core = Core::new().unwrap();
    let dropped = Rc::new(Cell::new(false));
    let err = core.run({
        let dropped = Rc::clone(&dropped);
        async move {
            let guard = SetOnDrop(dropped);
            let handle = mirage::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            mirage::yield_now().await;
            handle.abort();
            handle.await.unwrap_err()
        }
    });
    assert!(err.is_cancelled());
    assert!(!err.is_panic());
    assert!(dropped.get(), "the aborted future's destructor ran");
}

#[test]
fn abort_before_the_first_poll_never_runs_the_task() {
    let mut core = Core::new().unwrap();
    let ran = Rc::new(Cell::new(false));
    let err = core.run({
        let ran = Rc::clone(&ran);
        async move {
            let handle = mirage::spawn(async move { ran.set(true) });
            handle.abort();
            handle.await.unwrap_err()
        }
    });
    assert!(err.is_cancelled());
    assert!(!ran.get());
}

#[test]
fn abort_after_completion_keeps_the_value() {
    let mut core = Core::new().unwrap();
    let value = core.run(async {
        let handle = mirage::spawn(async { 7 });
        mirage::yield_now().await;
        assert!(handle.is_finished());
        handle.abort();
        handle.await
    });
    assert_eq!(value.unwrap(), 7);
}

#[test]
fn a_task_can_abort_itself() {
    let mut core = Core::new().unwrap();
    let reached_end = Rc::new(Cell::new(false));
    core.run({
        let reached_end = Rc::clone(&reached_end);
        async move {
            let (tx, rx) = mirage::sync::oneshot::channel();
            let handle = mirage::spawn(async move {
                let me: mirage::JoinHandle<()> = rx.await.unwrap();
                me.abort();
                mirage::yield_now().await;
                reached_end.set(true);
                drop(me);
            });
            // The task receives its own handle and aborts itself through it.
            tx.send(handle).unwrap();
            for _ in 0..4 {
                mirage::yield_now().await;
            }
        }
    });
    assert!(
        !reached_end.get(),
        "the future was dropped at its next yield point"
    );
}
