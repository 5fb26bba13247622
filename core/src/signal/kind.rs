//! `SignalKind`: which signal to listen for.

use std::fmt;
use std::io;

use libc::c_int;

use super::registry::SIGNAL_COUNT;

/// A Unix signal to listen for with [`signal`](super::signal): a named constructor for the
/// common ones, or [`from_raw`](SignalKind::from_raw) for any other number, including the
/// real-time signals.
///
/// # Examples
///
/// ```
/// use mirage::signal::SignalKind;
///
/// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
/// assert_eq!(SignalKind::from_raw(libc::SIGHUP), SignalKind::hangup());
/// assert_eq!(format!("{:?}", SignalKind::interrupt()), "SignalKind(SIGINT)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(c_int);

/// Signals whose handler would break the process: the two that cannot be caught, and the
/// faults after which returning from a handler re-runs the faulting instruction (and which
/// Rust's runtime uses to report stack overflows).
const FORBIDDEN: [c_int; 6] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGSEGV,
    libc::SIGBUS,
];

impl SignalKind {
    /// The signal numbered `signum`, checked only when a listener is created.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::signal::SignalKind;
    ///
    /// let realtime = SignalKind::from_raw(libc::SIGRTMIN() + 1);
    /// assert_eq!(realtime.as_raw_value(), libc::SIGRTMIN() + 1);
    /// ```
    pub const fn from_raw(signum: c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal's number.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::signal::SignalKind;
    ///
    /// assert_eq!(SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    /// ```
    pub const fn as_raw_value(&self) -> c_int {
        self.0
    }

    /// `SIGINT`, sent by Ctrl-C in a terminal.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::interrupt().as_raw_value(), libc::SIGINT);
    /// ```
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`, the polite request to stop (`kill`'s default, and what service managers
    /// send first).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    /// ```
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal went away, or, for a daemon, "reload the configuration".
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    /// ```
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGQUIT`, sent by Ctrl-\ in a terminal.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::quit().as_raw_value(), libc::SIGQUIT);
    /// ```
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGALRM`, from `alarm(2)` and real-time interval timers.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::alarm().as_raw_value(), libc::SIGALRM);
    /// ```
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGCHLD`: a child process stopped or exited.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::child().as_raw_value(), libc::SIGCHLD);
    /// ```
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGPIPE`: a write to a pipe or socket with no reader. Rust programs ignore it by
    /// default, and writes fail with `BrokenPipe` either way.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::pipe().as_raw_value(), libc::SIGPIPE);
    /// ```
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGUSR1`, for the application's own use.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    /// ```
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`, for the application's own use.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    /// ```
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal changed size.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::window_change().as_raw_value(), libc::SIGWINCH);
    /// ```
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }

    /// `SIGIO`: I/O is possible on a descriptor set up for signal-driven I/O.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(mirage::signal::SignalKind::io().as_raw_value(), libc::SIGIO);
    /// ```
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// The signal's conventional name, for the common ones.
    fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            libc::SIGHUP => "SIGHUP",
            libc::SIGINT => "SIGINT",
            libc::SIGQUIT => "SIGQUIT",
            libc::SIGILL => "SIGILL",
            libc::SIGTRAP => "SIGTRAP",
            libc::SIGABRT => "SIGABRT",
            libc::SIGBUS => "SIGBUS",
            libc::SIGFPE => "SIGFPE",
            libc::SIGKILL => "SIGKILL",
            libc::SIGUSR1 => "SIGUSR1",
            libc::SIGSEGV => "SIGSEGV",
            libc::SIGUSR2 => "SIGUSR2",
            libc::SIGPIPE => "SIGPIPE",
            libc::SIGALRM => "SIGALRM",
            libc::SIGTERM => "SIGTERM",
            libc::SIGCHLD => "SIGCHLD",
            libc::SIGCONT => "SIGCONT",
            libc::SIGSTOP => "SIGSTOP",
            libc::SIGTSTP => "SIGTSTP",
            libc::SIGWINCH => "SIGWINCH",
            libc::SIGIO => "SIGIO",
            _ => return None,
        })
    }

    /// The signal number, if a listener may be set up for it; `InvalidInput` otherwise.
    pub(super) fn checked(self) -> io::Result<c_int> {
        let refuse = |why: &str| {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot listen for {self:?}: {why}"),
            ))
        };
        let signo = self.0;
        if FORBIDDEN.contains(&signo) {
            return refuse("the process cannot catch it, or must not return from a handler for it");
        }
        let highest = libc::SIGRTMAX().min(SIGNAL_COUNT as c_int - 1);
        // Between the classic signals and SIGRTMIN the C library keeps signals for itself
        // (glibc's threads use 32 and 33).
        let classic = 1..32;
        if !(classic.contains(&signo) || (libc::SIGRTMIN()..=highest).contains(&signo)) {
            return refuse("no such signal, or one the C library keeps for itself");
        }
        Ok(signo)
    }
}

/// The signal numbered `signum`, as [`SignalKind::from_raw`].
///
/// # Examples
///
/// ```
/// use mirage::signal::SignalKind;
///
/// assert_eq!(SignalKind::from(libc::SIGTERM), SignalKind::terminate());
/// ```
impl From<c_int> for SignalKind {
    fn from(signum: c_int) -> SignalKind {
        SignalKind::from_raw(signum)
    }
}

/// The signal's number, as [`SignalKind::as_raw_value`].
///
/// # Examples
///
/// ```
/// use mirage::signal::SignalKind;
///
/// assert_eq!(libc::c_int::from(SignalKind::hangup()), libc::SIGHUP);
/// ```
impl From<SignalKind> for c_int {
    fn from(kind: SignalKind) -> c_int {
        kind.as_raw_value()
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "SignalKind({name})"),
            None => write!(f, "SignalKind({})", self.0),
        }
    }
}
