//! The child's standard streams, as non-blocking pipes driven by the Core.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll, ready};

use crate::coop;
use crate::io::{AsyncRead, AsyncWrite};
use crate::reactor::{Direction, Registration};
use crate::sys::pidfd::{set_blocking, set_cloexec_nonblocking};

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

    /// Leaves the Core, in blocking mode, as another child or a blocking reader expects.
    fn into_owned_fd(self) -> io::Result<OwnedFd> {
        let Pipe { registration, file } = self;
        // Deregistered before the descriptor leaves the Core's hands.
        drop(registration);
        set_blocking(&file)?;
        Ok(OwnedFd::from(file))
    }

    /// Leaves the Core, in blocking mode: for another child's stdio.
    fn into_stdio(self) -> io::Result<Stdio> {
        self.into_owned_fd().map(Stdio::from)
    }
}

/// `AsFd` and `AsRawFd` of a pipe wrapper, through `$pipe`, an expression of `$this` (the
/// wrapper) that names its `Pipe`.
macro_rules! impl_pipe_fd_traits {
    ($ty:ty, |$this:ident| $pipe:expr) => {
        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                let $this = self;
                $pipe.file.as_fd()
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.as_fd().as_raw_fd()
            }
        }
    };
}

/// The child's standard input: write to it, then drop or
/// [`close`](crate::io::AsyncWriteExt::close) it so the child reads end of input.
///
/// Like [`ChildStdout`], it converts into a [`Stdio`] for another child, and lends its
/// descriptor (`AsFd`, which panics once it is closed).
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
    /// Drives a standard library child's stdin through the Core: the pipe turns
    /// non-blocking and registers with the Core that first writes to it.
    ///
    /// # Errors
    ///
    /// If the pipe cannot be made non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::{Command, Stdio};
    /// use mirage::io::AsyncWriteExt;
    /// use mirage::process::ChildStdin;
    ///
    /// let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null())
    ///     .spawn().unwrap();
    /// let mut stdin = ChildStdin::from_std(child.stdin.take().unwrap()).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async move { stdin.write_all(b"bytes").await.unwrap() });
    /// assert!(child.wait().unwrap().success());
    /// ```
    pub fn from_std(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            pipe: Some(Pipe::new(stdin.into())?),
        })
    }

    /// Takes the pipe off the Core, back in blocking mode, for code that writes to it
    /// without the Core (a thread, another library).
    ///
    /// # Errors
    ///
    /// `InvalidInput` once the pipe was closed; or if it cannot be made blocking again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::process::Stdio;
    /// use mirage::process::Command;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null())
    ///         .spawn().unwrap();
    ///     let fd = child.stdin.take().unwrap().into_owned_fd().unwrap();
    ///     std::fs::File::from(fd).write_all(b"written without the Core").unwrap();
    ///     assert!(child.wait().await.unwrap().success());
    /// });
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        match self.pipe {
            Some(pipe) => pipe.into_owned_fd(),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "ChildStdin was closed: no pipe is left to hand on",
            )),
        }
    }

    fn open_pipe(&self) -> &Pipe {
        self.pipe
            .as_ref()
            .expect("ChildStdin used for its descriptor after it was closed")
    }
}

impl_pipe_fd_traits!(ChildStdin, |stdin| stdin.open_pipe());

/// Hands the pipe to another child as its stdin, stdout or stderr, in blocking mode, as
/// [`ChildStdout`]'s conversion does. Fails with `InvalidInput` once closed.
impl TryFrom<ChildStdin> for Stdio {
    type Error = io::Error;

    fn try_from(stdin: ChildStdin) -> io::Result<Stdio> {
        stdin.into_owned_fd().map(Stdio::from)
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

    fn is_write_vectored(&self) -> bool {
        true
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
    /// Drives a standard library child's stdout through the Core: the pipe turns
    /// non-blocking and registers with the Core that first reads from it.
    ///
    /// # Errors
    ///
    /// If the pipe cannot be made non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::{Command, Stdio};
    /// use mirage::io::AsyncReadExt;
    /// use mirage::process::ChildStdout;
    ///
    /// let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn().unwrap();
    /// let mut stdout = ChildStdout::from_std(child.stdout.take().unwrap()).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut out = String::new();
    /// core.run(async { stdout.read_to_string(&mut out).await.unwrap() });
    /// assert_eq!(out, "hi\n");
    /// child.wait().unwrap();
    /// ```
    pub fn from_std(stdout: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout {
            pipe: Pipe::new(stdout.into())?,
        })
    }

    /// Takes the pipe off the Core, back in blocking mode, for code that reads it without
    /// the Core (a thread, another library).
    ///
    /// # Errors
    ///
    /// If the pipe cannot be made blocking again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::process::Stdio;
    /// use mirage::process::Command;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn().unwrap();
    ///     let fd = child.stdout.take().unwrap().into_owned_fd().unwrap();
    ///     let mut out = String::new();
    ///     std::fs::File::from(fd).read_to_string(&mut out).unwrap(); // blocks: a blocking fd
    ///     assert_eq!(out, "hi\n");
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        self.pipe.into_owned_fd()
    }
}

impl_pipe_fd_traits!(ChildStdout, |stdout| stdout.pipe);

/// Hands the pipe to another child, to read this one's output as its stdin: a shell
/// pipeline. The pipe leaves the Core and goes back to blocking mode, as the other child
/// expects of its standard streams.
///
/// # Examples
///
/// ```
/// use std::process::Stdio;
/// use mirage::process::Command;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut echo = Command::new("echo").arg("hello").stdout(Stdio::piped()).spawn().unwrap();
///     let piped: Stdio = echo.stdout.take().unwrap().try_into().unwrap();
///     let upper = Command::new("tr").args(["a-z", "A-Z"]).stdin(piped).output().await.unwrap();
///     assert_eq!(upper.stdout, b"HELLO\n");
///     echo.wait().await.unwrap();
/// });
/// ```
impl TryFrom<ChildStdout> for Stdio {
    type Error = io::Error;

    fn try_from(stdout: ChildStdout) -> io::Result<Stdio> {
        stdout.pipe.into_stdio()
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
    /// Drives a standard library child's stderr through the Core: the pipe turns
    /// non-blocking and registers with the Core that first reads from it.
    ///
    /// # Errors
    ///
    /// If the pipe cannot be made non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::{Command, Stdio};
    /// use mirage::io::AsyncReadExt;
    /// use mirage::process::ChildStderr;
    ///
    /// let mut child = Command::new("sh").args(["-c", "echo oops >&2"])
    ///     .stderr(Stdio::piped()).spawn().unwrap();
    /// let mut stderr = ChildStderr::from_std(child.stderr.take().unwrap()).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut err = String::new();
    /// core.run(async { stderr.read_to_string(&mut err).await.unwrap() });
    /// assert_eq!(err, "oops\n");
    /// child.wait().unwrap();
    /// ```
    pub fn from_std(stderr: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr {
            pipe: Pipe::new(stderr.into())?,
        })
    }

    /// Takes the pipe off the Core, back in blocking mode, for code that reads it without
    /// the Core (a thread, another library).
    ///
    /// # Errors
    ///
    /// If the pipe cannot be made blocking again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::process::Stdio;
    /// use mirage::process::Command;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut child = Command::new("sh").args(["-c", "echo oops >&2"])
    ///         .stderr(Stdio::piped()).spawn().unwrap();
    ///     let fd = child.stderr.take().unwrap().into_owned_fd().unwrap();
    ///     let mut err = String::new();
    ///     std::fs::File::from(fd).read_to_string(&mut err).unwrap();
    ///     assert_eq!(err, "oops\n");
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        self.pipe.into_owned_fd()
    }
}

impl_pipe_fd_traits!(ChildStderr, |stderr| stderr.pipe);

/// Hands the pipe to another child, as [`ChildStdout`]'s conversion does.
impl TryFrom<ChildStderr> for Stdio {
    type Error = io::Error;

    fn try_from(stderr: ChildStderr) -> io::Result<Stdio> {
        stderr.pipe.into_stdio()
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
