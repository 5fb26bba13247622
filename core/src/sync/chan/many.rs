//! Reserving several slots of a bounded channel at once (`reserve_many`): the sender
//! waits in line as for one slot, and is handed all of them together (see the
//! invariants in the parent module).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::{StateCell, Tx};
use crate::sync::mpsc::error::{SendError, TrySendError};

impl<C: StateCell> Tx<C> {
    /// The body of `reserve_many`: waits in line for `slots` slots, which the caller
    /// then holds, each to be used by [`send_reserved`](Tx::send_reserved) or given back
    /// by [`release_reserved`](Tx::release_reserved). Fails at once for more slots than
    /// the channel has, and once the receiver is closed (unless granted before).
    pub(in crate::sync) fn poll_reserve_many(
        &self,
        waiter: &mut Option<usize>,
        slots: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<()>>> {
        if slots > self.max_capacity() {
            return Poll::Ready(Err(SendError(())));
        }
        if slots == 0 {
            return Poll::Ready(if self.is_closed() {
                Err(SendError(()))
            } else {
                Ok(())
            });
        }
        self.poll_slot(waiter, slots, cx, |_| None)
    }

    /// Takes `slots` free slots at once, without waiting: `Full` if fewer are free (or
    /// senders wait in line, or the channel has fewer), `Closed` once the receiver is.
    pub(in crate::sync) fn try_reserve_many(&self, slots: usize) -> Result<(), TrySendError<()>> {
        let mut state = self.shared.lock();
        if state.rx_closed {
            return Err(TrySendError::Closed(()));
        }
        let max = state.max_capacity.unwrap_or(usize::MAX);
        if slots > 0 && (slots > max || state.permits < slots || !state.send_waiters.is_empty()) {
            return Err(TrySendError::Full(()));
        }
        state.permits -= slots;
        Ok(())
    }

    /// Gives back `slots` reserved slots unused, to the senders in line first.
    pub(in crate::sync) fn release_reserved_many(&self, slots: usize) {
        let next = self.shared.lock().release_slots(slots);
        next.into_iter().for_each(Waker::wake);
    }
}

/// The wait of a `reserve_many`: its sender's place in line, left when dropped (passing on
/// the slots if they were granted and not yet taken).
pub(in crate::sync) struct ReserveSlots<'a, C: StateCell> {
    tx: &'a Tx<C>,
    slots: usize,
    /// Entry in the channel's send-waiter list while waiting.
    waiter: Option<usize>,
}

impl<'a, C: StateCell> ReserveSlots<'a, C> {
    pub(in crate::sync) fn new(tx: &'a Tx<C>, slots: usize) -> ReserveSlots<'a, C> {
        ReserveSlots {
            tx,
            slots,
            waiter: None,
        }
    }
}

impl<C: StateCell> Future for ReserveSlots<'_, C> {
    type Output = Result<(), SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.tx.poll_reserve_many(&mut this.waiter, this.slots, cx)
    }
}

impl<C: StateCell> Drop for ReserveSlots<'_, C> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            self.tx.cancel_send(key);
        }
    }
}
