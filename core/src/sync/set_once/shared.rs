//! `Shared`: the logic of a `SetOnce`, written once for both flavours. It holds the value
//! in a [`Slot`] (the standard library's `OnceCell` for [`SetOnce`](super::SetOnce),
//! `OnceLock` for [`cross_thread::SetOnce`](crate::sync::cross_thread::SetOnce)) and wakes
//! the waiters through a [`NotifyAll`] ([`Notify`] or [`cross_thread::Notify`]).

use std::fmt;
use std::future::Future;

use crate::sync::cross_thread;
use crate::sync::slot::Slot;
use crate::sync::{Notify, SetOnceError};

/// The two methods of a `Notify` (of either flavour) that a `SetOnce` uses.
pub(crate) trait NotifyAll {
    type Notified<'a>: Future<Output = ()>
    where
        Self: 'a;

    fn notified(&self) -> Self::Notified<'_>;

    fn notify_waiters(&self);
}

impl NotifyAll for Notify {
    type Notified<'a> = crate::sync::Notified<'a>;

    #[inline]
    fn notified(&self) -> Self::Notified<'_> {
        self.notified()
    }

    fn notify_waiters(&self) {
        self.notify_waiters();
    }
}

impl NotifyAll for cross_thread::Notify {
    type Notified<'a> = cross_thread::Notified<'a>;

    #[inline]
    fn notified(&self) -> Self::Notified<'_> {
        self.notified()
    }

    fn notify_waiters(&self) {
        self.notify_waiters();
    }
}

/// The value and what wakes its waiters. The public cells wrap it and reach `value`
/// directly for what wakes no one (`get`, `into_inner`).
pub(crate) struct Shared<V, N> {
    /// Stored once, by `set`; from then on only read, until `into_inner` takes it out.
    pub(crate) value: V,
    /// Told by `notify_waiters` once, right after the value is stored; a waiter makes its
    /// `Notified` before it looks for the value, so either it finds the value or the
    /// notification, which comes after the store, completes its `Notified`.
    stored: N,
}

impl<V: Slot, N: NotifyAll> Shared<V, N> {
    pub(crate) const fn new(value: V, stored: N) -> Shared<V, N> {
        Shared { value, stored }
    }

    pub(crate) fn set(&self, value: V::Value) -> Result<(), SetOnceError<V::Value>> {
        self.value.set(value).map_err(SetOnceError)?;
        // After the value is in place, so whatever a wake-up runs finds it.
        self.stored.notify_waiters();
        Ok(())
    }

    pub(crate) async fn wait(&self) -> &V::Value {
        loop {
            // Only `set` notifies, after storing: once woken, the next turn finds the value.
            let stored = self.stored.notified();
            if let Some(value) = self.value.get() {
                return value;
            }
            stored.await;
        }
    }

    /// The public cells' `Debug`, under the name `name`.
    pub(crate) fn fmt_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        V::Value: fmt::Debug,
    {
        let mut d = f.debug_struct(name);
        match self.value.get() {
            Some(value) => d.field("value", value),
            None => d.field("value", &format_args!("<unset>")),
        };
        d.finish()
    }
}
