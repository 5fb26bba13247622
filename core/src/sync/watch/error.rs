//! Error types of the [`watch`](super) channel, at the path tokio gives them; both are
//! also re-exported from [`watch`](super) itself.

use std::error::Error;
use std::fmt;

pub use crate::sync::error::SendError;

/// Every sender was dropped, and the receiver has seen the last value sent: returned by
/// [`Receiver::changed`](super::Receiver::changed) and the calls that wait like it.
///
/// # Examples
///
/// ```
/// use mirage::sync::watch;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = watch::channel(0);
///     drop(tx);
///     let err: watch::error::RecvError = rx.changed().await.unwrap_err();
///     assert_eq!(err.to_string(), "every sender of the watch channel was dropped");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("every sender of the watch channel was dropped")
    }
}

impl Error for RecvError {}
