//! `OwnedRwLockReadGuard`: a shared lock of an `RwLock` shared by `Rc`, which it keeps
//! alive, over its value or, once mapped, a part of it.
//!
//! Like `OwnedMutexGuard`, it cannot hold a `Ref` borrowed from the lock it owns, so it
//! reaches the value through `RefCell::as_ptr`, made sound by its permit.

use std::fmt;
use std::ops::Deref;
use std::ptr::NonNull;
use std::rc::Rc;

use super::RwLock;
use crate::sync::held_permits::HeldPermits;

/// A shared lock of an [`RwLock`] shared by `Rc`, from [`RwLock::read_owned`]: held until
/// dropped, derefs to a `U` (the lock's whole `T`, or, after
/// [`map`](OwnedRwLockReadGuard::map), a part of it), and keeps the lock alive, so it can
/// move into a spawned task or be stored.
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
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    /// The value, or the part of it that `map` narrowed to; only read, and only while the
    /// permit keeps writers out.
    value: NonNull<U>,
    /// One of the lock's permits, taken out of its semaphore and given back on drop; held
    /// on the lock itself, which it keeps alive.
    permit: HeldPermits<Rc<RwLock<T>>>,
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    /// The guard of a reader that holds one permit of `lock`.
    ///
    /// # Safety
    ///
    /// The caller took that permit and forgot it, so the semaphore counts it as held; the
    /// guard gives it back when it drops.
    pub(super) unsafe fn new(lock: Rc<RwLock<T>>) -> OwnedRwLockReadGuard<T> {
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
        permit: HeldPermits<Rc<RwLock<T>>>,
    ) -> OwnedRwLockReadGuard<T, U> {
        OwnedRwLockReadGuard { value, permit }
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
        this.permit.lock()
    }

    /// Narrows the guard to a part of the value, keeping the shared lock held, and the lock
    /// alive, until the returned guard drops. An associated function, as
    /// [`RwLockReadGuard::map`](super::RwLockReadGuard::map).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new((String::from("name"), 1)));
    /// let reading = Rc::clone(&lock).try_read_owned().unwrap();
    /// let name: OwnedRwLockReadGuard<(String, i32), str> =
    ///     OwnedRwLockReadGuard::map(reading, |pair| pair.0.as_str());
    /// assert_eq!(&*name, "name");
    /// assert!(lock.try_write().is_err(), "still read-locked");
    /// drop(name);
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
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new(vec![1, 2]));
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
        // SAFETY: `value` points into the value of the lock that `permit` keeps alive, and
        // this guard holds one of its permits for as long as the reference lives (it
        // borrows the guard), so no writer exists: a writer's guard needs every permit.
        // Readers' guards and `Debug` only read, and each holds a permit too; `get_mut` and
        // `into_inner` need the `RwLock` itself, which this guard's `Rc` keeps shared. So
        // nothing writes to the value until the guard drops.
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
