//! Tests of `reserve_many`: slots taken together, in line with the other senders.

use std::pin::pin;
use std::task::Poll;

use crate::sync::mpsc::channel;
use crate::sync::test_util::{counting_waker, poll_with};

#[test]
fn free_slots_are_taken_at_once_and_the_permits_send_in_order() {
    let (tx, mut rx) = channel(4);
    let (_, waker) = counting_waker();
    let Poll::Ready(Ok(permits)) = poll_with(pin!(tx.reserve_many(3)), &waker) else {
        panic!("three of four slots are free");
    };
    assert_eq!((permits.len(), tx.capacity()), (3, 1));
    for (n, permit) in permits.enumerate() {
        permit.send(n);
    }
    assert_eq!(tx.capacity(), 1);
    let received: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(received, [0, 1, 2]);
    assert_eq!(tx.capacity(), 4);
}

#[test]
fn a_waiting_batch_gathers_freed_slots_that_no_one_else_may_take() {
    let (tx, mut rx) = channel(3);
    for n in 0..3 {
        tx.try_send(n).unwrap();
    }
    let (batch_woken, batch_waker) = counting_waker();
    let (single_woken, single_waker) = counting_waker();
    let mut batch = pin!(tx.reserve_many(3));
    assert!(poll_with(batch.as_mut(), &batch_waker).is_pending());
    let mut single = pin!(tx.send(9));
    assert!(poll_with(single.as_mut(), &single_waker).is_pending());
    for freed in 1..=2 {
        rx.try_recv().unwrap();
        assert_eq!(tx.capacity(), 0, "slot {freed} gathered for the batch");
        assert!(tx.try_reserve().unwrap_err().is_full(), "no overtaking");
        assert!(tx.try_reserve_many(1).unwrap_err().is_full());
        assert_eq!((batch_woken.count(), single_woken.count()), (0, 0));
    }
    rx.try_recv().unwrap();
    assert_eq!((batch_woken.count(), single_woken.count()), (1, 0));
    let Poll::Ready(Ok(permits)) = poll_with(batch.as_mut(), &batch_waker) else {
        panic!("the batch was handed its three slots");
    };
    assert_eq!(permits.len(), 3);
    assert!(poll_with(single.as_mut(), &single_waker).is_pending());
    drop(permits); // all three back: the single send behind takes one
    assert_eq!(single_woken.count(), 1);
    assert!(poll_with(single.as_mut(), &single_waker).is_ready());
    assert_eq!(rx.try_recv(), Ok(9));
    assert_eq!(tx.capacity(), 3);
}

#[test]
fn two_batches_waiting_for_most_of_the_channel_do_not_deadlock() {
    let (tx, mut rx) = channel(3);
    for n in 0..3 {
        tx.try_send(n).unwrap();
    }
    let (first_woken, first_waker) = counting_waker();
    let (second_woken, second_waker) = counting_waker();
    let mut first = pin!(tx.reserve_many(2));
    let mut second = pin!(tx.reserve_many(2));
    assert!(poll_with(first.as_mut(), &first_waker).is_pending());
    assert!(poll_with(second.as_mut(), &second_waker).is_pending());
    rx.try_recv().unwrap();
    rx.try_recv().unwrap();
    assert_eq!((first_woken.count(), second_woken.count()), (1, 0));
    let Poll::Ready(Ok(mut permits)) = poll_with(first.as_mut(), &first_waker) else {
        panic!("the first batch has its two slots");
    };
    rx.try_recv().unwrap(); // one slot: gathered by the second, which wants two
    assert_eq!(second_woken.count(), 0);
    permits.next().unwrap().send(7);
    drop(permits); // the other slot of the first batch completes the second
    assert_eq!(second_woken.count(), 1);
    assert!(matches!(
        poll_with(second.as_mut(), &second_waker),
        Poll::Ready(Ok(p)) if p.len() == 2
    ));
}

#[test]
fn a_cancelled_batch_passes_what_it_gathered_to_the_senders_behind() {
    let (tx, mut rx) = channel(3);
    for n in 0..3 {
        tx.try_send(n).unwrap();
    }
    let (_, waker) = counting_waker();
    let (behind_woken, behind_waker) = counting_waker();
    let mut batch = Box::pin(tx.reserve_many(3));
    assert!(poll_with(batch.as_mut(), &waker).is_pending());
    let mut behind: Vec<_> = (0..2).map(|n| Box::pin(tx.send(10 + n))).collect();
    for send in &mut behind {
        assert!(poll_with(send.as_mut(), &behind_waker).is_pending());
    }
    rx.try_recv().unwrap();
    rx.try_recv().unwrap();
    assert_eq!(behind_woken.count(), 0, "the batch gathers them");
    drop(batch);
    assert_eq!(behind_woken.count(), 2, "both slots pass on");
    for send in &mut behind {
        assert!(poll_with(send.as_mut(), &behind_waker).is_ready());
    }
    assert_eq!(tx.capacity(), 0);
    assert_eq!(tx.waiter_slots(), (0, 0));
}

#[test]
fn a_batch_granted_then_dropped_before_its_poll_passes_its_slots_on() {
    let (tx, mut rx) = channel(2);
    tx.try_send(0).unwrap();
    tx.try_send(1).unwrap();
    let (_, waker) = counting_waker();
    let (behind_woken, behind_waker) = counting_waker();
    let mut batch = Box::pin(tx.reserve_many(2));
    assert!(poll_with(batch.as_mut(), &waker).is_pending());
    let mut behind = pin!(tx.reserve());
    assert!(poll_with(behind.as_mut(), &behind_waker).is_pending());
    rx.try_recv().unwrap();
    rx.try_recv().unwrap(); // the batch is granted both slots
    assert_eq!(behind_woken.count(), 0);
    drop(batch);
    assert_eq!(behind_woken.count(), 1);
    let Poll::Ready(Ok(_permit)) = poll_with(behind.as_mut(), &behind_waker) else {
        panic!("one of the batch's slots passed to the sender behind");
    };
    assert_eq!(tx.capacity(), 1, "the other slot is free again");
}

#[test]
fn more_than_the_channel_holds_fails_and_zero_takes_nothing() {
    let (tx, rx) = channel::<u8>(2);
    let (_, waker) = counting_waker();
    assert!(matches!(
        poll_with(pin!(tx.reserve_many(3)), &waker),
        Poll::Ready(Err(_))
    ));
    assert!(tx.try_reserve_many(3).unwrap_err().is_full());
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let Poll::Ready(Ok(mut none)) = poll_with(pin!(tx.reserve_many(0)), &waker) else {
        panic!("zero slots need no wait");
    };
    assert!(none.next().is_none());
    assert_eq!(tx.try_reserve_many(0).unwrap().len(), 0);
    drop(rx);
    assert!(matches!(
        poll_with(pin!(tx.reserve_many(0)), &waker),
        Poll::Ready(Err(_))
    ));
    assert!(tx.try_reserve_many(0).unwrap_err().is_closed());
}

#[test]
fn closing_fails_a_waiting_batch_but_permits_taken_before_still_send() {
    let (tx, mut rx) = channel(3);
    let permits = tx.try_reserve_many(2).unwrap();
    let (woken, waker) = counting_waker();
    let mut batch = pin!(tx.reserve_many(2));
    assert!(poll_with(batch.as_mut(), &waker).is_pending());
    rx.close();
    assert_eq!(woken.count(), 1);
    assert!(matches!(
        poll_with(batch.as_mut(), &waker),
        Poll::Ready(Err(_))
    ));
    assert!(tx.try_reserve_many(1).unwrap_err().is_closed());
    for (n, permit) in permits.enumerate() {
        permit.send(n);
    }
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(rx.try_recv().is_err());
    assert!(rx.is_closed());
}
