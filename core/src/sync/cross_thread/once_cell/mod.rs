//! `OnceCell` across threads: a value computed once, by the first task on any Core to ask,
//! while the others, on every Core, wait for it.

#[cfg(test)]
mod tests;

use std::fmt;
use std::future::Future;
use std::sync::{Mutex, OnceLock};

use crate::sync::SetError;
use crate::sync::once_cell::shared::Shared;
use crate::sync::semaphore::state::State;

/// A value, like [`sync::OnceCell`](crate::sync::OnceCell)'s, that the tasks of every Core
/// compute once and then share: the first task to call
/// [`get_or_init`](OnceCell::get_or_init), on any Core, runs its initializer, and the tasks
/// that ask meanwhile, on the same Core or another, wait for its value. This is tokio's
/// `static CONFIG: OnceCell<Config>`: [`new`](OnceCell::new) is a `const fn`, and the cell is
/// `Sync` when `T` is `Send + Sync` (`Send` when `T` is `Send`), as tokio's.
///
/// The semantics are those of the local `OnceCell`, whose design it shares: one initializer
/// runs at a time; if it fails (the error of [`get_or_try_init`](OnceCell::get_or_try_init)),
/// panics, or its future is dropped, the cell stays empty and the task that has waited
/// longest, whatever its Core, runs its own. The turn to initialize is the one permit of a
/// cross-thread [`Semaphore`](crate::sync::cross_thread::Semaphore), so waiters are served
/// first come, first served. Once stored, the value neither moves nor changes until a `&mut`
/// method takes it out, so
/// [`get`](OnceCell::get) hands out a plain `&T` and reads it without a lock. Between the
/// tasks of one Core, the local `OnceCell` costs less.
///
/// tokio's `const_new_with` is missing: the standard library's `OnceLock`, which holds the
/// value, has no `const` way to start full. An initializer that awaits its own cell's
/// `get_or_init` waits for itself forever.
///
/// # Examples
///
/// Four Cores ask for a shared configuration at once; it is loaded once:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use mirage::sync::cross_thread::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::const_new();
/// static LOADS: AtomicUsize = AtomicUsize::new(0);
///
/// async fn config() -> &'static str {
///     CONFIG
///         .get_or_init(|| async {
///             LOADS.fetch_add(1, Ordering::SeqCst);
///             mirage::time::sleep(std::time::Duration::from_millis(1)).await;
///             String::from("port = 8080")
///         })
///         .await
/// }
///
/// let cores: Vec<_> = (0..4)
///     .map(|_| std::thread::spawn(|| mirage::Core::new().unwrap().run(config())))
///     .collect();
/// for core in cores {
///     assert_eq!(core.join().unwrap(), "port = 8080");
/// }
/// assert_eq!(LOADS.load(Ordering::SeqCst), 1);
/// ```
pub struct OnceCell<T> {
    /// The value, and the turn to initialize it as a semaphore's one permit; the logic
    /// lives in [`Shared`], which the local cell shares. `OnceLock::set` never meets
    /// another `set` there, since only the holder of the permit stores, so it never blocks.
    shared: Shared<OnceLock<T>, Mutex<State>>,
}

impl<T> OnceCell<T> {
    /// An empty cell. A `const fn`, so it can be a `static` that every thread shares.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::OnceCell;
    ///
    /// static GREETING: OnceCell<String> = OnceCell::new();
    ///
    /// std::thread::spawn(|| GREETING.set(String::from("hello")).unwrap())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(GREETING.get().unwrap(), "hello");
    /// ```
    pub const fn new() -> OnceCell<T> {
        OnceCell {
            shared: Shared::new(OnceLock::new(), Mutex::new(State::new(1))),
        }
    }

    /// [`new`](OnceCell::new) under tokio's name for its `const` constructor, which ported
    /// code calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::OnceCell;
    ///
    /// static PORT: OnceCell<u16> = OnceCell::const_new();
    ///
    /// PORT.set(8080).unwrap();
    /// assert_eq!(PORT.get(), Some(&8080));
    /// ```
    pub const fn const_new() -> OnceCell<T> {
        OnceCell::new()
    }

    /// A cell holding `value`, or empty for `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::OnceCell;
    ///
    /// assert_eq!(OnceCell::new_with(Some(1)).get(), Some(&1));
    /// assert_eq!(OnceCell::<u32>::new_with(None).get(), None);
    /// ```
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        OnceCell {
            shared: OnceCell::new().shared.with_value(value),
        }
    }

    /// Whether the cell holds a value.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = mirage::sync::cross_thread::OnceCell::new();
    /// assert!(!cell.initialized());
    /// cell.set("set").unwrap();
    /// assert!(cell.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.shared.initialized()
    }

    /// The value, if the cell holds one; never waits, and takes no lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = mirage::sync::cross_thread::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(3).unwrap();
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.shared.value.get()
    }

    /// The value, through a unique borrow of the cell, if it holds one.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cell = mirage::sync::cross_thread::OnceCell::new_with(Some(1));
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.shared.value.get_mut()
    }

    /// Stores `value` if the cell is empty and no task's initializer runs, on any Core;
    /// otherwise hands it back in a [`SetError`] that says which. Waiting tasks wake, on
    /// their own Cores, and read the value. Works on any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::OnceCell;
    /// use mirage::sync::SetError;
    ///
    /// let cell = OnceCell::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(SetError::AlreadyInitializedError(2)));
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        self.shared.set(value)
    }

    /// The value; if the cell is empty, waits for its turn (behind any initializer that
    /// runs and any task that waits first, on whatever Core), then, if the cell is still
    /// empty, runs `f` and stores what it returns.
    ///
    /// Cancel-safe: dropped while it waits, it gives up its place in line; dropped while `f`
    /// runs, it drops `f`'s future and leaves the cell empty, and the next task in line runs
    /// its own initializer. A panic in `f` does the same.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let cell = mirage::sync::cross_thread::OnceCell::new();
    ///     assert_eq!(*cell.get_or_init(|| async { 1 }).await, 1);
    ///     // Stored: a later initializer does not run.
    ///     assert_eq!(*cell.get_or_init(|| async { unreachable!() }).await, 1);
    /// });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        self.shared.get_or_init(f).await
    }

    /// [`get_or_init`](OnceCell::get_or_init) with an initializer that may fail. Its error
    /// comes back to this caller, the cell stays empty, and the next task in line, on any
    /// Core, runs its own initializer. Cancel-safe, as `get_or_init`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let cell = mirage::sync::cross_thread::OnceCell::new();
    ///     let failed = cell.get_or_try_init(|| async { "a".parse::<u32>() }).await;
    ///     assert!(failed.is_err());
    ///     assert!(!cell.initialized());
    ///     let parsed = cell.get_or_try_init(|| async { "7".parse::<u32>() }).await;
    ///     assert_eq!(parsed, Ok(&7));
    /// });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.shared.get_or_try_init(f).await
    }

    /// Takes the value out, leaving the cell empty; `None` if it was empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cell = mirage::sync::cross_thread::OnceCell::new_with(Some(1));
    /// assert_eq!(cell.take(), Some(1));
    /// assert!(!cell.initialized());
    /// cell.set(2).unwrap(); // empty again: it can be set again
    /// ```
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }

    /// The value, taking the cell apart; `None` if it was empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = mirage::sync::cross_thread::OnceCell::new_with(Some("kept"));
    /// assert_eq!(cell.into_inner(), Some("kept"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.shared.value.into_inner()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> OnceCell<T> {
        OnceCell::new_with(Some(value))
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    /// A new cell holding a clone of the value, or empty; with no waiters of its own.
    fn clone(&self) -> OnceCell<T> {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &OnceCell<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt_as("cross_thread::OnceCell", f)
    }
}
