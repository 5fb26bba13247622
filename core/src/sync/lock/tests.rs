//! Unit tests of the locks, polled by hand (no Core, no sockets): Miri runs them as they are.

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use super::{
    Mutex, OwnedMappedMutexGuard, OwnedMutexGuard, OwnedRwLockMappedWriteGuard,
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use crate::sync::test_util::{DropCounter, counting_waker, poll_with};

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

#[test]
fn an_owned_mutex_guard_keeps_the_next_locker_waiting_until_it_drops() {
    let mutex = Rc::new(Mutex::new(vec![1]));
    let mut guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    let (woken, waker) = counting_waker();
    let mut next = pin!(Rc::clone(&mutex).lock_owned());
    assert!(poll_with(next.as_mut(), &waker).is_pending());
    assert!(
        mutex.try_lock().is_err(),
        "the borrowed kind is kept out too"
    );
    guard.push(2);
    assert_eq!(woken.count(), 0);
    drop(guard);
    assert_eq!(woken.count(), 1);
    let Poll::Ready(mut next) = poll_with(next.as_mut(), &waker) else {
        panic!("the next locker's turn came when the guard dropped");
    };
    next.push(3);
    assert!(Rc::ptr_eq(OwnedMutexGuard::mutex(&next), &mutex));
    drop(next);
    assert_eq!(*mutex.try_lock().unwrap(), [1, 2, 3]);
}

#[test]
fn a_dropped_lock_owned_gives_up_its_place_in_line() {
    let mutex = Rc::new(Mutex::new(0));
    let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    let (_, waker) = counting_waker();
    {
        let mut given_up = Box::pin(Rc::clone(&mutex).lock_owned());
        assert!(poll_with(given_up.as_mut(), &waker).is_pending());
    }
    drop(guard);
    assert!(mutex.try_lock().is_ok(), "nobody waits any more");
    assert_eq!(
        Rc::strong_count(&mutex),
        1,
        "the dropped future let go of its Rc"
    );
}

#[test]
fn an_owned_guard_keeps_the_value_alive_after_every_other_rc_is_gone() {
    let drops = Rc::new(Cell::new(0));
    let mutex = Rc::new(Mutex::new(DropCounter(Rc::clone(&drops))));
    let guard = mutex.try_lock_owned().unwrap();
    assert_eq!(drops.get(), 0);
    drop(guard);
    assert_eq!(drops.get(), 1, "the last Rc was the guard's");

    let lock = Rc::new(RwLock::new(DropCounter(Rc::clone(&drops))));
    let reading = Rc::clone(&lock).try_read_owned().unwrap();
    drop(lock);
    assert_eq!(reading.0.get(), 1);
    drop(reading);
    assert_eq!(drops.get(), 2);
}

#[test]
fn debug_of_a_lock_does_not_read_the_value_an_owned_guard_holds() {
    let mutex = Rc::new(Mutex::new(1));
    let mut guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    *guard = 2;
    assert_eq!(format!("{mutex:?}"), "Mutex { data: <locked> }");
    assert_eq!(format!("{guard:?} {guard}"), "2 2");
    drop(guard);
    assert_eq!(format!("{mutex:?}"), "Mutex { data: 2 }");

    let lock = Rc::new(RwLock::new(1));
    let writing = Rc::clone(&lock).try_write_owned().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
    assert_eq!(format!("{writing:?} {writing}"), "1 1");
    drop(writing);
    let reading = Rc::clone(&lock).try_read_owned().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: 1 }");
    let (_, waker) = counting_waker();
    let mut writer = pin!(Rc::clone(&lock).write_owned());
    assert!(poll_with(writer.as_mut(), &waker).is_pending());
    assert_eq!(
        format!("{lock:?}"),
        "RwLock { data: <locked: a writer waits> }"
    );
    assert_eq!(format!("{reading:?} {reading}"), "1 1");
}

#[test]
fn owned_and_borrowed_guards_share_one_lock_by_the_same_rules() {
    let lock = Rc::new(RwLock::new(String::from("a")));
    let owned_reader = Rc::clone(&lock).try_read_owned().unwrap();
    let borrowed_reader = lock.try_read().unwrap();
    assert_eq!(format!("{}{}", *owned_reader, *borrowed_reader), "aa");
    assert!(Rc::clone(&lock).try_write_owned().is_err());
    drop((owned_reader, borrowed_reader));

    let mut owned_writer = Rc::clone(&lock).try_write_owned().unwrap();
    assert!(lock.try_read().is_err());
    assert!(Rc::clone(&lock).try_read_owned().is_err());
    owned_writer.push('b');
    drop(owned_writer);
    let borrowed_writer = lock.try_write().unwrap();
    assert!(Rc::clone(&lock).try_read_owned().is_err());
    assert_eq!(*borrowed_writer, "ab");
}

#[test]
fn an_owned_downgrade_keeps_a_waiting_writer_out_and_lets_earlier_readers_in() {
    let lock = Rc::new(RwLock::new(0));
    let mut writing = Rc::clone(&lock).try_write_owned().unwrap();
    let (reader_woken, reader_waker) = counting_waker();
    let (writer_woken, writer_waker) = counting_waker();
    let mut reader = pin!(Rc::clone(&lock).read_owned());
    let mut writer = pin!(Rc::clone(&lock).write_owned());
    assert!(poll_with(reader.as_mut(), &reader_waker).is_pending());
    assert!(poll_with(writer.as_mut(), &writer_waker).is_pending());
    *writing = 1;
    let reading = OwnedRwLockWriteGuard::downgrade(writing);
    assert_eq!((reader_woken.count(), writer_woken.count()), (1, 0));
    let Poll::Ready(early) = poll_with(reader.as_mut(), &reader_waker) else {
        panic!("the reader queued before the writer gets in");
    };
    assert_eq!((*reading, *early), (1, 1));
    drop(reading);
    assert_eq!(writer_woken.count(), 0, "the early reader still reads");
    drop(early);
    assert_eq!(writer_woken.count(), 1);
    let Poll::Ready(writing) = poll_with(writer.as_mut(), &writer_waker) else {
        panic!("the writer's turn came when both readers dropped");
    };
    assert_eq!(*writing, 1);
}
#[test]
fn a_downgraded_writer_of_a_one_reader_lock_holds_its_one_permit() {
    let lock = RwLock::with_max_readers(0, 1);
    let reading = RwLockWriteGuard::downgrade(lock.try_write().unwrap());
    assert!(lock.try_read().is_err(), "one reader at most");
    drop(reading);
    assert!(lock.try_write().is_ok());
    let lock = Rc::new(RwLock::with_max_readers(0, 1));
    let writing = Rc::clone(&lock).try_write_owned().unwrap();
    let reading = OwnedRwLockWriteGuard::downgrade(writing);
    assert!(lock.try_read().is_err(), "one reader at most");
    drop(reading);
    assert!(lock.try_write().is_ok());
}

#[test]
fn debug_of_a_lock_full_of_readers_shows_it_locked() {
    let lock = RwLock::with_max_readers(1, 1);
    let reading = lock.try_read().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
    drop(reading);
    assert_eq!(format!("{lock:?}"), "RwLock { data: 1 }");
}

#[test]
fn a_lock_with_max_readers_queues_the_reader_past_the_limit() {
    let lock = Rc::new(RwLock::with_max_readers(7, 2));
    let first = lock.try_read().unwrap();
    let second = Rc::clone(&lock).try_read_owned().unwrap();
    let (woken, waker) = counting_waker();
    let mut third = pin!(lock.read());
    assert!(poll_with(third.as_mut(), &waker).is_pending());
    assert!(Rc::clone(&lock).try_write_owned().is_err());
    drop(second);
    assert_eq!(woken.count(), 1);
    let Poll::Ready(third) = poll_with(third.as_mut(), &waker) else {
        panic!("a reader left: the third gets in");
    };
    assert_eq!(*first + *third, 14);
    drop((first, third));
    let writing = Rc::clone(&lock).try_write_owned().unwrap();
    assert!(lock.try_read().is_err(), "the writer holds both permits");
    drop(writing);
    assert!(lock.try_write().is_ok(), "and gave both back");
}

#[test]
#[should_panic(expected = "a RwLock needs room for at least one reader: max_reads may not be 0")]
fn a_lock_with_no_room_for_readers_panics() {
    let _ = RwLock::with_max_readers((), 0);
}

#[test]
#[should_panic(
    expected = "a RwLock may not be created with more than 536870911 readers, not 536870912"
)]
fn a_lock_with_more_readers_than_new_allows_panics() {
    let _ = RwLock::with_max_readers((), (u32::MAX >> 3) + 1);
}

#[test]
fn from_a_value_makes_an_unlocked_lock() {
    let mutex = Mutex::from(String::from("m"));
    let lock: RwLock<&str> = "r".into();
    assert_eq!(*mutex.try_lock().unwrap(), "m");
    assert_eq!(*lock.try_write().unwrap(), "r");
}

#[test]
fn an_owned_mapped_mutex_guard_keeps_the_next_locker_waiting_until_it_drops() {
    let mutex = Rc::new(Mutex::new((1, vec![1])));
    let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    let guard = OwnedMutexGuard::try_map(guard, |pair| pair.1.get_mut(3)).unwrap_err();
    let list = OwnedMutexGuard::map(guard, |pair| &mut pair.1);
    let mut last = OwnedMappedMutexGuard::map(list, |list| &mut list[0]);
    assert!(Rc::ptr_eq(OwnedMappedMutexGuard::mutex(&last), &mutex));
    let (woken, waker) = counting_waker();
    let mut next = pin!(mutex.lock());
    assert!(poll_with(next.as_mut(), &waker).is_pending());
    *last = 2;
    assert_eq!(woken.count(), 0);
    drop(last);
    assert_eq!(woken.count(), 1);
    let Poll::Ready(next) = poll_with(next.as_mut(), &waker) else {
        panic!("the next locker's turn came when the mapped guard dropped");
    };
    assert_eq!(*next, (1, vec![2]));
    drop(next);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
        OwnedMutexGuard::map(guard, |_| -> &mut u8 { panic!("in map") })
    }));
    assert!(panicked.is_err());
    drop(panicked);
    assert!(mutex.try_lock().is_ok(), "unlocked by the panic");
    assert_eq!(
        Rc::strong_count(&mutex),
        1,
        "no guard keeps the mutex alive"
    );
}

/// `downgrade_map` narrows while the lock is still the writer's alone (no reader gets in
/// while `f` runs), then lets the waiting reader in; `try_downgrade_map` that finds nothing
/// gives the writer back, still alone.
#[test]
fn downgrade_map_narrows_before_any_reader_gets_in() {
    let lock = RwLock::new((1, String::from("name")));
    let (woken, waker) = counting_waker();
    let mut reader = pin!(lock.read());
    let mut writing = lock.try_write().unwrap();
    assert!(poll_with(reader.as_mut(), &waker).is_pending());
    writing.0 = 2;
    let mut writing = RwLockWriteGuard::try_downgrade_map(writing, |_| None::<&u8>).unwrap_err();
    assert_eq!(woken.count(), 0, "still the writer's alone");
    writing.0 = 3;
    let count = RwLockWriteGuard::downgrade_map(writing, |pair| {
        assert!(lock.try_read().is_err(), "no reader while f runs");
        &pair.0
    });
    assert_eq!(woken.count(), 1);
    let Poll::Ready(other) = poll_with(reader.as_mut(), &waker) else {
        panic!("the waiting reader gets in beside the downgraded guard");
    };
    let name = RwLockReadGuard::map(other, |pair| pair.1.as_str());
    assert_eq!((*count, &*name), (3, "name"));
    assert!(lock.try_write().is_err());
    drop((count, name));

    let mapped = RwLockWriteGuard::into_mapped(lock.try_write().unwrap());
    assert!(lock.try_read().is_err());
    drop(mapped);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        RwLockWriteGuard::downgrade_map(lock.try_write().unwrap(), |_| -> &u8 {
            panic!("in downgrade_map")
        })
    }));
    assert!(panicked.is_err());
    drop(panicked);
    assert!(lock.try_write().is_ok(), "unlocked by the panic");
}

/// The owned guards, mapped every way, give back each permit once: after each, a writer
/// gets in and the count is whole again.
#[test]
fn owned_mapped_rwlock_guards_give_every_permit_back_once() {
    let lock = Rc::new(RwLock::with_max_readers((1u8, vec![2u8]), 3));
    let whole = |lock: &Rc<RwLock<(u8, Vec<u8>)>>| {
        assert!(lock.try_write().is_ok());
        assert_eq!(lock.semaphore.available_permits(), 3);
    };
    let writing = Rc::clone(&lock).try_write_owned().unwrap();
    let writing = OwnedRwLockWriteGuard::try_map(writing, |_| None::<&mut u8>).unwrap_err();
    let mut list = OwnedRwLockWriteGuard::map(writing, |pair| &mut pair.1);
    assert!(Rc::ptr_eq(
        OwnedRwLockMappedWriteGuard::rwlock(&list),
        &lock
    ));
    assert!(lock.try_read().is_err());
    list.push(3);
    let list = OwnedRwLockMappedWriteGuard::try_map(list, |v| v.get_mut(9)).unwrap_err();
    let mut last = OwnedRwLockMappedWriteGuard::map(list, |v| &mut v[1]);
    *last = 4;
    drop(last);
    whole(&lock);

    let writing = Rc::clone(&lock).try_write_owned().unwrap();
    let first = OwnedRwLockWriteGuard::downgrade_map(writing, |pair| &pair.0);
    let others = [lock.try_read().unwrap(), lock.try_read().unwrap()];
    assert!(lock.try_read().is_err(), "three readers at most");
    assert!(Rc::ptr_eq(OwnedRwLockReadGuard::rwlock(&first), &lock));
    assert_eq!(*first, 1);
    drop((first, others));
    whole(&lock);

    let writing = Rc::clone(&lock).try_write_owned().unwrap();
    let list = OwnedRwLockWriteGuard::try_downgrade_map(writing, |pair| pair.1.get(5));
    let writing = list.unwrap_err();
    assert!(lock.try_read().is_err(), "still the writer's alone");
    let last = OwnedRwLockWriteGuard::try_downgrade_map(writing, |pair| pair.1.get(1));
    assert_eq!(*last.unwrap(), 4);
    whole(&lock);

    let writing = OwnedRwLockWriteGuard::into_mapped(Rc::clone(&lock).try_write_owned().unwrap());
    assert!(lock.try_read().is_err());
    drop(writing);
    let reading = Rc::clone(&lock).try_read_owned().unwrap();
    let reading = OwnedRwLockReadGuard::try_map(reading, |pair| pair.1.get(7)).unwrap_err();
    let reading = OwnedRwLockReadGuard::map(reading, |pair| pair.1.as_slice());
    assert_eq!(*reading, [2, 4]);
    drop(reading);
    whole(&lock);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let writing = Rc::clone(&lock).try_write_owned().unwrap();
        OwnedRwLockWriteGuard::map(writing, |_| -> &mut u8 { panic!("in map") })
    }));
    assert!(panicked.is_err());
    drop(panicked);
    whole(&lock);
    assert_eq!(Rc::strong_count(&lock), 1, "no guard keeps the lock alive");
}
