//! `OwnedMutexGuard`: the lock of a `Mutex` shared by `Rc`, which it keeps alive; and
//! `OwnedMappedMutexGuard`, the same narrowed to a part of the value.
//!
//! A guard that owns its `Rc<Mutex<T>>` cannot also hold a `RefMut` borrowed from it (it
//! would borrow from itself), so it reaches the value through `RefCell::as_ptr`. That is
//! sound because of the permit, not the `RefCell`: see `Deref` below.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::rc::Rc;

use super::Mutex;
use crate::sync::held_permits::HeldPermits;

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
    /// The mutex's one permit, taken out of its semaphore and given back on drop; held on
    /// the mutex itself, which it keeps alive.
    permit: HeldPermits<Rc<Mutex<T>>>,
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The guard that holds the one permit of `mutex`.
    ///
    /// # Safety
    ///
    /// The caller took that permit and forgot it, so the semaphore counts it as held; the
    /// guard gives it back when it drops.
    pub(super) unsafe fn new(mutex: Rc<Mutex<T>>) -> OwnedMutexGuard<T> {
        OwnedMutexGuard {
            // SAFETY: the caller took the one permit and forgot it.
            permit: unsafe { HeldPermits::new(mutex, 1) },
        }
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
        this.permit.lock()
    }

    /// Narrows the guard to a part of the value, keeping the lock held, and the mutex
    /// alive, until the returned guard drops. An associated function, as
    /// [`MutexGuard::map`](super::MutexGuard::map).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Rc::new(Mutex::new((String::from("name"), 1)));
    /// let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    /// let mut count: OwnedMappedMutexGuard<(String, i32), i32> =
    ///     OwnedMutexGuard::map(guard, |pair| &mut pair.1);
    /// *count += 1;
    /// assert!(mutex.try_lock().is_err(), "still locked");
    /// drop(count);
    /// assert_eq!(mutex.try_lock().unwrap().1, 2);
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        // If `f` panics, `this` drops and unlocks as usual.
        let value = NonNull::from(f(&mut *this));
        OwnedMappedMutexGuard::new(this.permit, value)
    }

    /// Narrows the guard to a part of the value if `f` finds one; otherwise gives the
    /// guard back, still locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{Mutex, OwnedMutexGuard};
    ///
    /// let mutex = Rc::new(Mutex::new(vec![1, 2]));
    /// let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    /// let guard = OwnedMutexGuard::try_map(guard, |v| v.get_mut(5)).unwrap_err();
    /// let mut second = OwnedMutexGuard::try_map(guard, |v| v.get_mut(1)).unwrap();
    /// *second = 20;
    /// drop(second);
    /// assert_eq!(*mutex.try_lock().unwrap(), [1, 20]);
    /// ```
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        match f(&mut *this).map(NonNull::from) {
            Some(value) => Ok(OwnedMappedMutexGuard::new(this.permit, value)),
            None => Err(this),
        }
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
        unsafe { &*self.permit.lock().value.as_ptr() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; the reference borrows the guard uniquely, so no other
        // reference made through this guard exists either.
        unsafe { &mut *self.permit.lock().value.as_ptr() }
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

/// The lock of a [`Mutex`] shared by `Rc`, narrowed by [`OwnedMutexGuard::map`] to a part
/// `U` of the value `T`: held until dropped, derefs to that part, and keeps the mutex
/// alive. tokio's `OwnedMappedMutexGuard`.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
///
/// let mutex = Rc::new(Mutex::new([0u8; 4]));
/// let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
/// let mut tail: OwnedMappedMutexGuard<[u8; 4], [u8]> =
///     OwnedMutexGuard::map(guard, |bytes| &mut bytes[2..]);
/// drop(mutex); // the guard keeps it alive
/// tail.fill(9);
/// assert_eq!(*tail, [9, 9]);
/// ```
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    /// The part of the value, reached only while the permit is held.
    value: NonNull<U>,
    /// The mutex's one permit, held on the mutex itself, which it keeps alive.
    permit: HeldPermits<Rc<Mutex<T>>>,
    /// It lends `&mut U` out: invariant in `U`, as `&mut U` is.
    _value: PhantomData<*mut U>,
}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// The guard of `value`, a part of the value of the mutex whose one permit `permit`
    /// holds.
    fn new(permit: HeldPermits<Rc<Mutex<T>>>, value: NonNull<U>) -> OwnedMappedMutexGuard<T, U> {
        OwnedMappedMutexGuard {
            value,
            permit,
            _value: PhantomData,
        }
    }

    /// The mutex this guard locks. An associated function, as [`OwnedMutexGuard::mutex`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Rc::new(Mutex::new((1, 2)));
    /// let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    /// let first = OwnedMutexGuard::map(guard, |pair| &mut pair.0);
    /// assert!(Rc::ptr_eq(OwnedMappedMutexGuard::mutex(&first), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &Rc<Mutex<T>> {
        this.permit.lock()
    }

    /// Narrows the guard further, keeping the lock held until the returned guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Rc::new(Mutex::new(((1, 2), 3)));
    /// let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    /// let pair = OwnedMutexGuard::map(guard, |outer| &mut outer.0);
    /// let mut second = OwnedMappedMutexGuard::map(pair, |pair| &mut pair.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(*mutex.try_lock().unwrap(), ((1, 5), 3));
    /// ```
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let value = NonNull::from(f(&mut *this));
        OwnedMappedMutexGuard::new(this.permit, value)
    }

    /// Narrows the guard further if `f` finds a part; otherwise gives it back, still
    /// locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Rc::new(Mutex::new((vec![1], 2)));
    /// let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    /// let list = OwnedMutexGuard::map(guard, |pair| &mut pair.0);
    /// let list = OwnedMappedMutexGuard::try_map(list, |v| v.get_mut(3)).unwrap_err();
    /// assert_eq!(*list, [1]);
    /// ```
    pub fn try_map<V: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        match f(&mut *this).map(NonNull::from) {
            Some(value) => Ok(OwnedMappedMutexGuard::new(this.permit, value)),
            None => Err(this),
        }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `value` points into the value of the mutex that `permit` keeps alive, and
        // the guard holds its one permit: as in `OwnedMutexGuard::deref`, no other
        // reference to the value exists until the guard drops.
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`; `&mut self` lends it unique.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Display> fmt::Display for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
