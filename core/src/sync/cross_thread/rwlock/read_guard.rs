//! `RwLockReadGuard`: a shared lock on a borrowed cross-thread `RwLock`, over its value or,
//! once mapped, a part of it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use super::RwLock;
use crate::sync::cross_thread::Semaphore;
use crate::sync::held_permits::HeldPermits;

/// A shared lock on a cross-thread [`RwLock`]: the value (or, after
/// [`map`](RwLockReadGuard::map), a part of it), through `Deref`. Dropping it, on whatever
/// thread, lets a waiting writer in once the other readers leave.
///
/// # Examples
///
/// ```
/// let lock = mirage::sync::cross_thread::RwLock::new(1);
/// let reading = lock.try_read().unwrap();
/// assert_eq!(*reading, 1);
/// assert!(lock.try_write().is_err());
/// drop(reading);
/// assert!(lock.try_write().is_ok());
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// The value, or the part of it that `map` narrowed to; only read, and only while the
    /// permit keeps writers out.
    value: NonNull<T>,
    /// One permit of the lock's semaphore.
    permit: HeldPermits<&'a Semaphore>,
    /// It lends `&T` out, for as long as `'a`.
    _value: PhantomData<&'a T>,
}

// SAFETY: sending the guard sends a shared borrow of a `T` (`T: Sync`) and a reference to a
// `Sync` semaphore, which it may give its permit back to from any thread. As tokio's.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: through a shared guard, threads reach only `&T`, which `T: Sync` allows; tokio
// asks `T: Send` too, and so does this.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// # Safety
    ///
    /// The caller took one permit of `lock` and forgot it: the guard gives it back.
    pub(super) unsafe fn new(lock: &'a RwLock<T>) -> RwLockReadGuard<'a, T> {
        // SAFETY: the caller took the permit and forgot it.
        let permit = unsafe { HeldPermits::new(&lock.semaphore, 1) };
        RwLockReadGuard::from_parts(lock.value_ptr(), permit)
    }

    /// The guard of `value`, (a part of) the value of the lock one of whose permits
    /// `permit` holds.
    pub(super) fn from_parts(
        value: NonNull<T>,
        permit: HeldPermits<&'a Semaphore>,
    ) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard {
            value,
            permit,
            _value: PhantomData,
        }
    }

    /// Narrows the guard to a part of the value, keeping the shared lock held until the
    /// returned guard drops. An associated function (`RwLockReadGuard::map(guard, ..)`),
    /// so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockReadGuard};
    ///
    /// let lock = RwLock::new((String::from("name"), 1));
    /// let name: RwLockReadGuard<'_, str> =
    ///     RwLockReadGuard::map(lock.try_read().unwrap(), |pair| pair.0.as_str());
    /// assert_eq!(&*name, "name");
    /// assert!(lock.try_write().is_err(), "still read-locked");
    /// drop(name);
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        // If `f` panics, `this` drops and unlocks as usual.
        let value = NonNull::from(f(&*this));
        RwLockReadGuard::from_parts(value, this.permit)
    }

    /// Narrows the guard to a part of the value if `f` finds one; otherwise gives the
    /// guard back, still locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockReadGuard};
    ///
    /// let lock = RwLock::new(vec![1, 2]);
    /// let guard = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.get(5));
    /// let guard = guard.unwrap_err(); // the whole value, still locked
    /// let second = RwLockReadGuard::try_map(guard, |v| v.get(1)).unwrap();
    /// assert_eq!(*second, 2);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        match f(&*this).map(NonNull::from) {
            Some(value) => Ok(RwLockReadGuard::from_parts(value, this.permit)),
            None => Err(this),
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `value` points into the lock's value, which outlives `'a`. The guard
        // holds a permit, so no writer holds the lock: every reference to the value that
        // lives is shared.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
