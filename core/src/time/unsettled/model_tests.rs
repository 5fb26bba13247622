//! Random runs of sleeps started, polled, reset, asked for their deadline and dropped over
//! many polls, checked step by step against a model of the bookkeeping: how many records
//! the Core holds, how many wheel entries, how many of those still wait for a settle, and
//! that every deadline lies between the call to `sleep` plus its duration and the moment
//! it was first asked for plus that duration, and never changes once given.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::context;
use crate::time::{Instant, Sleep, sleep};

/// One sleep of a run, beside what the model expects of it.
struct Tracked {
    nap: Sleep,
    duration: Duration,
    /// The system clock just before `sleep` was called.
    called: std::time::Instant,
    /// The model's record while its deadline is not learned; `None` once it is.
    record: Option<u64>,
    /// Whether it has a wheel entry (its polls all return pending: nothing here is due).
    registered: bool,
    /// Whether that entry waits for a settle.
    unsettled: bool,
    /// The deadline, once asked for or reset: later answers must be the same.
    deadline: Option<Instant>,
}

/// What the Core's timers should hold.
#[derive(Default)]
struct Model {
    sleeps: Vec<Tracked>,
    /// The record of the poll under way, if it has one.
    open: Option<u64>,
    next_record: u64,
}

impl Model {
    fn records(&self) -> usize {
        let mut held: Vec<u64> = self.sleeps.iter().filter_map(|t| t.record).collect();
        held.extend(self.open);
        held.sort_unstable();
        held.dedup();
        held.len()
    }

    /// Everything the poll under way started is settled: by the end of the poll, or by a
    /// sleep asked for its deadline.
    fn settle(&mut self) {
        self.open = None;
        for tracked in &mut self.sleeps {
            tracked.unsettled = false;
        }
    }

    fn check(&self, step: &str) {
        let (records, entries, unsettled) = context::with_current(|local| {
            let timers = &local.timers;
            // The sleep registered last in a poll waits beside the wheel (`fresh.rs`).
            let fresh = usize::from(timers.fresh.is_set());
            let wheel = timers.wheel.borrow();
            (
                timers.records.borrow().len(),
                wheel.len() + fresh,
                wheel.unsettled_len() + fresh,
            )
        })
        .unwrap();
        let want = (
            self.records(),
            self.sleeps.iter().filter(|t| t.registered).count(),
            self.sleeps.iter().filter(|t| t.unsettled).count(),
        );
        assert_eq!(
            (records, entries, unsettled),
            want,
            "(records, wheel entries, unsettled entries) after {step}"
        );
    }

    /// One random step inside a poll; false when the step ends the poll.
    fn step(&mut self, rng: &mut Rng, cx: &mut Context<'_>) -> bool {
        let pick = |rng: &mut Rng, len: usize| rng.below(len as u64) as usize;
        match rng.below(12) {
            0..=2 => {
                let duration =
                    Duration::from_secs(3_600) + Duration::from_micros(rng.below(1_000_000));
                let called = std::time::Instant::now();
                let nap = sleep(duration);
                let record = *self.open.get_or_insert_with(|| {
                    self.next_record += 1;
                    self.next_record
                });
                self.sleeps.push(Tracked {
                    nap,
                    duration,
                    called,
                    record: Some(record),
                    registered: false,
                    unsettled: false,
                    deadline: None,
                });
                self.check("sleep");
            }
            3..=5 if !self.sleeps.is_empty() => {
                let open = self.open;
                let index = pick(rng, self.sleeps.len());
                let tracked = &mut self.sleeps[index];
                assert!(Pin::new(&mut tracked.nap).poll(cx).is_pending());
                if tracked.record.is_some() && tracked.record == open {
                    // Started in this poll: it waits for the settle.
                    tracked.unsettled |= !tracked.registered;
                } else {
                    tracked.record = None;
                }
                tracked.registered = true;
                self.check("poll");
            }
            6 if !self.sleeps.is_empty() => {
                let index = pick(rng, self.sleeps.len());
                drop(self.sleeps.swap_remove(index));
                self.check("drop");
            }
            7 if !self.sleeps.is_empty() => {
                let index = pick(rng, self.sleeps.len());
                let tracked = &mut self.sleeps[index];
                let deadline = Instant::now() + Duration::from_secs(7_200);
                tracked.nap.reset(deadline);
                assert_eq!(tracked.nap.deadline(), deadline);
                tracked.record = None;
                tracked.unsettled = false;
                tracked.deadline = Some(deadline);
                self.check("reset");
            }
            8 | 9 if !self.sleeps.is_empty() => {
                let index = pick(rng, self.sleeps.len());
                let deadline = self.sleeps[index].nap.deadline();
                let tracked = &mut self.sleeps[index];
                match tracked.deadline {
                    Some(known) => assert_eq!(deadline, known, "a deadline changed"),
                    None => {
                        let deadline = deadline.into_std();
                        assert!(
                            deadline >= tracked.called + tracked.duration,
                            "early deadline"
                        );
                        // The settle came before this moment. The conversion from the
                        // clock's nanoseconds to an `Instant` may place it later by up to
                        // the gap between two clock reads (see `clock.rs`): a millisecond
                        // is far more than that.
                        let latest = std::time::Instant::now() + tracked.duration;
                        assert!(
                            deadline <= latest + Duration::from_millis(1),
                            "a deadline later than the moment it was asked for allows"
                        );
                        tracked.deadline = Some(Instant::from_std(deadline));
                    }
                }
                if tracked
                    .record
                    .take()
                    .is_some_and(|record| Some(record) == self.open)
                {
                    self.settle();
                }
                self.check("deadline");
            }
            10 | 11 => return false,
            _ => {}
        }
        true
    }
}

/// xorshift64*: a reproducible stream of numbers for each seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn random_runs_keep_the_books_the_model_keeps() {
    for seed in 1..=200_u64 {
        let mut core = crate::Core::new().unwrap();
        core.run(async {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut model = Model::default();
            for _poll in 0..40 {
                poll_fn(|cx| {
                    while model.step(&mut rng, cx) {}
                    Poll::Ready(())
                })
                .await;
                crate::yield_now().await;
                model.settle();
                model.check("a poll's end");
            }
            model.sleeps.clear();
            model.check("dropping every sleep");
            crate::yield_now().await;
            model.settle();
            model.check("the last poll's end");
            assert_eq!(model.records(), 0);
        });
    }
}
