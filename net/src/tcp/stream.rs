//! `TcpStream`.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{self, Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::task::{Context, Poll};
use std::time::Duration;

use mirage_core::io::Direction;
use mirage_core::time::sleep;

use crate::addr::{ToSocketAddrs, each_addr};
use crate::source::Source;
use crate::sys::{ReadHints, recv_tcp, recv_tcp_vectored, send, send_vectored, vectored_len};

/// A TCP connection, shaped like [`std::net::TcpStream`]: the same method names, borrowed
/// buffers, and timeouts set the std way.
///
/// I/O methods take `&self`, so one task can read while another writes the same stream
/// (share it with `Rc<TcpStream>`), as `impl Read for &TcpStream` allows in std.
///
/// With a read (write) timeout set, each read (write) that waits longer fails with
/// [`TimedOut`](io::ErrorKind::TimedOut) and the stream stays usable.
///
/// The socket registers with the Core that first waits on it; a task of another Core
/// waiting on it is woken when that Core next runs. Once that Core is dropped, the socket
/// moves to the next Core that waits on it.
///
/// Writing to a peer that closed the connection fails with
/// [`BrokenPipe`](io::ErrorKind::BrokenPipe); it never raises SIGPIPE.
///
/// # Examples
///
/// A client loop, as with blocking sockets:
///
/// ```
/// use mirage::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let mut core = mirage::Core::new()?;
/// let received = core.run(async move {
///     mirage::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         stream.write_all(b"hello, ").await.unwrap();
///         stream.write_all(b"world").await.unwrap();
///     });
///     let stream = TcpStream::connect(addr).await?;
///     let mut received = Vec::new();
///     let mut buf = [0u8; 1024];
///     loop {
///         let n = stream.read(&mut buf).await?;
///         if n == 0 {
///             break;
///         }
///         received.extend_from_slice(&buf[..n]);
///     }
///     std::io::Result::Ok(received)
/// })?;
/// assert_eq!(received, b"hello, world");
/// # std::io::Result::Ok(())
/// ```
pub struct TcpStream {
    pub(crate) io: Source<net::TcpStream>,
    /// What its reads carry from one to the next: see [`recv_tcp`].
    reads: ReadHints,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn; returns the first
    /// connection made or the last error (`ConnectionRefused`, …). A host name is resolved
    /// off the Core's thread.
    ///
    /// Cancel-safe: dropping the future closes the half-open socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = TcpStream::connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(addr, |addr| TcpStream::connect_addr(addr, None)).await
    }

    /// Connects to `addr`, failing with [`TimedOut`](io::ErrorKind::TimedOut) if the
    /// connection is not established within `timeout`; the same signature as
    /// [`std::net::TcpStream::connect_timeout`].
    ///
    /// Cancel-safe: dropping the future closes the half-open socket.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero `timeout`, as std.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     let err = TcpStream::connect_timeout(&addr, Duration::ZERO).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        TcpStream::connect_addr(*addr, Some(timeout)).await
    }

    async fn connect_addr(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
        let stream = net::TcpStream::from(mio::net::TcpStream::connect(addr)?);
        TcpStream::finish_connect(stream, timeout).await
    }

    /// Waits until the connect under way on the non-blocking `stream` completes, fails or
    /// (with a `timeout`) takes too long. Cancel-safe: dropping the future closes the socket.
    pub(crate) async fn finish_connect(
        stream: net::TcpStream,
        timeout: Option<Duration>,
    ) -> io::Result<TcpStream> {
        let stream = TcpStream {
            io: Source::new(stream),
            reads: ReadHints::default(),
        };
        // One timer for the whole connect: a wake-up before the handshake completes must not
        // start a new full timeout.
        let mut timer = timeout.map(sleep);
        loop {
            // A connect in progress becomes writable when it completes or fails.
            match stream
                .io
                .ready_before(Direction::Write, timer.as_mut())
                .await
            {
                Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
                }
                result => result?,
            }
            if let Some(err) = stream.io.get_ref().take_error()? {
                return Err(err);
            }
            match stream.io.get_ref().peer_addr() {
                Ok(_) => return Ok(stream),
                // Woken before the handshake finished: wait for the next edge.
                Err(err) if err.kind() == io::ErrorKind::NotConnected => {
                    stream.io.clear_ready(Direction::Write)
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Reads into `buf`, returning how many bytes were read; `Ok(0)` after the peer's
    /// orderly close, or at once for an empty `buf`.
    ///
    /// A read that fills all of `buf`, after one that did too, also learns from the kernel
    /// whether it left the socket empty, so the next read then waits for data without a
    /// system call: a request-response exchange takes two system calls per message at any
    /// size (see [the crate docs](crate#two-system-calls-per-message)).
    ///
    /// Cancel-safe: if the future is dropped before it completes, no data was read.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"ping").await?;
    ///     let mut buf = [0; 1024];
    ///     let n = server.read(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     drop(client);
    ///     assert_eq!(server.read(&mut buf).await?, 0, "the peer closed");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        // A plain function returning the operation's future: an `async fn` would wrap it in
        // one more state machine on the hottest path.
        self.io.io_bytes(Direction::Read, buf.len(), move |stream| {
            recv_tcp(stream.as_fd(), buf, &self.reads)
        })
    }

    /// Reads into several buffers with one system call. As with std, one call fills at
    /// most the first 1024 (`IOV_MAX`) buffers.
    ///
    /// Cancel-safe, as [`read`](TcpStream::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"headbody").await?;
    ///     let (mut head, mut body) = ([0; 4], [0; 4]);
    ///     let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    ///     assert_eq!(server.read_vectored(&mut bufs).await?, 8);
    ///     assert_eq!((&head, &body), (b"head", b"body"));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io
            .io_bytes(Direction::Read, vectored_len(bufs), |stream| {
                recv_tcp_vectored(stream.as_fd(), bufs, &self.reads)
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
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     drop(client);
    ///     let mut buf = [0; 5];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     let err = server.read_exact(&mut buf).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn read_exact(&self, buf: &mut [u8]) -> io::Result<()> {
        self.io
            .read_exact(buf, |stream, buf| {
                recv_tcp(stream.as_fd(), buf, &self.reads)
            })
            .await
    }

    /// Reads into `buf` without consuming: the next read returns the same bytes; `Ok(0)` at
    /// once for an empty `buf`.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hello").await?;
    ///     let mut buf = [0; 5];
    ///     server.peek(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello", "the peeked bytes are read again");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.peek(buf, |stream, buf| stream.peek(buf)).await
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
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(client.write(b"hello").await?, 5);
    ///     let mut buf = [0; 5];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        self.io
            .io_bytes(Direction::Write, buf.len(), move |stream| {
                send(stream.as_raw_fd(), buf)
            })
    }

    /// Writes from several buffers with one system call. As with std, one call sends at
    /// most the first 1024 (`IOV_MAX`) buffers. If those hold no bytes, the write returns at
    /// once, as [`write`](TcpStream::write) of an empty buffer does.
    ///
    /// Cancel-safe, as [`write`](TcpStream::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     let bufs = [IoSlice::new(b"hello, "), IoSlice::new(b"world")];
    ///     assert_eq!(client.write_vectored(&bufs).await?, 12);
    ///     let mut buf = [0; 12];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello, world");
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
    /// [`write`](TcpStream::write) in a loop, which reports each step.
    ///
    /// Not cancel-safe: dropping it may leave a prefix of `buf` written.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     // More than the socket buffers hold: it waits for the reader to make room.
    ///     let writer = mirage::spawn(async move { client.write_all(&[7; 1 << 20]).await });
    ///     let mut buf = vec![0; 1 << 20];
    ///     server.read_exact(&mut buf).await?;
    ///     assert!(buf.iter().all(|&byte| byte == 7));
    ///     writer.await.unwrap()
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.io
            .write_all(buf, |stream, buf| send(stream.as_raw_fd(), buf))
            .await
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
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"x").await?;
    ///     server.readable().await?;
    ///     let mut buf = [0; 16];
    ///     assert_eq!(server.read(&mut buf).await?, 1);
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
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     client.writable().await?;
    ///     assert_eq!(client.write(b"x").await?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await
    }

    /// Reads what the socket holds into `buf` without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if nothing is queued. Otherwise as
    /// [`read`](TcpStream::read): `Ok(0)` at the end of the stream or for an empty `buf`.
    ///
    /// Pair it with [`readable`](TcpStream::readable), which can report a readiness that a
    /// read then finds gone, so loop on `WouldBlock`. For code that must not hold a buffer
    /// while it waits, or that reads from a `poll` function or a `Drop`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     let mut buf = [0; 16];
    ///     let err = server.try_read(&mut buf).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock, "nothing sent yet");
    ///     client.write_all(b"ping").await?;
    ///     let n = loop {
    ///         server.readable().await?;
    ///         match server.try_read(&mut buf) {
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
            recv_tcp(stream.as_fd(), buf, &self.reads)
        })
    }

    /// [`read_vectored`](TcpStream::read_vectored) without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if nothing is queued, as
    /// [`try_read`](TcpStream::try_read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, IoSliceMut};
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"headbody").await?;
    ///     let (mut head, mut body) = ([0; 4], [0; 4]);
    ///     let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    ///     let n = loop {
    ///         server.readable().await?;
    ///         match server.try_read_vectored(&mut bufs) {
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
                recv_tcp_vectored(stream.as_fd(), bufs, &self.reads)
            })
    }

    /// Writes as much of `buf` as the socket takes now, without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if its send buffer is full. Otherwise as
    /// [`write`](TcpStream::write).
    ///
    /// Pair it with [`writable`](TcpStream::writable), and loop on `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     // Fill the socket's buffers: the peer reads nothing.
    ///     let chunk = [7; 64 * 1024];
    ///     let full = loop {
    ///         match client.try_write(&chunk) {
    ///             Ok(_) => continue,
    ///             Err(err) => break err,
    ///         }
    ///     };
    ///     assert_eq!(full.kind(), ErrorKind::WouldBlock);
    ///     drop(server);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io_bytes(Direction::Write, buf.len(), |stream| {
            send(stream.as_raw_fd(), buf)
        })
    }

    /// [`write_vectored`](TcpStream::write_vectored) without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if the send buffer is full, as
    /// [`try_write`](TcpStream::try_write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.writable().await?;
    ///     let bufs = [IoSlice::new(b"hello, "), IoSlice::new(b"world")];
    ///     assert_eq!(client.try_write_vectored(&bufs)?, 12);
    ///     let mut buf = [0; 12];
    ///     server.read_exact(&mut buf).await?;
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

    /// Shuts down the read, write, or both halves, as [`std::net::TcpStream::shutdown`].
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
    /// use std::net::Shutdown;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.shutdown(Shutdown::Write)?;
    ///     let mut buf = [0; 16];
    ///     assert_eq!(server.read(&mut buf).await?, 0, "the server sees the end of the stream");
    ///     let err = client.write(b"late").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how, |stream, how| stream.shutdown(how))
    }

    /// Sets the read timeout: each later read that waits longer fails with `TimedOut`.
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
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = TcpStream::connect(addr).await?;
    ///     let (_server_side, _) = listener.accept().await?;
    ///     stream.set_read_timeout(Some(Duration::from_millis(10)))?;
    ///     let mut buf = [0; 16];
    ///     let err = stream.read(&mut buf).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    ///     std::io::Result::Ok(())
    /// })?;
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
    /// use std::time::Duration;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = TcpStream::connect(addr).await?;
    ///     let (_server_side, _) = listener.accept().await?;
    ///     stream.set_write_timeout(Some(Duration::from_millis(10)))?;
    ///     // Nobody reads: once the socket buffers are full, a write times out.
    ///     let chunk = [0; 64 * 1024];
    ///     let err = loop {
    ///         if let Err(err) = stream.write(&chunk).await {
    ///             break err;
    ///         }
    ///     };
    ///     assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    ///     std::io::Result::Ok(())
    /// })?;
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
    ///
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// assert_eq!(stream.read_timeout()?, None);
    /// stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    /// assert_eq!(stream.read_timeout()?, Some(Duration::from_secs(5)));
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
    ///
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// assert_eq!(stream.write_timeout()?, None);
    /// stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    /// assert_eq!(stream.write_timeout()?, Some(Duration::from_secs(5)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.io.timeout(Direction::Write))
    }

    /// The remote address.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(client.peer_addr()?, addr);
    ///     assert_eq!(server.peer_addr()?, client.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(server.local_addr()?, addr);
    ///     assert!(client.local_addr()?.ip().is_loopback());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// stream.set_nodelay(true)?;
    /// assert!(stream.nodelay()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// `TCP_NODELAY`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// assert!(!stream.nodelay()?, "Nagle's algorithm is on by default");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// stream.set_ttl(42)?;
    /// assert_eq!(stream.ttl()?, 42);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// `IP_TTL`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// stream.set_ttl(100)?;
    /// assert_eq!(stream.ttl()?, 100);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// assert!(stream.take_error()?.is_none());
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
    /// use std::io::Write;
    /// use mirage::net::TcpStream;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// let stream = TcpStream::from_std(std_stream)?;
    /// let (mut server, _) = listener.accept()?;
    /// server.write_all(b"hi")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut buf = [0; 2];
    ///     stream.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(stream: net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            io: Source::with_std_timeouts(stream)?,
            reads: ReadHints::default(),
        })
    }

    /// Wraps a stream Mirage itself just made (accepted, or one of a pair), as
    /// [`from_std`](TcpStream::from_std) without reading its timeouts: the two system calls per
    /// stream would find none, as nothing set any on it (nor on the listener it came from:
    /// Mirage and std set none on a listener).
    pub(crate) fn from_fresh(stream: net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            io: Source::new(stream),
            reads: ReadHints::default(),
        })
    }

    /// Deregisters the stream and returns it as a std stream, in blocking mode, with this
    /// stream's read and write timeouts, and its `TCP_INQ` option as it came (see
    /// [`read`](TcpStream::read)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// let stream = core.run(mirage::net::TcpStream::connect(listener.local_addr()?))?;
    /// let mut stream = stream.into_std()?;
    /// let (mut server, _) = listener.accept()?;
    /// server.write_all(b"hi")?;
    /// let mut buf = [0; 2];
    /// stream.read_exact(&mut buf)?; // a blocking read
    /// assert_eq!(&buf, b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<net::TcpStream> {
        let stream = self.io.into_inner_with_std_timeouts()?;
        stream.set_nonblocking(false)?;
        self.reads.give_back(stream.as_fd());
        Ok(stream)
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io_bytes(cx, Direction::Read, buf.len(), |stream| {
                recv_tcp(stream.as_fd(), buf, &self.reads)
            })
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io_bytes(cx, Direction::Write, buf.len(), |stream| {
                send(stream.as_raw_fd(), buf)
            })
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

crate::byte_stream::impl_byte_stream!(TcpStream);

crate::fd::impl_fd_traits!(TcpStream);
crate::fd::impl_try_from_std!(TcpStream, net::TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
