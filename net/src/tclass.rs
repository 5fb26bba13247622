//! `IPV6_TCLASS` on TCP and UDP sockets: the traffic class byte of the IPv6 packets they
//! send (DSCP in its upper six bits, ECN in the lower two), IPv6's counterpart of `IP_TOS`
//! (`tos.rs`).
//!
//! As for `IP_TOS`, one deliberate difference from tokio: the class is one byte, and a
//! value above 255 fails with `InvalidInput` here before it reaches the kernel. tokio
//! passes the `u32` on as an `int`, and `u32::MAX` then arrives as -1, which Linux reads
//! as "back to the route's default".

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use crate::{TcpSocket, UdpSocket, sys};

/// Sets `IPV6_TCLASS` on `fd`, refusing values that do not fit its one byte.
fn set_tclass_v6(fd: BorrowedFd<'_>, tclass: u32) -> io::Result<()> {
    let (level, name) = (libc::IPPROTO_IPV6, libc::IPV6_TCLASS);
    sys::set_byte_option(fd, level, name, "IPV6_TCLASS", tclass)
}

/// Reads `IPV6_TCLASS` from `fd`.
fn tclass_v6(fd: BorrowedFd<'_>) -> io::Result<u32> {
    sys::byte_option(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS)
}

impl TcpSocket {
    /// Sets `IPV6_TCLASS`, as tokio's `TcpSocket::set_tclass_v6`: the traffic class of
    /// every IPv6 packet the socket sends, before it connects or listens; the stream it
    /// becomes keeps it. An IPv4 socket refuses it (Linux: `ENOPROTOOPT`).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a value above 255 (see the module's docs).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v6()?;
    /// socket.set_tclass_v6(0x28)?; // DSCP AF11
    /// assert_eq!(socket.tclass_v6()?, 0x28);
    /// let err = socket.set_tclass_v6(256).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        set_tclass_v6(self.as_fd(), tclass)
    }

    /// `IPV6_TCLASS`: the traffic class of the IPv6 packets the socket sends.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v6()?;
    /// assert_eq!(socket.tclass_v6()?, 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn tclass_v6(&self) -> io::Result<u32> {
        tclass_v6(self.as_fd())
    }
}

impl UdpSocket {
    /// Sets `IPV6_TCLASS`, as tokio's `UdpSocket::set_tclass_v6`: the traffic class of
    /// every IPv6 datagram the socket sends from now on, ECN bits included. An IPv4 socket
    /// refuses it (Linux: `ENOPROTOOPT`).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a value above 255 (see the module's docs).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("[::1]:0")?;
    /// socket.set_tclass_v6(0xb8)?; // DSCP EF
    /// assert_eq!(socket.tclass_v6()?, 0xb8);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        set_tclass_v6(self.as_fd(), tclass)
    }

    /// `IPV6_TCLASS`: the traffic class of the IPv6 datagrams the socket sends.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("[::1]:0")?;
    /// assert_eq!(socket.tclass_v6()?, 0);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn tclass_v6(&self) -> io::Result<u32> {
        tclass_v6(self.as_fd())
    }
}
