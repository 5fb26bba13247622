//! `Sender`: replaces the watched value, from any thread, and wakes the receivers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{Receiver, Ref, Shared};
use crate::sync::SendError;
use crate::sync::watch::state::{self, Lock, State};

/// The sending half of a cross-thread [`watch`](super) channel; `Send + Sync` when `T` is.
/// Clone it to send from several threads; dropping the last clone makes the receivers'
/// [`changed`](Receiver::changed) fail once they have seen its last value.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::watch;
///
/// let (tx, rx) = watch::channel(0);
/// std::thread::spawn(move || tx.send_modify(|n| *n += 1)).join().unwrap();
/// assert_eq!(*rx.borrow(), 1);
/// ```
pub struct Sender<T> {
    pub(super) shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender of a new channel holding `init`, with no receiver yet:
    /// [`subscribe`](Sender::subscribe) makes them, on any thread. Until then,
    /// [`send`](Sender::send) fails; [`send_replace`](Sender::send_replace) still replaces
    /// the value. The same as `watch::channel(init).0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::watch::Sender;
    ///
    /// let tx = Sender::new(0);
    /// assert!(tx.send(1).is_err(), "no receiver yet");
    /// let rx = tx.subscribe();
    /// std::thread::spawn(move || tx.send(2).unwrap()).join().unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// ```
    pub fn new(init: T) -> Sender<T> {
        super::channel(init).0
    }

    pub(super) fn from_shared(shared: Arc<Shared<T>>) -> Sender<T> {
        Sender { shared }
    }

    /// Replaces the value and notifies the receivers, or, if every receiver is gone, hands
    /// `value` back in [`SendError`] and leaves the value as it was. Waits while a [`Ref`]
    /// is held on another thread.
    ///
    /// # Panics
    ///
    /// If a [`Ref`] to the value is held on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::watch;
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
    /// If a [`Ref`] to the value is held on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::watch;
    ///
    /// let (tx, rx) = watch::channel("old");
    /// drop(rx);
    /// assert_eq!(tx.send_replace("new"), "old");
    /// assert_eq!(*tx.subscribe().borrow(), "new");
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let mut current = self.shared.value.write();
        let old = std::mem::replace(&mut *current, value);
        let wakers = self.shared.state.with(State::publish);
        drop(current);
        state::wake(wakers);
        old
    }

    /// Modifies the value in place and notifies the receivers, whether or not there are any.
    ///
    /// `modify` runs under the value's write lock: receivers on other threads wait for it.
    ///
    /// # Panics
    ///
    /// If a [`Ref`] to the value is held on this thread, or `modify` borrows it. If `modify`
    /// panics, the value keeps what it did before the panic, and the receivers are not
    /// notified (a receiver that borrows the value sees it, as modified so far, without
    /// [`has_changed`](Receiver::has_changed) saying so); the channel stays usable.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::watch;
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
    /// use mirage::sync::cross_thread::watch;
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
        let mut value = self.shared.value.write();
        // A panic here leaves the version, and the receivers, alone.
        let modified = modify(&mut value);
        // Bumped under the write lock: a receiver that reads the version under a read lock
        // reads that of the value it sees.
        let wakers = if modified {
            self.shared.state.with(State::publish)
        } else {
            Vec::new()
        };
        drop(value);
        state::wake(wakers);
        modified
    }

    /// Borrows the current value. A send on another thread waits until the borrow is
    /// dropped; a send on this thread panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::watch::channel(7);
    /// assert_eq!(*tx.borrow(), 7);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            value: self.shared.value.read(),
            has_changed: false,
        }
    }

    /// A new receiver, which counts the current value as seen. It reopens a channel whose
    /// receivers were all dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::watch;
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
        // A send in progress may have replaced the value and not yet bumped the version:
        // the new receiver then sees one change too many, never one too few.
        let version = self.shared.state.with(State::subscribe);
        Receiver::new(Arc::clone(&self.shared), version)
    }

    /// How many senders there are, this one included, on every thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::watch::channel(());
    /// let tx2 = tx.clone();
    /// assert_eq!(tx.sender_count(), 2);
    /// std::thread::spawn(move || drop(tx2)).join().unwrap();
    /// assert_eq!(tx.sender_count(), 1);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.shared.state.with(|state| state.senders())
    }

    /// How many receivers there are, on every thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::watch::channel(());
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
    /// let (tx, rx) = mirage::sync::cross_thread::watch::channel(());
    /// assert!(!tx.is_closed());
    /// std::thread::spawn(move || drop(rx)).join().unwrap();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Completes once every receiver is gone, on whichever thread, for a producer that
    /// stops when no one watches. Cancel-safe: dropping the future loses nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, rx) = mirage::sync::cross_thread::watch::channel(0);
    ///     std::thread::spawn(move || drop(rx));
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
    /// let (tx, _rx) = mirage::sync::cross_thread::watch::channel(());
    /// let (other, _other_rx) = mirage::sync::cross_thread::watch::channel(());
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T: Default> Default for Sender<T> {
    /// A sender of a new channel holding `T::default()`, with no receiver yet, as
    /// [`Sender::new`] makes it.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::watch::Sender;
    ///
    /// let tx: Sender<u32> = Sender::default();
    /// assert_eq!(*tx.subscribe().borrow(), 0);
    /// ```
    fn default() -> Sender<T> {
        Sender::new(T::default())
    }
}

impl<T> Clone for Sender<T> {
    /// Another sender of the same channel, for another thread or task: the receivers'
    /// [`changed`](Receiver::changed) fails only once every sender is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// let tx2 = tx.clone();
    /// std::thread::spawn(move || tx2.send(1).unwrap()).join().unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// drop(tx);
    /// assert!(rx.has_changed().is_err(), "every sender is gone");
    /// ```
    fn clone(&self) -> Sender<T> {
        self.shared.state.with(State::clone_sender);
        Sender::from_shared(Arc::clone(&self.shared))
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        state::drop_sender(&self.shared.state);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (version, receivers) = self
            .shared
            .state
            .with(|state| (state.version(), state.receivers()));
        f.debug_struct("cross_thread::watch::Sender")
            .field("version", &version)
            .field("receivers", &receivers)
            .finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`].
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::watch;
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
        f.debug_struct("cross_thread::watch::Closed")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
