//! The guards of the cross-thread `Mutex`: the value while the lock is held.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::Mutex;

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
