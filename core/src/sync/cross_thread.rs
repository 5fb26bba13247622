//! A channel whose senders may be on other threads: how one Core hands work or a signal to
//! another, or a plain thread to a Core.
//!
//! [`unbounded`](fn@unbounded) makes an unbounded multi-producer, single-consumer FIFO
//! queue. The [`UnboundedSender`] is `Send + Sync` and cheap to clone: a send never waits,
//! from any thread, and wakes the receiving task (on a Core blocked in its poller, through
//! the Core's eventfd). A burst of sends before the receiver runs costs one wake-up. The
//! [`UnboundedReceiver`] can move to the thread of the Core that awaits it.
//!
//! It is the one channel in [`mirage::sync`](crate::sync) with a lock: a `std` mutex held
//! for a queue push or pop, never while a waker runs or a message is dropped. Between the
//! tasks of one Core, [`mpsc`](super::mpsc) costs less and offers back-pressure. There is
//! no bounded form yet: to bound what one Core queues for another, have the receiver
//! answer through a second channel (credit, or a reply per request).
//!
//! As with `mpsc`, [`UnboundedReceiver::recv`] yields `None` once every sender is dropped
//! (or the receiver is closed) and the queue is drained; dropping the receiver drops what
//! is queued, and later sends hand their value back in [`SendError`]. Receiving spends the
//! task's [`coop`] budget.
//!
//! # Examples
//!
//! Threads feeding a Core:
//!
//! ```
//! use mirage::sync::cross_thread;
//!
//! let (tx, mut rx) = cross_thread::unbounded();
//! let producers: Vec<_> = (0..4)
//!     .map(|id| {
//!         let tx = tx.clone();
//!         std::thread::spawn(move || tx.send(id).unwrap())
//!     })
//!     .collect();
//! drop(tx);
//! let mut core = mirage::Core::new().unwrap();
//! let sum = core.run(async move {
//!     let mut sum = 0;
//!     while let Some(id) = rx.recv().await {
//!         sum += id;
//!     }
//!     sum
//! });
//! assert_eq!(sum, 6);
//! producers.into_iter().for_each(|p| p.join().unwrap());
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::mpsc::error::TryRecvError;
use super::wait_list::update_waker;
use super::SendError;
use crate::coop;

/// Creates an unbounded channel whose [`UnboundedSender`] may be used from any thread.
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
pub fn unbounded<T: Send>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            receiver: None,
            senders: 1,
            closed: false,
        }),
    });
    (
        UnboundedSender {
            shared: Arc::clone(&shared),
        },
        UnboundedReceiver { shared },
    )
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    queue: VecDeque<T>,
    /// The waker of the receiving task while it waits; taken by the send that wakes it, so
    /// the sends after it, until the receiver waits again, wake nobody.
    receiver: Option<Waker>,
    senders: usize,
    /// The receiver was closed or dropped: sends fail.
    closed: bool,
}

impl<T> Shared<T> {
    /// The state, locked. Every critical section is a few queue or field operations that
    /// cannot panic (short of allocation failure, which aborts), so a poisoned lock holds
    /// consistent state and is taken as it is.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The sending half of an [`unbounded`](fn@unbounded) channel: `Send + Sync`, cheap to
/// clone.
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
    shared: Arc<Shared<T>>,
}

impl<T> UnboundedSender<T> {
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
        let mut state = self.shared.lock();
        if state.closed {
            return Err(SendError(value));
        }
        state.queue.push_back(value);
        let receiver = state.receiver.take();
        drop(state);
        if let Some(receiver) = receiver {
            receiver.wake();
        }
        Ok(())
    }

    /// Whether the receiver was dropped or closed, so that [`send`](UnboundedSender::send) fails.
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
        self.shared.lock().closed
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
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        UnboundedSender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.senders -= 1;
        let receiver = if state.senders == 0 {
            state.receiver.take()
        } else {
            None
        };
        drop(state);
        if let Some(receiver) = receiver {
            receiver.wake();
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
/// thread (`Send`), and is awaited by one task at a time.
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
    shared: Arc<Shared<T>>,
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next message, waiting while the queue is empty.
    ///
    /// Returns `None` once every sender is dropped (or the receiver is
    /// [closed](UnboundedReceiver::close)) and the queue is drained. Cancel-safe: dropping
    /// the future loses no message.
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
        Recv { receiver: self }
    }

    /// Polls for the next message; on `Pending`, the task of `cx` is woken when a message
    /// arrives or the last sender is dropped. Inside a Core's task, a message also waits
    /// (`Pending`, the task woken at once) when the task's [`coop`] budget is
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
        let mut state = self.shared.lock();
        if !state.queue.is_empty() {
            if !coop::try_spend() {
                // The message stays queued for the task's next turn.
                drop(state);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            return Poll::Ready(state.queue.pop_front());
        }
        if state.closed || state.senders == 0 {
            return Poll::Ready(None);
        }
        let old = update_waker(&mut state.receiver, cx.waker());
        drop(state);
        drop(old);
        Poll::Pending
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
        let mut state = self.shared.lock();
        match state.queue.pop_front() {
            Some(value) => Ok(value),
            None if state.closed || state.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
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
        self.shared.lock().closed = true;
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
        self.shared.lock().queue.len()
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
        self.shared.lock().queue.is_empty()
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed = true;
        let queued = std::mem::take(&mut state.queue);
        let waker = state.receiver.take();
        drop(state);
        // Outside the lock: a message's destructor may use this channel.
        drop(queued);
        drop(waker);
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The future returned by [`UnboundedReceiver::recv`]; cancel-safe.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread;
///
/// let (tx, mut rx) = cross_thread::unbounded();
/// tx.send(1).unwrap();
/// let recv: cross_thread::Recv<'_, u8> = rx.recv();
/// assert_eq!(mirage::Core::new().unwrap().run(recv), Some(1));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    receiver: &'a mut UnboundedReceiver<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value whose destructor sends on the channel it was queued in.
    struct SendsOnDrop(Option<UnboundedSender<SendsOnDrop>>);

    impl Drop for SendsOnDrop {
        fn drop(&mut self) {
            if let Some(tx) = self.0.take() {
                // The receiver is gone: this must fail, not deadlock on the channel's lock.
                let back = tx.send(SendsOnDrop(None)).unwrap_err().into_inner();
                drop(back);
            }
        }
    }

    #[test]
    fn dropping_the_receiver_drops_messages_outside_the_lock() {
        let (tx, rx) = unbounded();
        tx.send(SendsOnDrop(Some(tx.clone()))).unwrap();
        drop(rx);
        assert!(tx.is_closed());
    }

    #[test]
    fn the_last_sender_dropped_ends_the_stream_after_the_queue() {
        let (tx, mut rx) = unbounded();
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        drop(tx);
        tx2.send(2).unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        drop(tx2);
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }
}
