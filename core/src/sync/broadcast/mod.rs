//! A broadcast channel: every value sent reaches every receiver, each receiving its own
//! clone, for the tasks of one Core.
//!
//! The channel holds the last `capacity` values that some receiver has yet to read. A
//! receiver that falls further behind than that is not waited for: the oldest values are
//! overwritten, and its next [`recv`](Receiver::recv) reports how many it missed
//! ([`RecvError::Lagged`](error::RecvError::Lagged)) before it goes on from the oldest
//! value still held. A value is dropped as soon as every receiver has read it (the last
//! reader gets the value itself, not a clone) or skipped it.
//!
//! Receivers join with [`Sender::subscribe`] or [`Receiver::resubscribe`] and see the
//! values sent from then on. Once every sender is dropped, receivers read what is left,
//! then get [`RecvError::Closed`](error::RecvError::Closed). The names and semantics are
//! tokio's `broadcast`; the state is an `Rc<RefCell<_>>`, so the handles are `!Send`.
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
#[cfg(test)]
mod tests;
mod weak_sender;

use std::cell::{RefCell, RefMut};
use std::collections::VecDeque;
use std::rc::Rc;

use super::wait_list::WaitList;

pub use receiver::{Receiver, Recv};
pub use sender::{Closed, Sender};
pub use weak_sender::WeakSender;

/// Creates a broadcast channel that holds up to `capacity` values a receiver has yet to
/// read, and returns its sender and a first receiver.
///
/// # Panics
///
/// If `capacity` is zero.
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
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "broadcast::channel capacity must be greater than zero"
    );
    let shared = Rc::new(RefCell::new(State {
        slots: VecDeque::new(),
        head: 0,
        capacity,
        senders: 1,
        receivers: 1,
        recv_waiters: WaitList::new(),
        closed_waiters: WaitList::new(),
    }));
    let receiver = Receiver::new(Rc::clone(&shared), 0);
    (Sender::from_shared(shared), receiver)
}

type Shared<T> = Rc<RefCell<State<T>>>;

/// The channel's state.
///
/// # Invariants
///
/// - `slots` holds exactly the values some receiver has yet to read, oldest first: a value
///   every receiver has read (or skipped, or dropped without reading) is removed at once.
///   Receivers read in order and each slot counts the receivers subscribed when it was
///   sent, so the values read by all form a prefix, and a value read by its last reader is
///   always the front one.
/// - Every receiver's next position is at most `tail()`; one below `head` has lagged.
struct State<T> {
    slots: VecDeque<Slot<T>>,
    /// The position of `slots[0]` in the sequence of every value ever sent.
    head: u64,
    capacity: usize,
    senders: usize,
    receivers: usize,
    /// Receivers waiting in [`Receiver::recv`].
    recv_waiters: WaitList,
    /// Tasks waiting in [`Sender::closed`].
    closed_waiters: WaitList,
}

struct Slot<T> {
    value: T,
    /// Receivers that have yet to read (or skip) this value.
    unread: usize,
}

impl<T> State<T> {
    /// The position the next value sent will take.
    fn tail(&self) -> u64 {
        self.head + self.slots.len() as u64
    }

    /// Forgets the receiver whose next position is `next`: it will read none of the values
    /// from there on. Returns the values it was the last reader of, for the caller to drop
    /// once the borrow is released.
    fn leave(&mut self, next: u64) -> Vec<T> {
        let first = next.saturating_sub(self.head) as usize;
        for slot in self.slots.iter_mut().skip(first) {
            slot.unread -= 1;
        }
        self.receivers -= 1;
        let mut done = Vec::new();
        while self.slots.front().is_some_and(|slot| slot.unread == 0) {
            done.extend(self.slots.pop_front().map(|slot| slot.value));
            self.head += 1;
        }
        done
    }
}

/// Borrows the state. No borrow is held while a waker or a destructor runs; the one call
/// out of the channel under it is the value's `Clone`, which must not use the channel.
fn lock<T>(shared: &Shared<T>) -> RefMut<'_, State<T>> {
    shared.try_borrow_mut().unwrap_or_else(|_| {
        panic!("a broadcast channel used from inside the `Clone` of one of its values")
    })
}
