//! `Receiver`: the reading end of a pipe.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSliceMut, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use mirage_core::io::{Direction, Interest, Ready};

use super::End;
use crate::sys::{self, vectored_len};

/// The reading end of a pipe, as tokio's `net::unix::pipe::Receiver`: made by
/// [`pipe`](super::pipe),
/// [`OpenOptions::open_receiver`](super::OpenOptions::open_receiver) for a FIFO, or from
/// a pipe descriptor.
///
/// Read with `AsyncReadExt` (`read`, `read_exact`, `read_to_end`, ...), or with
/// [`readable`](Receiver::readable) and [`try_read`](Receiver::try_read). Where tokio's
/// `AsyncRead` fills a `ReadBuf`, Mirage's reads into a plain `&mut [u8]`. Its I/O takes
/// `&self`, so `AsyncRead` is implemented for `&Receiver` too. It registers with the Core
/// that first polls it.
///
/// A read returns `Ok(0)` (end of file) whenever no process has the pipe open for
/// writing: once the last sender is gone, but also, for a FIFO, before the first one
/// opened it. A FIFO opened with [`OpenOptions::read_write`](super::OpenOptions::read_write)
/// holds a write end itself, so it never reads end of file, and its readers wait through
/// writers coming and going.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncReadExt, AsyncWriteExt};
/// use mirage::net::unix::pipe;
///
/// let (mut tx, mut rx) = pipe::pipe()?;
/// let mut core = mirage::Core::new()?;
/// core.run(async move {
///     mirage::spawn(async move { tx.write_all(b"one two").await });
///     let mut word = [0; 3];
///     rx.read_exact(&mut word).await?;
///     assert_eq!(&word, b"one");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Receiver {
    pub(super) end: End,
}

impl Receiver {
    /// Takes over `file`, the read end of a pipe or a FIFO opened for reading, and makes
    /// it non-blocking. Needs no running Core.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if `file` is not a pipe or FIFO, or
    /// was not opened for reading; the file is closed then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::File;
    /// use mirage::net::unix::pipe::Receiver;
    ///
    /// let (reader, _writer) = std::io::pipe()?;
    /// let rx = Receiver::from_file(File::from(std::os::fd::OwnedFd::from(reader)))?;
    ///
    /// let err = Receiver::from_file(File::open("/dev/null")?).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "not a pipe");
    /// # drop(rx);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_file(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd(OwnedFd::from(file))
    }

    /// Takes over `fd`, as [`from_file`](Receiver::from_file) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use mirage::io::AsyncReadExt;
    /// use mirage::net::unix::pipe::Receiver;
    ///
    /// let (reader, mut writer) = std::io::pipe()?;
    /// let mut rx = Receiver::from_owned_fd(reader.into())?;
    /// writer.write_all(b"hi")?;
    /// drop(writer);
    /// let mut core = mirage::Core::new()?;
    /// let mut got = Vec::new();
    /// core.run(rx.read_to_end(&mut got))?;
    /// assert_eq!(got, b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Receiver> {
        let end = End::checked(fd, sys::can_read, "not opened for reading")?;
        Ok(Receiver { end })
    }

    /// Takes over `file` without checking that it is a pipe opened for reading, as
    /// tokio's `from_file_unchecked`; reading something else fails or misbehaves as that
    /// thing does. Unlike tokio's, it does make the descriptor non-blocking, so that a
    /// read can never block the Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::File;
    /// use mirage::net::unix::pipe::Receiver;
    ///
    /// let (reader, _writer) = std::io::pipe()?;
    /// let rx = Receiver::from_file_unchecked(File::from(std::os::fd::OwnedFd::from(reader)))?;
    /// let err = rx.try_read(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "made non-blocking");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_file_unchecked(file: File) -> io::Result<Receiver> {
        Receiver::from_owned_fd_unchecked(OwnedFd::from(file))
    }

    /// Takes over `fd` without checks, as
    /// [`from_file_unchecked`](Receiver::from_file_unchecked) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::unix::pipe::Receiver;
    ///
    /// let (reader, _writer) = std::io::pipe()?;
    /// let rx = Receiver::from_owned_fd_unchecked(reader.into())?;
    /// # drop(rx);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<Receiver> {
        Ok(Receiver {
            end: End::unchecked(fd)?,
        })
    }

    /// Waits until the pipe is ready in at least one of `interest`'s directions, and
    /// returns every asked state that is ready, as tokio's `Receiver::ready`. A receiver
    /// is readable (bytes queued) or read-closed (no writer: a read returns `Ok(0)`):
    /// ask for [`Interest::READABLE`]. As the sockets' `ready`, it asks the kernel, so the
    /// state it reports is present when it returns.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     tx.try_write(b"x")?;
    ///     assert!(rx.ready(Interest::READABLE).await?.is_readable());
    ///     drop(tx);
    ///     assert!(rx.ready(Interest::READABLE).await?.is_read_closed());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.end.io.ready_interest(interest).await
    }

    /// Waits until the pipe has bytes to read, or no writer (a read then returns `Ok(0)`).
    /// Pair it with [`try_read`](Receiver::try_read), and wait again on
    /// [`WouldBlock`](io::ErrorKind::WouldBlock).
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     mirage::spawn(async move { tx.writable().await.and_then(|()| tx.try_write(b"ping")) });
    ///     let mut buf = [0; 16];
    ///     let n = loop {
    ///         rx.readable().await?;
    ///         match rx.try_read(&mut buf) {
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.end.io.ready(Direction::Read).await
    }

    /// Polls until the pipe is readable, as [`readable`](Receiver::readable) waits, for a
    /// `Future` written by hand. Only the task of the most recent poll-level read call is
    /// woken (see [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     tx.try_write(b"x")?;
    ///     poll_fn(|cx| rx.poll_read_ready(cx)).await?;
    ///     assert_eq!(rx.try_read(&mut [0; 4])?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.end.io.poll_ready(cx, Direction::Read)
    }

    /// Reads what the pipe holds into `buf` now, without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if it is empty while a writer has it
    /// open; `Ok(0)` if no one does (end of file), or at once for an empty `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// let mut buf = [0; 8];
    /// assert_eq!(rx.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// tx.try_write(b"abc")?;
    /// assert_eq!(rx.try_read(&mut buf)?, 3);
    /// drop(tx);
    /// assert_eq!(rx.try_read(&mut buf)?, 0, "end of file");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let end = &self.end;
        end.io.try_io_bytes(Direction::Read, buf.len(), |file| {
            End::read_transfer((&*file).read(buf))
        })
    }

    /// [`try_read`](Receiver::try_read) into several buffers with one system call
    /// (`readv`; at most the first 1024 of them, as with std).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// tx.try_write(b"headbody")?;
    /// let (mut head, mut body) = ([0; 4], [0; 4]);
    /// let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    /// assert_eq!(rx.try_read_vectored(&mut bufs)?, 8);
    /// assert_eq!((&head, &body), (b"head", b"body"));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let end = &self.end;
        end.io
            .try_io_bytes(Direction::Read, vectored_len(bufs), |file| {
                End::read_transfer((&*file).read_vectored(bufs))
            })
    }

    /// Runs `f`, a non-blocking read of your own from the pipe's descriptor, once, as
    /// tokio's `Receiver::try_io`. If `f` returns [`WouldBlock`](io::ErrorKind::WouldBlock),
    /// the pipe's read readiness is forgotten, so the next wait waits for new bytes. Never
    /// waits. As tokio's, it takes no `Interest`: a receiver only reads.
    ///
    /// `f` must make its system call on this pipe; a `WouldBlock` from anything else would
    /// make the next read wait for an edge that may never come.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use std::os::fd::AsFd;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// // The same pipe, through std: a duplicate of its (non-blocking) descriptor.
    /// let raw = std::fs::File::from(rx.as_fd().try_clone_to_owned()?);
    /// let mut buf = [0; 8];
    /// let err = rx.try_io(|| (&raw).read(&mut buf)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// tx.try_write(b"hi")?;
    /// assert_eq!(rx.try_io(|| (&raw).read(&mut buf))?, 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.end.io.try_io_interest(Interest::READABLE, f)
    }

    /// Deregisters the receiver and returns its descriptor in blocking mode, for code that
    /// reads it without the Core (a thread, another library, a child's stdin).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// let mut reader = std::fs::File::from(rx.into_blocking_fd()?);
    /// tx.try_write(b"hi")?;
    /// drop(tx);
    /// let mut got = String::new();
    /// reader.read_to_string(&mut got)?; // std's blocking read
    /// assert_eq!(got, "hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        self.end.into_fd(false)
    }

    /// Deregisters the receiver and returns its descriptor, still non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::unix::pipe::{self, Receiver};
    ///
    /// let (_tx, rx) = pipe::pipe()?;
    /// let fd = rx.into_nonblocking_fd()?;
    /// let rx = Receiver::from_owned_fd(fd)?; // back on a Core
    /// # drop(rx);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        self.end.into_fd(true)
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let end = &self.end;
        end.io
            .poll_io_bytes(cx, Direction::Read, buf.len(), |file| {
                End::read_transfer((&*file).read(buf))
            })
    }
}

/// Implements `AsyncRead` for `$ty` (`Receiver` and `&Receiver`).
macro_rules! impl_async_read {
    ($ty:ty) => {
        /// Poll-level reads, into a plain `&mut [u8]`; only the last task to poll is woken.
        impl mirage_core::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_read_priv(cx, buf)
            }

            fn start_read(self: std::pin::Pin<&mut Self>) {
                self.end.io.start_poll_op(Direction::Read)
            }
        }
    };
}

impl_async_read!(Receiver);
impl_async_read!(&Receiver);

/// The pipe's descriptor. Mirage keeps it non-blocking and registered with a Core: I/O on
/// it by other means should not block on it or change that.
impl AsRawFd for Receiver {
    fn as_raw_fd(&self) -> RawFd {
        self.end.io.get_ref().as_raw_fd()
    }
}

/// The pipe's descriptor, borrowed for as long as the receiver; see `AsRawFd`.
impl AsFd for Receiver {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.end.io.get_ref().as_fd()
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Receiver")
            .field(self.end.io.get_ref())
            .finish()
    }
}
