//! `BufWriter`: a buffer in front of any writer.

use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

/// The buffer size of [`BufWriter::new`], the same as `std::io::BufWriter`'s.
const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Adds a buffer to a writer: many small writes (a header, a length prefix, a line) become
/// one write of the sink. The asynchronous counterpart of [`std::io::BufWriter`].
///
/// Bytes stay in the buffer until it has no room for the next write, or until
/// [`flush`](super::AsyncWriteExt::flush) or [`close`](super::AsyncWriteExt::close) (which
/// flushes first). A write at least as large as the buffer, with nothing buffered, goes
/// straight to the sink. Reads go straight through to the writer, so one `BufWriter` around
/// a stream serves a request-response protocol; a read does not flush, so flush the request
/// before waiting for the reply. The writer must be `Unpin`, as every Mirage stream is (a
/// future-like writer can be boxed with `Box::pin`).
///
/// **Dropping a `BufWriter` loses what is buffered**: unlike `std`'s, it cannot flush in
/// `drop`, which cannot wait. Call `flush().await` (or `close().await`) first, or take the
/// unwritten bytes back with [`into_parts`](BufWriter::into_parts).
///
/// # Errors and cancel safety
///
/// When the sink fails (or returns `Pending`) part way through writing out the buffer, the
/// bytes it accepted leave the buffer and the rest stay, in order, for the next attempt: a
/// byte is never lost or written twice. A sink that accepts no bytes (`Ok(0)`) while some
/// are buffered fails the flush with [`WriteZero`](io::ErrorKind::WriteZero); an
/// `Interrupted` error is retried. So `write` and `flush` are cancel-safe as far as the
/// sink's writes are: a dropped `write` has buffered none of its bytes, and a dropped
/// `flush` leaves the rest of the buffer for the next.
///
/// # Examples
///
/// A request in three writes goes to the stream in one:
///
/// ```
/// use mirage::io::{duplex, AsyncReadExt, AsyncWriteExt, BufWriter};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (client, mut server) = duplex(64);
///     mirage::spawn(async move {
///         let mut request = [0; 14];
///         server.read_exact(&mut request).await.unwrap();
///         assert_eq!(&request, b"GET /index\r\n\r\n");
///         server.write_all(b"200").await.unwrap();
///     });
///     let mut client = BufWriter::new(client);
///     client.write_all(b"GET ").await.unwrap();
///     client.write_all(b"/index").await.unwrap();
///     client.write_all(b"\r\n\r\n").await.unwrap();
///     client.flush().await.unwrap(); // without it, the server would wait forever
///     let mut status = Vec::new();
///     client.read_to_end(&mut status).await.unwrap(); // reads go straight through
///     assert_eq!(status, b"200");
/// });
/// ```
pub struct BufWriter<W> {
    inner: W,
    buf: Box<[u8]>,
    /// The bytes written to the `BufWriter` and not yet to the sink are `buf[pos..filled]`.
    /// Writing them out moves `pos` on by what each write of the sink accepts, so after a
    /// failure the accepted bytes are gone from the buffer and the others still in it.
    pos: usize,
    filled: usize,
    /// Where a seek through the buffer stands; see `AsyncSeek for BufWriter`.
    seek_state: SeekState,
    /// `poll_complete` of `AsyncSeek for BufWriter`, recorded by `start_seek` (where the
    /// writer inside is known to seek), so that a write can finish a seek that was dropped
    /// under way.
    finish_seek: Option<FinishSeek<W>>,
}

/// The type of [`BufWriter`]'s `AsyncSeek::poll_complete`.
type FinishSeek<W> = fn(Pin<&mut BufWriter<W>>, &mut Context<'_>) -> Poll<io::Result<u64>>;

/// The steps of a seek through a [`BufWriter`]: `start_seek` only records the target,
/// since writing out the buffer first may take polls, and `poll_complete` drives the rest.
#[derive(Debug, Clone, Copy)]
enum SeekState {
    /// No seek submitted since the last one finished.
    Idle,
    /// `start_seek` recorded this target; the buffer is written out before it is submitted
    /// to the writer inside.
    Submitted(SeekFrom),
    /// The writer inside is moving to the target.
    Moving,
}

impl<W> BufWriter<W> {
    /// Wraps `inner` with a buffer of 8 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufWriter;
    ///
    /// let writer = BufWriter::new(Vec::<u8>::new());
    /// assert_eq!(writer.capacity(), 8 * 1024);
    /// ```
    pub fn new(inner: W) -> BufWriter<W> {
        BufWriter::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// Wraps `inner` with a buffer of `capacity` bytes. With a capacity of 0 every write
    /// goes straight to `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufWriter;
    ///
    /// let writer = BufWriter::with_capacity(64, Vec::<u8>::new());
    /// assert_eq!(writer.capacity(), 64);
    /// ```
    pub fn with_capacity(capacity: usize, inner: W) -> BufWriter<W> {
        BufWriter {
            inner,
            buf: vec![0; capacity].into_boxed_slice(),
            pos: 0,
            filled: 0,
            seek_state: SeekState::Idle,
            finish_seek: None,
        }
    }

    /// The writer inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncWriteExt, BufWriter};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut writer = BufWriter::new(Vec::new());
    ///     writer.write_all(b"abc").await.unwrap();
    ///     assert!(writer.get_ref().is_empty()); // still buffered
    /// });
    /// ```
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The writer inside, mutably. Writing to it directly puts the bytes ahead of what is
    /// buffered.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufWriter;
    ///
    /// let mut writer = BufWriter::new(Vec::new());
    /// writer.get_mut().extend_from_slice(b"header");
    /// assert_eq!(writer.get_ref(), b"header");
    /// ```
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Unwraps the writer. **Whatever is buffered is lost**: call `flush().await` first, or
    /// use [`into_parts`](BufWriter::into_parts) to keep it. (`std`'s `into_inner` flushes
    /// for you; here that would have to wait, and unwrapping cannot.)
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncWriteExt, BufWriter};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut writer = BufWriter::new(Vec::new());
    ///     writer.write_all(b"abc").await.unwrap();
    ///     writer.flush().await.unwrap();
    ///     assert_eq!(writer.into_inner(), b"abc");
    /// });
    /// ```
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Unwraps the writer, handing back with it the bytes buffered and not yet written to
    /// it, so that nothing is lost. The counterpart of `std::io::BufWriter::into_parts`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncWriteExt, BufWriter};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut writer = BufWriter::new(Vec::new());
    ///     writer.write_all(b"abc").await.unwrap();
    ///     let (mut inner, unwritten) = writer.into_parts();
    ///     assert!(inner.is_empty());
    ///     inner.write_all(&unwritten).await.unwrap();
    ///     assert_eq!(inner, b"abc");
    /// });
    /// ```
    pub fn into_parts(self) -> (W, Vec<u8>) {
        let unwritten = self.buffer().to_vec();
        (self.inner, unwritten)
    }

    /// The bytes buffered and not yet written to the writer inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncWriteExt, BufWriter};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut writer = BufWriter::new(Vec::new());
    ///     writer.write_all(b"abc").await.unwrap();
    ///     assert_eq!(writer.buffer(), b"abc");
    ///     writer.flush().await.unwrap();
    ///     assert!(writer.buffer().is_empty());
    /// });
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// How many bytes the buffer holds at most.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::BufWriter;
    ///
    /// assert_eq!(BufWriter::with_capacity(16, Vec::<u8>::new()).capacity(), 16);
    /// ```
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Appends `bytes`, for which the buffer must have room (`buffer().len() + bytes.len()`
    /// at most the capacity), moving the buffered bytes to the front if they are not there.
    fn append(&mut self, bytes: &[u8]) {
        debug_assert!(self.buffer().len() + bytes.len() <= self.capacity());
        if self.filled + bytes.len() > self.buf.len() {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        }
        self.buf[self.filled..self.filled + bytes.len()].copy_from_slice(bytes);
        self.filled += bytes.len();
    }
}

impl<W> BufWriter<W> {
    /// Puts `inner` in place of the writer, keeping the buffer and its state; returns the
    /// writer taken out. For `BufStream`'s conversions, which turn the layers around. A
    /// seek left under way by a dropped seek future is then finished by the next seek only.
    pub(super) fn replace_inner<V>(self, inner: V) -> (BufWriter<V>, W) {
        let BufWriter {
            inner: taken,
            buf,
            pos,
            filled,
            seek_state,
            finish_seek: _,
        } = self;
        let writer = BufWriter {
            inner,
            buf,
            pos,
            filled,
            seek_state,
            finish_seek: None,
        };
        (writer, taken)
    }
}

impl<W: AsyncWrite + Unpin> BufWriter<W> {
    /// Finishes a seek dropped under way (a losing `select!` branch), as the next seek
    /// would: writing out the buffer, then moving the writer inside. Until then the bytes
    /// buffered belong before the seek's target and the writer inside may be moving, so a
    /// write, flush or close in between would land at neither position. The seek's error
    /// was the dropped seek's to report: a failed one is forgotten, as the seek's docs say.
    fn poll_finish_seek(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let (SeekState::Submitted(_) | SeekState::Moving, Some(finish)) =
            (self.seek_state, self.finish_seek)
        {
            let _ = ready!(finish(Pin::new(self), cx));
        }
        Poll::Ready(())
    }

    /// Writes the whole buffer to the writer inside; on `Pending` or an error, what it
    /// accepted so far has left the buffer and the rest is still there.
    fn poll_flush_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pos < self.filled {
            let unwritten = &self.buf[self.pos..self.filled];
            match ready!(Pin::new(&mut self.inner).poll_write(cx, unwritten)) {
                Ok(0) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the sink accepted none of the buffered bytes",
                    )));
                }
                // `min`: a sink claiming more than it was given must not push `pos` past
                // the end of what is buffered.
                Ok(n) => self.pos += n.min(unwritten.len()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
        self.pos = 0;
        self.filled = 0;
        Poll::Ready(Ok(()))
    }

    /// `poll_write_vectored` for a writer inside that writes only the first buffer: the
    /// first non-empty buffer as `poll_write` takes it, then the buffers after it that fit
    /// in the buffer, up to the first that does not.
    fn poll_gather(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut bufs = bufs.iter().skip_while(|buf| buf.is_empty());
        let Some(first) = bufs.next() else {
            return Poll::Ready(Ok(0));
        };
        if self.buffer().len() + first.len() > self.capacity() {
            ready!(self.poll_flush_buf(cx))?;
        }
        if first.len() >= self.capacity() {
            return Pin::new(&mut self.inner).poll_write(cx, first);
        }
        self.append(first);
        let mut total = first.len();
        for buf in bufs {
            if self.buffer().len() + buf.len() > self.capacity() {
                break;
            }
            self.append(buf);
            total += buf.len();
        }
        Poll::Ready(Ok(total))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for BufWriter<W> {
    /// Copies into the buffer, first writing the buffer out if `buf` does not fit beside
    /// what is in it; a write at least as large as the buffer, with nothing buffered, goes
    /// straight to the writer inside. A `Pending` or an error while writing out the buffer
    /// comes before any of `buf` is taken.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_finish_seek(cx));
        // No overflow: each length is at most `isize::MAX`.
        if this.buffer().len() + buf.len() > this.capacity() {
            ready!(this.poll_flush_buf(cx))?;
        }
        // Here a `buf` as large as the buffer finds it empty: it was just written out, or
        // it held nothing, since `buf` fit beside what it held.
        if buf.len() >= this.capacity() {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        this.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    /// As `poll_write`, for all of `bufs` together: they are buffered whole, or, when
    /// together at least as large as the buffer, handed to the writer's vectored write.
    /// For a writer without vectored writes (`is_write_vectored` false), which would write
    /// only the first buffer, the buffers are gathered into the buffer as far as they fit
    /// (a first one as large as the buffer goes straight to the writer), as `std`'s and
    /// tokio's `BufWriter` do.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_finish_seek(cx));
        if !this.inner.is_write_vectored() {
            return this.poll_gather(cx, bufs);
        }
        let total = bufs
            .iter()
            .fold(0usize, |total, buf| total.saturating_add(buf.len()));
        if this.buffer().len().saturating_add(total) > this.capacity() {
            ready!(this.poll_flush_buf(cx))?;
        }
        if total >= this.capacity() {
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        for buf in bufs {
            this.append(buf);
        }
        Poll::Ready(Ok(total))
    }

    /// `true`: vectored writes gather into the buffer, or go whole to a writer inside
    /// that writes vectored.
    fn is_write_vectored(&self) -> bool {
        true
    }

    /// Writes out the buffer, then flushes the writer inside.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_finish_seek(cx));
        ready!(this.poll_flush_buf(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    /// Writes out the buffer, then closes the writer inside.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_finish_seek(cx));
        ready!(this.poll_flush_buf(cx))?;
        Pin::new(&mut this.inner).poll_close(cx)
    }

    fn start_write(self: Pin<&mut Self>) {
        Pin::new(&mut self.get_mut().inner).start_write()
    }
}

/// Writes out the buffer, then seeks the writer inside, so that the buffered bytes land
/// where they were written and not at the new position. A `start_seek` only records the
/// target (it cannot fail); `poll_complete` writes out the buffer, waits for a move the
/// writer inside still has under way, then moves it. When writing out the buffer fails, the
/// seek is dropped with the error (the bytes not written stay buffered, as for a failed
/// [`flush`](super::AsyncWriteExt::flush)) and the position is unchanged.
///
/// A seek future dropped before it completed (a losing `select!` branch) leaves its seek
/// under way: the next write, flush, close or seek finishes it first, so the bytes written
/// after it land at its target.
///
/// # Examples
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use mirage::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut writer = BufWriter::new(Cursor::new(Vec::new()));
///     writer.write_all(b"length: ??\n").await.unwrap();
///     writer.seek(SeekFrom::Start(8)).await.unwrap(); // writes out the line first
///     writer.write_all(b"42").await.unwrap();
///     writer.flush().await.unwrap();
///     assert_eq!(writer.get_ref().get_ref(), b"length: 42\n");
/// });
/// ```
impl<W: AsyncWrite + AsyncSeek + Unpin> AsyncSeek for BufWriter<W> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        this.seek_state = SeekState::Submitted(position);
        this.finish_seek = Some(<Self as AsyncSeek>::poll_complete);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        match this.seek_state {
            SeekState::Idle => return Pin::new(&mut this.inner).poll_complete(cx),
            SeekState::Submitted(position) => {
                if let Err(err) = ready!(this.poll_flush_buf(cx)) {
                    this.seek_state = SeekState::Idle;
                    return Poll::Ready(Err(err));
                }
                // A move submitted before this one (and left under way) finishes first.
                if let Err(err) = ready!(Pin::new(&mut this.inner).poll_complete(cx)) {
                    this.seek_state = SeekState::Idle;
                    return Poll::Ready(Err(err));
                }
                this.seek_state = SeekState::Idle;
                Pin::new(&mut this.inner).start_seek(position)?;
            }
            SeekState::Moving => {}
        }
        match Pin::new(&mut this.inner).poll_complete(cx) {
            Poll::Pending => {
                this.seek_state = SeekState::Moving;
                Poll::Pending
            }
            Poll::Ready(result) => {
                this.seek_state = SeekState::Idle;
                Poll::Ready(result)
            }
        }
    }
}

impl<W: AsyncRead + Unpin> AsyncRead for BufWriter<W> {
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

impl<W: AsyncBufRead + Unpin> AsyncBufRead for BufWriter<W> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut self.get_mut().inner).poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut self.get_mut().inner).consume(amt)
    }
}

impl<W: fmt::Debug> fmt::Debug for BufWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufWriter")
            .field("writer", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.filled - self.pos, self.buf.len()),
            )
            .finish()
    }
}
