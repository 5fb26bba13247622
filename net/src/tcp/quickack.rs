//! `TCP_QUICKACK` on TCP streams: whether received data is acknowledged at once.
//!
//! Linux starts each connection in quick-ack mode and leaves it on its own once the
//! exchange looks interactive, delaying acknowledgements to piggyback them on replies
//! (tcp(7): the flag "is not permanent"). A request-response protocol whose replies come
//! late can turn it back on after each read to keep the peer's congestion window moving.

use std::io;
use std::os::fd::AsFd;

use libc::c_int;

use crate::{TcpStream, sys};

impl TcpStream {
    /// Sets `TCP_QUICKACK` (Linux), as tokio's `TcpStream::set_quickack`: `true` sends
    /// acknowledgements at once rather than delaying them. The kernel may leave quick-ack
    /// mode later on its own (see tcp(7)), so a caller that depends on it sets it again,
    /// typically after each read.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// stream.set_quickack(false)?;
    /// assert!(!stream.quickack()?);
    /// stream.set_quickack(true)?;
    /// assert!(stream.quickack()?);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_quickack(&self, quickack: bool) -> io::Result<()> {
        sys::set_int_option(
            self.as_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            c_int::from(quickack),
        )
    }

    /// `TCP_QUICKACK` (Linux): whether the connection is in quick-ack mode now.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let stream = mirage::net::TcpStream::from_std(std_stream)?;
    /// assert!(stream.quickack()?, "a new connection starts in quick-ack mode");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn quickack(&self) -> io::Result<bool> {
        Ok(sys::int_option(self.as_fd(), libc::IPPROTO_TCP, libc::TCP_QUICKACK)? != 0)
    }
}
