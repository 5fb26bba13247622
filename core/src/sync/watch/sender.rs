//! `Sender`: replaces the watched value and wakes the receivers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::state::{self, Lock, State};
use super::{Receiver, Ref, Shared};
use crate::sync::SendError;

/// The sending half of a [`watch`](super) channel. Clone it to send from several tasks;
/// dropping the last clone makes the receivers' [`changed`](Receiver::changed) fail once
/// they have seen its last value.
///
/// # Examples
///
/// ```
/// use mirage::sync::watch;
///
/// let (tx, rx) = watch::channel(0);
/// tx.send_modify(|n| *n += 1);
/// assert_eq!(*rx.borrow(), 1);
/// ```
pub struct Sender<T> {
    pub(super) shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender of a new channel holding `init`, with no receiver yet:
    /// [`subscribe`](Sender::subscribe) makes them. Until then, [`send`](Sender::send)
    /// fails; [`send_replace`](Sender::send_replace) and the other `send_*` methods still
    /// replace the value. The same as `watch::channel(init).0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch::Sender;
    ///
    /// let tx = Sender::new("starting");
    /// assert!(tx.is_closed());
    /// let rx = tx.subscribe();
    /// assert_eq!(*rx.borrow(), "starting");
    /// tx.send("running").unwrap();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn new(init: T) -> Sender<T> {
        super::channel(init).0
    }

    pub(super) fn from_shared(shared: Rc<Shared<T>>) -> Sender<T> {
        Sender { shared }
    }

    /// Replaces the value and notifies the receivers, or, if every receiver is gone, hands
    /// `value` back in [`SendError`] and leaves the value as it was.
    ///
    /// # Panics
    ///
    /// If a [`Ref`] to the value is held.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(1);
    /// assert!(tx.send(2).is_ok());
    /// drop(rx);
    /// assert_eq!(tx.send(3).unwrap_err().into_inner(), 3);
    /// assert_eq!(*tx.borrow(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.is_closed() {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value and notifies the receivers, whether or not there are any;
    /// returns the old value. A receiver [subscribed](Sender::subscribe) later sees the new
    /// one.
    ///
    /// # Panics
    ///
    /// If a [`Ref`] to the value is held.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch;
    ///
    /// let (tx, rx) = watch::channel("old");
    /// drop(rx);
    /// assert_eq!(tx.send_replace("new"), "old");
    /// assert_eq!(*tx.subscribe().borrow(), "new");
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let old = std::mem::replace(&mut *self.shared.borrow_mut(), value);
        self.shared.publish();
        old
    }

    /// Modifies the value in place and notifies the receivers, whether or not there are any.
    ///
    /// # Panics
    ///
    /// If a [`Ref`] to the value is held, or `modify` borrows it or sends on the channel.
    /// If `modify` panics, the value keeps what it did before the panic, and the receivers
    /// are not notified.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(vec![1]);
    /// tx.send_modify(|list| list.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_modify<F: FnOnce(&mut T)>(&self, modify: F) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Modifies the value in place, and notifies the receivers only if `modify` returns
    /// true; returns what it returned.
    ///
    /// # Panics
    ///
    /// As [`send_modify`](Sender::send_modify).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(5);
    /// let raise = |limit: u32| move |max: &mut u32| {
    ///     let raised = limit > *max;
    ///     *max = (*max).max(limit);
    ///     raised
    /// };
    /// assert!(!tx.send_if_modified(raise(3)));
    /// assert!(!rx.has_changed().unwrap(), "no change, no notification");
    /// assert!(tx.send_if_modified(raise(8)));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified<F: FnOnce(&mut T) -> bool>(&self, modify: F) -> bool {
        let modified = modify(&mut self.shared.borrow_mut());
        if modified {
            self.shared.publish();
        }
        modified
    }

    /// Borrows the current value. Sending while the borrow is held panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::watch::channel(7);
    /// assert_eq!(*tx.borrow(), 7);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            value: self.shared.borrow(),
            has_changed: false,
        }
    }

    /// A new receiver, which counts the current value as seen. It reopens a channel whose
    /// receivers were all dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(1);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// let rx = tx.subscribe();
    /// assert!(!rx.has_changed().unwrap());
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let version = self.shared.state.with(|state| state.subscribe());
        Receiver::new(Rc::clone(&self.shared), version)
    }

    /// How many senders there are, this one included.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::watch::channel(());
    /// let tx2 = tx.clone();
    /// assert_eq!(tx.sender_count(), 2);
    /// drop(tx2);
    /// assert_eq!(tx.sender_count(), 1);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.shared.state.with(|state| state.senders())
    }

    /// How many receivers there are.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::watch::channel(());
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.state.with(|state| state.receivers())
    }

    /// Whether every receiver is gone: [`send`](Sender::send) would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::watch::channel(());
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Completes once every receiver is gone, for a producer that stops when no one
    /// watches. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, rx) = mirage::sync::watch::channel(0);
    ///     mirage::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.send(1).is_err());
    /// });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed {
            sender: self,
            key: None,
        }
    }

    /// Whether `other` sends on the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::watch::channel(());
    /// let (other, _other_rx) = mirage::sync::watch::channel(());
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T: Default> Default for Sender<T> {
    /// A sender of a new channel holding `T::default()`, with no receiver yet, as
    /// [`Sender::new`] makes it.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch::Sender;
    ///
    /// let tx: Sender<u32> = Sender::default();
    /// assert_eq!(*tx.subscribe().borrow(), 0);
    /// ```
    fn default() -> Sender<T> {
        Sender::new(T::default())
    }
}

impl<T> Clone for Sender<T> {
    /// Another sender of the same channel: the receivers' [`changed`](Receiver::changed)
    /// fails only once every sender is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// let tx2 = tx.clone();
    /// drop(tx);
    /// tx2.send(1).unwrap();
    /// assert!(rx.has_changed().unwrap(), "one sender is left");
    /// drop(tx2);
    /// assert!(rx.has_changed().is_err());
    /// ```
    fn clone(&self) -> Sender<T> {
        self.shared.state.with(State::clone_sender);
        Sender::from_shared(Rc::clone(&self.shared))
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        state::drop_sender(&self.shared.state);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("version", &self.shared.version())
            .field("senders", &self.sender_count())
            .field("receivers", &self.receiver_count())
            .finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`].
///
/// # Examples
///
/// ```
/// use mirage::sync::watch;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = watch::channel(0);
///     let closed: watch::Closed<'_, i32> = tx.closed();
///     drop(rx);
///     closed.await;
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Closed<'a, T> {
    sender: &'a Sender<T>,
    /// This future's entry in the channel's `closed` list, once it waited.
    key: Option<usize>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        state::poll_closed(&this.sender.shared.state, &mut this.key, cx)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        state::leave_closed(&self.sender.shared.state, &mut self.key);
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Closed")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
