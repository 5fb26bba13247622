//! The system calls std does not offer in the form Mirage needs.

use std::io::{self, IoSlice};
use std::os::fd::RawFd;

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
    // SAFETY: `fd` is an open socket owned by the caller, and `msg` points to `bufs`, which
    // outlives the call; no name, control data or flags are passed back.
    let sent = unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) };
    if sent < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(sent as usize)
    }
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
