//! `TcpSocket`: a TCP socket configured before it listens or connects.

use std::fmt;
use std::io;
use std::mem::ManuallyDrop;
use std::net::{self, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use libc::c_int;

use crate::sys;
use crate::{TcpListener, TcpStream};

/// A TCP socket that is neither listening nor connected yet, for the options that must be
/// set before `bind`, `listen` or `connect` and that [`TcpListener::bind`] and
/// [`TcpStream::connect`] cannot take: `SO_REUSEPORT` (several listeners on one port, one
/// per Core and thread, the kernel spreading the connections among them), `SO_REUSEADDR`,
/// `SO_KEEPALIVE`, `SO_LINGER`, `TCP_NODELAY`, `IP_TOS`, `SO_BINDTODEVICE`, the buffer
/// sizes, and the listen backlog.
///
/// Creating and configuring one needs no running Core; [`listen`](TcpSocket::listen) and
/// [`connect`](TcpSocket::connect) turn it into a [`TcpListener`] or a [`TcpStream`]. It is
/// non-blocking and close-on-exec from the start.
///
/// # Examples
///
/// Two listeners on one port, as two Cores on two threads would each have:
///
/// ```
/// use mirage::net::TcpSocket;
///
/// let first = TcpSocket::new_v4()?;
/// first.set_reuseport(true)?;
/// first.bind("127.0.0.1:0".parse().unwrap())?;
/// let addr = first.local_addr()?;
/// let first = first.listen(1024)?;
///
/// let second = TcpSocket::new_v4()?;
/// second.set_reuseport(true)?;
/// second.bind(addr)?;
/// let second = second.listen(1024)?;
/// assert_eq!(first.local_addr()?, second.local_addr()?);
/// # std::io::Result::Ok(())
/// ```
pub struct TcpSocket {
    fd: OwnedFd,
}

impl TcpSocket {
    /// Creates an IPv4 TCP socket.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// # drop(socket);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new_v4() -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            fd: sys::tcp_socket(libc::AF_INET)?,
        })
    }

    /// Creates an IPv6 TCP socket.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v6()?;
    /// # drop(socket);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            fd: sys::tcp_socket(libc::AF_INET6)?,
        })
    }

    /// Creates a TCP socket of `addr`'s family (IPv4 or IPv6), to bind or connect to it.
    ///
    /// # Examples
    ///
    /// ```
    /// let addr = "[::1]:8080".parse().unwrap();
    /// let socket = mirage::net::TcpSocket::new_for(&addr)?;
    /// # drop(socket);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new_for(addr: &SocketAddr) -> io::Result<TcpSocket> {
        match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
    }

    /// Takes over a std stream that is neither connected nor listening, to set options and
    /// then [`connect`](TcpSocket::connect) or [`listen`](TcpSocket::listen) it, as tokio's
    /// `TcpSocket::from_std_stream`: for a socket made by other means (a library such as
    /// `socket2`, a descriptor inherited from a parent) with options Mirage does not set.
    ///
    /// Where tokio leaves it to the caller to make the socket non-blocking first, Mirage's
    /// `connect` and `listen` do so, so a blocking socket cannot block the Core.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::{FromRawFd, OwnedFd};
    /// use mirage::net::{TcpListener, TcpSocket};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// // A socket made outside Mirage (here with libc; socket2 would do as well).
    /// // SAFETY: no pointers; a new descriptor or -1.
    /// let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    /// assert!(fd >= 0);
    /// // SAFETY: `fd` was just created and nothing else owns it.
    /// let std_stream = std::net::TcpStream::from(unsafe { OwnedFd::from_raw_fd(fd) });
    /// let socket = TcpSocket::from_std_stream(std_stream);
    /// socket.set_nodelay(true)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = socket.connect(addr).await?;
    ///     assert!(stream.nodelay()?);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std_stream(stream: net::TcpStream) -> TcpSocket {
        TcpSocket {
            fd: OwnedFd::from(stream),
        }
    }

    /// Sets `SO_REUSEADDR`: a listener may bind a port that connections of an earlier one
    /// still occupy (in `TIME_WAIT`), as a restarted server must. std's
    /// [`TcpListener::bind`](std::net::TcpListener::bind) sets it too.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_reuseaddr(true)?;
    /// assert!(socket.reuseaddr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.set_flag(libc::SO_REUSEADDR, reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert!(!socket.reuseaddr()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.flag(libc::SO_REUSEADDR)
    }

    /// Sets `SO_REUSEPORT`: several sockets of the same user, each with it set before
    /// `bind`, may bind the same address and port. Listeners share the incoming
    /// connections (the kernel picks one per connection by a hash of its addresses), which
    /// is how one Core per thread serves one port without a shared accept queue.
    ///
    /// Each listener has its own queue of connections not yet accepted: when one listener
    /// closes, the kernel resets those in its queue rather than hand them to the others
    /// (unless the `net.ipv4.tcp_migrate_req` sysctl is set). A server that stops one Core
    /// of several drains its listener's queue first, or accepts that loss.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_reuseport(true)?;
    /// assert!(socket.reuseport()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.set_flag(libc::SO_REUSEPORT, reuseport)
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert!(!socket.reuseport()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reuseport(&self) -> io::Result<bool> {
        self.flag(libc::SO_REUSEPORT)
    }

    /// Sets `SO_KEEPALIVE`: once the connection has been idle for the kernel's keep-alive
    /// time (`net.ipv4.tcp_keepalive_time`, two hours by default), it probes the peer, and a
    /// peer that stopped answering (a host that crashed or vanished) ends the connection
    /// with `TimedOut` on the next operation instead of leaving it open for ever. The
    /// stream that [`connect`](TcpSocket::connect) returns, and the streams a listener made
    /// from this socket accepts, keep the setting.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_keepalive(true)?;
    /// assert!(socket.keepalive()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.set_flag(libc::SO_KEEPALIVE, keepalive)
    }

    /// Whether `SO_KEEPALIVE` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert!(!socket.keepalive()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn keepalive(&self) -> io::Result<bool> {
        self.flag(libc::SO_KEEPALIVE)
    }

    /// Sets `TCP_NODELAY` (no Nagle delay for small writes) before connecting; the stream
    /// keeps it. [`TcpStream::set_nodelay`] sets it afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_nodelay(true)?;
    /// assert!(socket.nodelay()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        sys::set_int_option(
            self.fd.as_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            c_int::from(nodelay),
        )
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert!(!socket.nodelay()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        Ok(sys::int_option(self.fd.as_fd(), libc::IPPROTO_TCP, libc::TCP_NODELAY)? != 0)
    }

    /// Sets the size of the kernel's send buffer (`SO_SNDBUF`). Linux doubles the value
    /// (for its bookkeeping) and clamps it to its limits, so
    /// [`send_buffer_size`](TcpSocket::send_buffer_size) reads back what it granted; setting
    /// it turns off the kernel's automatic sizing of that buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_send_buffer_size(64 * 1024)?;
    /// assert!(socket.send_buffer_size()? >= 64 * 1024);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set_size(libc::SO_SNDBUF, size)
    }

    /// The size of the kernel's send buffer (`SO_SNDBUF`).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert!(socket.send_buffer_size()? > 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.size(libc::SO_SNDBUF)
    }

    /// Sets the size of the kernel's receive buffer (`SO_RCVBUF`), which bounds the window
    /// the connection advertises; set it before `listen` or `connect`, as the window is
    /// agreed on during the handshake. Linux doubles and clamps the value as for
    /// [`set_send_buffer_size`](TcpSocket::set_send_buffer_size).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_recv_buffer_size(64 * 1024)?;
    /// assert!(socket.recv_buffer_size()? >= 64 * 1024);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set_size(libc::SO_RCVBUF, size)
    }

    /// The size of the kernel's receive buffer (`SO_RCVBUF`).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert!(socket.recv_buffer_size()? > 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.size(libc::SO_RCVBUF)
    }

    /// Binds the socket to `addr` (port 0 picks a free port). Synchronous, like std's.
    ///
    /// # Errors
    ///
    /// [`AddrInUse`](io::ErrorKind::AddrInUse) when another socket holds the address and
    /// port (unless both set `SO_REUSEPORT`), `AddrNotAvailable` for an address this host
    /// does not have, `InvalidInput` for an address of the other family or a socket bound
    /// already.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        sys::bind(self.fd.as_fd(), &addr).map_err(|err| family_error(err, &addr))
    }

    /// The address the socket is bound to (`0.0.0.0:0` or `[::]:0` before `bind`).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert_eq!(socket.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.std_view().local_addr()
    }

    /// Takes the pending error of the socket (`SO_ERROR`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert!(socket.take_error()?.is_none());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.std_view().take_error()
    }

    /// Starts listening, with room for `backlog` connections not yet accepted (the kernel
    /// caps it at `net.core.somaxconn`), and returns the listener. Unbound, the socket
    /// listens on a free port of every address.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// let listener = socket.listen(1024)?;
    /// # drop(listener);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        sys::listen(self.fd.as_fd(), backlog)?;
        TcpListener::from_std(net::TcpListener::from(self.fd))
    }

    /// Connects to `addr` and returns the stream; needs a running Core to wait on. Bind
    /// first to choose the local address or port. Wrap it in
    /// [`timeout`](mirage_core::time::timeout) to bound the wait, or use
    /// [`TcpStream::connect_timeout`] when no option needs setting.
    ///
    /// Cancel-safe: dropping the future closes the half-open socket.
    ///
    /// # Errors
    ///
    /// As [`TcpStream::connect`]: `ConnectionRefused`, `TimedOut` (from the kernel's own
    /// retries), `NetworkUnreachable`, `HostUnreachable`, and `InvalidInput` for an
    /// address of the other family.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{TcpListener, TcpSocket};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.set_recv_buffer_size(16 * 1024)?;
    ///     let stream = socket.connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        // A socket taken over (`from_std_stream`, `from_raw_fd`) may be blocking: it must
        // not block the Core.
        sys::make_nonblocking(self.fd.as_fd())?;
        sys::start_connect(self.fd.as_fd(), &addr).map_err(|err| family_error(err, &addr))?;
        TcpStream::finish_connect(net::TcpStream::from(self.fd), None).await
    }

    fn set_flag(&self, name: c_int, on: bool) -> io::Result<()> {
        sys::set_int_option(self.fd.as_fd(), libc::SOL_SOCKET, name, c_int::from(on))
    }

    fn flag(&self, name: c_int) -> io::Result<bool> {
        Ok(sys::int_option(self.fd.as_fd(), libc::SOL_SOCKET, name)? != 0)
    }

    fn set_size(&self, name: c_int, size: u32) -> io::Result<()> {
        let size = c_int::try_from(size).unwrap_or(c_int::MAX);
        sys::set_int_option(self.fd.as_fd(), libc::SOL_SOCKET, name, size)
    }

    fn size(&self, name: c_int) -> io::Result<u32> {
        let size = sys::int_option(self.fd.as_fd(), libc::SOL_SOCKET, name)?;
        Ok(u32::try_from(size).unwrap_or(0))
    }

    /// A std stream over the descriptor, for the queries std already answers
    /// (`getsockname`, `SO_ERROR`) on any TCP socket. Never dropped, so it leaves the
    /// descriptor open. (A duplicate of the descriptor would cost one, and fail with
    /// `EMFILE` in a process that has none left.)
    fn std_view(&self) -> ManuallyDrop<net::TcpStream> {
        // SAFETY: the descriptor is open for as long as `self`, which the view borrows;
        // `ManuallyDrop` keeps the view from closing it, so `self.fd` stays its one owner.
        ManuallyDrop::new(unsafe { net::TcpStream::from_raw_fd(self.fd.as_raw_fd()) })
    }
}

/// `InvalidInput` in place of the kernel's `EAFNOSUPPORT` (an IPv6 address for an IPv4
/// socket), which std reports with no `ErrorKind` of its own. (The other way round the
/// kernel already says `EINVAL`, which is `InvalidInput`.)
fn family_error(err: io::Error, addr: &SocketAddr) -> io::Error {
    if err.raw_os_error() == Some(libc::EAFNOSUPPORT) {
        return io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{addr} is not of the socket's address family"),
        );
    }
    err
}

/// The socket's descriptor.
impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The socket's descriptor, borrowed for as long as the socket.
impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Takes over a TCP socket, neither listening nor connected, as
/// [`from_std_stream`](TcpSocket::from_std_stream) does.
impl FromRawFd for TcpSocket {
    /// # Safety
    ///
    /// `fd` must be an open descriptor that the caller owns and gives up, as for
    /// [`OwnedFd::from_raw_fd`].
    unsafe fn from_raw_fd(fd: RawFd) -> TcpSocket {
        // SAFETY: the caller gives up an open descriptor of its own, as `OwnedFd` requires.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        TcpSocket { fd }
    }
}

/// Gives up the socket's descriptor, which the caller must close.
impl IntoRawFd for TcpSocket {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TcpSocket");
        debug.field("fd", &self.fd.as_raw_fd());
        if let Ok(addr) = self.local_addr() {
            debug.field("local_addr", &addr);
        }
        debug.finish()
    }
}
