//! Pipes and FIFOs: creating a pipe, and asking whether a descriptor is one.

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
