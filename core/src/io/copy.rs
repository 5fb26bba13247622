//! `copy` and `copy_buf`: everything from a reader to a writer.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{AsyncBufRead, AsyncRead, AsyncWrite, AsyncWriteExt};
use crate::coop;

/// The size of [`copy`]'s buffer, the same as `std::io::copy`'s.
const BUFFER: usize = 8 * 1024;

/// Copies everything `reader` yields to `writer`, until `reader` reaches the end of its
/// stream, then flushes `writer`; returns how many bytes were copied. The asynchronous
/// counterpart of [`std::io::copy`].
///
/// While `reader` has nothing to give, `writer` is flushed of what was written to it (as
/// tokio's `copy` does): through a buffering writer, a request then reaches a peer that
/// must answer it before more comes.
///
/// Each chunk copied spends a unit of the task's [`coop`](crate::coop) budget, so a copy
/// between streams that are always ready (in memory) still lets the other tasks run.
///
/// `Interrupted` reads are retried; any other error ends the copy, and whatever was read
/// but not yet written is lost, as with `std::io::copy`. Not cancel-safe, for the same
/// reason. `writer` is not shut down at the end: for a TCP stream that should see the end
/// too, call `shutdown(Shutdown::Write)` after. On sockets with read or write timeouts,
/// each read and write of the copy may wait that long.
///
/// # Examples
///
/// ```
/// use mirage::io::AsyncReadExt;
/// use mirage::net::UnixStream;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (mut near, far) = UnixStream::pair().unwrap();
///     let mut source: &[u8] = &[7; 100_000];
///     let copying = mirage::spawn(async move {
///         let mut far = far;
///         mirage::io::copy(&mut source, &mut far).await
///     }); // `far` closes when the task ends
///     let mut received = Vec::new();
///     near.read_to_end(&mut received).await.unwrap();
///     assert_eq!(copying.await.unwrap().unwrap(), 100_000);
///     assert_eq!(received, vec![7; 100_000]);
/// });
/// ```
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0; BUFFER];
    let mut copied = 0;
    // Whether `writer` took bytes since it was last flushed.
    let mut unflushed = false;
    loop {
        // Each chunk spends a unit: in-memory streams, always ready, spend none themselves.
        coop::consume_budget().await;
        Pin::new(&mut *reader).start_read();
        let read = poll_fn(|cx| {
            let read = Pin::new(&mut *reader).poll_read(cx, &mut buf);
            flush_while_waiting(read, cx, &mut *writer, &mut unflushed)
        });
        let n = match read.await {
            Ok(0) => break,
            Ok(n) => n.min(buf.len()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        writer.write_all(&buf[..n]).await?;
        unflushed = true;
        copied += n as u64;
    }
    writer.flush().await?;
    Ok(copied)
}

/// Copies everything `reader` yields to `writer` straight from `reader`'s own buffer, until
/// the end of its stream, then flushes `writer`; returns how many bytes were copied. As
/// [`copy`], without a buffer of its own: for a [`BufReader`](super::BufReader) or another
/// [`AsyncBufRead`]. tokio's `io::copy_buf`.
///
/// While `reader` has nothing to give, `writer` is flushed of what was written to it, and
/// each chunk spends a unit of the task's [`coop`](crate::coop) budget, as with [`copy`].
/// `Interrupted` is retried; a writer that accepts no more bytes fails the
/// copy with `WriteZero`. What `writer` did not take stays in `reader`'s buffer, so an
/// error or a cancellation loses no byte that was not written (only the count).
///
/// # Examples
///
/// ```
/// use mirage::io::BufReader;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut reader = BufReader::with_capacity(16, &[3; 1000][..]);
///     let mut out = Vec::new();
///     assert_eq!(mirage::io::copy_buf(&mut reader, &mut out).await.unwrap(), 1000);
///     assert_eq!(out, vec![3; 1000]);
/// });
/// ```
pub async fn copy_buf<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut copied = 0;
    // Whether `writer` took bytes since it was last flushed.
    let mut unflushed = false;
    loop {
        // Each chunk spends a unit, as in `copy`.
        coop::consume_budget().await;
        Pin::new(&mut *reader).start_read();
        let available = poll_fn(|cx| {
            let filled = Pin::new(&mut *reader).poll_fill_buf(cx).map_ok(<[u8]>::len);
            flush_while_waiting(filled, cx, &mut *writer, &mut unflushed)
        });
        match available.await {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
        Pin::new(&mut *writer).start_write();
        let written = poll_fn(|cx| {
            let buffered = ready!(Pin::new(&mut *reader).poll_fill_buf(cx))?;
            let n = ready!(Pin::new(&mut *writer).poll_write(cx, buffered))?;
            // A writer claiming more than it was given: count no more than it had.
            let n = n.min(buffered.len());
            Poll::Ready(Ok::<_, io::Error>(n))
        });
        let n = match written.await {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the sink accepted no more bytes",
                ));
            }
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        Pin::new(&mut *reader).consume(n);
        unflushed = true;
        copied += n as u64;
    }
    writer.flush().await?;
    Ok(copied)
}

/// Passes `read` (a poll of the reader) on; while it is `Pending`, first flushes what
/// `writer` took since its last flush (`unflushed`), so that a buffering writer passes a
/// request on to a peer that must answer it before more comes.
fn flush_while_waiting<T, W>(
    read: Poll<io::Result<T>>,
    cx: &mut Context<'_>,
    writer: &mut W,
    unflushed: &mut bool,
) -> Poll<io::Result<T>>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    if read.is_pending() && *unflushed {
        ready!(Pin::new(writer).poll_flush(cx))?;
        *unflushed = false;
    }
    read
}
