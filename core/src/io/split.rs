//! `split`: a stream's read half and write half, for two tasks of one Core.

use std::cell::{Cell, RefCell, RefMut};
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::{AsyncRead, AsyncWrite};

/// Splits a stream into a read half and a write half, so that one task can read while
/// another writes. [`ReadHalf::unsplit`] puts them back together.
///
/// For streams whose I/O takes `&mut self`: a [`DuplexStream`](super::DuplexStream), a
/// [`BufReader`](super::BufReader) or [`BufWriter`](super::BufWriter) around a socket, a
/// stream of your own. Mirage's `TcpStream` and `UnixStream` do not need it: their I/O
/// takes `&self`, so two tasks can share one with `Rc<TcpStream>`, or take the owned
/// halves of its `into_split`, as in tokio.
///
/// The halves share the stream through an `Rc`, without locks: like the Core's other local
/// types they are `!Send`, and they stay on the Core's thread. Each half polls the stream
/// with its own task's waker, so the stream must keep a separate waker for each direction,
/// as Mirage's sockets and `DuplexStream` do (and the buffered wrappers, which forward to
/// them): a stream that kept only the last waker for both would leave one of the two tasks
/// asleep. The stream must be `Unpin`; box a stream that is not with `Box::pin`.
///
/// Dropping a half does not close anything; the stream is dropped with the second half.
/// To make the peer see the end of the stream, [`close`](super::AsyncWriteExt::close) the
/// write half.
///
/// # Examples
///
/// A reader task and a writer task on one end of a duplex pair:
///
/// ```
/// use mirage::io::{duplex, split, AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (ours, mut theirs) = duplex(16);
///     let (mut reader, mut writer) = split(ours);
///     let reading = mirage::spawn(async move {
///         let mut got = Vec::new();
///         reader.read_to_end(&mut got).await.unwrap();
///         (reader, got)
///     });
///     let writing = mirage::spawn(async move {
///         writer.write_all(b"ping").await.unwrap();
///         writer
///     });
///     let mut request = [0; 4];
///     theirs.read_exact(&mut request).await.unwrap();
///     theirs.write_all(b"pong").await.unwrap();
///     drop(theirs);
///     let (reader, got) = reading.await.unwrap();
///     assert_eq!(got, b"pong");
///     let _stream = reader.unsplit(writing.await.unwrap());
/// });
/// ```
pub fn split<T>(stream: T) -> (ReadHalf<T>, WriteHalf<T>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let shared = Rc::new(Shared {
        is_write_vectored: stream.is_write_vectored(),
        stream: RefCell::new(stream),
        deferred: RefCell::new(Vec::new()),
        start_read: Cell::new(false),
        start_write: Cell::new(false),
    });
    (
        ReadHalf {
            shared: Rc::clone(&shared),
        },
        WriteHalf { shared },
    )
}

/// The read half of a stream, made by [`split`]. Reads and
/// [`start_read`](AsyncRead::start_read) go to the stream.
///
/// # Examples
///
/// ```
/// use mirage::io::{duplex, split, AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (ours, mut theirs) = duplex(16);
///     let (mut reader, _writer) = split(ours);
///     theirs.write_all(b"hi").await.unwrap();
///     let mut buf = [0; 2];
///     reader.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
/// });
/// ```
pub struct ReadHalf<T> {
    shared: Rc<Shared<T>>,
}

/// The write half of a stream, made by [`split`]. Writes, flushes, closes and
/// [`start_write`](AsyncWrite::start_write) go to the stream.
///
/// # Examples
///
/// ```
/// use mirage::io::{duplex, split, AsyncReadExt, AsyncWriteExt};
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let (ours, mut theirs) = duplex(16);
///     let (_reader, mut writer) = split(ours);
///     writer.write_all(b"hi").await.unwrap();
///     writer.close().await.unwrap(); // the peer reads the end
///     let mut got = Vec::new();
///     theirs.read_to_end(&mut got).await.unwrap();
///     assert_eq!(got, b"hi");
/// });
/// ```
pub struct WriteHalf<T> {
    shared: Rc<Shared<T>>,
}

/// The stream both halves use.
///
/// Ground rules: the stream is borrowed for one call into it at a time (a poll, a
/// `start_read`, a `start_write`), and no borrow of `stream` or `deferred` is held while
/// anything is woken. A call into the stream may wake or drop wakers, and that code may use
/// the other half at once (a waker that polls as soon as it is woken): it finds the stream
/// borrowed. Such a poll returns `Pending` and leaves its waker in `deferred`, which the
/// call in progress wakes once it has released the stream; such a start sets its flag,
/// which the next call into the stream applies first. So a half never panics with "already
/// borrowed", and neither loses a wake-up nor a start.
struct Shared<T> {
    stream: RefCell<T>,
    /// The wakers of polls that found the stream in use.
    deferred: RefCell<Vec<Waker>>,
    /// A `start_read` found the stream in use and is still to be made.
    start_read: Cell<bool>,
    /// A `start_write` found the stream in use and is still to be made.
    start_write: Cell<bool>,
    /// The stream's `is_write_vectored`, asked once at the split (as tokio does), so that
    /// answering it never borrows the stream.
    is_write_vectored: bool,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Shared<T> {
    /// Runs `op` on the stream, after the starts left to make, then wakes the polls that
    /// found the stream in use meanwhile. `None`, without running `op`, when the stream is
    /// in use: this is a call made from inside another.
    fn try_with<R>(&self, op: impl FnOnce(Pin<&mut T>) -> R) -> Option<R> {
        let mut borrowed = Borrowed {
            stream: Some(self.stream.try_borrow_mut().ok()?),
            deferred: &self.deferred,
        };
        let stream = borrowed.stream.as_mut().expect("borrowed above");
        if self.start_read.take() {
            Pin::new(&mut **stream).start_read();
        }
        if self.start_write.take() {
            Pin::new(&mut **stream).start_write();
        }
        // `borrowed` releases the stream and wakes the deferred polls when it drops: after
        // `op`, or while a panic in `op` unwinds, so the other half is never left asleep.
        Some(op(Pin::new(&mut **stream)))
    }

    /// Polls the stream with `op`, or, when it is in use, returns `Pending` and has the task
    /// woken once it is free.
    fn poll<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<R>,
    ) -> Poll<R> {
        if let Some(poll) = self.try_with(|stream| op(stream, cx)) {
            return poll;
        }
        let mut deferred = self.deferred.borrow_mut();
        if !deferred.iter().any(|waker| waker.will_wake(cx.waker())) {
            deferred.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Makes the start that `flag` records: now if the stream is free, else first thing
    /// in the next call into it.
    fn start(&self, flag: &Cell<bool>) {
        flag.set(true);
        self.try_with(|_| ());
    }
}

/// The stream, borrowed for one call into it; see [`Shared::try_with`].
struct Borrowed<'a, T> {
    stream: Option<RefMut<'a, T>>,
    deferred: &'a RefCell<Vec<Waker>>,
}

impl<T> Drop for Borrowed<'_, T> {
    fn drop(&mut self) {
        // The stream first: a woken poll may run at once and need it.
        drop(self.stream.take());
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        for waker in deferred {
            waker.wake();
        }
    }
}

impl<T> ReadHalf<T> {
    /// Whether `other` is the write half split from the same stream as this.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{duplex, split};
    ///
    /// let (a, b) = duplex(16);
    /// let (a_read, a_write) = split(a);
    /// let (_b_read, b_write) = split(b);
    /// assert!(a_read.is_pair_of(&a_write));
    /// assert!(!a_read.is_pair_of(&b_write));
    /// ```
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> ReadHalf<T> {
    /// Puts the stream back together from its two halves.
    ///
    /// # Panics
    ///
    /// If `write` was split from another stream: see [`is_pair_of`](ReadHalf::is_pair_of).
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{duplex, split, AsyncReadExt, AsyncWriteExt};
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let (a, mut b) = duplex(16);
    ///     let (reader, writer) = split(a);
    ///     let mut a = reader.unsplit(writer);
    ///     a.write_all(b"whole again").await.unwrap();
    ///     let mut got = [0; 11];
    ///     b.read_exact(&mut got).await.unwrap();
    ///     assert_eq!(&got, b"whole again");
    /// });
    /// ```
    #[track_caller]
    pub fn unsplit(self, write: WriteHalf<T>) -> T {
        assert!(
            self.is_pair_of(&write),
            "ReadHalf::unsplit: the WriteHalf was split from a different stream"
        );
        drop(write);
        let shared = match Rc::try_unwrap(self.shared) {
            Ok(shared) => shared,
            Err(_) => unreachable!("the two halves hold the only references to their stream"),
        };
        let mut stream = shared.stream.into_inner();
        if shared.start_read.get() {
            Pin::new(&mut stream).start_read();
        }
        if shared.start_write.get() {
            Pin::new(&mut stream).start_write();
        }
        stream
    }
}

impl<T> WriteHalf<T> {
    /// Whether `other` is the read half split from the same stream as this.
    ///
    /// # Examples
    ///
    /// ```
    /// use mirage::io::{duplex, split};
    ///
    /// let (a, b) = duplex(16);
    /// let (a_read, a_write) = split(a);
    /// let (b_read, _b_write) = split(b);
    /// assert!(a_write.is_pair_of(&a_read));
    /// assert!(!a_write.is_pair_of(&b_read));
    /// ```
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for ReadHalf<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.shared.poll(cx, |stream, cx| stream.poll_read(cx, buf))
    }

    fn start_read(self: Pin<&mut Self>) {
        self.shared.start(&self.shared.start_read)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WriteHalf<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.shared
            .poll(cx, |stream, cx| stream.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.shared
            .poll(cx, |stream, cx| stream.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.shared.is_write_vectored
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shared.poll(cx, |stream, cx| stream.poll_flush(cx))
    }

    /// Closes the stream's writing, as `poll_close` on the stream does; reads go on.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shared.poll(cx, |stream, cx| stream.poll_close(cx))
    }

    fn start_write(self: Pin<&mut Self>) {
        self.shared.start(&self.shared.start_write)
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stream.try_borrow() {
            Ok(stream) => stream.fmt(f),
            Err(_) => f.write_str("<in use>"),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHalf")
            .field("stream", &*self.shared)
            .finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteHalf")
            .field("stream", &*self.shared)
            .finish()
    }
}
