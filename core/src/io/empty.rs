//! `empty`: a reader at the end of its stream that also swallows writes.

use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
use crate::coop;

/// Creates a stream that reads nothing and swallows every write: the asynchronous
/// counterpart of [`std::io::empty`], and tokio's `io::empty`.
///
/// For a reader or writer a piece of code needs but should get nothing from (a request
/// without a body), or to drain a stream with [`copy`](super::copy). Every operation is
/// ready at once and spends one unit of the task's [`coop`] budget, so a loop over it
/// still lets the other tasks run.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut nothing = mirage::io::empty();
///     let mut buf = Vec::new();
///     assert_eq!(nothing.read_to_end(&mut buf).await.unwrap(), 0);
///     assert_eq!(nothing.write(b"gone").await.unwrap(), 4);
/// });
/// ```
pub fn empty() -> Empty {
    Empty { _private: () }
}

/// A stream that reads nothing and swallows every write, made by [`empty`].
///
/// It is an [`AsyncRead`] that is always at the end of its stream, an [`AsyncBufRead`]
/// with nothing buffered, and an [`AsyncWrite`] that accepts every byte and drops it, as
/// [`std::io::Empty`] is.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncBufReadExt, Empty};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut nothing: Empty = mirage::io::empty();
///     let mut line = String::new();
///     assert_eq!(nothing.read_line(&mut line).await.unwrap(), 0);
///     assert!(line.is_empty());
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty {
    _private: (),
}

impl AsyncRead for Empty {
    /// Reads nothing: `Ok(0)`, the end of the stream.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        Poll::Ready(Ok(0))
    }
}

impl AsyncBufRead for Empty {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        ready!(coop::poll_proceed(cx));
        Poll::Ready(Ok(&[]))
    }

    fn consume(self: Pin<&mut Self>, _amt: usize) {}
}

impl AsyncWrite for Empty {
    /// Accepts all of `buf` and drops it.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        Poll::Ready(Ok(bufs.iter().map(|buf| buf.len()).sum()))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        coop::poll_proceed(cx).map(Ok)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        coop::poll_proceed(cx).map(Ok)
    }
}

/// Seeking goes nowhere: every move succeeds and the position is always 0, as with tokio's
/// `Empty`. `poll_complete` spends one unit of the task's [`coop`] budget.
///
/// # Examples
///
/// ```
/// use std::io::SeekFrom;
/// use mirage::io::AsyncSeekExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut nothing = mirage::io::empty();
///     assert_eq!(nothing.seek(SeekFrom::Start(10)).await.unwrap(), 0);
///     assert_eq!(nothing.seek(SeekFrom::Current(-5)).await.unwrap(), 0);
/// });
/// ```
impl AsyncSeek for Empty {
    fn start_seek(self: Pin<&mut Self>, _position: SeekFrom) -> io::Result<()> {
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        ready!(coop::poll_proceed(cx));
        Poll::Ready(Ok(0))
    }
}
