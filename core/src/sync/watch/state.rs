//! What both watch channels share: the channel's state apart from the value, kept in a
//! `RefCell` ([`watch`](super), one Core) or a `Mutex`
//! ([`cross_thread::watch`](crate::sync::cross_thread::watch), threads), and the operations
//! on it. The value lives beside it, in a `RefCell` or an `RwLock`: each channel borrows
//! it its own way. No waker is woken or dropped under the borrow or the lock: each
//! operation hands them out to be woken or dropped after.

use std::task::{Context, Poll, Waker};

use super::RecvError;
use crate::coop;
use crate::sync::wait_list::WaitList;

pub(crate) use crate::sync::state_lock::Lock;

/// The state of one channel, but its value.
pub(crate) struct State {
    /// Bumped by every send; a receiver has seen the value once it has read this version.
    /// Where the value has a lock, it is bumped while the value's write lock is held, and
    /// read under its read lock by a receiver that marks the value it reads seen.
    version: u64,
    /// Live senders: `Sender::clone` adds one, a drop takes one away. Once it reaches 0 it
    /// stays there (no handle is left to make a sender from), and `changed` fails.
    senders: usize,
    receivers: usize,
    /// Receivers waiting in `Receiver::changed`.
    changed_waiters: WaitList,
    /// Tasks waiting in `Sender::closed`.
    closed_waiters: WaitList,
}

impl State {
    /// A channel with one receiver, which has seen version 0.
    pub(crate) fn new() -> State {
        State {
            version: 0,
            senders: 1,
            receivers: 1,
            changed_waiters: WaitList::new(),
            closed_waiters: WaitList::new(),
        }
    }

    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    pub(crate) fn receivers(&self) -> usize {
        self.receivers
    }

    pub(crate) fn senders(&self) -> usize {
        self.senders
    }

    /// Counts a new sender, cloned from a live one.
    pub(crate) fn clone_sender(&mut self) {
        self.senders += 1;
    }

    /// Whether the value is unseen by a receiver that has seen `seen`; an error once every
    /// sender is gone.
    pub(crate) fn has_changed(&self, seen: u64) -> Result<bool, RecvError> {
        if self.senders == 0 {
            return Err(RecvError);
        }
        Ok(seen != self.version)
    }

    /// Counts a new receiver; returns the version it starts from.
    pub(crate) fn subscribe(&mut self) -> u64 {
        self.receivers += 1;
        self.version
    }

    /// Whether no receiver waits in `changed` and no task in `closed`.
    #[cfg(test)]
    pub(crate) fn is_idle(&self) -> bool {
        self.changed_waiters.is_empty() && self.closed_waiters.is_empty()
    }

    /// Records a new value; returns the wakers of the receivers waiting for one, to be
    /// woken once every borrow and lock is released.
    #[must_use = "the receivers must be woken"]
    pub(crate) fn publish(&mut self) -> Vec<Waker> {
        self.version += 1;
        self.changed_waiters.take_all()
    }
}

/// The version a receiver marks seen when it means "unseen": none is ever this far behind
/// the current one.
pub(crate) fn unseen(version: u64) -> u64 {
    version.wrapping_sub(1)
}

/// Wakes `wakers`, outside any borrow or lock.
pub(crate) fn wake(wakers: Vec<Waker>) {
    wakers.into_iter().for_each(Waker::wake);
}

/// A sender is gone: the last one wakes the receivers waiting in `changed`, to fail.
pub(crate) fn drop_sender(lock: &impl Lock<State>) {
    wake(lock.with(|state| {
        state.senders -= 1;
        if state.senders == 0 {
            state.changed_waiters.take_all()
        } else {
            Vec::new()
        }
    }));
}

/// A receiver is gone: the last one wakes the tasks waiting in `closed`.
pub(crate) fn drop_receiver(lock: &impl Lock<State>) {
    wake(lock.with(|state| {
        state.receivers -= 1;
        if state.receivers == 0 {
            state.closed_waiters.take_all()
        } else {
            Vec::new()
        }
    }));
}

/// One poll of `Receiver::changed`, for a receiver that has seen `seen` and whose future
/// holds `key`: marks a new version seen, or parks.
#[inline]
pub(crate) fn poll_changed(
    lock: &impl Lock<State>,
    seen: &mut u64,
    key: &mut Option<usize>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), RecvError>> {
    let (outcome, stale) = lock.with(|state| {
        let outcome = if state.version != *seen {
            Some(Ok(state.version))
        } else if state.senders == 0 {
            Some(Err(RecvError))
        } else {
            return (None, state.changed_waiters.park(key, cx.waker()));
        };
        let removed = key.take().map(|key| state.changed_waiters.remove(key));
        (outcome, removed.and_then(|removed| removed.waker))
    });
    drop(stale);
    let Some(outcome) = outcome else {
        return Poll::Pending;
    };
    // The end spends a unit too, as in tokio: a loop that keeps waiting on a closed channel
    // still yields.
    if !coop::try_spend() {
        // The change stays unseen for the task's next turn.
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    Poll::Ready(outcome.map(|version| *seen = version))
}

/// One poll of `Sender::closed`, whose future holds `key`.
#[inline]
pub(crate) fn poll_closed(
    lock: &impl Lock<State>,
    key: &mut Option<usize>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    let (closed, stale) = lock.with(|state| {
        if state.receivers == 0 {
            let removed = key.take().map(|key| state.closed_waiters.remove(key));
            (true, removed.and_then(|removed| removed.waker))
        } else {
            (false, state.closed_waiters.park(key, cx.waker()))
        }
    });
    drop(stale);
    if !closed {
        return Poll::Pending;
    }
    // Spends a unit, as tokio's does: a loop that keeps awaiting `closed` on a closed
    // channel still yields.
    coop::poll_proceed(cx)
}

/// A `changed` future is dropped: forgets its waiter `key`, if it has one.
pub(crate) fn leave_changed(lock: &impl Lock<State>, key: &mut Option<usize>) {
    if let Some(key) = key.take() {
        let removed = lock.with(|state| state.changed_waiters.remove(key));
        drop(removed);
    }
}

/// A `closed` future is dropped: forgets its waiter `key`, if it has one.
pub(crate) fn leave_closed(lock: &impl Lock<State>, key: &mut Option<usize>) {
    if let Some(key) = key.take() {
        let removed = lock.with(|state| state.closed_waiters.remove(key));
        drop(removed);
    }
}
