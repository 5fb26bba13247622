//! `Split`: the segments of a buffered reader between delimiter bytes, one
//! `next_segment().await` at a time.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::AsyncBufRead;
use super::delimited::{Delimited, Record};

/// The segments of a reader between occurrences of a delimiter byte, made by
/// [`AsyncBufReadExt::split`](super::AsyncBufReadExt::split); tokio's `io::Split`, and the
/// asynchronous counterpart of [`std::io::Split`].
///
/// Each segment comes without its delimiter; the last one may have none. A delimiter at
/// the very end of the stream ends the last segment and adds no empty one, as with `std`.
/// [`next_segment`](Split::next_segment) is cancel-safe: the part of a segment read before
/// the future was dropped is kept for the next call, so it can race other branches in a
/// `select!` loop.
///
/// # Examples
///
/// NUL-separated records, with a limit on their length:
///
/// ```
/// use mirage::io::{duplex, AsyncBufReadExt, AsyncWriteExt, BufReader};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (mut client, server) = duplex(64);
///     client.write_all(b"name\0far too long a record\0age\0").await.unwrap();
///     let mut records = BufReader::new(server).split(0).max_len(8);
///     assert_eq!(records.next_segment().await.unwrap().unwrap(), b"name");
///     let err = records.next_segment().await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
///     assert_eq!(records.next_segment().await.unwrap().unwrap(), b"age");
/// });
/// ```
pub struct Split<R> {
    segments: Delimited<R>,
}

impl<R> Split<R> {
    pub(super) fn new(reader: R, delimiter: u8) -> Split<R> {
        Split {
            segments: Delimited::new(reader, delimiter),
        }
    }

    /// Refuses segments longer than `max_len` bytes (not counting the delimiter): such a
    /// segment fails with `InvalidData` as soon as its first `max_len + 1` bytes arrive,
    /// without buffering the rest; the next call skips the rest of that segment, through
    /// its delimiter however far that comes, and returns the segment after it, as
    /// [`Lines::max_len`](super::Lines::max_len) does for lines. Without a limit, a peer
    /// that never sends the delimiter grows the buffer without bound. tokio's `Split` has
    /// no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut fields = AsyncBufReadExt::split(&b"abc,abcd,ab"[..], b',').max_len(3);
    ///     assert_eq!(fields.next_segment().await.unwrap().unwrap(), b"abc");
    ///     assert!(fields.next_segment().await.is_err());
    ///     assert_eq!(fields.next_segment().await.unwrap().unwrap(), b"ab");
    /// });
    /// ```
    pub fn max_len(mut self, max_len: usize) -> Split<R> {
        self.segments.max_len = max_len;
        self
    }

    /// The reader inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let split = AsyncBufReadExt::split(&b"a,b"[..], b',');
    /// assert_eq!(*split.get_ref(), b"a,b");
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.segments.reader
    }

    /// The reader inside, mutably; reading from it directly skips the part of a segment
    /// that [`next_segment`](Split::next_segment) has already read.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut split = AsyncBufReadExt::split(&b"a,b"[..], b',');
    /// *split.get_mut() = &b"c,"[..];
    /// assert_eq!(*split.get_ref(), b"c,");
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.segments.reader
    }

    /// Unwraps the reader; the part of a segment read so far is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut split = AsyncBufReadExt::split(&b"key=value"[..], b'=');
    ///     split.next_segment().await.unwrap();
    ///     assert_eq!(split.into_inner(), b"value");
    /// });
    /// ```
    pub fn into_inner(self) -> R {
        self.segments.reader
    }
}

impl<R: AsyncBufRead + Unpin> Split<R> {
    /// The next segment, or `None` at the end of the stream. Cancel-safe.
    ///
    /// A segment longer than [`max_len`](Split::max_len) fails with `InvalidData`, and the
    /// next call skips its rest. Other errors come from the reader and leave the segment
    /// read so far for the next call. `Interrupted` is retried.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut split = AsyncBufReadExt::split(&b"a,,b,"[..], b',');
    ///     let mut all = Vec::new();
    ///     while let Some(segment) = split.next_segment().await.unwrap() {
    ///         all.push(segment);
    ///     }
    ///     assert_eq!(all, [&b"a"[..], b"", b"b"]);
    /// });
    /// ```
    pub fn next_segment(&mut self) -> impl Future<Output = io::Result<Option<Vec<u8>>>> + '_ {
        Pin::new(&mut self.segments.reader).start_read();
        poll_fn(move |cx| self.poll_next_segment(cx))
    }

    /// The poll-level [`next_segment`](Split::next_segment), for hand-written futures.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut split = AsyncBufReadExt::split(&b"x;y"[..], b';');
    /// let segment = core.run(poll_fn(|cx| split.poll_next_segment(cx)));
    /// assert_eq!(segment.unwrap().unwrap(), b"x");
    /// ```
    pub fn poll_next_segment(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Vec<u8>>>> {
        Poll::Ready(match ready!(self.segments.poll_next(cx))? {
            Record::Found(segment, _) => Ok(Some(segment)),
            Record::End => Ok(None),
            Record::TooLong => Err(too_long(self.segments.max_len)),
        })
    }
}

/// The error of a segment over the limit.
fn too_long(max_len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("segment longer than the limit of {max_len} bytes"),
    )
}

impl<R: fmt::Debug> fmt::Debug for Split<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (partial, discarding) = self.segments.progress();
        f.debug_struct("Split")
            .field("reader", &self.segments.reader)
            .field("delimiter", &self.segments.delimiter)
            .field("partial_segment_len", &partial)
            .field("max_len", &self.segments.max_len)
            .field("discarding", &discarding)
            .finish()
    }
}
