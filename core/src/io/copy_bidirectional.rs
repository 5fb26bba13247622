//! `copy_bidirectional`: both directions between two streams at once, as a proxy does.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{AsyncRead, AsyncWrite};
use crate::coop;

/// The size of each direction's buffer in [`copy_bidirectional`], as [`copy`](super::copy)'s.
const BUFFER: usize = 8 * 1024;

/// Copies from `a` to `b` and from `b` to `a` at the same time, until both directions have
/// reached the end of their stream; returns the bytes copied each way, `(a to b, b to a)`.
/// When one side ends its stream, the other side's write half is shut down
/// ([`poll_close`](AsyncWrite::poll_close)) and the other direction goes on: half-closed
/// connections work through it.
///
/// Each chunk copied spends a unit of the task's [`coop`](crate::coop) budget, as with
/// [`copy`](super::copy). `Interrupted` reads and writes are retried. Any other error ends
/// both directions and is returned; what was read and not yet written is lost, so, as with
/// [`copy`](super::copy), it is not cancel-safe. A read timeout set on a socket bounds each
/// wait for data in that direction, which makes it an idle timeout of that direction, not
/// of the connection: a download whose client sends nothing while it lasts fails with
/// `TimedOut`, ending both directions, once the client has been quiet that long, however
/// busy the download. The `tcp_proxy` example copies each direction on its own instead,
/// and ends an idle one with a half-close while the other goes on.
///
/// # Examples
///
/// A proxy between two Unix stream pairs:
///
/// ```
/// use std::net::Shutdown;
/// use mirage::io::{copy_bidirectional, AsyncReadExt};
/// use mirage::net::UnixStream;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (client, mut proxy_front) = UnixStream::pair().unwrap();
///     let (mut proxy_back, server) = UnixStream::pair().unwrap();
///     let proxy = mirage::spawn(async move {
///         copy_bidirectional(&mut proxy_front, &mut proxy_back).await
///     });
///     client.write_all(b"request").await.unwrap();
///     client.shutdown(Shutdown::Write).unwrap();
///     let mut request = Vec::new();
///     (&server).read_to_end(&mut request).await.unwrap();
///     assert_eq!(request, b"request");
///     server.write_all(b"reply").await.unwrap();
///     drop(server);
///     let mut reply = Vec::new();
///     (&client).read_to_end(&mut reply).await.unwrap();
///     assert_eq!(reply, b"reply");
///     assert_eq!(proxy.await.unwrap().unwrap(), (7, 5));
/// });
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, BUFFER, BUFFER).await
}

/// As [`copy_bidirectional`], with a buffer of `a_to_b_size` bytes for the copy from `a` to
/// `b` and one of `b_to_a_size` bytes for the other way, instead of 8 KiB each: smaller for
/// many idle connections, larger for bulk transfers. A read of either stream is at most its
/// direction's buffer size. tokio's `io::copy_bidirectional_with_sizes`.
///
/// # Panics
///
/// If either size is zero: a read into an empty buffer would look like the end of the
/// stream.
///
/// # Examples
///
/// ```
/// use mirage::io::{copy_bidirectional_with_sizes, duplex, AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (mut client, mut proxy_front) = duplex(1024);
///     let (mut proxy_back, mut server) = duplex(1024);
///     let proxy = mirage::spawn(async move {
///         copy_bidirectional_with_sizes(&mut proxy_front, &mut proxy_back, 64, 4096).await
///     });
///     client.write_all(&[1; 500]).await.unwrap();
///     client.shutdown().await.unwrap();
///     let mut request = Vec::new();
///     server.read_to_end(&mut request).await.unwrap();
///     server.write_all(b"done").await.unwrap();
///     drop(server);
///     let mut reply = Vec::new();
///     client.read_to_end(&mut reply).await.unwrap();
///     assert_eq!((request.len(), &reply[..]), (500, &b"done"[..]));
///     assert_eq!(proxy.await.unwrap().unwrap(), (500, 4));
/// });
/// ```
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b_size: usize,
    b_to_a_size: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    assert!(
        a_to_b_size > 0 && b_to_a_size > 0,
        "copy_bidirectional_with_sizes: the buffer sizes must be greater than zero"
    );
    let mut a_to_b = Direction::new(a_to_b_size);
    let mut b_to_a = Direction::new(b_to_a_size);
    poll_fn(|cx| {
        let forth = a_to_b.poll(cx, &mut *a, &mut *b)?;
        let back = b_to_a.poll(cx, &mut *b, &mut *a)?;
        match (forth, back) {
            (Poll::Ready(forth), Poll::Ready(back)) => Poll::Ready(Ok((forth, back))),
            _ => Poll::Pending,
        }
    })
    .await
}

/// One direction's copy: a buffer, what of it is still to be written, and how far it got.
struct Direction {
    buf: Box<[u8]>,
    /// `buf[pos..end]` is read and not yet written.
    pos: usize,
    end: usize,
    /// The reader reached the end of its stream.
    read_done: bool,
    /// The writer's write half is shut down: the direction is over.
    closed: bool,
    /// A read (write) was started with `start_read` (`start_write`) and has not completed.
    reading: bool,
    writing: bool,
    copied: u64,
}

impl Direction {
    fn new(size: usize) -> Direction {
        Direction {
            buf: vec![0; size].into_boxed_slice(),
            pos: 0,
            end: 0,
            read_done: false,
            closed: false,
            reading: false,
            writing: false,
            copied: 0,
        }
    }

    /// Moves what it can from `reader` to `writer`; `Ready` with the byte count once the
    /// reader's stream ended and the writer was shut down.
    fn poll<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        reader: &mut R,
        writer: &mut W,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + Unpin + ?Sized,
        W: AsyncWrite + Unpin + ?Sized,
    {
        loop {
            if self.closed {
                return Poll::Ready(Ok(self.copied));
            }
            if self.pos == self.end && !self.read_done {
                if !self.reading {
                    // Each chunk spends a unit, as in `copy`: in-memory streams, always
                    // ready, spend none themselves.
                    ready!(coop::poll_proceed(cx));
                    Pin::new(&mut *reader).start_read();
                    self.reading = true;
                }
                let n = match Pin::new(&mut *reader).poll_read(cx, &mut self.buf) {
                    Poll::Ready(Err(err)) if err.kind() == io::ErrorKind::Interrupted => {
                        self.reading = false;
                        continue;
                    }
                    Poll::Ready(result) => result?,
                    Poll::Pending => {
                        // Nothing to read now: let a buffering writer pass on what it holds.
                        ready!(Pin::new(&mut *writer).poll_flush(cx))?;
                        return Poll::Pending;
                    }
                };
                self.reading = false;
                if n == 0 {
                    self.read_done = true;
                } else {
                    (self.pos, self.end) = (0, n.min(self.buf.len()));
                }
            }
            while self.pos < self.end {
                if !self.writing {
                    Pin::new(&mut *writer).start_write();
                    self.writing = true;
                }
                let written =
                    ready!(Pin::new(&mut *writer).poll_write(cx, &self.buf[self.pos..self.end]));
                self.writing = false;
                // An interrupted write took nothing: try it again, as `write_all` does.
                let n = match written {
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    written => written?,
                };
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the stream accepted no more bytes",
                    )));
                }
                // A writer claiming more than it was given must not push `pos` past `end`.
                let n = n.min(self.end - self.pos);
                self.pos += n;
                self.copied += n as u64;
            }
            if self.read_done {
                if !self.writing {
                    Pin::new(&mut *writer).start_write();
                    self.writing = true;
                }
                ready!(Pin::new(&mut *writer).poll_close(cx))?;
                self.writing = false;
                self.closed = true;
            }
        }
    }
}
