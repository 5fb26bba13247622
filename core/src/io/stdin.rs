//! `stdin`: the process's standard input, read on the blocking pool.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::AsyncRead;
use super::blocking::Blocking;

/// Returns a handle to the process's standard input, as tokio's `io::stdin`: an
/// [`AsyncRead`] whose reads run on the blocking pool (see [`Stdin`]).
///
/// Each call makes a new handle with its own read in flight: keep one for as long as the
/// program reads (two that read at once race for the input).
///
/// # Examples
///
/// Counting the lines of `some_command | this_program`:
///
/// ```
/// use std::time::Duration;
/// use mirage::io::{AsyncBufReadExt, BufReader};
///
/// async fn count_lines() -> std::io::Result<usize> {
///     let mut lines = BufReader::new(mirage::io::stdin()).lines();
///     let mut count = 0;
///     while lines.next_line().await?.is_some() {
///         count += 1;
///     }
///     Ok(count)
/// }
///
/// let mut core = mirage::Core::new()?;
/// // Under `cargo test` the input is empty; bounded in case it is a terminal instead.
/// if let Ok(counted) = core.run(mirage::time::timeout(Duration::from_secs(1), count_lines())) {
///     println!("{} lines", counted?);
/// }
/// # std::io::Result::Ok(())
/// ```
pub fn stdin() -> Stdin {
    Stdin {
        std: io::stdin(),
        blocking: Blocking::new(io::stdin as fn() -> io::Stdin),
    }
}

/// The process's standard input, made by [`stdin`]: an [`AsyncRead`] that reads through
/// [`std::io::Stdin`] (and so shares its buffer with the rest of the program) on the
/// blocking pool, the one [`spawn_blocking`](crate::spawn_blocking) uses.
///
/// Descriptor 0 is shared with the shell and other processes, so Mirage never makes it
/// non-blocking, as tokio does not: each read is a blocking `read` on a pool thread, of at
/// most as many bytes as asked (up to 2 MiB), and may return fewer. End of input reads as
/// `Ok(0)`.
///
/// **A read that waits holds a pool thread**: on a terminal, until a line is typed, and no
/// thread can be stopped from outside, so a read outlives the task that started it. Use it
/// on a Core whose pool may keep one thread busy for that long (below its limit of 512, no
/// other blocking work waits behind it). While the read waits, the Core's
/// [paused](crate::time::pause) clock does not jump, as for `spawn_blocking`. For an
/// interactive program, tokio's advice holds too: a thread of its own, reading with
/// `std::io::stdin()`, sending lines through a
/// [`cross_thread`](crate::sync::cross_thread) channel.
///
/// # Cancel safety
///
/// A read dropped while it waits (a losing `select!` branch, a `timeout`) is not lost:
/// the pool thread's read runs on, and the next read on this `Stdin` hands out its bytes
/// first. So reading in a `select!` loop, directly or through a [`BufReader`](super::BufReader)'s
/// `lines()`, loses nothing, as with tokio's `Stdin`. What the in-flight read gets is lost
/// only when this `Stdin` is dropped before a read takes it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::io::{AsyncReadExt, Stdin};
///
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let mut input: Stdin = mirage::io::stdin();
///     let mut buf = [0; 1024];
///     // Under `cargo test` the input is empty (`Ok(0)`); bounded in case it is a terminal.
///     match mirage::time::timeout(Duration::from_millis(100), input.read(&mut buf)).await {
///         Ok(read) => println!("read {} bytes", read?),
///         Err(_) => println!("nothing typed yet"),
///     }
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Stdin {
    /// For `as_fd`: std's handle, which borrows descriptor 0 for as long as it lives.
    std: io::Stdin,
    blocking: Blocking<fn() -> io::Stdin>,
}

impl AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().blocking.poll_read(cx, buf)
    }
}

/// Descriptor 0, to inspect (`isatty`, `fstat`) but not to change: see [`Stdin`].
///
/// # Examples
///
/// ```
/// use std::os::fd::AsRawFd;
/// assert_eq!(mirage::io::stdin().as_raw_fd(), 0);
/// ```
impl AsFd for Stdin {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

/// Descriptor 0, as [`AsFd`] gives it.
impl AsRawFd for Stdin {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl fmt::Debug for Stdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stdin")
            .field("fd", &self.as_raw_fd())
            .field("blocking", &self.blocking)
            .finish()
    }
}
