//! `mirage::spawn_blocking`: blocking work on a pool, awaited by tasks. The pool is the
//! runtime's, with the settings of its `runtime::Builder`, inside a runtime; the calling
//! thread's, with the defaults, anywhere else; inside a blocking closure, the pool it runs on.

mod guard;
mod panic_site;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::runtime::{Builder, Runtime};
use mirage::time::Instant;
use mirage::{Core, RemoteJoinHandle, spawn_blocking};

/// The name of the thread the blocking job runs on.
fn job_thread_name() -> Option<String> {
    thread::current().name().map(String::from)
}

#[test]
fn the_core_serves_its_tasks_while_blocking_work_runs_on_another_thread() {
    let mut core = Core::new().unwrap();
    let core_thread = thread::current().id();
    core.run(async move {
        let (release, released) = mpsc::channel::<()>();
        let blocking = spawn_blocking(move || {
            // Blocks until a task of the Core lets it go: the Core must keep running.
            released.recv().unwrap();
            thread::current().id()
        });
        let task = mirage::spawn(async move {
            mirage::time::sleep(Duration::from_millis(1)).await;
            release.send(()).unwrap();
        });
        task.await.unwrap();
        let worker = blocking.await.unwrap();
        assert_ne!(worker, core_thread);
    });
}

#[test]
fn a_panic_is_reported_through_the_handle_and_the_pool_goes_on() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let err = spawn_blocking(|| -> u8 { panic!("blocking work failed") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            *err.into_panic().downcast::<&str>().unwrap(),
            "blocking work failed"
        );
        assert_eq!(spawn_blocking(|| 7).await.unwrap(), 7);
    });
}

#[test]
fn paused_time_waits_for_blocking_work_instead_of_jumping_past_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        mirage::time::pause();
        let start = Instant::now();
        let work = spawn_blocking(|| {
            thread::sleep(Duration::from_millis(20));
            "done"
        });
        // Jumping to the timeout's deadline would report a timeout that never happened.
        let outcome = mirage::time::timeout(Duration::from_secs(5), work).await;
        assert_eq!(outcome.expect("timed out in virtual time").unwrap(), "done");
        assert_eq!(start.elapsed(), Duration::ZERO);
    });
}

#[test]
fn paused_time_jumps_again_once_blocking_work_whose_handle_was_dropped_is_over() {
    let (done, finished) = mpsc::channel();
    // On a thread of its own, so that a Core that never wakes fails the test, not hangs it.
    thread::spawn(move || {
        let mut core = Core::new().unwrap();
        let slept = core.run(async {
            mirage::time::pause();
            let start = Instant::now();
            drop(spawn_blocking(|| thread::sleep(Duration::from_millis(20))));
            // The Core blocks until the work is over, which must wake it to jump.
            mirage::time::sleep(Duration::from_secs(3600)).await;
            start.elapsed()
        });
        done.send(slept).unwrap();
    });
    assert_eq!(
        finished.recv_timeout(Duration::from_secs(10)),
        Ok(Duration::from_secs(3600))
    );
}

#[test]
fn paused_time_fires_a_timer_already_due_while_blocking_work_runs() {
    let (done, finished) = mpsc::channel();
    // On a thread of its own, so that a Core that never wakes fails the test, not hangs it.
    thread::spawn(move || {
        let mut core = Core::new().unwrap();
        let outcome = core.run(async {
            // Real time moves the clock past the wheel, which has fired nothing yet.
            thread::sleep(Duration::from_millis(2));
            mirage::time::pause();
            let now = Instant::now();
            let (release, released) = mpsc::channel::<()>();
            let work = spawn_blocking(move || released.recv_timeout(Duration::from_secs(30)));
            // Due on the frozen clock: it fires at the next turn, not when the work ends.
            mirage::time::sleep_until(now - Duration::from_millis(1)).await;
            release.send(()).unwrap();
            let released = work.await.unwrap();
            (released, now.elapsed())
        });
        done.send(outcome).unwrap();
    });
    assert_eq!(
        finished.recv_timeout(Duration::from_secs(10)),
        Ok((Ok(()), Duration::ZERO))
    );
}

#[test]
fn a_dropped_handle_lets_the_work_finish() {
    let (tx, rx) = mpsc::channel();
    drop(spawn_blocking(move || tx.send("finished anyway").unwrap()));
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)),
        Ok("finished anyway")
    );
}

#[test]
fn many_calls_that_block_on_each_other_all_complete() {
    const CALLS: usize = 64;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(CALLS));
    let mut core = Core::new().unwrap();
    let sum = core.run(async move {
        let handles: Vec<_> = (0..CALLS)
            .map(|n| {
                let barrier = barrier.clone();
                spawn_blocking(move || {
                    barrier.wait();
                    n
                })
            })
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..CALLS).sum::<usize>());
}

#[test]
fn a_handle_may_be_awaited_on_another_thread_and_core() {
    let handle: RemoteJoinHandle<String> = spawn_blocking(|| "made here".to_string());
    let other = thread::spawn(move || Core::new().unwrap().run(handle).unwrap());
    assert_eq!(other.join().unwrap(), "made here");
}

/// A runtime whose pool has one thread, busy (from before this returns) with a first job
/// until `release` is sent: that job then returns what `then` makes.
fn one_busy_thread<R: Send + 'static>(
    then: impl FnOnce() -> R + Send + 'static,
) -> (Runtime, mpsc::Sender<()>, RemoteJoinHandle<R>) {
    let runtime = Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (started, has_started) = mpsc::channel::<()>();
    let (release, released) = mpsc::channel::<()>();
    let first = runtime.spawn_blocking(move || {
        started.send(()).unwrap();
        released.recv_timeout(Duration::from_secs(10)).unwrap();
        then()
    });
    has_started
        .recv_timeout(Duration::from_secs(10))
        .expect("the first job started");
    (runtime, release, first)
}

#[test]
fn at_a_limit_of_one_thread_the_second_job_runs_after_the_first() {
    within_guard(|| {
        let (runtime, release, first) = one_busy_thread(|| thread::current().id());
        let second = runtime.spawn_blocking(|| thread::current().id());
        // Released only once both are handed over: the first is busy, so the second either
        // starts a thread of its own (over the limit) or waits for the first's.
        release.send(()).unwrap();
        let (first, second) = runtime.block_on(async { (first.await, second.await) });
        assert_eq!(
            first.unwrap(),
            second.unwrap(),
            "the second job ran on the only thread, after the first"
        );
    });
}

#[test]
fn an_abort_handle_stops_a_queued_job_from_another_thread_and_a_running_one_finishes() {
    within_guard(|| {
        let (runtime, release, running) = one_busy_thread(|| "ran");
        let queued = runtime.spawn_blocking(|| -> &str { panic!("started after its abort") });
        let (running_abort, queued_abort) = (running.abort_handle(), queued.abort_handle());
        thread::spawn(move || {
            // The only thread is busy with the first job, which has started: the second has
            // not.
            queued_abort.abort();
            // Too late for the first: a running closure runs to its end.
            running_abort.abort();
        })
        .join()
        .unwrap();
        let (running_abort, queued_abort) = (running.abort_handle(), queued.abort_handle());
        assert!(!running_abort.is_finished());
        release.send(()).unwrap();
        let (running, queued) = runtime.block_on(async { (running.await, queued.await) });
        assert_eq!(running.unwrap(), "ran");
        assert!(queued.unwrap_err().is_cancelled());
        assert!(running_abort.is_finished() && queued_abort.is_finished());
    });
}

#[test]
fn a_limit_of_zero_threads_panics() {
    let panic = catch_unwind(|| {
        Builder::new_current_thread().max_blocking_threads(0);
    })
    .unwrap_err();
    assert_eq!(
        panic.downcast_ref::<&str>().copied(),
        Some("max_blocking_threads must be greater than 0")
    );
}

/// Counts the threads the runtime's pool starts, and sends a message as each stops.
struct Hooks {
    started: Arc<AtomicUsize>,
    stopped: mpsc::Receiver<()>,
}

fn hooked(builder: &mut Builder) -> Hooks {
    let started = Arc::new(AtomicUsize::new(0));
    let (stop, stopped) = mpsc::channel();
    builder
        .on_thread_start({
            let started = Arc::clone(&started);
            move || {
                started.fetch_add(1, Ordering::SeqCst);
            }
        })
        .on_thread_stop(move || stop.send(()).unwrap());
    Hooks { started, stopped }
}

#[test]
fn an_idle_thread_exits_after_the_keep_alive_time_and_runs_its_stop_hook() {
    within_guard(|| {
        let mut builder = Builder::new_current_thread();
        builder.thread_keep_alive(Duration::from_millis(50));
        let hooks = hooked(&mut builder);
        let runtime = builder.build().unwrap();
        let first = runtime.spawn_blocking(|| thread::current().id());
        let first = runtime.block_on(first).unwrap();
        // The runtime lives on: the thread leaves for having idled.
        hooks
            .stopped
            .recv_timeout(Duration::from_secs(5))
            .expect("the idle thread exited and ran its stop hook");
        let second = runtime.spawn_blocking(|| thread::current().id());
        assert_ne!(runtime.block_on(second).unwrap(), first, "a new thread");
        assert_eq!(
            hooks.started.load(Ordering::SeqCst),
            2,
            "one start per thread"
        );
        assert!(hooks.stopped.try_recv().is_err(), "one stop per thread");
    });
}

#[test]
fn blocking_work_handed_out_by_a_stop_hook_is_not_the_runtime_s() {
    within_guard(|| {
        // The stop hook runs outside any runtime: work it hands out goes to the thread's own
        // pool, not to the runtime's, where each job would start a thread whose stop hook
        // hands out another, for good (a dropped runtime's pool starts a thread per job).
        let armed = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let stops = Arc::new(AtomicUsize::new(0));
        let runtime = Builder::new_current_thread()
            .on_thread_stop({
                let (armed, stops) = (Arc::clone(&armed), Arc::clone(&stops));
                move || {
                    stops.fetch_add(1, Ordering::SeqCst);
                    if armed.load(Ordering::SeqCst) {
                        drop(spawn_blocking(|| ()));
                    }
                }
            })
            .build()
            .unwrap();
        runtime.block_on(runtime.spawn_blocking(|| ())).unwrap();
        let began = std::time::Instant::now();
        runtime.shutdown_timeout(Duration::from_secs(5));
        let waited = began.elapsed();
        armed.store(false, Ordering::SeqCst);
        assert!(
            waited < Duration::from_secs(4),
            "the pool's threads never all stopped ({} stop hooks ran)",
            stops.load(Ordering::SeqCst)
        );
        assert_eq!(stops.load(Ordering::SeqCst), 1, "one thread, one stop");
    });
}

#[test]
fn dropping_the_runtime_lets_its_idle_threads_exit() {
    within_guard(|| {
        let mut builder = Builder::new_current_thread();
        let hooks = hooked(&mut builder); // keep-alive: 10 s, the default
        let runtime = builder.build().unwrap();
        runtime.block_on(runtime.spawn_blocking(|| ())).unwrap();
        assert!(hooks.stopped.try_recv().is_err());
        drop(runtime);
        hooks
            .stopped
            .recv_timeout(Duration::from_secs(5))
            .expect("the idle thread exited with its runtime");
        assert_eq!(hooks.started.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn the_runtimes_pool_runs_its_work_wherever_it_is_handed_out() {
    within_guard(|| {
        let runtime = Builder::new_current_thread()
            .thread_name("runtime-pool")
            .build()
            .unwrap();
        let expected = Some("runtime-pool".to_string());
        // Runtime::spawn_blocking, before any block_on.
        let from_runtime = runtime.spawn_blocking(job_thread_name);
        // Handle::spawn_blocking, from another thread.
        let handle = runtime.handle().clone();
        let from_handle = thread::spawn(move || handle.spawn_blocking(job_thread_name))
            .join()
            .unwrap();
        // After Runtime::enter.
        let from_entered = {
            let _guard = runtime.enter();
            spawn_blocking(job_thread_name)
        };
        runtime.block_on(async {
            assert_eq!(from_runtime.await.unwrap(), expected);
            assert_eq!(from_handle.await.unwrap(), expected);
            assert_eq!(from_entered.await.unwrap(), expected);
            // Inside block_on, and in a task.
            assert_eq!(spawn_blocking(job_thread_name).await.unwrap(), expected);
            let task = mirage::spawn(async { spawn_blocking(job_thread_name).await.unwrap() });
            assert_eq!(task.await.unwrap(), expected);
        });
    });
}

#[test]
fn fs_calls_run_on_the_runtimes_pool() {
    within_guard(|| {
        let names = Arc::new(Mutex::new(Vec::new()));
        let runtime = Builder::new_current_thread()
            .thread_name("fs-pool")
            .on_thread_start({
                let names = Arc::clone(&names);
                move || names.lock().unwrap().push(job_thread_name())
            })
            .build()
            .unwrap();
        let metadata = runtime.block_on(mirage::fs::metadata(env!("CARGO_MANIFEST_DIR")));
        assert!(metadata.unwrap().is_dir());
        assert_eq!(*names.lock().unwrap(), [Some("fs-pool".to_string())]);
    });
}

#[test]
fn two_runtimes_on_one_thread_each_have_their_own_pool() {
    within_guard(|| {
        let named = |name: &str| {
            Builder::new_current_thread()
                .thread_name(name)
                .build()
                .unwrap()
        };
        let (first, second) = (named("first"), named("second"));
        let in_first = first.block_on(async { spawn_blocking(job_thread_name).await.unwrap() });
        let in_second = second.block_on(async { spawn_blocking(job_thread_name).await.unwrap() });
        assert_eq!(in_first.as_deref(), Some("first"));
        assert_eq!(in_second.as_deref(), Some("second"));
        // Outside both, and in a bare Core: this thread's pool, with the defaults.
        let outside = spawn_blocking(job_thread_name).blocking_join().unwrap();
        assert_eq!(outside.as_deref(), Some("mirage-blocking"));
        let mut core = Core::new().unwrap();
        let in_core = core.run(async { spawn_blocking(job_thread_name).await.unwrap() });
        assert_eq!(in_core.as_deref(), Some("mirage-blocking"));
    });
}

#[test]
fn the_name_function_names_each_new_thread() {
    within_guard(|| {
        let next = AtomicUsize::new(0);
        let runtime = Builder::new_current_thread()
            .thread_name_fn(move || format!("worker-{}", next.fetch_add(1, Ordering::SeqCst)))
            .build()
            .unwrap();
        // Two jobs that wait for each other: two threads.
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let jobs: Vec<_> = (0..2)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                runtime.spawn_blocking(move || {
                    barrier.wait();
                    job_thread_name().unwrap()
                })
            })
            .collect();
        let mut names = runtime.block_on(async {
            let mut names = Vec::new();
            for job in jobs {
                names.push(job.await.unwrap());
            }
            names
        });
        names.sort();
        assert_eq!(names, ["worker-0", "worker-1"]);
    });
}

#[test]
fn a_handle_whose_runtime_is_gone_reports_blocking_work_cancelled() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let handle = runtime.handle().clone();
        drop(runtime);
        let (ran, never) = mpsc::channel::<()>();
        let job = handle.spawn_blocking(move || ran.send(()).unwrap());
        assert!(job.blocking_join().unwrap_err().is_cancelled());
        assert!(never.recv().is_err(), "the closure was dropped unrun");
    });
}

#[test]
fn a_leaked_enter_guard_does_not_keep_a_gone_runtime_s_pool_open() {
    within_guard(|| {
        let (stopped_tx, stopped) = mpsc::channel();
        let runtime = Builder::new_current_thread()
            .thread_keep_alive(Duration::from_secs(60))
            .on_thread_stop(move || stopped_tx.send(()).unwrap())
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        runtime.block_on(runtime.spawn_blocking(|| ())).unwrap();
        std::mem::forget(runtime.enter());
        drop(runtime);
        // The guard keeps the scheduler alive, not the runtime: its idle thread exits now,
        // not after its keep-alive time,
        assert!(stopped.recv_timeout(Duration::from_secs(5)).is_ok());
        // and work handed to it later is dropped unrun, as without the guard.
        let (ran, never) = mpsc::channel::<()>();
        let job = handle.spawn_blocking(move || ran.send(()).unwrap());
        assert!(job.blocking_join().unwrap_err().is_cancelled());
        assert!(never.recv().is_err(), "the closure was dropped unrun");
    });
}

#[test]
fn a_thread_name_with_a_nul_byte_panics() {
    let panic = catch_unwind(AssertUnwindSafe(|| {
        Builder::new_current_thread().thread_name("bad\0name");
    }))
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("NUL"), "{message}");
}

/// Awaiting `&mut handle` is cancel-safe: a wait given up on leaves the result in the
/// handle for the next await.
#[test]
fn a_join_through_mut_given_up_on_leaves_the_result_in_the_handle() {
    let mut core = Core::new().unwrap();
    let value = core.run(async {
        let (go, wait) = mpsc::channel::<()>();
        let mut handle = spawn_blocking(move || {
            wait.recv().unwrap();
            7
        });
        let gave_up = mirage::time::timeout(Duration::from_millis(1), &mut handle).await;
        assert!(gave_up.is_err(), "the job waits for `go`");
        go.send(()).unwrap();
        mirage::time::timeout(Duration::from_secs(10), &mut handle).await
    });
    assert_eq!(value.expect("the result waits in the handle").unwrap(), 7);
}

/// `blocking_join` on a thread running a Core panics naming the caller's line, as the other
/// blocking calls' misuse panics do.
#[test]
fn blocking_join_on_a_core_s_thread_names_the_caller_s_line() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let job = spawn_blocking(|| ());
        assert_eq!(
            panic_site::panic_location(move || _ = job.blocking_join()),
            file!()
        );
    });
}

#[test]
fn handle_current_inside_a_blocking_closure_is_the_core_that_handed_it_out() {
    within_guard(|| {
        // tokio's blocking threads have their runtime entered; a port that bridges back
        // with `Handle::current()` inside `spawn_blocking` must work the same.
        let runtime = Runtime::new().unwrap();
        let answer = runtime.block_on(async {
            spawn_blocking(|| {
                let handle = mirage::runtime::Handle::current();
                handle.spawn(async { 6 * 7 }).blocking_join().unwrap()
            })
            .await
            .unwrap()
        });
        assert_eq!(answer, 42);

        // A bare Core's too.
        let mut core = Core::new().unwrap();
        let seen = core.run(async {
            spawn_blocking(|| mirage::runtime::Handle::try_current().is_ok())
                .await
                .unwrap()
        });
        assert!(seen, "no Core was current inside the blocking closure");
    });
}

#[test]
fn spawn_blocking_inside_a_blocking_closure_runs_on_the_same_runtime_pool() {
    within_guard(|| {
        let runtime = Builder::new_current_thread()
            .thread_name("runtime-pool")
            .build()
            .unwrap();
        let nested = runtime.block_on(async {
            spawn_blocking(|| spawn_blocking(job_thread_name).blocking_join().unwrap())
                .await
                .unwrap()
        });
        assert_eq!(nested.as_deref(), Some("runtime-pool"));
    });
}

#[test]
fn blocking_work_handed_out_from_a_blocking_closure_holds_back_the_paused_clock() {
    within_guard(|| {
        let runtime = Builder::new_current_thread()
            .start_paused(true)
            .build()
            .unwrap();
        let finished = runtime.block_on(async {
            // The outer job hands out an inner one and returns at once; the inner one takes
            // real time, which the paused clock must wait for rather than jump past.
            let inner = spawn_blocking(|| {
                spawn_blocking(|| {
                    thread::sleep(Duration::from_millis(50));
                    "inner finished"
                })
            })
            .await
            .unwrap();
            mirage::time::timeout(Duration::from_secs(3600), inner).await
        });
        assert_eq!(finished.unwrap().unwrap(), "inner finished");
    });
}

/// Hands out, when dropped, a job that waits for a job it hands out itself, and sends what
/// that one returned.
struct NestsWhenDropped(mpsc::Sender<Result<u32, String>>);

impl Drop for NestsWhenDropped {
    fn drop(&mut self) {
        let report = self.0.clone();
        drop(spawn_blocking(move || {
            let nested = spawn_blocking(|| 7).blocking_join();
            let _ = report.send(nested.map_err(|err| err.to_string()));
        }));
    }
}

thread_local! {
    /// Dropped among the thread-locals when its thread exits.
    static NESTS_WHEN_DROPPED: std::cell::RefCell<Option<NestsWhenDropped>> =
        const { std::cell::RefCell::new(None) };
}

#[test]
fn a_job_handed_out_during_thread_exit_may_wait_for_a_job_it_hands_out() {
    within_guard(|| {
        let (report, reported) = mpsc::channel();
        thread::spawn(move || {
            NESTS_WHEN_DROPPED.with(|kept| *kept.borrow_mut() = Some(NestsWhenDropped(report)));
            // The thread's pool is made after the thread-local above, so it is destroyed
            // first: the job is handed out with the pool already gone.
            spawn_blocking(|| ()).blocking_join().unwrap();
        })
        .join()
        .unwrap();
        let nested = reported
            .recv_timeout(Duration::from_secs(10))
            .expect("the nested job queued behind the job waiting for it");
        assert_eq!(nested, Ok(7));
    });
}

#[test]
fn spawn_blocking_inside_a_closure_whose_runtime_is_gone_is_cancelled() {
    within_guard(|| {
        // As tokio cancels work handed to a runtime that is gone, through the handle or not.
        let (runtime_gone, wait_for_it) = mpsc::channel::<()>();
        let (report, reported) = mpsc::channel();
        let runtime = Runtime::new().unwrap();
        runtime.block_on(async {
            drop(spawn_blocking(move || {
                wait_for_it.recv().unwrap();
                let nested = spawn_blocking(|| 7).blocking_join();
                let through_handle = mirage::runtime::Handle::current()
                    .spawn_blocking(|| 7)
                    .blocking_join();
                let cancelled = |result: Result<u32, mirage::JoinError>| {
                    result.map_err(|err| err.is_cancelled())
                };
                report
                    .send((cancelled(nested), cancelled(through_handle)))
                    .unwrap();
            }));
        });
        drop(runtime);
        runtime_gone.send(()).unwrap();
        let (nested, through_handle) = reported.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(through_handle, Err(true));
        assert_eq!(
            nested,
            Err(true),
            "the nested job ran on the gone runtime's pool"
        );
    });
}
