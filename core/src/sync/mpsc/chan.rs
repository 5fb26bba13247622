//! State shared by the bounded and unbounded channels, and the futures both
//! flavours return ([`Recv`], [`Closed`]).
//!
//! # Invariants
//!
//! - Bounded: `queue.len() + permits + granted == max_capacity`, where
//!   `granted` counts send waiters popped from `send_waiters` (handed a slot)
//!   that have not yet pushed their value or given the slot back.
//! - Bounded: `permits > 0` implies `send_waiters` is empty. A freed slot goes
//!   to the oldest waiter first; `permits` only grows when nobody waits. This
//!   is what makes waiting senders FIFO: nobody can take a slot ahead of them.
//! - Once `rx_closed` is set, nothing is pushed to either wait list again.
//!
//! # Re-entrancy
//!
//! Waking a waker, dropping a waker or dropping a message may run arbitrary
//! code, including code that uses this channel. All of that is done only
//! after the `RefCell` borrow is released: methods collect wakers and values
//! under the borrow, drop the borrow, then wake or drop.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::error::{SendError, TryRecvError, TrySendError};
use crate::coop;
use crate::sync::wait_list::{update_waker, WaitList};

type Shared<T> = Rc<RefCell<State<T>>>;

struct State<T> {
    queue: VecDeque<T>,
    /// Task waiting in `recv`.
    rx_waker: Option<Waker>,
    /// The receiver was closed or dropped.
    rx_closed: bool,
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
}

impl<T> State<T> {
    /// Gives a slot back: to the oldest waiting sender if there is one (whose
    /// waker is returned, to be woken by the caller), else to `permits`.
    fn release_slot(&mut self) -> Option<Waker> {
        self.max_capacity?;
        debug_assert!(self.permits == 0 || self.send_waiters.is_empty());
        let next = self.send_waiters.pop_front();
        if next.is_none() {
            self.permits += 1;
        }
        next
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
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Creates the two ends of a channel; `capacity: None` means unbounded.
pub(super) fn channel<T>(capacity: Option<usize>) -> (Tx<T>, Rx<T>) {
    let shared = Rc::new(RefCell::new(State {
        queue: VecDeque::new(),
        rx_waker: None,
        rx_closed: false,
        tx_count: 1,
        closed_waiters: WaitList::new(),
        max_capacity: capacity,
        permits: capacity.unwrap_or(0),
        send_waiters: WaitList::new(),
    }));
    (
        Tx {
            shared: shared.clone(),
        },
        Rx { shared },
    )
}

/// One sender handle; counts towards `tx_count`.
pub(super) struct Tx<T> {
    shared: Shared<T>,
}

impl<T> Tx<T> {
    pub(super) fn is_closed(&self) -> bool {
        self.shared.borrow().rx_closed
    }

    pub(super) fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }

    /// Free slots right now (bounded only).
    pub(super) fn capacity(&self) -> usize {
        self.shared.borrow().permits
    }

    pub(super) fn max_capacity(&self) -> usize {
        self.shared.borrow().max_capacity.unwrap_or(usize::MAX)
    }

    pub(super) fn closed(&self) -> Closed<'_, T> {
        Closed {
            tx: self,
            waiter: None,
        }
    }

    /// Unbounded send: never waits.
    pub(super) fn send_unbounded(&self, value: T) -> Result<(), SendError<T>> {
        let mut state = self.shared.borrow_mut();
        if state.rx_closed {
            return Err(SendError(value));
        }
        let rx = state.push(value);
        drop(state);
        wake(rx);
        Ok(())
    }

    /// Bounded send without waiting.
    pub(super) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut state = self.shared.borrow_mut();
        if state.rx_closed {
            return Err(TrySendError::Closed(value));
        }
        if state.permits == 0 {
            return Err(TrySendError::Full(value));
        }
        debug_assert!(
            state.send_waiters.is_empty(),
            "free slot while senders wait"
        );
        state.permits -= 1;
        let rx = state.push(value);
        drop(state);
        wake(rx);
        Ok(())
    }

    /// The body of the bounded `Send` future. `waiter` is the future's entry
    /// in `send_waiters`, `value` the message not yet sent.
    pub(super) fn poll_send(
        &self,
        waiter: &mut Option<usize>,
        value: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<T>>> {
        assert!(value.is_some(), "mpsc::Send polled after completion");
        let mut state = self.shared.borrow_mut();
        if state.rx_closed {
            let (next, old) = match waiter.take() {
                Some(key) => {
                    let removed = state.send_waiters.remove(key);
                    let next = if removed.notified {
                        state.release_slot()
                    } else {
                        None
                    };
                    (next, removed.waker)
                }
                None => (None, None),
            };
            drop(state);
            drop(old);
            wake(next);
            return Poll::Ready(Err(SendError(value.take().unwrap())));
        }
        let mut old = None;
        let has_slot = match *waiter {
            None if state.permits > 0 => {
                if !coop::try_spend() {
                    // Nothing taken: the value is sent at the task's next turn.
                    drop(state);
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                state.permits -= 1;
                true
            }
            None => {
                *waiter = Some(state.send_waiters.push_back(cx.waker().clone()));
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
        let rx = state.push(value.take().unwrap());
        drop(state);
        drop(old);
        wake(rx);
        Poll::Ready(Ok(()))
    }

    /// A pending `Send` future was dropped: forget its entry and, if a slot
    /// had already been reserved for it, pass the slot on.
    pub(super) fn cancel_send(&self, key: usize) {
        let mut state = self.shared.borrow_mut();
        let removed = state.send_waiters.remove(key);
        let next = if removed.notified {
            state.release_slot()
        } else {
            None
        };
        drop(state);
        drop(removed.waker);
        wake(next);
    }

    #[cfg(test)]
    pub(super) fn waiter_slots(&self) -> (usize, usize) {
        let state = self.shared.borrow();
        (
            state.send_waiters.slot_count(),
            state.closed_waiters.slot_count(),
        )
    }
}

impl<T> Clone for Tx<T> {
    fn clone(&self) -> Self {
        self.shared.borrow_mut().tx_count += 1;
        Tx {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Tx<T> {
    fn drop(&mut self) {
        let mut state = self.shared.borrow_mut();
        state.tx_count -= 1;
        if state.tx_count == 0 {
            let rx = state.rx_waker.take();
            drop(state);
            wake(rx);
        }
    }
}

/// The receiver handle.
pub(super) struct Rx<T> {
    shared: Shared<T>,
}

impl<T> Rx<T> {
    pub(super) fn recv(&mut self) -> Recv<'_, T> {
        Recv { rx: self }
    }

    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.shared.borrow_mut();
        if !state.queue.is_empty() {
            if !coop::try_spend() {
                // The value stays queued for the task's next turn.
                drop(state);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let value = state.queue.pop_front();
            let next = state.release_slot();
            drop(state);
            wake(next);
            return Poll::Ready(value);
        }
        if state.rx_closed || state.tx_count == 0 {
            return Poll::Ready(None);
        }
        let old = update_waker(&mut state.rx_waker, cx.waker());
        drop(state);
        drop(old);
        Poll::Pending
    }

    pub(super) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.shared.borrow_mut();
        if let Some(value) = state.queue.pop_front() {
            let next = state.release_slot();
            drop(state);
            wake(next);
            return Ok(value);
        }
        if state.rx_closed || state.tx_count == 0 {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    pub(super) fn close(&mut self) {
        let wakers = self.shared.borrow_mut().close();
        wakers.into_iter().for_each(Waker::wake);
    }

    pub(super) fn len(&self) -> usize {
        self.shared.borrow().queue.len()
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        let mut state = self.shared.borrow_mut();
        let wakers = state.close();
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

/// Future returned by `recv` on [`Receiver`](super::Receiver) and
/// [`UnboundedReceiver`](super::UnboundedReceiver).
///
/// Resolves to the next message, or `None` once the channel is closed (every
/// sender dropped, or the receiver closed) and drained. Cancel-safe: dropping
/// it before completion loses no message.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = mirage::sync::mpsc::unbounded();
///     tx.send(1).unwrap();
///     let recv: mirage::sync::mpsc::Recv<'_, u8> = rx.recv();
///     assert_eq!(recv.await, Some(1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    rx: &'a mut Rx<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

/// Future returned by `closed` on [`Sender`](super::Sender) and
/// [`UnboundedSender`](super::UnboundedSender); completes once the receiver
/// is dropped or closed. Every waiting task is woken.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = mirage::sync::mpsc::channel::<u8>(1);
///     let closed: mirage::sync::mpsc::Closed<'_, u8> = tx.closed();
///     drop(rx);
///     closed.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Closed<'a, T> {
    tx: &'a Tx<T>,
    /// Entry in `closed_waiters` while pending.
    waiter: Option<usize>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut state = this.tx.shared.borrow_mut();
        if state.rx_closed {
            let old = this
                .waiter
                .take()
                .and_then(|key| state.closed_waiters.remove(key).waker);
            drop(state);
            drop(old);
            return Poll::Ready(());
        }
        let old = match this.waiter {
            Some(key) => state.closed_waiters.set_waker(key, cx.waker()),
            None => {
                this.waiter = Some(state.closed_waiters.push_back(cx.waker().clone()));
                None
            }
        };
        drop(state);
        drop(old);
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            let removed = self.tx.shared.borrow_mut().closed_waiters.remove(key);
            drop(removed.waker);
        }
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}
