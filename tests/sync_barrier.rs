//! `mirage::sync::Barrier`: one leader per generation, generation after generation, and a
//! dropped `wait` that does not count. Virtual time orders the arrivals.
//! `cross_thread::Barrier` keeps the same rules for tasks on several Cores.

mod guard;

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use guard::within_guard;
use mirage::sync::{Barrier, cross_thread};
use mirage::time::{sleep, timeout};

/// Polls `fut` once, with the task's waker; `None` if it is pending.
async fn poll_once<F: Future>(fut: Pin<&mut F>) -> Option<F::Output> {
    let mut fut = Some(fut);
    poll_fn(|cx| match fut.take().unwrap().poll(cx) {
        Poll::Ready(out) => Poll::Ready(Some(out)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

/// Spawns a task that waits at `barrier` and returns whether it led.
fn waiter(barrier: &Rc<Barrier>) -> mirage::JoinHandle<bool> {
    let barrier = Rc::clone(barrier);
    mirage::spawn(async move { barrier.wait().await.is_leader() })
}

/// Awaits `task`, failing instead of hanging if it never completes (the virtual clock jumps
/// to the deadline once every task is stuck).
async fn within<T>(task: mirage::JoinHandle<T>) -> T {
    let joined = timeout(Duration::from_secs(3600), task).await;
    joined
        .expect("the task still waits at the barrier")
        .unwrap()
}

#[mirage::test(start_paused = true)]
async fn each_generation_has_one_leader_and_starts_once_all_arrived() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 6;
    let barrier = Rc::new(Barrier::new(TASKS));
    // Per round: how many tasks arrived, and how many were told they led.
    let arrived = Rc::new(RefCell::new([0; ROUNDS]));
    let leaders = Rc::new(RefCell::new([0; ROUNDS]));
    let tasks: Vec<_> = (0..TASKS)
        .map(|n| {
            let (barrier, arrived, leaders) = (barrier.clone(), arrived.clone(), leaders.clone());
            mirage::spawn(async move {
                for round in 0..ROUNDS {
                    // Each task takes its own time over each round.
                    let work = (n * 7 + round * 3) % 5;
                    sleep(Duration::from_millis(work as u64)).await;
                    arrived.borrow_mut()[round] += 1;
                    let result = barrier.wait().await;
                    assert_eq!(
                        arrived.borrow()[round],
                        TASKS,
                        "released before all arrived"
                    );
                    if result.is_leader() {
                        leaders.borrow_mut()[round] += 1;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        within(task).await;
    }
    assert_eq!(*leaders.borrow(), [1; ROUNDS]);
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 8, waiting: 0 }");
}

#[mirage::test(start_paused = true)]
async fn more_tasks_than_n_go_in_groups_of_n_and_the_rest_waits() {
    let barrier = Rc::new(Barrier::new(4));
    let mut tasks = Vec::new();
    for _ in 0..13 {
        tasks.push(waiter(&barrier));
        mirage::yield_now().await; // each arrives before the next is spawned
    }
    let last = tasks.pop().unwrap();
    let mut led = Vec::new();
    for task in tasks {
        led.push(within(task).await);
    }
    // The fourth of each group to arrive led it.
    let expected: Vec<bool> = (0..12).map(|n| n % 4 == 3).collect();
    assert_eq!(led, expected);
    sleep(Duration::from_secs(1)).await;
    assert!(!last.is_finished(), "the 13th waits for three more");
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 4, waiting: 1 }");
}

#[mirage::test(start_paused = true)]
async fn a_wait_dropped_before_its_generation_is_complete_does_not_count() {
    let barrier = Rc::new(Barrier::new(2));
    let gave_up = timeout(Duration::from_millis(1), barrier.wait()).await;
    assert!(gave_up.is_err());
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 2, waiting: 0 }");
    let second = waiter(&barrier);
    sleep(Duration::from_secs(1)).await;
    assert!(
        !second.is_finished(),
        "one task is there: the one that left does not make up the pair"
    );
    let third = waiter(&barrier);
    assert!(within(third).await, "the third arrived last");
    assert!(!within(second).await);
}

#[mirage::test(start_paused = true)]
async fn an_aborted_waiter_leaves_the_count_and_the_generation_waits_for_another() {
    let barrier = Rc::new(Barrier::new(3));
    let stays = waiter(&barrier);
    let leaves = waiter(&barrier);
    mirage::yield_now().await;
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 3, waiting: 2 }");
    leaves.abort();
    assert!(leaves.await.unwrap_err().is_cancelled());
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 3, waiting: 1 }");
    let second = waiter(&barrier);
    sleep(Duration::from_secs(1)).await;
    assert!(!stays.is_finished() && !second.is_finished());
    assert!(barrier.wait().await.is_leader());
    assert!(!within(stays).await);
    assert!(!within(second).await);
}

#[mirage::test]
async fn a_wait_dropped_after_its_generation_completed_changes_nothing() {
    let barrier = Barrier::new(2);
    let unpolled = barrier.wait();
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 2, waiting: 0 }");
    drop(unpolled); // never polled: it never arrived

    let mut first = Box::pin(barrier.wait());
    assert!(poll_once(first.as_mut()).await.is_none());
    assert!(barrier.wait().await.is_leader());
    drop(first); // its generation completed without it seeing so
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 2, waiting: 0 }");

    // The next generation still takes two.
    let mut third = Box::pin(barrier.wait());
    assert!(poll_once(third.as_mut()).await.is_none());
    assert_eq!(format!("{barrier:?}"), "Barrier { n: 2, waiting: 1 }");
    assert!(barrier.wait().await.is_leader());
    assert_eq!(
        poll_once(third.as_mut()).await.map(|r| r.is_leader()),
        Some(false)
    );
}

#[mirage::test]
async fn with_n_of_zero_or_one_every_wait_leads_at_once() {
    for n in [0, 1] {
        let barrier = Barrier::new(n);
        assert_eq!(format!("{barrier:?}"), "Barrier { n: 1, waiting: 0 }");
        for _ in 0..3 {
            let mut wait = Box::pin(barrier.wait());
            let led = poll_once(wait.as_mut()).await.map(|r| r.is_leader());
            assert_eq!(led, Some(true), "n = {n}");
        }
    }
}

#[mirage::test]
async fn a_barrier_of_one_in_a_loop_still_lets_other_tasks_run() {
    let barrier = Barrier::new(1);
    let other = mirage::spawn(async {});
    let mut waits = 0;
    while !other.is_finished() {
        assert!(waits < 10_000, "the other task never ran");
        barrier.wait().await;
        waits += 1;
    }
    // A budget's worth, then a yield to the other task, then the wait that yielded.
    assert_eq!(waits, u32::from(mirage::coop::BUDGET) + 1);
}

// `cross_thread::Barrier`: the same barrier for the tasks of several Cores, one per thread.

#[test]
fn a_barrier_across_cores_releases_each_generation_whole_with_one_leader() {
    const CORES: usize = 4;
    const TASKS: usize = 2;
    const GENERATIONS: usize = if cfg!(miri) { 3 } else { 200 };
    const N: usize = CORES * TASKS;
    let barrier = Arc::new(cross_thread::Barrier::new(N));
    let arrived: Arc<Vec<AtomicUsize>> = Arc::new((0..GENERATIONS).map(|_| 0.into()).collect());
    let leaders: Arc<Vec<AtomicUsize>> = Arc::new((0..GENERATIONS).map(|_| 0.into()).collect());
    within_guard({
        let (arrived, leaders) = (Arc::clone(&arrived), Arc::clone(&leaders));
        move || {
            let cores: Vec<_> = (0..CORES)
                .map(|_| {
                    let (barrier, arrived, leaders) =
                        (barrier.clone(), arrived.clone(), leaders.clone());
                    thread::spawn(move || {
                        mirage::Core::new().unwrap().run(async move {
                            let mut tasks = mirage::task::JoinSet::new();
                            for _ in 0..TASKS {
                                let (barrier, arrived, leaders) =
                                    (barrier.clone(), arrived.clone(), leaders.clone());
                                tasks.spawn(async move {
                                    for generation in 0..GENERATIONS {
                                        arrived[generation].fetch_add(1, Ordering::SeqCst);
                                        let result = barrier.wait().await;
                                        let all = arrived[generation].load(Ordering::SeqCst);
                                        assert_eq!(all, N, "released before all arrived");
                                        if result.is_leader() {
                                            leaders[generation].fetch_add(1, Ordering::SeqCst);
                                        }
                                    }
                                });
                            }
                            tasks.join_all().await;
                        })
                    })
                })
                .collect();
            cores.into_iter().for_each(|core| core.join().unwrap());
        }
    });
    for generation in 0..GENERATIONS {
        assert_eq!(
            leaders[generation].load(Ordering::SeqCst),
            1,
            "generation {generation}"
        );
    }
}

#[test]
fn a_wait_given_up_on_one_core_leaves_the_count_to_tasks_on_others() {
    let barrier = Arc::new(cross_thread::Barrier::new(2));
    let (first, second) = within_guard(move || {
        let gave_up = thread::spawn({
            let barrier = Arc::clone(&barrier);
            move || {
                mirage::Core::new().unwrap().run(async move {
                    timeout(Duration::from_millis(1), barrier.wait())
                        .await
                        .is_err()
                })
            }
        });
        assert!(
            gave_up.join().unwrap(),
            "alone, it waited until its timeout"
        );
        let (waiting_tx, waiting_rx) = std_mpsc::channel();
        let first = thread::spawn({
            let barrier = Arc::clone(&barrier);
            move || {
                mirage::Core::new().unwrap().run(async move {
                    let mut wait = pin!(barrier.wait());
                    let early = poll_once(wait.as_mut()).await;
                    assert!(
                        early.is_none(),
                        "the wait given up does not count: this one waits"
                    );
                    waiting_tx.send(()).unwrap();
                    wait.await.is_leader()
                })
            }
        });
        waiting_rx.recv().unwrap();
        let second = mirage::Core::new().unwrap().run(barrier.wait()).is_leader();
        (first.join().unwrap(), second)
    });
    assert_eq!((first, second), (false, true), "the last to arrive leads");
}

#[mirage::test]
async fn a_cross_thread_barrier_of_one_in_a_loop_still_lets_other_tasks_run() {
    static ALONE: cross_thread::Barrier = cross_thread::Barrier::new(1);
    let other = mirage::spawn(async {});
    let mut waits = 0;
    while !other.is_finished() {
        assert!(waits < 10_000, "the other task never ran");
        assert!(ALONE.wait().await.is_leader());
        waits += 1;
    }
    // A budget's worth, then a yield to the other task, then the wait that yielded.
    assert_eq!(waits, u32::from(mirage::coop::BUDGET) + 1);
}
