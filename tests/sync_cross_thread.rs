//! `mirage::sync::cross_thread`: messages from other threads reach a Core's task, in each
//! sender's order, whether the Core is busy or blocked in its poller; a bounded channel
//! holds senders on other threads and other Cores to its capacity; the channel ends when
//! the last sender goes; a dropped receiver drops what was queued, fails later sends and
//! wakes the senders waiting on other threads. A weak sender neither keeps the channel open
//! nor its queued messages alive, and turns back into a sender on any thread while one
//! lives. The `oneshot` brings one value across, from a plain thread or another Core, while
//! the receiving Core runs on. A plain thread takes messages one at a time or in batches.

mod guard;
mod panic_site;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::Core;
use mirage::sync::cross_thread;

#[test]
fn messages_from_many_threads_all_arrive_in_each_senders_order() {
    const THREADS: usize = 4;
    const EACH: usize = if cfg!(miri) { 50 } else { 20_000 };
    let received = within_guard(|| {
        let (tx, mut rx) = cross_thread::unbounded();
        let producers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for n in 0..EACH {
                        tx.send((thread, n)).unwrap();
                        if n % 64 == 0 {
                            // Let the Core drain the queue and block again now and then, so
                            // that sends also find it waiting.
                            thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let mut core = Core::new().unwrap();
        let received = core.run(async move {
            let mut next = [0; THREADS];
            let mut received = 0;
            while let Some((thread, n)) = rx.recv().await {
                assert_eq!(n, next[thread], "out of order from thread {thread}");
                next[thread] += 1;
                received += 1;
            }
            received
        });
        producers.into_iter().for_each(|p| p.join().unwrap());
        received
    });
    assert_eq!(received, THREADS * EACH);
}

#[test]
fn a_core_blocked_in_its_poller_wakes_for_a_send_from_another_thread() {
    let (tx, mut rx) = cross_thread::unbounded();
    let (waiting_tx, waiting) = std_mpsc::channel();
    let sender = thread::spawn(move || {
        // Send once the Core is waiting, with nothing else to wake it.
        waiting.recv().unwrap();
        thread::sleep(Duration::from_millis(20));
        tx.send("wake up").unwrap();
        tx
    });
    let got = within_guard(move || {
        let mut core = Core::new().unwrap();
        core.run(async move {
            waiting_tx.send(()).unwrap();
            rx.recv().await
        })
    });
    assert_eq!(got, Some("wake up"));
    drop(sender.join().unwrap());
}

#[test]
fn the_receiver_ends_when_the_last_sender_on_another_thread_drops() {
    let (tx, mut rx) = cross_thread::unbounded::<u32>();
    let dropper = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        drop(tx);
    });
    let got = within_guard(move || Core::new().unwrap().run(rx.recv()));
    assert_eq!(got, None);
    dropper.join().unwrap();
}

#[test]
fn a_dropped_receiver_drops_the_queued_messages_and_fails_later_sends() {
    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = cross_thread::unbounded();
    for _ in 0..3 {
        tx.send(Counted(drops.clone())).unwrap();
    }
    // Dropped on another thread, as a Core's receiver would be.
    thread::spawn(move || drop(rx)).join().unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "the queued messages were dropped"
    );
    let back = tx.send(Counted(drops.clone())).unwrap_err().into_inner();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "the failed send handed its value back"
    );
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn the_receiver_ends_when_the_last_strong_sender_drops_while_a_weak_one_remains() {
    let (tx, mut rx) = cross_thread::unbounded::<u32>();
    let weak = tx.downgrade();
    let (waiting_tx, waiting) = std_mpsc::channel();
    let dropper = thread::spawn(move || {
        // Drop once the Core is blocked in `recv`, with nothing else to wake it.
        waiting.recv().unwrap();
        thread::sleep(Duration::from_millis(20));
        drop(tx);
    });
    let (got, weak) = within_guard(move || {
        let mut core = Core::new().unwrap();
        let got = core.run(async move {
            waiting_tx.send(()).unwrap();
            rx.recv().await
        });
        (got, weak)
    });
    assert_eq!(got, None, "the weak sender did not keep the channel open");
    assert!(weak.upgrade().is_none(), "the channel stays closed");
    assert_eq!(weak.strong_count(), 0);
    dropper.join().unwrap();
}

#[test]
fn a_weak_sender_upgraded_on_another_thread_delivers_to_a_core() {
    let (tx, mut rx) = cross_thread::channel(2);
    let weak = tx.downgrade();
    let (upgraded_tx, upgraded) = std_mpsc::channel();
    let producer = thread::spawn(move || {
        let tx = weak.upgrade().expect("a sender is alive");
        upgraded_tx.send(()).unwrap();
        for i in 0..10 {
            tx.blocking_send(i).unwrap();
        }
        weak
    });
    upgraded.recv().unwrap();
    // The upgraded sender alone keeps the channel open now.
    drop(tx);
    let got = within_guard(move || {
        Core::new().unwrap().run(async move {
            let mut got = Vec::new();
            while let Some(i) = rx.recv().await {
                got.push(i);
            }
            got
        })
    });
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    let weak = producer.join().unwrap();
    assert!(weak.upgrade().is_none());
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 0));
}

#[test]
fn queued_messages_are_freed_once_only_weak_senders_remain() {
    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = cross_thread::channel(4);
    let weak = tx.downgrade();
    for _ in 0..3 {
        tx.try_send(Counted(drops.clone())).unwrap();
    }
    thread::spawn(move || drop(tx)).join().unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "still queued for the receiver"
    );
    assert_eq!((weak.strong_count(), weak.weak_count()), (0, 1));
    thread::spawn(move || drop(rx)).join().unwrap();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "freed with the weak one left"
    );
    assert!(weak.upgrade().is_none());
    assert_eq!(weak.weak_count(), 0, "the channel itself is freed");
}

#[test]
fn weak_senders_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    // `Cell` is `Send` but not `Sync`: the channel's lock makes up for it.
    send_sync::<cross_thread::WeakSender<std::cell::Cell<u8>>>();
    send_sync::<cross_thread::WeakUnboundedSender<std::cell::Cell<u8>>>();
}

#[test]
fn a_bounded_channel_holds_a_producer_thread_to_its_capacity() {
    const CAPACITY: usize = 4;
    const MESSAGES: usize = if cfg!(miri) { 40 } else { 5_000 };
    let (tx, mut rx) = cross_thread::channel(CAPACITY);
    let producer = thread::spawn(move || {
        for n in 0..MESSAGES {
            tx.blocking_send(n).unwrap();
        }
    });
    within_guard(move || {
        let mut core = Core::new().unwrap();
        core.run(async move {
            let mut next = 0;
            while let Some(n) = rx.recv().await {
                // Never more queued than the capacity, though the producer may already
                // have filled the slot this message freed.
                assert!(rx.len() <= CAPACITY, "{} queued", rx.len());
                assert_eq!(n, next);
                next += 1;
                if next % 100 == 0 {
                    // Fall behind now and then, so that the producer waits for room.
                    mirage::yield_now().await;
                }
            }
            assert_eq!(next, MESSAGES);
        });
    });
    producer.join().unwrap();
}

#[test]
fn senders_on_other_cores_wait_for_room_and_all_arrive_in_order() {
    const CORES: usize = 3;
    const EACH: usize = if cfg!(miri) { 20 } else { 2_000 };
    let (tx, mut rx) = cross_thread::channel(1);
    let senders: Vec<_> = (0..CORES)
        .map(|core| {
            let tx = tx.clone();
            thread::spawn(move || {
                Core::new().unwrap().run(async move {
                    for n in 0..EACH {
                        tx.send((core, n)).await.unwrap();
                    }
                })
            })
        })
        .collect();
    drop(tx);
    let received = within_guard(move || {
        Core::new().unwrap().run(async move {
            let mut next = [0; CORES];
            while let Some((core, n)) = rx.recv().await {
                assert_eq!(n, next[core], "out of order from Core {core}");
                next[core] += 1;
            }
            next
        })
    });
    assert_eq!(received, [EACH; CORES]);
    senders.into_iter().for_each(|s| s.join().unwrap());
}

#[test]
fn dropping_the_receiver_wakes_a_sender_waiting_on_another_thread() {
    let (tx, rx) = cross_thread::channel(1);
    tx.try_send(1).unwrap();
    let (waiting_tx, waiting) = std_mpsc::channel();
    let sender = thread::spawn(move || {
        waiting_tx.send(()).unwrap();
        // Full: waits until the receiver is gone, then gets its value back.
        tx.blocking_send(2)
    });
    waiting.recv().unwrap();
    thread::sleep(Duration::from_millis(20));
    drop(rx);
    let back = within_guard(move || sender.join().unwrap());
    assert_eq!(back.unwrap_err().into_inner(), 2);
}

#[test]
fn a_plain_thread_receives_with_blocking_recv_what_a_core_sends() {
    let (tx, mut rx) = cross_thread::channel(2);
    let worker = thread::spawn(move || {
        let mut got = Vec::new();
        while let Some(n) = rx.blocking_recv() {
            got.push(n);
        }
        got
    });
    Core::new().unwrap().run(async move {
        for n in 0..10 {
            tx.send(n).await.unwrap();
        }
    });
    let got = within_guard(move || worker.join().unwrap());
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

#[test]
fn a_plain_thread_receives_batches_with_blocking_recv_many_until_the_channel_closes() {
    const LIMIT: usize = 3;
    let (tx, mut rx) = cross_thread::channel(4);
    let worker = thread::spawn(move || {
        let (mut got, mut sizes) = (Vec::new(), Vec::new());
        loop {
            let n = rx.blocking_recv_many(&mut got, LIMIT);
            sizes.push(n);
            if n == 0 {
                return (got, sizes);
            }
        }
    });
    Core::new().unwrap().run(async move {
        for n in 0..20 {
            tx.send(n).await.unwrap();
        }
    });
    let (got, sizes) = within_guard(move || worker.join().unwrap());
    assert_eq!(got, (0..20).collect::<Vec<_>>(), "every message, in order");
    assert_eq!(sizes.last(), Some(&0), "0 only once closed and drained");
    let batches = &sizes[..sizes.len() - 1];
    assert!(
        batches.iter().all(|&n| (1..=LIMIT).contains(&n)),
        "each batch holds 1 to {LIMIT}: {sizes:?}"
    );
}

#[test]
fn a_oneshot_brings_a_threads_result_to_a_task_while_the_core_runs_on() {
    let result = within_guard(|| {
        let mut core = Core::new().unwrap();
        core.run(async {
            let (tx, rx) = cross_thread::oneshot::channel();
            // The worker answers only once another task of the Core has run while the
            // result was awaited: a Core blocked by the wait would never get there.
            let (ran, has_run) = std_mpsc::channel();
            let worker = thread::spawn(move || {
                has_run.recv().unwrap();
                tx.send(7).unwrap();
            });
            mirage::spawn(async move {
                mirage::time::sleep(Duration::from_millis(1)).await;
                ran.send(()).unwrap();
            });
            let result = rx.await;
            worker.join().unwrap();
            result
        })
    });
    assert_eq!(result, Ok(7));
}

#[test]
fn a_oneshot_carries_a_reply_from_one_core_to_another() {
    let reply = within_guard(|| {
        let (requests, mut incoming) =
            cross_thread::unbounded::<(u32, cross_thread::oneshot::Sender<u32>)>();
        let server = thread::spawn(move || {
            Core::new().unwrap().run(async move {
                while let Some((n, reply)) = incoming.recv().await {
                    reply.send(n * 2).unwrap();
                }
            })
        });
        let reply = Core::new().unwrap().run(async move {
            let (tx, rx) = cross_thread::oneshot::channel();
            requests.send((21, tx)).unwrap();
            rx.await
        });
        server.join().unwrap();
        reply
    });
    assert_eq!(reply, Ok(42));
}

#[test]
fn a_oneshot_sender_dropped_on_another_thread_fails_the_waiting_task() {
    let result = within_guard(|| {
        Core::new().unwrap().run(async {
            let (tx, rx) = cross_thread::oneshot::channel::<u32>();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(5));
                drop(tx);
            });
            rx.await
        })
    });
    assert_eq!(result, Err(cross_thread::oneshot::RecvError));
}

#[test]
fn a_dropped_oneshot_receiver_fails_the_send_wakes_closed_and_drops_an_unreceived_value() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let failed = within_guard({
        let drops = Arc::clone(&drops);
        move || {
            // Sent, never received: dropped with the receiver.
            let (tx, rx) = cross_thread::oneshot::channel();
            tx.send(Counted(Arc::clone(&drops))).unwrap();
            thread::spawn(move || drop(rx)).join().unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), 1);

            // A sender waiting on the receiver being dropped on another thread.
            let (tx, rx) = cross_thread::oneshot::channel::<Counted>();
            Core::new().unwrap().run(async {
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(5));
                    drop(rx);
                });
                tx.closed().await;
            });
            let back = tx.send(Counted(Arc::clone(&drops))).unwrap_err();
            drop(back);
            drops.load(Ordering::SeqCst)
        }
    });
    assert_eq!(failed, 2, "the value handed back was dropped once");
}

#[test]
fn a_notify_one_from_another_thread_wakes_a_core_blocked_in_its_poller() {
    let notify = Arc::new(cross_thread::Notify::new());
    let (waiting_tx, waiting) = std_mpsc::channel();
    let notifier = {
        let notify = Arc::clone(&notify);
        thread::spawn(move || {
            waiting.recv().unwrap();
            notify.notify_one();
        })
    };
    let woken = Arc::clone(&notify);
    within_guard(move || {
        let mut core = Core::new().unwrap();
        core.run(async move {
            let notified = woken.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered as a waiter before the other thread may notify.
            assert!(futures_poll_once(notified.as_mut()).is_pending());
            waiting_tx.send(()).unwrap();
            notified.await;
        });
    });
    notifier.join().unwrap();
    // The notification went to the waiter: no permit is left.
    assert!(format!("{notify:?}").contains("permit: false"));
}

#[test]
fn notify_waiters_reaches_every_core_and_a_dropped_pick_passes_on() {
    const CORES: usize = 4;
    let notify = Arc::new(cross_thread::Notify::new());
    let woken = Arc::new(AtomicUsize::new(0));
    let (ready_tx, ready) = std_mpsc::channel();
    let cores: Vec<_> = (0..CORES)
        .map(|_| {
            let (notify, woken, ready_tx) = (notify.clone(), woken.clone(), ready_tx.clone());
            thread::spawn(move || {
                let mut core = Core::new().unwrap();
                let notified = notify.notified();
                ready_tx.send(()).unwrap();
                core.run(notified);
                woken.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for _ in 0..CORES {
        ready.recv().unwrap();
    }
    notify.notify_waiters();
    for core in cores {
        core.join().unwrap();
    }
    assert_eq!(woken.load(Ordering::SeqCst), CORES);

    // A waiter picked by notify_one and dropped before it saw it hands the wake-up on.
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut first = std::pin::pin!(notify.notified());
        assert!(futures_poll_once(first.as_mut()).is_pending());
        let second = notify.notified();
        let mut second = std::pin::pin!(second);
        assert!(futures_poll_once(second.as_mut()).is_pending());
        notify.notify_one(); // picks `first`
    });
    // Both were dropped with the run's future, `second` first; then `first` handed its
    // wake-up on, and with nobody left waiting it became the permit.
    assert!(format!("{notify:?}").contains("permit: true"));
}

#[test]
fn the_cross_thread_notify_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<cross_thread::Notify>();
    send::<cross_thread::Notified<'static>>();
    send_sync::<cross_thread::OwnedNotified>();
}

#[test]
fn notify_last_from_another_thread_picks_the_newest_owned_waiter() {
    let notify = Arc::new(cross_thread::Notify::new());
    let mut older = Box::pin(Arc::clone(&notify).notified_owned());
    let mut newer = Box::pin(Arc::clone(&notify).notified_owned());
    assert!(!older.as_mut().enable() && !newer.as_mut().enable());
    let notifier = Arc::clone(&notify);
    thread::spawn(move || notifier.notify_last())
        .join()
        .unwrap();
    assert!(newer.as_mut().enable(), "the newest was picked");
    assert!(!older.as_mut().enable());
    // `newer` moves to a thread of its own and completes there.
    thread::spawn(move || Core::new().unwrap().run(newer))
        .join()
        .unwrap();
    drop(older);
    assert!(format!("{notify:?}").contains("permit: false"));
    assert_eq!(Arc::strong_count(&notify), 1, "the futures' Arcs are gone");
}

/// Polls `future` once with a waker that does nothing.
fn futures_poll_once<F: std::future::Future>(
    future: std::pin::Pin<&mut F>,
) -> std::task::Poll<F::Output> {
    future.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
}

#[test]
fn an_owned_permit_moved_to_another_thread_still_tells_its_channel() {
    let (tx, mut rx) = cross_thread::channel::<u8>(2);
    let (other, _other_rx) = cross_thread::channel::<u8>(2);
    let permit = tx.clone().try_reserve_owned().unwrap();
    let (same, same_as_tx, same_as_other, permit) = thread::spawn(move || {
        let second = tx.clone().try_reserve_owned().unwrap();
        let answers = (
            permit.same_channel(&second),
            permit.same_channel_as_sender(&tx),
            permit.same_channel_as_sender(&other),
        );
        (answers.0, answers.1, answers.2, permit)
    })
    .join()
    .unwrap();
    assert!(same && same_as_tx && !same_as_other);
    permit.send(7);
    assert_eq!(rx.try_recv(), Ok(7));
}

#[test]
fn a_batch_reserved_on_one_core_waits_for_a_thread_to_free_every_slot() {
    let (tx, mut rx) = cross_thread::channel::<u32>(4);
    for n in 0..4 {
        tx.try_send(n).unwrap();
    }
    assert!(tx.try_reserve_many(1).unwrap_err().is_full());
    let batch = thread::spawn(move || {
        Core::new().unwrap().run(async move {
            let permits = tx.reserve_many(4).await.unwrap();
            assert_eq!(permits.len(), 4);
            for (n, permit) in (10..).zip(permits) {
                permit.send(n);
            }
        })
    });
    let received: Vec<u32> = (0..8).map(|_| rx.blocking_recv().unwrap()).collect();
    batch.join().unwrap();
    assert_eq!(received, [0, 1, 2, 3, 10, 11, 12, 13]);
}

/// A message whose drop panics, and counts its drops.
struct PanicOnDrop(bool, Arc<AtomicUsize>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
        if self.0 {
            panic!("a queued message's drop panics");
        }
    }
}

#[test]
fn a_queued_message_whose_drop_panics_leaves_the_others_dropped_and_the_channel_closed() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = cross_thread::unbounded();
    for panics in [true, false, false] {
        tx.send(PanicOnDrop(panics, Arc::clone(&drops)))
            .ok()
            .unwrap();
    }
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx)));
    assert!(dropped.is_err(), "the panic reaches the receiver's owner");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "the messages after it went too"
    );
    assert!(tx.is_closed());
    assert!(tx.send(PanicOnDrop(false, Arc::clone(&drops))).is_err());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        4,
        "a later send hands its message back"
    );

    let (tx, rx) = cross_thread::channel(2);
    tx.try_send(PanicOnDrop(true, Arc::clone(&drops)))
        .ok()
        .unwrap();
    tx.try_send(PanicOnDrop(false, Arc::clone(&drops)))
        .ok()
        .unwrap();
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx))).is_err());
    assert_eq!(drops.load(Ordering::SeqCst), 6);
    assert!(tx.is_closed());
}

#[test]
fn a_permit_whose_message_panics_as_it_is_dropped_gives_its_slot_back_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = cross_thread::channel(2);
    let first = tx.try_reserve().unwrap();
    let second = tx.try_reserve().unwrap();
    drop(rx);
    // The receiver is gone: `send` gives the slot back and drops the message, which panics.
    let sent = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        first.send(PanicOnDrop(true, Arc::clone(&drops)));
    }));
    assert!(sent.is_err(), "the panic reaches the caller of send");
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(tx.capacity(), 1, "the other permit still holds its slot");
    drop(second);
    assert_eq!(
        tx.capacity(),
        tx.max_capacity(),
        "every slot given back once"
    );
}

/// `closed()` is cancel-safe: a `closed` future dropped while it waits (a losing `select!`
/// branch) leaves nothing behind, and another one, waiting alongside or made later, still
/// completes when the receiver goes on another thread.
#[test]
fn a_dropped_closed_future_leaves_the_others_to_complete() {
    within_guard(|| {
        let (bounded, rx) = cross_thread::channel::<u8>(1);
        let (unbounded, urx) = cross_thread::unbounded::<u8>();
        Core::new().unwrap().run(async {
            for _ in 0..3 {
                let lost = mirage::time::timeout(Duration::from_millis(1), bounded.closed());
                assert!(lost.await.is_err(), "the receiver is alive");
                let lost = mirage::time::timeout(Duration::from_millis(1), unbounded.closed());
                assert!(lost.await.is_err(), "the receiver is alive");
            }
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(5));
                drop((rx, urx));
            });
            mirage::join!(bounded.closed(), unbounded.closed());
        });
    });
}

#[test]
fn misuse_panics_name_the_caller_s_line() {
    use mirage::sync::cross_thread::{Mutex, RwLock, Semaphore};
    use panic_site::panic_location;

    assert_eq!(
        panic_location(|| _ = cross_thread::channel::<()>(0)),
        file!()
    );
    let lock = RwLock::with_max_readers((), 1);
    assert_eq!(
        panic_location(|| _ = RwLock::with_max_readers((), 0)),
        file!()
    );
    let (one, other) = (Semaphore::new(1), Semaphore::new(1));
    let mut permit = one.try_acquire().unwrap();
    let stranger = other.try_acquire().unwrap();
    assert_eq!(panic_location(move || permit.merge(stranger)), file!());
    // The blocking forms, called on a thread that runs a Core.
    let mut core = Core::new().unwrap();
    core.run(async {
        let (tx, mut rx) = cross_thread::channel::<()>(1);
        assert_eq!(panic_location(|| _ = tx.blocking_send(())), file!());
        assert_eq!(panic_location(|| _ = rx.blocking_recv()), file!());
        let mut batch = Vec::new();
        let many = panic_location(|| _ = rx.blocking_recv_many(&mut batch, 1));
        assert_eq!(many, file!());
        let (_tx, mut rx) = cross_thread::unbounded::<()>();
        assert_eq!(panic_location(|| _ = rx.blocking_recv()), file!());
        let many = panic_location(|| _ = rx.blocking_recv_many(&mut batch, 1));
        assert_eq!(many, file!());
        let (_tx, rx) = cross_thread::oneshot::channel::<()>();
        assert_eq!(panic_location(|| _ = rx.blocking_recv()), file!());
        let mutex = Arc::new(Mutex::new(()));
        assert_eq!(panic_location(|| _ = mutex.blocking_lock()), file!());
        let owned = panic_location(|| _ = Arc::clone(&mutex).blocking_lock_owned());
        assert_eq!(owned, file!());
        assert_eq!(panic_location(|| _ = lock.blocking_read()), file!());
        assert_eq!(panic_location(|| _ = lock.blocking_write()), file!());
        let semaphore = Arc::new(Semaphore::new(1));
        assert_eq!(panic_location(|| _ = semaphore.blocking_acquire()), file!());
        let owned = panic_location(|| _ = Arc::clone(&semaphore).blocking_acquire_owned());
        assert_eq!(owned, file!());
    });
}

/// The errors the cross-thread types return can be named from `cross_thread`, where the
/// types are, as tokio's can from `tokio::sync` and `tokio::sync::mpsc::error`.
#[test]
fn the_errors_are_named_beside_the_types_that_return_them() {
    use cross_thread::error::TrySendError as ErrorModule;
    use cross_thread::{Mutex, Semaphore, TryAcquireError, TryLockError, TrySendError};

    let (tx, _rx) = cross_thread::channel::<u8>(1);
    tx.try_send(1).unwrap();
    assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    assert!(matches!(tx.try_send(3), Err(ErrorModule::Full(3))));
    let mutex = Mutex::new(());
    let _held = mutex.try_lock().unwrap();
    let _: TryLockError = mutex.try_lock().unwrap_err();
    let none = Semaphore::new(0);
    assert_eq!(none.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
}
