//! The poll-level byte-stream traits.

use std::io::{self, Cursor, IoSlice};
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Reads bytes from a source, without blocking: the poll-level counterpart of
/// [`std::io::Read`].
///
/// Implemented by [`TcpStream`](../net/struct.TcpStream.html) and
/// [`UnixStream`](../net/struct.UnixStream.html) (and by `&` references to them, since their
/// I/O takes `&self`). Use [`AsyncReadExt`](super::AsyncReadExt) for `read().await`-style
/// methods.
///
/// # Examples
///
/// A protocol helper written once for every Mirage byte stream:
///
/// ```
/// use mirage::io::{AsyncRead, AsyncReadExt};
///
/// async fn read_u32<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<u32> {
///     let mut bytes = [0; 4];
///     reader.read_exact(&mut bytes).await?;
///     Ok(u32::from_be_bytes(bytes))
/// }
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut input: &[u8] = &[0, 0, 1, 0];
/// assert_eq!(core.run(read_u32(&mut input)).unwrap(), 256);
/// ```
pub trait AsyncRead {
    /// Reads into `buf`, returning how many bytes were read (0 at end of stream or when
    /// `buf` is empty). When no data is available, registers the task to be woken and
    /// returns `Poll::Pending`.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;

    /// Tells the reader that a new read begins: what an earlier read dropped while pending
    /// left behind is forgotten. The default does nothing.
    ///
    /// A re-poll of a pending read and the first poll of a new one look alike to
    /// `poll_read`, so a reader that keeps per-read state between polls cannot tell them
    /// apart. Mirage's sockets keep the pending read's timeout timer (a re-poll must not
    /// restart it); without this call, a read dropped while pending (by `select!` or a
    /// `timeout`) would hand its deadline to the next read, which could then fail with
    /// `TimedOut` at once.
    ///
    /// [`AsyncReadExt`](super::AsyncReadExt)'s methods call it before each read. Call it
    /// before the first `poll_read` of a read future of your own, and forward it from a
    /// wrapper.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::pin::Pin;
    /// use mirage::io::AsyncRead;
    ///
    /// async fn read_some<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut [u8]) -> usize {
    ///     Pin::new(&mut *reader).start_read();
    ///     poll_fn(|cx| Pin::new(&mut *reader).poll_read(cx, buf)).await.unwrap()
    /// }
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut input: &[u8] = b"hello";
    /// let mut buf = [0; 8];
    /// assert_eq!(core.run(read_some(&mut input, &mut buf)), 5);
    /// ```
    fn start_read(self: Pin<&mut Self>) {}
}

/// Writes bytes to a sink, without blocking: the poll-level counterpart of
/// [`std::io::Write`].
///
/// Use [`AsyncWriteExt`](super::AsyncWriteExt) for `write_all().await`-style methods.
///
/// # Examples
///
/// ```
/// use mirage::io::AsyncWriteExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut out = Vec::new();
/// core.run(out.write_all(b"hello")).unwrap();
/// assert_eq!(out, b"hello");
/// ```
pub trait AsyncWrite {
    /// Writes from `buf`, returning how many bytes were written. When the sink is full,
    /// registers the task to be woken and returns `Poll::Pending`.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>;

    /// Writes from several buffers at once (one system call where the sink supports it).
    /// The default writes the first non-empty buffer.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let buf = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b);
        self.poll_write(cx, buf)
    }

    /// Whether [`poll_write_vectored`](AsyncWrite::poll_write_vectored) writes from
    /// several buffers at once, as tokio's `is_write_vectored`. The default, `false`, says
    /// that it writes only the first non-empty buffer (the provided
    /// `poll_write_vectored`), so that a caller with many small buffers should rather copy
    /// them into one (or wrap the writer in a [`BufWriter`](super::BufWriter)).
    ///
    /// `true` for Mirage's TCP and Unix streams and their write halves, pipe senders, a
    /// child's stdin, `Vec<u8>`, `std::io::Cursor`, [`BufWriter`](super::BufWriter) and
    /// [`BufStream`](super::BufStream) (whose buffer gathers the buffers), the in-memory
    /// pipes ([`duplex`](super::duplex), [`simplex`](super::simplex)), [`sink`](super::sink)
    /// and [`empty`](super::empty); wrappers that pass writes through (`&mut`, `Box`,
    /// `Pin`, [`BufReader`](super::BufReader), [`Join`](super::Join), a split
    /// [`WriteHalf`](super::WriteHalf)) answer for the writer inside. Override it
    /// together with `poll_write_vectored`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncWrite, BufWriter};
    ///
    /// assert!(Vec::<u8>::new().is_write_vectored());
    /// assert!(BufWriter::new(mirage::io::sink()).is_write_vectored());
    /// ```
    fn is_write_vectored(&self) -> bool {
        false
    }

    /// Flushes buffered data. Sockets have no user-space buffer: this completes at once.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Shuts down the write side: the peer reads end of stream after what was written.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Tells the writer that a new write (or flush, or close) begins: what an earlier one
    /// dropped while pending left behind is forgotten, as
    /// [`AsyncRead::start_read`] does for reads. The default does nothing.
    ///
    /// [`AsyncWriteExt`](super::AsyncWriteExt)'s methods call it before each operation.
    /// Call it before the first poll of a write future of your own, and forward it from a
    /// wrapper.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::pin::Pin;
    /// use mirage::io::AsyncWrite;
    ///
    /// async fn write_some<W: AsyncWrite + Unpin>(writer: &mut W, buf: &[u8]) -> usize {
    ///     Pin::new(&mut *writer).start_write();
    ///     poll_fn(|cx| Pin::new(&mut *writer).poll_write(cx, buf)).await.unwrap()
    /// }
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut out = Vec::new();
    /// assert_eq!(core.run(write_some(&mut out, b"hello")), 5);
    /// ```
    fn start_write(self: Pin<&mut Self>) {}
}

impl<T: ?Sized + AsyncRead + Unpin> AsyncRead for &mut T {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self).poll_read(cx, buf)
    }

    fn start_read(mut self: Pin<&mut Self>) {
        Pin::new(&mut **self).start_read()
    }
}

impl<T: ?Sized + AsyncRead + Unpin> AsyncRead for Box<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self).poll_read(cx, buf)
    }

    fn start_read(mut self: Pin<&mut Self>) {
        Pin::new(&mut **self).start_read()
    }
}

impl<P> AsyncRead for Pin<P>
where
    P: DerefMut + Unpin,
    P::Target: AsyncRead,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().as_mut().poll_read(cx, buf)
    }

    fn start_read(self: Pin<&mut Self>) {
        self.get_mut().as_mut().start_read()
    }
}

/// An in-memory source: reads consume the slice, like `impl Read for &[u8]`.
impl AsyncRead for &[u8] {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Read::read(&mut *self, buf))
    }
}

/// An in-memory source read from its position on, like `impl Read for Cursor<T>`: each
/// read advances the position, and a position past the end reads nothing.
///
/// # Examples
///
/// ```
/// use std::io::Cursor;
/// use mirage::io::AsyncReadExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut cursor = Cursor::new(b"hello world".to_vec());
/// cursor.set_position(6);
/// let mut word = String::new();
/// core.run(cursor.read_to_string(&mut word)).unwrap();
/// assert_eq!((word.as_str(), cursor.position()), ("world", 11));
/// ```
impl<T: AsRef<[u8]> + Unpin> AsyncRead for Cursor<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Read::read(self.get_mut(), buf))
    }
}

impl<T: ?Sized + AsyncWrite + Unpin> AsyncWrite for &mut T {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        (**self).is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self).poll_close(cx)
    }

    fn start_write(mut self: Pin<&mut Self>) {
        Pin::new(&mut **self).start_write()
    }
}

impl<T: ?Sized + AsyncWrite + Unpin> AsyncWrite for Box<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut **self).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        (**self).is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self).poll_close(cx)
    }

    fn start_write(mut self: Pin<&mut Self>) {
        Pin::new(&mut **self).start_write()
    }
}

impl<P> AsyncWrite for Pin<P>
where
    P: DerefMut + Unpin,
    P::Target: AsyncWrite,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().as_mut().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        (**self).is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().as_mut().poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().as_mut().poll_close(cx)
    }

    fn start_write(self: Pin<&mut Self>) {
        self.get_mut().as_mut().start_write()
    }
}

/// An in-memory sink: writes append, like `impl Write for Vec<u8>`.
impl AsyncWrite for Vec<u8> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Write::write_vectored(self.get_mut(), bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// An in-memory sink written at its position, like `impl Write for Cursor<T>`, for each
/// buffer std's `Cursor` writes to: `&mut [u8]`, `[u8; N]` and `Box<[u8]>` (fixed size: a
/// write past the end writes what fits, then 0 bytes, so `write_all` fails with
/// `WriteZero`), and `Vec<u8>` and `&mut Vec<u8>` (which grow). Each write overwrites from
/// the position and advances it.
///
/// # Examples
///
/// ```
/// use std::io::{Cursor, ErrorKind};
/// use mirage::io::AsyncWriteExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut buf = [0u8; 4];
/// let mut fixed = Cursor::new(&mut buf[..]);
/// let error = core.run(fixed.write_all(b"hello")).unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::WriteZero);
/// assert_eq!(&buf, b"hell");
///
/// let mut growing = Cursor::new(b"hello".to_vec());
/// growing.set_position(4);
/// core.run(growing.write_all(b" world")).unwrap();
/// assert_eq!(growing.get_ref(), b"hell world");
/// ```
impl<T: Unpin> AsyncWrite for Cursor<T>
where
    Cursor<T>: io::Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Write::write(self.get_mut(), buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Write::write_vectored(self.get_mut(), bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(io::Write::flush(self.get_mut()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(io::Write::flush(self.get_mut()))
    }
}
