//! The system calls std does not offer in the form Mirage needs.
//!
//! The hot ones (`recv`, `send`, `sendmsg`) go through `syscall(2)` rather than glibc's
//! wrappers of the same name: those are thread-cancellation points, and entering and
//! leaving asynchronous-cancel mode around every call costs about 60 user-space
//! instructions, as much as the rest of the wrapper (callgrind, echo and HTTP benchmarks).
//! Rust never cancels threads, so the raw call loses nothing.

use std::io::{self, IoSlice};
use std::os::fd::RawFd;
use std::ptr;

use libc::c_long;

/// Turns a raw system call's result into bytes transferred or the error in `errno`.
fn result(returned: c_long) -> io::Result<usize> {
    if returned < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(returned as usize)
    }
}

/// Receives into `buf` (`recv(fd, buf, len, 0)`): `Ok(0)` at end of stream.
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `recvfrom` writes at most `buf.len()` bytes into `buf`, which is valid and
    // exclusively borrowed for the call; the null address and length pointers ask for no
    // peer address. Every argument is passed as a full register-sized integer.
    result(unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            c_long::from(fd),
            buf.as_mut_ptr(),
            buf.len(),
            0 as c_long,
            ptr::null_mut::<libc::sockaddr>(),
            ptr::null_mut::<libc::socklen_t>(),
        )
    })
}

/// Sends from `buf` with `MSG_NOSIGNAL`: a closed peer gives `BrokenPipe` instead of a
/// SIGPIPE that would kill the process.
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `sendto` only reads `buf.len()` bytes from `buf`, valid for the call; a null
    // address of length zero means the connected peer.
    result(unsafe {
        libc::syscall(
            libc::SYS_sendto,
            c_long::from(fd),
            buf.as_ptr(),
            buf.len(),
            c_long::from(libc::MSG_NOSIGNAL),
            ptr::null::<libc::sockaddr>(),
            0 as c_long,
        )
    })
}

/// Writes `bufs` with one `sendmsg(MSG_NOSIGNAL)`: like `writev`, but a closed peer gives
/// `BrokenPipe` instead of a SIGPIPE that would kill the process.
pub(crate) fn send_vectored(fd: RawFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: `msghdr` is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; the kernel only reads
    // through the pointer. More than IOV_MAX buffers would fail with EINVAL: send the first
    // IOV_MAX, a short write the caller handles like any other.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(1024) as _;
    // SAFETY: `msg` points to `bufs`, which outlives the call, and the kernel only reads
    // through it; no name, control data or flags are passed back.
    result(unsafe {
        libc::syscall(
            libc::SYS_sendmsg,
            c_long::from(fd),
            ptr::from_ref(&msg),
            c_long::from(libc::MSG_NOSIGNAL),
        )
    })
}

/// Whether an `accept` error means the process or system ran out of descriptors (or
/// memory): transient conditions a server should wait out, not die of.
pub(crate) fn is_resource_exhaustion(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Whether an `accept` error concerns only the one connection being accepted (it was reset
/// before it could be accepted): the listener is fine and should keep going.
pub(crate) fn is_connection_aborted(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::ConnectionAborted
}

/// The total length of a vectored buffer list.
pub(crate) fn total_len<B: std::ops::Deref<Target = [u8]>>(bufs: &[B]) -> usize {
    bufs.iter().map(|buf| buf.len()).sum()
}
