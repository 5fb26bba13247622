//! `select!` polls only the branches whose own waker fired, and branch wakers stay harmless
//! after the `select!` is gone, on any thread.

mod select_common;

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use select_common::{Gate, TaskSlot};

/// Completes if the driving task finished without opening `gate`, the gate it should have
/// opened (it panicked): the test then fails instead of hanging. Checks every millisecond;
/// a driver that did open the gate never makes it complete, however slowly the test runs
/// (under Miri a millisecond passes within a few steps of the driver).
async fn driver_failed(driver: &mirage::JoinHandle<()>, gate: &Gate) {
    while !driver.is_finished() || gate.is_open() {
        mirage::time::sleep(Duration::from_millis(1)).await;
    }
}

#[mirage::test]
async fn after_the_first_poll_only_woken_branches_are_polled() {
    let gates: Vec<Gate> = (0..8).map(|_| Gate::new()).collect();
    let driver = {
        let gates = gates.clone();
        mirage::spawn(async move {
            // This task first runs once the select has polled every gate and waits.
            assert!(gates.iter().all(|g| g.polls() == 1));
            // A wake without opening: branch 5 alone is polled again.
            gates[5].wake();
            while gates[5].polls() < 2 {
                mirage::yield_now().await;
            }
            let polls: Vec<u32> = gates.iter().map(Gate::polls).collect();
            assert_eq!(polls, [1, 1, 1, 1, 1, 2, 1, 1]);
            gates[2].open();
        })
    };
    let winner = mirage::select! {
        i = gates[0].wait(0) => i,
        i = gates[1].wait(1) => i,
        i = gates[2].wait(2) => i,
        i = gates[3].wait(3) => i,
        i = gates[4].wait(4) => i,
        i = gates[5].wait(5) => i,
        i = gates[6].wait(6) => i,
        i = gates[7].wait(7) => i,
        _ = driver_failed(&driver, &gates[2]) => unreachable!("the driver failed"),
    };
    driver.await.unwrap();
    assert_eq!(winner, 2);
    let polls: Vec<u32> = gates.iter().map(Gate::polls).collect();
    assert_eq!(polls, [1, 1, 2, 1, 1, 2, 1, 1]);
}

#[mirage::test]
async fn two_branches_woken_together_are_each_polled_once() {
    let gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
    let opener = gates.clone();
    mirage::spawn(async move {
        opener[3].wake();
        opener[1].open();
    });
    let winner = mirage::select! {
        biased;
        i = gates[0].wait(0) => i,
        i = gates[1].wait(1) => i,
        i = gates[2].wait(2) => i,
        i = gates[3].wait(3) => i,
    };
    assert_eq!(winner, 1);
    let polls: Vec<u32> = gates.iter().map(Gate::polls).collect();
    assert_eq!(
        polls,
        [1, 2, 1, 1],
        "biased: branch 1 is polled before 3 and wins"
    );
}

#[mirage::test]
async fn a_branch_that_wakes_itself_while_polled_is_polled_again_later() {
    // `yield_now` wakes its waker during its own poll.
    let gate = Gate::new();
    let yielded = mirage::select! {
        _ = async {
            for _ in 0..3 {
                mirage::yield_now().await;
            }
        } => true,
        _ = gate.wait(()) => false,
    };
    assert!(yielded);
    assert_eq!(gate.polls(), 1);
}

/// A future that hands its waker to a shared slot (as a channel would) and never completes.
struct LeakWaker(Arc<Mutex<Option<Waker>>>);

/// The waker a losing `LeakWaker` left in `slot`.
fn left_waker(slot: &Mutex<Option<Waker>>) -> Waker {
    slot.lock()
        .unwrap()
        .take()
        .expect("the losing branch left its waker behind")
}

/// Runs a `select!` whose branch 0, a `LeakWaker`, loses to a branch that is ready at once,
/// and returns the waker branch 0 left behind.
async fn waker_left_by_a_finished_select() -> Waker {
    let slot = Arc::new(Mutex::new(None::<Waker>));
    let gate = Gate::new();
    gate.open();
    mirage::select! {
        biased;
        _ = LeakWaker(slot.clone()) => unreachable!(),
        _ = gate.wait(()) => {}
    }
    left_waker(&slot)
}

impl Future for LeakWaker {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[mirage::test]
async fn a_branch_waker_woken_after_the_select_finished_is_harmless() {
    let slot = Arc::new(Mutex::new(None::<Waker>));
    let gate = Gate::new();
    let opener = gate.clone();
    mirage::spawn(async move { opener.open() });
    mirage::select! {
        _ = LeakWaker(slot.clone()) => unreachable!(),
        _ = gate.wait(()) => {}
    }
    let late = left_waker(&slot);
    // Same thread, by reference and by value, then from another thread.
    late.wake_by_ref();
    let clone = late.clone();
    clone.wake();
    std::thread::spawn(move || late.wake()).join().unwrap();

    // A later select is not disturbed by the old wakers.
    let later = Gate::new();
    let second_slot = Arc::new(Mutex::new(None::<Waker>));
    let opener = later.clone();
    let old_slot = slot.clone();
    mirage::spawn(async move {
        if let Some(waker) = old_slot.lock().unwrap().take() {
            waker.wake();
        }
        opener.open();
    });
    mirage::select! {
        _ = LeakWaker(second_slot.clone()) => unreachable!(),
        _ = later.wait(()) => {}
    }
    assert_eq!(later.polls(), 2);
}

/// The exception the `select!` docs state: wake sets come from a per-thread pool, so a waker
/// an earlier `select!` left behind polls the same-index branch of a later one once.
#[mirage::test]
async fn a_stale_waker_polls_the_same_branch_of_a_later_select_once() {
    let stale = waker_left_by_a_finished_select().await;

    let never_woken = Gate::new();
    let later = Gate::new();
    let opener = later.clone();
    mirage::spawn(async move {
        stale.wake();
        opener.open();
    });
    mirage::select! {
        biased;
        _ = never_woken.wait(()) => unreachable!(),
        _ = later.wait(()) => {}
    }
    assert_eq!(
        never_woken.polls(),
        2,
        "the first poll, then one more from the stale waker of branch 0"
    );

    // In a loop the stale waker is the branch's new one, so a channel keeps it as it is.
    let mut wakers = Vec::new();
    for _ in 0..2 {
        wakers.push(waker_left_by_a_finished_select().await);
    }
    assert!(wakers[0].will_wake(&wakers[1]));
}

/// Completes once its flag is set, from whatever thread.
struct Flag {
    set: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
    polls: Arc<AtomicUsize>,
}

impl Future for Flag {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        // Read before the waker is stored: the thread sets the flag only once it took the
        // waker, so the first poll always finds it unset, and is always followed by a wake.
        if self.set.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[mirage::test]
async fn a_branch_woken_from_another_thread_wins() {
    let set = Arc::new(AtomicBool::new(false));
    let waker = Arc::new(Mutex::new(None::<Waker>));
    let polls = Arc::new(AtomicUsize::new(0));
    let flag = Flag {
        set: set.clone(),
        waker: waker.clone(),
        polls: polls.clone(),
    };
    let thread = std::thread::spawn(move || {
        loop {
            if let Some(waker) = waker.lock().unwrap().take() {
                set.store(true, Ordering::SeqCst);
                waker.wake();
                return;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    });
    let won = mirage::select! {
        _ = flag => true,
        _ = mirage::time::sleep(Duration::from_secs(10)) => false,
    };
    thread.join().unwrap();
    assert!(won);
    assert_eq!(polls.load(Ordering::SeqCst), 2);
}

/// A `select!` that ends when `a` or `b` opens.
async fn either(a: &Gate, b: &Gate) {
    mirage::select! {
        _ = a.wait(()) => {}
        _ = b.wait(()) => {}
    }
}

/// A pooled wake set keeps the waker of the task that used it last and skips storing the
/// next task's waker when it is the same one. An executor that reuses a task slot may lend
/// each poll a waker pointing at the slot, whose clones point elsewhere (at the task): the
/// next task in that slot is polled with a waker equal, pointer for pointer, to the one the
/// set was first given, yet the set holds a clone of the old task's waker. The set must
/// wake the new task.
#[test]
fn the_next_task_in_a_reused_slot_is_woken() {
    let slot = TaskSlot::new();
    let first = slot.retask();
    {
        let (a, b) = (Gate::new(), Gate::new());
        let mut select = pin!(either(&a, &b));
        assert!(slot.poll(select.as_mut()).is_pending());
        a.open();
        assert_eq!(first.count(), 1);
        assert!(slot.poll(select.as_mut()).is_ready());
    }

    // The first task is done; the next one takes its slot and runs a select! on this thread.
    let next = slot.retask();
    let (a, b) = (Gate::new(), Gate::new());
    let mut select = pin!(either(&a, &b));
    assert!(slot.poll(select.as_mut()).is_pending());
    a.open();
    assert_eq!(next.count(), 1, "the task now in the slot is woken");
    assert_eq!(first.count(), 1, "the finished task is not");
    assert!(slot.poll(select.as_mut()).is_ready());
}
