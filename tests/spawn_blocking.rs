//! `mirage::spawn_blocking`: blocking work on the calling thread's pool, awaited by tasks.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

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
