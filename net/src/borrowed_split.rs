//! `split`: a byte stream's borrowed read and write halves, as tokio's `tcp::ReadHalf` and
//! `tcp::WriteHalf` (and their Unix twins).
//!
//! Mirage's streams read and write through `&self`, so a `&TcpStream` already reads and
//! writes; the halves give that the names and types code written against tokio's `split`
//! expects (`let (mut rd, mut wr) = socket.split(); io::copy(&mut rd, &mut wr)`). The
//! stream type provides its `AsyncRead` and `AsyncWrite` for `&$stream`, and the waits,
//! `try_` calls and addresses that take `&self`; the macro writes the method, the two
//! types around them, and the halves' methods of tokio's that forward to the stream's.

/// Writes `$stream::split`, and `ReadHalf` and `WriteHalf` borrowing a `$stream`, in the
/// module that calls it; `$addr` is the stream's address type, `$example` the doc example
/// of `split`, and `$pair` the lines of the halves' doc examples that connect `mut ours`
/// to `peer` (inside `async`, where `?` returns an `io::Result`).
macro_rules! impl_borrowed_split {
    ($stream:ident, $addr:ty, $example:literal, $pair:literal) => {
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

        impl ReadHalf<'_> {
            #[doc = concat!(
                "Reads into `buf` without consuming what it reads, as [`",
                stringify!($stream),
                "::peek`]: ",
                "the next read returns the same bytes. Cancel-safe.\n",
                "\n# Examples\n\n```\n",
                "use mirage::io::AsyncReadExt;\n",
                "\nlet mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    peer.write_all(b\"hi\").await?;\n",
                "    let (mut rd, _wr) = ours.split();\n",
                "    let mut buf = [0; 2];\n",
                "    rd.peek(&mut buf).await?;\n",
                "    assert_eq!(&buf, b\"hi\");\n",
                "    rd.read_exact(&mut buf).await?;\n",
                "    assert_eq!(&buf, b\"hi\", \"the peeked bytes are read again\");\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub async fn peek(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.0.peek(buf).await
            }

            #[doc = concat!(
                "Waits until the stream is ready in at least one of `interest`'s directions and ",
                "returns the states that are, as [`",
                stringify!($stream),
                "::ready`]. Cancel-safe.\n",
                "\n# Examples\n\n```\n",
                "use mirage::io::Interest;\n",
                "\nlet mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    peer.write_all(b\"x\").await?;\n",
                "    let (rd, _wr) = ours.split();\n",
                "    assert!(rd.ready(Interest::READABLE).await?.is_readable());\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub async fn ready(
                &self,
                interest: mirage_core::io::Interest,
            ) -> std::io::Result<mirage_core::io::Ready> {
                self.0.ready(interest).await
            }

            #[doc = concat!(
                "Waits until the stream is readable, as [`", stringify!($stream), "::readable`]; ",
                "pair it with [`try_read`](Self::try_read). Cancel-safe.\n",
                "\n# Examples\n\n```\n",
                "let mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    peer.write_all(b\"x\").await?;\n",
                "    let (rd, _wr) = ours.split();\n",
                "    rd.readable().await?;\n",
                "    assert_eq!(rd.try_read(&mut [0; 4])?, 1);\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub async fn readable(&self) -> std::io::Result<()> {
                self.0.readable().await
            }

            #[doc = concat!(
                "Reads what the socket holds into `buf` without waiting, as [`",
                stringify!($stream),
                "::try_read`]: [`WouldBlock`](std::io::ErrorKind::WouldBlock) when it holds ",
                "nothing.\n",
                "\n# Examples\n\n```\n",
                "let mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (rd, _wr) = ours.split();\n",
                "    let err = rd.try_read(&mut [0; 4]).unwrap_err();\n",
                "    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);\n",
                "    peer.write_all(b\"x\").await?;\n",
                "    rd.readable().await?;\n",
                "    assert_eq!(rd.try_read(&mut [0; 4])?, 1);\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.0.try_read(buf)
            }

            #[doc = concat!(
                "Reads what the socket holds into several buffers without waiting, as [`",
                stringify!($stream),
                "::try_read_vectored`].\n",
                "\n# Examples\n\n```\n",
                "use std::io::IoSliceMut;\n",
                "\nlet mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    peer.write_all(b\"ab\").await?;\n",
                "    let (rd, _wr) = ours.split();\n",
                "    rd.readable().await?;\n",
                "    let (mut a, mut b) = ([0; 1], [0; 1]);\n",
                "    let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];\n",
                "    let n = rd.try_read_vectored(&mut bufs)?;\n",
                "    assert_eq!((n, a, b), (2, *b\"a\", *b\"b\"));\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub fn try_read_vectored(
                &self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                self.0.try_read_vectored(bufs)
            }

            #[doc = concat!(
                "The address of the remote end, as [`", stringify!($stream), "::peer_addr`].\n",
                "\n# Examples\n\n```\n",
                "let mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (rd, _wr) = ours.split();\n",
                "    let addr = rd.peer_addr()?;\n",
                "    assert_eq!(format!(\"{addr:?}\"), format!(\"{:?}\", peer.local_addr()?));\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.0.peer_addr()
            }

            #[doc = concat!(
                "The address of this end, as [`", stringify!($stream), "::local_addr`].\n",
                "\n# Examples\n\n```\n",
                "let mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (rd, _wr) = ours.split();\n",
                "    let addr = rd.local_addr()?;\n",
                "    assert_eq!(format!(\"{addr:?}\"), format!(\"{:?}\", peer.peer_addr()?));\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.0.local_addr()
            }
        }

        impl WriteHalf<'_> {
            #[doc = concat!(
                "Waits until the stream is ready in at least one of `interest`'s directions and ",
                "returns the states that are, as [`",
                stringify!($stream),
                "::ready`]. Cancel-safe.\n",
                "\n# Examples\n\n```\n",
                "use mirage::io::Interest;\n",
                "\nlet mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (_rd, wr) = ours.split();\n",
                "    assert!(wr.ready(Interest::WRITABLE).await?.is_writable());\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub async fn ready(
                &self,
                interest: mirage_core::io::Interest,
            ) -> std::io::Result<mirage_core::io::Ready> {
                self.0.ready(interest).await
            }

            #[doc = concat!(
                "Waits until the stream is writable, as [`", stringify!($stream), "::writable`]; ",
                "pair it with [`try_write`](Self::try_write). Cancel-safe.\n",
                "\n# Examples\n\n```\n",
                "let mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (_rd, wr) = ours.split();\n",
                "    wr.writable().await?;\n",
                "    assert_eq!(wr.try_write(b\"x\")?, 1);\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub async fn writable(&self) -> std::io::Result<()> {
                self.0.writable().await
            }

            #[doc = concat!(
                "Writes what the socket has room for from `buf` without waiting, as [`",
                stringify!($stream),
                "::try_write`]: [`WouldBlock`](std::io::ErrorKind::WouldBlock) when it has none.\n",
                "\n# Examples\n\n```\n",
                "use mirage::io::AsyncReadExt;\n",
                "\nlet mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (_rd, wr) = ours.split();\n",
                "    wr.writable().await?;\n",
                "    assert_eq!(wr.try_write(b\"hi\")?, 2);\n",
                "    let mut buf = [0; 2];\n",
                "    (&peer).read_exact(&mut buf).await?;\n",
                "    assert_eq!(&buf, b\"hi\");\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.try_write(buf)
            }

            #[doc = concat!(
                "Writes from several buffers without waiting, as [`",
                stringify!($stream),
                "::try_write_vectored`].\n",
                "\n# Examples\n\n```\n",
                "use std::io::IoSlice;\n",
                "use mirage::io::AsyncReadExt;\n",
                "\nlet mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (_rd, wr) = ours.split();\n",
                "    wr.writable().await?;\n",
                "    let bufs = [IoSlice::new(b\"a\"), IoSlice::new(b\"b\")];\n",
                "    assert_eq!(wr.try_write_vectored(&bufs)?, 2);\n",
                "    let mut buf = [0; 2];\n",
                "    (&peer).read_exact(&mut buf).await?;\n",
                "    assert_eq!(&buf, b\"ab\");\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub fn try_write_vectored(
                &self,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::io::Result<usize> {
                self.0.try_write_vectored(bufs)
            }

            #[doc = concat!(
                "The address of the remote end, as [`", stringify!($stream), "::peer_addr`].\n",
                "\n# Examples\n\n```\n",
                "let mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (_rd, wr) = ours.split();\n",
                "    let addr = wr.peer_addr()?;\n",
                "    assert_eq!(format!(\"{addr:?}\"), format!(\"{:?}\", peer.local_addr()?));\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.0.peer_addr()
            }

            #[doc = concat!(
                "The address of this end, as [`", stringify!($stream), "::local_addr`].\n",
                "\n# Examples\n\n```\n",
                "let mut core = mirage::Core::new()?;\n",
                "core.run(async {\n",
                $pair,
                "    let (_rd, wr) = ours.split();\n",
                "    let addr = wr.local_addr()?;\n",
                "    assert_eq!(format!(\"{addr:?}\"), format!(\"{:?}\", peer.peer_addr()?));\n",
                "    std::io::Result::Ok(())\n",
                "})?;\n",
                "# std::io::Result::Ok(())\n",
                "```"
            )]
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.0.local_addr()
            }
        }

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
