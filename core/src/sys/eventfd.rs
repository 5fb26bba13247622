//! An `eventfd` used as a wake-up flag: written from a signal handler, drained by a task.

use std::io;
use std::os::fd::RawFd;

use super::syscall;

/// Opens a non-blocking, close-on-exec eventfd and returns its raw descriptor, which the
/// caller keeps open for the rest of the process (see `signal::registry` for why).
pub(crate) fn open() -> io::Result<RawFd> {
    // Plain integer arguments; no pointers.
    syscall!(eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC))
}

/// Resets the counter to zero; `WouldBlock` when it already was.
pub(crate) fn drain(fd: RawFd) -> io::Result<()> {
    let mut count = 0u64;
    // The caller's descriptor is open; the buffer is the 8 bytes an eventfd read needs, and
    // outlives the call.
    syscall!(read(
        fd,
        (&raw mut count).cast(),
        std::mem::size_of::<u64>()
    ))?;
    Ok(())
}

/// Adds one to the counter, making the descriptor readable. Async-signal-safe: one
/// `write(2)`, whose result is ignored (a full counter is still readable).
pub(crate) fn nudge(fd: RawFd) {
    let one = 1u64;
    // SAFETY: `fd` is an eventfd that is never closed (the caller's contract), and the
    // buffer is the 8 bytes an eventfd write needs, alive for the call.
    unsafe {
        libc::write(fd, (&raw const one).cast(), std::mem::size_of::<u64>());
    }
}
