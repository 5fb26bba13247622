//! The permits of the cross-thread `Semaphore`: given back when dropped, on any thread.

use std::fmt;
use std::sync::Arc;

use super::Semaphore;
use crate::sync::semaphore::permit::{left_after_split, merged};
use crate::sync::semaphore::state;

/// Permits taken from a cross-thread [`Semaphore`], given back when dropped (on any
/// thread).
///
/// # Examples
///
/// ```
/// let semaphore = mirage::sync::cross_thread::Semaphore::new(2);
/// {
///     let _permit = semaphore.try_acquire().unwrap();
///     assert_eq!(semaphore.available_permits(), 1);
/// }
/// assert_eq!(semaphore.available_permits(), 2);
/// ```
#[must_use = "the permits are given back at once if the permit is not kept"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: u32,
}

impl<'a> SemaphorePermit<'a> {
    pub(super) fn new(semaphore: &'a Semaphore, permits: u32) -> SemaphorePermit<'a> {
        SemaphorePermit { semaphore, permits }
    }

    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(3);
    /// assert_eq!(semaphore.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// Drops the permit without giving its permits back: the semaphore has that many fewer.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(3);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn forget(self) {
        self.into_count();
    }

    /// Moves the permits of `other` into this one, without giving any back: dropping
    /// `self` then gives back both counts.
    ///
    /// # Panics
    ///
    /// If `other` comes from another semaphore, or the two hold more than `u32::MAX`
    /// permits together.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(3);
    /// let mut permit = semaphore.try_acquire().unwrap();
    /// permit.merge(semaphore.try_acquire_many(2).unwrap());
    /// assert_eq!(permit.num_permits(), 3);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    #[track_caller]
    pub fn merge(&mut self, other: SemaphorePermit<'a>) {
        assert!(
            std::ptr::eq(self.semaphore, other.semaphore),
            "SemaphorePermit::merge: the permits come from different semaphores"
        );
        // Counted before `other` gives its permits up, so that an overflow's panic leaves
        // `other` to give them back when it drops.
        let total = merged(self.permits, other.permits);
        other.into_count();
        self.permits = total;
    }

    /// Moves `n` of this permit's permits into a new permit of the same semaphore, or
    /// returns `None` (and keeps them) if it holds fewer than `n`.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(3);
    /// let mut permit = semaphore.try_acquire_many(3).unwrap();
    /// let one = permit.split(1).unwrap();
    /// assert_eq!((permit.num_permits(), one.num_permits()), (2, 1));
    /// assert!(permit.split(4).is_none());
    /// ```
    pub fn split(&mut self, n: usize) -> Option<SemaphorePermit<'a>> {
        self.permits = left_after_split(self.permits, n)?;
        Some(SemaphorePermit::new(self.semaphore, n as u32))
    }

    /// The semaphore the permits came from, borrowed for as long as the permit may live
    /// (tokio's borrow ends with the permit's).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = mirage::sync::cross_thread::Semaphore::new(2);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert!(std::ptr::eq(permit.semaphore(), &semaphore));
    /// assert_eq!(permit.semaphore().available_permits(), 1);
    /// ```
    pub fn semaphore(&self) -> &'a Semaphore {
        self.semaphore
    }

    /// Consumes the permit without giving its permits back; returns how many it held.
    pub(super) fn into_count(mut self) -> u32 {
        std::mem::take(&mut self.permits)
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if self.permits > 0 {
            state::release(&self.semaphore.state, self.permits as usize);
        }
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

/// Permits taken from a cross-thread [`Semaphore`] shared by `Arc`, keeping it alive;
/// given back when dropped. It can move to another task or thread.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(1));
/// let permit = semaphore.clone().try_acquire_owned().unwrap();
/// assert_eq!(semaphore.available_permits(), 0);
/// std::thread::spawn(move || drop(permit)).join().unwrap();
/// assert_eq!(semaphore.available_permits(), 1);
/// ```
#[must_use = "the permits are given back at once if the permit is not kept"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: u32,
}

impl OwnedSemaphorePermit {
    pub(super) fn new(semaphore: Arc<Semaphore>, permits: u32) -> OwnedSemaphorePermit {
        OwnedSemaphorePermit { semaphore, permits }
    }

    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(1));
    /// assert_eq!(semaphore.try_acquire_owned().unwrap().num_permits(), 1);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore the permits came from.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &semaphore));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// Drops the permit without giving its permits back: the semaphore has that many fewer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(1));
    /// semaphore.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Moves the permits of `other` into this one, without giving any back: dropping
    /// `self` then gives back both counts.
    ///
    /// # Panics
    ///
    /// If `other` comes from another semaphore, or the two hold more than `u32::MAX`
    /// permits together.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(2));
    /// let mut permit = semaphore.clone().try_acquire_owned().unwrap();
    /// permit.merge(semaphore.clone().try_acquire_owned().unwrap());
    /// assert_eq!(permit.num_permits(), 2);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn merge(&mut self, mut other: OwnedSemaphorePermit) {
        assert!(
            Arc::ptr_eq(&self.semaphore, &other.semaphore),
            "OwnedSemaphorePermit::merge: the permits come from different semaphores"
        );
        // As in `SemaphorePermit::merge`: counted before `other` gives its permits up.
        self.permits = merged(self.permits, other.permits);
        other.permits = 0;
    }

    /// Moves `n` of this permit's permits into a new permit of the same semaphore, or
    /// returns `None` (and keeps them) if it holds fewer than `n`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(mirage::sync::cross_thread::Semaphore::new(3));
    /// let mut permit = semaphore.clone().try_acquire_many_owned(3).unwrap();
    /// let two = permit.split(2).unwrap();
    /// assert_eq!((permit.num_permits(), two.num_permits()), (1, 2));
    /// assert!(permit.split(2).is_none());
    /// ```
    pub fn split(&mut self, n: usize) -> Option<OwnedSemaphorePermit> {
        self.permits = left_after_split(self.permits, n)?;
        Some(OwnedSemaphorePermit::new(self.semaphore.clone(), n as u32))
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            state::release(&self.semaphore.state, self.permits as usize);
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}
