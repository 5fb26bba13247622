//! The child's standard streams, as non-blocking pipes driven by the Core.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::io::{AsyncRead, AsyncWrite};
use crate::reactor::{Direction, Registration};
use crate::sys::pidfd::set_cloexec_nonblocking;

/// One end of a pipe to the child.
struct Pipe {
    /// Declared first: deregistered before the file closes the descriptor.
    registration: Registration,
    file: File,
}

impl Pipe {
    fn new(fd: OwnedFd) -> io::Result<Pipe> {
        set_cloexec_nonblocking(&fd)?;
        Ok(Pipe {
            registration: Registration::new(fd.as_raw_fd()),
            file: File::from(fd),
        })
    }

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        self.registration
            .poll_io(cx, Direction::Read, || (&self.file).read(buf))
    }

    fn poll_write(&self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        self.registration
            .poll_io(cx, Direction::Write, || (&self.file).write_vectored(bufs))
    }
}

/// The child's standard input: write to it, then drop or
/// [`close`](crate::io::AsyncWriteExt::close) it so the child reads end of input.
///
/// # Examples
///
/// ```
/// use std::process::Stdio;
/// use mirage::io::AsyncWriteExt;
/// use mirage::process::Command;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut child = Command::new("wc").arg("-c").stdin(Stdio::piped()).stdout(Stdio::null())
///         .spawn().unwrap();
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"twelve bytes").await.unwrap();
///     drop(stdin); // end of input: `wc` can finish
///     assert!(child.wait().await.unwrap().success());
/// });
/// ```
pub struct ChildStdin {
    /// `None` once closed.
    pipe: Option<Pipe>,
}

impl ChildStdin {
    pub(super) fn from_std(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            pipe: Some(Pipe::new(stdin.into())?),
        })
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &self.pipe {
            Some(pipe) => pipe.poll_write(cx, bufs),
            None => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "writing to a child's stdin after closing it",
            ))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes the pipe: the child reads end of input.
    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.pipe = None;
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStdin")
            .field("closed", &self.pipe.is_none())
            .finish()
    }
}

/// The child's standard output, to read from; end of stream once the child (and any
/// process it passed the pipe to) has closed it.
///
/// # Examples
///
/// ```
/// use std::process::Stdio;
/// use mirage::io::AsyncReadExt;
/// use mirage::process::Command;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut child = Command::new("echo").arg("hello").stdout(Stdio::piped()).spawn().unwrap();
///     let mut out = Vec::new();
///     child.stdout.take().unwrap().read_to_end(&mut out).await.unwrap();
///     assert_eq!(out, b"hello\n");
///     child.wait().await.unwrap();
/// });
/// ```
pub struct ChildStdout {
    pipe: Pipe,
}

impl ChildStdout {
    pub(super) fn from_std(stdout: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout {
            pipe: Pipe::new(stdout.into())?,
        })
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.pipe.poll_read(cx, buf)
    }
}

impl fmt::Debug for ChildStdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStdout").finish_non_exhaustive()
    }
}

/// The child's standard error, to read from, like [`ChildStdout`].
///
/// # Examples
///
/// ```
/// use std::process::Stdio;
/// use mirage::io::AsyncReadExt;
/// use mirage::process::Command;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut child = Command::new("sh").args(["-c", "echo oops >&2"])
///         .stderr(Stdio::piped()).spawn().unwrap();
///     let mut err = Vec::new();
///     child.stderr.take().unwrap().read_to_end(&mut err).await.unwrap();
///     assert_eq!(err, b"oops\n");
///     child.wait().await.unwrap();
/// });
/// ```
pub struct ChildStderr {
    pipe: Pipe,
}

impl ChildStderr {
    pub(super) fn from_std(stderr: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr {
            pipe: Pipe::new(stderr.into())?,
        })
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.pipe.poll_read(cx, buf)
    }
}

impl fmt::Debug for ChildStderr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStderr").finish_non_exhaustive()
    }
}
