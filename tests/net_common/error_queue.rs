//! A UDP socket's error queue (`IP_RECVERR`, `MSG_ERRQUEUE`), for the tests of waits for
//! `Interest::ERROR`.

use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;

/// The address of a UDP port nobody listens on: a datagram sent there comes back as an
/// ICMP error.
pub fn closed_udp_port() -> SocketAddr {
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    closed.local_addr().unwrap()
}

/// Sets `IP_RECVERR` on `fd`: ICMP errors for its datagrams are queued on the socket.
pub fn set_recv_err(fd: RawFd) {
    let on: libc::c_int = 1;
    // SAFETY: `on` is a valid `c_int` for the length given, for the whole call.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_IP,
            libc::IP_RECVERR,
            (&raw const on).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "IP_RECVERR: {}", io::Error::last_os_error());
}

/// Takes one entry of `fd`'s error queue (`recvmsg` with `MSG_ERRQUEUE`): the bytes of the
/// datagram that failed. `WouldBlock` once the queue is empty.
pub fn recv_error_queue(fd: RawFd) -> io::Result<usize> {
    let mut data = [0u8; 64];
    let mut control = [0u64; 32];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: an all-zero `msghdr` is a valid empty one.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of_val(&control) as _;
    // SAFETY: `msg` points at `iov`, `data` and `control`, all alive and writable for the
    // whole call.
    let n = unsafe { libc::recvmsg(fd, &raw mut msg, libc::MSG_ERRQUEUE) };
    match n {
        0.. => Ok(n as usize),
        _ => Err(io::Error::last_os_error()),
    }
}
