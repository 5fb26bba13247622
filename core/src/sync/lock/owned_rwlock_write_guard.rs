//! `OwnedRwLockWriteGuard`: the exclusive lock of an `RwLock` shared by `Rc`, which it
//! keeps alive.
//!
//! Like `OwnedMutexGuard`, it cannot hold a `RefMut` borrowed from the lock it owns, so it
//! reaches the value through `RefCell::as_ptr`, made sound by its permits.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

use super::{OwnedRwLockReadGuard, RwLock};

/// The exclusive lock of an [`RwLock`] shared by `Rc`, from [`RwLock::write_owned`]: held
/// until dropped, derefs to the value, and keeps the lock alive, so it can move into a
/// spawned task or be stored.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::{OwnedRwLockWriteGuard, RwLock};
///
/// let lock = Rc::new(RwLock::new(1));
/// let mut writing: OwnedRwLockWriteGuard<i32> = Rc::clone(&lock).try_write_owned().unwrap();
/// *writing = 2;
/// drop(writing);
/// assert_eq!(*lock.try_read().unwrap(), 2);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    /// Every permit of its semaphore is this guard's: taken out, given back on drop.
    lock: Rc<RwLock<T>>,
    /// How many that is; 0 once `downgrade` has handed them on.
    permits: u32,
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// The guard of the writer that holds all `permits` permits of `lock`.
    ///
    /// # Safety
    ///
    /// The caller took every permit of `lock` and forgot them, so the semaphore counts them
    /// as held; the guard gives them back when it drops.
    pub(super) unsafe fn new(lock: Rc<RwLock<T>>, permits: u32) -> OwnedRwLockWriteGuard<T> {
        OwnedRwLockWriteGuard { lock, permits }
    }

    /// The lock this guard holds. An associated function
    /// (`OwnedRwLockWriteGuard::rwlock(&guard)`), so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new(1));
    /// let writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// assert!(Rc::ptr_eq(OwnedRwLockWriteGuard::rwlock(&writing), &lock));
    /// ```
    pub fn rwlock(this: &Self) -> &Rc<RwLock<T>> {
        &this.lock
    }

    /// Turns the exclusive lock into a shared one, atomically: no writer can get in
    /// between (see [`RwLockWriteGuard::downgrade`](super::RwLockWriteGuard::downgrade)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new(1));
    /// let mut writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// *writing = 2;
    /// let reading = writing.downgrade();
    /// assert_eq!(*reading, 2);
    /// assert_eq!(*lock.try_read().unwrap(), 2, "other readers share it now");
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade(mut self) -> OwnedRwLockReadGuard<T> {
        // `self` drops at the end, giving nothing back: its permits pass on here.
        let permits = std::mem::take(&mut self.permits);
        // SAFETY: one of the writer's permits passes to the reader, which gives it back.
        let reading = unsafe { OwnedRwLockReadGuard::new(Rc::clone(&self.lock)) };
        // The others go back only now, so no writer gets in between.
        self.lock.semaphore.add_permits(permits as usize - 1);
        reading
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds every permit of the lock for as long as the reference
        // lives (it borrows the guard). Every other way to the value needs a permit (the
        // other guards; `Debug`, which formats only with one) or the `RwLock` itself
        // (`get_mut`, `into_inner`), which this guard's `Rc` keeps shared. So no other
        // reference to the value exists, and none can be made, until the guard drops.
        unsafe { &*self.lock.value.as_ptr() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; the reference borrows the guard uniquely, so no other
        // reference made through this guard exists either.
        unsafe { &mut *self.lock.value.as_ptr() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        // No reference from `deref` outlives the guard: the next holder may come in.
        if self.permits > 0 {
            self.lock.semaphore.add_permits(self.permits as usize);
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
