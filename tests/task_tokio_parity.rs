//! Tasks and runtimes held to behaviours tokio's own tests pin down, where Mirage's
//! differed without saying so.

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;

use mirage::Core;
use mirage::runtime::Runtime;

/// A task woken while its Core is not running (between two `run`s, from the Core's own
/// thread) goes through the Core's remote queue. A `yield_now` in the next `run` must let it
/// run before the run's future continues, as it does every other ready task (tokio's
/// current-thread runtime runs it in the same tick).
#[test]
fn a_task_woken_between_runs_runs_before_a_yield_in_the_next_run_returns() {
    let runtime = Runtime::new().unwrap();
    let (tx, mut rx) = mirage::sync::mpsc::unbounded_channel::<u32>();
    let polls = Rc::new(Cell::new(0u32));
    let received = Rc::new(Cell::new(0u32));
    runtime.spawn({
        let (polls, received) = (Rc::clone(&polls), Rc::clone(&received));
        async move {
            while let Some(n) = poll_fn(|cx| {
                polls.set(polls.get() + 1);
                rx.poll_recv(cx)
            })
            .await
            {
                received.set(received.get() + n);
            }
        }
    });
    runtime.block_on(mirage::yield_now());
    assert_eq!(polls.get(), 1, "the task ran once and waits for a value");

    tx.send(5).unwrap(); // outside any running Core
    runtime.block_on(mirage::yield_now());
    assert_eq!(received.get(), 5, "the woken task ran during the yield");
    assert_eq!(
        polls.get(),
        3,
        "one poll for the value, one that found the channel empty"
    );

    drop(tx);
    runtime.block_on(mirage::yield_now());
    assert_eq!(polls.get(), 4, "one poll to see the channel closed");
}

/// The same from another thread while the Core runs: a task that thread woke before the
/// run's future yields runs before that future continues.
#[test]
fn a_task_woken_from_another_thread_runs_before_the_root_future_s_yield_returns() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (tx, rx) = mirage::sync::cross_thread::oneshot::channel::<u32>();
        let waiter = mirage::spawn(async move { rx.await.unwrap() });
        mirage::yield_now().await;
        assert!(!waiter.is_finished(), "the task waits for the value");
        std::thread::spawn(move || tx.send(7).unwrap())
            .join()
            .unwrap();
        mirage::yield_now().await;
        assert!(
            waiter.is_finished(),
            "the task woken from the other thread ran during the yield"
        );
        assert_eq!(waiter.await.unwrap(), 7);
    });
}
