//! The timers of one Core: its clock and its timing wheel.
//!
//! The wheel holds one `Waker` per registered timer (but for the sleep registered last in
//! the poll under way, which waits beside it: see `unsettled/fresh.rs`). A timer future
//! registers on its first pending poll, refreshes its waker when polled by another task, and
//! removes its entry when dropped. The event loop asks for the next expiration before it
//! blocks and calls [`Timers::fire_due`] after every poll.

use std::cell::{Cell, RefCell, RefMut};
use std::task::{Context, Poll, Waker};

use mirage_timer::wheel::{TimerKey, Wheel};
use slab::Slab;

use super::clock::Clock;
use super::unsettled::{Fresh, Record};

/// The tick of every deadline past the clock's range (`Clock::tick_at_or_after` saturates).
const NEVER: u64 = u64::MAX;

pub(crate) struct Timers {
    pub(crate) clock: Clock,
    pub(super) wheel: RefCell<Wheel<Waker>>,
    /// The waker of the last timer removed before it fired, kept for the next registration:
    /// when that comes from the same task (`will_wake`), as in a loop that races a fresh
    /// sleep against a read, it is reused instead of cloning one waker and dropping the
    /// other, two atomic reference-count operations per timer. At most one waker is kept,
    /// so at most one finished task's memory stays allocated a little longer.
    spare: Cell<Option<Waker>>,
    /// Cleared when the Core drops: nothing drives this wheel any more, so a timer that
    /// outlived its Core registers with the next Core that polls it.
    live: Cell<bool>,
    /// Sleeps whose clock read waits for the end of the poll that started them (see
    /// `unsettled.rs`): one record per poll that started any, while one of them still
    /// needs the moment it was settled at.
    pub(super) records: RefCell<Slab<Record>>,
    /// The record of the poll under way, if that poll started a sleep, and how many of
    /// that poll's sleeps hold it.
    pub(super) open: Cell<Option<u32>>,
    pub(super) open_holders: Cell<u32>,
    /// Whether the Core is inside `run`, where every poll ends in a settle.
    pub(super) running: Cell<bool>,
    /// The sleep registered last in the poll under way, beside the wheel rather than in it
    /// (see `unsettled/fresh.rs`).
    pub(super) fresh: Fresh,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            clock: Clock::new(),
            wheel: RefCell::new(Wheel::new()),
            spare: Cell::new(None),
            live: Cell::new(true),
            records: RefCell::new(Slab::new()),
            open: Cell::new(None),
            open_holders: Cell::new(0),
            running: Cell::new(false),
            fresh: Fresh::default(),
        }
    }

    /// Whether the Core that drives this wheel is still there.
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.live.get()
    }

    /// Marks the wheel undriven, for the Core's drop, and wakes the tasks still waiting on
    /// it: its own tasks are gone, so these belong to other Cores (a sleep registered here,
    /// then awaited there), and their next poll moves the sleep to their Core. Their
    /// entries fire here, which nothing can take for the deadline: every poll checks the
    /// wheel is live before it reads it.
    pub(crate) fn close(&self) {
        self.settle();
        self.live.set(false);
        let mut waiting = Vec::new();
        self.wheel
            .borrow_mut()
            .advance(u64::MAX, |_, waker| waiting.push(waker));
        self.spare.take();
        for waker in waiting {
            waker.wake();
        }
    }

    /// Polls the timer `key` (registering it when `None`) for `deadline` (a tick). Ready once
    /// the wheel has reached the deadline; the entry is then gone and `key` is `None`.
    #[inline]
    pub(crate) fn poll_timer(
        &self,
        key: &mut Option<TimerKey>,
        deadline: u64,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let mut wheel = self.wheel.borrow_mut();
        if key.is_none() {
            self.catch_up_idle(&mut wheel);
        }
        if deadline <= wheel.now() {
            let stale = key.take().and_then(|key| wheel.remove(key));
            drop(wheel);
            drop(stale);
            // Past the last tick the clock can name (about 584,000 years after the Core
            // started): never due. Such a timer waits in the wheel at that last tick, so that
            // a `reset` to an earlier deadline still wakes its task; its entry fires only if
            // time reaches that tick (which `advance` refuses to move it to), long before the
            // deadline itself, and this poll then finds nothing left to wait for.
            return if deadline == NEVER {
                Poll::Pending
            } else {
                Poll::Ready(())
            };
        }
        self.store_waker(wheel, key, cx, |wheel, waker| wheel.insert(deadline, waker));
        Poll::Pending
    }

    /// Brings a wheel that holds no settled timer up to the clock, in O(1): there is none
    /// to fire. The Core advances the wheel to the clock only while it holds timers, so an
    /// empty one may stand far behind the clock (since the last timer left it, or since the
    /// Core started); unsettled timers, with no deadline yet, do not count. A timer given a
    /// deadline in such a wheel (registering, rescheduled, or settled) first brings it up,
    /// so that a deadline already past completes at this first poll, as `sleep_until` and
    /// `reset` promise (and `now_or_never`, which polls once, relies on), and so do the
    /// later timers of this turn; settled deadlines are placed from the present. A wheel
    /// holding timers is as of the Core's last turn (or, holding only never-due ones, of the
    /// turn that last fired one): a deadline passed since then completes at the next turn,
    /// at no clock read here.
    #[inline]
    pub(super) fn catch_up_idle(&self, wheel: &mut Wheel<Waker>) {
        if wheel.len() == wheel.unsettled_len() {
            let now = self.clock.tick_at_or_before(self.clock.now());
            wheel.advance(now, |_, _| {
                unreachable!("a wheel holding no settled timer has none to fire")
            });
        }
    }

    /// Makes `key`'s entry hold the waker of `cx`, inserting the entry with `insert` when
    /// `key` names none. A clone of the waker is made with the wheel released: it may run
    /// any code, this Core's timers included (tokio, too, clones outside its driver's lock).
    #[inline]
    pub(super) fn store_waker(
        &self,
        mut wheel: RefMut<'_, Wheel<Waker>>,
        key: &mut Option<TimerKey>,
        cx: &mut Context<'_>,
        insert: impl FnOnce(&mut Wheel<Waker>, Waker) -> TimerKey,
    ) {
        match key.and_then(|key| wheel.get_mut(key)) {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            Some(_) => {
                drop(wheel);
                self.store_cloned(key, cx.waker().clone(), insert);
            }
            None => match self.spare.take() {
                Some(spare) if spare.will_wake(cx.waker()) => {
                    *key = Some(insert(&mut wheel, spare));
                }
                unused => {
                    drop(wheel);
                    self.store_cloned(key, cx.waker().clone(), insert);
                    drop(unused);
                }
            },
        }
    }

    /// Stores `waker` in `key`'s entry, or inserts the entry with `insert` when `key` names
    /// none: after a clone, which may have run code that moved or registered this timer.
    pub(super) fn store_cloned(
        &self,
        key: &mut Option<TimerKey>,
        waker: Waker,
        insert: impl FnOnce(&mut Wheel<Waker>, Waker) -> TimerKey,
    ) {
        let mut wheel = self.wheel.borrow_mut();
        let previous = match key.and_then(|key| wheel.get_mut(key)) {
            Some(stored) => Some(std::mem::replace(stored, waker)),
            None => {
                *key = Some(insert(&mut wheel, waker));
                None
            }
        };
        drop(wheel);
        drop(previous);
    }

    /// A waker for a new registration from `cx`: the spare (see `spare`) if it wakes the
    /// same task, else a clone. The second is a spare that did not match, for the caller
    /// to drop once it has released the wheel: a drop may free a task whose own timers
    /// then leave the wheel.
    #[inline]
    pub(super) fn waker_for(&self, cx: &Context<'_>) -> (Waker, Option<Waker>) {
        match self.spare.take() {
            Some(spare) if spare.will_wake(cx.waker()) => (spare, None),
            other => (cx.waker().clone(), other),
        }
    }

    /// Moves a registered timer to a new deadline; false when `key` already fired.
    pub(crate) fn reschedule(&self, key: TimerKey, deadline: u64) -> bool {
        self.store_fresh_if(key);
        let mut wheel = self.wheel.borrow_mut();
        self.catch_up_idle(&mut wheel);
        wheel.reschedule(key, deadline)
    }

    /// Removes a timer; its waker becomes the spare (see `spare`), and the one it replaces
    /// is dropped after the wheel is released.
    #[inline]
    pub(crate) fn remove(&self, key: TimerKey) {
        let waker = match self.take_fresh(key) {
            Some(waker) => Some(waker),
            None => self.wheel.borrow_mut().remove(key),
        };
        if let Some(waker) = waker {
            drop(self.spare.replace(Some(waker)));
        }
    }

    /// The earliest tick at which a timer is due, if any; `None` when only timers past the
    /// clock's range wait (see `poll_timer`), which nothing need wake up or jump to before
    /// time reaches the last tick.
    #[inline]
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        let wheel = self.wheel.borrow();
        wheel
            .next_expiration()
            .filter(|&tick| tick != NEVER || wheel.now() == NEVER)
    }

    /// Advances the wheel to the clock's now, collecting the wakers of due timers in
    /// deadline order.
    pub(crate) fn fire_due(&self, out: &mut Vec<Waker>) {
        let now = self.clock.tick_at_or_before(self.clock.now());
        self.wheel
            .borrow_mut()
            .advance(now, |_, waker| out.push(waker));
    }

    /// How many timers are registered.
    pub(crate) fn len(&self) -> usize {
        self.wheel.borrow().len() + usize::from(self.fresh.is_set())
    }
}
