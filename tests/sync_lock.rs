//! `mirage::sync::{Mutex, RwLock}`: held across `.await`, granted first come, first served.
//! Virtual time keeps the sleeps that hold the locks quick and in deadline order.

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
        let order = order.borrow().clone();
        order
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
        let events = events.borrow().clone();
        events
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
        let most = inside.borrow().1;
        most
    });
    assert_eq!(most, 5, "all five readers held the lock at once");
}

#[test]
fn debug_shows_the_value_unless_a_writer_holds_it() {
    let mutex = Mutex::new(7);
    assert_eq!(format!("{mutex:?}"), "Mutex { value: 7 }");
    let guard = mutex.try_lock().unwrap();
    assert_eq!(format!("{mutex:?}"), "Mutex { value: <locked> }");
    assert_eq!(format!("{guard:?}"), "7");
    let lock = RwLock::new("v");
    let reading = lock.try_read().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { value: \"v\" }");
    drop(reading);
    let _writing = lock.try_write().unwrap();
    assert_eq!(
        format!("{lock:?}"),
        "RwLock { value: <locked for writing> }"
    );
}
