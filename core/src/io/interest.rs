//! `Interest`: the directions of readiness a wait asks about, as tokio's `io::Interest`.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use super::Direction;

/// The directions of readiness to wait for: [`READABLE`](Interest::READABLE),
/// [`WRITABLE`](Interest::WRITABLE), or both (`Interest::READABLE | Interest::WRITABLE`).
///
/// Passed to the sockets' and [`AsyncFd`](super::AsyncFd)'s `ready`, `try_io` and
/// `async_io`, and to [`AsyncFd::with_interest`](super::AsyncFd::with_interest), as tokio's
/// `io::Interest` is. An interest always holds at least one direction. tokio's `ERROR` and
/// `PRIORITY` interests are not offered: a pending error or urgent data shows as readable
/// (an error also as writable), since the next operation returns at once. mio 1.x has no
/// error interest (epoll always reports errors), and the reactor keeps one list of waiters
/// per direction, which urgent data wakes along with ordinary data: a wait for urgent data
/// alone would need a third.
///
/// # Examples
///
/// ```
/// use mirage::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

const READABLE: u8 = 1 << 0;
const WRITABLE: u8 = 1 << 1;

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

    /// The directions of both interests; the `const` form of `|`.
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

    /// The directions of `self` that are not in `other`; `None` if none is left, as an
    /// interest cannot be empty.
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

    /// Both interests' directions.
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
    /// Adds `other`'s directions.
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
    /// The directions, as tokio writes them: `READABLE | WRITABLE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, _) => f.write_str("WRITABLE"),
        }
    }
}
