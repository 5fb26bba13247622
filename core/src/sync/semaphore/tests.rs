use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use super::{Semaphore, TryAcquireError};
use crate::sync::test_util::{counting_waker, poll_with};

#[test]
fn waiters_are_served_in_order_and_a_large_request_is_not_starved() {
    let semaphore = Semaphore::new(0);
    let (big, big_waker) = counting_waker();
    let (small, small_waker) = counting_waker();
    let mut wants_two = Box::pin(semaphore.acquire_many(2));
    let mut wants_one = Box::pin(semaphore.acquire());
    assert!(poll_with(wants_two.as_mut(), &big_waker).is_pending());
    assert!(poll_with(wants_one.as_mut(), &small_waker).is_pending());
    semaphore.add_permits(1);
    assert_eq!(
        (big.count(), small.count()),
        (0, 0),
        "the first in line needs two"
    );
    assert!(
        poll_with(wants_one.as_mut(), &small_waker).is_pending(),
        "no overtaking"
    );
    semaphore.add_permits(1);
    assert_eq!((big.count(), small.count()), (1, 0));
    let Poll::Ready(Ok(two)) = poll_with(wants_two.as_mut(), &big_waker) else {
        panic!("the first waiter was handed its permits");
    };
    assert_eq!(two.num_permits(), 2);
    assert_eq!(semaphore.available_permits(), 0);
    drop(two);
    assert_eq!(small.count(), 1);
    assert!(matches!(
        poll_with(wants_one.as_mut(), &small_waker),
        Poll::Ready(Ok(_))
    ));
    assert_eq!(
        semaphore.available_permits(),
        2,
        "the one permit came back on drop"
    );
}

#[test]
fn try_acquire_does_not_jump_the_queue() {
    let semaphore = Semaphore::new(1);
    let (_, waker) = counting_waker();
    let mut waiting = Box::pin(semaphore.acquire_many(2));
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    assert_eq!(
        semaphore.try_acquire().unwrap_err(),
        TryAcquireError::NoPermits
    );
    assert!(poll_with(pin!(semaphore.acquire()), &waker).is_pending());
    drop(waiting);
    assert!(semaphore.try_acquire().is_ok(), "the queue is empty again");
}

#[test]
fn zero_permits_are_granted_at_once_even_behind_waiters() {
    // As in tokio: a request for nothing takes nothing from anyone, so it never waits.
    let semaphore = Semaphore::new(1);
    let (_, waker) = counting_waker();
    let mut waiting = Box::pin(semaphore.acquire_many(2));
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    let none = poll_with(pin!(semaphore.acquire_many(0)), &waker);
    assert!(matches!(none, Poll::Ready(Ok(ref permit)) if permit.num_permits() == 0));
    assert!(semaphore.try_acquire_many(0).is_ok());
    assert_eq!(semaphore.available_permits(), 1, "nothing was taken");
    semaphore.close();
    assert_eq!(
        semaphore.try_acquire_many(0).unwrap_err(),
        TryAcquireError::Closed
    );
}

#[test]
fn a_dropped_first_waiter_lets_the_next_one_through() {
    let semaphore = Semaphore::new(1);
    let (_, waker) = counting_waker();
    let (next, next_waker) = counting_waker();
    let mut first = Box::pin(semaphore.acquire_many(2));
    let mut second = Box::pin(semaphore.acquire());
    assert!(poll_with(first.as_mut(), &waker).is_pending());
    assert!(poll_with(second.as_mut(), &next_waker).is_pending());
    drop(first);
    assert_eq!(next.count(), 1);
    let Poll::Ready(Ok(_permit)) = poll_with(second.as_mut(), &next_waker) else {
        panic!("the second waiter was handed the free permit");
    };
    assert_eq!(semaphore.available_permits(), 0);
}

#[test]
fn permits_handed_to_a_waiter_dropped_before_it_saw_them_come_back() {
    let semaphore = Semaphore::new(0);
    let (_, waker) = counting_waker();
    let (next, next_waker) = counting_waker();
    let mut first = Box::pin(semaphore.acquire_many(2));
    let mut second = Box::pin(semaphore.acquire());
    assert!(poll_with(first.as_mut(), &waker).is_pending());
    assert!(poll_with(second.as_mut(), &next_waker).is_pending());
    semaphore.add_permits(2);
    assert_eq!(
        semaphore.available_permits(),
        0,
        "handed to the first waiter"
    );
    drop(first);
    assert_eq!(next.count(), 1, "the next waiter gets one of them");
    let Poll::Ready(Ok(_permit)) = poll_with(second.as_mut(), &next_waker) else {
        panic!("the second waiter was handed a permit");
    };
    assert_eq!(
        semaphore.available_permits(),
        1,
        "and the other is free again"
    );
}

#[test]
fn close_fails_the_waiters_and_later_acquires_but_held_permits_come_back() {
    let semaphore = Semaphore::new(1);
    let (counter, waker) = counting_waker();
    let held = semaphore.try_acquire().unwrap();
    let mut waiting = Box::pin(semaphore.acquire());
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    semaphore.close();
    assert_eq!(counter.count(), 1);
    assert!(matches!(
        poll_with(waiting.as_mut(), &waker),
        Poll::Ready(Err(_))
    ));
    assert!(matches!(
        poll_with(pin!(semaphore.acquire()), &waker),
        Poll::Ready(Err(_))
    ));
    assert_eq!(
        semaphore.try_acquire().unwrap_err(),
        TryAcquireError::Closed
    );
    drop(held);
    assert_eq!(semaphore.available_permits(), 1);
    assert!(semaphore.state.borrow().waiters.is_empty());
}

#[test]
fn only_the_latest_waker_is_woken() {
    let semaphore = Semaphore::new(0);
    let (first, first_waker) = counting_waker();
    let (second, second_waker) = counting_waker();
    let mut waiting = pin!(semaphore.acquire());
    assert!(poll_with(waiting.as_mut(), &first_waker).is_pending());
    assert!(poll_with(waiting.as_mut(), &second_waker).is_pending());
    semaphore.add_permits(1);
    assert_eq!((first.count(), second.count()), (0, 1));
}

#[test]
fn owned_permits_keep_the_semaphore_and_forget_removes_permits() {
    let semaphore = Rc::new(Semaphore::new(3));
    let owned = semaphore.clone().try_acquire_owned().unwrap();
    assert_eq!(Rc::strong_count(&semaphore), 2);
    drop(owned);
    assert_eq!(Rc::strong_count(&semaphore), 1);
    assert_eq!(semaphore.available_permits(), 3);
    semaphore.try_acquire_many(2).unwrap().forget();
    assert_eq!(semaphore.available_permits(), 1);
    assert_eq!(semaphore.forget_permits(5), 1);
    assert_eq!(semaphore.available_permits(), 0);
}

#[test]
#[should_panic(expected = "at most Semaphore::MAX_PERMITS permits")]
fn adding_too_many_permits_panics_with_a_clear_message() {
    let semaphore = Semaphore::new(Semaphore::MAX_PERMITS);
    semaphore.add_permits(1);
}
