use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::Semaphore;

/// Permits held and given back by tasks on several Cores never exceed the count, every
/// acquire completes, and all permits are back at the end.
#[test]
fn cores_share_the_permits() {
    const CORES: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 4 } else { 200 };
    let semaphore = Arc::new(Semaphore::new(3));
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let cores: Vec<_> = (0..CORES)
        .map(|_| {
            let (semaphore, running, most) = (semaphore.clone(), running.clone(), most.clone());
            std::thread::spawn(move || {
                crate::Core::new().unwrap().run(async move {
                    let mut tasks = crate::task::JoinSet::new();
                    for i in 0..4 {
                        let (semaphore, running, most) =
                            (semaphore.clone(), running.clone(), most.clone());
                        tasks.spawn(async move {
                            for _ in 0..ROUNDS {
                                let permit = semaphore.acquire_many(1 + i % 2).await.unwrap();
                                let now = running.fetch_add(permit.num_permits(), Ordering::SeqCst)
                                    + permit.num_permits();
                                most.fetch_max(now, Ordering::SeqCst);
                                crate::yield_now().await;
                                running.fetch_sub(permit.num_permits(), Ordering::SeqCst);
                            }
                        });
                    }
                    tasks.join_all().await;
                })
            })
        })
        .collect();
    for core in cores {
        core.join().unwrap();
    }
    assert!(most.load(Ordering::SeqCst) <= 3);
    assert_eq!(semaphore.available_permits(), 3);
    assert!(!semaphore.state.lock().unwrap().has_waiters());
}

/// A permit dropped on a plain thread wakes the task waiting on a Core.
#[test]
fn release_on_another_thread_wakes_the_waiter() {
    let semaphore = Arc::new(Semaphore::new(1));
    let held = semaphore.clone().try_acquire_owned().unwrap();
    let mut core = crate::Core::new().unwrap();
    let got = core.run(async {
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            drop(held);
        });
        let permit = crate::time::timeout(Duration::from_secs(10), semaphore.acquire())
            .await
            .expect("the permit given back on the other thread wakes this task")
            .unwrap();
        releaser.join().unwrap();
        permit.num_permits()
    });
    assert_eq!(got, 1);
}

/// `close` on a plain thread fails an acquire waiting on a Core.
#[test]
fn close_on_another_thread_fails_the_waiter() {
    let semaphore = Arc::new(Semaphore::new(0));
    let closer = semaphore.clone();
    let mut core = crate::Core::new().unwrap();
    let result = core.run(async {
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            closer.close();
        });
        let result = crate::time::timeout(Duration::from_secs(10), semaphore.acquire())
            .await
            .expect("close on the other thread wakes this task");
        thread.join().unwrap();
        result.map(|permit| permit.num_permits())
    });
    assert!(result.is_err());
}

/// A thread with no Core parks in `blocking_acquire_many` until a task on a Core gives the
/// permits back.
#[test]
fn blocking_acquire_waits_for_a_release_by_a_task() {
    let semaphore = Arc::new(Semaphore::new(2));
    let mut core = crate::Core::new().unwrap();
    let held = core.run(semaphore.clone().acquire_many_owned(2)).unwrap();
    let (done, result) = std::sync::mpsc::channel();
    let worker = {
        let semaphore = semaphore.clone();
        std::thread::spawn(move || {
            let got = semaphore.blocking_acquire_many(2).map(|p| p.num_permits());
            done.send(got).unwrap();
        })
    };
    core.run(async {
        // Most likely parked by now; the test holds either way.
        crate::time::sleep(Duration::from_millis(20)).await;
        drop(held);
    });
    let got = result
        .recv_timeout(Duration::from_secs(10))
        .expect("the release on the Core wakes the parked thread");
    assert_eq!(got.unwrap(), 2);
    worker.join().unwrap();
    assert_eq!(
        semaphore.available_permits(),
        2,
        "the worker's permit went back"
    );
}

/// `close` wakes a thread parked in `blocking_acquire_owned`, with an error.
#[test]
fn close_wakes_a_blocking_acquire() {
    let semaphore = Arc::new(Semaphore::new(0));
    let (done, result) = std::sync::mpsc::channel();
    let worker = {
        let semaphore = semaphore.clone();
        std::thread::spawn(move || {
            done.send(semaphore.blocking_acquire_owned().is_err())
                .unwrap()
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    semaphore.close();
    let failed = result
        .recv_timeout(Duration::from_secs(10))
        .expect("close wakes the parked thread");
    assert!(failed, "a closed semaphore grants no permit");
    worker.join().unwrap();
}

/// `blocking_acquire` refuses to park a thread that runs a Core.
#[test]
#[should_panic(expected = "Semaphore::blocking_acquire called on a thread running a Core")]
fn blocking_acquire_on_a_core_panics() {
    let semaphore = Semaphore::new(1);
    crate::Core::new().unwrap().run(async {
        drop(semaphore.blocking_acquire());
    });
}

/// A waiting acquire dropped after it was handed its permits gives them on to the next
/// waiter in line.
#[test]
fn a_cancelled_grant_passes_to_the_next_waiter() {
    let semaphore = Semaphore::new(0);
    let mut first = Box::pin(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(second.as_mut()).is_pending());
    std::thread::scope(|scope| {
        scope.spawn(|| semaphore.add_permits(1)); // handed to `first`
    });
    drop(first); // ... which gives it on
    match poll_once(second.as_mut()) {
        std::task::Poll::Ready(Ok(permit)) => assert_eq!(permit.num_permits(), 1),
        other => panic!("the second waiter did not get the permit: {other:?}"),
    }
    drop(second);
    assert_eq!(semaphore.available_permits(), 1);
}

/// An acquire held back by a spent budget wakes its task only once it has unlocked the
/// state: waking under the lock would deadlock a waker that comes back to the semaphore.
#[test]
fn an_acquire_held_back_by_the_budget_wakes_its_task_outside_the_lock() {
    let semaphore = Arc::new(Semaphore::new(1));
    let free_at_wake = std::rc::Rc::new(std::cell::Cell::new(None));
    let waker = crate::sync::test_util::wake_hook_waker({
        let (semaphore, free_at_wake) = (semaphore.clone(), free_at_wake.clone());
        move || free_at_wake.set(Some(semaphore.state.try_lock().is_ok()))
    });
    let budget = crate::coop::left();
    crate::coop::restore(0);
    let poll = crate::sync::test_util::poll_with(std::pin::pin!(semaphore.acquire()), &waker);
    crate::coop::restore(budget);
    assert!(poll.is_pending(), "no budget left");
    assert_eq!(
        free_at_wake.get(),
        Some(true),
        "woken, with the lock released"
    );
    assert_eq!(semaphore.available_permits(), 1, "the permit stays free");
}

/// As the docs of `close` say: an acquire handed its permits before the close completes
/// with them, while one still waiting fails.
#[test]
fn an_acquire_served_before_close_still_completes() {
    let semaphore = Semaphore::new(0);
    let mut served = Box::pin(semaphore.acquire());
    let mut waiting = Box::pin(semaphore.acquire());
    assert!(poll_once(served.as_mut()).is_pending());
    assert!(poll_once(waiting.as_mut()).is_pending());
    semaphore.add_permits(1);
    semaphore.close();
    assert!(matches!(
        poll_once(served.as_mut()),
        std::task::Poll::Ready(Ok(_))
    ));
    assert!(matches!(
        poll_once(waiting.as_mut()),
        std::task::Poll::Ready(Err(_))
    ));
}

fn poll_once<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> std::task::Poll<F::Output> {
    let waker = std::task::Waker::noop();
    future.poll(&mut std::task::Context::from_waker(waker))
}

#[test]
fn types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Semaphore>();
    send_sync::<super::SemaphorePermit<'static>>();
    send_sync::<super::OwnedSemaphorePermit>();
    send_sync::<super::Acquire<'static>>();
}

#[test]
fn permits_gathered_for_a_waiter_are_neither_available_nor_forgettable() {
    // As in tokio, whose release hands them to the oldest waiter as they come back.
    let semaphore = Semaphore::new(0);
    let mut waiting = Box::pin(semaphore.acquire_many(2));
    assert!(poll_once(waiting.as_mut()).is_pending());
    semaphore.add_permits(1);
    assert!(
        semaphore.try_acquire().is_err(),
        "the permit is the waiter's"
    );
    assert_eq!(semaphore.available_permits(), 0);
    assert_eq!(semaphore.forget_permits(1), 0);
    semaphore.add_permits(1);
    assert!(matches!(
        poll_once(waiting.as_mut()),
        std::task::Poll::Ready(Ok(ref permit)) if permit.num_permits() == 2
    ));
}

#[test]
#[should_panic(expected = "Acquire future polled after completion")]
fn acquire_polled_after_completion_panics() {
    use std::future::Future;
    let semaphore = Semaphore::new(2);
    let mut acquire = std::pin::pin!(semaphore.acquire());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(acquire.as_mut().poll(&mut cx).is_ready());
    let _ = acquire.as_mut().poll(&mut cx);
}
