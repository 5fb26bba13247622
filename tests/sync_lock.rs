//! `mirage::sync::{Mutex, RwLock}`: held across `.await`, granted first come, first served.
//! Virtual time keeps the sleeps that hold the locks quick and in deadline order.

mod panic_site;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use mirage::sync::{Mutex, RwLock};
use mirage::time::{self, sleep};

#[test]
fn mutex_waiters_are_served_in_the_order_they_asked_and_a_dropped_one_loses_its_turn() {
    let mut core = mirage::Core::new().unwrap();
    let order = core.run(async {
        time::pause(); // the sleeps take no real time, and come in deadline order
        let mutex = Rc::new(Mutex::new(()));
        let order = Rc::new(RefCell::new(Vec::new()));
        let held = mutex.lock().await;
        let mut tasks = Vec::new();
        for n in 0..4 {
            let (mutex, order) = (Rc::clone(&mutex), Rc::clone(&order));
            tasks.push(mirage::spawn(async move {
                if n == 2 {
                    // Queues, then gives up before its turn.
                    let gave_up = time::timeout(Duration::from_millis(1), mutex.lock()).await;
                    assert!(gave_up.is_err());
                    return;
                }
                let _guard = mutex.lock().await;
                order.borrow_mut().push(n);
                sleep(Duration::from_millis(1)).await;
            }));
            mirage::yield_now().await; // each queues before the next is spawned
        }
        sleep(Duration::from_millis(5)).await;
        drop(held);
        for task in tasks {
            task.await.unwrap();
        }
        order.borrow().clone()
    });
    assert_eq!(order, [0, 1, 3]);
}

#[test]
fn a_waiting_writer_holds_back_later_readers() {
    let mut core = mirage::Core::new().unwrap();
    let events = core.run(async {
        time::pause();
        let lock = Rc::new(RwLock::new(0));
        let events = Rc::new(RefCell::new(Vec::new()));
        let first_reader = lock.read().await;
        let writer = mirage::spawn({
            let (lock, events) = (Rc::clone(&lock), Rc::clone(&events));
            async move {
                let mut value = lock.write().await;
                events.borrow_mut().push("writer in");
                sleep(Duration::from_millis(1)).await;
                *value = 1;
                events.borrow_mut().push("writer out");
            }
        });
        mirage::yield_now().await; // the writer now waits for the first reader
        let later_reader = mirage::spawn({
            let (lock, events) = (Rc::clone(&lock), Rc::clone(&events));
            async move {
                let value = lock.read().await;
                events.borrow_mut().push("later reader in");
                *value
            }
        });
        mirage::yield_now().await;
        assert!(
            lock.try_read().is_err(),
            "a writer waits: new readers queue behind it"
        );
        events.borrow_mut().push("first reader out");
        drop(first_reader);
        writer.await.unwrap();
        assert_eq!(
            later_reader.await.unwrap(),
            1,
            "the later reader saw the write"
        );
        events.borrow().clone()
    });
    assert_eq!(
        events,
        [
            "first reader out",
            "writer in",
            "writer out",
            "later reader in"
        ]
    );
}

#[test]
fn readers_share_the_lock_across_awaits() {
    let mut core = mirage::Core::new().unwrap();
    let most = core.run(async {
        time::pause();
        let lock = Rc::new(RwLock::new(()));
        let inside = Rc::new(RefCell::new((0, 0))); // (now, most)
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let (lock, inside) = (Rc::clone(&lock), Rc::clone(&inside));
                mirage::spawn(async move {
                    let _guard = lock.read().await;
                    {
                        let mut inside = inside.borrow_mut();
                        inside.0 += 1;
                        inside.1 = inside.1.max(inside.0);
                    }
                    sleep(Duration::from_millis(2)).await;
                    inside.borrow_mut().0 -= 1;
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        inside.borrow().1
    });
    assert_eq!(most, 5, "all five readers held the lock at once");
}

#[test]
fn debug_shows_the_value_unless_a_writer_holds_it() {
    let mutex = Mutex::new(7);
    assert_eq!(format!("{mutex:?}"), "Mutex { data: 7 }");
    let guard = mutex.try_lock().unwrap();
    assert_eq!(format!("{mutex:?}"), "Mutex { data: <locked> }");
    assert_eq!(format!("{guard:?}"), "7");
    let lock = RwLock::new("v");
    let reading = lock.try_read().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: \"v\" }");
    drop(reading);
    let _writing = lock.try_write().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
}

#[test]
fn a_mapped_guard_keeps_the_lock_until_it_drops() {
    use mirage::sync::{MappedMutexGuard, MutexGuard, RwLockReadGuard, RwLockWriteGuard};

    let mut core = mirage::Core::new().unwrap();
    let events = core.run(async {
        time::pause();
        let mutex = Rc::new(Mutex::new((0, String::new())));
        let lock = Rc::new(RwLock::new((0, 0)));
        let events = Rc::new(RefCell::new(Vec::new()));
        let count = MutexGuard::map(mutex.lock().await, |pair| &mut pair.0);
        let mut count = MappedMutexGuard::map(count, |count| count);
        let second = RwLockWriteGuard::map(lock.write().await, |pair| &mut pair.1);
        let waiters = [
            mirage::spawn({
                let (mutex, events) = (Rc::clone(&mutex), Rc::clone(&events));
                async move {
                    let pair = mutex.lock().await;
                    events
                        .borrow_mut()
                        .push(format!("mutex locked, count {}", pair.0));
                }
            }),
            mirage::spawn({
                let (lock, events) = (Rc::clone(&lock), Rc::clone(&events));
                async move {
                    let first = RwLockReadGuard::map(lock.read().await, |pair| &pair.0);
                    events.borrow_mut().push(format!("read, first {}", *first));
                }
            }),
        ];
        sleep(Duration::from_millis(5)).await; // the waiters have had every chance
        events
            .borrow_mut()
            .push("mapped guards still held".to_string());
        *count += 1;
        drop(count);
        drop(second);
        for task in waiters {
            task.await.unwrap();
        }
        events.borrow().clone()
    });
    assert_eq!(
        events,
        [
            "mapped guards still held",
            "mutex locked, count 1",
            "read, first 0"
        ]
    );
}

#[test]
fn a_failed_try_map_gives_the_guard_back_still_locked() {
    use mirage::sync::{MutexGuard, RwLockReadGuard, RwLockWriteGuard};

    let mutex = Mutex::new(vec![1]);
    let guard = MutexGuard::try_map(mutex.try_lock().unwrap(), |v| v.get_mut(1)).unwrap_err();
    assert!(mutex.try_lock().is_err(), "the guard came back locked");
    assert_eq!(format!("{guard:?}"), "[1]");
    drop(guard);
    assert!(mutex.try_lock().is_ok());

    let lock = RwLock::new(vec![1]);
    let reading = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.get(1)).unwrap_err();
    assert!(lock.try_write().is_err());
    drop(reading);
    let writing = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.get_mut(1));
    let writing = writing.unwrap_err();
    assert!(lock.try_read().is_err());
    drop(writing);
    assert!(lock.try_read().is_ok());
}

#[test]
fn guards_display_and_debug_like_their_value() {
    use mirage::sync::{MutexGuard, RwLockReadGuard, RwLockWriteGuard};

    let mutex = Mutex::new((1, "one"));
    let mapped = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    assert_eq!(
        (format!("{mapped}"), format!("{mapped:?}")),
        ("one".into(), "\"one\"".into())
    );
    drop(mapped);
    let text = Mutex::new(String::from("plain"));
    assert_eq!(format!("{}", text.try_lock().unwrap()), "plain");
    let lock = RwLock::new((2, "two"));
    let mapped = RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.1);
    assert_eq!(
        (format!("{mapped}"), format!("{mapped:?}")),
        ("two".into(), "\"two\"".into())
    );
    drop(mapped);
    let mapped = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.0);
    assert_eq!(
        (format!("{mapped}"), format!("{mapped:?}")),
        ("2".into(), "2".into())
    );
    let text = RwLock::new(String::from("plain"));
    assert_eq!(format!("{}", text.try_write().unwrap()), "plain");
    assert_eq!(format!("{}", text.try_read().unwrap()), "plain");
}

#[test]
fn a_downgraded_writer_lets_earlier_readers_in_but_no_writer_between() {
    use mirage::sync::RwLockWriteGuard;

    let mut core = mirage::Core::new().unwrap();
    let events = core.run(async {
        time::pause();
        let lock = Rc::new(RwLock::new(0));
        let events = Rc::new(RefCell::new(Vec::new()));
        let mut writing = lock.write().await;
        let spawn_reader = |name: &'static str| {
            let (lock, events) = (Rc::clone(&lock), Rc::clone(&events));
            mirage::spawn(async move {
                let value = lock.read().await;
                events.borrow_mut().push(format!("{name} read {}", *value));
                sleep(Duration::from_millis(1)).await;
            })
        };
        let early_reader = spawn_reader("early reader");
        mirage::yield_now().await; // queued first
        let writer = mirage::spawn({
            let (lock, events) = (Rc::clone(&lock), Rc::clone(&events));
            async move {
                let mut value = lock.write().await;
                events.borrow_mut().push(format!("writer saw {}", *value));
                *value = 2;
            }
        });
        mirage::yield_now().await; // queued behind the early reader
        let late_reader = spawn_reader("late reader");
        mirage::yield_now().await; // queued behind the writer

        *writing = 1;
        let reading = RwLockWriteGuard::downgrade(writing);
        events
            .borrow_mut()
            .push(format!("downgraded, reading {}", *reading));
        sleep(Duration::from_millis(5)).await; // the early reader has come and gone
        assert_eq!(
            *reading, 1,
            "no writer got in while the downgraded guard reads"
        );
        events
            .borrow_mut()
            .push("downgraded guard dropped".to_string());
        drop(reading);
        for task in [early_reader, writer, late_reader] {
            task.await.unwrap();
        }
        events.borrow().clone()
    });
    assert_eq!(
        events,
        [
            "downgraded, reading 1",
            "early reader read 1",
            "downgraded guard dropped",
            "writer saw 1",
            "late reader read 2",
        ]
    );
}

#[test]
fn an_owned_guard_moved_into_a_task_holds_the_lock_across_its_awaits() {
    let mut core = mirage::Core::new().unwrap();
    let events = core.run(async {
        time::pause();
        let mutex = Rc::new(Mutex::new(Vec::new()));
        let lock = Rc::new(RwLock::new(0));
        let mut log = Rc::clone(&mutex).lock_owned().await;
        let mut value = Rc::clone(&lock).write_owned().await;
        let holder = mirage::spawn(async move {
            log.push("holder in");
            sleep(Duration::from_millis(5)).await;
            *value = 1;
            log.push("holder out");
        });
        let waiter = mirage::spawn({
            let (mutex, lock) = (Rc::clone(&mutex), Rc::clone(&lock));
            async move {
                let value = lock.read_owned().await;
                let mut log = mutex.lock_owned().await;
                log.push(if *value == 1 {
                    "waiter saw 1"
                } else {
                    "waiter saw 0"
                });
            }
        });
        holder.await.unwrap();
        waiter.await.unwrap();
        mutex.lock().await.clone()
    });
    assert_eq!(events, ["holder in", "holder out", "waiter saw 1"]);
}

/// The owned acquires are cancel-safe as the borrowed ones are: an owned `write` that gives
/// up its turn just after the lock was handed to it (a losing `select!` branch) passes the
/// lock on to the readers behind it, on a Core's own `RwLock` and on a cross-thread one.
#[test]
fn an_owned_writer_dropped_with_its_turn_passes_the_lock_on() {
    let mut core = mirage::Core::new().unwrap();
    core.run(async {
        let lock = Rc::new(RwLock::new(0));
        let held = lock.write().await;
        let writer = mirage::spawn(Rc::clone(&lock).write_owned());
        let reader = mirage::spawn(Rc::clone(&lock).read_owned());
        mirage::yield_now().await; // both wait: the writer first
        drop(held); // the lock goes to the writer, which has not run since
        writer.abort();
        let reading = time::timeout(Duration::from_secs(5), reader).await;
        assert_eq!(*reading.expect("the reader waits on").unwrap(), 0);

        let lock = std::sync::Arc::new(mirage::sync::cross_thread::RwLock::new(0));
        let held = lock.write().await;
        let writer = mirage::spawn(std::sync::Arc::clone(&lock).write_owned());
        let reader = mirage::spawn(std::sync::Arc::clone(&lock).read_owned());
        mirage::yield_now().await;
        drop(held);
        writer.abort();
        let reading = time::timeout(Duration::from_secs(5), reader).await;
        assert_eq!(*reading.expect("the reader waits on").unwrap(), 0);
    });
}

#[test]
fn a_rwlock_with_no_readers_panics_at_the_caller_s_line() {
    use panic_site::panic_location;

    assert_eq!(
        panic_location(|| drop(RwLock::with_max_readers((), 0))),
        file!()
    );
    assert_eq!(
        panic_location(|| drop(RwLock::const_with_max_readers((), 0))),
        file!()
    );
}
