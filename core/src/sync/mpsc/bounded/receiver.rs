//! [`Receiver`]: the receiving half of a bounded channel.

use std::fmt;
use std::task::{Context, Poll};

use super::super::error::TryRecvError;
use super::super::futures::{Recv, RecvMany};
use crate::sync::chan::{Local, Rx};

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
    pub(super) rx: Rx<Local<T>>,
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
    /// sent through [`Permit`](super::Permit)s taken before, or by a waiting `send` that a
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
    /// holds (a [`Permit`](super::Permit), or a waiting send it was handed to) does not count.
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
