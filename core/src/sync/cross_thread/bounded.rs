//! The bounded cross-thread channel: [`channel`], [`Sender`], [`Receiver`], [`Send`], and
//! the permits that hold a slot for a value to come.

mod many;
mod permit;
mod receiver;
mod reserve;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::WeakSender;
use super::blocking::block_on;
use super::futures::Closed;
use crate::sync::SendError;
use crate::sync::chan::{self, Synced, Tx};
use crate::sync::mpsc::error::{SendTimeoutError, TrySendError};
pub use many::PermitIterator;
pub use permit::{OwnedPermit, Permit};
pub use receiver::Receiver;
pub use reserve::{Reserve, ReserveOwned};

/// Creates a channel holding at most `capacity` queued messages, whose [`Sender`] may be
/// used from any thread: back-pressure between Cores, or from plain threads into a Core.
///
/// When the channel is full, [`Sender::send`] waits for room (senders, from whichever
/// threads, are served in the order they started waiting), [`Sender::blocking_send`] parks
/// its thread, and [`Sender::try_send`] fails with [`TrySendError::Full`].
///
/// # Panics
///
/// Panics if `capacity` is zero.
///
/// # Examples
///
/// A plain thread producing for a Core, never more than 4 messages ahead:
///
/// ```
/// let (tx, mut rx) = mirage::sync::cross_thread::channel(4);
/// let producer = std::thread::spawn(move || {
///     for i in 0..100 {
///         tx.blocking_send(i).unwrap();
///     }
/// });
/// let mut core = mirage::Core::new().unwrap();
/// let sum = core.run(async move {
///     let mut sum = 0;
///     while let Some(i) = rx.recv().await {
///         sum += i;
///     }
///     sum
/// });
/// assert_eq!(sum, 4950);
/// producer.join().unwrap();
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "cross_thread::channel capacity must be greater than zero"
    );
    let (tx, rx) = chan::channel(Some(capacity));
    (Sender::new(tx), Receiver { rx })
}

/// The sending half of a bounded [`channel`]: `Send + Sync` (for a `Send` message type),
/// cheap to clone.
///
/// The receiver sees the channel as disconnected once every clone is dropped.
///
/// # Examples
///
/// ```
/// let (tx, rx) = mirage::sync::cross_thread::channel(2);
/// let other = tx.clone();
/// std::thread::spawn(move || other.try_send("a").unwrap()).join().unwrap();
/// tx.try_send("b").unwrap();
/// assert_eq!(rx.len(), 2);
/// ```
pub struct Sender<T> {
    tx: Tx<Synced<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(tx: Tx<Synced<T>>) -> Sender<T> {
        Sender { tx }
    }

    /// Sends `value`, waiting for room if the channel is full. Fails, handing `value` back,
    /// if the receiver is dropped or closed first. A send that a freed slot was already
    /// handed to when the receiver [closed](Receiver::close) still delivers, as a
    /// [`Permit`] does.
    ///
    /// If the future is dropped before it completes, `value` is dropped and **not** sent. No
    /// slot is lost: a slot already reserved for this sender passes to the next waiting one.
    ///
    /// # Examples
    ///
    /// Two Cores, the second feeding the first:
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
    /// let feeder = std::thread::spawn(move || {
    ///     mirage::Core::new().unwrap().run(async move {
    ///         for word in ["one", "two", "three"] {
    ///             tx.send(word).await.unwrap(); // waits while the other Core is behind
    ///         }
    ///     })
    /// });
    /// let mut core = mirage::Core::new().unwrap();
    /// let words = core.run(async move {
    ///     let mut words = Vec::new();
    ///     while let Some(word) = rx.recv().await {
    ///         words.push(word);
    ///     }
    ///     words
    /// });
    /// assert_eq!(words, ["one", "two", "three"]);
    /// feeder.join().unwrap();
    /// ```
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            tx: &self.tx,
            value: Some(value),
            waiter: None,
        }
    }

    /// Sends `value` from a thread with no Core, parking it while the channel is full.
    ///
    /// # Panics
    ///
    /// Panics on a thread that is running a Core: use `send().await` there.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
    /// let producer = std::thread::spawn(move || {
    ///     tx.blocking_send(1).unwrap();
    ///     tx.blocking_send(2).unwrap(); // waits until the Core takes the first
    /// });
    /// let mut core = mirage::Core::new().unwrap();
    /// assert_eq!(core.run(rx.recv()), Some(1));
    /// assert_eq!(core.run(rx.recv()), Some(2));
    /// producer.join().unwrap();
    /// ```
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        block_on("cross_thread::Sender::blocking_send", self.send(value))
    }

    /// Sends `value` if there is room now, without waiting.
    ///
    /// Fails with [`TrySendError::Full`] when every slot is taken (or reserved for a waiting
    /// sender), and with [`TrySendError::Closed`] when the receiver is gone; both hand the
    /// value back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel(1);
    /// tx.try_send(1).unwrap();
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.tx.try_send(value)
    }

    /// Waits for a free slot and holds it in a [`Permit`], whose
    /// [`send`](Permit::send) then queues a value without waiting. Fails with
    /// `SendError(())` if the receiver is (or becomes, while waiting) dropped or closed; a
    /// slot handed to it before a [`close`](Receiver::close) is still held.
    ///
    /// Waits in line with [`send`](Self::send), and unlike it is cancel-safe with a value
    /// at stake: in a `select!`, reserve first and make the value once the permit is there.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let permit = tx.reserve().await.unwrap();
    ///     permit.send("made once there was room");
    /// });
    /// assert_eq!(rx.try_recv(), Ok("made once there was room"));
    /// ```
    pub fn reserve(&self) -> Reserve<'_, T> {
        Reserve::new(&self.tx)
    }

    /// Sends `value`, waiting at most `timeout` for a free slot: [`send`](Self::send) with a
    /// deadline (the deadline is the calling Core's timer). Fails with [`SendTimeoutError::Timeout`] if no slot came free in time,
    /// and with [`SendTimeoutError::Closed`] if the receiver is dropped or closed; either
    /// way the value comes back.
    ///
    /// Cancel-safe as [`reserve`](Self::reserve) is, except that the value is dropped with
    /// the future.
    ///
    /// # Panics
    ///
    /// Polled outside a Core when it must wait (no slot is free and the channel is open):
    /// the deadline needs the Core's timer. One that can send at once needs no Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
    ///     tx.send_timeout("fits", Duration::from_secs(1)).await.unwrap();
    ///     let full = tx.send_timeout("late", Duration::from_millis(10)).await;
    ///     assert!(full.unwrap_err().is_timeout());
    ///     assert_eq!(rx.recv().await, Some("fits"));
    /// });
    /// ```
    pub async fn send_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        match crate::time::timeout(timeout, self.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(value);
                Ok(())
            }
            Ok(Err(_closed)) => Err(SendTimeoutError::Closed(value)),
            Err(_elapsed) => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// Takes a free slot right now and holds it in a [`Permit`]: [`TrySendError::Full`] if
    /// every slot is taken or reserved for a waiting sender, [`TrySendError::Closed`] if
    /// the receiver was dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert!(tx.try_reserve().unwrap_err().is_full());
    /// drop(permit);
    /// assert_eq!(tx.capacity(), 1);
    /// drop(rx);
    /// assert!(tx.try_reserve().unwrap_err().is_closed());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.tx.try_reserve()?;
        Ok(Permit::new(&self.tx))
    }

    /// Like [`reserve`](Self::reserve), but the permit owns this sender, so it can move to
    /// another task or thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(2);
    /// let mut core = mirage::Core::new().unwrap();
    /// let permit = core.run(tx.reserve_owned()).unwrap();
    /// std::thread::spawn(move || permit.send(1)).join().unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn reserve_owned(self) -> ReserveOwned<T> {
        ReserveOwned::new(self)
    }

    /// Like [`try_reserve`](Self::try_reserve), but the permit owns this sender; on failure
    /// the sender comes back in the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::mpsc::error::TrySendError;
    ///
    /// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let permit = tx.clone().try_reserve_owned().unwrap();
    /// let Err(TrySendError::Full(tx)) = tx.try_reserve_owned() else {
    ///     panic!("the only slot is held");
    /// };
    /// drop(permit);
    /// assert!(tx.try_reserve_owned().is_ok());
    /// ```
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Sender<T>>> {
        match self.tx.try_reserve() {
            Ok(()) => Ok(OwnedPermit::new(self)),
            Err(err) => Err(err.carrying(self)),
        }
    }

    /// Whether the receiver was dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Waits until the receiver is dropped or closed. Cancel-safe: a dropped `closed`
    /// future leaves no waker behind.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// std::thread::spawn(move || drop(rx));
    /// mirage::Core::new().unwrap().run(tx.closed());
    /// assert!(tx.is_closed());
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed::new(&self.tx)
    }

    /// Free slots right now: the capacity minus the queued messages and the slots reserved
    /// for senders that were woken but have not yet sent. 0 while senders wait in line:
    /// the slots freed then are gathered for a [`reserve_many`](Sender::reserve_many) at
    /// its front.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel(4);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.tx.capacity()
    }

    /// The capacity the channel was created with.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(4);
    /// assert_eq!(tx.max_capacity(), 4);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.tx.max_capacity()
    }

    /// Whether both senders belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread;
    ///
    /// let (tx, _rx) = cross_thread::channel::<u8>(1);
    /// let (other, _other_rx) = cross_thread::channel::<u8>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        self.tx.same_channel(&other.tx)
    }

    /// A [`WeakSender`] for this channel: a handle that can become a sender again but does
    /// not keep the channel open.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
    /// assert!(weak.upgrade().unwrap().same_channel(&tx));
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender::new(self.tx.downgrade())
    }

    /// How many `Sender`s of this channel are alive, this one included.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let other = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// drop(other);
    /// assert_eq!(tx.strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// How many [`WeakSender`]s of this channel are alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(tx.weak_count(), 0);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .field("max_capacity", &self.max_capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future returned by [`Sender::send`].
///
/// Resolves to `Ok(())` once the value is queued, or to `Err(SendError(value))` if the
/// receiver is dropped or closed first. Dropping it before completion drops the value
/// without sending it and never loses a slot. Panics if polled after completion.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
/// let mut core = mirage::Core::new().unwrap();
/// let send: mirage::sync::cross_thread::Send<'_, u8> = tx.send(1);
/// core.run(send).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Send<'a, T> {
    tx: &'a Tx<Synced<T>>,
    /// `None` once sent or returned.
    value: Option<T>,
    /// Entry in the channel's send-waiter list while waiting.
    waiter: Option<usize>,
}

// `value` is never pinned: it is only moved out by value.
impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.tx.poll_send(&mut this.waiter, &mut this.value, cx)
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            self.tx.cancel_send(key);
        }
    }
}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send")
            .field("waiting", &self.waiter.is_some())
            .finish_non_exhaustive()
    }
}
