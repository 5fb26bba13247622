//! `Mutex`: one task at a time, held across `.await`.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use super::{MutexGuard, OwnedMutexGuard, TryLockError};
use crate::sync::held_permits::GiveBack;
use crate::sync::{Semaphore, SemaphorePermit};

/// A lock for the tasks of one Core that may be held across `.await`: a task that finds it
/// held waits (first come, first served) instead of panicking as a `RefCell` would.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use std::time::Duration;
/// use mirage::sync::Mutex;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let log = Rc::new(Mutex::new(Vec::new()));
///     let tasks: Vec<_> = (0..3)
///         .map(|n| {
///             let log = Rc::clone(&log);
///             mirage::spawn(async move {
///                 let mut log = log.lock().await;
///                 log.push(format!("{n} starts"));
///                 // Held across an .await: the others wait their turn.
///                 mirage::time::sleep(Duration::from_millis(1)).await;
///                 log.push(format!("{n} ends"));
///             })
///         })
///         .collect();
///     for task in tasks {
///         task.await.unwrap();
///     }
///     let log = log.lock().await;
///     assert_eq!(log[..2], ["0 starts", "0 ends"]); // never interleaved
///     assert_eq!(log.len(), 6);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    /// One permit. Whoever holds it (a guard, or `Debug` while it formats) alone reaches
    /// `value`: the owned guard relies on this to reach it without a `RefCell` borrow.
    pub(super) semaphore: Semaphore,
    /// Reached only with the permit held, or through `&mut self` or `self`.
    pub(super) value: RefCell<T>,
}

impl<T> Mutex<T> {
    /// A lock around `value`, unlocked. A `const fn`, so it can initialize a
    /// `thread_local!` (tokio's `Mutex::const_new`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::Mutex;
    ///
    /// let mutex = Mutex::new(5);
    /// assert_eq!(mutex.into_inner(), 5);
    ///
    /// thread_local! {
    ///     static LOG: Mutex<Vec<&'static str>> = const { Mutex::new(Vec::new()) };
    /// }
    /// LOG.with(|log| log.try_lock().unwrap().push("started"));
    /// LOG.with(|log| assert_eq!(*log.try_lock().unwrap(), ["started"]));
    /// ```
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: Semaphore::const_new(1),
            value: RefCell::new(value),
        }
    }

    /// [`new`](Mutex::new) under tokio's other name for it, which ported code calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::Mutex;
    ///
    /// thread_local! {
    ///     static COUNT: Mutex<u32> = const { Mutex::const_new(0) };
    /// }
    /// COUNT.with(|count| *count.try_lock().unwrap() += 1);
    /// COUNT.with(|count| assert_eq!(*count.try_lock().unwrap(), 1));
    /// ```
    pub const fn const_new(value: T) -> Mutex<T> {
        Mutex::new(value)
    }

    /// The value, taking the lock apart.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = mirage::sync::Mutex::new(String::from("kept"));
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
    ///     let mutex = mirage::sync::Mutex::new(1);
    ///     *mutex.lock().await += 1;
    ///     assert_eq!(*mutex.lock().await, 2);
    /// });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        let permit = self
            .semaphore
            .acquire()
            .await
            .expect("a lock's semaphore is never closed");
        self.guard(permit)
    }

    /// Locks it if it is free and no task waits for it, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = mirage::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert!(mutex.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        let permit = self.semaphore.try_acquire().map_err(|_| TryLockError(()))?;
        Ok(self.guard(permit))
    }

    /// [`lock`](Mutex::lock) for a mutex shared by `Rc`: the guard keeps the mutex alive
    /// instead of borrowing it, so it can move into a spawned task or be stored.
    /// Cancel-safe, as `lock` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::Mutex;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mutex = Rc::new(Mutex::new(0));
    ///     let mut guard = Rc::clone(&mutex).lock_owned().await;
    ///     let task = mirage::spawn(async move {
    ///         *guard += 1; // the guard moved into the task, still locked
    ///     });
    ///     task.await.unwrap();
    ///     assert_eq!(*mutex.lock().await, 1);
    /// });
    /// ```
    pub async fn lock_owned(self: Rc<Self>) -> OwnedMutexGuard<T> {
        self.semaphore
            .acquire()
            .await
            .expect("a lock's semaphore is never closed")
            .forget();
        // SAFETY: the one permit was just taken and forgotten; the guard gives it back.
        unsafe { OwnedMutexGuard::new(self) }
    }

    /// [`try_lock`](Mutex::try_lock) for a mutex shared by `Rc`: the guard keeps the
    /// mutex alive instead of borrowing it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::Mutex;
    ///
    /// let mutex = Rc::new(Mutex::new(1));
    /// let guard = Rc::clone(&mutex).try_lock_owned().unwrap();
    /// assert!(Rc::clone(&mutex).try_lock_owned().is_err());
    /// drop(guard);
    /// assert_eq!(*mutex.try_lock_owned().unwrap(), 1);
    /// ```
    pub fn try_lock_owned(self: Rc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        self.semaphore
            .try_acquire()
            .map_err(|_| TryLockError(()))?
            .forget();
        // SAFETY: the one permit was just taken and forgotten; the guard gives it back.
        Ok(unsafe { OwnedMutexGuard::new(self) })
    }

    /// The value, through a unique borrow of the lock: no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut mutex = mirage::sync::Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    fn guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> MutexGuard<'a, T> {
        // The one permit is held: no other guard, hence no other borrow, exists.
        MutexGuard::new(self, self.value.borrow_mut(), permit)
    }
}

/// An owned or mapped guard gives back the one permit it held.
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
/// let mutex: mirage::sync::Mutex<Vec<u8>> = vec![1].into();
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
        match self.semaphore.try_acquire() {
            // The permit keeps every guard out while the value is formatted.
            Ok(_permit) => d.field("data", &&*self.value.borrow()),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}
