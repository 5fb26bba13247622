//! A descriptor's file status flags (`F_GETFL`, `F_SETFL`): `O_NONBLOCK` and the access
//! mode, for descriptors that Mirage takes over.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use libc::c_int;

use super::socket::check;

/// The file status flags of `fd` (`F_GETFL`): access mode, `O_NONBLOCK`, `O_DIRECT`, ...
pub(crate) fn status_flags(fd: BorrowedFd<'_>) -> io::Result<c_int> {
    // SAFETY: `F_GETFL` takes no argument and reads only the descriptor's flags.
    check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })
}

/// Turns `O_NONBLOCK` on or off, given the present status `flags` of `fd`; no system call
/// if it is already so.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, flags: c_int, on: bool) -> io::Result<()> {
    let wanted = match on {
        true => flags | libc::O_NONBLOCK,
        false => flags & !libc::O_NONBLOCK,
    };
    if wanted != flags {
        // SAFETY: `F_SETFL` takes an `int` of flags and changes only the descriptor's.
        check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, wanted) })?;
    }
    Ok(())
}

/// Whether the access mode in status `flags` allows reading (`O_RDONLY` or `O_RDWR`).
pub(crate) fn can_read(flags: c_int) -> bool {
    matches!(flags & libc::O_ACCMODE, libc::O_RDONLY | libc::O_RDWR)
}

/// Whether the access mode in status `flags` allows writing (`O_WRONLY` or `O_RDWR`).
pub(crate) fn can_write(flags: c_int) -> bool {
    matches!(flags & libc::O_ACCMODE, libc::O_WRONLY | libc::O_RDWR)
}

/// Makes `fd` non-blocking, if it is not already.
pub(crate) fn make_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    set_nonblocking(fd, status_flags(fd)?, true)
}
