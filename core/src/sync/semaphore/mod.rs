//! `Semaphore`: a count of permits that tasks take and give back, waiting in FIFO order.

mod acquire;
mod error;
pub(crate) mod permit;
pub(crate) mod state;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

pub use acquire::Acquire;
pub use error::{AcquireError, TryAcquireError};
pub use permit::{OwnedSemaphorePermit, SemaphorePermit};
use state::State;

/// A count of permits: a task takes some with [`acquire`](Semaphore::acquire) (waiting
/// while too few are left) and gives them back by dropping the permit. It bounds how many
/// tasks do something at once: connections served, requests in flight to a backend.
///
/// Waiters are served in FIFO order: a task that asks for many permits is not starved by
/// later tasks that ask for one; they wait behind it. A waiting `acquire` that is dropped
/// gives up its place, and any permits already handed to it come back.
///
/// Like every `mirage::sync` type, it takes no lock and is `!Sync`; share it with
/// `Rc<Semaphore>` (the `_owned` calls take one and return a permit that keeps it). For
/// permits that tasks on several Cores share, use
/// [`cross_thread::Semaphore`](crate::sync::cross_thread::Semaphore).
///
/// # Examples
///
/// At most two jobs run at once:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use mirage::sync::Semaphore;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let slots = Rc::new(Semaphore::new(2));
///     let (running, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
///     let mut jobs = mirage::JoinSet::new();
///     for _ in 0..6 {
///         let (slots, running, most) = (slots.clone(), running.clone(), most.clone());
///         jobs.spawn(async move {
///             let _permit = slots.acquire().await.unwrap();
///             running.set(running.get() + 1);
///             most.set(most.get().max(running.get()));
///             mirage::time::sleep(Duration::from_millis(1)).await;
///             running.set(running.get() - 1);
///         });
///     }
///     jobs.join_all().await;
///     assert_eq!(most.get(), 2);
/// });
/// ```
pub struct Semaphore {
    state: RefCell<State>,
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
    /// let semaphore = mirage::sync::Semaphore::new(3);
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

    /// [`new`](Semaphore::new) for a `const` context, such as a `thread_local!` (a
    /// `const fn` may not format the count into its panic message, so `new` is not one).
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`MAX_PERMITS`](Semaphore::MAX_PERMITS).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::Semaphore;
    ///
    /// thread_local! {
    ///     static CONNECTIONS: Semaphore = const { Semaphore::const_new(2) };
    /// }
    /// CONNECTIONS.with(|connections| {
    ///     let _first = connections.try_acquire().unwrap();
    ///     assert_eq!(connections.available_permits(), 1);
    /// });
    /// ```
    #[track_caller]
    pub const fn const_new(permits: usize) -> Semaphore {
        assert!(
            permits <= Semaphore::MAX_PERMITS,
            "a semaphore holds at most Semaphore::MAX_PERMITS permits"
        );
        Semaphore {
            state: RefCell::new(State::new(permits)),
        }
    }

    /// How many permits are free now: none while an acquire waits, since the free ones are
    /// gathered for the oldest waiter (tokio assigns them to it), so `try_acquire` could take
    /// exactly these.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::Semaphore::new(3);
    /// let permit = semaphore.try_acquire_many(2).unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.borrow().available()
    }

    /// Free permits, those gathered for the oldest waiter included (`RwLock`'s `Debug`).
    pub(crate) fn free_or_gathered(&self) -> usize {
        self.state.borrow().permits()
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
    /// let semaphore = mirage::sync::Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.release(n);
    }

    /// Removes up to `n` free permits for good; returns how many it removed. Permits gathered
    /// for a waiting acquire are not free: it keeps them (as in tokio).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::Semaphore::new(3);
    /// assert_eq!(semaphore.forget_permits(5), 3);
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.state.borrow_mut().forget(n)
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
    ///     let semaphore = mirage::sync::Semaphore::new(1);
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
    ///     let semaphore = mirage::sync::Semaphore::new(5);
    ///     let permit = semaphore.acquire_many(3).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 3);
    ///     assert_eq!(semaphore.available_permits(), 2);
    /// });
    /// ```
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        Acquire::new(self, n)
    }

    /// Takes one permit if one is free and no task waits before this one.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::{Semaphore, TryAcquireError};
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
    /// let semaphore = mirage::sync::Semaphore::new(2);
    /// assert!(semaphore.try_acquire_many(3).is_err());
    /// assert_eq!(semaphore.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.take_now(n)?;
        Ok(SemaphorePermit::new(self, n))
    }

    /// [`acquire`](Semaphore::acquire) for a permit that owns a handle to the semaphore,
    /// so it can move into a spawned task. Cancel-safe, as `acquire`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let semaphore = Rc::new(mirage::sync::Semaphore::new(1));
    ///     let permit = semaphore.clone().acquire_owned().await.unwrap();
    ///     let task = mirage::spawn(async move {
    ///         let _permit = permit; // held until the task ends
    ///     });
    ///     task.await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_owned(self: Rc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Semaphore::acquire_many) for a permit that owns a handle to the
    /// semaphore. Cancel-safe, as `acquire_many`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let semaphore = Rc::new(mirage::sync::Semaphore::new(4));
    ///     let permit = semaphore.clone().acquire_many_owned(4).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 4);
    ///     assert_eq!(semaphore.available_permits(), 0);
    /// });
    /// ```
    pub async fn acquire_many_owned(
        self: Rc<Self>,
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
    /// use std::rc::Rc;
    ///
    /// let semaphore = Rc::new(mirage::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(semaphore.clone().try_acquire_owned().is_err());
    /// drop(permit);
    /// assert!(semaphore.try_acquire_owned().is_ok());
    /// ```
    pub fn try_acquire_owned(self: Rc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Semaphore::try_acquire_many) for a permit that owns a handle to
    /// the semaphore.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use mirage::sync::{Semaphore, TryAcquireError};
    ///
    /// let semaphore = Rc::new(Semaphore::new(3));
    /// let permit = semaphore.clone().try_acquire_many_owned(2).unwrap();
    /// assert_eq!(permit.num_permits(), 2);
    /// let too_many = semaphore.clone().try_acquire_many_owned(2);
    /// assert_eq!(too_many.unwrap_err(), TryAcquireError::NoPermits);
    /// ```
    pub fn try_acquire_many_owned(
        self: Rc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.take_now(n)?;
        Ok(OwnedSemaphorePermit::new(self, n))
    }

    /// Closes the semaphore: every waiting and later `acquire` fails with
    /// [`AcquireError`]. Permits already held stay valid, and are given back as usual. An
    /// `acquire` that was handed its permits before the close, but not yet polled since,
    /// still completes with them (tokio's fails it).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let semaphore = mirage::sync::Semaphore::new(0);
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
    /// let semaphore = mirage::sync::Semaphore::new(1);
    /// assert!(!semaphore.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state.borrow().is_closed()
    }

    /// Takes `n` permits at once, if that many are free and no one waits.
    fn take_now(&self, n: u32) -> Result<(), TryAcquireError> {
        self.state.borrow_mut().take_now(n)
    }

    /// Gives back `n` permits and wakes the waiters they satisfy.
    fn release(&self, n: usize) {
        state::release(&self.state, n);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Semaphore")
            .field("permits", &state.permits())
            .field("closed", &state.is_closed())
            .field("waiting", &state.has_waiters())
            .finish()
    }
}
