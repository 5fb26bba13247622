//! `BufStream`: a buffer on each side of a stream that is read and written.

use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, BufReader, BufWriter};

/// A [`BufReader`] and a [`BufWriter`] around one stream: reads come out of a read buffer
/// and writes gather in a write buffer, as for a request-response protocol that reads and
/// writes many small pieces. tokio's `io::BufStream`.
///
/// What is written stays in the write buffer until it fills, or until
/// [`flush`](super::AsyncWriteExt::flush) (or [`shutdown`](super::AsyncWriteExt::shutdown))
/// sends it: flush before waiting for the peer's answer to it.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncBufReadExt, AsyncWriteExt, BufStream};
/// use mirage::net::UnixStream;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (client, server) = UnixStream::pair().unwrap();
///     mirage::spawn(async move {
///         let mut server = BufStream::new(server);
///         let mut line = String::new();
///         while server.read_line(&mut line).await.unwrap() > 0 {
///             server.write_all(b"got: ").await.unwrap();
///             server.write_all(line.as_bytes()).await.unwrap();
///             server.flush().await.unwrap();
///             line.clear();
///         }
///     });
///     let mut client = BufStream::new(client);
///     client.write_all(b"hello\n").await.unwrap();
///     client.flush().await.unwrap();
///     let mut reply = String::new();
///     client.read_line(&mut reply).await.unwrap();
///     assert_eq!(reply, "got: hello\n");
/// });
/// ```
pub struct BufStream<S> {
    inner: BufReader<BufWriter<S>>,
}

impl<S> BufStream<S> {
    /// Wraps `stream` with a read and a write buffer of 8 KiB each.
    ///
    /// # Examples
    ///
    /// ```
    /// let stream = mirage::io::BufStream::new(mirage::io::empty());
    /// # let _ = stream;
    /// ```
    pub fn new(stream: S) -> BufStream<S> {
        BufStream {
            inner: BufReader::new(BufWriter::new(stream)),
        }
    }

    /// Wraps `stream` with a read buffer of `read_capacity` bytes and a write buffer of
    /// `write_capacity`.
    ///
    /// # Panics
    ///
    /// If `read_capacity` is 0, as [`BufReader::with_capacity`] does (tokio's `BufStream`
    /// takes it for unbuffered reads); a `write_capacity` of 0 sends every write straight
    /// to the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let stream = mirage::io::BufStream::with_capacity(64, 128, mirage::io::empty());
    /// # let _ = stream;
    /// ```
    #[track_caller]
    pub fn with_capacity(read_capacity: usize, write_capacity: usize, stream: S) -> BufStream<S> {
        assert!(
            read_capacity > 0,
            "BufStream::with_capacity: the read capacity must be at least 1 byte"
        );
        BufStream {
            inner: BufReader::with_capacity(
                read_capacity,
                BufWriter::with_capacity(write_capacity, stream),
            ),
        }
    }

    /// The stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let stream = mirage::io::BufStream::new(&b"abc"[..]);
    /// assert_eq!(stream.get_ref(), b"abc");
    /// ```
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref().get_ref()
    }

    /// The stream, mutably. Reading or writing it directly skips the buffers, and so may
    /// reorder bytes against them.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut stream = mirage::io::BufStream::new(Vec::<u8>::new());
    /// stream.get_mut().push(1);
    /// assert_eq!(stream.get_ref(), &[1]);
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut().get_mut()
    }

    /// The stream, dropping both buffers: bytes read ahead and bytes not yet flushed are
    /// lost, so flush first.
    ///
    /// # Examples
    ///
    /// ```
    /// let stream = mirage::io::BufStream::new(Vec::<u8>::new());
    /// assert!(stream.into_inner().is_empty());
    /// ```
    pub fn into_inner(self) -> S {
        self.inner.into_inner().into_inner()
    }
}

/// A read buffer around a write buffer, as `BufStream` holds them, becomes one as it is:
/// both buffers keep what they hold. tokio's conversion.
///
/// # Examples
///
/// ```
/// use std::io::Cursor;
/// use mirage::io::{AsyncWriteExt, BufReader, BufStream, BufWriter};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut layers = BufReader::new(BufWriter::new(Cursor::new(Vec::new())));
///     layers.write_all(b"kept").await.unwrap(); // waits in the write buffer
///     let mut stream = BufStream::from(layers);
///     assert!(stream.get_ref().get_ref().is_empty());
///     stream.flush().await.unwrap();
///     assert_eq!(stream.get_ref().get_ref(), b"kept");
/// });
/// ```
impl<S> From<BufReader<BufWriter<S>>> for BufStream<S> {
    fn from(inner: BufReader<BufWriter<S>>) -> BufStream<S> {
        BufStream { inner }
    }
}

/// A write buffer around a read buffer becomes a `BufStream`, the layers turned around
/// (`BufStream` keeps the read buffer outside); both buffers keep what they hold, and
/// their capacities. tokio's conversion.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
/// use mirage::io::{BufReader, BufStream, BufWriter};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (client, mut server) = mirage::io::duplex(64);
///     server.write_all(b"one\ntwo\n").await.unwrap();
///     let mut layers = BufWriter::new(BufReader::new(client));
///     let mut line = String::new();
///     layers.read_line(&mut line).await.unwrap(); // reads ahead: "two\n" is buffered
///     layers.write_all(b"hi").await.unwrap(); // waits in the write buffer
///
///     let mut stream = BufStream::from(layers);
///     line.clear();
///     stream.read_line(&mut line).await.unwrap();
///     assert_eq!(line, "two\n");
///     stream.flush().await.unwrap();
///     let mut got = [0; 2];
///     server.read_exact(&mut got).await.unwrap();
///     assert_eq!(&got, b"hi");
/// });
/// ```
impl<S> From<BufWriter<BufReader<S>>> for BufStream<S> {
    fn from(layers: BufWriter<BufReader<S>>) -> BufStream<S> {
        let (write_buffer, reader) = layers.replace_inner(());
        let (read_buffer, stream) = reader.replace_inner(());
        let (writer, ()) = write_buffer.replace_inner(stream);
        let (inner, ()) = read_buffer.replace_inner(writer);
        BufStream { inner }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for BufStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }

    fn start_read(self: Pin<&mut Self>) {
        Pin::new(&mut self.get_mut().inner).start_read()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncBufRead for BufStream<S> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut self.get_mut().inner).poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut self.get_mut().inner).consume(amt)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for BufStream<S> {
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

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
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

/// Seeks as a [`BufReader`] around a [`BufWriter`] does: the bytes waiting in the write
/// buffer are written out first, `SeekFrom::Current` counts from what was read out of the
/// read buffer, and the read buffer is emptied.
///
/// # Examples
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use mirage::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufStream};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut stream = BufStream::new(Cursor::new(Vec::new()));
///     stream.write_all(b"hello world").await.unwrap();
///     stream.rewind().await.unwrap(); // writes out "hello world" first
///     let mut word = [0; 5];
///     stream.read_exact(&mut word).await.unwrap();
///     assert_eq!(&word, b"hello");
///     assert_eq!(stream.stream_position().await.unwrap(), 5);
/// });
/// ```
impl<S: AsyncRead + AsyncWrite + AsyncSeek + Unpin> AsyncSeek for BufStream<S> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        Pin::new(&mut self.get_mut().inner).start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Pin::new(&mut self.get_mut().inner).poll_complete(cx)
    }
}

impl<S: fmt::Debug> fmt::Debug for BufStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufStream")
            .field("stream", &self.inner)
            .finish()
    }
}
