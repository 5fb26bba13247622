use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use super::*;

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

/// A value that counts its drops.
#[derive(Clone)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn handles_are_send_and_sync_for_a_send_value_type() {
    fn send_sync<T: std::marker::Send + Sync>() {}
    fn send<T: std::marker::Send>() {}
    // `Cell` is `Send` but not `Sync`: the channel's lock makes up for it.
    send_sync::<Sender<std::cell::Cell<u8>>>();
    send_sync::<WeakSender<std::cell::Cell<u8>>>();
    send::<Receiver<std::cell::Cell<u8>>>();
}

#[test]
fn a_waiting_receiver_is_woken_by_a_send_and_by_the_last_sender_leaving_on_other_threads() {
    let (tx, mut rx) = channel(2);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        let tx = tx.clone();
        std::thread::spawn(move || tx.send(7).unwrap())
            .join()
            .unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(7)));
    }
    let mut recv = pin!(rx.recv());
    assert!(recv.as_mut().poll(&mut cx).is_pending());
    let other = tx.clone();
    std::thread::spawn(move || drop(tx)).join().unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1, "a sender remains");
    std::thread::spawn(move || drop(other)).join().unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 2);
    assert_eq!(
        recv.as_mut().poll(&mut cx),
        Poll::Ready(Err(RecvError::Closed))
    );
}

#[test]
fn a_dropped_recv_leaves_no_waiter_behind_and_loses_no_value() {
    let (tx, mut rx) = channel::<u8>(2);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    for _ in 0..100 {
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
    }
    assert!(tx.shared.with(|state| state.is_idle()));
    tx.send(1).unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 0, "nobody waits any more");
    assert_eq!(rx.try_recv(), Ok(1), "still there for the next receive");
}

#[test]
fn each_value_is_dropped_once_its_last_receiver_has_read_skipped_or_left_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    let dropped = || drops.load(Ordering::SeqCst);
    let (tx, mut a) = channel(2);
    let mut b = tx.subscribe();
    tx.send(Counted(drops.clone())).unwrap();
    drop(a.try_recv().unwrap()); // a clone: b has yet to read it
    assert_eq!(dropped(), 1);
    let last = b.try_recv().unwrap(); // the value itself, not a clone
    assert_eq!((dropped(), tx.len()), (1, 0));
    drop(last);
    assert_eq!(dropped(), 2);

    // Overwritten before b read it: dropped by the send that overwrote it.
    for _ in 0..3 {
        tx.send(Counted(drops.clone())).unwrap();
        drop(a.try_recv().unwrap());
    }
    assert_eq!(
        dropped(),
        2 + 3 + 1,
        "three clones and one overwritten value"
    );
    assert!(matches!(b.try_recv(), Err(TryRecvError::Lagged(1))));
    // b leaves, on another thread, with two values unread: it was their last reader.
    std::thread::spawn(move || drop(b)).join().unwrap();
    assert_eq!(dropped(), 2 + 3 + 3);
    assert!(tx.is_empty());
}

#[test]
fn closed_completes_when_the_last_receiver_goes_on_another_thread() {
    let (tx, rx) = channel::<u8>(1);
    let other = rx.resubscribe();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut closed = pin!(tx.closed());
    assert!(closed.as_mut().poll(&mut cx).is_pending());
    drop(rx);
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
    std::thread::spawn(move || drop(other)).join().unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert!(closed.as_mut().poll(&mut cx).is_ready());
    assert!(tx.send(1).is_err());
}

#[test]
#[should_panic(expected = "broadcast::channel capacity must be greater than zero")]
fn a_zero_capacity_panics_with_a_clear_message() {
    let _ = channel::<u8>(0);
}

#[test]
#[should_panic(expected = "broadcast::channel capacity must be at most usize::MAX / 2")]
fn a_capacity_above_half_of_usize_panics_as_tokios_does() {
    let _ = Sender::<u8>::new(usize::MAX / 2 + 1);
}

#[test]
fn a_weak_sender_neither_keeps_the_channel_open_nor_its_values_alive() {
    let (tx, mut rx) = channel::<u8>(4);
    let weak = tx.downgrade();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(weak.upgrade().is_none(), "no sender comes back to life");

    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel(4);
    let weak = tx.downgrade();
    tx.send(Counted(Arc::clone(&drops))).unwrap();
    drop((tx, rx));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 0));
}

#[test]
fn an_upgraded_weak_sender_counts_as_a_sender() {
    let (tx, mut rx) = channel(4);
    let weak = tx.downgrade();
    let upgraded = std::thread::spawn(move || weak.upgrade().unwrap())
        .join()
        .unwrap();
    assert_eq!((tx.strong_count(), rx.sender_strong_count()), (2, 2));
    drop(tx);
    upgraded.send(5).unwrap();
    assert_eq!(rx.try_recv(), Ok(5));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "still open");
    drop(upgraded);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

/// A value whose `Clone` panics while its flag is set.
#[derive(Debug)]
struct Fragile(u32, Arc<AtomicBool>);

impl Clone for Fragile {
    fn clone(&self) -> Self {
        assert!(!self.1.load(Ordering::SeqCst), "clone refused");
        Fragile(self.0, self.1.clone())
    }
}

#[test]
fn a_clone_that_panics_under_the_lock_leaves_the_receiver_and_the_channel_usable() {
    let panics = Arc::new(AtomicBool::new(true));
    let (tx, mut a) = channel(4);
    let mut b = tx.subscribe();
    tx.send(Fragile(1, panics.clone())).unwrap();
    tx.send(Fragile(2, panics.clone())).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.try_recv()));
    assert!(caught.is_err(), "the clone panicked");
    assert_eq!(a.len(), 1, "a skipped 1");
    panics.store(false, Ordering::SeqCst);
    // The lock was poisoned by the panic, and is used on regardless, from another thread.
    let b = std::thread::spawn(move || {
        assert_eq!(b.try_recv().map(|v| v.0), Ok(1));
        b
    })
    .join()
    .unwrap();
    // `a` moved past 1 before the clone that panicked, as tokio's receiver does.
    assert_eq!(a.try_recv().map(|v| v.0), Ok(2));
    drop(b);
    assert!(tx.is_empty());
}

/// A value whose `Clone` sends on the channel it is in.
struct Reentrant(Sender<Reentrant>);

impl Clone for Reentrant {
    fn clone(&self) -> Self {
        let _ = self.0.len();
        Reentrant(self.0.clone())
    }
}

#[test]
fn a_clone_that_uses_its_own_channel_panics_instead_of_deadlocking() {
    let (tx, mut a) = channel(4);
    let _b = tx.subscribe();
    tx.send(Reentrant(tx.clone())).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = a.try_recv();
    }));
    let payload = caught.unwrap_err();
    let message = (payload.downcast_ref::<&str>().copied())
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    assert_eq!(
        message,
        Some(
            "a cross_thread::broadcast channel used from inside the `Clone` of one of its \
             values: this would deadlock"
        )
    );
    // The holder was cleared as the panic unwound: the lock is free for this thread.
    assert_eq!(tx.len(), 1);
}

#[test]
#[should_panic(
    expected = "cross_thread::broadcast::Receiver::blocking_recv called on a thread running a Core"
)]
fn a_blocking_receive_inside_a_core_panics_with_a_clear_message() {
    let (tx, mut rx) = channel::<u8>(1);
    tx.send(1).unwrap();
    crate::Core::new().unwrap().run(async move {
        // A value is there: the check comes before any attempt to receive.
        let _ = rx.blocking_recv();
    });
}

#[test]
fn a_blocking_receive_reports_a_lag_then_reads_on() {
    let (tx, mut rx) = channel(1);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(rx.blocking_recv(), Err(RecvError::Lagged(1)));
    assert_eq!(rx.blocking_recv(), Ok(2));
    drop(tx);
    assert_eq!(rx.blocking_recv(), Err(RecvError::Closed));
}
