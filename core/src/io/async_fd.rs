//! `AsyncFd`: any non-blocking file descriptor, driven by the Core.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::reactor::{Direction, Registration};

/// Drives a non-blocking file descriptor through the running Core's reactor: a pipe, a
/// timerfd, an eventfd, a serial port, or a socket type Mirage does not wrap.
///
/// `AsyncFd` owns `inner` and deregisters it before dropping it. Creating one needs no
/// running Core; the descriptor registers with the Core that first waits on it (see
/// [`Registration`] for use from another Core). `inner` must already be in non-blocking
/// mode.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use mirage::io::AsyncFd;
///
/// let (mut tx, rx) = UnixStream::pair().unwrap();
/// rx.set_nonblocking(true).unwrap();
/// let rx = AsyncFd::new(rx);
/// let mut core = mirage::Core::new().unwrap();
/// let n = core.run(async {
///     mirage::spawn(async move { tx.write_all(b"ping").unwrap() });
///     let mut buf = [0; 16];
///     loop {
///         let mut guard = rx.readable().await.unwrap();
///         match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///             Ok(result) => break result.unwrap(),
///             Err(_would_block) => continue,
///         }
///     }
/// });
/// assert_eq!(n, 4);
/// ```
pub struct AsyncFd<T: AsRawFd> {
    /// Declared first: dropped (deregistered) before `inner` closes the descriptor.
    registration: Registration,
    /// Always `Some`, except while `into_inner` takes it out.
    inner: Option<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Wraps `inner`, which must be in non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let raw = b.as_raw_fd();
    /// let fd = AsyncFd::new(b); // registers with the Core that first waits on it
    /// assert_eq!(fd.as_raw_fd(), raw);
    /// # drop(a);
    /// ```
    pub fn new(inner: T) -> AsyncFd<T> {
        AsyncFd {
            registration: Registration::new(inner.as_raw_fd()),
            inner: Some(inner),
        }
    }

    /// The wrapped value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let fd = AsyncFd::new(b);
    /// assert!(fd.get_ref().take_error().unwrap().is_none());
    /// # drop(a);
    /// ```
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("AsyncFd already taken apart")
    }

    /// The wrapped value, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut fd = AsyncFd::new(a);
    /// assert_eq!(fd.get_mut().write(b"hi").unwrap(), 2);
    /// # drop(b);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("AsyncFd already taken apart")
    }

    /// Deregisters the descriptor and returns the wrapped value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let fd = AsyncFd::new(b);
    /// let b = fd.into_inner(); // deregistered, still open
    /// b.set_nonblocking(false).unwrap();
    /// # drop(a);
    /// ```
    pub fn into_inner(mut self) -> T {
        let inner = self.inner.take().expect("AsyncFd already taken apart");
        // `self` drops here: the registration is removed while `inner` is still open.
        drop(self);
        inner
    }

    /// Waits until the descriptor is readable: data, end of file, an error, or priority data
    /// (`EPOLLPRI`, e.g. a socket's urgent data) is waiting. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (mut a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// a.write_all(b"x").unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = b.readable().await.unwrap();
    ///     let mut byte = [0; 1];
    ///     let n = guard.try_io(|fd| fd.get_ref().read(&mut byte)).unwrap().unwrap();
    ///     assert_eq!((n, byte), (1, *b"x"));
    /// });
    /// ```
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Direction::Read).await
    }

    /// Waits until the descriptor is writable. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = AsyncFd::new(a);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = a.writable().await.unwrap(); // an empty send buffer has room
    ///     let n = guard.try_io(|fd| fd.get_ref().write(b"hi")).unwrap().unwrap();
    ///     assert_eq!(n, 2);
    /// });
    /// # drop(b);
    /// ```
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Direction::Write).await
    }

    /// Waits for readiness in `direction`. Cancel-safe.
    ///
    /// Spends a unit of the task's [cooperative budget](crate::coop) first, so a loop over a
    /// descriptor that is always ready still lets the other tasks run.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Direction};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// drop(a); // end of stream makes `b` readable
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let guard = b.ready(Direction::Read).await.unwrap();
    ///     assert!(std::ptr::eq(guard.get_ref(), &b));
    /// });
    /// ```
    pub async fn ready(&self, direction: Direction) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        coop::consume_budget().await;
        self.registration.ready(direction).await?;
        Ok(AsyncFdReadyGuard {
            fd: self,
            direction,
        })
    }

    /// Polls for readability; only the last task to poll is woken. Spends a unit of the
    /// task's [cooperative budget](crate::coop), as [`ready`](AsyncFd::ready) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// drop(a); // end of stream makes `b` readable
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     poll_fn(|cx| b.poll_read_ready(cx).map_ok(drop)).await.unwrap();
    /// });
    /// ```
    pub fn poll_read_ready(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        self.poll_ready(cx, Direction::Read)
    }

    /// Polls for writability; only the last task to poll is woken. Spends a unit of the
    /// task's [cooperative budget](crate::coop), as [`ready`](AsyncFd::ready) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = AsyncFd::new(a);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     poll_fn(|cx| a.poll_write_ready(cx).map_ok(drop)).await.unwrap();
    /// });
    /// # drop(b);
    /// ```
    pub fn poll_write_ready(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        self.poll_ready(cx, Direction::Write)
    }

    fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        ready!(coop::poll_proceed(cx));
        self.registration
            .poll_ready(cx, direction)
            .map_ok(|()| AsyncFdReadyGuard {
                fd: self,
                direction,
            })
    }

    /// Runs the non-blocking `op` until it stops returning `WouldBlock`, waiting for
    /// readiness in `direction` in between; the first attempt comes before any wait (after
    /// spending a unit of the task's [cooperative budget](crate::coop), as `ready` does).
    ///
    /// Cancel-safe as far as `op` is: dropping the future between attempts loses nothing
    /// (with a single `read` or `write` as `op`, no data).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Direction};
    ///
    /// let (mut a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// let mut core = mirage::Core::new().unwrap();
    /// let n = core.run(async {
    ///     mirage::spawn(async move { a.write_all(b"ping").unwrap() });
    ///     let mut buf = [0; 8];
    ///     // Tries the read, and waits for readability only while it would block.
    ///     b.async_io(Direction::Read, |fd| (&*fd).read(&mut buf)).await.unwrap()
    /// });
    /// assert_eq!(n, 4);
    /// ```
    pub async fn async_io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        coop::consume_budget().await;
        self.registration.io(direction, || op(self.get_ref())).await
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.registration.fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}

/// Proof that an [`AsyncFd`] was ready in one direction; returned by
/// [`readable`](AsyncFd::readable) and [`writable`](AsyncFd::writable).
///
/// Readiness stays set until an operation reports `WouldBlock`: run operations through
/// [`try_io`](AsyncFdReadyGuard::try_io), which clears it then, or call
/// [`clear_ready`](AsyncFdReadyGuard::clear_ready) yourself. Otherwise the next wait returns
/// at once.
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use mirage::io::{AsyncFd, AsyncFdReadyGuard};
///
/// let (a, b) = UnixStream::pair().unwrap();
/// b.set_nonblocking(true).unwrap();
/// let b = AsyncFd::new(b);
/// drop(a);
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let guard: AsyncFdReadyGuard<'_, UnixStream> = b.readable().await.unwrap();
///     assert!(std::ptr::eq(guard.get_ref(), &b));
/// });
/// ```
#[must_use = "a guard says the descriptor was ready: use it with `try_io`, or call \
              `clear_ready` or `retain_ready` to say whether it still is"]
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    fd: &'a AsyncFd<T>,
    direction: Direction,
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    /// Forgets the readiness this guard saw: the next wait waits for a new edge. End of
    /// stream (the peer hung up) is kept, as tokio keeps it: the kernel reports it once, and
    /// a wait that forgot it would never end, so after a short read that cleared readiness
    /// the next wait still returns at once, for the read that sees the end.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = AsyncFd::new(a);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = a.writable().await.unwrap();
    ///     guard.get_ref().get_ref().write_all(b"x").unwrap();
    ///     // Written by hand, outside `try_io`: say when the next wait must wait for an edge.
    ///     guard.clear_ready();
    /// });
    /// # drop(b);
    /// ```
    pub fn clear_ready(&mut self) {
        self.fd.registration.clear_ready_but_closed(self.direction);
    }

    /// Runs `op`; if it returns `WouldBlock`, clears readiness (all of it: the operation
    /// showed the descriptor not ready) and returns `Err(TryIoError)` so the caller waits
    /// again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// drop(a);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = b.readable().await.unwrap();
    ///     let mut buf = [0; 8];
    ///     let read = guard.try_io(|fd| fd.get_ref().read(&mut buf));
    ///     assert_eq!(read.unwrap().unwrap(), 0); // end of stream: `Ok`, not `WouldBlock`
    /// });
    /// ```
    pub fn try_io<R>(
        &mut self,
        op: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match op(self.fd) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                self.fd.registration.clear_ready(self.direction);
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// drop(a);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let guard = b.readable().await.unwrap();
    ///     assert!(std::ptr::eq(guard.get_ref(), &b));
    /// });
    /// ```
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.fd
    }

    /// The value the `AsyncFd` wraps: `guard.get_ref().get_ref()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// drop(a);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let guard = b.readable().await.unwrap();
    ///     let stream: &UnixStream = guard.get_inner();
    ///     assert_eq!((&*stream).read(&mut [0; 8]).unwrap(), 0); // end of stream
    /// });
    /// ```
    pub fn get_inner(&self) -> &'a T {
        self.fd.get_ref()
    }

    /// Keeps the readiness this guard saw: the next wait returns at once. Does nothing, as
    /// dropping the guard keeps readiness too; it says so in the code, and uses the guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (mut a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// a.write_all(b"ab").unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = b.readable().await.unwrap();
    ///     let mut byte = [0; 1];
    ///     guard.get_inner().read_exact(&mut byte).unwrap(); // one of two bytes
    ///     guard.retain_ready(); // more may be waiting
    ///     let mut guard = b.readable().await.unwrap(); // returns at once
    ///     let n = guard.try_io(|fd| fd.get_ref().read(&mut byte)).unwrap().unwrap();
    ///     assert_eq!((n, byte), (1, *b"b"));
    /// });
    /// ```
    pub fn retain_ready(&mut self) {}
}

impl<T: AsRawFd> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("fd", &self.fd.registration.fd())
            .field("direction", &self.direction)
            .finish()
    }
}

/// The operation passed to [`AsyncFdReadyGuard::try_io`] would have blocked; readiness was
/// cleared, so wait again.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::os::unix::net::UnixStream;
/// use mirage::io::{AsyncFd, TryIoError};
///
/// let (a, b) = UnixStream::pair().unwrap();
/// a.set_nonblocking(true).unwrap();
/// let a = AsyncFd::new(a);
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     // Writable at once, but nothing to read: the read would block.
///     let mut guard = a.writable().await.unwrap();
///     let mut buf = [0; 8];
///     let read: Result<_, TryIoError> = guard.try_io(|fd| fd.get_ref().read(&mut buf));
///     assert!(read.is_err());
/// });
/// # drop(b);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryIoError(());
