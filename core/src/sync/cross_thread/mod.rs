//! Channels whose senders may be on other threads: how one Core hands work or a signal to
//! another, a plain thread to a Core, or a Core to a plain thread.
//!
//! - [`channel`] makes a **bounded** queue: [`Sender::send`] waits for room, which gives
//!   back-pressure between Cores; waiting senders are served in the order they started
//!   waiting, whatever their thread.
//! - [`unbounded`](fn@unbounded) makes an **unbounded** queue: [`UnboundedSender::send`]
//!   never waits.
//! - [`oneshot`] carries one value: a reply, or the result of blocking work done on a
//!   plain thread.
//! - [`Notify`] wakes tasks on any Core, with no value: one waiter, or all of them (a stop
//!   for every Core of a server).
//! - [`Semaphore`] bounds how many tasks, on all Cores together, do something at once, and
//!   [`Mutex`] and [`RwLock`] let one task at a time (or many readers), on any Core, hold
//!   a value across `.await`.
//! - [`watch`] holds one value, the latest sent, that receivers on any Core follow: a
//!   configuration, a status, a shutdown flag; the API of [`sync::watch`](super::watch).
//! - [`broadcast`] brings every value sent to every receiver, on any Core or plain thread,
//!   each its own clone, in order (a receiver that falls too far behind learns how many it
//!   missed): events every Core must see; the API of [`sync::broadcast`](super::broadcast).
//! - [`OnceCell`] is a value computed once, by the first task on any Core to ask (a
//!   `static` configuration, a client built at first use); [`SetOnce`] a value set once,
//!   by any thread, that tasks on every Core wait for; [`Barrier`] makes tasks on several
//!   Cores wait for each other, step after step. They share the local cells' and barrier's
//!   error and result types, which are here too.
//!
//! Senders are `Send + Sync` and cheap to clone, and so is a [`WeakSender`] (from
//! [`Sender::downgrade`]), which turns back into one while one lives without keeping the
//! channel open; a receiver may move to the thread of the Core that awaits it. A send
//! wakes the receiving task, on a Core blocked in its poller through the Core's eventfd,
//! and a burst of sends before it runs costs one wake-up. On a
//! thread with no Core, [`Sender::blocking_send`] and the receivers' `blocking_recv` and
//! `blocking_recv_many` park the thread instead; they panic on a thread running a Core,
//! which they would block.
//!
//! The semantics are those of [`mpsc`](super::mpsc), whose code they share, permits
//! ([`Sender::reserve`]) and batches (`recv_many`) included: `recv` yields
//! `None` once every sender is dropped (or the receiver is closed) and the queue is drained;
//! dropping the receiver drops what is queued; later sends hand their value back in
//! [`SendError`]; receiving, and a bounded send that finds room, spend the
//! task's [`coop`](crate::coop) budget. The difference is the state's home: an
//! `Arc<Mutex<_>>` instead of an `Rc<RefCell<_>>`. The lock is held for a few queue and
//! list operations, never while a waker runs or a message is dropped. Between the tasks of
//! one Core, `mpsc` costs less.
//!
//! # Examples
//!
//! Threads feeding a Core:
//!
//! ```
//! use mirage::sync::cross_thread;
//!
//! let (tx, mut rx) = cross_thread::channel(16);
//! let producers: Vec<_> = (0..4)
//!     .map(|id| {
//!         let tx = tx.clone();
//!         std::thread::spawn(move || tx.blocking_send(id).unwrap())
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

mod barrier;
mod blocking;
pub(crate) use blocking::{block_on, park_on};
mod bounded;
pub mod broadcast;
mod futures;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod rwlock;
mod semaphore;
mod set_once;
mod unbounded;
pub mod watch;
mod weak;

pub use barrier::Barrier;
pub use bounded::{
    OwnedPermit, Permit, PermitIterator, Receiver, Reserve, ReserveOwned, Send, Sender, channel,
};
pub use futures::{Closed, Recv, RecvMany};
pub use mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard};
pub use notify::{Notified, Notify, OwnedNotified};
pub use once_cell::OnceCell;
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{Acquire, OwnedSemaphorePermit, Semaphore, SemaphorePermit};
pub use set_once::SetOnce;
pub use unbounded::{UnboundedReceiver, UnboundedSender, unbounded, unbounded_channel};
pub use weak::{WeakSender, WeakUnboundedSender};

// The local types' results and errors, which the cross-thread ones share: here too, so
// that `use mirage::sync::cross_thread::{OnceCell, SetError}` ports tokio's
// `use tokio::sync::{OnceCell, SetError}`, and `cross_thread::error::TrySendError` its
// `tokio::sync::mpsc::error::TrySendError`.
#[doc(no_inline)]
pub use super::mpsc::error;
#[doc(no_inline)]
pub use super::mpsc::error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
#[doc(no_inline)]
pub use super::{
    AcquireError, BarrierWaitResult, SetError, SetOnceError, TryAcquireError, TryLockError,
};

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
    fn handles_are_send_and_sync_for_a_send_message_type() {
        fn send_sync<T: std::marker::Send + Sync>() {}
        fn send<T: std::marker::Send>() {}
        // `Cell` is `Send` but not `Sync`: the channel's lock makes up for it.
        send_sync::<Sender<std::cell::Cell<u8>>>();
        send_sync::<UnboundedSender<std::cell::Cell<u8>>>();
        send_sync::<WeakSender<std::cell::Cell<u8>>>();
        send_sync::<WeakUnboundedSender<std::cell::Cell<u8>>>();
        send::<Receiver<std::cell::Cell<u8>>>();
        send::<UnboundedReceiver<std::cell::Cell<u8>>>();
    }

    #[test]
    fn oneshot_handles_are_send_for_a_send_value_type() {
        fn send<T: std::marker::Send>() {}
        send::<oneshot::Sender<std::cell::Cell<u8>>>();
        send::<oneshot::Receiver<std::cell::Cell<u8>>>();
    }

    #[test]
    #[should_panic(expected = "oneshot::Receiver::blocking_recv called on a thread running a Core")]
    fn a_blocking_oneshot_receive_inside_a_core_panics_with_a_clear_message() {
        let (_tx, rx) = oneshot::channel::<u8>();
        crate::Core::new().unwrap().run(async move {
            let _ = rx.blocking_recv();
        });
    }

    #[test]
    #[should_panic(
        expected = "UnboundedReceiver::blocking_recv_many called on a thread running a Core"
    )]
    fn a_blocking_receive_of_many_inside_a_core_panics_with_a_clear_message() {
        let (tx, mut rx) = unbounded::<u8>();
        tx.send(1).unwrap();
        crate::Core::new().unwrap().run(async move {
            // A message is queued: the check comes before any attempt to receive.
            let _ = rx.blocking_recv_many(&mut Vec::new(), 4);
        });
    }

    #[test]
    fn a_blocking_receive_of_many_with_a_limit_of_zero_returns_at_once() {
        let (_tx, mut rx) = channel::<u8>(1);
        let mut batch = Vec::new();
        assert_eq!(
            rx.blocking_recv_many(&mut batch, 0),
            0,
            "no wait: a sender lives"
        );
        assert!(batch.is_empty());
    }

    #[test]
    #[should_panic(expected = "Reserve future polled after completion")]
    fn a_reserve_polled_after_completion_panics() {
        use std::future::Future;
        let (tx, _rx) = channel::<u8>(2);
        let mut reserve = std::pin::pin!(tx.reserve());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(reserve.as_mut().poll(&mut cx).is_ready());
        let _ = reserve.as_mut().poll(&mut cx);
    }

    #[test]
    #[should_panic(expected = "blocking_send called on a thread running a Core")]
    fn blocking_inside_a_core_panics_with_a_clear_message() {
        let (tx, _rx) = channel(1);
        crate::Core::new().unwrap().run(async move {
            let _ = tx.blocking_send(1);
        });
    }
}
