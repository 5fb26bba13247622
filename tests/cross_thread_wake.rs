//! Waking tasks from other threads.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use mirage::Core;

/// A future completed by another thread: the thread sets the flag and wakes the waker.
#[derive(Default)]
struct Flag {
    done: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

struct WaitFlag(Arc<Flag>);

impl Future for WaitFlag {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.0.done.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

fn set_later(flag: Arc<Flag>, delay: Duration) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        thread::sleep(delay);
        flag.done.store(true, Ordering::Release);
        if let Some(waker) = flag.waker.lock().unwrap().take() {
            waker.wake();
        }
    })
}

#[test]
fn a_thread_waking_a_task_after_a_delay_makes_run_return() {
    let mut core = Core::new().unwrap();
    let flag = Arc::new(Flag::default());
    let thread = set_later(Arc::clone(&flag), Duration::from_millis(50));
    let started = Instant::now();
    core.run(async move {
        mirage::spawn(WaitFlag(flag)).await.unwrap();
    });
    thread.join().unwrap();
    // Generous bound: the point is that run returned at all (a lost wake-up hangs).
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_thread_waking_the_root_future_makes_run_return() {
    let mut core = Core::new().unwrap();
    let flag = Arc::new(Flag::default());
    let thread = set_later(Arc::clone(&flag), Duration::from_millis(20));
    core.run(WaitFlag(flag));
    thread.join().unwrap();
}

#[test]
fn many_threads_waking_many_tasks_lose_no_wake_up() {
    let mut core = Core::new().unwrap();
    let flags: Vec<_> = (0..64).map(|_| Arc::new(Flag::default())).collect();
    let threads: Vec<_> = flags
        .chunks(16)
        .map(|chunk| {
            let chunk: Vec<_> = chunk.to_vec();
            thread::spawn(move || {
                for flag in chunk {
                    thread::sleep(Duration::from_millis(1));
                    flag.done.store(true, Ordering::Release);
                    if let Some(waker) = flag.waker.lock().unwrap().take() {
                        // Wake twice, by reference and by value: duplicates are harmless.
                        waker.wake_by_ref();
                        waker.wake();
                    }
                }
            })
        })
        .collect();
    core.run(async {
        let handles: Vec<_> = flags
            .iter()
            .map(|flag| mirage::spawn(WaitFlag(Arc::clone(flag))))
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn waking_on_the_core_thread_between_runs_is_not_lost() {
    let mut core = Core::new().unwrap();
    let flag = Arc::new(Flag::default());
    let task = core.spawn(WaitFlag(Arc::clone(&flag)));
    core.run(mirage::yield_now());
    assert!(!task.is_finished());
    // Not inside run: the wake goes through the remote queue.
    flag.done.store(true, Ordering::Release);
    flag.waker.lock().unwrap().take().unwrap().wake();
    core.run(task).unwrap();
}

/// A task that is ready again at every poll: the run queue never empties.
async fn spin_forever() {
    loop {
        mirage::yield_now().await;
    }
}

#[test]
fn wake_ups_and_spawns_from_other_threads_reach_a_core_that_never_idles() {
    let (done, finished) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut core = Core::new().unwrap();
        let spawner = core.spawner();
        let (tx, rx) = mirage::sync::cross_thread::oneshot::channel();
        let (spawned_tx, spawned_rx) = mirage::sync::cross_thread::oneshot::channel();
        let from_thread = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            tx.send(()).unwrap();
            drop(spawner.spawn(move || async move { spawned_tx.send(()).unwrap() }));
        });
        core.run(async move {
            mirage::spawn(spin_forever());
            rx.await.unwrap();
            spawned_rx.await.unwrap();
        });
        from_thread.join().unwrap();
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the Core never saw the other thread's wake-up or task");
}
