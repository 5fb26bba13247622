//! `Take`: a reader cut off after a number of bytes.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{AsyncBufRead, AsyncRead};

/// A reader that yields at most `limit` bytes of another, then the end of the stream; made
/// by [`AsyncReadExt::take`](super::AsyncReadExt::take). The asynchronous counterpart of
/// [`std::io::Take`].
///
/// The inner reader is not read past the limit: what follows stays there, for
/// [`into_inner`](Take::into_inner). Like the other wrappers, it needs an `Unpin` reader.
///
/// # Examples
///
/// A length-prefixed body, read without reading past it:
///
/// ```
/// use mirage::io::AsyncReadExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut input: &[u8] = b"\x05hello, and the next message";
///     let len = input.read_u8().await.unwrap();
///     let mut body = Vec::new();
///     (&mut input).take(u64::from(len)).read_to_end(&mut body).await.unwrap();
///     assert_eq!(body, b"hello");
///     assert_eq!(input, b", and the next message");
/// });
/// ```
pub struct Take<R> {
    inner: R,
    /// The bytes still to be read before the end.
    limit: u64,
}

impl<R> Take<R> {
    pub(super) fn new(inner: R, limit: u64) -> Take<R> {
        Take { inner, limit }
    }

    /// The bytes still to be read before this reader ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut take = (&b"abcdef"[..]).take(4);
    ///     take.read_exact(&mut [0; 3]).await.unwrap();
    ///     assert_eq!(take.limit(), 1);
    /// });
    /// ```
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Sets the bytes still to be read, whatever was read so far: a reader that ended can
    /// go on.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut take = (&b"abcdef"[..]).take(2);
    ///     let mut got = Vec::new();
    ///     take.read_to_end(&mut got).await.unwrap();
    ///     take.set_limit(3);
    ///     take.read_to_end(&mut got).await.unwrap();
    ///     assert_eq!(got, b"abcde");
    /// });
    /// ```
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The reader inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let take = (&b"abc"[..]).take(1);
    /// assert_eq!(*take.get_ref(), b"abc");
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The reader inside, mutably. Reading from it directly does not count against the
    /// limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut take = (&b"abc"[..]).take(1);
    /// *take.get_mut() = &b"xyz"[..];
    /// assert_eq!(*take.get_ref(), b"xyz");
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Unwraps the reader, with what was not read still in it.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut take = (&b"head|tail"[..]).take(5);
    ///     take.read_to_end(&mut Vec::new()).await.unwrap();
    ///     assert_eq!(take.into_inner(), b"tail");
    /// });
    /// ```
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// How many of `available` bytes a reader with `limit` left may hand out.
fn allowed(limit: u64, available: usize) -> usize {
    usize::try_from(limit).map_or(available, |limit| limit.min(available))
}

impl<R: AsyncRead + Unpin> AsyncRead for Take<R> {
    /// Reads at most [`limit`](Take::limit) bytes from the inner reader; `Ok(0)` without
    /// reading it once the limit is reached.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.limit == 0 {
            return Poll::Ready(Ok(0));
        }
        let most = allowed(this.limit, buf.len());
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut buf[..most]))?;
        let n = n.min(most);
        this.limit -= n as u64;
        Poll::Ready(Ok(n))
    }

    fn start_read(self: Pin<&mut Self>) {
        Pin::new(&mut self.get_mut().inner).start_read()
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Take<R> {
    /// The inner reader's buffered bytes, cut at the limit; empty without reading it once
    /// the limit is reached.
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.limit == 0 {
            return Poll::Ready(Ok(&[]));
        }
        let buffered = ready!(Pin::new(&mut this.inner).poll_fill_buf(cx))?;
        Poll::Ready(Ok(&buffered[..allowed(this.limit, buffered.len())]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let amt = allowed(this.limit, amt);
        this.limit -= amt as u64;
        Pin::new(&mut this.inner).consume(amt);
    }
}

impl<R: fmt::Debug> fmt::Debug for Take<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Take")
            .field("reader", &self.inner)
            .field("limit", &self.limit)
            .finish()
    }
}
