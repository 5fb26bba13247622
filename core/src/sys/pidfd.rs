//! Process descriptors and non-blocking pipes, for `mirage::process`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::syscall;

/// A pidfd for the child `pid`: readable once the child exits (Linux 5.3 and later).
/// `None` where the kernel has no `pidfd_open`.
pub(crate) fn open(pid: u32) -> io::Result<Option<OwnedFd>> {
    // SAFETY: `pidfd_open` takes a pid and flags, no pointers.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        let err = io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::ENOSYS) => Ok(None),
            _ => Err(err),
        };
    }
    // SAFETY: `pidfd_open` returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) };
    set_cloexec_nonblocking(&fd)?;
    Ok(Some(fd))
}

/// Puts `fd` back in blocking mode, for a pipe end handed to another child as its stdio
/// (most programs treat `EAGAIN` on their input or output as an error).
pub(crate) fn set_blocking(fd: &impl AsRawFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // Plain integer arguments on a descriptor the caller owns.
    let flags = syscall!(fcntl(fd, libc::F_GETFL))?;
    syscall!(fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK))?;
    Ok(())
}

/// Puts `fd` in non-blocking mode (and close-on-exec, as std's pipes already are).
pub(crate) fn set_cloexec_nonblocking(fd: &impl AsRawFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // Plain integer arguments on a descriptor the caller owns.
    let flags = syscall!(fcntl(fd, libc::F_GETFL))?;
    syscall!(fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    let flags = syscall!(fcntl(fd, libc::F_GETFD))?;
    syscall!(fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC))?;
    Ok(())
}
