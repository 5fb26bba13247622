//! [`Permit`] and [`OwnedPermit`]: a slot of a bounded channel, held for a value to come.

use std::fmt;

use super::Sender;
use crate::sync::chan::{Synced, Tx};

/// A slot in a bounded channel, taken by [`Sender::reserve`] or [`Sender::try_reserve`]:
/// [`send`](Permit::send) then queues a value at once, without waiting or failing.
///
/// Dropping the permit unused gives the slot back, to the oldest waiting sender if any.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
/// let permit = tx.try_reserve().unwrap();
/// assert!(tx.try_send("other").unwrap_err().is_full()); // the slot is held
/// permit.send("first");
/// assert_eq!(rx.try_recv(), Ok("first"));
/// ```
#[must_use = "dropping a permit gives its slot back unused"]
pub struct Permit<'a, T> {
    tx: &'a Tx<Synced<T>>,
}

impl<'a, T> Permit<'a, T> {
    pub(super) fn new(tx: &'a Tx<Synced<T>>) -> Permit<'a, T> {
        Permit { tx }
    }

    /// Queues `value` in the held slot. This never fails: after the receiver's `close()`,
    /// the value is still queued (the receiver reads the values of the permits taken
    /// before it closed, then sees the end, as in tokio); if the receiver was dropped,
    /// `value` is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::cross_thread::channel(4);
    ///     let permit = tx.reserve().await.unwrap();
    ///     permit.send(42);
    ///     assert_eq!(rx.recv().await, Some(42));
    /// });
    /// ```
    pub fn send(self, value: T) {
        let tx = self.tx;
        // The slot passes to `send_reserved` before it runs code that may panic (the
        // value's drop, once the receiver is gone): this permit's drop must not give it
        // back a second time.
        std::mem::forget(self);
        tx.send_reserved(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.tx.release_reserved();
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

/// A slot in a bounded channel, like [`Permit`], that owns its [`Sender`] instead of
/// borrowing it, from [`Sender::reserve_owned`] or [`Sender::try_reserve_owned`]: it can be
/// moved into another task or thread, and hands the sender back when used.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async move {
///     let permit = tx.reserve_owned().await.unwrap();
///     let worker = std::thread::spawn(move || {
///         let tx = permit.send("from a thread"); // the sender comes back
///         tx.blocking_send("and another").unwrap();
///     });
///     assert_eq!(rx.recv().await, Some("from a thread"));
///     assert_eq!(rx.recv().await, Some("and another"));
///     worker.join().unwrap();
/// });
/// ```
#[must_use = "dropping a permit gives its slot back unused"]
pub struct OwnedPermit<T> {
    /// `None` only while `send` or `release` takes the sender out.
    sender: Option<Sender<T>>,
}

impl<T> OwnedPermit<T> {
    pub(super) fn new(sender: Sender<T>) -> OwnedPermit<T> {
        OwnedPermit {
            sender: Some(sender),
        }
    }

    /// Queues `value` in the held slot and returns the sender. As with [`Permit::send`],
    /// it is still queued after the receiver's `close()`, and dropped if the receiver was
    /// dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::channel(1);
    /// let tx = tx.try_reserve_owned().unwrap().send(1);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// tx.try_send(2).unwrap();
    /// ```
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.sender.take().expect("OwnedPermit holds its sender");
        sender.tx.send_reserved(value);
        sender
    }

    /// Returns `true` if both permits hold a slot of the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(2);
    /// let (other, _other_rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let first = tx.clone().try_reserve_owned().unwrap();
    /// let second = tx.try_reserve_owned().unwrap();
    /// assert!(first.same_channel(&second));
    /// assert!(!first.same_channel(&other.try_reserve_owned().unwrap()));
    /// ```
    pub fn same_channel(&self, other: &OwnedPermit<T>) -> bool {
        self.sender().same_channel(other.sender())
    }

    /// Returns `true` if this permit holds a slot of the channel `sender` sends on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let (other, _other_rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let permit = tx.clone().try_reserve_owned().unwrap();
    /// assert!(permit.same_channel_as_sender(&tx));
    /// assert!(!permit.same_channel_as_sender(&other));
    /// ```
    pub fn same_channel_as_sender(&self, sender: &Sender<T>) -> bool {
        self.sender().same_channel(sender)
    }

    fn sender(&self) -> &Sender<T> {
        self.sender.as_ref().expect("OwnedPermit holds its sender")
    }

    /// Gives the slot back unused and returns the sender.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::cross_thread::channel::<u8>(1);
    /// let permit = tx.try_reserve_owned().unwrap();
    /// let tx = permit.release();
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    pub fn release(mut self) -> Sender<T> {
        let sender = self.sender.take().expect("OwnedPermit holds its sender");
        sender.tx.release_reserved();
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            sender.tx.release_reserved();
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}
