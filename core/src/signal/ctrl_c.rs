//! `ctrl_c()`: a future for the next Ctrl-C.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Signal, SignalKind, signal};

/// Completes at the next `SIGINT` (Ctrl-C in a terminal) delivered after this call, which
/// then no longer kills the process: the way a server learns it should shut down gracefully.
///
/// A shorthand for [`signal`]`(`[`SignalKind::interrupt`]`())` and one
/// [`recv`](Signal::recv), with the same rules: the handler is installed by this call (not
/// by the first poll, so a Ctrl-C between the two is not lost) and stays installed.
///
/// So in a `select!` loop, make it once, before the loop, and select on `&mut ctrl_c`
/// (see [`CtrlC`]): a `ctrl_c()` written in the loop's `select!` is a new listener at
/// each iteration, and misses a Ctrl-C that comes while the winning branch's handler
/// runs, which then neither stops the loop nor kills the process. (tokio's catches one
/// that comes while the handler runs without awaiting.)
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let ctrl_c = mirage::signal::ctrl_c();
///     // SAFETY: raising a signal this process now catches.
///     unsafe { libc::raise(libc::SIGINT) };
///     ctrl_c.await.unwrap();
///     println!("shutting down");
/// });
/// ```
pub fn ctrl_c() -> CtrlC {
    CtrlC {
        signal: signal(SignalKind::interrupt()).map_err(Some),
    }
}

/// The future [`ctrl_c`] returns. Cancel-safe, and `Unpin`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut ctrl_c = mirage::signal::ctrl_c();
///     mirage::select! {
///         _ = &mut ctrl_c => unreachable!("nobody pressed Ctrl-C"),
///         _ = mirage::time::sleep(Duration::from_millis(1)) => {}
///     }
///     assert!(format!("{ctrl_c:?}").starts_with("CtrlC"));
/// });
/// ```
pub struct CtrlC {
    /// The error, until it is reported, if the listener could not be set up.
    signal: Result<Signal, Option<io::Error>>,
}

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().signal {
            Ok(signal) => signal.poll_recv(cx),
            Err(err) => Poll::Ready(Err(err
                .take()
                .expect("CtrlC polled again after it reported its error"))),
        }
    }
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CtrlC")
            .field("signal", &self.signal)
            .finish()
    }
}
