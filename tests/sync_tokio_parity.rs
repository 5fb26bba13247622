//! Edge cases of `mirage::sync` that tokio's own tests pin down (`tokio/tests/sync_*.rs`),
//! checked against Mirage: the behaviour a port from tokio relies on.

use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use mirage::sync::{cross_thread, mpsc};

/// Runs `f` on a thread of its own and fails if it has not returned within a generous
/// bound: a hang shows as a failure, not as a test run that never ends.
fn finishes_promptly(what: &str, f: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = std_mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = done_tx.send(());
    });
    assert!(
        done_rx.recv_timeout(Duration::from_secs(20)).is_ok(),
        "{what} did not finish within 20 s"
    );
}

#[test]
fn unused_slots_of_a_huge_reserve_many_are_given_back_at_once() {
    // tokio gives a `PermitIterator`'s unused slots back to its semaphore in one step,
    // whatever their number; giving them back one by one would take centuries here.
    finishes_promptly("dropping a local PermitIterator", || {
        let (tx, _rx) = mpsc::channel::<u8>(usize::MAX);
        let permits = tx.try_reserve_many(usize::MAX).unwrap();
        assert_eq!(tx.capacity(), 0);
        drop(permits);
        assert_eq!(tx.capacity(), usize::MAX);
    });
    finishes_promptly("dropping a cross-thread PermitIterator", || {
        let (tx, _rx) = cross_thread::channel::<u8>(usize::MAX);
        let permits = tx.try_reserve_many(usize::MAX - 1).unwrap();
        assert_eq!(tx.capacity(), 1);
        drop(permits);
        assert_eq!(tx.capacity(), usize::MAX);
    });
}

#[test]
fn a_cancelled_reserve_many_passes_on_a_huge_grant_at_once() {
    finishes_promptly("cancelling a granted reserve_many", || {
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            let (tx, mut rx) = mpsc::channel::<u8>(usize::MAX);
            tx.try_send(1).unwrap();
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            {
                // Waits for every slot: one is queued.
                let mut all = Box::pin(tx.reserve_many(usize::MAX));
                assert!(std::future::Future::poll(all.as_mut(), &mut cx).is_pending());
                assert_eq!(rx.recv().await, Some(1)); // grants it every slot
                // Dropped before it takes them: they go back.
            }
            assert_eq!(tx.capacity(), usize::MAX);
        });
    });
}

#[test]
fn a_lagging_broadcast_receiver_s_len_counts_the_values_it_missed() {
    // tokio's `Receiver::len` counts every value sent since the receiver's position,
    // overwritten ones included, so that `len() > capacity` tells a receiver it lags.
    let (tx, mut rx) = mirage::sync::broadcast::channel(2);
    for n in 0..5 {
        tx.send(n).unwrap();
    }
    assert_eq!(rx.len(), 5, "3 missed and 2 held");
    assert!(!rx.is_empty());
    assert_eq!(
        rx.try_recv(),
        Err(mirage::sync::broadcast::error::TryRecvError::Lagged(3))
    );
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.len(), 1);

    let (tx, mut rx) = cross_thread::broadcast::channel(2);
    for n in 0..5 {
        tx.send(n).unwrap();
    }
    assert_eq!(rx.len(), 5, "3 missed and 2 held");
    assert_eq!(
        rx.try_recv(),
        Err(cross_thread::broadcast::error::TryRecvError::Lagged(3))
    );
    assert_eq!(rx.len(), 2);
}

/// A value whose `Clone` panics for 0.
#[derive(Debug, PartialEq)]
struct NoCloneOfZero(u32);

impl Clone for NoCloneOfZero {
    fn clone(&self) -> NoCloneOfZero {
        assert_ne!(self.0, 0, "a zero may not be cloned");
        NoCloneOfZero(self.0)
    }
}

fn panics(f: impl FnOnce()) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err()
}

#[test]
fn a_broadcast_value_whose_clone_panics_is_skipped_by_that_receiver() {
    // As in tokio: the receiver moves past the value before it clones it, so a panicking
    // `Clone` costs that receiver the value, once, instead of leaving it to panic on
    // every receive from then on.
    use mirage::sync::broadcast::{self, error::TryRecvError};
    let (tx, mut first) = broadcast::channel(4);
    let mut second = tx.subscribe();
    tx.send(NoCloneOfZero(0)).unwrap();
    tx.send(NoCloneOfZero(1)).unwrap();
    assert!(panics(|| drop(first.try_recv())));
    assert_eq!(first.try_recv(), Ok(NoCloneOfZero(1)));
    // `second` is the zero's last reader: it takes the value itself, with no clone.
    assert_eq!(second.try_recv(), Ok(NoCloneOfZero(0)));
    assert_eq!(second.try_recv(), Ok(NoCloneOfZero(1)));
    assert_eq!(first.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(
        tx.len(),
        0,
        "every value was read, or skipped, by every receiver"
    );

    // The same through `recv`, on the cross-thread channel (a `Mutex` the panic poisons).
    let (tx, mut first) = cross_thread::broadcast::channel(4);
    let mut second = tx.subscribe();
    tx.send(NoCloneOfZero(0)).unwrap();
    tx.send(NoCloneOfZero(1)).unwrap();
    let mut core = mirage::Core::new().unwrap();
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    assert!(panics(|| {
        let mut recv = std::pin::pin!(first.recv());
        let _ = std::future::Future::poll(recv.as_mut(), &mut cx);
    }));
    core.run(async {
        assert_eq!(first.recv().await, Ok(NoCloneOfZero(1)));
        assert_eq!(second.recv().await, Ok(NoCloneOfZero(0)));
        assert_eq!(second.recv().await, Ok(NoCloneOfZero(1)));
    });
    assert_eq!(tx.len(), 0);
}

/// Spends what is left of the running task's `coop` budget, without yielding.
async fn spend_the_budget() {
    while mirage::coop::has_budget_remaining() {
        mirage::coop::consume_budget().await;
    }
}

#[test]
fn an_acquire_with_the_budget_spent_yields_before_it_takes_a_permit() {
    // tokio's `Acquire::poll` checks the task's budget first (`ready!(poll_proceed(cx))`)
    // and only then the semaphore: with the budget spent it yields holding nothing, so a
    // `try_lock` meanwhile gets the lock, and a dropped acquire has nothing to give back.
    use std::future::{Future, poll_fn};
    use std::pin::pin;
    use std::task::Poll;

    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let mutex = mirage::sync::Mutex::new(());
        let local = mirage::sync::Semaphore::new(2);
        let shared = cross_thread::Semaphore::new(2);
        spend_the_budget().await;
        let mut lock = pin!(mutex.lock());
        let mut from_local = pin!(local.acquire_many(2));
        let mut from_shared = pin!(shared.acquire_many(2));
        let pending = poll_fn(|cx| {
            Poll::Ready((
                lock.as_mut().poll(cx).is_pending(),
                from_local.as_mut().poll(cx).is_pending(),
                from_shared.as_mut().poll(cx).is_pending(),
            ))
        })
        .await;
        assert_eq!(pending, (true, true, true), "no budget left: all yield");
        assert!(
            mutex.try_lock().is_ok(),
            "the lock is still free, as in tokio"
        );
        assert_eq!(local.available_permits(), 2, "nothing taken");
        assert_eq!(shared.available_permits(), 2, "nothing taken");
        // At the task's next turn, each completes.
        let (guard, a, b) = mirage::join!(lock.as_mut(), from_local.as_mut(), from_shared.as_mut());
        drop(guard);
        assert_eq!(a.unwrap().num_permits(), 2);
        assert_eq!(b.unwrap().num_permits(), 2);
        assert_eq!(
            local.available_permits(),
            2,
            "given back by the permits' drop"
        );
    });
}

#[test]
fn a_barrier_s_last_arrival_with_the_budget_spent_still_completes_its_generation() {
    // tokio counts a task at the barrier when its `wait` is first polled, whatever its
    // budget: the last of a generation to arrive releases it then, and a task that arrives
    // after it belongs to the next generation. Mirage's leader yields when its budget is
    // spent, but it arrives, and leads, at that first poll all the same.
    use std::future::{Future, poll_fn};
    use std::pin::pin;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::task::Poll;
    use std::time::Duration;

    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        mirage::time::pause(); // a hang shows as a timeout, at once
        let local = Rc::new(mirage::sync::Barrier::new(2));
        let shared = Arc::new(cross_thread::Barrier::new(2));
        let first_local = mirage::spawn({
            let local = Rc::clone(&local);
            async move { local.wait().await.is_leader() }
        });
        let first_shared = mirage::spawn({
            let shared = Arc::clone(&shared);
            async move { shared.wait().await.is_leader() }
        });
        mirage::yield_now().await; // each arrives first at its barrier, and waits

        spend_the_budget().await;
        let mut last_local = pin!(local.wait());
        let mut last_shared = pin!(shared.wait());
        let pending = poll_fn(|cx| {
            Poll::Ready((
                last_local.as_mut().poll(cx).is_pending(),
                last_shared.as_mut().poll(cx).is_pending(),
            ))
        })
        .await;
        assert_eq!(pending, (true, true), "no budget left: both yield");

        // Arriving now, these belong to the next generation.
        let next_local = mirage::spawn({
            let local = Rc::clone(&local);
            async move { local.wait().await.is_leader() }
        });
        let next_shared = mirage::spawn({
            let shared = Arc::clone(&shared);
            async move { shared.wait().await.is_leader() }
        });
        mirage::yield_now().await;

        let bound = Duration::from_secs(1);
        let led = mirage::time::timeout(bound, last_local).await;
        assert_eq!(
            led.map(|r| r.is_leader()),
            Ok(true),
            "the second to arrive leads"
        );
        let led = mirage::time::timeout(bound, last_shared).await;
        assert_eq!(
            led.map(|r| r.is_leader()),
            Ok(true),
            "the second to arrive leads"
        );
        assert!(!first_local.await.unwrap());
        assert!(!first_shared.await.unwrap());
        assert!(
            !next_local.is_finished(),
            "the next generation waits for one more"
        );
        assert!(
            !next_shared.is_finished(),
            "the next generation waits for one more"
        );
        assert!(local.wait().await.is_leader());
        assert!(shared.wait().await.is_leader());
        assert!(!next_local.await.unwrap());
        assert!(!next_shared.await.unwrap());
    });
}
