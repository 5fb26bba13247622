//! Model-based property test: random operation sequences run against the
//! wheel and against a plain map, compared after every step.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::Index;

use super::level::HORIZON;
use super::tests::check_invariants;
use super::{TimerKey, Wheel};

/// A deadline relative to the wheel's `now`.
#[derive(Debug, Clone, Copy)]
enum Deadline {
    /// `now - x`, saturating: already due.
    Past(u64),
    /// `now + x`, saturating.
    Ahead(u64),
}

/// How far an `advance` goes.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `now + x`, saturating.
    By(u64),
    /// `now - x`, saturating: must not move time back.
    Back(u64),
    /// To `next_expiration()`, as the event loop does (`+ 0` or `- 1`).
    ToNext { minus_one: bool },
    /// To the end of time.
    ToEnd,
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Deadline),
    /// `insert_unsettled` with this delay.
    InsertUnsettled(u64),
    /// `settle` at `now` moved by this.
    Settle(Deadline),
    /// `reserve` a key for a timer stored later, or never.
    Reserve,
    /// `release` a reserved key.
    Release(Index),
    /// `insert_reserved` under a reserved key.
    InsertReserved(Index, Deadline),
    /// `insert_unsettled_reserved` under a reserved key, with this delay.
    InsertUnsettledReserved(Index, u64),
    Remove(Index),
    Reschedule(Index, Deadline),
    Advance(Step),
    Inspect(Index),
}

fn deadline() -> impl Strategy<Value = Deadline> {
    prop_oneof![
        2 => (0u64..200).prop_map(Deadline::Past),
        3 => (0u64..64).prop_map(Deadline::Ahead),
        3 => (0u64..4096).prop_map(Deadline::Ahead),
        3 => (0u64..1 << 40).prop_map(Deadline::Ahead),
        2 => (HORIZON - 4096..HORIZON + (1 << 38)).prop_map(Deadline::Ahead),
        2 => (HORIZON..1 << 52).prop_map(Deadline::Ahead),
        1 => Just(Deadline::Ahead(u64::MAX)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u64..64).prop_map(Step::By),
        3 => (0u64..5000).prop_map(Step::By),
        2 => (0u64..1 << 40).prop_map(Step::By),
        2 => (1u64 << 42..1 << 53).prop_map(Step::By),
        1 => (0u64..100).prop_map(Step::Back),
        4 => any::<bool>().prop_map(|minus_one| Step::ToNext { minus_one }),
        1 => Just(Step::ToEnd),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => deadline().prop_map(Op::Insert),
        3 => prop_oneof![0u64..64, 0u64..1 << 40, Just(u64::MAX)].prop_map(Op::InsertUnsettled),
        2 => deadline().prop_map(Op::Settle),
        2 => Just(Op::Reserve),
        1 => any::<Index>().prop_map(Op::Release),
        1 => (any::<Index>(), deadline()).prop_map(|(i, d)| Op::InsertReserved(i, d)),
        1 => (any::<Index>(), 0u64..1 << 40).prop_map(|(i, d)| Op::InsertUnsettledReserved(i, d)),
        2 => any::<Index>().prop_map(Op::Remove),
        2 => (any::<Index>(), deadline()).prop_map(|(i, d)| Op::Reschedule(i, d)),
        5 => step().prop_map(Op::Advance),
        1 => any::<Index>().prop_map(Op::Inspect),
    ]
}

/// The model: live timers by id (= position in `keys`), with their
/// deadline and an insertion sequence number for ties.
#[derive(Default)]
struct Model {
    keys: Vec<TimerKey>,
    live: BTreeMap<usize, (u64, u64)>,
    /// Unsettled timers: id to (delay, insertion number); settled in that order.
    unsettled: BTreeMap<usize, (u64, u64)>,
    /// Reserved keys not stored nor released yet, by id.
    reserved: BTreeSet<usize>,
    seq: u64,
}

impl Model {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Takes the reserved id `i` picks, if any is reserved.
    fn take_reserved(&mut self, i: Index) -> Option<usize> {
        if self.reserved.is_empty() {
            return None;
        }
        let id = *self.reserved.iter().nth(i.index(self.reserved.len()))?;
        self.reserved.remove(&id);
        Some(id)
    }
}

fn resolve(now: u64, deadline: Deadline) -> u64 {
    match deadline {
        Deadline::Past(x) => now.saturating_sub(x),
        Deadline::Ahead(x) => now.saturating_add(x),
    }
}

fn run(start: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut wheel = Wheel::<usize>::with_start(start);
    let mut model = Model::default();
    for op in ops {
        let now = wheel.now();
        match *op {
            Op::Insert(d) => {
                let deadline = resolve(now, d);
                let id = model.keys.len();
                let key = wheel.insert(deadline, id);
                model.keys.push(key);
                let seq = model.next_seq();
                model.live.insert(id, (deadline, seq));
            }
            Op::InsertUnsettled(delay) => {
                let id = model.keys.len();
                model.keys.push(wheel.insert_unsettled(delay, id));
                let seq = model.next_seq();
                model.unsettled.insert(id, (delay, seq));
            }
            Op::Settle(d) => {
                let base = resolve(now, d);
                let mut order: Vec<(u64, usize, u64)> = model
                    .unsettled
                    .iter()
                    .map(|(&id, &(delay, seq))| (seq, id, delay))
                    .collect();
                order.sort_unstable();
                model.unsettled.clear();
                for (_, id, delay) in order {
                    let seq = model.next_seq();
                    model.live.insert(id, (base.saturating_add(delay), seq));
                }
                wheel.settle(|delay| base.saturating_add(delay));
            }
            Op::Reserve => {
                model.reserved.insert(model.keys.len());
                model.keys.push(wheel.reserve());
            }
            Op::Release(i) => {
                if let Some(id) = model.take_reserved(i) {
                    wheel.release(model.keys[id]);
                }
            }
            Op::InsertReserved(i, d) => {
                if let Some(id) = model.take_reserved(i) {
                    let deadline = resolve(now, d);
                    wheel.insert_reserved(model.keys[id], deadline, id);
                    let seq = model.next_seq();
                    model.live.insert(id, (deadline, seq));
                }
            }
            Op::InsertUnsettledReserved(i, delay) => {
                if let Some(id) = model.take_reserved(i) {
                    wheel.insert_unsettled_reserved(model.keys[id], delay, id);
                    let seq = model.next_seq();
                    model.unsettled.insert(id, (delay, seq));
                }
            }
            Op::Remove(i) if !model.keys.is_empty() => {
                let id = i.index(model.keys.len());
                let unsettled = model.unsettled.remove(&id).map(|_| id);
                let expected = model.live.remove(&id).map(|_| id).or(unsettled);
                prop_assert_eq!(wheel.remove(model.keys[id]), expected);
            }
            Op::Reschedule(i, d) if !model.keys.is_empty() => {
                let id = i.index(model.keys.len());
                let deadline = resolve(now, d);
                let live = model.live.contains_key(&id) || model.unsettled.remove(&id).is_some();
                prop_assert_eq!(wheel.reschedule(model.keys[id], deadline), live);
                if live {
                    let seq = model.next_seq();
                    model.live.insert(id, (deadline, seq));
                }
            }
            Op::Inspect(i) if !model.keys.is_empty() => {
                let id = i.index(model.keys.len());
                let key = model.keys[id];
                let expected = model.live.get(&id).map(|&(deadline, _)| deadline);
                prop_assert_eq!(wheel.deadline(key), expected);
                let present = expected.is_some() || model.unsettled.contains_key(&id);
                prop_assert_eq!(wheel.get_mut(key).map(|v| *v), present.then_some(id));
            }
            Op::Remove(_) | Op::Reschedule(..) | Op::Inspect(_) => {}
            Op::Advance(step) => {
                let target = match step {
                    Step::By(x) => now.saturating_add(x),
                    Step::Back(x) => now.saturating_sub(x),
                    Step::ToNext { minus_one } => match wheel.next_expiration() {
                        Some(next) if minus_one => next.saturating_sub(1),
                        Some(next) => next,
                        None => now,
                    },
                    Step::ToEnd => u64::MAX,
                };
                let effective = target.max(now);
                let mut expected: Vec<(u64, u64, usize)> = model
                    .live
                    .iter()
                    .filter(|&(_, &(deadline, _))| deadline <= effective)
                    .map(|(&id, &(deadline, seq))| (deadline, seq, id))
                    .collect();
                expected.sort_unstable();
                let expected: Vec<usize> = expected.into_iter().map(|(_, _, id)| id).collect();
                for id in &expected {
                    model.live.remove(id);
                }
                let mut fired = Vec::new();
                wheel.advance(target, |key, id| fired.push((key, id)));
                for &(key, id) in &fired {
                    prop_assert_eq!(key, model.keys[id], "fired key does not match its value");
                }
                let fired: Vec<usize> = fired.into_iter().map(|(_, id)| id).collect();
                prop_assert_eq!(
                    fired,
                    expected,
                    "advance {:?} from {} to {}",
                    step,
                    now,
                    target
                );
                prop_assert_eq!(wheel.now(), effective);
            }
        }
        check_invariants(&wheel);
        prop_assert_eq!(wheel.len(), model.live.len() + model.unsettled.len());
        prop_assert_eq!(wheel.unsettled_len(), model.unsettled.len());
        let min = model.live.values().map(|&(deadline, _)| deadline).min();
        match (wheel.next_expiration(), min) {
            (None, None) => {}
            (Some(next), Some(min)) => {
                prop_assert!(
                    next >= wheel.now(),
                    "next {} before now {}",
                    next,
                    wheel.now()
                );
                prop_assert!(
                    next <= min.max(wheel.now()),
                    "next {} after earliest deadline {}",
                    next,
                    min
                );
            }
            (next, min) => prop_assert!(false, "next {:?} but earliest deadline {:?}", next, min),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn wheel_matches_model(
        start in prop_oneof![Just(0u64), 0u64..1 << 44, Just(u64::MAX - (1 << 43))],
        ops in prop::collection::vec(op(), 1..160),
    ) {
        run(start, &ops)?;
    }
}
