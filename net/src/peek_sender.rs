//! `UdpSocket::peek_sender`: who sent the next datagram, without receiving it.
//!
//! A `recvfrom` with `MSG_PEEK` into no buffer at all: Linux returns the sender's address
//! and leaves the whole datagram queued, so a server can pick the buffer, or the task, for
//! it by sender before receiving it.

use std::io;
use std::net::SocketAddr;

use mirage_core::io::Direction;

use crate::UdpSocket;
use crate::udp::no_sender;

/// The sender of the datagram at the head of `socket`'s queue, leaving it there.
pub(crate) fn peek_sender(socket: &std::net::UdpSocket) -> io::Result<SocketAddr> {
    socket.peek_from(&mut []).map(|(_, sender)| sender)
}

impl UdpSocket {
    /// Waits for a datagram and returns its sender's address, leaving the datagram queued,
    /// as tokio's `UdpSocket::peek_sender`: the next receive returns it whole.
    ///
    /// Cancel-safe: nothing is taken from the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     a.send_to(b"hello", b.local_addr()?).await?;
    ///     assert_eq!(b.peek_sender().await?, a.local_addr()?);
    ///     let mut buf = [0; 16];
    ///     let (n, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello", "the datagram is still queued, whole");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        self.io
            .io(Direction::Read, |socket| {
                self.io.eof_if_read_shut(peek_sender(socket), no_sender)
            })
            .await
    }

    /// The sender of the next datagram without waiting, leaving the datagram queued, as
    /// tokio's `UdpSocket::try_peek_sender`; [`WouldBlock`](io::ErrorKind::WouldBlock) if
    /// none is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::net::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async move {
    ///     let err = b.try_peek_sender().unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    ///     a.send_to(b"hello", b.local_addr()?).await?;
    ///     b.readable().await?;
    ///     assert_eq!(b.try_peek_sender()?, a.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.io.try_io(Direction::Read, |socket| {
            self.io.eof_if_read_shut(peek_sender(socket), no_sender)
        })
    }
}
