//! `SO_BINDTODEVICE` on TCP and UDP sockets (Linux): tie a socket to one network
//! interface, so that it sends through it and only receives what arrives on it.
//!
//! Since Linux 5.7 any process may bind a socket that is not yet bound to an interface;
//! changing or removing a binding, and any binding before 5.7, needs `CAP_NET_RAW` and
//! fails with `PermissionDenied` without it.
//!
//! One deliberate difference from tokio: a name the kernel would not take whole (longer than
//! 15 bytes, or with a NUL inside) fails with `InvalidInput`. tokio passes it on, and the
//! kernel cuts it short and binds to whichever interface has the shorter name, if any.

use std::io;
use std::os::fd::AsFd;

use crate::{TcpSocket, UdpSocket, sys};

impl TcpSocket {
    /// Sets `SO_BINDTODEVICE`, as tokio's `TcpSocket::bind_device`: the socket, and the
    /// stream or listener it becomes, only use the interface named `interface` (such as
    /// `b"eth0"`). `None` or an empty name removes the binding.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a name longer than 15 bytes or with a NUL in it; the OS error
    /// `ENODEV` for a name no interface has; `PermissionDenied` without `CAP_NET_RAW` for
    /// changing or removing a binding (and, before Linux 5.7, for any binding).
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// socket.bind_device(Some(b"lo"))?;
    /// assert_eq!(socket.device()?.as_deref(), Some(&b"lo"[..]));
    /// let err = socket.bind_device(Some(b"an-interface-name-too-long")).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        sys::set_bind_device(self.as_fd(), interface)
    }

    /// `SO_BINDTODEVICE`: the name of the interface the socket is bound to, `None` if it
    /// is not bound to one.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::TcpSocket::new_v4()?;
    /// assert_eq!(socket.device()?, None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        sys::bind_device(self.as_fd())
    }
}

impl UdpSocket {
    /// Sets `SO_BINDTODEVICE`, as tokio's `UdpSocket::bind_device`: the socket only sends
    /// through and receives from the interface named `interface` (such as `b"eth0"`).
    /// `None` or an empty name removes the binding.
    ///
    /// # Errors
    ///
    /// As [`TcpSocket::bind_device`].
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.bind_device(Some(b"lo"))?;
    /// assert_eq!(socket.device()?.as_deref(), Some(&b"lo"[..]));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        sys::set_bind_device(self.as_fd(), interface)
    }

    /// `SO_BINDTODEVICE`: the name of the interface the socket is bound to, `None` if it
    /// is not bound to one.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = mirage::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(socket.device()?, None);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        sys::bind_device(self.as_fd())
    }
}
