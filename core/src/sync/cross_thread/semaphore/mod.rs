//! `Semaphore` across threads: permits that tasks on any Core, and plain threads, share.

mod acquire;
mod permit;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::sync::semaphore::state::{self, State};
use crate::sync::state_lock::Lock;
use crate::sync::{AcquireError, TryAcquireError};

pub use acquire::Acquire;
pub use permit::{OwnedSemaphorePermit, SemaphorePermit};

/// A count of permits, like [`sync::Semaphore`](crate::sync::Semaphore), that threads share
/// (`Send + Sync`, behind an `Arc`): it bounds how many tasks do something at once across
/// every Core of a process, such as the connections a server with one Core per thread
/// serves, or the requests in flight to one backend.
///
/// The semantics are those of the local `Semaphore`, with which it shares its code: waiters
/// are served in FIFO order whatever their Core, so a task that asks for many permits is
/// not starved by later tasks that ask for one; a waiting acquire that is dropped gives up
/// its place and gives back any permits already handed to it; [`close`](Semaphore::close)
/// fails every waiting and later acquire. A permit given back on one thread wakes the
/// waiter it serves on its own Core. The state is behind a `Mutex` held for a few counter
/// and list operations, never while a waker runs. Between the tasks of one Core, the local
/// `Semaphore` costs less.
///
/// Acquiring waits only inside a Core (or any executor); [`try_acquire`](Semaphore::try_acquire)
/// and giving permits back work on any thread.
///
/// # Examples
///
/// At most two jobs at once over four Cores:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
/// use mirage::sync::cross_thread::Semaphore;
///
/// let slots = Arc::new(Semaphore::new(2));
/// let running = Arc::new(AtomicUsize::new(0));
/// let most = Arc::new(AtomicUsize::new(0));
/// let cores: Vec<_> = (0..4)
///     .map(|_| {
///         let (slots, running, most) = (slots.clone(), running.clone(), most.clone());
///         std::thread::spawn(move || {
///             mirage::Core::new().unwrap().run(async move {
///                 for _ in 0..3 {
///                     let _permit = slots.acquire().await.unwrap();
///                     let now = running.fetch_add(1, Ordering::SeqCst) + 1;
///                     most.fetch_max(now, Ordering::SeqCst);
///                     mirage::time::sleep(Duration::from_millis(1)).await;
///                     running.fetch_sub(1, Ordering::SeqCst);
///                 }
///             })
///         })
///     })
///     .collect();
/// cores.into_iter().for_each(|core| core.join().unwrap());
/// assert!(most.load(Ordering::SeqCst) <= 2);
/// assert_eq!(slots.available_permits(), 2);
/// ```
pub struct Semaphore {
    state: Mutex<State>,
}

impl Semaphore {
    /// The most permits a semaphore can hold.
    pub const MAX_PERMITS: usize = state::MAX_PERMITS;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`MAX_PERMITS`](Semaphore::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(3);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Semaphore::MAX_PERMITS,
            "a semaphore holds at most Semaphore::MAX_PERMITS permits, not {permits}"
        );
        Semaphore::const_new(permits)
    }

    /// [`new`](Semaphore::new) for a `const` context, such as a `static` that every thread
    /// shares.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`MAX_PERMITS`](Semaphore::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::Semaphore;
    ///
    /// static BACKEND: Semaphore = Semaphore::const_new(8);
    ///
    /// let permit = std::thread::spawn(|| BACKEND.try_acquire().unwrap().num_permits())
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(permit, 1);
    /// assert_eq!(BACKEND.available_permits(), 8);
    /// ```
    #[track_caller]
    pub const fn const_new(permits: usize) -> Semaphore {
        assert!(
            permits <= Semaphore::MAX_PERMITS,
            "a semaphore holds at most Semaphore::MAX_PERMITS permits"
        );
        Semaphore {
            state: Mutex::new(State::new(permits)),
        }
    }

    /// How many permits are free now: none while an acquire waits, since the free ones are
    /// gathered for the oldest waiter (tokio assigns them to it), so `try_acquire` could take
    /// exactly these.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(3);
    /// let permit = semaphore.try_acquire_many(2).unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.with(|state| state.available())
    }

    /// Adds `n` permits, waking the waiters they satisfy.
    ///
    /// # Panics
    ///
    /// If the semaphore would then hold more than [`MAX_PERMITS`](Semaphore::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        state::release(&self.state, n);
    }

    /// Removes up to `n` free permits for good; returns how many it removed. Permits gathered
    /// for a waiting acquire are not free: it keeps them (as in tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(3);
    /// assert_eq!(semaphore.forget_permits(5), 3);
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.state.with(|state| state.forget(n))
    }

    /// Waits for one permit. Fails with [`AcquireError`] once the semaphore is
    /// [closed](Semaphore::close).
    ///
    /// Cancel-safe: dropping the future gives up its place in the queue and returns any
    /// permits it was handed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let semaphore = mirage::sync::cross_thread::Semaphore::new(1);
    ///     let permit = semaphore.acquire().await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 0);
    ///     drop(permit);
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire::new(self, 1)
    }

    /// Waits for `n` permits, taken together. Cancel-safe, as [`acquire`](Semaphore::acquire).
    /// Zero permits are granted at once (unless the semaphore is closed), even while others
    /// wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let semaphore = mirage::sync::cross_thread::Semaphore::new(5);
    ///     let permit = semaphore.acquire_many(3).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 3);
    ///     assert_eq!(semaphore.available_permits(), 2);
    /// });
    /// ```
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        Acquire::new(self, n)
    }

    /// Takes one permit if one is free and no task waits before this one. Works on any
    /// thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::cross_thread::Semaphore;
    /// use mirage::sync::TryAcquireError;
    ///
    /// let semaphore = Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    /// drop(permit);
    /// semaphore.close();
    /// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if that many are free and no task waits before this one.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(2);
    /// assert!(semaphore.try_acquire_many(3).is_err());
    /// assert_eq!(semaphore.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.state.with(|state| state.take_now(n))?;
        Ok(SemaphorePermit::new(self, n))
    }

    /// [`acquire`](Semaphore::acquire) for a permit that owns a handle to the semaphore,
    /// so it can move to another task or thread. Cancel-safe, as `acquire`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(1));
    /// let mut core = mirage::Core::new().unwrap();
    /// let permit = core.run(semaphore.clone().acquire_owned()).unwrap();
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Semaphore::acquire_many) for a permit that owns a handle to the
    /// semaphore. Cancel-safe, as `acquire_many`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(4));
    ///     let permit = semaphore.clone().acquire_many_owned(4).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 4);
    ///     assert_eq!(semaphore.available_permits(), 0);
    /// });
    /// ```
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        let n = self.acquire_many(n).await?.into_count();
        Ok(OwnedSemaphorePermit::new(self, n))
    }

    /// [`try_acquire`](Semaphore::try_acquire) for a permit that owns a handle to the
    /// semaphore.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(semaphore.clone().try_acquire_owned().is_err());
    /// drop(permit);
    /// assert!(semaphore.try_acquire_owned().is_ok());
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Semaphore::try_acquire_many) for a permit that owns a handle to
    /// the semaphore.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::{cross_thread::Semaphore, TryAcquireError};
    ///
    /// let semaphore = Arc::new(Semaphore::new(3));
    /// let permit = semaphore.clone().try_acquire_many_owned(2).unwrap();
    /// assert_eq!(permit.num_permits(), 2);
    /// let too_many = semaphore.clone().try_acquire_many_owned(2);
    /// assert_eq!(too_many.unwrap_err(), TryAcquireError::NoPermits);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.state.with(|state| state.take_now(n))?;
        Ok(OwnedSemaphorePermit::new(self, n))
    }

    /// [`acquire`](Semaphore::acquire) for a thread with no Core, as tokio's
    /// `blocking_acquire`: parks the thread until a permit is its, in the same queue as the
    /// tasks that wait. Fails with [`AcquireError`] once the semaphore is closed.
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block: use `acquire().await`
    /// there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mirage::sync::cross_thread::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(1));
    /// let held = semaphore.blocking_acquire().unwrap();
    /// let worker = {
    ///     let semaphore = Arc::clone(&semaphore);
    ///     // Waits until the permit above is dropped.
    ///     std::thread::spawn(move || semaphore.blocking_acquire().unwrap().num_permits())
    /// };
    /// drop(held);
    /// assert_eq!(worker.join().unwrap(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        super::block_on("Semaphore::blocking_acquire", self.acquire())
    }

    /// [`acquire_many`](Semaphore::acquire_many) for a thread with no Core: see
    /// [`blocking_acquire`](Semaphore::blocking_acquire).
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(3);
    /// let permit = semaphore.blocking_acquire_many(2).unwrap();
    /// assert_eq!(permit.num_permits(), 2);
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        super::block_on("Semaphore::blocking_acquire_many", self.acquire_many(n))
    }

    /// [`acquire_owned`](Semaphore::acquire_owned) for a thread with no Core: see
    /// [`blocking_acquire`](Semaphore::blocking_acquire).
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(1));
    /// let permit = Arc::clone(&semaphore).blocking_acquire_owned().unwrap();
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        super::block_on("Semaphore::blocking_acquire_owned", self.acquire_owned())
    }

    /// [`acquire_many_owned`](Semaphore::acquire_many_owned) for a thread with no Core: see
    /// [`blocking_acquire`](Semaphore::blocking_acquire).
    ///
    /// # Panics
    ///
    /// On a thread that is running a Core, which it would block.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(2));
    /// semaphore.close();
    /// assert!(Arc::clone(&semaphore).blocking_acquire_many_owned(2).is_err());
    /// ```
    #[track_caller]
    pub fn blocking_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        super::block_on(
            "Semaphore::blocking_acquire_many_owned",
            self.acquire_many_owned(n),
        )
    }

    /// Closes the semaphore: every waiting and later `acquire` fails with
    /// [`AcquireError`], on whatever Core it waits. Permits already held stay valid, and are
    /// given back as usual. An `acquire` that was handed its permits before the close, but
    /// not yet polled since, still completes with them (tokio's fails it).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let semaphore = mirage::sync::cross_thread::Semaphore::new(0);
    ///     semaphore.close();
    ///     assert!(semaphore.is_closed());
    ///     assert!(semaphore.acquire().await.is_err());
    /// });
    /// ```
    pub fn close(&self) {
        state::close(&self.state);
    }

    /// Whether [`close`](Semaphore::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(1);
    /// assert!(!semaphore.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state.with(|state| state.is_closed())
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (permits, closed, waiting) = self
            .state
            .with(|state| (state.permits(), state.is_closed(), state.has_waiters()));
        f.debug_struct("Semaphore")
            .field("permits", &permits)
            .field("closed", &closed)
            .field("waiting", &waiting)
            .finish()
    }
}
