//! Ctrl-C (SIGINT) and SIGTERM as a future, through a signalfd driven by the Core.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use mirage::io::AsyncFd;

/// Receives SIGINT and SIGTERM instead of letting them kill the process.
pub struct CtrlC {
    fd: AsyncFd<OwnedFd>,
}

impl CtrlC {
    /// Blocks the signals for this thread (and the threads it starts later) and opens a
    /// signalfd for them.
    pub fn new() -> io::Result<CtrlC> {
        // SAFETY: `sigset_t` is plain data, initialised by `sigemptyset` before use; the
        // calls get valid pointers to it.
        let fd = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
            libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC)
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `signalfd` returned a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(CtrlC {
            fd: AsyncFd::new(fd),
        })
    }

    /// Completes when SIGINT or SIGTERM arrives.
    pub async fn wait(&self) {
        loop {
            let Ok(mut guard) = self.fd.readable().await else {
                return;
            };
            let read = guard.try_io(|fd| {
                let mut info = [0u8; std::mem::size_of::<libc::signalfd_siginfo>()];
                // SAFETY: reads at most `info.len()` bytes into our buffer.
                let n = unsafe {
                    libc::read(
                        std::os::fd::AsRawFd::as_raw_fd(fd.get_ref()),
                        info.as_mut_ptr().cast(),
                        info.len(),
                    )
                };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
            if let Ok(Ok(())) = read {
                return;
            }
        }
    }
}
