//! The unbounded cross-thread channel: [`unbounded`] (or [`unbounded_channel`]),
//! [`UnboundedSender`], [`UnboundedReceiver`].

use std::fmt;
use std::task::{Context, Poll};

use super::WeakUnboundedSender;
use super::blocking::block_on;
use super::futures::{Closed, Recv, RecvMany};
use crate::sync::SendError;
use crate::sync::chan::{self, Rx, Synced, Tx};
use crate::sync::mpsc::error::TryRecvError;

/// Creates a channel whose queue grows without limit and whose [`UnboundedSender`] may be
/// used from any thread. A send never waits, so nothing slows down a producer that outpaces
/// the consumer; prefer [`channel`](super::channel) when that matters.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
/// std::thread::spawn(move || tx.send("from another thread").unwrap())
///     .join()
///     .unwrap();
/// let mut core = mirage::Core::new().unwrap();
/// assert_eq!(core.run(rx.recv()), Some("from another thread"));
/// ```
pub fn unbounded<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = chan::channel(None);
    (UnboundedSender::new(tx), UnboundedReceiver { rx })
}

/// [`unbounded`](fn@unbounded) under tokio's name, so that code written for
/// `tokio::sync::mpsc` ports without renaming.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = mirage::sync::cross_thread::unbounded_channel();
/// std::thread::spawn(move || tx.send(1).unwrap()).join().unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    unbounded()
}

/// The sending half of an [`unbounded`](fn@unbounded) channel: `Send + Sync` (for a `Send`
/// message type), cheap to clone.
///
/// The receiver sees the channel as disconnected once every clone is dropped.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
/// let tx = Arc::new(tx); // shared by reference, too
/// let other = Arc::clone(&tx);
/// std::thread::spawn(move || other.send(1).unwrap()).join().unwrap();
/// tx.send(2).unwrap();
/// assert_eq!((rx.try_recv(), rx.try_recv()), (Ok(1), Ok(2)));
/// ```
pub struct UnboundedSender<T> {
    tx: Tx<Synced<T>>,
}

impl<T> UnboundedSender<T> {
    pub(super) fn new(tx: Tx<Synced<T>>) -> UnboundedSender<T> {
        UnboundedSender { tx }
    }

    /// Queues `value` and wakes the receiving task; never waits. Fails, handing `value`
    /// back, if the receiver was dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::unbounded();
    /// assert!(tx.send(1).is_ok());
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.tx.send_unbounded(value)
    }

    /// Whether the receiver was dropped or closed, so that [`send`](Self::send) fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::unbounded::<u8>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// How many messages wait to be received (tokio's sender has no such method; a
    /// `Spawner` needs it for the runtime's metrics).
    pub(crate) fn queued(&self) -> usize {
        self.tx.queued()
    }

    /// Waits until the receiver is dropped or closed. Cancel-safe: a dropped `closed`
    /// future leaves no waker behind.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::unbounded::<u8>();
    /// std::thread::spawn(move || drop(rx));
    /// mirage::Core::new().unwrap().run(tx.closed());
    /// assert!(tx.send(1).is_err());
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed::new(&self.tx)
    }

    /// Whether both senders belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread;
    ///
    /// let (tx, _rx) = cross_thread::unbounded::<u8>();
    /// let (other, _other_rx) = cross_thread::unbounded::<u8>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        self.tx.same_channel(&other.tx)
    }

    /// A [`WeakUnboundedSender`] for this channel: a handle that can become a sender again but does
    /// not keep the channel open.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::unbounded::<u8>();
    /// let weak = tx.downgrade();
    /// assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
    /// assert!(weak.upgrade().unwrap().same_channel(&tx));
    /// ```
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender::new(self.tx.downgrade())
    }

    /// How many `UnboundedSender`s of this channel are alive, this one included.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::unbounded::<u8>();
    /// let other = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// drop(other);
    /// assert_eq!(tx.strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.tx.strong_count()
    }

    /// How many [`WeakUnboundedSender`]s of this channel are alive.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::unbounded::<u8>();
    /// let weak = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(tx.weak_count(), 0);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.tx.weak_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// The receiving half of an [`unbounded`](fn@unbounded) channel. It may move to another
/// thread (`Send`, for a `Send` message type), and is awaited by one task at a time.
///
/// Dropping it closes the channel and drops the queued messages at once.
///
/// # Examples
///
/// ```
/// let (tx, rx) = mirage::sync::cross_thread::unbounded();
/// tx.send(1).unwrap();
/// let receiving = std::thread::spawn(move || {
///     let mut rx = rx; // moved to the thread of the Core that awaits it
///     mirage::Core::new().unwrap().run(rx.recv())
/// });
/// assert_eq!(receiving.join().unwrap(), Some(1));
/// ```
pub struct UnboundedReceiver<T> {
    rx: Rx<Synced<T>>,
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next message, waiting while the queue is empty.
    ///
    /// Returns `None` once every sender is dropped (or the receiver is
    /// [closed](Self::close)) and the queue is drained. Cancel-safe: dropping the future
    /// loses no message.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
    /// let sending = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         tx.send(i).unwrap();
    ///     }
    /// });
    /// let mut core = mirage::Core::new().unwrap();
    /// let got = core.run(async {
    ///     let mut got = Vec::new();
    ///     while let Some(i) = rx.recv().await {
    ///         got.push(i);
    ///     }
    ///     got
    /// });
    /// assert_eq!(got, [0, 1, 2]);
    /// sending.join().unwrap();
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv::new(&mut self.rx)
    }

    /// Polls for the next message; on `Pending`, the task of `cx` is woken when a message
    /// arrives or the last sender is dropped. Inside a Core's task, a message also waits
    /// (`Pending`, the task woken at once) when the task's [`coop`](crate::coop) budget is
    /// spent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
    /// tx.send(7).unwrap();
    /// drop(tx);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, Some(7));
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, None);
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// Receives the next message on a thread with no Core, parking it while the queue is
    /// empty; `None` as for [`recv`](Self::recv).
    ///
    /// # Panics
    ///
    /// Panics on a thread that is running a Core: use `recv().await` there.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
    /// let mut core = mirage::Core::new().unwrap();
    /// let worker = std::thread::spawn(move || rx.blocking_recv());
    /// core.run(async move { tx.send("job").unwrap() });
    /// assert_eq!(worker.join().unwrap(), Some("job"));
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        block_on(
            "cross_thread::UnboundedReceiver::blocking_recv",
            self.recv(),
        )
    }

    /// Receives up to `limit` messages at once, appending them to `buffer`, and returns
    /// how many; waits if none is queued. Returns 0 only when `limit` is 0 or once the
    /// channel is closed and drained. One lock and one unit of the [`coop`](crate::coop)
    /// budget per batch. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
    /// for i in 0..4 {
    ///     tx.send(i).unwrap();
    /// }
    /// let mut batch = Vec::new();
    /// let n = mirage::Core::new().unwrap().run(rx.recv_many(&mut batch, 16));
    /// assert_eq!((n, batch), (4, vec![0, 1, 2, 3]));
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
    /// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// let mut batch = Vec::new();
    /// let mut core = mirage::Core::new().unwrap();
    /// assert_eq!(core.run(poll_fn(|cx| rx.poll_recv_many(cx, &mut batch, 4))), 1);
    /// assert_eq!(core.run(poll_fn(|cx| rx.poll_recv_many(cx, &mut batch, 4))), 0);
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
    /// Fails with [`TryRecvError::Empty`] if none is queued but a sender remains, and with
    /// [`TryRecvError::Disconnected`] if none is queued and none can arrive.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{cross_thread, mpsc::error::TryRecvError};
    ///
    /// let (tx, mut rx) = cross_thread::unbounded();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Closes the channel without dropping the receiver: later sends fail, and the messages
    /// already queued can still be received.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn close(&mut self) {
        self.rx.close();
    }

    /// How many messages are queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::unbounded();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether no message is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::unbounded();
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
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
    /// let (tx, mut rx) = mirage::sync::cross_thread::unbounded();
    /// assert!(!rx.is_closed());
    /// tx.send(1).unwrap();
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
    /// let (tx, rx) = mirage::sync::cross_thread::unbounded::<u8>();
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
    /// let (tx, rx) = mirage::sync::cross_thread::unbounded::<u8>();
    /// let weak = tx.downgrade();
    /// assert_eq!(rx.sender_weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(rx.sender_weak_count(), 0);
    /// ```
    pub fn sender_weak_count(&self) -> usize {
        self.rx.sender_weak_count()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
