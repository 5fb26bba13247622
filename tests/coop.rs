//! Cooperative scheduling: a task whose socket, channel, watch, semaphore, timers, joined
//! tasks or copies are always ready still gives the other tasks a turn, after at most one budget of
//! operations, and loses nothing when it does.

use std::cell::Cell;
use std::future::Future;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;

use mirage::coop::BUDGET;
use mirage::io::{AsyncFd, AsyncReadExt, AsyncWriteExt, copy, copy_bidirectional, copy_buf, join};
use mirage::net::UnixStream;
use mirage::sync::{Semaphore, broadcast, cross_thread, mpsc, oneshot, watch};
use mirage::time::{self, Instant, MissedTickBehavior};
use mirage::{Core, JoinSet};

/// More one-byte reads queued than many budgets' worth.
const QUEUED: usize = 16 * 1024;

/// A reader that finds a byte at every read (a one-byte read never drains the socket, so
/// no read ever waits) and counts its reads until `other_ran` is set.
async fn read_until(reader: &UnixStream, other_ran: &Cell<bool>) -> usize {
    let mut reads = 0;
    let mut byte = [0u8; 1];
    while !other_ran.get() {
        assert_eq!(reader.read(&mut byte).await.unwrap(), 1);
        reads += 1;
        assert!(reads < QUEUED, "the other task never ran");
    }
    reads
}

#[test]
fn a_task_whose_socket_is_always_ready_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        let (reader, writer) = UnixStream::pair().unwrap();
        writer.write_all(&[7; QUEUED]).await.unwrap();
        |other_ran: Rc<Cell<bool>>| async move { read_until(&reader, &other_ran).await }
    });
}

#[test]
fn the_root_future_yields_too() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (reader, writer) = UnixStream::pair().unwrap();
        writer.write_all(&[7; QUEUED]).await.unwrap();
        let other_ran = Rc::new(Cell::new(false));
        mirage::spawn({
            let other_ran = other_ran.clone();
            async move { other_ran.set(true) }
        });
        let reads = read_until(&reader, &other_ran).await;
        assert!(
            (1..=usize::from(BUDGET) + 1).contains(&reads),
            "the other task ran after {reads} reads"
        );
    });
}

#[test]
fn an_async_fd_that_is_always_ready_lets_a_later_task_run() {
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    reader.set_nonblocking(true).unwrap();
    writer.write_all(&[7; QUEUED]).unwrap();
    let reader = AsyncFd::new(reader).unwrap();
    let mut core = Core::new().unwrap();
    let reads = core.run(async {
        // The first wait registers the descriptor and waits for its first event.
        let _ = reader.readable().await.unwrap();
        let other_ran = Rc::new(Cell::new(false));
        mirage::spawn({
            let other_ran = other_ran.clone();
            async move { other_ran.set(true) }
        });
        let mut reads = 0;
        let mut byte = [0u8; 1];
        while !other_ran.get() {
            // Each wait finds the descriptor ready (one byte never drains it).
            let mut guard = reader.readable().await.unwrap();
            let n = guard.try_io(|fd| fd.get_ref().read(&mut byte));
            assert_eq!(n.expect("a byte is queued").unwrap(), 1);
            reads += 1;
            assert!(reads < QUEUED, "the other task never ran");
        }
        reads
    });
    assert!(
        (1..=usize::from(BUDGET) + 1).contains(&reads),
        "the other task ran after {reads} reads"
    );
}

/// Asserts that a task whose loop only meets ready operations lets a later task run within
/// one budget. `busy` gets the flag the later task sets, loops until it sees it, and returns
/// how many operations it completed; it is spawned before the task that sets the flag, so
/// that task runs only when `busy` yields.
///
/// `prepare` runs first, on the Core, and returns `busy`.
fn assert_a_later_task_runs_within_a_budget<Prepare, Busy, Fut>(prepare: Prepare)
where
    Prepare: Future<Output = Busy>,
    Busy: FnOnce(Rc<Cell<bool>>) -> Fut,
    Fut: Future<Output = usize> + 'static,
{
    let mut core = Core::new().unwrap();
    let ops = core.run(async move {
        let busy = prepare.await;
        let other_ran = Rc::new(Cell::new(false));
        let busy = mirage::spawn(busy(other_ran.clone()));
        mirage::spawn(async move { other_ran.set(true) });
        busy.await.unwrap()
    });
    assert!(
        (1..=usize::from(BUDGET) + 1).contains(&ops),
        "the other task ran after {ops} operations"
    );
}

#[test]
fn a_channel_that_is_never_empty_lets_a_later_task_run_and_loses_nothing() {
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| {
            let (tx, mut rx) = mpsc::unbounded();
            for n in 0..QUEUED {
                tx.send(n).unwrap();
            }
            drop(tx);
            async move {
                let mut received = 0;
                while !other_ran.get() {
                    assert_eq!(rx.recv().await, Some(received));
                    received += 1;
                    assert!(received < QUEUED, "the other task never ran");
                }
                // Every value is still there, in order, after the receives that yielded.
                let ops = received;
                while let Some(n) = rx.recv().await {
                    assert_eq!(n, received);
                    received += 1;
                }
                assert_eq!(received, QUEUED);
                ops
            }
        }
    });
}

#[test]
fn a_cross_thread_channel_that_is_never_empty_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        let (tx, mut rx) = cross_thread::unbounded();
        // Filled from another thread before the loop starts.
        std::thread::spawn(move || {
            for n in 0..QUEUED {
                tx.send(n).unwrap();
            }
        })
        .join()
        .unwrap();
        |other_ran: Rc<Cell<bool>>| async move {
            let mut received = 0;
            while !other_ran.get() {
                assert_eq!(rx.recv().await, Some(received));
                received += 1;
                assert!(received < QUEUED, "the other task never ran");
            }
            received
        }
    });
}

#[test]
fn a_bounded_channel_with_room_lets_a_later_sender_run_and_loses_nothing() {
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| {
            let (tx, mut rx) = mpsc::channel(QUEUED);
            async move {
                let mut sent = 0;
                while !other_ran.get() {
                    tx.send(sent).await.unwrap();
                    sent += 1;
                    assert!(sent < QUEUED, "the other task never ran");
                }
                drop(tx);
                // Each value sent once, in order: a send that yielded sent nothing.
                for n in 0..sent {
                    assert_eq!(rx.try_recv(), Ok(n));
                }
                assert!(rx.try_recv().is_err());
                sent
            }
        }
    });
}

#[test]
fn reserving_in_a_bounded_channel_with_room_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| {
            let (tx, mut rx) = mpsc::channel(QUEUED);
            async move {
                let mut sent = 0;
                while !other_ran.get() {
                    tx.reserve().await.unwrap().send(sent);
                    sent += 1;
                    assert!(sent < QUEUED, "the other task never ran");
                }
                // A reserve that yielded held no slot: all the rest are free.
                assert_eq!(tx.capacity(), QUEUED - sent);
                drop(tx);
                for n in 0..sent {
                    assert_eq!(rx.try_recv(), Ok(n));
                }
                sent
            }
        }
    });
}

#[test]
fn receiving_batches_from_a_channel_that_is_never_empty_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| {
            let (tx, mut rx) = mpsc::unbounded();
            for n in 0..QUEUED {
                tx.send(n).unwrap();
            }
            async move {
                let mut batch = Vec::new();
                let mut batches = 0;
                while !other_ran.get() {
                    assert_eq!(rx.recv_many(&mut batch, 2).await, 2);
                    batches += 1;
                    assert!(batches * 2 < QUEUED, "the other task never ran");
                }
                // Every value so far, in order, none lost to a batch that yielded.
                assert!(batch.iter().copied().eq(0..batches * 2));
                drop(tx);
                batches
            }
        }
    });
}

/// A task that keeps calling a receive, send or acquire that its closed channel or
/// semaphore ends at once still lets a later task run, as in tokio, where each such call
/// spends a unit of budget: the call (which must end closed) is awaited in a loop until the
/// other task has run.
macro_rules! assert_calls_ending_closed_let_a_later_task_run {
    ($ends_closed:expr) => {
        assert_a_later_task_runs_within_a_budget(async {
            |other_ran: Rc<Cell<bool>>| async move {
                let mut receives = 0;
                while !other_ran.get() {
                    assert!($ends_closed);
                    receives += 1;
                    assert!(receives < QUEUED, "the other task never ran");
                }
                receives
            }
        })
    };
}

#[test]
fn calls_ending_on_a_closed_channel_or_semaphore_let_a_later_task_run() {
    let (_, mut rx) = mpsc::unbounded::<()>();
    assert_calls_ending_closed_let_a_later_task_run!(rx.recv().await.is_none());
    let (_, mut rx) = mpsc::channel::<()>(1);
    assert_calls_ending_closed_let_a_later_task_run!(rx.recv().await.is_none());
    let (_, mut rx) = cross_thread::unbounded::<()>();
    assert_calls_ending_closed_let_a_later_task_run!(rx.recv().await.is_none());
    let (_, mut rx) = cross_thread::channel::<()>(1);
    assert_calls_ending_closed_let_a_later_task_run!(rx.recv().await.is_none());
    let (_, mut rx) = broadcast::channel::<()>(1);
    assert_calls_ending_closed_let_a_later_task_run!(rx.recv().await.is_err());
    let (_, mut rx) = cross_thread::broadcast::channel::<()>(1);
    assert_calls_ending_closed_let_a_later_task_run!(rx.recv().await.is_err());
    let (_, mut rx) = watch::channel(());
    assert_calls_ending_closed_let_a_later_task_run!(rx.changed().await.is_err());
    let (_, mut rx) = cross_thread::watch::channel(());
    assert_calls_ending_closed_let_a_later_task_run!(rx.changed().await.is_err());
    // And the calls on the other side that a closed channel or semaphore ends at once.
    let (tx, _) = mpsc::channel::<()>(1);
    assert_calls_ending_closed_let_a_later_task_run!(tx.send(()).await.is_err());
    let (tx, _) = mpsc::channel::<()>(1);
    assert_calls_ending_closed_let_a_later_task_run!(tx.reserve().await.is_err());
    let (tx, _) = cross_thread::channel::<()>(1);
    assert_calls_ending_closed_let_a_later_task_run!(tx.send(()).await.is_err());
    let (mut tx, _) = oneshot::channel::<()>();
    assert_calls_ending_closed_let_a_later_task_run!({
        tx.closed().await;
        tx.is_closed()
    });
    let (tx, _) = cross_thread::oneshot::channel::<()>();
    assert_calls_ending_closed_let_a_later_task_run!({
        tx.closed().await;
        tx.is_closed()
    });
    let (tx, _) = watch::channel(());
    assert_calls_ending_closed_let_a_later_task_run!({
        tx.closed().await;
        tx.is_closed()
    });
    let (tx, _) = cross_thread::watch::channel(());
    assert_calls_ending_closed_let_a_later_task_run!({
        tx.closed().await;
        tx.is_closed()
    });
    let closed = Semaphore::new(1);
    closed.close();
    assert_calls_ending_closed_let_a_later_task_run!(closed.acquire().await.is_err());
    let closed = cross_thread::Semaphore::new(1);
    closed.close();
    assert_calls_ending_closed_let_a_later_task_run!(closed.acquire().await.is_err());
}

#[test]
fn a_broadcast_receiver_that_always_has_a_value_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| {
            let (tx, mut rx) = broadcast::channel(QUEUED);
            for n in 0..QUEUED {
                tx.send(n).unwrap();
            }
            async move {
                let mut received = 0;
                while !other_ran.get() {
                    assert_eq!(rx.recv().await, Ok(received));
                    received += 1;
                    assert!(received < QUEUED, "the other task never ran");
                }
                // A receive that yielded took nothing.
                assert_eq!(rx.len(), QUEUED - received);
                drop(tx);
                received
            }
        }
    });
}

#[test]
fn reading_a_duplex_stream_that_always_has_bytes_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        let (mut writer, mut reader) = mirage::io::duplex(QUEUED);
        let bytes: Vec<u8> = (0..QUEUED).map(|n| n as u8).collect();
        writer.write_all(&bytes).await.unwrap();
        |other_ran: Rc<Cell<bool>>| async move {
            let mut read = 0;
            let mut byte = [0; 1];
            while !other_ran.get() {
                assert_eq!(reader.read(&mut byte).await.unwrap(), 1);
                assert_eq!(byte[0], read as u8, "a read that yielded took nothing");
                read += 1;
                assert!(read < QUEUED, "the other task never ran");
            }
            drop(writer);
            read
        }
    });
}

#[test]
fn copying_between_streams_that_are_always_ready_lets_a_later_task_run() {
    // In-memory readers and writers spend no budget of their own: the copies must.
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| async move {
            let mut copies = 0;
            while !other_ran.get() {
                let mut out = Vec::new();
                assert_eq!(copy(&mut &b"hello"[..], &mut out).await.unwrap(), 5);
                copies += 1;
                assert!(copies < QUEUED, "copy never let the other task run");
            }
            copies
        }
    });
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| async move {
            let mut copies = 0;
            while !other_ran.get() {
                let mut out = Vec::new();
                assert_eq!(copy_buf(&mut &b"hello"[..], &mut out).await.unwrap(), 5);
                copies += 1;
                assert!(copies < QUEUED, "copy_buf never let the other task run");
            }
            copies
        }
    });
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| async move {
            let mut copies = 0;
            while !other_ran.get() {
                let mut a = join(&b"hello"[..], Vec::new());
                let mut b = join(&b"world!"[..], Vec::new());
                let copied = copy_bidirectional(&mut a, &mut b).await.unwrap();
                assert_eq!(copied, (5, 6));
                copies += 1;
                assert!(
                    copies < QUEUED,
                    "copy_bidirectional never let the other task run"
                );
            }
            copies
        }
    });
}

#[test]
fn ready_oneshots_let_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        let receivers: Vec<_> = (0..QUEUED)
            .map(|n| {
                let (tx, rx) = oneshot::channel();
                tx.send(n).unwrap();
                rx
            })
            .collect();
        |other_ran: Rc<Cell<bool>>| async move {
            await_in_order_until(&other_ran, receivers, |n, received| {
                assert_eq!(received, Ok(n))
            })
            .await
        }
    });
}

#[test]
fn a_watch_that_always_changed_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| {
            let (tx, mut rx) = watch::channel(0);
            async move {
                let mut seen = 0;
                while !other_ran.get() {
                    tx.send(seen + 1).unwrap();
                    rx.changed().await.unwrap();
                    seen += 1;
                    assert_eq!(*rx.borrow(), seen, "a change lost");
                    assert!(seen < QUEUED, "the other task never ran");
                }
                seen
            }
        }
    });
}

#[test]
fn a_watch_whose_value_wait_for_accepts_lets_a_later_task_run() {
    let (_tx, mut rx) = watch::channel(1);
    assert_calls_ending_closed_let_a_later_task_run!(rx.wait_for(|&n| n == 1).await.is_ok());
    let (_tx, mut rx) = cross_thread::watch::channel(1);
    assert_calls_ending_closed_let_a_later_task_run!(rx.wait_for(|&n| n == 1).await.is_ok());
}

#[test]
fn a_semaphore_with_free_permits_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| async move {
            let semaphore = Semaphore::new(1);
            let mut acquired = 0;
            while !other_ran.get() {
                drop(semaphore.acquire().await.unwrap());
                acquired += 1;
                assert!(acquired < QUEUED, "the other task never ran");
            }
            assert_eq!(
                semaphore.available_permits(),
                1,
                "a permit lost while yielding"
            );
            acquired
        }
    });
}

#[test]
fn joining_finished_tasks_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        let handles: Vec<_> = (0..QUEUED)
            .map(|n| mirage::spawn(async move { n }))
            .collect();
        while !handles.iter().all(|handle| handle.is_finished()) {
            mirage::yield_now().await;
        }
        |other_ran: Rc<Cell<bool>>| async move {
            await_in_order_until(&other_ran, handles, |n, joined| {
                assert_eq!(joined.unwrap(), n)
            })
            .await
        }
    });
}

#[test]
fn a_join_set_of_finished_tasks_lets_a_later_task_run_and_loses_no_result() {
    assert_a_later_task_runs_within_a_budget(async {
        let mut set = JoinSet::new();
        for n in 0..QUEUED {
            set.spawn(async move { n });
        }
        mirage::yield_now().await; // every task runs to completion
        |other_ran: Rc<Cell<bool>>| async move {
            let mut joined = Vec::new();
            while !other_ran.get() {
                joined.push(set.join_next().await.unwrap().unwrap());
                assert!(joined.len() < QUEUED, "the other task never ran");
            }
            let ops = joined.len();
            while let Some(result) = set.join_next().await {
                joined.push(result.unwrap());
            }
            joined.sort_unstable();
            assert!(
                joined.into_iter().eq(0..QUEUED),
                "a result lost or repeated"
            );
            ops
        }
    });
}

#[test]
fn joining_remote_handles_of_cancelled_work_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        // Work handed to a Core that is gone: each handle reports it cancelled at once.
        let gone = Core::new().unwrap();
        let spawner = gone.spawner();
        drop(gone);
        let handles: Vec<_> = (0..QUEUED).map(|_| spawner.spawn(|| async {})).collect();
        |other_ran: Rc<Cell<bool>>| async move {
            await_in_order_until(&other_ran, handles, |_, joined| {
                assert!(joined.unwrap_err().is_cancelled())
            })
            .await
        }
    });
}

/// Awaits `ready` (futures that are all ready) in order until `other_ran` is set, checking
/// each output with its index; returns how many it awaited.
async fn await_in_order_until<F: Future>(
    other_ran: &Cell<bool>,
    ready: Vec<F>,
    check: impl Fn(usize, F::Output),
) -> usize {
    let mut awaited = 0;
    for future in ready {
        if other_ran.get() {
            break;
        }
        check(awaited, future.await);
        awaited += 1;
    }
    assert!(awaited < QUEUED, "the other task never ran");
    awaited
}

#[test]
fn sleeps_already_due_let_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        time::pause();
        let start = Instant::now();
        time::advance(Duration::from_secs(1)).await;
        move |other_ran: Rc<Cell<bool>>| async move {
            let mut slept = 0;
            while !other_ran.get() {
                time::sleep_until(start).await;
                slept += 1;
                assert!(slept < QUEUED, "the other task never ran");
            }
            slept
        }
    });
}

#[test]
fn a_burst_of_missed_ticks_lets_a_later_task_run_and_loses_no_tick() {
    assert_a_later_task_runs_within_a_budget(async {
        time::pause();
        let period = Duration::from_millis(1);
        let mut ticks = time::interval(period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let first = ticks.tick().await;
        time::advance(period * QUEUED as u32).await;
        move |other_ran: Rc<Cell<bool>>| async move {
            let mut ticked = 0;
            while !other_ran.get() {
                ticked += 1;
                assert_eq!(ticks.tick().await, first + period * ticked);
                assert!((ticked as usize) < QUEUED, "the other task never ran");
            }
            ticked as usize
        }
    });
}

#[test]
fn a_future_that_spends_the_whole_budget_at_every_poll_still_times_out() {
    // Run on a thread of its own, so that a timeout that never fires fails the test
    // instead of hanging it.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut core = Core::new().unwrap();
        let outcome = core.run(time::timeout(Duration::from_millis(20), async {
            loop {
                mirage::coop::consume_budget().await;
            }
        }));
        done_tx.send(outcome.is_err()).unwrap();
    });
    let timed_out = done_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the timeout never fired");
    assert!(timed_out);
}

/// How many more units the running task's budget has (up to `cap`), spending them.
fn spend_left(cx: &mut std::task::Context<'_>, cap: usize) -> usize {
    let mut spent = 0;
    while spent < cap && mirage::coop::poll_proceed(cx).is_ready() {
        spent += 1;
    }
    spent
}

#[test]
fn dropping_a_core_inside_a_task_keeps_the_task_s_budget() {
    let mut core = Core::new().unwrap();
    let left = core.run(async {
        mirage::spawn(std::future::poll_fn(|cx| {
            for _ in 0..100 {
                assert!(mirage::coop::poll_proceed(cx).is_ready());
            }
            // A Core owned by the task, dropped in the middle of its poll.
            drop(Core::new().unwrap());
            std::task::Poll::Ready(spend_left(cx, 10 * usize::from(BUDGET)))
        }))
        .await
        .unwrap()
    });
    assert_eq!(left, usize::from(BUDGET) - 100);
}

#[test]
fn a_park_hook_runs_outside_any_task_s_budget() {
    let in_hook = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let runtime = mirage::runtime::Builder::new_current_thread()
        .on_thread_park({
            let in_hook = in_hook.clone();
            move || {
                // A hook that polls by hand, as code outside a task: never held back.
                let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                let proceeds = mirage::coop::poll_proceed(&mut cx).is_ready();
                in_hook
                    .lock()
                    .unwrap()
                    .push((mirage::coop::has_budget_remaining(), proceeds));
            }
        })
        .build()
        .unwrap();
    runtime.block_on(async {
        // The last poll before the Core parks is a task's that spends its whole budget.
        let spender = mirage::spawn(async {
            for _ in 0..BUDGET {
                mirage::coop::consume_budget().await;
            }
            time::sleep(Duration::from_millis(1)).await;
        });
        time::sleep(Duration::from_millis(5)).await;
        spender.await.unwrap();
    });
    let in_hook = in_hook.lock().unwrap();
    assert!(!in_hook.is_empty());
    assert!(
        in_hook.iter().all(|&seen| seen == (true, true)),
        "{in_hook:?}"
    );
}

#[test]
fn sockets_make_progress_while_a_hundred_tasks_never_stop_yielding() {
    let mut core = Core::new().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    let received = core.run(async move {
        for _ in 0..100 {
            mirage::spawn(async {
                loop {
                    mirage::yield_now().await;
                }
            });
        }
        // The reader waits for the kernel: only a poll of the Core's epoll wakes it, and
        // the run queue is never empty while the spinners run.
        let reader = mirage::spawn(async move {
            let mut buf = [0u8; 11];
            b.read_exact(&mut buf).await.unwrap();
            buf
        });
        mirage::yield_now().await;
        a.write_all(b"hello world").await.unwrap();
        time::timeout(Duration::from_secs(10), reader).await
    });
    assert_eq!(
        &received.expect("the read never completed").unwrap(),
        b"hello world"
    );
}

#[test]
fn a_cooperative_future_that_is_always_ready_lets_a_later_task_run() {
    assert_a_later_task_runs_within_a_budget(async {
        |other_ran: Rc<Cell<bool>>| async move {
            let mut ops = 0;
            while !other_ran.get() {
                mirage::coop::cooperative(std::future::ready(())).await;
                ops += 1;
                assert!(ops < QUEUED, "the other task never ran");
            }
            ops
        }
    });
}

#[test]
fn a_cooperative_future_that_waits_spends_no_budget() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (tx, rx) = oneshot::channel::<u8>();
        let mut waiting = std::pin::pin!(mirage::coop::cooperative(rx));
        std::future::poll_fn(|cx| {
            for _ in 0..3 * usize::from(BUDGET) {
                assert!(waiting.as_mut().poll(cx).is_pending());
            }
            std::task::Poll::Ready(())
        })
        .await;
        assert!(
            mirage::coop::has_budget_remaining(),
            "polls that stayed pending spent the budget"
        );
        tx.send(5).unwrap();
        assert_eq!(waiting.await.unwrap(), 5);
    });
}

#[test]
fn an_unconstrained_future_can_be_stored_by_its_type_and_never_yields() {
    struct Stored<F> {
        future: mirage::task::Unconstrained<F>,
    }
    let mut core = Core::new().unwrap();
    let received = core.run(async {
        let (tx, mut rx) = mpsc::unbounded();
        for i in 0..4 * usize::from(BUDGET) {
            tx.send(i).unwrap();
        }
        let stored = Stored {
            future: mirage::task::unconstrained(async move {
                let mut received = 0;
                // More receives than a budget allows, all in one poll.
                std::future::poll_fn(|cx| {
                    while let std::task::Poll::Ready(Some(_)) = rx.poll_recv(cx) {
                        received += 1;
                        if received == 4 * usize::from(BUDGET) {
                            break;
                        }
                    }
                    std::task::Poll::Ready(received)
                })
                .await
            }),
        };
        stored.future.await
    });
    assert_eq!(received, 4 * usize::from(BUDGET));
}
