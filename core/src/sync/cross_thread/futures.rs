//! The futures both flavours of [`cross_thread`](super) channel return: [`Recv`],
//! [`RecvMany`], [`Closed`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use crate::sync::chan::{Rx, Synced, Tx};

/// The future returned by `recv` on [`Receiver`](super::Receiver) and
/// [`UnboundedReceiver`](super::UnboundedReceiver): the next message, or `None` once the
/// channel is closed (every sender dropped, or the receiver closed) and drained.
/// Cancel-safe: dropping it loses no message.
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
    rx: &'a mut Rx<Synced<T>>,
}

impl<'a, T> Recv<'a, T> {
    pub(super) fn new(rx: &'a mut Rx<Synced<T>>) -> Self {
        Recv { rx }
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

/// The future returned by `recv_many` on [`Receiver`](super::Receiver) and
/// [`UnboundedReceiver`](super::UnboundedReceiver): the number of messages appended to the
/// buffer, at least one, or 0 once the channel is closed and drained (or for a limit of
/// 0). Cancel-safe: dropping it loses no message.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread;
///
/// let (tx, mut rx) = cross_thread::unbounded();
/// tx.send(1).unwrap();
/// let mut batch = Vec::new();
/// let recv: cross_thread::RecvMany<'_, u8> = rx.recv_many(&mut batch, 8);
/// assert_eq!(mirage::Core::new().unwrap().run(recv), 1);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RecvMany<'a, T> {
    rx: &'a mut Rx<Synced<T>>,
    buffer: &'a mut Vec<T>,
    limit: usize,
}

impl<'a, T> RecvMany<'a, T> {
    pub(super) fn new(rx: &'a mut Rx<Synced<T>>, buffer: &'a mut Vec<T>, limit: usize) -> Self {
        RecvMany { rx, buffer, limit }
    }
}

impl<T> Future for RecvMany<'_, T> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        this.rx.poll_recv_many(cx, this.buffer, this.limit)
    }
}

impl<T> fmt::Debug for RecvMany<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvMany")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// The future returned by `closed` on [`Sender`](super::Sender) and
/// [`UnboundedSender`](super::UnboundedSender): completes once the receiver is dropped or
/// closed, on whichever thread. Every waiting task is woken.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread;
///
/// let (tx, rx) = cross_thread::channel::<u8>(1);
/// let closing = std::thread::spawn(move || drop(rx));
/// let closed: cross_thread::Closed<'_, u8> = tx.closed();
/// mirage::Core::new().unwrap().run(closed);
/// assert!(tx.is_closed());
/// closing.join().unwrap();
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Closed<'a, T> {
    tx: &'a Tx<Synced<T>>,
    /// Entry in the channel's list of `closed` waiters while pending.
    waiter: Option<usize>,
}

impl<'a, T> Closed<'a, T> {
    pub(super) fn new(tx: &'a Tx<Synced<T>>) -> Self {
        Closed { tx, waiter: None }
    }
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        ready!(this.tx.poll_closed(&mut this.waiter, cx));
        // Spends a unit, as tokio's oneshot `closed` does: a loop that keeps awaiting it
        // on a closed channel still yields.
        crate::coop::poll_proceed(cx)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            self.tx.cancel_closed(key);
        }
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}
