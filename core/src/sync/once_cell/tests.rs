//! Wake-ups and hand-offs of `OnceCell`, polled by hand.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use super::OnceCell;
use crate::sync::test_util::{counting_waker, poll_with, wake_hook_waker};

/// An initializer that stays pending until `go` is set, then returns `value`.
fn gated(go: &Rc<Cell<bool>>, value: u32) -> impl Future<Output = u32> + use<> {
    let go = Rc::clone(go);
    poll_fn(move |_| {
        if go.get() {
            Poll::Ready(value)
        } else {
            Poll::Pending
        }
    })
}

#[test]
fn a_waiter_s_wake_up_finds_the_value_already_stored() {
    let cell = Rc::new(OnceCell::new());
    let go = Rc::new(Cell::new(false));
    let seen = Rc::new(Cell::new(None));
    let mut first = pin!(cell.get_or_init(|| gated(&go, 7)));
    assert!(poll_with(first.as_mut(), Waker::noop()).is_pending());
    let mut second = pin!(cell.get_or_init(|| async { unreachable!("the first one stored") }));
    let waker = wake_hook_waker({
        let (cell, seen) = (Rc::clone(&cell), Rc::clone(&seen));
        move || seen.set(Some(cell.get().copied()))
    });
    assert!(poll_with(second.as_mut(), &waker).is_pending());
    go.set(true);
    assert_eq!(poll_with(first.as_mut(), Waker::noop()), Poll::Ready(&7));
    assert_eq!(
        seen.get(),
        Some(Some(7)),
        "woken once the value was in place"
    );
    assert_eq!(poll_with(second.as_mut(), &waker), Poll::Ready(&7));
}

#[test]
fn a_turn_handed_to_a_waiter_that_is_dropped_unpolled_passes_to_the_next() {
    let cell = OnceCell::new();
    let go = Rc::new(Cell::new(false));
    let mut first = Box::pin(cell.get_or_init(|| gated(&go, 1)));
    assert!(poll_with(first.as_mut(), Waker::noop()).is_pending());
    let (second_woken, second_waker) = counting_waker();
    let mut second = Box::pin(cell.get_or_init(|| gated(&go, 2)));
    assert!(poll_with(second.as_mut(), &second_waker).is_pending());
    let (third_woken, third_waker) = counting_waker();
    let mut third = pin!(cell.get_or_init(|| gated(&go, 3)));
    assert!(poll_with(third.as_mut(), &third_waker).is_pending());

    drop(first); // its initializer is cancelled: the turn goes to the second
    assert_eq!((second_woken.count(), third_woken.count()), (1, 0));
    assert!(format!("{cell:?}").contains("<initializing>"));
    drop(second); // handed the turn, but gone before it ran its initializer
    assert_eq!(third_woken.count(), 1);
    go.set(true);
    assert_eq!(poll_with(third.as_mut(), &third_waker), Poll::Ready(&3));
}

#[test]
fn a_waiter_sleeps_while_the_initializer_runs() {
    let cell = OnceCell::new();
    let go = Rc::new(Cell::new(false));
    let mut first = pin!(cell.get_or_init(|| gated(&go, 1)));
    assert!(poll_with(first.as_mut(), Waker::noop()).is_pending());
    let (woken, waker) = counting_waker();
    let mut second = pin!(cell.get_or_init(|| async { 2 }));
    for _ in 0..3 {
        assert!(poll_with(second.as_mut(), &waker).is_pending());
    }
    assert_eq!(woken.count(), 0, "no wake-up before the value is stored");
    go.set(true);
    assert!(poll_with(first.as_mut(), Waker::noop()).is_ready());
    assert_eq!(woken.count(), 1);
    assert_eq!(poll_with(second.as_mut(), &waker), Poll::Ready(&1));
}
