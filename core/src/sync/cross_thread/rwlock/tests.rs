use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

/// Writers on plain threads and readers on Cores: a reader never sees a half-written pair,
/// and every write lands. Under Miri, a data race would show.
#[test]
fn readers_never_see_a_write_in_progress() {
    const WRITES: u64 = if cfg!(miri) { 4 } else { 100 };
    let lock = Arc::new(RwLock::new((0u64, 0u64)));
    let reads = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let lock = Arc::clone(&lock);
            std::thread::spawn(move || {
                for _ in 0..WRITES {
                    let mut pair = lock.blocking_write();
                    pair.0 += 1;
                    std::thread::yield_now();
                    pair.1 += 1;
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (lock, reads) = (Arc::clone(&lock), Arc::clone(&reads));
            std::thread::spawn(move || {
                crate::Core::new().unwrap().run(async move {
                    for _ in 0..WRITES {
                        let pair = lock.read().await;
                        assert_eq!(pair.0, pair.1, "a read saw half a write");
                        crate::yield_now().await; // held across an .await
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
        })
        .collect();
    writers.into_iter().for_each(|t| t.join().unwrap());
    readers.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(*lock.try_read().unwrap(), (2 * WRITES, 2 * WRITES));
    assert_eq!(reads.load(Ordering::Relaxed), 2 * WRITES as usize);
}

/// Readers share the lock; a writer waits for them, and a reader that comes after the
/// writer waits behind it (no writer starvation).
#[test]
fn a_waiting_writer_holds_off_later_readers() {
    let lock = RwLock::new(0);
    let first = lock.try_read().unwrap();
    let second = lock.try_read().unwrap();
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut writing = Box::pin(lock.write());
    assert!(writing.as_mut().poll(&mut cx).is_pending());
    assert!(lock.try_read().is_err(), "a writer waits first");
    drop((first, second));
    match writing.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(mut guard) => *guard = 1,
        std::task::Poll::Pending => panic!("the readers left: the writer's turn"),
    }
    drop(writing);
    assert_eq!(*lock.try_read().unwrap(), 1);
    assert_eq!(format!("{lock:?}"), "RwLock { value: 1 }");
}

/// A write guard dropped on another thread lets a reader on a Core in.
#[test]
fn a_write_guard_dropped_elsewhere_wakes_a_reader() {
    let lock = Arc::new(RwLock::new(0));
    let mut writing = Arc::clone(&lock).try_write_owned().unwrap();
    let mut core = crate::Core::new().unwrap();
    let seen = core.run(async {
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            *writing = 7;
        });
        let seen = *crate::time::timeout(Duration::from_secs(10), lock.read())
            .await
            .expect("the guard dropped on the other thread wakes this task");
        thread.join().unwrap();
        seen
    });
    assert_eq!(seen, 7);
}

#[test]
#[should_panic(expected = "RwLock::blocking_write called on a thread running a Core")]
fn blocking_write_on_a_core_panics() {
    let lock = RwLock::new(0);
    crate::Core::new().unwrap().run(async {
        drop(lock.blocking_write());
    });
}

#[test]
#[should_panic(expected = "max_reads may not be 0")]
fn zero_readers_is_refused() {
    let _ = RwLock::with_max_readers((), 0);
}

#[test]
fn types_are_send_and_sync_for_send_and_sync_values() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<RwLock<Vec<u8>>>();
    send_sync::<RwLockReadGuard<'static, Vec<u8>>>();
    send_sync::<RwLockWriteGuard<'static, Vec<u8>>>();
    send_sync::<OwnedRwLockReadGuard<Vec<u8>>>();
    send_sync::<OwnedRwLockWriteGuard<Vec<u8>>>();
}

/// A downgraded writer lets in the reader queued before the next writer, with what it
/// wrote, and that writer waits for both readers.
#[test]
fn downgrade_lets_queued_readers_in_and_keeps_writers_out() {
    let lock = RwLock::new(0);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut writing = lock.try_write().unwrap();
    let mut reader = Box::pin(lock.read());
    assert!(reader.as_mut().poll(&mut cx).is_pending());
    let mut writer = Box::pin(lock.write());
    assert!(writer.as_mut().poll(&mut cx).is_pending());
    *writing = 1;
    let reading = writing.downgrade();
    let std::task::Poll::Ready(other) = reader.as_mut().poll(&mut cx) else {
        panic!("the reader queued before the writer gets in");
    };
    assert_eq!((*reading, *other), (1, 1));
    assert!(writer.as_mut().poll(&mut cx).is_pending());
    drop(reading);
    assert!(
        writer.as_mut().poll(&mut cx).is_pending(),
        "one reader is left"
    );
    drop(other);
    assert!(writer.as_mut().poll(&mut cx).is_ready());
}

/// An owned write guard downgraded gives back its permits once, through its reader.
#[test]
fn an_owned_downgrade_gives_every_permit_back_once() {
    let lock = Arc::new(RwLock::with_max_readers(0, 3));
    let writing = Arc::clone(&lock).try_write_owned().unwrap();
    let reading = writing.downgrade();
    let others = [lock.try_read().unwrap(), lock.try_read().unwrap()];
    assert!(lock.try_read().is_err(), "three readers at most");
    drop((reading, others));
    let again = lock.try_write().unwrap();
    assert!(lock.try_read().is_err());
    drop(again);
    assert_eq!(lock.semaphore.available_permits(), 3);
}
