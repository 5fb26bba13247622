//! `repeat`: a reader that yields one byte over and over.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::AsyncRead;
use crate::coop;

/// Creates a reader that fills every read with `byte`, without end: the asynchronous
/// counterpart of [`std::io::repeat`], and tokio's `io::repeat`.
///
/// Bound it with [`take`](super::AsyncReadExt::take) to get a stream of a given length.
/// Every read is ready at once and spends one unit of the task's [`coop`] budget, so a loop
/// over it still lets the other tasks run.
///
/// # Examples
///
/// ```
/// use mirage::io::AsyncReadExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut buf = [0; 3];
///     mirage::io::repeat(b'z').read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"zzz");
/// });
/// ```
pub fn repeat(byte: u8) -> Repeat {
    Repeat { byte }
}

/// A reader that yields one byte over and over, made by [`repeat`].
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncReadExt, Repeat};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut ones: Repeat = mirage::io::repeat(1);
///     let mut buf = [0; 100];
///     assert_eq!(ones.read(&mut buf).await.unwrap(), 100, "every read is filled");
///     assert!(buf.iter().all(|&b| b == 1));
/// });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Repeat {
    byte: u8,
}

impl AsyncRead for Repeat {
    /// Fills all of `buf` with the byte.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        buf.fill(self.byte);
        Poll::Ready(Ok(buf.len()))
    }
}
