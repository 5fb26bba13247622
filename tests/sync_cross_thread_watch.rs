//! `mirage::sync::cross_thread::watch`: a receiver on a Core blocked in its poller wakes
//! for a send from another thread; Cores on several threads each end on the last value of
//! a burst (skipping some is allowed, missing the last is not); `changed` fails after the
//! sender goes only once the last change was reported, and with cloned senders on several
//! threads only once the last clone goes; `closed` completes when the last
//! receiver drops on another thread; a panic in `send_modify` on one thread leaves the
//! channel usable from the others; `wait_for` returns a value it accepted; every value is
//! dropped exactly once.

mod guard;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::Core;
use mirage::sync::cross_thread::watch;

#[test]
fn a_core_blocked_in_its_poller_wakes_for_a_send_from_another_thread() {
    let (tx, mut rx) = watch::channel("asleep");
    let (waiting_tx, waiting) = std_mpsc::channel();
    let sender = thread::spawn(move || {
        // Send once the Core is waiting, with nothing else to wake it: the pause lets it
        // reach its poller (without it the test still passes, on a path tested elsewhere).
        waiting.recv().unwrap();
        thread::sleep(Duration::from_millis(20));
        tx.send("awake").unwrap();
        tx
    });
    let got = within_guard(move || {
        Core::new().unwrap().run(async move {
            waiting_tx.send(()).unwrap();
            rx.changed().await.unwrap();
            *rx.borrow_and_update()
        })
    });
    assert_eq!(got, "awake");
    drop(sender.join().unwrap());
}

#[test]
fn cores_on_several_threads_each_end_on_the_last_value_of_a_burst() {
    const CORES: usize = if cfg!(miri) { 2 } else { 4 };
    const SENDS: u64 = if cfg!(miri) { 40 } else { 20_000 };
    let (tx, rx) = watch::channel(0u64);
    let cores: Vec<_> = (0..CORES)
        .map(|_| {
            let mut rx = rx.clone();
            thread::spawn(move || {
                within_guard(move || {
                    Core::new().unwrap().run(async move {
                        let mut last = *rx.borrow_and_update();
                        while rx.changed().await.is_ok() {
                            let value = *rx.borrow_and_update();
                            assert!(value > last, "{value} came after {last}");
                            last = value;
                        }
                        last
                    })
                })
            })
        })
        .collect();
    drop(rx);
    let sender = thread::spawn(move || {
        for n in 1..=SENDS {
            tx.send(n).unwrap();
            if n % 64 == 0 {
                // Let the Cores catch up and wait again now and then, so that sends also
                // find them waiting.
                thread::yield_now();
            }
        }
    });
    sender.join().unwrap();
    for core in cores {
        assert_eq!(core.join().unwrap(), SENDS, "a Core missed the last value");
    }
}

#[test]
fn changed_fails_after_the_sender_drops_only_once_the_last_change_is_reported() {
    // The change and the drop both happen before the receiver looks.
    let (tx, mut rx) = watch::channel(0);
    thread::spawn(move || {
        tx.send(1).unwrap();
        drop(tx);
    })
    .join()
    .unwrap();
    let (first, value, second) = within_guard(move || {
        Core::new().unwrap().run(async move {
            let first = rx.changed().await;
            let value = *rx.borrow();
            (first, value, rx.changed().await)
        })
    });
    assert_eq!((first, value, second), (Ok(()), 1, Err(watch::RecvError)));

    // The receiver waits while another thread sends and drops.
    let (tx, mut rx) = watch::channel(0);
    let (waiting_tx, waiting) = std_mpsc::channel();
    let sender = thread::spawn(move || {
        waiting.recv().unwrap();
        tx.send(1).unwrap();
    });
    let (first, value, second) = within_guard(move || {
        Core::new().unwrap().run(async move {
            waiting_tx.send(()).unwrap();
            let first = rx.changed().await;
            let value = *rx.borrow_and_update();
            (first, value, rx.changed().await)
        })
    });
    sender.join().unwrap();
    assert_eq!((first, value, second), (Ok(()), 1, Err(watch::RecvError)));
}

#[test]
fn a_core_follows_cloned_senders_on_several_threads_until_the_last_one_drops() {
    const THREADS: usize = 4;
    const SENDS: usize = 100;
    let (tx, mut rx) = watch::channel(0usize);
    let last = within_guard(move || {
        let senders: Vec<_> = (0..THREADS)
            .map(|_| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for _ in 0..SENDS {
                        tx.send_modify(|count| *count += 1);
                    }
                })
            })
            .collect();
        drop(tx); // the clones alone keep the channel open
        let mut core = Core::new().unwrap();
        let last = core.run(async move {
            while rx.changed().await.is_ok() {}
            *rx.borrow()
        });
        senders.into_iter().for_each(|t| t.join().unwrap());
        last
    });
    assert_eq!(
        last,
        THREADS * SENDS,
        "the loop ended before a clone's last send"
    );
}

#[test]
fn closed_completes_when_the_last_receiver_drops_on_another_thread() {
    let (tx, rx) = watch::channel(0);
    let receivers: Vec<_> = (0..3).map(|_| rx.clone()).collect();
    drop(rx);
    let (waiting_tx, waiting) = std_mpsc::channel();
    let droppers = thread::spawn(move || {
        waiting.recv().unwrap();
        for rx in receivers {
            thread::spawn(move || drop(rx)).join().unwrap();
        }
    });
    let tx = within_guard(move || {
        Core::new().unwrap().run(async move {
            assert!(!tx.is_closed());
            waiting_tx.send(()).unwrap();
            tx.closed().await;
            tx
        })
    });
    droppers.join().unwrap();
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send(1).unwrap_err().into_inner(), 1);
}

#[test]
fn a_panic_in_send_modify_on_one_thread_leaves_the_channel_usable() {
    let (tx, mut rx) = watch::channel(vec![0]);
    let tx = Arc::new(tx);
    let panicking = Arc::clone(&tx);
    let panicked = thread::spawn(move || {
        panicking.send_modify(|list| {
            list.push(1);
            panic!("a panic while the value is locked");
        })
    })
    .join();
    assert!(panicked.is_err());
    assert_eq!(
        rx.has_changed(),
        Ok(false),
        "the panicked change is not announced"
    );
    assert_eq!(
        *rx.borrow(),
        [0, 1],
        "what the closure did before it panicked stays"
    );

    let sender = Arc::clone(&tx);
    let (waiting_tx, waiting) = std_mpsc::channel();
    let other = thread::spawn(move || {
        waiting.recv().unwrap();
        sender.send_modify(|list| list.push(2));
    });
    let seen = within_guard(move || {
        Core::new().unwrap().run(async move {
            waiting_tx.send(()).unwrap();
            rx.changed().await.unwrap();
            rx.borrow_and_update().clone()
        })
    });
    other.join().unwrap();
    assert_eq!(seen, [0, 1, 2]);
    assert_eq!(*tx.borrow(), [0, 1, 2]);
}

#[test]
fn wait_for_returns_a_value_that_satisfies_it_or_fails_when_none_can() {
    const SENDS: u32 = if cfg!(miri) { 20 } else { 1_000 };
    let (tx, mut rx) = watch::channel(0u32);
    let sender = thread::spawn(move || {
        for n in 1..=SENDS {
            tx.send(n).unwrap();
        }
    });
    let (found, after) = within_guard(move || {
        Core::new().unwrap().run(async move {
            let found = *rx
                .wait_for(|&n| n >= SENDS / 2 && n % 2 == 0)
                .await
                .unwrap();
            let after = rx.wait_for(|&n| n > SENDS).await.map(|n| *n);
            (found, after)
        })
    });
    sender.join().unwrap();
    assert!(
        found >= SENDS / 2 && found % 2 == 0,
        "{found} does not satisfy it"
    );
    assert_eq!(
        after,
        Err(watch::RecvError),
        "the sender went without such a value"
    );
}

/// Counts how many were made and how many dropped.
#[derive(Default)]
struct Counts {
    made: AtomicUsize,
    dropped: AtomicUsize,
}

struct Counted(Arc<Counts>);

impl Counted {
    fn new(counts: &Arc<Counts>) -> Counted {
        counts.made.fetch_add(1, Ordering::SeqCst);
        Counted(Arc::clone(counts))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn every_value_is_dropped_exactly_once_whichever_thread_drops_it() {
    const SENDS: usize = if cfg!(miri) { 20 } else { 1_000 };
    let counts = Arc::new(Counts::default());
    let (tx, rx) = watch::channel(Counted::new(&counts));
    let tx = Arc::new(tx);
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (tx, counts) = (Arc::clone(&tx), Arc::clone(&counts));
            thread::spawn(move || {
                for _ in 0..SENDS {
                    tx.send(Counted::new(&counts)).unwrap();
                }
                drop(tx.send_replace(Counted::new(&counts)));
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let mut rx = rx.clone();
            thread::spawn(move || {
                for _ in 0..SENDS {
                    drop(rx.borrow_and_update());
                }
            })
        })
        .collect();
    senders.into_iter().for_each(|t| t.join().unwrap());
    readers.into_iter().for_each(|t| t.join().unwrap());
    let made = counts.made.load(Ordering::SeqCst);
    assert_eq!(made, 1 + 2 * (SENDS + 1));
    assert_eq!(
        counts.dropped.load(Ordering::SeqCst),
        made - 1,
        "all but the channel's value"
    );
    thread::spawn(move || drop(rx)).join().unwrap();
    let handed_back = tx.send(Counted::new(&counts)).unwrap_err().into_inner();
    assert_eq!(
        counts.dropped.load(Ordering::SeqCst),
        made - 1,
        "handed back, not dropped"
    );
    drop(handed_back);
    let tx = Arc::into_inner(tx).expect("the senders' threads are done");
    thread::spawn(move || drop(tx)).join().unwrap();
    assert_eq!(
        counts.dropped.load(Ordering::SeqCst),
        counts.made.load(Ordering::SeqCst),
        "the channel's value goes with its last handle, and nothing else is left"
    );
}
