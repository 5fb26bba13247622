//! `OwnedNotified`: the future of `Notify::notified_owned`, holding an `Rc<Notify>`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::Notify;
use super::state::Waiter;

/// The future of [`Notify::notified_owned`]: a [`Notified`](super::Notified) that owns an
/// `Rc<Notify>`, so it is `'static`. It behaves as `Notified` in every way, cancel safety
/// included.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::{Notify, OwnedNotified};
///
/// let notify = Rc::new(Notify::new());
/// let notified: OwnedNotified = notify.clone().notified_owned();
/// notify.notify_waiters(); // completes futures created before it
/// mirage::Core::new().unwrap().run(notified);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct OwnedNotified {
    notify: Rc<Notify>,
    waiter: Waiter,
}

impl OwnedNotified {
    pub(super) fn new(notify: Rc<Notify>) -> OwnedNotified {
        let waiter = Waiter::new(&notify.state);
        OwnedNotified { notify, waiter }
    }

    /// Joins the line of waiters now, before the first poll, as
    /// [`Notified::enable`](super::Notified::enable) does. Returns whether the future is
    /// ready.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::rc::Rc;
    /// use mirage::sync::Notify;
    ///
    /// let notify = Rc::new(Notify::new());
    /// let mut notified = pin!(notify.clone().notified_owned());
    /// assert!(!notified.as_mut().enable()); // in line: no permit
    /// notify.notify_one(); // picks `notified` instead of leaving a permit
    /// assert!(notified.as_mut().enable());
    /// mirage::Core::new().unwrap().run(notified);
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let this = self.get_mut();
        this.waiter.enable(&this.notify.state)
    }
}

impl Future for OwnedNotified {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiter.poll(&this.notify.state, cx)
    }
}

impl Drop for OwnedNotified {
    #[inline]
    fn drop(&mut self) {
        self.waiter.leave(&self.notify.state);
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified")
            .field("waiting", &self.waiter.is_waiting())
            .field("done", &self.waiter.is_done())
            .finish()
    }
}
