//! Locks for the tasks of one Core, held across `.await`: [`Mutex`] and [`RwLock`].
//!
//! A `RefCell` borrow held across an `.await` panics as soon as another task borrows too.
//! These locks make the other task wait instead, in the order the tasks asked (a waiting
//! writer holds back later readers, so writers are not starved). Each is a FIFO
//! [`Semaphore`](super::Semaphore) guarding a `RefCell`, so no borrow can fail. They are
//! for one Core's tasks (`!Sync`, and their guards `!Send`); across threads, pass messages
//! through [`cross_thread`](super::cross_thread).
//!
//! The `_owned` calls take an `Rc` of the lock and return a guard that keeps it alive, to
//! move into a spawned task. Such a guard cannot hold a `RefCell` borrow of the lock it
//! owns, so it reaches the value through `RefCell::as_ptr`: the one `unsafe` here, sound
//! because nothing reaches the value without permits (the guards, and `Debug`, which
//! formats it only with a permit) except through `&mut` or ownership of the lock.
//!
//! A guard narrows to a part of the value with `map` ([`MutexGuard::map`],
//! [`RwLockReadGuard::map`], [`RwLockWriteGuard::map`], [`RwLockWriteGuard::downgrade_map`],
//! and the owned guards' own, which return [`OwnedMappedMutexGuard`] and
//! [`OwnedRwLockMappedWriteGuard`]), keeping the lock held until the narrowed guard drops.

mod mutex;
mod mutex_guard;
mod owned_mutex_guard;
mod owned_rwlock_read_guard;
mod owned_rwlock_write_guard;
mod rwlock;
mod rwlock_read_guard;
mod rwlock_write_guard;
#[cfg(test)]
mod tests;

use std::error::Error;
use std::fmt;

pub use mutex::Mutex;
pub use mutex_guard::{MappedMutexGuard, MutexGuard};
pub use owned_mutex_guard::{OwnedMappedMutexGuard, OwnedMutexGuard};
pub use owned_rwlock_read_guard::OwnedRwLockReadGuard;
pub use owned_rwlock_write_guard::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard};
pub use rwlock::RwLock;
pub use rwlock_read_guard::RwLockReadGuard;
pub use rwlock_write_guard::{RwLockMappedWriteGuard, RwLockWriteGuard};

/// The lock is held (or other tasks wait for it first): returned by
/// [`Mutex::try_lock`], [`RwLock::try_read`], [`RwLock::try_write`] and
/// [`cross_thread::Mutex::try_lock`](crate::sync::cross_thread::Mutex::try_lock).
///
/// # Examples
///
/// ```
/// use mirage::sync::{Mutex, TryLockError};
///
/// let mutex = Mutex::new(0);
/// let _held = mutex.try_lock().unwrap();
/// let err: TryLockError = mutex.try_lock().unwrap_err();
/// assert_eq!(err.to_string(), "the lock is held, or other tasks wait for it first");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is held, or other tasks wait for it first")
    }
}

impl Error for TryLockError {}
