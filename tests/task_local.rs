//! `task_local!`: each task sees the value of its own scope, nested scopes restore the outer
//! value, panics and drops restore the slot, and destructors run inside the scope.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

mod panic_site;
use panic_site::panic_location;

mirage::task_local! {
    static ID: u32;
    static NAME: String;
}

#[mirage::test(start_paused = true)]
async fn interleaved_tasks_each_see_their_own_value() {
    let tasks: Vec<_> = (0..50u32)
        .map(|id| {
            mirage::spawn(ID.scope(id, async move {
                let mut seen = Vec::new();
                for round in 0..5u64 {
                    // Every task runs between two polls of this one.
                    mirage::time::sleep(Duration::from_millis(round % 2)).await;
                    seen.push(ID.get());
                }
                (id, seen)
            }))
        })
        .collect();
    for task in tasks {
        let (id, seen) = task.await.unwrap();
        assert_eq!(seen, [id; 5]);
    }
    assert!(
        ID.try_with(|_| ()).is_err(),
        "no value leaks out of the scopes"
    );
}

#[mirage::test]
async fn a_nested_scope_shadows_the_outer_value_and_gives_it_back() {
    let seen = NAME
        .scope("outer".into(), async {
            let before = NAME.get();
            let inner = NAME
                .scope("inner".into(), async {
                    mirage::yield_now().await;
                    NAME.get()
                })
                .await;
            (before, inner, NAME.get())
        })
        .await;
    assert_eq!(seen, ("outer".into(), "inner".into(), "outer".into()));
}

#[mirage::test]
async fn a_panicking_task_leaves_the_slot_empty() {
    let task = mirage::spawn(ID.scope(9, async {
        mirage::yield_now().await;
        panic!("the handler failed");
    }));
    assert!(task.await.unwrap_err().is_panic());
    assert!(ID.try_with(|_| ()).is_err());
    assert_eq!(ID.sync_scope(1, || ID.get()), 1, "and the key still works");
}

/// Records the task-local it sees when it is dropped.
struct SeesOnDrop(Rc<RefCell<Option<u32>>>);

impl Drop for SeesOnDrop {
    fn drop(&mut self) {
        *self.0.borrow_mut() = ID.try_with(|&id| id).ok();
    }
}

#[mirage::test(start_paused = true)]
async fn a_scoped_future_dropped_unfinished_is_dropped_inside_its_scope() {
    let seen = Rc::new(RefCell::new(None));
    let guard = SeesOnDrop(Rc::clone(&seen));
    let scoped = ID.scope(7, async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    mirage::select! {
        _ = scoped => unreachable!("pending forever"),
        _ = mirage::time::sleep(Duration::from_millis(1)) => {}
    }
    assert_eq!(
        *seen.borrow(),
        Some(7),
        "the destructor saw the scope's value"
    );
    assert!(ID.try_with(|_| ()).is_err());
}

#[mirage::test]
async fn a_completed_future_is_dropped_inside_its_scope() {
    let seen = Rc::new(RefCell::new(None));
    let guard = SeesOnDrop(Rc::clone(&seen));
    ID.scope(3, async move {
        let _guard = guard;
    })
    .await;
    assert_eq!(*seen.borrow(), Some(3));
}

#[test]
fn sync_scope_restores_the_slot_when_the_closure_panics() {
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        ID.sync_scope(4, || panic!("inside the scope"));
    }));
    assert!(caught.is_err());
    assert!(ID.try_with(|_| ()).is_err());
}

#[test]
#[should_panic(expected = "a task-local value read outside its scope")]
fn with_outside_every_scope_panics_saying_so() {
    ID.with(|_| ());
}

#[test]
#[should_panic(expected = "while its value is borrowed")]
fn a_scope_entered_inside_with_on_the_same_key_panics_saying_so() {
    ID.sync_scope(1, || ID.with(|_| ID.sync_scope(2, || ())));
}

#[test]
fn a_scope_keeps_its_value_when_its_future_moves_to_another_core() {
    // Built on one thread, polled on a Core of another: the value travels in the future.
    let scoped = NAME.scope("travelling".into(), async { NAME.get() });
    let got = std::thread::spawn(move || mirage::Core::new().unwrap().run(scoped))
        .join()
        .unwrap();
    assert_eq!(got, "travelling");
}

#[mirage::test]
async fn take_value_takes_the_value_once_and_later_polls_see_the_key_unset() {
    let mut scoped = std::pin::pin!(ID.scope(7, async {
        let before = ID.try_get().ok();
        mirage::yield_now().await;
        (before, ID.try_get().ok())
    }));
    // First poll: the value is there; then taken mid-scope.
    assert!(futures_poll(scoped.as_mut()).await.is_pending());
    assert_eq!(scoped.as_mut().take_value(), Some(7));
    assert_eq!(scoped.as_mut().take_value(), None);
    assert_eq!(scoped.await, (Some(7), None));
    assert!(ID.try_get().is_err(), "nothing leaked out of the scope");
}

/// Polls `future` once.
async fn futures_poll<F: std::future::Future>(
    mut future: std::pin::Pin<&mut F>,
) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(future.as_mut().poll(cx))).await
}

#[test]
fn misuse_panics_at_the_caller_s_line() {
    // As tokio's: a read outside the key's scope, or a scope entered while the value is
    // borrowed, is the caller's mistake, and the panic names the caller's line.
    mirage::task_local! {
        static NUMBER: u32;
    }
    assert_eq!(panic_location(|| NUMBER.with(|_| {})), file!());
    assert_eq!(panic_location(|| _ = NUMBER.get()), file!());
    assert_eq!(
        panic_location(|| NUMBER.sync_scope(1, || NUMBER.with(|_| NUMBER.sync_scope(2, || {})))),
        file!()
    );
}
