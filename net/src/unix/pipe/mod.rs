//! Unix pipes and FIFOs driven by the Core, as tokio's `net::unix::pipe`: [`pipe`] makes an
//! anonymous one, [`OpenOptions`] opens a named one (a FIFO made with `mkfifo`), and a
//! [`Sender`] writes to it while a [`Receiver`] reads.
//!
//! Both ends are non-blocking and register with the Core that first polls them, as the
//! sockets do: creating or opening one needs no running Core. Their I/O takes `&self`, and
//! they implement [`AsyncRead`](mirage_core::io::AsyncRead) and
//! [`AsyncWrite`](mirage_core::io::AsyncWrite) (also through a shared reference), so the
//! `read`, `read_exact`, `write_all`, ... of `AsyncReadExt` and `AsyncWriteExt` work on
//! them.
//!
//! A [`Receiver`] reads end of file (`Ok(0)`) once every sender has closed the pipe. A
//! write to a pipe that no process reads any more fails with
//! [`BrokenPipe`](std::io::ErrorKind::BrokenPipe) as long as `SIGPIPE` is ignored, as it
//! is in every Rust program unless changed: a pipe has no `MSG_NOSIGNAL` as a socket
//! has, so where `SIGPIPE` has its default action, that write kills the process (as with
//! std's and tokio's pipes).
//!
//! # Examples
//!
//! ```
//! use mirage::io::{AsyncReadExt, AsyncWriteExt};
//! use mirage::net::unix::pipe;
//!
//! let (mut tx, mut rx) = pipe::pipe()?;
//! let mut core = mirage::Core::new()?;
//! core.run(async move {
//!     tx.write_all(b"hello").await?;
//!     drop(tx); // the only sender: the receiver reads end of file after the bytes
//!     let mut got = Vec::new();
//!     rx.read_to_end(&mut got).await?;
//!     assert_eq!(got, b"hello");
//!     std::io::Result::Ok(())
//! })?;
//! # std::io::Result::Ok(())
//! ```

mod open_options;
mod receiver;
mod sender;

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use libc::c_int;

use crate::source::{Source, Transfer};
use crate::sys;

pub use open_options::OpenOptions;
pub use receiver::Receiver;
pub use sender::Sender;

/// Creates an anonymous pipe (`pipe2`), non-blocking and close-on-exec: what the
/// [`Sender`] writes, the [`Receiver`] reads. Needs no running Core.
///
/// # Examples
///
/// ```
/// use mirage::net::unix::pipe;
///
/// let (tx, rx) = pipe::pipe()?;
/// let mut core = mirage::Core::new()?;
/// core.run(async move {
///     tx.writable().await?;
///     assert_eq!(tx.try_write(b"ping")?, 4);
///     rx.readable().await?;
///     let mut buf = [0; 8];
///     let n = rx.try_read(&mut buf)?;
///     assert_eq!(&buf[..n], b"ping");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let (read, write) = sys::new_pipe()?;
    let sender = Sender {
        end: End::pipe(File::from(write)),
    };
    let receiver = Receiver {
        end: End::pipe(File::from(read)),
    };
    Ok((sender, receiver))
}

/// One end of a pipe, the inside of a [`Sender`] or a [`Receiver`].
struct End {
    io: Source<File>,
    /// Whether the descriptor is known to be a pipe or FIFO. Then a write shorter than its
    /// buffer shows the pipe full, so the next write waits for an edge instead of making
    /// a system call that would fail. Not for a descriptor taken unchecked, which may be
    /// anything.
    ///
    /// A short read shows nothing, for any pipe: a writer in packet mode (`O_DIRECT`,
    /// which it can turn on at any time with `fcntl`, unseen by the reader) makes each
    /// read return one packet of several queued.
    is_pipe: bool,
}

impl End {
    /// An end known to be a pipe or FIFO, and non-blocking.
    fn pipe(file: File) -> End {
        End {
            io: Source::new(file),
            is_pipe: true,
        }
    }

    /// Checks that `fd` is a pipe or FIFO whose access mode passes `access` (else
    /// `InvalidInput`, with `mode_error`), and makes it non-blocking.
    fn checked(fd: OwnedFd, access: fn(c_int) -> bool, mode_error: &str) -> io::Result<End> {
        if !sys::is_fifo(fd.as_fd())? {
            return Err(not_a_pipe());
        }
        let flags = sys::status_flags(fd.as_fd())?;
        if !access(flags) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, mode_error));
        }
        sys::set_nonblocking(fd.as_fd(), flags, true)?;
        Ok(End::pipe(File::from(fd)))
    }

    /// Takes `fd` without checking what it is; makes it non-blocking all the same.
    fn unchecked(fd: OwnedFd) -> io::Result<End> {
        sys::make_nonblocking(fd.as_fd())?;
        Ok(End {
            io: Source::new(File::from(fd)),
            is_pipe: false,
        })
    }

    /// A read's `result`, as the [`Transfer`] that tells the source a short one shows
    /// nothing (see [`is_pipe`](End::is_pipe)).
    fn read_transfer(result: io::Result<usize>) -> io::Result<PipeTransfer> {
        result.map(|len| PipeTransfer {
            len,
            short_shows_drained: false,
        })
    }

    /// A write's `result`, as the [`Transfer`] that tells the source whether a short one
    /// shows the pipe full.
    fn write_transfer(&self, result: io::Result<usize>) -> io::Result<PipeTransfer> {
        let short_shows_drained = self.is_pipe;
        result.map(|len| PipeTransfer {
            len,
            short_shows_drained,
        })
    }

    /// Deregisters the end and returns its descriptor, in blocking mode or not.
    fn into_fd(self, nonblocking: bool) -> io::Result<OwnedFd> {
        let fd = OwnedFd::from(self.io.into_inner());
        let flags = sys::status_flags(fd.as_fd())?;
        sys::set_nonblocking(fd.as_fd(), flags, nonblocking)?;
        Ok(fd)
    }
}

/// What one read or write of a pipe moved, and whether moving less than asked shows the
/// pipe drained (empty, or full).
struct PipeTransfer {
    len: usize,
    short_shows_drained: bool,
}

impl Transfer for PipeTransfer {
    fn bytes(&self) -> usize {
        self.len
    }

    fn shows_drained(&self, len: usize) -> bool {
        self.short_shows_drained && crate::source::short(self.len, len)
    }
}

/// The error of a descriptor or path that is not a pipe or FIFO.
fn not_a_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a pipe or FIFO")
}
