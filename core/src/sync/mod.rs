//! Channels, wake-ups, locks and cells: between the tasks of one Core, and into a Core
//! from other threads.
//!
//! Every task of a Mirage event loop runs on the same thread, so the local
//! types need no locks or atomics: the channels keep their state in an
//! `Rc<RefCell<..>>`, so their handles are `!Send` and `!Sync`; the primitives that own
//! their state in `Cell`s (`Semaphore`, `Notify`, `Mutex`, `RwLock`, `Barrier`, `OnceCell`)
//! are `!Sync`, shared by one Core's tasks through `Rc`, and may move to another thread
//! only while nothing borrows them.
//!
//! - [`oneshot`]: send a single value, e.g. the reply to a request.
//! - [`mpsc`]: many senders, one receiver; [bounded](mpsc::channel) with
//!   back-pressure, or [unbounded](fn@mpsc::unbounded).
//! - [`cross_thread`]: the same two kinds of queue, a `oneshot`, a `Notify`,
//!   a `watch`, a `broadcast`, a `Semaphore`, a `Mutex`, an `RwLock`, a `OnceCell`, a
//!   `SetOnce` and a `Barrier`, shared with any thread (another Core, a plain thread);
//!   the primitives here with a lock.
//! - [`broadcast`]: every value to every receiver, each its own clone; a
//!   receiver that falls too far behind skips ahead and is told how much it
//!   missed.
//! - [`watch`]: one value, the latest sent, and a wake-up for every receiver
//!   when it changes: configuration, status, shutdown signals.
//! - [`Notify`]: a wake-up with no value, for one waiting task or for all.
//! - [`Semaphore`]: permits that bound how many tasks do something at once.
//! - [`Mutex`] and [`RwLock`]: locks a task may hold across `.await`, where a
//!   `RefCell` borrow would make the next task to borrow panic.
//! - [`OnceCell`]: a value computed once, by the first task to ask, while the
//!   others that ask meanwhile wait for it.
//! - [`SetOnce`]: a value set once, by whoever has it, that tasks wait for until it is.
//! - [`Barrier`]: a number of tasks wait for each other, then go on together,
//!   step after step.
//!
//! A send to a channel whose receiver is gone hands the value back in
//! [`SendError`].
//!
//! Receiving a value, and a bounded send that finds room, spend one unit of
//! the task's [`coop`](crate::coop) budget: a receiver whose channel is never
//! empty still gives the other tasks a turn, and keeps every value.
//!
//! # Examples
//!
//! ```
//! use mirage::sync::{mpsc, oneshot};
//!
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     let (tx, mut rx) = mpsc::channel::<(u32, oneshot::Sender<u32>)>(16);
//!     mirage::spawn(async move {
//!         while let Some((n, reply)) = rx.recv().await {
//!             let _ = reply.send(n * 2);
//!         }
//!     });
//!     let (reply_tx, reply_rx) = oneshot::channel();
//!     tx.send((21, reply_tx)).await.unwrap();
//!     assert_eq!(reply_rx.await, Ok(42));
//! });
//! ```

mod barrier;
pub mod broadcast;
mod chan;
pub mod cross_thread;
mod error;
mod held_permits;
mod lock;
pub mod mpsc;
pub(crate) mod notify;
mod once_cell;
pub mod oneshot;
mod semaphore;
mod set_once;
mod slot;
mod state_lock;
mod wait_list;
pub mod watch;

#[cfg(test)]
mod test_util;

pub use barrier::{Barrier, BarrierWaitResult};
pub use error::SendError;
pub use lock::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard,
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard, TryLockError,
};
pub use notify::{Notified, Notify, OwnedNotified};
pub use once_cell::{OnceCell, SetError};
pub use semaphore::{
    Acquire, AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
pub use set_once::{SetOnce, SetOnceError};
pub(crate) use wait_list::update_waker;

/// The futures of [`Notify`] under tokio's path, `tokio::sync::futures`, so that code
/// written for tokio ports by changing the crate name.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::futures::{Notified, OwnedNotified};
/// use mirage::sync::Notify;
///
/// let notify = Rc::new(Notify::new());
/// let borrowed: Notified<'_> = notify.notified();
/// let owned: OwnedNotified = notify.clone().notified_owned();
/// notify.notify_waiters(); // completes both: they were created before it
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async { mirage::join!(borrowed, owned) });
/// ```
pub mod futures {
    #[doc(no_inline)]
    pub use super::{Notified, OwnedNotified};
}
