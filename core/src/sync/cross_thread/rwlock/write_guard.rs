//! The exclusive guards of a borrowed cross-thread `RwLock`: `RwLockWriteGuard`, and
//! `RwLockMappedWriteGuard` for a part of the value.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use super::{RwLock, RwLockReadGuard};
use crate::sync::cross_thread::Semaphore;
use crate::sync::held_permits::HeldPermits;

/// The lock of a cross-thread [`RwLock`], held alone: the value, through `Deref` and
/// `DerefMut`. Dropping it, on whatever thread, lets the next waiters in.
///
/// # Examples
///
/// ```
/// let lock = mirage::sync::cross_thread::RwLock::new(1);
/// *lock.try_write().unwrap() += 1;
/// assert_eq!(*lock.try_read().unwrap(), 2);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    /// The value, reached only while the permits keep every other guard out.
    value: NonNull<T>,
    /// Every permit of the lock's semaphore.
    permits: HeldPermits<&'a Semaphore>,
    /// It lends `&mut T` and `&T` out, for as long as `'a`.
    _value: PhantomData<&'a mut T>,
}

// SAFETY: sending the guard sends a unique borrow of a `T` (`T: Send`) and a reference to a
// `Sync` semaphore; tokio asks `T: Sync` too (a downgraded guard shares the value with
// other readers), and so does this.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: through a shared guard, threads reach only `&T` (`T: Sync`). As tokio's.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// # Safety
    ///
    /// The caller took every permit of `lock` and forgot them: the guard gives them back.
    pub(super) unsafe fn new(lock: &'a RwLock<T>) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard {
            value: lock.value_ptr(),
            // SAFETY: the caller took every permit and forgot them.
            permits: unsafe { HeldPermits::new(&lock.semaphore, lock.max_readers) },
            _value: PhantomData,
        }
    }

    /// Turns the exclusive lock into a shared one, atomically: no writer can get in
    /// between, so the reader sees what was written. Readers that asked before the next
    /// waiting writer get in at once; a waiting writer waits for this reader too.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::cross_thread::RwLock::new(1);
    /// let mut writing = lock.try_write().unwrap();
    /// *writing = 2;
    /// let reading = writing.downgrade();
    /// assert_eq!(*reading, 2);
    /// assert_eq!(*lock.try_read().unwrap(), 2, "other readers share it now");
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard::from_parts(self.value, self.permits.keep_one())
    }

    /// Narrows the guard to a part of the value, keeping the exclusive lock held until the
    /// returned guard drops. An associated function (`RwLockWriteGuard::map(guard, ..)`),
    /// so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new((String::from("name"), 1));
    /// let mut count: RwLockMappedWriteGuard<'_, i32> =
    ///     RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.1);
    /// *count += 1;
    /// assert!(lock.try_read().is_err(), "still write-locked");
    /// drop(count);
    /// assert_eq!(lock.into_inner().1, 2);
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        // If `f` panics, `this` drops and unlocks as usual.
        let value = NonNull::from(f(&mut *this));
        RwLockMappedWriteGuard::from_parts(value, this.permits)
    }

    /// Narrows the guard to a part of the value if `f` finds one; otherwise gives the
    /// guard back, still locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(vec![1, 2]);
    /// let guard = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.get_mut(5));
    /// let guard = guard.unwrap_err(); // the whole value, still locked
    /// let mut second = RwLockWriteGuard::try_map(guard, |v| v.get_mut(1)).unwrap();
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(lock.into_inner(), [1, 20]);
    /// ```
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        match f(&mut *this).map(NonNull::from) {
            Some(value) => Ok(RwLockMappedWriteGuard::from_parts(value, this.permits)),
            None => Err(this),
        }
    }

    /// [`downgrade`](RwLockWriteGuard::downgrade) and [`RwLockReadGuard::map`] in one:
    /// narrows the guard to a part of the value and shares it, atomically.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockReadGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new((String::from("name"), 1));
    /// let mut writing = lock.try_write().unwrap();
    /// writing.1 = 2;
    /// let count: RwLockReadGuard<'_, i32> = RwLockWriteGuard::downgrade_map(writing, |p| &p.1);
    /// assert_eq!(*count, 2);
    /// assert_eq!(lock.try_read().unwrap().0, "name", "other readers share it now");
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        // `f` runs before any permit goes back: no writer gets in between.
        let value = NonNull::from(f(&*this));
        RwLockReadGuard::from_parts(value, this.permits.keep_one())
    }

    /// [`downgrade_map`](RwLockWriteGuard::downgrade_map) if `f` finds a part; otherwise
    /// gives the guard back, still locked alone.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(vec![1, 2]);
    /// let writing = lock.try_write().unwrap();
    /// let writing = RwLockWriteGuard::try_downgrade_map(writing, |v| v.get(5)).unwrap_err();
    /// assert!(lock.try_read().is_err(), "still locked alone");
    /// let second = RwLockWriteGuard::try_downgrade_map(writing, |v| v.get(1)).unwrap();
    /// assert_eq!(*second, 2);
    /// assert!(lock.try_read().is_ok());
    /// ```
    pub fn try_downgrade_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        match f(&*this).map(NonNull::from) {
            Some(value) => Ok(RwLockReadGuard::from_parts(value, this.permits.keep_one())),
            None => Err(this),
        }
    }

    /// The same lock as a [`RwLockMappedWriteGuard`], the type a `map` returns: for code
    /// that handles both alike. It cannot be downgraded any more.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(1);
    /// let mut writing: RwLockMappedWriteGuard<'_, i32> =
    ///     RwLockWriteGuard::into_mapped(lock.try_write().unwrap());
    /// *writing = 2;
    /// drop(writing);
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        RwLockMappedWriteGuard::from_parts(this.value, this.permits)
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `value` points into the lock's value, which outlives `'a`. The guard
        // holds every permit, so no other guard exists; `&self` lends the value shared.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` lends it unique.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// The lock of a cross-thread [`RwLock`], held alone and narrowed by
/// [`RwLockWriteGuard::map`] to a part of the value; held until dropped (on whatever
/// thread), and derefs to that part. Unlike a [`RwLockWriteGuard`], it cannot downgrade.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
///
/// let lock = RwLock::new([0u8; 4]);
/// let mut tail: RwLockMappedWriteGuard<'_, [u8]> =
///     RwLockWriteGuard::map(lock.try_write().unwrap(), |bytes| &mut bytes[2..]);
/// tail.fill(9);
/// drop(tail);
/// assert_eq!(lock.into_inner(), [0, 0, 9, 9]);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    /// The part of the value, reached only while the permits keep every other guard out.
    value: NonNull<T>,
    /// Every permit of the lock's semaphore.
    permits: HeldPermits<&'a Semaphore>,
    /// It lends `&mut T` and `&T` out, for as long as `'a`.
    _value: PhantomData<&'a mut T>,
}

// SAFETY: as for `RwLockWriteGuard`: a unique borrow of a `T`, and tokio's bounds.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: as for `RwLockWriteGuard`: threads sharing the guard reach only `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// The guard of `value`, a part of the value of the lock every permit of which
    /// `permits` holds.
    fn from_parts(
        value: NonNull<T>,
        permits: HeldPermits<&'a Semaphore>,
    ) -> RwLockMappedWriteGuard<'a, T> {
        RwLockMappedWriteGuard {
            value,
            permits,
            _value: PhantomData,
        }
    }

    /// Narrows the guard further, keeping the lock held until the returned guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(((1, 2), 3));
    /// let pair = RwLockWriteGuard::map(lock.try_write().unwrap(), |outer| &mut outer.0);
    /// let mut second = RwLockMappedWriteGuard::map(pair, |pair| &mut pair.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(lock.into_inner(), ((1, 5), 3));
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let value = NonNull::from(f(&mut *this));
        RwLockMappedWriteGuard::from_parts(value, this.permits)
    }

    /// Narrows the guard further if `f` finds a part; otherwise gives it back, still
    /// locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new((vec![1], 0));
    /// let list = RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.0);
    /// let list = RwLockMappedWriteGuard::try_map(list, |list| list.get_mut(3)).unwrap_err();
    /// assert_eq!(*list, [1]);
    /// ```
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        match f(&mut *this).map(NonNull::from) {
            Some(value) => Ok(RwLockMappedWriteGuard::from_parts(value, this.permits)),
            None => Err(this),
        }
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: as in `RwLockWriteGuard::deref`: `value` points into the lock's value,
        // and every permit is held.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` lends it unique.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
