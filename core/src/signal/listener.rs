//! `Signal`: a stream of one signal's deliveries, and `signal()`, which makes one.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use super::SignalKind;
use super::registry::{self, SlotClaim};
use crate::reactor::{Direction, Registration};
use crate::sys::eventfd;

/// Listens for `kind`: from now on, each delivery of the signal to the process wakes
/// [`Signal::recv`] instead of taking the signal's default action.
///
/// The first listener for a signal installs Mirage's handler for it, process-wide and for
/// good: after the last listener is dropped, the signal is still caught (and not acted on)
/// rather than killing the process. A handler installed earlier by other code is kept and
/// still called, after Mirage's. Needs no running Core: the listener registers with the
/// Core that first waits on it.
///
/// # Errors
///
/// `InvalidInput` for a number that is no signal, one the C library reserves, or one that
/// must not be caught: `SIGKILL`, `SIGSTOP`, and the faults `SIGSEGV`, `SIGBUS`, `SIGILL`,
/// `SIGFPE`. Otherwise only if the operating system refuses an eventfd.
///
/// tokio's `signal` refuses fewer, and with another kind: `ErrorKind::Other`, for numbers
/// of 0 or less and `SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGILL` and `SIGFPE` only. It takes
/// over `SIGBUS` (whose handler returns into the faulting instruction) and the numbers
/// glibc keeps for its threads (32 and 33), which Mirage refuses; and code that matched
/// on `ErrorKind::Other` for a refused signal matches on `InvalidInput` here.
///
/// # Examples
///
/// ```
/// use mirage::signal::{signal, SignalKind};
///
/// let mut hangups = signal(SignalKind::hangup()).unwrap();
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     // SAFETY: raising a signal this process now catches.
///     unsafe { libc::raise(libc::SIGHUP) };
///     hangups.recv().await.unwrap();
///     println!("reloading the configuration");
/// });
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signo = kind.checked()?;
    registry::install(signo)?;
    let slot = registry::claim(signo)?;
    // Read after the claim: any delivery counted from here on nudges the slot.
    let seen = registry::delivered(signo);
    Ok(Signal {
        registration: Registration::new(slot.fd()),
        slot,
        kind,
        seen,
    })
}

/// The deliveries of one signal to the process, from [`signal`].
///
/// Deliveries are counted, not queued: however many arrive between two calls to
/// [`recv`](Signal::recv), the second call reports them once. Deliveries from before the
/// `Signal` was created are not reported. Every `Signal` for the same signal, on any Core
/// or thread, hears every delivery.
///
/// tokio differs there: its handler only marks a delivery, which its driver hands to the
/// listeners at its next turn, so a listener made in between (a signal raised, then
/// `signal()` called, with no `.await` between) hears it. Its own tests rely on that; here
/// such a `recv` waits for the next delivery. Make the listener before the signal can come.
///
/// # Examples
///
/// ```
/// use mirage::signal::{signal, SignalKind};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
///     for _ in 0..3 {
///         // SAFETY: raising a signal this process now catches.
///         unsafe { libc::raise(libc::SIGUSR1) };
///     }
///     usr1.recv().await.unwrap(); // the three deliveries, reported once
/// });
/// ```
pub struct Signal {
    /// Declared first: deregistered before the slot (and its eventfd) passes to another
    /// listener.
    registration: Registration,
    slot: SlotClaim,
    kind: SignalKind,
    /// The delivery count last reported.
    seen: u64,
}

impl Signal {
    /// Waits for the next delivery of the signal: completes at once if one arrived since
    /// the last `recv` (or since the `Signal` was created). Cancel-safe: a delivery that
    /// arrives while no `recv` is waiting is reported by the next one.
    ///
    /// # Errors
    ///
    /// Only if the listener cannot be registered with the Core's reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use mirage::signal::{signal, SignalKind};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
    ///     let nothing_yet = mirage::time::timeout(Duration::from_millis(1), usr2.recv()).await;
    ///     assert!(nothing_yet.is_err());
    ///     // SAFETY: raising a signal this process now catches.
    ///     unsafe { libc::raise(libc::SIGUSR2) };
    ///     usr2.recv().await.unwrap();
    /// });
    /// ```
    pub async fn recv(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The poll form of [`recv`](Signal::recv): `Ready` when a delivery arrived since the
    /// last `Ready`; otherwise the task is woken by the next one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::task::Poll;
    /// use mirage::signal::{signal, SignalKind};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut alarm = signal(SignalKind::alarm()).unwrap();
    ///     let first = poll_fn(|cx| Poll::Ready(alarm.poll_recv(cx).is_pending())).await;
    ///     assert!(first, "nothing delivered yet");
    ///     // SAFETY: raising a signal this process now catches.
    ///     unsafe { libc::raise(libc::SIGALRM) };
    ///     poll_fn(|cx| alarm.poll_recv(cx)).await.unwrap();
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let fd = self.slot.fd();
        loop {
            let delivered = registry::delivered(self.kind.as_raw_value());
            if delivered != self.seen {
                self.seen = delivered;
                return Poll::Ready(Ok(()));
            }
            // Nothing new: take the nudge that woke us, if any, and look at the count again
            // (a delivery may have landed just after the look above); with none left, wait
            // for the next.
            match self
                .registration
                .poll_io(cx, Direction::Read, || eventfd::drain(fd))
            {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The signal this listens for.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::signal::{signal, SignalKind};
    ///
    /// let winch = signal(SignalKind::window_change()).unwrap();
    /// assert_eq!(winch.kind(), SignalKind::window_change());
    /// ```
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .field("seen", &self.seen)
            .field("registration", &self.registration)
            .finish()
    }
}
