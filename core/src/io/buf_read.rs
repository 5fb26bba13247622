//! The poll-level buffered-read trait.

use std::io::{self, Cursor};
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::AsyncRead;

/// A reader with a buffer of its own, read in place: the poll-level counterpart of
/// [`std::io::BufRead`], with the shape of `futures-io`'s trait of the same name.
///
/// Implemented by [`BufReader`](super::BufReader) (around any [`AsyncRead`]), by `&[u8]` and
/// by `std::io::Cursor`.
/// Use [`AsyncBufReadExt`](super::AsyncBufReadExt) for `read_line().await`-style methods.
///
/// # Examples
///
/// Counting the bytes before the first space, without copying them:
///
/// ```
/// use std::future::poll_fn;
/// use std::pin::Pin;
/// use mirage::io::AsyncBufRead;
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut input: &[u8] = b"hello world";
/// let word = core.run(poll_fn(|cx| {
///     let buffered = std::task::ready!(Pin::new(&mut input).poll_fill_buf(cx))?;
///     let word = buffered.iter().take_while(|&&b| b != b' ').count();
///     Pin::new(&mut input).consume(word + 1);
///     std::task::Poll::Ready(std::io::Result::Ok(word))
/// }));
/// assert_eq!(word.unwrap(), 5);
/// assert_eq!(input, b"world");
/// ```
pub trait AsyncBufRead: AsyncRead {
    /// Returns the buffered bytes, first reading more from the source if none are left. An
    /// empty slice means the end of the stream (or a buffer of capacity zero).
    ///
    /// The bytes stay buffered until [`consume`](AsyncBufRead::consume) marks them read.
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>>;

    /// Marks the first `amt` buffered bytes as read; they are not returned again. `amt` is
    /// at most the length of the slice the last `poll_fill_buf` returned (more is clamped).
    fn consume(self: Pin<&mut Self>, amt: usize);
}

impl<T: ?Sized + AsyncBufRead + Unpin> AsyncBufRead for &mut T {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut **self.get_mut()).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut **self).consume(amt)
    }
}

impl<T: ?Sized + AsyncBufRead + Unpin> AsyncBufRead for Box<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut **self.get_mut()).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut **self).consume(amt)
    }
}

impl<P> AsyncBufRead for Pin<P>
where
    P: DerefMut + Unpin,
    P::Target: AsyncBufRead,
{
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().as_mut().poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().as_mut().consume(amt)
    }
}

impl AsyncBufRead for &[u8] {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Poll::Ready(Ok(*self.get_mut()))
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        let rest = &self[amt.min(self.len())..];
        *self = rest;
    }
}

/// An in-memory source whose buffer is the rest of the cursor's bytes, from its position
/// on, like `impl BufRead for Cursor<T>`; `consume` advances the position, no further than
/// the end of the data.
///
/// # Examples
///
/// ```
/// use std::io::Cursor;
/// use mirage::io::AsyncBufReadExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut cursor = Cursor::new("first\nsecond\n");
/// let mut line = String::new();
/// core.run(cursor.read_line(&mut line)).unwrap();
/// assert_eq!((line.as_str(), cursor.position()), ("first\n", 6));
/// ```
impl<T: AsRef<[u8]> + Unpin> AsyncBufRead for Cursor<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Poll::Ready(io::BufRead::fill_buf(self.get_mut()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let cursor = self.get_mut();
        // Clamped, as the trait says: std's moves the position past the end of the data.
        let buffered = cursor.get_ref().as_ref().len() as u64;
        let amt = buffered.saturating_sub(cursor.position()).min(amt as u64);
        cursor.set_position(cursor.position() + amt);
    }
}
