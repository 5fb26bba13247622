//! `Notify`: wakes one waiting task, or every waiting task, with no value attached.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

mod owned;
pub(crate) mod state;
#[cfg(test)]
mod tests;

pub use owned::OwnedNotified;

use state::{Lock, State, Waiter};

/// Wakes tasks that wait for "something happened": new work queued elsewhere, a state
/// change to look at. It carries no value; share it between tasks with `Rc<Notify>`.
///
/// - [`notify_one`](Notify::notify_one) wakes the task that has waited longest. If none
///   waits, it leaves a permit, and the next [`notified`](Notify::notified) completes at
///   once: a notification sent just before a task starts waiting is not lost. Permits do
///   not add up: there is at most one.
/// - [`notify_last`](Notify::notify_last) does the same for the task that joined the line
///   last.
/// - [`notify_waiters`](Notify::notify_waiters) wakes every task waiting now, and completes
///   every `notified()` future created before it, polled yet or not. It leaves no permit.
///
/// Waiters are served in FIFO order. A [`Notified`] future chosen by `notify_one` and then
/// dropped before it completed hands the notification on to the next waiter (or leaves the
/// permit), so a `select!` that drops it loses nothing.
///
/// Like every `mirage::sync` type, it takes no lock and is `!Sync`; share it with
/// `Rc<Notify>`, or across threads use [`cross_thread::Notify`](super::cross_thread::Notify).
///
/// # Examples
///
/// A worker that sleeps until there is work:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use mirage::sync::Notify;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let work = Rc::new(RefCell::new(Vec::new()));
///     let notify = Rc::new(Notify::new());
///     let worker = {
///         let (work, notify) = (work.clone(), notify.clone());
///         mirage::spawn(async move {
///             let mut done = 0;
///             while done < 3 {
///                 let batch: Vec<u32> = work.borrow_mut().drain(..).collect();
///                 if batch.is_empty() {
///                     notify.notified().await;
///                 }
///                 done += batch.len();
///             }
///             done
///         })
///     };
///     for job in 0..3 {
///         work.borrow_mut().push(job);
///         notify.notify_one();
///         mirage::yield_now().await;
///     }
///     assert_eq!(worker.await.unwrap(), 3);
/// });
/// ```
pub struct Notify {
    state: RefCell<State>,
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl Notify {
    /// A `Notify` with no waiter and no permit. A `const fn`, so it can initialize a
    /// `thread_local!` (tokio's `Notify::const_new`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::Notify;
    ///
    /// struct Service {
    ///     ready: Notify,
    /// }
    ///
    /// impl Service {
    ///     const fn new() -> Service {
    ///         Service { ready: Notify::new() }
    ///     }
    /// }
    ///
    /// let service = Service::new();
    /// service.ready.notify_one(); // leaves a permit
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async { service.ready.notified().await }); // takes it: no wait
    /// ```
    pub const fn new() -> Notify {
        Notify {
            state: RefCell::new(State::new()),
        }
    }

    /// [`new`](Notify::new) under tokio's other name for it, which ported code calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::Notify;
    ///
    /// thread_local! {
    ///     static WAKE: Notify = const { Notify::const_new() };
    /// }
    /// WAKE.with(|wake| {
    ///     wake.notify_one(); // leaves a permit
    ///     mirage::Core::new().unwrap().run(wake.notified()); // takes it: no wait
    /// });
    /// ```
    pub const fn const_new() -> Notify {
        Notify::new()
    }

    /// Wakes the task that has waited longest, or, if none waits, leaves a permit that the
    /// next [`notified`](Notify::notified) takes at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let notify = mirage::sync::Notify::new();
    ///     notify.notify_one();
    ///     notify.notified().await; // the permit: no wait
    /// });
    /// ```
    #[inline]
    pub fn notify_one(&self) {
        state::notify_one(&self.state);
    }

    /// Wakes the task that joined the line of waiters last, or, if none waits, leaves a
    /// permit, as [`notify_one`](Notify::notify_one) does. A picked future dropped before it
    /// completes passes the wake-up on to the newest waiter left.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::Notify;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let notify = Rc::new(Notify::new());
    ///     let (first, second) = (notify.clone().notified_owned(), notify.clone().notified_owned());
    ///     let (first, second) = (mirage::spawn(first), mirage::spawn(second));
    ///     mirage::yield_now().await; // both wait, `first` in front
    ///     notify.notify_last();
    ///     second.await.unwrap();
    ///     assert!(!first.is_finished());
    ///     notify.notify_last();
    ///     first.await.unwrap();
    /// });
    /// ```
    #[inline]
    pub fn notify_last(&self) {
        state::notify_last(&self.state);
    }

    /// Wakes every task waiting now, and completes every [`Notified`] created before this
    /// call. Leaves no permit: a `notified()` created after it waits for the next
    /// notification.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::Notify;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let notify = Rc::new(Notify::new());
    ///     let waiters: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             let notify = notify.clone();
    ///             mirage::spawn(async move { notify.notified().await })
    ///         })
    ///         .collect();
    ///     mirage::yield_now().await; // each waiter waits
    ///     notify.notify_waiters();
    ///     for waiter in waiters {
    ///         waiter.await.unwrap();
    ///     }
    /// });
    /// ```
    #[inline]
    pub fn notify_waiters(&self) {
        state::notify_waiters(&self.state);
    }

    /// A future that completes at the next notification: a permit left by
    /// [`notify_one`](Notify::notify_one), the `notify_one` that picks it, or a
    /// [`notify_waiters`](Notify::notify_waiters) called after this call. It joins the
    /// queue of waiters when first polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::Notify;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let notify = Rc::new(Notify::new());
    ///     let waiter = {
    ///         let notify = notify.clone();
    ///         mirage::spawn(async move { notify.notified().await })
    ///     };
    ///     mirage::yield_now().await;
    ///     assert!(!waiter.is_finished());
    ///     notify.notify_one();
    ///     waiter.await.unwrap();
    /// });
    /// ```
    #[inline]
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            waiter: Waiter::new(&self.state),
        }
    }

    /// As [`notified`](Notify::notified), but the future owns an `Rc` of the `Notify`
    /// instead of borrowing it, so it can be stored or spawned (`'static`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::Notify;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let notify = Rc::new(Notify::new());
    ///     let waiter = mirage::spawn(notify.clone().notified_owned());
    ///     mirage::yield_now().await;
    ///     assert!(!waiter.is_finished());
    ///     notify.notify_one();
    ///     waiter.await.unwrap();
    /// });
    /// ```
    #[inline]
    pub fn notified_owned(self: Rc<Self>) -> OwnedNotified {
        OwnedNotified::new(self)
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (waiting, permit) = self
            .state
            .with(|state| (state.is_waiting(), state.has_permit()));
        f.debug_struct("Notify")
            .field("waiting", &waiting)
            .field("permit", &permit)
            .finish()
    }
}

/// The future of [`Notify::notified`].
///
/// # Examples
///
/// ```
/// use mirage::sync::{Notified, Notify};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let notify = Notify::new();
///     let notified: Notified<'_> = notify.notified();
///     notify.notify_waiters(); // completes futures created before it
///     notified.await;
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    waiter: Waiter,
}

impl Notified<'_> {
    /// Joins the line of waiters now, before the first poll, so that a
    /// [`notify_one`](Notify::notify_one) picks this future instead of leaving a permit; as
    /// polling does, but with no waker. Returns whether the future is ready: it was
    /// notified, or it took the permit a `notify_one` had left. A notification it took
    /// passes on to the next waiter (or is left as the permit) if the future is dropped
    /// before it completes. tokio's differs here: once its `enable` has returned `true`,
    /// the future counts as complete, and dropping it unpolled loses the notification. So
    /// a port that enables, finds its condition already met and drops the future leaves a
    /// permit behind on Mirage: the next `notified().await` completes at once.
    ///
    /// [`notify_waiters`](Notify::notify_waiters) needs no `enable`: it completes every
    /// `Notified` created before it.
    ///
    /// # Examples
    ///
    /// Check a condition without missing a `notify_one` sent while checking:
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::pin::pin;
    /// use mirage::sync::Notify;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (notify, ready) = (Notify::new(), Cell::new(false));
    ///     let mut notified = pin!(notify.notified());
    ///     assert!(!notified.as_mut().enable()); // in line from here on
    ///     ready.set(true); // as another task would, before...
    ///     notify.notify_one(); // ...it notifies: this picks `notified`
    ///     if !ready.get() {
    ///         notified.await;
    ///     }
    /// });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.waiter.enable(&this.notify.state)
    }
}

impl Future for Notified<'_> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(&this.notify.state, cx)
    }
}

impl Drop for Notified<'_> {
    #[inline]
    fn drop(&mut self) {
        self.waiter.leave(&self.notify.state);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("waiting", &self.waiter.is_waiting())
            .field("done", &self.waiter.is_done())
            .finish()
    }
}
