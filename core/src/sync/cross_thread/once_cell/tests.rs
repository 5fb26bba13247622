//! `cross_thread::OnceCell`: its `Send`/`Sync` bounds, and hand-offs between threads,
//! polled by hand.

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use std::thread;

use super::OnceCell;
use crate::sync::SetError;
use crate::sync::test_util::{assert_not_impl, counting_waker, poll_with};

/// An initializer that stays pending until `go` is set, then returns `value`.
fn gated(go: &AtomicBool, value: u32) -> impl Future<Output = u32> + '_ {
    poll_fn(move |_| {
        if go.load(Ordering::SeqCst) {
            Poll::Ready(value)
        } else {
            Poll::Pending
        }
    })
}

#[test]
fn send_and_sync_exactly_where_tokio_s_cell_is() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<OnceCell<u8>>();
    sync::<OnceCell<u8>>();
    // `Send` but not `Sync`: a shared cell would hand `&Cell` to several threads.
    send::<OnceCell<Cell<u8>>>();
    assert_not_impl!(OnceCell<Cell<u8>>, Sync);
    // `Sync` but not `Send`: a shared cell's `set` would move the value to another thread.
    assert_not_impl!(OnceCell<std::sync::MutexGuard<'static, u8>>, Sync);
    assert_not_impl!(OnceCell<Rc<u8>>, Send);
}

#[test]
fn its_futures_may_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let cell = OnceCell::<String>::new();
    send(&cell.get_or_init(|| async { String::new() }));
    send(&cell.get_or_try_init(|| async { Ok::<_, ()>(String::new()) }));
}

/// A waker that records whether the cell held its value when it was woken.
struct Records {
    cell: Arc<OnceCell<u32>>,
    saw: Mutex<Option<Option<u32>>>,
}

impl Wake for Records {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.saw.lock().unwrap() = Some(self.cell.get().copied());
    }
}

#[test]
fn a_waiter_woken_by_a_store_on_another_thread_finds_the_value() {
    let cell = Arc::new(OnceCell::new());
    let go = AtomicBool::new(false);
    let records = Arc::new(Records {
        cell: Arc::clone(&cell),
        saw: Mutex::new(None),
    });
    let waker = Waker::from(Arc::clone(&records));
    thread::scope(|s| {
        let mut second = pin!(cell.get_or_init(|| async { unreachable!("the first stored") }));
        let (first_polled_tx, first_polled_rx) = std::sync::mpsc::channel();
        let (cell, go) = (&cell, &go);
        let first = s.spawn(move || {
            let mut first = pin!(cell.get_or_init(|| gated(go, 7)));
            assert!(poll_with(first.as_mut(), Waker::noop()).is_pending());
            first_polled_tx.send(()).unwrap();
            // The test sets `go` once the second waits: polls until then.
            loop {
                if let Poll::Ready(value) = poll_with(first.as_mut(), Waker::noop()) {
                    return *value;
                }
                thread::yield_now();
            }
        });
        first_polled_rx.recv().unwrap();
        assert!(poll_with(second.as_mut(), &waker).is_pending());
        assert_eq!(
            cell.set(1),
            Err(SetError::InitializingError(1)),
            "the other thread's initializer runs"
        );
        go.store(true, Ordering::SeqCst);
        assert_eq!(first.join().unwrap(), 7);
        assert_eq!(
            *records.saw.lock().unwrap(),
            Some(Some(7)),
            "woken after the store"
        );
        assert_eq!(poll_with(second.as_mut(), &waker), Poll::Ready(&7));
    });
}

#[test]
fn an_initializer_dropped_on_one_thread_hands_the_turn_to_a_waiter_on_another() {
    let cell = OnceCell::new();
    let (counter, waker) = counting_waker();
    let mut waiting = pin!(cell.get_or_init(|| async { 2 }));
    let (holds_tx, holds_rx) = std::sync::mpsc::channel();
    let (drop_tx, drop_rx) = std::sync::mpsc::channel::<()>();
    thread::scope(|s| {
        let cell = &cell;
        s.spawn(move || {
            let mut first = pin!(cell.get_or_init(std::future::pending));
            assert!(poll_with(first.as_mut(), Waker::noop()).is_pending());
            holds_tx.send(()).unwrap();
            drop_rx.recv().unwrap();
            // `first` drops here, with its permit.
        });
        holds_rx.recv().unwrap();
        assert!(poll_with(waiting.as_mut(), &waker).is_pending());
        assert_eq!(
            format!("{cell:?}"),
            "cross_thread::OnceCell { value: <initializing> }"
        );
        drop_tx.send(()).unwrap();
    });
    assert_eq!(counter.count(), 1, "the dropped permit woke the waiter");
    assert_eq!(poll_with(waiting.as_mut(), &waker), Poll::Ready(&2));
    assert_eq!(format!("{cell:?}"), "cross_thread::OnceCell { value: 2 }");
}

#[test]
fn debug_names_each_state() {
    let cell = OnceCell::<u32>::new();
    assert_eq!(
        format!("{cell:?}"),
        "cross_thread::OnceCell { value: <uninitialized> }"
    );
    let mut init = pin!(cell.get_or_init(std::future::pending));
    assert!(poll_with(init.as_mut(), Waker::noop()).is_pending());
    assert_eq!(
        format!("{cell:?}"),
        "cross_thread::OnceCell { value: <initializing> }"
    );
}

#[test]
fn take_resets_the_cell_for_a_new_initializer_and_clone_copies_only_the_value() {
    let mut cell = OnceCell::from(1);
    assert_eq!(cell.clone(), OnceCell::new_with(Some(1)));
    assert_eq!(cell.take(), Some(1));
    assert_eq!(cell, OnceCell::default());
    {
        let init = pin!(cell.get_or_init(|| async { 3 }));
        assert_eq!(poll_with(init, Waker::noop()), Poll::Ready(&3));
    }
    assert_eq!(cell.into_inner(), Some(3));
}
