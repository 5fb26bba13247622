//! What both `Notify`s share: the state, kept in a `RefCell` (one Core) or a `Mutex`
//! (threads), and the operations on it. No waker is woken or dropped under the borrow or
//! the lock: each operation hands them out to be dropped or woken after.

use std::task::{Context, Poll, Waker};

use crate::sync::wait_list::WaitList;

pub(crate) use crate::sync::state_lock::Lock;

pub(crate) struct State {
    waiters: WaitList,
    permit: bool,
    /// Calls to `notify_waiters` so far: a `Notified` made before the latest one completes.
    calls: u64,
}

impl State {
    /// No waiter, no permit; a `const fn` for `Notify::new`.
    pub(crate) const fn new() -> State {
        State {
            waiters: WaitList::new(),
            permit: false,
            calls: 0,
        }
    }

    pub(crate) fn is_waiting(&self) -> bool {
        !self.waiters.is_empty()
    }

    pub(crate) fn has_permit(&self) -> bool {
        self.permit
    }
}

/// Which waiter a single notification picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    /// The one that has waited longest (`notify_one`).
    Oldest,
    /// The one that joined the line last (`notify_last`).
    Newest,
}

/// Wakes the longest waiter, or leaves the permit if none waits.
#[inline]
pub(crate) fn notify_one(lock: &impl Lock<State>) {
    notify(lock, Pick::Oldest);
}

/// Wakes the newest waiter, or leaves the permit if none waits.
#[inline]
pub(crate) fn notify_last(lock: &impl Lock<State>) {
    notify(lock, Pick::Newest);
}

/// Wakes the waiter `pick` names, or leaves the permit if none waits.
#[inline]
fn notify(lock: &impl Lock<State>, pick: Pick) {
    let waker = lock.with(|state| {
        let waker = match pick {
            Pick::Oldest => state.waiters.pop_front(),
            Pick::Newest => state.waiters.pop_back(),
        };
        if waker.is_none() {
            state.permit = true;
        }
        waker
    });
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Completes every `Notified` made so far, waking those that wait.
#[inline]
pub(crate) fn notify_waiters(lock: &impl Lock<State>) {
    let wakers = lock.with(|state| {
        state.calls += 1;
        state.waiters.take_all()
    });
    wakers.into_iter().for_each(Waker::wake);
}

/// What a `Notified` has seen, before it returns `Ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Nothing,
    /// A `notify_one` or `notify_last` (which `Pick`), or the permit one left (`Oldest`):
    /// passed on the same way if the future is dropped unfinished, as tokio does.
    One(Pick),
    /// A `notify_waiters`.
    All,
}

/// The state of one `Notified` future.
#[derive(Debug)]
pub(crate) struct Waiter {
    /// `calls` when the future was made.
    calls: u64,
    /// The future's entry among the waiters, once it waited (or was enabled).
    key: Option<usize>,
    /// A notification taken (by `enable`) but not yet returned as `Ready`.
    seen: Seen,
    done: bool,
}

impl Waiter {
    #[inline]
    pub(crate) fn new(lock: &impl Lock<State>) -> Waiter {
        Waiter {
            calls: lock.with(|state| state.calls),
            key: None,
            seen: Seen::Nothing,
            done: false,
        }
    }

    pub(crate) fn is_waiting(&self) -> bool {
        self.key.is_some()
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    #[inline]
    pub(crate) fn poll(&mut self, lock: &impl Lock<State>, cx: &mut Context<'_>) -> Poll<()> {
        // Done already: fused, as tokio's. Else a notification `enable` took, or one now.
        if !self.done
            && self.seen == Seen::Nothing
            && self.check(lock, Some(cx.waker())) == Seen::Nothing
        {
            return Poll::Pending;
        }
        self.seen = Seen::Nothing;
        self.done = true;
        Poll::Ready(())
    }

    /// Joins the line without waiting, so that a `notify_one` can pick this future before
    /// it is polled. Whether it is notified already.
    pub(crate) fn enable(&mut self, lock: &impl Lock<State>) -> bool {
        if !self.done && self.seen == Seen::Nothing {
            self.seen = self.check(lock, None);
        }
        self.done || self.seen != Seen::Nothing
    }

    /// Takes a notification meant for this future, or joins (or stays in) the line: with
    /// `waker` as its waker, or, for `None`, the waker it has (none yet: a no-op one).
    #[inline]
    fn check(&mut self, lock: &impl Lock<State>, waker: Option<&Waker>) -> Seen {
        // At the first poll, cloned before the state is taken, as tokio's `Notify` does: a
        // waker's `clone` may run code that uses this `Notify`. What is left of it is dropped
        // after. Later polls clone under the state only a waker that changed, as tokio's do,
        // so a wait that ends (or a spurious poll) costs no clone.
        let mut cloned = if self.key.is_none() {
            waker.cloned()
        } else {
            None
        };
        let (seen, stale) = lock.with(|state| {
            let picked = self.key.is_some_and(|key| state.waiters.is_notified(key));
            if picked || state.calls != self.calls {
                let removed = self.key.take().map(|key| state.waiters.remove(key));
                let seen = match &removed {
                    Some(removed) if removed.popped_back => Seen::One(Pick::Newest),
                    _ if picked => Seen::One(Pick::Oldest),
                    _ => Seen::All,
                };
                return (seen, removed.and_then(|removed| removed.waker));
            }
            if self.key.is_none() && state.permit {
                state.permit = false;
                return (Seen::One(Pick::Oldest), None);
            }
            match (cloned.take(), waker) {
                // Cloned only while not in line (the first poll): join it with the clone.
                (Some(cloned), _) => {
                    self.key = Some(state.waiters.push_back(cloned));
                    (Seen::Nothing, None)
                }
                (None, Some(waker)) => (Seen::Nothing, state.waiters.park(&mut self.key, waker)),
                (None, None) if self.key.is_none() => (
                    Seen::Nothing,
                    state.waiters.park(&mut self.key, Waker::noop()),
                ),
                (None, None) => (Seen::Nothing, None),
            }
        });
        drop(stale);
        drop(cloned);
        seen
    }

    /// The future is dropped: leaves the line, and passes on a `notify_one` or
    /// `notify_last` (or the permit) that it took before it completed, the same way.
    #[inline]
    pub(crate) fn leave(&mut self, lock: &impl Lock<State>) {
        let picked = match self.key.take() {
            Some(key) => {
                let removed = lock.with(|state| state.waiters.remove(key));
                let pick = match (removed.notified, removed.popped_back) {
                    (false, _) => None,
                    (true, false) => Some(Pick::Oldest),
                    (true, true) => Some(Pick::Newest),
                };
                drop(removed);
                pick
            }
            None => match self.seen {
                Seen::One(pick) => Some(pick),
                Seen::Nothing | Seen::All => None,
            },
        };
        if let Some(pick) = picked {
            notify(lock, pick);
        }
    }
}
