//! The bounded channel: [`channel`], [`Sender`], [`Receiver`], [`Send`], and the permits
//! that hold a slot for a value to come.

mod many;
mod permit;
mod reserve;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
use super::futures::{Closed, Recv, RecvMany};
use super::WeakSender;
use crate::sync::chan::{self, Local, Rx, Tx};
pub use many::PermitIterator;
pub use permit::{OwnedPermit, Permit};
pub use reserve::{Reserve, ReserveOwned};

/// Creates a bounded channel holding at most `capacity` queued messages.
///
/// When the channel is full, [`Sender::send`] waits for room (senders are
/// served in the order they started waiting) and [`Sender::try_send`] fails
/// with [`TrySendError::Full`].
///
/// # Panics
///
/// Panics if `capacity` is zero.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = mirage::sync::mpsc::channel(8);
///     mirage::spawn(async move { tx.send(1).await.unwrap(); });
///     assert_eq!(rx.recv().await, Some(1));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "mpsc::channel capacity must be greater than zero"
    );
    let (tx, rx) = chan::channel(Some(capacity));
    (Sender::new(tx), Receiver { rx })
}

/// The sending half of a bounded channel; cheap to clone.
///
/// The receiver sees the channel as disconnected once every clone is dropped.
///
/// # Examples
///
/// ```
/// let (tx, rx) = mirage::sync::mpsc::channel(2);
/// let other = tx.clone();
/// tx.try_send("a").unwrap();
/// other.try_send("b").unwrap();
/// assert_eq!(rx.len(), 2);
/// ```
pub struct Sender<T> {
    tx: Tx<Local<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(tx: Tx<Local<T>>) -> Sender<T> {
        Sender { tx }
    }

    /// Sends `value`, waiting for a free slot if the channel is full.
    ///
    /// Fails, handing the value back in [`SendError`], if the receiver is (or
    /// becomes, while waiting) dropped or closed. A send that a freed slot was
    /// already handed to when the receiver [closed](Receiver::close) still
    /// delivers, as a [`Permit`] does.
    ///
    /// Waiting senders are served first come, first served: once this future
    /// has returned `Pending`, no later `send` or `try_send` takes a slot
    /// ahead of it.
    ///
    /// # Cancel safety
    ///
    /// If the returned future is dropped before completing, `value` is
    /// dropped and **not** sent. No slot is lost: a slot already reserved
    /// for this sender is handed to the next waiting sender (or freed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::channel(1);
    ///     tx.send("a").await.unwrap();
    ///     // Full: this send waits until the receiver makes room.
    ///     mirage::spawn(async move { tx.send("b").await.unwrap() });
    ///     assert_eq!(rx.recv().await, Some("a"));
    ///     assert_eq!(rx.recv().await, Some("b"));
    /// });
    /// ```
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            tx: &self.tx,
            value: Some(value),
            waiter: None,
        }
    }

    /// Sends `value` if a slot is free right now.
    ///
    /// Fails with [`TrySendError::Full`] if every slot is taken or reserved
    /// for a waiting sender, and with [`TrySendError::Closed`] if the
    /// receiver was dropped or closed; both hand the value back.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(tx.try_send(2), Ok(()));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.tx.try_send(value)
    }

    /// Waits for a free slot and holds it in a [`Permit`], whose
    /// [`send`](Permit::send) then queues a value without waiting. Fails with
    /// `SendError(())` if the receiver is (or becomes, while waiting) dropped
    /// or closed; a slot handed to it before a [`close`](Receiver::close) is
    /// still held.
    ///
    /// Waits in line with [`send`](Self::send). Unlike `send`, it is
    /// cancel-safe with a value at stake: in a `select!`, reserve first and
    /// make the value only once the permit is there, so a losing branch drops
    /// nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::channel(1);
    ///     tx.send("queued").await.unwrap(); // full now
    ///     mirage::select! {
    ///         permit = tx.reserve() => permit.unwrap().send("made only with room"),
    ///         _ = mirage::time::sleep(Duration::from_millis(1)) => {}
    ///     }
    ///     assert_eq!(rx.recv().await, Some("queued"));
    ///     tx.reserve().await.unwrap().send("later");
    ///     assert_eq!(rx.recv().await, Some("later"));
    /// });
    /// ```
    pub fn reserve(&self) -> Reserve<'_, T> {
        Reserve::new(&self.tx)
    }

    /// Sends `value`, waiting at most `timeout` for a free slot: [`send`](Self::send) with a
    /// deadline. Fails with [`SendTimeoutError::Timeout`] if no slot came free in time,
    /// and with [`SendTimeoutError::Closed`] if the receiver is dropped or closed; either
    /// way the value comes back.
    ///
    /// Cancel-safe as [`reserve`](Self::reserve) is, except that the value is dropped with
    /// the future.
    ///
    /// # Panics
    ///
    /// Polled outside a Core: the deadline needs the Core's timer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::channel(1);
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

    /// Takes a free slot right now and holds it in a [`Permit`].
    ///
    /// Fails with [`TrySendError::Full`] if every slot is taken or reserved
    /// for a waiting sender, and with [`TrySendError::Closed`] if the
    /// receiver was dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel::<u8>(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert!(tx.try_reserve().unwrap_err().is_full());
    /// drop(permit); // the slot is free again
    /// assert_eq!(tx.capacity(), 1);
    /// drop(rx);
    /// assert!(tx.try_reserve().unwrap_err().is_closed());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.tx.try_reserve()?;
        Ok(Permit::new(&self.tx))
    }

    /// Like [`reserve`](Self::reserve), but the permit owns this sender, so it
    /// can outlive a borrow or move to another task.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::channel(2);
    ///     let permit = tx.clone().reserve_owned().await.unwrap();
    ///     permit.send(1);
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     # drop(tx);
    /// });
    /// ```
    pub fn reserve_owned(self) -> ReserveOwned<T> {
        ReserveOwned::new(self)
    }

    /// Like [`try_reserve`](Self::try_reserve), but the permit owns this
    /// sender; on failure the sender comes back in the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::mpsc::error::TrySendError;
    ///
    /// let (tx, _rx) = mirage::sync::mpsc::channel::<u8>(1);
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

    /// Returns `true` if the receiver was dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel::<u8>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Waits until the receiver is dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, rx) = mirage::sync::mpsc::channel::<u8>(1);
    ///     mirage::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed::new(&self.tx)
    }

    /// Number of free slots right now: `max_capacity` minus queued messages
    /// minus slots reserved for senders that were woken but have not yet
    /// pushed their value. 0 while senders wait in line: the slots freed then
    /// are gathered for a [`reserve_many`](Sender::reserve_many) at its front.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::channel(4);
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
    /// let (tx, _rx) = mirage::sync::mpsc::channel(4);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.max_capacity(), 4);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.tx.max_capacity()
    }

    /// Returns `true` if both senders belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::channel::<u8>(1);
    /// let (other, _other_rx) = mirage::sync::mpsc::channel::<u8>(1);
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
    /// let (tx, _rx) = mirage::sync::mpsc::channel::<u8>(1);
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
    /// let (tx, _rx) = mirage::sync::mpsc::channel::<u8>(1);
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
    /// let (tx, _rx) = mirage::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(tx.weak_count(), 0);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }

    /// Slots held by the send-waiter and `closed()`-waiter lists.
    #[cfg(test)]
    pub(crate) fn waiter_slots(&self) -> (usize, usize) {
        self.tx.waiter_slots()
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

/// Future returned by [`Sender::send`].
///
/// Resolves to `Ok(())` once the value is queued, or to `Err(SendError(value))`
/// if the receiver is dropped or closed before a slot is handed to it. Dropping it before completion
/// drops the value without sending it and never loses a slot. Panics if
/// polled after completion.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = mirage::sync::mpsc::channel(1);
///     let send: mirage::sync::mpsc::Send<'_, u8> = tx.send(1);
///     send.await.unwrap();
///     assert_eq!(rx.recv().await, Some(1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Send<'a, T> {
    tx: &'a Tx<Local<T>>,
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

/// The receiving half of a bounded channel.
///
/// Dropping it closes the channel: queued messages are dropped at once and
/// every waiting sender is woken and gets its value back.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = mirage::sync::mpsc::channel(2);
/// tx.try_send(1).unwrap();
/// drop(rx); // closes the channel and drops what was queued
/// assert!(tx.is_closed());
/// ```
pub struct Receiver<T> {
    rx: Rx<Local<T>>,
}

impl<T> Receiver<T> {
    /// Receives the next message, waiting if the queue is empty.
    ///
    /// Returns `None` once every sender is dropped (or the receiver is
    /// [closed](Self::close)) **and** the queue is drained. Cancel-safe:
    /// dropping the future loses no message.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::channel(4);
    ///     mirage::spawn(async move {
    ///         for i in 0..3 {
    ///             tx.send(i).await.unwrap();
    ///         }
    ///     });
    ///     let mut got = Vec::new();
    ///     while let Some(i) = rx.recv().await {
    ///         got.push(i);
    ///     }
    ///     assert_eq!(got, [0, 1, 2]);
    /// });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv::new(&mut self.rx)
    }

    /// Polls for the next message; on `Pending`, the task of `cx` is woken
    /// when a message arrives or the last sender is dropped. Inside a Core's
    /// task, a message also waits (`Pending`, the task woken at once) when the
    /// task's [`coop`](crate::coop) budget is spent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::sync::mpsc;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mpsc::channel(4);
    ///     tx.try_send(7).unwrap();
    ///     drop(tx);
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, Some(7));
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, None);
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// Receives up to `limit` messages at once, appending them to `buffer`,
    /// and returns how many; waits if none is queued. Returns 0 only when
    /// `limit` is 0 or, as [`recv`](Self::recv) returns `None`, once the
    /// channel is closed and drained. A batch spends one unit of the
    /// [`coop`](crate::coop) budget. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::channel(8);
    ///     for i in 0..5 {
    ///         tx.send(i).await.unwrap();
    ///     }
    ///     drop(tx);
    ///     let mut batch = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut batch, 3).await, 3);
    ///     assert_eq!(rx.recv_many(&mut batch, 3).await, 2);
    ///     assert_eq!(batch, [0, 1, 2, 3, 4]);
    ///     assert_eq!(rx.recv_many(&mut batch, 3).await, 0); // closed and drained
    /// });
    /// ```
    pub fn recv_many<'a>(&'a mut self, buffer: &'a mut Vec<T>, limit: usize) -> RecvMany<'a, T> {
        RecvMany::new(&mut self.rx, buffer, limit)
    }

    /// The poll form of [`recv_many`](Self::recv_many).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::channel(4);
    ///     tx.try_send('a').unwrap();
    ///     tx.try_send('b').unwrap();
    ///     let mut batch = Vec::new();
    ///     let n = poll_fn(|cx| rx.poll_recv_many(cx, &mut batch, 10)).await;
    ///     assert_eq!((n, batch), (2, vec!['a', 'b']));
    /// });
    /// ```
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.rx.poll_recv_many(cx, buffer, limit)
    }

    /// Takes the next message without waiting.
    ///
    /// Fails with [`TryRecvError::Empty`] if none is queued but senders
    /// remain, and with [`TryRecvError::Disconnected`] if none is queued and
    /// none can arrive.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::mpsc::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = mpsc::channel(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Closes the channel without dropping the receiver.
    ///
    /// New sends fail and waiting senders are woken and get their value
    /// back; messages already queued can still be received, and so can those
    /// sent through [`Permit`]s taken before, or by a waiting `send` that a
    /// freed slot was already handed to, after which [`recv`](Self::recv)
    /// returns `None`: the way to shut a channel down without losing a
    /// message. So `recv` waits for a held permit, or a handed slot, to be used
    /// or given back: a task that drains after `close()` must not itself hold
    /// one unused (as in tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::mpsc::channel(2);
    /// tx.try_send(1).unwrap();
    /// let permit = tx.try_reserve().unwrap();
    /// rx.close();
    /// assert!(tx.try_send(2).unwrap_err().is_closed());
    /// permit.send(3); // taken before the close: still delivered
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// assert!(rx.try_recv().is_err());
    /// ```
    pub fn close(&mut self) {
        self.rx.close();
    }

    /// Number of queued messages.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel(4);
    /// tx.try_send(1).unwrap();
    /// tx.try_send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Returns `true` if no message is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel(4);
    /// assert!(rx.is_empty());
    /// tx.try_send(1).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel is closed: by [`close`](Self::close), or because every sender
    /// is gone. Messages sent before may still be queued, to be received.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::mpsc::channel(2);
    /// assert!(!rx.is_closed());
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// assert_eq!(rx.try_recv(), Ok(1)); // still delivered
    /// ```
    pub fn is_closed(&self) -> bool {
        self.rx.is_closed()
    }

    /// How many senders of this channel are alive (weak ones not counted).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel::<u8>(2);
    /// let other = tx.clone();
    /// assert_eq!(rx.sender_strong_count(), 2);
    /// drop((tx, other));
    /// assert_eq!(rx.sender_strong_count(), 0);
    /// ```
    pub fn sender_strong_count(&self) -> usize {
        self.rx.sender_strong_count()
    }

    /// How many weak senders of this channel are alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel::<u8>(2);
    /// let weak = tx.downgrade();
    /// assert_eq!(rx.sender_weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(rx.sender_weak_count(), 0);
    /// ```
    pub fn sender_weak_count(&self) -> usize {
        self.rx.sender_weak_count()
    }

    /// Free slots now: how many more messages fit before a send waits. A slot a sender
    /// holds (a [`Permit`], or a waiting send it was handed to) does not count.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel::<u8>(2);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.capacity(), 1);
    /// ```
    pub fn capacity(&self) -> usize {
        self.rx.capacity()
    }

    /// The capacity the channel was created with.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel::<u8>(2);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.max_capacity(), 2);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.rx.max_capacity()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests;
