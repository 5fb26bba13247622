//! The guards of the cross-thread `RwLock`: the value while the lock is held, shared by
//! readers or alone by a writer.
//!
//! Each holds the lock through a `&RwLock<T>` or an `Arc<RwLock<T>>`, which is `Send` and
//! `Sync` only for a `T: Send + Sync` (the lock's own `Sync`): what a guard may do with the
//! value on another thread needs no more.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::RwLock;

/// A shared lock on a cross-thread [`RwLock`]: the value, through `Deref`. Dropping it lets
/// a waiting writer in once the other readers leave.
///
/// # Examples
///
/// ```
/// let lock = mirage::sync::cross_thread::RwLock::new(1);
/// let reading = lock.try_read().unwrap();
/// assert_eq!(*reading, 1);
/// assert!(lock.try_write().is_err());
/// drop(reading);
/// assert!(lock.try_write().is_ok());
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// # Safety
    ///
    /// The caller took one permit and forgot it: the guard gives it back.
    pub(super) unsafe fn new(lock: &'a RwLock<T>) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard { lock }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds a permit, so no writer holds the lock: every reference to
        // the value that lives is shared.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock(false);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// The lock of a cross-thread [`RwLock`], held alone: the value, through `Deref` and
/// `DerefMut`. Dropping it lets the next waiters in.
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
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// # Safety
    ///
    /// The caller took every permit and forgot them: the guard gives them back.
    pub(super) unsafe fn new(lock: &'a RwLock<T>) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard { lock }
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
        let lock = self.lock;
        // Its drop would give every permit back: one passes to the reader instead.
        std::mem::forget(self);
        // SAFETY: one of the writer's permits passes to the reader, which gives it back.
        let reading = unsafe { RwLockReadGuard::new(lock) };
        // The others go back only now, so no writer gets in between.
        lock.unlock_all_but_one();
        reading
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit, so no other guard exists; `&self` lends
        // the value shared.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` lends it unique.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock(true);
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

/// [`RwLockReadGuard`] for a lock shared by `Arc`: keeps the lock alive instead of
/// borrowing it, so it can be stored, or move to another task or thread.
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
pub struct OwnedRwLockReadGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    /// # Safety
    ///
    /// The caller took one permit and forgot it: the guard gives it back.
    pub(super) unsafe fn new(lock: Arc<RwLock<T>>) -> OwnedRwLockReadGuard<T> {
        OwnedRwLockReadGuard { lock }
    }
}

impl<T: ?Sized> Deref for OwnedRwLockReadGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: as in `RwLockReadGuard::deref`: a permit held keeps writers out.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockReadGuard<T> {
    fn drop(&mut self) {
        self.lock.unlock(false);
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

/// [`RwLockWriteGuard`] for a lock shared by `Arc`: keeps the lock alive instead of
/// borrowing it.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::RwLock;
///
/// let lock = Arc::new(RwLock::new(1));
/// let mut writing = Arc::clone(&lock).try_write_owned().unwrap();
/// std::thread::spawn(move || *writing = 2).join().unwrap();
/// assert_eq!(*lock.try_read().unwrap(), 2);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    /// Whether it holds the writer's permits: false once [`downgrade`](Self::downgrade)
    /// passed them on, so that its drop gives nothing back.
    holds: bool,
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// # Safety
    ///
    /// The caller took every permit and forgot them: the guard gives them back.
    pub(super) unsafe fn new(lock: Arc<RwLock<T>>) -> OwnedRwLockWriteGuard<T> {
        OwnedRwLockWriteGuard { lock, holds: true }
    }

    /// [`RwLockWriteGuard::downgrade`] for a lock shared by `Arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut writing = Arc::clone(&lock).try_write_owned().unwrap();
    /// *writing = 2;
    /// let reading = writing.downgrade();
    /// assert_eq!(*reading, 2);
    /// assert!(lock.try_write().is_err());
    /// drop(reading);
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn downgrade(mut self) -> OwnedRwLockReadGuard<T> {
        // `self` drops at the end, giving nothing back: its permits pass on here.
        self.holds = false;
        // SAFETY: one of the writer's permits passes to the reader, which gives it back.
        let reading = unsafe { OwnedRwLockReadGuard::new(Arc::clone(&self.lock)) };
        // The others go back only now, so no writer gets in between.
        self.lock.unlock_all_but_one();
        reading
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: as in `RwLockWriteGuard::deref`: every permit is held.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `RwLockWriteGuard::deref_mut`.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        if self.holds {
            self.lock.unlock(true);
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
