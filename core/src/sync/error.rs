//! Error type shared by [`oneshot`](super::oneshot), [`mpsc`](super::mpsc) and
//! [`watch`](super::watch).

use std::error::Error;
use std::fmt;

/// The receiving half was dropped or closed; the unsent value is handed back.
///
/// Returned by [`oneshot::Sender::send`](super::oneshot::Sender::send),
/// [`mpsc::Sender::send`](super::mpsc::Sender::send),
/// [`mpsc::UnboundedSender::send`](super::mpsc::UnboundedSender::send) and
/// [`watch::Sender::send`](super::watch::Sender::send).
/// Like [`std::sync::mpsc::SendError`], its `Debug` output does not require
/// `T: Debug` and omits the value.
///
/// # Examples
///
/// ```
/// use mirage::sync::{mpsc, SendError};
///
/// let (tx, rx) = mpsc::unbounded();
/// drop(rx);
/// let err: SendError<u8> = tx.send(7).unwrap_err();
/// assert_eq!(err.into_inner(), 7);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// Returns the value that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = mirage::sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(7).unwrap_err().into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> Error for SendError<T> {}

#[cfg(test)]
mod tests {
    use super::SendError;

    #[test]
    fn formatting_does_not_need_debug_values() {
        struct Opaque;
        let err = SendError(Opaque);
        assert_eq!(format!("{err:?}"), "SendError { .. }");
        assert_eq!(err.to_string(), "sending on a closed channel");
        let boxed: Box<dyn std::error::Error> = Box::new(SendError(1u8));
        assert_eq!(boxed.to_string(), "sending on a closed channel");
    }
}
