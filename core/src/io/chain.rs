//! `Chain`: one reader, then another.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{AsyncBufRead, AsyncRead};

/// A reader that yields everything of a first reader, then everything of a second; made by
/// [`AsyncReadExt::chain`](super::AsyncReadExt::chain). The asynchronous counterpart of
/// [`std::io::Chain`].
///
/// The first reader counts as done once a read of it with room in the buffer returns 0
/// (the end of its stream); it is not read again. Like the other wrappers, it needs
/// `Unpin` readers.
///
/// # Examples
///
/// Putting back bytes read ahead, in front of the rest of a stream:
///
/// ```
/// use mirage::io::AsyncReadExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let peeked: &[u8] = b"GET ";
///     let rest: &[u8] = b"/index.html";
///     let mut request = String::new();
///     peeked.chain(rest).read_to_string(&mut request).await.unwrap();
///     assert_eq!(request, "GET /index.html");
/// });
/// ```
pub struct Chain<R1, R2> {
    first: R1,
    second: R2,
    /// The first reader reached the end of its stream.
    first_done: bool,
}

impl<R1, R2> Chain<R1, R2> {
    pub(super) fn new(first: R1, second: R2) -> Chain<R1, R2> {
        Chain {
            first,
            second,
            first_done: false,
        }
    }

    /// The two readers inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let chain = (&b"ab"[..]).chain(&b"cd"[..]);
    /// assert_eq!(chain.get_ref(), (&&b"ab"[..], &&b"cd"[..]));
    /// ```
    pub fn get_ref(&self) -> (&R1, &R2) {
        (&self.first, &self.second)
    }

    /// The two readers inside, mutably. Reading from them directly skips what is read.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut chain = (&b"ab"[..]).chain(&b"cd"[..]);
    /// *chain.get_mut().1 = &b"xy"[..];
    /// assert_eq!(*chain.get_ref().1, b"xy");
    /// ```
    pub fn get_mut(&mut self) -> (&mut R1, &mut R2) {
        (&mut self.first, &mut self.second)
    }

    /// Unwraps the two readers, with what was not read still in them.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut chain = (&b"ab"[..]).chain(&b"cd"[..]);
    ///     chain.read_exact(&mut [0; 3]).await.unwrap();
    ///     assert_eq!(chain.into_inner(), (&b""[..], &b"d"[..]));
    /// });
    /// ```
    pub fn into_inner(self) -> (R1, R2) {
        (self.first, self.second)
    }
}

impl<R1: AsyncRead + Unpin, R2: AsyncRead + Unpin> AsyncRead for Chain<R1, R2> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.first_done {
            let n = ready!(Pin::new(&mut this.first).poll_read(cx, buf))?;
            if n > 0 || buf.is_empty() {
                return Poll::Ready(Ok(n));
            }
            this.first_done = true;
        }
        Pin::new(&mut this.second).poll_read(cx, buf)
    }

    /// Starts a read of both readers: one read of the chain may read from both.
    fn start_read(self: Pin<&mut Self>) {
        let this = self.get_mut();
        Pin::new(&mut this.first).start_read();
        Pin::new(&mut this.second).start_read();
    }
}

impl<R1: AsyncBufRead + Unpin, R2: AsyncBufRead + Unpin> AsyncBufRead for Chain<R1, R2> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if !this.first_done {
            match ready!(Pin::new(&mut this.first).poll_fill_buf(cx))? {
                [] => this.first_done = true,
                buffered => return Poll::Ready(Ok(buffered)),
            }
        }
        Pin::new(&mut this.second).poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        if this.first_done {
            Pin::new(&mut this.second).consume(amt)
        } else {
            Pin::new(&mut this.first).consume(amt)
        }
    }
}

impl<R1: fmt::Debug, R2: fmt::Debug> fmt::Debug for Chain<R1, R2> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("first", &self.first)
            .field("second", &self.second)
            .field("first_done", &self.first_done)
            .finish()
    }
}
