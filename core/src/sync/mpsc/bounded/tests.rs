//! Tests of the bounded channel (kept apart from `bounded.rs` for size).

use super::*;
use crate::sync::mpsc::error::TryRecvError;
use crate::sync::test_util::*;
use std::cell::{Cell, RefCell};
use std::pin::pin;
use std::rc::Rc;

#[test]
#[should_panic(expected = "mpsc::channel capacity must be greater than zero")]
fn zero_capacity_panics() {
    let _ = channel::<u8>(0);
}

#[test]
fn try_send_until_full_then_recv_frees_a_slot() {
    let (tx, mut rx) = channel(2);
    assert_eq!((tx.capacity(), tx.max_capacity()), (2, 2));
    assert_eq!(tx.try_send(1), Ok(()));
    assert_eq!(tx.try_send(2), Ok(()));
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!((tx.capacity(), rx.len()), (0, 2));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(tx.capacity(), 1);
    assert_eq!(tx.try_send(3), Ok(()));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty());
    assert_eq!(tx.capacity(), 2);
}

#[test]
fn receiver_woken_by_send_and_not_before() {
    let (tx, mut rx) = channel(4);
    let (counter, waker) = counting_waker();
    assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
    assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
    assert_eq!(counter.count(), 0);
    assert!(poll_with(pin!(tx.send(1)), &waker).is_ready());
    assert_eq!(counter.count(), 1);
    tx.try_send(2).unwrap();
    assert_eq!(counter.count(), 1, "no re-registration, no second wake");
    assert_eq!(poll_with(pin!(rx.recv()), &waker), Poll::Ready(Some(1)));
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn waiting_senders_are_served_fifo() {
    let (tx, mut rx) = channel(1);
    tx.try_send(0).unwrap();
    let (ca, wa) = counting_waker();
    let (cb, wb) = counting_waker();
    let (cc, wc) = counting_waker();
    let mut a = pin!(tx.send(1));
    let mut b = pin!(tx.send(2));
    assert!(poll_with(a.as_mut(), &wa).is_pending());
    assert!(poll_with(b.as_mut(), &wb).is_pending());

    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!((ca.count(), cb.count()), (1, 0), "only the oldest is woken");
    // The freed slot is reserved for `a`: later senders cannot take it.
    assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
    assert_eq!(tx.capacity(), 0);
    let mut c = pin!(tx.send(3));
    assert!(poll_with(c.as_mut(), &wc).is_pending());
    assert!(poll_with(b.as_mut(), &wb).is_pending());
    assert_eq!(poll_with(a.as_mut(), &wa), Poll::Ready(Ok(())));

    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!((cb.count(), cc.count()), (1, 0));
    assert!(
        poll_with(c.as_mut(), &wc).is_pending(),
        "c must not overtake b"
    );
    assert_eq!(poll_with(b.as_mut(), &wb), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(cc.count(), 1);
    assert_eq!(poll_with(c.as_mut(), &wc), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn cancelled_send_with_reserved_slot_passes_it_on() {
    let (tx, mut rx) = channel(1);
    tx.try_send(0).unwrap();
    let (ca, wa) = counting_waker();
    let (cb, wb) = counting_waker();
    let mut a = Box::pin(tx.send(1));
    let mut b = pin!(tx.send(2));
    assert!(poll_with(a.as_mut(), &wa).is_pending());
    assert!(poll_with(b.as_mut(), &wb).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!((ca.count(), cb.count()), (1, 0));
    drop(a);
    assert_eq!(cb.count(), 1, "the reserved slot must go to b");
    assert_eq!(poll_with(b.as_mut(), &wb), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.capacity(), 1);

    // With nobody else waiting the slot becomes free again.
    tx.try_send(3).unwrap();
    let mut c = Box::pin(tx.send(4));
    assert!(poll_with(c.as_mut(), &wa).is_pending());
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(tx.capacity(), 0);
    drop(c);
    assert_eq!(tx.capacity(), 1);
    assert_eq!(tx.try_send(5), Ok(()));
}

#[test]
fn cancelled_waiting_send_drops_its_value_once_and_wakes_nobody() {
    let drops = Rc::new(Cell::new(0));
    let (tx, mut rx) = channel(1);
    tx.try_send(DropCounter(drops.clone())).unwrap();
    let (ca, wa) = counting_waker();
    let (cb, wb) = counting_waker();
    let mut a = Box::pin(tx.send(DropCounter(drops.clone())));
    let mut b = pin!(tx.send(DropCounter(drops.clone())));
    assert!(poll_with(a.as_mut(), &wa).is_pending());
    assert!(poll_with(b.as_mut(), &wb).is_pending());
    drop(a);
    assert_eq!(drops.get(), 1);
    assert_eq!((ca.count(), cb.count()), (0, 0));
    drop(rx.try_recv().unwrap());
    assert_eq!(cb.count(), 1, "b is now first in line");
    assert!(poll_with(b.as_mut(), &wb).is_ready());
    assert_eq!(drops.get(), 2);
}

#[test]
fn cancelled_waiters_do_not_accumulate() {
    let (tx, mut rx) = channel(1);
    tx.try_send(0).unwrap();
    let (counter, waker) = counting_waker();
    for i in 0..10_000 {
        let mut send = pin!(tx.send(i));
        assert!(poll_with(send.as_mut(), &waker).is_pending());
        let mut closed = pin!(tx.closed());
        assert!(poll_with(closed.as_mut(), &waker).is_pending());
    }
    assert_eq!(tx.waiter_slots(), (0, 0));

    let burst: Vec<_> = (0..1_000)
        .map(|i| {
            let mut send = Box::pin(tx.send(i));
            assert!(poll_with(send.as_mut(), &waker).is_pending());
            send
        })
        .collect();
    assert_eq!(tx.waiter_slots().0, 1_000);
    drop(burst);
    assert_eq!(tx.waiter_slots(), (0, 0));
    assert_eq!(counter.count(), 0);
    // No slot was leaked by any of the cancellations.
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn dropping_receiver_drops_queue_once_and_wakes_senders() {
    let drops = Rc::new(Cell::new(0));
    let (tx, rx) = channel(2);
    tx.try_send(DropCounter(drops.clone())).unwrap();
    tx.try_send(DropCounter(drops.clone())).unwrap();
    let (cs, ws) = counting_waker();
    let (cc, wc) = counting_waker();
    let mut send = pin!(tx.send(DropCounter(drops.clone())));
    let mut closed = pin!(tx.closed());
    assert!(poll_with(send.as_mut(), &ws).is_pending());
    assert!(poll_with(closed.as_mut(), &wc).is_pending());
    drop(rx);
    assert_eq!(drops.get(), 2, "queued messages dropped immediately");
    assert_eq!((cs.count(), cc.count()), (1, 1));
    assert!(tx.is_closed());
    let Poll::Ready(Err(SendError(back))) = poll_with(send.as_mut(), &ws) else {
        panic!("waiting sender must get its value back");
    };
    assert_eq!(drops.get(), 2);
    drop(back);
    assert_eq!(drops.get(), 3);
    assert!(poll_with(closed.as_mut(), &wc).is_ready());
    assert!(
        tx.try_send(DropCounter(drops.clone()))
            .unwrap_err()
            .is_closed()
    );
    assert_eq!(drops.get(), 4);
}

#[test]
fn close_keeps_queue_and_returns_values_to_waiting_senders() {
    let (tx, mut rx) = channel(1);
    tx.try_send(1).unwrap();
    let (cw, ww) = counting_waker();
    let mut waiting = pin!(tx.send(2));
    assert!(poll_with(waiting.as_mut(), &ww).is_pending());
    rx.close();
    assert_eq!(cw.count(), 1);
    assert_eq!(
        poll_with(waiting.as_mut(), &ww),
        Poll::Ready(Err(SendError(2)))
    );
    assert_eq!(
        poll_with(pin!(tx.send(3)), &ww),
        Poll::Ready(Err(SendError(3)))
    );
    assert_eq!(tx.try_send(4), Err(TrySendError::Closed(4)));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(poll_with(pin!(rx.recv()), &ww), Poll::Ready(None));
}

#[test]
fn a_send_granted_a_slot_before_close_still_delivers() {
    let (tx, mut rx) = channel(1);
    tx.try_send(1).unwrap();
    let (woken, waker) = counting_waker();
    let mut waiting = pin!(tx.send(2));
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(woken.count(), 1, "the freed slot went to the waiting send");
    assert_eq!(tx.capacity(), 0);
    rx.close();
    // Not the end yet: the granted slot is still held.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(poll_with(waiting.as_mut(), &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn a_send_granted_a_slot_hands_its_value_back_once_the_receiver_is_dropped() {
    let (tx, mut rx) = channel(1);
    tx.try_send(1).unwrap();
    let (_, waker) = counting_waker();
    let mut waiting = pin!(tx.send(2));
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    drop(rx);
    assert_eq!(
        poll_with(waiting.as_mut(), &waker),
        Poll::Ready(Err(SendError(2)))
    );
    assert_eq!(tx.capacity(), 1, "the slot came back");
}

#[test]
fn none_only_after_last_sender_dropped_and_queue_drained() {
    let (tx, mut rx) = channel(4);
    let tx2 = tx.clone();
    assert!(tx.same_channel(&tx2));
    assert!(!tx.same_channel(&channel::<i32>(1).0));
    let (counter, waker) = counting_waker();
    assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
    drop(tx);
    assert_eq!(counter.count(), 0, "a sender is still alive");
    tx2.try_send(1).unwrap();
    tx2.try_send(2).unwrap();
    assert_eq!(counter.count(), 1);
    assert!(poll_with(pin!(rx.recv()), &waker).is_ready());
    assert!(poll_with(pin!(rx.recv()), &waker).is_ready());
    assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
    drop(tx2);
    assert_eq!(counter.count(), 2, "last sender drop wakes the receiver");
    assert_eq!(poll_with(pin!(rx.recv()), &waker), Poll::Ready(None));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn wakers_may_reenter_the_channel() {
    let (tx, mut rx) = channel(2);
    let tx = Rc::new(tx);
    let seen = Rc::new(RefCell::new(Vec::new()));
    // The receiver's waker sends again from inside `wake`.
    let rx_waker = {
        let (tx, seen) = (tx.clone(), seen.clone());
        wake_hook_waker(move || seen.borrow_mut().push(tx.try_send(10).is_ok()))
    };
    assert!(
        rx.poll_recv(&mut Context::from_waker(&rx_waker))
            .is_pending()
    );
    tx.try_send(1).unwrap();
    assert_eq!(*seen.borrow(), [true]);
    assert_eq!(rx.len(), 2);

    // A waiting sender's waker inspects and uses the channel when woken.
    let tx_waker = {
        let (tx, seen) = (tx.clone(), seen.clone());
        wake_hook_waker(move || {
            let full = tx.try_send(11) == Err(TrySendError::Full(11));
            seen.borrow_mut().push(full && tx.capacity() == 0);
        })
    };
    let mut send = pin!(tx.send(2));
    assert!(poll_with(send.as_mut(), &tx_waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(*seen.borrow(), [true, true]);
    assert!(poll_with(send.as_mut(), &tx_waker).is_ready());
}

#[test]
fn replaced_waker_is_dropped_outside_the_borrow() {
    let (tx, mut rx) = channel::<u8>(1);
    let tx = Rc::new(RefCell::new(Some(tx)));
    let first = {
        let tx = tx.clone();
        drop_hook_waker(move || drop(tx.borrow_mut().take()))
    };
    assert!(rx.poll_recv(&mut Context::from_waker(&first)).is_pending());
    drop(first);
    let (counter, second) = counting_waker();
    assert!(rx.poll_recv(&mut Context::from_waker(&second)).is_pending());
    assert!(tx.borrow().is_none());
    assert_eq!(counter.count(), 1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn message_drop_may_reenter_during_receiver_drop() {
    struct Bomb(Option<Sender<Bomb>>, Rc<Cell<bool>>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            if let Some(tx) = self.0.take() {
                let res = tx.try_send(Bomb(None, self.1.clone()));
                self.1.set(res.unwrap_err().is_closed());
            }
        }
    }
    let ok = Rc::new(Cell::new(false));
    let (tx, rx) = channel(1);
    tx.try_send(Bomb(Some(tx.clone()), ok.clone())).unwrap();
    drop(rx);
    assert!(ok.get());
}

#[test]
#[should_panic(expected = "Send future polled after completion")]
fn send_polled_after_completion_panics() {
    let (tx, _rx) = channel(1);
    let (_, waker) = counting_waker();
    let mut send = pin!(tx.send(1));
    assert!(poll_with(send.as_mut(), &waker).is_ready());
    let _ = poll_with(send.as_mut(), &waker);
}

#[test]
#[should_panic(expected = "Reserve future polled after completion")]
fn reserve_polled_after_completion_panics() {
    let (tx, _rx) = channel::<u8>(2);
    let (_, waker) = counting_waker();
    let mut reserve = pin!(tx.reserve());
    let Poll::Ready(Ok(_permit)) = poll_with(reserve.as_mut(), &waker) else {
        panic!("a slot is free");
    };
    // Not a second permit, as tokio's `async fn` would not give one either.
    let _ = poll_with(reserve.as_mut(), &waker);
}

#[test]
fn debug_output_does_not_need_debug_values() {
    struct Opaque;
    let (tx, rx) = channel::<Opaque>(3);
    assert_eq!(
        format!("{tx:?}"),
        "Sender { capacity: 3, max_capacity: 3, closed: false }"
    );
    assert_eq!(format!("{rx:?}"), "Receiver { len: 0 }");
    assert_eq!(
        format!("{:?}", tx.send(Opaque)),
        "Send { waiting: false, .. }"
    );
}

#[test]
fn the_receiver_sees_the_channel_close_while_permits_and_messages_remain() {
    let (tx, mut rx) = channel(3);
    let weak = tx.downgrade();
    tx.try_send(1).unwrap();
    let permit = tx.try_reserve().unwrap();
    assert_eq!(
        (rx.capacity(), rx.max_capacity()),
        (1, 3),
        "the permit's slot is held"
    );
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 1));
    assert!(!rx.is_closed());
    rx.close();
    assert!(rx.is_closed(), "closed at once, though a permit is out");
    permit.send(2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    drop(tx);
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
    assert!(weak.upgrade().is_none());
}

#[test]
fn a_weak_sender_does_not_keep_the_channel_open_for_the_receiver() {
    let (tx, rx) = channel::<u8>(1);
    let _weak = tx.downgrade();
    drop(tx);
    assert!(rx.is_closed());
}

#[test]
fn owned_permits_tell_their_channel() {
    let (tx, _rx) = channel::<u8>(3);
    let (other, _other_rx) = channel::<u8>(3);
    let first = tx.clone().try_reserve_owned().unwrap();
    let second = tx.clone().try_reserve_owned().unwrap();
    let elsewhere = other.clone().try_reserve_owned().unwrap();
    assert!(first.same_channel(&second) && second.same_channel(&first));
    assert!(!first.same_channel(&elsewhere));
    assert!(first.same_channel_as_sender(&tx));
    assert!(!first.same_channel_as_sender(&other));
    assert!(elsewhere.same_channel_as_sender(&other));
}

/// A value whose drop panics, and counts its drops.
struct PanicOnDrop(bool, Rc<Cell<usize>>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.1.set(self.1.get() + 1);
        if self.0 {
            panic!("a queued value's drop panics");
        }
    }
}

#[test]
fn a_queued_value_whose_drop_panics_leaves_the_others_dropped_and_the_channel_closed() {
    let drops = Rc::new(Cell::new(0));
    let (tx, rx) = channel(2);
    let waiting_tx = tx.clone();
    tx.try_send(PanicOnDrop(true, Rc::clone(&drops))).unwrap();
    tx.try_send(PanicOnDrop(false, Rc::clone(&drops))).unwrap();
    let (counter, waker) = counting_waker();
    let mut waiting = pin!(waiting_tx.reserve());
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx)));
    assert!(dropped.is_err(), "the panic reaches the receiver's owner");
    assert_eq!(
        drops.get(),
        2,
        "the value after the panicking one was dropped too"
    );
    assert_eq!(counter.count(), 1, "the waiting sender was told");
    assert!(matches!(
        poll_with(waiting.as_mut(), &waker),
        Poll::Ready(Err(_))
    ));
    assert!(tx.is_closed());
    assert!(tx.try_send(PanicOnDrop(false, Rc::clone(&drops))).is_err());
    assert_eq!(
        drops.get(),
        3,
        "a later send hands its value back, nothing queues it"
    );

    let (tx, rx) = crate::sync::mpsc::unbounded();
    for panics in [false, true, false] {
        tx.send(PanicOnDrop(panics, Rc::clone(&drops)))
            .ok()
            .unwrap();
    }
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx))).is_err());
    assert_eq!(drops.get(), 6);
    assert!(tx.is_closed());
}

#[test]
fn a_permit_whose_value_panics_as_it_is_dropped_gives_its_slot_back_once() {
    let drops = Rc::new(Cell::new(0));
    let (tx, rx) = channel(2);
    let first = tx.try_reserve().unwrap();
    let second = tx.try_reserve().unwrap();
    drop(rx);
    // The receiver is gone: `send` gives the slot back and drops the value, which panics.
    let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        first.send(PanicOnDrop(true, Rc::clone(&drops)));
    }));
    assert!(sent.is_err(), "the panic reaches the caller of send");
    assert_eq!(drops.get(), 1);
    assert_eq!(tx.capacity(), 1, "the other permit still holds its slot");
    drop(second);
    assert_eq!(
        tx.capacity(),
        tx.max_capacity(),
        "every slot given back once"
    );
}
