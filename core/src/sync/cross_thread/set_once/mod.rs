//! `SetOnce` across threads: a value set once, by any thread, that tasks on every Core wait
//! for until it is.

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::OnceLock;

use super::Notify;
use crate::sync::SetOnceError;
use crate::sync::set_once::shared::Shared;

/// A cell, like [`sync::SetOnce`](crate::sync::SetOnce), that is set once, by whoever has
/// the value on any thread, and that tasks on every Core [`wait`](SetOnce::wait) on until it
/// is: the address a listener learned, the reason every Core of a server stops. It is
/// tokio's `SetOnce`: [`new`](SetOnce::new) is a `const fn`, so it can be a `static`, and
/// the cell is `Sync` when `T` is `Send + Sync` (`Send` when `T` is `Send`), as tokio's.
///
/// The semantics are those of the local `SetOnce`: the first [`set`](SetOnce::set) stores
/// the value and wakes every waiting task, on its own Core, and later `set`s fail. Once
/// stored, the value neither moves nor changes until [`into_inner`](SetOnce::into_inner)
/// takes the cell apart, so [`get`](SetOnce::get) and `wait` hand out a plain `&T`, and
/// `get` reads it without a lock. Two threads that `set` at once are ordered by the
/// standard library's `OnceLock`, which holds the value: the second waits only while the
/// first moves its value in. Between the tasks of one Core, the local `SetOnce` costs less.
///
/// tokio's `const_new_with` is missing: `OnceLock` has no `const` way to start full.
///
/// # Examples
///
/// Three Cores wait for the address that a plain thread learns:
///
/// ```
/// use mirage::sync::cross_thread::SetOnce;
///
/// static ADDR: SetOnce<String> = SetOnce::const_new();
///
/// let cores: Vec<_> = (0..3)
///     .map(|n| {
///         std::thread::spawn(move || {
///             let mut core = mirage::Core::new().unwrap();
///             core.run(async move { format!("core {n} connects to {}", ADDR.wait().await) })
///         })
///     })
///     .collect();
/// ADDR.set(String::from("127.0.0.1:8080")).unwrap();
/// for (n, core) in cores.into_iter().enumerate() {
///     assert_eq!(core.join().unwrap(), format!("core {n} connects to 127.0.0.1:8080"));
/// }
/// ```
pub struct SetOnce<T> {
    /// The value, and what wakes its waiters; the logic lives in [`Shared`], which the
    /// local `SetOnce` shares.
    shared: Shared<OnceLock<T>, Notify>,
}

impl<T> SetOnce<T> {
    /// An empty cell. A `const fn`, so it can be a `static` that every thread shares.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::SetOnce;
    ///
    /// static SHUTDOWN_REASON: SetOnce<&'static str> = SetOnce::new();
    ///
    /// std::thread::spawn(|| SHUTDOWN_REASON.set("signal").unwrap())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(SHUTDOWN_REASON.get(), Some(&"signal"));
    /// ```
    pub const fn new() -> SetOnce<T> {
        SetOnce {
            shared: Shared::new(OnceLock::new(), Notify::const_new()),
        }
    }

    /// An empty cell, the same as [`new`](SetOnce::new): tokio's name for its `const`
    /// constructor.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::SetOnce;
    ///
    /// static READY: SetOnce<()> = SetOnce::const_new();
    /// assert!(!READY.initialized());
    /// ```
    pub const fn const_new() -> SetOnce<T> {
        SetOnce::new()
    }

    /// A cell holding `value`, or empty for `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::SetOnce;
    ///
    /// assert_eq!(SetOnce::new_with(Some(1)).get(), Some(&1));
    /// assert_eq!(SetOnce::<u32>::new_with(None).get(), None);
    /// ```
    pub fn new_with(value: Option<T>) -> SetOnce<T> {
        let value = value.map_or_else(OnceLock::new, OnceLock::from);
        SetOnce {
            shared: Shared::new(value, Notify::const_new()),
        }
    }

    /// Whether the cell holds a value.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = mirage::sync::cross_thread::SetOnce::new();
    /// assert!(!once.initialized());
    /// once.set(()).unwrap();
    /// assert!(once.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.shared.value.get().is_some()
    }

    /// The value, if the cell holds one; never waits, and takes no lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let once = mirage::sync::cross_thread::SetOnce::new();
    /// assert_eq!(once.get(), None);
    /// once.set(3).unwrap();
    /// assert_eq!(once.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.shared.value.get()
    }

    /// Stores `value` if the cell is empty and wakes every task waiting in
    /// [`wait`](SetOnce::wait), on every Core; otherwise hands `value` back in a
    /// [`SetOnceError`] and leaves the cell as it was. Works on any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::SetOnce;
    /// use mirage::sync::SetOnceError;
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
    /// let once = mirage::sync::cross_thread::SetOnce::new_with(Some("kept"));
    /// assert_eq!(once.into_inner(), Some("kept"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.shared.value.into_inner()
    }

    /// The value, once the cell holds one: at once if it does, otherwise when
    /// [`set`](SetOnce::set), on any thread, stores it. Every task waiting, on every Core,
    /// is woken by that one `set`.
    ///
    /// Cancel-safe: dropped while it waits, it leaves nothing behind and takes nothing from
    /// the other waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::SetOnce;
    ///
    /// let once = Arc::new(SetOnce::new());
    /// let setter = Arc::clone(&once);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     std::thread::spawn(move || setter.set(7).unwrap());
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
        self.shared.fmt_as("cross_thread::SetOnce", f)
    }
}
