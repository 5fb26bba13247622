//! `AsyncFdRegisterError`: a failed `AsyncFd::try_new`, with the value it was given.

use std::error::Error;
use std::fmt;
use std::io;

/// The error of [`AsyncFd::try_new`](super::AsyncFd::try_new) and
/// [`try_with_interest`](super::AsyncFd::try_with_interest): why the descriptor could not
/// be wrapped, and the value that was to be wrapped, which
/// [`into_parts`](AsyncFdRegisterError::into_parts) gives back, so it is not closed.
///
/// Displays as its cause, and converts into it with `?` in a function returning
/// `io::Result`. Named as in tokio 1.54, which also keeps the older name
/// [`AsyncFdTryNewError`] as a deprecated alias; so does Mirage, for code ported from
/// either.
///
/// # Examples
///
/// ```
/// use std::os::fd::{AsRawFd, RawFd};
/// use mirage::io::{AsyncFd, AsyncFdRegisterError};
///
/// #[derive(Debug)]
/// struct NotOpen;
/// impl AsRawFd for NotOpen {
///     fn as_raw_fd(&self) -> RawFd {
///         -1
///     }
/// }
///
/// let err: AsyncFdRegisterError<NotOpen> = AsyncFd::try_new(NotOpen).unwrap_err();
/// assert_eq!(err.to_string(), std::io::Error::from_raw_os_error(libc::EBADF).to_string());
/// let (_not_open, cause) = err.into_parts();
/// assert_eq!(cause.raw_os_error(), Some(libc::EBADF));
/// ```
pub struct AsyncFdRegisterError<T> {
    pub(super) inner: T,
    pub(super) cause: io::Error,
}

impl<T> AsyncFdRegisterError<T> {
    /// The value that was to be wrapped, and why it could not be.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::File;
    /// use mirage::io::AsyncFd;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     // epoll does not poll regular files: the running Core refuses it.
    ///     let file = File::open(std::env::current_exe().unwrap()).unwrap();
    ///     let (file, cause) = AsyncFd::try_new(file).unwrap_err().into_parts();
    ///     assert_eq!(cause.kind(), std::io::ErrorKind::PermissionDenied);
    ///     assert!(file.metadata().unwrap().is_file()); // given back, still open
    /// });
    /// ```
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Display for AsyncFdRegisterError<T> {
    /// The cause.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl<T> fmt::Debug for AsyncFdRegisterError<T> {
    /// The cause; the value need not be `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdRegisterError")
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

impl<T> Error for AsyncFdRegisterError<T> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdRegisterError<T>> for io::Error {
    /// The cause; the value is dropped (closed, for an owned descriptor).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::{AsRawFd, RawFd};
    /// use mirage::io::AsyncFd;
    ///
    /// #[derive(Debug)]
    /// struct NotOpen;
    /// impl AsRawFd for NotOpen {
    ///     fn as_raw_fd(&self) -> RawFd {
    ///         -1
    ///     }
    /// }
    ///
    /// fn wrap() -> std::io::Result<AsyncFd<NotOpen>> {
    ///     Ok(AsyncFd::try_new(NotOpen)?)
    /// }
    /// assert_eq!(wrap().unwrap_err().raw_os_error(), Some(libc::EBADF));
    /// ```
    fn from(err: AsyncFdRegisterError<T>) -> io::Error {
        err.cause
    }
}

/// The older name of [`AsyncFdRegisterError`], kept deprecated as tokio keeps it, so that
/// code written against an earlier tokio compiles.
///
/// # Examples
///
/// ```
/// #![allow(deprecated)]
/// use mirage::io::{AsyncFdRegisterError, AsyncFdTryNewError};
///
/// fn same<T>(err: AsyncFdTryNewError<T>) -> AsyncFdRegisterError<T> {
///     err
/// }
/// # let _ = same::<std::fs::File>;
/// ```
#[deprecated(note = "use `AsyncFdRegisterError` instead")]
pub type AsyncFdTryNewError<T> = AsyncFdRegisterError<T>;
