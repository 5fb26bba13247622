//! Operating-system calls that `mio` does not cover, in one place.

pub(crate) mod eventfd;
pub(crate) mod fd;
pub(crate) mod pidfd;
pub(crate) mod timerfd;

/// Runs a libc call, turning `-1` into the thread's `errno` as an `io::Error`.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        // SAFETY: each call site passes arguments that satisfy the function's contract,
        // argued in a comment at that site.
        let result = unsafe { libc::$fn($($arg),*) };
        if result == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(result)
        }
    }};
}
pub(crate) use syscall;
