//! [`Receiver`]: the receiving half of a bounded cross-thread channel.

use std::fmt;
use std::task::{Context, Poll};

use super::super::blocking::block_on;
use super::super::futures::{Recv, RecvMany};
use crate::sync::chan::{Rx, Synced};
use crate::sync::mpsc::error::TryRecvError;

/// The receiving half of a bounded [`channel`](super::channel). It may move to another thread (`Send`, for
/// a `Send` message type), and is awaited by one task at a time.
///
/// Dropping it closes the channel: the queued messages are dropped at once, and every
/// waiting sender, on whichever thread, is woken and gets its value back.
///
/// # Examples
///
/// ```
/// let (tx, rx) = mirage::sync::cross_thread::channel(2);
/// tx.try_send(1).unwrap();
/// drop(rx); // closes the channel and drops what was queued
/// assert!(tx.is_closed());
/// ```
pub struct Receiver<T> {
    pub(super) rx: Rx<Synced<T>>,
}

impl<T> Receiver<T> {
    /// Receives the next message, waiting while the queue is empty; taking one makes room
    /// for the oldest waiting sender.
    ///
    /// Returns `None` once every sender is dropped (or the receiver is
    /// [closed](Self::close)) and the queue is drained. Cancel-safe: dropping the future
    /// loses no message.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(2);
    /// let producer = std::thread::spawn(move || {
    ///     for i in 0..5 {
    ///         tx.blocking_send(i).unwrap();
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
    /// assert_eq!(got, [0, 1, 2, 3, 4]);
    /// producer.join().unwrap();
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
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
    /// tx.try_send(7).unwrap();
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
    /// A Core handing work to a plain worker thread:
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(8);
    /// let worker = std::thread::spawn(move || {
    ///     let mut done = 0;
    ///     while let Some(job) = rx.blocking_recv() {
    ///         done += job;
    ///     }
    ///     done
    /// });
    /// mirage::Core::new().unwrap().run(async move {
    ///     for job in 1..=10 {
    ///         tx.send(job).await.unwrap();
    ///     }
    /// });
    /// assert_eq!(worker.join().unwrap(), 55);
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        block_on("cross_thread::Receiver::blocking_recv", self.recv())
    }

    /// Receives up to `limit` messages at once, appending them to `buffer`, and returns
    /// how many; waits if none is queued. Returns 0 only when `limit` is 0 or once the
    /// channel is closed and drained. One lock and one unit of the [`coop`](crate::coop)
    /// budget per batch. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(8);
    /// let producer = std::thread::spawn(move || {
    ///     for i in 0..5 {
    ///         tx.blocking_send(i).unwrap();
    ///     }
    /// });
    /// let mut core = mirage::Core::new().unwrap();
    /// let all = core.run(async move {
    ///     let mut all = Vec::new();
    ///     while rx.recv_many(&mut all, 3).await > 0 {}
    ///     all
    /// });
    /// assert_eq!(all, [0, 1, 2, 3, 4]);
    /// producer.join().unwrap();
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
    /// let (tx, mut rx) = cross_thread::channel(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Closes the channel without dropping the receiver: later sends fail, waiting senders
    /// get their values back, and the messages already queued can still be received, as
    /// can those sent through [`Permit`](super::Permit)s taken before the close, or by a waiting `send`
    /// that a freed slot was already handed to. So `recv` waits for such a slot to be used
    /// or given back: a task that drains after `close()` must not itself hold one unused.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(2);
    /// tx.try_send(1).unwrap();
    /// rx.close();
    /// assert!(tx.try_send(2).unwrap_err().is_closed());
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
    /// let (tx, rx) = mirage::sync::cross_thread::channel(4);
    /// tx.try_send(1).unwrap();
    /// tx.try_send(2).unwrap();
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
    /// let (tx, rx) = mirage::sync::cross_thread::channel(4);
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
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(2);
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
    /// let (tx, rx) = mirage::sync::cross_thread::channel::<u8>(2);
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
    /// let (tx, rx) = mirage::sync::cross_thread::channel::<u8>(2);
    /// let weak = tx.downgrade();
    /// assert_eq!(rx.sender_weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(rx.sender_weak_count(), 0);
    /// ```
    pub fn sender_weak_count(&self) -> usize {
        self.rx.sender_weak_count()
    }

    /// Free slots now: how many more messages fit before a send waits. A slot a sender
    /// holds (a [`Permit`](super::Permit), or a waiting send it was handed to) does not count.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::channel::<u8>(2);
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
    /// let (tx, rx) = mirage::sync::cross_thread::channel::<u8>(2);
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
            .finish_non_exhaustive()
    }
}
