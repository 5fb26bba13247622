//! Error types of the [`oneshot`](super) channel, at the path tokio gives them; both are
//! also re-exported from [`oneshot`](super) itself.

use std::error::Error;
use std::fmt;

/// The sender was dropped without sending (or the receiver was closed before
/// a value arrived); returned by awaiting a [`Receiver`](super::Receiver).
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = mirage::sync::oneshot::channel::<u8>();
///     drop(tx);
///     let err: mirage::sync::oneshot::error::RecvError = rx.await.unwrap_err();
///     assert_eq!(err.to_string(), "channel closed");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl Error for RecvError {}

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
///
/// # Examples
///
/// ```
/// use mirage::sync::oneshot::{self, error::TryRecvError};
///
/// let (tx, mut rx) = oneshot::channel::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No value yet, but the sender may still send one.
    Empty,
    /// No value will ever arrive: the sender was dropped, the receiver was
    /// closed, or the value was already received.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "channel empty",
            TryRecvError::Closed => "channel closed",
        })
    }
}

impl Error for TryRecvError {}
