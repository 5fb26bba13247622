//! Error types of the [`mpsc`](super) channels.

use std::error::Error;
use std::fmt;

pub use crate::sync::error::SendError;

/// Why [`Sender::try_send`](super::Sender::try_send) failed; the value is
/// handed back either way.
///
/// # Examples
///
/// ```
/// use mirage::sync::mpsc::{self, error::TrySendError};
///
/// let (tx, rx) = mpsc::channel(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// drop(rx);
/// assert_eq!(tx.try_send(3).unwrap_err().into_inner(), 3);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// Every slot is taken (or reserved for a waiting sender).
    Full(T),
    /// The receiver was dropped or closed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// Returns the value that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::channel(1);
    /// tx.try_send("first").unwrap();
    /// assert_eq!(tx.try_send("second").unwrap_err().into_inner(), "second");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Closed(value) => value,
        }
    }

    /// Returns `true` for [`TrySendError::Full`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = mirage::sync::mpsc::channel(1);
    /// tx.try_send(1).unwrap();
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Returns `true` for [`TrySendError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::mpsc::channel(1);
    /// drop(rx);
    /// assert!(tx.try_send(1).unwrap_err().is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl TrySendError<()> {
    /// The same failure, handing back `value`.
    pub(crate) fn carrying<T>(self, value: T) -> TrySendError<T> {
        match self {
            TrySendError::Full(()) => TrySendError::Full(value),
            TrySendError::Closed(()) => TrySendError::Closed(value),
        }
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> Self {
        TrySendError::Closed(err.0)
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "no available capacity",
            TrySendError::Closed(_) => "sending on a closed channel",
        })
    }
}

impl<T> Error for TrySendError<T> {}

/// Why [`Sender::send_timeout`](super::Sender::send_timeout) failed; the value is handed
/// back either way.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::sync::mpsc::{self, error::SendTimeoutError};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (tx, rx) = mpsc::channel(1);
///     tx.send(1).await.unwrap();
///     let full = tx.send_timeout(2, Duration::from_millis(1)).await;
///     assert_eq!(full, Err(SendTimeoutError::Timeout(2)));
///     drop(rx);
///     let closed = tx.send_timeout(3, Duration::from_millis(1)).await;
///     assert_eq!(closed.unwrap_err().into_inner(), 3);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// No slot came free before the timeout.
    Timeout(T),
    /// The receiver was dropped or closed.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// Returns the value that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::mpsc::error::SendTimeoutError;
    ///
    /// assert_eq!(SendTimeoutError::Timeout("late").into_inner(), "late");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(value) | SendTimeoutError::Closed(value) => value,
        }
    }

    /// Returns `true` for [`SendTimeoutError::Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::mpsc::error::SendTimeoutError;
    ///
    /// assert!(SendTimeoutError::Timeout(1).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// Returns `true` for [`SendTimeoutError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::sync::mpsc::error::SendTimeoutError;
    ///
    /// assert!(SendTimeoutError::Closed(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, SendTimeoutError::Closed(_))
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "Timeout(..)",
            SendTimeoutError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "timed out waiting on send operation",
            SendTimeoutError::Closed(_) => "sending on a closed channel",
        })
    }
}

impl<T> Error for SendTimeoutError<T> {}

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no message.
///
/// # Examples
///
/// ```
/// use mirage::sync::mpsc::{self, error::TryRecvError};
///
/// let (tx, mut rx) = mpsc::unbounded::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// The queue is empty but senders remain, so a message may still arrive.
    Empty,
    /// The queue is empty and no message can arrive any more: every sender
    /// is gone or the receiver was closed.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "receiving on an empty channel",
            TryRecvError::Disconnected => "receiving on an empty and disconnected channel",
        })
    }
}

impl Error for TryRecvError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_send_error_accessors_and_formatting() {
        struct Opaque;
        let full = TrySendError::Full(Opaque);
        assert!(full.is_full() && !full.is_closed());
        assert_eq!(format!("{full:?}"), "Full(..)");
        assert_eq!(full.to_string(), "no available capacity");
        let closed: TrySendError<u8> = SendError(4).into();
        assert_eq!(closed, TrySendError::Closed(4));
        assert_eq!(closed.into_inner(), 4);
        assert_eq!(
            TryRecvError::Disconnected.to_string(),
            "receiving on an empty and disconnected channel"
        );
        let timeout = SendTimeoutError::Timeout(Opaque);
        assert!(timeout.is_timeout() && !timeout.is_closed());
        assert_eq!(format!("{timeout:?}"), "Timeout(..)");
        assert_eq!(
            SendTimeoutError::Closed(Opaque).to_string(),
            "sending on a closed channel"
        );
    }
}
