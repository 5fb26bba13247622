//! A channel for sending a single value between two tasks on the same thread.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]. [`Sender::send`] is
//! synchronous and consumes the sender; the [`Receiver`] is itself a future
//! resolving to the value, or to [`RecvError`] if the sender was dropped
//! without sending. The sender can wait for the receiver to lose interest
//! with [`Sender::closed`].
//!
//! Both halves are `!Send`: they may only be used by tasks of the event loop
//! that created them.
//!
//! # Examples
//!
//! ```
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     let (tx, rx) = mirage::sync::oneshot::channel();
//!     mirage::spawn(async move {
//!         tx.send("done").unwrap();
//!     });
//!     assert_eq!(rx.await, Ok("done"));
//! });
//! ```

pub mod error;

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::wait_list::update_waker;
use crate::coop;

pub use super::error::SendError;
pub use error::{RecvError, TryRecvError};

/// Creates a new one-shot channel, returning its sending and receiving halves.
///
/// # Examples
///
/// ```
/// use mirage::sync::oneshot::{self, TryRecvError};
///
/// let (tx, mut rx) = oneshot::channel();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// tx.send(3).unwrap();
/// assert_eq!(rx.try_recv(), Ok(3));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Rc::new(RefCell::new(Inner {
        value: None,
        tx_done: false,
        rx_closed: false,
        rx_waker: None,
        tx_waker: None,
    }));
    (
        Sender {
            inner: inner.clone(),
        },
        Receiver { inner, done: false },
    )
}

struct Inner<T> {
    value: Option<T>,
    /// The sender sent a value or was dropped.
    tx_done: bool,
    /// The receiver was closed or dropped.
    rx_closed: bool,
    /// Task waiting on the receiver.
    rx_waker: Option<Waker>,
    /// Task waiting in [`Sender::closed`].
    tx_waker: Option<Waker>,
}

/// Sends one value to the paired [`Receiver`]; created by [`channel`].
///
/// Dropping the sender without sending makes the receiver resolve to
/// [`RecvError`].
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = mirage::sync::oneshot::channel();
///     mirage::spawn(async move { tx.send("reply").unwrap() });
///     assert_eq!(rx.await, Ok("reply"));
/// });
/// ```
pub struct Sender<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value` without waiting, waking the receiving task.
    ///
    /// Fails, handing `value` back in [`SendError`], if the receiver was
    /// dropped or [closed](Receiver::close).
    ///
    /// Unlike tokio's, whose `send` hands back the bare `T` (`Result<(), T>`), the value
    /// comes back wrapped, as from every other channel's send: a port that uses the error
    /// as the value takes it out with [`SendError::into_inner`] (or `.0`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(5).unwrap_err().0, 5);
    /// ```
    pub fn send(self, value: T) -> Result<(), SendError<T>> {
        let mut inner = self.inner.borrow_mut();
        if inner.rx_closed {
            return Err(SendError(value));
        }
        inner.value = Some(value);
        inner.tx_done = true;
        let waker = inner.rx_waker.take();
        drop(inner);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Returns `true` if the receiver was dropped or closed, so that
    /// [`send`](Self::send) would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::oneshot::channel::<u8>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.borrow().rx_closed
    }

    /// Waits until the receiver is dropped or closed. Cancel-safe: a dropped `closed`
    /// future leaves no waker behind.
    ///
    /// Useful to abandon work whose result nobody wants any more. Only the
    /// task that polled the returned future most recently is woken. Completing spends one
    /// unit of the task's [`coop`] budget, as tokio's does.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (mut tx, rx) = mirage::sync::oneshot::channel::<u32>();
    ///     mirage::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub fn closed(&mut self) -> Closed<'_, T> {
        Closed { sender: self }
    }

    /// Polls for the receiver being dropped or closed; on `Pending`, the task
    /// of `cx` is woken when that happens.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (mut tx, rx) = mirage::sync::oneshot::channel::<u8>();
    ///     mirage::spawn(async move { drop(rx) });
    ///     poll_fn(|cx| tx.poll_closed(cx)).await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.inner.borrow_mut();
        if inner.rx_closed {
            drop(inner);
            // Spends a unit, as tokio's does: a loop that keeps awaiting `closed` on a
            // closed channel still yields.
            return coop::poll_proceed(cx);
        }
        let old = update_waker(&mut inner.tx_waker, cx.waker());
        drop(inner);
        drop(old);
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        let own_waker = inner.tx_waker.take();
        let rx_waker = if inner.tx_done {
            None
        } else {
            inner.tx_done = true;
            inner.rx_waker.take()
        };
        drop(inner);
        drop(own_waker);
        if let Some(waker) = rx_waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Future returned by [`Sender::closed`]; completes when the receiver is
/// dropped or closed.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (mut tx, rx) = mirage::sync::oneshot::channel::<u8>();
///     let closed: mirage::sync::oneshot::Closed<'_, u8> = tx.closed();
///     drop(rx);
///     closed.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Closed<'a, T> {
    sender: &'a mut Sender<T>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().sender.poll_closed(cx)
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}

/// Receives the value from the paired [`Sender`]; created by [`channel`].
///
/// The receiver is a future: awaiting it yields `Ok(value)`, or
/// `Err(RecvError)` if the sender was dropped without sending (or the
/// receiver was [closed](Self::close) before a value arrived).
///
/// Once it has completed, polling it again **panics** with
/// `"oneshot::Receiver polled after completion"` (as for most futures; use
/// [`try_recv`](Self::try_recv), which keeps answering
/// [`TryRecvError::Closed`], if you need to ask again).
///
/// Dropping the receiver drops a value that was sent but not received, and
/// wakes a task waiting in [`Sender::closed`]. Awaiting `&mut rx` instead is
/// cancel-safe: given up on (a losing `select!` branch, a `timeout`), it leaves
/// the value in the channel for the next await.
///
/// # Examples
///
/// ```
/// use mirage::sync::oneshot::{self, RecvError};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = oneshot::channel::<u8>();
///     drop(tx); // dropped without sending
///     assert_eq!(rx.await, Err(RecvError));
/// });
/// ```
pub struct Receiver<T> {
    inner: Rc<RefCell<Inner<T>>>,
    /// A value or error was handed out.
    done: bool,
}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent, without waiting.
    ///
    /// Returns [`TryRecvError::Empty`] while the sender may still send, and
    /// [`TryRecvError::Closed`] if no value will ever arrive (sender dropped,
    /// receiver closed, or the value was already received).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::oneshot::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if self.done {
            return Err(TryRecvError::Closed);
        }
        let mut inner = self.inner.borrow_mut();
        if let Some(value) = inner.value.take() {
            self.done = true;
            Ok(value)
        } else if inner.tx_done || inner.rx_closed {
            self.done = true;
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Whether no value waits in the channel: none was sent yet, the sender is gone
    /// without sending, or the value was received already. Not whether polling is
    /// allowed: that is [`is_terminated`](Self::is_terminated).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::oneshot;
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_empty());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.done || self.inner.borrow().value.is_none()
    }

    /// Whether the receiver has handed out its outcome: the value, or the error saying
    /// none will come (by `.await` or by [`try_recv`](Self::try_recv)). It must not be
    /// polled again then. A value sent but not yet received, or a sender dropped but not
    /// yet observed, does not terminate it.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::oneshot::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// assert!(!rx.is_terminated());
    /// drop(tx);
    /// assert!(!rx.is_terminated(), "not observed yet");
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// assert!(rx.is_terminated());
    /// ```
    pub fn is_terminated(&self) -> bool {
        self.done
    }

    /// Closes the channel without dropping the receiver.
    ///
    /// Later [`Sender::send`] calls fail and a task waiting in
    /// [`Sender::closed`] is woken. A value sent before `close` can still be
    /// received.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::oneshot;
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// assert!(tx.send(1).is_err());
    /// assert!(rx.try_recv().is_err());
    /// ```
    pub fn close(&mut self) {
        let mut inner = self.inner.borrow_mut();
        inner.rx_closed = true;
        let waker = inner.tx_waker.take();
        drop(inner);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    /// # Panics
    ///
    /// Panics if polled again after it returned `Ready`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "oneshot::Receiver polled after completion");
        let mut inner = this.inner.borrow_mut();
        if inner.value.is_some() {
            if !coop::try_spend() {
                // The value stays in the channel for the task's next turn.
                drop(inner);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            this.done = true;
            return Poll::Ready(Ok(inner.value.take().unwrap()));
        }
        if inner.tx_done || inner.rx_closed {
            this.done = true;
            return Poll::Ready(Err(RecvError));
        }
        let old = update_waker(&mut inner.rx_waker, cx.waker());
        drop(inner);
        drop(old);
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        inner.rx_closed = true;
        let value = inner.value.take();
        let own_waker = inner.rx_waker.take();
        let tx_waker = inner.tx_waker.take();
        drop(inner);
        if let Some(waker) = tx_waker {
            waker.wake();
        }
        drop(own_waker);
        drop(value);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        let state = if self.done {
            "terminated"
        } else if inner.value.is_some() {
            "ready"
        } else if inner.tx_done || inner.rx_closed {
            "closed"
        } else {
            "empty"
        };
        f.debug_struct("Receiver").field("state", &state).finish()
    }
}

#[cfg(test)]
mod tests;
