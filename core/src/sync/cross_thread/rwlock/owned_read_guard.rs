//! `OwnedRwLockReadGuard`: a shared lock on a cross-thread `RwLock` shared by `Arc`, which
//! it keeps alive, over its value or, once mapped, a part of it.

use std::fmt;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Arc;

use super::RwLock;
use crate::sync::held_permits::HeldPermits;

/// [`RwLockReadGuard`](super::RwLockReadGuard) for a lock shared by `Arc`: keeps the lock
/// alive instead of borrowing it, so it can be stored, or move to another task or thread.
/// It derefs to a `U`: the lock's whole `T`, or, after [`map`](OwnedRwLockReadGuard::map),
/// a part of it.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::RwLock;
///
/// let lock = Arc::new(RwLock::new(1));
/// let reading = Arc::clone(&lock).try_read_owned().unwrap();
/// assert_eq!(std::thread::spawn(move || *reading).join().unwrap(), 1);
/// assert!(lock.try_write().is_ok());
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    /// The value, or the part of it that `map` narrowed to; only read, and only while the
    /// permit keeps writers out.
    value: NonNull<U>,
    /// One permit of the lock, held on the lock itself, which it keeps alive.
    permit: HeldPermits<Arc<RwLock<T>>>,
}

// SAFETY: sending the guard sends a shared borrow of a `U` (`U: Sync`) and an `Arc` of the
// lock, which may be the last and drop the `T` on the other thread (`Arc<RwLock<T>>` is
// `Send` for `T: Send + Sync`). As tokio's.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: through a shared guard, threads reach only `&U` (`U: Sync`) and
// `&Arc<RwLock<T>>` (`T: Send + Sync`); tokio asks `U: Send` too, and so does this.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockReadGuard<T, U> {}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    /// # Safety
    ///
    /// The caller took one permit of `lock` and forgot it: the guard gives it back.
    pub(super) unsafe fn new(lock: Arc<RwLock<T>>) -> OwnedRwLockReadGuard<T> {
        let value = lock.value_ptr();
        // SAFETY: the caller took the permit and forgot it.
        let permit = unsafe { HeldPermits::new(lock, 1) };
        OwnedRwLockReadGuard::from_parts(value, permit)
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// The guard of `value`, (a part of) the value of the lock one of whose permits
    /// `permit` holds.
    pub(super) fn from_parts(
        value: NonNull<U>,
        permit: HeldPermits<Arc<RwLock<T>>>,
    ) -> OwnedRwLockReadGuard<T, U> {
        OwnedRwLockReadGuard { value, permit }
    }

    /// The lock this guard holds. An associated function
    /// (`OwnedRwLockReadGuard::rwlock(&guard)`), so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let reading = Arc::clone(&lock).try_read_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedRwLockReadGuard::rwlock(&reading), &lock));
    /// ```
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        this.permit.lock()
    }

    /// Narrows the guard to a part of the value, keeping the shared lock held, and the lock
    /// alive, until the returned guard drops. An associated function, as
    /// [`RwLockReadGuard::map`](super::RwLockReadGuard::map).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new((String::from("name"), 1)));
    /// let reading = Arc::clone(&lock).try_read_owned().unwrap();
    /// let name: OwnedRwLockReadGuard<(String, i32), str> =
    ///     OwnedRwLockReadGuard::map(reading, |pair| pair.0.as_str());
    /// assert!(lock.try_write().is_err(), "still read-locked");
    /// assert_eq!(std::thread::spawn(move || name.len()).join().unwrap(), 4);
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn map<V: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        // If `f` panics, `this` drops and unlocks as usual.
        let value = NonNull::from(f(&*this));
        OwnedRwLockReadGuard::from_parts(value, this.permit)
    }

    /// Narrows the guard to a part of the value if `f` finds one; otherwise gives the
    /// guard back, still locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(vec![1, 2]));
    /// let reading = lock.try_read_owned().unwrap();
    /// let reading = OwnedRwLockReadGuard::try_map(reading, |v| v.get(5)).unwrap_err();
    /// let second = OwnedRwLockReadGuard::try_map(reading, |v| v.get(1)).unwrap();
    /// assert_eq!(*second, 2);
    /// ```
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        match f(&*this).map(NonNull::from) {
            Some(value) => Ok(OwnedRwLockReadGuard::from_parts(value, this.permit)),
            None => Err(this),
        }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `value` points into the value of the lock that `permit` keeps alive; the
        // guard holds one of its permits, so no writer holds the lock: every reference to
        // the value that lives is shared.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
