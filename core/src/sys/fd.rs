//! Checks on a descriptor handed in by the user.

use std::io;
use std::os::fd::RawFd;

use super::syscall;

/// Whether `fd` is an open descriptor: `EBADF` if not (negative, never opened, or closed).
/// One `fcntl(F_GETFD)`, which reads the close-on-exec flag and changes nothing.
pub(crate) fn check_open(fd: RawFd) -> io::Result<()> {
    // Plain integer arguments; `F_GETFD` on any number is defined (`EBADF` if not open).
    syscall!(fcntl(fd, libc::F_GETFD)).map(drop)
}
