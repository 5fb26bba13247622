//! `Ready`: the readiness a socket reported, as tokio's `io::Ready`.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Sub};

/// A set of readiness states: what the sockets' `ready` found, and what an
/// [`AsyncFdReadyGuard`](super::AsyncFdReadyGuard) saw, as tokio's `io::Ready`.
///
/// [`is_readable`](Ready::is_readable) is true also when the read half is closed, and
/// [`is_writable`](Ready::is_writable) when the write half is: an operation then returns
/// at once, with end of file or an error. [`PRIORITY`](Ready::PRIORITY) and
/// [`ERROR`](Ready::ERROR) show only in the readiness of a wait that asked for them
/// ([`Interest::PRIORITY`](super::Interest::PRIORITY),
/// [`Interest::ERROR`](super::Interest::ERROR)).
///
/// # Examples
///
/// ```
/// use mirage::io::Ready;
///
/// let ready = Ready::READABLE | Ready::WRITE_CLOSED;
/// assert!(ready.is_readable() && ready.is_writable());
/// assert!(!ready.is_read_closed() && ready.is_write_closed());
/// assert_eq!(ready - Ready::WRITE_CLOSED, Ready::READABLE);
/// assert!(!ready.is_error());
/// assert_eq!(
///     format!("{:?}", Ready::ERROR),
///     "Ready { is_readable: false, is_writable: false, is_read_closed: false, \
///      is_write_closed: false, is_error: true, is_priority: false }"
/// );
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ready(u8);

const READABLE: u8 = 1 << 0;
const WRITABLE: u8 = 1 << 1;
const READ_CLOSED: u8 = 1 << 2;
const WRITE_CLOSED: u8 = 1 << 3;
#[cfg(any(target_os = "linux", target_os = "android"))]
const PRIORITY: u8 = 1 << 4;
const ERROR: u8 = 1 << 5;

impl Ready {
    /// No readiness.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::EMPTY.is_empty());
    /// assert!(!Ready::EMPTY.is_readable());
    /// ```
    pub const EMPTY: Ready = Ready(0);

    /// Readable: a read will not wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::READABLE.is_readable());
    /// assert!(!Ready::READABLE.is_read_closed());
    /// ```
    pub const READABLE: Ready = Ready(READABLE);

    /// Writable: a write will not wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::WRITABLE.is_writable());
    /// assert!(!Ready::WRITABLE.is_readable());
    /// ```
    pub const WRITABLE: Ready = Ready(WRITABLE);

    /// The read half is closed: the peer shut its write half, or the connection ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::READ_CLOSED.is_read_closed());
    /// assert!(Ready::READ_CLOSED.is_readable()); // a read returns end of file at once
    /// ```
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);

    /// The write half is closed: shut down on this side, or the connection ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::WRITE_CLOSED.is_write_closed());
    /// assert!(Ready::WRITE_CLOSED.is_writable()); // a write fails at once
    /// ```
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);

    /// Priority readiness (`EPOLLPRI`): urgent data, or a change in a file that reports one
    /// so. Linux and Android only, as in tokio.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::PRIORITY.is_priority());
    /// assert!(!Ready::PRIORITY.is_readable()); // a wait for both reports both
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const PRIORITY: Ready = Ready(PRIORITY);

    /// Error readiness (`EPOLLERR`): the descriptor has an error to report.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::ERROR.is_error());
    /// assert!(!Ready::ERROR.is_readable() && !Ready::ERROR.is_writable());
    /// ```
    pub const ERROR: Ready = Ready(ERROR);

    /// Every readiness state.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::ALL.is_readable() && Ready::ALL.is_write_closed());
    /// assert!(Ready::ALL.is_error());
    /// assert_eq!(Ready::ALL - Ready::ALL, Ready::EMPTY);
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const ALL: Ready =
        Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | PRIORITY | ERROR);

    /// Every readiness state.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::ALL.is_readable() && Ready::ALL.is_error());
    /// ```
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub const ALL: Ready = Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR);

    /// Whether no state is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::EMPTY.is_empty());
    /// assert!(!Ready::WRITABLE.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether a read will not wait: readable, or the read half closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::READABLE.is_readable());
    /// assert!(Ready::READ_CLOSED.is_readable());
    /// assert!(!Ready::WRITABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & (READABLE | READ_CLOSED) != 0
    }

    /// Whether a write will not wait: writable, or the write half closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::WRITABLE.is_writable());
    /// assert!(Ready::WRITE_CLOSED.is_writable());
    /// assert!(!Ready::READABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & (WRITABLE | WRITE_CLOSED) != 0
    }

    /// Whether the read half is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::READ_CLOSED.is_read_closed());
    /// assert!(!Ready::READABLE.is_read_closed());
    /// ```
    pub const fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// Whether the write half is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!(Ready::WRITE_CLOSED.is_write_closed());
    /// assert!(!Ready::WRITABLE.is_write_closed());
    /// ```
    pub const fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// Whether priority readiness is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!((Ready::READABLE | Ready::PRIORITY).is_priority());
    /// assert!(!Ready::READABLE.is_priority());
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// Whether error readiness is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// assert!((Ready::WRITABLE | Ready::ERROR).is_error());
    /// assert!(!Ready::WRITE_CLOSED.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }
}

impl BitOr for Ready {
    type Output = Ready;

    /// The states of both.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// let both = Ready::READABLE | Ready::WRITABLE;
    /// assert!(both.is_readable() && both.is_writable());
    /// ```
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl BitOrAssign for Ready {
    /// Adds `other`'s states.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// let mut ready = Ready::EMPTY;
    /// ready |= Ready::READ_CLOSED;
    /// assert!(ready.is_read_closed());
    /// ```
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl BitAnd for Ready {
    type Output = Ready;

    /// The states in both, as tokio's `Ready` has it: what of a readiness a wait cares
    /// about.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// let found = Ready::READABLE | Ready::READ_CLOSED;
    /// assert_eq!(found & Ready::READABLE, Ready::READABLE);
    /// assert!((found & Ready::WRITABLE).is_empty());
    /// ```
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl Sub for Ready {
    type Output = Ready;

    /// The states of `self` that are not in `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::Ready;
    ///
    /// let ready = (Ready::READABLE | Ready::WRITABLE) - Ready::WRITABLE;
    /// assert_eq!(ready, Ready::READABLE);
    /// ```
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    /// Each state as a field, as tokio writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("Ready");
        f.field("is_readable", &self.is_readable())
            .field("is_writable", &self.is_writable())
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .field("is_error", &self.is_error());
        #[cfg(any(target_os = "linux", target_os = "android"))]
        f.field("is_priority", &self.is_priority());
        f.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_a_state_of_its_own_in_every_set_operation() {
        let found = Ready::WRITABLE | Ready::ERROR;
        assert!(found.is_error() && found.is_writable() && !found.is_readable());
        assert_eq!(found - Ready::ERROR, Ready::WRITABLE);
        assert_eq!(found & Ready::ERROR, Ready::ERROR);
        assert!((found & Ready::READABLE).is_empty());
        let mut grown = Ready::READ_CLOSED;
        grown |= Ready::ERROR;
        assert!(grown.is_error() && grown.is_read_closed());
        assert!(!(grown - Ready::ERROR).is_error());
        assert!(Ready::ALL.is_error() && !(Ready::ALL - Ready::ERROR).is_error());
        assert!(!Ready::EMPTY.is_error());
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn priority_is_a_state_of_its_own_in_every_set_operation() {
        let urgent = Ready::READABLE | Ready::PRIORITY;
        assert!(urgent.is_priority() && urgent.is_readable() && !urgent.is_error());
        assert_eq!(urgent - Ready::READABLE, Ready::PRIORITY);
        assert_eq!(urgent & (Ready::PRIORITY | Ready::ERROR), Ready::PRIORITY);
        assert!(!(urgent - Ready::PRIORITY).is_priority());
        assert!(!Ready::PRIORITY.is_readable() && !Ready::PRIORITY.is_read_closed());
        assert_eq!(
            Ready::ALL - Ready::PRIORITY - Ready::ERROR,
            Ready::READABLE | Ready::WRITABLE | Ready::READ_CLOSED | Ready::WRITE_CLOSED
        );
        assert_eq!(
            format!("{:?}", Ready::PRIORITY | Ready::READ_CLOSED),
            "Ready { is_readable: true, is_writable: false, is_read_closed: true, \
             is_write_closed: false, is_error: false, is_priority: true }"
        );
    }
}
