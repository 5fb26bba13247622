//! Low-level I/O: byte-stream traits, and file descriptors driven by the Core's reactor.
//!
//! * [`AsyncRead`] / [`AsyncWrite`]: the poll-level traits every Mirage byte stream
//!   implements (TCP and Unix streams), so a protocol can be written once, generically.
//!   [`AsyncReadExt`] / [`AsyncWriteExt`] put `read`, `read_exact`, `write_all` and friends
//!   on top, and [`take`](AsyncReadExt::take) and [`chain`](AsyncReadExt::chain) make
//!   [`Take`] and [`Chain`] readers. They have the shape of the `futures-io` traits.
//! * [`BufReader`] adds a buffer to any reader, and [`AsyncBufReadExt`] puts `read_line`,
//!   `read_until`, [`lines`](AsyncBufReadExt::lines) and
//!   [`split`](AsyncBufReadExt::split) on top of the poll-level
//!   [`AsyncBufRead`]. [`BufWriter`] adds one to any writer, and [`BufStream`] one on each
//!   side of a stream. [`copy`] moves a whole stream from a reader to a writer
//!   ([`copy_buf`] from a buffered reader's own buffer), and [`copy_bidirectional`] both
//!   ways between two streams, as a proxy does.
//! * [`split`] a stream into a [`ReadHalf`] and a [`WriteHalf`], for a reader task and a
//!   writer task (Mirage's sockets need not be split: their I/O takes `&self`); [`join`] a
//!   reader and a writer into one stream.
//! * [`duplex`]: two connected in-memory streams, to test protocol code without sockets;
//!   [`simplex`]: a one-way one, in a read half and a write half.
//!   [`empty`], [`sink`] and [`repeat`]: a stream with nothing in it, a writer that drops
//!   what it is given, and an endless stream of one byte, as `std::io` has them.
//!   `&[u8]`, `std::io::Cursor` and `Vec<u8>` read and write in memory, as their
//!   `std::io` impls do.
//! * [`stdin`], [`stdout`] and [`stderr`]: the process's standard streams, read and
//!   written on the blocking pool (as tokio does it), so that descriptors 0, 1 and 2, which
//!   the shell and other processes share, are never made non-blocking. Files are
//!   [`mirage::fs`](crate::fs)'s, read and written the same way.
//! * [`AsyncSeek`] / [`AsyncSeekExt`]: tokio's seek traits (`seek`, `rewind`,
//!   `stream_position`), for [`fs::File`](crate::fs::File), `std::io::Cursor`, the
//!   buffered wrappers around them and types of your own.
//! * [`AsyncFd`]: any other non-blocking file descriptor (a pipe, a timerfd, a serial port)
//!   with `readable().await` / `writable().await`.
//! * [`Interest`] and [`Ready`]: the kinds of readiness a wait asks about and the
//!   readiness it found, for the sockets' and `AsyncFd`'s `ready`, `try_io` and
//!   `async_io`, as tokio has them: the two directions, priority data (`EPOLLPRI`) and
//!   errors (`EPOLLERR`).
//! * [`Registration`]: the building block under both, for new socket types.

mod async_fd;
pub(crate) mod blocking;
mod buf_read;
mod buf_read_ext;
mod buf_reader;
mod buf_stream;
mod buf_writer;
mod chain;
mod copy;
mod copy_bidirectional;
mod delimited;
mod duplex;
mod empty;
mod ext;
mod interest;
mod join;
mod lines;
mod pipe;
mod ready;
mod repeat;
mod seek;
mod seek_ext;
mod segments;
mod simplex;
mod sink;
mod split;
mod stderr;
mod stdin;
mod stdout;
mod take;
mod traits;

pub use crate::reactor::{Direction, ExtraReadyFuture, ReadyFuture, Registration};
#[allow(deprecated)]
pub use async_fd::AsyncFdTryNewError;
pub use async_fd::{
    AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, AsyncFdRegisterError, TryIoError,
};
pub use buf_read::AsyncBufRead;
pub use buf_read_ext::AsyncBufReadExt;
pub use buf_reader::BufReader;
pub use buf_stream::BufStream;
pub use buf_writer::BufWriter;
pub use chain::Chain;
pub use copy::{copy, copy_buf};
pub use copy_bidirectional::{copy_bidirectional, copy_bidirectional_with_sizes};
pub use duplex::{DuplexStream, duplex};
pub use empty::{Empty, empty};
pub use ext::{AsyncReadExt, AsyncWriteExt};
pub use interest::Interest;
pub use join::{Join, join};
pub use lines::Lines;
pub use ready::Ready;
pub use repeat::{Repeat, repeat};
pub use seek::AsyncSeek;
pub use seek_ext::AsyncSeekExt;
pub use segments::Split;
pub use simplex::{SimplexStream, simplex};
pub use sink::{Sink, sink};
pub use split::{ReadHalf, WriteHalf, split};
pub use stderr::{Stderr, stderr};
pub use stdin::{Stdin, stdin};
pub use stdout::{Stdout, stdout};
pub use take::Take;
pub use traits::{AsyncRead, AsyncWrite};

/// `std::io`'s error and seek types, under tokio's paths (`tokio::io::Result`, ...): Mirage's
/// I/O reports `std::io::Error`s, so code written for tokio ports by changing the crate name.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncReadExt, Error, ErrorKind, Result};
///
/// async fn read_byte(mut reader: impl mirage::io::AsyncRead + Unpin) -> Result<u8> {
///     let mut byte = [0u8];
///     match reader.read(&mut byte).await? {
///         0 => Err(Error::new(ErrorKind::UnexpectedEof, "nothing to read")),
///         _ => Ok(byte[0]),
///     }
/// }
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     assert_eq!(read_byte(mirage::io::repeat(7)).await.unwrap(), 7);
///     let error = read_byte(mirage::io::empty()).await.unwrap_err();
///     assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
///     let _ = mirage::io::SeekFrom::Start(0);
/// });
/// ```
#[doc(no_inline)]
pub use std::io::{Error, ErrorKind, Result, SeekFrom};

/// [`AsyncFd`] and its guards and errors under tokio's path, `tokio::io::unix`, so that code
/// written for tokio ports by changing the crate name. They are the types of this module.
///
/// # Examples
///
/// ```
/// use std::os::unix::net::UnixStream;
/// use mirage::io::unix::{AsyncFd, AsyncFdReadyGuard};
///
/// let (ours, theirs) = UnixStream::pair()?;
/// ours.set_nonblocking(true)?;
/// let mut core = mirage::Core::new()?;
/// core.run(async {
///     let fd = AsyncFd::new(ours)?;
///     std::io::Write::write_all(&mut &theirs, b"x")?;
///     let guard: AsyncFdReadyGuard<'_, UnixStream> = fd.readable().await?;
///     assert!(guard.ready().is_readable());
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub mod unix {
    #[doc(hidden)]
    #[allow(deprecated)]
    pub use super::AsyncFdTryNewError;
    #[doc(no_inline)]
    pub use super::{
        AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, AsyncFdRegisterError, TryIoError,
    };
}
