//! `Notify` across threads: wakes tasks waiting on any Core.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::sync::notify::state::{self, Lock, State, Waiter};

/// A wake-up with no value, like [`sync::Notify`](crate::sync::Notify), that threads share
/// (`Send + Sync`, behind an `Arc`): a task on any Core waits in
/// [`notified`](Notify::notified), and any thread notifies. For example, one
/// `notify_waiters` tells every Core of a server to stop.
///
/// The semantics are those of the local `Notify`, with which it shares its code:
/// [`notify_one`](Notify::notify_one) wakes the longest waiter or leaves one permit;
/// [`notify_waiters`](Notify::notify_waiters) completes every `notified()` future created
/// before it and leaves no permit; a future picked by `notify_one` and dropped unfinished
/// passes the wake-up on. The state is behind a `Mutex` held for a few list operations,
/// never while a waker runs.
///
/// # Examples
///
/// Stopping a Core on each of four threads at once:
///
/// ```
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::Notify;
///
/// let stop = Arc::new(Notify::new());
/// let (ready_tx, ready_rx) = std::sync::mpsc::channel();
/// let cores: Vec<_> = (0..4)
///     .map(|_| {
///         let (stop, ready_tx) = (Arc::clone(&stop), ready_tx.clone());
///         std::thread::spawn(move || {
///             let mut core = mirage::Core::new().unwrap();
///             let stopped = stop.notified(); // made before the notification
///             ready_tx.send(()).unwrap();
///             core.run(stopped);
///         })
///     })
///     .collect();
/// for _ in 0..4 {
///     ready_rx.recv().unwrap();
/// }
/// stop.notify_waiters();
/// for core in cores {
///     core.join().unwrap();
/// }
/// ```
pub struct Notify {
    state: Mutex<State>,
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl Notify {
    /// A `Notify` with no waiter and no permit. A `const fn`, so it can be a `static`
    /// (tokio's `Notify::const_new`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::Notify;
    ///
    /// static RELOAD: Notify = Notify::new();
    ///
    /// std::thread::spawn(|| RELOAD.notify_one()).join().unwrap(); // leaves the permit
    /// mirage::Core::new().unwrap().run(RELOAD.notified());
    /// ```
    pub const fn new() -> Notify {
        Notify {
            state: Mutex::new(State::new()),
        }
    }

    /// [`new`](Notify::new) under tokio's other name for it, which ported code calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::Notify;
    ///
    /// static STOP: Notify = Notify::const_new();
    ///
    /// std::thread::spawn(|| STOP.notify_one()).join().unwrap(); // leaves the permit
    /// mirage::Core::new().unwrap().run(STOP.notified());
    /// ```
    pub const fn const_new() -> Notify {
        Notify::new()
    }

    /// Wakes the task that has waited longest, or, if none waits, leaves a permit for the
    /// next [`notified`](Notify::notified) (at most one).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let notify = Arc::new(mirage::sync::cross_thread::Notify::new());
    /// let from_a_thread = Arc::clone(&notify);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let notified = notify.notified();
    ///     std::thread::spawn(move || from_a_thread.notify_one());
    ///     notified.await;
    /// });
    /// ```
    pub fn notify_one(&self) {
        state::notify_one(&self.state);
    }

    /// Wakes the task that joined the line of waiters last, or, if none waits, leaves a
    /// permit, as [`notify_one`](Notify::notify_one) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use mirage::sync::cross_thread::Notify;
    ///
    /// let notify = Notify::new();
    /// let mut first = pin!(notify.notified());
    /// let mut second = pin!(notify.notified());
    /// assert!(!first.as_mut().enable() && !second.as_mut().enable()); // in line, in order
    /// std::thread::scope(|s| s.spawn(|| notify.notify_last()).join().unwrap());
    /// assert!(second.as_mut().enable());
    /// assert!(!first.as_mut().enable());
    /// ```
    pub fn notify_last(&self) {
        state::notify_last(&self.state);
    }

    /// Completes every [`Notified`] future created before this call, on whichever Core,
    /// and leaves no permit.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = mirage::sync::cross_thread::Notify::new();
    /// let (first, second) = (notify.notified(), notify.notified());
    /// notify.notify_waiters();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async { first.await; second.await });
    /// ```
    pub fn notify_waiters(&self) {
        state::notify_waiters(&self.state);
    }

    /// A future that completes at a [`notify_one`](Notify::notify_one) that picks it (or
    /// finds the permit), or at the next [`notify_waiters`](Notify::notify_waiters).
    /// It may move to another thread before it is awaited.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = mirage::sync::cross_thread::Notify::new();
    /// let notified = notify.notified();
    /// notify.notify_waiters(); // counts: `notified` was made before it
    /// mirage::Core::new().unwrap().run(notified);
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            waiter: Waiter::new(&self.state),
        }
    }

    /// As [`notified`](Notify::notified), but the future owns an `Arc` of the `Notify`
    /// instead of borrowing it, so it is `'static` and can move to another thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::Notify;
    ///
    /// let notify = Arc::new(Notify::new());
    /// let notified = Arc::clone(&notify).notified_owned();
    /// let waiter = std::thread::spawn(move || mirage::Core::new().unwrap().run(notified));
    /// notify.notify_waiters(); // counts: `notified` was made before it
    /// waiter.join().unwrap();
    /// ```
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        let waiter = Waiter::new(&self.state);
        OwnedNotified {
            notify: self,
            waiter,
        }
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (waiting, permit) = self
            .state
            .with(|state| (state.is_waiting(), state.has_permit()));
        f.debug_struct("cross_thread::Notify")
            .field("waiting", &waiting)
            .field("permit", &permit)
            .finish()
    }
}

/// The future [`Notify::notified`] returns. Cancel-safe: dropped after `notify_one` picked
/// it, it passes the wake-up on.
///
/// # Examples
///
/// ```
/// let notify = mirage::sync::cross_thread::Notify::new();
/// let notified: mirage::sync::cross_thread::Notified<'_> = notify.notified();
/// notify.notify_one();
/// mirage::Core::new().unwrap().run(notified);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    waiter: Waiter,
}

impl Notified<'_> {
    /// Joins the line of waiters now, before the first poll, as the single-Core
    /// [`Notified::enable`](crate::sync::Notified::enable) does: a
    /// [`notify_one`](Notify::notify_one) from any thread then picks this future instead of
    /// leaving a permit. Returns whether the future is ready.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use mirage::sync::cross_thread::Notify;
    ///
    /// let notify = Notify::new();
    /// let mut notified = pin!(notify.notified());
    /// assert!(!notified.as_mut().enable());
    /// std::thread::scope(|s| s.spawn(|| notify.notify_one()).join().unwrap());
    /// assert!(notified.as_mut().enable()); // picked: no permit was left
    /// mirage::Core::new().unwrap().run(notified);
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.waiter.enable(&this.notify.state)
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(&this.notify.state, cx)
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        self.waiter.leave(&self.notify.state);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::Notified")
            .field("waiting", &self.waiter.is_waiting())
            .field("done", &self.waiter.is_done())
            .finish()
    }
}

/// The future [`Notify::notified_owned`] returns: a [`Notified`] that owns an
/// `Arc<Notify>`, so it is `'static` and `Send`. Cancel-safe as `Notified` is.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::{Notify, OwnedNotified};
///
/// let notify = Arc::new(Notify::new());
/// let notified: OwnedNotified = Arc::clone(&notify).notified_owned();
/// notify.notify_one();
/// mirage::Core::new().unwrap().run(notified);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    waiter: Waiter,
}

impl OwnedNotified {
    /// Joins the line of waiters now, before the first poll, as [`Notified::enable`]
    /// does. Returns whether the future is ready.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::Notify;
    ///
    /// let notify = Arc::new(Notify::new());
    /// let mut notified = pin!(Arc::clone(&notify).notified_owned());
    /// assert!(!notified.as_mut().enable());
    /// std::thread::spawn(move || notify.notify_one()).join().unwrap();
    /// assert!(notified.as_mut().enable()); // picked: no permit was left
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.waiter.enable(&this.notify.state)
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(&this.notify.state, cx)
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        self.waiter.leave(&self.notify.state);
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("cross_thread::OwnedNotified")
            .field("waiting", &self.waiter.is_waiting())
            .field("done", &self.waiter.is_done())
            .finish()
    }
}
