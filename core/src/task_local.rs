//! Task-local values: a value that the code of one task (or one future) sees, and the other
//! tasks of the same thread do not, declared with [`task_local!`](crate::task_local!).
//!
//! A thread-local is shared by every task of a Core, since they all run on its thread. A
//! task-local is set for the length of a future with [`LocalKey::scope`]: each time that
//! future is polled, the value is put in the key's thread-local slot, and taken out again
//! when the poll returns, so other tasks polled in between see their own value, or none.
//! It suits what a request carries through every layer of code: an id for the logs, a
//! deadline, credentials.
//!
//! # Examples
//!
//! ```
//! mirage::task_local! {
//!     static REQUEST_ID: u64;
//! }
//!
//! async fn log(message: &str) -> String {
//!     format!("[{}] {message}", REQUEST_ID.get())
//! }
//!
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     let first = mirage::spawn(REQUEST_ID.scope(1, async {
//!         mirage::yield_now().await; // the other task runs meanwhile, with its own id
//!         log("done").await
//!     }));
//!     let second = mirage::spawn(REQUEST_ID.scope(2, log("done")));
//!     assert_eq!(first.await.unwrap(), "[1] done");
//!     assert_eq!(second.await.unwrap(), "[2] done");
//!     assert!(REQUEST_ID.try_with(|_| ()).is_err(), "not set outside a scope");
//! });
//! ```

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static NAME: Type;`, each a [`LocalKey`]. Attributes and a
/// visibility (`pub`, `pub(crate)`) may precede each one.
///
/// # Examples
///
/// ```
/// mirage::task_local! {
///     /// The user a request runs for.
///     pub static USER: String;
///     static DEPTH: u32;
/// }
///
/// let user = USER.sync_scope("ada".to_string(), || USER.with(|user| user.clone()));
/// assert_eq!(user, "ada");
/// assert_eq!(DEPTH.sync_scope(3, || DEPTH.get()), 3);
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
    };
}

/// One key of [`task_local!`]: a `static` [`LocalKey`] over a thread-local slot of its own.
#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_key {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task_local::LocalKey<$t> = {
            ::std::thread_local! {
                static SLOT: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task_local::LocalKey::__new(&SLOT)
        };
    };
}

/// A key to a task-local value, declared with [`task_local!`](crate::task_local!): set with
/// [`scope`](LocalKey::scope) (or [`sync_scope`](LocalKey::sync_scope)), read with
/// [`with`](LocalKey::with), [`try_with`](LocalKey::try_with) or [`get`](LocalKey::get)
/// from code running inside the scope.
///
/// # Examples
///
/// ```
/// mirage::task_local! {
///     static NAME: &'static str;
/// }
///
/// let mut core = mirage::Core::new().unwrap();
/// let seen = core.run(NAME.scope("outer", async {
///     let inner = NAME.scope("inner", async { NAME.get() }).await;
///     (inner, NAME.get()) // the outer value is back once the inner scope ends
/// }));
/// assert_eq!(seen, ("inner", "outer"));
/// ```
pub struct LocalKey<T: 'static> {
    slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    /// What [`task_local!`](crate::task_local!) expands to. Not a public API.
    #[doc(hidden)]
    pub const fn __new(slot: &'static std::thread::LocalKey<RefCell<Option<T>>>) -> Self {
        LocalKey { slot }
    }

    /// Runs `future` with this key set to `value`: code polled by the future sees it,
    /// whichever task or Core polls it, and code outside does not. The value lives in the
    /// returned future, and is dropped with it; the inner future is dropped inside the
    /// scope too, so its destructors see the value. (One exception, as in tokio: a scoped
    /// future dropped inside [`with`](LocalKey::with) on the same key drops its inner
    /// future outside the scope, since the value it would swap in is borrowed.)
    ///
    /// # Examples
    ///
    /// ```
    /// mirage::task_local! {
    ///     static ATTEMPT: u32;
    /// }
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// assert_eq!(core.run(ATTEMPT.scope(2, async { ATTEMPT.get() * 10 })), 20);
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Runs `f` with this key set to `value`, for synchronous code; returns what `f`
    /// returns. The value is dropped at the end, even if `f` panics.
    ///
    /// # Panics
    ///
    /// If called from inside [`with`](LocalKey::with) on the same key, which borrows the
    /// value being replaced.
    ///
    /// # Examples
    ///
    /// ```
    /// mirage::task_local! {
    ///     static LEVEL: u8;
    /// }
    ///
    /// assert_eq!(LEVEL.sync_scope(7, || LEVEL.get()), 7);
    /// assert!(LEVEL.try_with(|_| ()).is_err());
    /// ```
    #[track_caller]
    pub fn sync_scope<F: FnOnce() -> R, R>(&'static self, value: T, f: F) -> R {
        let mut value = Some(value);
        let _entered = self.enter(&mut value);
        f()
    }

    /// Calls `f` with a reference to the value of the scope this code runs in.
    ///
    /// # Panics
    ///
    /// Outside every scope of this key: use [`try_with`](LocalKey::try_with) to find out.
    ///
    /// # Examples
    ///
    /// ```
    /// mirage::task_local! {
    ///     static PATH: String;
    /// }
    ///
    /// let len = PATH.sync_scope("/index.html".into(), || PATH.with(|path| path.len()));
    /// assert_eq!(len, 11);
    /// ```
    #[track_caller]
    pub fn with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> R {
        // A `match`, not `unwrap_or_else`: a panic in a closure names the closure's line,
        // not the caller's.
        match self.try_with(f) {
            Ok(r) => r,
            Err(_) => panic!(
                "a task-local value read outside its scope: run the code inside \
                 KEY.scope(value, future), or use try_with"
            ),
        }
    }

    /// Calls `f` with a reference to the value of the scope this code runs in, or fails
    /// with [`AccessError`] outside every scope of this key.
    ///
    /// # Examples
    ///
    /// ```
    /// mirage::task_local! {
    ///     static TRACE: bool;
    /// }
    ///
    /// assert!(TRACE.try_with(|&on| on).is_err());
    /// assert_eq!(TRACE.sync_scope(true, || TRACE.try_with(|&on| on)), Ok(true));
    /// ```
    pub fn try_with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> Result<R, AccessError> {
        // `try_with`: during the thread's teardown the slot may be gone.
        let borrowed = self.slot.try_with(|slot| {
            let value = slot.borrow();
            value.as_ref().map(f)
        });
        borrowed.ok().flatten().ok_or(AccessError { _private: () })
    }

    /// A clone of the value of the scope this code runs in.
    ///
    /// # Panics
    ///
    /// Outside every scope of this key, as [`with`](LocalKey::with).
    ///
    /// # Examples
    ///
    /// ```
    /// mirage::task_local! {
    ///     static TENANT: String;
    /// }
    ///
    /// assert_eq!(TENANT.sync_scope("acme".into(), || TENANT.get()), "acme");
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }

    /// A clone of the value of the scope this code runs in, or [`AccessError`] outside every
    /// scope of this key: [`get`](LocalKey::get) without the panic.
    ///
    /// # Examples
    ///
    /// ```
    /// mirage::task_local! {
    ///     static REQUEST_ID: u64;
    /// }
    ///
    /// assert!(REQUEST_ID.try_get().is_err());
    /// assert_eq!(REQUEST_ID.sync_scope(7, || REQUEST_ID.try_get()), Ok(7));
    /// ```
    pub fn try_get(&'static self) -> Result<T, AccessError>
    where
        T: Clone,
    {
        self.try_with(T::clone)
    }

    /// Puts `value` in the slot until the returned guard drops, which puts it back in
    /// `value` (and the slot's previous value, for a nested scope, back in the slot).
    #[track_caller]
    fn enter<'a>(&'static self, value: &'a mut Option<T>) -> Entered<'a, T> {
        self.swap(value);
        Entered { key: self, value }
    }

    /// Swaps `value` with the slot's value.
    #[track_caller]
    fn swap(&'static self, value: &mut Option<T>) {
        let swapped = self.slot.with(|slot| {
            let mut slot = slot.try_borrow_mut().ok()?;
            mem::swap(&mut *slot, value);
            Some(())
        });
        // Outside the closures, so that the panic names the caller's line (`sync_scope`'s).
        if swapped.is_none() {
            panic!(
                "a task-local scope entered or left while its value is borrowed (inside \
                 with or try_with on the same key)"
            );
        }
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// Restores the slot when a scope's poll (or closure) ends, also by a panic.
struct Entered<'a, T: 'static> {
    key: &'static LocalKey<T>,
    value: &'a mut Option<T>,
}

impl<T: 'static> Drop for Entered<'_, T> {
    fn drop(&mut self) {
        self.key.swap(self.value);
    }
}

/// The future [`LocalKey::scope`] returns: the inner future, polled (and dropped) with the
/// key set to the scope's value.
///
/// # Examples
///
/// ```
/// mirage::task_local! {
///     static ID: u32;
/// }
///
/// let scoped = ID.scope(5, async { ID.get() });
/// println!("{scoped:?}");
/// assert_eq!(mirage::Core::new().unwrap().run(scoped), 5);
/// ```
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    /// The scope's value, while no poll runs; in the key's slot during a poll.
    value: Option<T>,
    /// `None` once it completed, or was dropped in [`Drop`]. Structurally pinned.
    future: Option<F>,
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the scope's value out of this future: `Some` once, then `None`. Typically
    /// called once the future completed, to get back a value its code changed through
    /// [`with`](LocalKey::with) and interior mutability. Taken earlier, the value is gone
    /// for the rest of the scope: the inner future's later polls, and its destructors, see
    /// the key unset. As tokio's `TaskLocalFuture::take_value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::pin::pin;
    ///
    /// mirage::task_local! {
    ///     static REQUESTS: Cell<u32>;
    /// }
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut counted = pin!(REQUESTS.scope(Cell::new(0), async {
    ///         REQUESTS.with(|n| n.set(n.get() + 3));
    ///     }));
    ///     counted.as_mut().await;
    ///     assert_eq!(counted.as_mut().take_value().map(Cell::into_inner), Some(3));
    ///     assert!(counted.as_mut().take_value().is_none());
    /// });
    /// ```
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        // SAFETY: only `value` is touched, and it is not structurally pinned (see `poll`):
        // taking it moves nothing that is pinned.
        unsafe { self.get_unchecked_mut() }.value.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self` (it is
        // only polled through this projection, and dropped in place by assigning `None`,
        // here or in `Drop`), and `TaskLocalFuture` is not `Unpin` unless `F` is. The other
        // fields are never pinned, and moving them is fine.
        let this = unsafe { self.get_unchecked_mut() };
        let key = this.key;
        let _entered = key.enter(&mut this.value);
        let Some(future) = this.future.as_mut() else {
            panic!("a task-local scope's future polled after it completed");
        };
        // SAFETY: see above; `future` stays where it is until it is dropped in place.
        let poll = unsafe { Pin::new_unchecked(future) }.poll(cx);
        if poll.is_ready() {
            // Dropped inside the scope, in place.
            this.future = None;
        }
        poll
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        if self.future.is_none() {
            return;
        }
        // The inner future's destructors run inside the scope, as its polls did. Within a
        // `with` on the same key the slot cannot be swapped: drop it outside the scope then,
        // rather than panic in a destructor.
        let borrowed = self
            .key
            .slot
            .try_with(|slot| slot.try_borrow_mut().is_err())
            .unwrap_or(true);
        if borrowed {
            self.future = None;
            return;
        }
        let key = self.key;
        let _entered = key.enter(&mut self.value);
        // In place: the future may be pinned.
        self.future = None;
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("completed", &self.future.is_none())
            .finish_non_exhaustive()
    }
}

/// A task-local value read outside every scope of its key, by
/// [`LocalKey::try_with`].
///
/// # Examples
///
/// ```
/// mirage::task_local! {
///     static KEY: u8;
/// }
///
/// let err = KEY.try_with(|_| ()).unwrap_err();
/// assert_eq!(err.to_string(), "task-local value read outside its scope");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value read outside its scope")
    }
}

impl Error for AccessError {}
