//! The sockets' `ready`, `try_io` and `async_io`: readiness in the directions of an
//! [`Interest`], as tokio's sockets have them, for loops that read and write one socket
//! from one task, and for system calls Mirage does not wrap.
//!
//! Each forwards to [`Source`](crate::source::Source). Two deliberate differences from
//! tokio: `ready` asks the kernel, so it does not report a readiness that an operation
//! already used up (as `readable` and `writable`); and `try_io` always runs its closure,
//! where tokio's returns `WouldBlock` without running it while its cache says not ready
//! (Mirage's cache may lag the kernel after `ready`, and the `try_` methods all make their
//! system call). All three honour the read and write timeouts of the asked directions.
//!
//! A third: they wait in the two directions only. Given an interest with
//! `Interest::PRIORITY` or `Interest::ERROR`, each panics, naming it, rather than wait for
//! nothing; wrap the descriptor in an `AsyncFd` created with that interest instead.

use std::io;

use mirage_core::io::{Interest, Ready};

use crate::{TcpStream, UdpSocket, UnixDatagram, UnixStream};

impl TcpStream {
    /// Waits until the stream is ready in at least one of `interest`'s directions, and
    /// returns every asked state that is ready: readable, writable, and the closed halves,
    /// as tokio's `TcpStream::ready`. Pair it with [`try_read`](TcpStream::try_read) and
    /// [`try_write`](TcpStream::try_write) to serve both directions from one task.
    ///
    /// Waiting for both directions wakes the task on an edge in either. The kernel is asked
    /// what is ready, so a state reported is present when `ready` returns; another task may
    /// still take it first, so treat `WouldBlock` from the operation as "wait again". With
    /// a timeout set for an asked direction, fails with
    /// [`TimedOut`](io::ErrorKind::TimedOut) after waiting the shortest of them.
    ///
    /// Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::io::Interest;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = TcpStream::connect(addr).await?;
    ///     let (peer, _) = listener.accept().await?;
    ///     peer.write_all(b"hello").await?;
    ///     let (mut sent, mut got) = (false, Vec::new());
    ///     while !sent || got.len() < 5 {
    ///         // Once the request is out, only reading is of interest.
    ///         let interest = match sent {
    ///             false => Interest::READABLE | Interest::WRITABLE,
    ///             true => Interest::READABLE,
    ///         };
    ///         let ready = stream.ready(interest).await?;
    ///         if ready.is_writable() && !sent {
    ///             match stream.try_write(b"ping") {
    ///                 Ok(n) => sent = n == 4,
    ///                 Err(err) if err.kind() == ErrorKind::WouldBlock => {}
    ///                 Err(err) => return Err(err),
    ///             }
    ///         }
    ///         if ready.is_readable() {
    ///             let mut buf = [0; 16];
    ///             match stream.try_read(&mut buf) {
    ///                 Ok(n) => got.extend_from_slice(&buf[..n]),
    ///                 Err(err) if err.kind() == ErrorKind::WouldBlock => {}
    ///                 Err(err) => return Err(err),
    ///             }
    ///         }
    ///     }
    ///     assert_eq!(got, b"hello");
    ///     let mut buf = [0; 4];
    ///     peer.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_interest(interest).await
    }

    /// Runs `f`, a non-blocking operation on the stream's descriptor, once, as tokio's
    /// `TcpStream::try_io`: for a system call Mirage does not wrap. If `f` returns
    /// [`WouldBlock`](io::ErrorKind::WouldBlock), the readiness of `interest`'s directions
    /// is forgotten, so the next wait in them waits for new data or room. Never waits.
    ///
    /// `f` must make its system call on this stream (a borrowed or duplicated descriptor),
    /// in the directions `interest` names; a `WouldBlock` from anything else would make
    /// the stream's next operation wait for an edge that may never come.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use std::os::fd::AsFd;
    /// use mirage::io::Interest;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = TcpStream::connect(addr).await?;
    ///     let (peer, _) = listener.accept().await?;
    ///     // The same socket, through std: a duplicate of its (non-blocking) descriptor.
    ///     let raw = std::net::TcpStream::from(stream.as_fd().try_clone_to_owned()?);
    ///     let mut buf = [0; 16];
    ///     let err = stream.try_io(Interest::READABLE, || (&raw).read(&mut buf)).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     peer.write_all(b"hi").await?;
    ///     stream.readable().await?;
    ///     let n = stream.try_io(Interest::READABLE, || (&raw).read(&mut buf))?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io_interest(interest, f)
    }

    /// Runs `f`, a non-blocking operation on the stream's descriptor, until it does not
    /// return [`WouldBlock`](io::ErrorKind::WouldBlock), waiting for readiness in
    /// `interest`'s directions in between, as tokio's `TcpStream::async_io`. `f` runs at
    /// once unless the stream is known not ready; each `WouldBlock` forgets the readiness
    /// of `interest`'s directions, as [`try_io`](TcpStream::try_io) does.
    ///
    /// Cancel-safe as far as `f` is: dropping the call between attempts loses nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::fd::AsFd;
    /// use mirage::io::Interest;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = TcpStream::connect(addr).await?;
    ///     let (peer, _) = listener.accept().await?;
    ///     let raw = std::net::TcpStream::from(stream.as_fd().try_clone_to_owned()?);
    ///     mirage::spawn(async move { peer.write_all(b"later").await });
    ///     let mut buf = [0; 16];
    ///     let n = stream.async_io(Interest::READABLE, || (&raw).read(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"later");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io_interest(interest, f).await
    }
}

impl UnixStream {
    /// Waits until the stream is ready in at least one of `interest`'s directions, and
    /// returns every asked state that is ready, as [`TcpStream::ready`] (which says more),
    /// and tokio's `UnixStream::ready`. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     assert!(ready.is_writable() && !ready.is_readable());
    ///     drop(b);
    ///     let ready = a.ready(Interest::READABLE).await?;
    ///     assert!(ready.is_read_closed());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_interest(interest).await
    }

    /// Runs `f`, a non-blocking operation on the stream's descriptor, once; on
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) forgets the readiness of `interest`'s
    /// directions. As [`TcpStream::try_io`] (which says more), and tokio's
    /// `UnixStream::try_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Write};
    /// use std::os::fd::AsFd;
    /// use mirage::io::Interest;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let raw = std::os::unix::net::UnixStream::from(a.as_fd().try_clone_to_owned()?);
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(a.try_io(Interest::WRITABLE, || (&raw).write(b"hi"))?, 2);
    ///     let mut buf = [0; 2];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io_interest(interest, f)
    }

    /// Runs `f`, a non-blocking operation on the stream's descriptor, until it does not
    /// return [`WouldBlock`](io::ErrorKind::WouldBlock), waiting for readiness in
    /// `interest`'s directions in between. As [`TcpStream::async_io`], and tokio's
    /// `UnixStream::async_io`. Cancel-safe as far as `f` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::fd::AsFd;
    /// use mirage::io::Interest;
    /// use mirage::net::UnixStream;
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// let raw = std::os::unix::net::UnixStream::from(a.as_fd().try_clone_to_owned()?);
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     mirage::spawn(async move { b.write_all(b"later").await });
    ///     let mut buf = [0; 16];
    ///     let n = a.async_io(Interest::READABLE, || (&raw).read(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"later");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io_interest(interest, f).await
    }
}

impl UdpSocket {
    /// Waits until the socket is ready in at least one of `interest`'s directions, and
    /// returns every asked state that is ready, as [`TcpStream::ready`] (which says more),
    /// and tokio's `UdpSocket::ready`: readable when a datagram is queued. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let ready = b.ready(Interest::READABLE).await?;
    ///     assert!(ready.is_readable());
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.try_recv(&mut buf)?, 4);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_interest(interest).await
    }

    /// Runs `f`, a non-blocking operation on the socket's descriptor, once; on
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) forgets the readiness of `interest`'s
    /// directions. As [`TcpStream::try_io`] (which says more), and tokio's
    /// `UdpSocket::try_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::os::fd::AsFd;
    /// use mirage::io::Interest;
    /// use mirage::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// let raw = std::net::UdpSocket::from(socket.as_fd().try_clone_to_owned()?);
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let mut buf = [0; 16];
    ///     let err = socket.try_io(Interest::READABLE, || raw.recv(&mut buf)).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io_interest(interest, f)
    }

    /// Runs `f`, a non-blocking operation on the socket's descriptor, until it does not
    /// return [`WouldBlock`](io::ErrorKind::WouldBlock), waiting for readiness in
    /// `interest`'s directions in between. As [`TcpStream::async_io`], and tokio's
    /// `UdpSocket::async_io`. Cancel-safe as far as `f` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use mirage::io::Interest;
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let raw = std::net::UdpSocket::from(b.as_fd().try_clone_to_owned()?);
    /// let to = b.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     mirage::spawn(async move { a.send_to(b"later", to).await });
    ///     let mut buf = [0; 16];
    ///     let n = b.async_io(Interest::READABLE, || raw.recv(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"later");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io_interest(interest, f).await
    }
}

impl UnixDatagram {
    /// Waits until the socket is ready in at least one of `interest`'s directions, and
    /// returns every asked state that is ready, as [`TcpStream::ready`] (which says more),
    /// and tokio's `UnixDatagram::ready`. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send(b"ping").await?;
    ///     let ready = b.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     assert!(ready.is_readable() && ready.is_writable());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_interest(interest).await
    }

    /// Runs `f`, a non-blocking operation on the socket's descriptor, once; on
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) forgets the readiness of `interest`'s
    /// directions. As [`TcpStream::try_io`] (which says more), and tokio's
    /// `UnixDatagram::try_io`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use mirage::io::Interest;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let raw = std::os::unix::net::UnixDatagram::from(a.as_fd().try_clone_to_owned()?);
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     assert_eq!(a.try_io(Interest::WRITABLE, || raw.send(b"hi"))?, 2);
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.recv(&mut buf).await?, 2);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io_interest(interest, f)
    }

    /// Runs `f`, a non-blocking operation on the socket's descriptor, until it does not
    /// return [`WouldBlock`](io::ErrorKind::WouldBlock), waiting for readiness in
    /// `interest`'s directions in between. As [`TcpStream::async_io`], and tokio's
    /// `UnixDatagram::async_io`. Cancel-safe as far as `f` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use mirage::io::Interest;
    /// use mirage::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let raw = std::os::unix::net::UnixDatagram::from(b.as_fd().try_clone_to_owned()?);
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     mirage::spawn(async move { a.send(b"later").await });
    ///     let mut buf = [0; 16];
    ///     let n = b.async_io(Interest::READABLE, || raw.recv(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"later");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.async_io_interest(interest, f).await
    }
}
