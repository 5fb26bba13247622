//! Many wakes before a task runs make one poll, whether they come from the Core's own
//! thread or from another: the run queue and the remote queue hold a task at most once.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use mirage::Core;

/// Pending until `done` is set; counts its polls and publishes its waker.
struct Counted {
    polls: Rc<Cell<u32>>,
    waker: Arc<Mutex<Option<Waker>>>,
    done: Rc<Cell<bool>>,
}

impl Future for Counted {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.done.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The poll count, the published waker, and the completion flag of a `Counted`.
type Probe = (Rc<Cell<u32>>, Arc<Mutex<Option<Waker>>>, Rc<Cell<bool>>);

fn counted() -> (Counted, Probe) {
    let polls = Rc::new(Cell::new(0));
    let waker = Arc::new(Mutex::new(None));
    let done = Rc::new(Cell::new(false));
    let future = Counted {
        polls: Rc::clone(&polls),
        waker: Arc::clone(&waker),
        done: Rc::clone(&done),
    };
    (future, (polls, waker, done))
}

#[test]
fn many_local_wakes_before_a_task_runs_make_one_poll() {
    let mut core = Core::new().unwrap();
    let (future, (polls, waker, done)) = counted();
    core.run(async move {
        let task = mirage::spawn(future);
        mirage::yield_now().await;
        assert_eq!(polls.get(), 1);
        let waker = waker.lock().unwrap().clone().unwrap();
        for _ in 0..10_000 {
            waker.wake_by_ref();
        }
        done.set(true);
        task.await.unwrap();
        assert_eq!(polls.get(), 2, "10,000 wakes, one more poll");
    });
}

#[test]
fn many_wakes_from_another_thread_make_one_poll() {
    let mut core = Core::new().unwrap();
    let (future, (polls, waker, done)) = counted();
    let task = core.spawn(future);
    core.run(mirage::yield_now());
    assert_eq!(polls.get(), 1);
    // The Core is not running: every wake goes through the remote queue.
    let remote = waker.lock().unwrap().clone().unwrap();
    std::thread::spawn(move || {
        for _ in 0..10_000 {
            remote.wake_by_ref();
        }
    })
    .join()
    .unwrap();
    done.set(true);
    core.run(task).unwrap();
    assert_eq!(polls.get(), 2, "10,000 remote wakes, one more poll");
}
