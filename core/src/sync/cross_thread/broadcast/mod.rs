//! A [`broadcast`](crate::sync::broadcast) channel whose senders and receivers may be on
//! any thread: every value sent reaches every receiver, on whichever Core or plain thread,
//! each receiving its own clone. Events that every Core of a server must see, in order:
//! a configuration change, a client joining, a message for every connection.
//!
//! The API and the semantics are those of the local [`broadcast`](crate::sync::broadcast),
//! with which it shares its code: switching is a matter of the import path. The channel
//! holds the last `capacity` values some receiver has yet to read; a receiver that falls
//! further behind is not waited for, and its next [`recv`](Receiver::recv) reports how many
//! values it missed ([`RecvError::Lagged`]) before it goes on from the oldest one still
//! held. Once every [`Sender`] is dropped, receivers read what is left, then get
//! [`RecvError::Closed`]. Senders are `Send + Sync` and receivers `Send` when `T` is
//! `Send`; on a thread with no Core, [`Receiver::blocking_recv`] parks the thread instead
//! (and panics on a thread running a Core, which it would block).
//!
//! The state lives in an `Arc<Mutex<_>>`, held for a few queue and list operations, never
//! while a waker runs or a value is dropped. A receiver that is not a value's last reader
//! clones it under the lock, as tokio clones it under its slot's lock: keep the values
//! cheap to clone (an `Arc`, a `Bytes`), since a slow `Clone` holds up every sender and
//! receiver meanwhile. A send wakes the receivers waiting on other Cores through each
//! Core's eventfd. Between the tasks of one Core, `broadcast` costs less.
//!
//! # Examples
//!
//! A thread announces events to two Cores, each of which sees every one, in order:
//!
//! ```
//! use mirage::sync::cross_thread::broadcast;
//!
//! let (tx, rx) = broadcast::channel(16);
//! let cores: Vec<_> = [rx.resubscribe(), rx]
//!     .into_iter()
//!     .map(|mut rx| {
//!         std::thread::spawn(move || {
//!             mirage::Core::new().unwrap().run(async move {
//!                 let mut seen = Vec::new();
//!                 while let Ok(event) = rx.recv().await {
//!                     seen.push(event);
//!                 }
//!                 seen
//!             })
//!         })
//!     })
//!     .collect();
//! for event in ["start", "reload", "stop"] {
//!     tx.send(event).unwrap();
//! }
//! drop(tx); // ends each Core's loop once it has read every event
//! for core in cores {
//!     assert_eq!(core.join().unwrap(), ["start", "reload", "stop"]);
//! }
//! ```

mod receiver;
mod sender;
#[cfg(test)]
mod tests;
mod weak_sender;

/// Error types of the cross-thread [`broadcast`](super::broadcast), at the path tokio gives
/// them: the same types as [`sync::broadcast::error`](crate::sync::broadcast::error).
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::broadcast::{self, error::TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel::<u8>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// std::thread::spawn(move || drop(tx)).join().unwrap();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
pub mod error {
    pub use crate::sync::broadcast::error::{RecvError, SendError, TryRecvError};
}

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};

use crate::sync::broadcast::state::{Lock, State};
use crate::thread_id::{NO_THREAD, this_thread};

pub use error::{RecvError, SendError, TryRecvError};
pub use receiver::{Receiver, Recv};
pub use sender::{Closed, Sender};
pub use weak_sender::WeakSender;

/// Creates a broadcast channel, for senders and receivers on any thread, that holds up to
/// `capacity` values a receiver has yet to read, and returns its sender and a first
/// receiver. As the local channel's, the capacity is not rounded up to a power of two, as
/// tokio's is.
///
/// # Panics
///
/// If `capacity` is zero or above `usize::MAX / 2`.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::broadcast::{self, error::TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel(2);
/// std::thread::spawn(move || {
///     for n in 1..=3 {
///         tx.send(n).unwrap();
///     }
/// })
/// .join()
/// .unwrap();
/// // 1 was overwritten before `rx` read it.
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
/// assert_eq!(rx.try_recv(), Ok(2));
/// assert_eq!(rx.try_recv(), Ok(3));
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(StateMutex {
        state: Mutex::new(State::new(capacity, 1)),
        holder: AtomicUsize::new(NO_THREAD),
    });
    let receiver = Receiver::new(Arc::clone(&shared), 0);
    (Sender::from_shared(shared), receiver)
}

type Shared<T> = Arc<StateMutex<T>>;

/// The channel's [`State`], shared with the local [`broadcast`](crate::sync::broadcast),
/// in a `Mutex`, and which thread holds it.
///
/// The one call out of the channel under the lock is the value's `Clone`. One that uses
/// the same channel would wait for its own thread forever; it panics instead, as it does
/// on the local channel: a lock not granted at once checks `holder` before it waits.
struct StateMutex<T> {
    state: Mutex<State<T>>,
    /// The thread that holds `state` ([`this_thread`]), or [`NO_THREAD`]. Set after the
    /// lock is taken and cleared before it is released, so a thread that reads its own
    /// number here holds the lock; it never reads its number otherwise (its own last store
    /// was the clear, and no other thread stores its number).
    holder: AtomicUsize,
}

/// Clears the holder as the lock is released, also when a `Clone` under it panics.
struct Holding<'a>(&'a AtomicUsize);

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        self.0.store(NO_THREAD, Ordering::Relaxed);
    }
}

impl<T> Lock<State<T>> for StateMutex<T> {
    /// Locks the state. What panics under the lock (a value's `Clone`) panics before it
    /// changes the state: a poisoned lock still holds a consistent one.
    ///
    /// # Panics
    ///
    /// If this thread holds the lock already: a value's `Clone` used the channel.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut State<T>) -> R) -> R {
        let me = this_thread();
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                if me != NO_THREAD && self.holder.load(Ordering::Relaxed) == me {
                    panic!(
                        "a cross_thread::broadcast channel used from inside the `Clone` of \
                         one of its values: this would deadlock"
                    );
                }
                self.state.lock().unwrap_or_else(PoisonError::into_inner)
            }
        };
        self.holder.store(me, Ordering::Relaxed);
        // Dropped before `state`: the holder is cleared while the lock is still held.
        let _holding = Holding(&self.holder);
        f(&mut state)
    }
}
