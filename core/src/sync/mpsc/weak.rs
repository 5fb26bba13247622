//! Weak senders, [`WeakSender`] and [`WeakUnboundedSender`]: handles that can become a
//! sender again but do not keep the channel open.

use std::fmt;

use super::{Sender, UnboundedSender};
use crate::sync::chan::{Local, WeakTx};

/// A handle to a bounded [`channel`](super::channel) that does not count as a sender: the
/// receiver sees the end once every [`Sender`] is dropped, whatever `WeakSender`s remain.
/// [`upgrade`](WeakSender::upgrade) gives a `Sender` while one is still alive. Made by
/// [`Sender::downgrade`].
///
/// It suits a task that must be able to send but must not keep the receiver waiting
/// forever, such as the receiver's own task, or a registry of the channels still in use.
/// It keeps no value alive: once the last `Sender` and the `Receiver` are dropped, the
/// channel and what was queued in it are freed.
///
/// # Examples
///
/// ```
/// use mirage::sync::mpsc::{self, error::TryRecvError};
///
/// let (tx, mut rx) = mpsc::channel(4);
/// let weak = tx.downgrade();
/// weak.upgrade().unwrap().try_send("through a weak handle").unwrap();
/// assert_eq!(rx.try_recv(), Ok("through a weak handle"));
/// drop(tx);
/// assert!(weak.upgrade().is_none(), "the last sender is gone");
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
pub struct WeakSender<T> {
    tx: WeakTx<Local<T>>,
}

impl<T> WeakSender<T> {
    pub(super) fn new(tx: WeakTx<Local<T>>) -> WeakSender<T> {
        WeakSender { tx }
    }

    /// A [`Sender`] for the channel, if a `Sender` is still alive; `None` once the last one
    /// was dropped (the channel is then closed for good).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// let strong = weak.upgrade().unwrap();
    /// assert!(strong.same_channel(&tx));
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        self.tx.upgrade().map(Sender::new)
    }

    /// How many [`Sender`]s are alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.strong_count(), 1);
    /// drop(tx);
    /// assert_eq!(weak.strong_count(), 0);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// How many `WeakSender`s are alive, this one included; 0 once the channel is freed
    /// (its `Receiver` and every `Sender` dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// let other = weak.clone();
    /// assert_eq!(weak.weak_count(), 2);
    /// drop(other);
    /// assert_eq!(weak.weak_count(), 1);
    /// drop((tx, rx));
    /// assert_eq!(weak.weak_count(), 0);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender")
            .field("strong_count", &self.strong_count())
            .field("weak_count", &self.weak_count())
            .finish()
    }
}

/// A handle to an [`unbounded`](fn@super::unbounded) channel that does not count as a
/// sender, as [`WeakSender`] is for a bounded one: the receiver sees the end once every
/// [`UnboundedSender`] is dropped, and [`upgrade`](WeakUnboundedSender::upgrade) gives an
/// `UnboundedSender` while one is still alive. Made by [`UnboundedSender::downgrade`]. It
/// keeps no value alive.
///
/// # Examples
///
/// ```
/// use mirage::sync::mpsc::{self, error::TryRecvError};
///
/// let (tx, mut rx) = mpsc::unbounded();
/// let weak = tx.downgrade();
/// weak.upgrade().unwrap().send(1).unwrap();
/// drop(tx);
/// assert_eq!(rx.try_recv(), Ok(1));
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakUnboundedSender<T> {
    tx: WeakTx<Local<T>>,
}

impl<T> WeakUnboundedSender<T> {
    pub(super) fn new(tx: WeakTx<Local<T>>) -> WeakUnboundedSender<T> {
        WeakUnboundedSender { tx }
    }

    /// An [`UnboundedSender`] for the channel, if one is still alive; `None` once the last
    /// one was dropped (the channel is then closed for good).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::unbounded::<u8>();
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().unwrap().same_channel(&tx));
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.tx.upgrade().map(UnboundedSender::new)
    }

    /// How many [`UnboundedSender`]s are alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::unbounded::<u8>();
    /// let weak = tx.downgrade();
    /// let other = tx.clone();
    /// assert_eq!(weak.strong_count(), 2);
    /// drop((tx, other));
    /// assert_eq!(weak.strong_count(), 0);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// How many `WeakUnboundedSender`s are alive, this one included; 0 once the channel is
    /// freed (its receiver and every sender dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::unbounded::<u8>();
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.clone().weak_count(), 2);
    /// assert_eq!(weak.weak_count(), 1);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender")
            .field("strong_count", &self.strong_count())
            .field("weak_count", &self.weak_count())
            .finish()
    }
}

#[cfg(test)]
mod tests;
