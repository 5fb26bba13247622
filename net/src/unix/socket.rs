//! `UnixSocket`: a Unix-domain socket set up before it listens, connects or sends.

use std::fmt;
use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net;
use std::path::Path;

use libc::c_int;

use crate::sys;
use crate::{UnixDatagram, UnixListener, UnixStream};

/// A Unix-domain socket that is neither listening, connected nor in use yet, as tokio's
/// `net::UnixSocket`: made as a stream or a datagram socket, bound to a path if need be,
/// then turned into a [`UnixListener`] ([`listen`](UnixSocket::listen), with a backlog of
/// your choice), a [`UnixStream`] ([`connect`](UnixSocket::connect), from a bound
/// address) or a [`UnixDatagram`] ([`datagram`](UnixSocket::datagram)).
///
/// Creating and binding one needs no running Core; it is non-blocking and close-on-exec
/// from the start. Options Mirage does not set can be set through its descriptor
/// (`AsFd`) before it is turned into something else.
///
/// # Examples
///
/// A client bound to a path of its own, so that the server sees who connected:
///
/// ```
/// use mirage::net::{UnixListener, UnixSocket};
///
/// let dir = std::env::temp_dir();
/// let server_path = dir.join(format!("mirage-doc-socket-server-{}", std::process::id()));
/// let client_path = dir.join(format!("mirage-doc-socket-client-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&server_path);
/// # let _ = std::fs::remove_file(&client_path);
/// let listener = UnixListener::bind(&server_path)?;
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let socket = UnixSocket::new_stream()?;
///     socket.bind(&client_path)?;
///     let _client = socket.connect(&server_path).await?;
///     let (_server, peer) = listener.accept().await?;
///     assert_eq!(peer.as_pathname(), Some(client_path.as_path()));
///     std::io::Result::Ok(())
/// })?;
/// std::fs::remove_file(&server_path)?;
/// std::fs::remove_file(&client_path)?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixSocket {
    fd: OwnedFd,
}

impl UnixSocket {
    /// Creates a stream socket (`SOCK_STREAM`), to [`listen`](UnixSocket::listen) or
    /// [`connect`](UnixSocket::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UnixSocket::new_stream()?;
    /// # drop(socket);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new_stream() -> io::Result<UnixSocket> {
        Ok(UnixSocket {
            fd: sys::unix_socket(libc::SOCK_STREAM)?,
        })
    }

    /// Creates a datagram socket (`SOCK_DGRAM`), to turn into a [`UnixDatagram`] with
    /// [`datagram`](UnixSocket::datagram).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UnixSocket::new_datagram()?;
    /// # drop(socket);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new_datagram() -> io::Result<UnixSocket> {
        Ok(UnixSocket {
            fd: sys::unix_socket(libc::SOCK_DGRAM)?,
        })
    }

    /// Binds the socket to `path`, creating the socket file there. Synchronous, like std's.
    /// A `path` that starts with a NUL byte (`"\0name"`) names a socket in Linux's abstract
    /// namespace instead, and no file is made, as in tokio; [`connect`](UnixSocket::connect)
    /// reads its `path` the same way.
    ///
    /// # Errors
    ///
    /// [`AddrInUse`](io::ErrorKind::AddrInUse) if a file exists at `path` (a socket left
    /// by an earlier run included: remove it first), `NotFound` if its directory does not
    /// exist, `InvalidInput` for a path too long for a socket address (107 bytes, or 108
    /// for an abstract name with its leading NUL), for a file path (one that does not start
    /// with a NUL byte) holding a NUL byte (an abstract name may hold more), or for a socket
    /// bound already.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixSocket;
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-socket-bind-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let socket = UnixSocket::new_datagram()?;
    /// socket.bind(&path)?;
    /// let err = UnixSocket::new_datagram()?.bind(&path).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        sys::bind_unix(self.fd.as_fd(), path.as_ref())
    }

    /// Starts listening, with room for `backlog` connections not yet accepted (the kernel
    /// caps it at `net.core.somaxconn`), and returns the listener. Bind it first: Linux
    /// lets no unbound Unix socket listen. Bound to an empty path, it gets an address of
    /// Linux's abstract namespace that the kernel picks.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for a socket that is not bound
    /// (`EINVAL`, as in tokio), and for a datagram socket, where tokio returns an error of
    /// kind `Other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{UnixSocket, UnixStream};
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-socket-listen-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let socket = UnixSocket::new_stream()?;
    /// socket.bind(&path)?;
    /// let listener = socket.listen(1)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        self.refuse_type(
            libc::SOCK_DGRAM,
            "listen cannot be called on a datagram socket",
        )?;
        sys::listen(self.fd.as_fd(), backlog)?;
        UnixListener::from_std(net::UnixListener::from(self.fd))
    }

    /// Connects to the socket at `path` and returns the stream; needs a running Core to
    /// wait on. Bind first to give the stream an address of its own. As
    /// [`UnixStream::connect`], it waits with a growing backoff while the listener's
    /// backlog is full.
    ///
    /// Cancel-safe: dropping the future closes the socket.
    ///
    /// # Errors
    ///
    /// As [`UnixStream::connect`]: `NotFound` if nothing exists at `path`,
    /// `ConnectionRefused` if no one listens there. [`InvalidInput`](io::ErrorKind::InvalidInput)
    /// for a datagram socket, where tokio returns an error of kind `Other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::{UnixListener, UnixSocket};
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-socket-connect-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let client = UnixSocket::new_stream()?.connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     server.write_all(b"welcome").await?;
    ///     let mut buf = [0; 7];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"welcome");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        self.refuse_type(
            libc::SOCK_DGRAM,
            "connect cannot be called on a datagram socket",
        )?;
        // A socket taken over with `from_raw_fd` may be blocking: it must not block the Core.
        sys::make_nonblocking(self.fd.as_fd())?;
        let path = path.as_ref();
        UnixStream::retry_while_backlog_full(|| sys::connect_unix(self.fd.as_fd(), path)).await?;
        UnixStream::finish_connect(net::UnixStream::from(self.fd)).await
    }

    /// Turns a datagram socket into a [`UnixDatagram`], bound or not.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) for a stream socket, where tokio
    /// returns an error of kind `Other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixSocket;
    ///
    /// let path = std::env::temp_dir().join(format!("mirage-doc-socket-dgram-{}", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let socket = UnixSocket::new_datagram()?;
    /// socket.bind(&path)?;
    /// let receiver = socket.datagram()?;
    /// let sender = UnixSocket::new_datagram()?.datagram()?; // unbound
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     sender.send_to(b"ping", &path).await?;
    ///     let mut buf = [0; 8];
    ///     let n = receiver.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        self.refuse_type(
            libc::SOCK_STREAM,
            "datagram cannot be called on a stream socket",
        )?;
        UnixDatagram::from_std(net::UnixDatagram::from(self.fd))
    }

    /// The socket's type (`SO_TYPE`).
    fn socket_type(&self) -> io::Result<c_int> {
        sys::int_option(self.fd.as_fd(), libc::SOL_SOCKET, libc::SO_TYPE)
    }

    /// `InvalidInput` with `message` if the socket is of type `ty`.
    fn refuse_type(&self, ty: c_int, message: &str) -> io::Result<()> {
        if self.socket_type()? == ty {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        }
        Ok(())
    }
}

/// The socket's descriptor.
impl AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The socket's descriptor, borrowed for as long as the socket.
impl AsFd for UnixSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Takes over a Unix-domain socket, stream or datagram, neither listening nor connected.
/// It may be blocking: [`connect`](UnixSocket::connect), `listen` and `datagram` make it
/// non-blocking.
impl FromRawFd for UnixSocket {
    /// # Safety
    ///
    /// `fd` must be an open descriptor that the caller owns and gives up, as for
    /// [`OwnedFd::from_raw_fd`].
    unsafe fn from_raw_fd(fd: RawFd) -> UnixSocket {
        // SAFETY: the caller gives up an open descriptor of its own, as `OwnedFd` requires.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        UnixSocket { fd }
    }
}

/// Gives up the socket's descriptor, which the caller must close.
impl IntoRawFd for UnixSocket {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

impl fmt::Debug for UnixSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("UnixSocket");
        debug.field("fd", &self.fd.as_raw_fd());
        match self.socket_type() {
            Ok(libc::SOCK_STREAM) => debug.field("type", &"stream"),
            Ok(libc::SOCK_DGRAM) => debug.field("type", &"datagram"),
            Ok(other) => debug.field("type", &other),
            Err(_) => &mut debug,
        };
        // Any Unix-domain socket answers `getsockname`; a std socket over the descriptor,
        // never dropped, asks (a duplicate would cost a descriptor the process may lack).
        // SAFETY: the descriptor is open for as long as `self`, borrowed here; `ManuallyDrop`
        // keeps the view from closing it, so `self.fd` stays its one owner.
        let view =
            ManuallyDrop::new(unsafe { net::UnixDatagram::from_raw_fd(self.fd.as_raw_fd()) });
        if let Ok(addr) = view.local_addr() {
            debug.field("local_addr", &addr);
        }
        debug.finish()
    }
}
