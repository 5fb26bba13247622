//! A channel that holds one value, the latest sent, and tells receivers when it changes.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]. The sender replaces the value
//! ([`send`](Sender::send), [`send_modify`](Sender::send_modify), …); each receiver
//! [`borrow`](Receiver::borrow)s the current value whenever it likes, and waits for the
//! next change with [`changed`](Receiver::changed) or for a value it wants with
//! [`wait_for`](Receiver::wait_for). Intermediate values a receiver did not look at in
//! time are skipped: a receiver sees the latest value, not every value. That is what
//! configuration, status, and shutdown signals need: many tasks watch one flag, and a
//! `select!` branch on `changed()` stops a loop when it flips.
//!
//! Receivers are cloned, or made by [`Sender::subscribe`]; senders are cloned too. Once
//! every sender is dropped, `changed` fails with [`RecvError`] (after any change not yet seen); once every
//! receiver is dropped, [`send`](Sender::send) hands the value back and
//! [`Sender::closed`] completes.
//!
//! The value lives in a `RefCell`, with no lock: every handle is `!Send` and belongs to the
//! event loop that created it. A [`Ref`] borrows the value; sending while one is held
//! panics, so never hold a `Ref` across an `.await`.
//!
//! A `changed`, `wait_for` or [`Sender::closed`] that completes spends one unit of the
//! task's [`coop`](crate::coop) budget.
//!
//! # Examples
//!
//! A shutdown signal that stops a worker's loop:
//!
//! ```
//! use std::time::Duration;
//! use mirage::sync::watch;
//!
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     mirage::time::pause(); // virtual time: the ticks come before the stop, however busy
//!     let (stop, mut stopped) = watch::channel(false);
//!     let worker = mirage::spawn(async move {
//!         let mut ticks = 0;
//!         loop {
//!             mirage::select! {
//!                 _ = stopped.wait_for(|&stop| stop) => break ticks,
//!                 _ = mirage::time::sleep(Duration::from_millis(1)) => ticks += 1,
//!             }
//!         }
//!     });
//!     mirage::time::sleep(Duration::from_millis(5)).await;
//!     stop.send(true).unwrap();
//!     assert!(worker.await.unwrap() > 0);
//! });
//! ```

pub mod error;
mod receiver;
mod sender;
pub(crate) mod state;
#[cfg(test)]
mod tests;

use std::cell::{self, RefCell};
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

use state::{Lock, State};

pub use error::{RecvError, SendError};
pub use receiver::{Changed, Receiver};
pub use sender::{Closed, Sender};

/// Creates a watch channel holding `init`, returning its sender and a first receiver, which
/// counts `init` as seen.
///
/// # Examples
///
/// ```
/// use mirage::sync::watch;
///
/// let (tx, rx) = watch::channel("starting");
/// assert_eq!(*rx.borrow(), "starting");
/// tx.send("running").unwrap();
/// assert_eq!(*rx.borrow(), "running");
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(Shared {
        value: RefCell::new(init),
        state: RefCell::new(State::new()),
    });
    let receiver = Receiver::new(Rc::clone(&shared), 0);
    (Sender::from_shared(shared), receiver)
}

/// What the sender and its receivers share: the value, and the rest of the channel's
/// [`State`] (its version, its receivers, its waiting tasks), shared with
/// [`cross_thread::watch`](crate::sync::cross_thread::watch).
struct Shared<T> {
    value: RefCell<T>,
    state: RefCell<State>,
}

impl<T> Shared<T> {
    /// Borrows the value, with a clear message for a borrow that the sender holds.
    fn borrow(&self) -> cell::Ref<'_, T> {
        self.value.try_borrow().unwrap_or_else(|_| {
            panic!("a watch channel's value borrowed while the sender modifies it")
        })
    }

    /// Borrows the value to replace or modify it, with a clear message for a [`Ref`] still
    /// held (across an `.await`, or in the closure of a `send_modify`), and for a send made
    /// from inside the closure of a `send_modify` (or `send_if_modified`), which holds the
    /// value itself.
    fn borrow_mut(&self) -> cell::RefMut<'_, T> {
        self.value.try_borrow_mut().unwrap_or_else(|_| {
            panic!(
                "a watch channel's value sent while a `Ref` to it is held, or from inside \
                 send_modify's (or send_if_modified's) closure: drop every `Ref` before \
                 sending (never hold one across an .await), and modify the value through the \
                 closure's argument instead of sending from it"
            )
        })
    }

    /// The current version.
    fn version(&self) -> u64 {
        self.state.with(|state| state.version())
    }

    /// Records a new value and wakes every receiver waiting for one.
    fn publish(&self) {
        state::wake(self.state.with(State::publish));
    }
}

/// A borrow of a watch channel's value, from [`Receiver::borrow`], [`Sender::borrow`] and
/// the like. Sending while one is held panics: drop it before the next `.await`.
///
/// # Examples
///
/// ```
/// use mirage::sync::watch;
///
/// let (tx, mut rx) = watch::channel(1);
/// tx.send(2).unwrap();
/// let value = rx.borrow_and_update();
/// assert_eq!(*value, 2);
/// assert!(value.has_changed(), "2 had not been seen");
/// ```
pub struct Ref<'a, T> {
    value: cell::Ref<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the value had not been seen by the receiver that borrowed it, when it did.
    /// Always false for a borrow through the [`Sender`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::watch;
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
