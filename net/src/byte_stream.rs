//! The poll-level traits of a byte stream (`TcpStream`, `UnixStream`), for the type and for
//! a shared reference to it, as std implements `Read` and `Write` for `&TcpStream`.
//!
//! The stream type provides `poll_read_priv`, `poll_write_priv`,
//! `poll_write_vectored_priv`, `shutdown` and its `io: Source` field; the macro writes the
//! four impls around them.

/// Implements `AsyncRead` and `AsyncWrite` for `$ty` and `&$ty`.
macro_rules! impl_byte_stream {
    ($ty:ty) => {
        $crate::byte_stream::impl_byte_stream!(@one $ty);
        $crate::byte_stream::impl_byte_stream!(@one &$ty);
    };
    (@one $ty:ty) => {
        /// Poll-level reads; with a read timeout set, a read that stays pending longer fails
        /// with `TimedOut`, counted from its first pending poll after `start_read`. Only the
        /// last task to poll is woken.
        impl mirage_core::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.poll_read_priv(cx, buf)
            }

            fn start_read(self: std::pin::Pin<&mut Self>) {
                self.io.start_poll_op(mirage_core::io::Direction::Read)
            }
        }

        /// Poll-level writes; with a write timeout set, a write that stays pending longer
        /// fails with `TimedOut`, counted from its first pending poll after `start_write`.
        /// An empty write does not wait for room, as with the stream's `write`. `poll_close`
        /// shuts down the write half; as tokio's `poll_shutdown`, it succeeds on a stream
        /// the peer has already reset or closed, where `shutdown(2)` says `ENOTCONN`.
        impl mirage_core::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                // A cleanup call: a stream with no connection left to shut is shut.
                std::task::Poll::Ready(match self.shutdown(std::net::Shutdown::Write) {
                    Err(err) if err.kind() == std::io::ErrorKind::NotConnected => Ok(()),
                    result => result,
                })
            }

            fn start_write(self: std::pin::Pin<&mut Self>) {
                self.io.start_poll_op(mirage_core::io::Direction::Write)
            }
        }
    };
}

pub(crate) use impl_byte_stream;
