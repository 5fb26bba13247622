use super::*;
use crate::sync::test_util::*;
use std::cell::Cell;
use std::pin::pin;

#[test]
fn send_wakes_pending_receiver_once() {
    let (tx, mut rx) = channel();
    let (counter, waker) = counting_waker();
    assert!(poll_with(Pin::new(&mut rx), &waker).is_pending());
    assert!(poll_with(Pin::new(&mut rx), &waker).is_pending());
    assert_eq!(counter.count(), 0, "woken before anything happened");
    tx.send(7).unwrap();
    assert_eq!(counter.count(), 1);
    assert_eq!(poll_with(Pin::new(&mut rx), &waker), Poll::Ready(Ok(7)));
}

#[test]
fn dropping_sender_wakes_receiver_with_error() {
    let (tx, mut rx) = channel::<u8>();
    let (counter, waker) = counting_waker();
    assert!(poll_with(Pin::new(&mut rx), &waker).is_pending());
    drop(tx);
    assert_eq!(counter.count(), 1);
    assert_eq!(
        poll_with(Pin::new(&mut rx), &waker),
        Poll::Ready(Err(RecvError))
    );
}

#[test]
#[should_panic(expected = "oneshot::Receiver polled after completion")]
fn polling_after_completion_panics() {
    let (tx, mut rx) = channel();
    tx.send(1).unwrap();
    let (_, waker) = counting_waker();
    assert!(poll_with(Pin::new(&mut rx), &waker).is_ready());
    let _ = poll_with(Pin::new(&mut rx), &waker);
}

#[test]
fn try_recv_states() {
    let (tx, mut rx) = channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(String::from("hi")).unwrap();
    assert_eq!(rx.try_recv().as_deref(), Ok("hi"));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = channel::<u8>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn send_to_dropped_receiver_returns_value() {
    let (tx, rx) = channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(
        tx.send(String::from("back")),
        Err(SendError(String::from("back")))
    );
}

#[test]
fn close_keeps_sent_value_and_rejects_later_sends() {
    let (tx, mut rx) = channel();
    tx.send(1).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(1));

    let (tx, mut rx) = channel::<u8>();
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(2), Err(SendError(2)));
    let (_, waker) = counting_waker();
    assert_eq!(
        poll_with(Pin::new(&mut rx), &waker),
        Poll::Ready(Err(RecvError))
    );
}

#[test]
fn closed_completes_on_receiver_drop_and_on_close() {
    let (mut tx, rx) = channel::<u8>();
    let (counter, waker) = counting_waker();
    {
        let mut closed = pin!(tx.closed());
        assert!(poll_with(closed.as_mut(), &waker).is_pending());
        assert_eq!(counter.count(), 0);
        drop(rx);
        assert_eq!(counter.count(), 1);
        assert!(poll_with(closed.as_mut(), &waker).is_ready());
    }

    let (mut tx, mut rx) = channel::<u8>();
    let mut closed = pin!(tx.closed());
    assert!(poll_with(closed.as_mut(), &waker).is_pending());
    rx.close();
    assert_eq!(counter.count(), 2);
    assert!(poll_with(closed.as_mut(), &waker).is_ready());
}

#[test]
fn unreceived_value_dropped_once_with_receiver() {
    let drops = Rc::new(Cell::new(0));
    let (tx, rx) = channel();
    tx.send(DropCounter(drops.clone())).unwrap();
    assert_eq!(drops.get(), 0);
    drop(rx);
    assert_eq!(drops.get(), 1);
}

#[test]
fn receiver_waker_may_reenter_channel() {
    let (tx, rx) = channel::<u8>();
    let rx = Rc::new(RefCell::new(rx));
    let got = Rc::new(Cell::new(None));
    let waker = {
        let (rx, got) = (rx.clone(), got.clone());
        wake_hook_waker(move || got.set(Some(rx.borrow_mut().try_recv())))
    };
    assert!(poll_with(Pin::new(&mut *rx.borrow_mut()), &waker).is_pending());
    tx.send(9).unwrap();
    assert_eq!(got.get(), Some(Ok(9)));
}

#[test]
fn replaced_waker_is_dropped_outside_the_borrow() {
    let (tx, mut rx) = channel::<u8>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let first = {
        let tx = tx.clone();
        // Dropping this waker drops the sender, which re-enters the channel.
        drop_hook_waker(move || drop(tx.borrow_mut().take()))
    };
    assert!(poll_with(Pin::new(&mut rx), &first).is_pending());
    drop(first);
    let (counter, second) = counting_waker();
    assert!(poll_with(Pin::new(&mut rx), &second).is_pending());
    assert!(tx.borrow().is_none(), "old waker should have been dropped");
    assert_eq!(counter.count(), 1, "sender drop must wake the new waker");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn debug_and_display_do_not_need_debug_values() {
    struct Opaque;
    let (tx, rx) = channel::<Opaque>();
    assert_eq!(format!("{tx:?}"), "Sender { closed: false }");
    assert_eq!(format!("{rx:?}"), "Receiver { state: \"empty\" }");
    assert_eq!(RecvError.to_string(), "channel closed");
    assert_eq!(TryRecvError::Empty.to_string(), "channel empty");
}

#[test]
fn is_empty_and_is_terminated_follow_the_value_through_await() {
    let (tx, mut rx) = channel();
    let (_, waker) = counting_waker();
    assert!(rx.is_empty() && !rx.is_terminated());
    assert!(poll_with(Pin::new(&mut rx), &waker).is_pending());
    assert!(!rx.is_terminated(), "pending is not terminated");
    tx.send(3).unwrap();
    assert!(!rx.is_empty() && !rx.is_terminated(), "sent, not received");
    assert_eq!(poll_with(Pin::new(&mut rx), &waker), Poll::Ready(Ok(3)));
    assert!(rx.is_empty() && rx.is_terminated());
}

#[test]
fn a_dropped_sender_or_a_close_terminates_only_once_observed() {
    let (tx, mut rx) = channel::<u8>();
    let (_, waker) = counting_waker();
    drop(tx);
    assert!(rx.is_empty() && !rx.is_terminated());
    assert_eq!(
        poll_with(Pin::new(&mut rx), &waker),
        Poll::Ready(Err(RecvError))
    );
    assert!(rx.is_terminated());

    let (tx, mut rx) = channel::<u8>();
    rx.close();
    assert!(!rx.is_terminated());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(rx.is_terminated() && rx.is_empty());
    drop(tx);

    let (tx, mut rx) = channel();
    tx.send(1).unwrap();
    rx.close(); // a value sent before close can still be received
    assert!(!rx.is_empty() && !rx.is_terminated());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(rx.is_terminated());
}
