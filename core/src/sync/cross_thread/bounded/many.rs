//! [`Sender::reserve_many`], [`Sender::try_reserve_many`] and the [`PermitIterator`] they
//! return: several slots of a bounded channel, taken at once.

use std::fmt;
use std::iter::FusedIterator;

use super::{Permit, Sender};
use crate::sync::SendError;
use crate::sync::chan::{ReserveSlots, Synced, Tx};
use crate::sync::mpsc::error::TrySendError;

impl<T> Sender<T> {
    /// Waits for `n` free slots and takes them all at once, as a [`PermitIterator`] of
    /// `n` [`Permit`]s, as the single-Core
    /// [`mpsc::Sender::reserve_many`](crate::sync::mpsc::Sender::reserve_many) does: the
    /// sender waits in line with those of every thread, and takes its `n` slots together
    /// when its turn comes.
    ///
    /// # Errors
    ///
    /// `SendError(())` if the receiver is dropped or closed first, or at once if `n` is
    /// more than the channel's [`max_capacity`](Sender::max_capacity), as in tokio.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: dropped while it waits, it takes nothing, and slots already handed to
    /// it pass to the next sender in line.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::cross_thread::channel(4);
    ///     let permits = tx.reserve_many(3).await.unwrap();
    ///     assert_eq!(tx.capacity(), 1);
    ///     for (n, permit) in permits.enumerate() {
    ///         permit.send(n);
    ///     }
    ///     assert_eq!(rx.recv().await, Some(0));
    ///     assert!(tx.reserve_many(5).await.is_err(), "more than the channel holds");
    /// });
    /// ```
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        ReserveSlots::new(&self.tx, n).await?;
        Ok(PermitIterator::new(&self.tx, n))
    }

    /// Takes `n` free slots at once, without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if fewer than `n` slots are free, if senders wait in line
    /// for slots, or if `n` is more than the channel's
    /// [`max_capacity`](Sender::max_capacity) (as in tokio); [`TrySendError::Closed`] if
    /// the receiver was dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(2);
    /// let mut permits = tx.try_reserve_many(2).unwrap();
    /// assert!(tx.try_reserve_many(1).unwrap_err().is_full());
    /// permits.next().unwrap().send("one");
    /// drop(permits); // the unused slot is free again
    /// assert_eq!(tx.capacity(), 1);
    /// assert_eq!(rx.try_recv(), Ok("one"));
    /// ```
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        self.tx.try_reserve_many(n)?;
        Ok(PermitIterator::new(&self.tx, n))
    }
}

/// Slots of a bounded channel taken together by [`Sender::reserve_many`] or
/// [`Sender::try_reserve_many`]: an iterator of one [`Permit`] per slot. The slots not
/// yet taken out as permits are given back when it is dropped.
///
/// # Examples
///
/// ```
/// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(3);
/// let mut permits: mirage::sync::cross_thread::PermitIterator<'_, u8> = tx.try_reserve_many(3).unwrap();
/// assert_eq!(permits.len(), 3);
/// let first = permits.next().unwrap();
/// drop(permits); // gives back the two left
/// assert_eq!(tx.capacity(), 2);
/// first.send(1);
/// ```
#[must_use = "dropping the iterator gives its slots back unused"]
pub struct PermitIterator<'a, T> {
    tx: &'a Tx<Synced<T>>,
    /// Slots held and not yet handed out as permits.
    left: usize,
}

impl<'a, T> PermitIterator<'a, T> {
    fn new(tx: &'a Tx<Synced<T>>, left: usize) -> PermitIterator<'a, T> {
        PermitIterator { tx, left }
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(Permit::new(self.tx))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.left > 0 {
            self.tx.release_reserved_many(self.left);
        }
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}
