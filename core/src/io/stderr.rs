//! `stderr`: the process's standard error, written on the blocking pool.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::AsyncWrite;
use super::blocking::Blocking;

/// Returns a handle to the process's standard error, as tokio's `io::stderr`: an
/// [`AsyncWrite`] whose writes run on the blocking pool (see [`Stderr`]).
///
/// Each call makes a new handle with its own write in flight, and writes through two
/// handles are not ordered: make one and keep it for as long as the program writes.
///
/// # Examples
///
/// ```
/// use mirage::io::AsyncWriteExt;
///
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let mut err = mirage::io::stderr();
///     err.write_all(b"warning: the disk is nearly full\n").await?;
///     err.flush().await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub fn stderr() -> Stderr {
    Stderr {
        std: io::stderr(),
        blocking: Blocking::new(io::stderr as fn() -> io::Stderr),
    }
}

/// The process's standard error, made by [`stderr`]: an [`AsyncWrite`] that writes through
/// [`std::io::Stderr`] (unbuffered) on the blocking pool, the one
/// [`spawn_blocking`](crate::spawn_blocking) uses.
///
/// It behaves as [`Stdout`](super::Stdout) does, on descriptor 2: never made non-blocking;
/// a write hands a copy of up to 2 MiB to a pool thread and returns at once, and the next
/// write or `flush` waits for it and fails with its error; `flush` waits for every write so
/// far; `close` flushes and leaves the descriptor open; dropping the handle waits for its
/// last write, holding up the Core meanwhile. Its cancel safety is `Stdout`'s too.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncWriteExt, Stderr};
///
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let mut err: Stderr = mirage::io::stderr();
///     err.write_all(b"retrying in 1s\n").await?;
///     err.flush().await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Stderr {
    /// For `as_fd`: std's handle, which borrows descriptor 2 for as long as it lives.
    std: io::Stderr,
    blocking: Blocking<fn() -> io::Stderr>,
}

impl AsyncWrite for Stderr {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().blocking.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().blocking.poll_flush(cx)
    }

    /// Flushes, and leaves descriptor 2 open.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().blocking.poll_flush(cx)
    }
}

impl Drop for Stderr {
    fn drop(&mut self) {
        self.blocking.finish_in_drop();
    }
}

/// Descriptor 2, to inspect (`isatty`, `fstat`) but not to change: see [`Stderr`].
///
/// # Examples
///
/// ```
/// use std::os::fd::AsRawFd;
/// assert_eq!(mirage::io::stderr().as_raw_fd(), 2);
/// ```
impl AsFd for Stderr {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

/// Descriptor 2, as [`AsFd`] gives it.
impl AsRawFd for Stderr {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl fmt::Debug for Stderr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stderr")
            .field("fd", &self.as_raw_fd())
            .field("blocking", &self.blocking)
            .finish()
    }
}
