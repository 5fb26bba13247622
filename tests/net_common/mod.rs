//! Helpers for the socket tests: reproducible data, a descriptor count, and the races and
//! paces of the property tests.

#![allow(dead_code)] // each test file uses a different subset

pub mod error_queue;
pub mod seccomp;
pub mod streams;

/// A small deterministic generator, so failures reproduce.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// `len` reproducible bytes.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Lcg(seed);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// FNV-1a of `data`: compares large transfers without keeping both copies around.
pub fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Sends `bytes` on the Unix stream socket `fd` with a copy of the descriptor `passed`
/// attached (`SCM_RIGHTS`), in one `sendmsg`.
pub fn send_with_fd(fd: std::os::fd::RawFd, bytes: &[u8], passed: std::os::fd::RawFd) {
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    let size = std::mem::size_of::<libc::c_int>() as u32;
    // Room for one `cmsghdr` and one descriptor, aligned for `cmsghdr`.
    let mut control = [0u64; 8];
    // SAFETY: `CMSG_SPACE` only computes a size.
    let space = unsafe { libc::CMSG_SPACE(size) } as usize;
    assert!(space <= std::mem::size_of_val(&control));
    // SAFETY: `msghdr` is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` points at `control`, `space` bytes long and aligned for `cmsghdr`, so
    // the first header and its data (one `c_int`) lie inside it; `sendmsg` reads `bytes`
    // and `control`, both valid for the call.
    let sent = unsafe {
        let header = libc::CMSG_FIRSTHDR(&msg);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(size) as _;
        libc::CMSG_DATA(header)
            .cast::<libc::c_int>()
            .write_unaligned(passed);
        libc::sendmsg(fd, &msg, 0)
    };
    assert_eq!(
        sent,
        bytes.len() as isize,
        "sendmsg: {}",
        std::io::Error::last_os_error()
    );
}

/// Sends one byte of urgent data (`MSG_OOB`) on the stream socket `fd`; false where the
/// kernel has none for the socket type (Unix streams before Linux 5.15).
pub fn send_urgent(fd: std::os::fd::RawFd) -> bool {
    let byte = [b'!'];
    // SAFETY: `byte` is valid for reads of its length for the call.
    let n = unsafe { libc::send(fd, byte.as_ptr().cast(), 1, libc::MSG_OOB) };
    let err = std::io::Error::last_os_error();
    match n {
        1 => true,
        _ if err.raw_os_error() == Some(libc::EOPNOTSUPP) => false,
        _ => panic!("MSG_OOB: {err}"),
    }
}

/// What a cancellable operation races against.
#[derive(Debug, Clone, Copy)]
pub enum Race {
    /// Nothing: the operation runs to completion.
    None,
    /// A `biased` `select!` branch that completes on its `n + 1`th poll.
    Yields(u8),
    /// A `timeout` of this many microseconds.
    Micros(u16),
    /// An unbiased `select!` against a `sleep` of this many microseconds.
    Sleep(u16),
}

pub async fn yields(n: u8) {
    for _ in 0..n {
        mirage::yield_now().await;
    }
}

/// Runs `operation` against `race`: `None` if it lost and was dropped.
pub async fn race<F: std::future::Future>(race: Race, operation: F) -> Option<F::Output> {
    match race {
        Race::None => Some(operation.await),
        Race::Yields(n) => mirage::select! {
            biased;
            result = operation => Some(result),
            _ = yields(n) => None,
        },
        Race::Micros(us) => {
            mirage::time::timeout(std::time::Duration::from_micros(us.into()), operation)
                .await
                .ok()
        }
        Race::Sleep(us) => mirage::select! {
            result = operation => Some(result),
            _ = mirage::time::sleep(std::time::Duration::from_micros(us.into())) => None,
        },
    }
}

/// The pacing of one task between its operations: yields, or a short real sleep.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    Yields(u8),
    Micros(u16),
}

impl Pace {
    pub async fn wait(self) {
        match self {
            Pace::Yields(n) => yields(n).await,
            Pace::Micros(us) => {
                mirage::time::sleep(std::time::Duration::from_micros(us.into())).await
            }
        }
    }
}

/// Runs two futures to completion concurrently on this task.
pub async fn join<A: std::future::Future<Output = ()>, B: std::future::Future<Output = ()>>(
    a: A,
    b: B,
) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut a_done, mut b_done) = (false, false);
    std::future::poll_fn(|cx| {
        if !a_done {
            a_done = a.as_mut().poll(cx).is_ready();
        }
        if !b_done {
            b_done = b.as_mut().poll(cx).is_ready();
        }
        if a_done && b_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

/// Sets an integer `SOL_SOCKET` option.
pub fn set_sockopt(fd: std::os::fd::RawFd, option: libc::c_int, value: libc::c_int) {
    set_int_sockopt(fd, libc::SOL_SOCKET, option, value);
}

/// Sets the integer socket option `name` at `level`.
pub fn set_int_sockopt(
    fd: std::os::fd::RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) {
    // SAFETY: `value` is a live `c_int` and its size is passed with it.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            std::ptr::from_ref(&value).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
}

/// The integer socket option `name` at `level` of `fd`, or the kernel's refusal.
pub fn int_sockopt(
    fd: std::os::fd::RawFd,
    level: libc::c_int,
    name: libc::c_int,
) -> std::io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes at `&mut value`, a live `c_int`, and
    // the option's length into `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            std::ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(value)
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// A connected pair of TCP streams on loopback: (the connecting end, the accepted end).
pub async fn tcp_pair() -> (mirage::net::TcpStream, mirage::net::TcpStream) {
    let listener = mirage::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = mirage::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}
