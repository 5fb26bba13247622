//! `SetOnce`: a value set once, that tasks wait for until it is.

mod error;
pub(crate) mod shared;
#[cfg(test)]
mod tests;

use std::cell;
use std::fmt;

use super::Notify;
use shared::Shared;

pub use error::SetOnceError;

/// A cell that is set once, by whoever has the value, and that tasks of one Core
/// [`wait`](SetOnce::wait) on until it is: an event that carries a value (an address
/// learned at startup, a shutdown reason), in the manner of Python's `asyncio.Event`.
///
/// Unlike a [`OnceCell`](super::OnceCell), nobody waiting computes the value: the first
/// [`set`](SetOnce::set) stores it and wakes every waiting task, and later `set`s fail.
/// Once stored, the value neither moves nor changes until
/// [`into_inner`](SetOnce::into_inner) takes the cell apart, so [`get`](SetOnce::get) and
/// `wait` hand out a plain `&T`. Like every `mirage::sync` type, it takes no lock and is
/// `!Sync`: share it with `Rc<SetOnce<T>>`, or put it in a `thread_local!`, since
/// [`new`](SetOnce::new) is a `const fn`; tasks on several Cores share a
/// [`cross_thread::SetOnce`](crate::sync::cross_thread::SetOnce) instead. tokio's `const_new_with` is missing: the standard
/// library's `OnceCell` offers no `const` way to start full.
///
/// # Examples
///
/// Workers wait for the address a listener learns once it has bound:
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::SetOnce;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let addr = Rc::new(SetOnce::new());
///     let workers: Vec<_> = (0..3)
///         .map(|_| {
///             let addr = Rc::clone(&addr);
///             mirage::spawn(async move { format!("connecting to {}", addr.wait().await) })
///         })
///         .collect();
///     mirage::yield_now().await; // the workers wait
///     addr.set("127.0.0.1:8080").unwrap();
///     for worker in workers {
///         assert_eq!(worker.await.unwrap(), "connecting to 127.0.0.1:8080");
///     }
/// });
/// ```
pub struct SetOnce<T> {
    /// The value, and what wakes its waiters; the logic lives in [`Shared`], which the
    /// cross-thread `SetOnce` shares.
    shared: Shared<cell::OnceCell<T>, Notify>,
}

impl<T> SetOnce<T> {
    /// An empty cell. A `const fn`, so it can initialize a `thread_local!` or a field of a
    /// `const`-built value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::SetOnce;
    ///
    /// thread_local! {
    ///     static SHUTDOWN_REASON: SetOnce<&'static str> = const { SetOnce::new() };
    /// }
    ///
    /// SHUTDOWN_REASON.with(|reason| reason.set("signal").unwrap());
    /// SHUTDOWN_REASON.with(|reason| assert_eq!(reason.get(), Some(&"signal")));
    /// ```
    pub const fn new() -> SetOnce<T> {
        SetOnce {
            shared: Shared::new(cell::OnceCell::new(), Notify::new()),
        }
    }

    /// An empty cell, the same as [`new`](SetOnce::new): tokio's name for its `const`
    /// constructor.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::SetOnce;
    ///
    /// const EMPTY: SetOnce<u32> = SetOnce::const_new();
    /// assert!(!EMPTY.initialized());
    /// ```
    pub const fn const_new() -> SetOnce<T> {
        SetOnce::new()
    }

    /// A cell holding `value`, or empty for `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::SetOnce;
    ///
    /// assert_eq!(SetOnce::new_with(Some(1)).get(), Some(&1));
    /// assert_eq!(SetOnce::<u32>::new_with(None).get(), None);
    /// ```
    pub fn new_with(value: Option<T>) -> SetOnce<T> {
        let value = value.map_or_else(cell::OnceCell::new, cell::OnceCell::from);
        SetOnce {
            shared: Shared::new(value, Notify::new()),
        }
    }

    /// Whether the cell holds a value.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = mirage::sync::SetOnce::new();
    /// assert!(!once.initialized());
    /// once.set(()).unwrap();
    /// assert!(once.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.shared.value.get().is_some()
    }

    /// The value, if the cell holds one; never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = mirage::sync::SetOnce::new();
    /// assert_eq!(once.get(), None);
    /// once.set(3).unwrap();
    /// assert_eq!(once.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.shared.value.get()
    }

    /// Stores `value` if the cell is empty and wakes every task waiting in
    /// [`wait`](SetOnce::wait); otherwise hands `value` back in a [`SetOnceError`] and
    /// leaves the cell as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{SetOnce, SetOnceError};
    ///
    /// let once = SetOnce::new();
    /// assert_eq!(once.set(1), Ok(()));
    /// assert_eq!(once.set(2), Err(SetOnceError(2)));
    /// assert_eq!(once.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        self.shared.set(value)
    }

    /// The value, taking the cell apart; `None` if it was empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = mirage::sync::SetOnce::new_with(Some("kept"));
    /// assert_eq!(once.into_inner(), Some("kept"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.shared.value.into_inner()
    }

    /// The value, once the cell holds one: at once if it does, otherwise when
    /// [`set`](SetOnce::set) stores it. Every task waiting is woken by that one `set`.
    ///
    /// Cancel-safe: dropped while it waits, it leaves nothing behind and takes nothing from
    /// the other waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::SetOnce;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let once = Rc::new(SetOnce::new());
    ///     let setter = Rc::clone(&once);
    ///     mirage::spawn(async move { setter.set(7).unwrap() });
    ///     assert_eq!(*once.wait().await, 7);
    /// });
    /// ```
    pub async fn wait(&self) -> &T {
        self.shared.wait().await
    }
}

impl<T> Default for SetOnce<T> {
    fn default() -> SetOnce<T> {
        SetOnce::new()
    }
}

impl<T> From<T> for SetOnce<T> {
    fn from(value: T) -> SetOnce<T> {
        SetOnce::new_with(Some(value))
    }
}

impl<T: Clone> Clone for SetOnce<T> {
    /// A new cell holding a clone of the value, or empty; with no waiters of its own.
    fn clone(&self) -> SetOnce<T> {
        SetOnce::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for SetOnce<T> {
    fn eq(&self, other: &SetOnce<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for SetOnce<T> {}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_as("SetOnce", f)
    }
}
