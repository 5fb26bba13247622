//! `State`: a semaphore's free permits and its queue of waiting acquires, shared by both
//! flavours. It has no lock of its own: [`Semaphore`](super::Semaphore) keeps it in a
//! `RefCell`, [`cross_thread::Semaphore`](crate::sync::cross_thread::Semaphore) in a
//! `Mutex`, and both run the functions at the end of this file over their [`Lock`].
//!
//! No method of `State` wakes or drops a [`Waker`]: each hands back what its caller must
//! wake or drop once it has released the state, since either may run code that comes back
//! to the semaphore (a task dropped with its last waker may hold a permit).

use std::task::{Context, Poll, Waker};

use super::{AcquireError, TryAcquireError};
use crate::coop;
use crate::sync::state_lock::Lock;
use crate::sync::wait_list::WaitList;

/// The most permits a semaphore can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

pub(crate) struct State {
    /// Permits no one holds and no waiter has been handed.
    permits: usize,
    closed: bool,
    /// Acquires waiting for permits, oldest first; `pop_front` marks the one it takes
    /// granted.
    waiters: WaitList,
    /// How many permits each queued waiter asked for, by its key in `waiters`.
    wants: Vec<u32>,
}

impl State {
    /// A state with `permits` free permits; the caller has checked them against
    /// [`MAX_PERMITS`].
    pub(crate) const fn new(permits: usize) -> State {
        State {
            permits,
            closed: false,
            waiters: WaitList::new(),
            wants: Vec::new(),
        }
    }

    pub(crate) fn permits(&self) -> usize {
        self.permits
    }

    /// Permits an acquire could take now: none while someone waits, since the free ones
    /// are gathered for the oldest waiter (tokio assigns them to it as they come back).
    pub(crate) fn available(&self) -> usize {
        if self.waiters.is_empty() {
            self.permits
        } else {
            0
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(crate) fn has_waiters(&self) -> bool {
        !self.waiters.is_empty()
    }

    /// Whether `n` permits can be taken now by an acquire that is not queued: they are free
    /// and no one waits before it. Zero permits take nothing from the waiters, so they need
    /// not queue behind them.
    #[inline]
    fn is_free(&self, n: usize) -> bool {
        n == 0 || (self.waiters.is_empty() && self.permits >= n)
    }

    /// Removes up to `n` free permits for good; returns how many it removed.
    pub(crate) fn forget(&mut self, n: usize) -> usize {
        // Not those gathered for the oldest waiter: they are its already.
        let forgotten = n.min(self.available());
        self.permits -= forgotten;
        forgotten
    }

    /// Takes `n` permits at once, if that many are free and no one waits.
    #[inline]
    pub(crate) fn take_now(&mut self, n: u32) -> Result<(), TryAcquireError> {
        if self.closed {
            return Err(TryAcquireError::Closed);
        }
        let n = n as usize;
        if !self.is_free(n) {
            return Err(TryAcquireError::NoPermits);
        }
        self.permits -= n;
        Ok(())
    }

    /// Gives back `n` permits, then hands permits to the waiters at the front of the queue
    /// for as long as there are enough for the first one. Returns the wakers of those it
    /// served.
    ///
    /// # Panics
    ///
    /// If the semaphore would then hold more than [`MAX_PERMITS`], before changing
    /// anything.
    #[inline]
    pub(crate) fn release(&mut self, n: usize) -> Vec<Waker> {
        self.permits = match self.permits.checked_add(n) {
            Some(permits) if permits <= MAX_PERMITS => permits,
            _ => too_many_permits(self.permits, n),
        };
        // Nobody waits, the common case: kept this small so that it inlines.
        if self.waiters.front().is_none() {
            return Vec::new();
        }
        self.serve_waiters()
    }

    /// Takes the permits of the waiters at the front that they now satisfy, in order, and
    /// returns their wakers.
    #[inline(never)]
    fn serve_waiters(&mut self) -> Vec<Waker> {
        let mut served = Vec::new();
        while let Some(first) = self.waiters.front() {
            let wants = self.wants[first] as usize;
            if self.permits < wants {
                break;
            }
            self.permits -= wants;
            served.extend(self.waiters.pop_front());
        }
        served
    }

    /// Closes the semaphore; returns the wakers of every waiter, which will fail.
    pub(crate) fn close(&mut self) -> Vec<Waker> {
        self.closed = true;
        self.waiters.take_all()
    }

    /// Takes `wants` permits for an acquire that has not queued, if the semaphore is open,
    /// they are free and no one waits before it: the common case of
    /// [`poll_acquire`](State::poll_acquire), kept small enough to inline. The caller has
    /// spent the task's budget.
    #[inline]
    pub(crate) fn take_free(&mut self, wants: u32) -> bool {
        let n = wants as usize;
        let free = !self.closed && self.is_free(n);
        if free {
            self.permits -= n;
        }
        free
    }

    /// One poll of an acquire of `wants` permits whose place in the queue is `key`. Ready
    /// with `Ok` once it holds the permits: handed them while it waited, or found them free
    /// with no one waiting before it and `spend` (the task's budget) allowing. Also returns
    /// a waker to drop once the state is released. When `spend` refuses, it is `Pending`
    /// and wakes nobody: the caller wakes its task once it has released the state.
    pub(crate) fn poll_acquire(
        &mut self,
        key: &mut Option<usize>,
        wants: u32,
        cx: &mut Context<'_>,
        spend: impl FnOnce() -> bool,
    ) -> (Poll<Result<(), AcquireError>>, Option<Waker>) {
        if let Some(parked) = *key
            && self.waiters.is_notified(parked)
        {
            // Handed the permits while it waited: it completes, as a bounded send that
            // was handed room does, whatever the budget says.
            let removed = self.waiters.remove(parked);
            *key = None;
            return (Poll::Ready(Ok(())), removed.waker);
        }
        if self.closed {
            // The end spends a unit too, as in tokio: a loop that keeps acquiring from a
            // closed semaphore still yields.
            if !spend() {
                return (Poll::Pending, None);
            }
            let removed = key
                .take()
                .and_then(|parked| self.waiters.remove(parked).waker);
            return (Poll::Ready(Err(AcquireError::new())), removed);
        }
        let n = wants as usize;
        if key.is_none() && self.is_free(n) {
            if !spend() {
                // The permits stay free for the task's next turn.
                return (Poll::Pending, None);
            }
            self.permits -= n;
            return (Poll::Ready(Ok(())), None);
        }
        let old = self.waiters.park(key, cx.waker());
        let parked = key.expect("parked");
        if self.wants.len() <= parked {
            self.wants.resize(parked + 1, 0);
        }
        self.wants[parked] = wants;
        (Poll::Pending, old)
    }

    /// Takes the acquire of `wants` permits parked at `key` out of the queue: permits it
    /// was handed come back, and if it was first in line, the next waiters may be satisfied
    /// by what is free now. Returns the wakers of the waiters served, and the acquire's own
    /// waker to drop.
    #[inline]
    pub(crate) fn cancel(&mut self, key: usize, wants: u32) -> (Vec<Waker>, Option<Waker>) {
        let removed = self.waiters.remove(key);
        let returned = if removed.notified { wants as usize } else { 0 };
        (self.release(returned), removed.waker)
    }
}

/// Gives back `n` permits and wakes the waiters they satisfy.
#[inline]
pub(crate) fn release(lock: &impl Lock<State>, n: usize) {
    let served = lock.with(|state| state.release(n));
    for waker in served {
        waker.wake();
    }
}

/// Closes the semaphore and wakes every waiter, to fail.
pub(crate) fn close(lock: &impl Lock<State>) {
    let waiting = lock.with(State::close);
    for waker in waiting {
        waker.wake();
    }
}

/// The waiting part of an acquire future of either flavour: its place in the queue of the
/// semaphore whose state `lock` guards, which it leaves when dropped.
pub(crate) struct Waiting<'a, L: Lock<State>> {
    lock: &'a L,
    wants: u32,
    /// This future's entry in the queue, once it waited.
    key: Option<usize>,
}

impl<'a, L: Lock<State>> Waiting<'a, L> {
    pub(crate) fn new(lock: &'a L, wants: u32) -> Self {
        Waiting {
            lock,
            wants,
            key: None,
        }
    }

    /// How many permits it asks for.
    pub(crate) fn wants(&self) -> u32 {
        self.wants
    }

    /// Whether it has a place in the queue.
    pub(crate) fn is_queued(&self) -> bool {
        self.key.is_some()
    }

    /// [`State::poll_acquire`] with the task's budget; `Ok` once it holds the permits.
    #[inline]
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let (key, wants) = (&mut self.key, self.wants);
        // The common case first, inline: not queued, permits free, budget left.
        if key.is_none()
            && coop::has_budget_remaining()
            && self.lock.with(|state| state.take_free(wants))
        {
            coop::try_spend();
            return Poll::Ready(Ok(()));
        }
        let mut held_back = false;
        let (poll, stale) = self.lock.with(|state| {
            let spend = || {
                held_back = !coop::try_spend();
                !held_back
            };
            state.poll_acquire(key, wants, cx, spend)
        });
        drop(stale);
        if held_back {
            // Out of the state: the wake may come back to the semaphore.
            cx.waker().wake_by_ref();
        }
        poll
    }

    /// [`State::cancel`], then the wake-ups. Out of line: most acquires complete without
    /// waiting, and their drop is then only the check in `drop`.
    #[inline(never)]
    fn cancel(&mut self, key: usize) {
        let wants = self.wants;
        let (served, stale) = self.lock.with(|state| state.cancel(key, wants));
        drop(stale);
        for waker in served {
            waker.wake();
        }
    }
}

impl<L: Lock<State>> Drop for Waiting<'_, L> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.cancel(key);
        }
    }
}

/// The panic of a release that would take the semaphore past [`MAX_PERMITS`].
#[cold]
#[track_caller]
fn too_many_permits(permits: usize, n: usize) -> ! {
    panic!("a semaphore holds at most Semaphore::MAX_PERMITS permits: {permits} + {n} is more")
}
