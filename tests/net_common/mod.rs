//! Helpers for the socket tests: reproducible data and a descriptor count.

#![allow(dead_code)] // each test file uses a different subset

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
