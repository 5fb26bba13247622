//! `RwLock` across threads: many readers or one writer, on any Core, held across `.await`.

mod owned_read_guard;
mod owned_write_guard;
mod read_guard;
#[cfg(test)]
mod tests;
mod write_guard;

use std::cell::UnsafeCell;
use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use super::Semaphore;
use crate::sync::TryLockError;
use crate::sync::held_permits::GiveBack;

pub use owned_read_guard::OwnedRwLockReadGuard;
pub use owned_write_guard::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard};
pub use read_guard::RwLockReadGuard;
pub use write_guard::{RwLockMappedWriteGuard, RwLockWriteGuard};

/// The most readers at once, unless [`RwLock::with_max_readers`] sets fewer; a writer
/// takes all of them. tokio's figure.
const MAX_READERS: u32 = u32::MAX >> 3;

/// A lock, like [`sync::RwLock`](crate::sync::RwLock), that threads share (`Send + Sync`
/// for a `T: Send + Sync`, behind an `Arc` or in a `static`): many readers or one writer
/// at a time, on any Cores, served first come first served, so a writer is not starved by
/// a stream of readers; either may hold it across `.await`. A plain thread takes it with
/// [`blocking_read`](RwLock::blocking_read) or [`blocking_write`](RwLock::blocking_write).
/// tokio's `sync::RwLock`.
///
/// It is a [`cross_thread::Semaphore`](Semaphore) with one permit per reader; a writer
/// takes them all.
///
/// Its guards narrow to a part of the value with `map` ([`RwLockReadGuard::map`],
/// [`RwLockWriteGuard::map`], [`RwLockWriteGuard::downgrade_map`], and the owned guards'),
/// keeping the lock held until the narrowed guard drops; they are `Send` and `Sync` for
/// the same types as tokio's.
///
/// # Examples
///
/// A configuration that Cores read and a plain thread replaces:
///
/// ```
/// use std::sync::Arc;
/// use mirage::sync::cross_thread::RwLock;
///
/// let config = Arc::new(RwLock::new(String::from("v1")));
/// {
///     let config = Arc::clone(&config);
///     std::thread::spawn(move || *config.blocking_write() = String::from("v2"))
///         .join()
///         .unwrap();
/// }
/// let readers: Vec<_> = (0..2)
///     .map(|_| {
///         let config = Arc::clone(&config);
///         std::thread::spawn(move || {
///             mirage::Core::new()
///                 .unwrap()
///                 .run(async move { config.read().await.clone() })
///         })
///     })
///     .collect();
/// for reader in readers {
///     assert_eq!(reader.join().unwrap(), "v2");
/// }
/// ```
pub struct RwLock<T: ?Sized> {
    /// One permit per reader; a writer holds them all. Whoever holds permits (a guard, or
    /// `Debug` while it formats) alone reaches `value`, shared while each holds one.
    semaphore: Semaphore,
    /// The semaphore's permits: how many readers may hold the lock at once. Never 0, or a
    /// writer would hold no permit and keep nobody out.
    max_readers: u32,
    /// Reached only with permits held, or through `&mut self` or `self`. Last: it may be
    /// unsized.
    value: UnsafeCell<T>,
}

// SAFETY: the value moves with the lock, so sending the lock sends a `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: through a shared `RwLock`, threads reach the value only with permits held: one
// writer alone (which sends the value between threads: `T: Send`), or readers together
// (which share it: `T: Sync`), as for `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// A lock around `value`, unlocked. A `const fn`, so it can initialize a `static`
    /// (tokio's `RwLock::const_new`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::RwLock;
    ///
    /// static LIMIT: RwLock<u32> = RwLock::new(10);
    ///
    /// std::thread::spawn(|| *LIMIT.blocking_write() = 20).join().unwrap();
    /// assert_eq!(*LIMIT.try_read().unwrap(), 20);
    /// ```
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            semaphore: Semaphore::const_new(MAX_READERS as usize),
            max_readers: MAX_READERS,
            value: UnsafeCell::new(value),
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
    /// use mirage::sync::cross_thread::RwLock;
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
    /// use mirage::sync::cross_thread::RwLock;
    ///
    /// static LIMIT: RwLock<u32> = RwLock::const_new(10);
    /// assert_eq!(*LIMIT.try_read().unwrap(), 10);
    /// ```
    pub const fn const_new(value: T) -> RwLock<T> {
        RwLock::new(value)
    }

    /// [`with_max_readers`](RwLock::with_max_readers) for a `const` context, such as a
    /// `static` (a `const fn` may not format the count into its panic message, so
    /// `with_max_readers` is not one).
    ///
    /// # Panics
    ///
    /// If `max_reads` is 0, or more than `u32::MAX >> 3`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::RwLock;
    ///
    /// static PAIR: RwLock<u32> = RwLock::const_with_max_readers(0, 2);
    /// let (first, second) = (PAIR.try_read().unwrap(), PAIR.try_read().unwrap());
    /// assert!(PAIR.try_read().is_err(), "two readers at most");
    /// drop((first, second));
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
            value: UnsafeCell::new(value),
        }
    }

    /// The value, taking the lock apart.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::cross_thread::RwLock::new("kept");
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
    ///     let lock = mirage::sync::cross_thread::RwLock::new(1);
    ///     let (a, b) = (lock.read().await, lock.read().await);
    ///     assert_eq!(*a + *b, 2);
    /// });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.take(1).await;
        // SAFETY: one permit was just taken and forgotten; the guard gives it back.
        unsafe { RwLockReadGuard::new(self) }
    }

    /// Waits for this task's turn and no other holder, then takes the lock alone.
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let lock = mirage::sync::cross_thread::RwLock::new(1);
    ///     *lock.write().await += 1;
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.take(self.max_readers).await;
        // SAFETY: every permit was just taken and forgotten; the guard gives them back.
        unsafe { RwLockWriteGuard::new(self) }
    }

    /// [`read`](RwLock::read) for a thread with no Core: parks the thread until it may
    /// read.
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block: use `read().await` there.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::cross_thread::RwLock::new(3);
    /// assert_eq!(*lock.blocking_read(), 3);
    /// ```
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        super::block_on("RwLock::blocking_read", self.read())
    }

    /// [`write`](RwLock::write) for a thread with no Core: parks the thread until it may
    /// write.
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block: use `write().await` there.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::cross_thread::RwLock::new(3);
    /// *lock.blocking_write() += 1;
    /// assert_eq!(lock.into_inner(), 4);
    /// ```
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        super::block_on("RwLock::blocking_write", self.write())
    }

    /// Takes a shared lock if no writer holds it and none waits, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::cross_thread::RwLock::new(1);
    /// let reading = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// assert_eq!(*reading, 1);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.take_now(1)?;
        // SAFETY: one permit was just taken and forgotten; the guard gives it back.
        Ok(unsafe { RwLockReadGuard::new(self) })
    }

    /// Takes the lock alone if nobody holds it or waits for it, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = mirage::sync::cross_thread::RwLock::new(1);
    /// let mut writing = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// *writing = 2;
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.take_now(self.max_readers)?;
        // SAFETY: every permit was just taken and forgotten; the guard gives them back.
        Ok(unsafe { RwLockWriteGuard::new(self) })
    }

    /// [`read`](RwLock::read) for a lock shared by `Arc`: the guard keeps the lock alive
    /// instead of borrowing it, so it can be stored or move to another task or thread.
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut core = mirage::Core::new().unwrap();
    /// let reading = core.run(Arc::clone(&lock).read_owned());
    /// assert_eq!(std::thread::spawn(move || *reading).join().unwrap(), 1);
    /// ```
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.take(1).await;
        // SAFETY: one permit was just taken and forgotten; the guard gives it back.
        unsafe { OwnedRwLockReadGuard::new(self) }
    }

    /// [`write`](RwLock::write) for a lock shared by `Arc`: the guard keeps the lock alive
    /// instead of borrowing it. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut writing = core.run(Arc::clone(&lock).write_owned());
    /// std::thread::spawn(move || *writing = 2).join().unwrap();
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// ```
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.take(self.max_readers).await;
        // SAFETY: every permit was just taken and forgotten; the guard gives them back.
        unsafe { OwnedRwLockWriteGuard::new(self) }
    }

    /// [`try_read`](RwLock::try_read) for a lock shared by `Arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let reading = Arc::clone(&lock).try_read_owned().unwrap();
    /// assert!(Arc::clone(&lock).try_write_owned().is_err());
    /// assert_eq!(*reading, 1);
    /// ```
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.take_now(1)?;
        // SAFETY: one permit was just taken and forgotten; the guard gives it back.
        Ok(unsafe { OwnedRwLockReadGuard::new(self) })
    }

    /// [`try_write`](RwLock::try_write) for a lock shared by `Arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::RwLock;
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut writing = Arc::clone(&lock).try_write_owned().unwrap();
    /// assert!(Arc::clone(&lock).try_read_owned().is_err());
    /// *writing = 2;
    /// ```
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.take_now(self.max_readers)?;
        // SAFETY: every permit was just taken and forgotten; the guard gives them back.
        Ok(unsafe { OwnedRwLockWriteGuard::new(self) })
    }

    /// The value, through a unique borrow of the lock: no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = mirage::sync::cross_thread::RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// Waits for `n` permits and forgets them: the guard made next gives them back.
    async fn take(&self, n: u32) {
        self.semaphore
            .acquire_many(n)
            .await
            .expect("a lock's semaphore is never closed")
            .forget();
    }

    /// Takes `n` permits and forgets them, if they are free and no one waits.
    fn take_now(&self, n: u32) -> Result<(), TryLockError> {
        let permit = self
            .semaphore
            .try_acquire_many(n)
            .map_err(|_| TryLockError(()))?;
        permit.forget();
        Ok(())
    }

    /// Where the value is, for a guard to reach it through while it holds permits.
    fn value_ptr(&self) -> NonNull<T> {
        NonNull::new(self.value.get()).expect("an UnsafeCell's contents are never at address 0")
    }
}

/// A guard gives back its permits: one for a reader, all for a writer.
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
/// let lock: mirage::sync::cross_thread::RwLock<Vec<u8>> = vec![1].into();
/// assert_eq!(*lock.try_read().unwrap(), [1]);
/// ```
impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            // The guard keeps every writer out while the value is formatted.
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}
