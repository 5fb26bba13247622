//! `OnceCell`: a value set once, by the first task to get there, while the others wait.

mod error;
pub(crate) mod shared;
#[cfg(test)]
mod tests;

use std::cell::{self, RefCell};
use std::fmt;
use std::future::Future;

use super::semaphore::state::State;
use shared::Shared;

pub use error::SetError;

/// A value that the tasks of one Core compute once and then share: the first task to call
/// [`get_or_init`](OnceCell::get_or_init) runs its initializer, and the tasks that come
/// meanwhile wait for its value instead of each computing one. A client built at first use,
/// a configuration file read once.
///
/// One initializer runs at a time. If it fails (the error of
/// [`get_or_try_init`](OnceCell::get_or_try_init)), panics, or its future is dropped, the
/// cell stays empty and the task that has waited longest runs its own initializer: no task
/// is left waiting for a value that nobody computes. Waiters take their turn first come,
/// first served, and sleep until it comes.
///
/// Once stored, the value neither moves nor changes until a `&mut` method takes it out
/// ([`take`](OnceCell::take), [`into_inner`](OnceCell::into_inner)), so
/// [`get`](OnceCell::get) hands out a plain `&T`. Like every `mirage::sync` type, it takes
/// no lock and is `!Sync`: share it with `Rc<OnceCell<T>>`, or put it in a `thread_local!`,
/// since [`new`](OnceCell::new) is a `const fn`. Tasks on several Cores (threads) share a
/// [`cross_thread::OnceCell`](crate::sync::cross_thread::OnceCell) instead.
///
/// An initializer that awaits its own cell's `get_or_init` waits for itself forever.
///
/// # Examples
///
/// Three tasks ask at once; one connects, and all three get its connection:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use mirage::sync::OnceCell;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let conn = Rc::new(OnceCell::new());
///     let connects = Rc::new(Cell::new(0));
///     let tasks: Vec<_> = (0..3)
///         .map(|n| {
///             let (conn, connects) = (Rc::clone(&conn), Rc::clone(&connects));
///             mirage::spawn(async move {
///                 let conn = conn
///                     .get_or_init(|| async {
///                         connects.set(connects.get() + 1);
///                         mirage::time::sleep(Duration::from_millis(1)).await;
///                         format!("connection made by task {n}")
///                     })
///                     .await;
///                 conn.clone()
///             })
///         })
///         .collect();
///     for task in tasks {
///         assert_eq!(task.await.unwrap(), "connection made by task 0");
///     }
///     assert_eq!(connects.get(), 1);
/// });
/// ```
pub struct OnceCell<T> {
    /// The value, and the turn to initialize it as a semaphore's one permit; the logic
    /// lives in [`Shared`], which the cross-thread cell shares.
    shared: Shared<cell::OnceCell<T>, RefCell<State>>,
}

impl<T> OnceCell<T> {
    /// An empty cell. A `const fn`, so it can initialize a `thread_local!`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::OnceCell;
    ///
    /// thread_local! {
    ///     static GREETING: OnceCell<String> = const { OnceCell::new() };
    /// }
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     GREETING.with(|greeting| greeting.set(String::from("hello")).unwrap());
    ///     GREETING.with(|greeting| assert_eq!(greeting.get().unwrap(), "hello"));
    /// });
    /// ```
    pub const fn new() -> OnceCell<T> {
        OnceCell {
            shared: Shared::new(cell::OnceCell::new(), RefCell::new(State::new(1))),
        }
    }

    /// [`new`](OnceCell::new) under tokio's other name for it, which ported code calls.
    /// tokio's `const_new_with` is missing: the standard library's `OnceCell`, which holds
    /// the value, has no `const` way to start full.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::OnceCell;
    ///
    /// thread_local! {
    ///     static CONFIG: OnceCell<u32> = const { OnceCell::const_new() };
    /// }
    ///
    /// CONFIG.with(|cell| cell.set(8080).unwrap());
    /// assert_eq!(CONFIG.with(|cell| cell.get().copied()), Some(8080));
    /// ```
    pub const fn const_new() -> OnceCell<T> {
        OnceCell::new()
    }

    /// A cell holding `value`, or empty for `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::OnceCell;
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
    /// let cell = mirage::sync::OnceCell::new();
    /// assert!(!cell.initialized());
    /// cell.set("set").unwrap();
    /// assert!(cell.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.shared.initialized()
    }

    /// The value, if the cell holds one.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = mirage::sync::OnceCell::new();
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
    /// let mut cell = mirage::sync::OnceCell::new_with(Some(1));
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.shared.value.get_mut()
    }

    /// Stores `value` if the cell is empty and no task's initializer runs; otherwise hands it
    /// back in a [`SetError`] that says which. Waiting tasks wake and read the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{OnceCell, SetError};
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
    /// runs and any task that waits first), then, if the cell is still empty, runs `f` and
    /// stores what it returns.
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
    ///     let cell = mirage::sync::OnceCell::new();
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
    /// comes back to this caller, the cell stays empty, and the next task in line runs its
    /// own initializer. Cancel-safe, as `get_or_init`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let cell = mirage::sync::OnceCell::new();
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
    /// let mut cell = mirage::sync::OnceCell::new_with(Some(1));
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
    /// let cell = mirage::sync::OnceCell::new_with(Some("kept"));
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
        self.shared.fmt_as("OnceCell", f)
    }
}
