//! Unit tests of the pieces: branch wakers, the pool, fairness and the poll order.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use super::branch_waker::BranchWaker;
use super::wake_set::{WakeSet, parent_id};
use super::{Branch, Select, fairness, pool};

/// A parent waker that counts its wakes.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter::default());
    (counter.clone(), Waker::from(counter))
}

#[test]
fn branch_wakers_count_references_and_set_their_bit() {
    let set = Arc::new(WakeSet::new());
    let (parent, parent_waker) = counter();
    set.set_parent(&parent_waker);
    let borrowed = BranchWaker::new(&set, 63);
    assert_eq!(Arc::strong_count(&set), 1, "a borrowed waker owns no count");
    let owned = (*borrowed).clone();
    assert_eq!(Arc::strong_count(&set), 2);
    assert!(owned.will_wake(&borrowed));
    assert!(!owned.will_wake(&BranchWaker::new(&set, 62)));
    owned.wake_by_ref();
    assert_eq!(set.take_woken(), 1 << 63);
    assert_eq!(parent.0.load(Ordering::SeqCst), 1);
    owned.wake();
    assert_eq!(
        Arc::strong_count(&set),
        1,
        "waking by value gives the count back"
    );
    assert_eq!(set.take_woken(), 1 << 63);
}

#[test]
fn from_another_thread_only_the_first_wake_since_the_last_take_wakes_the_parent() {
    let set = Arc::new(WakeSet::new());
    let (parent, parent_waker) = counter();
    set.set_parent(&parent_waker);
    let wakers: Vec<Waker> = [3, 5, 3, 0]
        .into_iter()
        .map(|branch| (*BranchWaker::new(&set, branch)).clone())
        .collect();
    let [first, second, third, fourth] = <[Waker; 4]>::try_from(wakers).ok().unwrap();
    std::thread::spawn(move || [first, second, third].into_iter().for_each(Waker::wake))
        .join()
        .unwrap();
    assert_eq!(parent.0.load(Ordering::SeqCst), 1);
    assert_eq!(set.take_woken(), (1 << 3) | (1 << 5));
    std::thread::spawn(move || fourth.wake()).join().unwrap();
    assert_eq!(parent.0.load(Ordering::SeqCst), 2);
}

#[test]
fn on_its_home_thread_every_wake_wakes_the_parent() {
    // The plain path cannot tell whether a `select!` polled on another thread swapped the
    // bits out between its load and its store, so it never relies on an earlier wake.
    let set = Arc::new(WakeSet::new());
    let (parent, parent_waker) = counter();
    set.set_parent(&parent_waker);
    for branch in [3, 5, 3] {
        BranchWaker::new(&set, branch).wake_by_ref();
    }
    assert_eq!(parent.0.load(Ordering::SeqCst), 3);
    assert_eq!(set.take_woken(), (1 << 3) | (1 << 5));
    assert_eq!(set.take_woken(), 0, "taken, not copied");
}

#[test]
fn a_set_polled_away_from_home_takes_the_home_threads_bits_too() {
    let set = Arc::new(WakeSet::new());
    BranchWaker::new(&set, 2).wake_by_ref();
    let remote = (*BranchWaker::new(&set, 9)).clone();
    let elsewhere = Arc::clone(&set);
    let taken = std::thread::spawn(move || {
        assert!(!elsewhere.is_home());
        remote.wake();
        (elsewhere.take_woken(), elsewhere.take_woken())
    })
    .join()
    .unwrap();
    assert_eq!(taken, ((1 << 2) | (1 << 9), 0));
    assert_eq!(set.take_woken(), 0);
}

#[test]
fn a_parent_stored_after_a_wake_is_woken_at_once() {
    let set = Arc::new(WakeSet::new());
    BranchWaker::new(&set, 1).wake_by_ref(); // nobody to wake yet
    let (parent, parent_waker) = counter();
    set.set_parent(&parent_waker);
    assert_eq!(parent.0.load(Ordering::SeqCst), 1);
}

#[test]
fn a_waker_that_outlives_its_set_lease_is_harmless() {
    let set = Arc::new(WakeSet::new());
    let (parent, parent_waker) = counter();
    set.set_parent(&parent_waker);
    let late = (*BranchWaker::new(&set, 2)).clone();
    set.clear_parent();
    drop(set);
    let thread = std::thread::spawn(move || late.wake());
    thread.join().unwrap();
    drop(parent_waker);
    assert_eq!(parent.0.load(Ordering::SeqCst), 0);
    assert_eq!(
        Arc::strong_count(&parent),
        1,
        "the cleared parent was released"
    );
}

/// Empties this thread's free list (earlier tests on the thread may have filled it).
fn drain_pool() {
    while pool::free_len() > 0 {
        let _ = pool::acquire();
    }
}

#[test]
fn the_pool_hands_back_the_latest_set_clean_with_its_parent() {
    drain_pool();
    let (first, no_parent) = pool::acquire();
    assert_eq!(no_parent, None, "a new set has no parent");
    let (second, _) = pool::acquire();
    let (second_address, first_address) = (Arc::as_ptr(&second), Arc::as_ptr(&first));
    // A waker left behind by a losing future, still holding the set.
    let straggler = (*BranchWaker::new(&second, 4)).clone();
    let (parent, parent_waker) = counter();
    second.set_parent(&parent_waker);
    let kept = Some(parent_id(&parent_waker));
    assert!(pool::release(first, None).is_none());
    assert!(pool::release(second, kept).is_none());
    let (reused, reused_parent) = pool::acquire();
    assert_eq!(
        Arc::as_ptr(&reused),
        second_address,
        "last released, first reused"
    );
    assert_eq!(
        reused_parent, kept,
        "the parent it still holds comes with it"
    );
    assert!(
        straggler.will_wake(&BranchWaker::new(&reused, 4)),
        "no clone needed"
    );
    straggler.wake_by_ref();
    assert_eq!(
        parent.0.load(Ordering::SeqCst),
        1,
        "the kept parent gets the straggler's (spurious) wake"
    );
    assert_eq!(
        reused.take_woken(),
        1 << 4,
        "a spurious bit for the new owner, no more"
    );
    assert_eq!(Arc::as_ptr(&pool::acquire().0), first_address);
}

#[test]
fn a_select_keeps_its_parent_in_the_pool_and_clears_it_when_the_pool_is_full() {
    drain_pool();
    let (parent, parent_waker) = counter();
    let mut cx = Context::from_waker(&parent_waker);
    let pending = |_: usize, _: &mut Context<'_>| -> Branch<()> { Branch::Pending };
    let selects: Vec<Select> = (0..pool::CAPACITY + 1)
        .map(|_| {
            let mut select = Select::new(2, 0b11, true);
            assert!(select.poll(&mut cx, &mut { pending }).is_pending());
            select
        })
        .collect();
    assert_eq!(
        Arc::strong_count(&parent),
        2 + pool::CAPACITY + 1,
        "one per select"
    );
    drop(selects);
    assert_eq!(pool::free_len(), pool::CAPACITY);
    assert_eq!(
        Arc::strong_count(&parent),
        2 + pool::CAPACITY,
        "kept by each pooled set; the one that did not fit let go"
    );
    // The same task's next `select!` finds its waker stored already and stores no clone.
    let mut again = Select::new(2, 0b11, true);
    assert!(again.poll(&mut cx, &mut { pending }).is_pending());
    assert_eq!(Arc::strong_count(&parent), 2 + pool::CAPACITY);
    drop(again);
    drain_pool();
    assert_eq!(Arc::strong_count(&parent), 2, "freed sets let go of it");
}

#[test]
fn nested_selects_that_swap_sets_leave_no_cycle_of_parents() {
    drain_pool();
    let (_task, task_waker) = counter();
    let mut cx = Context::from_waker(&task_waker);
    let pending = |_: usize, _: &mut Context<'_>| -> Branch<()> { Branch::Pending };
    // First round: `inner` pends as branch 0 of `outer`, so inner's set keeps a waker of
    // outer's set as its parent. Outer's set goes back first: the next `select!` entered
    // gets inner's set.
    let mut outer = Select::new(2, 0b11, true);
    let mut inner = Select::new(2, 0b11, true);
    let polled = outer.poll(&mut cx, &mut |i, cx: &mut Context<'_>| {
        if i == 0 {
            assert!(inner.poll(cx, &mut { pending }).is_pending());
        }
        Branch::<()>::Pending
    });
    assert!(polled.is_pending());
    drop(outer);
    drop(inner);
    // Second round, the roles swapped: the outer `select!` now holds the set whose kept
    // parent is a branch waker of the set the inner one gets, and wins at once.
    let mut outer = Select::new(2, 0b11, true);
    let mut inner = Select::new(2, 0b11, true);
    let won = outer.poll(&mut cx, &mut |i, cx: &mut Context<'_>| {
        if i == 0 {
            assert!(inner.poll(cx, &mut { pending }).is_pending());
            Branch::Pending
        } else {
            Branch::Won(())
        }
    });
    assert_eq!(won, Poll::Ready(Some(())));
    drop(inner);
    drop(outer);
    // Each set's parent a waker of the other would be a cycle: both sets leaked, and a
    // wake could chase it back into a slot whose lock it holds.
    let sets = [pool::acquire().0, pool::acquire().0];
    let freed = sets.each_ref().map(Arc::downgrade);
    drop(sets);
    assert!(
        freed.iter().all(|set| set.upgrade().is_none()),
        "two pooled sets keep each other alive through their parents"
    );
}

#[test]
fn a_select_resumed_by_a_new_poller_leaves_no_cycle_of_parents() {
    drain_pool();
    let (_task, task_waker) = counter();
    let mut cx = Context::from_waker(&task_waker);
    let pending = |_: usize, _: &mut Context<'_>| -> Branch<()> { Branch::Pending };
    // `y` pends as branch 0 of `z`, so y's set keeps a waker of z's set as its parent; then
    // `z` finishes without it (as a `select!` on `&mut y` that a timeout wins) and gives
    // its set back.
    let mut y = Select::new(1, 0b1, true);
    let mut z = Select::new(2, 0b11, true);
    let mut y_branch = None;
    let won = z.poll(&mut cx, &mut |i, cx: &mut Context<'_>| {
        if i == 1 {
            return Branch::Won(());
        }
        let polled = y.poll(cx, &mut |_, cx: &mut Context<'_>| -> Branch<()> {
            y_branch = Some(cx.waker().clone());
            Branch::Pending
        });
        assert!(polled.is_pending());
        Branch::Pending
    });
    assert_eq!(won, Poll::Ready(Some(())));
    drop(z);
    // The task then awaits `y` itself. Its woken branch enters a `select!`, which gets z's
    // old set and pends with y's branch waker as its parent, then finishes, and `y` wins.
    y_branch.take().unwrap().wake();
    let won = y.poll(&mut cx, &mut |_, cx: &mut Context<'_>| {
        let mut nested = Select::new(1, 0b1, true);
        assert!(nested.poll(cx, &mut { pending }).is_pending());
        Branch::Won(())
    });
    assert_eq!(won, Poll::Ready(Some(())));
    drop(y);
    // Y's set must not still name a waker of z's old set as its parent: that set's parent
    // is now a waker of y's, a cycle that leaks both and that a wake could chase back into
    // a slot whose lock it holds.
    let sets = [pool::acquire().0, pool::acquire().0];
    let freed = sets.each_ref().map(Arc::downgrade);
    drop(sets);
    assert!(
        freed.iter().all(|set| set.upgrade().is_none()),
        "two pooled sets keep each other alive through their parents"
    );
}

#[test]
fn fairness_spreads_the_start_evenly() {
    for len in [2u32, 3, 7, 64] {
        let mut hits = vec![0u32; len as usize];
        let turns = 64_000;
        for _ in 0..turns {
            hits[fairness::start(len) as usize] += 1;
        }
        let expected = turns as f64 / f64::from(len);
        for (branch, &n) in hits.iter().enumerate() {
            let ratio = f64::from(n) / expected;
            assert!(
                (0.95..1.05).contains(&ratio),
                "len {len}: branch {branch} started {n} times"
            );
        }
    }
}

#[test]
fn fairness_survives_two_selects_taking_turns() {
    let mut first_wins = [0u32; 2];
    for _ in 0..10_000 {
        first_wins[fairness::start(2) as usize] += 1;
        let _other_select = fairness::start(2);
    }
    assert!(
        first_wins.iter().all(|&n| (4_000..6_000).contains(&n)),
        "{first_wins:?}"
    );
}

#[test]
fn a_pass_visits_due_branches_once_each_from_the_start_branch() {
    let (_, parent) = counter();
    let mut cx = Context::from_waker(&parent);
    for start_at in 0..5 {
        let mut select = Select::new(5, 0b11111, true);
        select.start = start_at;
        let mut visited = Vec::new();
        let poll = select.poll(&mut cx, &mut |i, _| {
            visited.push(i);
            Branch::<()>::Pending
        });
        assert!(poll.is_pending());
        let expected: Vec<usize> = (0..5).map(|k| (k + start_at as usize) % 5).collect();
        assert_eq!(visited, expected);
    }
}

#[test]
fn each_pass_starts_after_the_first_branch_of_the_pass_before_unless_biased() {
    let (_, parent) = counter();
    let mut cx = Context::from_waker(&parent);
    for (biased, expected) in [(false, [0, 1, 2, 0, 1]), (true, [0; 5])] {
        let mut select = Select::new(3, 0b111, biased);
        select.start = 0;
        let mut firsts = Vec::new();
        for _ in 0..5 {
            let mut first = None;
            let poll = select.poll(&mut cx, &mut |i, cx| {
                first.get_or_insert(i);
                // Due again at the next pass, as a branch whose budget ran out is.
                cx.waker().wake_by_ref();
                Branch::<()>::Pending
            });
            assert!(poll.is_pending());
            firsts.push(first.unwrap());
        }
        assert_eq!(firsts, expected, "biased: {biased}");
    }
}

#[test]
fn after_the_first_poll_only_woken_branches_are_polled() {
    let (parent, parent_waker) = counter();
    let mut cx = Context::from_waker(&parent_waker);
    let mut select = Select::new(64, u64::MAX, false);
    let mut wakers = Vec::new();
    let poll = select.poll(&mut cx, &mut |i, cx| {
        wakers.push((i, cx.waker().clone()));
        Branch::<()>::Pending
    });
    assert!(poll.is_pending());
    assert_eq!(wakers.len(), 64);
    wakers.sort_by_key(|(i, _)| *i);
    wakers[40].1.wake_by_ref();
    wakers[7].1.wake_by_ref();
    assert_eq!(
        parent.0.load(Ordering::SeqCst),
        2,
        "on the set's own thread each wake wakes the parent"
    );
    let mut polled = Vec::new();
    let poll = select.poll(&mut cx, &mut |i, _| {
        polled.push(i);
        if i == 40 {
            Branch::<()>::Mismatched
        } else {
            Branch::Pending
        }
    });
    assert!(poll.is_pending());
    polled.sort();
    assert_eq!(polled, [7, 40]);
    // A spurious poll polls nothing; a late wake of the disabled branch polls nothing.
    wakers[40].1.wake_by_ref();
    let poll = select.poll(&mut cx, &mut |i, _| -> Branch<()> { panic!("polled {i}") });
    assert!(poll.is_pending());
    wakers[9].1.wake_by_ref();
    let poll = select.poll(&mut cx, &mut |i, _| Branch::Won(i));
    assert_eq!(poll, Poll::Ready(Some(9)));
}

#[test]
fn a_branch_that_won_is_never_polled_again() {
    // `Select::poll` promises `poll_branch` no call for a branch after it reported `Won`:
    // polled again, with the winner's waker fired, it must not poll the finished future.
    let (_, parent) = counter();
    let mut cx = Context::from_waker(&parent);
    let mut select = Select::new(2, 0b11, true);
    let mut winner = None;
    let poll = select.poll(&mut cx, &mut |i, cx| {
        if i == 0 {
            winner = Some(cx.waker().clone());
            Branch::Won(i)
        } else {
            Branch::Pending
        }
    });
    assert_eq!(poll, Poll::Ready(Some(0)));
    winner.unwrap().wake();
    let poll = select.poll(&mut cx, &mut |i, _| -> Branch<usize> {
        assert_ne!(i, 0, "the branch that won was polled again");
        Branch::Pending
    });
    assert!(poll.is_pending());
}

#[test]
fn every_branch_disabled_gives_none() {
    let (_, parent) = counter();
    let mut cx = Context::from_waker(&parent);
    let mut select = Select::new(2, 0b01, false);
    let poll = select.poll(&mut cx, &mut |i, _| {
        assert_eq!(i, 0, "branch 1 is disabled");
        Branch::<()>::Mismatched
    });
    assert_eq!(poll, Poll::Ready(None));
    let mut none_enabled = Select::new(3, 0, false);
    assert_eq!(
        none_enabled.poll(&mut cx, &mut |_, _| -> Branch<()> { unreachable!() }),
        Poll::Ready(None)
    );
}

/// Rounds of a race between a wake of branch 17 and the owner storing a fresh parent, as
/// when a branch is woken while its `select!` finishes a poll. Whichever comes first, the
/// fresh parent must end up woken: the wake either found it stored, or left a bit that
/// `set_parent` saw. The wakes run on this thread when `wake_here`, else on another one;
/// the set is made on this thread, its home. Each side spins a varying while after the
/// barrier, so that either may come first.
fn race_wakes_against_new_parents(wake_here: bool) {
    const ROUNDS: usize = 2_000;
    let set = Arc::new(WakeSet::new());
    let waker = (*BranchWaker::new(&set, 17)).clone();
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let wakes = {
        let barrier = Arc::clone(&barrier);
        move || {
            for round in 0..ROUNDS {
                barrier.wait();
                jitter(round);
                waker.wake_by_ref();
                barrier.wait();
            }
        }
    };
    // Counts the rounds that lost the wake, rather than panicking in one: the other side
    // would then wait at the barrier for ever.
    let parents = move || {
        let mut lost = Vec::new();
        for round in 0..ROUNDS {
            set.take_woken();
            set.clear_parent();
            let (fresh, fresh_waker) = counter();
            barrier.wait();
            jitter(round / 2 + 13);
            set.set_parent(&fresh_waker);
            barrier.wait();
            if fresh.0.load(Ordering::SeqCst) == 0 {
                lost.push(round);
            }
        }
        lost
    };
    let lost = if wake_here {
        let other = std::thread::spawn(parents);
        wakes();
        other.join().unwrap()
    } else {
        let other = std::thread::spawn(wakes);
        let lost = parents();
        other.join().unwrap();
        lost
    };
    assert!(lost.is_empty(), "wake lost in rounds {lost:?}");
}

/// Spins for 0 to 255 rounds, varying with `seed`.
fn jitter(seed: usize) {
    for _ in 0..(seed.wrapping_mul(2_654_435_761) >> 8) % 256 {
        std::hint::spin_loop();
    }
}

#[test]
fn a_parent_stored_elsewhere_after_a_home_wake_is_woken_at_once() {
    let set = Arc::new(WakeSet::new());
    BranchWaker::new(&set, 1).wake_by_ref(); // on the home thread, nobody to wake yet
    let elsewhere = Arc::clone(&set);
    let parent = std::thread::spawn(move || {
        let (parent, parent_waker) = counter();
        elsewhere.set_parent(&parent_waker);
        parent.0.load(Ordering::SeqCst)
    });
    assert_eq!(parent.join().unwrap(), 1, "the home thread's bit was seen");
}

#[test]
fn a_wake_racing_a_new_parent_is_never_lost() {
    race_wakes_against_new_parents(false);
}

#[test]
fn a_home_wake_racing_a_new_parent_stored_elsewhere_is_never_lost() {
    // The `select!` polled on another thread (a work-stealing executor moved it), and the
    // wake on the set's home thread, which stores its bit plainly.
    race_wakes_against_new_parents(true);
}

#[test]
fn home_wakes_reach_a_select_polled_on_another_thread() {
    // A one-branch `select!` first polled on this thread (the set's home), then moved to
    // another thread and polled there only when its parent is woken, as an executor would.
    // This thread sends 20,000 items, waking the branch after each; the branch is ready
    // once it has seen them all. A wake lost in the race between this thread's plain store
    // and the poller's swap would leave it parked for good (the bounded park turns that
    // into a failure).
    use std::sync::Mutex;
    use std::sync::atomic::AtomicBool;
    const ITEMS: usize = 20_000;
    struct Unpark(std::thread::Thread, AtomicBool);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.1.store(true, Ordering::Release);
            self.0.unpark();
        }
    }
    let sent = Arc::new(AtomicUsize::new(0));
    let branch_waker: Arc<Mutex<Option<Waker>>> = Arc::default();
    let mut select = Select::new(1, 0b1, true);
    let mut poll_branch = {
        let (sent, branch_waker) = (Arc::clone(&sent), Arc::clone(&branch_waker));
        move |_: usize, cx: &mut Context<'_>| {
            *branch_waker.lock().unwrap() = Some(cx.waker().clone());
            if sent.load(Ordering::Acquire) == ITEMS {
                Branch::Won(())
            } else {
                Branch::Pending
            }
        }
    };
    let (_, first_parent) = counter();
    let first = select.poll(&mut Context::from_waker(&first_parent), &mut poll_branch);
    assert!(first.is_pending());
    let poller = std::thread::spawn(move || {
        let unpark = Arc::new(Unpark(std::thread::current(), AtomicBool::new(true)));
        let parent = Waker::from(Arc::clone(&unpark));
        let mut polls = 0;
        loop {
            if unpark.1.swap(false, Ordering::Acquire) {
                polls += 1;
                if select
                    .poll(&mut Context::from_waker(&parent), &mut poll_branch)
                    .is_ready()
                {
                    return polls;
                }
                continue;
            }
            let parked = std::time::Instant::now();
            std::thread::park_timeout(std::time::Duration::from_secs(10));
            assert!(
                unpark.1.load(Ordering::Acquire)
                    || parked.elapsed() < std::time::Duration::from_secs(10),
                "a wake-up was lost: the select! was never woken again"
            );
        }
    });
    for item in 1..=ITEMS {
        sent.store(item, Ordering::Release);
        let waker = branch_waker.lock().unwrap().clone();
        waker
            .expect("the first poll stored the branch's waker")
            .wake();
    }
    let polls = poller.join().unwrap();
    assert!(polls >= 1);
}

#[test]
fn a_set_in_the_pool_ignores_wakes_on_its_home_thread() {
    drain_pool();
    let (set, _) = pool::acquire();
    let (parent, parent_waker) = counter();
    let kept = Some(set.set_parent(&parent_waker));
    let straggler = (*BranchWaker::new(&set, 6)).clone();
    assert!(pool::release(set, kept).is_none());
    straggler.wake_by_ref();
    assert_eq!(
        parent.0.load(Ordering::SeqCst),
        0,
        "no select! holds the set: the kept parent is not woken"
    );
    let remote = straggler.clone();
    std::thread::spawn(move || remote.wake()).join().unwrap();
    assert_eq!(
        parent.0.load(Ordering::SeqCst),
        1,
        "from another thread, once, as before"
    );
    let (reused, _) = pool::acquire();
    assert_eq!(reused.take_woken(), 0, "the lease starts clean");
    straggler.wake_by_ref();
    assert_eq!(parent.0.load(Ordering::SeqCst), 2, "leased again: woken");
    drop(straggler);
}

#[test]
fn a_set_released_away_from_home_is_not_pooled_there() {
    let set = Arc::new(WakeSet::new());
    std::thread::spawn(move || {
        drain_pool();
        assert!(
            pool::release(set, None).is_some(),
            "another thread's set is handed back, not kept"
        );
        assert_eq!(pool::free_len(), 0);
    })
    .join()
    .unwrap();
}

/// A `select!` that went pending once, then won: its set goes back to the pool with the
/// waker it was polled with as its parent.
async fn select_pending_once() {
    let mut select = Select::new(1, 0b1, true);
    let mut polls = 0;
    std::future::poll_fn(|cx| {
        select.poll(cx, &mut |_, cx| {
            polls += 1;
            if polls == 1 {
                cx.waker().wake_by_ref();
                Branch::Pending
            } else {
                Branch::Won(())
            }
        })
    })
    .await;
}

#[test]
fn a_pooled_parent_does_not_keep_a_dropped_core_alive() {
    drain_pool();
    let mut core = crate::Core::new().unwrap();
    let shared = Arc::downgrade(core.shared());
    core.run(async {
        select_pending_once().await;
        crate::spawn(select_pending_once()).await.unwrap();
    });
    assert!(pool::free_len() > 0, "the sets went back to the pool");
    drop(core);
    assert_eq!(
        shared.strong_count(),
        0,
        "a waker of the root future or a task, kept by a pooled set, would keep the \
         Core's shared half (and its eventfd) alive"
    );
}

#[test]
fn a_branch_waker_woken_on_another_thread_after_its_set_went_back_to_the_pool() {
    // A losing branch hands its waker to another thread, which keeps waking it (by
    // reference, and clones by value) while its `select!` wins, its set goes back to the
    // pool with the task's waker as parent, `select!`s of other tasks and of the root future
    // reuse the set (replacing that parent), and the Core is dropped (which forgets the
    // pooled parents). Under Miri this checks the parent slot, the set's counts and the
    // task wakers' remote path for races; after the Core is gone the waker is harmless.
    use std::sync::atomic::AtomicBool;
    const ROUNDS: usize = if cfg!(miri) { 4 } else { 200 };
    drain_pool();
    let (send, recv) = std::sync::mpsc::channel::<Waker>();
    let stop = Arc::new(AtomicBool::new(false));
    let waking = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let waker = recv.recv().unwrap();
            while !stop.load(Ordering::Acquire) {
                waker.wake_by_ref();
                let clone = waker.clone();
                clone.wake();
                std::thread::yield_now();
            }
            waker
        })
    };
    let mut core = crate::Core::new().unwrap();
    core.run(async {
        crate::spawn(async move {
            let mut select = Select::new(2, 0b11, true);
            let mut send = Some(send);
            let mut polls = 0;
            std::future::poll_fn(|cx| {
                select.poll(cx, &mut |i, cx| {
                    if i == 0 {
                        if let Some(send) = send.take() {
                            send.send(cx.waker().clone()).unwrap();
                        }
                        return Branch::Pending;
                    }
                    polls += 1;
                    if polls == 1 {
                        cx.waker().wake_by_ref();
                        Branch::Pending
                    } else {
                        Branch::Won(())
                    }
                })
            })
            .await
        })
        .await
        .unwrap();
        for _ in 0..ROUNDS {
            crate::spawn(select_pending_once()).await.unwrap();
            select_pending_once().await;
            crate::yield_now().await;
        }
    });
    drop(core);
    stop.store(true, Ordering::Release);
    let waker = waking.join().unwrap();
    waker.wake();
    drain_pool();
}

/// A parent waker that wakes the wakers handed to it, as `futures`' `Shared` does for the
/// clones that polled it; `before` runs first on each wake.
struct Relay {
    wakers: std::sync::Mutex<Vec<Waker>>,
    wakes: AtomicUsize,
    before: Box<dyn Fn() + Send + Sync>,
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        (self.before)();
        let wakers = std::mem::take(&mut *self.wakers.lock().unwrap());
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl Relay {
    /// Hands the relay the waker of branch `index` of `set`, for its next wake.
    fn hand(&self, set: &Arc<WakeSet>, index: u32) {
        self.wakers
            .lock()
            .unwrap()
            .push((*BranchWaker::new(set, index)).clone());
    }
}

/// A [`Relay`] that runs `before` first on each wake.
fn relay(before: impl Fn() + Send + Sync + 'static) -> Arc<Relay> {
    Arc::new(Relay {
        wakers: Default::default(),
        wakes: AtomicUsize::new(0),
        before: Box::new(before),
    })
}

/// Runs `body` on a thread of its own, failing (rather than hanging the harness) if it does
/// not finish within 5 s.
fn on_a_thread_within_5s<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(body()).unwrap());
    finished
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("a wake deadlocked on the set's own parent lock")
}

#[test]
fn a_parent_whose_wake_wakes_a_branch_of_the_same_set_on_its_home_thread() {
    // A `select!` inside a shared future, one of whose branches awaits a clone of that
    // shared future: waking another branch reaches the set again from inside its parent's
    // wake, with the parent lock held.
    let (woken, wakes) = on_a_thread_within_5s(|| {
        let set = Arc::new(WakeSet::new());
        let relay = relay(|| {});
        set.set_parent(&Waker::from(Arc::clone(&relay)));
        relay.hand(&set, 0);
        BranchWaker::new(&set, 1).wake_by_ref();
        (set.take_woken(), relay.wakes.load(Ordering::SeqCst))
    });
    assert_eq!(woken, 0b11);
    assert_eq!(
        wakes, 2,
        "the inner wake gets a parent wake of its own, after its bit"
    );
}

#[test]
fn a_parent_whose_wake_wakes_a_branch_of_the_same_set_from_another_thread() {
    // The same from another thread, where a branch wake takes the lock only when its bit
    // is the first since the owner last took them: here the owner (polled on yet another
    // thread at each parent wake) takes them inside the parent's wake, before the inner
    // branch wake.
    let set = Arc::new(WakeSet::new());
    let polls: Arc<std::sync::Mutex<Vec<u64>>> = Arc::default();
    let relay = {
        let (set, polls) = (Arc::clone(&set), Arc::clone(&polls));
        relay(move || {
            let set = Arc::clone(&set);
            let taken = std::thread::spawn(move || set.take_woken()).join().unwrap();
            polls.lock().unwrap().push(taken);
        })
    };
    set.set_parent(&Waker::from(Arc::clone(&relay)));
    relay.hand(&set, 0);
    let branch = (*BranchWaker::new(&set, 1)).clone();
    on_a_thread_within_5s(move || branch.wake());
    assert_eq!(
        *polls.lock().unwrap(),
        [0b10, 0b01],
        "the inner wake's bit is taken by the poll its own parent wake caused"
    );
    set.clear_parent(); // the relay holds the set: break the cycle
}

#[test]
fn a_chain_of_relays_across_two_sets_on_one_thread_ends() {
    // X's parent relays its wake to a branch of Y, and Y's to a branch of X, all on one
    // thread: the wake that reaches X again is handed to X's wake further up the stack,
    // which wakes X's parent once more; nothing waits.
    let (x_woken, y_woken, x_wakes, y_wakes) = on_a_thread_within_5s(|| {
        let (x, y) = (Arc::new(WakeSet::new()), Arc::new(WakeSet::new()));
        let (rx, ry) = (relay(|| {}), relay(|| {}));
        x.set_parent(&Waker::from(Arc::clone(&rx)));
        y.set_parent(&Waker::from(Arc::clone(&ry)));
        rx.hand(&y, 0);
        ry.hand(&x, 0);
        BranchWaker::new(&x, 1).wake_by_ref();
        let r = (
            x.take_woken(),
            y.take_woken(),
            rx.wakes.load(Ordering::SeqCst),
            ry.wakes.load(Ordering::SeqCst),
        );
        x.clear_parent();
        y.clear_parent();
        r
    });
    assert_eq!((x_woken, y_woken), (0b11, 0b01));
    assert_eq!((x_wakes, y_wakes), (2, 1));
}

/// A parent that relays its wake to the waker it holds, then panics on its first wake.
struct WakeThenPanic(std::sync::Mutex<Option<Waker>>, AtomicUsize);
impl Wake for WakeThenPanic {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let n = self.1.fetch_add(1, Ordering::SeqCst);
        let inner = self.0.lock().unwrap().take();
        if let Some(inner) = inner {
            inner.wake(); // re-enters the set: asks for a wake again
        }
        if n == 0 {
            panic!("parent wake panics after the re-entrant wake");
        }
    }
}

#[test]
fn a_parent_wake_that_panics_leaves_the_set_usable() {
    let (first, woken, wakes) = on_a_thread_within_5s(|| {
        let set = Arc::new(WakeSet::new());
        let p = Arc::new(WakeThenPanic(Default::default(), AtomicUsize::new(0)));
        set.set_parent(&Waker::from(Arc::clone(&p)));
        *p.0.lock().unwrap() = Some((*BranchWaker::new(&set, 0)).clone());
        let s2 = Arc::clone(&set);
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            BranchWaker::new(&s2, 1).wake_by_ref();
        }));
        assert!(res.is_err());
        let first = set.take_woken();
        // Lock released, marks cleared: a plain wake wakes the parent exactly once.
        BranchWaker::new(&set, 3).wake_by_ref();
        let out = (first, set.take_woken(), p.1.load(Ordering::SeqCst));
        set.clear_parent();
        out
    });
    assert_eq!(first, 0b11);
    assert_eq!(woken, 0b1000);
    assert_eq!(
        wakes, 2,
        "the panicking wake, then one; no hand-over left behind"
    );
}

/// Two sets, each made on its own thread (its home), whose parents each wake a branch of
/// the other set (e.g. a `select!` inside each of two `Shared` futures, each with a branch
/// awaiting the other). Each thread wakes a branch of its own set; inside the parent wake
/// (lock held) it wakes a branch of the other set, whose lock the other thread holds.
#[test]
fn a_chain_of_relays_across_two_sets_on_two_threads_ends() {
    use std::sync::atomic::AtomicBool;
    use std::sync::{Barrier, mpsc};
    let done = on_a_thread_within_5s(|| {
        let barrier = Arc::new(Barrier::new(2));
        let (to_b, from_a) = mpsc::channel::<Arc<WakeSet>>();
        let (to_a, from_b) = mpsc::channel::<Arc<WakeSet>>();
        let side = |tx: mpsc::Sender<Arc<WakeSet>>,
                    rx: mpsc::Receiver<Arc<WakeSet>>,
                    barrier: Arc<Barrier>| {
            move || {
                let mine = Arc::new(WakeSet::new());
                let first = Arc::new(AtomicBool::new(true));
                let r = {
                    let barrier = Arc::clone(&barrier);
                    relay(move || {
                        if first.swap(false, Ordering::SeqCst) {
                            barrier.wait(); // both threads hold their own set's lock
                        }
                    })
                };
                mine.set_parent(&Waker::from(Arc::clone(&r)));
                tx.send(Arc::clone(&mine)).unwrap();
                let other = rx.recv().unwrap();
                r.hand(&other, 0);
                barrier.wait();
                BranchWaker::new(&mine, 1).wake_by_ref();
                barrier.wait();
                mine.clear_parent();
            }
        };
        let a = std::thread::spawn(side(to_b, from_b, Arc::clone(&barrier)));
        let b = std::thread::spawn(side(to_a, from_a, barrier));
        a.join().unwrap();
        b.join().unwrap();
        true
    });
    assert!(done);
}
