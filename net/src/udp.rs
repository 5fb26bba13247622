//! `UdpSocket`.

use std::fmt;
use std::io;
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use mirage_core::io::Direction;

use crate::addr::{ToSocketAddrs, each_addr, resolve, resolve_now};
use crate::source::Source;

/// A UDP socket, shaped like [`std::net::UdpSocket`]: the same method names, borrowed
/// buffers, and timeouts set the std way.
///
/// I/O methods take `&self`, so one task can receive while another sends on the same
/// socket (share it with `Rc<UdpSocket>`). Each `send`/`send_to` sends one datagram; each
/// `recv`/`recv_from` receives one, truncated to the buffer if it is longer.
/// An empty buffer is no exception, as with std: a receive into it waits for a datagram
/// and returns `Ok(0)` (discarding the datagram; a peek leaves it queued), unlike a stream
/// read, which returns `Ok(0)` at once. An empty datagram is received as `Ok(0)` too.
///
/// Once the read half is shut (through the socket's descriptor: std's `UdpSocket` has no
/// `shutdown`, nor has this one) and the queue drained, a receive or peek returns `Ok(0)`
/// at once, and `recv_from`, `peek_from` and `peek_sender` fail with
/// [`InvalidInput`](io::ErrorKind::InvalidInput), having no sender to name, as std's
/// blocking ones do.
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
/// use mirage::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// let b_addr = b.local_addr()?;
/// let mut core = mirage::Core::new()?;
/// core.run(async move {
///     a.send_to(b"ping", b_addr).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     assert_eq!(from, a.local_addr()?);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct UdpSocket {
    pub(crate) io: Source<net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr`, like [`std::net::UdpSocket::bind`]. Tries each resolved address
    /// until one binds.
    ///
    /// Synchronous: a host name (rather than an IP address) is resolved on the calling
    /// thread, as std does; resolve it with [`lookup_host`](crate::lookup_host) first to keep
    /// a running Core from blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = socket.local_addr()?;
    /// // The port is taken until `socket` is dropped.
    /// let err = UdpSocket::bind(addr).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let addrs = resolve_now(addr.to_target())?;
        UdpSocket::from_fresh(net::UdpSocket::bind(&addrs[..])?)
    }

    /// Connects the socket to `addr`: `send` and `recv` then talk to it alone, and
    /// datagrams from other addresses are dropped. Tries each resolved address until one
    /// succeeds; a host name is resolved off the Core's thread.
    ///
    /// Cancel-safe: if the future is dropped before it completes, the socket's peer may be
    /// any of the addresses tried so far, or none.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.connect(b.local_addr()?).await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send(b"hello").await?;
    ///     let mut buf = [0; 16];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(addr, |addr| async move { self.io.get_ref().connect(addr) }).await
    }

    /// Sends `buf` as one datagram to the connected peer; returns how many bytes were sent.
    ///
    /// # Errors
    ///
    /// `NotConnected` if the socket is not connected (Linux says `EDESTADDRREQ`, which std
    /// leaves without an `ErrorKind` of its own; the OS error is kept as the source);
    /// `ConnectionRefused` may report an ICMP "port unreachable" from an earlier datagram.
    ///
    /// Cancel-safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.send(b"hello").await?, 5);
    ///     let mut buf = [0; 16];
    ///     let (n, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .io(Direction::Write, |socket| socket.send(buf))
            .await
            .map_err(not_connected_for_no_destination)
    }

    /// Receives one datagram from the connected peer into `buf`; returns its length (at
    /// most `buf.len()`: the rest of a longer datagram is discarded).
    ///
    /// Cancel-safe: if the future is dropped before it completes, no datagram was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"hello, world", b.local_addr()?).await?;
    ///     let mut buf = [0; 5];
    ///     assert_eq!(b.recv(&mut buf).await?, 5, "the rest of the datagram is discarded");
    ///     assert_eq!(&buf, b"hello");
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

    /// Sends `buf` as one datagram to `addr`; returns how many bytes were sent. Like std,
    /// sends to the first address `addr` resolves to; a host name is resolved off the
    /// Core's thread.
    ///
    /// Cancel-safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(a.send_to(b"ping", b.local_addr()?).await?, 4);
    ///     let mut buf = [0; 16];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let addr = resolve(addr.to_target()).await?[0];
        self.io
            .io(Direction::Write, |socket| socket.send_to(buf, addr))
            .await
    }

    /// Receives one datagram into `buf`; returns its length (at most `buf.len()`) and the
    /// address it came from.
    ///
    /// Cancel-safe: if the future is dropped before it completes, no datagram was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     client.send_to(b"ping", server.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = server.recv_from(&mut buf).await?;
    ///     server.send_to(&buf[..n], from).await?;
    ///     let (n, from) = client.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"ping"[..], server.local_addr()?));
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

    /// Like [`recv_from`](UdpSocket::recv_from), but leaves the datagram queued: the next
    /// receive returns it again.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send_to(b"hello", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = b.peek_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
    ///     let (n, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello", "the peeked datagram is received again");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .io(Direction::Read, |socket| {
                self.io.eof_if_read_shut(socket.peek_from(buf), no_sender)
            })
            .await
    }

    /// Like [`recv`](UdpSocket::recv), but leaves the datagram queued: the next receive
    /// returns it again.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"hello", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let n = b.peek(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello", "the peeked datagram is received again");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .io(Direction::Read, |socket| {
                self.io.eof_if_read_shut(socket.peek(buf), || Ok(0))
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
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send_to(b"x", b.local_addr()?).await?;
    ///     b.readable().await?;
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.recv_from(&mut buf).await?, (1, a.local_addr()?));
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
    /// use mirage::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     socket.writable().await?;
    ///     assert_eq!(socket.send_to(b"x", socket.local_addr()?).await?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await
    }

    /// Sends `buf` as one datagram to the connected peer without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if the send buffer is full, and with
    /// [`NotConnected`](io::ErrorKind::NotConnected) on a socket that is not connected.
    /// Otherwise as [`send`](UdpSocket::send).
    ///
    /// Pair it with [`writable`](UdpSocket::writable), and loop on `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.connect(b.local_addr()?).await?;
    ///     a.writable().await?;
    ///     assert_eq!(a.try_send(b"hello")?, 5);
    ///     let mut buf = [0; 16];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |socket| socket.send(buf))
            .map_err(not_connected_for_no_destination)
    }

    /// Receives one datagram from the connected peer without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if none is queued. Otherwise as
    /// [`recv`](UdpSocket::recv).
    ///
    /// Pair it with [`readable`](UdpSocket::readable), which can report a datagram that a
    /// receive then finds gone, so loop on `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     b.connect(a.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    ///     a.send_to(b"hello", b.local_addr()?).await?;
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

    /// Sends `buf` as one datagram to `target` without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if the send buffer is full. Otherwise as
    /// [`send_to`](UdpSocket::send_to). Takes a resolved address: resolving a host name
    /// could wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.writable().await?;
    ///     assert_eq!(a.try_send_to(b"ping", b.local_addr()?)?, 4);
    ///     let mut buf = [0; 16];
    ///     let (n, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |socket| socket.send_to(buf, target))
    }

    /// Receives one datagram and the address it came from without waiting: fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if none is queued. Otherwise as
    /// [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     client.send_to(b"ping", server.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = loop {
    ///         server.readable().await?;
    ///         match server.try_recv_from(&mut buf) {
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             result => break result?,
    ///         }
    ///     };
    ///     assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr()?));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.recv_from(buf), no_sender)
        })
    }

    /// Like [`try_recv_from`](UdpSocket::try_recv_from), but leaves the datagram queued:
    /// the next receive returns it again.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send_to(b"hello", b.local_addr()?).await?;
    ///     b.readable().await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = b.try_peek_from(&mut buf)?;
    ///     assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
    ///     let (n, _) = b.try_recv_from(&mut buf)?;
    ///     assert_eq!(&buf[..n], b"hello", "the peeked datagram is received again");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.peek_from(buf), no_sender)
        })
    }

    /// Like [`try_recv`](UdpSocket::try_recv), but leaves the datagram queued: the next
    /// receive returns it again. The non-waiting form of [`peek`](UdpSocket::peek), as
    /// tokio's `UdpSocket::try_peek`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     b.connect(a.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let empty = b.try_peek(&mut buf).unwrap_err();
    ///     assert_eq!(empty.kind(), std::io::ErrorKind::WouldBlock);
    ///     a.send_to(b"hello", b.local_addr()?).await?;
    ///     b.readable().await?;
    ///     let n = b.try_peek(&mut buf)?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     let n = b.try_recv(&mut buf)?;
    ///     assert_eq!(&buf[..n], b"hello", "the peeked datagram is received again");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.peek(buf), || Ok(0))
        })
    }

    /// Sets the read timeout: each later receive (or peek) that waits longer fails with
    /// `TimedOut`. `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_read_timeout(Some(Duration::from_millis(10)))?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut buf = [0; 16];
    ///     let err = socket.recv_from(&mut buf).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
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
    /// use std::time::Duration;
    ///
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_write_timeout(Some(Duration::from_secs(1)))?;
    /// assert_eq!(socket.write_timeout()?, Some(Duration::from_secs(1)));
    /// let err = socket.set_write_timeout(Some(Duration::ZERO)).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
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
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(socket.read_timeout()?, None);
    /// socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    /// assert_eq!(socket.read_timeout()?, Some(Duration::from_secs(5)));
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
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(socket.write_timeout()?, None);
    /// socket.set_write_timeout(Some(Duration::from_secs(5)))?;
    /// assert_eq!(socket.write_timeout()?, Some(Duration::from_secs(5)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.io.timeout(Direction::Write))
    }

    /// The address this socket is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    ///
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = socket.local_addr()?;
    /// assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
    /// assert_ne!(addr.port(), 0, "port 0 picks a free port");
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
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let err = a.peer_addr().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);
    /// let mut core = mirage::Core::new()?;
    /// core.run(a.connect(b.local_addr()?))?;
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `SO_BROADCAST`: whether datagrams may be sent to a broadcast address.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_broadcast(true)?;
    /// assert!(socket.broadcast()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_broadcast(&self, broadcast: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(broadcast)
    }

    /// `SO_BROADCAST`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert!(!socket.broadcast()?, "off by default");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `IP_MULTICAST_LOOP`: whether multicast datagrams sent come back to this host.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_multicast_loop_v4(false)?;
    /// assert!(!socket.multicast_loop_v4()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_multicast_loop_v4(&self, multicast_loop_v4: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(multicast_loop_v4)
    }

    /// `IP_MULTICAST_LOOP`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert!(socket.multicast_loop_v4()?, "on by default");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`: how many hops IPv4 multicast datagrams may take.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_multicast_ttl_v4(8)?;
    /// assert_eq!(socket.multicast_ttl_v4()?, 8);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_multicast_ttl_v4(&self, multicast_ttl_v4: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(multicast_ttl_v4)
    }

    /// `IP_MULTICAST_TTL`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(socket.multicast_ttl_v4()?, 1, "the local network only, by default");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`: whether multicast datagrams sent come back to this host.
    ///
    /// # Examples
    ///
    /// ```
    /// # if std::net::UdpSocket::bind("[::1]:0").is_err() { return Ok(()); } // no IPv6 here
    /// let socket = mirage::net::UdpSocket::bind("[::1]:0")?;
    /// socket.set_multicast_loop_v6(false)?;
    /// assert!(!socket.multicast_loop_v6()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_multicast_loop_v6(&self, multicast_loop_v6: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(multicast_loop_v6)
    }

    /// `IPV6_MULTICAST_LOOP`.
    ///
    /// # Examples
    ///
    /// ```
    /// # if std::net::UdpSocket::bind("[::1]:0").is_err() { return Ok(()); } // no IPv6 here
    /// let socket = mirage::net::UdpSocket::bind("[::1]:0")?;
    /// assert!(socket.multicast_loop_v6()?, "on by default");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address
    /// `interface` (`Ipv4Addr::UNSPECIFIED` lets the system choose).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    ///
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let group = Ipv4Addr::new(224, 0, 0, 123);
    /// socket.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// let err = socket.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "joined already");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(multiaddr, interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with index `interface`
    /// (0 lets the system choose).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv6Addr;
    ///
    /// # if std::net::UdpSocket::bind("[::1]:0").is_err() { return Ok(()); } // no IPv6 here
    /// let socket = mirage::net::UdpSocket::bind("[::1]:0")?;
    /// let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x123);
    /// let loopback = 1; // Linux gives the loopback interface index 1.
    /// socket.join_multicast_v6(&group, loopback)?;
    /// let err = socket.join_multicast_v6(&group, loopback).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "joined already");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group joined with
    /// [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    ///
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let group = Ipv4Addr::new(224, 0, 0, 123);
    /// socket.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// socket.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// let err = socket.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrNotAvailable, "not a member any more");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group joined with
    /// [`join_multicast_v6`](UdpSocket::join_multicast_v6).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv6Addr;
    ///
    /// # if std::net::UdpSocket::bind("[::1]:0").is_err() { return Ok(()); } // no IPv6 here
    /// let socket = mirage::net::UdpSocket::bind("[::1]:0")?;
    /// let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x123);
    /// let loopback = 1; // Linux gives the loopback interface index 1.
    /// socket.join_multicast_v6(&group, loopback)?;
    /// socket.leave_multicast_v6(&group, loopback)?;
    /// let err = socket.leave_multicast_v6(&group, loopback).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrNotAvailable, "not a member any more");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// Sets `IP_TTL`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_ttl(42)?;
    /// assert_eq!(socket.ttl()?, 42);
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
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_ttl(100)?;
    /// assert_eq!(socket.ttl()?, 100);
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
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert!(socket.take_error()?.is_none());
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
    /// use mirage::net::UdpSocket;
    ///
    /// let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// peer.send_to(b"hi", socket.local_addr()?)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut buf = [0; 16];
    ///     let (n, from) = socket.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"hi"[..], peer.local_addr()?));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Source::with_std_timeouts(socket)?,
        })
    }

    /// Wraps a socket Mirage itself just bound, as [`from_std`](UdpSocket::from_std) without
    /// reading its timeouts: the two system calls would find none.
    fn from_fresh(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Source::new(socket),
        })
    }

    /// Deregisters the socket and returns it as a std socket, in blocking mode, with this
    /// socket's read and write timeouts.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?.into_std()?;
    /// socket.send_to(b"hi", socket.local_addr()?)?;
    /// let mut buf = [0; 16];
    /// let (n, _) = socket.recv_from(&mut buf)?; // a blocking receive
    /// assert_eq!(&buf[..n], b"hi");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<net::UdpSocket> {
        let socket = self.io.into_inner_with_std_timeouts()?;
        socket.set_nonblocking(false)?;
        Ok(socket)
    }
}

crate::fd::impl_fd_traits!(UdpSocket);
crate::fd::impl_try_from_std!(UdpSocket, net::UdpSocket);

/// `send` on a socket with no peer fails with `EDESTADDRREQ`, which std leaves without an
/// `ErrorKind`; it is `NotConnected` in all but name (what `peer_addr` says, and what a Unix
/// datagram socket reports), so it gets that kind, with the OS error as its source.
pub(crate) fn not_connected_for_no_destination(err: io::Error) -> io::Error {
    if err.raw_os_error() == Some(libc::EDESTADDRREQ) {
        io::Error::new(io::ErrorKind::NotConnected, err)
    } else {
        err
    }
}

/// What `recv_from`, `peek_from` and `peek_sender` return once the read half is shut and
/// the queue drained (see `Source::eof_if_read_shut`): std's blocking `recv_from` gets end
/// of file with no sender address then, and fails with `InvalidInput`.
pub(crate) fn no_sender<T>() -> io::Result<T> {
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "the read half is shut down: no datagram, and no sender to name",
    ))
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
