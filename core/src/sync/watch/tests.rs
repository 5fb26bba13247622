use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use super::{RecvError, channel};
use crate::sync::test_util::{DropCounter, counting_waker, poll_with};

#[test]
fn changed_waits_for_a_send_and_its_waker_is_woken_once() {
    let (tx, mut rx) = channel(0);
    let (counter, waker) = counting_waker();
    {
        let mut changed = pin!(rx.changed());
        assert!(poll_with(changed.as_mut(), &waker).is_pending());
        assert!(
            poll_with(changed.as_mut(), &waker).is_pending(),
            "a re-poll"
        );
        tx.send(1).unwrap();
        assert_eq!(counter.count(), 1);
        assert_eq!(poll_with(changed.as_mut(), &waker), Poll::Ready(Ok(())));
    }
    assert_eq!(*rx.borrow(), 1);
    assert!(
        poll_with(pin!(rx.changed()), &waker).is_pending(),
        "1 was seen"
    );
    assert!(tx.shared.state.borrow().is_idle());
}

#[test]
fn every_waiting_receiver_is_woken_and_sees_only_the_latest_value() {
    let (tx, rx) = channel(0);
    let mut receivers = [rx.clone(), rx.clone(), rx];
    let wakers: Vec<_> = (0..3).map(|_| counting_waker()).collect();
    let mut futures: Vec<_> = receivers
        .iter_mut()
        .map(|rx| Box::pin(rx.changed()))
        .collect();
    for (future, (_, waker)) in futures.iter_mut().zip(&wakers) {
        assert!(poll_with(future.as_mut(), waker).is_pending());
    }
    for n in 1..=3 {
        tx.send(n).unwrap();
    }
    for (future, (counter, waker)) in futures.iter_mut().zip(&wakers) {
        assert_eq!(counter.count(), 1, "woken once, by the first send");
        assert_eq!(poll_with(future.as_mut(), waker), Poll::Ready(Ok(())));
    }
    drop(futures);
    for rx in &mut receivers {
        assert_eq!(*rx.borrow_and_update(), 3, "1 and 2 are skipped");
        assert!(!rx.has_changed().unwrap());
    }
}

#[test]
fn a_dropped_changed_future_leaves_nothing_behind() {
    let (tx, mut rx) = channel(());
    let (counter, waker) = counting_waker();
    let mut changed = Box::pin(rx.changed());
    assert!(poll_with(changed.as_mut(), &waker).is_pending());
    drop(changed);
    assert!(tx.shared.state.borrow().is_idle());
    tx.send(()).unwrap();
    assert_eq!(counter.count(), 0, "the dropped future's waker is gone");
    assert!(rx.has_changed().unwrap(), "dropping it marked nothing seen");
}

#[test]
fn only_the_latest_waker_is_woken() {
    let (tx, mut rx) = channel(0);
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    let mut changed = pin!(rx.changed());
    assert!(poll_with(changed.as_mut(), &first_waker).is_pending());
    assert!(poll_with(changed.as_mut(), &second_waker).is_pending());
    tx.send(1).unwrap();
    assert_eq!((first.count(), second.count()), (0, 1));
}

#[test]
fn dropping_the_sender_ends_changed_after_the_last_unseen_value() {
    let (tx, mut rx) = channel(0);
    let (counter, waker) = counting_waker();
    {
        let mut changed = pin!(rx.changed());
        assert!(poll_with(changed.as_mut(), &waker).is_pending());
        tx.send(1).unwrap();
        drop(tx);
        assert_eq!(counter.count(), 1);
        assert_eq!(poll_with(changed.as_mut(), &waker), Poll::Ready(Ok(())));
    }
    assert_eq!(*rx.borrow(), 1);
    assert_eq!(rx.has_changed(), Err(RecvError));
    let again = poll_with(pin!(rx.changed()), &waker);
    assert_eq!(again, Poll::Ready(Err(RecvError)));

    // A receiver waiting when the sender goes is woken to fail.
    let (tx, mut rx) = channel(0);
    let mut changed = Box::pin(rx.changed());
    assert!(poll_with(changed.as_mut(), &waker).is_pending());
    drop(tx);
    assert_eq!(counter.count(), 2);
    assert_eq!(
        poll_with(changed.as_mut(), &waker),
        Poll::Ready(Err(RecvError))
    );
}

#[test]
fn closed_completes_when_the_last_receiver_goes_and_send_then_fails() {
    let (tx, rx) = channel(1);
    let rx2 = tx.subscribe();
    let (counter, waker) = counting_waker();
    {
        let mut closed = pin!(tx.closed());
        assert!(poll_with(closed.as_mut(), &waker).is_pending());
        drop(rx);
        assert_eq!(counter.count(), 0, "one receiver is left");
        drop(rx2);
        assert_eq!(counter.count(), 1);
        assert_eq!(poll_with(closed.as_mut(), &waker), Poll::Ready(()));
    }
    assert!(tx.shared.state.borrow().is_idle());
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(*tx.borrow(), 1, "a failed send leaves the value");
    let rx = tx.subscribe();
    assert!(
        poll_with(pin!(tx.closed()), &waker).is_pending(),
        "reopened"
    );
    tx.send(3).unwrap();
    assert!(rx.has_changed().unwrap());
}

#[test]
fn send_if_modified_notifies_only_a_modification() {
    let (tx, mut rx) = channel(0);
    let (counter, waker) = counting_waker();
    let mut changed = pin!(rx.changed());
    assert!(poll_with(changed.as_mut(), &waker).is_pending());
    assert!(!tx.send_if_modified(|_| false));
    assert_eq!(counter.count(), 0);
    assert!(poll_with(changed.as_mut(), &waker).is_pending());
    assert!(tx.send_if_modified(|n| {
        *n = 5;
        true
    }));
    assert_eq!(counter.count(), 1);
    assert_eq!(poll_with(changed.as_mut(), &waker), Poll::Ready(Ok(())));
}

#[test]
fn wait_for_checks_the_current_value_first_and_fails_once_the_sender_is_gone() {
    let (tx, mut rx) = channel(3);
    let (_, waker) = counting_waker();
    {
        let ready = poll_with(pin!(rx.wait_for(|&n| n == 3)), &waker);
        let is_three =
            matches!(ready, Poll::Ready(Ok(ref value)) if **value == 3 && !value.has_changed());
        assert!(is_three);
    }

    {
        let mut waiting = pin!(rx.wait_for(|&n| n > 10));
        assert!(poll_with(waiting.as_mut(), &waker).is_pending());
        tx.send(7).unwrap();
        assert!(
            poll_with(waiting.as_mut(), &waker).is_pending(),
            "7 does not do"
        );
        tx.send(11).unwrap();
        let done = poll_with(waiting.as_mut(), &waker);
        let is_eleven =
            matches!(done, Poll::Ready(Ok(ref value)) if **value == 11 && value.has_changed());
        assert!(is_eleven);
    }
    assert!(!rx.has_changed().unwrap(), "11 was marked seen");

    tx.send(12).unwrap();
    drop(tx);
    let last = poll_with(pin!(rx.wait_for(|&n| n == 12)), &waker).map(|r| r.map(|v| *v));
    assert_eq!(last, Poll::Ready(Ok(12)), "the last value still counts");
    let never = poll_with(pin!(rx.wait_for(|&n| n == 0)), &waker).map(|r| r.map(|v| *v));
    assert_eq!(never, Poll::Ready(Err(RecvError)));
}

/// A `wait_for` dropped while it waits has marked seen what its condition rejected, and
/// nothing sent after its last look.
#[test]
fn a_dropped_wait_for_marks_seen_only_the_values_it_rejected() {
    let (tx, mut rx) = channel(0);
    let (_, waker) = counting_waker();
    {
        let mut waiting = pin!(rx.wait_for(|&n| n > 10));
        assert!(poll_with(waiting.as_mut(), &waker).is_pending());
        tx.send(7).unwrap();
    }
    assert!(rx.has_changed().unwrap(), "7 was never looked at");
    {
        let mut waiting = pin!(rx.wait_for(|&n| n > 10));
        assert!(
            poll_with(waiting.as_mut(), &waker).is_pending(),
            "7 does not do"
        );
    }
    assert!(!rx.has_changed().unwrap(), "7 was looked at and rejected");
}

#[test]
#[should_panic(expected = "sent while a `Ref` to it is held")]
fn sending_while_a_ref_is_held_panics_with_a_clear_message() {
    let (tx, rx) = channel(0);
    let _held = rx.borrow();
    let _ = tx.send(1);
}

#[test]
#[should_panic(expected = "from inside send_modify")]
fn sending_from_inside_send_modify_panics_with_a_message_that_names_it() {
    // No `Ref` is held here: the message must not send the reader looking for one.
    let (tx, _rx) = channel(0);
    tx.send_modify(|n| {
        *n += 1;
        let _ = tx.send(2);
    });
}

#[test]
fn values_are_dropped_once() {
    let drops = Rc::new(Cell::new(0));
    let (tx, rx) = channel(DropCounter(drops.clone()));
    let old = tx.send_replace(DropCounter(drops.clone()));
    assert_eq!(drops.get(), 0);
    drop(old);
    assert_eq!(drops.get(), 1);
    let err = tx.send(DropCounter(drops.clone()));
    assert!(err.is_ok());
    assert_eq!(drops.get(), 2, "the replaced value");
    drop(rx);
    let err = tx.send(DropCounter(drops.clone())).unwrap_err();
    drop(err);
    assert_eq!(drops.get(), 3, "the value handed back");
    drop(tx);
    assert_eq!(drops.get(), 4, "the channel's value, with its last handle");
}

#[test]
fn mark_changed_and_mark_unchanged() {
    let (_tx, mut rx) = channel(0);
    let (_, waker) = counting_waker();
    rx.mark_changed();
    assert_eq!(poll_with(pin!(rx.changed()), &waker), Poll::Ready(Ok(())));
    rx.mark_changed();
    rx.mark_unchanged();
    assert!(poll_with(pin!(rx.changed()), &waker).is_pending());
}

#[test]
fn a_sender_made_alone_keeps_its_value_until_a_receiver_subscribes() {
    let tx = super::Sender::new(1);
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send(2).unwrap_err().into_inner(), 2, "no receiver yet");
    assert_eq!(
        tx.send_replace(3),
        1,
        "send_replace works without receivers"
    );
    let mut rx = tx.subscribe();
    assert_eq!(*rx.borrow_and_update(), 3);
    assert!(!rx.has_changed().unwrap());
    tx.send(4).unwrap();
    assert!(rx.has_changed().unwrap());
    drop(tx);
    assert_eq!(*rx.borrow(), 4);
}

#[test]
fn changed_fails_only_once_the_last_sender_clone_is_dropped() {
    let (tx, mut rx) = channel(0);
    let tx2 = tx.clone();
    let tx3 = tx2.clone();
    assert_eq!(tx.sender_count(), 3);
    let (counter, waker) = counting_waker();
    {
        let mut changed = pin!(rx.changed());
        assert!(poll_with(changed.as_mut(), &waker).is_pending());
        drop(tx);
        drop(tx2);
        assert_eq!(counter.count(), 0, "a sender is left: no wake-up");
        assert_eq!(tx3.sender_count(), 1);
        assert!(poll_with(changed.as_mut(), &waker).is_pending());
        drop(tx3);
        assert_eq!(counter.count(), 1, "the last sender wakes the waiter");
        assert_eq!(
            poll_with(changed.as_mut(), &waker),
            Poll::Ready(Err(RecvError))
        );
    }
    assert_eq!(rx.has_changed(), Err(RecvError));
}

#[test]
fn a_value_sent_by_a_clone_reaches_the_receivers_before_the_channel_closes() {
    let (tx, mut rx) = channel(0);
    let tx2 = tx.clone();
    drop(tx);
    tx2.send(5).unwrap();
    let shared = Rc::clone(&tx2.shared);
    drop(tx2);
    let (_, waker) = counting_waker();
    assert_eq!(
        poll_with(pin!(rx.changed()), &waker),
        Poll::Ready(Ok(())),
        "the change is seen first"
    );
    assert_eq!(*rx.borrow(), 5);
    assert_eq!(
        poll_with(pin!(rx.changed()), &waker),
        Poll::Ready(Err(RecvError))
    );
    assert!(shared.state.borrow().is_idle());
}
