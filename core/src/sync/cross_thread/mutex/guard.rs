//! The guards of the cross-thread `Mutex`: the value while the lock is held, or, in a
//! `MappedMutexGuard`, a part of it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use super::Mutex;
use crate::sync::cross_thread::Semaphore;

/// The lock of a cross-thread [`Mutex`], held: the value, through `Deref` and `DerefMut`.
/// Dropping it unlocks the mutex, on whatever thread it drops.
///
/// # Examples
///
/// ```
/// let mutex = mirage::sync::cross_thread::Mutex::new(vec![1]);
/// {
///     let mut guard = mutex.try_lock().unwrap();
///     guard.push(2);
///     assert!(mutex.try_lock().is_err());
/// }
/// assert_eq!(*mutex.try_lock().unwrap(), [1, 2]);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// A guard lends `&mut T` and `&T` out: it may move to another thread only if `T` may
    /// (`Send`), and be shared only if `T` may be (`Sync`), as `&mut T` itself.
    _value: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// # Safety
    ///
    /// The caller took the mutex's one permit and forgot it: the guard gives it back.
    pub(super) unsafe fn new(mutex: &'a Mutex<T>) -> MutexGuard<'a, T> {
        MutexGuard {
            mutex,
            _value: PhantomData,
        }
    }

    /// The mutex this guard holds. An associated function, not a method, so that it does
    /// not hide a method of `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(guard: &MutexGuard<'a, T>) -> &'a Mutex<T> {
        guard.mutex
    }

    /// Narrows the guard to a part of the value, such as a field, keeping the lock held
    /// until the returned guard drops. An associated function (`MutexGuard::map(guard,
    /// ..)`), so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new((String::from("name"), 1));
    /// let mut count: MappedMutexGuard<'_, i32> =
    ///     MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    /// *count += 1;
    /// assert!(mutex.try_lock().is_err(), "still locked");
    /// drop(count);
    /// assert_eq!(mutex.into_inner().1, 2);
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        // If `f` panics, `this` drops and unlocks as usual.
        let value = NonNull::from(f(&mut *this));
        let semaphore = &this.mutex.semaphore;
        // The permit passes to the mapped guard, which gives it back.
        std::mem::forget(this);
        MappedMutexGuard::new(semaphore, value)
    }

    /// Narrows the guard to a part of the value if `f` finds one; otherwise gives the
    /// guard back, still locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(vec![1, 2]);
    /// let missing = MutexGuard::try_map(mutex.try_lock().unwrap(), |v| v.get_mut(5));
    /// let guard = missing.unwrap_err(); // the whole value, still locked
    /// let mut second = MutexGuard::try_map(guard, |v| v.get_mut(1)).unwrap();
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(mutex.into_inner(), [1, 20]);
    /// ```
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(value) = f(&mut *this).map(NonNull::from) else {
            return Err(this);
        };
        let semaphore = &this.mutex.semaphore;
        std::mem::forget(this);
        Ok(MappedMutexGuard::new(semaphore, value))
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's one permit, so no other guard exists and no
        // other reference to the value lives; `&self` lends it shared.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` lends it unique.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// [`MutexGuard`] for a mutex shared by `Arc`: keeps the mutex alive instead of borrowing
/// it, so it can be stored, or move to another task or thread.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::Mutex;
///
/// let mutex = Arc::new(Mutex::new(0));
/// let mut guard = Arc::clone(&mutex).try_lock_owned().unwrap();
/// std::thread::spawn(move || *guard += 1).join().unwrap();
/// assert_eq!(*mutex.try_lock().unwrap(), 1);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    /// As in `MutexGuard`: `Send` only if `T` is, `Sync` only if `T` is.
    _value: PhantomData<Box<T>>,
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// # Safety
    ///
    /// The caller took the mutex's one permit and forgot it: the guard gives it back.
    pub(super) unsafe fn new(mutex: Arc<Mutex<T>>) -> OwnedMutexGuard<T> {
        OwnedMutexGuard {
            mutex,
            _value: PhantomData,
        }
    }

    /// The mutex this guard holds. An associated function, as [`MutexGuard::mutex`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{Mutex, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new(1));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedMutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(guard: &OwnedMutexGuard<T>) -> &Arc<Mutex<T>> {
        &guard.mutex
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: as in `MutexGuard::deref`: the guard holds the one permit.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `MutexGuard::deref_mut`.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// The lock of a cross-thread [`Mutex`], narrowed by [`MutexGuard::map`] to a part of the
/// value; held until dropped (on whatever thread), and derefs to that part.
///
/// # Examples
///
/// ```
/// use mirage::sync::cross_thread::{MappedMutexGuard, Mutex, MutexGuard};
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
    /// The mutex's semaphore: the guard holds its one permit.
    semaphore: &'a Semaphore,
    /// The part of the value, reached only while the permit is held.
    value: NonNull<T>,
    /// It lends `&mut T` and `&T` out, as [`MutexGuard`] does.
    _value: PhantomData<&'a mut T>,
}

// SAFETY: the guard is a unique borrow of a `T` (the permit keeps every other out) plus a
// shared reference to a `Sync` semaphore: sending it sends a `&mut T`, which `T: Send`
// allows.
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: through a shared guard, threads reach only `&T`, which `T: Sync` allows.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// The guard of `value`, a part of the value of the mutex whose `semaphore`'s one
    /// permit the caller holds and hands over.
    fn new(semaphore: &'a Semaphore, value: NonNull<T>) -> MappedMutexGuard<'a, T> {
        MappedMutexGuard {
            semaphore,
            value,
            _value: PhantomData,
        }
    }

    /// Narrows the guard further, keeping the lock held until the returned guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(((1, 2), 3));
    /// let pair = MutexGuard::map(mutex.try_lock().unwrap(), |outer| &mut outer.0);
    /// let mut second = MappedMutexGuard::map(pair, |pair| &mut pair.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(mutex.into_inner(), ((1, 5), 3));
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let value = NonNull::from(f(&mut *this));
        let semaphore = this.semaphore;
        std::mem::forget(this);
        MappedMutexGuard::new(semaphore, value)
    }

    /// Narrows the guard further if `f` finds a part; otherwise gives it back, still
    /// locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new((vec![1], 2));
    /// let list = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.0);
    /// let list = MappedMutexGuard::try_map(list, |v| v.get_mut(3)).unwrap_err();
    /// assert_eq!(*list, [1]);
    /// ```
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let Some(value) = f(&mut *this).map(NonNull::from) else {
            return Err(this);
        };
        let semaphore = this.semaphore;
        std::mem::forget(this);
        Ok(MappedMutexGuard::new(semaphore, value))
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `value` points into the mutex's value, which outlives `'a`; the guard
        // holds the one permit, so no other guard exists and no other reference to it
        // lives; `&self` lends it shared.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` lends it unique.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.add_permits(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
