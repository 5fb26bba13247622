//! Unix signals as futures: [`ctrl_c`] for a graceful shutdown, and [`signal`] for any other
//! signal (`SIGTERM`, `SIGHUP` to reload, `SIGUSR1`, real-time signals).
//!
//! The names are tokio's, flattened: `tokio::signal::unix::{signal, SignalKind}` are
//! [`mirage::signal::signal`](signal) and [`SignalKind`] here. [`Signal::recv`] returns
//! `io::Result<()>`, not tokio's `Option<()>`: a listener never runs out of deliveries.
//! A [`Signal`] (and a [`CtrlC`]) stays on the thread that made it, unlike tokio's: it is
//! `!Send`, as Mirage's sockets are. Each thread that wants a signal makes a listener of its
//! own, which hears every delivery as the others do.
//!
//! # How it works
//!
//! The first listener for a signal installs a handler for it, for the whole process and
//! for good (the default action is never restored). The handler counts the delivery and
//! writes to an eventfd of each listener for that signal; the eventfd wakes the
//! listener's Core through its reactor, like a socket. Any thread may take the signal,
//! and no signal mask needs to change, so a listener works whichever threads the process
//! starts, before or after it.
//!
//! A signal's disposition belongs to the process, so this is the one place Mirage keeps
//! state outside a thread: the delivery counts and the listeners' eventfds, all atomics
//! that the handler can read without a lock. Listeners on many Cores each get every
//! delivery.
//!
//! # Examples
//!
//! A server that stops on Ctrl-C or `SIGTERM`, and reloads on `SIGHUP`:
//!
//! ```
//! use mirage::signal::{ctrl_c, signal, SignalKind};
//!
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     let mut ctrl_c = ctrl_c();
//!     let mut terminate = signal(SignalKind::terminate()).unwrap();
//!     let mut hangup = signal(SignalKind::hangup()).unwrap();
//!     // SAFETY: raising a signal this process now catches.
//!     unsafe { libc::raise(libc::SIGHUP) };
//!     let mut reloads = 0;
//!     loop {
//!         mirage::select! {
//!             _ = &mut ctrl_c => break,
//!             _ = terminate.recv() => break,
//!             _ = hangup.recv() => {
//!                 reloads += 1;
//!                 // SAFETY: as above.
//!                 unsafe { libc::raise(libc::SIGTERM) };
//!             }
//!         }
//!     }
//!     assert_eq!(reloads, 1);
//! });
//! ```

mod ctrl_c;
mod kind;
mod listener;
pub(crate) mod registry;

pub use ctrl_c::{CtrlC, ctrl_c};
pub use kind::SignalKind;
pub use listener::{Signal, signal};

/// The same items under tokio's path, `tokio::signal::unix`, so that code written for tokio
/// ports by changing the crate name (Mirage runs on Unix only, so they are also at the top
/// of [`signal`](self)).
///
/// # Examples
///
/// ```
/// use mirage::signal::unix::{signal, SignalKind};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async { signal(SignalKind::user_defined2()).unwrap() });
/// ```
pub mod unix {
    #[doc(no_inline)]
    pub use super::{Signal, SignalKind, signal};
}
