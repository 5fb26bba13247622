//! `AsyncFd`: any non-blocking file descriptor, driven by the Core.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::task::{Context, Poll, ready};

use crate::coop;
use crate::io::Interest;
use crate::reactor::{Direction, Registration};
use crate::sys;

mod directions;
mod ready_guard;
mod ready_mut_guard;
mod register_error;

pub use ready_guard::{AsyncFdReadyGuard, TryIoError};
pub use ready_mut_guard::AsyncFdReadyMutGuard;
#[allow(deprecated)]
pub use register_error::{AsyncFdRegisterError, AsyncFdTryNewError};

/// Drives a non-blocking file descriptor through the running Core's reactor: a pipe, a
/// timerfd, an eventfd, a serial port, or a socket type Mirage does not wrap.
///
/// `AsyncFd` owns `inner` and deregisters it before dropping it. `inner` must already be
/// in non-blocking mode.
///
/// # Registration
///
/// Creating one needs no running Core, unlike tokio's, which needs a runtime:
/// * Inside a running Core (or under `Runtime::enter`), [`new`](AsyncFd::new) registers the
///   descriptor with it at once, so a descriptor epoll refuses fails there, as in tokio: a
///   regular file or a directory with `EPERM` (`ErrorKind::PermissionDenied`), a closed one
///   with `EBADF`, one already registered (another `AsyncFd` of the same descriptor) with
///   `EEXIST`. This is the `epoll_ctl` the first wait would make anyway: no system call is
///   added.
/// * Outside one, `new` checks only that the descriptor is open (`EBADF` if not, one
///   `fcntl`); the descriptor registers with the Core that first waits on it, and a
///   refusal is that wait's error.
///
/// See [`Registration`] for use from another Core.
///
/// # Interest
///
/// [`with_interest`](AsyncFd::with_interest) limits the kinds of readiness that may be
/// waited on; [`new`](AsyncFd::new) allows both directions. A wait, poll, `async_io` or
/// `try_io` for a kind outside the interest panics, naming both: it is a bug in the calling
/// code, and would otherwise wait for an edge tokio never asks the kernel for (there, the
/// wait hangs). Mirage's reactor registers every descriptor for both directions and for
/// priority readiness (`EPOLLPRI`) whatever the interest, as it registers its sockets, where
/// tokio asks for `EPOLLPRI` only under [`Interest::PRIORITY`]: so urgent data can make a
/// descriptor readable under any interest (a read then returns at once, or `WouldBlock`,
/// which clears it). [`Interest::ERROR`] registers nothing more, as epoll always reports
/// errors: a wait for errors is allowed under any interest, as in tokio.
///
/// A wait for priority or error readiness is woken only by those (and, for priority, end of
/// stream), not by ordinary data; an operation that returns `WouldBlock` under such an
/// interest clears it, as it clears the directions. Priority readiness also makes the
/// descriptor readable, and a pending error readable and writable, as the next operation
/// returns at once; a read or write that returns `WouldBlock` clears only its direction, so
/// a task waiting for priority data or errors still sees them.
///
/// An operation that returns `WouldBlock` (in `try_io` or `async_io`, or a guard's
/// `try_io`) clears the readiness of the interest it ran under. Under one direction, all
/// of it: the operation showed that direction not ready. Under both, it shows only that one
/// of them is not ready, not which, so a half that reported its end (end of stream, or a
/// hang-up) stays ready, as in tokio, since no further edge would report it; `async_io`
/// then waits for the other direction rather than retrying at once.
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
/// let rx = AsyncFd::new(rx).unwrap();
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
    /// The kinds that may be waited on (see the type's docs).
    interest: Interest,
    /// Always `Some`, except while `into_inner` takes it out.
    inner: Option<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Wraps `inner`, which must be in non-blocking mode, for waits in both directions.
    /// Registers it with the running Core, if any; see [Registration](AsyncFd#registration)
    /// for what fails, and when.
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
    /// let fd = AsyncFd::new(b)?; // registers with the Core that first waits on it
    /// assert_eq!(fd.as_raw_fd(), raw);
    /// # drop(a);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Wraps `inner`, which must be in non-blocking mode, for waits in the kinds of
    /// `interest` only: waiting in another panics (see [Interest](AsyncFd#interest)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest};
    ///
    /// let (mut a, b) = UnixStream::pair()?;
    /// b.set_nonblocking(true)?;
    /// let b = AsyncFd::with_interest(b, Interest::READABLE)?; // b.writable() would panic
    /// a.write_all(b"x")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     assert!(b.readable().await.unwrap().ready().is_readable());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        AsyncFd::try_with_interest(inner, interest).map_err(io::Error::from)
    }

    /// Wraps `inner` as [`new`](AsyncFd::new) does; on failure the error gives `inner`
    /// back, so that it is not closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::File;
    /// use mirage::io::AsyncFd;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let file = File::open(std::env::current_exe().unwrap()).unwrap();
    ///     // A regular file cannot be polled: keep it, and read it some other way.
    ///     let file = match AsyncFd::try_new(file) {
    ///         Ok(_) => panic!("epoll polls no regular file"),
    ///         Err(err) => err.into_parts().0,
    ///     };
    ///     assert!(file.metadata().unwrap().is_file());
    /// });
    /// ```
    pub fn try_new(inner: T) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Wraps `inner` as [`with_interest`](AsyncFd::with_interest) does; on failure the
    /// error gives `inner` back, so that it is not closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let a = AsyncFd::try_with_interest(a, Interest::WRITABLE)
    ///     .map_err(|err| err.into_parts().1)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async { a.writable().await.unwrap().retain_ready() });
    /// # drop(b);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_with_interest(
        inner: T,
        interest: Interest,
    ) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        let fd = inner.as_raw_fd();
        let registration = Registration::new(fd);
        // Inside a Core, `epoll_ctl` is the check; outside, only whether `fd` is open.
        let checked = match registration.register_if_current() {
            Ok(true) => Ok(()),
            Ok(false) => sys::fd::check_open(fd),
            Err(err) => Err(err),
        };
        match checked {
            Ok(()) => Ok(AsyncFd {
                registration,
                interest,
                inner: Some(inner),
            }),
            Err(cause) => Err(AsyncFdRegisterError { inner, cause }),
        }
    }

    /// [`try_new`](AsyncFd::try_new) under the name tokio 1.54 gives it, `AsyncFd::register`,
    /// so that code written for it reads the same here.
    ///
    /// tokio made `register` an `unsafe fn` and deprecated `new`: its reactor finds a
    /// descriptor's state through a pointer carried by each epoll event, so a descriptor
    /// closed or swapped behind its `AsyncFd`'s back could make an event reach freed
    /// memory. Mirage's events carry a slot index and a generation, and an event for a slot
    /// freed or reused since is recognised and dropped, so here both stay safe. The
    /// descriptor should still stay open, and the same, while the `AsyncFd` owns it:
    /// otherwise its waits concern whatever file the number names.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (mut a, b) = UnixStream::pair()?;
    /// b.set_nonblocking(true)?;
    /// let b = AsyncFd::register(b).map_err(|err| err.into_parts().1)?;
    /// a.write_all(b"x")?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async { assert!(b.readable().await.unwrap().ready().is_readable()) });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register(inner: T) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_new(inner)
    }

    /// [`try_with_interest`](AsyncFd::try_with_interest) under tokio 1.54's name,
    /// `AsyncFd::register_with_interest`: see [`register`](AsyncFd::register) for why it is
    /// safe here.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest};
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let a = AsyncFd::register_with_interest(a, Interest::WRITABLE)
    ///     .map_err(|err| err.into_parts().1)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async { a.writable().await.unwrap().retain_ready() });
    /// # drop(b);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_with_interest(
        inner: T,
        interest: Interest,
    ) -> Result<AsyncFd<T>, AsyncFdRegisterError<T>> {
        AsyncFd::try_with_interest(inner, interest)
    }

    /// Panics if `interest` has a direction outside the one this `AsyncFd` was created with.
    #[track_caller]
    fn check_interest(&self, interest: Interest) {
        // epoll reports errors unasked, in tokio too: a wait for them never hangs.
        let allowed = self.interest | Interest::ERROR;
        if let Some(outside) = interest.remove(allowed) {
            panic!(
                "AsyncFd used for {outside:?}, outside the interest it was created with \
                 ({:?}): add it to the interest given to AsyncFd::with_interest",
                self.interest
            );
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
    /// let fd = AsyncFd::new(b).unwrap();
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
    /// let mut fd = AsyncFd::new(a).unwrap();
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
    /// let fd = AsyncFd::new(b).unwrap();
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

    /// Waits until the descriptor is readable: data, end of file or an error is waiting, or
    /// priority data (`EPOLLPRI`, e.g. a socket's urgent data). Cancel-safe.
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
    /// let b = AsyncFd::new(b).unwrap();
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
        self.ready(Interest::READABLE).await
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
    /// let a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = a.writable().await.unwrap(); // an empty send buffer has room
    ///     let n = guard.try_io(|fd| fd.get_ref().write(b"hi")).unwrap().unwrap();
    ///     assert_eq!(n, 2);
    /// });
    /// # drop(b);
    /// ```
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// Waits for readiness in any of `interest`'s kinds, as tokio's `AsyncFd::ready`: the
    /// guard's [`ready`](AsyncFdReadyGuard::ready) says which. Cancel-safe.
    ///
    /// With both directions, clear only the one an operation saw blocked, with
    /// [`clear_ready_matching`](AsyncFdReadyGuard::clear_ready_matching): the other may
    /// still be ready. Spends a unit of the task's [cooperative budget](crate::coop) first,
    /// so a loop over a descriptor that is always ready still lets the other tasks run.
    ///
    /// # Panics
    ///
    /// If `interest` has a direction outside the `AsyncFd`'s (see
    /// [Interest](AsyncFd#interest)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest, Ready};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = b.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
    ///     assert_eq!(guard.ready(), Ready::WRITABLE); // room to write, nothing to read
    ///     drop(a); // end of stream makes `b` readable
    ///     guard.clear_ready_matching(Ready::WRITABLE);
    ///     let guard = b.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
    ///     assert!(guard.ready().is_read_closed());
    ///     assert_eq!(guard.get_inner().read(&mut [0; 8]).unwrap(), 0);
    /// });
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.check_interest(interest);
        coop::consume_budget().await;
        self.registration.ready_any(interest).await?;
        Ok(AsyncFdReadyGuard {
            fd: self,
            interest,
            ready: directions::readiness(&self.registration, interest),
            sets: self.registration.readiness_sets(),
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
    /// let b = AsyncFd::new(b).unwrap();
    /// drop(a); // end of stream makes `b` readable
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     poll_fn(|cx| b.poll_read_ready(cx).map_ok(drop)).await.unwrap();
    /// });
    /// ```
    #[track_caller]
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
    /// let a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     poll_fn(|cx| a.poll_write_ready(cx).map_ok(drop)).await.unwrap();
    /// });
    /// # drop(b);
    /// ```
    #[track_caller]
    pub fn poll_write_ready(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        self.poll_ready(cx, Direction::Write)
    }

    #[track_caller]
    fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'_, T>>> {
        let interest = Interest::from(direction);
        self.check_interest(interest);
        // Ready first: a poll that waits spends no budget (the unit is spent on the way out).
        ready!(self.registration.poll_ready(cx, direction))?;
        ready!(coop::poll_proceed(cx));
        Poll::Ready(Ok(AsyncFdReadyGuard {
            fd: self,
            interest,
            ready: self.registration.readiness(direction),
            sets: self.registration.readiness_sets(),
        }))
    }

    /// Runs the non-blocking `op` until it stops returning `WouldBlock`, waiting for
    /// readiness in any of `interest`'s kinds in between, as tokio's
    /// `AsyncFd::async_io`; the first attempt comes before any wait (after spending a unit
    /// of the task's [cooperative budget](crate::coop), as `ready` does).
    ///
    /// Cancel-safe as far as `op` is: dropping the future between attempts loses nothing
    /// (with a single `read` or `write` as `op`, no data).
    ///
    /// # Panics
    ///
    /// If `interest` has a direction outside the `AsyncFd`'s (see
    /// [Interest](AsyncFd#interest)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest};
    ///
    /// let (mut a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// let n = core.run(async {
    ///     mirage::spawn(async move { a.write_all(b"ping").unwrap() });
    ///     let mut buf = [0; 8];
    ///     // Tries the read, and waits for readability only while it would block.
    ///     b.async_io(Interest::READABLE, |fd| (&*fd).read(&mut buf)).await.unwrap()
    /// });
    /// assert_eq!(n, 4);
    /// ```
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.check_interest(interest);
        coop::consume_budget().await;
        directions::io_any(&self.registration, interest, || op(self.get_ref())).await
    }

    /// Runs the non-blocking `op` once, without waiting, as tokio's `AsyncFd::try_io`: if
    /// the descriptor is known not to be ready in any of `interest`'s kinds, returns
    /// `WouldBlock` without calling `op`; if `op` returns `WouldBlock`, clears readiness in
    /// them (a closed half aside, under both: see [Interest](AsyncFd#interest)), so the next
    /// wait waits for an edge.
    ///
    /// Before the first wait registers the descriptor (when created outside a Core),
    /// nothing is known and `op` is called. Created inside a Core, it is registered, and
    /// nothing is ready until the Core's next turn reports it, as in tokio. `op` must
    /// return `WouldBlock` only when an operation on the descriptor did: any other
    /// `WouldBlock` clears readiness the descriptor still has.
    ///
    /// # Panics
    ///
    /// If `interest` has a direction outside the `AsyncFd`'s (see
    /// [Interest](AsyncFd#interest)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::io::{ErrorKind, Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let b = AsyncFd::new(b).unwrap();
    ///     b.writable().await.unwrap().retain_ready(); // the first events: nothing to read
    ///     let calls = Cell::new(0);
    ///     let mut buf = [0; 8];
    ///     let mut read = |fd: &UnixStream| {
    ///         calls.set(calls.get() + 1);
    ///         (&*fd).read(&mut buf)
    ///     };
    ///     let err = b.try_io(Interest::READABLE, &mut read).unwrap_err();
    ///     assert_eq!((err.kind(), calls.get()), (ErrorKind::WouldBlock, 0)); // not tried
    ///     (&a).write_all(b"hi").unwrap();
    ///     b.readable().await.unwrap().retain_ready();
    ///     assert_eq!(b.try_io(Interest::READABLE, &mut read).unwrap(), 2);
    ///     assert_eq!(calls.get(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn try_io<R>(
        &self,
        interest: Interest,
        op: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.check_interest(interest);
        directions::try_once(&self.registration, interest, || op(self.get_ref()))
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
/// let fd = AsyncFd::new(a).unwrap();
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
