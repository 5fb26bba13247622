//! `read().await`-style methods on top of the poll-level traits.

use std::future::{Future, poll_fn};
use std::io::{self, IoSlice};
use std::pin::Pin;

use super::buf_read_ext::{TextInString, not_utf8};
use super::{AsyncRead, AsyncWrite, Chain, Take};

/// Defines `AsyncReadExt`'s number readers: for each `type: big_endian, little_endian;`,
/// two methods that read the type's bytes with `read_exact` and convert them.
macro_rules! read_numbers {
    ($($t:ident: $be:ident, $le:ident;)*) => {$(
        read_numbers!(@one $t, $be, from_be_bytes, "big-endian (network order)", to_be_bytes);
        read_numbers!(@one $t, $le, from_le_bytes, "little-endian", to_le_bytes);
    )*};
    (@one $t:ident, $name:ident, $from:ident, $order:literal, $to:ident) => {
        #[doc = concat!("Reads a ", $order, " `", stringify!($t), "`; `UnexpectedEof` if the \
            stream ends first. Not cancel-safe, as [`read_exact`](AsyncReadExt::read_exact).")]
        ///
        /// # Examples
        ///
        /// ```
        /// use mirage::io::AsyncReadExt;
        ///
        /// let mut core = mirage::Core::new().unwrap();
        /// core.run(async {
        #[doc = concat!("    let bytes = 7", stringify!($t), ".", stringify!($to), "();")]
        ///     let mut input: &[u8] = &bytes;
        #[doc = concat!("    assert_eq!(input.", stringify!($name), "().await.unwrap(), 7",
            stringify!($t), ");")]
        /// });
        /// ```
        fn $name(&mut self) -> impl Future<Output = io::Result<$t>> + '_
        where
            Self: Unpin,
        {
            async move {
                let mut bytes = [0; std::mem::size_of::<$t>()];
                self.read_exact(&mut bytes).await?;
                Ok($t::$from(bytes))
            }
        }
    };
}

/// Defines `AsyncWriteExt`'s number writers, the counterparts of `read_numbers!`.
macro_rules! write_numbers {
    ($($t:ident: $be:ident, $le:ident;)*) => {$(
        write_numbers!(@one $t, $be, to_be_bytes, "big-endian (network order)");
        write_numbers!(@one $t, $le, to_le_bytes, "little-endian");
    )*};
    (@one $t:ident, $name:ident, $to:ident, $order:literal) => {
        #[doc = concat!("Writes `value` as a ", $order, " `", stringify!($t), "`. Not \
            cancel-safe, as [`write_all`](AsyncWriteExt::write_all).")]
        ///
        /// # Examples
        ///
        /// ```
        /// use mirage::io::AsyncWriteExt;
        ///
        /// let mut core = mirage::Core::new().unwrap();
        /// let mut out = Vec::new();
        #[doc = concat!("core.run(out.", stringify!($name), "(7", stringify!($t),
            ")).unwrap();")]
        #[doc = concat!("assert_eq!(out, 7", stringify!($t), ".", stringify!($to), "());")]
        /// ```
        fn $name(&mut self, value: $t) -> impl Future<Output = io::Result<()>> + '_
        where
            Self: Unpin,
        {
            async move { self.write_all(&value.$to()).await }
        }
    };
}

/// Async methods for every [`AsyncRead`], named after [`std::io::Read`]'s.
///
/// Each read calls [`AsyncRead::start_read`] first, so it never inherits the state (such
/// as a socket's read timeout timer) of an earlier read dropped while pending.
///
/// tokio's `read_buf`, which appends to a `bytes::BufMut` (a `BytesMut` that a frame
/// parser keeps), is not here, nor `AsyncWriteExt`'s `write_buf` and `write_all_buf`:
/// Mirage does not depend on `bytes`. Read into the end of a `Vec` instead:
/// `let at = buf.len(); buf.resize(at + 4096, 0); let n = reader.read(&mut buf[at..]).await?;
/// buf.truncate(at + n);`.
///
/// # Examples
///
/// ```
/// use mirage::io::AsyncReadExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut input: &[u8] = b"hello world";
///     let mut word = [0; 5];
///     input.read_exact(&mut word).await.unwrap();
///     assert_eq!(&word, b"hello");
///     let mut rest = Vec::new();
///     input.read_to_end(&mut rest).await.unwrap();
///     assert_eq!(rest, b" world");
/// });
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Reads into `buf`, returning how many bytes were read; 0 means end of stream.
    /// Cancel-safe: if the future is dropped before it completes, no data was read.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        Pin::new(&mut *self).start_read();
        poll_fn(move |cx| Pin::new(&mut *self).poll_read(cx, buf))
    }

    /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the stream ends first. Not
    /// cancel-safe: dropping it may leave part of `buf` filled and those bytes consumed.
    ///
    /// Returns `()`, as [`std::io::Read::read_exact`] does, where tokio's returns the
    /// count, always `buf.len()`: code ported from tokio that uses the count uses
    /// `buf.len()` instead.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<()>> + 'a
    where
        Self: Unpin,
    {
        async move {
            let mut filled = 0;
            while filled < buf.len() {
                match self.read(&mut buf[filled..]).await {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "stream ended before the buffer was filled",
                        ));
                    }
                    Ok(n) => filled += n.min(buf.len() - filled),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            Ok(())
        }
    }

    /// Reads until end of stream, appending to `buf`; returns how many bytes were read.
    /// Cancel-safe in that no data is lost: if the future is dropped, every byte it read
    /// is already in `buf` (only the count is lost).
    fn read_to_end<'a>(
        &'a mut self,
        buf: &'a mut Vec<u8>,
    ) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        async move {
            let start = buf.len();
            let mut chunk = [0u8; 8192];
            loop {
                match self.read(&mut chunk).await {
                    Ok(0) => return Ok(buf.len() - start),
                    Ok(n) => buf.extend_from_slice(&chunk[..n.min(chunk.len())]),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
        }
    }

    /// Reads until end of stream and appends what it read to `buf` as text; returns how
    /// many bytes were read. Fails with `InvalidData`, leaving `buf` as it was, if the
    /// bytes are not UTF-8, as [`std::io::Read::read_to_string`] does. Another error leaves
    /// in `buf` what was read before it, if that much is UTF-8, as `std` does, where tokio's
    /// `read_to_string` takes it back out and leaves `buf` as it was. Not cancel-safe: the
    /// bytes read before the future is dropped are lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut text = String::from("> ");
    ///     let mut input: &[u8] = "héllo".as_bytes();
    ///     assert_eq!(input.read_to_string(&mut text).await.unwrap(), 6);
    ///     assert_eq!(text, "> héllo");
    ///
    ///     let mut invalid: &[u8] = &[b'a', 0xff];
    ///     let err = invalid.read_to_string(&mut text).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    ///     assert_eq!(text, "> héllo", "unchanged");
    /// });
    /// ```
    fn read_to_string<'a>(
        &'a mut self,
        buf: &'a mut String,
    ) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        async move {
            // The text goes straight into `buf`'s bytes, and back out if it is not UTF-8.
            let mut text = TextInString::new(buf);
            let read = self.read_to_end(text.bytes()).await;
            match (read, text.finish()) {
                (Ok(n), true) => Ok(n),
                (Ok(_), false) => Err(not_utf8()),
                (Err(err), _) => Err(err),
            }
        }
    }

    /// A reader that yields at most `limit` bytes of this one, then the end of the stream:
    /// see [`Take`]. As [`std::io::Read::take`]; pass `&mut reader` to keep the reader.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut text = String::new();
    ///     (&b"hello world"[..]).take(5).read_to_string(&mut text).await.unwrap();
    ///     assert_eq!(text, "hello");
    /// });
    /// ```
    fn take(self, limit: u64) -> Take<Self>
    where
        Self: Sized,
    {
        Take::new(self, limit)
    }

    /// A reader that yields everything of this one, then everything of `next`: see
    /// [`Chain`]. As [`std::io::Read::chain`].
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut both = Vec::new();
    ///     (&b"head "[..]).chain(&b"tail"[..]).read_to_end(&mut both).await.unwrap();
    ///     assert_eq!(both, b"head tail");
    /// });
    /// ```
    fn chain<R: AsyncRead>(self, next: R) -> Chain<Self, R>
    where
        Self: Sized,
    {
        Chain::new(self, next)
    }

    /// Reads one byte; `UnexpectedEof` at end of stream. Cancel-safe: a byte is either
    /// read and returned, or not read.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut input: &[u8] = &[0xff, 0x80];
    ///     assert_eq!(input.read_u8().await.unwrap(), 255);
    ///     assert_eq!(input.read_i8().await.unwrap(), -128);
    ///     assert!(input.read_u8().await.is_err());
    /// });
    /// ```
    fn read_u8(&mut self) -> impl Future<Output = io::Result<u8>> + '_
    where
        Self: Unpin,
    {
        async move {
            let mut byte = [0];
            self.read_exact(&mut byte).await?;
            Ok(byte[0])
        }
    }

    /// Reads one byte as an `i8`; as [`read_u8`](AsyncReadExt::read_u8).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut input: &[u8] = &[0xfe];
    /// assert_eq!(core.run(input.read_i8()).unwrap(), -2);
    /// ```
    fn read_i8(&mut self) -> impl Future<Output = io::Result<i8>> + '_
    where
        Self: Unpin,
    {
        async move { Ok(self.read_u8().await? as i8) }
    }

    read_numbers! {
        u16: read_u16, read_u16_le;
        i16: read_i16, read_i16_le;
        u32: read_u32, read_u32_le;
        i32: read_i32, read_i32_le;
        u64: read_u64, read_u64_le;
        i64: read_i64, read_i64_le;
        u128: read_u128, read_u128_le;
        i128: read_i128, read_i128_le;
        f32: read_f32, read_f32_le;
        f64: read_f64, read_f64_le;
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// Async methods for every [`AsyncWrite`], named after [`std::io::Write`]'s.
///
/// Each operation calls [`AsyncWrite::start_write`] first, so it never inherits the state
/// (such as a socket's write timeout timer) of an earlier one dropped while pending.
///
/// # Examples
///
/// ```
/// use mirage::io::AsyncWriteExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// let mut out = Vec::new();
/// core.run(async {
///     out.write_all(b"hello ").await.unwrap();
///     out.write(b"world").await.unwrap();
///     out.flush().await.unwrap();
/// });
/// assert_eq!(out, b"hello world");
/// ```
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes from `buf`, returning how many bytes were written. Cancel-safe: if the future
    /// is dropped before it completes, nothing was written.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        Pin::new(&mut *self).start_write();
        poll_fn(move |cx| Pin::new(&mut *self).poll_write(cx, buf))
    }

    /// Writes from several buffers with one system call where possible. Cancel-safe: if
    /// the future is dropped before it completes, nothing was written.
    fn write_vectored<'a>(
        &'a mut self,
        bufs: &'a [IoSlice<'a>],
    ) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        Pin::new(&mut *self).start_write();
        poll_fn(move |cx| Pin::new(&mut *self).poll_write_vectored(cx, bufs))
    }

    /// Writes all of `buf`; `WriteZero` if the sink stops accepting bytes. Not cancel-safe:
    /// dropping it may leave a prefix of `buf` written.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a
    where
        Self: Unpin,
    {
        async move {
            let mut rest = buf;
            while !rest.is_empty() {
                match self.write(rest).await {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::WriteZero,
                            "the sink accepted no more bytes",
                        ));
                    }
                    Ok(n) => rest = &rest[n.min(rest.len())..],
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            Ok(())
        }
    }

    /// Flushes buffered data (sockets have none). Cancel-safe for sockets, whose flush
    /// completes at once; for another sink, as far as its `poll_flush` is.
    fn flush(&mut self) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        Pin::new(&mut *self).start_write();
        poll_fn(move |cx| Pin::new(&mut *self).poll_flush(cx))
    }

    /// Shuts down the write side: the peer reads end of stream. Cancel-safe for sockets,
    /// whose close completes at once; for another sink, as far as its `poll_close` is.
    fn close(&mut self) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        Pin::new(&mut *self).start_write();
        poll_fn(move |cx| Pin::new(&mut *self).poll_close(cx))
    }

    /// Shuts down the write side: tokio's name for [`close`](AsyncWriteExt::close), which
    /// it is. The poll-level method is [`AsyncWrite::poll_close`] (tokio's `poll_shutdown`).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{duplex, AsyncReadExt, AsyncWriteExt};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (mut a, mut b) = duplex(16);
    ///     a.write_all(b"bye").await.unwrap();
    ///     a.shutdown().await.unwrap();
    ///     let mut got = Vec::new();
    ///     b.read_to_end(&mut got).await.unwrap(); // ends: `a` shut down
    ///     assert_eq!(got, b"bye");
    /// });
    /// ```
    fn shutdown(&mut self) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        self.close()
    }

    /// Writes one byte. Cancel-safe: the byte is either written or not.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut out = Vec::new();
    /// core.run(async {
    ///     out.write_u8(255).await.unwrap();
    ///     out.write_i8(-128).await.unwrap();
    /// });
    /// assert_eq!(out, [0xff, 0x80]);
    /// ```
    fn write_u8(&mut self, value: u8) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        async move { self.write_all(&[value]).await }
    }

    /// Writes one `i8`; as [`write_u8`](AsyncWriteExt::write_u8).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncWriteExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let mut out = Vec::new();
    /// core.run(out.write_i8(-2)).unwrap();
    /// assert_eq!(out, [0xfe]);
    /// ```
    fn write_i8(&mut self, value: i8) -> impl Future<Output = io::Result<()>> + '_
    where
        Self: Unpin,
    {
        async move { self.write_all(&value.to_be_bytes()).await }
    }

    write_numbers! {
        u16: write_u16, write_u16_le;
        i16: write_i16, write_i16_le;
        u32: write_u32, write_u32_le;
        i32: write_i32, write_i32_le;
        u64: write_u64, write_u64_le;
        i64: write_i64, write_i64_le;
        u128: write_u128, write_u128_le;
        i128: write_i128, write_i128_le;
        f32: write_f32, write_f32_le;
        f64: write_f64, write_f64_le;
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}
