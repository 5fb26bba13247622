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
    assert_eq!(
        semaphore.available_permits(),
        0,
        "the free one is the waiter's, as in tokio"
    );
    drop(waiting);
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
    assert!(!semaphore.state.borrow().has_waiters());
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

#[test]
fn a_merged_permit_gives_everything_back_at_once_to_a_large_waiter() {
    let semaphore = Semaphore::new(3);
    let (woken, waker) = counting_waker();
    let mut permit = semaphore.try_acquire().unwrap();
    permit.merge(semaphore.try_acquire_many(2).unwrap());
    let mut wants_three = pin!(semaphore.acquire_many(3));
    assert!(poll_with(wants_three.as_mut(), &waker).is_pending());
    assert_eq!(woken.count(), 0, "merging gave nothing back");
    drop(permit);
    assert_eq!(woken.count(), 1);
    assert!(matches!(
        poll_with(wants_three.as_mut(), &waker),
        Poll::Ready(Ok(p)) if p.num_permits() == 3
    ));
}

#[test]
fn a_split_permit_gives_back_its_part_alone() {
    let semaphore = Semaphore::new(4);
    let mut permit = semaphore.try_acquire_many(4).unwrap();
    assert!(permit.split(5).is_none());
    assert!(permit.split(usize::MAX).is_none(), "more than a u32");
    assert_eq!(permit.num_permits(), 4, "a failed split keeps everything");
    let part = permit.split(3).unwrap();
    drop(part);
    assert_eq!(semaphore.available_permits(), 3);
    assert_eq!(permit.split(0).unwrap().num_permits(), 0);
    drop(permit);
    assert_eq!(semaphore.available_permits(), 4);
}

#[test]
fn owned_permits_merge_and_split_keeping_one_rc_each() {
    let semaphore = Rc::new(Semaphore::new(4));
    let mut permit = semaphore.clone().try_acquire_many_owned(2).unwrap();
    permit.merge(semaphore.clone().try_acquire_many_owned(2).unwrap());
    assert_eq!(
        Rc::strong_count(&semaphore),
        2,
        "the merged one let its Rc go"
    );
    assert_eq!(semaphore.available_permits(), 0);
    let part = permit.split(1).unwrap();
    assert!(Rc::ptr_eq(part.semaphore(), &semaphore));
    assert!(permit.split(4).is_none());
    drop(permit);
    assert_eq!(semaphore.available_permits(), 3);
    drop(part);
    assert_eq!(semaphore.available_permits(), 4);
    assert_eq!(Rc::strong_count(&semaphore), 1);
}

#[test]
#[should_panic(expected = "the permits come from different semaphores")]
fn merging_permits_of_two_semaphores_panics() {
    let (first, second) = (Semaphore::new(1), Semaphore::new(1));
    let mut permit = first.try_acquire().unwrap();
    permit.merge(second.try_acquire().unwrap());
}

#[test]
#[should_panic(expected = "the permits come from different semaphores")]
fn merging_owned_permits_of_two_semaphores_panics() {
    let (first, second) = (Rc::new(Semaphore::new(1)), Rc::new(Semaphore::new(1)));
    let mut permit = first.try_acquire_owned().unwrap();
    permit.merge(second.try_acquire_owned().unwrap());
}

#[test]
fn try_acquire_many_owned_does_not_overtake_a_waiter_and_fails_once_closed() {
    let semaphore = Rc::new(Semaphore::new(1));
    let (_, waker) = counting_waker();
    let mut wants_two = pin!(semaphore.acquire_many(2));
    assert!(poll_with(wants_two.as_mut(), &waker).is_pending());
    assert_eq!(
        semaphore.clone().try_acquire_many_owned(1).unwrap_err(),
        TryAcquireError::NoPermits,
        "a task waits in front"
    );
    semaphore.close();
    assert_eq!(
        semaphore.clone().try_acquire_many_owned(0).unwrap_err(),
        TryAcquireError::Closed
    );
}

/// An acquire held back by a spent budget wakes its task only once it has let go of the
/// state: a waker that looks at the semaphore (or drops a permit) finds it free.
#[test]
fn an_acquire_held_back_by_the_budget_wakes_its_task_outside_the_state() {
    let semaphore = Rc::new(Semaphore::new(1));
    let free_at_wake = Rc::new(std::cell::Cell::new(None));
    let waker = crate::sync::test_util::wake_hook_waker({
        let (semaphore, free_at_wake) = (semaphore.clone(), free_at_wake.clone());
        move || free_at_wake.set(Some(semaphore.state.try_borrow_mut().is_ok()))
    });
    let budget = crate::coop::left();
    crate::coop::restore(0);
    let poll = poll_with(pin!(semaphore.acquire()), &waker);
    crate::coop::restore(budget);
    assert!(poll.is_pending(), "no budget left");
    assert_eq!(
        free_at_wake.get(),
        Some(true),
        "woken, with the state released"
    );
    assert_eq!(semaphore.available_permits(), 1, "the permit stays free");
}

#[test]
fn permits_gathered_for_a_waiter_are_neither_available_nor_forgettable() {
    // As in tokio, whose release hands them to the oldest waiter as they come back.
    let semaphore = Semaphore::new(0);
    let (_, waker) = counting_waker();
    let mut waiting = pin!(semaphore.acquire_many(2));
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    semaphore.add_permits(1);
    assert!(
        semaphore.try_acquire().is_err(),
        "the permit is the waiter's"
    );
    assert_eq!(semaphore.available_permits(), 0);
    assert_eq!(semaphore.forget_permits(1), 0);
    semaphore.add_permits(1);
    let acquired = poll_with(waiting.as_mut(), &waker);
    assert!(matches!(acquired, Poll::Ready(Ok(ref permit)) if permit.num_permits() == 2));
}

#[test]
#[should_panic(expected = "Acquire future polled after completion")]
fn acquire_polled_after_completion_panics() {
    let semaphore = Semaphore::new(2);
    let (_, waker) = counting_waker();
    let mut acquire = pin!(semaphore.acquire());
    let Poll::Ready(Ok(_permit)) = poll_with(acquire.as_mut(), &waker) else {
        panic!("a permit is free");
    };
    // Not a second permit, as tokio's `async fn` would not give one either.
    let _ = poll_with(acquire.as_mut(), &waker);
}
