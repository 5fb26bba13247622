//! The unbounded channel: [`unbounded`] (or [`unbounded_channel`]), [`UnboundedSender`],
//! [`UnboundedReceiver`].

use std::fmt;
use std::task::{Context, Poll};

use super::WeakUnboundedSender;
use super::error::{SendError, TryRecvError};
use super::futures::{Closed, Recv, RecvMany};
use crate::sync::chan::{self, Local, Rx, Tx};

/// Creates a channel whose queue grows without limit.
///
/// [`UnboundedSender::send`] never waits, so nothing slows down a producer
/// that outpaces the consumer; prefer [`channel`](super::channel) when that
/// matters.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = mirage::sync::mpsc::unbounded();
///     mirage::spawn(async move {
///         tx.send("hello").unwrap();
///         tx.send("world").unwrap();
///     });
///     assert_eq!(rx.recv().await, Some("hello"));
///     assert_eq!(rx.recv().await, Some("world"));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub fn unbounded<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = chan::channel(None);
    (UnboundedSender::new(tx), UnboundedReceiver { rx })
}

/// [`unbounded`] under tokio's name, so that code written for `tokio::sync::mpsc` ports
/// without renaming.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = mirage::sync::mpsc::unbounded_channel();
/// tx.send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    unbounded()
}

/// The sending half of an unbounded channel; cheap to clone.
///
/// The receiver sees the channel as disconnected once every clone is dropped.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = mirage::sync::mpsc::unbounded();
/// let other = tx.clone();
/// tx.send("a").unwrap();
/// other.send("b").unwrap();
/// assert_eq!(rx.try_recv(), Ok("a"));
/// ```
pub struct UnboundedSender<T> {
    tx: Tx<Local<T>>,
}

impl<T> UnboundedSender<T> {
    pub(super) fn new(tx: Tx<Local<T>>) -> UnboundedSender<T> {
        UnboundedSender { tx }
    }

    /// Queues `value` without waiting and wakes the receiving task.
    ///
    /// Fails, handing the value back in [`SendError`], if the receiver was
    /// dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::mpsc::unbounded();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.tx.send_unbounded(value)
    }

    /// Returns `true` if the receiver was dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::unbounded::<u8>();
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
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::unbounded::<u8>();
    ///     mirage::spawn(async move { rx.close() });
    ///     tx.closed().await;
    ///     assert!(tx.send(1).is_err());
    /// });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed::new(&self.tx)
    }

    /// Returns `true` if both senders belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::unbounded::<u8>();
    /// let (other, _other_rx) = mirage::sync::mpsc::unbounded::<u8>();
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
    /// let (tx, _rx) = mirage::sync::mpsc::unbounded::<u8>();
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
    /// let (tx, _rx) = mirage::sync::mpsc::unbounded::<u8>();
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
    /// let (tx, _rx) = mirage::sync::mpsc::unbounded::<u8>();
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
            .finish()
    }
}

/// The receiving half of an unbounded channel.
///
/// Dropping it closes the channel and drops queued messages at once.
///
/// # Examples
///
/// ```
/// let (tx, rx) = mirage::sync::mpsc::unbounded();
/// tx.send(1).unwrap();
/// drop(rx); // closes the channel and drops what was queued
/// assert!(tx.send(2).is_err());
/// ```
pub struct UnboundedReceiver<T> {
    rx: Rx<Local<T>>,
}

impl<T> UnboundedReceiver<T> {
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
    ///     let (tx, mut rx) = mirage::sync::mpsc::unbounded();
    ///     mirage::spawn(async move {
    ///         for i in 0..3 {
    ///             tx.send(i).unwrap();
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
    ///     let (tx, mut rx) = mpsc::unbounded();
    ///     tx.send(7).unwrap();
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
    /// `limit` is 0 or once the channel is closed and drained. A batch spends
    /// one unit of the [`coop`](crate::coop) budget. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::mpsc::unbounded();
    ///     for i in 0..4 {
    ///         tx.send(i).unwrap();
    ///     }
    ///     let mut batch = Vec::with_capacity(16);
    ///     assert_eq!(rx.recv_many(&mut batch, 16).await, 4);
    ///     assert_eq!(batch, [0, 1, 2, 3]);
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
    ///     let (tx, mut rx) = mirage::sync::mpsc::unbounded();
    ///     tx.send(1).unwrap();
    ///     drop(tx);
    ///     let mut batch = Vec::new();
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv_many(cx, &mut batch, 4)).await, 1);
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv_many(cx, &mut batch, 4)).await, 0);
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
    /// let (tx, mut rx) = mpsc::unbounded::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Closes the channel without dropping the receiver: new sends fail,
    /// messages already queued can still be received.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::mpsc::unbounded();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1)); // what was queued is still there
    /// ```
    pub fn close(&mut self) {
        self.rx.close();
    }

    /// Number of queued messages.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::unbounded();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
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
    /// let (tx, rx) = mirage::sync::mpsc::unbounded();
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
    /// let (tx, mut rx) = mirage::sync::mpsc::unbounded();
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
    /// let (tx, rx) = mirage::sync::mpsc::unbounded::<u8>();
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
    /// let (tx, rx) = mirage::sync::mpsc::unbounded::<u8>();
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
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::*;
    use std::cell::Cell;
    use std::pin::pin;
    use std::rc::Rc;

    #[test]
    fn messages_arrive_in_order_and_wake_once() {
        let (tx, mut rx) = unbounded();
        let (counter, waker) = counting_waker();
        assert!(poll_with(pin!(rx.recv()), &waker).is_pending());
        assert_eq!(counter.count(), 0);
        for i in 0..1000 {
            tx.send(i).unwrap();
        }
        assert_eq!(counter.count(), 1);
        assert_eq!(rx.len(), 1000);
        for i in 0..1000 {
            assert_eq!(poll_with(pin!(rx.recv()), &waker), Poll::Ready(Some(i)));
        }
        assert!(rx.is_empty());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn none_only_after_all_senders_dropped_and_drained() {
        let (tx, mut rx) = unbounded();
        let tx2 = tx.clone();
        assert!(tx.same_channel(&tx2));
        tx.send(1).unwrap();
        drop(tx);
        tx2.send(2).unwrap();
        let (counter, waker) = counting_waker();
        assert_eq!(
            rx.poll_recv(&mut Context::from_waker(&waker)),
            Poll::Ready(Some(1))
        );
        assert_eq!(
            rx.poll_recv(&mut Context::from_waker(&waker)),
            Poll::Ready(Some(2))
        );
        assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
        drop(tx2);
        assert_eq!(counter.count(), 1);
        assert_eq!(
            rx.poll_recv(&mut Context::from_waker(&waker)),
            Poll::Ready(None)
        );
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }

    #[test]
    fn send_after_receiver_gone_returns_value() {
        let (tx, mut rx) = unbounded();
        let (counter, waker) = counting_waker();
        let mut closed = pin!(tx.closed());
        assert!(poll_with(closed.as_mut(), &waker).is_pending());
        assert!(!tx.is_closed());
        rx.close();
        assert_eq!(counter.count(), 1);
        assert!(poll_with(closed.as_mut(), &waker).is_ready());
        assert!(tx.is_closed());
        assert_eq!(
            tx.send(String::from("x")),
            Err(SendError(String::from("x")))
        );
        assert_eq!(poll_with(pin!(rx.recv()), &waker), Poll::Ready(None));
        drop(rx);
        assert_eq!(tx.send(String::from("y")).unwrap_err().into_inner(), "y");
    }

    #[test]
    fn close_keeps_queued_messages() {
        let (tx, mut rx) = unbounded();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        rx.close();
        assert!(tx.send(3).is_err());
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }

    #[test]
    fn a_drained_burst_gives_its_memory_back() {
        let (tx, mut rx) = unbounded();
        let (_, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        assert!(rx.rx.queue_capacity() >= 10_000);
        for i in 0..9_999 {
            assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(i)));
        }
        assert!(rx.rx.queue_capacity() >= 10_000, "not while messages wait");
        assert_eq!(rx.try_recv(), Ok(9_999));
        assert!(rx.rx.queue_capacity() <= 64, "the burst's storage is freed");

        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        let mut batch = Vec::new();
        assert_eq!(
            rx.poll_recv_many(&mut cx, &mut batch, 20_000),
            Poll::Ready(10_000)
        );
        assert!(rx.rx.queue_capacity() <= 64, "nor after a batch");
        tx.send(1).unwrap();
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    }

    #[test]
    fn dropping_receiver_drops_queued_messages_exactly_once() {
        let drops = Rc::new(Cell::new(0));
        let (tx, rx) = unbounded();
        for _ in 0..5 {
            tx.send(DropCounter(drops.clone())).unwrap();
        }
        drop(rx);
        assert_eq!(drops.get(), 5);
        drop(tx);
        assert_eq!(drops.get(), 5);
    }

    #[test]
    fn receiver_waker_may_send_from_wake() {
        let (tx, mut rx) = unbounded();
        let tx = Rc::new(tx);
        let waker = {
            let tx = tx.clone();
            wake_hook_waker(move || tx.send(99).unwrap())
        };
        assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
        tx.send(1).unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(99));
    }

    #[test]
    fn disconnect_and_close_wakeups_may_reenter() {
        let (tx, rx) = unbounded::<u8>();
        let rx = Rc::new(std::cell::RefCell::new(rx));
        let seen = Rc::new(Cell::new(None));
        let waker = {
            let (rx, seen) = (rx.clone(), seen.clone());
            wake_hook_waker(move || seen.set(Some(rx.borrow_mut().try_recv())))
        };
        let pending = rx.borrow_mut().poll_recv(&mut Context::from_waker(&waker));
        assert!(pending.is_pending());
        drop(tx);
        assert_eq!(seen.get(), Some(Err(TryRecvError::Disconnected)));

        let (tx, mut rx) = unbounded::<u8>();
        let tx = Rc::new(tx);
        let closed_seen = Rc::new(Cell::new(false));
        let waker = {
            let (tx, seen) = (tx.clone(), closed_seen.clone());
            wake_hook_waker(move || seen.set(tx.is_closed() && tx.send(1).is_err()))
        };
        let mut closed = pin!(tx.closed());
        assert!(poll_with(closed.as_mut(), &waker).is_pending());
        rx.close();
        assert!(closed_seen.get());
    }

    #[test]
    fn debug_output_does_not_need_debug_values() {
        struct Opaque;
        let (tx, rx) = unbounded::<Opaque>();
        assert_eq!(format!("{tx:?}"), "UnboundedSender { closed: false }");
        assert_eq!(format!("{rx:?}"), "UnboundedReceiver { len: 0 }");
        assert_eq!(format!("{:?}", tx.closed()), "Closed { .. }");
    }
}
