//! `mirage::sync::cross_thread::broadcast`: receivers on Cores on two other threads each
//! get every value a thread sends, in order; a receiver that falls behind learns how many
//! values it missed, then reads on from the oldest one held; the channel closes for a
//! receiver on a Core only once the last sender, on whichever thread, is gone and every
//! value is read; a plain thread follows with `blocking_recv`; a receiver waiting on a Core
//! blocked in its poller wakes for a send from another thread; `closed` completes when the
//! last receiver drops on another thread.

mod guard;
mod panic_site;

use std::sync::{Arc, Barrier, mpsc as std_mpsc};
use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::Core;
use mirage::sync::cross_thread::broadcast::{self, error::RecvError};
use mirage::sync::cross_thread::oneshot;

/// A bound for one wait inside a Core, well above what it takes.
const WAIT: Duration = Duration::from_secs(5);

#[test]
fn receivers_on_two_other_cores_each_get_every_value_in_order() {
    const SENDS: u64 = if cfg!(miri) { 40 } else { 10_000 };
    // Room for every value: no receiver can lag, however late its Core starts.
    let (tx, rx) = broadcast::channel(SENDS as usize);
    let cores: Vec<_> = [rx.resubscribe(), rx]
        .into_iter()
        .map(|mut rx| {
            thread::spawn(move || {
                within_guard(move || {
                    Core::new().unwrap().run(async move {
                        let mut got = Vec::new();
                        while let Ok(n) = rx.recv().await {
                            got.push(n);
                        }
                        got
                    })
                })
            })
        })
        .collect();
    let sender = thread::spawn(move || {
        for n in 0..SENDS {
            assert_eq!(tx.send(n).unwrap(), 2, "both receivers live until the end");
            if n % 64 == 0 {
                // Let the Cores catch up and wait again now and then, so that sends also
                // find them waiting.
                thread::yield_now();
            }
        }
    });
    sender.join().unwrap();
    for core in cores {
        let got = core.join().unwrap();
        assert_eq!(
            got,
            (0..SENDS).collect::<Vec<_>>(),
            "a value lost or reordered"
        );
    }
}

#[test]
fn a_receiver_that_falls_behind_learns_how_many_values_it_missed() {
    let (tx, mut rx) = broadcast::channel(4);
    let (sent_tx, sent) = oneshot::channel();
    let sender = thread::spawn(move || {
        for n in 0..10 {
            tx.send(n).unwrap();
        }
        sent_tx.send(()).unwrap();
        tx // still open
    });
    let got = within_guard(move || {
        Core::new().unwrap().run(async move {
            sent.await.unwrap();
            let mut got = Vec::new();
            for _ in 0..5 {
                got.push(rx.recv().await);
            }
            let waiting = mirage::time::timeout(Duration::from_millis(20), rx.recv()).await;
            assert!(
                waiting.is_err(),
                "the channel is empty and open: recv waits"
            );
            got
        })
    });
    assert_eq!(
        got,
        [Err(RecvError::Lagged(6)), Ok(6), Ok(7), Ok(8), Ok(9)],
        "the six oldest were overwritten; the four newest are read in order"
    );
    drop(sender.join().unwrap());
}

#[test]
fn a_receiver_on_a_core_sees_the_close_only_once_the_last_sender_on_any_thread_is_gone() {
    const THREADS: usize = 3;
    const EACH: usize = 100;
    let (tx, mut rx) = broadcast::channel(THREADS * EACH);
    let start = Arc::new(Barrier::new(THREADS));
    let senders: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (tx, start) = (tx.clone(), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                for n in 0..EACH {
                    tx.send((thread, n)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let got = within_guard(move || {
        Core::new().unwrap().run(async move {
            let mut next = [0; THREADS];
            while let Ok((thread, n)) = rx.recv().await {
                assert_eq!(n, next[thread], "thread {thread}'s values out of order");
                next[thread] += 1;
            }
            assert!(rx.is_closed());
            next
        })
    });
    assert_eq!(
        got, [EACH; THREADS],
        "the close came before every value was read"
    );
    senders.into_iter().for_each(|s| s.join().unwrap());
}

#[test]
fn a_plain_thread_follows_what_a_core_sends_with_blocking_recv() {
    let (tx, mut rx) = broadcast::channel(2);
    let (ready_tx, ready) = oneshot::channel();
    let (burst_tx, burst) = std_mpsc::channel();
    let listener = thread::spawn(move || {
        let mut ready_tx = Some(ready_tx);
        let mut got = Vec::new();
        loop {
            match rx.blocking_recv() {
                Ok(n) => {
                    got.push(n);
                    if let Some(ready_tx) = ready_tx.take() {
                        // The Core now sends more than the capacity before this thread
                        // reads on.
                        ready_tx.send(()).unwrap();
                        burst.recv().unwrap();
                    }
                }
                Err(RecvError::Lagged(missed)) => got.push(-(missed as i64)),
                Err(RecvError::Closed) => return got,
            }
        }
    });
    within_guard(move || {
        Core::new().unwrap().run(async move {
            tx.send(1).unwrap();
            mirage::time::timeout(WAIT, ready).await.unwrap().unwrap();
            for n in 2..=5 {
                tx.send(n).unwrap();
            }
            burst_tx.send(()).unwrap();
        })
    });
    let got = within_guard(move || listener.join().unwrap());
    assert_eq!(
        got,
        [1, -2, 4, 5],
        "2 and 3 were overwritten before the thread read on"
    );
}

#[test]
fn a_receiver_waiting_on_a_core_blocked_in_its_poller_wakes_for_a_send_from_another_thread() {
    let (tx, mut rx) = broadcast::channel(1);
    let (waiting_tx, waiting) = std_mpsc::channel();
    let sender = thread::spawn(move || {
        // Send once the Core is waiting, with nothing else to wake it: the pause lets it
        // reach its poller.
        waiting.recv().unwrap();
        thread::sleep(Duration::from_millis(20));
        tx.send("awake").unwrap();
        tx
    });
    let got = within_guard(move || {
        Core::new().unwrap().run(async move {
            waiting_tx.send(()).unwrap();
            mirage::time::timeout(WAIT, rx.recv()).await
        })
    });
    assert_eq!(got, Ok(Ok("awake")));
    drop(sender.join().unwrap());
}

#[test]
fn closed_on_a_core_completes_when_the_last_receiver_drops_on_another_thread() {
    let (tx, rx) = broadcast::channel::<u8>(1);
    let others: Vec<_> = (0..2).map(|_| rx.resubscribe()).collect();
    drop(rx);
    let (waiting_tx, waiting) = std_mpsc::channel();
    let dropper = thread::spawn(move || {
        waiting.recv().unwrap();
        for rx in others {
            thread::sleep(Duration::from_millis(10));
            drop(rx);
        }
    });
    let closed = within_guard(move || {
        Core::new().unwrap().run(async move {
            waiting_tx.send(()).unwrap();
            let closed = mirage::time::timeout(WAIT, tx.closed()).await;
            (closed.is_ok(), tx.receiver_count(), tx.send(1).is_err())
        })
    });
    assert_eq!(closed, (true, 0, true));
    dropper.join().unwrap();
}

#[test]
fn misuse_panics_name_the_caller_s_line() {
    use panic_site::panic_location;

    assert_eq!(
        panic_location(|| drop(broadcast::channel::<()>(0))),
        file!()
    );
    let mut core = Core::new().unwrap();
    core.run(async {
        let (_tx, mut rx) = broadcast::channel::<()>(1);
        assert_eq!(panic_location(|| _ = rx.blocking_recv()), file!());
    });
}
