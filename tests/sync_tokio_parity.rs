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
