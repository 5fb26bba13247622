//! `Interest`: the kinds of readiness a wait asks about, as tokio's `io::Interest`.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use super::Direction;

/// The kinds of readiness to wait for: [`READABLE`](Interest::READABLE),
/// [`WRITABLE`](Interest::WRITABLE), [`PRIORITY`](Interest::PRIORITY) (Linux and Android),
/// [`ERROR`](Interest::ERROR), or several of them (`Interest::READABLE | Interest::WRITABLE`).
///
/// Passed to the sockets' and [`AsyncFd`](super::AsyncFd)'s `ready`, `try_io` and
/// `async_io`, and to [`AsyncFd::with_interest`](super::AsyncFd::with_interest), as tokio's
/// `io::Interest` is. An interest always holds at least one kind; a wait for several ends
/// at the first of them.
///
/// # Examples
///
/// ```
/// use mirage::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable() && !both.is_error());
/// assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

const READABLE: u8 = 1 << 0;
const WRITABLE: u8 = 1 << 1;
#[cfg(any(target_os = "linux", target_os = "android"))]
const PRIORITY: u8 = 1 << 2;
const ERROR: u8 = 1 << 3;

impl Interest {
    /// Interest in reading: data (or a connection to accept) is queued, or the read half
    /// is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// assert!(Interest::READABLE.is_readable());
    /// assert!(!Interest::READABLE.is_writable());
    /// ```
    pub const READABLE: Interest = Interest(READABLE);

    /// Interest in writing: the send buffer has room, or the write half is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// assert!(Interest::WRITABLE.is_writable());
    /// assert!(!Interest::WRITABLE.is_readable());
    /// ```
    pub const WRITABLE: Interest = Interest(WRITABLE);

    /// Interest in priority readiness, `EPOLLPRI`: a socket's urgent data (`MSG_OOB`), or
    /// a change in a file that reports one so, like `/proc/self/mounts`. Linux and Android
    /// only, as in tokio.
    ///
    /// Every descriptor is registered for it from the start, sockets and `AsyncFd`s alike
    /// (an `AsyncFd` still waits for it only when
    /// [`AsyncFd::with_interest`](super::AsyncFd::with_interest) asked for it). A wait for
    /// it also returns once the read half is closed, as no priority data can come after.
    /// Priority readiness also makes the descriptor readable, as mio reports it. A TCP
    /// stream's [`ready`](../net/struct.TcpStream.html#method.ready) takes it too.
    ///
    /// # Examples
    ///
    /// Waiting for a byte of TCP urgent data:
    ///
    /// ```
    /// use std::net::{TcpListener, TcpStream};
    /// use std::os::fd::AsRawFd;
    /// use mirage::io::{AsyncFd, Interest, Ready};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let sender = TcpStream::connect(listener.local_addr()?)?;
    /// let (receiver, _) = listener.accept()?;
    /// receiver.set_nonblocking(true)?;
    /// let interest = Interest::READABLE | Interest::PRIORITY;
    /// let receiver = AsyncFd::with_interest(receiver, interest)?;
    /// let (fd, byte) = (sender.as_raw_fd(), b"!");
    /// // SAFETY: `byte` is valid for reads for the call.
    /// let sent = unsafe { libc::send(fd, byte.as_ptr().cast(), 1, libc::MSG_OOB) };
    /// assert_eq!(sent, 1);
    /// let mut core = mirage::Core::new()?;
    /// let urgent = core.run(async {
    ///     let mut guard = receiver.ready(Interest::PRIORITY).await?;
    ///     assert!(guard.ready().is_priority());
    ///     let (fd, mut byte) = (guard.get_inner().as_raw_fd(), 0u8);
    ///     // SAFETY: `byte` is valid for writes for the call.
    ///     let n = unsafe { libc::recv(fd, (&raw mut byte).cast(), 1, libc::MSG_OOB) };
    ///     assert_eq!(n, 1);
    ///     guard.clear_ready_matching(Ready::PRIORITY); // read: wait for the next one
    ///     std::io::Result::Ok(byte)
    /// })?;
    /// assert_eq!(urgent, b'!');
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// As a set:
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// let urgent = Interest::READABLE | Interest::PRIORITY;
    /// assert!(urgent.is_priority() && urgent.is_readable());
    /// assert!(!Interest::PRIORITY.is_readable());
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const PRIORITY: Interest = Interest(PRIORITY);

    /// Interest in error readiness, `EPOLLERR`: the descriptor has an error to report, such
    /// as a socket's pending error or the entries of its error queue (`MSG_ERRQUEUE`).
    ///
    /// epoll reports errors whatever a descriptor is registered for, so asking for it
    /// registers nothing more. A pending error also makes the descriptor readable and
    /// writable, since the next operation returns it at once; this interest waits for the
    /// error alone.
    ///
    /// # Examples
    ///
    /// Waiting for the error a datagram sent to a closed port brings back:
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::net::UdpSocket;
    /// use mirage::io::{AsyncFd, Interest};
    ///
    /// let nobody = UdpSocket::bind("127.0.0.1:0")?.local_addr()?; // closed at once
    /// let socket = UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_nonblocking(true)?;
    /// socket.connect(nobody)?; // a connected socket keeps the ICMP error
    /// let socket = AsyncFd::with_interest(socket, Interest::ERROR)?;
    /// let mut core = mirage::Core::new()?;
    /// core.run(async {
    ///     socket.get_ref().send(b"ping")?;
    ///     let mut guard = socket.ready(Interest::ERROR).await?;
    ///     assert!(guard.ready().is_error());
    ///     let err = guard.get_inner().take_error()?.expect("a pending error");
    ///     assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    ///     guard.clear_ready(); // taken: wait for the next one
    ///     std::io::Result::Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// As a set:
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// assert!(Interest::ERROR.is_error());
    /// assert!(!Interest::ERROR.is_readable() && !Interest::ERROR.is_writable());
    /// assert!((Interest::READABLE | Interest::ERROR).is_error());
    /// ```
    pub const ERROR: Interest = Interest(ERROR);

    /// Whether the interest includes reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// assert!((Interest::READABLE | Interest::WRITABLE).is_readable());
    /// assert!(!Interest::WRITABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// Whether the interest includes writing.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// assert!((Interest::READABLE | Interest::WRITABLE).is_writable());
    /// assert!(!Interest::READABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// Whether the interest includes priority readiness.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// assert!((Interest::READABLE | Interest::PRIORITY).is_priority());
    /// assert!(!Interest::READABLE.is_priority());
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// Whether the interest includes error readiness.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// assert!((Interest::WRITABLE | Interest::ERROR).is_error());
    /// assert!(!Interest::WRITABLE.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// Whether the interest includes a kind beyond reading and writing: priority or error
    /// readiness, which the reactor waits for apart from the two directions.
    pub(crate) const fn has_extra(self) -> bool {
        self.0 & !(READABLE | WRITABLE) != 0
    }

    /// The kinds of both interests; the `const` form of `|`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    /// assert_eq!(BOTH, Interest::READABLE | Interest::WRITABLE);
    /// ```
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// The kinds of `self` that are not in `other`; `None` if none is left, as an interest
    /// cannot be empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// let both = Interest::READABLE | Interest::WRITABLE;
    /// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
    /// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
    /// ```
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        match self.0 & !other.0 {
            0 => None,
            bits => Some(Interest(bits)),
        }
    }
}

impl BitOr for Interest {
    type Output = Interest;

    /// Both interests' kinds.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// let both = Interest::READABLE | Interest::WRITABLE;
    /// assert!(both.is_readable() && both.is_writable());
    /// ```
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl BitOrAssign for Interest {
    /// Adds `other`'s kinds.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Interest;
    ///
    /// let mut interest = Interest::READABLE;
    /// interest |= Interest::WRITABLE;
    /// assert!(interest.is_writable());
    /// ```
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl From<Direction> for Interest {
    /// The interest in one direction.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{Direction, Interest};
    ///
    /// assert_eq!(Interest::from(Direction::Read), Interest::READABLE);
    /// assert_eq!(Interest::from(Direction::Write), Interest::WRITABLE);
    /// ```
    fn from(direction: Direction) -> Interest {
        match direction {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        }
    }
}

impl fmt::Debug for Interest {
    /// The kinds, as tokio writes them: `READABLE | WRITABLE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = [
            (self.is_readable(), "READABLE"),
            (self.is_writable(), "WRITABLE"),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (self.is_priority(), "PRIORITY"),
            (self.is_error(), "ERROR"),
        ];
        let mut names = kinds.iter().filter(|(has, _)| *has).map(|(_, name)| name);
        if let Some(first) = names.next() {
            f.write_str(first)?;
        }
        for name in names {
            write!(f, " | {name}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_combine_remove_and_print_as_tokio_prints_them() {
        let all = Interest::READABLE | Interest::WRITABLE | Interest::ERROR;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let all = all | Interest::PRIORITY;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(format!("{all:?}"), "READABLE | WRITABLE | PRIORITY | ERROR");
        assert_eq!(format!("{:?}", Interest::ERROR), "ERROR");
        let extra = all.remove(Interest::READABLE | Interest::WRITABLE).unwrap();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(extra, Interest::PRIORITY | Interest::ERROR);
        assert!(extra.is_error() && !extra.is_readable() && !extra.is_writable());
        assert!(extra.has_extra() && !(Interest::READABLE | Interest::WRITABLE).has_extra());
        assert_eq!(extra.remove(extra), None);
        let mut grown = Interest::WRITABLE;
        grown |= Interest::ERROR;
        assert_eq!(grown, Interest::WRITABLE.add(Interest::ERROR));
        assert_eq!(grown.remove(Interest::WRITABLE), Some(Interest::ERROR));
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn priority_is_a_kind_of_its_own() {
        let urgent = Interest::READABLE | Interest::PRIORITY;
        assert!(urgent.is_priority() && urgent.has_extra());
        assert_eq!(urgent.remove(Interest::READABLE), Some(Interest::PRIORITY));
        assert!(!Interest::PRIORITY.is_readable() && !Interest::PRIORITY.is_error());
        assert_eq!(format!("{:?}", Interest::PRIORITY), "PRIORITY");
    }
}
