use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::thread;

use super::{Changed, Closed, Receiver, RecvError, Ref, Sender, channel};
use crate::sync::test_util::{DropCounter, counting_waker, poll_with};
use crate::sync::watch::state::Lock;

#[test]
fn handles_and_futures_are_send_and_sync_for_a_send_sync_value() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Sender<Vec<u8>>>();
    send_sync::<Receiver<Vec<u8>>>();
    send_sync::<Changed<'static, Vec<u8>>>();
    send_sync::<Closed<'static, Vec<u8>>>();
    let (_tx, mut rx) = channel(0);
    send(&rx.wait_for(|_| true));
    // A `Ref` holds a lock of this thread: `!Send`, as `RwLockReadGuard` is.
    fn _ref_is_sync<T: Sync>() {}
    _ref_is_sync::<Ref<'static, u8>>();
}

#[test]
fn changed_waits_for_a_send_from_another_thread_and_is_woken_once() {
    let (tx, mut rx) = channel(0);
    let (counter, waker) = counting_waker();
    {
        let mut changed = pin!(rx.changed());
        assert!(poll_with(changed.as_mut(), &waker).is_pending());
        thread::scope(|s| {
            s.spawn(|| tx.send(1).unwrap());
        });
        assert_eq!(counter.count(), 1);
        assert_eq!(poll_with(changed.as_mut(), &waker), Poll::Ready(Ok(())));
    }
    assert_eq!(*rx.borrow(), 1);
    assert!(
        poll_with(pin!(rx.changed()), &waker).is_pending(),
        "1 was seen"
    );
    assert!(tx.shared.state.with(|state| state.is_idle()));
}

#[test]
fn a_dropped_changed_future_leaves_nothing_behind() {
    let (tx, mut rx) = channel(());
    let (counter, waker) = counting_waker();
    let mut changed = Box::pin(rx.changed());
    assert!(poll_with(changed.as_mut(), &waker).is_pending());
    drop(changed);
    assert!(tx.shared.state.with(|state| state.is_idle()));
    tx.send(()).unwrap();
    assert_eq!(counter.count(), 0, "the dropped future's waker is gone");
    assert!(rx.has_changed().unwrap(), "dropping it marked nothing seen");
}

#[test]
fn dropping_the_sender_ends_changed_after_the_last_unseen_value() {
    let (tx, mut rx) = channel(0);
    let (counter, waker) = counting_waker();
    {
        let mut changed = pin!(rx.changed());
        assert!(poll_with(changed.as_mut(), &waker).is_pending());
        thread::spawn(move || {
            tx.send(1).unwrap();
            drop(tx);
        })
        .join()
        .unwrap();
        assert_eq!(counter.count(), 1, "one wake-up, from the send");
        assert_eq!(poll_with(changed.as_mut(), &waker), Poll::Ready(Ok(())));
    }
    assert_eq!(*rx.borrow(), 1);
    assert_eq!(rx.has_changed(), Err(RecvError));
    let again = poll_with(pin!(rx.changed()), &waker);
    assert_eq!(again, Poll::Ready(Err(RecvError)));
}

#[test]
fn closed_completes_when_the_last_receiver_goes_and_send_then_fails() {
    let (tx, rx) = channel(1);
    let rx2 = tx.subscribe();
    let (counter, waker) = counting_waker();
    {
        let mut closed = pin!(tx.closed());
        assert!(poll_with(closed.as_mut(), &waker).is_pending());
        thread::spawn(move || drop(rx)).join().unwrap();
        assert_eq!(counter.count(), 0, "one receiver is left");
        thread::spawn(move || drop(rx2)).join().unwrap();
        assert_eq!(counter.count(), 1);
        assert_eq!(poll_with(closed.as_mut(), &waker), Poll::Ready(()));
    }
    assert!(tx.shared.state.with(|state| state.is_idle()));
    assert_eq!(tx.send(2).unwrap_err().0, 2);
    assert_eq!(*tx.borrow(), 1, "a failed send leaves the value");
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
fn wait_for_returns_the_value_it_accepted_marked_seen() {
    let (tx, mut rx) = channel(3);
    let (_, waker) = counting_waker();
    {
        let mut waiting = pin!(rx.wait_for(|&n| n > 10));
        assert!(poll_with(waiting.as_mut(), &waker).is_pending());
        tx.send(7).unwrap();
        assert!(poll_with(waiting.as_mut(), &waker).is_pending());
        tx.send(11).unwrap();
        let done = poll_with(waiting.as_mut(), &waker);
        let is_eleven =
            matches!(done, Poll::Ready(Ok(ref value)) if **value == 11 && value.has_changed());
        assert!(is_eleven);
    }
    assert!(!rx.has_changed().unwrap(), "11 was marked seen");
    drop(tx);
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
fn borrow_and_update_marks_seen_the_version_of_the_value_it_returns() {
    // The n-th send sends n, so a value is its own version.
    const SENDS: u64 = if cfg!(miri) { 30 } else { 5_000 };
    let (tx, mut rx) = channel(0u64);
    thread::scope(|s| {
        s.spawn(|| (1..=SENDS).for_each(|n| tx.send(n).unwrap()));
        loop {
            let value = *rx.borrow_and_update();
            assert_eq!(
                rx.seen, value,
                "marked seen a version other than the value's"
            );
            if value == SENDS {
                break;
            }
        }
    });
}

#[test]
#[should_panic(expected = "sent while this thread holds a `Ref`")]
fn sending_while_this_thread_holds_a_ref_panics_instead_of_deadlocking() {
    let (tx, rx) = channel(0);
    let _held = rx.borrow();
    let _ = tx.send(1);
}

#[test]
#[should_panic(expected = "borrowed on a thread that sends on it")]
fn borrowing_inside_send_modify_panics_instead_of_deadlocking() {
    let (tx, rx) = channel(0);
    tx.send_modify(|n| *n = *rx.borrow() + 1);
}

#[test]
fn a_ref_on_this_thread_does_not_trip_the_check_once_dropped() {
    let (tx, rx) = channel(0);
    let (first, second) = (rx.borrow(), tx.borrow());
    assert_eq!(*first + *second, 0, "two reads at once are fine");
    drop((first, second));
    tx.send(1).unwrap();
    // A `Ref` on another thread makes a send wait, not panic.
    let (held_tx, held) = std::sync::mpsc::channel();
    let (release_tx, release) = std::sync::mpsc::channel::<()>();
    let rx = &rx;
    thread::scope(|s| {
        s.spawn(move || {
            let value = rx.borrow();
            held_tx.send(()).unwrap();
            release.recv().unwrap();
            assert_eq!(*value, 1);
        });
        held.recv().unwrap();
        s.spawn(|| tx.send(2).unwrap());
        release_tx.send(()).unwrap();
    });
    assert_eq!(*rx.borrow(), 2);
}

#[test]
fn a_panic_in_send_modify_is_not_announced_and_leaves_the_channel_usable() {
    let (tx, mut rx) = channel(0);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        tx.send_modify(|n| {
            *n = 1;
            panic!("in the closure");
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(rx.has_changed(), Ok(false), "the change is not announced");
    assert_eq!(*rx.borrow(), 1, "what the closure did stays");
    tx.send(2).unwrap();
    assert_eq!(*rx.borrow_and_update(), 2);
    assert!(tx.send_if_modified(|n| {
        *n += 1;
        true
    }));
    assert_eq!(*rx.borrow(), 3);
}

#[test]
fn values_are_dropped_once() {
    let drops = Rc::new(Cell::new(0));
    // `DropCounter` is `!Send`: this test stays on one thread, as the local watch's does.
    let (tx, rx) = channel(DropCounter(drops.clone()));
    let old = tx.send_replace(DropCounter(drops.clone()));
    assert_eq!(drops.get(), 0);
    drop(old);
    assert_eq!(drops.get(), 1);
    tx.send(DropCounter(drops.clone())).unwrap();
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
fn a_sender_made_alone_gets_receivers_on_other_threads() {
    let tx = Sender::new(0);
    assert!(tx.is_closed());
    assert!(tx.send(1).is_err());
    let rx = thread::scope(|s| s.spawn(|| tx.subscribe()).join().unwrap());
    assert_eq!(tx.receiver_count(), 1);
    tx.send(2).unwrap();
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow(), 2);
}

#[test]
fn changed_fails_only_once_the_last_sender_clone_is_dropped_on_any_thread() {
    let (tx, mut rx) = channel(0);
    let clones: Vec<Sender<i32>> = (0..4).map(|_| tx.clone()).collect();
    assert_eq!(tx.sender_count(), 5);
    let (counter, waker) = counting_waker();
    let mut changed = Box::pin(rx.changed());
    assert!(poll_with(changed.as_mut(), &waker).is_pending());
    thread::scope(|s| {
        for (n, tx) in clones.into_iter().enumerate() {
            s.spawn(move || {
                tx.send_modify(|value| *value += n as i32 + 1);
            });
        }
    });
    assert_eq!(tx.sender_count(), 1, "the clones went with their threads");
    assert_eq!(poll_with(changed.as_mut(), &waker), Poll::Ready(Ok(())));
    drop(changed);
    assert_eq!(*rx.borrow_and_update(), 1 + 2 + 3 + 4, "no send is lost");
    let woken = counter.count();
    let mut changed = Box::pin(rx.changed());
    assert!(
        poll_with(changed.as_mut(), &waker).is_pending(),
        "one sender is left"
    );
    thread::spawn(move || drop(tx)).join().unwrap();
    assert_eq!(counter.count(), woken + 1);
    assert_eq!(
        poll_with(changed.as_mut(), &waker),
        Poll::Ready(Err(RecvError))
    );
}
