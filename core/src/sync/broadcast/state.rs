//! What both broadcast channels share: the values some receiver has yet to read, the
//! counts and the wait lists, kept in a `RefCell` ([`broadcast`](super), one Core) or a
//! `Mutex` ([`cross_thread::broadcast`](crate::sync::cross_thread::broadcast), threads),
//! and the operations on them, written once over a [`Lock`].
//!
//! No waker is woken or dropped, and no value dropped, under the borrow or the lock: each
//! operation hands them out to be woken or dropped after. The one call out of the channel
//! under it is the value's `Clone`, for a receiver that is not a value's last reader: it
//! runs once the receiver has moved past the value (as in tokio), so a `Clone` that panics
//! leaves a consistent state in which that receiver skipped the value.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::error::{RecvError, TryRecvError};
use crate::coop;
use crate::sync::SendError;
use crate::sync::wait_list::WaitList;

pub(crate) use crate::sync::state_lock::Lock;

/// The state of one channel.
///
/// # Invariants
///
/// - `slots` holds exactly the values some receiver has yet to read, oldest first: a value
///   every receiver has read (or skipped, or dropped without reading) is removed at once.
///   Receivers read in order and each slot counts the receivers subscribed when it was
///   sent, so the values read by all form a prefix, and a value read by its last reader is
///   always the front one.
/// - Every receiver's next position is at most `tail()`; one below `head` has lagged.
/// - `senders` counts the live `Sender`s; once it reaches 0 it stays there (a `WeakSender`
///   upgrades only while it is above 0).
pub(crate) struct State<T> {
    slots: VecDeque<Slot<T>>,
    /// The position of `slots[0]` in the sequence of every value ever sent.
    head: u64,
    capacity: usize,
    senders: usize,
    receivers: usize,
    /// Receivers waiting in `Receiver::recv`.
    recv_waiters: WaitList,
    /// Tasks waiting in `Sender::closed`.
    closed_waiters: WaitList,
}

struct Slot<T> {
    value: T,
    /// Receivers that have yet to read (or skip) this value.
    unread: usize,
}

impl<T> State<T> {
    /// A channel of `capacity` values with one sender and `receivers` receivers (0 or 1),
    /// each at position 0.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or above `usize::MAX / 2`, as tokio's.
    #[track_caller]
    pub(crate) fn new(capacity: usize, receivers: usize) -> State<T> {
        assert!(
            capacity > 0,
            "broadcast::channel capacity must be greater than zero"
        );
        assert!(
            capacity <= usize::MAX / 2,
            "broadcast::channel capacity must be at most usize::MAX / 2"
        );
        State {
            slots: VecDeque::new(),
            head: 0,
            capacity,
            senders: 1,
            receivers,
            recv_waiters: WaitList::new(),
            closed_waiters: WaitList::new(),
        }
    }

    /// The position the next value sent will take.
    fn tail(&self) -> u64 {
        self.head + self.slots.len() as u64
    }

    /// How many values some receiver has yet to read.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn senders(&self) -> usize {
        self.senders
    }

    pub(crate) fn receivers(&self) -> usize {
        self.receivers
    }

    /// How many values were sent since position `next` (a receiver's next one): those held
    /// that it has yet to read, plus those overwritten before it read them, as tokio's
    /// `Receiver::len` counts.
    pub(crate) fn unread_by(&self, next: u64) -> usize {
        usize::try_from(self.tail() - next).unwrap_or(usize::MAX)
    }

    /// Counts a new sender, cloned from a live one.
    pub(crate) fn clone_sender(&mut self) {
        self.senders += 1;
    }

    /// Counts a new sender upgraded from a weak one, if a sender is still alive.
    pub(crate) fn upgrade(&mut self) -> bool {
        if self.senders == 0 {
            return false;
        }
        self.senders += 1;
        true
    }

    /// Counts a new receiver; returns its next position: the values sent from now on.
    pub(crate) fn subscribe(&mut self) -> u64 {
        self.receivers += 1;
        self.tail()
    }

    /// Whether no receiver waits in `recv` and no task in `closed`.
    #[cfg(test)]
    pub(crate) fn is_idle(&self) -> bool {
        self.recv_waiters.is_empty() && self.closed_waiters.is_empty()
    }

    /// Takes the value at `next` for the receiver whose next position it is: a clone, or
    /// the value itself for its last reader; or reports a lag, or that there is none.
    pub(crate) fn try_recv(&mut self, next: &mut u64) -> Result<T, TryRecvError>
    where
        T: Clone,
    {
        if *next < self.head {
            let missed = self.head - *next;
            *next = self.head;
            return Err(TryRecvError::Lagged(missed));
        }
        if *next == self.tail() {
            return Err(if self.senders == 0 {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let index = (*next - self.head) as usize;
        if self.slots[index].unread > 1 {
            // Past the value first, then the clone, as in tokio: a `Clone` that panics costs
            // this receiver that one value (others still read it), where leaving `next`
            // on it would make every later receive panic again. The slot stays, read by
            // the others, so the state is whole whether the clone returns or not.
            self.slots[index].unread -= 1;
            *next += 1;
            return Ok(self.slots[index].value.clone());
        }
        *next += 1;
        // The last reader: by the invariant this is the oldest value.
        debug_assert_eq!(index, 0, "a value read by all that is not the oldest");
        let slot = self.slots.pop_front().expect("the value just found");
        self.head += 1;
        Ok(slot.value)
    }

    /// Forgets the receiver whose next position is `next`: it will read none of the values
    /// from there on. Returns the values it was the last reader of, to be dropped once the
    /// borrow or lock is released.
    fn leave(&mut self, next: u64) -> Vec<T> {
        let first = next.saturating_sub(self.head) as usize;
        for slot in self.slots.iter_mut().skip(first) {
            slot.unread -= 1;
        }
        self.receivers -= 1;
        let mut done = Vec::new();
        while self.slots.front().is_some_and(|slot| slot.unread == 0) {
            done.extend(self.slots.pop_front().map(|slot| slot.value));
            self.head += 1;
        }
        done
    }
}

/// Wakes `wakers`, outside any borrow or lock.
fn wake(wakers: Vec<Waker>) {
    wakers.into_iter().for_each(Waker::wake);
}

/// Sends `value` to every receiver subscribed now and returns how many there are,
/// overwriting the oldest value if the channel is full; hands `value` back if there is no
/// receiver.
pub(crate) fn send<T>(lock: &impl Lock<State<T>>, value: T) -> Result<usize, SendError<T>> {
    let (overwritten, waiting, receivers) = lock.with(|state| {
        let receivers = state.receivers;
        if receivers == 0 {
            return Err(SendError(value));
        }
        let overwritten = if state.slots.len() == state.capacity {
            state.head += 1;
            state.slots.pop_front()
        } else {
            None
        };
        state.slots.push_back(Slot {
            value,
            unread: receivers,
        });
        Ok((overwritten, state.recv_waiters.take_all(), receivers))
    })?;
    drop(overwritten);
    wake(waiting);
    Ok(receivers)
}

/// A sender is gone: the last one wakes the receivers waiting in `recv`, to learn there
/// will be no more values.
pub(crate) fn drop_sender<T>(lock: &impl Lock<State<T>>) {
    wake(lock.with(|state| {
        state.senders -= 1;
        if state.senders == 0 {
            state.recv_waiters.take_all()
        } else {
            Vec::new()
        }
    }));
}

/// The receiver whose next position is `next` is gone: the values it was the last reader
/// of are dropped, and the last receiver wakes the tasks waiting in `closed`.
pub(crate) fn drop_receiver<T>(lock: &impl Lock<State<T>>, next: u64) {
    let (unread, closed) = lock.with(|state| {
        let unread = state.leave(next);
        let closed = if state.receivers == 0 {
            state.closed_waiters.take_all()
        } else {
            Vec::new()
        };
        (unread, closed)
    });
    drop(unread);
    wake(closed);
}

/// What one poll of `recv` found under the borrow or lock.
enum Polled<T> {
    /// Nothing to read yet: the future waits.
    Parked(Option<Waker>),
    /// Something to read, but the task's budget is spent.
    OutOfBudget,
    Done(Result<T, TryRecvError>, Option<Waker>),
}

/// One poll of `Receiver::recv`, for the receiver whose next position is `next` and whose
/// future holds `key`: takes a value, or reports a lag or the end, or parks.
#[inline]
pub(crate) fn poll_recv<T: Clone>(
    lock: &impl Lock<State<T>>,
    next: &mut u64,
    key: &mut Option<usize>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, RecvError>> {
    let polled = lock.with(|state| {
        if *next == state.tail() && state.senders > 0 {
            return Polled::Parked(state.recv_waiters.park(key, cx.waker()));
        }
        // A value, a lag report or the end: each completes the future.
        if !coop::try_spend() {
            return Polled::OutOfBudget;
        }
        // First: if the value's `Clone` panics (the receiver then skipped the value), the
        // future still holds its entry, which its drop removes.
        let outcome = state.try_recv(next);
        let removed = key.take().map(|key| state.recv_waiters.remove(key));
        Polled::Done(outcome, removed.and_then(|removed| removed.waker))
    });
    match polled {
        Polled::Parked(stale) => {
            drop(stale);
            Poll::Pending
        }
        Polled::OutOfBudget => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Polled::Done(outcome, stale) => {
            drop(stale);
            Poll::Ready(outcome.map_err(|err| match err {
                TryRecvError::Lagged(missed) => RecvError::Lagged(missed),
                TryRecvError::Closed => RecvError::Closed,
                TryRecvError::Empty => unreachable!("a value was there under the same borrow"),
            }))
        }
    }
}

/// One poll of `Sender::closed`, whose future holds `key`.
#[inline]
pub(crate) fn poll_closed<T>(
    lock: &impl Lock<State<T>>,
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
    if closed {
        Poll::Ready(())
    } else {
        Poll::Pending
    }
}

/// A `recv` future is dropped: forgets its waiter `key`, if it has one.
pub(crate) fn leave_recv<T>(lock: &impl Lock<State<T>>, key: &mut Option<usize>) {
    if let Some(key) = key.take() {
        let removed = lock.with(|state| state.recv_waiters.remove(key));
        drop(removed);
    }
}

/// A `closed` future is dropped: forgets its waiter `key`, if it has one.
pub(crate) fn leave_closed<T>(lock: &impl Lock<State<T>>, key: &mut Option<usize>) {
    if let Some(key) = key.take() {
        let removed = lock.with(|state| state.closed_waiters.remove(key));
        drop(removed);
    }
}
