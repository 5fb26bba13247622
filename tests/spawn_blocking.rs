//! `mirage::spawn_blocking`: blocking work on the calling thread's pool, awaited by tasks.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use mirage::time::Instant;
use mirage::{spawn_blocking, Core, RemoteJoinHandle};

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
