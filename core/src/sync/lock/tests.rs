//! Unit tests of the locks, polled by hand (no Core, no sockets): Miri runs them as they are.

use std::pin::pin;
use std::task::Poll;

use super::{RwLock, RwLockWriteGuard};
use crate::sync::test_util::{counting_waker, poll_with};

#[test]
fn a_downgraded_writer_keeps_a_waiting_writer_out_until_the_read_guard_drops() {
    let lock = RwLock::new(0);
    let mut writing = lock.try_write().unwrap();
    let (woken, waker) = counting_waker();
    let mut next_writer = pin!(lock.write());
    assert!(poll_with(next_writer.as_mut(), &waker).is_pending());
    *writing = 1;
    let reading = RwLockWriteGuard::downgrade(writing);
    assert_eq!(woken.count(), 0, "the waiting writer is not let in");
    assert!(poll_with(next_writer.as_mut(), &waker).is_pending());
    assert_eq!(*reading, 1);
    assert!(
        lock.try_read().is_err(),
        "a writer waits: new readers queue"
    );
    drop(reading);
    assert_eq!(woken.count(), 1);
    let Poll::Ready(writing) = poll_with(next_writer.as_mut(), &waker) else {
        panic!("the writer's turn came when the downgraded guard dropped");
    };
    assert_eq!(*writing, 1, "it sees what the first writer wrote");
}

#[test]
fn a_downgrade_lets_the_waiting_readers_in() {
    let lock = RwLock::new(String::from("old"));
    let mut writing = lock.try_write().unwrap();
    let (woken, waker) = counting_waker();
    let mut first = pin!(lock.read());
    let mut second = pin!(lock.read());
    assert!(poll_with(first.as_mut(), &waker).is_pending());
    assert!(poll_with(second.as_mut(), &waker).is_pending());
    writing.replace_range(.., "new");
    let reading = RwLockWriteGuard::downgrade(writing);
    assert_eq!(woken.count(), 2);
    let (Poll::Ready(first), Poll::Ready(second)) = (
        poll_with(first.as_mut(), &waker),
        poll_with(second.as_mut(), &waker),
    ) else {
        panic!("both readers get in beside the downgraded guard");
    };
    assert_eq!([&*reading, &*first, &*second], ["new"; 3]);
}
