//! `Mutex` across threads: one task at a time, on any Core, held across `.await`.

mod guard;
#[cfg(test)]
mod tests;

use std::cell::UnsafeCell;
use std::fmt;
use std::sync::Arc;

use super::Semaphore;
use crate::sync::TryLockError;
use crate::sync::held_permits::GiveBack;

pub use guard::{MappedMutexGuard, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard};

/// A lock, like [`sync::Mutex`](crate::sync::Mutex), that threads share (`Send + Sync`
/// for a `T: Send`, behind an `Arc` or in a `static`): a task on any Core that finds it held
/// waits, first come first served, and may hold it across `.await`; a plain thread takes it
/// with [`blocking_lock`](Mutex::blocking_lock). tokio's `sync::Mutex`.
///
/// It is a [`cross_thread::Semaphore`](Semaphore) with one permit: the guard holds the
/// permit, and whoever holds it alone reaches the value. For state that no task holds
/// across an `.await`, `std::sync::Mutex` costs less; between the tasks of one Core, the
/// local `Mutex` does.
///
/// # Examples
///
/// Four Cores add to one counter:
///
/// ```
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::Mutex;
///
/// let total = Arc::new(Mutex::new(0u64));
/// let cores: Vec<_> = (0..4)
///     .map(|_| {
///         let total = Arc::clone(&total);
///         std::thread::spawn(move || {
///             mirage::Core::new().unwrap().run(async move {
///                 for _ in 0..100 {
///                     let mut total = total.lock().await;
///                     let seen = *total;
///                     mirage::yield_now().await; // held across an .await
///                     *total = seen + 1;
///                 }
///             })
///         })
///     })
///     .collect();
/// cores.into_iter().for_each(|core| core.join().unwrap());
/// assert_eq!(*total.blocking_lock(), 400);
/// ```
pub struct Mutex<T: ?Sized> {
    /// One permit. Whoever holds it (a guard, or `Debug` while it formats) alone reaches
    /// `value`.
    semaphore: Semaphore,
    /// Reached only with the permit held, or through `&mut self` or `self`.
    value: UnsafeCell<T>,
}

// SAFETY: the value moves with the mutex, so sending the mutex sends a `T`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: through a shared `Mutex`, a thread reaches the value only while it holds the one
// permit, so one thread at a time has it: the value is sent from thread to thread, never
// shared, which `T: Send` allows (as for `std::sync::Mutex`).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// A lock around `value`, unlocked. A `const fn`, so it can initialize a `static`
    /// (tokio's `Mutex::const_new`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::Mutex;
    ///
    /// static LOG: Mutex<Vec<&str>> = Mutex::new(Vec::new());
    ///
    /// std::thread::spawn(|| LOG.blocking_lock().push("from a thread"))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(*LOG.try_lock().unwrap(), ["from a thread"]);
    /// ```
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: Semaphore::const_new(1),
            value: UnsafeCell::new(value),
        }
    }

    /// [`new`](Mutex::new) under tokio's other name for it, which ported code calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::Mutex;
    ///
    /// static COUNT: Mutex<u32> = Mutex::const_new(0);
    /// *COUNT.try_lock().unwrap() += 1;
    /// assert_eq!(*COUNT.try_lock().unwrap(), 1);
    /// ```
    pub const fn const_new(value: T) -> Mutex<T> {
        Mutex::new(value)
    }

    /// The value, taking the lock apart.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = mirage::sync::cross_thread::Mutex::new(String::from("kept"));
    /// assert_eq!(mutex.into_inner(), "kept");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until the lock is free and this task's turn has come, then locks it.
    /// Cancel-safe: a dropped `lock` gives up its place in line, and nothing else.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mutex = mirage::sync::cross_thread::Mutex::new(1);
    ///     *mutex.lock().await += 1;
    ///     assert_eq!(*mutex.lock().await, 2);
    /// });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.semaphore
            .acquire()
            .await
            .expect("a lock's semaphore is never closed")
            .forget();
        // SAFETY: the one permit was just taken and forgotten; the guard gives it back.
        unsafe { MutexGuard::new(self) }
    }

    /// [`lock`](Mutex::lock) for a thread with no Core: parks the thread until the lock is
    /// its.
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block: use `lock().await` there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::Mutex;
    ///
    /// let mutex = Arc::new(Mutex::new(0));
    /// let worker = {
    ///     let mutex = Arc::clone(&mutex);
    ///     std::thread::spawn(move || *mutex.blocking_lock() += 1)
    /// };
    /// worker.join().unwrap();
    /// assert_eq!(*mutex.blocking_lock(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        super::block_on("Mutex::blocking_lock", self.lock())
    }

    /// [`lock_owned`](Mutex::lock_owned) for a thread with no Core: parks the thread until
    /// the lock is its.
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block: use `lock_owned().await`
    /// there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::Mutex;
    ///
    /// let mutex = Arc::new(Mutex::new(0));
    /// let mut guard = Arc::clone(&mutex).blocking_lock_owned();
    /// let worker = std::thread::spawn(move || *guard += 1);
    /// worker.join().unwrap();
    /// assert_eq!(*mutex.blocking_lock(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        super::block_on("Mutex::blocking_lock_owned", self.lock_owned())
    }

    /// Locks it if it is free and no task waits for it, without waiting. Works on any
    /// thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = mirage::sync::cross_thread::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert!(mutex.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.take_now()?;
        // SAFETY: the one permit was just taken and forgotten; the guard gives it back.
        Ok(unsafe { MutexGuard::new(self) })
    }

    /// [`lock`](Mutex::lock) for a mutex shared by `Arc`: the guard keeps the mutex alive
    /// instead of borrowing it, so it can be stored or move to another task or thread.
    /// Cancel-safe, as `lock` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::Mutex;
    ///
    /// let mutex = Arc::new(Mutex::new(0));
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut guard = core.run(Arc::clone(&mutex).lock_owned());
    /// std::thread::spawn(move || *guard += 1).join().unwrap();
    /// assert_eq!(*mutex.try_lock().unwrap(), 1);
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.semaphore
            .acquire()
            .await
            .expect("a lock's semaphore is never closed")
            .forget();
        // SAFETY: the one permit was just taken and forgotten; the guard gives it back.
        unsafe { OwnedMutexGuard::new(self) }
    }

    /// [`try_lock`](Mutex::try_lock) for a mutex shared by `Arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::Mutex;
    ///
    /// let mutex = Arc::new(Mutex::new(1));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    /// assert!(Arc::clone(&mutex).try_lock_owned().is_err());
    /// drop(guard);
    /// assert_eq!(*mutex.try_lock_owned().unwrap(), 1);
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        self.take_now()?;
        // SAFETY: the one permit was just taken and forgotten; the guard gives it back.
        Ok(unsafe { OwnedMutexGuard::new(self) })
    }

    /// The value, through a unique borrow of the lock: no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut mutex = mirage::sync::cross_thread::Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Takes the one permit and forgets it, if it is free and no one waits.
    fn take_now(&self) -> Result<(), TryLockError> {
        let permit = self.semaphore.try_acquire().map_err(|_| TryLockError(()))?;
        permit.forget();
        Ok(())
    }
}

/// A guard gives back the one permit it held.
impl<T: ?Sized> GiveBack for Mutex<T> {
    fn give_back(&self, permits: u32) {
        self.semaphore.add_permits(permits as usize);
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

/// A lock around `value`, unlocked: [`Mutex::new`].
///
/// # Examples
///
/// ```
/// let mutex: mirage::sync::cross_thread::Mutex<Vec<u8>> = vec![1].into();
/// assert_eq!(*mutex.try_lock().unwrap(), [1]);
/// ```
impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            // The guard keeps every other one out while the value is formatted.
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}
