//! `read_line().await`-style methods on top of [`AsyncBufRead`].

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::{AsyncBufRead, Lines, Split};

/// Async methods for every [`AsyncBufRead`], named after [`std::io::BufRead`]'s.
///
/// Like [`AsyncReadExt`](super::AsyncReadExt)'s, each call starts a new read operation
/// ([`AsyncRead::start_read`](super::AsyncRead::start_read)): on a socket with a read
/// timeout, each read of the source the call makes may wait that long.
///
/// `read_until` and `read_line` buffer until they find the delimiter, however far away it
/// is: a peer that never sends one grows the buffer without bound. Against untrusted
/// peers, read lines with [`lines`](AsyncBufReadExt::lines) and
/// [`Lines::max_len`], which refuses a longer line.
///
/// # Examples
///
/// ```
/// use mirage::io::AsyncBufReadExt;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let mut input: &[u8] = b"one\ntwo";
///     let mut line = String::new();
///     assert_eq!(input.read_line(&mut line).await.unwrap(), 4);
///     assert_eq!(line, "one\n");
///     line.clear();
///     assert_eq!(input.read_line(&mut line).await.unwrap(), 3); // the last line
///     assert_eq!(line, "two");
///     assert_eq!(input.read_line(&mut line).await.unwrap(), 0); // end of stream
/// });
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// The buffered bytes, first reading more from the source if none are left; empty at
    /// the end of the stream. They stay buffered until [`consume`](AsyncBufReadExt::consume)
    /// marks them read. The `async` form of [`AsyncBufRead::poll_fill_buf`].
    ///
    /// Cancel-safe: if the future is dropped, nothing was consumed.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{AsyncBufReadExt, BufReader};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut reader = BufReader::with_capacity(4, &b"abcdef"[..]);
    ///     assert_eq!(reader.fill_buf().await.unwrap(), b"abcd");
    ///     reader.consume(3);
    ///     assert_eq!(reader.fill_buf().await.unwrap(), b"d");
    ///     reader.consume(1);
    ///     assert_eq!(reader.fill_buf().await.unwrap(), b"ef");
    /// });
    /// ```
    fn fill_buf(&mut self) -> impl Future<Output = io::Result<&[u8]>> + '_
    where
        Self: Unpin,
    {
        Pin::new(&mut *self).start_read();
        // Out of its slot while it is polled, and put back only if the poll is pending.
        let mut slot = Some(self);
        poll_fn(move |cx| {
            let reader = slot.take().expect("fill_buf polled after it completed");
            match Pin::new(&mut *reader).poll_fill_buf(cx) {
                Poll::Ready(Ok(buffered)) => {
                    // SAFETY: this lengthens the borrow of `buffered` from the poll to the
                    // future's `'_`, that of `reader`, and so does not outlive the reader.
                    // `reader`, taken out above, is never used again on this path: the
                    // borrow stays the only one, as it would be in `reader.poll_fill_buf`
                    // called with all of `'_`. Only the borrow checker's handling of a
                    // borrow returned on one path and not the other (NLL "problem case
                    // #3") rejects the safe form, as in tokio's `fill_buf`.
                    let buffered = unsafe { &*std::ptr::from_ref::<[u8]>(buffered) };
                    Poll::Ready(Ok(buffered))
                }
                Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
                Poll::Pending => {
                    slot = Some(reader);
                    Poll::Pending
                }
            }
        })
    }

    /// Marks the first `amt` buffered bytes as read, as [`AsyncBufRead::consume`]. `amt`
    /// is at most the length of what [`fill_buf`](AsyncBufReadExt::fill_buf) returned
    /// (more is clamped).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut input: &[u8] = b"skip:keep";
    /// input.consume(5);
    /// assert_eq!(input, b"keep");
    /// ```
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        Pin::new(self).consume(amt)
    }

    /// Reads up to and including `byte`, or to the end of the stream, appending to `buf`;
    /// returns how many bytes were appended (0 at the end of the stream).
    ///
    /// Cancel-safe in that no data is lost: if the future is dropped, every byte it
    /// consumed is already in `buf`, and calling `read_until` again continues the same
    /// search. An error leaves in `buf` what was read before it. `Interrupted` is retried.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut input: &[u8] = b"key=value";
    ///     let mut key = Vec::new();
    ///     input.read_until(b'=', &mut key).await.unwrap();
    ///     assert_eq!(key, b"key=");
    ///     assert_eq!(input, b"value");
    /// });
    /// ```
    fn read_until<'a>(
        &'a mut self,
        byte: u8,
        buf: &'a mut Vec<u8>,
    ) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        Pin::new(&mut *self).start_read();
        let mut appended = 0;
        poll_fn(move |cx| {
            let found = ready!(poll_read_until(
                Pin::new(&mut *self),
                cx,
                byte,
                buf,
                &mut appended
            ));
            Poll::Ready(found.map(|()| appended))
        })
    }

    /// Reads a line, up to and including its `\n` (or to the end of the stream), appending
    /// it to `buf`; returns how many bytes were appended (0 at the end of the stream).
    ///
    /// A line that is not UTF-8 fails with `InvalidData` and leaves `buf` as it was (its
    /// bytes are consumed). Another error leaves in `buf` what was read before it, if that
    /// much is UTF-8, as `std` does.
    ///
    /// Not cancel-safe: if the future is dropped, the part of the line read so far is lost
    /// (`buf` is left as it was). In a [`select!`](../macro.select.html) loop, use
    /// [`lines`](AsyncBufReadExt::lines), whose [`next_line`](Lines::next_line) is.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut input: &[u8] = b"GET / HTTP/1.1\r\nHost: example\r\n";
    ///     let mut request_line = String::new();
    ///     input.read_line(&mut request_line).await.unwrap();
    ///     assert_eq!(request_line, "GET / HTTP/1.1\r\n");
    ///
    ///     let mut bad: &[u8] = b"\xff\xfe\n";
    ///     let err = bad.read_line(&mut request_line).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    ///     assert_eq!(request_line, "GET / HTTP/1.1\r\n");
    /// });
    /// ```
    fn read_line<'a>(
        &'a mut self,
        buf: &'a mut String,
    ) -> impl Future<Output = io::Result<usize>> + 'a
    where
        Self: Unpin,
    {
        async move {
            // The line goes straight into `buf`'s bytes, with no buffer of its own.
            let mut line = TextInString::new(buf);
            let read = self.read_until(b'\n', line.bytes()).await;
            match (read, line.finish()) {
                (Ok(n), true) => Ok(n),
                (Ok(_), false) => Err(not_utf8()),
                (Err(err), _) => Err(err),
            }
        }
    }

    /// The lines of the stream, without their `\n` or `\r\n`, one per
    /// [`next_line`](Lines::next_line) call.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut lines = (&b"one\r\ntwo\nthree"[..]).lines();
    ///     let mut all = Vec::new();
    ///     while let Some(line) = lines.next_line().await.unwrap() {
    ///         all.push(line);
    ///     }
    ///     assert_eq!(all, ["one", "two", "three"]);
    /// });
    /// ```
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines::new(self)
    }

    /// The segments of the stream between occurrences of `byte`, without it, one per
    /// [`next_segment`](Split::next_segment) call: see [`Split`]. As
    /// [`std::io::BufRead::split`].
    ///
    /// On a `&[u8]`, the slice's own `split` method comes first: call this one as
    /// `AsyncBufReadExt::split(bytes, b',')`.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::AsyncBufReadExt;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let mut path = AsyncBufReadExt::split(&b"usr/local/bin"[..], b'/');
    ///     let mut parts = Vec::new();
    ///     while let Some(part) = path.next_segment().await.unwrap() {
    ///         parts.push(String::from_utf8(part).unwrap());
    ///     }
    ///     assert_eq!(parts, ["usr", "local", "bin"]);
    /// });
    /// ```
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized,
    {
        Split::new(self, byte)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

/// Moves bytes from `reader`'s buffer to `buf` up to and including `byte`, counting them in
/// `appended`: `Ready(Ok(()))` once `byte` or the end of the stream is reached.
fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    byte: u8,
    buf: &mut Vec<u8>,
    appended: &mut usize,
) -> Poll<io::Result<()>> {
    loop {
        let (found, used) = match ready!(reader.as_mut().poll_fill_buf(cx)) {
            Ok(buffered) => match buffered.iter().position(|&b| b == byte) {
                Some(at) => {
                    buf.extend_from_slice(&buffered[..=at]);
                    (true, at + 1)
                }
                None => {
                    buf.extend_from_slice(buffered);
                    (buffered.is_empty(), buffered.len())
                }
            },
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Poll::Ready(Err(err)),
        };
        reader.as_mut().consume(used);
        *appended += used;
        if found {
            return Poll::Ready(Ok(()));
        }
    }
}

/// A `String`'s bytes, taken out while [`read_line`](AsyncBufReadExt::read_line) (or
/// `read_to_string`) appends text to them, and put back as a `String`: whole if the text is
/// UTF-8, otherwise as they were before it. Dropped unfinished (the future cancelled), it
/// puts back the old contents.
pub(super) struct TextInString<'a> {
    buf: &'a mut String,
    /// `None` once put back.
    bytes: Option<Vec<u8>>,
    /// The length of `buf` before the text.
    start: usize,
}

impl<'a> TextInString<'a> {
    pub(super) fn new(buf: &'a mut String) -> TextInString<'a> {
        let start = buf.len();
        let bytes = std::mem::take(buf).into_bytes();
        TextInString {
            buf,
            bytes: Some(bytes),
            start,
        }
    }

    pub(super) fn bytes(&mut self) -> &mut Vec<u8> {
        self.bytes.as_mut().expect("bytes taken only by `put_back`")
    }

    /// Puts the bytes back; false, with the text cut off, if it is not UTF-8.
    pub(super) fn finish(mut self) -> bool {
        self.put_back(false)
    }

    fn put_back(&mut self, cut_text: bool) -> bool {
        let Some(mut bytes) = self.bytes.take() else {
            return true;
        };
        if cut_text {
            bytes.truncate(self.start);
        }
        match String::from_utf8(bytes) {
            Ok(text) => {
                *self.buf = text;
                true
            }
            Err(err) => {
                let mut bytes = err.into_bytes();
                bytes.truncate(self.start);
                *self.buf = String::from_utf8(bytes).expect("a String's bytes are UTF-8");
                false
            }
        }
    }
}

impl Drop for TextInString<'_> {
    fn drop(&mut self) {
        self.put_back(true);
    }
}

/// The error of text that is not UTF-8, worded as `std`'s.
pub(super) fn not_utf8() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "stream did not contain valid UTF-8",
    )
}
