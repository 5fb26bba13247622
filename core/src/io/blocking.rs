//! `Blocking`: a blocking reader or writer whose calls run on the blocking pool, one at a
//! time, so that a task awaits them instead of stalling the Core. It carries the process's
//! standard streams ([`Stdin`](super::Stdin), [`Stdout`](super::Stdout),
//! [`Stderr`](super::Stderr)) and [`fs::File`](crate::fs::File).
//!
//! Why not the reactor: descriptors 0, 1 and 2 share their open file description with the
//! shell and every other process started from it, and `O_NONBLOCK` is a flag of that
//! description, not of the descriptor. Setting it would make the shell's own reads fail
//! with `EAGAIN` (and a terminal or a regular file is not pollable anyway). So their flags
//! are never touched: each read, write or flush is an ordinary blocking call on a pool
//! thread, as tokio does it. A regular file is always "ready" to `epoll`, so it goes the
//! same way.
//!
//! Ground rules:
//! - At most one call is in flight per `Blocking`. While it runs, its job owns the buffer;
//!   between calls, the state does. A new call first waits for the one in flight.
//! - A call moves at most `max_buf` bytes ([`MAX_BUF`] unless changed), through the
//!   buffer: a write copies the caller's bytes into it and returns at once (the write's
//!   outcome is reported by the next write, flush or seek, or kept in `last_write_err` by
//!   a read that finds it); a read fills it, and hands out what the caller's slice cannot
//!   take at the next read.
//! - Bytes read ahead and not handed out are at the file's position already: a write, a
//!   seek or a `set_len` that finds them first moves the position back over them (the
//!   [`Source::seek`] of a file; the standard streams never mix reads with the others).
//!   It does so at once, on the Core's thread: a move of the position only, which does not
//!   wait for the disk. So the call's own job, which the pool may refuse, owes nothing to
//!   the bytes it forgot, and a refused call loses none.
//! - Each job gets its handle from the [`Source`] (`std::io::stdout()` afresh, or a clone
//!   of a file's `Arc`), so a job lost to a thread that could not start, or to a panic,
//!   loses only the buffer.

use std::fmt;
use std::fs::File;
use std::future::Future;
use std::io::{self, IoSlice, Read, Seek, SeekFrom, Write};
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use crate::RemoteJoinHandle;
use crate::coop;
use crate::sync::cross_thread::park_on;
use crate::task::try_spawn_blocking;

/// The most bytes one read or write moves by default, as tokio's bound: a `write_all` of up
/// to this much goes out in one blocking write, and a large read buffer costs no more than
/// this.
pub(crate) const MAX_BUF: usize = 2 * 1024 * 1024;

/// Where a job gets the blocking handle it calls.
pub(crate) trait Source: Clone + Send + 'static {
    /// The handle a job reads, writes or seeks.
    type Io;

    /// Whether a flush must call the handle's `flush` (std's `Stdout` buffers lines; a
    /// `File` has nothing to flush, so its flush only waits for the write in flight).
    const FLUSHES: bool;

    /// The handle for one job.
    fn get(&self) -> Self::Io;

    /// Moves the handle's position. Only a file has one: the standard streams never seek,
    /// and never have bytes read ahead when they write.
    fn seek(io: &mut Self::Io, to: SeekFrom) -> io::Result<u64> {
        let _ = (io, to);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this stream cannot seek",
        ))
    }
}

/// A standard stream: each job opens it afresh (`std::io::stdout` and its siblings).
impl<T: 'static> Source for fn() -> T {
    type Io = T;
    const FLUSHES: bool = true;

    fn get(&self) -> T {
        self()
    }
}

/// A file: each job calls it through its own clone of the `Arc` (`Read`, `Write` and `Seek`
/// are implemented for `Arc<File>`, since they take `&File`).
impl Source for Arc<File> {
    type Io = Arc<File>;
    const FLUSHES: bool = false;

    fn get(&self) -> Arc<File> {
        Arc::clone(self)
    }

    fn seek(io: &mut Arc<File>, to: SeekFrom) -> io::Result<u64> {
        Seek::seek(io, to)
    }
}

/// A blocking handle from `S`, driven from the blocking pool.
pub(crate) struct Blocking<S: Source> {
    source: S,
    state: State,
    /// The most bytes one read or write moves.
    max_buf: usize,
    /// A write went to the pool since the last flush started: the next flush must flush.
    need_flush: bool,
    /// A write's error that a read or a seek found: the next write or flush reports it.
    last_write_err: Option<io::Error>,
    /// Where the last seek left the position (what `poll_complete` reports with no seek in
    /// flight, as tokio's file does).
    pos: u64,
}

enum State {
    /// No call in flight; the buffer may hold read bytes not yet handed out.
    Idle(Buf),
    /// A job on the pool holds the buffer; it gives it back with the call's outcome.
    Busy(RemoteJoinHandle<(Op, Buf)>),
}

/// What a finished job did, and how it went.
enum Op {
    Read(io::Result<usize>),
    /// A write or a flush.
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    /// A call on the handle itself ([`start_call`](Blocking::start_call)): a file's
    /// `set_len`.
    Call(io::Result<()>),
    /// The pool lost the job (see [`Blocking::poll_idle`]): whatever it was, it failed.
    Lost(io::Error),
}

impl<S: Source> Blocking<S> {
    pub(crate) fn new(source: S) -> Blocking<S> {
        Blocking {
            source,
            state: State::Idle(Buf::default()),
            max_buf: MAX_BUF,
            need_flush: false,
            last_write_err: None,
            pos: 0,
        }
    }

    /// Whether a call is in flight.
    pub(crate) fn is_busy(&self) -> bool {
        matches!(self.state, State::Busy(_))
    }

    /// Sets the most bytes one read or write moves: at least 1, so that each makes progress.
    pub(crate) fn set_max_buf(&mut self, max_buf: usize) {
        debug_assert!(max_buf > 0, "callers refuse a maximum of 0");
        self.max_buf = max_buf;
    }

    /// Runs `call` on a handle from the source and the buffer on the pool.
    fn start(
        &mut self,
        call: impl FnOnce(&mut S::Io, &mut Buf) -> Op + Send + 'static,
    ) -> io::Result<()> {
        let State::Idle(buf) = &mut self.state else {
            unreachable!("a call starts only once the one in flight is over");
        };
        let mut buf = mem::take(buf);
        let source = self.source.clone();
        let job = try_spawn_blocking(move || {
            let op = call(&mut source.get(), &mut buf);
            (op, buf)
        })?;
        self.state = State::Busy(job);
        Ok(())
    }

    /// Waits for the call in flight, if any, takes its buffer back, and gives its outcome
    /// (`None` if none was in flight).
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Option<Op>> {
        let State::Busy(job) = &mut self.state else {
            return Poll::Ready(None);
        };
        let (op, buf) = match ready!(Pin::new(job).poll(cx)) {
            Ok(done) => done,
            // Neither happens in practice: the calls are std's, which do not panic, and the
            // pool runs every job it accepted. The buffer went with the job.
            Err(err) => (
                Op::Lost(io::Error::other(format!(
                    "the blocking pool lost a call of a blocking stream: {err}"
                ))),
                Buf::default(),
            ),
        };
        self.state = State::Idle(buf);
        Poll::Ready(Some(op))
    }

    /// Once nothing is in flight ([`poll_complete_inflight`](Self::poll_complete_inflight)):
    /// forgets the bytes read ahead and not handed out, and moves the handle's position back
    /// over them, here (see the module's docs), so that the next call made on the handle,
    /// through the pool (a file's `set_len` too), starts where the caller is.
    ///
    /// # Errors
    ///
    /// The move's; the bytes are then kept for the next read.
    pub(crate) fn discard_read(&mut self) -> io::Result<()> {
        let State::Idle(buf) = &mut self.state else {
            return Ok(());
        };
        if !buf.is_empty() {
            S::seek(&mut self.source.get(), SeekFrom::Current(buf.back()))?;
            buf.discard();
        }
        Ok(())
    }

    /// Hands out bytes a finished read left in the buffer, or reads up to `dst.len()` bytes
    /// (at most `max_buf`) on the pool, once the call in flight is over. `Ok(0)` at end of
    /// input, or for an empty `dst`.
    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>>
    where
        S::Io: Read,
    {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(coop::poll_proceed(cx));
        loop {
            if let State::Idle(buf) = &mut self.state {
                if !buf.is_empty() {
                    return Poll::Ready(Ok(buf.copy_to(dst)));
                }
                let want = dst.len().min(self.max_buf);
                self.start(move |reader, buf| Op::Read(buf.read_from(reader, want)))?;
            }
            match ready!(self.poll_idle(cx)) {
                // What the read brought: nothing at end of input, where another read would
                // ask again.
                Some(Op::Read(Ok(_))) => {
                    let State::Idle(buf) = &mut self.state else {
                        unreachable!("poll_idle leaves the state idle");
                    };
                    return Poll::Ready(Ok(buf.copy_to(dst)));
                }
                Some(Op::Read(Err(err))) | Some(Op::Lost(err)) => return Poll::Ready(Err(err)),
                // A write's error is the next write's or flush's to report, as in tokio.
                Some(Op::Write(Err(err))) => self.last_write_err = Some(err),
                Some(Op::Seek(Ok(pos))) => self.pos = pos,
                Some(Op::Write(Ok(()))) | Some(Op::Seek(Err(_))) | Some(Op::Call(_)) | None => {}
            }
        }
    }

    /// Waits for the call in flight (a write's error is this call's), then copies up to
    /// `max_buf` bytes of `src` and writes them on the pool. Reports the copy at once.
    pub(crate) fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>>
    where
        S::Io: Write,
    {
        self.poll_write_vectored(cx, &[IoSlice::new(src)])
    }

    /// [`poll_write`](Blocking::poll_write) for a sequence of slices: copies up to
    /// `max_buf` bytes of them, in order, into one write on the pool.
    pub(crate) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        srcs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        S::Io: Write,
    {
        ready!(coop::poll_proceed(cx));
        self.take_write_err()?;
        ready!(self.poll_until_idle(cx))?;
        if srcs.iter().all(|src| src.is_empty()) {
            return Poll::Ready(Ok(0));
        }
        self.discard_read()?;
        let mut n = 0;
        if let State::Idle(buf) = &mut self.state {
            n = buf.fill_from(srcs, self.max_buf);
        }
        self.start(move |writer, buf| Op::Write(buf.write_to(writer)))?;
        self.need_flush = true;
        Poll::Ready(Ok(n))
    }

    /// Reports the error of a write that a read or a seek found.
    fn take_write_err(&mut self) -> io::Result<()> {
        match self.last_write_err.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Waits for the call in flight; a write's (or flush's) error is the result.
    fn poll_until_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(self.poll_idle(cx)) {
            Some(Op::Write(Err(err))) | Some(Op::Lost(err)) => Poll::Ready(Err(err)),
            Some(Op::Seek(Ok(pos))) => {
                self.pos = pos;
                Poll::Ready(Ok(()))
            }
            _ => Poll::Ready(Ok(())),
        }
    }

    /// Waits for the call in flight, then flushes the handle on the pool if it has a buffer
    /// of its own and anything was written since the last flush, and waits for that too.
    /// Fails with the first write error not yet reported.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>
    where
        S::Io: Write,
    {
        loop {
            self.take_write_err()?;
            ready!(self.poll_until_idle(cx))?;
            if !(S::FLUSHES && self.need_flush) {
                self.need_flush = false;
                return Poll::Ready(Ok(()));
            }
            self.start(|writer, _| Op::Write(writer.flush()))?;
            // Cleared only once the flush is in flight: a flush that could not start is
            // still owed.
            self.need_flush = false;
        }
    }

    /// Waits for the call in flight without reporting it: a write's error is kept for the
    /// next write or flush, as a read keeps it. For the calls that act on the handle
    /// itself (a file's `sync_all`, `metadata`, `into_std`).
    pub(crate) fn poll_complete_inflight(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match ready!(self.poll_idle(cx)) {
            Some(Op::Write(Err(err))) | Some(Op::Lost(err)) => {
                // A second error (a `Lost` after a write's) has nobody to report it first.
                self.last_write_err.get_or_insert(err);
            }
            Some(Op::Seek(Ok(pos))) => self.pos = pos,
            _ => {}
        }
        Poll::Ready(())
    }

    /// Starts a move of the position, as [`AsyncSeek::start_seek`](super::AsyncSeek). Fails
    /// with an error of kind `Other` while a call is in flight, as tokio's file does.
    pub(crate) fn start_seek(&mut self, to: SeekFrom) -> io::Result<()> {
        if let State::Busy(_) = self.state {
            return Err(io::Error::other(
                "another call of this file is in flight: call poll_complete before start_seek",
            ));
        }
        // The position is past the bytes read ahead: a move relative to it counts from
        // where the reader is, so it first goes back over them.
        self.discard_read()?;
        self.start(move |io, _| Op::Seek(S::seek(io, to)))
    }

    /// Waits for the move [`start_seek`](Self::start_seek) started and gives the new
    /// position; with none in flight, where the last move left it.
    pub(crate) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            match ready!(self.poll_idle(cx)) {
                None => return Poll::Ready(Ok(self.pos)),
                Some(Op::Seek(result)) => {
                    if let Ok(pos) = result {
                        self.pos = pos;
                    }
                    return Poll::Ready(result);
                }
                Some(Op::Lost(err)) => return Poll::Ready(Err(err)),
                Some(Op::Write(Err(err))) => self.last_write_err = Some(err),
                Some(Op::Write(Ok(()))) | Some(Op::Read(_)) | Some(Op::Call(_)) => {}
            }
        }
    }

    /// Once nothing is in flight ([`poll_complete_inflight`](Self::poll_complete_inflight)):
    /// runs `call` on a handle from the source on the pool, as the call in flight, so that
    /// the next read, write or seek waits for it even if its caller stops waiting (as
    /// tokio's file does for `set_len`: a write must not land before a cut that was asked
    /// for first). Its outcome is [`poll_call`](Self::poll_call)'s; a read, write or seek
    /// that finds it instead ignores it.
    pub(crate) fn start_call(
        &mut self,
        call: impl FnOnce(&mut S::Io) -> io::Result<()> + Send + 'static,
    ) -> io::Result<()> {
        self.start(move |io, _| Op::Call(call(io)))
    }

    /// Waits for the call [`start_call`](Self::start_call) started and gives its outcome.
    /// The caller holds the handle meanwhile, so nothing else can be in flight.
    pub(crate) fn poll_call(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(self.poll_idle(cx)) {
            Some(Op::Call(result)) => Poll::Ready(result),
            Some(Op::Lost(err)) => Poll::Ready(Err(err)),
            _ => unreachable!("poll_call follows start_call, with nothing else in between"),
        }
    }

    /// For the writers' `Drop`: parks the thread until the call in flight is over, so that
    /// what was written is out before the handle is gone. Mirage's Core does not wait for
    /// the pool when it is dropped, as tokio's runtime does for its standard streams' calls,
    /// and a process that exits meanwhile would cut the write short.
    pub(crate) fn finish_in_drop(&mut self) {
        if let State::Busy(job) = mem::replace(&mut self.state, State::Idle(Buf::default())) {
            // Its error has nobody left to report it to.
            let _ = park_on(job);
        }
    }
}

impl<S: Source> fmt::Debug for Blocking<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Blocking");
        match &self.state {
            State::Idle(buf) => out.field("busy", &false).field("buffered", &buf.len()),
            State::Busy(_) => out.field("busy", &true),
        };
        out.finish_non_exhaustive()
    }
}

/// The bytes one call moves: `bytes[start..end]` still to hand out (a read) or to write.
/// `bytes` keeps its length between reads, so a read zeroes only what it grows by.
#[derive(Default)]
struct Buf {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
}

impl Buf {
    fn len(&self) -> usize {
        self.end - self.start
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Hands out as much as `dst` takes.
    fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = self.len().min(dst.len());
        dst[..n].copy_from_slice(&self.bytes[self.start..self.start + n]);
        self.start += n;
        n
    }

    /// One read of up to `want` bytes, retried if a signal interrupts it.
    fn read_from(&mut self, reader: &mut impl Read, want: usize) -> io::Result<usize> {
        debug_assert!(
            self.is_empty(),
            "a read starts once the last one is handed out"
        );
        if self.bytes.len() < want {
            self.bytes.resize(want, 0);
        }
        let n = loop {
            match reader.read(&mut self.bytes[..want]) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                result => break result?,
            }
        };
        // A reader claiming more than it was given is broken; trust no more than the slice.
        (self.start, self.end) = (0, n.min(want));
        Ok(self.end)
    }

    /// How far back what is left to hand out reaches (0 or less): a buffer holds at most
    /// `max_buf` bytes, far below `i64::MAX`.
    fn back(&self) -> i64 {
        -(self.len() as i64)
    }

    /// Forgets what is left to hand out.
    fn discard(&mut self) {
        (self.start, self.end) = (0, 0);
    }

    /// Holds the first `max` bytes of `srcs`, in order, and returns how many that is.
    fn fill_from(&mut self, srcs: &[IoSlice<'_>], max: usize) -> usize {
        self.bytes.clear();
        for src in srcs {
            let room = max - self.bytes.len();
            if room == 0 {
                break;
            }
            self.bytes.extend_from_slice(&src[..src.len().min(room)]);
        }
        (self.start, self.end) = (0, self.bytes.len());
        self.end
    }

    /// Writes it all (`write_all` retries interrupted writes), and empties it either way.
    fn write_to(&mut self, writer: &mut impl Write) -> io::Result<()> {
        let result = writer.write_all(&self.bytes[self.start..self.end]);
        (self.start, self.end) = (0, 0);
        result
    }
}
