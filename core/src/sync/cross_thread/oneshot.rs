//! One value from one thread to another: the reply to a request sent to another Core, or
//! the result of blocking work done on a plain thread.
//!
//! The same contract as [`sync::oneshot`](crate::sync::oneshot), with a [`Sender`] that may
//! be used on any thread: [`Sender::send`] is synchronous and consumes the sender; the
//! [`Receiver`] is a future of `Result<T, RecvError>`, failing if the sender is dropped
//! without sending. On a thread with no Core, [`Receiver::blocking_recv`] parks the thread
//! instead (and panics on a thread running a Core, which it would block).
//!
//! It is the cross-thread [`unbounded`](super::unbounded) queue holding at most one value,
//! so it costs what one message on that queue costs.
//!
//! # Examples
//!
//! Blocking work on a thread of its own, awaited by a task, which the Core keeps running
//! meanwhile:
//!
//! ```
//! use mirage::sync::cross_thread::oneshot;
//!
//! let mut core = mirage::Core::new().unwrap();
//! let sum = core.run(async {
//!     let (tx, rx) = oneshot::channel();
//!     std::thread::spawn(move || {
//!         let sum: u64 = (1..=1_000).sum(); // stands for blocking work: a file, a DNS query
//!         let _ = tx.send(sum);
//!     });
//!     rx.await.unwrap()
//! });
//! assert_eq!(sum, 500_500);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::blocking::block_on;
use super::futures::Closed;
use crate::sync::SendError;
use crate::sync::chan::{self, Rx, Synced, Tx};
use crate::sync::mpsc;

pub use error::{RecvError, TryRecvError};

/// Error types of the cross-thread [`oneshot`](super::oneshot), at the path tokio gives them:
/// the same types as [`sync::oneshot::error`](crate::sync::oneshot::error).
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::oneshot::{self, error::TryRecvError};
///
/// let (tx, mut rx) = oneshot::channel::<u8>();
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
pub mod error {
    pub use crate::sync::oneshot::error::{RecvError, TryRecvError};
}

/// Creates a one-value channel whose [`Sender`] may be used on any thread.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::oneshot;
///
/// let (tx, rx) = oneshot::channel();
/// std::thread::spawn(move || tx.send("done").unwrap());
/// assert_eq!(rx.blocking_recv(), Ok("done"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = chan::channel(None);
    let tx = Sender {
        tx,
        closed_waiter: None,
    };
    (tx, Receiver { rx, done: false })
}

/// Sends one value to the paired [`Receiver`]; `Send` (for a `Send` value type), so it can
/// move to the thread that produces the value. Dropping it without sending makes the
/// receiver fail with [`RecvError`].
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::oneshot;
///
/// let (tx, rx) = oneshot::channel::<u8>();
/// std::thread::spawn(move || drop(tx)).join().unwrap();
/// assert!(rx.blocking_recv().is_err());
/// ```
pub struct Sender<T> {
    tx: Tx<Synced<T>>,
    /// Entry among the channel's `closed` waiters while [`Sender::poll_closed`] waits.
    closed_waiter: Option<usize>,
}

impl<T> Sender<T> {
    /// Sends `value` without waiting, waking the receiving task (or thread). Fails, handing
    /// `value` back in [`SendError`], if the receiver was dropped or closed.
    ///
    /// Unlike tokio's, whose `send` hands back the bare `T` (`Result<(), T>`), the value
    /// comes back wrapped, as from every other channel's send: a port that uses the error
    /// as the value takes it out with [`SendError::into_inner`] (or `.0`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().into_inner(), 5);
    /// ```
    pub fn send(self, value: T) -> Result<(), SendError<T>> {
        self.tx.send_unbounded(value)
    }

    /// Whether the receiver was dropped or closed, so that [`send`](Sender::send) would
    /// fail: a worker can give up on a result nobody wants.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::oneshot::channel::<u8>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Waits until the receiver is dropped or closed. Cancel-safe. Completing spends one
    /// unit of the task's [`coop`](crate::coop) budget, as tokio's does.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, rx) = mirage::sync::cross_thread::oneshot::channel::<u8>();
    ///     std::thread::spawn(move || drop(rx));
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed::new(&self.tx)
    }

    /// Polls for the receiver being dropped or closed; on `Pending`, the task of `cx` is
    /// woken (from whichever thread) when that happens. Only the task of the latest poll
    /// is woken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (mut tx, rx) = mirage::sync::cross_thread::oneshot::channel::<u8>();
    ///     std::thread::spawn(move || drop(rx));
    ///     poll_fn(|cx| tx.poll_closed(cx)).await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        ready!(self.tx.poll_closed(&mut self.closed_waiter, cx));
        // Spends a unit, as tokio's does: a loop that keeps awaiting `closed` on a closed
        // channel still yields.
        crate::coop::poll_proceed(cx)
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(key) = self.closed_waiter.take() {
            self.tx.cancel_closed(key);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Receives the value from the paired [`Sender`]: a future of `Ok(value)`, or of
/// `Err(RecvError)` if the sender was dropped without sending (or the receiver was
/// [closed](Receiver::close) first). It may move to another thread (`Send`, for a `Send`
/// value type). Polling it again after it completed panics.
///
/// Dropping it drops a value sent and not received, and wakes a [`Sender::closed`].
/// Awaiting `&mut rx` instead is cancel-safe: given up on, it leaves the value in the
/// channel for the next await.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = mirage::sync::cross_thread::oneshot::channel();
///     std::thread::spawn(move || tx.send(42).unwrap());
///     assert_eq!(rx.await, Ok(42));
/// });
/// ```
pub struct Receiver<T> {
    rx: Rx<Synced<T>>,
    /// The value or the error was handed out.
    done: bool,
}

impl<T> Receiver<T> {
    /// Takes the value if it has arrived, without waiting: [`TryRecvError::Empty`] while
    /// the sender may still send, [`TryRecvError::Closed`] once no value can arrive.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::oneshot::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if self.done {
            return Err(TryRecvError::Closed);
        }
        match self.rx.try_recv() {
            Ok(value) => {
                self.done = true;
                Ok(value)
            }
            Err(mpsc::error::TryRecvError::Empty) => Err(TryRecvError::Empty),
            Err(mpsc::error::TryRecvError::Disconnected) => {
                self.done = true;
                Err(TryRecvError::Closed)
            }
        }
    }

    /// Whether no value waits in the channel: none arrived yet, the sender is gone
    /// without sending, or the value was received already. Not whether polling is
    /// allowed: that is [`is_terminated`](Self::is_terminated).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::oneshot;
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert!(rx.is_empty());
    /// std::thread::spawn(move || tx.send(1).unwrap()).join().unwrap();
    /// assert!(!rx.is_empty());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.done || self.rx.len() == 0
    }

    /// Whether the receiver has handed out its outcome: the value, or the error saying
    /// none will come (by `.await` or by [`try_recv`](Self::try_recv)). It must not be
    /// polled again then. A value sent but not yet received, or a sender dropped but not
    /// yet observed, does not terminate it.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::oneshot;
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// tx.send(5).unwrap();
    /// assert!(!rx.is_terminated(), "not received yet");
    /// let mut core = mirage::Core::new().unwrap();
    /// assert_eq!(core.run(&mut rx), Ok(5));
    /// assert!(rx.is_terminated());
    /// ```
    pub fn is_terminated(&self) -> bool {
        self.done
    }

    /// Waits for the value on a thread with no Core, parking the thread.
    ///
    /// # Panics
    ///
    /// On a thread running a Core, which it would block: `.await` the receiver there.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// let waiting = std::thread::spawn(move || rx.blocking_recv());
    /// mirage::Core::new().unwrap().run(async move { tx.send("from a Core").unwrap() });
    /// assert_eq!(waiting.join().unwrap(), Ok("from a Core"));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        block_on("cross_thread::oneshot::Receiver::blocking_recv", self)
    }

    /// Closes the channel without dropping the receiver: a later [`Sender::send`] fails
    /// and a [`Sender::closed`] completes. A value sent before can still be received.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::oneshot;
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// rx.close();
    /// assert!(tx.send(1).is_err());
    /// assert!(rx.try_recv().is_err());
    /// ```
    pub fn close(&mut self) {
        self.rx.close();
    }

    /// Whether awaiting would not wait: the value arrived, or the sender is gone. Also
    /// `true` once the outcome was handed out.
    pub(crate) fn is_ready(&self) -> bool {
        self.done || self.rx.is_ready()
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let this = self.get_mut();
        assert!(
            !this.done,
            "cross_thread::oneshot::Receiver polled after completion"
        );
        let received = std::task::ready!(this.rx.poll_recv(cx));
        this.done = true;
        Poll::Ready(received.ok_or(RecvError))
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::oneshot::Receiver")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::pin::{Pin, pin};
    use std::rc::Rc;
    use std::task::Poll;

    use super::*;
    use crate::sync::test_util::{counting_waker, drop_hook_waker, poll_with};

    #[test]
    fn is_empty_and_is_terminated_follow_the_value_and_the_closing() {
        let (tx, mut rx) = channel();
        let (_, waker) = counting_waker();
        assert!(rx.is_empty() && !rx.is_terminated());
        assert!(poll_with(Pin::new(&mut rx), &waker).is_pending());
        tx.send(3).unwrap();
        assert!(!rx.is_empty() && !rx.is_terminated(), "sent, not received");
        assert_eq!(poll_with(Pin::new(&mut rx), &waker), Poll::Ready(Ok(3)));
        assert!(rx.is_empty() && rx.is_terminated());

        let (tx, mut rx) = channel::<u8>();
        drop(tx);
        assert!(rx.is_empty() && !rx.is_terminated(), "not observed yet");
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert!(rx.is_terminated());
    }

    #[test]
    fn poll_closed_waits_for_the_receiver_and_a_dropped_sender_leaves_no_entry() {
        let (mut tx, rx) = channel::<u8>();
        let (woken, waker) = counting_waker();
        let poll_closed = |tx: &mut Sender<u8>| {
            poll_with(pin!(std::future::poll_fn(|cx| tx.poll_closed(cx))), &waker)
        };
        assert!(poll_closed(&mut tx).is_pending());
        assert!(poll_closed(&mut tx).is_pending());
        assert_eq!(tx.tx.waiter_slots(), (0, 1), "one entry, polled twice");
        drop(rx);
        assert_eq!(woken.count(), 1);
        assert_eq!(poll_closed(&mut tx), Poll::Ready(()));
        assert_eq!(tx.tx.waiter_slots(), (0, 0), "the entry is gone when ready");

        let (mut tx, rx) = channel::<u8>();
        let waker_dropped = Rc::new(Cell::new(false));
        let waker = drop_hook_waker({
            let waker_dropped = waker_dropped.clone();
            move || waker_dropped.set(true)
        });
        let pending = poll_with(pin!(std::future::poll_fn(|cx| tx.poll_closed(cx))), &waker);
        assert!(pending.is_pending());
        drop(waker);
        assert!(!waker_dropped.get(), "the channel keeps a clone");
        drop(tx);
        assert!(waker_dropped.get(), "the dropped sender's entry is gone");
        drop(rx);
    }
}
