//! A model-based property test of `select!`: random scenarios (which branches are enabled,
//! which complete, whether their output matches, when and from which thread they are woken,
//! spurious wakes, stale wakers of an earlier `select!` firing into this one, the task's
//! waker changing between polls, a new task polling with the waker an executor lends for
//! a reused task slot) drive a `select!` by hand, poll by poll, with 2, 4, 8 or 64
//! branches, and every poll is checked against a model of the rules in
//! `select/docs/select.md`:
//!
//! - the first poll polls every enabled branch; later polls poll only the branches whose
//!   own waker fired since their last poll (a waker an earlier `select!` left behind may
//!   add one spurious poll of its branch index), and each of those at most once;
//! - under `biased;` a pass visits branches in declaration order, so the winner is the
//!   lowest-index branch among those due in the pass that found it that completed with a
//!   matching output;
//! - a completed branch whose output does not match is disabled and never polled again;
//!   when every branch is disabled, `else` runs, or without one the `select!` panics;
//! - no wake-up is lost: whenever a racing branch's waker fired, the waker of the task's
//!   latest poll was woken;
//! - every branch future is created and every precondition evaluated exactly once, every
//!   future (winner, losers, never-polled ones) is dropped exactly once, before the handler
//!   runs, or when the `select!` itself is dropped half way;
//! - wakers left behind fire harmlessly afterwards, on this thread or another.

mod select_common;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use proptest::collection::vec;
use proptest::prelude::*;
use select_common::{TaskSlot, WakeCount};

/// The branch counts under test: the macro needs each as a separate call site.
const ARITIES: [usize; 4] = [2, 4, 8, 64];

/// What the harness saw happen, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Precondition(usize),
    Created(usize),
    Poll(usize),
    Drop(usize),
    Handler(usize),
    Else,
}

/// What a `select!` under test evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Branch `.0`'s handler ran with the bound value `.1`.
    Won(usize, usize),
    Else,
}

/// One branch's controllable state: its future completes once `result` is set, with
/// `Ok(index)` (matching the branch's `Ok(v)` pattern) or `Err(index)` (not matching).
#[derive(Default)]
struct BranchState {
    result: Cell<Option<bool>>,
    /// The waker of the branch's last pending poll, kept (not taken) so it can fire again.
    waker: RefCell<Option<Waker>>,
    /// On its next pending poll, the future wakes its own waker before returning.
    wake_self: Cell<bool>,
    created: Cell<u32>,
    preconditions: Cell<u32>,
}

/// The branches of one `select!` and the log of what happened to them.
struct Harness {
    enabled: Vec<bool>,
    branches: Vec<BranchState>,
    log: RefCell<Vec<Event>>,
}

impl Harness {
    fn new(enabled: Vec<bool>) -> Harness {
        let branches = enabled.iter().map(|_| BranchState::default()).collect();
        Harness {
            enabled,
            branches,
            log: RefCell::new(Vec::new()),
        }
    }

    fn len(&self) -> usize {
        self.branches.len()
    }

    fn precondition(&self, i: usize) -> bool {
        let branch = &self.branches[i];
        branch.preconditions.set(branch.preconditions.get() + 1);
        self.log.borrow_mut().push(Event::Precondition(i));
        self.enabled[i]
    }

    fn future(&self, i: usize) -> Controlled<'_> {
        let branch = &self.branches[i];
        branch.created.set(branch.created.get() + 1);
        self.log.borrow_mut().push(Event::Created(i));
        Controlled { harness: self, i }
    }

    fn won(&self, i: usize, v: usize) -> Outcome {
        self.log.borrow_mut().push(Event::Handler(i));
        Outcome::Won(i, v)
    }

    fn else_ran(&self) -> Outcome {
        self.log.borrow_mut().push(Event::Else);
        Outcome::Else
    }

    fn waker(&self, i: usize) -> Option<Waker> {
        self.branches[i].waker.borrow().clone()
    }

    fn events_since(&self, from: usize) -> Vec<Event> {
        self.log.borrow()[from..].to_vec()
    }
}

/// Branch `i`'s future.
struct Controlled<'h> {
    harness: &'h Harness,
    i: usize,
}

impl Future for Controlled<'_> {
    type Output = Result<usize, usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (harness, i) = (self.harness, self.i);
        harness.log.borrow_mut().push(Event::Poll(i));
        let branch = &harness.branches[i];
        match branch.result.get() {
            Some(true) => Poll::Ready(Ok(i)),
            Some(false) => Poll::Ready(Err(i)),
            None => {
                *branch.waker.borrow_mut() = Some(cx.waker().clone());
                if branch.wake_self.replace(false) {
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Controlled<'_> {
    fn drop(&mut self) {
        self.harness.log.borrow_mut().push(Event::Drop(self.i));
    }
}

type SelectFuture<'h> = Pin<Box<dyn Future<Output = Outcome> + 'h>>;

/// Defines `$name(harness, biased, with_else)`: a `select!` over branches `$i`, each
/// `Ok(v) = harness.future($i), if harness.precondition($i) => harness.won($i, v)`.
macro_rules! select_fn {
    ($name:ident: $($i:literal)*) => {
        fn $name(h: &Harness, biased: bool, with_else: bool) -> SelectFuture<'_> {
            match (biased, with_else) {
                (true, true) => Box::pin(async move {
                    mirage::select! {
                        biased;
                        $( Ok(v) = h.future($i), if h.precondition($i) => h.won($i, v), )*
                        else => h.else_ran(),
                    }
                }),
                (true, false) => Box::pin(async move {
                    mirage::select! {
                        biased;
                        $( Ok(v) = h.future($i), if h.precondition($i) => h.won($i, v), )*
                    }
                }),
                (false, true) => Box::pin(async move {
                    mirage::select! {
                        $( Ok(v) = h.future($i), if h.precondition($i) => h.won($i, v), )*
                        else => h.else_ran(),
                    }
                }),
                (false, false) => Box::pin(async move {
                    mirage::select! {
                        $( Ok(v) = h.future($i), if h.precondition($i) => h.won($i, v), )*
                    }
                }),
            }
        }
    };
}

select_fn!(select_2: 0 1);
select_fn!(select_4: 0 1 2 3);
select_fn!(select_8: 0 1 2 3 4 5 6 7);
select_fn!(select_64:
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
    61 62 63
);

/// The `select!` over all of `harness`'s branches.
fn select(harness: &Harness, biased: bool, with_else: bool) -> SelectFuture<'_> {
    match harness.len() {
        2 => select_2(harness, biased, with_else),
        4 => select_4(harness, biased, with_else),
        8 => select_8(harness, biased, with_else),
        64 => select_64(harness, biased, with_else),
        n => unreachable!("no select! over {n} branches"),
    }
}

/// The tasks whose wakers poll the `select!`s: a scenario picks one per poll, as if the
/// `select!` moved between tasks (or its task's waker changed). Parents 0 and 1 are plain
/// `Arc` wakers; parent 2 is the waker an executor lends for a task slot it reuses
/// ([`TaskSlot`]), whose task changes when the scenario says so.
struct Parents {
    tasks: [Arc<WakeCount>; 2],
    slot: TaskSlot,
}

const PARENTS: usize = 3;

impl Parents {
    fn new() -> Parents {
        Parents {
            tasks: Default::default(),
            slot: TaskSlot::new(),
        }
    }

    /// The task that parent `which` wakes now.
    fn task(&self, which: usize) -> Arc<WakeCount> {
        match which {
            0 | 1 => self.tasks[which].clone(),
            _ => self.slot.task(),
        }
    }

    /// Polls `future` with parent `which`'s waker.
    fn poll<F: Future + ?Sized>(&self, which: usize, future: Pin<&mut F>) -> Poll<F::Output> {
        match which {
            0 | 1 => {
                let waker = Waker::from(self.tasks[which].clone());
                future.poll(&mut Context::from_waker(&waker))
            }
            _ => self.slot.poll(future),
        }
    }
}

/// Wakes `waker`, by reference here or by value on another thread (joined).
fn fire(waker: &Waker, from_thread: bool) {
    if from_thread {
        let waker = waker.clone();
        std::thread::spawn(move || waker.wake()).join().unwrap();
    } else {
        waker.wake_by_ref();
    }
}

/// Something that happens between two polls.
#[derive(Debug, Clone)]
enum Action {
    /// Branch `i` completes (matching or not) and its waker fires.
    Open {
        i: usize,
        matches: bool,
        from_thread: bool,
    },
    /// Branch `i`'s waker fires although it stays pending.
    Wake { i: usize, from_thread: bool },
    /// On its next pending poll branch `i` wakes itself (as `yield_now` does).
    WakeSelf { i: usize },
    /// Branch `k`'s waker from the earlier `select!` fires.
    Stale { k: usize, from_thread: bool },
}

#[derive(Debug, Clone)]
struct Step {
    actions: Vec<Action>,
    /// Poll even if the task was not woken (a spurious wake of the task).
    extra_poll: bool,
    /// Which parent's waker the next poll gets.
    parent: usize,
    /// Before the next poll, a new task takes the slot of parent 2.
    retask: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    biased: bool,
    with_else: bool,
    enabled: Vec<bool>,
    /// Per branch, `Some(matches)` when it is ready before the `select!` is entered.
    ready_at_entry: Vec<Option<bool>>,
    /// Stale wakers that fire before the `select!` is entered.
    stale_at_entry: Vec<(usize, bool)>,
    first_parent: usize,
    /// The `select!` under test is a branch of another `select!`, whose branch waker is
    /// its parent.
    nested: bool,
    steps: Vec<Step>,
    /// The earlier `select!`: its branch count, the branch that wins it, and its parent.
    earlier_len: usize,
    earlier_winner: usize,
    earlier_parent: usize,
}

/// A branch index in `0..n`, most often one of the first four so that in large `select!`s
/// the same few branches get several actions.
fn index(n: usize) -> BoxedStrategy<usize> {
    prop_oneof![3 => 0..n.min(4), 1 => 0..n].boxed()
}

fn action(n: usize, earlier: usize) -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (index(n), any::<bool>(), any::<bool>())
            .prop_map(|(i, matches, from_thread)| Action::Open { i, matches, from_thread }),
        2 => (index(n), any::<bool>()).prop_map(|(i, from_thread)| Action::Wake { i, from_thread }),
        1 => index(n).prop_map(|i| Action::WakeSelf { i }),
        2 => (index(earlier), any::<bool>())
            .prop_map(|(k, from_thread)| Action::Stale { k, from_thread }),
    ]
}

fn step(n: usize, earlier: usize) -> impl Strategy<Value = Step> {
    (
        vec(action(n, earlier), 0..4),
        prop::bool::weighted(0.2),
        0..PARENTS,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(actions, extra_poll, parent, retask)| Step {
            actions,
            extra_poll,
            parent,
            retask,
        })
}

fn enabled(n: usize) -> impl Strategy<Value = Vec<bool>> {
    prop_oneof![
        4 => vec(prop::bool::weighted(0.85), n),
        1 => vec(prop::bool::weighted(0.3), n),
        1 => Just(vec![true; n]),
        1 => Just(vec![false; n]),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (0..ARITIES.len(), 0..ARITIES.len()).prop_flat_map(|(a, e)| {
        let (n, earlier) = (ARITIES[a], ARITIES[e]);
        // In a third of the scenarios, about one branch is ready at entry.
        let quiet = (n as u32).max(4) * 2 - 2;
        let ready = prop_oneof![
            quiet => Just(None),
            1 => Just(Some(true)),
            1 => Just(Some(false)),
        ];
        let ready_at_entry = prop_oneof![2 => Just(vec![None; n]), 1 => vec(ready, n)];
        (
            (any::<bool>(), any::<bool>(), enabled(n), ready_at_entry),
            vec((index(earlier), any::<bool>()), 0..3),
            (0..PARENTS, prop::bool::weighted(0.3)),
            vec(step(n, earlier), 1..12),
            (Just(earlier), 0..earlier, 0..PARENTS),
        )
            .prop_map(
                |(
                    (biased, with_else, enabled, ready_at_entry),
                    stale_at_entry,
                    (first_parent, nested),
                    steps,
                    (earlier_len, earlier_winner, earlier_parent),
                )| Scenario {
                    biased,
                    with_else,
                    enabled,
                    ready_at_entry,
                    stale_at_entry,
                    first_parent,
                    nested,
                    steps,
                    earlier_len,
                    earlier_winner,
                    earlier_parent,
                },
            )
    })
}

/// `inner` as a branch of a `select!` whose other branch never completes: `inner` is then
/// polled with a branch waker, and only when that waker fired.
fn nested(inner: SelectFuture<'_>) -> SelectFuture<'_> {
    Box::pin(async move {
        mirage::select! {
            outcome = inner => outcome,
            () = std::future::pending() => unreachable!(),
        }
    })
}

/// Runs the earlier `select!` (every branch polled once and left pending, then
/// `winner` opened and winning), on this thread, so that its wake set goes back to the pool
/// for the `select!` under test; returns the wakers its branches left behind.
fn earlier_select(len: usize, winner: usize, parents: &Parents, parent: usize) -> Vec<Waker> {
    let harness = Harness::new(vec![true; len]);
    {
        let mut future = select(&harness, false, false);
        assert!(parents.poll(parent, future.as_mut()).is_pending());
        harness.branches[winner].result.set(Some(true));
        harness.waker(winner).unwrap().wake_by_ref();
        let outcome = parents.poll(parent, future.as_mut());
        assert_eq!(outcome, Poll::Ready(Outcome::Won(winner, winner)));
    }
    (0..len).map(|k| harness.waker(k).unwrap()).collect()
}

/// The model's view of the `select!` under test.
struct Model {
    n: usize,
    biased: bool,
    /// Still racing: enabled by its precondition and not disabled by a mismatch.
    live: Vec<bool>,
    result: Vec<Option<bool>>,
    /// Its current waker fired since its last poll: it must be polled next time.
    fired: Vec<bool>,
    /// A stale waker of its index fired since its last poll: it may be polled next time.
    stale: Vec<bool>,
    wake_self: Vec<bool>,
    first: bool,
}

/// How a poll of the `select!` should end.
#[derive(Debug, PartialEq, Eq)]
enum Expected {
    Pending,
    Won(usize),
    Else,
}

impl Model {
    /// Checks the branches polled in one pass of the `select!` and advances the model.
    fn pass(&mut self, polled: &[usize], context: &str) -> Expected {
        let n = self.n;
        let must: Vec<bool> = (0..n)
            .map(|i| self.live[i] && (self.first || self.fired[i]))
            .collect();
        let may: Vec<bool> = (0..n).map(|i| self.live[i] && self.stale[i]).collect();
        let mut seen = vec![false; n];
        for (position, &i) in polled.iter().enumerate() {
            assert!(
                must[i] || may[i],
                "{context}: branch {i} was polled but neither enabled and woken \
                 (live {:?}, fired {:?}, stale {:?})",
                self.live[i],
                self.fired[i],
                self.stale[i]
            );
            assert!(!seen[i], "{context}: branch {i} polled twice in one pass");
            seen[i] = true;
            if self.biased && position > 0 {
                assert!(
                    polled[position - 1] < i,
                    "{context}: biased, yet {i} was polled after {}",
                    polled[position - 1]
                );
            }
            if self.first && !self.biased && position > 0 {
                // The first pass goes round from its starting branch in index order.
                let start = polled[0];
                let rank = |j: usize| (j + n - start) % n;
                assert!(
                    rank(polled[position - 1]) < rank(i),
                    "{context}: first pass {polled:?} does not go round in index order"
                );
            }
        }
        let mut winner = None;
        for (position, &i) in polled.iter().enumerate() {
            match self.result[i] {
                None => {
                    self.fired[i] = std::mem::take(&mut self.wake_self[i]);
                    self.stale[i] = false;
                }
                Some(false) => self.live[i] = false,
                Some(true) => {
                    assert_eq!(
                        position,
                        polled.len() - 1,
                        "{context}: branch {i} completed with a matching output, \
                         yet the pass went on to {:?}",
                        &polled[position + 1..]
                    );
                    winner = Some(i);
                }
            }
        }
        let last = polled.last().copied();
        match winner {
            Some(w) => {
                if self.biased {
                    // Every due branch before the winner was polled (and lost).
                    for j in 0..w {
                        assert!(
                            !must[j] || seen[j],
                            "{context}: biased, branch {j} was due but {w} won without \
                             polling it"
                        );
                    }
                }
                self.first = false;
                Expected::Won(w)
            }
            None => {
                for j in 0..n {
                    assert!(
                        !must[j] || seen[j],
                        "{context}: branch {j} was due but not polled (pass {polled:?}, last \
                         {last:?})"
                    );
                }
                self.first = false;
                if self.live.iter().any(|&l| l) {
                    Expected::Pending
                } else {
                    Expected::Else
                }
            }
        }
    }

    /// Whether a racing branch's waker fired since its last poll: the task must be woken.
    fn must_wake(&self) -> bool {
        (0..self.n).any(|i| self.live[i] && self.fired[i])
    }
}

const NO_ELSE: &str = "select!: all branches are disabled and there is no else branch";

/// Runs `scenario` and checks every poll against the model.
fn run(scenario: &Scenario) {
    let n = scenario.enabled.len();
    let parents = Parents::new();
    let stale = earlier_select(
        scenario.earlier_len,
        scenario.earlier_winner,
        &parents,
        scenario.earlier_parent,
    );
    // The earlier select!'s task is done; another one takes its slot.
    parents.slot.retask();

    let harness = Harness::new(scenario.enabled.clone());
    let mut model = Model {
        n,
        biased: scenario.biased,
        live: scenario.enabled.clone(),
        result: scenario.ready_at_entry.clone(),
        fired: vec![false; n],
        stale: vec![false; n],
        wake_self: vec![false; n],
        first: true,
    };
    for (i, ready) in scenario.ready_at_entry.iter().enumerate() {
        harness.branches[i].result.set(*ready);
    }
    for &(k, from_thread) in &scenario.stale_at_entry {
        fire(&stale[k], from_thread);
    }

    let mut future = Some(select(&harness, scenario.biased, scenario.with_else));
    if scenario.nested {
        future = future.map(nested);
    }
    // The parent of the latest poll, and the one the next poll gets.
    let mut parent = scenario.first_parent;
    let mut next_parent = parent;
    let mut outcome = None;
    let mut steps = scenario.steps.iter();
    for poll_number in 0.. {
        // Poll.
        let context = format!("poll {poll_number}");
        parent = next_parent;
        let task = parents.task(parent);
        let mark = task.count();
        let from = harness.log.borrow().len();
        let result = catch_unwind(AssertUnwindSafe(|| {
            parents.poll(parent, future.as_mut().unwrap().as_mut())
        }));
        let events = harness.events_since(from);
        let polled: Vec<usize> = events
            .iter()
            .filter_map(|e| match e {
                Event::Poll(i) => Some(*i),
                _ => None,
            })
            .collect();
        let expected = model.pass(&polled, &context);
        match (expected, result) {
            (Expected::Pending, Ok(Poll::Pending)) => {
                let ended =
                    |e: &Event| matches!(e, Event::Drop(_) | Event::Handler(_) | Event::Else);
                assert!(!events.iter().any(ended), "{context}: {events:?}");
            }
            (Expected::Won(w), Ok(Poll::Ready(got))) => {
                assert_eq!(got, Outcome::Won(w, w), "{context}");
                outcome = Some(got);
                break;
            }
            (Expected::Else, Ok(Poll::Ready(got))) if scenario.with_else => {
                assert_eq!(got, Outcome::Else, "{context}");
                outcome = Some(got);
                break;
            }
            (Expected::Else, Err(panic)) if !scenario.with_else => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                assert_eq!(message, NO_ELSE, "{context}");
                // The poisoned future is dropped; the branch futures were already.
                future = None;
                break;
            }
            (_, Err(panic)) => std::panic::resume_unwind(panic),
            (expected, Ok(got)) => {
                panic!("{context}: expected {expected:?}, the select! gave {got:?}")
            }
        }
        // No lost wake-up: a branch that woke itself while polled woke the task.
        if model.must_wake() {
            assert!(
                task.count() > mark,
                "{context}: a branch woke itself but the task was not woken"
            );
        }

        // Steps until the task is woken (or polled spuriously).
        let woken = loop {
            let Some(step) = steps.next() else {
                break false;
            };
            for action in &step.actions {
                apply(action, &harness, &mut model, &stale);
            }
            if model.must_wake() {
                assert!(
                    task.count() > mark,
                    "{context}: a branch's waker fired after this poll but the task's \
                     waker (parent {parent}) was not woken; actions {:?}",
                    step.actions
                );
            }
            let woken = task.count() > mark;
            next_parent = step.parent;
            if step.retask {
                parents.slot.retask();
            }
            if woken || step.extra_poll {
                break true;
            }
        };
        if !woken {
            break;
        }
    }

    // A select! that finished (or panicked) dropped every branch future already; one still
    // pending drops them when it is dropped.
    let finished = outcome.is_some() || future.is_none();
    let dropped = |log: &[Event]| log.iter().filter(|e| matches!(e, Event::Drop(_))).count();
    let dropped_before = dropped(&harness.log.borrow());
    assert_eq!(dropped_before, if finished { n } else { 0 });
    drop(future);
    let log = harness.log.borrow().clone();
    assert_eq!(dropped(&log), n);
    let last_precondition = log
        .iter()
        .rposition(|e| matches!(e, Event::Precondition(_)));
    let first_future = log.iter().position(|e| matches!(e, Event::Created(_)));
    assert!(
        last_precondition < first_future,
        "every precondition is evaluated before any future is created: {log:?}"
    );
    for (i, branch) in harness.branches.iter().enumerate() {
        assert_eq!(
            branch.created.get(),
            1,
            "branch {i}'s future was created once"
        );
        assert_eq!(branch.preconditions.get(), 1, "branch {i}'s precondition");
        let drops = log.iter().filter(|&&e| e == Event::Drop(i)).count();
        assert_eq!(drops, 1, "branch {i} was dropped {drops} times: {log:?}");
        if !scenario.enabled[i] {
            assert!(
                !log.contains(&Event::Poll(i)),
                "branch {i}'s precondition was false, yet it was polled"
            );
        }
    }
    let ends: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::Handler(_) | Event::Else))
        .map(|(at, _)| at)
        .collect();
    match outcome {
        Some(Outcome::Won(w, _)) => {
            assert_eq!(ends.len(), 1);
            assert_eq!(log[ends[0]], Event::Handler(w));
        }
        Some(Outcome::Else) => {
            assert_eq!(ends.len(), 1);
            assert_eq!(log[ends[0]], Event::Else);
        }
        None => assert!(ends.is_empty(), "{log:?}"),
    }
    if let Some(&end) = ends.first() {
        assert_eq!(
            end,
            log.len() - 1,
            "every future was dropped before the handler"
        );
    }

    // The wakers left behind fire harmlessly, here and on another thread.
    let before = log.len();
    for i in 0..n {
        if let Some(waker) = harness.waker(i) {
            fire(&waker, i % 2 == 0);
        }
    }
    for (k, waker) in stale.iter().enumerate() {
        fire(waker, k % 2 == 1);
    }
    assert_eq!(
        harness.log.borrow().len(),
        before,
        "nothing ran after the end"
    );
}

/// Applies one action to the harness and the model.
fn apply(action: &Action, harness: &Harness, model: &mut Model, stale: &[Waker]) {
    match *action {
        Action::Open {
            i,
            matches,
            from_thread,
        } => {
            if model.result[i].is_some() {
                return; // already completed: a future completes once
            }
            model.result[i] = Some(matches);
            harness.branches[i].result.set(Some(matches));
            if let Some(waker) = harness.waker(i) {
                model.fired[i] = true;
                fire(&waker, from_thread);
            }
        }
        Action::Wake { i, from_thread } => {
            if let Some(waker) = harness.waker(i) {
                model.fired[i] = true;
                fire(&waker, from_thread);
            }
        }
        Action::WakeSelf { i } => {
            if model.result[i].is_none() {
                model.wake_self[i] = true;
                harness.branches[i].wake_self.set(true);
            }
        }
        Action::Stale { k, from_thread } => {
            if k < model.n {
                model.stale[k] = true;
            }
            fire(&stale[k], from_thread);
        }
    }
}

proptest! {
    // proptest's default: 256 cases, or `PROPTEST_CASES` (a handful under Miri).
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn select_follows_the_model(scenario in scenario()) {
        run(&scenario);
    }
}
