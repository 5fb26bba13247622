//! `Sender`: the writing end of a pipe.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use mirage_core::io::{Direction, Interest, Ready};

use super::End;
use crate::sys::{self, vectored_len};

/// The writing end of a pipe, as tokio's `net::unix::pipe::Sender`: made by
/// [`pipe`](super::pipe), [`OpenOptions::open_sender`](super::OpenOptions::open_sender)
/// for a FIFO, or from a pipe descriptor.
///
/// Write with `AsyncWriteExt` (`write`, `write_all`, ...), or with
/// [`writable`](Sender::writable) and [`try_write`](Sender::try_write). Its I/O takes
/// `&self`, so `AsyncWrite` is implemented for `&Sender` too. It registers with the Core
/// that first polls it.
///
/// Dropping the last sender (every process's) ends the stream: the receiver reads `Ok(0)`
/// once it has read what was written. `AsyncWriteExt::close` does not, as in tokio, where
/// `shutdown` does nothing for a pipe: a pipe end has no half to shut, only a descriptor
/// to close.
///
/// Once no process reads the pipe any more, a write fails with
/// [`BrokenPipe`](io::ErrorKind::BrokenPipe); see [the module docs](super) on `SIGPIPE`.
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
///     let writer = mirage::spawn(async move { tx.write_all(&[7; 1 << 20]).await });
///     let mut got = Vec::new();
///     rx.read_to_end(&mut got).await?;
///     assert_eq!(got.len(), 1 << 20, "more than the pipe holds, read as it is written");
///     writer.await.unwrap()
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct Sender {
    pub(super) end: End,
}

impl Sender {
    /// Takes over `file`, the write end of a pipe or a FIFO opened for writing, and makes
    /// it non-blocking. Needs no running Core.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if `file` is not a pipe or FIFO, or
    /// was not opened for writing; the file is closed then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::File;
    /// use mirage::net::unix::pipe::Sender;
    ///
    /// let (_reader, writer) = std::io::pipe()?;
    /// let tx = Sender::from_file(File::from(std::os::fd::OwnedFd::from(writer)))?;
    ///
    /// let err = Sender::from_file(File::open("/dev/null")?).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "not a pipe");
    /// # drop(tx);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_file(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd(OwnedFd::from(file))
    }

    /// Takes over `fd`, as [`from_file`](Sender::from_file) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use mirage::io::AsyncWriteExt;
    /// use mirage::net::unix::pipe::Sender;
    ///
    /// let (mut reader, writer) = std::io::pipe()?;
    /// let mut tx = Sender::from_owned_fd(writer.into())?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(tx.write_all(b"hi"))?;
    /// let mut buf = [0; 2];
    /// reader.read_exact(&mut buf)?; // std's blocking read
    /// assert_eq!(&buf, b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<Sender> {
        let end = End::checked(fd, sys::can_write, "not opened for writing")?;
        Ok(Sender { end })
    }

    /// Takes over `file` without checking that it is a pipe opened for writing, as
    /// tokio's `from_file_unchecked`; writing to something else fails or misbehaves as
    /// that thing does. Unlike tokio's, it does make the descriptor non-blocking, so that
    /// a write can never block the Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::File;
    /// use mirage::net::unix::pipe::Sender;
    ///
    /// let (_reader, writer) = std::io::pipe()?;
    /// let tx = Sender::from_file_unchecked(File::from(std::os::fd::OwnedFd::from(writer)))?;
    /// assert_eq!(tx.try_write(b"x")?, 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_file_unchecked(file: File) -> io::Result<Sender> {
        Sender::from_owned_fd_unchecked(OwnedFd::from(file))
    }

    /// Takes over `fd` without checks, as
    /// [`from_file_unchecked`](Sender::from_file_unchecked) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::unix::pipe::Sender;
    ///
    /// let (_reader, writer) = std::io::pipe()?;
    /// let tx = Sender::from_owned_fd_unchecked(writer.into())?;
    /// assert_eq!(tx.try_write(b"x")?, 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<Sender> {
        Ok(Sender {
            end: End::unchecked(fd)?,
        })
    }

    /// Waits until the pipe is ready in at least one of `interest`'s directions, and
    /// returns every asked state that is ready, as tokio's `Sender::ready`. A sender is
    /// only ever writable, or write-closed once no process reads the pipe (a write then
    /// fails with `BrokenPipe`): ask for [`Interest::WRITABLE`]. As the sockets' `ready`,
    /// it asks the kernel, so the state it reports is present when it returns.
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
    ///     let ready = tx.ready(Interest::WRITABLE).await?;
    ///     assert!(ready.is_writable() && !ready.is_write_closed());
    ///     drop(rx);
    ///     assert!(tx.ready(Interest::WRITABLE).await?.is_write_closed());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        let mut ready = self.end.io.ready_interest(interest).await?;
        // The kernel reports a pipe's lost readers as an error on its write end.
        if ready.is_writable() && sys::pipe_readers_gone(self.as_raw_fd())? {
            ready |= Ready::WRITE_CLOSED;
        }
        Ok(ready)
    }

    /// Waits until the pipe has room for a write, or no process reads it any more (a
    /// write then fails at once). Pair it with [`try_write`](Sender::try_write), and wait
    /// again on [`WouldBlock`](io::ErrorKind::WouldBlock).
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, _rx) = pipe::pipe()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut message: &[u8] = b"hello";
    ///     while !message.is_empty() {
    ///         tx.writable().await?;
    ///         match tx.try_write(message) {
    ///             Ok(n) => message = &message[n..],
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             Err(err) => return Err(err),
    ///         }
    ///     }
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.end.io.ready(Direction::Write).await
    }

    /// Polls until the pipe is writable, as [`writable`](Sender::writable) waits, for a
    /// `Future` written by hand. Only the task of the most recent poll-level write call
    /// is woken (see [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, _rx) = pipe::pipe()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     poll_fn(|cx| tx.poll_write_ready(cx)).await?;
    ///     assert_eq!(tx.try_write(b"x")?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.end.io.poll_ready(cx, Direction::Write)
    }

    /// Writes as much of `buf` as the pipe takes now, without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if it is full. Writes of up to
    /// `PIPE_BUF` (4096) bytes are atomic: all of `buf` or nothing. An empty `buf` returns
    /// `Ok(0)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, _rx) = pipe::pipe()?;
    /// // Fill the pipe: no one reads it.
    /// let full = loop {
    ///     match tx.try_write(&[7; 4096]) {
    ///         Ok(_) => continue,
    ///         Err(err) => break err,
    ///     }
    /// };
    /// assert_eq!(full.kind(), ErrorKind::WouldBlock, "never waits, even outside a Core");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let end = &self.end;
        end.io.try_io_bytes(Direction::Write, buf.len(), |file| {
            end.write_transfer((&*file).write(buf))
        })
    }

    /// [`try_write`](Sender::try_write) from several buffers with one system call
    /// (`writev`; at most the first 1024 of them, as with std).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// let bufs = [IoSlice::new(b"hello, "), IoSlice::new(b"world")];
    /// assert_eq!(tx.try_write_vectored(&bufs)?, 12);
    /// let mut buf = [0; 12];
    /// assert_eq!(rx.try_read(&mut buf)?, 12);
    /// assert_eq!(&buf, b"hello, world");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let end = &self.end;
        end.io
            .try_io_bytes(Direction::Write, vectored_len(bufs), |file| {
                end.write_transfer((&*file).write_vectored(bufs))
            })
    }

    /// Runs `f`, a non-blocking write of your own to the pipe's descriptor, once, as
    /// tokio's `Sender::try_io`. If `f` returns [`WouldBlock`](io::ErrorKind::WouldBlock),
    /// the pipe's write readiness is forgotten, so the next wait waits for room. Never
    /// waits. As tokio's, it takes no `Interest`: a sender only writes.
    ///
    /// `f` must make its system call on this pipe; a `WouldBlock` from anything else would
    /// make the next write wait for an edge that may never come.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::fd::AsFd;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, rx) = pipe::pipe()?;
    /// // The same pipe, through std: a duplicate of its (non-blocking) descriptor.
    /// let raw = std::fs::File::from(tx.as_fd().try_clone_to_owned()?);
    /// assert_eq!(tx.try_io(|| (&raw).write(b"hi"))?, 2);
    /// let mut buf = [0; 2];
    /// assert_eq!(rx.try_read(&mut buf)?, 2);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.end.io.try_io_interest(Interest::WRITABLE, f)
    }

    /// Deregisters the sender and returns its descriptor in blocking mode, for code that
    /// writes to it without the Core (a thread, another library, a child's stdout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use mirage::io::AsyncReadExt;
    /// use mirage::net::unix::pipe;
    ///
    /// let (tx, mut rx) = pipe::pipe()?;
    /// let mut writer = std::fs::File::from(tx.into_blocking_fd()?);
    /// writer.write_all(b"from std")?;
    /// drop(writer);
    /// let mut core = mirage::Core::new()?;
    /// let mut got = Vec::new();
    /// core.run(rx.read_to_end(&mut got))?;
    /// assert_eq!(got, b"from std");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        self.end.into_fd(false)
    }

    /// Deregisters the sender and returns its descriptor, still non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::unix::pipe::{self, Sender};
    ///
    /// let (tx, _rx) = pipe::pipe()?;
    /// let fd = tx.into_nonblocking_fd()?;
    /// let tx = Sender::from_owned_fd(fd)?; // back on a Core
    /// # drop(tx);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
        self.end.into_fd(true)
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let end = &self.end;
        end.io
            .poll_io_bytes(cx, Direction::Write, buf.len(), |file| {
                end.write_transfer((&*file).write(buf))
            })
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let end = &self.end;
        end.io
            .poll_io_bytes(cx, Direction::Write, vectored_len(bufs), |file| {
                end.write_transfer((&*file).write_vectored(bufs))
            })
    }
}

/// Implements `AsyncWrite` for `$ty` (`Sender` and `&Sender`).
macro_rules! impl_async_write {
    ($ty:ty) => {
        /// Poll-level writes; only the last task to poll is woken. `poll_flush` and
        /// `poll_close` complete at once and do nothing: a pipe has nothing to flush, and
        /// only dropping the sender closes it.
        impl mirage_core::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn start_write(self: std::pin::Pin<&mut Self>) {
                self.end.io.start_poll_op(Direction::Write)
            }
        }
    };
}

impl_async_write!(Sender);
impl_async_write!(&Sender);

/// The pipe's descriptor. Mirage keeps it non-blocking and registered with a Core: I/O on
/// it by other means should not block on it or change that.
impl AsRawFd for Sender {
    fn as_raw_fd(&self) -> RawFd {
        self.end.io.get_ref().as_raw_fd()
    }
}

/// The pipe's descriptor, borrowed for as long as the sender; see `AsRawFd`.
impl AsFd for Sender {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.end.io.get_ref().as_fd()
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sender")
            .field(self.end.io.get_ref())
            .finish()
    }
}
