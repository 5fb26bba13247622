//! [`Reserve`] and [`ReserveOwned`]: waiting for a slot in a bounded channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{OwnedPermit, Permit, Sender};
use crate::sync::SendError;
use crate::sync::chan::{Local, Tx};

/// Future returned by [`Sender::reserve`]: a [`Permit`] once a slot is free, or
/// `SendError(())` if the receiver is dropped or closed first.
///
/// It waits in line with the senders in [`send`](Sender::send). Cancel-safe: dropping it
/// loses nothing, and a slot already handed to it passes to the next sender in line.
/// Panics if polled after completion.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = mirage::sync::mpsc::channel::<u8>(1);
///     let reserve: mirage::sync::mpsc::Reserve<'_, u8> = tx.reserve();
///     drop(rx);
///     assert!(reserve.await.is_err());
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Reserve<'a, T> {
    tx: &'a Tx<Local<T>>,
    /// Entry in the channel's send-waiter list while waiting.
    waiter: Option<usize>,
    /// It returned `Ready`: polling it again would take another slot.
    done: bool,
}

impl<'a, T> Reserve<'a, T> {
    pub(super) fn new(tx: &'a Tx<Local<T>>) -> Reserve<'a, T> {
        Reserve {
            tx,
            waiter: None,
            done: false,
        }
    }
}

impl<'a, T> Future for Reserve<'a, T> {
    type Output = Result<Permit<'a, T>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.done, "Reserve future polled after completion");
        let reserved = ready!(this.tx.poll_reserve(&mut this.waiter, cx));
        this.done = true;
        reserved?;
        Poll::Ready(Ok(Permit::new(this.tx)))
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            self.tx.cancel_send(key);
        }
    }
}

impl<T> fmt::Debug for Reserve<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reserve")
            .field("waiting", &self.waiter.is_some())
            .finish_non_exhaustive()
    }
}

/// Future returned by [`Sender::reserve_owned`]: an [`OwnedPermit`] once a slot is free,
/// or `SendError(())` (and the sender dropped) if the receiver is dropped or closed first.
/// Cancel-safe, like [`Reserve`].
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = mirage::sync::mpsc::channel(1);
///     let reserve: mirage::sync::mpsc::ReserveOwned<u8> = tx.reserve_owned();
///     reserve.await.unwrap().send(3);
///     assert_eq!(rx.recv().await, Some(3));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ReserveOwned<T> {
    /// `None` once the future has completed.
    sender: Option<Sender<T>>,
    waiter: Option<usize>,
}

impl<T> ReserveOwned<T> {
    pub(super) fn new(sender: Sender<T>) -> ReserveOwned<T> {
        ReserveOwned {
            sender: Some(sender),
            waiter: None,
        }
    }
}

impl<T> Future for ReserveOwned<T> {
    type Output = Result<OwnedPermit<T>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let sender = this
            .sender
            .as_ref()
            .expect("ReserveOwned polled after completion");
        let reserved = ready!(sender.tx.poll_reserve(&mut this.waiter, cx));
        let sender = this.sender.take().expect("checked above");
        Poll::Ready(reserved.map(|()| OwnedPermit::new(sender)))
    }
}

impl<T> Drop for ReserveOwned<T> {
    fn drop(&mut self) {
        if let (Some(sender), Some(key)) = (&self.sender, self.waiter.take()) {
            sender.tx.cancel_send(key);
        }
    }
}

impl<T> fmt::Debug for ReserveOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReserveOwned")
            .field("waiting", &self.waiter.is_some())
            .finish_non_exhaustive()
    }
}
