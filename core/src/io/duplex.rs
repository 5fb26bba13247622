//! `duplex`: two connected in-memory byte streams, like a socket pair without the kernel.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::pipe::{After, Pipe};
use super::{AsyncRead, AsyncWrite};

/// Creates two connected in-memory streams: bytes written to one are read from the other.
/// Each direction buffers at most `max_buf_size` bytes; a write to a full direction waits
/// for the other end to read.
///
/// For testing protocol code written over [`AsyncRead`] and [`AsyncWrite`] without
/// sockets, or connecting two such pieces of code within one Core. Like the Core's other
/// local types, the streams are `!Send`.
///
/// # Panics
///
/// If `max_buf_size` is zero.
///
/// # Examples
///
/// ```
/// use mirage::io::{duplex, AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (mut client, mut server) = duplex(64);
///     mirage::spawn(async move {
///         let mut request = [0; 4];
///         server.read_exact(&mut request).await.unwrap();
///         server.write_all(b"pong").await.unwrap();
///     });
///     client.write_all(b"ping").await.unwrap();
///     let mut reply = Vec::new();
///     client.read_to_end(&mut reply).await.unwrap(); // the server's end was dropped
///     assert_eq!(reply, b"pong");
/// });
/// ```
#[track_caller]
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    assert!(
        max_buf_size > 0,
        "duplex: max_buf_size must be greater than zero"
    );
    let one = Rc::new(RefCell::new(Pipe::new("duplex stream", max_buf_size)));
    let other = Rc::new(RefCell::new(Pipe::new("duplex stream", max_buf_size)));
    (
        DuplexStream {
            read: Rc::clone(&one),
            write: Rc::clone(&other),
        },
        DuplexStream {
            read: other,
            write: one,
        },
    )
}

/// One end of a [`duplex`] pair: reads what the other end writes, and the other way round.
///
/// Closing its writing ([`AsyncWriteExt::close`](super::AsyncWriteExt::close)) makes the
/// other end read end of stream after the bytes already written. Dropping it
/// does that too, and makes the other end's writes fail with `BrokenPipe`, as a closed
/// socket's peer sees.
///
/// # Examples
///
/// ```
/// use mirage::io::{duplex, AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (mut a, b) = duplex(16);
///     drop(b);
///     let err = a.write_all(b"anyone?").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
///     assert_eq!(a.read(&mut [0; 8]).await.unwrap(), 0);
/// });
/// ```
pub struct DuplexStream {
    /// The direction this end reads from.
    read: Rc<RefCell<Pipe>>,
    /// The direction this end writes to.
    write: Rc<RefCell<Pipe>>,
}

/// Runs `op` on `pipe` under its borrow, then what it left to do.
fn with_pipe<R>(pipe: &RefCell<Pipe>, op: impl FnOnce(&mut Pipe, &mut After) -> R) -> R {
    let mut after = After::default();
    let result = op(&mut pipe.borrow_mut(), &mut after);
    after.run();
    result
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        with_pipe(&self.read, |pipe, after| pipe.poll_read(cx, buf, after))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        with_pipe(&self.write, |pipe, after| {
            pipe.poll_write(cx, &[IoSlice::new(buf)], after)
        })
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        with_pipe(&self.write, |pipe, after| pipe.poll_write(cx, bufs, after))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let after = self.write.borrow_mut().close_write();
        after.run();
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        let closed = self.write.borrow_mut().close_write();
        let unread = self.read.borrow_mut().close_read();
        closed.run();
        unread.run();
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuplexStream")
            .field("readable", &self.read.borrow().len())
            .field("written", &self.write.borrow().len())
            .finish()
    }
}
