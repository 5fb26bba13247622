//! The value's lock, and the check that turns a deadlock of a thread with itself into a
//! panic.
//!
//! A thread that holds a read guard (a `Ref`) and asks for the write lock (a send) waits
//! for itself forever; so does one that holds the write lock (inside `send_modify`) and
//! asks for a read, and one that holds a read while another thread waits to write and
//! asks for a second read (the lock lets no new reader in ahead of a waiting writer).
//! Every guard records its channel in a thread-local list while it lives; a lock that is
//! not granted at once looks there before it blocks, and panics if this thread holds the
//! lock already. A lock granted at once, the common case, looks nowhere.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

/// Numbers the channels: unlike an address, a number is never reused by a later channel.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The channels whose value this thread holds a guard of, once per guard.
    static HELD: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// A channel's value, behind an `RwLock`.
///
/// Poisoning is ignored: only a panic in the closure of `send_modify` or `send_if_modified`
/// poisons the lock, and it leaves a value the closure could have left anyway.
pub(super) struct ValueLock<T> {
    id: u64,
    value: RwLock<T>,
}

impl<T> ValueLock<T> {
    pub(super) fn new(value: T) -> ValueLock<T> {
        ValueLock {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            value: RwLock::new(value),
        }
    }

    /// Locks the value to read it, waiting for a send on another thread to finish.
    ///
    /// # Panics
    ///
    /// If this thread holds the lock already and the read would wait for itself.
    pub(super) fn read(&self) -> ReadGuard<'_, T> {
        let guard = match self.value.try_read() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                if held_here(self.id) {
                    panic!(
                        "a cross_thread::watch channel's value borrowed on a thread that sends \
                         on it (in send_modify's closure) or holds a `Ref` to it that a send \
                         waits for: this would deadlock"
                    );
                }
                self.value.read().unwrap_or_else(PoisonError::into_inner)
            }
        };
        ReadGuard {
            guard,
            _held: Held::new(self.id),
        }
    }

    /// Locks the value to replace or modify it, waiting for every `Ref` on other threads to
    /// be dropped.
    ///
    /// # Panics
    ///
    /// If this thread holds the lock already (a `Ref`, or a send in progress).
    pub(super) fn write(&self) -> WriteGuard<'_, T> {
        let guard = match self.value.try_write() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                if held_here(self.id) {
                    panic!(
                        "a cross_thread::watch channel's value sent while this thread holds a \
                         `Ref` to it (or from send_modify's closure): this would deadlock; \
                         drop every `Ref` before sending (never hold one across an .await)"
                    );
                }
                self.value.write().unwrap_or_else(PoisonError::into_inner)
            }
        };
        WriteGuard {
            guard,
            _held: Held::new(self.id),
        }
    }
}

/// Whether this thread holds a guard of channel `id`.
fn held_here(id: u64) -> bool {
    // During the thread's teardown, the list is gone and nothing can be told.
    HELD.try_with(|held| held.borrow().contains(&id))
        .unwrap_or(false)
}

/// This thread's record of one guard of channel `id`, while it lives.
struct Held(u64);

impl Held {
    fn new(id: u64) -> Held {
        let _ = HELD.try_with(|held| held.borrow_mut().push(id));
        Held(id)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = HELD.try_with(|held| {
            let mut held = held.borrow_mut();
            if let Some(at) = held.iter().rposition(|&id| id == self.0) {
                held.swap_remove(at);
            }
        });
    }
}

/// A read lock of the value, recorded as held by this thread.
pub(super) struct ReadGuard<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    _held: Held,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

/// The write lock of the value, recorded as held by this thread.
pub(super) struct WriteGuard<'a, T> {
    guard: RwLockWriteGuard<'a, T>,
    _held: Held,
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}
