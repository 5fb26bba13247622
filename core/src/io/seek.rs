//! The poll-level seek trait.

use std::io::{self, Cursor, SeekFrom};
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Moves the position of a stream, without blocking: the poll-level counterpart of
/// [`std::io::Seek`], with tokio's two-step shape. [`start_seek`](AsyncSeek::start_seek)
/// submits a move and [`poll_complete`](AsyncSeek::poll_complete) waits for it and returns
/// the new position, counted in bytes from the start of the stream.
///
/// Implemented by [`fs::File`](crate::fs::File) (whose moves run on the blocking pool),
/// by in-memory streams (`std::io::Cursor`), by the [`BufReader`](super::BufReader),
/// [`BufWriter`](super::BufWriter) and [`BufStream`](super::BufStream) around either, and
/// by types of your own. Use
/// [`AsyncSeekExt`](super::AsyncSeekExt) for `seek().await`-style methods.
///
/// # Examples
///
/// A reader of records at fixed offsets, written once for every seekable stream:
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use mirage::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};
///
/// async fn record<S: AsyncRead + AsyncSeek + Unpin>(s: &mut S, i: u64) -> std::io::Result<u16> {
///     s.seek(SeekFrom::Start(2 * i)).await?;
///     s.read_u16().await
/// }
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut table = Cursor::new(vec![0, 1, 0, 2, 0, 3]);
/// assert_eq!(core.run(record(&mut table, 2)).unwrap(), 3);
/// assert_eq!(core.run(record(&mut table, 0)).unwrap(), 1);
/// ```
pub trait AsyncSeek {
    /// Submits a move to `position`. Moving past the end of the stream is allowed; what a
    /// read or write there does is up to the stream (a `Cursor` reads nothing, and a
    /// growing one fills the gap with zeros when written).
    ///
    /// On `Ok` the move is under way: call [`poll_complete`](AsyncSeek::poll_complete) to
    /// finish it and learn the new position. Call `poll_complete` until it is ready before
    /// the next `start_seek`: a stream may refuse a second move while one is under way
    /// (with an error of kind [`Other`](io::ErrorKind::Other)), or replace it.
    ///
    /// # Errors
    ///
    /// A move to before the start of the stream fails with
    /// [`InvalidInput`](io::ErrorKind::InvalidInput), and the position does not change.
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()>;

    /// Waits for the move submitted by [`start_seek`](AsyncSeek::start_seek) and returns
    /// the new position from the start of the stream, which
    /// [`SeekFrom::Start`] can return to later.
    ///
    /// Only the value right after a `start_seek` is meaningful: after reads or writes, or
    /// with no `start_seek` before it, a stream may return its current position or a value
    /// it kept from the last move.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::{Cursor, SeekFrom};
    /// use std::pin::Pin;
    /// use mirage::io::AsyncSeek;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut cursor = Cursor::new(b"hello".to_vec());
    /// Pin::new(&mut cursor).start_seek(SeekFrom::End(-2)).unwrap();
    /// let position = core.run(poll_fn(|cx| Pin::new(&mut cursor).poll_complete(cx)));
    /// assert_eq!(position.unwrap(), 3);
    /// ```
    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>>;
}

impl<T: ?Sized + AsyncSeek + Unpin> AsyncSeek for &mut T {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        Pin::new(&mut **self).start_seek(position)
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Pin::new(&mut **self).poll_complete(cx)
    }
}

impl<T: ?Sized + AsyncSeek + Unpin> AsyncSeek for Box<T> {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        Pin::new(&mut **self).start_seek(position)
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Pin::new(&mut **self).poll_complete(cx)
    }
}

impl<P> AsyncSeek for Pin<P>
where
    P: DerefMut,
    P::Target: AsyncSeek,
{
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.as_deref_mut().start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.as_deref_mut().poll_complete(cx)
    }
}

/// An in-memory stream moved as `impl Seek for Cursor<T>` moves it: `start_seek` sets the
/// position at once (or fails, leaving it, for a position before the start or past
/// `u64::MAX`), and `poll_complete` is always ready with the position.
///
/// # Examples
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use mirage::io::{AsyncReadExt, AsyncSeekExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut cursor = Cursor::new(b"hello world".to_vec());
///     assert_eq!(cursor.seek(SeekFrom::End(-5)).await.unwrap(), 6);
///     let mut word = String::new();
///     cursor.read_to_string(&mut word).await.unwrap();
///     assert_eq!(word, "world");
///     let error = cursor.seek(SeekFrom::Current(-12)).await.unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
///     assert_eq!(cursor.position(), 11, "a failed seek leaves the position");
/// });
/// ```
impl<T: AsRef<[u8]> + Unpin> AsyncSeek for Cursor<T> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        io::Seek::seek(self.get_mut(), position).map(drop)
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.get_mut().position()))
    }
}
