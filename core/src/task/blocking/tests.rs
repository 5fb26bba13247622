use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::Running;
use super::config::{Config, Hook};
use super::pool::{Job, OwnedPool, Pool, thread_refused};

/// How long a test waits for a worker thread before it fails: a generous 10 s, or 600 s
/// under Miri, where a thread may wait that long for its turn behind other tests' threads.
const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 10 });

/// A pool with the default settings but these two, closed when dropped.
fn pool(max_threads: usize, keep_alive: Duration) -> OwnedPool {
    OwnedPool::new(Config {
        max_threads,
        keep_alive,
        ..Config::default()
    })
}

/// Waits (up to [`LIMIT`]) until `pool` has `threads` threads, `idle` of them idle.
fn wait_for(pool: &Pool, threads: usize, idle: usize) {
    let deadline = Instant::now() + LIMIT;
    while pool.counts() != (threads, idle) {
        assert!(
            Instant::now() < deadline,
            "the pool has (threads, idle) = {:?}, not {:?}",
            pool.counts(),
            (threads, idle)
        );
        thread::sleep(Duration::from_millis(1));
    }
}

fn report_thread(tx: &mpsc::Sender<thread::ThreadId>) -> Job {
    let tx = tx.clone();
    Box::new(move || tx.send(thread::current().id()).unwrap())
}

#[test]
fn an_idle_thread_takes_the_next_job() {
    let pool = pool(4, Duration::from_secs(60));
    let (tx, rx) = mpsc::channel();
    pool.run(report_thread(&tx)).unwrap();
    let first = rx.recv().unwrap();
    wait_for(&pool, 1, 1);
    pool.run(report_thread(&tx)).unwrap();
    assert_eq!(rx.recv().unwrap(), first, "the idle thread was reused");
    wait_for(&pool, 1, 1);
}

#[test]
fn jobs_that_wait_for_each_other_each_get_a_thread() {
    let pool = pool(8, Duration::from_secs(60));
    let barrier = Arc::new(Barrier::new(8));
    let (tx, rx) = mpsc::channel();
    for _ in 0..8 {
        let barrier = Arc::clone(&barrier);
        let tx = tx.clone();
        pool.run(Box::new(move || {
            barrier.wait();
            tx.send(()).unwrap();
        }))
        .unwrap();
    }
    for _ in 0..8 {
        rx.recv_timeout(LIMIT)
            .expect("every job got past the barrier");
    }
}

#[test]
fn at_the_thread_limit_jobs_queue_and_run_in_order() {
    let pool = pool(1, Duration::from_secs(60));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (tx, rx) = mpsc::channel();
    pool.run(Box::new(move || gate_rx.recv().unwrap())).unwrap();
    for n in 0..3 {
        let tx = tx.clone();
        pool.run(Box::new(move || tx.send(n).unwrap())).unwrap();
    }
    assert_eq!(pool.counts(), (1, 0), "no thread beyond the limit");
    gate_tx.send(()).unwrap();
    let order: Vec<i32> = (0..3).map(|_| rx.recv().unwrap()).collect();
    assert_eq!(order, [0, 1, 2]);
}

#[test]
fn an_idle_thread_exits_after_the_keep_alive_time() {
    let pool = pool(4, Duration::from_millis(20));
    let (tx, rx) = mpsc::channel();
    pool.run(report_thread(&tx)).unwrap();
    rx.recv().unwrap();
    wait_for(&pool, 0, 0);
    // And a new one starts for the next job.
    pool.run(report_thread(&tx)).unwrap();
    rx.recv().unwrap();
}

#[test]
fn dropping_the_pool_lets_idle_threads_go_and_busy_ones_finish_the_queue() {
    let pool = pool(1, Duration::from_secs(60));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (tx, rx) = mpsc::channel();
    pool.run(Box::new(move || gate_rx.recv().unwrap())).unwrap();
    let queued = tx.clone();
    pool.run(Box::new(move || queued.send("queued job ran").unwrap()))
        .unwrap();
    let shared = pool.shared_for_tests();
    drop(pool);
    gate_tx.send(()).unwrap();
    assert_eq!(rx.recv().unwrap(), "queued job ran");
    let deadline = Instant::now() + LIMIT;
    while shared.lock().threads > 0 {
        assert!(Instant::now() < deadline, "the worker never exited");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn an_abort_before_the_closure_starts_keeps_it_from_running() {
    let pool = pool(1, Duration::from_secs(60));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    pool.run(Box::new(move || gate_rx.recv().unwrap())).unwrap();
    let (ran_tx, ran_rx) = mpsc::channel::<()>();
    let (job, handle) = super::job_for(Running::of(None), move || ran_tx.send(()).unwrap());
    pool.run(job).unwrap(); // queued behind the gate
    handle.abort();
    assert!(!handle.is_finished());
    gate_tx.send(()).unwrap();
    assert!(handle.blocking_join().unwrap_err().is_cancelled());
    assert!(ran_rx.recv().is_err(), "the closure never ran");
}

#[test]
fn an_abort_once_the_closure_runs_lets_it_finish_with_its_result() {
    let pool = pool(1, Duration::from_secs(60));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (job, handle) = super::job_for(Running::of(None), move || {
        started_tx.send(()).unwrap();
        gate_rx.recv().unwrap();
        "finished"
    });
    pool.run(job).unwrap();
    started_rx.recv().unwrap();
    handle.abort();
    gate_tx.send(()).unwrap();
    assert_eq!(handle.blocking_join().unwrap(), "finished");
}

#[test]
fn a_worker_that_leaves_is_uncounted_as_it_stops_being_idle() {
    // At the thread limit, a job finds no idle worker and queues; a worker that has left
    // the idle list to exit but is still counted would leave that job waiting. The window
    // is short: watch many workers leave.
    // Under Miri, a hundred times slower, a few rounds only: it checks soundness there.
    for _ in 0..if cfg!(miri) { 5 } else { 500 } {
        let pool = pool(1, Duration::from_millis(2));
        let (tx, rx) = mpsc::channel();
        pool.run(report_thread(&tx)).unwrap();
        rx.recv().unwrap();
        let deadline = Instant::now() + LIMIT;
        let mut was_idle = false;
        loop {
            let counts = pool.counts();
            was_idle |= counts == (1, 1);
            assert!(
                !(was_idle && counts == (1, 0)),
                "a leaving worker is still counted, neither idle nor busy"
            );
            if counts == (0, 0) {
                break;
            }
            assert!(Instant::now() < deadline, "the worker never exited");
        }
    }
}

#[test]
fn a_job_whose_panic_payload_panics_when_dropped_keeps_its_worker() {
    /// A panic payload whose own drop panics.
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("the payload's drop panics too");
        }
    }
    let pool = pool(1, Duration::from_secs(60));
    pool.run(Box::new(|| std::panic::panic_any(Bomb))).unwrap();
    // One thread at most: had the worker died still counted, this job would wait forever.
    let (tx, rx) = mpsc::channel();
    pool.run(report_thread(&tx)).unwrap();
    assert!(
        rx.recv_timeout(LIMIT).is_ok(),
        "the only worker died on the payload's drop, still counted"
    );
}

/// Waits (up to [`LIMIT`]) until `done` holds.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// The name of the thread a job of `pool` runs on.
fn job_thread_name(pool: &Pool) -> Option<String> {
    let (tx, rx) = mpsc::channel();
    pool.run(Box::new(move || {
        tx.send(thread::current().name().map(String::from)).unwrap();
    }))
    .unwrap();
    rx.recv_timeout(LIMIT).expect("the job ran")
}

#[test]
fn threads_are_named_by_the_name_function_once_each() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let calls = Arc::new(AtomicUsize::new(0));
    let pool = OwnedPool::new(Config {
        thread_name: Arc::new({
            let calls = Arc::clone(&calls);
            move || format!("named-{}", calls.fetch_add(1, Ordering::SeqCst))
        }),
        ..Config::default()
    });
    assert_eq!(job_thread_name(&pool).as_deref(), Some("named-0"));
    wait_for(&pool, 1, 1);
    // The idle thread takes the next job: no new name is made.
    assert_eq!(job_thread_name(&pool).as_deref(), Some("named-0"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn by_default_threads_are_named_mirage_blocking() {
    let pool = OwnedPool::new(Config::default());
    assert_eq!(job_thread_name(&pool).as_deref(), Some("mirage-blocking"));
}

#[test]
fn a_panicking_name_function_is_the_callers_panic_and_leaves_the_pool_counted_right() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let fail = Arc::new(AtomicBool::new(true));
    let pool = OwnedPool::new(Config {
        max_threads: 1,
        thread_name: Arc::new({
            let fail = Arc::clone(&fail);
            move || {
                assert!(!fail.load(Ordering::SeqCst), "no name today");
                "named".to_owned()
            }
        }),
        ..Config::default()
    });
    let (ran_tx, ran_rx) = mpsc::channel::<()>();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.run(Box::new(move || ran_tx.send(()).unwrap()))
    }));
    assert!(
        caught.is_err(),
        "the name function's panic reached the caller"
    );
    assert!(ran_rx.recv().is_err(), "the job was dropped unrun");
    assert_eq!(
        pool.counts(),
        (0, 0),
        "the thread that never started is uncounted"
    );
    // At a limit of 1, a thread still counted would leave this job queued for good.
    fail.store(false, Ordering::SeqCst);
    assert_eq!(job_thread_name(&pool).as_deref(), Some("named"));
}

#[cfg(target_os = "linux")]
#[test]
#[cfg(not(miri))] // Miri cannot call `pthread_getattr_np`, which reads the stack size
fn the_stack_size_is_applied() {
    // Above std's default of 2 MiB, so that a size left unapplied shows.
    const SIZE: usize = 3 * 1024 * 1024;
    let pool = OwnedPool::new(Config {
        stack_size: Some(SIZE),
        ..Config::default()
    });
    let (tx, rx) = mpsc::channel();
    pool.run(Box::new(move || tx.send(current_stack_size()).unwrap()))
        .unwrap();
    let size = rx.recv_timeout(LIMIT).unwrap();
    assert!(
        size >= SIZE,
        "the thread's stack is {size} bytes, not {SIZE}"
    );
}

#[test]
#[cfg(not(miri))] // Miri does not fail the allocation of a thread's stack
fn a_thread_the_system_refuses_is_an_error_that_says_so() {
    // No thread fits: its stack would not fit in memory.
    let pool = OwnedPool::new(Config {
        stack_size: Some(usize::MAX / 4),
        ..Config::default()
    });
    let err = pool.run(Box::new(|| {})).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the blocking pool could not start a thread: "),
        "{err}"
    );
}

#[test]
fn a_limit_on_threads_is_no_would_block() {
    // What `std::thread::spawn` returns at the system's or the user's limit on threads: an
    // async caller takes `WouldBlock` for "wait for readiness and try again".
    let at_limit = thread_refused(std::io::Error::from_raw_os_error(libc::EAGAIN));
    assert_eq!(at_limit.kind(), std::io::ErrorKind::Other, "{at_limit}");
    // Other kinds stay as the system gave them.
    let no_memory = thread_refused(std::io::Error::from_raw_os_error(libc::ENOMEM));
    assert_eq!(
        no_memory.kind(),
        std::io::ErrorKind::OutOfMemory,
        "{no_memory}"
    );
}

/// The size of the calling thread's stack, as the thread library reports it.
#[cfg(all(target_os = "linux", not(miri)))]
fn current_stack_size() -> usize {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    let mut addr = std::ptr::null_mut();
    let mut size = 0;
    // SAFETY: `pthread_getattr_np` initialises `attr` for the calling thread when it returns
    // 0; `pthread_attr_getstack` then only reads it, and it is destroyed once.
    unsafe {
        assert_eq!(
            libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()),
            0
        );
        assert_eq!(
            libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size),
            0
        );
        libc::pthread_attr_destroy(attr.as_mut_ptr());
    }
    size
}

/// The threads a hook ran on, in order.
type Log = Arc<Mutex<Vec<thread::ThreadId>>>;

/// A pool whose start and stop hooks record the threads they run on.
fn hooked_pool(max_threads: usize, keep_alive: Duration) -> (OwnedPool, Log, Log) {
    let started = Log::default();
    let stopped = Log::default();
    let record = |log: &Log| -> Hook {
        let log = Arc::clone(log);
        Arc::new(move || log.lock().unwrap().push(thread::current().id()))
    };
    let pool = OwnedPool::new(Config {
        max_threads,
        keep_alive,
        on_start: Some(record(&started)),
        on_stop: Some(record(&stopped)),
        ..Config::default()
    });
    (pool, started, stopped)
}

#[test]
fn the_hooks_run_once_as_each_thread_starts_and_stops() {
    let (pool, started, stopped) = hooked_pool(2, Duration::from_millis(50));
    // Two jobs that wait for each other: two threads.
    let barrier = Arc::new(Barrier::new(2));
    let (tx, rx) = mpsc::channel();
    for _ in 0..2 {
        let barrier = Arc::clone(&barrier);
        let tx = tx.clone();
        pool.run(Box::new(move || {
            barrier.wait();
            tx.send(thread::current().id()).unwrap();
        }))
        .unwrap();
    }
    let workers: HashSet<_> = (0..2).map(|_| rx.recv_timeout(LIMIT).unwrap()).collect();
    assert_eq!(workers.len(), 2);
    let started = started.lock().unwrap().clone();
    assert_eq!(started.len(), 2, "one start per thread");
    assert_eq!(started.into_iter().collect::<HashSet<_>>(), workers);
    // Both exit after the keep-alive time, each running the stop hook once.
    wait_until("both threads stopped", || {
        stopped.lock().unwrap().len() >= 2
    });
    let stopped = stopped.lock().unwrap().clone();
    assert_eq!(stopped.len(), 2, "one stop per thread");
    assert_eq!(stopped.into_iter().collect::<HashSet<_>>(), workers);
    assert_eq!(pool.counts(), (0, 0));
}

#[test]
fn closing_the_pool_runs_the_stop_hook_of_its_idle_threads() {
    let (pool, started, stopped) = hooked_pool(4, Duration::from_secs(60));
    job_thread_name(&pool);
    wait_for(&pool, 1, 1);
    assert!(stopped.lock().unwrap().is_empty());
    drop(pool);
    wait_until("the idle thread stopped", || {
        stopped.lock().unwrap().len() == 1
    });
    assert_eq!(*stopped.lock().unwrap(), *started.lock().unwrap());
}

#[test]
fn a_panicking_hook_is_caught_and_the_pool_goes_on() {
    let pool = OwnedPool::new(Config {
        max_threads: 1,
        keep_alive: Duration::from_millis(10),
        on_start: Some(Arc::new(|| panic!("the start hook panics"))),
        on_stop: Some(Arc::new(|| panic!("the stop hook panics"))),
        ..Config::default()
    });
    // The job still runs after the start hook's panic.
    assert!(job_thread_name(&pool).is_some());
    // The thread exits through the stop hook's panic, uncounted: at a limit of 1, a thread
    // still counted would leave the next job queued for good.
    wait_for(&pool, 0, 0);
    assert!(job_thread_name(&pool).is_some());
}

#[test]
fn a_closed_pool_still_runs_the_jobs_handed_to_it() {
    let pool = pool(1, Duration::from_secs(60));
    let open = (*pool).clone();
    drop(pool);
    assert!(open.is_closed());
    assert!(job_thread_name(&open).is_some());
    // Its thread does not wait for more.
    wait_for(&open, 0, 0);
}
