use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
use crate::sync::test_util::assert_not_impl;

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
    assert_eq!(format!("{lock:?}"), "RwLock { data: 1 }");
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
fn types_are_send_and_sync_as_tokio_s() {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::sync::MutexGuard as StdGuard; // `Sync` but not `Send`
    fn send_sync<T: Send + Sync + ?Sized>() {}
    fn send<T: Send + ?Sized>() {}
    send_sync::<RwLock<Vec<u8>>>();
    send_sync::<RwLockReadGuard<'static, Vec<u8>>>();
    send_sync::<RwLockWriteGuard<'static, Vec<u8>>>();
    send_sync::<RwLockMappedWriteGuard<'static, [u8]>>();
    send_sync::<OwnedRwLockReadGuard<Vec<u8>>>();
    send_sync::<OwnedRwLockReadGuard<Vec<u8>, [u8]>>();
    send_sync::<OwnedRwLockWriteGuard<Vec<u8>>>();
    send_sync::<OwnedRwLockMappedWriteGuard<Vec<u8>, [u8]>>();
    // A read guard only lends `&T` out: it moves to another thread for a `T: Sync`.
    send::<RwLockReadGuard<'static, StdGuard<'static, u8>>>();
    send::<OwnedRwLockReadGuard<Vec<u8>, StdGuard<'static, u8>>>();
    assert_not_impl!(RwLockReadGuard<'static, StdGuard<'static, u8>>, Sync);
    assert_not_impl!(RwLockReadGuard<'static, Cell<u8>>, Send);
    assert_not_impl!(OwnedRwLockReadGuard<Vec<u8>, Cell<u8>>, Send);
    assert_not_impl!(OwnedRwLockReadGuard<Cell<u8>, u8>, Send);
    assert_not_impl!(OwnedRwLockReadGuard<StdGuard<'static, u8>, u8>, Send);
    // A write guard asks `T: Send + Sync`, mapped or not.
    assert_not_impl!(RwLockWriteGuard<'static, Cell<u8>>, Send);
    assert_not_impl!(RwLockMappedWriteGuard<'static, Cell<u8>>, Send);
    assert_not_impl!(RwLockMappedWriteGuard<'static, StdGuard<'static, u8>>, Sync);
    assert_not_impl!(OwnedRwLockMappedWriteGuard<Vec<u8>, Cell<u8>>, Send);
    assert_not_impl!(OwnedRwLockMappedWriteGuard<Vec<u8>, Rc<u8>>, Sync);
    assert_not_impl!(OwnedRwLockMappedWriteGuard<Cell<u8>, u8>, Sync);
    assert_not_impl!(OwnedRwLockWriteGuard<Cell<u8>>, Send);
}

/// A writer narrowed and downgraded at once lets in the reader queued before the next
/// writer, and that writer waits for both; one that finds nothing stays a writer.
#[test]
fn downgrade_map_lets_queued_readers_in_and_keeps_writers_out() {
    let lock = RwLock::new((0, String::from("name")));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut writing = lock.try_write().unwrap();
    let mut reader = Box::pin(lock.read());
    assert!(reader.as_mut().poll(&mut cx).is_pending());
    let mut writer = Box::pin(lock.write());
    assert!(writer.as_mut().poll(&mut cx).is_pending());
    writing.0 = 1;
    let writing = RwLockWriteGuard::try_downgrade_map(writing, |_| None::<&u8>).unwrap_err();
    assert!(reader.as_mut().poll(&mut cx).is_pending(), "still a writer");
    let count = RwLockWriteGuard::downgrade_map(writing, |pair| &pair.0);
    let std::task::Poll::Ready(other) = reader.as_mut().poll(&mut cx) else {
        panic!("the reader queued before the writer gets in");
    };
    assert_eq!((*count, &*other.1), (1, "name"));
    let name = RwLockReadGuard::map(other, |pair| pair.1.as_str());
    assert!(writer.as_mut().poll(&mut cx).is_pending());
    drop(count);
    assert!(
        writer.as_mut().poll(&mut cx).is_pending(),
        "one reader is left"
    );
    std::thread::scope(|scope| {
        scope.spawn(move || assert_eq!(&*name, "name"));
    });
    assert!(writer.as_mut().poll(&mut cx).is_ready());
}

/// The owned guards, mapped every way, give back each permit once: after each, a writer
/// gets in and the count is whole again; a panic inside `map` unlocks too.
#[test]
fn owned_mapped_guards_give_every_permit_back_once() {
    let lock = Arc::new(RwLock::with_max_readers((1u8, vec![2u8]), 3));
    let whole = |lock: &Arc<RwLock<(u8, Vec<u8>)>>| {
        assert!(lock.try_write().is_ok());
        assert_eq!(lock.semaphore.available_permits(), 3);
    };
    let writing = Arc::clone(&lock).try_write_owned().unwrap();
    let writing = OwnedRwLockWriteGuard::try_map(writing, |_| None::<&mut u8>).unwrap_err();
    let mut list = OwnedRwLockWriteGuard::map(writing, |pair| &mut pair.1);
    assert!(Arc::ptr_eq(
        OwnedRwLockMappedWriteGuard::rwlock(&list),
        &lock
    ));
    assert!(lock.try_read().is_err());
    list.push(3);
    let list = OwnedRwLockMappedWriteGuard::try_map(list, |v| v.get_mut(9)).unwrap_err();
    let mut last = OwnedRwLockMappedWriteGuard::map(list, |v| &mut v[1]);
    std::thread::spawn(move || *last = 4).join().unwrap();
    whole(&lock);

    let writing = Arc::clone(&lock).try_write_owned().unwrap();
    let first = OwnedRwLockWriteGuard::downgrade_map(writing, |pair| &pair.0);
    let others = [lock.try_read().unwrap(), lock.try_read().unwrap()];
    assert!(lock.try_read().is_err(), "three readers at most");
    assert!(Arc::ptr_eq(OwnedRwLockReadGuard::rwlock(&first), &lock));
    assert_eq!(*first, 1);
    drop((first, others));
    whole(&lock);

    let writing = Arc::clone(&lock).try_write_owned().unwrap();
    let list = OwnedRwLockWriteGuard::try_downgrade_map(writing, |pair| pair.1.get(5));
    let list = OwnedRwLockWriteGuard::try_downgrade_map(list.unwrap_err(), |pair| pair.1.get(1));
    assert_eq!(*list.unwrap(), 4);
    whole(&lock);

    let writing = OwnedRwLockWriteGuard::into_mapped(Arc::clone(&lock).try_write_owned().unwrap());
    assert!(lock.try_read().is_err());
    drop(writing);
    let reading = Arc::clone(&lock).try_read_owned().unwrap();
    let reading = OwnedRwLockReadGuard::try_map(reading, |pair| pair.1.get(7)).unwrap_err();
    let reading = OwnedRwLockReadGuard::map(reading, |pair| pair.1.as_slice());
    assert_eq!(std::thread::spawn(move || reading.len()).join().unwrap(), 2);
    whole(&lock);

    for write in [true, false] {
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if write {
                let writing = Arc::clone(&lock).try_write_owned().unwrap();
                drop(OwnedRwLockWriteGuard::map(writing, |_| -> &mut u8 {
                    panic!("in map")
                }));
            } else {
                let writing = lock.try_write().unwrap();
                drop(RwLockWriteGuard::downgrade_map(writing, |_| -> &u8 {
                    panic!("in map")
                }));
            }
        }));
        assert!(panicked.is_err());
        whole(&lock);
    }
    assert_eq!(Arc::strong_count(&lock), 1, "no guard keeps the lock alive");
    assert_eq!(Arc::into_inner(lock).unwrap().into_inner(), (1, vec![2, 4]));
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
