use std::pin::pin;
use std::task::Poll;

use super::Notify;
use crate::sync::test_util::{counting_waker, poll_with};

#[test]
fn notify_one_wakes_the_longest_waiting_only() {
    let notify = Notify::new();
    let wakers: Vec<_> = (0..3).map(|_| counting_waker()).collect();
    let mut futures: Vec<_> = (0..3).map(|_| Box::pin(notify.notified())).collect();
    for (future, (_, waker)) in futures.iter_mut().zip(&wakers) {
        assert!(poll_with(future.as_mut(), waker).is_pending());
    }
    notify.notify_one();
    let counts: Vec<_> = wakers.iter().map(|(c, _)| c.count()).collect();
    assert_eq!(counts, [1, 0, 0]);
    assert_eq!(
        poll_with(futures[0].as_mut(), &wakers[0].1),
        Poll::Ready(())
    );
    assert!(poll_with(futures[1].as_mut(), &wakers[1].1).is_pending());
    notify.notify_one();
    assert_eq!(wakers[1].0.count(), 1, "then the next in line");
    assert!(!notify.state.borrow().has_permit(), "a waiter took it");
}

#[test]
fn a_permit_is_left_when_no_one_waits_and_permits_do_not_add_up() {
    let notify = Notify::new();
    let (_, waker) = counting_waker();
    notify.notify_one();
    notify.notify_one();
    assert_eq!(poll_with(pin!(notify.notified()), &waker), Poll::Ready(()));
    assert!(
        poll_with(pin!(notify.notified()), &waker).is_pending(),
        "one permit only"
    );
}

#[test]
fn notify_waiters_completes_futures_created_before_it_and_leaves_no_permit() {
    let notify = Notify::new();
    let (counter, waker) = counting_waker();
    let mut polled = pin!(notify.notified());
    assert!(poll_with(polled.as_mut(), &waker).is_pending());
    let mut never_polled = pin!(notify.notified());
    notify.notify_waiters();
    assert_eq!(counter.count(), 1);
    assert_eq!(poll_with(polled.as_mut(), &waker), Poll::Ready(()));
    assert_eq!(poll_with(never_polled.as_mut(), &waker), Poll::Ready(()));
    assert!(
        poll_with(pin!(notify.notified()), &waker).is_pending(),
        "no permit"
    );
    assert!(!notify.state.borrow().is_waiting());
}

#[test]
fn a_picked_future_dropped_before_it_completes_passes_the_notification_on() {
    let notify = Notify::new();
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    let mut a = Box::pin(notify.notified());
    let mut b = Box::pin(notify.notified());
    assert!(poll_with(a.as_mut(), &first_waker).is_pending());
    assert!(poll_with(b.as_mut(), &second_waker).is_pending());
    notify.notify_one();
    assert_eq!(first.count(), 1);
    drop(a); // e.g. the losing branch of a select!
    assert_eq!(second.count(), 1, "handed on to the next waiter");
    assert_eq!(poll_with(b.as_mut(), &second_waker), Poll::Ready(()));

    // With no one left to hand it to, it becomes the permit.
    let mut c = Box::pin(notify.notified());
    assert!(poll_with(c.as_mut(), &first_waker).is_pending());
    notify.notify_one();
    drop(c);
    assert!(notify.state.borrow().has_permit());
}

#[test]
fn a_dropped_waiting_future_leaves_nothing_behind() {
    let notify = Notify::new();
    let (counter, waker) = counting_waker();
    let mut waiting = Box::pin(notify.notified());
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    drop(waiting);
    assert!(!notify.state.borrow().is_waiting());
    notify.notify_one();
    assert_eq!(counter.count(), 0);
    assert!(notify.state.borrow().has_permit(), "no waiter: the permit");
}

#[test]
fn only_the_latest_waker_is_woken() {
    let notify = Notify::new();
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    let mut waiting = pin!(notify.notified());
    assert!(poll_with(waiting.as_mut(), &first_waker).is_pending());
    assert!(poll_with(waiting.as_mut(), &second_waker).is_pending());
    notify.notify_one();
    assert_eq!((first.count(), second.count()), (0, 1));
}

#[test]
fn a_completed_future_stays_ready_and_takes_nothing_more() {
    let notify = Notify::new();
    let (_, waker) = counting_waker();
    notify.notify_one();
    let mut notified = pin!(notify.notified());
    assert!(poll_with(notified.as_mut(), &waker).is_ready());
    notify.notify_one();
    assert!(poll_with(notified.as_mut(), &waker).is_ready(), "fused");
    assert!(notified.as_mut().enable());
    assert!(
        notify.state.borrow().has_permit(),
        "the second permit is left"
    );
}

#[test]
fn an_enabled_future_is_picked_by_notify_one_before_its_first_poll() {
    let notify = Notify::new();
    let (_, waker) = counting_waker();
    let mut enabled = pin!(notify.notified());
    assert!(!enabled.as_mut().enable());
    assert!(!enabled.as_mut().enable(), "enabling twice queues once");
    notify.notify_one();
    assert!(!notify.state.borrow().has_permit(), "picked, not left");
    assert!(enabled.as_mut().enable(), "it knows it was notified");
    assert!(
        poll_with(pin!(notify.notified()), &waker).is_pending(),
        "nothing for a later future"
    );
    assert_eq!(poll_with(enabled.as_mut(), &waker), Poll::Ready(()));
}

#[test]
fn enable_takes_a_left_permit_and_a_drop_before_completion_gives_it_back() {
    let notify = Notify::new();
    let (_, waker) = counting_waker();
    notify.notify_one();
    let mut enabled = Box::pin(notify.notified());
    assert!(enabled.as_mut().enable());
    assert!(!notify.state.borrow().has_permit(), "taken");
    drop(enabled);
    assert!(notify.state.borrow().has_permit(), "given back");
    assert_eq!(poll_with(pin!(notify.notified()), &waker), Poll::Ready(()));
}

#[test]
fn an_enabled_future_picked_then_dropped_passes_the_notification_on() {
    let notify = Notify::new();
    let (counter, waker) = counting_waker();
    let mut enabled = Box::pin(notify.notified());
    assert!(!enabled.as_mut().enable());
    let mut next = pin!(notify.notified());
    assert!(poll_with(next.as_mut(), &waker).is_pending());
    notify.notify_one(); // picks `enabled`, first in line
    assert_eq!(counter.count(), 0);
    drop(enabled);
    assert_eq!(counter.count(), 1, "passed on to the next in line");
    assert_eq!(poll_with(next.as_mut(), &waker), Poll::Ready(()));
}

#[test]
fn an_enabled_future_sees_notify_waiters_and_then_polls_ready() {
    let notify = Notify::new();
    let (_, waker) = counting_waker();
    let mut enabled = pin!(notify.notified());
    assert!(!enabled.as_mut().enable());
    notify.notify_waiters();
    assert!(enabled.as_mut().enable());
    assert!(!notify.state.borrow().is_waiting());
    assert_eq!(poll_with(enabled.as_mut(), &waker), Poll::Ready(()));
}

#[test]
fn notify_last_wakes_the_newest_waiter_only() {
    let notify = Notify::new();
    let wakers: Vec<_> = (0..3).map(|_| counting_waker()).collect();
    let mut futures: Vec<_> = (0..3).map(|_| Box::pin(notify.notified())).collect();
    for (future, (_, waker)) in futures.iter_mut().zip(&wakers) {
        assert!(poll_with(future.as_mut(), waker).is_pending());
    }
    notify.notify_last();
    let counts: Vec<_> = wakers.iter().map(|(c, _)| c.count()).collect();
    assert_eq!(counts, [0, 0, 1]);
    assert_eq!(
        poll_with(futures[2].as_mut(), &wakers[2].1),
        Poll::Ready(())
    );
    notify.notify_one();
    assert_eq!(wakers[0].0.count(), 1, "notify_one still takes the oldest");
    assert!(!notify.state.borrow().has_permit());
}

#[test]
fn notify_last_leaves_a_permit_when_no_one_waits() {
    let notify = Notify::new();
    let (_, waker) = counting_waker();
    notify.notify_last();
    assert!(notify.state.borrow().has_permit());
    assert_eq!(poll_with(pin!(notify.notified()), &waker), Poll::Ready(()));
}

#[test]
fn a_future_picked_by_notify_last_and_dropped_passes_it_to_the_newest_left() {
    let notify = Notify::new();
    let wakers: Vec<_> = (0..3).map(|_| counting_waker()).collect();
    let mut futures: Vec<_> = (0..3).map(|_| Some(Box::pin(notify.notified()))).collect();
    for (future, (_, waker)) in futures.iter_mut().zip(&wakers) {
        assert!(poll_with(future.as_mut().unwrap().as_mut(), waker).is_pending());
    }
    notify.notify_last();
    futures[2] = None; // dropped unfinished
    let counts: Vec<_> = wakers.iter().map(|(c, _)| c.count()).collect();
    assert_eq!(counts, [0, 1, 1], "handed on to the newest still waiting");
}

#[test]
fn an_enabled_future_picked_by_notify_last_and_dropped_passes_it_the_same_way() {
    let notify = Notify::new();
    let wakers: Vec<_> = (0..2).map(|_| counting_waker()).collect();
    let mut older = pin!(notify.notified());
    assert!(poll_with(older.as_mut(), &wakers[0].1).is_pending());
    let mut middle = pin!(notify.notified());
    assert!(poll_with(middle.as_mut(), &wakers[1].1).is_pending());
    let mut newest = Box::pin(notify.notified());
    assert!(!newest.as_mut().enable());
    notify.notify_last();
    assert!(newest.as_mut().enable(), "taken, not yet returned");
    drop(newest);
    assert_eq!((wakers[0].0.count(), wakers[1].0.count()), (0, 1));
}

#[test]
fn an_owned_future_waits_in_line_and_passes_a_pick_on_when_dropped() {
    let notify = std::rc::Rc::new(Notify::new());
    let (counter, waker) = counting_waker();
    let mut owned = Box::pin(notify.clone().notified_owned());
    assert!(!owned.as_mut().enable());
    let mut next = pin!(notify.notified());
    assert!(poll_with(next.as_mut(), &waker).is_pending());
    notify.notify_one(); // picks `owned`, first in line
    assert!(owned.as_mut().enable());
    drop(owned);
    assert_eq!(counter.count(), 1, "passed on");
    assert_eq!(poll_with(next.as_mut(), &waker), Poll::Ready(()));
    let owned = notify.clone().notified_owned();
    notify.notify_waiters();
    assert_eq!(poll_with(pin!(owned), &waker), Poll::Ready(()));
    assert_eq!(
        std::rc::Rc::strong_count(&notify),
        1,
        "the future's Rc is gone"
    );
}

#[test]
fn a_waker_whose_drop_notifies_again_does_not_trip_the_state_borrow() {
    use std::rc::Rc;

    let notify = Rc::new(Notify::new());
    let mut notified = Box::pin(notify.notified());
    let waker = crate::sync::test_util::drop_hook_waker({
        let notify = Rc::clone(&notify);
        move || {
            notify.notify_waiters();
            notify.notify_one();
        }
    });
    assert!(poll_with(notified.as_mut(), &waker).is_pending());
    drop(waker);
    // Waking the stored clone drops it, which calls back into the Notify.
    notify.notify_waiters();
    assert!(
        notified.as_mut().enable(),
        "the first notify_waiters completed it"
    );
    let mut later = Box::pin(notify.notified());
    assert!(
        later.as_mut().enable(),
        "the notify_one from the drop left a permit"
    );
}

/// A waker whose `clone` calls `notify_one` on the `Notify` it points to: code that a
/// waiting future must not run while it holds the state (tokio clones first, too).
macro_rules! waker_that_notifies_when_cloned {
    ($notify:ty, $ptr:ident) => {{
        use std::task::{RawWaker, RawWakerVTable, Waker};

        const VTABLE: &RawWakerVTable = &RawWakerVTable::new(clone, wake, wake, drop);
        unsafe fn clone(data: *const ()) -> RawWaker {
            // SAFETY: `data` came from `into_raw` of a `$ptr<$notify>` that this waker
            // (or a clone) keeps alive; the new waker counts one more reference.
            unsafe {
                $ptr::<$notify>::increment_strong_count(data.cast());
                (*data.cast::<$notify>()).notify_one();
            }
            RawWaker::new(data, VTABLE)
        }
        unsafe fn wake(_: *const ()) {}
        unsafe fn drop(data: *const ()) {
            // SAFETY: each waker owns one reference, from `into_raw` or `clone`.
            unsafe { $ptr::<$notify>::decrement_strong_count(data.cast()) };
        }
        |notify: &$ptr<$notify>| {
            let data = $ptr::into_raw($ptr::clone(notify)).cast::<()>();
            // SAFETY: the vtable's functions keep the contract for this `data`.
            unsafe { Waker::from_raw(RawWaker::new(data, VTABLE)) }
        }
    }};
}

#[test]
fn a_waker_whose_clone_notifies_is_cloned_outside_the_state() {
    use std::rc::Rc;

    let notify = Rc::new(Notify::new());
    let waker = waker_that_notifies_when_cloned!(Notify, Rc)(&notify);
    {
        let mut notified = pin!(notify.notified());
        // The clone's notify_one finds the state free; whether this poll sees it is not
        // the point.
        let _ = poll_with(notified.as_mut(), &waker);
    }
    drop(waker);
    assert_eq!(
        Rc::strong_count(&notify),
        1,
        "the clone's references are given back"
    );
}

#[test]
fn a_waker_whose_clone_notifies_is_cloned_outside_the_cross_thread_lock() {
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    use crate::sync::cross_thread::Notify;

    let (done, finished) = mpsc::channel();
    // On its own thread: a clone under the lock would deadlock it, not the test.
    std::thread::spawn(move || {
        let notify = Arc::new(Notify::new());
        let waker = waker_that_notifies_when_cloned!(Notify, Arc)(&notify);
        let mut notified = pin!(notify.notified());
        let _ = poll_with(notified.as_mut(), &waker);
        done.send(()).unwrap();
    });
    assert!(
        finished.recv_timeout(Duration::from_secs(5)).is_ok(),
        "the poll deadlocked: the waker was cloned with the Notify's lock held"
    );
}

/// A waker that counts its clones, in `CLONES`.
fn clone_counting_waker() -> std::task::Waker {
    use std::task::{RawWaker, RawWakerVTable, Waker};

    const VTABLE: &RawWakerVTable = &RawWakerVTable::new(clone, noop, noop, noop);
    unsafe fn clone(_: *const ()) -> RawWaker {
        CLONES.with(|clones| clones.set(clones.get() + 1));
        RawWaker::new(std::ptr::null(), VTABLE)
    }
    unsafe fn noop(_: *const ()) {}
    // SAFETY: the vtable's functions ignore the data pointer, so any value keeps the
    // contract.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), VTABLE)) }
}

thread_local! {
    static CLONES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Only the first poll clones the waker before taking the state; a poll that finds the
/// wait over, or the same waker stored, clones nothing.
#[test]
fn a_wait_clones_its_waker_once() {
    let notify = Notify::new();
    let waker = clone_counting_waker();
    let mut notified = pin!(notify.notified());
    assert!(poll_with(notified.as_mut(), &waker).is_pending());
    assert!(poll_with(notified.as_mut(), &waker).is_pending());
    notify.notify_one();
    assert_eq!(poll_with(notified.as_mut(), &waker), Poll::Ready(()));
    assert_eq!(CLONES.with(std::cell::Cell::get), 1);
}
