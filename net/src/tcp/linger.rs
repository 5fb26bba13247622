//! `SO_LINGER` on TCP streams and sockets: what closing does with unsent data.
//!
//! Off (the default), closing returns at once and the kernel sends what is queued in the
//! background, ending with FIN. `Some(Duration::ZERO)` makes closing abort the connection:
//! queued data is dropped and the peer gets RST (`ConnectionReset`), and no `TIME_WAIT`
//! state is left behind. A longer time makes `close` wait for the data to be sent, on
//! Linux even for a non-blocking socket: dropping the stream then blocks the thread, and
//! so every task of its Core, for up to that long. Prefer `None` or zero.

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use crate::{TcpSocket, TcpStream, sys};

impl TcpStream {
    /// Sets `SO_LINGER`, as tokio's `TcpStream::set_linger`: `Some(Duration::ZERO)` makes
    /// dropping the stream reset the connection (the peer's read fails with
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset)) instead of closing it in
    /// order; `None` (the default) closes in order. The time counts in whole seconds,
    /// rounded down, so anything under a second resets the connection as zero does.
    ///
    /// A non-zero time makes dropping the stream block the Core's thread while the kernel
    /// sends what is queued, for up to that long (Linux waits in `close` even for a
    /// non-blocking socket): every task of the Core stalls meanwhile. For the reset,
    /// [`set_zero_linger`](TcpStream::set_zero_linger) says so by its name.
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
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.set_linger(Some(Duration::ZERO))?;
    ///     drop(client);
    ///     let err = server.read(&mut [0; 16]).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sys::set_linger(self.as_fd(), linger)
    }

    /// Sets `SO_LINGER` to zero, as tokio's `TcpStream::set_zero_linger`: dropping the
    /// stream then aborts the connection, discarding what is still queued to send, and the
    /// peer's next read fails with [`ConnectionReset`](io::ErrorKind::ConnectionReset); no
    /// `TIME_WAIT` state is left behind. The one use of `SO_LINGER` that never blocks the
    /// Core's thread on drop. The same as `set_linger(Some(Duration::ZERO))`.
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
    ///     let client = TcpStream::connect(addr).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.set_zero_linger()?;
    ///     assert_eq!(client.linger()?, Some(Duration::ZERO));
    ///     drop(client);
    ///     let err = server.read(&mut [0; 16]).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.set_linger(Some(Duration::ZERO))
    }

    /// `SO_LINGER`: `None` when off, else the time closing may wait, in whole seconds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// assert_eq!(stream.linger()?, None);
    /// stream.set_linger(Some(Duration::from_millis(2500)))?;
    /// assert_eq!(stream.linger()?, Some(Duration::from_secs(2)), "rounded down");
    /// # stream.set_linger(None)?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sys::linger(self.as_fd())
    }
}

impl TcpSocket {
    /// Sets `SO_LINGER` before connecting or listening; the stream
    /// [`connect`](TcpSocket::connect) returns keeps it, as do the streams a listener made
    /// from this socket accepts. See [`TcpStream::set_linger`], and its warning about
    /// non-zero times.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::net::{TcpListener, TcpSocket};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.set_linger(Some(Duration::ZERO))?;
    ///     let stream = socket.connect(addr).await?;
    ///     assert_eq!(stream.linger()?, Some(Duration::ZERO));
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sys::set_linger(self.as_fd(), linger)
    }

    /// Sets `SO_LINGER` to zero before connecting or listening, as tokio's
    /// `TcpSocket::set_zero_linger`: see [`TcpStream::set_zero_linger`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_zero_linger()?;
    /// assert_eq!(socket.linger()?, Some(Duration::ZERO));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.set_linger(Some(Duration::ZERO))
    }

    /// `SO_LINGER`, as [`TcpStream::linger`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert_eq!(socket.linger()?, None);
    /// socket.set_linger(Some(Duration::from_secs(5)))?;
    /// assert_eq!(socket.linger()?, Some(Duration::from_secs(5)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sys::linger(self.as_fd())
    }
}
