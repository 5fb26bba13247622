//! Creating, configuring, binding and connecting sockets: the libc calls std does not
//! make for Mirage, each checked through `errno`.

use std::io;
use std::mem;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::time::Duration;

use libc::c_int;

/// The result of a libc call that returns -1 and sets `errno` on failure.
pub(super) fn check(rc: c_int) -> io::Result<c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// A new TCP socket of `domain` (`AF_INET` or `AF_INET6`), non-blocking and
/// close-on-exec, neither bound nor connected.
pub(crate) fn tcp_socket(domain: c_int) -> io::Result<OwnedFd> {
    let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: no pointers; returns a new descriptor or -1.
    let fd = check(unsafe { libc::socket(domain, flags, 0) })?;
    // SAFETY: `fd` was just created and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Turns `TCP_INQ` on or off for the TCP socket `fd`. With it on, each `recvmsg` also
/// brings back how many bytes are left to read (see `TcpRead`), so a read that fills its
/// buffer needs no second read to learn the socket drained. It needs Linux 4.18; earlier
/// kernels refuse it.
pub(crate) fn set_inq(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    set_int_option(fd, libc::SOL_TCP, libc::TCP_INQ, c_int::from(on))
}

/// Sets the `c_int` socket option `name` at `level`.
pub(crate) fn set_int_option(
    fd: BorrowedFd<'_>,
    level: c_int,
    name: c_int,
    value: c_int,
) -> io::Result<()> {
    // SAFETY: the kernel reads `size_of::<c_int>()` bytes at `&value`, a live `c_int`.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            ptr::from_ref(&value).cast(),
            mem::size_of::<c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Reads the `c_int` socket option `name` at `level`.
pub(crate) fn int_option(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<c_int> {
    let mut value: c_int = 0;
    let mut len = mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes at `&mut value`, a live `c_int`, and
    // the actual length at `&mut len`.
    check(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// Sets the `c_int` socket option `name` at `level` to `value`, an option that holds one
/// byte (`IP_TOS`, `IPV6_TCLASS`): a value above 255 fails with `InvalidInput` naming the
/// option, rather than reach the kernel, which would keep its low byte or, for a value
/// that becomes negative as an `int`, read it as "the default".
pub(crate) fn set_byte_option(
    fd: BorrowedFd<'_>,
    level: c_int,
    name: c_int,
    option: &str,
    value: u32,
) -> io::Result<()> {
    let byte = u8::try_from(value).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{option} is one byte; {value} does not fit"),
        )
    })?;
    set_int_option(fd, level, name, c_int::from(byte))
}

/// Reads the one-byte socket option `name` at `level` (see [`set_byte_option`]).
pub(crate) fn byte_option(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<u32> {
    // The kernel reports the stored byte, never a negative value.
    Ok(u32::try_from(int_option(fd, level, name)?).unwrap_or(0))
}

/// Sets `SO_LINGER`: `None` turns it off (the default: `close` returns at once and the
/// kernel sends what is queued in the background); `Some(time)` turns it on, in whole
/// seconds rounded down (as socket2 does) and capped at `c_int::MAX`.
pub(crate) fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: c_int::from(linger.is_some()),
        l_linger: linger.map_or(0, |time| {
            c_int::try_from(time.as_secs()).unwrap_or(c_int::MAX)
        }),
    };
    // SAFETY: the kernel reads `size_of::<linger>()` bytes at `&value`, a live `linger`.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            ptr::from_ref(&value).cast(),
            mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Reads `SO_LINGER`, as [`set_linger`] takes it.
pub(crate) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    let mut value = libc::linger {
        l_onoff: 0,
        l_linger: 0,
    };
    let mut len = mem::size_of::<libc::linger>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes at `&mut value`, a live `linger`, and
    // the actual length at `&mut len`.
    check(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    })?;
    let seconds = u64::try_from(value.l_linger).unwrap_or(0);
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(seconds)))
}

/// The credentials the kernel recorded for the peer of a connected Unix socket
/// (`SO_PEERCRED`): its process, user and group ids when it connected (or made the pair).
pub(crate) fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<libc::ucred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes at `&mut cred`, a live `ucred`, and the
    // actual length at `&mut len`.
    check(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            ptr::from_mut(&mut cred).cast(),
            &mut len,
        )
    })?;
    Ok(cred)
}

/// Binds `fd` to the network interface named `name` (`SO_BINDTODEVICE`), or unbinds it
/// for `None` or an empty name. The name must be the interface's whole name: the kernel
/// would cut a longer one to `IFNAMSIZ - 1` bytes, or at a NUL, and look that up instead.
pub(crate) fn set_bind_device(fd: BorrowedFd<'_>, name: Option<&[u8]>) -> io::Result<()> {
    let name = name.unwrap_or_default();
    if name.len() >= libc::IFNAMSIZ || name.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{:?} is not an interface name: at most {} bytes and no NUL",
                String::from_utf8_lossy(name),
                libc::IFNAMSIZ - 1
            ),
        ));
    }
    // SAFETY: the kernel reads `name.len()` bytes at `name`, a live slice (for an empty
    // one, none).
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// The name of the interface `fd` is bound to (`SO_BINDTODEVICE`), `None` if none.
pub(crate) fn bind_device(fd: BorrowedFd<'_>) -> io::Result<Option<Vec<u8>>> {
    let mut name = [0u8; libc::IFNAMSIZ];
    let mut len = name.len() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes at `name`, a live array of that size,
    // and the length it wrote (the name and its NUL, or 0 when unbound) at `&mut len`.
    check(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_mut_ptr().cast(),
            &mut len,
        )
    })?;
    let written = &name[..(len as usize).min(name.len())];
    let name = &written[..written
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(written.len())];
    Ok((!name.is_empty()).then(|| name.to_vec()))
}

/// A new Unix-domain socket of type `ty` (`SOCK_STREAM` or `SOCK_DGRAM`), non-blocking and
/// close-on-exec, neither bound nor connected.
pub(crate) fn unix_socket(ty: c_int) -> io::Result<OwnedFd> {
    let flags = ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: no pointers; returns a new descriptor or -1.
    let fd = check(unsafe { libc::socket(libc::AF_UNIX, flags, 0) })?;
    // SAFETY: `fd` was just created and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Binds the Unix-domain socket `fd` to the file system `path`.
pub(crate) fn bind_unix(fd: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    // SAFETY: `with_unix_sockaddr` passes a live address of the length it gives.
    check(with_unix_sockaddr(path, |sockaddr, len| unsafe {
        libc::bind(fd.as_raw_fd(), sockaddr, len)
    })?)?;
    Ok(())
}

/// Connects the non-blocking Unix-domain socket `fd` to the socket at `path`, or starts
/// to (`EINPROGRESS`, as for [`start_connect`]). `WouldBlock` when the listener's backlog
/// is full: the socket stays unconnected, to try again.
pub(crate) fn connect_unix(fd: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    // SAFETY: `with_unix_sockaddr` passes a live address of the length it gives.
    match check(with_unix_sockaddr(path, |sockaddr, len| unsafe {
        libc::connect(fd.as_raw_fd(), sockaddr, len)
    })?) {
        Err(err) if !matches!(err.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => {
            Err(err)
        }
        _ => Ok(()),
    }
}

/// Calls `f` with `path` as a `sockaddr_un` pointer and its length, valid during the call.
/// A path that starts with a NUL byte names the abstract socket of the bytes after it, as
/// tokio (through `socket2`) reads it: those bytes may hold more NULs, and with no
/// terminator they may fill `sun_path`. `InvalidInput` for another path that holds a NUL
/// byte or does not fit `sun_path` with its terminating NUL, as std's Unix sockets.
fn with_unix_sockaddr<R>(
    path: &Path,
    f: impl FnOnce(*const libc::sockaddr, libc::socklen_t) -> R,
) -> io::Result<R> {
    let bytes = path.as_os_str().as_bytes();
    let is_abstract = bytes.first() == Some(&0);
    if !is_abstract && bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "paths must not contain interior null bytes",
        ));
    }
    // SAFETY: `sockaddr_un` is plain data; all-zero is valid (and NUL-terminates the path).
    let mut addr: libc::sockaddr_un = unsafe { mem::zeroed() };
    if bytes.len() > addr.sun_path.len() || (!is_abstract && bytes.len() == addr.sun_path.len()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "path must be shorter than SUN_LEN",
        ));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, &src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    // The family, the path and its NUL; an empty path is the family alone, as std makes it,
    // and an abstract name is counted by the length alone, with no NUL after it.
    let mut len = mem::offset_of!(libc::sockaddr_un, sun_path) + bytes.len();
    if !bytes.is_empty() && !is_abstract {
        len += 1;
    }
    Ok(f(ptr::from_ref(&addr).cast(), len as libc::socklen_t))
}

/// Calls `f` with `addr` as a `sockaddr` pointer and its length, valid during the call.
fn with_sockaddr<R>(
    addr: &SocketAddr,
    f: impl FnOnce(*const libc::sockaddr, libc::socklen_t) -> R,
) -> R {
    match addr {
        SocketAddr::V4(addr) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: addr.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(addr.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            f(
                ptr::from_ref(&sin).cast(),
                mem::size_of_val(&sin) as libc::socklen_t,
            )
        }
        SocketAddr::V6(addr) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: addr.port().to_be(),
                sin6_flowinfo: addr.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: addr.ip().octets(),
                },
                sin6_scope_id: addr.scope_id(),
            };
            f(
                ptr::from_ref(&sin6).cast(),
                mem::size_of_val(&sin6) as libc::socklen_t,
            )
        }
    }
}

/// Binds `fd` to `addr`.
pub(crate) fn bind(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    // SAFETY: `with_sockaddr` passes a live address of the length it gives.
    check(with_sockaddr(addr, |sockaddr, len| unsafe {
        libc::bind(fd.as_raw_fd(), sockaddr, len)
    }))?;
    Ok(())
}

/// Marks `fd` as listening, with room for `backlog` connections not yet accepted (the
/// kernel caps it at `net.core.somaxconn`).
pub(crate) fn listen(fd: BorrowedFd<'_>, backlog: u32) -> io::Result<()> {
    let backlog = c_int::try_from(backlog).unwrap_or(c_int::MAX);
    // SAFETY: no pointers.
    check(unsafe { libc::listen(fd.as_raw_fd(), backlog) })?;
    Ok(())
}

/// Starts connecting the non-blocking socket `fd` to `addr`. `Ok` once the connection is
/// established or under way (`EINPROGRESS`; an interrupted call also goes on in the
/// background): the socket becomes writable when it completes or fails.
pub(crate) fn start_connect(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    // SAFETY: `with_sockaddr` passes a live address of the length it gives.
    match check(with_sockaddr(addr, |sockaddr, len| unsafe {
        libc::connect(fd.as_raw_fd(), sockaddr, len)
    })) {
        Err(err) if !matches!(err.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => {
            Err(err)
        }
        _ => Ok(()),
    }
}
