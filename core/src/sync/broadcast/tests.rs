use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use super::error::{RecvError, TryRecvError};
use super::state::Lock;
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
struct Counted(Rc<Cell<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn a_waiting_receiver_is_woken_by_a_send_and_by_the_last_sender_leaving() {
    let (tx, mut rx) = channel(2);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        tx.send(7).unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(7)));
    }
    let mut recv = pin!(rx.recv());
    assert!(recv.as_mut().poll(&mut cx).is_pending());
    let other = tx.clone();
    drop(tx);
    assert_eq!(count.0.load(Ordering::SeqCst), 1, "a sender remains");
    drop(other);
    assert_eq!(count.0.load(Ordering::SeqCst), 2);
    assert_eq!(
        recv.as_mut().poll(&mut cx),
        Poll::Ready(Err(RecvError::Closed))
    );
}

#[test]
fn a_dropped_recv_leaves_no_waiter_behind() {
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
}

#[test]
fn each_value_is_dropped_once_its_last_receiver_has_read_skipped_or_left_it() {
    let drops = Rc::new(Cell::new(0));
    let (tx, mut a) = channel(2);
    let mut b = tx.subscribe();
    tx.send(Counted(drops.clone())).unwrap();
    drop(a.try_recv().unwrap()); // a clone: b has yet to read it
    assert_eq!(drops.get(), 1);
    assert_eq!(tx.len(), 1);
    let last = b.try_recv().unwrap(); // the value itself, not a clone
    assert_eq!(drops.get(), 1);
    assert_eq!(tx.len(), 0);
    drop(last);
    assert_eq!(drops.get(), 2);

    // Overwritten before b read it: dropped by the send that overwrote it.
    for _ in 0..3 {
        tx.send(Counted(drops.clone())).unwrap();
        drop(a.try_recv().unwrap());
    }
    assert_eq!(
        drops.get(),
        2 + 3 + 1,
        "three clones and one overwritten value"
    );
    assert!(matches!(b.try_recv(), Err(TryRecvError::Lagged(1))));
    // b leaves with two values unread: it was their last reader.
    drop(b);
    assert_eq!(drops.get(), 2 + 3 + 3);
    assert!(tx.is_empty());
}

#[test]
fn closed_completes_when_the_last_receiver_goes() {
    let (tx, rx) = channel::<u8>(1);
    let other = rx.resubscribe();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut closed = pin!(tx.closed());
    assert!(closed.as_mut().poll(&mut cx).is_pending());
    drop(rx);
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
    drop(other);
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
fn a_weak_sender_neither_keeps_the_channel_open_nor_its_values_alive() {
    let (tx, mut rx) = channel::<u8>(4);
    let weak = tx.downgrade();
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut recv = pin!(rx.recv());
    assert!(recv.as_mut().poll(&mut cx).is_pending());
    drop(tx);
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        1,
        "the last strong sender's drop wakes the receiver"
    );
    assert_eq!(
        recv.as_mut().poll(&mut cx),
        Poll::Ready(Err(RecvError::Closed))
    );
    assert!(weak.upgrade().is_none(), "no sender comes back to life");
    assert_eq!(weak.strong_count(), 0);

    // Values queued for a receiver go when the receiver goes, weak handles or not.
    let drops = Rc::new(Cell::new(0));
    let (tx, rx) = channel(4);
    let weak = tx.downgrade();
    tx.send(Counted(Rc::clone(&drops))).unwrap();
    drop((tx, rx));
    assert_eq!(drops.get(), 1);
    assert_eq!(weak.strong_count(), 0);
    assert!(weak.upgrade().is_none());
}

#[test]
fn an_upgraded_weak_sender_counts_as_a_sender() {
    let (tx, mut rx) = channel(4);
    let weak = tx.downgrade();
    let upgraded = weak.upgrade().unwrap();
    assert_eq!((tx.strong_count(), tx.weak_count()), (2, 1));
    drop(tx);
    upgraded.send(5).unwrap();
    assert_eq!(rx.try_recv(), Ok(5));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "still open");
    drop(upgraded);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

/// A value whose `Clone` panics while `PANICS` is set.
#[derive(Debug, PartialEq)]
struct Fragile(u32, Rc<Cell<bool>>);

impl Clone for Fragile {
    fn clone(&self) -> Self {
        assert!(!self.1.get(), "clone refused");
        Fragile(self.0, self.1.clone())
    }
}

#[test]
fn a_clone_that_panics_costs_that_receiver_the_value_and_nothing_else() {
    let panics = Rc::new(Cell::new(true));
    let (tx, mut a) = channel(4);
    let mut b = tx.subscribe();
    tx.send(Fragile(1, panics.clone())).unwrap();
    tx.send(Fragile(2, panics.clone())).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.try_recv()));
    assert!(caught.is_err(), "the clone panicked");
    assert_eq!(a.len(), 1, "a moved past 1, as tokio's receiver does");
    panics.set(false);
    assert_eq!(a.try_recv().map(|v| v.0), Ok(2));
    assert_eq!(b.try_recv().map(|v| v.0), Ok(1), "b still reads 1");

    // A receiver dropped while its task unwinds from such a panic leaves nothing behind.
    tx.send(Fragile(3, panics.clone())).unwrap();
    panics.set(true);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _ = a.try_recv();
    }));
    assert!(caught.is_err());
    panics.set(false);
    assert_eq!(b.try_recv().map(|v| v.0), Ok(2));
    assert_eq!(b.try_recv().map(|v| v.0), Ok(3));
    assert!(tx.is_empty(), "every value was read by every receiver");
}

#[test]
fn a_sender_made_alone_delivers_only_what_is_sent_after_a_subscribe() {
    let tx = Sender::new(2);
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send(1).unwrap_err().0, 1, "no receiver yet");
    assert!(tx.is_empty(), "nothing kept for later receivers");
    let mut rx = tx.subscribe();
    assert_eq!(tx.send(2).unwrap(), 1);
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
#[should_panic(expected = "capacity must be greater than zero")]
fn a_sender_made_alone_with_no_capacity_panics() {
    let _ = Sender::<u8>::new(0);
}

#[test]
fn a_receiver_counts_the_senders_through_clones_downgrades_and_upgrades() {
    let (tx, rx) = channel::<u8>(1);
    let weak = tx.downgrade();
    let upgraded = weak.upgrade().unwrap();
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (2, 1));
    drop((tx, upgraded));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
    assert!(rx.is_closed());
    drop(weak);
    assert_eq!(rx.sender_weak_count(), 0);
}

#[test]
fn a_waker_whose_drop_sends_does_not_trip_the_channel_borrow() {
    use crate::sync::test_util::drop_hook_waker;

    // The replaced waker of a second poll sends as it goes.
    let (tx, mut rx) = channel::<u8>(4);
    let mut probe = tx.subscribe();
    let mut recv = Box::pin(rx.recv());
    let waker = drop_hook_waker(move || {
        tx.send(1).unwrap();
    });
    assert!(
        recv.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    drop(waker);
    let (count, other) = counting_waker();
    let mut cx = Context::from_waker(&other);
    // The old waker goes after the new one is stored, so its send wakes the new one.
    assert!(recv.as_mut().poll(&mut cx).is_pending());
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
    assert_eq!(probe.try_recv(), Ok(1));

    // The woken waker sends as the send that woke it returns.
    let (tx, mut rx) = channel::<u8>(4);
    let mut recv = Box::pin(rx.recv());
    let waker = drop_hook_waker({
        let tx = tx.clone();
        move || {
            tx.send(2).unwrap();
        }
    });
    assert!(
        recv.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    drop(waker);
    tx.send(1).unwrap();
    drop(recv);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
#[should_panic(expected = "broadcast::channel capacity must be at most usize::MAX / 2")]
fn a_capacity_above_half_of_usize_panics_as_tokios_does() {
    let _ = channel::<u8>(usize::MAX / 2 + 1);
}

#[test]
fn the_largest_capacity_allocates_nothing_up_front() {
    let (tx, mut rx) = channel(usize::MAX / 2);
    tx.send(1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
}
