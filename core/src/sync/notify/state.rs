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

/// Wakes the longest waiter, or leaves the permit if none waits.
#[inline]
pub(crate) fn notify_one(lock: &impl Lock<State>) {
    let waker = lock.with(|state| {
        let waker = state.waiters.pop_front();
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

/// The state of one `Notified` future.
#[derive(Debug)]
pub(crate) struct Waiter {
    /// `calls` when the future was made.
    calls: u64,
    /// The future's entry among the waiters, once it waited.
    key: Option<usize>,
    done: bool,
}

impl Waiter {
    #[inline]
    pub(crate) fn new(lock: &impl Lock<State>) -> Waiter {
        Waiter {
            calls: lock.with(|state| state.calls),
            key: None,
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
        assert!(!self.done, "Notified polled after it completed");
        let (ready, stale) = lock.with(|state| {
            let picked = self.key.is_some_and(|key| state.waiters.is_notified(key));
            if picked || state.calls != self.calls {
                let removed = self.key.take().map(|key| state.waiters.remove(key).waker);
                return (true, removed.flatten());
            }
            if self.key.is_none() && state.permit {
                state.permit = false;
                return (true, None);
            }
            (false, state.waiters.park(&mut self.key, cx.waker()))
        });
        drop(stale);
        if ready {
            self.done = true;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// The future is dropped: leaves the line, and passes on a `notify_one` that picked it
    /// before it saw it.
    #[inline]
    pub(crate) fn leave(&mut self, lock: &impl Lock<State>) {
        let Some(key) = self.key.take() else {
            return;
        };
        let removed = lock.with(|state| state.waiters.remove(key));
        let picked = removed.notified;
        drop(removed);
        if picked {
            notify_one(lock);
        }
    }
}
