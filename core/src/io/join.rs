//! `join`: one stream made of a reader and a writer.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{AsyncBufRead, AsyncRead, AsyncWrite};

/// Joins a reader and a writer into one value that reads from `reader` and writes to
/// `writer`: the opposite of [`split`](super::split), for code that wants one stream
/// (such as [`copy_bidirectional`](super::copy_bidirectional)) when the two directions
/// are two objects (a child process's stdout and stdin, two halves of different
/// streams). tokio's `io::join`.
///
/// # Examples
///
/// ```
/// use mirage::io::{duplex, join, AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut stream = join(&b"from the reader"[..], Vec::new());
///     let mut got = String::new();
///     stream.read_to_string(&mut got).await.unwrap();
///     stream.write_all(b"to the writer").await.unwrap();
///     let (_, written) = stream.into_inner();
///     assert_eq!((got.as_str(), &written[..]), ("from the reader", &b"to the writer"[..]));
/// });
/// ```
pub fn join<R, W>(reader: R, writer: W) -> Join<R, W>
where
    R: AsyncRead,
    W: AsyncWrite,
{
    Join { reader, writer }
}

/// A reader and a writer as one stream, made by [`join`]: [`AsyncRead`] (and
/// [`AsyncBufRead`]) through the reader, [`AsyncWrite`] through the writer. Like the other
/// wrappers, it needs `Unpin` halves.
///
/// # Examples
///
/// ```
/// use mirage::io::{join, AsyncWriteExt, Join};
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut stream: Join<&[u8], Vec<u8>> = join(&b""[..], Vec::new());
/// core.run(stream.write_all(b"x")).unwrap();
/// assert_eq!(stream.writer(), b"x");
/// ```
pub struct Join<R, W> {
    reader: R,
    writer: W,
}

impl<R, W> Join<R, W> {
    /// Splits it back into the reader and the writer.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::join;
    ///
    /// let (reader, writer) = join(&b"r"[..], Vec::<u8>::new()).into_inner();
    /// assert_eq!((reader, writer.len()), (&b"r"[..], 0));
    /// ```
    pub fn into_inner(self) -> (R, W) {
        (self.reader, self.writer)
    }

    /// The reader.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::join;
    ///
    /// assert_eq!(*join(&b"r"[..], Vec::new()).reader(), b"r");
    /// ```
    pub fn reader(&self) -> &R {
        &self.reader
    }

    /// The writer.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::join;
    ///
    /// assert!(join(&b""[..], Vec::new()).writer().is_empty());
    /// ```
    pub fn writer(&self) -> &W {
        &self.writer
    }

    /// The reader, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::join;
    ///
    /// let mut stream = join(&b"r"[..], Vec::<u8>::new());
    /// *stream.reader_mut() = &b"other"[..];
    /// assert_eq!(*stream.reader(), b"other");
    /// ```
    pub fn reader_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The writer, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::join;
    ///
    /// let mut stream = join(&b""[..], Vec::new());
    /// stream.writer_mut().push(1);
    /// assert_eq!(stream.writer(), &[1]);
    /// ```
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.writer
    }
}

impl<R: AsyncRead + Unpin, W: Unpin> AsyncRead for Join<R, W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().reader).poll_read(cx, buf)
    }

    fn start_read(self: Pin<&mut Self>) {
        Pin::new(&mut self.get_mut().reader).start_read()
    }
}

impl<R: AsyncBufRead + Unpin, W: Unpin> AsyncBufRead for Join<R, W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut self.get_mut().reader).poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut self.get_mut().reader).consume(amt)
    }
}

impl<R: Unpin, W: AsyncWrite + Unpin> AsyncWrite for Join<R, W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().writer).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().writer).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.writer.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().writer).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().writer).poll_close(cx)
    }

    fn start_write(self: Pin<&mut Self>) {
        Pin::new(&mut self.get_mut().writer).start_write()
    }
}

impl<R: fmt::Debug, W: fmt::Debug> fmt::Debug for Join<R, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("reader", &self.reader)
            .field("writer", &self.writer)
            .finish()
    }
}
