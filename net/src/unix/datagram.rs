//! `UnixDatagram`.

use std::fmt;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::time::Duration;

use mirage_core::io::Direction;

use crate::source::Source;
use crate::sys::{self, send_vectored};

/// A Unix-domain datagram socket, shaped like [`std::os::unix::net::UnixDatagram`]: the
/// same method names, borrowed buffers, and timeouts set the std way.
///
/// I/O methods take `&self`, so one task can receive while another sends on the same
/// socket (share it with `Rc<UnixDatagram>`). Each send sends one datagram; each receive
/// receives one, truncated to the buffer if it is longer. Unlike UDP, delivery is reliable:
/// a send waits while the receiver's queue is full.
/// An empty buffer is no exception, as with std: a receive into it waits for a datagram
/// and returns `Ok(0)` (discarding the datagram; a peek leaves it queued), unlike a stream
/// read, which returns `Ok(0)` at once. An empty datagram is received as `Ok(0)` too.
///
/// With a read (write) timeout set, each receive (send) that waits longer fails with
/// [`TimedOut`](io::ErrorKind::TimedOut) and the socket stays usable.
///
/// The socket registers with the Core that first waits on it; a task of another Core
/// waiting on it is woken when that Core next runs. Once that Core is dropped, the socket
/// moves to the next Core that waits on it.
///
/// # Examples
///
/// ```
/// use mirage::net::UnixDatagram;
///
/// let (a, b) = UnixDatagram::pair()?;
/// let mut core = mirage::Core::new()?;
/// core.run(async move {
///     a.send(b"ping").await?;
///     let mut buf = [0; 16];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixDatagram {
    pub(crate) io: Source<net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates the socket file at `path` and binds to it, like
    /// [`std::os::unix::net::UnixDatagram::bind`]. As with std, dropping the socket does
    /// not remove the file.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if a file already exists at `path`, as std.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-dgram-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     client.send_to(b"hello", &path).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     assert!(from.is_unnamed());
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::from_fresh(net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket bound to `addr`, which may be a Linux abstract-namespace address,
    /// like [`std::os::unix::net::UnixDatagram::bind_addr`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use mirage::net::UnixDatagram;
    ///
    /// let name = format!("mirage-doc-dgram-abstract-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let server = UnixDatagram::bind_addr(&addr)?;
    /// let client = UnixDatagram::unbound()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     client.send_to_addr(b"hello", &addr).await?;
    ///     let mut buf = [0; 16];
    ///     let n = server.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixDatagram> {
        UnixDatagram::from_fresh(net::UnixDatagram::bind_addr(addr)?)
    }

    /// Creates a socket bound to no address: it can send, but receives only replies sent
    /// back to it over a connection.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixDatagram;
    ///
    /// let socket = UnixDatagram::unbound()?;
    /// assert!(socket.local_addr()?.is_unnamed());
    /// assert_eq!(socket.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_fresh(net::UnixDatagram::unbound()?)
    }

    /// Creates a pair of connected, unnamed sockets (`socketpair`). Needs no running Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     b.send(b"pong").await?;
    ///     let mut buf = [0; 16];
    ///     let n = a.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"pong");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_fresh(a)?, UnixDatagram::from_fresh(b)?))
    }

    /// Connects the socket to the socket bound at `path`: `send` and `recv` then talk to it
    /// alone. Synchronous, as std: connecting a datagram socket never waits.
    ///
    /// # Errors
    ///
    /// `NotFound` if nothing exists at `path`, `ConnectionRefused` if no socket is bound
    /// there, as std.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let name = format!("mirage-doc-dgram-connect-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.connect(&path)?;
    /// assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     client.send(b"hello").await?;
    ///     let mut buf = [0; 16];
    ///     let n = server.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Connects the socket to `addr`, which may be a Linux abstract-namespace address, like
    /// [`std::os::unix::net::UnixDatagram::connect_addr`]; otherwise as
    /// [`connect`](UnixDatagram::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use mirage::net::UnixDatagram;
    ///
    /// let name = format!("mirage-doc-dgram-connect-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let server = UnixDatagram::bind_addr(&addr)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.connect_addr(&addr)?;
    /// assert_eq!(client.peer_addr()?.as_abstract_name(), Some(name.as_bytes()));
    /// # drop(server);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn connect_addr(&self, addr: &SocketAddr) -> io::Result<()> {
        self.io.get_ref().connect_addr(addr)
    }

    /// Sends `buf` as one datagram to the connected peer; returns how many bytes were sent.
    ///
    /// # Errors
    ///
    /// `NotConnected` without a peer; `BrokenPipe` after `shutdown(Write)` (never a
    /// SIGPIPE); `ConnectionRefused` once the peer is closed.
    ///
    /// Cancel-safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(a.send(b"ping").await?, 4);
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.recv(&mut buf).await?, 4);
    ///     drop(b);
    ///     let err = a.send(b"ping").await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .io(Direction::Write, |socket| {
                send_vectored(socket.as_raw_fd(), &[IoSlice::new(buf)])
            })
            .await
    }

    /// Receives one datagram into `buf`; returns its length (at most `buf.len()`: the rest
    /// of a longer datagram is discarded).
    ///
    /// Cancel-safe: if the future is dropped before it completes, no datagram was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send(b"hello").await?;
    ///     a.send(b"world").await?;
    ///     let mut buf = [0; 2];
    ///     assert_eq!(b.recv(&mut buf).await?, 2);
    ///     assert_eq!(&buf, b"he", "the rest of the datagram is discarded");
    ///     b.recv(&mut buf).await?;
    ///     assert_eq!(&buf, b"wo");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .io(Direction::Read, |socket| {
                self.io.eof_if_read_shut(socket.recv(buf), || Ok(0))
            })
            .await
    }

    /// Sends `buf` as one datagram to the socket bound at `path`; returns how many bytes
    /// were sent.
    ///
    /// While the receiver's queue is full, the send is retried after pauses that grow from
    /// 100 µs to 10 ms: Linux tells a non-blocking sender nothing when that queue makes
    /// room (unless the sender is [connected](UnixDatagram::connect) to the receiver and
    /// uses [`send`](UnixDatagram::send), which waits for the room itself).
    ///
    /// Cancel-safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let name = format!("mirage-doc-dgram-send-to-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     assert_eq!(client.send_to(b"hello", &path).await?, 5);
    ///     let mut buf = [0; 16];
    ///     let n = server.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.io
            .io_retrying(Direction::Write, |socket| socket.send_to(buf, path))
            .await
    }

    /// Sends `buf` as one datagram to `addr`, which may be a Linux abstract-namespace
    /// address, like [`std::os::unix::net::UnixDatagram::send_to_addr`]; otherwise as
    /// [`send_to`](UnixDatagram::send_to). See [`bind_addr`](UnixDatagram::bind_addr) for
    /// an example. A full receiver is retried as by `send_to`.
    ///
    /// Cancel-safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use mirage::net::UnixDatagram;
    ///
    /// let name = format!("mirage-doc-dgram-send-to-addr-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let server = UnixDatagram::bind_addr(&addr)?;
    /// let client = UnixDatagram::unbound()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     assert_eq!(client.send_to_addr(b"hello", &addr).await?, 5);
    ///     drop(server);
    ///     let err = client.send_to_addr(b"hello", &addr).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "no one is bound there now");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send_to_addr(&self, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
        self.io
            .io_retrying(Direction::Write, |socket| socket.send_to_addr(buf, addr))
            .await
    }

    /// Receives one datagram into `buf`; returns its length (at most `buf.len()`) and the
    /// sender's address (unnamed if the sender is not bound).
    ///
    /// Cancel-safe: if the future is dropped before it completes, no datagram was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use mirage::net::UnixDatagram;
    ///
    /// let name = |side: &str| format!("mirage-doc-dgram-recv-from-{side}-{}", std::process::id());
    /// let server = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name("server"))?)?;
    /// let client = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name("client"))?)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     client.send_to_addr(b"ping", &server.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     assert_eq!(from.as_abstract_name(), Some(name("client").as_bytes()));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .io(Direction::Read, |socket| {
                self.io.eof_if_read_shut(socket.recv_from(buf), no_sender)
            })
            .await
    }

    /// Like [`recv`](UnixDatagram::recv), but leaves the datagram queued: the next receive
    /// returns it again.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send(b"ping").await?;
    ///     let mut buf = [0; 16];
    ///     let n = b.peek(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     assert_eq!(b.recv(&mut buf).await?, 4, "still queued");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .io(Direction::Read, |socket| {
                let peeked = sys::peek(socket.as_raw_fd(), buf);
                self.io.eof_if_read_shut(peeked, || Ok(0))
            })
            .await
    }

    /// Like [`recv_from`](UnixDatagram::recv_from), but leaves the datagram queued: the
    /// next receive returns it again.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send(b"ping").await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = b.peek_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from.is_unnamed()), (&b"ping"[..], true));
    ///     assert_eq!(b.recv(&mut buf).await?, 4, "still queued");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .io(Direction::Read, |socket| {
                let peeked = sys::peek_from_unix(socket.as_raw_fd(), buf);
                self.io.eof_if_read_shut(peeked, no_sender)
            })
            .await
    }

    /// Waits until a datagram (or an error) is ready to receive.
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
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.set_read_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(b.readable().await.unwrap_err().kind(), ErrorKind::TimedOut);
    ///     a.send(b"x").await?;
    ///     b.readable().await?;
    ///     assert_eq!(b.recv(&mut [0; 16]).await?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready(Direction::Read).await
    }

    /// Waits until the socket can send.
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
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.set_write_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.writable().await?;
    ///     let mut queued = 0;
    ///     while a.send(b"x").await.is_ok() {
    ///         queued += 1; // until no room is left and a send times out
    ///     }
    ///     assert_eq!(a.writable().await.unwrap_err().kind(), ErrorKind::TimedOut);
    ///     for _ in 0..queued {
    ///         b.recv(&mut [0; 1]).await?;
    ///     }
    ///     a.writable().await?; // room again
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await
    }

    /// Sends `buf` as one datagram to the connected peer without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if the peer's queue is full. Otherwise as
    /// [`send`](UnixDatagram::send).
    ///
    /// Pair it with [`writable`](UnixDatagram::writable), and loop on `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// // Fill b's queue: nothing receives.
    /// let full = loop {
    ///     if let Err(err) = a.try_send(b"x") {
    ///         break err;
    ///     }
    /// };
    /// assert_eq!(full.kind(), ErrorKind::WouldBlock, "never waits, even outside a Core");
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     while b.try_recv(&mut [0; 1]).is_ok() {} // empty the queue
    ///     a.writable().await?;
    ///     assert_eq!(a.try_send(b"y")?, 1, "room again");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |socket| {
            send_vectored(socket.as_raw_fd(), &[IoSlice::new(buf)])
        })
    }

    /// Receives one datagram from the connected peer without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if none is queued. Otherwise as
    /// [`recv`](UnixDatagram::recv).
    ///
    /// Pair it with [`readable`](UnixDatagram::readable), which can report a datagram that
    /// a receive then finds gone, so loop on `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    ///     a.send(b"hello").await?;
    ///     let n = loop {
    ///         b.readable().await?;
    ///         match b.try_recv(&mut buf) {
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.recv(buf), || Ok(0))
        })
    }

    /// Sends `buf` as one datagram to the socket bound at `path` without waiting: fails
    /// with [`WouldBlock`](io::ErrorKind::WouldBlock) if that socket's queue is full.
    /// Otherwise as [`send_to`](UnixDatagram::send_to).
    ///
    /// Linux signals no readiness for room in another socket's queue:
    /// [`writable`](UnixDatagram::writable) reports this socket writable while the
    /// receiver's queue stays full, so a loop of `writable` and `try_send_to` would spin.
    /// [`send_to`](UnixDatagram::send_to) waits for room with growing pauses instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("mirage-doc-try-send-to-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("server.sock");
    /// let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// assert_eq!(client.try_send_to(b"ping", &path)?, 4);
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let mut buf = [0; 16];
    ///     let n = server.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.io
            .try_io(Direction::Write, |socket| socket.send_to(buf, path))
    }

    /// Receives one datagram and the address it came from without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if none is queued. Otherwise as
    /// [`recv_from`](UnixDatagram::recv_from).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send(b"hello").await?;
    ///     let mut buf = [0; 16];
    ///     let (n, _from) = loop {
    ///         b.readable().await?;
    ///         match b.try_recv_from(&mut buf) {
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.recv_from(buf), no_sender)
        })
    }

    /// Shuts down the read, write, or both halves, as
    /// [`std::os::unix::net::UnixDatagram::shutdown`]. A send after shutting down the write
    /// half fails with `BrokenPipe` (never a SIGPIPE), and so do the sends waiting for room
    /// when it shuts down, as blocking sends in other threads do in std. Once the read half
    /// is shut, a receive (or peek) takes what was queued before, then returns `Ok(0)`, as
    /// in std: no datagram can arrive any more.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::net::Shutdown;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// a.shutdown(Shutdown::Write)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let err = a.send(b"x").await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how, |socket, how| socket.shutdown(how))
    }

    /// Sets the read timeout: each later receive (or peek) that waits longer fails with
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
    /// use std::io::ErrorKind;
    /// use std::time::Duration;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// a.set_read_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let err = a.recv(&mut [0; 16]).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.io.set_timeout(Direction::Read, timeout)
    }

    /// Sets the write timeout: each later send that waits longer fails with `TimedOut`.
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
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// a.set_write_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     // No one receives: once the peer's queue is full, a send times out.
    ///     let err = loop {
    ///         if let Err(err) = a.send(b"x").await {
    ///             break err;
    ///         }
    ///     };
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
    /// use mirage::net::UnixDatagram;
    ///
    /// let socket = UnixDatagram::unbound()?;
    /// assert_eq!(socket.read_timeout()?, None);
    /// socket.set_read_timeout(Some(Duration::from_secs(1)))?;
    /// assert_eq!(socket.read_timeout()?, Some(Duration::from_secs(1)));
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
    /// use mirage::net::UnixDatagram;
    ///
    /// let socket = UnixDatagram::unbound()?;
    /// assert_eq!(socket.write_timeout()?, None);
    /// socket.set_write_timeout(Some(Duration::from_secs(1)))?;
    /// assert_eq!(socket.write_timeout()?, Some(Duration::from_secs(1)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.io.timeout(Direction::Write))
    }

    /// The address this socket is bound to (unnamed if it is not bound).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let name = format!("mirage-doc-dgram-local-addr-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let socket = UnixDatagram::bind(&path)?;
    /// assert_eq!(socket.local_addr()?.as_pathname(), Some(path.as_path()));
    /// assert!(UnixDatagram::unbound()?.local_addr()?.is_unnamed());
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the connected peer; `NotConnected` if there is none.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert!(a.peer_addr()?.is_unnamed());
    /// let err = UnixDatagram::unbound()?.peer_addr().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotConnected);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(b.send(b"never received"))?;
    /// let name = format!("mirage-doc-dgram-take-error-{}", std::process::id());
    /// let other = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes())?)?;
    /// // `a` connects elsewhere: the datagram queued for it is dropped, and `b` is told.
    /// a.connect_addr(&other.local_addr()?)?;
    /// assert_eq!(b.take_error()?.unwrap().kind(), ErrorKind::ConnectionReset);
    /// assert!(b.take_error()?.is_none(), "taken");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Wraps a std socket, putting it in non-blocking mode; the read and write timeouts
    /// std set on it become this one's. Needs no running Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
    /// let a = UnixDatagram::from_std(a)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(a.send(b"hi"))?;
    /// let mut buf = [0; 16];
    /// let n = b.recv(&mut buf)?; // std's blocking receive
    /// assert_eq!(&buf[..n], b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(socket: net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            io: Source::with_std_timeouts(socket)?,
        })
    }

    /// Wraps a socket Mirage itself just made (bound, unbound, or one of a pair), as
    /// [`from_std`](UnixDatagram::from_std) without reading its timeouts: the two system
    /// calls would find none.
    fn from_fresh(socket: net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            io: Source::new(socket),
        })
    }

    /// Deregisters the socket and returns it as a std socket, in blocking mode, with this
    /// socket's read and write timeouts.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let a = a.into_std()?;
    /// a.send(b"hi")?; // std's blocking send
    /// let mut buf = [0; 16];
    /// let mut core = mirage::Core::new()?;
    /// let n = core.run(b.recv(&mut buf))?;
    /// assert_eq!(&buf[..n], b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixDatagram> {
        let socket = self.io.into_inner_with_std_timeouts()?;
        socket.set_nonblocking(false)?;
        Ok(socket)
    }
}

crate::fd::impl_fd_traits!(UnixDatagram);
crate::fd::impl_try_from_std!(UnixDatagram, net::UnixDatagram);

/// What a receive returns once the read half is shut and the queue drained: end of file,
/// from an unnamed sender, as std's blocking `recv_from` gives it.
pub(crate) fn no_sender() -> io::Result<(usize, SocketAddr)> {
    Ok((0, SocketAddr::from_pathname("")?))
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
