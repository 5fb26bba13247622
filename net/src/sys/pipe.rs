//! Pipes and FIFOs: creating a pipe, asking whether a descriptor is one, and reading and
//! changing its status flags (`O_NONBLOCK`, the access mode).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use libc::c_int;

use super::socket::check;

/// A new anonymous pipe, both ends non-blocking and close-on-exec: `(read end, write end)`.
pub(crate) fn new_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as c_int; 2];
    // SAFETY: `fds` is room for the two descriptors `pipe2` writes, exclusively borrowed
    // for the call.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: `pipe2` succeeded, so both are new descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Whether `fd` is a pipe or a FIFO (`S_IFIFO`), by `fstat`.
pub(crate) fn is_fifo(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: `stat` is plain data; all-zero is a valid value for `fstat` to overwrite.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open for the borrow, and `stat` is exclusively borrowed for the call.
    check(unsafe { libc::fstat(fd.as_raw_fd(), &mut stat) })?;
    Ok(stat.st_mode & libc::S_IFMT == libc::S_IFIFO)
}

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
