//! A [`watch`](crate::sync::watch) channel whose sender and receivers may be on any
//! thread: one value, the latest sent, and a wake-up for every receiver, on whichever Core,
//! when it changes. A configuration reloaded by one thread and read by a Core on every
//! other, or a shutdown flag for all of them.
//!
//! The API and the semantics are those of the local [`watch`](crate::sync::watch), with
//! which it shares its code: switching is a matter of the import path. [`channel`] returns
//! a [`Sender`] and a [`Receiver`]; the sender replaces the value, each receiver
//! [`borrow`](Receiver::borrow)s it and waits for the next change with
//! [`changed`](Receiver::changed) or for a value it wants with
//! [`wait_for`](Receiver::wait_for). A receiver sees the latest value, not every value.
//! Senders and receivers are cloned. Once every sender is dropped, `changed` fails with [`RecvError`] (after any change not yet
//! seen); once every receiver is dropped, [`send`](Sender::send) hands the value back and
//! [`Sender::closed`] completes. The handles are `Send + Sync` when `T` is.
//!
//! The value lives in an `RwLock`, the rest of the state beside it in a `Mutex`, held for
//! a few list operations and never while a waker runs. A send wakes the receivers waiting
//! on other Cores through each Core's eventfd. Between the tasks of one Core, `watch`
//! costs less.
//!
//! # Never hold a `Ref` across an `.await`
//!
//! A [`Ref`] holds the value's read lock: a send on another thread waits, blocking its
//! thread, until every `Ref` is dropped, so keep them short. A send on the thread that
//! holds a `Ref` (another task of its Core, or the same task) would wait for itself
//! forever; it panics instead, with a message that says so. The same goes for a borrow in
//! the closure of [`send_modify`](Sender::send_modify) or [`wait_for`](Receiver::wait_for)
//! that the lock cannot grant.
//!
//! # Examples
//!
//! A thread publishes a setting; a Core on another thread follows it until the thread is
//! done:
//!
//! ```
//! use mirage::sync::cross_thread::watch;
//!
//! let (tx, mut rx) = watch::channel(0);
//! let publisher = std::thread::spawn(move || {
//!     for level in 1..=5 {
//!         tx.send(level).unwrap();
//!     }
//! }); // dropping `tx` ends the receiver's loop
//! let mut core = mirage::Core::new().unwrap();
//! let last = core.run(async move {
//!     let mut last = *rx.borrow_and_update();
//!     while rx.changed().await.is_ok() {
//!         last = *rx.borrow_and_update(); // the latest value; some are skipped
//!     }
//!     last
//! });
//! assert_eq!(last, 5);
//! publisher.join().unwrap();
//! ```

mod receiver;
mod sender;
#[cfg(test)]
mod tests;
mod value;

/// Error types of the cross-thread [`watch`](super::watch), at the path tokio gives them:
/// the same types as [`sync::watch::error`](crate::sync::watch::error).
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::watch::{self, error::SendError};
///
/// let (tx, rx) = watch::channel(0);
/// drop(rx);
/// assert_eq!(tx.send(1), Err(SendError(1)));
/// ```
pub mod error {
    pub use crate::sync::watch::error::{RecvError, SendError};
}

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use crate::sync::watch::state::{Lock, State};
use value::{ReadGuard, ValueLock};

pub use error::{RecvError, SendError};
pub use receiver::{Changed, Receiver};
pub use sender::{Closed, Sender};

/// Creates a watch channel holding `init`, returning its sender and a first receiver, which
/// counts `init` as seen.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::watch;
///
/// let (tx, rx) = watch::channel("starting");
/// std::thread::spawn(move || tx.send("running").unwrap()).join().unwrap();
/// assert_eq!(*rx.borrow(), "running");
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: ValueLock::new(init),
        state: Mutex::new(State::new()),
    });
    let receiver = Receiver::new(Arc::clone(&shared), 0);
    (Sender::from_shared(shared), receiver)
}

/// What the sender and its receivers share: the value, and the rest of the channel's
/// [`State`], shared with the local [`watch`](crate::sync::watch).
///
/// Lock order: the value's lock, then the state's, never the other way. A send bumps the
/// version while it holds the value's write lock, and a receiver reads the version while
/// it holds a read lock: the version it marks seen is that of the value it reads.
struct Shared<T> {
    value: ValueLock<T>,
    state: Mutex<State>,
}

impl<T> Shared<T> {
    /// The current version.
    fn version(&self) -> u64 {
        self.state.with(|state| state.version())
    }
}

/// A borrow of a watch channel's value, from [`Receiver::borrow`], [`Sender::borrow`] and
/// the like. It holds the value's read lock: a send on another thread waits until it is
/// dropped, and a send on this thread panics. Never hold one across an `.await`.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::watch;
///
/// let (tx, mut rx) = watch::channel(1);
/// tx.send(2).unwrap();
/// let value = rx.borrow_and_update();
/// assert_eq!(*value, 2);
/// assert!(value.has_changed(), "2 had not been seen");
/// ```
pub struct Ref<'a, T> {
    value: ReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the value had not been seen by the receiver that borrowed it, when it did.
    /// Always false for a borrow through the [`Sender`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::watch;
    ///
    /// let (tx, rx) = watch::channel(1);
    /// assert!(!rx.borrow().has_changed());
    /// tx.send(2).unwrap();
    /// assert!(rx.borrow().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
