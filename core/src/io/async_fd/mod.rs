//! `AsyncFd`: any non-blocking file descriptor, driven by the Core.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::reactor::{Direction, Registration};

mod ready_guard;
mod ready_mut_guard;

pub use ready_guard::{AsyncFdReadyGuard, TryIoError};
pub use ready_mut_guard::AsyncFdReadyMutGuard;

/// Drives a non-blocking file descriptor through the running Core's reactor: a pipe, a
/// timerfd, an eventfd, a serial port, or a socket type Mirage does not wrap.
///
/// `AsyncFd` owns `inner` and deregisters it before dropping it. Creating one needs no
/// running Core; the descriptor registers with the Core that first waits on it (see
/// [`Registration`] for use from another Core). `inner` must already be in non-blocking
/// mode.
///
/// Waits come in two forms: [`readable`](AsyncFd::readable) and the like take `&self`, so
/// several tasks may wait at once, and their guard shares the `AsyncFd`;
/// [`readable_mut`](AsyncFd::readable_mut) and the like take `&mut self`, and their guard
/// lends the wrapped value mutably, for a type whose I/O needs `&mut`.
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
            ready: self.registration.readiness(direction),
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
        // Ready first: a poll that waits spends no budget (the unit is spent on the way out).
        ready!(self.registration.poll_ready(cx, direction))?;
        ready!(coop::poll_proceed(cx));
        Poll::Ready(Ok(AsyncFdReadyGuard {
            fd: self,
            direction,
            ready: self.registration.readiness(direction),
        }))
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

    /// Runs the non-blocking `op` once, without waiting: if the descriptor is known not to
    /// be ready in `direction`, returns `WouldBlock` without calling `op`; if `op` returns
    /// `WouldBlock`, clears readiness in `direction`, so the next wait waits for an edge.
    ///
    /// Before the first wait registers the descriptor, nothing is known and `op` is called.
    /// `op` must return `WouldBlock` only when an operation on the descriptor did: any other
    /// `WouldBlock` clears readiness the descriptor still has.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::io::{ErrorKind, Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Direction};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b);
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     b.writable().await.unwrap().retain_ready(); // registers: readable is now known
    ///     let calls = Cell::new(0);
    ///     let mut buf = [0; 8];
    ///     let mut read = |fd: &UnixStream| {
    ///         calls.set(calls.get() + 1);
    ///         (&*fd).read(&mut buf)
    ///     };
    ///     let err = b.try_io(Direction::Read, &mut read).unwrap_err();
    ///     assert_eq!((err.kind(), calls.get()), (ErrorKind::WouldBlock, 0)); // not tried
    ///     (&a).write_all(b"hi").unwrap();
    ///     b.readable().await.unwrap().retain_ready();
    ///     assert_eq!(b.try_io(Direction::Read, &mut read).unwrap(), 2);
    ///     assert_eq!(calls.get(), 1);
    /// });
    /// ```
    pub fn try_io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        try_once(&self.registration, direction, || op(self.get_ref()))
    }
}

/// [`AsyncFd::try_io`]'s body, for the shared and the mutable form.
fn try_once<R>(
    registration: &Registration,
    direction: Direction,
    op: impl FnOnce() -> io::Result<R>,
) -> io::Result<R> {
    if !registration.is_ready(direction) {
        return Err(io::ErrorKind::WouldBlock.into());
    }
    match op() {
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
            registration.clear_ready(direction);
            Err(err)
        }
        result => result,
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.registration.fd()
    }
}

/// Lends the wrapped descriptor, as tokio's `AsyncFd` does.
///
/// # Examples
///
/// ```
/// use std::os::fd::{AsFd, AsRawFd};
/// use std::os::unix::net::UnixStream;
/// use mirage::io::AsyncFd;
///
/// let (a, _b) = UnixStream::pair().unwrap();
/// let raw = a.as_raw_fd();
/// let fd = AsyncFd::new(a);
/// assert_eq!(fd.as_fd().as_raw_fd(), raw);
/// ```
impl<T: AsRawFd + AsFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}
