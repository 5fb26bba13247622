//! The exclusive guards of a borrowed `RwLock`: `RwLockWriteGuard`, and
//! `RwLockMappedWriteGuard` for a part of the value.

use std::cell::{Ref, RefMut};
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::{RwLock, RwLockReadGuard};
use crate::sync::SemaphorePermit;

/// The exclusive lock of an [`RwLock`](super::RwLock), held until dropped; derefs to the
/// value.
///
/// # Examples
///
/// ```
/// let lock = mirage::sync::RwLock::new(3);
/// let mut guard: mirage::sync::RwLockWriteGuard<'_, i32> = lock.try_write().unwrap();
/// *guard = 4;
/// drop(guard);
/// assert_eq!(lock.into_inner(), 4);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    /// Declared first: the borrow ends before the permits let the next task in.
    value: RefMut<'a, T>,
    permit: SemaphorePermit<'a>,
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// The guard of the writer that holds `permit`, every permit of `lock`.
    pub(super) fn new(
        lock: &'a RwLock<T>,
        value: RefMut<'a, T>,
        permit: SemaphorePermit<'a>,
    ) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard {
            value,
            permit,
            lock,
        }
    }

    /// Turns the exclusive lock into a shared one, atomically: no writer can get in
    /// between, so the reader sees what was written. Readers that asked before the next
    /// waiting writer get in at once; a waiting writer waits for this reader too.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(1);
    /// let mut writing = lock.try_write().unwrap();
    /// *writing = 2;
    /// let reading = writing.downgrade();
    /// assert_eq!(*reading, 2);
    /// assert_eq!(*lock.try_read().unwrap(), 2, "other readers share it now");
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let (value, permit) = self.share();
        RwLockReadGuard::new(value, keep_one(permit))
    }

    /// [`downgrade`](RwLockWriteGuard::downgrade) and [`RwLockReadGuard::map`] in one:
    /// narrows the guard to a part of the value and shares it, atomically. `f` runs before
    /// any other task may read.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
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
        let (value, permit) = this.share();
        // If `f` panics, the borrow and every permit drop: the lock is free.
        let part = Ref::map(value, f);
        RwLockReadGuard::new(part, keep_one(permit))
    }

    /// [`downgrade_map`](RwLockWriteGuard::downgrade_map) if `f` finds a part; otherwise
    /// gives the guard back, still locked alone.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockWriteGuard};
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
        let lock = this.lock;
        let (value, permit) = this.share();
        match Ref::filter_map(value, f) {
            Ok(part) => Ok(RwLockReadGuard::new(part, keep_one(permit))),
            Err(whole) => {
                // Back to a unique borrow: the permits still keep every other guard out.
                drop(whole);
                Err(RwLockWriteGuard::new(lock, lock.value.borrow_mut(), permit))
            }
        }
    }

    /// The same lock as a [`RwLockMappedWriteGuard`], the type a `map` returns: for code
    /// that handles both alike. It cannot be downgraded any more.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(1);
    /// let mut writing: RwLockMappedWriteGuard<'_, i32> =
    ///     RwLockWriteGuard::into_mapped(lock.try_write().unwrap());
    /// *writing = 2;
    /// drop(writing);
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        RwLockMappedWriteGuard {
            value: this.value,
            permit: this.permit,
        }
    }

    /// The value, borrowed shared instead of unique, with every permit still held: the
    /// step between writer and reader. RefCell has no safe way to turn a `RefMut` into a
    /// `Ref`, so this ends the one and starts the other; the permits keep every other
    /// guard, hence every other borrow, out in between.
    fn share(self) -> (Ref<'a, T>, SemaphorePermit<'a>) {
        let RwLockWriteGuard {
            value,
            permit,
            lock,
        } = self;
        drop(value);
        (lock.value.borrow(), permit)
    }

    /// Narrows the guard to a part of the value, keeping the exclusive lock held until the
    /// returned guard drops. An associated function (`RwLockWriteGuard::map(guard, ..)`),
    /// so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new((String::from("name"), 1));
    /// let mut count: RwLockMappedWriteGuard<'_, i32> =
    ///     RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.1);
    /// *count += 1;
    /// assert!(lock.try_read().is_err(), "still write-locked");
    /// drop(count);
    /// assert_eq!(lock.into_inner().1, 2);
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        RwLockMappedWriteGuard {
            value: RefMut::map(this.value, f),
            permit: this.permit,
        }
    }

    /// Narrows the guard to a part of the value if `f` finds one; otherwise gives the
    /// guard back, still locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(vec![1, 2]);
    /// let guard = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.get_mut(5));
    /// let guard = guard.unwrap_err(); // the whole value, still locked
    /// let mut second = RwLockWriteGuard::try_map(guard, |v| v.get_mut(1)).unwrap();
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(lock.into_inner(), [1, 20]);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let RwLockWriteGuard {
            value,
            permit,
            lock,
        } = this;
        match RefMut::filter_map(value, f) {
            Ok(value) => Ok(RwLockMappedWriteGuard { value, permit }),
            Err(value) => Err(RwLockWriteGuard {
                value,
                permit,
                lock,
            }),
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.value, f)
    }
}

/// A writer's permits, all of the lock's, cut to the one a reader holds: the others go
/// back, waking the readers queued before the next writer.
fn keep_one(mut permits: SemaphorePermit<'_>) -> SemaphorePermit<'_> {
    permits
        .split(1)
        .expect("a writer holds every permit of its lock")
}

/// The exclusive lock of an [`RwLock`](super::RwLock), narrowed by
/// [`RwLockWriteGuard::map`] to a part of the value; held until dropped, and derefs to that
/// part.
///
/// # Examples
///
/// ```
/// use mirage::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
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
    /// Declared first: the borrow ends before the permits let the next task in.
    value: RefMut<'a, T>,
    permit: SemaphorePermit<'a>,
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Narrows the guard further, keeping the lock held until the returned guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new(((1, 2), 3));
    /// let pair = RwLockWriteGuard::map(lock.try_write().unwrap(), |outer| &mut outer.0);
    /// let mut second = RwLockMappedWriteGuard::map(pair, |pair| &mut pair.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(lock.into_inner(), ((1, 5), 3));
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        RwLockMappedWriteGuard {
            value: RefMut::map(this.value, f),
            permit: this.permit,
        }
    }

    /// Narrows the guard further if `f` finds a part; otherwise gives it back, still
    /// locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    ///
    /// let lock = RwLock::new((vec![1], 0));
    /// let list = RwLockWriteGuard::map(lock.try_write().unwrap(), |pair| &mut pair.0);
    /// let list = RwLockMappedWriteGuard::try_map(list, |list| list.get_mut(3)).unwrap_err();
    /// assert_eq!(*list, [1]);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let RwLockMappedWriteGuard { value, permit } = this;
        match RefMut::filter_map(value, f) {
            Ok(value) => Ok(RwLockMappedWriteGuard { value, permit }),
            Err(value) => Err(RwLockMappedWriteGuard { value, permit }),
        }
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.value, f)
    }
}
