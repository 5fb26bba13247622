//! `TcpListener`.

use std::fmt;
use std::io;
use std::net::{self, SocketAddr};
use std::os::fd::AsFd;

use mirage_core::io::Direction;

use crate::accept::accept_with_backoff;
use crate::addr::{ToSocketAddrs, resolve_now};
use crate::source::Source;
use crate::{TcpSocket, TcpStream};

/// A TCP socket server, listening for connections; shaped like [`std::net::TcpListener`].
///
/// `bind` is synchronous and needs no running Core; the listener registers with the Core
/// that first waits on it; a task of another Core waiting on it is woken when that Core next
/// runs. Once that Core is dropped, the listener moves to the next Core that waits on it.
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
///     mirage::spawn(async move { TcpStream::connect(addr).await.unwrap() });
///     let (_stream, peer) = listener.accept().await?;
///     assert!(peer.ip().is_loopback());
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct TcpListener {
    pub(crate) io: Source<net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` and listens, like [`std::net::TcpListener::bind`] (with
    /// `SO_REUSEADDR`), but with room for [`BACKLOG`](TcpListener::BACKLOG) connections not
    /// yet accepted where std has 128: past it, the kernel drops a new connection's SYN and
    /// the client retries only a second later. Tries each resolved address until one binds.
    /// [`TcpSocket`](crate::TcpSocket) sets another backlog, and more options.
    ///
    /// Synchronous: a host name (rather than an IP address) is resolved on the calling
    /// thread, as std does; resolve it with [`lookup_host`](crate::lookup_host) first to keep
    /// a running Core from blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// // The port is taken until `listener` is dropped.
    /// let err = TcpListener::bind(addr).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let mut last_err = None;
        for addr in resolve_now(addr.to_target())? {
            // Any failure passes to the next address, as in std: making the socket fails
            // for an IPv6 address on a kernel without IPv6, where "localhost" may still
            // resolve to `::1` first.
            match TcpListener::bind_addr(addr) {
                Ok(listener) => return Ok(listener),
                Err(err) => last_err = Some(err),
            }
        }
        Err(last_err.expect("resolve_now returns at least one address"))
    }

    /// Makes a socket for `addr`'s family, binds it (with `SO_REUSEADDR`) and listens.
    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = TcpSocket::new_for(&addr)?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(TcpListener::BACKLOG)
    }

    /// The backlog [`bind`](TcpListener::bind) asks for (the kernel caps it at
    /// `net.core.somaxconn`, 4096 by default on Linux): tokio's figure.
    ///
    /// # Examples
    ///
    /// A listener with a backlog of its own:
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpSocket};
    ///
    /// let socket = TcpSocket::new_v4()?;
    /// socket.set_reuseaddr(true)?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// let listener = socket.listen(4 * TcpListener::BACKLOG)?;
    /// # drop(listener);
    /// # std::io::Result::Ok(())
    /// ```
    pub const BACKLOG: u32 = 1024;

    /// Accepts a connection: the stream and the peer's address.
    ///
    /// A server loop never ends over a transient error: when the process runs out of file
    /// descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), `accept` waits with a
    /// growing backoff (up to 100 ms) and retries, instead of spinning or failing; a
    /// connection reset before it could be accepted is skipped, and so is one whose pending
    /// network error Linux reports through `accept` (`ENETDOWN`, `EPROTO`, `ENOPROTOOPT`,
    /// `EHOSTDOWN`, `ENONET`, `EHOSTUNREACH`, `EOPNOTSUPP`, `ENETUNREACH`; accept(2) says to
    /// retry).
    ///
    /// Cancel-safe: if the future is dropped, no connection is lost (it stays in the
    /// backlog).
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
    ///     let (stream, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     assert_eq!(stream.peer_addr()?, peer);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = accept_with_backoff(self.io.get_ref().as_fd(), || {
            self.io.io(Direction::Read, |listener| listener.accept())
        })
        .await?;
        Ok((TcpStream::from_fresh(stream)?, addr))
    }

    /// The address this listener is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    ///
    /// let listener = mirage::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
    /// assert_ne!(addr.port(), 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `IP_TTL` for accepted connections' packets.
    ///
    /// # Examples
    ///
    /// ```
    /// let listener = mirage::net::TcpListener::bind("127.0.0.1:0")?;
    /// listener.set_ttl(42)?;
    /// assert_eq!(listener.ttl()?, 42);
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
    /// let listener = mirage::net::TcpListener::bind("127.0.0.1:0")?;
    /// listener.set_ttl(100)?;
    /// assert_eq!(listener.ttl()?, 100);
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
    /// let listener = mirage::net::TcpListener::bind("127.0.0.1:0")?;
    /// assert!(listener.take_error()?.is_none());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Wraps a std listener, putting it in non-blocking mode. Needs no running Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = std_listener.local_addr()?;
    /// let listener = TcpListener::from_std(std_listener)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (_stream, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(listener: net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Source::new(listener),
        })
    }

    /// Deregisters the listener and returns it as a std listener, in blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// let listener = mirage::net::TcpListener::bind("127.0.0.1:0")?;
    /// let listener = listener.into_std()?;
    /// let client = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// // A blocking accept; the connection is already in the backlog.
    /// let (_stream, peer) = listener.accept()?;
    /// assert_eq!(peer, client.local_addr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<net::TcpListener> {
        let listener = self.io.into_inner();
        listener.set_nonblocking(false)?;
        Ok(listener)
    }
}

crate::fd::impl_fd_traits!(TcpListener);
crate::fd::impl_try_from_std!(TcpListener, net::TcpListener);

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
