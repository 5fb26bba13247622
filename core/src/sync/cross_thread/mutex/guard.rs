//! The guards of the cross-thread `Mutex`: the value while the lock is held, or, in the
//! mapped guards, a part of it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use super::Mutex;
use crate::sync::cross_thread::Semaphore;
use crate::sync::held_permits::{GiveBack, HeldPermits};

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
        MappedMutexGuard {
            value,
            permit: this.into_permit(),
            _value: PhantomData,
        }
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
        Ok(MappedMutexGuard {
            value,
            permit: this.into_permit(),
            _value: PhantomData,
        })
    }

    /// The permit this guard holds, handed to a mapped guard, which gives it back.
    fn into_permit(self) -> HeldPermits<&'a Semaphore> {
        let semaphore = &self.mutex.semaphore;
        // Its drop would give the permit back: it passes on instead.
        std::mem::forget(self);
        // SAFETY: the guard held the one permit, forgotten when the mutex was locked.
        unsafe { HeldPermits::new(semaphore, 1) }
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
        self.mutex.give_back(1);
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
    /// The mutex's one permit, held on the mutex itself, which it keeps alive.
    permit: HeldPermits<Arc<Mutex<T>>>,
    /// As in `MutexGuard`: `Send` only if `T` is, `Sync` only if `T` is.
    _value: PhantomData<Box<T>>,
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// # Safety
    ///
    /// The caller took the mutex's one permit and forgot it: the guard gives it back.
    pub(super) unsafe fn new(mutex: Arc<Mutex<T>>) -> OwnedMutexGuard<T> {
        OwnedMutexGuard {
            // SAFETY: the caller took the one permit and forgot it.
            permit: unsafe { HeldPermits::new(mutex, 1) },
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
        guard.permit.lock()
    }

    /// Narrows the guard to a part of the value, keeping the lock held, and the mutex
    /// alive, until the returned guard drops. An associated function, as
    /// [`MutexGuard::map`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new((String::from("name"), 1)));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    /// let mut count: OwnedMappedMutexGuard<(String, i32), i32> =
    ///     OwnedMutexGuard::map(guard, |pair| &mut pair.1);
    /// std::thread::spawn(move || *count += 1).join().unwrap();
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
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{Mutex, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new(vec![1, 2]));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
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
        // SAFETY: as in `MutexGuard::deref`: the guard holds the one permit.
        unsafe { &*self.permit.lock().value.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `MutexGuard::deref_mut`.
        unsafe { &mut *self.permit.lock().value.get() }
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
    /// The part of the value, reached only while the permit is held.
    value: NonNull<T>,
    /// The one permit of the mutex's semaphore.
    permit: HeldPermits<&'a Semaphore>,
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
        MappedMutexGuard {
            value: NonNull::from(f(&mut *this)),
            permit: this.permit,
            _value: PhantomData,
        }
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
        match f(&mut *this).map(NonNull::from) {
            Some(value) => Ok(MappedMutexGuard {
                value,
                permit: this.permit,
                _value: PhantomData,
            }),
            None => Err(this),
        }
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

/// The lock of a cross-thread [`Mutex`] shared by `Arc`, narrowed by
/// [`OwnedMutexGuard::map`] to a part `U` of the value `T`: held until dropped (on
/// whatever thread), derefs to that part, and keeps the mutex alive. tokio's
/// `OwnedMappedMutexGuard`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
///
/// let mutex = Arc::new(Mutex::new([0u8; 4]));
/// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
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
    permit: HeldPermits<Arc<Mutex<T>>>,
    /// It lends `&mut U` out: invariant in `U`, as `&mut U` is.
    _value: PhantomData<*mut U>,
}

// SAFETY: sending the guard sends a unique borrow of a `U` (`U: Send`), and an `Arc` of the
// mutex, which may be the last and drop the `T` on the other thread (`T: Send`).
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: through a shared guard, threads reach only `&U` (`U: Sync`) and `&Arc<Mutex<T>>`
// (`Mutex<T>: Sync` for `T: Send`); tokio asks every bound of both, and so does this.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// The guard of `value`, a part of the value of the mutex whose one permit `permit`
    /// holds.
    fn new(permit: HeldPermits<Arc<Mutex<T>>>, value: NonNull<U>) -> OwnedMappedMutexGuard<T, U> {
        OwnedMappedMutexGuard {
            value,
            permit,
            _value: PhantomData,
        }
    }

    /// The mutex this guard holds. An associated function, as [`MutexGuard::mutex`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new((1, 2)));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    /// let first = OwnedMutexGuard::map(guard, |pair| &mut pair.0);
    /// assert!(Arc::ptr_eq(OwnedMappedMutexGuard::mutex(&first), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        this.permit.lock()
    }

    /// Narrows the guard further, keeping the lock held until the returned guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new(((1, 2), 3)));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
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
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new((vec![1], 2)));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
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
        // SAFETY: `value` points into the value of the mutex that `permit` keeps alive;
        // the guard holds its one permit, so no other guard exists and no other reference
        // to it lives; `&self` lends it shared.
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
