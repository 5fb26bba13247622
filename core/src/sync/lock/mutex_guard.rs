//! The guards of a borrowed `Mutex`: `MutexGuard`, and `MappedMutexGuard` for a part of
//! the value.

use std::cell::RefMut;
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::Mutex;
use crate::sync::SemaphorePermit;

/// The lock of a [`Mutex`](super::Mutex), held until dropped; derefs to the value.
///
/// # Examples
///
/// ```
/// let mutex = mirage::sync::Mutex::new(vec![1]);
/// let mut guard: mirage::sync::MutexGuard<'_, Vec<u8>> = mutex.try_lock().unwrap();
/// guard.push(2);
/// drop(guard);
/// assert_eq!(mutex.into_inner(), [1, 2]);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    /// Declared first: the borrow ends before the permit lets the next task in.
    value: RefMut<'a, T>,
    permit: SemaphorePermit<'a>,
    mutex: &'a Mutex<T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The guard of the task that holds `permit`, the one permit of `mutex`.
    pub(super) fn new(
        mutex: &'a Mutex<T>,
        value: RefMut<'a, T>,
        permit: SemaphorePermit<'a>,
    ) -> MutexGuard<'a, T> {
        MutexGuard {
            value,
            permit,
            mutex,
        }
    }

    /// The mutex this guard locks. An associated function (`MutexGuard::mutex(&guard)`),
    /// so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{Mutex, MutexGuard};
    ///
    /// let (first, second) = (Mutex::new(1), Mutex::new(1));
    /// let guard = first.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::mutex(&guard), &first));
    /// assert!(!std::ptr::eq(MutexGuard::mutex(&guard), &second));
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }

    /// Narrows the guard to a part of the value, such as a field, keeping the lock held
    /// until the returned guard drops. An associated function (`MutexGuard::map(guard,
    /// ..)`), so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new((String::from("name"), 1));
    /// let mut count: MappedMutexGuard<'_, i32> =
    ///     MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    /// *count += 1;
    /// assert!(mutex.try_lock().is_err(), "still locked");
    /// drop(count);
    /// assert_eq!(mutex.into_inner().1, 2);
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        MappedMutexGuard {
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
    /// use mirage::sync::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(vec![1, 2]);
    /// let missing = MutexGuard::try_map(mutex.try_lock().unwrap(), |v| v.get_mut(5));
    /// let guard = missing.unwrap_err(); // the whole value, still locked
    /// let mut second = MutexGuard::try_map(guard, |v| v.get_mut(1)).unwrap();
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(mutex.into_inner(), [1, 20]);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let MutexGuard {
            value,
            permit,
            mutex,
        } = this;
        match RefMut::filter_map(value, f) {
            Ok(value) => Ok(MappedMutexGuard { value, permit }),
            Err(value) => Err(MutexGuard {
                value,
                permit,
                mutex,
            }),
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.value, f)
    }
}

/// The lock of a [`Mutex`](super::Mutex), narrowed by [`MutexGuard::map`] to a part of the
/// value; held until dropped, and derefs to that part.
///
/// # Examples
///
/// ```
/// use mirage::sync::{MappedMutexGuard, Mutex, MutexGuard};
///
/// let mutex = Mutex::new([0u8; 4]);
/// let mut tail: MappedMutexGuard<'_, [u8]> =
///     MutexGuard::map(mutex.try_lock().unwrap(), |bytes| &mut bytes[2..]);
/// tail.fill(9);
/// drop(tail);
/// assert_eq!(mutex.into_inner(), [0, 0, 9, 9]);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    /// Declared first: the borrow ends before the permit lets the next task in.
    value: RefMut<'a, T>,
    permit: SemaphorePermit<'a>,
}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// Narrows the guard further, keeping the lock held until the returned guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(((1, 2), 3));
    /// let pair = MutexGuard::map(mutex.try_lock().unwrap(), |outer| &mut outer.0);
    /// let mut second = MappedMutexGuard::map(pair, |pair| &mut pair.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(mutex.into_inner(), ((1, 5), 3));
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        MappedMutexGuard {
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
    /// use mirage::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new((vec![1], 0));
    /// let list = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.0);
    /// let list = MappedMutexGuard::try_map(list, |list| list.get_mut(3)).unwrap_err();
    /// assert_eq!(*list, [1]);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let MappedMutexGuard { value, permit } = this;
        match RefMut::filter_map(value, f) {
            Ok(value) => Ok(MappedMutexGuard { value, permit }),
            Err(value) => Err(MappedMutexGuard { value, permit }),
        }
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.value, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.value, f)
    }
}
