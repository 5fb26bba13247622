//! The sockets' `ready`, `try_io` and `async_io`: readiness in the kinds of an
//! [`Interest`] (the two directions, urgent data, errors), as tokio's sockets have them,
//! for loops that read and write one socket from one task, and for system calls Mirage
//! does not wrap.
//!
//! Each forwards to [`Source`](crate::source::Source). Two deliberate differences from
//! tokio: `ready` asks the kernel, so it does not report a readiness that an operation
//! already used up (as `readable` and `writable`); and `try_io` always runs its closure,
//! where tokio's returns `WouldBlock` without running it while its cache says not ready
//! (Mirage's cache may lag the kernel after `ready`, and the `try_` methods all make their
//! system call). All three honour the read and write timeouts (see below).
//!
//! Besides the two directions, an interest may name [`Interest::PRIORITY`] (TCP urgent
//! data, sent with `MSG_OOB`) and [`Interest::ERROR`] (a pending error, or an entry of the
//! error queue that `IP_RECVERR` fills, read with `MSG_ERRQUEUE`), as tokio's sockets take
//! them. Every socket is registered for urgent data from the start and epoll reports
//! errors unasked, so neither costs a system call or an event until one comes. A wait for
//! them is woken by those events only, not by ordinary data or room, and sees what the
//! kernel reports then: priority while urgent data waits (and read closed at end of
//! stream, after which none can come, as tokio reports it), error while an error does.
//!
//! The read timeout bounds a wait that asks for `READABLE` or `PRIORITY` (urgent data comes
//! from the peer, on the read side), the write timeout one that asks for `WRITABLE`, and
//! the shorter one a wait for both. `ERROR` brings no timeout of its own: the error queue's
//! entries answer this side's own sends, in no direction, a task that drains it usually
//! waits as long as the socket lives, and std has no timeout for `MSG_ERRQUEUE` either.

use std::io;

use mirage_core::io::{Interest, Ready};

use crate::{TcpStream, UdpSocket, UnixDatagram, UnixStream};

impl TcpStream {
    /// Waits until the stream is ready in at least one of `interest`'s kinds, and returns
    /// every asked state that is ready: readable, writable, and the closed halves, as
    /// tokio's `TcpStream::ready`. Pair it with [`try_read`](TcpStream::try_read) and
    /// [`try_write`](TcpStream::try_write) to serve both directions from one task.
    ///
    /// Waiting for several kinds wakes the task on an edge in any. The kernel is asked
    /// what is ready, so a state reported is present when `ready` returns; another task may
    /// still take it first, so treat `WouldBlock` from the operation as "wait again". With
    /// a timeout set for an asked direction, fails with
    /// [`TimedOut`](io::ErrorKind::TimedOut) after waiting the shortest of them.
    ///
    /// [`Interest::PRIORITY`] waits for urgent data (`MSG_OOB`) and reports
    /// [`is_priority`](Ready::is_priority) while it waits to be read, or
    /// [`is_read_closed`](Ready::is_read_closed) once the peer closed, as tokio does;
    /// ordinary data does not end that wait, and the read timeout bounds it (urgent data
    /// comes from the peer, on the read side). Urgent data also makes the stream readable.
    /// [`Interest::ERROR`] waits for a pending error, [`is_error`](Ready::is_error), with
    /// no timeout: errors answer this side's own sends, in no direction. The stream is
    /// registered for both from the start, so asking for them costs nothing until one
    /// comes.
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
    ///
    /// Urgent data, sent with `MSG_OOB` and read with [`try_io`](TcpStream::try_io):
    ///
    /// ```
    /// use std::io;
    /// use std::os::fd::AsRawFd;
    /// use mirage::io::Interest;
    /// use mirage::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let stream = TcpStream::connect(addr).await?;
    ///     let (peer, _) = listener.accept().await?;
    ///     let (fd, byte) = (peer.as_raw_fd(), b"!");
    ///     // SAFETY: `byte` is valid for reads for the call.
    ///     let sent = unsafe { libc::send(fd, byte.as_ptr().cast(), 1, libc::MSG_OOB) };
    ///     assert_eq!(sent, 1);
    ///     let ready = stream.ready(Interest::PRIORITY).await?;
    ///     assert!(ready.is_priority());
    ///     let mut urgent = 0u8;
    ///     let n = stream.try_io(Interest::PRIORITY, || {
    ///         let fd = stream.as_raw_fd();
    ///         // SAFETY: `urgent` is valid for writes for the call.
    ///         match unsafe { libc::recv(fd, (&raw mut urgent).cast(), 1, libc::MSG_OOB) } {
    ///             -1 => Err(io::Error::last_os_error()),
    ///             n => Ok(n),
    ///         }
    ///     })?;
    ///     assert_eq!((n, urgent), (1, b'!'));
    ///     io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_interest(interest).await
    }

    /// Runs `f`, a non-blocking operation on the stream's descriptor, once, as tokio's
    /// `TcpStream::try_io`: for a system call Mirage does not wrap. If `f` returns
    /// [`WouldBlock`](io::ErrorKind::WouldBlock), the readiness of `interest`'s kinds is
    /// forgotten, so the next wait in them waits for new data, room, urgent data or error.
    /// Under [`Interest::PRIORITY`] or [`Interest::ERROR`] alone, the directions' readiness
    /// stays: that `WouldBlock` says nothing of ordinary data. Never waits.
    ///
    /// `f` must make its system call on this stream (a borrowed or duplicated descriptor),
    /// in the kinds `interest` names (a `recv` with `MSG_OOB` under `PRIORITY`); a
    /// `WouldBlock` from anything else would make the stream's next operation wait for an
    /// edge that may never come. Once a read of the stream has filled its buffer, a
    /// `recvmsg` in `f` also gets a `TCP_CM_INQ` control message, or `MSG_CTRUNC` without
    /// room for one (see [the crate docs](crate#two-system-calls-per-message)).
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
    /// `interest`'s kinds in between, as tokio's `TcpStream::async_io`. `f` runs at once
    /// unless the stream is known not ready; each `WouldBlock` forgets the readiness of
    /// `interest`'s kinds, as [`try_io`](TcpStream::try_io) does. Timeouts as for
    /// [`ready`](TcpStream::ready), for the whole call.
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
    /// Waits until the stream is ready in at least one of `interest`'s kinds, and returns
    /// every asked state that is ready, as [`TcpStream::ready`] (which says more), and
    /// tokio's `UnixStream::ready`. A Unix stream has no urgent data: `Interest::PRIORITY`
    /// alone waits for end of stream. Cancel-safe.
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
    /// kinds. As [`TcpStream::try_io`] (which says more), and tokio's
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
    /// `interest`'s kinds in between. As [`TcpStream::async_io`], and tokio's
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
    /// Waits until the socket is ready in at least one of `interest`'s kinds, and returns
    /// every asked state that is ready, as [`TcpStream::ready`] (which says more), and
    /// tokio's `UdpSocket::ready`: readable when a datagram is queued, and with
    /// [`Interest::ERROR`], error when the socket has a pending error or a queued one (with
    /// `IP_RECVERR` set, the ICMP errors its datagrams brought back, read with
    /// [`try_io`](UdpSocket::try_io) and `recvmsg(MSG_ERRQUEUE)`). Ordinary datagrams do not
    /// end a wait for errors, which has no timeout. Cancel-safe.
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
    ///
    /// The error a datagram sent to a closed port brings back:
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use mirage::io::Interest;
    /// use mirage::net::UdpSocket;
    ///
    /// let nobody = std::net::UdpSocket::bind("127.0.0.1:0")?.local_addr()?; // closed at once
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     socket.connect(nobody).await?; // a connected socket keeps the ICMP error
    ///     socket.send(b"ping").await?;
    ///     let ready = socket.ready(Interest::ERROR).await?;
    ///     assert!(ready.is_error());
    ///     let err = socket.take_error()?.expect("a pending error");
    ///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready_interest(interest).await
    }

    /// Runs `f`, a non-blocking operation on the socket's descriptor, once; on
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) forgets the readiness of `interest`'s
    /// kinds. As [`TcpStream::try_io`] (which says more), and tokio's
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
    /// `interest`'s kinds in between. As [`TcpStream::async_io`], and tokio's
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
    /// Waits until the socket is ready in at least one of `interest`'s kinds, and returns
    /// every asked state that is ready, as [`TcpStream::ready`] (which says more), and
    /// tokio's `UnixDatagram::ready`. Cancel-safe.
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
    /// kinds. As [`TcpStream::try_io`] (which says more), and tokio's
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
    /// `interest`'s kinds in between. As [`TcpStream::async_io`], and tokio's
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
