//! `AsyncFdReadyGuard`: what a wait on an `AsyncFd` hands back, and `TryIoError`.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;

use super::{AsyncFd, directions};
use crate::io::{Interest, Ready};

/// Proof that an [`AsyncFd`] was ready in one of the kinds a wait asked for; returned
/// by [`readable`](AsyncFd::readable), [`writable`](AsyncFd::writable) and
/// [`ready`](AsyncFd::ready).
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
/// let b = AsyncFd::new(b).unwrap();
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
    pub(super) fd: &'a AsyncFd<T>,
    /// The kinds the wait asked for: those `clear_ready` and `try_io` clear.
    pub(super) interest: Interest,
    /// The readiness the wait saw, for [`ready`](AsyncFdReadyGuard::ready).
    pub(super) ready: Ready,
    /// The reactor's count of readiness sets at the wait: `clear_ready` forgets nothing
    /// set since.
    pub(super) sets: u32,
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    /// The readiness the wait saw, in the guard's kinds, as tokio's
    /// `AsyncFdReadyGuard::ready`: readable (or writable), and read (or write) closed once
    /// the peer hung up. Fixed when the wait returned: clearing readiness does not change it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::{AsyncFd, Ready};
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     assert_eq!(b.writable().await.unwrap().ready(), Ready::WRITABLE);
    ///     drop(a); // the peer hangs up
    ///     let mut guard = b.readable().await.unwrap();
    ///     assert!(guard.ready().is_read_closed());
    ///     guard.clear_ready();
    ///     assert!(guard.ready().is_read_closed(), "what the wait saw");
    /// });
    /// ```
    pub fn ready(&self) -> Ready {
        self.ready
    }

    /// Forgets the readiness this guard saw: the next wait waits for a new edge. End of
    /// stream (the peer hung up) is kept, as tokio keeps it: the kernel reports it once, and
    /// a wait that forgot it would never end, so after a short read that cleared readiness
    /// the next wait still returns at once, for the read that sees the end.
    /// Readiness that an edge set after the wait is kept too, as in tokio: it may report
    /// data (or room) the caller's operation never saw, and no other edge would.
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
    ///     let mut guard = a.writable().await.unwrap();
    ///     guard.get_ref().get_ref().write_all(b"x").unwrap();
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
    /// [`clear_ready`](AsyncFdReadyGuard::clear_ready) does: after a wait on both
    /// directions, clear the one whose operation blocked, and the other stays ready; after a
    /// wait for priority data, clear `Ready::PRIORITY` once it is read. As tokio's
    /// `clear_ready_matching`, but a kind the guard did not wait on is left alone, and
    /// [`ready`](AsyncFdReadyGuard::ready) still returns what the wait saw.
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
    /// let b = AsyncFd::new(b).unwrap();
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let both = Interest::READABLE | Interest::WRITABLE;
    ///     let mut guard = b.ready(both).await.unwrap();
    ///     let err = guard.get_inner().read(&mut [0; 8]).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     guard.clear_ready_matching(Ready::READABLE); // the read blocked; writing did not
    ///     let guard = b.ready(both).await.unwrap(); // at once: still writable
    ///     assert!(guard.ready().is_writable());
    /// });
    /// # drop(a);
    /// ```
    pub fn clear_ready_matching(&mut self, ready: Ready) {
        if let Some(matching) = directions::matching(self.interest, ready) {
            directions::clear_seen(&self.fd.registration, matching, self.sets);
        }
    }

    /// Runs `op`; if it returns `WouldBlock`, clears readiness in the guard's kinds
    /// (all of it, end of stream included, for a guard of one direction; for one of both,
    /// a closed half stays: see [Interest](AsyncFd#interest)) and returns `Err(TryIoError)`
    /// so the caller waits again.
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
    /// let b = AsyncFd::new(b).unwrap();
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
    /// use std::os::unix::net::UnixStream;
    /// use mirage::io::AsyncFd;
    ///
    /// let (a, b) = UnixStream::pair().unwrap();
    /// b.set_nonblocking(true).unwrap();
    /// let b = AsyncFd::new(b).unwrap();
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
    /// let b = AsyncFd::new(b).unwrap();
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
    /// let b = AsyncFd::new(b).unwrap();
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
            .field("interest", &self.interest)
            .field("ready", &self.ready)
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
/// let a = AsyncFd::new(a).unwrap();
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
pub struct TryIoError(pub(super) ());
