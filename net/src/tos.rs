//! `IP_TOS` on TCP and UDP sockets: the type-of-service byte of the IPv4 packets they send
//! (DSCP in its upper six bits, ECN in the lower two).
//!
//! tokio names these `tos_v4` and `set_tos_v4`, having renamed `tos` and `set_tos`, which
//! it keeps as deprecated aliases; Mirage offers both names the same way.
//!
//! One deliberate difference: the option is one byte, and Linux keeps only the low byte of
//! the `int` it is given (256 would silently become 0), so values above 255 fail with
//! `InvalidInput` here, where tokio passes them on.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use crate::{TcpSocket, UdpSocket, sys};

/// Sets `IP_TOS` on `fd`, refusing values that do not fit its one byte.
fn set_tos_v4(fd: BorrowedFd<'_>, tos: u32) -> io::Result<()> {
    sys::set_byte_option(fd, libc::IPPROTO_IP, libc::IP_TOS, "IP_TOS", tos)
}

/// Reads `IP_TOS` from `fd`.
fn tos_v4(fd: BorrowedFd<'_>) -> io::Result<u32> {
    sys::byte_option(fd, libc::IPPROTO_IP, libc::IP_TOS)
}

impl TcpSocket {
    /// Sets `IP_TOS`, as tokio's `TcpSocket::set_tos_v4`: the type-of-service byte of
    /// every IPv4 packet the socket sends, before it connects or listens; the stream it
    /// becomes keeps it. Linux keeps TCP's two ECN bits (the low ones) to itself and
    /// ignores them here.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a value above 255 (tokio passes it on, and Linux would keep only
    /// its low byte).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_tos_v4(0x10)?; // IPTOS_LOWDELAY
    /// assert_eq!(socket.tos_v4()?, 0x10);
    /// let err = socket.set_tos_v4(256).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        set_tos_v4(self.as_fd(), tos)
    }

    /// `IP_TOS`: the type-of-service byte of the IPv4 packets the socket sends.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert_eq!(socket.tos_v4()?, 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn tos_v4(&self) -> io::Result<u32> {
        tos_v4(self.as_fd())
    }

    /// The name tokio first gave [`set_tos_v4`](TcpSocket::set_tos_v4), deprecated there
    /// as here.
    ///
    /// # Examples
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_tos(0x08)?;
    /// assert_eq!(socket.tos_v4()?, 0x08);
    /// # std::io::Result::Ok(())
    /// ```
    #[deprecated(note = "renamed `set_tos_v4`, as in tokio: the option is IPv4-specific")]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set_tos_v4(tos)
    }

    /// The name tokio first gave [`tos_v4`](TcpSocket::tos_v4), deprecated there as here.
    ///
    /// # Examples
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.set_tos_v4(0x08)?;
    /// assert_eq!(socket.tos()?, 0x08);
    /// # std::io::Result::Ok(())
    /// ```
    #[deprecated(note = "renamed `tos_v4`, as in tokio: the option is IPv4-specific")]
    pub fn tos(&self) -> io::Result<u32> {
        self.tos_v4()
    }
}

impl UdpSocket {
    /// Sets `IP_TOS`, as tokio's `UdpSocket::set_tos_v4`: the type-of-service byte of
    /// every IPv4 datagram the socket sends from now on, ECN bits included.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a value above 255 (tokio passes it on, and Linux would keep only
    /// its low byte).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_tos_v4(0xb8)?; // DSCP EF, "expedited forwarding"
    /// assert_eq!(socket.tos_v4()?, 0xb8);
    /// let err = socket.set_tos_v4(0x1b8).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        set_tos_v4(self.as_fd(), tos)
    }

    /// `IP_TOS`: the type-of-service byte of the IPv4 datagrams the socket sends.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(socket.tos_v4()?, 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn tos_v4(&self) -> io::Result<u32> {
        tos_v4(self.as_fd())
    }

    /// The name tokio first gave [`set_tos_v4`](UdpSocket::set_tos_v4), deprecated there
    /// as here.
    ///
    /// # Examples
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_tos(0x03)?;
    /// assert_eq!(socket.tos_v4()?, 0x03);
    /// # std::io::Result::Ok(())
    /// ```
    #[deprecated(note = "renamed `set_tos_v4`, as in tokio: the option is IPv4-specific")]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set_tos_v4(tos)
    }

    /// The name tokio first gave [`tos_v4`](UdpSocket::tos_v4), deprecated there as here.
    ///
    /// # Examples
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_tos_v4(0x03)?;
    /// assert_eq!(socket.tos()?, 0x03);
    /// # std::io::Result::Ok(())
    /// ```
    #[deprecated(note = "renamed `tos_v4`, as in tokio: the option is IPv4-specific")]
    pub fn tos(&self) -> io::Result<u32> {
        self.tos_v4()
    }
}
