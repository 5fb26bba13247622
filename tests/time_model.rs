//! Model-based property tests of the Core's timers under virtual time.
//!
//! Random programs of sleeps, resets, aborts, `select!` races, timeouts, `advance`s and idle
//! jumps run on a paused Core, and in lockstep against a model that knows only the
//! documented rules: virtual time moves on a whole-microsecond grid; a timer completes at
//! the first moment its task runs at or after its deadline (rounded up to the grid), never
//! before and exactly once; an idle Core jumps straight to the next deadline; `advance`
//! moves the clock first and then runs the tasks it woke; a `timeout` polls its future
//! first and starts its clock at its first pending poll. A second model checks `Interval`
//! against tokio's missed-tick rules as `MissedTickBehavior` documents them.
//!
//! Times are nanoseconds since the test paused the clock (on the grid, so a deadline's
//! grid point is its offset rounded up to a whole microsecond).

mod prop_config;

use std::cell::{Cell, RefCell};
use std::future::{Future, pending, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use mirage::sync::oneshot;
use mirage::time::{
    Instant, Interval, MissedTickBehavior, Sleep, advance, interval, interval_at, pause, resume,
    sleep, sleep_until, timeout, timeout_at,
};
use mirage::{Core, JoinHandle};
use prop_config::config;
use proptest::prelude::*;
use proptest::sample::Index;

/// Nanoseconds per grid step (a wheel tick).
const US: u64 = 1_000;
const MS: u64 = 1_000 * US;
const SEC: u64 = 1_000 * MS;
/// A day: 60 of them lie beyond the wheel's horizon (about 50 days), in its parked list.
const DAY: u64 = 86_400 * SEC;

/// The grid point at or after `ns`.
fn ceil_us(ns: u64) -> u64 {
    ns.div_ceil(US) * US
}

fn nanos(ns: u64) -> Duration {
    Duration::from_nanos(ns)
}

/// Nanoseconds from `start` to `t`, which may be before it.
fn since(start: Instant, t: Instant) -> i128 {
    match t.checked_duration_since(start) {
        Some(after) => after.as_nanos() as i128,
        None => -(start.duration_since(t).as_nanos() as i128),
    }
}

/// `sleep` and `timeout` cap longer durations at about 30 years.
const FAR_FUTURE: u64 = 30 * 365 * DAY;

/// A step of time in nanoseconds: zero, sub-microsecond, small, whole milliseconds (ties),
/// up to seconds, or beyond the wheel's horizon.
fn step() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![
        2 => Just(0),
        2 => 1..US,
        3 => (1..50u64).prop_map(|x| x * US),
        3 => 0..20 * MS,
        3 => (0..100u64).prop_map(|x| x * MS),
        1 => 0..10 * SEC,
        1 => 50 * DAY..70 * DAY,
    ]
}

/// A timer's duration: a step, or now and then one past the 30-year cap.
fn duration() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![
        16 => step(),
        1 => FAR_FUTURE - SEC..FAR_FUTURE + 10 * 365 * DAY,
    ]
}

/// An instant relative to the driver's now.
#[derive(Debug, Clone, Copy)]
enum Offset {
    Ahead(u64),
    /// `now - x`, no earlier than the start.
    Behind(u64),
}

impl Offset {
    fn at(self, now: u64) -> u64 {
        match self {
            Offset::Ahead(x) => now + x,
            Offset::Behind(x) => now.saturating_sub(x),
        }
    }
}

fn offset(distance: impl Strategy<Value = u64> + Clone) -> impl Strategy<Value = Offset> {
    prop_oneof![
        3 => distance.clone().prop_map(Offset::Ahead),
        1 => distance.prop_map(Offset::Behind),
    ]
}

mod sleeps {
    use super::*;

    /// What a timeout task's inner future does.
    #[derive(Debug, Clone, Copy)]
    pub(super) enum Inner {
        /// `sleep_until(now + x)`, created at the spawn.
        Sleep(u64),
        /// Never completes.
        Never,
        /// Completes when the driver opens its gate (a oneshot send).
        Gate,
    }

    #[derive(Debug, Clone)]
    pub(super) enum Op {
        /// A task awaiting `sleep(d)` (`relative`) or `sleep_until(now + d)`, made now; the
        /// driver may reset it, and awaits it again after a reset once it completed.
        SpawnSleep { d: u64, relative: bool },
        /// `n` sleep tasks at once, all with the deadline `now + d`: more tasks than the Core
        /// runs in a turn (128).
        SpawnCrowd { d: u64, n: usize },
        /// A task racing two sleeps in `select!`; the loser is dropped mid-flight.
        SpawnRace { a: u64, b: u64 },
        /// A task awaiting `timeout(d, inner)` (made now, so its clock starts at the task's
        /// first poll) or `timeout_at(offset, inner)`.
        SpawnTimeout {
            limit: Offset,
            relative: bool,
            inner: Inner,
        },
        /// `Sleep::reset` of a sleep task's sleep, from the driver.
        Reset(Index, Offset),
        /// Aborts a task: its sleeps are dropped, registered or not.
        Abort(Index),
        /// Aborts a sleep task but keeps its sleep, registered with the aborted task's
        /// waker, and spawns a new task that awaits it.
        Rehome(Index),
        /// Opens a timeout task's gate.
        Open(Index),
        /// Waits for a task spawned behind the queued ones, then yields: the woken tasks, and
        /// those they wake, run; time stands still.
        Yield,
        /// `advance(d)`.
        Advance(u64),
        /// The driver sleeps `d > 0`: the idle Core jumps from deadline to deadline.
        Idle(u64),
        /// `resume()`, `pause()` and `advance(0)`: time moves on by the real time between,
        /// at least to the next grid point, and the timers that became due fire.
        ///
        /// Without the `advance`, the wheel would stay where it last fired timers, and a
        /// sleep whose deadline lies between there and the clock would complete a turn after
        /// its first poll (as `sleep_until` documents for past deadlines), so a `timeout_at`
        /// with an earlier deadline around it would win: the order of deadlines, not a bug.
        ResumeAndPause,
    }

    pub(super) fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (duration(), any::<bool>()).prop_map(|(d, relative)| Op::SpawnSleep { d, relative }),
            2 => (duration(), duration()).prop_map(|(a, b)| Op::SpawnRace { a, b }),
            1 => (step(), 100..200usize).prop_map(|(d, n)| Op::SpawnCrowd { d, n }),
            3 => (
                offset(duration()),
                any::<bool>(),
                prop_oneof![
                    duration().prop_map(Inner::Sleep),
                    Just(Inner::Never),
                    Just(Inner::Gate),
                ],
            )
                .prop_map(|(limit, relative, inner)| Op::SpawnTimeout { limit, relative, inner }),
            4 => (any::<Index>(), offset(duration())).prop_map(|(i, to)| Op::Reset(i, to)),
            1 => any::<Index>().prop_map(Op::Rehome),
            2 => any::<Index>().prop_map(Op::Abort),
            2 => any::<Index>().prop_map(Op::Open),
            2 => Just(Op::Yield),
            3 => step().prop_map(Op::Advance),
            4 => step().prop_map(|d| Op::Idle(d.max(1))),
            1 => Just(Op::ResumeAndPause),
        ]
    }

    /// What a task logs, with the time it logged it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum What {
        Slept,
        /// The `select!` branch that won; the model gives the set that may win as a mask.
        Won(u8),
        Finished,
        TimedOut,
    }

    type Log = Rc<RefCell<Vec<(usize, What, u64)>>>;

    /// The model of one task.
    #[derive(Debug)]
    enum Model {
        Sleep {
            deadline: u64,
            /// Awaiting its sleep (not yet completed since the last reset).
            armed: bool,
        },
        Race {
            deadlines: [u64; 2],
            done: bool,
        },
        Timeout {
            /// `None` until the first poll of a relative timeout, which fixes it.
            deadline: Option<u64>,
            relative: u64,
            inner: Inner,
            open: bool,
            done: bool,
        },
    }

    struct ModelCore {
        now: u64,
        /// Each task, and whether it was aborted.
        tasks: Vec<(Model, bool)>,
        log: Vec<(usize, What, u64)>,
    }

    impl ModelCore {
        /// The queued tasks run at `now`: every timer due by now completes.
        fn run_tasks(&mut self) {
            let now = self.now;
            for (id, (task, aborted)) in self.tasks.iter_mut().enumerate() {
                if *aborted {
                    continue;
                }
                match task {
                    Model::Sleep { deadline, armed } => {
                        if *armed && ceil_us(*deadline) <= now {
                            *armed = false;
                            self.log.push((id, What::Slept, now));
                        }
                    }
                    Model::Race { deadlines, done } => {
                        let mask = (0..2)
                            .filter(|&i| ceil_us(deadlines[i]) <= now)
                            .fold(0u8, |mask, i| mask | 1 << i);
                        if !*done && mask != 0 {
                            *done = true;
                            self.log.push((id, What::Won(mask), now));
                        }
                    }
                    Model::Timeout {
                        deadline,
                        relative,
                        inner,
                        open,
                        done,
                    } => {
                        if *done {
                            continue;
                        }
                        // The inner future is polled first.
                        let ready = match inner {
                            Inner::Sleep(at) => ceil_us(*at) <= now,
                            Inner::Never => false,
                            Inner::Gate => *open,
                        };
                        let limit = *deadline.get_or_insert(now + *relative);
                        if ready {
                            *done = true;
                            self.log.push((id, What::Finished, now));
                        } else if ceil_us(limit) <= now {
                            *done = true;
                            self.log.push((id, What::TimedOut, now));
                        }
                    }
                }
            }
        }

        /// The earliest grid point at which a live, polled timer is due.
        fn next_due(&self) -> Option<u64> {
            let due = |(task, aborted): &(Model, bool)| -> Option<u64> {
                if *aborted {
                    return None;
                }
                match task {
                    Model::Sleep { deadline, armed } => armed.then_some(*deadline),
                    Model::Race { deadlines, done } => {
                        (!done).then(|| deadlines[0].min(deadlines[1]))
                    }
                    Model::Timeout {
                        deadline,
                        inner,
                        done,
                        ..
                    } => {
                        let inner = match inner {
                            Inner::Sleep(at) => *at,
                            _ => u64::MAX,
                        };
                        (!done).then(|| inner.min(deadline.expect("polled")))
                    }
                }
            };
            self.tasks.iter().filter_map(due).map(ceil_us).min()
        }
    }

    enum Real {
        Sleep {
            /// Shared with the task; dropped by the driver on abort, so the sleep goes with
            /// the task.
            slot: Option<Rc<RefCell<Slot>>>,
            handle: JoinHandle<()>,
        },
        Race {
            polls_after: Rc<Cell<u32>>,
            handle: JoinHandle<()>,
        },
        Timeout {
            gate: Option<oneshot::Sender<()>>,
            polls_after: Rc<Cell<u32>>,
            handle: JoinHandle<()>,
        },
    }

    impl Real {
        fn handle(&self) -> &JoinHandle<()> {
            match self {
                Real::Sleep { handle, .. }
                | Real::Race { handle, .. }
                | Real::Timeout { handle, .. } => handle,
            }
        }
    }

    /// A sleep task's state, shared with the driver.
    struct Slot {
        sleep: Sleep,
        armed: bool,
        /// The task's waker, kept while it waits for a reset.
        waker: Option<Waker>,
        /// Polls while not armed: only a stale timer can cause them.
        idle_polls: u32,
    }

    /// Stays pending forever, counting its polls: after a task finished its timers, nothing
    /// should wake it again.
    async fn park(polls: Rc<Cell<u32>>) {
        poll_fn(|_| {
            polls.set(polls.get() + 1);
            Poll::<()>::Pending
        })
        .await
    }

    /// A sleep task: awaits its slot's sleep while armed, logging each completion.
    fn spawn_sleeper(
        id: usize,
        slot: &Rc<RefCell<Slot>>,
        log: &Log,
        start: Instant,
    ) -> JoinHandle<()> {
        let slot = Rc::clone(slot);
        let log = Rc::clone(log);
        let mut first = true;
        mirage::spawn(poll_fn(move |cx| {
            let slot = &mut *slot.borrow_mut();
            if !slot.armed {
                // A new task's first poll is its own.
                slot.idle_polls += u32::from(!std::mem::take(&mut first));
            } else if Pin::new(&mut slot.sleep).poll(cx).is_ready() {
                slot.armed = false;
                log.borrow_mut().push((id, What::Slept, now_ns(start)));
            }
            slot.waker = Some(cx.waker().clone());
            Poll::Pending
        }))
    }

    /// The `i`th of the sleepers whose sleep the driver can still reach, if any.
    fn pick_sleep(real: &[Real], i: Index) -> Option<usize> {
        let sleeps: Vec<usize> = (0..real.len())
            .filter(|&id| matches!(real[id], Real::Sleep { slot: Some(_), .. }))
            .collect();
        (!sleeps.is_empty()).then(|| sleeps[i.index(sleeps.len())])
    }

    fn now_ns(start: Instant) -> u64 {
        (Instant::now() - start).as_nanos() as u64
    }

    /// Compares the task logs: the same events at the same times, a `select!` won by a
    /// branch the model allows.
    fn check_log(real: &[(usize, What, u64)], model: &[(usize, What, u64)]) {
        let mut real = real.to_vec();
        let mut model = model.to_vec();
        assert!(
            real.windows(2).all(|w| w[0].2 <= w[1].2),
            "completions out of time order: {real:?}"
        );
        real.sort();
        model.sort();
        let fits = real.len() == model.len()
            && real.iter().zip(&model).all(|(r, m)| match (r.1, m.1) {
                (What::Won(branch), What::Won(mask)) => {
                    r.0 == m.0 && r.2 == m.2 && mask & (1 << branch) != 0
                }
                _ => r == m,
            });
        if !fits {
            // Only the differing events: with crowds of tasks the whole logs run long.
            let only = |a: &[(usize, What, u64)], b: &[(usize, What, u64)]| {
                let ids: Vec<usize> = a.iter().filter(|e| !b.contains(e)).map(|e| e.0).collect();
                a.iter()
                    .filter(|e| ids.contains(&e.0))
                    .copied()
                    .collect::<Vec<_>>()
            };
            panic!(
                "task logs differ\n  real only:  {:?}\n  model only: {:?}",
                only(&real, &model),
                only(&model, &real)
            );
        }
    }

    pub(super) fn run(ops: &[Op]) {
        let mut core = Core::new().unwrap();
        core.run(async {
            pause();
            let start = Instant::now();
            let at = move |ns: u64| start + nanos(ns);
            let log: Log = Rc::default();
            let mut model = ModelCore {
                now: 0,
                tasks: Vec::new(),
                log: Vec::new(),
            };
            let mut real: Vec<Real> = Vec::new();
            let mut ops = ops.iter().cloned();
            let mut draining = false;
            loop {
                let op = match ops.next() {
                    Some(op) => op,
                    // Finally, idle past every deadline and let the last tasks run.
                    None if !draining => {
                        draining = true;
                        Op::Yield
                    }
                    None => match model.next_due() {
                        Some(next) if next > model.now => Op::Idle(next - model.now),
                        // Fired at the last idle's end, not yet run.
                        Some(_) => Op::Yield,
                        None => break,
                    },
                };
                let op = &op;
                let now = model.now;
                match *op {
                    Op::SpawnSleep { d, relative } => {
                        let nap = if relative {
                            sleep(nanos(d))
                        } else {
                            sleep_until(at(now + d))
                        };
                        let slot = Rc::new(RefCell::new(Slot {
                            sleep: nap,
                            armed: true,
                            waker: None,
                            idle_polls: 0,
                        }));
                        let id = real.len();
                        let handle = spawn_sleeper(id, &slot, &log, start);
                        real.push(Real::Sleep {
                            slot: Some(slot),
                            handle,
                        });
                        model.tasks.push((
                            Model::Sleep {
                                deadline: now + if relative { d.min(FAR_FUTURE) } else { d },
                                armed: true,
                            },
                            false,
                        ));
                    }
                    Op::SpawnCrowd { d, n } => {
                        for _ in 0..n {
                            let slot = Rc::new(RefCell::new(Slot {
                                sleep: sleep_until(at(now + d)),
                                armed: true,
                                waker: None,
                                idle_polls: 0,
                            }));
                            let handle = spawn_sleeper(real.len(), &slot, &log, start);
                            real.push(Real::Sleep {
                                slot: Some(slot),
                                handle,
                            });
                            let sleeper = Model::Sleep {
                                deadline: now + d,
                                armed: true,
                            };
                            model.tasks.push((sleeper, false));
                        }
                    }
                    Op::SpawnRace { a, b } => {
                        let id = real.len();
                        let polls_after = Rc::new(Cell::new(0));
                        let (a, b) = (now + a, now + b);
                        let handle = mirage::spawn({
                            let log = Rc::clone(&log);
                            let polls_after = Rc::clone(&polls_after);
                            async move {
                                let branch = mirage::select! {
                                    _ = sleep_until(at(a)) => 0,
                                    _ = sleep_until(at(b)) => 1,
                                };
                                log.borrow_mut()
                                    .push((id, What::Won(branch), now_ns(start)));
                                park(polls_after).await;
                            }
                        });
                        real.push(Real::Race {
                            polls_after,
                            handle,
                        });
                        model.tasks.push((
                            Model::Race {
                                deadlines: [a, b],
                                done: false,
                            },
                            false,
                        ));
                    }
                    Op::SpawnTimeout {
                        limit,
                        relative,
                        inner,
                    } => {
                        let id = real.len();
                        let polls_after = Rc::new(Cell::new(0));
                        let (gate, rx) = oneshot::channel::<()>();
                        let inner_future = async move {
                            match inner {
                                Inner::Sleep(x) => sleep_until(at(now + x)).await,
                                Inner::Never => pending().await,
                                Inner::Gate => {
                                    let _ = rx.await;
                                }
                            }
                        };
                        let inner = match inner {
                            Inner::Sleep(x) => Inner::Sleep(now + x),
                            other => other,
                        };
                        // Made now; a relative one starts its clock at its first poll.
                        let limited = match limit {
                            Offset::Ahead(d) if relative => timeout(nanos(d), inner_future),
                            _ => timeout_at(at(limit.at(now)), inner_future),
                        };
                        let handle = mirage::spawn({
                            let log = Rc::clone(&log);
                            let polls_after = Rc::clone(&polls_after);
                            async move {
                                let what = match limited.await {
                                    Ok(()) => What::Finished,
                                    Err(_) => What::TimedOut,
                                };
                                log.borrow_mut().push((id, what, now_ns(start)));
                                park(polls_after).await;
                            }
                        });
                        real.push(Real::Timeout {
                            gate: Some(gate),
                            polls_after,
                            handle,
                        });
                        let (deadline, relative) = match limit {
                            Offset::Ahead(d) if relative => (None, d.min(FAR_FUTURE)),
                            _ => (Some(limit.at(now)), 0),
                        };
                        model.tasks.push((
                            Model::Timeout {
                                deadline,
                                relative,
                                inner,
                                open: false,
                                done: false,
                            },
                            false,
                        ));
                    }
                    Op::Reset(i, to) => {
                        let Some(id) = pick_sleep(&real, i) else {
                            continue;
                        };
                        let deadline = to.at(now);
                        if let Real::Sleep {
                            slot: Some(slot), ..
                        } = &real[id]
                        {
                            let slot = &mut *slot.borrow_mut();
                            slot.sleep.reset(at(deadline));
                            if !slot.armed {
                                slot.armed = true;
                                // No waker: a new task, queued to poll it anyway.
                                if let Some(waker) = slot.waker.take() {
                                    waker.wake();
                                }
                            }
                        }
                        if let (Model::Sleep { deadline: d, armed }, _) = &mut model.tasks[id] {
                            *d = deadline;
                            *armed = true;
                        }
                    }
                    Op::Abort(i) => {
                        let live: Vec<usize> =
                            (0..real.len()).filter(|&id| !model.tasks[id].1).collect();
                        if live.is_empty() {
                            continue;
                        }
                        let id = live[i.index(live.len())];
                        real[id].handle().abort();
                        if let Real::Sleep { slot, .. } = &mut real[id] {
                            *slot = None;
                        }
                        model.tasks[id].1 = true;
                    }
                    Op::Rehome(i) => {
                        let Some(id) = pick_sleep(&real, i) else {
                            continue;
                        };
                        if let Real::Sleep {
                            slot: Some(slot),
                            handle,
                        } = &mut real[id]
                        {
                            handle.abort();
                            // A parked sleeper's waker goes with it; the new task is queued.
                            slot.borrow_mut().waker = None;
                            *handle = spawn_sleeper(id, slot, &log, start);
                        }
                    }
                    Op::Open(i) => {
                        let gates: Vec<usize> = (0..real.len())
                            .filter(|&id| matches!(real[id], Real::Timeout { gate: Some(_), .. }))
                            .filter(|&id| {
                                matches!(
                                    model.tasks[id].0,
                                    Model::Timeout {
                                        inner: Inner::Gate,
                                        ..
                                    }
                                )
                            })
                            .collect();
                        if gates.is_empty() {
                            continue;
                        }
                        let id = gates[i.index(gates.len())];
                        if let Real::Timeout { gate, .. } = &mut real[id] {
                            let _ = gate.take().unwrap().send(());
                        }
                        if let (Model::Timeout { open, .. }, _) = &mut model.tasks[id] {
                            *open = true;
                        }
                    }
                    Op::Yield => {
                        // Two `yield_now`s would do for a few tasks, but the root future is
                        // polled again after every turn of 128 tasks.
                        mirage::spawn(async {}).await.unwrap();
                        mirage::yield_now().await;
                        model.run_tasks();
                    }
                    Op::Advance(d) => {
                        advance(nanos(d)).await;
                        model.now = ceil_us(now + d);
                        model.run_tasks();
                    }
                    Op::ResumeAndPause => {
                        resume();
                        pause();
                        let moved = now_ns(start);
                        assert!(
                            moved >= now && moved.is_multiple_of(US),
                            "paused again at {moved}"
                        );
                        advance(Duration::ZERO).await;
                        model.now = moved;
                        model.run_tasks();
                    }
                    Op::Idle(d) => {
                        sleep_until(at(now + d)).await;
                        // The queued tasks run before the jump; then the Core visits each
                        // deadline before the driver's own, whose ties wait for the driver.
                        model.run_tasks();
                        let target = ceil_us(now + d);
                        while let Some(next) = model.next_due().filter(|&next| next < target) {
                            model.now = next;
                            model.run_tasks();
                        }
                        model.now = target;
                    }
                }
                assert_eq!(now_ns(start), model.now, "the clock after {op:?}");
                if matches!(
                    op,
                    Op::Yield | Op::Advance(_) | Op::Idle(_) | Op::ResumeAndPause
                ) {
                    check_log(&log.borrow(), &model.log);
                    check_no_spurious_polls(&real, &model);
                }
            }
        });
        // Every task that is left is parked: no timer may stay in the wheel.
        let state = format!("{core:?}");
        assert!(state.contains("timers: 0"), "timers left behind: {state}");
    }

    /// A task that completed its timers is not woken again, unless the driver re-armed it.
    fn check_no_spurious_polls(real: &[Real], model: &ModelCore) {
        for (id, task) in real.iter().enumerate() {
            let done = match &model.tasks[id] {
                (_, true) => continue,
                (Model::Race { done, .. } | Model::Timeout { done, .. }, _) => *done,
                (Model::Sleep { .. }, _) => false,
            };
            match task {
                Real::Sleep {
                    slot: Some(slot), ..
                } => assert_eq!(slot.borrow().idle_polls, 0, "task {id} woken while idle"),
                Real::Race { polls_after, .. } | Real::Timeout { polls_after, .. } => {
                    assert_eq!(polls_after.get(), u32::from(done), "task {id} polls after")
                }
                Real::Sleep { slot: None, .. } => {}
            }
        }
    }
}

mod intervals {
    use super::*;

    const LATE_ALLOWANCE: u64 = 5 * MS;

    #[derive(Debug, Clone, Copy)]
    pub(super) enum Op {
        /// `tick().await`.
        Tick,
        /// `timeout(d, tick())`: a tick future dropped mid-flight when it times out.
        TickWithin(u64),
        /// The task stalls by `advance`, by `periods` periods plus `extra`.
        Advance {
            periods: u8,
            extra: u64,
        },
        /// The task stalls in another sleep.
        Sleep {
            periods: u8,
            extra: u64,
        },
        /// The task stalls (by `advance` or in another sleep) until the next tick is `late`
        /// late, when that is ahead.
        StallUntilLate {
            late: Late,
            advance: bool,
        },
        Reset,
        ResetImmediately,
        ResetAt(Offset),
        Behavior(MissedTickBehavior),
    }

    /// How late a stall makes the next tick: near the grid, the 5 ms allowance, or whole
    /// periods.
    #[derive(Debug, Clone, Copy)]
    pub(super) enum Late {
        By(u64),
        /// `periods` periods and `delta` nanoseconds.
        Periods {
            periods: u8,
            delta: i64,
        },
    }

    impl Late {
        fn nanos(self, period: u64) -> i128 {
            match self {
                Late::By(x) => i128::from(x),
                Late::Periods { periods, delta } => {
                    (i128::from(periods) * i128::from(period) + i128::from(delta)).max(0)
                }
            }
        }
    }

    fn late() -> impl Strategy<Value = Late> {
        prop_oneof![
            2 => extra().prop_map(Late::By),
            1 => (
                1..4u8,
                prop_oneof![Just(-1_000i64), Just(-1), Just(0), Just(1), Just(1_000)],
            )
                .prop_map(|(periods, delta)| Late::Periods { periods, delta }),
        ]
    }

    pub(super) fn behavior() -> impl Strategy<Value = MissedTickBehavior> {
        prop_oneof![
            Just(MissedTickBehavior::Burst),
            Just(MissedTickBehavior::Delay),
            Just(MissedTickBehavior::Skip),
        ]
    }

    /// A period in nanoseconds: sub-microsecond, shorter than the 5 ms allowance, around it,
    /// not a whole number of microseconds, up to seconds.
    pub(super) fn period() -> impl Strategy<Value = u64> {
        prop_oneof![
            1 => 1..2 * US,
            2 => (1..5_000u64).prop_map(|x| x * US),
            2 => 1..20 * MS,
            2 => (1..50u64).prop_map(|x| x * MS),
            1 => 1..10 * SEC,
        ]
    }

    /// Extra stall: around the grid and the 5 ms allowance, or anything.
    fn extra() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0),
            Just(1),
            Just(US - 1),
            Just(US),
            Just(LATE_ALLOWANCE - US),
            Just(LATE_ALLOWANCE),
            Just(LATE_ALLOWANCE + 1),
            Just(LATE_ALLOWANCE + US),
            0..20 * MS,
        ]
    }

    pub(super) fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => Just(Op::Tick),
            2 => step().prop_map(Op::TickWithin),
            2 => (0..4u8, extra()).prop_map(|(periods, extra)| Op::Advance { periods, extra }),
            2 => (0..4u8, extra()).prop_map(|(periods, extra)| Op::Sleep { periods, extra }),
            4 => (late(), any::<bool>()).prop_map(|(late, advance)| Op::StallUntilLate { late, advance }),
            1 => Just(Op::Reset),
            1 => Just(Op::ResetImmediately),
            1 => offset(step()).prop_map(Op::ResetAt),
            1 => behavior().prop_map(Op::Behavior),
        ]
    }

    /// tokio's interval, as `MissedTickBehavior` documents Mirage's version of it.
    struct ModelInterval {
        now: u64,
        /// The next tick's deadline; may lie before the start.
        next: i128,
        period: u64,
        behavior: MissedTickBehavior,
    }

    impl ModelInterval {
        /// When the tick is ready, if not yet: its deadline on the grid.
        fn fires_at(&self) -> Option<u64> {
            (self.next > i128::from(self.now)).then(|| ceil_us(self.next as u64))
        }

        /// Completes the tick at `now`: its deadline, and the next one.
        fn tick(&mut self) -> i128 {
            let now = i128::from(self.now);
            let period = i128::from(self.period);
            let due = self.next;
            let late = now - due;
            assert!(late >= 0);
            self.next = if late <= period.min(i128::from(LATE_ALLOWANCE)) {
                due + period
            } else {
                match self.behavior {
                    MissedTickBehavior::Burst => due + period,
                    MissedTickBehavior::Delay => now + period,
                    MissedTickBehavior::Skip => now + period - late % period,
                }
            };
            due
        }
    }

    /// Runs `ops` on an interval, while another task sleeps the `noise` durations one after
    /// another, so the idle Core also stops at deadlines that are not the interval's.
    pub(super) fn run(
        period: u64,
        behavior: MissedTickBehavior,
        start_at: Option<Offset>,
        noise: Vec<u64>,
        ops: &[Op],
    ) {
        let mut core = Core::new().unwrap();
        core.run(async {
            pause();
            let start = Instant::now();
            mirage::spawn(async move {
                for d in noise {
                    sleep(nanos(d)).await;
                }
            });
            let now_ns = || (Instant::now() - start).as_nanos() as u64;
            let mut ticks: Interval = match start_at {
                None => interval(nanos(period)),
                Some(Offset::Ahead(x)) => interval_at(start + nanos(x), nanos(period)),
                Some(Offset::Behind(x)) => interval_at(start - nanos(x), nanos(period)),
            };
            ticks.set_missed_tick_behavior(behavior);
            let mut model = ModelInterval {
                now: 0,
                next: match start_at {
                    None => 0,
                    Some(Offset::Ahead(x)) => i128::from(x),
                    Some(Offset::Behind(x)) => -i128::from(x),
                },
                period,
                behavior,
            };
            for (step, op) in ops.iter().enumerate() {
                match *op {
                    Op::Tick => {
                        let due = ticks.tick().await;
                        if let Some(at) = model.fires_at() {
                            model.now = at;
                        }
                        let expected = model.tick();
                        assert_eq!(
                            (since(start, due), now_ns()),
                            (expected, model.now),
                            "(due, now) of the tick at step {step}"
                        );
                    }
                    Op::TickWithin(d) => {
                        let got = timeout(nanos(d), ticks.tick()).await;
                        let limit = model.now + ceil_us(d);
                        let expected = match model.fires_at() {
                            Some(at) if at > limit => {
                                model.now = limit;
                                None
                            }
                            fires => {
                                if let Some(at) = fires {
                                    model.now = at;
                                }
                                Some(model.tick())
                            }
                        };
                        assert_eq!(
                            (got.ok().map(|due| since(start, due)), now_ns()),
                            (expected, model.now),
                            "(due, now) of the tick within {d} ns at step {step}"
                        );
                    }
                    Op::Advance { periods, extra } => {
                        let d = u64::from(periods) * period + extra;
                        advance(nanos(d)).await;
                        model.now += ceil_us(d);
                    }
                    Op::Sleep { periods, extra } => {
                        let d = u64::from(periods) * period + extra;
                        sleep(nanos(d)).await;
                        model.now += ceil_us(d);
                    }
                    Op::StallUntilLate {
                        late,
                        advance: by_advance,
                    } => {
                        let target = model.next + late.nanos(period);
                        let Ok(d) = u64::try_from(target - i128::from(model.now)) else {
                            continue;
                        };
                        if by_advance {
                            advance(nanos(d)).await;
                        } else {
                            sleep(nanos(d)).await;
                        }
                        model.now += ceil_us(d);
                    }
                    Op::Reset => {
                        ticks.reset();
                        model.next = i128::from(model.now + period);
                    }
                    Op::ResetImmediately => {
                        ticks.reset_immediately();
                        model.next = i128::from(model.now);
                    }
                    Op::ResetAt(to) => {
                        let to = to.at(model.now);
                        ticks.reset_at(start + nanos(to));
                        model.next = i128::from(to);
                    }
                    Op::Behavior(behavior) => {
                        ticks.set_missed_tick_behavior(behavior);
                        model.behavior = behavior;
                    }
                }
                assert_eq!(now_ns(), model.now, "the clock after step {step}: {op:?}");
            }
        });
    }
}

proptest! {
    // 256 cases, about half a second each in a debug build.
    #![proptest_config(config(256))]

    /// Sleeps, resets, aborts, races and timeouts complete exactly when the model says, and
    /// leave no timer behind and no task woken after it finished.
    #[test]
    fn timers_complete_at_their_deadlines_in_order(
        ops in proptest::collection::vec(sleeps::op(), 1..40),
    ) {
        sleeps::run(&ops);
    }

    /// An interval's ticks follow tokio's missed-tick rules, with Mirage's allowance.
    #[test]
    fn interval_ticks_follow_the_missed_tick_rules(
        period in intervals::period(),
        behavior in intervals::behavior(),
        start_at in proptest::option::of(offset(step()).prop_map(|o| match o {
            // interval_at before the start stays within a few seconds of it.
            Offset::Behind(x) => Offset::Behind(x % (10 * SEC)),
            ahead => ahead,
        })),
        noise in proptest::collection::vec(step(), 0..20),
        ops in proptest::collection::vec(intervals::op(), 1..40),
    ) {
        intervals::run(period, behavior, start_at, noise, &ops);
    }
}
