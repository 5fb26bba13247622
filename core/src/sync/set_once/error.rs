//! The error of `SetOnce::set`.

use std::error::Error;
use std::fmt;

/// [`SetOnce::set`](super::SetOnce::set) (or
/// [`cross_thread::SetOnce::set`](crate::sync::cross_thread::SetOnce::set)) found the cell
/// already set; the value it was given comes back in it. The name is tokio's.
///
/// # Examples
///
/// ```
/// use mirage::sync::{SetOnce, SetOnceError};
///
/// let once = SetOnce::new();
/// once.set(1).unwrap();
/// let err: SetOnceError<u32> = once.set(2).unwrap_err();
/// assert_eq!(err, SetOnceError(2));
/// assert_eq!(err.to_string(), "the SetOnce already holds a value");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the SetOnce already holds a value")
    }
}

impl<T: fmt::Debug> Error for SetOnceError<T> {}
