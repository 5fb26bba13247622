//! `WeakSender`: a sender that does not keep the channel open.

use std::fmt;
use std::rc::{Rc, Weak};

use super::state::{Lock, State};
use super::{Sender, StateCell};

/// A handle to a [`broadcast`](super) channel that does not count as a sender: the
/// receivers see the channel close once every [`Sender`] is dropped, whatever `WeakSender`s
/// remain. [`upgrade`](WeakSender::upgrade) gives a `Sender` while one is still alive. Made
/// by [`Sender::downgrade`].
///
/// It suits a task that must be able to send but must not keep its own receivers waiting
/// forever, such as a receiver's task that sometimes publishes too. It keeps no value
/// alive: once the last `Sender` and `Receiver` are dropped, the channel is freed.
///
/// # Examples
///
/// ```
/// use mirage::sync::broadcast::{self, error::TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel(4);
/// let weak = tx.downgrade();
/// weak.upgrade().unwrap().send("through a weak handle").unwrap();
/// assert_eq!(rx.try_recv(), Ok("through a weak handle"));
/// drop(tx);
/// assert!(weak.upgrade().is_none(), "the last sender is gone");
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
pub struct WeakSender<T> {
    shared: Weak<StateCell<T>>,
}

impl<T> WeakSender<T> {
    pub(super) fn new(shared: &Rc<StateCell<T>>) -> WeakSender<T> {
        WeakSender {
            shared: Rc::downgrade(shared),
        }
    }

    /// A [`Sender`] for the channel, if a `Sender` is still alive; `None` once the last
    /// one was dropped (the channel is then closed for good).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// let strong = weak.upgrade().unwrap();
    /// assert!(strong.same_channel(&tx));
    /// assert_eq!(tx.strong_count(), 2);
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
    /// let (tx, _rx) = mirage::sync::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.strong_count(), 1);
    /// drop(tx);
    /// assert_eq!(weak.strong_count(), 0);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.shared
            .upgrade()
            .map_or(0, |shared| shared.with(|state| state.senders()))
    }

    /// How many `WeakSender`s the channel has, this one included; 0 once the channel is
    /// freed (every `Sender` and `Receiver` dropped), as `std::rc::Weak` counts.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::broadcast::channel::<u8>(1);
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
        f.debug_struct("WeakSender")
            .field("senders", &self.strong_count())
            .finish()
    }
}
