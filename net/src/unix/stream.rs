//! `UnixStream`.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::task::{Context, Poll};
use std::time::Duration;

use mirage_core::io::Direction;
use mirage_core::time::sleep;

use crate::UCred;
use crate::source::Source;
use crate::sys::{self, send_vectored, vectored_len};

/// The first wait after a listener's backlog was found full; it doubles up to
/// [`MAX_CONNECT_BACKOFF`].
const FIRST_CONNECT_BACKOFF: Duration = Duration::from_millis(1);
/// The longest wait between connection attempts while the listener's backlog is full.
const MAX_CONNECT_BACKOFF: Duration = Duration::from_millis(100);

/// A Unix-domain stream connection, shaped like [`std::os::unix::net::UnixStream`]: the
/// same method names, borrowed buffers, and timeouts set the std way.
///
/// I/O methods take `&self`, so one task can read while another writes the same stream
/// (share it with `Rc<UnixStream>`), as `impl Read for &UnixStream` allows in std.
///
/// With a read (write) timeout set, each read (write) that waits longer fails with
/// [`TimedOut`](io::ErrorKind::TimedOut) and the stream stays usable.
///
/// The socket registers with the Core that first waits on it; a task of another Core
/// waiting on it is woken when that Core next runs. Once that Core is dropped, the socket
/// moves to the next Core that waits on it.
///
/// Writing to a peer that closed the connection fails with
/// [`BrokenPipe`](io::ErrorKind::BrokenPipe); it never raises SIGPIPE. One case has no
/// event to wake on: a write waiting for room when the peer shuts down only its read half
/// (`shutdown(Read)`) waits until the peer reads or closes, or the write timeout fires
/// (Linux tells epoll nothing; a blocking write in std gets `BrokenPipe`). Set a write
/// timeout where a peer might do that.
///
/// # Examples
///
/// ```
/// use mirage::net::UnixStream;
///
/// let (a, b) = UnixStream::pair()?;
/// let mut core = mirage::Core::new()?;
/// core.run(async move {
///     a.write_all(b"hello").await?;
///     let mut buf = [0; 5];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hello");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixStream {
    pub(crate) io: Source<net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket named by `path`. A `path` that starts with a NUL byte
    /// (`"\0name"`) names a socket in Linux's abstract namespace, as in tokio (std refuses
    /// it): the same as [`connect_addr`](UnixStream::connect_addr) with
    /// `SocketAddr::from_abstract_name(b"name")`.
    ///
    /// Where std's blocking `connect` waits while the listener's backlog is full, this
    /// retries with a growing backoff (up to 100 ms) without blocking the Core.
    ///
    /// # Errors
    ///
    /// `NotFound` if nothing exists at `path`, `ConnectionRefused` if no one listens
    /// there, as std.
    ///
    /// Cancel-safe: dropping the future closes the half-open socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{UnixListener, UnixStream};
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-connect-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"ping").await?;
    ///     let mut buf = [0; 4];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let addr = super::path_addr(path.as_ref())?;
        UnixStream::connect_with(|| mio::net::UnixStream::connect_addr(&addr)).await
    }

    /// Connects to the socket at `addr`, which may be a Linux abstract-namespace address
    /// (no file), like [`std::os::unix::net::UnixStream::connect_addr`]. Otherwise as
    /// [`connect`](UnixStream::connect), errors and cancel-safety included.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use mirage::net::{UnixListener, UnixStream};
    ///
    /// let name = format!("mirage-doc-abstract-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let listener = UnixListener::bind_addr(&addr)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let client = UnixStream::connect_addr(&addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        UnixStream::connect_with(|| mio::net::UnixStream::connect_addr(addr)).await
    }

    /// Starts a connect with `start` (retried while the listener's backlog is full) and
    /// waits for it to complete.
    async fn connect_with(
        start: impl FnMut() -> io::Result<mio::net::UnixStream>,
    ) -> io::Result<UnixStream> {
        let stream = UnixStream::retry_while_backlog_full(start).await?;
        UnixStream::finish_connect(net::UnixStream::from(stream)).await
    }

    /// Runs `start`, a connect attempt, until the listener's backlog has room for it:
    /// while it fails with `WouldBlock`, waits and retries with a growing backoff, as a
    /// blocking connect would wait.
    pub(crate) async fn retry_while_backlog_full<T>(
        mut start: impl FnMut() -> io::Result<T>,
    ) -> io::Result<T> {
        let mut backoff = FIRST_CONNECT_BACKOFF;
        loop {
            match start() {
                Ok(started) => return Ok(started),
                // The listener's backlog is full, and no readiness event will say when it
                // has room again.
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_CONNECT_BACKOFF);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Waits until the connect under way on the non-blocking `stream` completes or fails.
    /// Cancel-safe: dropping the future closes the socket.
    pub(crate) async fn finish_connect(stream: net::UnixStream) -> io::Result<UnixStream> {
        let stream = UnixStream {
            io: Source::new(stream),
        };
        loop {
            if let Some(err) = stream.io.get_ref().take_error()? {
                return Err(err);
            }
            match stream.io.get_ref().peer_addr() {
                // Linux completes a Unix-domain connect at once: no wait in the usual case.
                Ok(_) => return Ok(stream),
                // A connect still in progress becomes writable when it completes or fails.
                Err(err) if err.kind() == io::ErrorKind::NotConnected => {
                    stream.io.clear_ready(Direction::Write);
                    stream.io.ready_before(Direction::Write, None).await?;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Creates a pair of connected streams (`socketpair`). Needs no running Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     b.write_all(b"pong").await?;
    ///     let mut buf = [0; 4];
    ///     a.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"pong");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((UnixStream::from_fresh(a)?, UnixStream::from_fresh(b)?))
    }

    /// Reads into `buf`, returning how many bytes were read; `Ok(0)` after the peer's
    /// orderly close, or at once for an empty `buf`.
    ///
    /// Cancel-safe: if the future is dropped before it completes, no data was read.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.write_all(b"hello").await?;
    ///     drop(a);
    ///     let mut buf = [0; 16];
    ///     let n = b.read(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     assert_eq!(b.read(&mut buf).await?, 0, "the peer closed");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        // A plain function returning the operation's future: an `async fn` would wrap it in
        // one more state machine on the hottest path.
        self.io.io_bytes(Direction::Read, buf.len(), move |stream| {
            sys::recv_stream(stream.as_raw_fd(), buf)
        })
    }

    /// Reads into several buffers with one system call. As with std, one call fills at
    /// most the first 1024 (`IOV_MAX`) buffers.
    ///
    /// Cancel-safe, as [`read`](UnixStream::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.write_all(b"headbody").await?;
    ///     let (mut head, mut body) = ([0; 4], [0; 4]);
    ///     let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    ///     assert_eq!(b.read_vectored(&mut bufs).await?, 8);
    ///     assert_eq!((&head, &body), (b"head", b"body"));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io
            .io_bytes(Direction::Read, vectored_len(bufs), |stream| {
                sys::recv_stream_vectored(stream.as_raw_fd(), bufs)
            })
            .await
    }

    /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the peer closes first.
    ///
    /// Not cancel-safe: dropping it may leave part of `buf` filled and those bytes consumed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.write_all(b"abcdef").await?;
    ///     drop(a);
    ///     let mut buf = [0; 4];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"abcd");
    ///     let err = b.read_exact(&mut buf).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.io
            .read_exact(buf, |stream, buf| sys::recv_stream(stream.as_raw_fd(), buf))
            .await
    }

    /// Reads into `buf` without consuming: the next read returns the same bytes. Waits as
    /// [`read`](UnixStream::read) does, honouring the read timeout; `Ok(0)` at once for an
    /// empty `buf`.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.write_all(b"hello").await?;
    ///     let mut buf = [0; 5];
    ///     let n = b.peek(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .peek(buf, |stream, buf| sys::peek(stream.as_raw_fd(), buf))
            .await
    }

    /// Writes from `buf`, returning how many bytes were written. An empty `buf` does not wait
    /// for room: as in std, it returns `Ok(0)` at once, or the error any write would get
    /// (`BrokenPipe` after a shutdown).
    ///
    /// Cancel-safe: if the future is dropped before it completes, nothing was written.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let n = a.write(b"hello").await?;
    ///     assert_eq!(n, 5);
    ///     let mut buf = [0; 5];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        self.io
            .io_bytes(Direction::Write, buf.len(), move |stream| send(stream, buf))
    }

    /// Writes from several buffers with one system call. As with std, one call sends at
    /// most the first 1024 (`IOV_MAX`) buffers. If those hold no bytes, the write returns at
    /// once, as [`write`](UnixStream::write) of an empty buffer does.
    ///
    /// Cancel-safe, as [`write`](UnixStream::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let n = a.write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")]).await?;
    ///     assert_eq!(n, 8);
    ///     let mut buf = [0; 8];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"headbody");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io
            .io_bytes(Direction::Write, vectored_len(bufs), |stream| {
                send_vectored(stream.as_raw_fd(), bufs)
            })
            .await
    }

    /// Writes all of `buf`.
    ///
    /// A write timeout bounds each wait for room, not the whole call. If the call fails (a
    /// timeout included), a prefix of `buf` may have been written, and the error does not
    /// say how much, as with std's `write_all`; where that matters, call
    /// [`write`](UnixStream::write) in a loop, which reports each step.
    ///
    /// Not cancel-safe: dropping it may leave a prefix of `buf` written.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     // Far more than the socket buffer holds: `write_all` waits for the reader to make room.
    ///     let data = vec![7; 1 << 20];
    ///     let reader = mirage::spawn(async move {
    ///         let mut buf = vec![0; 1 << 20];
    ///         b.read_exact(&mut buf).await.map(|()| buf)
    ///     });
    ///     a.write_all(&data).await?;
    ///     assert_eq!(reader.await.unwrap()?, data);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf, send).await
    }

    /// Waits until the stream is readable (data, end of stream, or an error).
    ///
    /// With a read timeout set, fails with [`TimedOut`](io::ErrorKind::TimedOut) after
    /// waiting that long, as a read would.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::time::Duration;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// b.set_read_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(b.readable().await.unwrap_err().kind(), ErrorKind::TimedOut);
    ///     a.write_all(b"x").await?;
    ///     b.readable().await?;
    ///     assert_eq!(b.read(&mut [0; 16]).await?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready(Direction::Read).await
    }

    /// Waits until the stream is writable.
    ///
    /// With a write timeout set, fails with [`TimedOut`](io::ErrorKind::TimedOut) after
    /// waiting that long, as a write would.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::time::Duration;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// a.set_write_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.writable().await?;
    ///     // Fill the socket buffer, which no one reads, until a write times out.
    ///     a.write_all(&vec![0; 8 << 20]).await.unwrap_err();
    ///     assert_eq!(a.writable().await.unwrap_err().kind(), ErrorKind::TimedOut);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await
    }

    /// Reads what the socket holds into `buf` without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if nothing is queued. Otherwise as
    /// [`read`](UnixStream::read): `Ok(0)` at the end of the stream or for an empty `buf`.
    ///
    /// Pair it with [`readable`](UnixStream::readable), which can report a readiness that a
    /// read then finds gone, so loop on `WouldBlock`. For code that must not hold a buffer
    /// while it waits, or that reads from a `poll` function or a `Drop`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut buf = [0; 16];
    ///     let err = b.try_read(&mut buf).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock, "nothing sent yet");
    ///     a.write_all(b"ping").await?;
    ///     let n = loop {
    ///         b.readable().await?;
    ///         match b.try_read(&mut buf) {
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io_bytes(Direction::Read, buf.len(), |stream| {
            sys::recv_stream(stream.as_raw_fd(), buf)
        })
    }

    /// [`read_vectored`](UnixStream::read_vectored) without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if nothing is queued, as
    /// [`try_read`](UnixStream::try_read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, IoSliceMut};
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.write_all(b"headbody").await?;
    ///     let (mut head, mut body) = ([0; 4], [0; 4]);
    ///     let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    ///     let n = loop {
    ///         b.readable().await?;
    ///         match b.try_read_vectored(&mut bufs) {
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(n, 8);
    ///     assert_eq!((&head, &body), (b"head", b"body"));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io
            .try_io_bytes(Direction::Read, vectored_len(bufs), |stream| {
                sys::recv_stream_vectored(stream.as_raw_fd(), bufs)
            })
    }

    /// Writes as much of `buf` as the socket takes now, without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if its send buffer is full. Otherwise as
    /// [`write`](UnixStream::write).
    ///
    /// Pair it with [`writable`](UnixStream::writable), and loop on `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// // Fill the socket's buffer: the peer reads nothing.
    /// let chunk = [7; 64 * 1024];
    /// let full = loop {
    ///     match a.try_write(&chunk) {
    ///         Ok(_) => continue,
    ///         Err(err) => break err,
    ///     }
    /// };
    /// assert_eq!(full.kind(), ErrorKind::WouldBlock, "never waits, even outside a Core");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io_bytes(Direction::Write, buf.len(), |stream| send(stream, buf))
    }

    /// [`write_vectored`](UnixStream::write_vectored) without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if the send buffer is full, as
    /// [`try_write`](UnixStream::try_write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.writable().await?;
    ///     let bufs = [IoSlice::new(b"hello, "), IoSlice::new(b"world")];
    ///     assert_eq!(a.try_write_vectored(&bufs)?, 12);
    ///     let mut buf = [0; 12];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello, world");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io
            .try_io_bytes(Direction::Write, vectored_len(bufs), |stream| {
                send_vectored(stream.as_raw_fd(), bufs)
            })
    }

    /// Shuts down the read, write, or both halves, as
    /// [`std::os::unix::net::UnixStream::shutdown`].
    ///
    /// Writes waiting for room when the write half shuts down fail at once with
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe), as blocking writes in other threads do in
    /// std.
    ///
    /// Being std's, this method comes before tokio's `AsyncWriteExt::shutdown`: tokio's
    /// `stream.shutdown().await` is `stream.shutdown(Shutdown::Write)` here, or
    /// [`AsyncWriteExt::shutdown(&mut stream).await`](mirage_core::io::AsyncWriteExt::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::net::Shutdown;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// a.shutdown(Shutdown::Write)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(a.write(b"x").await.unwrap_err().kind(), ErrorKind::BrokenPipe);
    ///     assert_eq!(b.read(&mut [0; 16]).await?, 0, "b sees the end of the stream");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how, |stream, how| stream.shutdown(how))
    }

    /// Sets the read timeout: each later read (or peek) that waits longer fails with
    /// `TimedOut`.
    /// `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// a.set_read_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut buf = [0; 16];
    ///     let err = a.read(&mut buf).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.io.set_timeout(Direction::Read, timeout)
    }

    /// Sets the write timeout: each later write that waits longer fails with `TimedOut`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::time::Duration;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// a.set_write_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     // Far more than the socket buffer holds, and no one reads it.
    ///     let err = a.write_all(&vec![0; 8 << 20]).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.io.set_timeout(Direction::Write, timeout)
    }

    /// The read timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// assert_eq!(a.read_timeout()?, None);
    /// a.set_read_timeout(Some(Duration::from_secs(1)))?;
    /// assert_eq!(a.read_timeout()?, Some(Duration::from_secs(1)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.io.timeout(Direction::Read))
    }

    /// The write timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// assert_eq!(a.write_timeout()?, None);
    /// a.set_write_timeout(Some(Duration::from_secs(1)))?;
    /// assert_eq!(a.write_timeout()?, Some(Duration::from_secs(1)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.io.timeout(Direction::Write))
    }

    /// The credentials of the process at the other end: its user, group and process ids
    /// when it connected, for a server that checks who its clients are.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{UnixListener, UnixStream};
    ///
    /// let name = format!("mirage-doc-peer-cred-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     let cred = server.peer_cred()?;
    ///     assert_eq!(cred.pid(), Some(std::process::id() as i32), "the client is us");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_cred(&self) -> io::Result<UCred> {
        let cred = sys::peer_cred(self.io.get_ref().as_fd())?;
        Ok(UCred::from_libc(cred))
    }

    /// The address of the remote end (unnamed for a client or a `pair` stream).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{UnixListener, UnixStream};
    ///
    /// let name = format!("mirage-doc-peer-addr-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let _listener = UnixListener::bind(&path)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let client = UnixStream::connect(&path).await?;
    ///     assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The address of the local end (unnamed for a client or a `pair` stream).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{UnixListener, UnixStream};
    ///
    /// let name = format!("mirage-doc-local-addr-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(server.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     assert!(client.local_addr()?.is_unnamed());
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(a.write_all(b"never read"))?;
    /// drop(b); // closing with unread data resets the connection
    /// assert_eq!(a.take_error()?.unwrap().kind(), ErrorKind::ConnectionReset);
    /// assert!(a.take_error()?.is_none(), "taken");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Wraps a connected std stream, putting it in non-blocking mode; the read and write
    /// timeouts std set on it become this one's. Needs no running Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = UnixStream::from_std(a)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(a.write_all(b"hi"))?;
    /// let mut buf = [0; 2];
    /// b.read_exact(&mut buf)?; // std's blocking read
    /// assert_eq!(&buf, b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(stream: net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: Source::with_std_timeouts(stream)?,
        })
    }

    /// Wraps a stream Mirage itself just made (accepted, or one of a pair), as
    /// [`from_std`](UnixStream::from_std) without reading its timeouts: the two system calls per
    /// stream would find none, as nothing set any on it (nor on the listener it came from:
    /// Mirage and std set none on a listener).
    pub(crate) fn from_fresh(stream: net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: Source::new(stream),
        })
    }

    /// Deregisters the stream and returns it as a std stream, in blocking mode, with this
    /// stream's read and write timeouts.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut a = a.into_std()?;
    /// a.write_all(b"hi")?; // std's blocking write
    /// let mut buf = [0; 2];
    /// let mut core = mirage::Core::new()?;
    /// core.run(b.read_exact(&mut buf))?;
    /// assert_eq!(&buf, b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixStream> {
        let stream = self.io.into_inner_with_std_timeouts()?;
        stream.set_nonblocking(false)?;
        Ok(stream)
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io_bytes(cx, Direction::Read, buf.len(), |stream| {
                sys::recv_stream(stream.as_raw_fd(), buf)
            })
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io_bytes(cx, Direction::Write, buf.len(), |stream| send(stream, buf))
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io_bytes(cx, Direction::Write, vectored_len(bufs), |stream| {
                send_vectored(stream.as_raw_fd(), bufs)
            })
    }
}

/// Writes `buf` with `MSG_NOSIGNAL`, so a closed peer gives `BrokenPipe`, never SIGPIPE.
/// (std's `UnixStream::write` does so today, but does not promise it.)
fn send(stream: &net::UnixStream, buf: &[u8]) -> io::Result<usize> {
    sys::send(stream.as_raw_fd(), buf)
}

crate::byte_stream::impl_byte_stream!(UnixStream);

crate::fd::impl_fd_traits!(UnixStream);
crate::fd::impl_try_from_std!(UnixStream, net::UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
