//! Low-level I/O: byte-stream traits, and file descriptors driven by the Core's reactor.
//!
//! * [`AsyncRead`] / [`AsyncWrite`]: the poll-level traits every Mirage byte stream
//!   implements (TCP and Unix streams), so a protocol can be written once, generically.
//!   [`AsyncReadExt`] / [`AsyncWriteExt`] put `read`, `read_exact`, `write_all` and friends
//!   on top. They have the shape of the `futures-io` traits.
//! * [`AsyncFd`]: any other non-blocking file descriptor (a pipe, a timerfd, a serial port)
//!   with `readable().await` / `writable().await`.
//! * [`Registration`]: the building block under both, for new socket types.

mod async_fd;
mod ext;
mod traits;

pub use crate::reactor::{Direction, Ready, Registration};
pub use async_fd::{AsyncFd, AsyncFdReadyGuard, TryIoError};
pub use ext::{AsyncReadExt, AsyncWriteExt};
pub use traits::{AsyncRead, AsyncWrite};
