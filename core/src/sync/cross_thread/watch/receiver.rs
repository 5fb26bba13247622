//! `Receiver`: reads the watched value and waits, on any Core, for it to change.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{RecvError, Ref, Shared};
use crate::sync::watch::state::{self, Lock, State};

/// A receiving half of a cross-thread [`watch`](super) channel; `Send + Sync` when `T` is.
/// Clone it for another task or another thread; each clone keeps its own record of which
/// value it has seen.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::watch;
///
/// let (tx, rx) = watch::channel(0);
/// let cores: Vec<_> = (0..2)
///     .map(|_| {
///         let mut rx = rx.clone();
///         std::thread::spawn(move || {
///             mirage::Core::new().unwrap().run(async move {
///                 let mut last = *rx.borrow_and_update();
///                 while rx.changed().await.is_ok() {
///                     last = *rx.borrow_and_update();
///                 }
///                 last
///             })
///         })
///     })
///     .collect();
/// for n in 1..=3 {
///     tx.send(n).unwrap();
/// }
/// drop(tx);
/// for core in cores {
///     assert_eq!(core.join().unwrap(), 3, "each Core sees the last value");
/// }
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen.
    pub(super) seen: u64,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, seen: u64) -> Receiver<T> {
        Receiver { shared, seen }
    }

    /// Borrows the current value, without marking it seen. A send on another thread waits
    /// until the borrow is dropped, and one on this thread panics: drop it before the next
    /// `.await`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// assert!(rx.has_changed().unwrap(), "still unseen");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let value = self.shared.value.read();
        Ref {
            has_changed: self.seen != self.shared.version(),
            value,
        }
    }

    /// Borrows the current value and marks it seen: [`changed`](Receiver::changed) then
    /// waits for the next one. The version marked seen is that of the value borrowed, even
    /// while another thread sends.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 2);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        // The version under the read lock: no send can bump it until the borrow ends.
        let value = self.shared.value.read();
        let version = self.shared.version();
        let has_changed = self.seen != version;
        self.seen = version;
        Ref { value, has_changed }
    }

    /// Whether the value changed since this receiver last marked it seen; [`RecvError`]
    /// once every sender is gone, as in tokio (a change not yet seen is still returned by
    /// [`changed`](Receiver::changed)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::watch::channel(1);
    /// assert!(!rx.has_changed().unwrap());
    /// tx.send(2).unwrap();
    /// assert!(rx.has_changed().unwrap());
    /// std::thread::spawn(move || drop(tx)).join().unwrap();
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        self.shared.state.with(|state| state.has_changed(self.seen))
    }

    /// Whether every sender is gone: the value can no longer change, and
    /// [`changed`](Receiver::changed) fails once this receiver has seen it.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::cross_thread::watch::channel(());
    /// assert!(!rx.is_closed());
    /// std::thread::spawn(move || drop(tx)).join().unwrap();
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.state.with(|state| state.senders()) == 0
    }

    /// Marks the current value unseen: the next [`changed`](Receiver::changed) completes at
    /// once.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, mut rx) = mirage::sync::cross_thread::watch::channel(1);
    /// rx.mark_changed();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn mark_changed(&mut self) {
        self.seen = state::unseen(self.shared.version());
    }

    /// Marks the current value seen, without borrowing it.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = mirage::sync::cross_thread::watch::channel(1);
    /// tx.send(2).unwrap();
    /// rx.mark_unchanged();
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version();
    }

    /// Waits for a value this receiver has not seen, sent from any thread, and marks it
    /// seen; then read it with [`borrow`](Receiver::borrow). Completes at once if one is
    /// waiting. Fails with [`RecvError`] once every sender is gone and the last value
    /// sent was seen.
    ///
    /// Cancel-safe: dropping the future marks nothing seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::cross_thread::watch::channel("idle");
    ///     std::thread::spawn(move || tx.send("busy").unwrap());
    ///     rx.changed().await.unwrap();
    ///     assert_eq!(*rx.borrow(), "busy");
    ///     assert!(rx.changed().await.is_err(), "the sender is gone");
    /// });
    /// ```
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed {
            shared: &self.shared,
            seen: &mut self.seen,
            key: None,
        }
    }

    /// Waits until the value satisfies `condition`, checking the current value first, and
    /// returns a borrow of it (marked seen). Fails with [`RecvError`] if every sender is
    /// gone and the last value sent does not satisfy `condition`.
    ///
    /// The borrow's [`has_changed`](Ref::has_changed) says whether the value it accepted
    /// was unseen when `wait_for` began or arrived while it waited. tokio's says so only
    /// for a value accepted at once: one that arrived while it waited is marked seen before
    /// `condition` looks at it, and its borrow says `false`.
    ///
    /// `condition` runs under the value's read lock, and the value returned is the one it
    /// accepted: no send can slip in between.
    ///
    /// Cancel-safe, as tokio's: dropped while it waits, it has marked seen only the
    /// values its `condition` looked at and rejected, so a later
    /// [`changed`](Receiver::changed) does not report them; a value sent after its last
    /// look stays unseen.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (tx, mut rx) = mirage::sync::cross_thread::watch::channel(0);
    ///     std::thread::spawn(move || {
    ///         for n in 1..=10 {
    ///             tx.send(n).unwrap();
    ///         }
    ///     });
    ///     let value = rx.wait_for(|&n| n >= 5).await.unwrap();
    ///     assert!(*value >= 5);
    /// });
    /// ```
    pub async fn wait_for<F: FnMut(&T) -> bool>(
        &mut self,
        mut condition: F,
    ) -> Result<Ref<'_, T>, RecvError> {
        // Spends a unit even when the current value is accepted at once, as tokio's does:
        // a loop over a value that always satisfies `condition` still yields.
        crate::coop::consume_budget().await;
        // Borrowed apart, so that a borrow of the value can be returned from the loop.
        let Receiver { shared, seen } = self;
        let shared: &Shared<T> = shared;
        let mut has_changed = false;
        loop {
            {
                let value = shared.value.read();
                let version = shared.version();
                has_changed |= *seen != version;
                *seen = version;
                if condition(&value) {
                    return Ok(Ref { value, has_changed });
                }
            }
            Changed {
                shared,
                seen: &mut *seen,
                key: None,
            }
            .await?;
            has_changed = true;
        }
    }

    /// Whether `other` receives from the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = mirage::sync::cross_thread::watch::channel(());
    /// let (_other_tx, other) = mirage::sync::cross_thread::watch::channel(());
    /// assert!(rx.same_channel(&rx.clone()));
    /// assert!(!rx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    /// Another receiver, which has seen what this one has.
    fn clone(&self) -> Receiver<T> {
        self.shared.state.with(State::subscribe);
        Receiver::new(Arc::clone(&self.shared), self.seen)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        state::drop_receiver(&self.shared.state);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::watch::Receiver")
            .field("seen", &self.seen)
            .field("version", &self.shared.version())
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::changed`].
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::watch;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = watch::channel(0);
///     tx.send(1).unwrap();
///     let changed: watch::Changed<'_, i32> = rx.changed();
///     assert_eq!(changed.await, Ok(()));
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T> {
    shared: &'a Shared<T>,
    /// The receiver's record of the version it has seen.
    seen: &'a mut u64,
    /// This future's entry in the channel's `changed` list, once it waited.
    key: Option<usize>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), RecvError>> {
        let this = self.get_mut();
        state::poll_changed(&this.shared.state, this.seen, &mut this.key, cx)
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        state::leave_changed(&self.shared.state, &mut self.key);
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::watch::Changed")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
