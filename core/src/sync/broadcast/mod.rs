//! A broadcast channel: every value sent reaches every receiver, each receiving its own
//! clone, for the tasks of one Core.
//!
//! The channel holds the last `capacity` values that some receiver has yet to read. A
//! receiver that falls further behind than that is not waited for: the oldest values are
//! overwritten, and its next [`recv`](Receiver::recv) reports how many it missed
//! ([`RecvError::Lagged`](error::RecvError::Lagged)) before it goes on from the oldest
//! value still held. A value is dropped as soon as every receiver has read it (the last
//! reader gets the value itself, not a clone) or skipped it. A receive whose clone of the
//! value panics has moved the receiver past it, as in tokio: the next receive goes on
//! from the value after.
//!
//! Receivers join with [`Sender::subscribe`] or [`Receiver::resubscribe`] and see the
//! values sent from then on. Once every sender is dropped, receivers read what is left,
//! then get [`RecvError::Closed`](error::RecvError::Closed). The names and semantics are
//! tokio's `broadcast`; the state is an `Rc<RefCell<_>>`, so the handles are `!Send`.
//! For receivers on other threads, [`cross_thread::broadcast`] has the same API.
//!
//! [`cross_thread::broadcast`]: crate::sync::cross_thread::broadcast
//!
//! # Examples
//!
//! ```
//! use mirage::sync::broadcast;
//!
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     let (tx, mut first) = broadcast::channel(16);
//!     let mut second = tx.subscribe();
//!     let a = mirage::spawn(async move { first.recv().await.unwrap() });
//!     let b = mirage::spawn(async move { second.recv().await.unwrap() });
//!     assert_eq!(tx.send("to everyone"), Ok(2)); // two receivers
//!     assert_eq!(a.await.unwrap(), "to everyone");
//!     assert_eq!(b.await.unwrap(), "to everyone");
//! });
//! ```

pub mod error;
mod receiver;
mod sender;
pub(crate) mod state;
#[cfg(test)]
mod tests;
mod weak_sender;

use std::cell::RefCell;
use std::rc::Rc;

use state::{Lock, State};

pub use receiver::{Receiver, Recv};
pub use sender::{Closed, Sender};
pub use weak_sender::WeakSender;

/// Creates a broadcast channel that holds up to `capacity` values a receiver has yet to
/// read, and returns its sender and a first receiver.
///
/// Unlike tokio's, the capacity is not rounded up to a power of two: `channel(3)` holds 3
/// values.
///
/// # Panics
///
/// If `capacity` is zero or above `usize::MAX / 2`.
///
/// # Examples
///
/// ```
/// use mirage::sync::broadcast::{self, error::TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel(2);
/// for n in 1..=3 {
///     tx.send(n).unwrap();
/// }
/// // 1 was overwritten before `rx` read it.
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
/// assert_eq!(rx.try_recv(), Ok(2));
/// assert_eq!(rx.try_recv(), Ok(3));
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(StateCell(RefCell::new(State::new(capacity, 1))));
    let receiver = Receiver::new(Rc::clone(&shared), 0);
    (Sender::from_shared(shared), receiver)
}

type Shared<T> = Rc<StateCell<T>>;

/// The channel's [`State`], in a `RefCell`: one Core, no lock.
struct StateCell<T>(RefCell<State<T>>);

impl<T> Lock<State<T>> for StateCell<T> {
    /// Borrows the state. No borrow is held while a waker or a destructor runs; the one
    /// call out of the channel under it is the value's `Clone`, which must not use the
    /// channel: that panics, with a message that says so.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut State<T>) -> R) -> R {
        let mut state = self.0.try_borrow_mut().unwrap_or_else(|_| {
            panic!("a broadcast channel used from inside the `Clone` of one of its values")
        });
        f(&mut state)
    }
}
