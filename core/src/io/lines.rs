//! `Lines`: the lines of a buffered reader, one `next_line().await` at a time.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::AsyncBufRead;
use super::buf_read_ext::not_utf8;
use super::delimited::{Delimited, Record};

/// The lines of a reader, made by [`AsyncBufReadExt::lines`](super::AsyncBufReadExt::lines).
///
/// Each line comes without its `\n` or `\r\n`; the last one may have neither. Unlike
/// [`read_line`](super::AsyncBufReadExt::read_line), [`next_line`](Lines::next_line) is
/// cancel-safe: the part of a line read before the future was dropped is kept for the next
/// call, so it can race other branches in a `select!` loop.
///
/// # Examples
///
/// A line protocol with a limit on the line length:
///
/// ```
/// use mirage::io::{AsyncBufReadExt, BufReader};
/// use mirage::net::UnixStream;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (client, server) = UnixStream::pair().unwrap();
///     client.write_all(b"short\nmuch too long for the limit\n").await.unwrap();
///     let mut lines = BufReader::new(server).lines().max_len(10);
///     assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("short"));
///     let err = lines.next_line().await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
/// });
/// ```
pub struct Lines<R> {
    /// Records at `\n`, their limit one byte over `max_len` for a `\r` before it.
    lines: Delimited<R>,
    /// The longest line accepted, without its terminator.
    max_len: usize,
}

impl<R> Lines<R> {
    pub(super) fn new(reader: R) -> Lines<R> {
        Lines {
            lines: Delimited::new(reader, b'\n'),
            max_len: usize::MAX,
        }
    }

    /// Refuses lines longer than `max_len` bytes (not counting their `\n` or `\r\n`): such
    /// a line fails with `InvalidData` as soon as its first `max_len + 2` bytes arrive,
    /// without buffering the rest; the next call skips the rest of that line, through its
    /// newline however far that comes (as tokio's `LinesCodec` does), and returns the line
    /// after it. Without a limit, a peer that never ends its line grows the buffer without
    /// bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut lines = (&b"12345\r\n123456\n"[..]).lines().max_len(5);
    ///     assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("12345"));
    ///     assert!(lines.next_line().await.is_err());
    /// });
    /// ```
    pub fn max_len(mut self, max_len: usize) -> Lines<R> {
        self.max_len = max_len;
        // The line may hold its `\r`, and one more byte that may be `\r` before the `\n`
        // has arrived, before it is known to be too long.
        self.lines.max_len = max_len.saturating_add(1);
        self
    }

    /// The reader inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let lines = (&b"a\nb"[..]).lines();
    /// assert_eq!(*lines.get_ref(), b"a\nb");
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.lines.reader
    }

    /// The reader inside, mutably; reading from it directly skips the part of a line that
    /// [`next_line`](Lines::next_line) has already read.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut lines = (&b"a\nb"[..]).lines();
    /// *lines.get_mut() = &b"c\n"[..];
    /// assert_eq!(*lines.get_ref(), b"c\n");
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.lines.reader
    }

    /// Unwraps the reader; the part of a line read so far is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut lines = (&b"header\nbody"[..]).lines();
    ///     lines.next_line().await.unwrap();
    ///     assert_eq!(lines.into_inner(), b"body");
    /// });
    /// ```
    pub fn into_inner(self) -> R {
        self.lines.reader
    }
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    /// The next line, or `None` at the end of the stream. Cancel-safe.
    ///
    /// A line that is not UTF-8 fails with `InvalidData` and is skipped; so does one longer
    /// than [`max_len`](Lines::max_len), whose rest the next call skips. Other errors come
    /// from the reader and leave the line read so far for the next call.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut lines = (&b"hi\n"[..]).lines();
    ///     assert_eq!(lines.next_line().await.unwrap(), Some("hi".to_owned()));
    ///     assert_eq!(lines.next_line().await.unwrap(), None);
    /// });
    /// ```
    pub fn next_line(&mut self) -> impl Future<Output = io::Result<Option<String>>> + '_ {
        Pin::new(&mut self.lines.reader).start_read();
        poll_fn(move |cx| self.poll_next_line(cx))
    }

    /// The poll-level [`next_line`](Lines::next_line), for hand-written futures.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut lines = (&b"x\n"[..]).lines();
    /// let line = core.run(poll_fn(|cx| lines.poll_next_line(cx)));
    /// assert_eq!(line.unwrap().as_deref(), Some("x"));
    /// ```
    pub fn poll_next_line(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<String>>> {
        let (mut line, newline) = match ready!(self.lines.poll_next(cx))? {
            Record::Found(line, newline) => (line, newline),
            Record::End => return Poll::Ready(Ok(None)),
            Record::TooLong => return Poll::Ready(Err(too_long(self.max_len))),
        };
        if newline && line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > self.max_len {
            return Poll::Ready(Err(too_long(self.max_len)));
        }
        Poll::Ready(String::from_utf8(line).map(Some).map_err(|_| not_utf8()))
    }
}

/// The error of a line over the limit.
fn too_long(max_len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("line longer than the limit of {max_len} bytes"),
    )
}

impl<R: fmt::Debug> fmt::Debug for Lines<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (partial, discarding) = self.lines.progress();
        f.debug_struct("Lines")
            .field("reader", &self.lines.reader)
            .field("partial_line_len", &partial)
            .field("max_len", &self.max_len)
            .field("discarding", &discarding)
            .finish()
    }
}
