//! `stdout`: the process's standard output, written on the blocking pool.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::AsyncWrite;
use super::blocking::Blocking;

/// Returns a handle to the process's standard output, as tokio's `io::stdout`: an
/// [`AsyncWrite`] whose writes run on the blocking pool (see [`Stdout`]).
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
///     let mut out = mirage::io::stdout();
///     for word in ["one", "two", "three"] {
///         out.write_all(format!("{word}\n").as_bytes()).await?;
///     }
///     // Waits until every line is written: a write's error shows here at the latest.
///     out.flush().await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub fn stdout() -> Stdout {
    Stdout {
        std: io::stdout(),
        blocking: Blocking::new(io::stdout as fn() -> io::Stdout),
    }
}

/// The process's standard output, made by [`stdout`]: an [`AsyncWrite`] that writes through
/// [`std::io::Stdout`] (so its lines and `println!`'s share std's line buffer) on the
/// blocking pool, the one [`spawn_blocking`](crate::spawn_blocking) uses.
///
/// Descriptor 1 is shared with the shell and other processes, so Mirage never makes it
/// non-blocking, as tokio does not. Instead, as in tokio:
///
/// - a write copies up to 2 MiB of what it is given, hands the copy to a pool thread, and
///   returns at once with how much it took. The next write, or [`flush`], first waits for
///   that one to finish, and fails with its error (`BrokenPipe` once the reader is gone);
/// - [`flush`] waits for every write so far, then flushes std's buffer, and fails with the
///   first error not yet reported; `close` (`shutdown`) does the same and leaves the
///   descriptor open (it is not this handle's to close).
///
/// Dropping a `Stdout` lets its last write finish first: the drop waits for it, holding up
/// the Core for as long (on a pipe nobody reads, indefinitely, as a `println!` would). So
/// what was written is never cut short by the process exiting right after, which tokio
/// ensures by having its runtime wait for the standard streams when it shuts down, and
/// Mirage's Core does not do. As with tokio, the drop does not flush: a last line with no
/// newline waits in std's buffer, which std flushes when `main` returns.
///
/// Writing to a closed pipe raises `SIGPIPE`, which Rust programs ignore, so the write
/// fails with `BrokenPipe`; a host that has it at its default action is killed by it, as
/// by a `println!`.
///
/// # Cancel safety
///
/// A write dropped while it waits for the one before took none of its bytes; once it
/// returns, its bytes are on their way, and dropping the handle still waits for them.
/// A `write_all` dropped midway wrote a prefix of its buffer, as on any writer. A dropped
/// [`flush`] leaves its work running; the next flush or write waits for it.
///
/// [`flush`]: super::AsyncWriteExt::flush
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncWriteExt, Stdout};
///
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let mut out: Stdout = mirage::io::stdout();
///     let copied = mirage::io::copy(&mut &b"hello, world\n"[..], &mut out).await?;
///     assert_eq!(copied, 13);
///     out.flush().await
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Stdout {
    /// For `as_fd`: std's handle, which borrows descriptor 1 for as long as it lives.
    std: io::Stdout,
    blocking: Blocking<fn() -> io::Stdout>,
}

impl AsyncWrite for Stdout {
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

    /// Flushes, and leaves descriptor 1 open.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().blocking.poll_flush(cx)
    }
}

impl Drop for Stdout {
    fn drop(&mut self) {
        self.blocking.finish_in_drop();
    }
}

/// Descriptor 1, to inspect (`isatty`, `fstat`) but not to change: see [`Stdout`].
///
/// # Examples
///
/// ```
/// use std::os::fd::AsRawFd;
/// assert_eq!(mirage::io::stdout().as_raw_fd(), 1);
/// ```
impl AsFd for Stdout {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

/// Descriptor 1, as [`AsFd`] gives it.
impl AsRawFd for Stdout {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl fmt::Debug for Stdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stdout")
            .field("fd", &self.as_raw_fd())
            .field("blocking", &self.blocking)
            .finish()
    }
}
