//! `BufReader`: a buffer in front of any reader.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::{AsyncBufRead, AsyncRead, AsyncWrite};

/// The buffer size of [`BufReader::new`], the same as `std::io::BufReader`'s.
const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Adds a buffer to a reader: many small reads (a line, a length prefix) become one read
/// of the source, and [`AsyncBufReadExt`](super::AsyncBufReadExt) can find a line's end in
/// place. The asynchronous counterpart of [`std::io::BufReader`].
///
/// A read as large as the buffer, with nothing buffered, goes straight to the source. Writes
/// go straight through to it too, so one `BufReader` around a stream serves a
/// request-response protocol. The reader must be `Unpin`, as every Mirage stream is (a
/// future-like reader can be boxed with `Box::pin`).
///
/// # Examples
///
/// A line protocol on a Unix stream:
///
/// ```
/// use mirage::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
/// use mirage::net::UnixStream;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (client, server) = UnixStream::pair().unwrap();
///     mirage::spawn(async move {
///         let mut server = BufReader::new(server);
///         let mut line = String::new();
///         while server.read_line(&mut line).await.unwrap() > 0 {
///             let reply = line.to_uppercase();
///             server.write_all(reply.as_bytes()).await.unwrap();
///             line.clear();
///         }
///     });
///     let mut client = BufReader::new(client);
///     client.write_all(b"hello\n").await.unwrap();
///     let mut reply = String::new();
///     client.read_line(&mut reply).await.unwrap();
///     assert_eq!(reply, "HELLO\n");
/// });
/// ```
pub struct BufReader<R> {
    inner: R,
    buf: Box<[u8]>,
    /// The buffered bytes are `buf[pos..filled]`.
    pos: usize,
    filled: usize,
}

impl<R> BufReader<R> {
    /// Wraps `inner` with a buffer of 8 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufReader;
    ///
    /// let reader = BufReader::new(&b"abc"[..]);
    /// assert_eq!(reader.capacity(), 8 * 1024);
    /// ```
    pub fn new(inner: R) -> BufReader<R> {
        BufReader::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// Wraps `inner` with a buffer of `capacity` bytes.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is 0: such a buffer could never hold a byte, and reading a line
    /// through it would look like the end of the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufReader;
    ///
    /// let reader = BufReader::with_capacity(64, &b"abc"[..]);
    /// assert_eq!(reader.capacity(), 64);
    /// ```
    pub fn with_capacity(capacity: usize, inner: R) -> BufReader<R> {
        assert!(
            capacity > 0,
            "BufReader::with_capacity: the capacity must be at least 1 byte"
        );
        BufReader {
            inner,
            buf: vec![0; capacity].into_boxed_slice(),
            pos: 0,
            filled: 0,
        }
    }

    /// The reader inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufReader;
    ///
    /// let reader = BufReader::new(&b"abc"[..]);
    /// assert_eq!(*reader.get_ref(), b"abc");
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The reader inside, mutably. Reading from it directly skips what is buffered.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufReader;
    ///
    /// let mut reader = BufReader::new(&b"abc"[..]);
    /// *reader.get_mut() = &b"xyz"[..];
    /// assert_eq!(*reader.get_ref(), b"xyz");
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Unwraps the reader. Whatever was buffered and not yet read is lost: read it first
    /// with [`buffer`](BufReader::buffer) if it matters.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncReadExt, BufReader};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut reader = BufReader::new(&b"abc"[..]);
    ///     let mut first = [0; 1];
    ///     reader.read_exact(&mut first).await.unwrap();
    ///     assert_eq!(reader.buffer(), b"bc");
    ///     let source = reader.into_inner();
    ///     assert!(source.is_empty()); // "bc" went with the buffer
    /// });
    /// ```
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The bytes buffered and not yet read.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufReader;
    ///
    /// let reader = BufReader::new(&b"abc"[..]);
    /// assert!(reader.buffer().is_empty()); // nothing is read before the first read
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// How many bytes the buffer holds at most.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufReader;
    ///
    /// assert_eq!(BufReader::with_capacity(16, &b""[..]).capacity(), 16);
    /// ```
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for BufReader<R> {
    /// Copies out of the buffer, refilling it from the source when it is empty; a read at
    /// least as large as the buffer, with nothing buffered, reads the source directly. An
    /// empty `buf` returns `Ok(0)` at once. Cancel-safe, as the source's reads are.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.pos == this.filled && buf.len() >= this.buf.len() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let buffered = ready!(Pin::new(&mut *this).poll_fill_buf(cx))?;
        let n = buffered.len().min(buf.len());
        buf[..n].copy_from_slice(&buffered[..n]);
        this.pos += n;
        Poll::Ready(Ok(n))
    }

    fn start_read(self: Pin<&mut Self>) {
        Pin::new(&mut self.get_mut().inner).start_read()
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos == this.filled {
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.buf))?;
            this.pos = 0;
            this.filled = n;
        }
        Poll::Ready(Ok(&this.buf[this.pos..this.filled]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.filled);
    }
}

impl<R: AsyncWrite + Unpin> AsyncWrite for BufReader<R> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }

    fn start_write(self: Pin<&mut Self>) {
        Pin::new(&mut self.get_mut().inner).start_write()
    }
}

impl<R: fmt::Debug> fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("reader", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.filled - self.pos, self.buf.len()),
            )
            .finish()
    }
}
