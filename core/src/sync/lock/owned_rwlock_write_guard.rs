//! The exclusive locks of an `RwLock` shared by `Rc`, which they keep alive:
//! `OwnedRwLockWriteGuard`, and `OwnedRwLockMappedWriteGuard` for a part of the value.
//!
//! Like `OwnedMutexGuard`, they cannot hold a `RefMut` borrowed from the lock they own, so
//! they reach the value through `RefCell::as_ptr`, made sound by their permits.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::rc::Rc;

use super::{OwnedRwLockReadGuard, RwLock};
use crate::sync::held_permits::HeldPermits;

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
    /// Every permit of the lock's semaphore, taken out and given back on drop; held on the
    /// lock itself, which it keeps alive.
    permits: HeldPermits<Rc<RwLock<T>>>,
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// The guard of the writer that holds all `permits` permits of `lock`.
    ///
    /// # Safety
    ///
    /// The caller took every permit of `lock` and forgot them, so the semaphore counts them
    /// as held; the guard gives them back when it drops.
    pub(super) unsafe fn new(lock: Rc<RwLock<T>>, permits: u32) -> OwnedRwLockWriteGuard<T> {
        OwnedRwLockWriteGuard {
            // SAFETY: the caller took every permit and forgot them.
            permits: unsafe { HeldPermits::new(lock, permits) },
        }
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
        this.permits.lock()
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
    pub fn downgrade(self) -> OwnedRwLockReadGuard<T> {
        let value = self.permits.lock().value_ptr();
        OwnedRwLockReadGuard::from_parts(value, self.permits.keep_one())
    }

    /// Narrows the guard to a part of the value, keeping the lock held alone, and alive,
    /// until the returned guard drops. An associated function, as
    /// [`RwLockWriteGuard::map`](super::RwLockWriteGuard::map).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new((String::from("name"), 1)));
    /// let writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// let mut count: OwnedRwLockMappedWriteGuard<(String, i32), i32> =
    ///     OwnedRwLockWriteGuard::map(writing, |pair| &mut pair.1);
    /// *count += 1;
    /// assert!(lock.try_read().is_err(), "still write-locked");
    /// drop(count);
    /// assert_eq!(lock.try_read().unwrap().1, 2);
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        // If `f` panics, `this` drops and unlocks as usual.
        let value = NonNull::from(f(&mut *this));
        OwnedRwLockMappedWriteGuard::from_parts(value, this.permits)
    }

    /// Narrows the guard to a part of the value if `f` finds one; otherwise gives the
    /// guard back, still locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new(vec![1, 2]));
    /// let writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// let writing = OwnedRwLockWriteGuard::try_map(writing, |v| v.get_mut(5)).unwrap_err();
    /// let mut second = OwnedRwLockWriteGuard::try_map(writing, |v| v.get_mut(1)).unwrap();
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(*lock.try_read().unwrap(), [1, 20]);
    /// ```
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        match f(&mut *this).map(NonNull::from) {
            Some(value) => Ok(OwnedRwLockMappedWriteGuard::from_parts(value, this.permits)),
            None => Err(this),
        }
    }

    /// [`downgrade`](OwnedRwLockWriteGuard::downgrade) and [`OwnedRwLockReadGuard::map`]
    /// in one: narrows the guard to a part of the value and shares it, atomically.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new((String::from("name"), 1)));
    /// let mut writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// writing.1 = 2;
    /// let count = OwnedRwLockWriteGuard::downgrade_map(writing, |pair| &pair.1);
    /// assert_eq!(*count, 2);
    /// assert_eq!(lock.try_read().unwrap().0, "name", "other readers share it now");
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        // `f` runs before any permit goes back: no writer gets in between.
        let value = NonNull::from(f(&*this));
        OwnedRwLockReadGuard::from_parts(value, this.permits.keep_one())
    }

    /// [`downgrade_map`](OwnedRwLockWriteGuard::downgrade_map) if `f` finds a part;
    /// otherwise gives the guard back, still locked alone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new(vec![1, 2]));
    /// let writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// let writing = OwnedRwLockWriteGuard::try_downgrade_map(writing, |v| v.get(5)).unwrap_err();
    /// assert!(lock.try_read().is_err(), "still locked alone");
    /// let second = OwnedRwLockWriteGuard::try_downgrade_map(writing, |v| v.get(1)).unwrap();
    /// assert_eq!(*second, 2);
    /// assert!(lock.try_read().is_ok());
    /// ```
    pub fn try_downgrade_map<U: ?Sized, F>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        match f(&*this).map(NonNull::from) {
            Some(value) => Ok(OwnedRwLockReadGuard::from_parts(
                value,
                this.permits.keep_one(),
            )),
            None => Err(this),
        }
    }

    /// The same lock as an [`OwnedRwLockMappedWriteGuard`], the type a `map` returns: for
    /// code that handles both alike. It cannot be downgraded any more.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new(1));
    /// let writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// let mut writing: OwnedRwLockMappedWriteGuard<i32> =
    ///     OwnedRwLockWriteGuard::into_mapped(writing);
    /// *writing = 2;
    /// drop(writing);
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// ```
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        let value = this.permits.lock().value_ptr();
        OwnedRwLockMappedWriteGuard::from_parts(value, this.permits)
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
        unsafe { &*self.permits.lock().value.as_ptr() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; the reference borrows the guard uniquely, so no other
        // reference made through this guard exists either.
        unsafe { &mut *self.permits.lock().value.as_ptr() }
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

/// The exclusive lock of an [`RwLock`] shared by `Rc`, narrowed by
/// [`OwnedRwLockWriteGuard::map`] to a part `U` of the value `T`: held until dropped,
/// derefs to that part, and keeps the lock alive. Unlike an [`OwnedRwLockWriteGuard`], it
/// cannot downgrade.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
///
/// let lock = Rc::new(RwLock::new([0u8; 4]));
/// let writing = Rc::clone(&lock).try_write_owned().unwrap();
/// let mut tail: OwnedRwLockMappedWriteGuard<[u8; 4], [u8]> =
///     OwnedRwLockWriteGuard::map(writing, |bytes| &mut bytes[2..]);
/// drop(lock); // the guard keeps it alive
/// tail.fill(9);
/// assert_eq!(*tail, [9, 9]);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    /// The part of the value, reached only while the permits keep every other guard out.
    value: NonNull<U>,
    /// Every permit of the lock, held on the lock itself, which it keeps alive.
    permits: HeldPermits<Rc<RwLock<T>>>,
    /// It lends `&mut U` out: invariant in `U`, as `&mut U` is.
    _value: PhantomData<*mut U>,
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// The guard of `value`, a part of the value of the lock every permit of which
    /// `permits` holds.
    fn from_parts(
        value: NonNull<U>,
        permits: HeldPermits<Rc<RwLock<T>>>,
    ) -> OwnedRwLockMappedWriteGuard<T, U> {
        OwnedRwLockMappedWriteGuard {
            value,
            permits,
            _value: PhantomData,
        }
    }

    /// The lock this guard holds. An associated function, as
    /// [`OwnedRwLockWriteGuard::rwlock`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new((1, 2)));
    /// let writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// let first = OwnedRwLockWriteGuard::map(writing, |pair| &mut pair.0);
    /// assert!(Rc::ptr_eq(OwnedRwLockMappedWriteGuard::rwlock(&first), &lock));
    /// ```
    pub fn rwlock(this: &Self) -> &Rc<RwLock<T>> {
        this.permits.lock()
    }

    /// Narrows the guard further, keeping the lock held until the returned guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new(((1, 2), 3)));
    /// let writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// let pair = OwnedRwLockWriteGuard::map(writing, |outer| &mut outer.0);
    /// let mut second = OwnedRwLockMappedWriteGuard::map(pair, |pair| &mut pair.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(*lock.try_read().unwrap(), ((1, 5), 3));
    /// ```
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let value = NonNull::from(f(&mut *this));
        OwnedRwLockMappedWriteGuard::from_parts(value, this.permits)
    }

    /// Narrows the guard further if `f` finds a part; otherwise gives it back, still
    /// locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Rc::new(RwLock::new((vec![1], 0)));
    /// let writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// let list = OwnedRwLockWriteGuard::map(writing, |pair| &mut pair.0);
    /// let list = OwnedRwLockMappedWriteGuard::try_map(list, |v| v.get_mut(3)).unwrap_err();
    /// assert_eq!(*list, [1]);
    /// ```
    pub fn try_map<V: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        match f(&mut *this).map(NonNull::from) {
            Some(value) => Ok(OwnedRwLockMappedWriteGuard::from_parts(value, this.permits)),
            None => Err(this),
        }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `value` points into the value of the lock that `permits` keeps alive, and
        // the guard holds every permit of it: as in `OwnedRwLockWriteGuard::deref`, no
        // other reference to the value exists until the guard drops.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`; `&mut self` lends it unique.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
