//! The `&mut self` side of `AsyncFd`: waits that hand back an `AsyncFdReadyMutGuard`, with
//! mutable access to the wrapped value, and `async_io_mut` / `try_io_mut`.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::task::{Context, Poll, ready};

use super::{AsyncFd, TryIoError, directions};
use crate::coop;
use crate::io::{Interest, Ready};
use crate::reactor::Direction;

impl<T: AsRawFd> AsyncFd<T> {
    /// Waits until the descriptor is readable, as [`readable`](AsyncFd::readable) does, for
    /// a guard that gives mutable access to the wrapped value. Cancel-safe.
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
    /// let mut b = AsyncFd::new(b).unwrap();
    /// a.write_all(b"x").unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = b.readable_mut().await.unwrap();
    ///     let mut byte = [0; 1];
    ///     let n = guard.try_io(|fd| fd.get_mut().read(&mut byte)).unwrap().unwrap();
    ///     assert_eq!((n, byte), (1, *b"x"));
    /// });
    /// ```
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// Waits until the descriptor is writable, as [`writable`](AsyncFd::writable) does, for
    /// a guard that gives mutable access to the wrapped value. Cancel-safe.
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
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = a.writable_mut().await.unwrap();
    ///     let n = guard.try_io(|fd| fd.get_mut().write(b"hi")).unwrap().unwrap();
    ///     assert_eq!(n, 2);
    /// });
    /// # drop(b);
    /// ```
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// Waits for readiness in any of `interest`'s kinds, as [`ready`](AsyncFd::ready)
    /// does, for a guard that gives mutable access to the wrapped value. Cancel-safe.
    ///
    /// # Panics
    ///
    /// If `interest` has a direction outside the `AsyncFd`'s (see
    /// [Interest](AsyncFd#interest)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let mut b = AsyncFd::new(b).unwrap();
    /// drop(a); // end of stream makes `b` readable
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = b.ready_mut(Interest::READABLE).await.unwrap();
    ///     let stream: &mut UnixStream = guard.get_inner_mut();
    ///     assert!(stream.take_error().unwrap().is_none());
    /// });
    /// ```
    pub async fn ready_mut(
        &mut self,
        interest: Interest,
    ) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.check_interest(interest);
        coop::consume_budget().await;
        self.registration.ready_any(interest).await?;
        let ready = directions::readiness(&self.registration, interest);
        let sets = self.registration.readiness_sets();
        Ok(AsyncFdReadyMutGuard {
            fd: self,
            interest,
            ready,
            sets,
        })
    }

    /// Polls for readability, as [`poll_read_ready`](AsyncFd::poll_read_ready) does, for a
    /// guard that gives mutable access to the wrapped value. Only the last task to poll is
    /// woken.
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
    /// let mut b = AsyncFd::new(b).unwrap();
    /// drop(a); // end of stream makes `b` readable
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     poll_fn(|cx| b.poll_read_ready_mut(cx).map_ok(drop)).await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn poll_read_ready_mut(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'_, T>>> {
        self.poll_ready_mut(cx, Direction::Read)
    }

    /// Polls for writability, as [`poll_write_ready`](AsyncFd::poll_write_ready) does, for
    /// a guard that gives mutable access to the wrapped value. Only the last task to poll is
    /// woken.
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
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     poll_fn(|cx| a.poll_write_ready_mut(cx).map_ok(drop)).await.unwrap();
    /// });
    /// # drop(b);
    /// ```
    #[track_caller]
    pub fn poll_write_ready_mut(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'_, T>>> {
        self.poll_ready_mut(cx, Direction::Write)
    }

    #[track_caller]
    fn poll_ready_mut(
        &mut self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'_, T>>> {
        let interest = Interest::from(direction);
        self.check_interest(interest);
        // Ready first, as in `AsyncFd::poll_ready`: a poll that waits spends no budget.
        ready!(self.registration.poll_ready(cx, direction))?;
        ready!(coop::poll_proceed(cx));
        let ready = self.registration.readiness(direction);
        let sets = self.registration.readiness_sets();
        Poll::Ready(Ok(AsyncFdReadyMutGuard {
            fd: self,
            interest,
            ready,
            sets,
        }))
    }

    /// Runs the non-blocking `op` on the wrapped value, mutably, until it stops returning
    /// `WouldBlock`, as [`async_io`](AsyncFd::async_io) does. Cancel-safe as far as `op` is.
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
    /// let mut b = AsyncFd::new(b).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// let n = core.run(async {
    ///     mirage::spawn(async move { a.write_all(b"ping").unwrap() });
    ///     let mut buf = [0; 8];
    ///     b.async_io_mut(Interest::READABLE, |fd| fd.read(&mut buf)).await.unwrap()
    /// });
    /// assert_eq!(n, 4);
    /// ```
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.check_interest(interest);
        coop::consume_budget().await;
        let inner = self.inner.as_mut().expect("AsyncFd already taken apart");
        directions::io_any(&self.registration, interest, || op(inner)).await
    }

    /// Runs the non-blocking `op` on the wrapped value, mutably, once, as
    /// [`try_io`](AsyncFd::try_io) does: `WouldBlock` without calling `op` while the
    /// descriptor is known not to be ready in any of `interest`'s kinds.
    ///
    /// # Panics
    ///
    /// If `interest` has a direction outside the `AsyncFd`'s (see
    /// [Interest](AsyncFd#interest)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Write};
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     a.writable_mut().await.unwrap().retain_ready();
    ///     assert_eq!(a.try_io_mut(Interest::WRITABLE, |fd| fd.write(b"hi")).unwrap(), 2);
    ///     // Nothing came to read: no read is tried.
    ///     let read = a.try_io_mut(Interest::READABLE, |_| unreachable!("not readable"));
    ///     assert_eq!(read.map_err(|err| err.kind()), Err::<(), _>(ErrorKind::WouldBlock));
    /// });
    /// # drop(b);
    /// ```
    #[track_caller]
    pub fn try_io_mut<R>(
        &mut self,
        interest: Interest,
        op: impl FnOnce(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.check_interest(interest);
        let inner = self.inner.as_mut().expect("AsyncFd already taken apart");
        directions::try_once(&self.registration, interest, || op(inner))
    }
}

/// Proof that an [`AsyncFd`] was ready in one of the kinds a wait asked for, with
/// mutable access to it; returned by [`readable_mut`](AsyncFd::readable_mut),
/// [`writable_mut`](AsyncFd::writable_mut) and [`ready_mut`](AsyncFd::ready_mut).
/// Readiness works as with [`AsyncFdReadyGuard`](super::AsyncFdReadyGuard).
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use mirage::io::{AsyncFd, AsyncFdReadyMutGuard};
///
/// let (a, b) = UnixStream::pair().unwrap();
/// b.set_nonblocking(true).unwrap();
/// let mut b = AsyncFd::new(b).unwrap();
/// drop(a);
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut guard: AsyncFdReadyMutGuard<'_, UnixStream> = b.readable_mut().await.unwrap();
///     guard.get_inner_mut().set_nonblocking(true).unwrap();
///     guard.retain_ready();
/// });
/// ```
#[must_use = "a guard says the descriptor was ready: use it with `try_io`, or call \
              `clear_ready` or `retain_ready` to say whether it still is"]
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    fd: &'a mut AsyncFd<T>,
    /// The kinds the wait asked for: those `clear_ready` and `try_io` clear.
    interest: Interest,
    /// The readiness the wait saw, for [`ready`](AsyncFdReadyMutGuard::ready).
    ready: Ready,
    /// The reactor's count of readiness sets at the wait: `clear_ready` forgets nothing
    /// set since.
    sets: u32,
}

impl<T: AsRawFd> AsyncFdReadyMutGuard<'_, T> {
    /// The readiness the wait saw, in the guard's kinds, as
    /// [`AsyncFdReadyGuard::ready`](super::AsyncFdReadyGuard::ready) and tokio's
    /// `AsyncFdReadyMutGuard::ready`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let mut b = AsyncFd::new(b).unwrap();
    /// drop(a); // the peer hangs up
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let guard = b.readable_mut().await.unwrap();
    ///     assert!(guard.ready().is_readable() && guard.ready().is_read_closed());
    /// });
    /// ```
    pub fn ready(&self) -> Ready {
        self.ready
    }

    /// Forgets the readiness this guard saw, but for end of stream, as
    /// [`AsyncFdReadyGuard::clear_ready`](super::AsyncFdReadyGuard::clear_ready) does.
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
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = a.writable_mut().await.unwrap();
    ///     guard.get_inner_mut().write_all(b"x").unwrap();
    ///     // Written by hand, outside `try_io`: say when the next wait must wait for an edge.
    ///     guard.clear_ready();
    /// });
    /// # drop(b);
    /// ```
    pub fn clear_ready(&mut self) {
        directions::clear_seen(&self.fd.registration, self.interest, self.sets);
    }

    /// Forgets the readiness of the guard's kinds that `ready` names (readable, writable,
    /// priority or error), but for end of stream, as
    /// [`AsyncFdReadyGuard::clear_ready_matching`](super::AsyncFdReadyGuard::clear_ready_matching)
    /// does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Interest, Ready};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let mut b = AsyncFd::new(b).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let both = Interest::READABLE | Interest::WRITABLE;
    ///     let mut guard = b.ready_mut(both).await.unwrap();
    ///     let err = guard.get_inner_mut().read(&mut [0; 8]).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     guard.clear_ready_matching(Ready::READABLE); // the read blocked; writing did not
    ///     assert!(b.ready_mut(both).await.unwrap().ready().is_writable()); // at once
    /// });
    /// # drop(a);
    /// ```
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        if let Some(matching) = directions::matching(self.interest, ready) {
            directions::clear_seen(&self.fd.registration, matching, self.sets);
        }
    }

    /// Keeps the readiness this guard saw: the next wait returns at once. Does nothing, as
    /// dropping the guard keeps readiness too; it says so in the code, and uses the guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     a.writable_mut().await.unwrap().retain_ready();
    ///     a.writable_mut().await.unwrap().retain_ready(); // still writable: no wait
    /// });
    /// # drop(b);
    /// ```
    pub fn retain_ready(&mut self) {}

    /// Runs `op` on the `AsyncFd`, mutably; if it returns `WouldBlock`, clears readiness and
    /// returns `Err(TryIoError)` so the caller waits again, as
    /// [`AsyncFdReadyGuard::try_io`](super::AsyncFdReadyGuard::try_io) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     // Writable at once, but nothing to read: the read would block.
    ///     let mut guard = a.writable_mut().await.unwrap();
    ///     let mut buf = [0; 8];
    ///     assert!(guard.try_io(|fd| fd.get_mut().read(&mut buf)).is_err());
    /// });
    /// # drop(b);
    /// ```
    pub fn try_io<R>(
        &mut self,
        op: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match op(self.fd) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                directions::clear_blocked(&self.fd.registration, self.interest);
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
    /// use std::os::fd::AsRawFd;
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let raw = a.as_raw_fd();
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let guard = a.writable_mut().await.unwrap();
    ///     assert_eq!(guard.get_ref().as_raw_fd(), raw);
    /// });
    /// # drop(b);
    /// ```
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.fd
    }

    /// The `AsyncFd` this guard belongs to, mutably.
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
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = a.writable_mut().await.unwrap();
    ///     assert_eq!(guard.get_mut().get_mut().write(b"hi").unwrap(), 2);
    /// });
    /// # drop(b);
    /// ```
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.fd
    }

    /// The value the `AsyncFd` wraps: `guard.get_ref().get_ref()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// a.set_nonblocking(true).unwrap();
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let guard = a.writable_mut().await.unwrap();
    ///     assert!(guard.get_inner().take_error().unwrap().is_none());
    /// });
    /// # drop(b);
    /// ```
    pub fn get_inner(&self) -> &T {
        self.fd.get_ref()
    }

    /// The value the `AsyncFd` wraps, mutably: `guard.get_mut().get_mut()`.
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
    /// let mut a = AsyncFd::new(a).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut guard = a.writable_mut().await.unwrap();
    ///     assert_eq!(guard.get_inner_mut().write(b"hi").unwrap(), 2);
    /// });
    /// # drop(b);
    /// ```
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.fd.get_mut()
    }
}

impl<T: AsRawFd> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("fd", &self.fd.registration.fd())
            .field("interest", &self.interest)
            .field("ready", &self.ready)
            .finish()
    }
}
