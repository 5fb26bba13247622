//! The state of a multi-producer, single-consumer channel and the operations on it, shared
//! by [`mpsc`](super::mpsc) (state in an `Rc<RefCell<_>>`, for the tasks of one Core) and
//! [`cross_thread`](super::cross_thread) (state in an `Arc<Mutex<_>>`, senders on any
//! thread). The two differ only in where the state lives: [`StateCell`].
//!
//! # Invariants
//!
//! - Bounded: `queue.len() + permits + granted == max_capacity`, where
//!   `granted` counts the slots held by senders: waiters popped from
//!   `send_waiters` (handed a slot) that have not yet pushed their value or
//!   given the slot back, and reserved slots (`Permit`s) not yet used or
//!   released.
//! - Bounded: a freed slot goes to the oldest waiter first, which is handed all the
//!   slots it wants (`wants`: one, or n for `reserve_many`) at once. While it
//!   waits for more than are free, the free ones gather in `permits`, which no
//!   one else may take: `permits > 0` while senders wait only when the oldest
//!   wants more than `permits`. This is what makes waiting senders FIFO, and a
//!   request for n slots neither starved by single slots nor deadlocked against
//!   another (only the oldest waiter ever gathers).
//! - Once `rx_closed` is set, nothing is pushed to either wait list again, and only
//!   slots already held (a permit, or a slot granted to a waiting `send`) can still add
//!   to the queue: the receiver sees the end once they are all used or given back.
//!
//! # Re-entrancy
//!
//! Waking a waker, dropping a waker or dropping a message may run arbitrary
//! code, including code that uses this channel. All of that is done only
//! after the borrow (or lock) is released: methods collect wakers and values
//! under it, release it, then wake or drop.

mod many;
mod slots;
mod state_cell;

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker, ready};

use super::mpsc::error::{SendError, TryRecvError, TrySendError};
use super::wait_list::{WaitList, update_waker};
use crate::coop;

pub(super) use many::ReserveSlots;
pub(crate) use state_cell::{Local, StateCell, Synced};

pub(crate) struct State<T> {
    queue: VecDeque<T>,
    /// Task waiting in `recv`.
    rx_waker: Option<Waker>,
    /// The receiver was closed or dropped.
    rx_closed: bool,
    /// The receiver was dropped: nothing queued will be received.
    rx_dropped: bool,
    /// Live sender handles.
    tx_count: usize,
    /// Tasks waiting in `Sender::closed`.
    closed_waiters: WaitList,
    /// `None` for unbounded channels.
    max_capacity: Option<usize>,
    /// Free slots not handed to any sender (bounded only).
    permits: usize,
    /// Senders waiting for a slot, oldest first (bounded only).
    send_waiters: WaitList,
    /// How many slots each queued sender waits for, by its key in `send_waiters`.
    wants: Vec<usize>,
}

impl<T> State<T> {
    /// Nothing queued, and nothing more can come: every sender is gone, or the receiver
    /// closed and every slot taken before has been used or given back.
    fn is_finished(&self) -> bool {
        self.queue.is_empty() && (self.tx_count == 0 || (self.rx_closed && self.held_slots() == 0))
    }

    /// Marks the receiver closed and unlinks every waiting sender and
    /// `closed()` waiter, returning their wakers.
    fn close(&mut self) -> Vec<Waker> {
        self.rx_closed = true;
        let mut wakers = self.send_waiters.take_all();
        wakers.extend(self.closed_waiters.take_all());
        wakers
    }

    /// Queues `value`, returning the receiver's waker to wake.
    fn push(&mut self, value: T) -> Option<Waker> {
        self.queue.push_back(value);
        self.rx_waker.take()
    }

    /// After a receive: once it emptied the queue, gives back the storage a burst of
    /// messages left over, which the channel would otherwise hold for as long as it lives.
    fn trim(&mut self) {
        if self.queue.is_empty() && self.queue.capacity() > KEEP_CAPACITY {
            self.queue.shrink_to(KEEP_CAPACITY);
        }
    }
}

/// When a receive empties the queue, storage for more messages than this is released.
const KEEP_CAPACITY: usize = 64;

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Creates the two ends of a channel; `capacity: None` means unbounded.
pub(super) fn channel<C: StateCell>(capacity: Option<usize>) -> (Tx<C>, Rx<C>) {
    let shared = C::new(State {
        queue: VecDeque::new(),
        rx_waker: None,
        rx_closed: false,
        rx_dropped: false,
        tx_count: 1,
        closed_waiters: WaitList::new(),
        max_capacity: capacity,
        permits: capacity.unwrap_or(0),
        send_waiters: WaitList::new(),
        wants: Vec::new(),
    });
    (
        Tx {
            shared: shared.share(),
        },
        Rx { shared },
    )
}

/// One sender handle; counts towards `tx_count`.
pub(super) struct Tx<C: StateCell> {
    shared: C,
}

impl<C: StateCell> Tx<C> {
    pub(super) fn is_closed(&self) -> bool {
        self.shared.lock().rx_closed
    }

    pub(super) fn same_channel(&self, other: &Self) -> bool {
        self.shared.same(&other.shared)
    }

    pub(super) fn downgrade(&self) -> WeakTx<C> {
        WeakTx {
            shared: self.shared.downgrade(),
        }
    }

    /// Messages queued and not yet received: 0 once the receiver is dropped, which drops
    /// them.
    pub(super) fn queued(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Live `Tx`s, this one included.
    pub(super) fn strong_count(&self) -> usize {
        self.shared.lock().tx_count
    }

    /// Live `WeakTx`s.
    pub(super) fn weak_count(&self) -> usize {
        self.shared.weak_count()
    }

    /// Free slots right now (bounded only), not counting those gathered for the oldest
    /// waiting sender: what `try_reserve` could take.
    pub(super) fn capacity(&self) -> usize {
        self.shared.lock().free_slots()
    }

    pub(super) fn max_capacity(&self) -> usize {
        self.shared.lock().max_capacity.unwrap_or(usize::MAX)
    }

    /// The body of the `Closed` futures: ready once the receiver is dropped or closed.
    /// `waiter` is the future's entry in `closed_waiters` while it waits.
    pub(super) fn poll_closed(&self, waiter: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.shared.lock();
        if state.rx_closed {
            let old = waiter
                .take()
                .and_then(|key| state.closed_waiters.remove(key).waker);
            drop(state);
            drop(old);
            return Poll::Ready(());
        }
        let old = match *waiter {
            Some(key) => state.closed_waiters.set_waker(key, cx.waker()),
            None => {
                *waiter = Some(state.closed_waiters.push_back(cx.waker().clone()));
                None
            }
        };
        drop(state);
        drop(old);
        Poll::Pending
    }

    /// A pending `Closed` future was dropped: forget its entry.
    pub(super) fn cancel_closed(&self, key: usize) {
        let removed = self.shared.lock().closed_waiters.remove(key);
        drop(removed.waker);
    }

    /// Unbounded send: never waits.
    pub(super) fn send_unbounded(&self, value: C::Item) -> Result<(), SendError<C::Item>> {
        let mut state = self.shared.lock();
        if state.rx_closed {
            return Err(SendError(value));
        }
        let rx = state.push(value);
        drop(state);
        wake(rx);
        Ok(())
    }

    /// Bounded send without waiting.
    pub(super) fn try_send(&self, value: C::Item) -> Result<(), TrySendError<C::Item>> {
        let mut state = self.shared.lock();
        if let Err(err) = Self::try_take_slot(&mut state) {
            return Err(err.carrying(value));
        }
        let rx = state.push(value);
        drop(state);
        wake(rx);
        Ok(())
    }

    /// Takes a free slot for a value to come, without waiting. On success the caller holds
    /// the slot, for [`send_reserved`](Tx::send_reserved) or
    /// [`release_reserved`](Tx::release_reserved).
    pub(super) fn try_reserve(&self) -> Result<(), TrySendError<()>> {
        Self::try_take_slot(&mut self.shared.lock())
    }

    fn try_take_slot(state: &mut State<C::Item>) -> Result<(), TrySendError<()>> {
        if state.rx_closed {
            return Err(TrySendError::Closed(()));
        }
        // Free slots while senders wait are gathered by the oldest of them.
        if state.permits == 0 || !state.send_waiters.is_empty() {
            return Err(TrySendError::Full(()));
        }
        state.permits -= 1;
        Ok(())
    }

    /// The body of the bounded `Send` future. `waiter` is the future's entry
    /// in `send_waiters`, `value` the message not yet sent.
    #[inline]
    pub(super) fn poll_send(
        &self,
        waiter: &mut Option<usize>,
        value: &mut Option<C::Item>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<C::Item>>> {
        assert!(
            value.is_some(),
            "a channel's Send future polled after completion"
        );
        self.poll_slot(waiter, 1, cx, |state| state.push(value.take().unwrap()))
            .map_err(|SendError(())| SendError(value.take().unwrap()))
    }

    /// The body of the `Reserve` futures: like [`poll_send`](Tx::poll_send), but on
    /// success the caller holds the slot, as after [`try_reserve`](Tx::try_reserve).
    pub(super) fn poll_reserve(
        &self,
        waiter: &mut Option<usize>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<()>>> {
        self.poll_slot(waiter, 1, cx, |_| None)
    }

    /// Waits in line for `slots` slots (at least one); once this sender holds them, runs
    /// `use_slot` under the same borrow (or lock) and wakes the waker it returns. Fails
    /// once the receiver is closed, unless the slots were granted before that (and the
    /// receiver is not dropped).
    #[inline]
    fn poll_slot(
        &self,
        waiter: &mut Option<usize>,
        slots: usize,
        cx: &mut Context<'_>,
        use_slot: impl FnOnce(&mut State<C::Item>) -> Option<Waker>,
    ) -> Poll<Result<(), SendError<()>>> {
        let mut state = self.shared.lock();
        // A slot granted before the receiver closed is still used, as a permit is: the
        // receiver reads what it holds before it sees the end. Not once the receiver is gone.
        if state.rx_closed
            && (state.rx_dropped
                || !matches!(*waiter, Some(key) if state.send_waiters.is_notified(key)))
        {
            // The end spends a unit too, as in tokio: a loop that keeps sending on a closed
            // channel still yields. Nothing changes before the task's next turn.
            if !coop::try_spend() {
                drop(state);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let (next, old) = match waiter.take() {
                Some(key) => {
                    let removed = state.send_waiters.remove(key);
                    let next = if removed.notified {
                        state.release_slots(slots)
                    } else {
                        Vec::new()
                    };
                    (next, removed.waker)
                }
                None => (Vec::new(), None),
            };
            drop(state);
            drop(old);
            next.into_iter().for_each(Waker::wake);
            return Poll::Ready(Err(SendError(())));
        }
        let mut old = None;
        let has_slot = match *waiter {
            None if state.permits >= slots && state.send_waiters.is_empty() => {
                if !coop::try_spend() {
                    // Nothing taken: the slots are taken at the task's next turn.
                    drop(state);
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                state.permits -= slots;
                true
            }
            None => {
                *waiter = Some(state.queue_sender(cx.waker(), slots));
                false
            }
            Some(key) if state.send_waiters.is_notified(key) => {
                // The slot was reserved for us when it was freed.
                *waiter = None;
                old = state.send_waiters.remove(key).waker;
                true
            }
            Some(key) => {
                old = state.send_waiters.set_waker(key, cx.waker());
                false
            }
        };
        if !has_slot {
            drop(state);
            drop(old);
            return Poll::Pending;
        }
        let rx = use_slot(&mut state);
        drop(state);
        drop(old);
        wake(rx);
        Poll::Ready(Ok(()))
    }

    /// Queues `value` in the slot this sender holds. After the receiver's `close()` it is
    /// still queued, for the receiver to read before it sees the end; if the receiver was
    /// dropped, it is dropped.
    pub(super) fn send_reserved(&self, value: C::Item) {
        let mut state = self.shared.lock();
        if state.rx_dropped {
            let next = state.release_slot();
            drop(state);
            wake(next);
            drop(value);
            return;
        }
        let rx = state.push(value);
        drop(state);
        wake(rx);
    }

    /// Gives back the slot this sender holds, unused: to the oldest waiting sender, if any.
    pub(super) fn release_reserved(&self) {
        let next = self.shared.lock().release_slot();
        wake(next);
    }

    /// A pending `Send` (or reserve) future was dropped: forget its entry and, if its
    /// slots had already been granted, pass them on. If it was the oldest waiter,
    /// gathering slots, the next ones may now be served from those.
    pub(super) fn cancel_send(&self, key: usize) {
        let mut state = self.shared.lock();
        let wants = state.wants[key];
        let removed = state.send_waiters.remove(key);
        let mut next = if removed.notified {
            state.release_slots(wants)
        } else {
            Vec::new()
        };
        if state.permits > 0 {
            while let Some(waker) = state.grant_oldest() {
                next.push(waker);
            }
        }
        drop(state);
        drop(removed.waker);
        next.into_iter().for_each(Waker::wake);
    }

    #[cfg(test)]
    pub(super) fn waiter_slots(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (
            state.send_waiters.slot_count(),
            state.closed_waiters.slot_count(),
        )
    }
}

impl<C: StateCell> Clone for Tx<C> {
    fn clone(&self) -> Self {
        self.shared.lock().tx_count += 1;
        Tx {
            shared: self.shared.share(),
        }
    }
}

impl<C: StateCell> Drop for Tx<C> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.tx_count -= 1;
        if state.tx_count == 0 {
            let rx = state.rx_waker.take();
            drop(state);
            wake(rx);
        }
    }
}

/// A sender handle that does not count towards `tx_count` and does not keep the state
/// alive.
pub(super) struct WeakTx<C: StateCell> {
    shared: C::Weak,
}

impl<C: StateCell> WeakTx<C> {
    /// A `Tx`, while one is still alive; `None` once `tx_count` fell to 0, for good.
    pub(super) fn upgrade(&self) -> Option<Tx<C>> {
        let shared = C::upgrade(&self.shared)?;
        let mut state = shared.lock();
        if state.tx_count == 0 {
            // The receiver saw, or will see, the end: a new sender would contradict it.
            return None;
        }
        state.tx_count += 1;
        drop(state);
        Some(Tx { shared })
    }

    /// Live `Tx`s: 0 once the last one is gone.
    pub(super) fn strong_count(&self) -> usize {
        C::upgrade(&self.shared).map_or(0, |shared| shared.lock().tx_count)
    }

    /// Live `WeakTx`s, this one included; 0 once the state is freed (the receiver and every
    /// `Tx` dropped), as `Weak::weak_count` then says.
    pub(super) fn weak_count(&self) -> usize {
        C::upgrade(&self.shared).map_or(0, |shared| shared.weak_count())
    }
}

impl<C: StateCell> Clone for WeakTx<C> {
    fn clone(&self) -> Self {
        WeakTx {
            shared: self.shared.clone(),
        }
    }
}

/// The receiver handle.
pub(super) struct Rx<C: StateCell> {
    shared: C,
}

impl<C: StateCell> Rx<C> {
    /// Waits for a message: `Ready(Some(state))` once one is queued; `Ready(None)` once
    /// none can come, each with a unit of coop budget spent; `Pending`, the task woken
    /// later, otherwise. What `recv` and `recv_many` share.
    #[inline]
    fn poll_queued(&mut self, cx: &mut Context<'_>) -> Poll<Option<C::Guard<'_>>> {
        let mut state = self.shared.lock();
        let queued = !state.queue.is_empty();
        if queued || state.is_finished() {
            // A receive that ends spends a unit too, as in tokio: a loop that keeps
            // receiving from a closed channel still yields.
            if !coop::try_spend() {
                // The messages stay queued for the task's next turn.
                drop(state);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            return Poll::Ready(queued.then_some(state));
        }
        let old = update_waker(&mut state.rx_waker, cx.waker());
        drop(state);
        drop(old);
        Poll::Pending
    }

    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<C::Item>> {
        let Some(mut state) = ready!(self.poll_queued(cx)) else {
            return Poll::Ready(None);
        };
        let value = state.queue.pop_front();
        state.trim();
        let next = state.release_slot();
        drop(state);
        wake(next);
        Poll::Ready(value)
    }

    /// The body of `recv_many`: moves up to `limit` queued messages to `buffer` at once,
    /// for one unit of coop budget. `Ready(0)` only for a `limit` of 0, or once the
    /// channel is closed and drained.
    pub(super) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<C::Item>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let Some(mut state) = ready!(self.poll_queued(cx)) else {
            return Poll::Ready(0);
        };
        let count = limit.min(state.queue.len());
        buffer.reserve(count);
        let mut senders = Vec::new();
        for value in state.queue.drain(..count) {
            buffer.push(value);
        }
        state.trim();
        for _ in 0..count {
            senders.extend(state.release_slot());
        }
        drop(state);
        senders.into_iter().for_each(Waker::wake);
        Poll::Ready(count)
    }

    pub(super) fn try_recv(&mut self) -> Result<C::Item, TryRecvError> {
        let mut state = self.shared.lock();
        if let Some(value) = state.queue.pop_front() {
            state.trim();
            let next = state.release_slot();
            drop(state);
            wake(next);
            return Ok(value);
        }
        if state.is_finished() {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    pub(super) fn close(&mut self) {
        let wakers = self.shared.lock().close();
        wakers.into_iter().for_each(Waker::wake);
    }

    pub(super) fn len(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Closed by the receiver, or every sender is gone; messages may still be queued.
    pub(super) fn is_closed(&self) -> bool {
        let state = self.shared.lock();
        state.rx_closed || state.tx_count == 0
    }

    /// Live `Tx`s.
    pub(super) fn sender_strong_count(&self) -> usize {
        self.shared.lock().tx_count
    }

    /// Live `WeakTx`s.
    pub(super) fn sender_weak_count(&self) -> usize {
        self.shared.weak_count()
    }

    /// Free slots right now (bounded only), not counting those gathered for the oldest
    /// waiting sender: what `try_reserve` could take.
    pub(super) fn capacity(&self) -> usize {
        self.shared.lock().free_slots()
    }

    pub(super) fn max_capacity(&self) -> usize {
        self.shared.lock().max_capacity.unwrap_or(usize::MAX)
    }

    /// How many messages the queue has room for without growing.
    #[cfg(test)]
    pub(super) fn queue_capacity(&self) -> usize {
        self.shared.lock().queue.capacity()
    }

    /// Whether a receive would not wait: a message is queued, or nothing more can come.
    pub(super) fn is_ready(&self) -> bool {
        let state = self.shared.lock();
        !state.queue.is_empty() || state.is_finished()
    }
}

impl<C: StateCell> Drop for Rx<C> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let wakers = state.close();
        state.rx_dropped = true;
        let queue = std::mem::take(&mut state.queue);
        if state.max_capacity.is_some() {
            state.permits += queue.len();
        }
        let own = state.rx_waker.take();
        drop(state);
        wakers.into_iter().for_each(Waker::wake);
        drop(own);
        drop(queue);
    }
}
