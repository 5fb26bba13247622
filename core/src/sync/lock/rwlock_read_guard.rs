//! `RwLockReadGuard`: a shared lock of a borrowed `RwLock`, or of a part of its value.

use std::cell::Ref;
use std::fmt;
use std::ops::Deref;

use crate::sync::SemaphorePermit;

/// A shared lock of an [`RwLock`](super::RwLock), held until dropped; derefs to the value
/// (or, after [`map`](RwLockReadGuard::map), to a part of it).
///
/// # Examples
///
/// ```
/// let lock = mirage::sync::RwLock::new(3);
/// let guard: mirage::sync::RwLockReadGuard<'_, i32> = lock.try_read().unwrap();
/// assert_eq!(*guard, 3);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    /// Declared first: the borrow ends before the permit lets a writer in.
    value: Ref<'a, T>,
    permit: SemaphorePermit<'a>,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// The guard of a reader that holds `permit`, one of the lock's permits.
    pub(super) fn new(value: Ref<'a, T>, permit: SemaphorePermit<'a>) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard { value, permit }
    }

    /// Narrows the guard to a part of the value, keeping the shared lock held until the
    /// returned guard drops. An associated function (`RwLockReadGuard::map(guard, ..)`),
    /// so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockReadGuard};
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
        RwLockReadGuard {
            value: Ref::map(this.value, f),
            permit: this.permit,
        }
    }

    /// Narrows the guard to a part of the value if `f` finds one; otherwise gives the
    /// guard back, still locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockReadGuard};
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
        let RwLockReadGuard { value, permit } = this;
        match Ref::filter_map(value, f) {
            Ok(value) => Ok(RwLockReadGuard { value, permit }),
            Err(value) => Err(RwLockReadGuard { value, permit }),
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.value, f)
    }
}
