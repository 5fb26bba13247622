//! `sink`: a writer that accepts every byte and drops it.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::AsyncWrite;
use crate::coop;

/// Creates a writer that accepts every byte and drops it: the asynchronous counterpart of
/// [`std::io::sink`], and tokio's `io::sink`.
///
/// For output nobody needs, or to drain a reader with [`copy`](super::copy) and count its
/// bytes. Every operation is ready at once and spends one unit of the task's [`coop`]
/// budget, so a loop over it still lets the other tasks run.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut input: &[u8] = &[1; 10_000];
///     let drained = mirage::io::copy(&mut input, &mut mirage::io::sink()).await.unwrap();
///     assert_eq!(drained, 10_000);
/// });
/// ```
pub fn sink() -> Sink {
    Sink { _private: () }
}

/// A writer that accepts every byte and drops it, made by [`sink`].
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncWriteExt, Sink};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut out: Sink = mirage::io::sink();
///     out.write_all(b"into the void").await.unwrap();
///     out.flush().await.unwrap();
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Sink {
    _private: (),
}

impl AsyncWrite for Sink {
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
