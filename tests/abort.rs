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

#[test]
fn an_abort_handle_cancels_a_detached_task_and_outlives_it_and_its_core() {
    let mut core = Core::new().unwrap();
    let dropped = Rc::new(Cell::new(false));
    let abort = core.run({
        let dropped = Rc::clone(&dropped);
        async move {
            let guard = SetOnDrop(dropped.clone());
            let handle = mirage::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            let abort = handle.abort_handle();
            let copy = abort.clone();
            drop(handle); // detached: only the abort handles are left
            mirage::yield_now().await;
            assert!(!abort.is_finished());
            copy.abort();
            mirage::yield_now().await;
            assert!(dropped.get(), "the aborted future's destructor ran");
            assert!(abort.is_finished());
            abort
        }
    });
    drop(core);
    // The task and its Core are gone; the handle still answers, and aborting does nothing.
    assert!(abort.is_finished());
    abort.abort();
}

#[test]
fn an_abort_handle_of_a_finished_task_keeps_its_value() {
    let mut core = Core::new().unwrap();
    let value = core.run(async {
        let handle = mirage::spawn(async { 7 });
        let abort = handle.abort_handle();
        mirage::yield_now().await;
        abort.abort();
        handle.await.unwrap()
    });
    assert_eq!(value, 7);
}

#[test]
fn a_join_set_abort_handle_cancels_its_task_only() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut set = mirage::JoinSet::new();
        let stuck = set.spawn(std::future::pending::<u8>());
        set.spawn(async { 1 });
        stuck.abort();
        let mut results = Vec::new();
        while let Some(result) = set.join_next().await {
            results.push(result.map_err(|err| err.is_cancelled()));
        }
        results.sort();
        assert_eq!(results, [Ok(1), Err(true)]);
    });
}
