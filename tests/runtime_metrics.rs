//! `mirage::runtime::RuntimeMetrics`: tokio's stable runtime counts, read on the Core's
//! thread and from others.

mod guard;

use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::runtime::{Handle, Runtime, RuntimeMetrics};
use mirage::sync::cross_thread::oneshot;
use mirage::task::LocalSet;

/// Lets the Core run its tasks (and take in work from other threads) until `done` holds.
async fn until(mut done: impl FnMut() -> bool) {
    while !done() {
        mirage::yield_now().await;
    }
}

/// Reads the counts on another thread, as a monitoring thread would.
fn read_elsewhere(metrics: &RuntimeMetrics) -> (usize, usize) {
    let metrics = metrics.clone();
    thread::spawn(move || (metrics.num_alive_tasks(), metrics.global_queue_depth()))
        .join()
        .unwrap()
}

#[test]
fn metrics_are_send_sync_clone_and_static() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<RuntimeMetrics>();
}

#[test]
fn a_runtime_that_spawned_nothing_reads_zeros_though_it_has_its_own_tasks() {
    within_guard(|| {
        // A runtime's handle has a Spawner, and so a task that receives its spawns.
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        assert_eq!(metrics.num_workers(), 1);
        assert_eq!(metrics.num_alive_tasks(), 0);
        assert_eq!(metrics.global_queue_depth(), 0);
        runtime.block_on(async {
            assert_eq!(
                Handle::current().metrics().num_alive_tasks(),
                0,
                "the future of block_on is no task"
            );
        });
        assert_eq!(read_elsewhere(&metrics), (0, 0));

        // A bare Core makes its Spawner on the first `Handle::current`.
        let mut core = mirage::Core::new().unwrap();
        let metrics = core.run(async {
            let metrics = Handle::current().metrics();
            mirage::yield_now().await;
            assert_eq!(metrics.num_alive_tasks(), 0);
            metrics
        });
        assert_eq!(read_elsewhere(&metrics), (0, 0));
    });
}

#[test]
fn tasks_count_while_alive_and_not_once_finished_or_aborted() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        let (release, released) = oneshot::channel::<()>();
        let waiting = runtime.spawn(async move { released.await.unwrap() });
        let sleeper = runtime.spawn(mirage::time::sleep(Duration::from_secs(60)));
        let quick = runtime.spawn(async { Handle::current().metrics().num_alive_tasks() });
        assert_eq!(metrics.num_alive_tasks(), 3, "counted from the spawn on");

        runtime.block_on(async {
            assert_eq!(
                quick.await.unwrap(),
                3,
                "a task counts itself while it runs"
            );
            assert_eq!(metrics.num_alive_tasks(), 2);

            sleeper.abort();
            assert_eq!(
                metrics.num_alive_tasks(),
                2,
                "an aborted task counts until the Core drops its future"
            );
            assert!(sleeper.await.unwrap_err().is_cancelled());
            assert_eq!(metrics.num_alive_tasks(), 1);

            // Detached: no handle to await, so wait for the count itself.
            drop(waiting);
            release.send(()).unwrap();
            until(|| metrics.num_alive_tasks() == 0).await;
        });
        assert_eq!(read_elsewhere(&metrics), (0, 0));
    });
}

#[test]
fn another_thread_reads_the_counts_through_a_handle() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let handle = runtime.handle().clone();
        runtime.block_on(async {
            let tasks: Vec<_> = (0..4)
                .map(|_| mirage::spawn(mirage::time::sleep(Duration::from_secs(60))))
                .collect();
            mirage::yield_now().await;
            let monitor = {
                let handle = handle.clone();
                thread::spawn(move || handle.metrics().num_alive_tasks())
            };
            // Blocking the Core for the read is fine here: the count is already stored.
            assert_eq!(monitor.join().unwrap(), 4);
            for task in &tasks {
                task.abort();
            }
            for task in tasks {
                assert!(task.await.unwrap_err().is_cancelled());
            }
            let monitor = thread::spawn(move || handle.metrics().num_alive_tasks());
            assert_eq!(monitor.join().unwrap(), 0);
        });
    });
}

#[test]
fn a_remote_spawn_waits_in_the_global_queue_then_counts_as_alive() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        let (release, released) = oneshot::channel::<()>();
        let handle = runtime.handle().clone();
        // The runtime is not running: the spawns wait to be taken in. (Sending them also
        // wakes the runtime's own task that takes them in: that one is not counted.)
        let (first, second) = thread::spawn(move || {
            let first = handle.spawn(async move { released.await.unwrap() });
            let second = handle.spawner().spawn(|| async { 2 });
            (first, second)
        })
        .join()
        .unwrap();
        assert_eq!(metrics.global_queue_depth(), 2);
        assert_eq!(metrics.num_alive_tasks(), 0, "not yet taken in");
        assert_eq!(read_elsewhere(&metrics), (0, 2));

        runtime.block_on(async {
            assert_eq!(second.await.unwrap(), 2);
            until(|| metrics.num_alive_tasks() == 1).await;
            assert_eq!(metrics.global_queue_depth(), 0);
        });
        assert_eq!(read_elsewhere(&metrics), (1, 0));

        release.send(()).unwrap();
        runtime.block_on(first).unwrap();
        assert_eq!(metrics.num_alive_tasks(), 0);
        assert_eq!(metrics.global_queue_depth(), 0);
    });
}

#[test]
fn a_task_woken_from_another_thread_waits_in_the_global_queue() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        let (release, released) = oneshot::channel::<u8>();
        let task = runtime.spawn(async move { released.await.unwrap() });
        // Polled once, it waits for the message.
        runtime.block_on(mirage::yield_now());
        assert_eq!(metrics.global_queue_depth(), 0);

        thread::spawn(move || release.send(5).unwrap())
            .join()
            .unwrap();
        assert_eq!(
            metrics.global_queue_depth(),
            1,
            "woken while the runtime is idle"
        );
        assert_eq!(metrics.num_alive_tasks(), 1);

        assert_eq!(runtime.block_on(task).unwrap(), 5);
        assert_eq!(metrics.global_queue_depth(), 0);
        assert_eq!(metrics.num_alive_tasks(), 0);
    });
}

#[test]
fn the_tasks_of_a_local_set_are_not_counted_as_in_tokio() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        let local = LocalSet::new();
        local.block_on(&runtime, async {
            let in_set = mirage::task::spawn_local(mirage::time::sleep(Duration::from_secs(60)));
            let outside = mirage::spawn(mirage::time::sleep(Duration::from_secs(60)));
            mirage::yield_now().await;
            assert_eq!(
                metrics.num_alive_tasks(),
                1,
                "only the task outside the set"
            );
            in_set.abort();
            outside.abort();
            assert!(in_set.await.unwrap_err().is_cancelled());
            assert!(outside.await.unwrap_err().is_cancelled());
            assert_eq!(metrics.num_alive_tasks(), 0);
        });
        drop(local);
        runtime.block_on(mirage::yield_now());
        assert_eq!(metrics.num_alive_tasks(), 0);
    });
}

#[test]
fn a_local_set_task_woken_from_another_thread_is_not_in_the_global_queue() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        let local = LocalSet::new();
        local.block_on(&runtime, async {
            let (wake_member, member_woken) = oneshot::channel::<()>();
            let (wake_task, task_woken) = oneshot::channel::<()>();
            let member = mirage::task::spawn_local(async move { member_woken.await.unwrap() });
            let task = mirage::spawn(async move { task_woken.await.unwrap() });
            mirage::yield_now().await;
            // Both woken while this future is being polled: they wait in the remote queue.
            thread::spawn(move || {
                wake_member.send(()).unwrap();
                wake_task.send(()).unwrap();
            })
            .join()
            .unwrap();
            assert_eq!(
                metrics.global_queue_depth(),
                1,
                "the task outside the set only"
            );
            member.await.unwrap();
            task.await.unwrap();
            assert_eq!(metrics.global_queue_depth(), 0);
        });
    });
}

#[test]
fn the_task_that_waits_for_a_dropped_child_is_not_counted() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        runtime.block_on(async {
            // Dropped while it runs: a task of the Core waits for it to exit.
            let child = mirage::process::Command::new("sleep")
                .arg("0.2")
                .spawn()
                .unwrap();
            drop(child);
            mirage::yield_now().await;
            assert_eq!(metrics.num_alive_tasks(), 0);
        });
    });
}

#[test]
fn kept_metrics_read_zeros_once_the_runtime_is_dropped() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        let _pending = runtime.spawn(std::future::pending::<()>());
        let handle = runtime.handle().clone();
        let _queued = thread::spawn(move || handle.spawn(async {}))
            .join()
            .unwrap();
        assert_eq!(
            (metrics.num_alive_tasks(), metrics.global_queue_depth()),
            (1, 1)
        );
        drop(runtime);
        assert_eq!(metrics.num_workers(), 1);
        assert_eq!(metrics.num_alive_tasks(), 0);
        assert_eq!(metrics.global_queue_depth(), 0);
        assert_eq!(read_elsewhere(&metrics), (0, 0));

        // The handle of a bare Core, kept past the Core.
        let mut core = mirage::Core::new().unwrap();
        let handle = core.run(async { Handle::current() });
        let _pending = core.spawn(std::future::pending::<()>());
        assert_eq!(handle.metrics().num_alive_tasks(), 1);
        drop(core);
        assert_eq!(handle.metrics().num_alive_tasks(), 0);
        assert_eq!(handle.metrics().global_queue_depth(), 0);
    });
}

#[test]
fn debug_shows_the_counts() {
    let runtime = Runtime::new().unwrap();
    let _task = runtime.spawn(async {});
    assert_eq!(
        format!("{:?}", runtime.metrics()),
        "RuntimeMetrics { num_workers: 1, num_alive_tasks: 1, global_queue_depth: 0, \
         worker_park_count: 0, worker_total_busy_duration: 0ns }"
    );
}

/// Spins for `d`: the Core is busy, not parked.
fn spin(d: Duration) {
    let start = std::time::Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[test]
fn a_parked_core_reads_odd_from_another_thread_and_even_while_it_runs() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        assert_eq!(metrics.worker_park_count(0), 0);
        let (parked_seen, seen) = oneshot::channel::<()>();
        let watcher = {
            let metrics = metrics.clone();
            thread::spawn(move || {
                // The Core waits for this very message, so it is parked until it comes.
                while metrics.worker_park_unpark_count(0).is_multiple_of(2) {
                    thread::yield_now();
                }
                let parks = metrics.worker_park_count(0);
                parked_seen.send(()).unwrap();
                parks
            })
        };
        runtime.block_on(async {
            seen.await.unwrap();
            let count = metrics.worker_park_unpark_count(0);
            assert!(count.is_multiple_of(2), "read while running: {count}");
        });
        let parks_seen_parked = watcher.join().unwrap();
        assert!(parks_seen_parked >= 1);
        assert!(metrics.worker_park_count(0) >= parks_seen_parked);
        assert_eq!(
            metrics.worker_park_unpark_count(0),
            2 * metrics.worker_park_count(0)
        );
    });
}

#[test]
fn checking_for_events_with_tasks_ready_is_not_a_park() {
    let runtime = Runtime::new().unwrap();
    let metrics = runtime.metrics();
    runtime.block_on(async {
        let before = metrics.worker_park_count(0);
        // Each yield turns the loop with a task ready: the Core checks for events without
        // waiting for them.
        for _ in 0..100 {
            mirage::yield_now().await;
        }
        assert_eq!(metrics.worker_park_count(0), before);
    });
}

#[test]
fn busy_time_counts_work_and_not_waits() {
    within_guard(|| {
        let runtime = Runtime::new().unwrap();
        let metrics = runtime.metrics();
        runtime.block_on(async {
            let start = metrics.worker_total_busy_duration(0);
            spin(Duration::from_millis(30));
            // Parking ends the busy stretch, which adds it.
            mirage::time::sleep(Duration::from_millis(1)).await;
            let worked = metrics.worker_total_busy_duration(0) - start;
            assert!(worked >= Duration::from_millis(30), "{worked:?}");
            // 200 ms parked: generous bounds, as the machine may be slow, but far from
            // counting the wait.
            let before_wait = metrics.worker_total_busy_duration(0);
            mirage::time::sleep(Duration::from_millis(200)).await;
            let waited = metrics.worker_total_busy_duration(0) - before_wait;
            assert!(waited < Duration::from_millis(100), "{waited:?}");
        });
        // Time outside block_on is not busy either.
        let after = metrics.worker_total_busy_duration(0);
        thread::sleep(Duration::from_millis(50));
        runtime.block_on(async {});
        let outside = metrics.worker_total_busy_duration(0) - after;
        assert!(outside < Duration::from_millis(40), "{outside:?}");
    });
}

#[test]
fn busy_time_counts_from_the_first_metrics() {
    let runtime = Runtime::new().unwrap();
    runtime.block_on(async { spin(Duration::from_millis(20)) });
    let metrics = runtime.metrics();
    assert_eq!(metrics.worker_total_busy_duration(0), Duration::ZERO);
    runtime.block_on(async { spin(Duration::from_millis(20)) });
    assert!(metrics.worker_total_busy_duration(0) >= Duration::from_millis(20));
}

#[test]
fn a_worker_index_past_the_one_worker_panics() {
    let metrics = Runtime::new().unwrap().metrics();
    for read in [
        |m: &RuntimeMetrics| {
            m.worker_park_count(1);
        },
        |m: &RuntimeMetrics| {
            m.worker_park_unpark_count(1);
        },
        |m: &RuntimeMetrics| {
            m.worker_total_busy_duration(1);
        },
    ] {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&metrics)));
        let payload = caught.expect_err("index 1 was accepted");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("worker index 1 out of range"), "{message}");
    }
}

#[test]
fn kept_per_worker_metrics_read_zeros_once_the_runtime_is_dropped() {
    let runtime = Runtime::new().unwrap();
    let metrics = runtime.metrics();
    runtime.block_on(async {
        spin(Duration::from_millis(1));
        mirage::time::sleep(Duration::from_millis(1)).await;
    });
    assert!(metrics.worker_park_count(0) > 0);
    assert!(metrics.worker_total_busy_duration(0) > Duration::ZERO);
    drop(runtime);
    assert_eq!(metrics.worker_park_count(0), 0);
    assert_eq!(metrics.worker_park_unpark_count(0), 0);
    assert_eq!(metrics.worker_total_busy_duration(0), Duration::ZERO);
}
