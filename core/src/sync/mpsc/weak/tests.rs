//! Tests of the weak senders (kept apart from `weak.rs` for size).

use crate::sync::mpsc::error::TryRecvError;
use crate::sync::mpsc::{channel, unbounded};
use crate::sync::test_util::*;
use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

#[test]
fn the_receiver_sees_the_end_when_the_last_sender_drops_whatever_weak_ones_remain() {
    let (tx, mut rx) = channel::<u8>(2);
    let weak = tx.downgrade();
    let other_weak = weak.clone();
    let (counter, waker) = counting_waker();
    assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
    drop(tx);
    assert_eq!(
        counter.count(),
        1,
        "the last sender's drop wakes the receiver"
    );
    assert_eq!(poll_with(pin!(rx.recv()), &waker), Poll::Ready(None));
    assert!(weak.upgrade().is_none());
    assert!(other_weak.upgrade().is_none());
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 2));
}

#[test]
fn upgrade_never_reopens_a_channel_that_still_holds_messages() {
    let (tx, mut rx) = channel(2);
    let weak = tx.downgrade();
    tx.try_send(1).unwrap();
    drop(tx);
    assert!(
        weak.upgrade().is_none(),
        "the state is alive, the senders are not"
    );
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert!(weak.upgrade().is_none());
}

#[test]
fn an_upgraded_sender_keeps_the_channel_open_and_delivers() {
    let (tx, mut rx) = channel(1);
    let weak = tx.downgrade();
    let upgraded = weak.upgrade().unwrap();
    assert_eq!((tx.strong_count(), upgraded.weak_count()), (2, 1));
    drop(tx);
    let (counter, waker) = counting_waker();
    assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
    assert_eq!(counter.count(), 0, "an upgraded sender is still alive");
    upgraded.try_send("after the first is gone").unwrap();
    assert_eq!(counter.count(), 1);
    assert_eq!(
        poll_with(pin!(rx.recv()), &waker),
        Poll::Ready(Some("after the first is gone"))
    );
    assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
    assert_eq!(weak.strong_count(), 1);
    drop(upgraded);
    assert_eq!(counter.count(), 2);
    assert_eq!(poll_with(pin!(rx.recv()), &waker), Poll::Ready(None));
}

#[test]
fn an_upgrade_from_the_wake_of_the_last_drop_fails_without_a_borrow_conflict() {
    let (tx, mut rx) = unbounded::<u8>();
    let weak = tx.downgrade();
    let seen = Rc::new(Cell::new(None));
    let waker = {
        let (weak, seen) = (weak.clone(), seen.clone());
        wake_hook_waker(move || seen.set(Some((weak.upgrade().is_none(), weak.strong_count()))))
    };
    assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
    drop(tx);
    assert_eq!(seen.get(), Some((true, 0)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn counts_follow_clones_downgrades_and_drops() {
    let (tx, rx) = unbounded::<u8>();
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 0));
    let tx2 = tx.clone();
    let weak = tx.downgrade();
    let weak2 = tx2.downgrade();
    assert_eq!((tx.strong_count(), tx.weak_count()), (2, 2));
    assert_eq!((weak.strong_count(), weak.weak_count()), (2, 2));
    drop(weak2);
    drop(tx2);
    assert_eq!((weak.strong_count(), weak.weak_count()), (1, 1));
    drop(rx);
    assert_eq!(
        (weak.strong_count(), weak.weak_count()),
        (1, 1),
        "the receiver's drop closes the channel, but a sender is alive"
    );
    let upgraded = weak.upgrade().expect("a sender is alive");
    assert!(upgraded.send(1).is_err(), "the receiver is gone");
    drop((tx, upgraded));
    assert!(weak.upgrade().is_none());
    assert_eq!(
        (weak.strong_count(), weak.weak_count()),
        (0, 0),
        "the state is freed: a weak handle does not keep it"
    );
}

#[test]
fn weak_handles_keep_no_queued_value_alive() {
    let drops = Rc::new(Cell::new(0));
    let (tx, rx) = channel(4);
    let weak = tx.downgrade();
    for _ in 0..3 {
        tx.try_send(DropCounter(drops.clone())).unwrap();
    }
    drop(tx);
    assert_eq!(drops.get(), 0, "queued for the receiver");
    drop(rx);
    assert_eq!(drops.get(), 3);
    assert!(weak.upgrade().is_none());
    assert_eq!(weak.weak_count(), 0, "the channel is freed");
}

#[test]
fn an_upgraded_unbounded_sender_delivers_and_the_end_follows_its_drop() {
    let (tx, mut rx) = unbounded::<u8>();
    let weak = tx.downgrade();
    drop(tx);
    assert!(weak.upgrade().is_none());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));

    let (tx, mut rx) = unbounded();
    let weak = tx.downgrade();
    let upgraded = weak.upgrade().unwrap();
    drop(tx);
    upgraded.send(7).unwrap();
    assert_eq!(rx.try_recv(), Ok(7));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(upgraded);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn debug_output_shows_the_counts_and_does_not_need_debug_values() {
    struct Opaque;
    let (tx, _rx) = channel::<Opaque>(1);
    let weak = tx.downgrade();
    assert_eq!(
        format!("{weak:?}"),
        "WeakSender { strong_count: 1, weak_count: 1 }"
    );
    drop(tx);
    assert_eq!(
        format!("{weak:?}"),
        "WeakSender { strong_count: 0, weak_count: 1 }"
    );
    let (tx, rx) = unbounded::<Opaque>();
    let weak = tx.downgrade();
    drop((tx, rx));
    assert_eq!(
        format!("{weak:?}"),
        "WeakUnboundedSender { strong_count: 0, weak_count: 0 }"
    );
}
