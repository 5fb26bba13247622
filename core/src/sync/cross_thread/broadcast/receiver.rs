//! `Receiver`: reads every value sent, in order, on any Core or plain thread.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{RecvError, Shared, TryRecvError, sender};
use crate::sync::broadcast::state::{self, Lock};
use crate::sync::cross_thread::block_on;

/// A receiving half of a cross-thread [`broadcast`](super) channel; `Send` when `T` is, so
/// it can move to the thread of the Core that awaits it. It reads, in order, every value
/// sent since it subscribed. Make another with [`resubscribe`](Receiver::resubscribe) or
/// [`Sender::subscribe`](super::Sender::subscribe).
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::broadcast;
///
/// let (tx, mut rx) = broadcast::channel(8);
/// let sender = std::thread::spawn(move || {
///     for n in 0..3 {
///         tx.send(n).unwrap();
///     }
/// });
/// let mut core = mirage::Core::new().unwrap();
/// let got = core.run(async move {
///     let mut got = Vec::new();
///     while let Ok(n) = rx.recv().await {
///         got.push(n);
///     }
///     got
/// });
/// assert_eq!(got, [0, 1, 2], "then the sender was gone");
/// sender.join().unwrap();
/// ```
pub struct Receiver<T> {
    shared: Shared<T>,
    /// The position of the next value to read.
    next: u64,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Shared<T>, next: u64) -> Receiver<T> {
        Receiver { shared, next }
    }

    /// How many values were sent that this receiver has yet to read, as tokio counts them:
    /// those the channel still holds, plus those it missed, overwritten before it read
    /// them. More than the channel's capacity means the next receive reports a
    /// [`Lagged`](RecvError::Lagged) error.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// rx.try_recv().unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.with(|state| state.unread_by(self.next))
    }

    /// Whether this receiver has read every value the channel holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::broadcast::channel(4);
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone. Values not yet read can still be received.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// std::thread::spawn(move || drop(tx)).join().unwrap();
    /// assert!(rx.is_closed());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn is_closed(&self) -> bool {
        self.sender_strong_count() == 0
    }

    /// How many [`Sender`](super::Sender)s the channel has: it closes when none is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::broadcast::channel::<u8>(1);
    /// let other = tx.clone();
    /// assert_eq!(rx.sender_strong_count(), 2);
    /// drop((tx, other));
    /// assert_eq!(rx.sender_strong_count(), 0);
    /// ```
    pub fn sender_strong_count(&self) -> usize {
        self.shared.with(|state| state.senders())
    }

    /// How many [`WeakSender`](super::WeakSender)s the channel has.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::broadcast::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!(rx.sender_weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(rx.sender_weak_count(), 0);
    /// ```
    pub fn sender_weak_count(&self) -> usize {
        Arc::weak_count(&self.shared)
    }

    /// A new receiver of the same channel, which sees the values sent from now on (not
    /// those this one has yet to read).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, rx) = broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut fresh = rx.resubscribe();
    /// assert_eq!(fresh.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn resubscribe(&self) -> Receiver<T> {
        sender::subscribe(&self.shared)
    }

    /// Whether `other` receives from the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::broadcast::channel::<u8>(1);
    /// assert!(rx.same_channel(&tx.subscribe()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits, on any Core, for the next value, sent from any thread, and returns it: a
    /// clone, or the value itself for its last reader. Fails with [`RecvError::Lagged`]
    /// once after values were overwritten unread, and with [`RecvError::Closed`] once every
    /// sender is gone and every value read.
    ///
    /// Cancel-safe: dropping the future loses no value. A value ready to read spends a unit
    /// of the task's [`coop`](crate::coop) budget.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::cross_thread::broadcast::channel(4);
    ///     std::thread::spawn(move || tx.send("news").unwrap());
    ///     assert_eq!(rx.recv().await, Ok("news"));
    /// });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            key: None,
        }
    }

    /// Takes the next value if there is one, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// std::thread::spawn(move || tx.send(5).unwrap()).join().unwrap();
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.shared.with(|state| state.try_recv(&mut self.next))
    }

    /// The blocking form of [`recv`](Receiver::recv), for a thread with no Core: parks the
    /// thread until a value is sent, a lag found or the channel closed.
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block: use `recv().await` there.
    ///
    /// # Examples
    ///
    /// A plain thread follows what a Core sends:
    ///
    /// ```
    /// use mirage::sync::cross_thread::broadcast::{self, error::RecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// let listener = std::thread::spawn(move || {
    ///     let mut got = Vec::new();
    ///     while let Ok(n) = rx.blocking_recv() {
    ///         got.push(n);
    ///     }
    ///     assert_eq!(rx.blocking_recv(), Err(RecvError::Closed));
    ///     got
    /// });
    /// mirage::Core::new().unwrap().run(async move {
    ///     tx.send(1).unwrap();
    ///     tx.send(2).unwrap();
    /// });
    /// assert_eq!(listener.join().unwrap(), [1, 2]);
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        block_on(
            "cross_thread::broadcast::Receiver::blocking_recv",
            self.recv(),
        )
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        state::drop_receiver(&*self.shared, self.next);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::broadcast::Receiver")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Future returned by [`Receiver::recv`].
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::broadcast;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = broadcast::channel(1);
///     tx.send(1u8).unwrap();
///     let recv: broadcast::Recv<'_, u8> = rx.recv();
///     assert_eq!(recv.await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// The future's entry in the channel's `recv` list while it waits.
    key: Option<usize>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let this = self.get_mut();
        let receiver = &mut *this.receiver;
        state::poll_recv(&*receiver.shared, &mut receiver.next, &mut this.key, cx)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        state::leave_recv(&*self.receiver.shared, &mut self.key);
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::broadcast::Recv")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
