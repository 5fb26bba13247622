//! `Sender`: sends a value to every receiver.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::state::{self, Lock, State};
use super::{Receiver, Shared, WeakSender};
use crate::sync::SendError;

/// The sending half of a [`broadcast`](super) channel; clone it for more senders.
///
/// # Examples
///
/// ```
/// use mirage::sync::broadcast;
///
/// let (tx, mut rx) = broadcast::channel(4);
/// let other = tx.clone();
/// tx.send("one").unwrap();
/// other.send("two").unwrap();
/// assert_eq!(rx.try_recv(), Ok("one"));
/// assert_eq!(rx.try_recv(), Ok("two"));
/// ```
pub struct Sender<T> {
    pub(super) shared: Shared<T>,
}

impl<T> Sender<T> {
    /// A sender of a new channel of `capacity` values, with no receiver yet:
    /// [`subscribe`](Sender::subscribe) makes them, and each receives the values sent
    /// after it subscribed. Until then, [`send`](Sender::send) fails. The same as
    /// `broadcast::channel(capacity).0`.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or above `usize::MAX / 2`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::broadcast::Sender;
    ///
    /// let tx = Sender::new(16);
    /// assert!(tx.send("lost").is_err(), "no receiver yet");
    /// let mut rx = tx.subscribe();
    /// tx.send("heard").unwrap();
    /// assert_eq!(rx.try_recv(), Ok("heard"));
    /// ```
    pub fn new(capacity: usize) -> Sender<T> {
        super::channel(capacity).0
    }

    pub(super) fn from_shared(shared: Shared<T>) -> Sender<T> {
        Sender { shared }
    }

    /// Sends `value` to every receiver subscribed now, and returns how many there are.
    /// Never waits: when the channel is full, the oldest value is overwritten, and the
    /// receivers that had not read it will learn they lagged.
    ///
    /// Fails, handing `value` back, if there is no receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::broadcast;
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// let _other = tx.subscribe();
    /// assert_eq!(tx.send(1), Ok(2));
    /// drop((rx, _other));
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        state::send(&*self.shared, value)
    }

    /// A new receiver, which sees the values sent from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, _rx) = broadcast::channel(4);
    /// tx.send("before").unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send("after").unwrap();
    /// assert_eq!(late.try_recv(), Ok("after"));
    /// assert_eq!(late.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        subscribe(&self.shared)
    }

    /// How many receivers there are.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::broadcast::channel::<u8>(1);
    /// let other = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop((rx, other));
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.with(|state| state.receivers())
    }

    /// How many values the channel holds: those some receiver has yet to read.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// rx.try_recv().unwrap(); // its only reader has read 1: it is gone
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.with(|state| state.len())
    }

    /// Whether every value sent has been read by every receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::broadcast::channel(4);
    /// assert!(tx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `other` sends on the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::broadcast;
    ///
    /// let (tx, _rx) = broadcast::channel::<u8>(1);
    /// let (other, _other_rx) = broadcast::channel::<u8>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }

    /// A [`WeakSender`] for this channel: it can send through
    /// [`upgrade`](WeakSender::upgrade), but does not keep the channel open.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
    /// # drop(weak);
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender::new(&self.shared)
    }

    /// How many `Sender`s the channel has, this one included.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::broadcast::channel::<u8>(1);
    /// let _other = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.shared.with(|state| state.senders())
    }

    /// How many [`WeakSender`]s the channel has.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(tx.weak_count(), 0);
    /// ```
    pub fn weak_count(&self) -> usize {
        Rc::weak_count(&self.shared)
    }

    /// Completes once there is no receiver left: every one dropped. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, rx) = mirage::sync::broadcast::channel::<u8>(1);
    ///     mirage::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert_eq!(tx.receiver_count(), 0);
    /// });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed {
            shared: &self.shared,
            key: None,
        }
    }
}

/// A receiver at the tail: it sees the values sent from now on.
pub(super) fn subscribe<T>(shared: &Shared<T>) -> Receiver<T> {
    let next = shared.with(State::subscribe);
    Receiver::new(Rc::clone(shared), next)
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.with(State::clone_sender);
        Sender {
            shared: Rc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // The last sender wakes the receivers waiting for a value: there will be none.
        state::drop_sender(&*self.shared);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (len, capacity, receivers) = self
            .shared
            .with(|state| (state.len(), state.capacity(), state.receivers()));
        f.debug_struct("Sender")
            .field("len", &len)
            .field("capacity", &capacity)
            .field("receivers", &receivers)
            .finish()
    }
}

/// Future returned by [`Sender::closed`].
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = mirage::sync::broadcast::channel::<u8>(1);
///     let closed: mirage::sync::broadcast::Closed<'_, u8> = tx.closed();
///     drop(rx);
///     closed.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Closed<'a, T> {
    shared: &'a Shared<T>,
    /// The future's entry in `closed_waiters` while it waits.
    key: Option<usize>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        state::poll_closed(&**this.shared, &mut this.key, cx)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        state::leave_closed(&**self.shared, &mut self.key);
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
