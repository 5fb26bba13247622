//! `split`: a byte stream's borrowed read and write halves, as tokio's `tcp::ReadHalf` and
//! `tcp::WriteHalf` (and their Unix twins).
//!
//! Mirage's streams read and write through `&self`, so a `&TcpStream` already reads and
//! writes; the halves give that the names and types code written against tokio's `split`
//! expects (`let (mut rd, mut wr) = socket.split(); io::copy(&mut rd, &mut wr)`). The
//! stream type provides its `AsyncRead` and `AsyncWrite` for `&$stream`; the macro writes
//! the method and the two types around them.

/// Writes `$stream::split`, and `ReadHalf` and `WriteHalf` borrowing a `$stream`, in the
/// module that calls it; `$example` is the doc example of `split`, and `$pair` the lines
/// of the halves' doc examples that connect `mut ours` to `peer` (inside `async`, where `?`
/// returns an `io::Result`).
macro_rules! impl_borrowed_split {
    ($stream:ident, $example:literal, $pair:literal) => {
        impl $stream {
            /// Borrows the stream as a read half and a write half, which two futures of one
            /// task (such as the two directions of a [`copy`](mirage_core::io::copy)) use at
            /// once. tokio's `split`; [`into_split`](Self::into_split) gives halves that
            /// move into two tasks.
            ///
            /// Since the stream reads and writes through `&self`, `(&stream, &stream)` does
            /// the same; the halves carry tokio's names.
            ///
            /// # Examples
            ///
            #[doc = $example]
            pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
                (ReadHalf(self), WriteHalf(self))
            }
        }

        #[doc = concat!(
                    "The read half of a [`", stringify!($stream), "`], borrowed by [`",
                    stringify!($stream), "::split`]. Reads with ",
                    "[`AsyncReadExt`](mirage_core::io::AsyncReadExt); the stream's other methods ",
                    "are reached through [`as_ref`](AsRef::as_ref).\n\n",
                    "# Examples\n\n",
                    "```\n",
                    "use mirage::io::AsyncReadExt;\n\n",
                    "let mut core = mirage::Core::new()?;\n",
                    "core.run(async {\n",
                    $pair,
                    "    peer.write_all(b\"hi\").await?;\n",
                    "    let (mut rd, _wr) = ours.split();\n",
                    "    let mut buf = [0; 2];\n",
                    "    rd.read_exact(&mut buf).await?;\n",
                    "    assert_eq!(&buf, b\"hi\");\n",
                    "    std::io::Result::Ok(())\n",
                    "})?;\n",
                    "# std::io::Result::Ok(())\n",
                    "```"
                )]
        pub struct ReadHalf<'a>(&'a $stream);

        #[doc = concat!(
                    "The write half of a [`", stringify!($stream), "`], borrowed by [`",
                    stringify!($stream), "::split`]. Writes with ",
                    "[`AsyncWriteExt`](mirage_core::io::AsyncWriteExt), whose `shutdown` shuts ",
                    "the stream's write direction; the stream's other methods are reached through ",
                    "[`as_ref`](AsRef::as_ref).\n\n",
                    "# Examples\n\n",
                    "```\n",
                    "use mirage::io::{AsyncReadExt, AsyncWriteExt};\n\n",
                    "let mut core = mirage::Core::new()?;\n",
                    "core.run(async {\n",
                    $pair,
                    "    let (_rd, mut wr) = ours.split();\n",
                    "    wr.write_all(b\"hi\").await?;\n",
                    "    wr.shutdown().await?;\n",
                    "    let mut got = Vec::new();\n",
                    "    (&peer).read_to_end(&mut got).await?;\n",
                    "    assert_eq!(got, b\"hi\");\n",
                    "    std::io::Result::Ok(())\n",
                    "})?;\n",
                    "# std::io::Result::Ok(())\n",
                    "```"
                )]
        pub struct WriteHalf<'a>(&'a $stream);

        impl mirage_core::io::AsyncRead for ReadHalf<'_> {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
            }

            fn start_read(self: std::pin::Pin<&mut Self>) {
                std::pin::Pin::new(&mut self.get_mut().0).start_read()
            }
        }

        impl mirage_core::io::AsyncWrite for WriteHalf<'_> {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().0).poll_flush(cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().0).poll_close(cx)
            }

            fn start_write(self: std::pin::Pin<&mut Self>) {
                std::pin::Pin::new(&mut self.get_mut().0).start_write()
            }
        }

        impl AsRef<$stream> for ReadHalf<'_> {
            fn as_ref(&self) -> &$stream {
                self.0
            }
        }

        impl AsRef<$stream> for WriteHalf<'_> {
            fn as_ref(&self) -> &$stream {
                self.0
            }
        }

        impl std::fmt::Debug for ReadHalf<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("ReadHalf").field(self.0).finish()
            }
        }

        impl std::fmt::Debug for WriteHalf<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("WriteHalf").field(self.0).finish()
            }
        }
    };
}

pub(crate) use impl_borrowed_split;
