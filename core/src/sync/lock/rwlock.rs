//! `RwLock`: many readers or one writer, held across `.await`.

use std::cell::RefCell;
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;

use super::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLockReadGuard, RwLockWriteGuard, TryLockError,
};
use crate::sync::held_permits::GiveBack;
use crate::sync::{Semaphore, SemaphorePermit};

/// The most readers at once, unless [`RwLock::with_max_readers`] sets fewer; a writer
/// takes them all.
const MAX_READERS: u32 = u32::MAX >> 3;

/// A reader-writer lock for the tasks of one Core that may be held across `.await`: any
/// number of readers, or one writer. Tasks are served in the order they asked, so a writer
/// waiting holds back the readers that come after it and is never starved.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use mirage::sync::RwLock;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let config = Rc::new(RwLock::new(String::from("v1")));
///     let first = config.read().await;
///     let second = config.read().await; // readers share the lock
///     assert_eq!((first.as_str(), second.as_str()), ("v1", "v1"));
///     let writer = mirage::spawn({
///         let config = Rc::clone(&config);
///         async move { *config.write().await = String::from("v2") }
///     });
///     drop((first, second));
///     writer.await.unwrap();
///     assert_eq!(*config.read().await, "v2");
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    /// One permit per reader; a writer holds them all. Whoever holds permits (a guard, or
    /// `Debug` while it formats) alone reaches `value`, shared while each holds one: the
    /// owned guards rely on this to reach it without a `RefCell` borrow.
    pub(super) semaphore: Semaphore,
    /// The semaphore's permits: how many readers may hold the lock at once. Never 0, or a
    /// writer would hold no permit and keep nobody out.
    max_readers: u32,
    /// Reached only with permits held, or through `&mut self` or `self`. Last: it may be
    /// unsized.
    pub(super) value: RefCell<T>,
}

impl<T> RwLock<T> {
    /// A lock around `value`, unlocked. A `const fn`, so it can initialize a
    /// `thread_local!` (tokio's `RwLock::const_new`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::RwLock;
    ///
    /// let lock = RwLock::new(5);
    /// assert_eq!(lock.into_inner(), 5);
    ///
    /// thread_local! {
    ///     static CONFIG: RwLock<u32> = const { RwLock::new(1) };
    /// }
    /// CONFIG.with(|config| *config.try_write().unwrap() = 2);
    /// CONFIG.with(|config| assert_eq!(*config.try_read().unwrap(), 2));
    /// ```
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            semaphore: Semaphore::const_new(MAX_READERS as usize),
            max_readers: MAX_READERS,
            value: RefCell::new(value),
        }
    }

    /// A lock around `value`, unlocked, that lets at most `max_reads` readers in at once;
    /// the next reader waits for one of them to leave.
    ///
    /// # Panics
    ///
    /// If `max_reads` is 0, or more than `u32::MAX >> 3` (the most [`new`](RwLock::new)
    /// allows), as tokio's does.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::RwLock;
    ///
    /// let lock = RwLock::with_max_readers(0, 2);
    /// let first = lock.try_read().unwrap();
    /// let second = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_err(), "two readers at most");
    /// drop((first, second));
    /// assert!(lock.try_write().is_ok());
    /// ```
    #[track_caller]
    pub fn with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        assert!(
            max_reads <= MAX_READERS,
            "a RwLock may not be created with more than {MAX_READERS} readers, not {max_reads}"
        );
        RwLock::const_with_max_readers(value, max_reads)
    }

    /// [`new`](RwLock::new) under tokio's other name for it, which ported code calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::RwLock;
    ///
    /// thread_local! {
    ///     static LIMIT: RwLock<u32> = const { RwLock::const_new(10) };
    /// }
    /// LIMIT.with(|limit| assert_eq!(*limit.try_read().unwrap(), 10));
    /// ```
    pub const fn const_new(value: T) -> RwLock<T> {
        RwLock::new(value)
    }

    /// [`with_max_readers`](RwLock::with_max_readers) for a `const` context, such as a
    /// `thread_local!` (a `const fn` may not format the count into its panic message, so
    /// `with_max_readers` is not one).
    ///
    /// # Panics
    ///
    /// If `max_reads` is 0, or more than `u32::MAX >> 3`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::RwLock;
    ///
    /// thread_local! {
    ///     static PAIR: RwLock<u32> = const { RwLock::const_with_max_readers(0, 2) };
    /// }
    /// PAIR.with(|pair| {
    ///     let (first, second) = (pair.try_read().unwrap(), pair.try_read().unwrap());
    ///     assert!(pair.try_read().is_err(), "two readers at most");
    ///     drop((first, second));
    /// });
    /// ```
    #[track_caller]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        assert!(
            max_reads <= MAX_READERS,
            "a RwLock may not be created with more than u32::MAX >> 3 readers"
        );
        assert!(
            max_reads > 0,
            "a RwLock needs room for at least one reader: max_reads may not be 0"
        );
        RwLock {
            semaphore: Semaphore::const_new(max_reads as usize),
            max_readers: max_reads,
            value: RefCell::new(value),
        }
    }

    /// The value, taking the lock apart.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::RwLock::new("kept");
    /// assert_eq!(lock.into_inner(), "kept");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for this task's turn and no writer, then takes a shared lock. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let lock = mirage::sync::RwLock::new(1);
    ///     assert_eq!(*lock.read().await, 1);
    /// });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        let permit = self
            .semaphore
            .acquire()
            .await
            .expect("a lock's semaphore is never closed");
        self.read_guard(permit)
    }

    /// Waits for this task's turn and no other holder, then takes the lock alone.
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let lock = mirage::sync::RwLock::new(1);
    ///     *lock.write().await += 1;
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        let permit = self
            .semaphore
            .acquire_many(self.max_readers)
            .await
            .expect("a lock's semaphore is never closed");
        self.write_guard(permit)
    }

    /// Takes a shared lock if no writer holds or waits for it, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::RwLock::new(1);
    /// let reading = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// drop(reading);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        let permit = self.semaphore.try_acquire().map_err(|_| TryLockError(()))?;
        Ok(self.read_guard(permit))
    }

    /// Takes the lock alone if nobody holds or waits for it, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::RwLock::new(1);
    /// let writing = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// drop(writing);
    /// assert!(lock.try_read().is_ok());
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        let permit = self
            .semaphore
            .try_acquire_many(self.max_readers)
            .map_err(|_| TryLockError(()))?;
        Ok(self.write_guard(permit))
    }

    /// [`read`](RwLock::read) for a lock shared by `Rc`: the guard keeps the lock alive
    /// instead of borrowing it, so it can move into a spawned task or be stored.
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::RwLock;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let lock = Rc::new(RwLock::new(1));
    ///     let reading = Rc::clone(&lock).read_owned().await;
    ///     let task = mirage::spawn(async move { *reading + 1 });
    ///     assert_eq!(task.await.unwrap(), 2);
    ///     assert!(lock.try_write().is_ok(), "the task dropped the guard");
    /// });
    /// ```
    pub async fn read_owned(self: Rc<Self>) -> OwnedRwLockReadGuard<T> {
        self.semaphore
            .acquire()
            .await
            .expect("a lock's semaphore is never closed")
            .forget();
        // SAFETY: one permit was just taken and forgotten; the guard gives it back.
        unsafe { OwnedRwLockReadGuard::new(self) }
    }

    /// [`write`](RwLock::write) for a lock shared by `Rc`: the guard keeps the lock alive
    /// instead of borrowing it, so it can move into a spawned task or be stored.
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::RwLock;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let lock = Rc::new(RwLock::new(1));
    ///     let mut writing = Rc::clone(&lock).write_owned().await;
    ///     mirage::spawn(async move { *writing = 2 }).await.unwrap();
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub async fn write_owned(self: Rc<Self>) -> OwnedRwLockWriteGuard<T> {
        let max_readers = self.max_readers;
        self.semaphore
            .acquire_many(max_readers)
            .await
            .expect("a lock's semaphore is never closed")
            .forget();
        // SAFETY: every permit was just taken and forgotten; the guard gives them back.
        unsafe { OwnedRwLockWriteGuard::new(self, max_readers) }
    }

    /// [`try_read`](RwLock::try_read) for a lock shared by `Rc`: the guard keeps the lock
    /// alive instead of borrowing it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::RwLock;
    ///
    /// let lock = Rc::new(RwLock::new(1));
    /// let first = Rc::clone(&lock).try_read_owned().unwrap();
    /// let second = Rc::clone(&lock).try_read_owned().unwrap();
    /// assert_eq!(*first + *second, 2);
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn try_read_owned(self: Rc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.semaphore
            .try_acquire()
            .map_err(|_| TryLockError(()))?
            .forget();
        // SAFETY: one permit was just taken and forgotten; the guard gives it back.
        Ok(unsafe { OwnedRwLockReadGuard::new(self) })
    }

    /// [`try_write`](RwLock::try_write) for a lock shared by `Rc`: the guard keeps the
    /// lock alive instead of borrowing it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::RwLock;
    ///
    /// let lock = Rc::new(RwLock::new(1));
    /// let mut writing = Rc::clone(&lock).try_write_owned().unwrap();
    /// assert!(Rc::clone(&lock).try_read_owned().is_err());
    /// *writing = 2;
    /// drop(writing);
    /// assert_eq!(*lock.try_read_owned().unwrap(), 2);
    /// ```
    pub fn try_write_owned(self: Rc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        let max_readers = self.max_readers;
        self.semaphore
            .try_acquire_many(max_readers)
            .map_err(|_| TryLockError(()))?
            .forget();
        // SAFETY: every permit was just taken and forgotten; the guard gives them back.
        Ok(unsafe { OwnedRwLockWriteGuard::new(self, max_readers) })
    }

    /// The value, through a unique borrow of the lock: no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = mirage::sync::RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Where the value is, for an owned or mapped guard to reach it through while it holds
    /// permits.
    pub(super) fn value_ptr(&self) -> NonNull<T> {
        NonNull::new(self.value.as_ptr()).expect("a RefCell's contents are never at address 0")
    }

    /// The guard of a reader that holds `permit`, one of the lock's permits.
    fn read_guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> RwLockReadGuard<'a, T> {
        // Readers hold one permit each; a writer needs all: no writer's borrow exists.
        RwLockReadGuard::new(self.value.borrow(), permit)
    }

    fn write_guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> RwLockWriteGuard<'a, T> {
        // Every permit is held: no other guard, hence no other borrow, exists.
        RwLockWriteGuard::new(self, self.value.borrow_mut(), permit)
    }
}

/// An owned or mapped guard gives back its permits: one for a reader, all for a writer.
impl<T: ?Sized> GiveBack for RwLock<T> {
    fn give_back(&self, permits: u32) {
        self.semaphore.add_permits(permits as usize);
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

/// A lock around `value`, unlocked: [`RwLock::new`].
///
/// # Examples
///
/// ```
/// let lock = mirage::sync::RwLock::from(5);
/// assert_eq!(*lock.try_read().unwrap(), 5);
/// ```
impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.semaphore.try_acquire() {
            // A reader's permit keeps writers out while the value is formatted.
            Ok(_permit) => d.field("data", &&*self.value.borrow()),
            // A writer, or as many readers as it lets in (`with_max_readers`).
            Err(_) if self.semaphore.free_or_gathered() == 0 => {
                d.field("data", &format_args!("<locked>"))
            }
            // Readers hold it, but a waiting writer keeps new readers out.
            Err(_) => d.field("data", &format_args!("<locked: a writer waits>")),
        };
        d.finish()
    }
}
