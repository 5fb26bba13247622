//! Error types of the [`broadcast`](super) channel.

use std::error::Error;
use std::fmt;

pub use crate::sync::error::SendError;

/// Why [`Receiver::recv`](super::Receiver::recv) returned no value.
///
/// # Examples
///
/// ```
/// use mirage::sync::broadcast::{self, error::RecvError};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, mut rx) = broadcast::channel(1);
///     tx.send(1).unwrap();
///     tx.send(2).unwrap();
///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(1)));
///     assert_eq!(rx.recv().await, Ok(2));
///     drop(tx);
///     assert_eq!(rx.recv().await, Err(RecvError::Closed));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and this receiver has read every value left.
    Closed,
    /// The receiver fell behind by more than the channel's capacity: this many values
    /// were overwritten before it read them. The next receive returns the oldest value
    /// still held.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("channel closed"),
            RecvError::Lagged(n) => write!(f, "receiver lagged behind and missed {n} values"),
        }
    }
}

impl Error for RecvError {}

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
///
/// # Examples
///
/// ```
/// use mirage::sync::broadcast::{self, error::TryRecvError};
///
/// let (tx, mut rx) = broadcast::channel::<u8>(4);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No value is waiting for this receiver, but senders remain.
    Empty,
    /// Every sender is gone and this receiver has read every value left.
    Closed,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
            TryRecvError::Lagged(n) => {
                write!(f, "receiver lagged behind and missed {n} values")
            }
        }
    }
}

impl Error for TryRecvError {}
