//! `cross_thread::SetOnce`: its `Send`/`Sync` bounds, and sets from other threads, polled by
//! hand.

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Poll, Waker};
use std::thread;

use super::SetOnce;
use crate::sync::SetOnceError;
use crate::sync::test_util::{assert_not_impl, counting_waker, poll_with};

#[test]
fn send_and_sync_exactly_where_tokio_s_cell_is() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<SetOnce<u8>>();
    sync::<SetOnce<u8>>();
    send::<SetOnce<Cell<u8>>>();
    assert_not_impl!(SetOnce<Cell<u8>>, Sync);
    assert_not_impl!(SetOnce<std::sync::MutexGuard<'static, u8>>, Sync);
    assert_not_impl!(SetOnce<Rc<u8>>, Send);
}

#[test]
fn its_wait_may_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let once = SetOnce::<String>::new();
    send(&once.wait());
}

#[test]
fn a_set_on_another_thread_wakes_every_waiter_once() {
    let once = SetOnce::new();
    let wakers: Vec<_> = (0..4).map(|_| counting_waker()).collect();
    let mut waits: Vec<_> = (0..4).map(|_| Box::pin(once.wait())).collect();
    for (wait, (_, waker)) in waits.iter_mut().zip(&wakers) {
        assert!(poll_with(wait.as_mut(), waker).is_pending());
    }
    assert_eq!(
        format!("{once:?}"),
        "cross_thread::SetOnce { value: <unset> }"
    );
    thread::scope(|s| s.spawn(|| once.set(9).unwrap()).join().unwrap());
    for (wait, (counter, waker)) in waits.iter_mut().zip(&wakers) {
        assert_eq!(counter.count(), 1, "woken once, by the set");
        assert_eq!(poll_with(wait.as_mut(), waker), Poll::Ready(&9));
    }
    assert_eq!(format!("{once:?}"), "cross_thread::SetOnce { value: 9 }");
}

#[test]
fn of_threads_that_set_at_once_exactly_one_stores_its_value() {
    const THREADS: usize = 8;
    let once = SetOnce::new();
    let stored = AtomicUsize::new(0);
    let start = std::sync::Barrier::new(THREADS);
    let winner = thread::scope(|s| {
        let setters: Vec<_> = (0..THREADS)
            .map(|n| {
                let (once, stored, start) = (&once, &stored, &start);
                s.spawn(move || {
                    start.wait();
                    match once.set(n) {
                        Ok(()) => {
                            stored.fetch_add(1, Ordering::SeqCst);
                            Some(n)
                        }
                        Err(SetOnceError(back)) => {
                            assert_eq!(back, n, "a failed set hands its own value back");
                            assert!(once.initialized(), "it failed because a value is there");
                            None
                        }
                    }
                })
            })
            .collect();
        let winners: Vec<_> = setters
            .into_iter()
            .filter_map(|s| s.join().unwrap())
            .collect();
        assert_eq!(winners.len(), 1);
        winners[0]
    });
    assert_eq!(stored.load(Ordering::SeqCst), 1);
    assert_eq!(once.into_inner(), Some(winner));
}

#[test]
fn a_wait_made_before_the_set_but_first_polled_after_it_finds_the_value() {
    let once = SetOnce::new();
    let mut wait = pin!(once.wait());
    thread::scope(|s| s.spawn(|| once.set("late")).join().unwrap()).unwrap();
    assert_eq!(
        poll_with(wait.as_mut(), Waker::noop()),
        Poll::Ready(&"late")
    );
    assert_eq!(once.clone(), SetOnce::from("late"));
    assert_ne!(once, SetOnce::default());
}
