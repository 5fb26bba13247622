//! Task ids: `mirage::task::{id, try_id, Id}`, and the handles and errors that carry them.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use mirage::task::{self, Id};

#[test]
fn a_task_sees_the_id_its_handles_report() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let handle = mirage::spawn(async {
            mirage::yield_now().await;
            // The same id at every poll.
            (task::id(), task::id())
        });
        let abort = handle.abort_handle();
        let expected = handle.id();
        assert_eq!(abort.id(), expected);
        assert_eq!(handle.await.unwrap(), (expected, expected));
    });
}

#[test]
fn tasks_alive_at_the_same_time_have_distinct_ids() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let handles: Vec<_> = (0..1_000)
            .map(|_| mirage::spawn(std::future::pending::<()>()))
            .collect();
        let ids: HashSet<Id> = handles.iter().map(|h| h.id()).collect();
        assert_eq!(ids.len(), handles.len());
    });
}

#[test]
fn there_is_no_id_outside_a_task() {
    assert_eq!(task::try_id(), None, "no Core on this thread");
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        assert_eq!(task::try_id(), None, "the run future is not a task");
        let inner = mirage::spawn(async { task::try_id() });
        let id = inner.id();
        assert_eq!(inner.await.unwrap(), Some(id));
        // Back in the run future after the task ran: no id leaks out of it.
        assert_eq!(task::try_id(), None);
    });
}

#[test]
#[should_panic(expected = "mirage::task::id called outside a task")]
fn id_outside_a_task_panics_and_says_why() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        task::id();
    });
}

/// Records `try_id` when dropped.
struct RecordOnDrop(Rc<RefCell<Vec<Option<Id>>>>);

impl Drop for RecordOnDrop {
    fn drop(&mut self) {
        self.0.borrow_mut().push(task::try_id());
    }
}

#[test]
fn an_aborted_task_has_its_id_while_its_future_drops() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut core = mirage::Core::new().unwrap();
    let record = RecordOnDrop(Rc::clone(&seen));
    let err = core.run(async move {
        let handle = mirage::spawn(async move {
            let _record = record;
            std::future::pending::<()>().await;
        });
        mirage::yield_now().await;
        handle.abort();
        let id = handle.id();
        let err = handle.await.unwrap_err();
        assert_eq!(err.id(), id);
        (id, err)
    });
    assert!(err.1.is_cancelled());
    assert_eq!(*seen.borrow(), [Some(err.0)]);
}

#[test]
fn a_task_dropped_with_its_core_has_its_id_while_it_drops() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut core = mirage::Core::new().unwrap();
    let record = RecordOnDrop(Rc::clone(&seen));
    let id = core.run(async move {
        let handle = mirage::spawn(async move {
            let _record = record;
            std::future::pending::<()>().await;
        });
        mirage::yield_now().await;
        handle.id()
    });
    drop(core);
    assert_eq!(*seen.borrow(), [Some(id)]);
}

#[test]
fn a_panic_reports_the_task_id_in_the_error_and_its_message() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let handle = mirage::spawn(async { panic!("boom") });
        let id = handle.id();
        let err = handle.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.id(), id);
        assert_eq!(
            err.to_string(),
            format!("task {id} panicked with message \"boom\"")
        );
        assert_eq!(
            format!("{err:?}"),
            format!("JoinError::Panic({id:?}, \"boom\", ...)"),
            "tokio's text"
        );
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
    });
}

#[test]
fn a_panic_without_a_message_is_described_as_tokio_does() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let handle = mirage::spawn(async { std::panic::panic_any(42u8) });
        let id = handle.id();
        let err = handle.await.unwrap_err();
        assert_eq!(err.to_string(), format!("task {id} panicked"));
        assert_eq!(format!("{err:?}"), format!("JoinError::Panic({id:?}, ...)"));
    });
}

#[test]
fn join_set_reports_which_task_finished() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let mut set = mirage::JoinSet::new();
        let mut expected = HashSet::new();
        for n in 0..10u32 {
            let abort = set.spawn(async move {
                mirage::yield_now().await;
                (n, task::id())
            });
            expected.insert(abort.id());
        }
        let failing = set.spawn(async { panic!("no") }).id();
        let cancelled = set.spawn(std::future::pending()).id();
        let mut joined = HashSet::new();
        let mut errors = Vec::new();
        // Nothing has run yet.
        match set.try_join_next_with_id() {
            None => {}
            Some(other) => panic!("nothing has run yet, got {other:?}"),
        }
        mirage::yield_now().await;
        while let Some(result) = set.try_join_next_with_id() {
            match result {
                Ok((id, (_, inside))) => assert!(joined.insert((id, inside))),
                Err(err) => errors.push(err),
            }
        }
        set.abort_all();
        while let Some(result) = set.join_next_with_id().await {
            match result {
                Ok((id, (_, inside))) => assert!(joined.insert((id, inside))),
                Err(err) => errors.push(err),
            }
        }
        assert!(joined.iter().all(|(id, inside)| id == inside));
        let joined: HashSet<Id> = joined.into_iter().map(|(id, _)| id).collect();
        assert_eq!(joined, expected);
        let errors: Vec<(Id, bool)> = errors.iter().map(|e| (e.id(), e.is_panic())).collect();
        assert_eq!(errors, [(failing, true), (cancelled, false)]);
    });
}

#[test]
fn remote_handles_put_their_id_on_their_errors() {
    let handle: mirage::RemoteJoinHandle<()> = mirage::spawn_blocking(|| panic!("remote"));
    let id = handle.id();
    let err = handle.blocking_join().unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.id(), id);

    let a = mirage::spawn_blocking(|| 1);
    let b = mirage::spawn_blocking(|| 2);
    assert_ne!(a.id(), b.id());
    assert_eq!(a.blocking_join().unwrap() + b.blocking_join().unwrap(), 3);
}

#[test]
fn a_spawner_task_has_an_id_on_the_core_that_runs_it() {
    let mut core = mirage::Core::new().unwrap();
    let spawner = core.spawner();
    let handle = spawner.spawn(|| async { task::try_id() });
    let inside = core.run(handle).unwrap();
    assert!(inside.is_some(), "a Spawner's work runs as a task");
}

#[test]
fn a_detached_task_has_its_id_while_its_output_drops() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut core = mirage::Core::new().unwrap();
    let record = RecordOnDrop(Rc::clone(&seen));
    let id = core.run(async move {
        let handle = mirage::spawn(async move { record });
        let id = handle.id();
        drop(handle); // detached: the Core drops the output when the task completes
        mirage::yield_now().await;
        id
    });
    assert_eq!(*seen.borrow(), [Some(id)]);
}

#[test]
fn a_finished_task_has_its_id_while_its_output_drops_with_its_handle() {
    // As in tokio: the output is the task's, whether the Core drops it (detached) or the
    // handle does, unread.
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut core = mirage::Core::new().unwrap();
    let record = RecordOnDrop(Rc::clone(&seen));
    let id = core.run(async move {
        let handle = mirage::spawn(async move { record });
        let id = handle.id();
        mirage::yield_now().await;
        assert!(handle.is_finished());
        drop(handle);
        id
    });
    assert_eq!(*seen.borrow(), [Some(id)]);
}

/// tokio's `spawn_blocking` closure runs as a task with an id: `task::id()` inside it is its
/// handle's id. Mirage's reported no id there, and `task::id()` panicked.
#[test]
fn a_spawn_blocking_closure_sees_its_handle_s_id() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let handle = mirage::spawn_blocking(task::id);
        let expected = handle.id();
        assert_eq!(handle.await.unwrap(), expected);
        // A job inside a job has its own id, and the outer one's comes back after it.
        let outer = mirage::spawn_blocking(|| {
            let before = task::id();
            let inner = mirage::spawn_blocking(task::try_id);
            let inner_id = inner.id();
            let seen = inner.blocking_join().unwrap();
            (before, inner_id, seen, task::id())
        });
        let outer_id = outer.id();
        let (before, inner_id, seen, after) = outer.await.unwrap();
        assert_eq!((before, after), (outer_id, outer_id));
        assert_eq!(seen, Some(inner_id));
        assert_ne!(inner_id, outer_id);
    });
    // Handed out from a thread with no Core, too.
    let handle = mirage::spawn_blocking(task::try_id);
    let expected = handle.id();
    assert_eq!(handle.blocking_join().unwrap(), Some(expected));
    assert_eq!(task::try_id(), None, "nothing left behind on this thread");
}

/// Entering a runtime does not make a thread a task's, nor stop it being one: inside a
/// `spawn_blocking` closure that enters a runtime (its own, made there, say) to build
/// timers or sockets, `task::id()` is still the closure's, as in tokio.
#[test]
fn a_spawn_blocking_closure_keeps_its_id_under_an_entered_runtime() {
    let handle = mirage::spawn_blocking(|| {
        let runtime = mirage::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        task::try_id()
    });
    let expected = handle.id();
    assert_eq!(handle.blocking_join().unwrap(), Some(expected));
}
