//! `UnixListener`.

use std::fmt;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use mirage_core::io::Direction;

use crate::UnixStream;
use crate::accept::accept_with_backoff;
use crate::source::Source;

/// A Unix-domain socket server, listening for connections; shaped like
/// [`std::os::unix::net::UnixListener`].
///
/// `bind` is synchronous and needs no running Core; the listener registers with the Core
/// that first waits on it; a task of another Core waiting on it is woken when that Core next
/// runs. Once that Core is dropped, the listener moves to the next Core that waits on it. As
/// with std, dropping the listener does not remove the socket file: remove it yourself (and
/// remove a stale one before binding again).
///
/// # Examples
///
/// ```
/// use mirage::net::{UnixListener, UnixStream};
///
/// let path = std::env::temp_dir().join(format!("mirage-doc-listener-{}", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let client = path.clone();
///     mirage::spawn(async move { UnixStream::connect(client).await.unwrap() });
///     let (_stream, peer) = listener.accept().await?;
///     assert!(peer.is_unnamed());
///     std::io::Result::Ok(())
/// })?;
/// std::fs::remove_file(&path)?;
/// # std::io::Result::Ok(())
/// ```
pub struct UnixListener {
    pub(crate) io: Source<net::UnixListener>,
}

impl UnixListener {
    /// Creates the socket file at `path` and listens on it, like
    /// [`std::os::unix::net::UnixListener::bind`]. A `path` that starts with a NUL byte
    /// (`"\0name"`) names a socket in Linux's abstract namespace instead, as in tokio
    /// (std refuses it): the same as [`bind_addr`](UnixListener::bind_addr) with
    /// `SocketAddr::from_abstract_name(b"name")`.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if a file already exists at `path`, as std.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::net::UnixListener;
    ///
    /// let name = format!("mirage-doc-listener-bind-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// let err = UnixListener::bind(&path).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AddrInUse, "the file is still there");
    /// # drop(listener);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::bind_addr(&super::path_addr(path.as_ref())?)
    }

    /// Listens on `addr`, which may be a Linux abstract-namespace address (no file to
    /// remove afterwards), like [`std::os::unix::net::UnixListener::bind_addr`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use mirage::net::UnixListener;
    ///
    /// let name = format!("mirage-doc-listen-{}", std::process::id());
    /// let listener = UnixListener::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes())?)?;
    /// let local = listener.local_addr()?;
    /// assert_eq!(local.as_abstract_name(), Some(name.as_bytes()));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        UnixListener::from_std(net::UnixListener::bind_addr(addr)?)
    }

    /// Accepts a connection: the stream and the peer's address (usually unnamed).
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
    /// use mirage::net::{UnixListener, UnixStream};
    ///
    /// let name = format!("mirage-doc-listener-accept-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, peer) = listener.accept().await?;
    ///     assert!(peer.is_unnamed());
    ///     server.write_all(b"welcome").await?;
    ///     let mut buf = [0; 7];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"welcome");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = accept_with_backoff(self.io.get_ref().as_fd(), || {
            self.io.io(Direction::Read, |listener| listener.accept())
        })
        .await?;
        Ok((UnixStream::from_fresh(stream)?, addr))
    }

    /// The address this listener is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UnixListener;
    ///
    /// let name = format!("mirage-doc-listener-local-addr-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// # drop(listener);
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
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use mirage::net::UnixListener;
    ///
    /// let name = format!("mirage-doc-listener-take-error-{}", std::process::id());
    /// let listener = UnixListener::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes())?)?;
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
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::{self, SocketAddr};
    /// use mirage::net::{UnixListener, UnixStream};
    ///
    /// let name = format!("mirage-doc-listener-from-std-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let listener = UnixListener::from_std(net::UnixListener::bind_addr(&addr)?)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let _client = UnixStream::connect_addr(&addr).await?;
    ///     let (_server, peer) = listener.accept().await?;
    ///     assert!(peer.is_unnamed());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn from_std(listener: net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Source::new(listener),
        })
    }

    /// Deregisters the listener and returns it as a std listener, in blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::{self, SocketAddr};
    /// use mirage::net::UnixListener;
    ///
    /// let name = format!("mirage-doc-listener-into-std-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let listener = UnixListener::bind_addr(&addr)?.into_std()?;
    /// let _client = net::UnixStream::connect_addr(&addr)?;
    /// let (_server, peer) = listener.accept()?; // std's blocking accept; a connection is queued
    /// assert!(peer.is_unnamed());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixListener> {
        let listener = self.io.into_inner();
        listener.set_nonblocking(false)?;
        Ok(listener)
    }
}

crate::fd::impl_fd_traits!(UnixListener);
crate::fd::impl_try_from_std!(UnixListener, net::UnixListener);

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
