//! `OwnedRwLockReadGuard`: a shared lock of an `RwLock` shared by `Rc`, which it keeps
//! alive.
//!
//! Like `OwnedMutexGuard`, it cannot hold a `Ref` borrowed from the lock it owns, so it
//! reaches the value through `RefCell::as_ptr`, made sound by its permit.

use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

use super::RwLock;

/// A shared lock of an [`RwLock`] shared by `Rc`, from [`RwLock::read_owned`]: held until
/// dropped, derefs to the value, and keeps the lock alive, so it can move into a spawned
/// task or be stored.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::{OwnedRwLockReadGuard, RwLock};
///
/// let lock = Rc::new(RwLock::new(String::from("v1")));
/// let reading: OwnedRwLockReadGuard<String> = Rc::clone(&lock).try_read_owned().unwrap();
/// drop(lock); // the guard keeps it alive
/// assert_eq!(*reading, "v1");
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedRwLockReadGuard<T: ?Sized> {
    /// One of its permits is this guard's: taken out of the semaphore, given back on drop.
    lock: Rc<RwLock<T>>,
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    /// The guard of a reader that holds one permit of `lock`.
    ///
    /// # Safety
    ///
    /// The caller took that permit and forgot it, so the semaphore counts it as held; the
    /// guard gives it back when it drops.
    pub(super) unsafe fn new(lock: Rc<RwLock<T>>) -> OwnedRwLockReadGuard<T> {
        OwnedRwLockReadGuard { lock }
    }

    /// The lock this guard holds. An associated function
    /// (`OwnedRwLockReadGuard::rwlock(&guard)`), so it does not hide a method of the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new(1));
    /// let reading = Rc::clone(&lock).try_read_owned().unwrap();
    /// assert!(Rc::ptr_eq(OwnedRwLockReadGuard::rwlock(&reading), &lock));
    /// ```
    pub fn rwlock(this: &Self) -> &Rc<RwLock<T>> {
        &this.lock
    }
}

impl<T: ?Sized> Deref for OwnedRwLockReadGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds one of the lock's permits for as long as the reference
        // lives (it borrows the guard), so no writer exists: a writer's guard needs every
        // permit. Readers' guards and `Debug` only read, and each holds a permit too;
        // `get_mut` and `into_inner` need the `RwLock` itself, which this guard's `Rc`
        // keeps shared. So nothing writes to the value until the guard drops.
        unsafe { &*self.lock.value.as_ptr() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockReadGuard<T> {
    fn drop(&mut self) {
        // No reference from `deref` outlives the guard: a writer may come in.
        self.lock.semaphore.add_permits(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for OwnedRwLockReadGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
