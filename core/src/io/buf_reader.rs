//! `BufReader`: a buffer in front of any reader.

use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

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
    /// Where a seek through the buffer stands; see `AsyncSeek for BufReader`.
    seek_state: SeekState,
    /// `poll_complete` of `AsyncSeek for BufReader`, recorded by `start_seek` (where the
    /// reader inside is known to seek), so that a read can finish the move of a seek that
    /// was dropped under way.
    finish_move: Option<FinishMove<R>>,
}

/// The type of [`BufReader`]'s `AsyncSeek::poll_complete`.
type FinishMove<R> = fn(Pin<&mut BufReader<R>>, &mut Context<'_>) -> Poll<io::Result<u64>>;

/// The steps of a seek through a [`BufReader`]: `start_seek` only records the target,
/// since moving the reader inside may take polls, and `poll_complete` drives the rest.
#[derive(Debug, Clone, Copy)]
enum SeekState {
    /// No seek submitted since the last one finished.
    Idle,
    /// `start_seek` recorded this target; nothing is submitted to the reader inside yet.
    Submitted(SeekFrom),
    /// A `SeekFrom::Current(n)` whose `n` minus the buffered bytes overflows an `i64`: the
    /// reader inside is moving back over the buffered bytes, and moves by `n` after that.
    Unreading(i64),
    /// The reader inside is moving to the target.
    Moving,
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
    #[track_caller]
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
            seek_state: SeekState::Idle,
            finish_move: None,
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

impl<R> BufReader<R> {
    /// Puts `inner` in place of the reader, keeping the buffer and its state; returns the
    /// reader taken out. For `BufStream`'s conversions, which turn the layers around. A
    /// move left under way by a dropped seek is then finished by the next seek only.
    pub(super) fn replace_inner<S>(self, inner: S) -> (BufReader<S>, R) {
        let BufReader {
            inner: taken,
            buf,
            pos,
            filled,
            seek_state,
            finish_move: _,
        } = self;
        let reader = BufReader {
            inner,
            buf,
            pos,
            filled,
            seek_state,
            finish_move: None,
        };
        (reader, taken)
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
        ready!(this.poll_finish_move(cx));
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

impl<R: AsyncRead + Unpin> BufReader<R> {
    /// Finishes the move of a seek dropped while the reader inside was moving (a losing
    /// `select!` branch), as the next seek would: until then the buffer holds bytes from
    /// before the seek and the reader inside is going to its target, so a read from both
    /// would be from neither position. The move's error was the dropped seek's to report:
    /// a failed move keeps the buffer, and the read goes on from the position it left.
    fn poll_finish_move(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let (SeekState::Moving | SeekState::Unreading(_), Some(finish)) =
            (self.seek_state, self.finish_move)
        {
            let _ = ready!(finish(Pin::new(self), cx));
        }
        Poll::Ready(())
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        ready!(this.poll_finish_move(cx));
        if this.pos == this.filled {
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.buf))?;
            this.pos = 0;
            // A reader claiming more than it was given is broken; trust no more than the slice.
            this.filled = n.min(this.buf.len());
        }
        Poll::Ready(Ok(&this.buf[this.pos..this.filled]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.filled);
    }
}

/// Seeks the reader inside, relative to what was read out of the buffer: the position of
/// a `BufReader` is the reader's, less the bytes buffered and not yet read. Every seek
/// empties the buffer, even one that lands inside it (so that
/// [`into_inner`](BufReader::into_inner) right after a seek gives the reader at the
/// position the seek returned), as tokio's `BufReader` does.
///
/// A `SeekFrom::Current(n)` becomes `SeekFrom::Current(n - buffered)` for the reader
/// inside; when that subtraction overflows an `i64`, two moves are made, back over the
/// buffered bytes and then by `n`. A `start_seek` only records the target (it cannot
/// fail); the reader inside is moved, and may fail, in `poll_complete`. A move the reader
/// fails keeps the buffer, so a reader that fails without moving (as a `Cursor` asked for a
/// position before the start) leaves the position unchanged; when the second of two moves
/// fails, the position is where the first left it, as after `SeekFrom::Current(0)`.
///
/// A seek dropped while the reader inside is moving (a losing `select!` branch) leaves the
/// move under way; the next seek or read finishes it first, so a read after it reads from
/// the dropped seek's target.
///
/// # Examples
///
/// ```
/// use std::io::{Cursor, SeekFrom};
/// use mirage::io::{AsyncReadExt, AsyncSeekExt, BufReader};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut reader = BufReader::new(Cursor::new(b"0123456789".to_vec()));
///     let mut two = [0; 2];
///     reader.read_exact(&mut two).await.unwrap(); // buffers all ten bytes
///     assert_eq!(reader.get_ref().position(), 10);
///     // Two bytes forward from what was read, not from the cursor's position.
///     assert_eq!(reader.seek(SeekFrom::Current(2)).await.unwrap(), 4);
///     reader.read_exact(&mut two).await.unwrap();
///     assert_eq!(&two, b"45");
/// });
/// ```
impl<R: AsyncRead + AsyncSeek + Unpin> AsyncSeek for BufReader<R> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        this.seek_state = SeekState::Submitted(position);
        this.finish_move = Some(<Self as AsyncSeek>::poll_complete);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        // Each arm that does not return leaves the reader inside moving to the target;
        // an error from a `start_seek` returns with the state `Idle` and the buffer kept.
        match std::mem::replace(&mut this.seek_state, SeekState::Idle) {
            SeekState::Idle => return Pin::new(&mut this.inner).poll_complete(cx),
            SeekState::Submitted(SeekFrom::Current(n)) => {
                // At most the capacity of a boxed slice, so at most `isize::MAX`.
                let buffered = (this.filled - this.pos) as i64;
                match n.checked_sub(buffered) {
                    Some(offset) => {
                        Pin::new(&mut this.inner).start_seek(SeekFrom::Current(offset))?
                    }
                    None => {
                        Pin::new(&mut this.inner).start_seek(SeekFrom::Current(-buffered))?;
                        return this.poll_unread_then_move(cx, n);
                    }
                }
            }
            SeekState::Submitted(position) => Pin::new(&mut this.inner).start_seek(position)?,
            SeekState::Unreading(n) => return this.poll_unread_then_move(cx, n),
            SeekState::Moving => {}
        }
        this.poll_moved(cx)
    }
}

impl<R: AsyncSeek + Unpin> BufReader<R> {
    /// Waits for the reader inside to finish a move (state `Moving`), then empties the
    /// buffer; a failed move keeps it.
    fn poll_moved(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let Poll::Ready(result) = Pin::new(&mut self.inner).poll_complete(cx) else {
            self.seek_state = SeekState::Moving;
            return Poll::Pending;
        };
        let position = result?;
        self.discard_buffer();
        Poll::Ready(Ok(position))
    }

    /// Waits for the reader inside to move back over the buffered bytes (state
    /// `Unreading(n)`); then the buffer is gone, and the reader moves by `n`.
    fn poll_unread_then_move(&mut self, cx: &mut Context<'_>, n: i64) -> Poll<io::Result<u64>> {
        let Poll::Ready(result) = Pin::new(&mut self.inner).poll_complete(cx) else {
            self.seek_state = SeekState::Unreading(n);
            return Poll::Pending;
        };
        result?;
        self.discard_buffer();
        Pin::new(&mut self.inner).start_seek(SeekFrom::Current(n))?;
        self.poll_moved(cx)
    }

    fn discard_buffer(&mut self) {
        self.pos = 0;
        self.filled = 0;
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
