//! Wake-ups of `SetOnce::wait`, polled by hand.

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use super::{SetOnce, SetOnceError};
use crate::sync::test_util::{counting_waker, drop_hook_waker, poll_with, wake_hook_waker};

#[test]
fn one_set_wakes_every_waiter_once_and_each_gets_the_value() {
    let once = SetOnce::new();
    let wakers: Vec<_> = (0..4).map(|_| counting_waker()).collect();
    let mut waits: Vec<_> = (0..4).map(|_| Box::pin(once.wait())).collect();
    for (wait, (_, waker)) in waits.iter_mut().zip(&wakers) {
        assert!(poll_with(wait.as_mut(), waker).is_pending());
        assert!(poll_with(wait.as_mut(), waker).is_pending(), "a re-poll");
    }
    assert_eq!(once.set(9), Ok(()));
    for (wait, (counter, waker)) in waits.iter_mut().zip(&wakers) {
        assert_eq!(counter.count(), 1, "woken once, by the set");
        assert_eq!(poll_with(wait.as_mut(), waker), Poll::Ready(&9));
    }
}

#[test]
fn a_wait_on_a_set_cell_completes_at_first_poll() {
    let once = SetOnce::new_with(Some(5));
    let (counter, waker) = counting_waker();
    assert_eq!(poll_with(pin!(once.wait()), &waker), Poll::Ready(&5));
    assert_eq!(counter.count(), 0);
}

#[test]
fn a_wait_dropped_while_pending_lets_go_of_its_waker_and_the_others_still_wake() {
    let once = SetOnce::new();
    let released = Rc::new(Cell::new(false));
    let mut dropped = Box::pin(once.wait());
    let waker = drop_hook_waker({
        let released = Rc::clone(&released);
        move || released.set(true)
    });
    assert!(poll_with(dropped.as_mut(), &waker).is_pending());
    drop(waker);
    assert!(!released.get(), "the pending wait holds its waker");
    let (counter, other_waker) = counting_waker();
    let mut other = pin!(once.wait());
    assert!(poll_with(other.as_mut(), &other_waker).is_pending());
    drop(dropped);
    assert!(released.get(), "dropping the wait dropped its waker");
    once.set(1).unwrap();
    assert_eq!(counter.count(), 1);
    assert_eq!(poll_with(other.as_mut(), &other_waker), Poll::Ready(&1));
}

#[test]
fn a_waiter_s_wake_up_finds_the_value_already_stored() {
    let once = Rc::new(SetOnce::new());
    let seen = Rc::new(Cell::new(None));
    let waker = wake_hook_waker({
        let (once, seen) = (Rc::clone(&once), Rc::clone(&seen));
        move || seen.set(Some(once.get().copied()))
    });
    let mut wait = pin!(once.wait());
    assert!(poll_with(wait.as_mut(), &waker).is_pending());
    once.set(3).unwrap();
    assert_eq!(seen.get(), Some(Some(3)));
}

#[test]
fn a_set_from_inside_a_wake_up_fails_and_keeps_the_first_value() {
    let once = Rc::new(SetOnce::new());
    let second = Rc::new(Cell::new(None));
    let waker = wake_hook_waker({
        let (once, second) = (Rc::clone(&once), Rc::clone(&second));
        move || second.set(Some(once.set(2)))
    });
    let mut wait = pin!(once.wait());
    assert!(poll_with(wait.as_mut(), &waker).is_pending());
    assert_eq!(once.set(1), Ok(()));
    assert_eq!(second.get(), Some(Err(SetOnceError(2))));
    assert_eq!(poll_with(wait.as_mut(), &waker), Poll::Ready(&1));
}

#[test]
fn a_second_set_hands_its_value_back_and_the_first_stays() {
    let once = SetOnce::new();
    once.set(String::from("first")).unwrap();
    let err = once.set(String::from("second")).unwrap_err();
    assert_eq!(err.0, "second");
    assert_eq!(once.get().map(String::as_str), Some("first"));
    assert_eq!(once.into_inner().as_deref(), Some("first"));
}

#[test]
fn clones_compare_and_format_by_value() {
    let empty = SetOnce::<u8>::default();
    assert_eq!(format!("{empty:?}"), "SetOnce { value: <unset> }");
    let full = SetOnce::from(4u8);
    assert_eq!(format!("{full:?}"), "SetOnce { value: 4 }");
    assert_ne!(empty, full);
    assert_eq!(full.clone(), full);
    assert_eq!(empty.clone(), empty);
    assert!(
        empty.clone().set(1).is_ok(),
        "a clone of an empty cell is settable"
    );
    assert!(!empty.initialized(), "...and independent of the original");
}
