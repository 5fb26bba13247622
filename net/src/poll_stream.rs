//! The public poll-level methods of the stream sockets and their listeners, as tokio has
//! them, for `Future` and `Stream` implementations written by hand.
//! See [the crate docs](crate#poll-level-methods) for the waker each direction keeps.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::SocketAddr as UnixAddr;
use std::task::{Context, Poll, ready};

use mirage_core::io::Direction;

use crate::sys::is_lost_connection_of;
use crate::{TcpListener, TcpStream, UnixListener, UnixStream};

impl TcpListener {
    /// Polls for a connection, as tokio's `TcpListener::poll_accept`. Only the task of the
    /// most recent `poll_accept` is woken; [`accept`](Self::accept) calls keep a waker
    /// each (see [the crate docs](crate#poll-level-methods)).
    ///
    /// # Errors
    ///
    /// A connection lost before it was accepted is skipped, as by `accept`. Running out of
    /// descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) is returned, unlike
    /// `accept`, which waits and retries: a poll has nowhere to keep the backoff timer, so
    /// the caller decides when to poll again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (stream, peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     assert_eq!(stream.peer_addr()?, peer);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, addr) = ready!(poll_accept_skipping_lost(self.io.get_ref().as_fd(), || {
            self.io
                .poll_io(cx, Direction::Read, |listener| listener.accept())
        }))?;
        Poll::Ready(Ok((TcpStream::from_fresh(stream)?, addr)))
    }
}

impl UnixListener {
    /// Polls for a connection, as tokio's `UnixListener::poll_accept`. As
    /// [`TcpListener::poll_accept`]: only the task of the most recent poll is woken, and
    /// running out of descriptors is returned, not waited out.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::{UnixListener, UnixStream};
    ///
    /// let name = format!("mirage-doc-poll-accept-{}", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = UnixListener::bind(&path)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     assert!(peer.is_unnamed());
    ///     server.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, UnixAddr)>> {
        let (stream, addr) = ready!(poll_accept_skipping_lost(self.io.get_ref().as_fd(), || {
            self.io
                .poll_io(cx, Direction::Read, |listener| listener.accept())
        }))?;
        Poll::Ready(Ok((UnixStream::from_fresh(stream)?, addr)))
    }
}

/// Polls `poll_accept_once` on the listening socket `listener` until it yields something
/// other than a connection lost before it was accepted.
fn poll_accept_skipping_lost<T>(
    listener: BorrowedFd<'_>,
    mut poll_accept_once: impl FnMut() -> Poll<io::Result<T>>,
) -> Poll<io::Result<T>> {
    loop {
        match ready!(poll_accept_once()) {
            Err(err) if is_lost_connection_of(listener, &err) => continue,
            result => return Poll::Ready(result),
        }
    }
}

impl TcpStream {
    /// Polls until the stream is readable (data, end of stream, or an error), as tokio's
    /// `TcpStream::poll_read_ready`: `Ready` once the kernel reports it readable, as
    /// [`readable`](TcpStream::readable) does. Pair it with
    /// [`try_read`](TcpStream::try_read) and poll again on `WouldBlock`.
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)). The read timeout does not apply.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"x").await?;
    ///     poll_fn(|cx| server.poll_read_ready(cx)).await?;
    ///     assert_eq!(server.try_read(&mut [0; 4])?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls until the stream is writable, as tokio's `TcpStream::poll_write_ready`; pair
    /// it with [`try_write`](TcpStream::try_write). As
    /// [`poll_read_ready`](TcpStream::poll_read_ready), for the write direction.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     poll_fn(|cx| client.poll_write_ready(cx)).await?;
    ///     assert_eq!(client.try_write(b"x")?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Polls to read into `buf` without consuming, as tokio's `TcpStream::poll_peek`,
    /// returning how many bytes were copied (tokio fills a `ReadBuf`, which Mirage does not
    /// have); `Ok(0)` at the end of the stream, or at once for an empty `buf`.
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)). The read timeout does not apply.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
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
    ///     let n = poll_fn(|cx| server.poll_peek(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hello", "the peeked bytes are read again");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_peek(cx, buf, |stream, buf| stream.peek(buf))
    }
}

impl UnixStream {
    /// Polls until the stream is readable, as tokio's `UnixStream::poll_read_ready`; as
    /// [`TcpStream::poll_read_ready`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.write_all(b"x").await?;
    ///     poll_fn(|cx| b.poll_read_ready(cx)).await?;
    ///     assert_eq!(b.try_read(&mut [0; 4])?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls until the stream is writable, as tokio's `UnixStream::poll_write_ready`; as
    /// [`TcpStream::poll_write_ready`]. Ready at once after this side shut its write half
    /// (a write then fails at once).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     poll_fn(|cx| a.poll_write_ready(cx)).await?;
    ///     assert_eq!(a.try_write(b"x")?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }
}
