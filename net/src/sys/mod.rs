//! The system calls std does not offer in the form Mirage needs.
//!
//! The hot ones (`recvmsg`, `send`, `sendmsg`) are made directly, without glibc's wrappers
//! of the same name. Those are thread-cancellation points: entering and leaving
//! asynchronous-cancel mode around every call costs about 60 user-space instructions, as
//! much as the rest of the wrapper, and Rust never cancels threads. On x86-64 the call is
//! the `syscall` instruction itself (as rustix's `linux_raw` backend does), which also
//! returns the error without going through `errno`; elsewhere it is `syscall(2)`. Measured
//! with callgrind on the echo and HTTP benchmarks: about 130 instructions fewer per
//! request-response pair (about 100 from skipping the wrappers, 30 from the instruction).

use std::cell::Cell;
use std::ffi::OsStr;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::ptr;

use libc::c_long;
use mirage_core::io::{Direction, Interest, Ready};

/// Makes system call `number` with six arguments; a negative result is `-errno`.
///
/// # Safety
///
/// The arguments must be valid for the call: pointers must point to memory the kernel may
/// read or write as the call specifies, for the call's duration.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn syscall6(number: c_long, args: [usize; 6]) -> io::Result<usize> {
    let returned: isize;
    // SAFETY: the Linux x86-64 system call convention: number in rax, arguments in rdi,
    // rsi, rdx, r10, r8 and r9, result in rax; the kernel clobbers rcx and r11 and
    // preserves everything else, including the stack. The caller vouches for the
    // arguments.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") number as isize => returned,
            in("rdi") args[0],
            in("rsi") args[1],
            in("rdx") args[2],
            in("r10") args[3],
            in("r8") args[4],
            in("r9") args[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    // Errors are -4095..=-1; anything else is a byte count.
    if (-4095..0).contains(&returned) {
        Err(io::Error::from_raw_os_error(-returned as i32))
    } else {
        Ok(returned as usize)
    }
}

/// Makes system call `number` with six arguments through `syscall(2)`.
///
/// # Safety
///
/// As for the x86-64 version.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
unsafe fn syscall6(number: c_long, args: [usize; 6]) -> io::Result<usize> {
    // SAFETY: the caller vouches for the arguments; each is passed register-sized.
    let returned =
        unsafe { libc::syscall(number, args[0], args[1], args[2], args[3], args[4], args[5]) };
    if returned < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(returned as usize)
    }
}

/// Receives into `buf` without consuming (`recv` with `MSG_PEEK`): the next receive returns
/// the same bytes.
pub(crate) fn peek(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    recv_flags(fd, buf, libc::MSG_PEEK)
}

#[inline]
fn recv_flags(fd: RawFd, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: null address and length pointers ask for no peer address.
    unsafe { recvfrom(fd, buf, flags, ptr::null_mut(), ptr::null_mut()) }
}

/// `recvfrom(2)` into `buf`, the peer's address into `addr` if it is not null.
///
/// # Safety
///
/// `addr` and `len` are both null, or `len` points to the size in bytes of the writable
/// buffer at `addr`, both valid for the call.
#[inline]
unsafe fn recvfrom(
    fd: RawFd,
    buf: &mut [u8],
    flags: libc::c_int,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
) -> io::Result<usize> {
    // SAFETY: `recvfrom` writes at most `buf.len()` bytes into `buf`, which is valid and
    // exclusively borrowed for the call, and (per the caller) at most `*len` bytes at
    // `addr`, then the address's length into `*len`.
    unsafe {
        syscall6(
            libc::SYS_recvfrom,
            [
                fd as usize,
                buf.as_mut_ptr() as usize,
                buf.len(),
                flags as usize,
                addr as usize,
                len as usize,
            ],
        )
    }
}

/// Receives one datagram of the Unix-domain socket `fd` into `buf` without consuming it
/// (`recvfrom` with `MSG_PEEK`), with the sender's address. (std's `peek_from` for Unix
/// sockets is not stable yet.)
pub(crate) fn peek_from_unix(fd: RawFd, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
    // SAFETY: `sockaddr_un` is plain data; all-zero is a valid (unnamed) address.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: `len` is the size of `addr`, and both are exclusively borrowed for the call.
    let n = unsafe {
        recvfrom(
            fd,
            buf,
            libc::MSG_PEEK,
            ptr::from_mut(&mut addr).cast(),
            &mut len,
        )
    }?;
    Ok((n, unix_addr(&addr, len)?))
}

/// Room for `sockaddr_un::sun_path`: the bytes of the struct from that field on.
const SUN_PATH_LEN: usize =
    std::mem::size_of::<libc::sockaddr_un>() - std::mem::offset_of!(libc::sockaddr_un, sun_path);

/// std's address for the `len` bytes of `addr` the kernel filled in.
fn unix_addr(addr: &libc::sockaddr_un, len: libc::socklen_t) -> io::Result<UnixAddr> {
    let offset = std::mem::offset_of!(libc::sockaddr_un, sun_path);
    let path_len = (len as usize)
        .saturating_sub(offset)
        .min(addr.sun_path.len());
    // `sun_path` holds `c_char`s; std takes bytes. Copied on the stack, not allocated.
    let mut bytes = [0u8; SUN_PATH_LEN];
    for (byte, &c) in bytes.iter_mut().zip(&addr.sun_path[..path_len]) {
        *byte = c as u8;
    }
    let path = &bytes[..path_len];
    match path.split_first() {
        // An unnamed sender: Linux gives no path at all. std builds the same zero-length
        // address from an empty path.
        None => UnixAddr::from_pathname(""),
        // An abstract name: a leading NUL, then bytes that may include more NULs.
        Some((0, name)) => UnixAddr::from_abstract_name(name),
        // A path name, NUL-terminated unless it fills `sun_path`.
        Some(_) => {
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            UnixAddr::from_pathname(OsStr::from_bytes(&path[..end]))
        }
    }
}

/// Sends from `buf` with `MSG_NOSIGNAL`: a closed peer gives `BrokenPipe` instead of a
/// SIGPIPE that would kill the process.
#[inline]
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `sendto` only reads `buf.len()` bytes from `buf`, valid for the call; a null
    // address of length zero means the connected peer.
    unsafe {
        syscall6(
            libc::SYS_sendto,
            [
                fd as usize,
                buf.as_ptr() as usize,
                buf.len(),
                libc::MSG_NOSIGNAL as usize,
                ptr::null::<libc::sockaddr>() as usize,
                0,
            ],
        )
    }
}

/// The most buffers one vectored system call takes (`IOV_MAX`, `UIO_MAXIOV` on Linux); more
/// would fail with `EINVAL`.
pub(crate) const IOV_MAX: usize = libc::UIO_MAXIOV as usize;

/// What a read of a Unix stream socket got: see [`recv_stream`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamRead {
    /// Bytes read.
    pub(crate) len: usize,
    /// The read stopped at a message whose ancillary data (passed descriptors, or credentials
    /// under `SO_PASSCRED`) had no room and was dropped (`MSG_CTRUNC`). The kernel ends a
    /// Unix stream read there, however much is queued behind it, so a short read then does
    /// not show the socket drained.
    pub(crate) cut_short: bool,
}

/// Reads a Unix stream socket into `buf` with `recvmsg`, which, unlike `recv`, tells when
/// the read stopped early (see [`StreamRead`]).
pub(crate) fn recv_stream(fd: RawFd, buf: &mut [u8]) -> io::Result<StreamRead> {
    recv_stream_vectored(fd, &mut [IoSliceMut::new(buf)])
}

/// [`recv_stream`] into several buffers (only the first [`IOV_MAX`]).
pub(crate) fn recv_stream_vectored(
    fd: RawFd,
    bufs: &mut [IoSliceMut<'_>],
) -> io::Result<StreamRead> {
    recvmsg(fd, bufs).map(|(len, flags)| StreamRead {
        len,
        cut_short: flags & libc::MSG_CTRUNC != 0,
    })
}

/// What a read of a TCP socket got: its byte count, and whether the kernel's count of the
/// bytes left (`TCP_INQ`, which [`ReadHints`] turns on) showed the socket empty after it,
/// even if the read filled its buffer. One word, so that a read's result comes back in
/// registers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpRead(usize);

impl TcpRead {
    /// The bit of [`TcpRead`] that says the kernel counted nothing left. A read never
    /// returns more than `isize::MAX` bytes, so the byte count leaves it free.
    const EMPTIED: usize = 1 << (usize::BITS - 1);

    /// Bytes read.
    #[inline]
    pub(crate) fn len(self) -> usize {
        self.0 & !TcpRead::EMPTIED
    }

    /// Whether the kernel counted no byte left after this read, which took at least one.
    /// After the peer's end of stream the kernel counts one byte more, so the read that
    /// returns the end still comes. Never set when the kernel sent no count.
    #[inline]
    pub(crate) fn emptied(self) -> bool {
        self.0 & TcpRead::EMPTIED != 0
    }
}

/// What a TCP stream's reads carry from one to the next: see [`recv_tcp`].
#[derive(Debug, Default)]
pub(crate) struct ReadHints {
    /// Whether the last read filled its buffer.
    filled: Cell<bool>,
    /// Where the socket's `TCP_INQ` option stands.
    inq: Cell<Inq>,
}

/// Where a TCP socket's `TCP_INQ` option stands, as far as Mirage knows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Inq {
    /// Not looked at: no read has filled its buffer yet.
    #[default]
    Unasked,
    /// Turned on by Mirage, which turns it off again when it hands the socket back.
    Set,
    /// Found on (its owner turned it on before handing it to Mirage): left as it is.
    Found,
    /// Refused by the kernel (before Linux 4.18): reads go without the count.
    Refused,
}

impl ReadHints {
    /// Whether the next read asks for the count: the last one filled its buffer, and the
    /// option is on.
    #[inline]
    fn counted(&self) -> bool {
        self.filled.get() && matches!(self.inq.get(), Inq::Set | Inq::Found)
    }

    /// Records a read of `len` bytes into `capacity`. At the first that fills its buffer,
    /// turns `TCP_INQ` on for the reads after it: once per stream, and never on a stream
    /// whose reads stay short, which the option would not help.
    #[inline]
    fn note(&self, fd: BorrowedFd<'_>, len: usize, capacity: usize) {
        let filled = len == capacity && capacity > 0;
        self.filled.set(filled);
        if filled && self.inq.get() == Inq::Unasked {
            self.inq.set(Inq::turn_on(fd));
        }
    }

    /// Turns `TCP_INQ` off again if Mirage turned it on: for `into_std`, which hands the
    /// socket back as it came.
    pub(crate) fn give_back(&self, fd: BorrowedFd<'_>) {
        if self.inq.get() == Inq::Set {
            let _ = set_inq(fd, false);
        }
    }
}

impl Inq {
    /// Turns the option on, unless it is on already.
    #[cold]
    fn turn_on(fd: BorrowedFd<'_>) -> Inq {
        match int_option(fd, libc::SOL_TCP, libc::TCP_INQ) {
            Ok(0) if set_inq(fd, true).is_ok() => Inq::Set,
            Ok(0) | Err(_) => Inq::Refused,
            Ok(_) => Inq::Found,
        }
    }
}

/// Reads a TCP socket into `buf`. A read that follows one that filled its buffer, once
/// `TCP_INQ` is on (see [`ReadHints`]), is a `recvmsg` that also brings back how many bytes
/// are left (see [`TcpRead`]), so that when it fills its buffer too it needs no second read
/// to learn the socket empty. Any other is a plain `recv`, about 25 user-space
/// instructions cheaper: a short read shows the socket empty by itself.
#[inline]
pub(crate) fn recv_tcp(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    hints: &ReadHints,
) -> io::Result<TcpRead> {
    let capacity = buf.len();
    let read = if hints.counted() {
        recvmsg_counted(fd.as_raw_fd(), &mut [IoSliceMut::new(buf)])?
    } else {
        TcpRead(recv_flags(fd.as_raw_fd(), buf, 0)?)
    };
    hints.note(fd, read.len(), capacity);
    Ok(read)
}

/// [`recv_tcp`] into several buffers (only the first [`IOV_MAX`]).
#[inline]
pub(crate) fn recv_tcp_vectored(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    hints: &ReadHints,
) -> io::Result<TcpRead> {
    let capacity = vectored_len(bufs);
    let read = if hints.counted() {
        recvmsg_counted(fd.as_raw_fd(), bufs)?
    } else {
        TcpRead(recvmsg(fd.as_raw_fd(), bufs)?.0)
    };
    hints.note(fd, read.len(), capacity);
    Ok(read)
}

/// `recvmsg(2)` into `bufs` (only the first [`IOV_MAX`]) with room for the `TCP_INQ`
/// count of the bytes left. Out of line: inlined, it made the plain `recv` path of every
/// read slower (callgrind: 1,920 instructions per HTTP request against 1,908).
#[inline(never)]
fn recvmsg_counted(fd: RawFd, bufs: &mut [IoSliceMut<'_>]) -> io::Result<TcpRead> {
    // Room for one control message carrying a `c_int` (`CMSG_SPACE(4)`, 24 bytes).
    let mut control = [0u64; 3];
    let (len, msg) = recvmsg_with(fd, bufs, &mut control)?;
    // `msg` points into `control`, which lives on here.
    let emptied = len > 0 && inq_count(&msg) == Some(0);
    Ok(TcpRead(if emptied { len | TcpRead::EMPTIED } else { len }))
}

/// The `TCP_CM_INQ` count in the control data `recvmsg_counted` received, if any.
#[inline]
// The lengths are `size_t` with glibc but `socklen_t` with musl.
#[allow(clippy::unnecessary_cast)]
fn inq_count(msg: &libc::msghdr) -> Option<u32> {
    // SAFETY: reads `msg`'s control pointer and length only; null when the kernel wrote
    // less than a header.
    let header = unsafe { libc::CMSG_FIRSTHDR(msg) };
    if header.is_null() {
        return None;
    }
    // SAFETY: non-null, so a whole `cmsghdr` lies in the control buffer, 8-aligned (its
    // start); the kernel wrote it.
    let header_ref = unsafe { &*header };
    // SAFETY: a constant computation on its argument.
    let wanted = unsafe { libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as _) } as usize;
    if header_ref.cmsg_level != libc::SOL_TCP
        || header_ref.cmsg_type != libc::TCP_CM_INQ
        || (header_ref.cmsg_len as usize) < wanted
        || (msg.msg_controllen as usize) < wanted
    {
        return None;
    }
    // SAFETY: the header says its data holds a `c_int`, inside the control buffer (checked
    // against the length the kernel wrote); it may be unaligned.
    let count = unsafe {
        libc::CMSG_DATA(header)
            .cast::<libc::c_int>()
            .read_unaligned()
    };
    u32::try_from(count).ok()
}

/// `recvmsg(2)` into `bufs` with no name or control buffer: the count and `msg_flags`.
#[inline]
fn recvmsg(fd: RawFd, bufs: &mut [IoSliceMut<'_>]) -> io::Result<(usize, libc::c_int)> {
    recvmsg_with(fd, bufs, &mut []).map(|(len, msg)| (len, msg.msg_flags))
}

/// `recvmsg(2)` into `bufs` (only the first [`IOV_MAX`]), with `control` (none if empty)
/// as its control buffer: the count, and the header as the kernel left it (`msg_flags`,
/// and `msg_controllen` for what it wrote into `control`).
#[inline]
fn recvmsg_with(
    fd: RawFd,
    bufs: &mut [IoSliceMut<'_>],
    control: &mut [u64],
) -> io::Result<(usize, libc::msghdr)> {
    // SAFETY: `msghdr` is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSliceMut` is guaranteed ABI-compatible with `iovec` on Unix.
    msg.msg_iov = bufs.as_mut_ptr().cast::<libc::iovec>();
    msg.msg_iovlen = bufs.len().min(IOV_MAX) as _;
    if !control.is_empty() {
        // `u64`s: aligned as `cmsghdr` needs.
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(control) as _;
    }
    // SAFETY: `msg` points to `bufs` and `control`, exclusively borrowed for the call; the
    // kernel writes at most each buffer's length into them (no name buffer is passed), then
    // `msg_flags` and `msg_controllen` into `msg`, which is mutable and ours.
    let len = unsafe {
        syscall6(
            libc::SYS_recvmsg,
            [fd as usize, ptr::from_mut(&mut msg) as usize, 0, 0, 0, 0],
        )
    }?;
    Ok((len, msg))
}

/// Writes `bufs` with one `sendmsg(MSG_NOSIGNAL)`: like `writev`, but a closed peer gives
/// `BrokenPipe` instead of a SIGPIPE that would kill the process. Only the first
/// [`IOV_MAX`] buffers are sent; [`vectored_len`] is how much that can take.
pub(crate) fn send_vectored(fd: RawFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: `msghdr` is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; the kernel only reads
    // through the pointer.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(IOV_MAX) as _;
    // SAFETY: `msg` points to `bufs`, which outlives the call, and the kernel only reads
    // through it; no name, control data or flags are passed back.
    unsafe {
        syscall6(
            libc::SYS_sendmsg,
            [
                fd as usize,
                ptr::from_ref(&msg) as usize,
                libc::MSG_NOSIGNAL as usize,
                0,
                0,
                0,
            ],
        )
    }
}

/// Whether `fd` is ready in `direction` now, by `poll(2)` with no wait: from the kernel's
/// present state, where the reactor only remembers the last edge. Ready to read is data,
/// urgent data or end of stream; to write, room; either, an error or a hang-up.
pub(crate) fn ready_now(fd: RawFd, direction: Direction) -> io::Result<bool> {
    let events = match direction {
        Direction::Read => libc::POLLIN | libc::POLLPRI | libc::POLLRDHUP,
        Direction::Write => libc::POLLOUT,
    };
    Ok(poll_now(fd, events)? & (events | libc::POLLERR | libc::POLLHUP) != 0)
}

/// What `fd` is ready for now in `interest`'s kinds, by `poll(2)` with no wait, as
/// [`ready_now`]: data or urgent data is readable, room writable, end of stream read
/// closed, and a hang-up both halves closed. A pending error shows as readable and
/// writable: the next operation returns it at once. Under `PRIORITY`, urgent data is
/// priority and end of stream read closed (none can come after it), as tokio reports
/// them; under `ERROR`, a pending error or a queued one (`MSG_ERRQUEUE`) is error, which
/// `poll(2)` reports unasked.
pub(crate) fn readiness_now(fd: RawFd, interest: Interest) -> io::Result<Ready> {
    let mut events = 0;
    if interest.is_readable() {
        events |= libc::POLLIN | libc::POLLPRI | libc::POLLRDHUP;
    }
    if interest.is_priority() {
        events |= libc::POLLPRI | libc::POLLRDHUP;
    }
    if interest.is_writable() {
        events |= libc::POLLOUT;
    }
    let revents = poll_now(fd, events)?;
    let mut ready = Ready::EMPTY;
    let read_closed = revents & (libc::POLLRDHUP | libc::POLLHUP) != 0;
    if interest.is_readable() {
        if revents & (libc::POLLIN | libc::POLLPRI | libc::POLLERR) != 0 {
            ready |= Ready::READABLE;
        }
        if read_closed {
            ready |= Ready::READ_CLOSED;
        }
    }
    if interest.is_priority() {
        if revents & libc::POLLPRI != 0 {
            ready |= Ready::PRIORITY;
        }
        if read_closed {
            ready |= Ready::READ_CLOSED;
        }
    }
    if interest.is_writable() {
        if revents & (libc::POLLOUT | libc::POLLERR) != 0 {
            ready |= Ready::WRITABLE;
        }
        if revents & libc::POLLHUP != 0 {
            ready |= Ready::WRITE_CLOSED;
        }
    }
    if interest.is_error() && revents & libc::POLLERR != 0 {
        ready |= Ready::ERROR;
    }
    Ok(ready)
}

/// Whether every reader of the pipe whose write end is `fd` is gone, by `poll(2)` with no
/// wait: Linux reports that as `POLLERR` on the write end (a write then fails with `EPIPE`),
/// where a socket would report `POLLHUP`.
pub(crate) fn pipe_readers_gone(fd: RawFd) -> io::Result<bool> {
    Ok(poll_now(fd, libc::POLLOUT)? & libc::POLLERR != 0)
}

/// The `revents` of `fd` for `events`, by `poll(2)` with no wait.
fn poll_now(fd: RawFd, events: libc::c_short) -> io::Result<libc::c_short> {
    let mut pollfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        // SAFETY: `pollfd` is one live, exclusively borrowed `struct pollfd`, and the count
        // passed is 1; a zero timeout never blocks.
        if unsafe { libc::poll(&mut pollfd, 1, 0) } >= 0 {
            return Ok(pollfd.revents);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
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

/// Whether an `accept` error concerns only the connection being accepted, which it used
/// up: the listener is fine and should try the next one at once.
///
/// That is a connection reset before it could be accepted (`ECONNABORTED`), or a network
/// error pending on it: Linux passes those on from `accept`, and accept(2) says to treat
/// them like `EAGAIN` and retry.
pub(crate) fn is_lost_connection(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(
            libc::ECONNABORTED
                | libc::ENETDOWN
                | libc::EPROTO
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH
        )
    )
}

/// Whether an `accept` on the socket `fd` failed with `err` over a connection it lost (see
/// [`is_lost_connection`]), so the next connection should be tried. Only a listening socket
/// has connections to lose: one that is not (a datagram socket taken over as a listener)
/// fails with `EOPNOTSUPP` on every `accept`, one of the errors a lost connection gives
/// too, and retrying it would spin for ever. Asks the kernel (`SO_ACCEPTCONN`) only after
/// such an error.
pub(crate) fn is_lost_connection_of(fd: BorrowedFd<'_>, err: &io::Error) -> bool {
    is_lost_connection(err)
        && int_option(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN).is_ok_and(|on| on != 0)
}

/// How many bytes one [`send_vectored`] or [`recv_vectored`] of `bufs` can move: the
/// length of the first [`IOV_MAX`] buffers, the ones passed to the system call.
///
/// A byte-stream operation that moves fewer bytes than offered is taken as a sign that the
/// socket is drained (see `Source::io_bytes`). Compared with the length of *all* the
/// buffers, a call with more than `IOV_MAX` of them would always look short, readiness
/// would be cleared while the socket is still ready, and the next operation would wait for
/// an edge that never comes.
pub(crate) fn vectored_len<B: std::ops::Deref<Target = [u8]>>(bufs: &[B]) -> usize {
    bufs.iter().take(IOV_MAX).map(|buf| buf.len()).sum()
}

mod flags;
mod pipe;
mod socket;

pub(crate) use flags::*;
pub(crate) use pipe::*;
pub(crate) use socket::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectored_len_counts_only_the_buffers_one_call_passes() {
        let byte = [0u8; 1];
        let few = vec![IoSlice::new(&byte); 3];
        assert_eq!(vectored_len(&few), 3);
        let many = vec![IoSlice::new(&byte); IOV_MAX + 500];
        assert_eq!(vectored_len(&many), IOV_MAX);
        assert_eq!(vectored_len::<IoSlice<'_>>(&[]), 0);
    }

    #[test]
    fn unix_addresses_of_each_kind_convert_to_std() {
        let offset = std::mem::offset_of!(libc::sockaddr_un, sun_path) as libc::socklen_t;
        // SAFETY: plain data; all-zero is valid.
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        assert!(unix_addr(&addr, 0).unwrap().is_unnamed());
        assert!(unix_addr(&addr, offset).unwrap().is_unnamed());

        for (dst, &src) in addr.sun_path.iter_mut().zip(b"/tmp/x.sock\0") {
            *dst = src as libc::c_char;
        }
        let path = unix_addr(&addr, offset + 12).unwrap();
        assert_eq!(
            path.as_pathname(),
            Some(std::path::Path::new("/tmp/x.sock"))
        );

        for (dst, &src) in addr.sun_path.iter_mut().zip(b"\0ab\0c") {
            *dst = src as libc::c_char;
        }
        let name = unix_addr(&addr, offset + 5).unwrap();
        assert_eq!(name.as_abstract_name(), Some(&b"ab\0c"[..]));
    }

    #[test]
    fn accept_errors_are_sorted_into_wait_retry_and_fail() {
        let os = io::Error::from_raw_os_error;
        for errno in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            assert!(is_resource_exhaustion(&os(errno)), "{errno}");
            assert!(!is_lost_connection(&os(errno)), "{errno}");
        }
        let lost = [
            libc::ECONNABORTED,
            libc::ENETDOWN,
            libc::EPROTO,
            libc::ENOPROTOOPT,
            libc::EHOSTDOWN,
            libc::ENONET,
            libc::EHOSTUNREACH,
            libc::EOPNOTSUPP,
            libc::ENETUNREACH,
        ];
        for errno in lost {
            assert!(is_lost_connection(&os(errno)), "{errno}");
            assert!(!is_resource_exhaustion(&os(errno)), "{errno}");
        }
        // A real failure of the listener, and an error with no errno, end the loop.
        for err in [
            os(libc::EBADF),
            os(libc::EINVAL),
            io::Error::other("no errno"),
        ] {
            assert!(
                !is_lost_connection(&err) && !is_resource_exhaustion(&err),
                "{err}"
            );
        }
    }
}
