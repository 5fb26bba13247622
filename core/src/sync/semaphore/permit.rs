//! The permits of a `Semaphore`: given back when dropped.

use std::fmt;
use std::rc::Rc;

use super::Semaphore;

/// Permits taken from a [`Semaphore`], given back when dropped.
///
/// # Examples
///
/// ```
/// let semaphore = mirage::sync::Semaphore::new(2);
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
    /// let semaphore = mirage::sync::Semaphore::new(3);
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
    /// let semaphore = mirage::sync::Semaphore::new(3);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn forget(self) {
        self.into_count();
    }

    /// Moves `n` of the permits into a new permit (tokio's `SemaphorePermit::split`);
    /// `None`, changing nothing, if this holds fewer than `n`.
    pub(crate) fn split(&mut self, n: u32) -> Option<SemaphorePermit<'a>> {
        self.permits = self.permits.checked_sub(n)?;
        Some(SemaphorePermit::new(self.semaphore, n))
    }

    /// Consumes the permit without giving its permits back; returns how many it held.
    pub(super) fn into_count(mut self) -> u32 {
        std::mem::take(&mut self.permits)
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.release(self.permits as usize);
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

/// Permits taken from a [`Semaphore`] shared by `Rc`, keeping it alive; given back when
/// dropped. It can move into a spawned task.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// let semaphore = Rc::new(mirage::sync::Semaphore::new(1));
/// let permit = semaphore.clone().try_acquire_owned().unwrap();
/// assert_eq!(semaphore.available_permits(), 0);
/// drop(permit);
/// assert_eq!(semaphore.available_permits(), 1);
/// ```
#[must_use = "the permits are given back at once if the permit is not kept"]
pub struct OwnedSemaphorePermit {
    semaphore: Rc<Semaphore>,
    permits: u32,
}

impl OwnedSemaphorePermit {
    pub(super) fn new(semaphore: Rc<Semaphore>, permits: u32) -> OwnedSemaphorePermit {
        OwnedSemaphorePermit { semaphore, permits }
    }

    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let semaphore = Rc::new(mirage::sync::Semaphore::new(1));
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
    /// use std::rc::Rc;
    ///
    /// let semaphore = Rc::new(mirage::sync::Semaphore::new(1));
    /// let permit = semaphore.clone().try_acquire_owned().unwrap();
    /// assert!(Rc::ptr_eq(permit.semaphore(), &semaphore));
    /// ```
    pub fn semaphore(&self) -> &Rc<Semaphore> {
        &self.semaphore
    }

    /// Drops the permit without giving its permits back: the semaphore has that many fewer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let semaphore = Rc::new(mirage::sync::Semaphore::new(1));
    /// semaphore.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.release(self.permits as usize);
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
