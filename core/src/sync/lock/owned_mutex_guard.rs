//! `OwnedMutexGuard`: the lock of a `Mutex` shared by `Rc`, which it keeps alive.
//!
//! A guard that owns its `Rc<Mutex<T>>` cannot also hold a `RefMut` borrowed from it (it
//! would borrow from itself), so it reaches the value through `RefCell::as_ptr`. That is
//! sound because of the permit, not the `RefCell`: see `Deref` below.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

use super::Mutex;

/// The lock of a [`Mutex`] shared by `Rc`, from [`Mutex::lock_owned`]: held until
/// dropped, derefs to the value, and keeps the mutex alive, so it can move into a spawned
/// task or be stored.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::{Mutex, OwnedMutexGuard};
///
/// let mutex = Rc::new(Mutex::new(vec![1]));
/// let mut guard: OwnedMutexGuard<Vec<u8>> = Rc::clone(&mutex).try_lock_owned().unwrap();
/// drop(mutex); // the guard keeps it alive
/// guard.push(2);
/// assert_eq!(*guard, [1, 2]);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedMutexGuard<T: ?Sized> {
    /// Its one permit is this guard's: taken out of the semaphore, given back on drop.
    mutex: Rc<Mutex<T>>,
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The guard that holds the one permit of `mutex`.
    ///
    /// # Safety
    ///
    /// The caller took that permit and forgot it, so the semaphore counts it as held; the
    /// guard gives it back when it drops.
    pub(super) unsafe fn new(mutex: Rc<Mutex<T>>) -> OwnedMutexGuard<T> {
        OwnedMutexGuard { mutex }
    }

    /// The mutex this guard locks. An associated function
    /// (`OwnedMutexGuard::mutex(&guard)`), so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{Mutex, OwnedMutexGuard};
    ///
    /// let mutex = Rc::new(Mutex::new(1));
    /// let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    /// assert!(Rc::ptr_eq(OwnedMutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &Rc<Mutex<T>> {
        &this.mutex
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's one permit for as long as the reference
        // lives (it borrows the guard). Every other way to the value needs that permit
        // (the other guards; `Debug`, which formats only with it) or the `Mutex` itself
        // (`get_mut`, `into_inner`), which this guard's `Rc` keeps shared. So no other
        // reference to the value exists, and none can be made, until the guard drops.
        unsafe { &*self.mutex.value.as_ptr() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; the reference borrows the guard uniquely, so no other
        // reference made through this guard exists either.
        unsafe { &mut *self.mutex.value.as_ptr() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        // No reference from `deref` outlives the guard: the next holder may come in.
        self.mutex.semaphore.add_permits(1);
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
