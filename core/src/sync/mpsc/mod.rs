//! Multi-producer, single-consumer FIFO channels for tasks on one thread.
//!
//! - [`channel`] creates a **bounded** channel: [`Sender::send`] waits while
//!   the queue is full, which gives back-pressure. Waiting senders are served
//!   in FIFO order.
//! - [`unbounded`](fn@unbounded) creates an **unbounded** channel:
//!   [`UnboundedSender::send`] never waits.
//!
//! Senders are cheap to clone; a [`WeakSender`] (from [`Sender::downgrade`]) turns back
//! into one while one lives, without keeping the channel open. [`Sender::reserve`] waits
//! for a slot without a value at stake and returns a [`Permit`] to send with later, the
//! cancel-safe way to send from a `select!`. [`Receiver::recv`] yields `None`
//! once every sender is dropped (or the receiver is closed) and the queue is
//! drained; [`Receiver::recv_many`] takes a batch at once.
//! Dropping the receiver drops all queued messages at once; later sends hand
//! their value back in [`SendError`].
//!
//! All handles are `!Send`: they belong to the event loop that created them.
//!
//! # Examples
//!
//! ```
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     let (tx, mut rx) = mirage::sync::mpsc::channel(8);
//!     for id in 0..3 {
//!         let tx = tx.clone();
//!         mirage::spawn(async move { tx.send(id).await.unwrap() });
//!     }
//!     drop(tx);
//!     let mut sum = 0;
//!     while let Some(id) = rx.recv().await {
//!         sum += id;
//!     }
//!     assert_eq!(sum, 3);
//! });
//! ```

mod bounded;
pub mod error;
mod futures;
mod unbounded;
mod weak;

pub use bounded::{
    OwnedPermit, Permit, PermitIterator, Receiver, Reserve, ReserveOwned, Send, Sender, channel,
};
pub use error::{SendError, SendTimeoutError, TryRecvError, TrySendError};
pub use futures::{Closed, Recv, RecvMany};
pub use unbounded::{UnboundedReceiver, UnboundedSender, unbounded, unbounded_channel};
pub use weak::{WeakSender, WeakUnboundedSender};
