//! A `timerfd`: the kernel timer that wakes a blocked Core at a timer's deadline.
//!
//! `epoll_wait` takes its timeout in whole milliseconds (mio rounds up) and the kernel adds
//! the thread's timer slack (50 µs by default) on top, so a 1 ms sleep would wake up to
//! ~1.05 ms late. A timerfd is armed with nanosecond resolution and no slack, and becomes
//! readable in the same epoll set as the sockets, so the Core still blocks in one call.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

// Miri's stand-in below makes no system call of its own.
#[cfg(not(miri))]
use super::syscall;

/// A non-blocking, close-on-exec `CLOCK_MONOTONIC` timerfd.
pub(crate) struct TimerFd {
    fd: OwnedFd,
}

#[cfg(not(miri))]
impl TimerFd {
    pub(crate) fn new() -> io::Result<TimerFd> {
        // Plain integer arguments; no pointers.
        let fd = syscall!(timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_NONBLOCK | libc::TFD_CLOEXEC
        ))?;
        // SAFETY: `timerfd_create` returned a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(TimerFd { fd })
    }

    /// Arms the timer to expire once, `after` from now (a zero duration is raised to 1 ns,
    /// since zero would disarm it). Re-arming replaces the previous expiry and resets the
    /// expiration count, so the descriptor never needs to be read: under edge-triggered
    /// epoll each expiry is a new event.
    pub(crate) fn set(&self, after: Duration) -> io::Result<()> {
        let after = after.max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: after.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
                tv_nsec: after.subsec_nanos() as libc::c_long,
            },
        };
        // The descriptor is ours and open; `spec` is a valid itimerspec that outlives the
        // call; the old value is not requested (null).
        syscall!(timerfd_settime(
            self.fd.as_raw_fd(),
            0,
            &spec,
            std::ptr::null_mut()
        ))?;
        Ok(())
    }
}

/// Under Miri, which has no timerfd: an eventfd that never becomes readable stands in, and
/// arming fails, so the Core falls back to `epoll_wait`'s own (millisecond) timeout. This
/// lets the task, waker and timer tests run under Miri's checks.
#[cfg(miri)]
impl TimerFd {
    pub(crate) fn new() -> io::Result<TimerFd> {
        let fd = super::eventfd::open()?;
        // SAFETY: `eventfd::open` returned a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(TimerFd { fd })
    }

    pub(crate) fn set(&self, _after: Duration) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
