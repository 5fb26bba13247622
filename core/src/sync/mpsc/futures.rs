//! The futures both flavours of [`mpsc`](super) channel return: [`Recv`], [`RecvMany`],
//! [`Closed`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sync::chan::{Local, Rx, Tx};

/// Future returned by `recv` on [`Receiver`](super::Receiver) and
/// [`UnboundedReceiver`](super::UnboundedReceiver).
///
/// Resolves to the next message, or `None` once the channel is closed (every
/// sender dropped, or the receiver closed) and drained. Cancel-safe: dropping
/// it before completion loses no message.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = mirage::sync::mpsc::unbounded();
///     tx.send(1).unwrap();
///     let recv: mirage::sync::mpsc::Recv<'_, u8> = rx.recv();
///     assert_eq!(recv.await, Some(1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    rx: &'a mut Rx<Local<T>>,
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

/// Future returned by `recv_many` on [`Receiver`](super::Receiver) and
/// [`UnboundedReceiver`](super::UnboundedReceiver).
///
/// Resolves to the number of messages appended to the buffer: at least one,
/// or 0 once the channel is closed and drained (or for a limit of 0).
/// Cancel-safe: dropping it before completion loses no message.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = mirage::sync::mpsc::unbounded();
///     tx.send(1).unwrap();
///     let mut batch = Vec::new();
///     let recv: mirage::sync::mpsc::RecvMany<'_, u8> = rx.recv_many(&mut batch, 8);
///     assert_eq!(recv.await, 1);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RecvMany<'a, T> {
    rx: &'a mut Rx<Local<T>>,
    buffer: &'a mut Vec<T>,
    limit: usize,
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

/// Future returned by `closed` on [`Sender`](super::Sender) and
/// [`UnboundedSender`](super::UnboundedSender); completes once the receiver
/// is dropped or closed. Every waiting task is woken.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = mirage::sync::mpsc::channel::<u8>(1);
///     let closed: mirage::sync::mpsc::Closed<'_, u8> = tx.closed();
///     drop(rx);
///     closed.await;
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Closed<'a, T> {
    tx: &'a Tx<Local<T>>,
    /// Entry in `closed_waiters` while pending.
    waiter: Option<usize>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.tx.poll_closed(&mut this.waiter, cx)
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

impl<'a, T> Recv<'a, T> {
    pub(super) fn new(rx: &'a mut Rx<Local<T>>) -> Self {
        Recv { rx }
    }
}

impl<'a, T> RecvMany<'a, T> {
    pub(super) fn new(rx: &'a mut Rx<Local<T>>, buffer: &'a mut Vec<T>, limit: usize) -> Self {
        RecvMany { rx, buffer, limit }
    }
}

impl<'a, T> Closed<'a, T> {
    pub(super) fn new(tx: &'a Tx<Local<T>>) -> Self {
        Closed { tx, waiter: None }
    }
}
