//! The errors of `Semaphore`.

use std::error::Error;
use std::fmt;

/// The semaphore was closed: returned by [`Semaphore::acquire`](super::Semaphore::acquire)
/// and the calls that wait like it.
///
/// # Examples
///
/// ```
/// use mirage::sync::{AcquireError, Semaphore};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let semaphore = Semaphore::new(1);
///     semaphore.close();
///     let err: AcquireError = semaphore.acquire().await.unwrap_err();
///     assert_eq!(err.to_string(), "the semaphore was closed");
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl AcquireError {
    pub(super) fn new() -> AcquireError {
        AcquireError(())
    }
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore was closed")
    }
}

impl Error for AcquireError {}

/// Why [`Semaphore::try_acquire`](super::Semaphore::try_acquire) took nothing.
///
/// # Examples
///
/// ```
/// use mirage::sync::{Semaphore, TryAcquireError};
///
/// let semaphore = Semaphore::new(0);
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Too few permits are free, or other tasks wait for them first.
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("the semaphore was closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl Error for TryAcquireError {}
