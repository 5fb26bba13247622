//! `simplex`: a one-way in-memory byte stream, split into its read and write halves.

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::pipe::{After, Pipe};
use super::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf, split};

/// Creates a one-way in-memory stream: bytes written to the write half are read from the
/// read half. It buffers at most `max_buf_size` bytes; a write to a full stream waits for
/// the reader. tokio's `io::simplex`: [`SimplexStream::new_unsplit`] [`split`] in two.
///
/// The reader reads the end of the stream once the writer
/// [shut down](super::AsyncWriteExt::shutdown) and everything written before is read.
/// Dropping the write half does not end the stream (the halves share one stream, dropped
/// with the second half): shut it down first, as with tokio's, or the reader waits.
///
/// # Panics
///
/// If `max_buf_size` is zero.
///
/// # Examples
///
/// ```
/// use mirage::io::{simplex, AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (mut reader, mut writer) = simplex(4);
///     let producer = mirage::spawn(async move {
///         writer.write_all(b"more than four bytes").await.unwrap(); // waits for room
///         writer.shutdown().await.unwrap();
///     });
///     let mut got = String::new();
///     reader.read_to_string(&mut got).await.unwrap();
///     assert_eq!(got, "more than four bytes");
///     producer.await.unwrap();
/// });
/// ```
#[track_caller]
pub fn simplex(max_buf_size: usize) -> (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) {
    split(SimplexStream::new_unsplit(max_buf_size))
}

/// A one-way in-memory byte stream: what is written to it is read from it, in order, with
/// at most a given number of bytes buffered. Made by [`simplex`] as two halves, or whole by
/// [`SimplexStream::new_unsplit`].
///
/// Closing it ([`poll_close`](AsyncWrite::poll_close)) makes reads return the end of the
/// stream once the bytes written before are read, and writes fail with `BrokenPipe`. It
/// holds no `Rc`, so it is `Send`, as tokio's is; its halves from [`split`] are not.
///
/// # Examples
///
/// ```
/// use mirage::io::{AsyncReadExt, AsyncWriteExt, SimplexStream};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut stream = SimplexStream::new_unsplit(16);
///     stream.write_all(b"echo").await.unwrap();
///     stream.shutdown().await.unwrap();
///     let mut got = Vec::new();
///     stream.read_to_end(&mut got).await.unwrap();
///     assert_eq!(got, b"echo");
/// });
/// ```
pub struct SimplexStream {
    pipe: Pipe,
}

impl SimplexStream {
    /// Creates a stream that buffers at most `max_buf_size` bytes, not split: one value both
    /// reads and writes. [`split`] it, or use [`simplex`], to read and write from two tasks.
    ///
    /// # Panics
    ///
    /// If `max_buf_size` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncReadExt, AsyncWriteExt, SimplexStream};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut stream = SimplexStream::new_unsplit(2);
    ///     assert_eq!(stream.write(b"abc").await.unwrap(), 2, "room for two bytes");
    ///     let mut buf = [0; 8];
    ///     assert_eq!(stream.read(&mut buf).await.unwrap(), 2);
    ///     assert_eq!(&buf[..2], b"ab");
    /// });
    /// ```
    #[track_caller]
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        assert!(
            max_buf_size > 0,
            "SimplexStream::new_unsplit: max_buf_size must be greater than zero"
        );
        SimplexStream {
            pipe: Pipe::new("simplex stream", max_buf_size),
        }
    }

    /// Runs `op` on the pipe, then what it left to do (a waker to wake or drop).
    fn with_pipe<R>(&mut self, op: impl FnOnce(&mut Pipe, &mut After) -> R) -> R {
        let mut after = After::default();
        let result = op(&mut self.pipe, &mut after);
        after.run();
        result
    }
}

impl AsyncRead for SimplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .with_pipe(|pipe, after| pipe.poll_read(cx, buf, after))
    }
}

impl AsyncWrite for SimplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .with_pipe(|pipe, after| pipe.poll_write(cx, &[IoSlice::new(buf)], after))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .with_pipe(|pipe, after| pipe.poll_write(cx, bufs, after))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Ends the stream: reads see its end after the bytes already written.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().pipe.close_write().run();
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for SimplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimplexStream")
            .field("buffered", &self.pipe.len())
            .finish()
    }
}
