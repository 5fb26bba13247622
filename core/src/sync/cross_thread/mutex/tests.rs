use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard};
use crate::sync::test_util::assert_not_impl;

/// Plain threads and a Core's tasks take turns on a value with no atomics of its own: a
/// lost update, or (under Miri) a data race, would show.
#[test]
fn threads_and_a_core_take_turns() {
    const EACH: u64 = if cfg!(miri) { 4 } else { 50 };
    let mutex = Arc::new(Mutex::new(0u64));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let mutex = Arc::clone(&mutex);
            std::thread::spawn(move || {
                for _ in 0..EACH {
                    let mut value = mutex.blocking_lock();
                    let seen = *value;
                    std::thread::yield_now();
                    *value = seen + 1;
                }
            })
        })
        .collect();
    let mut core = crate::Core::new().unwrap();
    core.run(async {
        for _ in 0..EACH {
            let mut value = Arc::clone(&mutex).lock_owned().await;
            let seen = *value;
            crate::yield_now().await;
            *value = seen + 1;
        }
    });
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(*mutex.try_lock().unwrap(), 3 * EACH);
}

/// A guard dropped on another thread unlocks the mutex for a task waiting on a Core.
#[test]
fn a_guard_dropped_on_another_thread_wakes_the_waiter() {
    let mutex = Arc::new(Mutex::new(String::new()));
    let mut held = Arc::clone(&mutex).try_lock_owned().unwrap();
    let mut core = crate::Core::new().unwrap();
    let text = core.run(async {
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            held.push_str("written elsewhere");
            drop(held);
        });
        let guard = crate::time::timeout(Duration::from_secs(10), mutex.lock())
            .await
            .expect("the guard dropped on the other thread wakes this task");
        thread.join().unwrap();
        guard.clone()
    });
    assert_eq!(text, "written elsewhere");
}

/// `try_lock` fails while the lock is held and while a task waits for it first.
#[test]
fn try_lock_respects_the_queue() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().unwrap();
    assert!(mutex.try_lock().is_err());
    let mut waiting = Box::pin(mutex.lock());
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    drop(guard);
    // Handed to the waiter, not to a late `try_lock`.
    assert!(mutex.try_lock().is_err());
    assert!(waiting.as_mut().poll(&mut cx).is_ready());
    drop(waiting);
    assert!(mutex.try_lock().is_ok());
    assert_eq!(format!("{mutex:?}"), "Mutex { data: 0 }");
}

#[test]
#[should_panic(expected = "Mutex::blocking_lock called on a thread running a Core")]
fn blocking_lock_on_a_core_panics() {
    let mutex = Mutex::new(0);
    crate::Core::new().unwrap().run(async {
        drop(mutex.blocking_lock());
    });
}

#[test]
fn guards_are_send_and_sync_as_tokio_s() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Mutex<Vec<u8>>>();
    send_sync::<MutexGuard<'static, Vec<u8>>>();
    send_sync::<OwnedMutexGuard<Vec<u8>>>();
    // `Cell` is `Send` but not `Sync`: the mutex makes it shareable, its guards are not.
    send_sync::<Mutex<std::cell::Cell<u8>>>();
    send::<MutexGuard<'static, std::cell::Cell<u8>>>();
    send::<OwnedMutexGuard<std::cell::Cell<u8>>>();
    send_sync::<MappedMutexGuard<'static, Vec<u8>>>();
    send::<MappedMutexGuard<'static, std::cell::Cell<u8>>>();
    assert_not_impl!(MappedMutexGuard<'static, std::cell::Cell<u8>>, Sync);
    assert_not_impl!(MappedMutexGuard<'static, std::rc::Rc<u8>>, Send);
    send_sync::<OwnedMappedMutexGuard<Vec<u8>, [u8]>>();
    send::<OwnedMappedMutexGuard<Vec<u8>, std::cell::Cell<u8>>>();
    assert_not_impl!(OwnedMappedMutexGuard<Vec<u8>, std::cell::Cell<u8>>, Sync);
    assert_not_impl!(OwnedMappedMutexGuard<std::cell::Cell<u8>, u8>, Sync);
    assert_not_impl!(OwnedMappedMutexGuard<Vec<u8>, std::rc::Rc<u8>>, Send);
    assert_not_impl!(OwnedMappedMutexGuard<std::rc::Rc<u8>, u8>, Send);
}

/// An owned guard narrowed by `map` moves to another thread and keeps the lock, and the
/// mutex, until it drops there; a panic inside `map` or a `try_map` that finds nothing
/// leaves the lock as it should be.
#[test]
fn an_owned_mapped_guard_holds_the_lock_until_it_drops_on_another_thread() {
    let mutex = Arc::new(Mutex::new((0u32, String::new())));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    let guard = OwnedMutexGuard::try_map(guard, |_| None::<&mut u8>).unwrap_err();
    let text = OwnedMutexGuard::map(guard, |pair| &mut pair.1);
    assert!(Arc::ptr_eq(OwnedMappedMutexGuard::mutex(&text), &mutex));
    let mut waiting = Box::pin(mutex.lock());
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    std::thread::spawn(move || {
        let mut first = OwnedMappedMutexGuard::map(text, |text| {
            text.push_str("mapped");
            &mut text[..1]
        });
        first.make_ascii_uppercase();
    })
    .join()
    .unwrap();
    let std::task::Poll::Ready(guard) = waiting.as_mut().poll(&mut cx) else {
        panic!("the mapped guard dropped on the other thread unlocked");
    };
    assert_eq!(guard.1, "Mapped");
    drop(guard);
    drop(waiting);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
        OwnedMutexGuard::map(guard, |_| -> &mut u32 { panic!("in map") })
    }));
    assert!(panicked.is_err());
    drop(panicked);
    assert!(mutex.try_lock().is_ok(), "unlocked by the panic");
    assert_eq!(
        Arc::strong_count(&mutex),
        1,
        "no guard keeps the mutex alive"
    );
}

/// A mapped guard keeps the lock until it drops, on whatever thread, and only then lets
/// the waiting task in; a panic inside `map` unlocks.
#[test]
fn a_mapped_guard_holds_the_lock_until_it_drops_on_another_thread() {
    let mutex = Mutex::new((0u32, String::new()));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut text = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    let mut waiting = Box::pin(mutex.lock());
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    std::thread::scope(|scope| {
        scope.spawn(move || {
            text.push_str("mapped");
            drop(text);
        });
    });
    let std::task::Poll::Ready(mut guard) = waiting.as_mut().poll(&mut cx) else {
        panic!("the mapped guard dropped on the other thread unlocked");
    };
    guard.0 = 1;
    drop(guard);
    drop(waiting);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        MutexGuard::map(mutex.try_lock().unwrap(), |_| -> &mut u32 {
            panic!("in map")
        })
    }));
    assert!(panicked.is_err());
    drop(panicked);
    let count = MutexGuard::try_map(mutex.try_lock().expect("unlocked by the panic"), |pair| {
        Some(&mut pair.0)
    });
    assert_eq!(*count.unwrap(), 1);
    assert_eq!(mutex.into_inner(), (1, String::from("mapped")));
}
