//! `seek().await`-style methods on top of the poll-level seek trait.

use std::future::{Future, poll_fn};
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::ready;

use super::AsyncSeek;

/// Async methods for every [`AsyncSeek`], named after [`std::io::Seek`]'s, as tokio has
/// them.
///
/// Each first waits for a move left under way (by a seek future dropped before it
/// finished), then submits its own and waits for it. Cancel-safe in that sense: dropping a
/// seek may leave the stream at the old position or the new one, and the next seek starts
/// from whichever it is.
///
/// # Examples
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use mirage::io::{AsyncReadExt, AsyncSeekExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut cursor = Cursor::new(b"header:body".to_vec());
///     cursor.seek(SeekFrom::Start(7)).await.unwrap();
///     let mut body = String::new();
///     cursor.read_to_string(&mut body).await.unwrap();
///     assert_eq!(body, "body");
/// });
/// ```
pub trait AsyncSeekExt: AsyncSeek {
    /// Moves to `position` and returns the new position from the start of the stream.
    ///
    /// # Errors
    ///
    /// A move to before the start of the stream fails with
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) (for `Cursor` and the buffered
    /// wrappers around it), and the position does not change.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Cursor, SeekFrom};
    /// use mirage::io::AsyncSeekExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut cursor = Cursor::new(vec![0; 10]);
    ///     assert_eq!(cursor.seek(SeekFrom::Start(4)).await.unwrap(), 4);
    ///     assert_eq!(cursor.seek(SeekFrom::Current(-1)).await.unwrap(), 3);
    ///     assert_eq!(cursor.seek(SeekFrom::End(0)).await.unwrap(), 10);
    /// });
    /// ```
    fn seek(&mut self, position: SeekFrom) -> impl Future<Output = io::Result<u64>> + '_
    where
        Self: Unpin,
    {
        let mut to_submit = Some(position);
        poll_fn(move |cx| {
            if let Some(position) = to_submit {
                // A move an earlier, dropped seek left under way finishes first.
                ready!(Pin::new(&mut *self).poll_complete(cx))?;
                to_submit = None;
                Pin::new(&mut *self).start_seek(position)?;
            }
            Pin::new(&mut *self).poll_complete(cx)
        })
    }

    /// Moves to the start of the stream: `seek(SeekFrom::Start(0))`, as
    /// [`std::io::Seek::rewind`] (which returns nothing; this returns the new position, 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Cursor;
    /// use mirage::io::{AsyncReadExt, AsyncSeekExt};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut cursor = Cursor::new(b"again".to_vec());
    ///     let mut first = String::new();
    ///     cursor.read_to_string(&mut first).await.unwrap();
    ///     assert_eq!(cursor.rewind().await.unwrap(), 0);
    ///     let mut second = String::new();
    ///     cursor.read_to_string(&mut second).await.unwrap();
    ///     assert_eq!(first, second);
    /// });
    /// ```
    fn rewind(&mut self) -> impl Future<Output = io::Result<u64>> + '_
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Start(0))
    }

    /// The current position from the start of the stream: `seek(SeekFrom::Current(0))`,
    /// as [`std::io::Seek::stream_position`]. On a [`BufReader`](super::BufReader) it
    /// counts only the bytes read out of the buffer, and, as any seek there, empties the
    /// buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Cursor;
    /// use mirage::io::{AsyncReadExt, AsyncSeekExt};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut cursor = Cursor::new(b"hello world".to_vec());
    ///     cursor.read_exact(&mut [0; 6]).await.unwrap();
    ///     assert_eq!(cursor.stream_position().await.unwrap(), 6);
    /// });
    /// ```
    fn stream_position(&mut self) -> impl Future<Output = io::Result<u64>> + '_
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}
