//! The public poll-level methods of the datagram sockets, as tokio has them, for `Future`
//! and `Stream` implementations written by hand. See
//! [the crate docs](crate#poll-level-methods) for the waker each direction keeps and the
//! timeouts.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::task::{Context, Poll};

use mirage_core::io::Direction;

use crate::peek_sender::peek_sender;
use crate::sys::send_vectored;
use crate::udp::{no_sender as udp_no_sender, not_connected_for_no_destination};
use crate::unix::datagram::no_sender;
use crate::{UdpSocket, UnixDatagram};

impl UdpSocket {
    /// Polls to receive a datagram from the connected peer into `buf`, as tokio's
    /// `UdpSocket::poll_recv`, returning its length (tokio fills a `ReadBuf`, which Mirage
    /// does not have); the rest of a datagram longer than `buf` is lost.
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.recv(buf), || Ok(0))
        })
    }

    /// Polls to send `buf` as one datagram to the connected peer, as tokio's
    /// `UdpSocket::poll_send`; `NotConnected` without a peer, as [`send`](UdpSocket::send).
    ///
    /// Only the task of the most recent poll-level write call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let err = poll_fn(|cx| a.poll_send(cx, b"lost")).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotConnected);
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(poll_fn(|cx| a.poll_send(cx, b"ping")).await?, 4);
    ///     let mut buf = [0; 16];
    ///     let (n, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |socket| socket.send(buf))
            .map_err(not_connected_for_no_destination)
    }

    /// Polls to receive a datagram into `buf`, as tokio's `UdpSocket::poll_recv_from`,
    /// returning its length and its sender (tokio fills a `ReadBuf` and returns the
    /// sender).
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     client.send_to(b"ping", server.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = poll_fn(|cx| server.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr()?));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |socket| {
            self.io
                .eof_if_read_shut(socket.recv_from(buf), udp_no_sender)
        })
    }

    /// Polls to send `buf` as one datagram to `target`, as tokio's
    /// `UdpSocket::poll_send_to`.
    ///
    /// Only the task of the most recent poll-level write call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// let target = server.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(poll_fn(|cx| client.poll_send_to(cx, b"ping", target)).await?, 4);
    ///     let mut buf = [0; 16];
    ///     let (n, _) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |socket| socket.send_to(buf, target))
    }

    /// Polls until a datagram is queued (or an error is pending), as tokio's
    /// `UdpSocket::poll_recv_ready`: `Ready` once the kernel reports the socket readable,
    /// as [`readable`](UdpSocket::readable) does. Pair it with
    /// [`try_recv_from`](UdpSocket::try_recv_from) and poll again on `WouldBlock`.
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)). The read timeout does not apply.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     client.send_to(b"ping", server.local_addr()?).await?;
    ///     poll_fn(|cx| server.poll_recv_ready(cx)).await?;
    ///     let (n, _) = server.try_recv_from(&mut [0; 16])?;
    ///     assert_eq!(n, 4);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls until the socket can send, as tokio's `UdpSocket::poll_send_ready`; as
    /// [`poll_recv_ready`](UdpSocket::poll_recv_ready), for the write direction.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     poll_fn(|cx| client.poll_send_ready(cx)).await?;
    ///     assert_eq!(client.try_send_to(b"ping", server.local_addr()?)?, 4);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Polls to read the next datagram into `buf` without taking it from the queue, as
    /// tokio's `UdpSocket::poll_peek_from`, returning its length (cut to `buf`) and its
    /// sender (tokio fills a `ReadBuf` and returns the sender).
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     client.send_to(b"ping", server.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = poll_fn(|cx| server.poll_peek_from(cx, &mut buf)).await?;
    ///     assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr()?));
    ///     let (n, _) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping", "still queued after the peek");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |socket| {
            self.io
                .eof_if_read_shut(socket.peek_from(buf), udp_no_sender)
        })
    }

    /// Polls to read the next datagram into `buf` without taking it from the queue, as
    /// tokio's `UdpSocket::poll_peek`, returning its length (cut to `buf`; tokio fills a
    /// `ReadBuf`). The poll form of [`peek`](UdpSocket::peek).
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let n = poll_fn(|cx| b.poll_peek(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping", "still queued after the peek");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.peek(buf), || Ok(0))
        })
    }

    /// Polls for the sender of the next datagram, leaving the datagram queued, as tokio's
    /// `UdpSocket::poll_peek_sender`.
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     client.send_to(b"ping", server.local_addr()?).await?;
    ///     let from = poll_fn(|cx| server.poll_peek_sender(cx)).await?;
    ///     assert_eq!(from, client.local_addr()?);
    ///     let mut buf = [0; 16];
    ///     let (n, _) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping", "still queued after the peek");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.io.poll_io(cx, Direction::Read, |socket| {
            self.io.eof_if_read_shut(peek_sender(socket), udp_no_sender)
        })
    }
}

impl UnixDatagram {
    /// Polls until a datagram (or an error) is ready to receive, as tokio's
    /// `UnixDatagram::poll_recv_ready`: the poll form of
    /// [`readable`](UnixDatagram::readable), to pair with
    /// [`try_recv`](UnixDatagram::try_recv) or [`try_recv_from`](UnixDatagram::try_recv_from).
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)). The read timeout does not apply.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send(b"ping").await?;
    ///     poll_fn(|cx| b.poll_recv_ready(cx)).await?;
    ///     assert_eq!(b.try_recv(&mut [0; 16])?, 4);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls until the socket can send to its connected peer, as tokio's
    /// `UnixDatagram::poll_send_ready`: the poll form of
    /// [`writable`](UnixDatagram::writable), to pair with
    /// [`try_send`](UnixDatagram::try_send). The write timeout does not apply.
    ///
    /// Only the task of the most recent poll-level write call is woken (see
    /// [the crate docs](crate#poll-level-methods)). An unconnected socket may report ready
    /// while the queue of the socket it sends to is full (the kernel watches no
    /// destination for it), so a `try_send_to` after it can still fail with `WouldBlock`:
    /// [`send_to`](UnixDatagram::send_to) waits for that room instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     poll_fn(|cx| a.poll_send_ready(cx)).await?;
    ///     assert_eq!(a.try_send(b"ping")?, 4);
    ///     assert_eq!(b.recv(&mut [0; 16]).await?, 4);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Polls to receive a datagram from the connected peer into `buf`, as tokio's
    /// `UnixDatagram::poll_recv`, returning its length (tokio fills a `ReadBuf`); `Ok(0)`
    /// once this side shut its read half, as [`recv`](UnixDatagram::recv).
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send(b"ping").await?;
    ///     let mut buf = [0; 16];
    ///     let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.recv(buf), || Ok(0))
        })
    }

    /// Polls to send `buf` as one datagram to the connected peer, as tokio's
    /// `UnixDatagram::poll_send`.
    ///
    /// Only the task of the most recent poll-level write call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(poll_fn(|cx| a.poll_send(cx, b"ping")).await?, 4);
    ///     let mut buf = [0; 16];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |socket| {
            send_vectored(socket.as_raw_fd(), &[IoSlice::new(buf)])
        })
    }

    /// Polls to receive a datagram into `buf`, as tokio's `UnixDatagram::poll_recv_from`,
    /// returning its length and its sender (tokio fills a `ReadBuf` and returns the
    /// sender); `(0, unnamed)` once this side shut its read half, as
    /// [`recv_from`](UnixDatagram::recv_from).
    ///
    /// Only the task of the most recent poll-level read call is woken (see
    /// [the crate docs](crate#poll-level-methods)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send(b"ping").await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"ping");
    ///     assert!(from.is_unnamed(), "a pair is unnamed");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, UnixAddr)>> {
        self.io.poll_io(cx, Direction::Read, |socket| {
            self.io.eof_if_read_shut(socket.recv_from(buf), no_sender)
        })
    }
}
