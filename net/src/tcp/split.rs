//! `TcpStream::into_split`: owned read and write halves, for a reader task and a writer
//! task, as tokio's `tcp::OwnedReadHalf` and `tcp::OwnedWriteHalf`.
//!
//! Both halves hold the stream through an `Rc` (tokio's hold an `Arc`): like the stream they
//! are `!Send` and stay on the Core's thread. A stream keeps one waker per direction for
//! its poll-level I/O, so a reader and a writer polling it at once each keep theirs.

use std::error::Error;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use mirage_core::io::{AsyncRead, AsyncWrite, Interest, Ready};

use crate::TcpStream;

/// The read half of a [`TcpStream`], made by [`TcpStream::into_split`]. Reads with
/// [`AsyncReadExt`](mirage_core::io::AsyncReadExt); every other method of the stream is
/// reached through [`as_ref`](AsRef::as_ref).
///
/// Dropping it closes nothing: the stream closes once both halves are dropped.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncReadExt, AsyncWriteExt};
/// use mirage::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let mut core = mirage::Core::new()?;
/// core.run(async move {
///     let (mut read, mut write) = TcpStream::connect(addr).await?.into_split();
///     let (server, _) = listener.accept().await?;
///     let echo = mirage::spawn(async move {
///         let mut buf = [0; 4];
///         server.read_exact(&mut buf).await?;
///         server.write_all(&buf).await
///     });
///     write.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     read.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     echo.await.unwrap()
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct OwnedReadHalf {
    stream: Rc<TcpStream>,
}

/// The write half of a [`TcpStream`], made by [`TcpStream::into_split`]. Writes with
/// [`AsyncWriteExt`](mirage_core::io::AsyncWriteExt); every other method of the stream is
/// reached through [`as_ref`](AsRef::as_ref).
///
/// Dropping it shuts down the write direction of the stream (`shutdown(Write)`), so the peer
/// reads the end of the stream, as tokio's does; [`forget`](OwnedWriteHalf::forget) drops it
/// without that. Closing it ([`AsyncWriteExt::close`](mirage_core::io::AsyncWriteExt::close))
/// shuts the write direction at once.
///
/// # Examples
///
/// ```
/// use mirage::io::AsyncReadExt;
/// use mirage::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let mut core = mirage::Core::new()?;
/// core.run(async move {
///     let (_read, write) = TcpStream::connect(addr).await?.into_split();
///     let (server, _) = listener.accept().await?;
///     write.as_ref().write_all(b"bye").await?;
///     drop(write);
///     let mut got = Vec::new();
///     (&server).read_to_end(&mut got).await?;
///     assert_eq!(got, b"bye", "the peer read the end of the stream");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct OwnedWriteHalf {
    stream: Rc<TcpStream>,
    /// Whether dropping the half shuts down the write direction: cleared by
    /// [`forget`](OwnedWriteHalf::forget), by `poll_close` (which did it already) and by
    /// [`reunite`](OwnedWriteHalf::reunite).
    shutdown_on_drop: bool,
}

/// The error of [`OwnedReadHalf::reunite`] given halves of two different streams: it hands
/// both halves back, as `(read, write)`.
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
///     let (read, _) = TcpStream::connect(addr).await?.into_split();
///     let (_, write) = TcpStream::connect(addr).await?.into_split();
///     let err = read.reunite(write).unwrap_err();
///     assert_eq!(err.to_string(), "tried to reunite halves that are not from the same socket");
///     let (read, write) = (err.0, err.1);
///     assert_ne!(read.local_addr()?, write.local_addr()?);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl TcpStream {
    /// Splits the stream into a read half and a write half that can move into two tasks:
    /// one reads while the other writes. [`OwnedReadHalf::reunite`] gives the stream back.
    ///
    /// Mirage's stream does not need it to be shared (its I/O takes `&self`, so an
    /// `Rc<TcpStream>` serves two tasks); the halves are for code written against tokio's
    /// `into_split`, and for a writer whose drop should end the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncReadExt, AsyncWriteExt};
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     let (mut read, mut write) = server.into_split();
    ///     let writer = mirage::spawn(async move { write.write_all(b"hello").await });
    ///     client.write_all(b"ping").await?;
    ///     let mut buf = [0; 4];
    ///     read.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     writer.await.unwrap()?;
    ///     let mut got = [0; 5];
    ///     client.read_exact(&mut got).await?;
    ///     assert_eq!(&got, b"hello");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let stream = Rc::new(self);
        (
            OwnedReadHalf {
                stream: Rc::clone(&stream),
            },
            OwnedWriteHalf {
                stream,
                shutdown_on_drop: true,
            },
        )
    }
}

impl OwnedReadHalf {
    /// Puts the two halves of one stream back together; [`ReuniteError`], holding both, if
    /// `write` is the half of another stream. The write direction stays open.
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
    ///     let (read, write) = TcpStream::connect(addr).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     let stream = read.reunite(write).expect("halves of one stream");
    ///     stream.write_all(b"still open").await?;
    ///     let mut buf = [0; 10];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"still open");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reunite(self, write: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Rc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.forget();
        match Rc::try_unwrap(self.stream) {
            Ok(stream) => Ok(stream),
            Err(_) => unreachable!("the two halves hold the only references to their stream"),
        }
    }

    /// Reads into `buf` without consuming, as [`TcpStream::peek`]. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let (mut read, _write) = TcpStream::connect(addr).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     server.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     read.peek(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     read.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi", "the peeked bytes are read again");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.peek(buf).await
    }

    /// Polls to read into `buf` without consuming, as [`TcpStream::poll_peek`].
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
    ///     let (read, _write) = TcpStream::connect(addr).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     server.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     let n = poll_fn(|cx| read.poll_peek(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.stream.poll_peek(cx, buf)
    }

    /// Waits until the stream is ready in at least one of `interest`'s directions and
    /// returns the states that are, as [`TcpStream::ready`]. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let (read, _write) = TcpStream::connect(addr).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     server.write_all(b"x").await?;
    ///     assert!(read.ready(Interest::READABLE).await?.is_readable());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.stream.ready(interest).await
    }

    /// Waits until the stream is readable, as [`TcpStream::readable`]. Cancel-safe.
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
    ///     let (read, _write) = TcpStream::connect(addr).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     server.write_all(b"x").await?;
    ///     read.readable().await?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(read.try_read(&mut buf)?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.stream.readable().await
    }

    /// Reads what the socket holds without waiting, as [`TcpStream::try_read`].
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
    ///     let (read, _write) = TcpStream::connect(addr).await?.into_split();
    ///     let mut buf = [0; 4];
    ///     let err = read.try_read(&mut buf).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "nothing sent yet");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.try_read(buf)
    }

    /// Reads into several buffers without waiting, as [`TcpStream::try_read_vectored`].
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
    ///     let (read, _write) = TcpStream::connect(addr).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     server.write_all(b"ab").await?;
    ///     read.readable().await?;
    ///     let (mut a, mut b) = ([0; 1], [0; 1]);
    ///     let n = read.try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])?;
    ///     assert_eq!((n, a, b), (2, *b"a", *b"b"));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.stream.try_read_vectored(bufs)
    }

    /// The remote address, as [`TcpStream::peer_addr`].
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
    ///     let (read, _write) = TcpStream::connect(addr).await?.into_split();
    ///     assert_eq!(read.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The local address, as [`TcpStream::local_addr`].
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
    ///     let (read, _write) = TcpStream::connect(addr).await?.into_split();
    ///     assert!(read.local_addr()?.ip().is_loopback());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl OwnedWriteHalf {
    /// Puts the two halves of one stream back together, as [`OwnedReadHalf::reunite`].
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
    ///     let (read, write) = TcpStream::connect(addr).await?.into_split();
    ///     let stream = write.reunite(read).expect("halves of one stream");
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn reunite(self, read: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        read.reunite(self)
    }

    /// Drops the half without shutting down the write direction: the peer reads no end of
    /// stream until the read half is dropped too (which closes the socket).
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
    ///     let (_read, write) = TcpStream::connect(addr).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     write.forget();
    ///     server.set_read_timeout(Some(Duration::from_millis(20)))?;
    ///     let err = server.read(&mut [0; 4]).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "no end of stream");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// Waits until the stream is ready in at least one of `interest`'s directions and
    /// returns the states that are, as [`TcpStream::ready`]. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let (_read, write) = TcpStream::connect(addr).await?.into_split();
    ///     assert!(write.ready(Interest::WRITABLE).await?.is_writable());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.stream.ready(interest).await
    }

    /// Waits until the stream is writable, as [`TcpStream::writable`]. Cancel-safe.
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
    ///     let (_read, write) = TcpStream::connect(addr).await?.into_split();
    ///     write.writable().await?;
    ///     assert_eq!(write.try_write(b"x")?, 1);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.stream.writable().await
    }

    /// Writes what the socket takes now without waiting, as [`TcpStream::try_write`].
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
    ///     let (_read, write) = TcpStream::connect(addr).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     write.writable().await?;
    ///     assert_eq!(write.try_write(b"hi")?, 2);
    ///     let mut buf = [0; 2];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.stream.try_write(buf)
    }

    /// Writes from several buffers without waiting, as [`TcpStream::try_write_vectored`].
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
    ///     let (_read, write) = TcpStream::connect(addr).await?.into_split();
    ///     write.writable().await?;
    ///     let bufs = [IoSlice::new(b"a"), IoSlice::new(b"b")];
    ///     assert_eq!(write.try_write_vectored(&bufs)?, 2);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.stream.try_write_vectored(bufs)
    }

    /// The remote address, as [`TcpStream::peer_addr`].
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
    ///     let (_read, write) = TcpStream::connect(addr).await?.into_split();
    ///     assert_eq!(write.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The local address, as [`TcpStream::local_addr`].
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
    ///     let (_read, write) = TcpStream::connect(addr).await?.into_split();
    ///     assert!(write.local_addr()?.ip().is_loopback());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

/// Shuts down the write direction unless [`forget`](OwnedWriteHalf::forget) was called or
/// the half was closed; an error (the peer gone already) is ignored, as tokio does.
impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            let _ = self.stream.shutdown(Shutdown::Write);
        }
    }
}

/// The stream's poll-level reads (see [`TcpStream`]'s `AsyncRead`).
impl AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_read(cx, buf)
    }

    fn start_read(self: Pin<&mut Self>) {
        Pin::new(&mut &*self.stream).start_read()
    }
}

/// The stream's poll-level writes (see [`TcpStream`]'s `AsyncWrite`); `poll_close` shuts
/// down the write direction, and dropping the half then does not do it again.
impl AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.stream).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let closed = Pin::new(&mut &*self.stream).poll_close(cx);
        if closed.is_ready() {
            self.shutdown_on_drop = false;
        }
        closed
    }

    fn start_write(self: Pin<&mut Self>) {
        Pin::new(&mut &*self.stream).start_write()
    }
}

/// The whole stream, for its other methods.
impl AsRef<TcpStream> for OwnedReadHalf {
    fn as_ref(&self) -> &TcpStream {
        &self.stream
    }
}

/// The whole stream, for its other methods.
impl AsRef<TcpStream> for OwnedWriteHalf {
    fn as_ref(&self) -> &TcpStream {
        &self.stream
    }
}

impl fmt::Debug for OwnedReadHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedReadHalf").field(&self.stream).finish()
    }
}

impl fmt::Debug for OwnedWriteHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedWriteHalf").field(&self.stream).finish()
    }
}

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl Error for ReuniteError {}
