//! `WeakSender`: a sender, movable to any thread, that does not keep the channel open.

use std::fmt;
use std::sync::{Arc, Weak};

use super::{Sender, Shared, StateMutex};
use crate::sync::broadcast::state::{Lock, State};

/// A handle to a cross-thread [`broadcast`](super) channel that does not count as a sender:
/// the receivers see the channel close once every [`Sender`] is dropped, whatever
/// `WeakSender`s remain. [`upgrade`](WeakSender::upgrade), on any thread, gives a `Sender`
/// while one is still alive. Made by [`Sender::downgrade`]; `Send + Sync` when `T` is
/// `Send`. It keeps no value alive: once the last `Sender` and `Receiver` are dropped, the
/// channel is freed.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::broadcast::{self, error::TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel(4);
/// let weak = tx.downgrade();
/// std::thread::spawn(move || {
///     if let Some(tx) = weak.upgrade() {
///         tx.send("through a weak handle").unwrap();
///     }
/// })
/// .join()
/// .unwrap();
/// assert_eq!(rx.try_recv(), Ok("through a weak handle"));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
pub struct WeakSender<T> {
    shared: Weak<StateMutex<T>>,
}

impl<T> WeakSender<T> {
    pub(super) fn new(shared: &Shared<T>) -> WeakSender<T> {
        WeakSender {
            shared: Arc::downgrade(shared),
        }
    }

    /// A [`Sender`] for the channel, if a `Sender` is still alive; `None` once the last
    /// one was dropped (the channel is then closed for good).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// let strong = weak.upgrade().unwrap();
    /// assert!(strong.same_channel(&tx));
    /// assert_eq!(tx.strong_count(), 2);
    /// drop((tx, strong));
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let shared = self.shared.upgrade()?;
        if !shared.with(State::upgrade) {
            return None;
        }
        Some(Sender::from_shared(shared))
    }

    /// How many [`Sender`]s are alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.strong_count(), 1);
    /// std::thread::spawn(move || drop(tx)).join().unwrap();
    /// assert_eq!(weak.strong_count(), 0);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.shared
            .upgrade()
            .map_or(0, |shared| shared.with(|state| state.senders()))
    }

    /// How many `WeakSender`s the channel has, this one included; 0 once the channel is
    /// freed (every `Sender` and `Receiver` dropped), as `std::sync::Weak` counts.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// let _other = weak.clone();
    /// assert_eq!(weak.weak_count(), 2);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.shared.weak_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            shared: Weak::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::broadcast::WeakSender")
            .field("senders", &self.strong_count())
            .finish()
    }
}
