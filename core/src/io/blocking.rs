//! `Blocking`: a blocking reader or writer whose calls run on the blocking pool, one at a
//! time, so that a task awaits them instead of stalling the Core. It carries the process's
//! standard streams ([`Stdin`](super::Stdin), [`Stdout`](super::Stdout),
//! [`Stderr`](super::Stderr)).
//!
//! Why not the reactor: descriptors 0, 1 and 2 share their open file description with the
//! shell and every other process started from it, and `O_NONBLOCK` is a flag of that
//! description, not of the descriptor. Setting it would make the shell's own reads fail
//! with `EAGAIN` (and a terminal or a regular file is not pollable anyway). So their flags
//! are never touched: each read, write or flush is an ordinary blocking call on a pool
//! thread, as tokio does it.
//!
//! Ground rules:
//! - At most one call is in flight per `Blocking`. While it runs, its job owns the buffer;
//!   between calls, the state does. A new call first waits for the one in flight.
//! - A call moves at most [`MAX_BUF`] bytes, through the buffer: a write copies the
//!   caller's bytes into it and returns at once (the write's outcome is reported by the next
//!   write or flush); a read fills it, and hands out what the caller's slice cannot take at
//!   the next read.
//! - The job opens the std handle itself (`open`, such as `std::io::stdout`), so a job lost
//!   to a thread that could not start, or to a panic, loses only the buffer.

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::sync::cross_thread::park_on;
use crate::task::try_spawn_blocking;
use crate::RemoteJoinHandle;

/// The most bytes one read or write moves, as tokio's bound: a `write_all` of up to this
/// much goes out in one blocking write, and a large read buffer costs no more than this.
pub(super) const MAX_BUF: usize = 2 * 1024 * 1024;

/// A blocking `T` (opened afresh by each job with `open`) driven from the blocking pool.
pub(super) struct Blocking<T> {
    open: fn() -> T,
    state: State,
    /// A write went to the pool since the last flush started: the next flush must flush.
    need_flush: bool,
}

enum State {
    /// No call in flight; the buffer may hold read bytes not yet handed out.
    Idle(Buf),
    /// A job on the pool holds the buffer; it gives it back with the call's result.
    Busy(RemoteJoinHandle<(io::Result<usize>, Buf)>),
}

impl<T: 'static> Blocking<T> {
    pub(super) fn new(open: fn() -> T) -> Blocking<T> {
        Blocking {
            open,
            state: State::Idle(Buf::default()),
            need_flush: false,
        }
    }

    /// Runs `call` on `T` and the buffer on the pool.
    fn start(
        &mut self,
        call: impl FnOnce(&mut T, &mut Buf) -> io::Result<usize> + Send + 'static,
    ) -> io::Result<()> {
        let State::Idle(buf) = &mut self.state else {
            unreachable!("a call starts only once the one in flight is over");
        };
        let mut buf = mem::take(buf);
        let open = self.open;
        let job = try_spawn_blocking(move || {
            let result = call(&mut open(), &mut buf);
            (result, buf)
        })?;
        self.state = State::Busy(job);
        Ok(())
    }

    /// Waits for the call in flight, if any, takes its buffer back, and gives its result
    /// (`Ok(0)` if none was in flight).
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let State::Busy(job) = &mut self.state else {
            return Poll::Ready(Ok(0));
        };
        let (result, buf) = match ready!(Pin::new(job).poll(cx)) {
            Ok(done) => done,
            // Neither happens in practice: the calls are std's, which do not panic, and the
            // pool runs every job it accepted. The buffer went with the job.
            Err(err) => (
                Err(io::Error::other(format!(
                    "the blocking pool lost a standard stream's call: {err}"
                ))),
                Buf::default(),
            ),
        };
        self.state = State::Idle(buf);
        Poll::Ready(result)
    }
}

impl<T: Read + 'static> Blocking<T> {
    /// Hands out bytes a finished read left in the buffer, or reads up to `dst.len()` bytes
    /// (at most [`MAX_BUF`]) on the pool. `Ok(0)` at end of input, or for an empty `dst`.
    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(coop::poll_proceed(cx));
        loop {
            if let State::Idle(buf) = &mut self.state {
                if !buf.is_empty() {
                    return Poll::Ready(Ok(buf.copy_to(dst)));
                }
                let want = dst.len().min(MAX_BUF);
                if let Err(err) = self.start(move |reader, buf| buf.read_from(reader, want)) {
                    return Poll::Ready(Err(err));
                }
            }
            // End of input: the buffer is empty, and another read would ask again.
            if ready!(self.poll_idle(cx))? == 0 {
                return Poll::Ready(Ok(0));
            }
        }
    }
}

impl<T: Write + 'static> Blocking<T> {
    /// Waits for the write in flight (its error, if any, is this call's), then copies up to
    /// [`MAX_BUF`] bytes of `src` and writes them on the pool. Reports the copy at once.
    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        ready!(self.poll_idle(cx))?;
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = src.len().min(MAX_BUF);
        if let State::Idle(buf) = &mut self.state {
            buf.fill_from(&src[..n]);
        }
        self.start(|writer, buf| buf.write_to(writer).map(|()| 0))?;
        self.need_flush = true;
        Poll::Ready(Ok(n))
    }

    /// Waits for the write in flight, then flushes `T` on the pool if anything was written
    /// since the last flush, and waits for that too.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_idle(cx))?;
            if !self.need_flush {
                return Poll::Ready(Ok(()));
            }
            self.start(|writer, _| writer.flush().map(|()| 0))?;
            // Cleared only once the flush is in flight: a flush that could not start is
            // still owed.
            self.need_flush = false;
        }
    }

    /// For the writers' `Drop`: parks the thread until the call in flight is over, so that
    /// what was written is out before the handle is gone. Mirage's Core does not wait for
    /// the pool when it is dropped, as tokio's runtime does for its standard streams' calls,
    /// and a process that exits meanwhile would cut the write short.
    pub(super) fn finish_in_drop(&mut self) {
        if let State::Busy(job) = mem::replace(&mut self.state, State::Idle(Buf::default())) {
            // Its error has nobody left to report it to.
            let _ = park_on(job);
        }
    }
}

impl<T> fmt::Debug for Blocking<T> {
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

    fn fill_from(&mut self, src: &[u8]) {
        self.bytes.clear();
        self.bytes.extend_from_slice(src);
        (self.start, self.end) = (0, src.len());
    }

    /// Writes it all (`write_all` retries interrupted writes), and empties it either way.
    fn write_to(&mut self, writer: &mut impl Write) -> io::Result<()> {
        let result = writer.write_all(&self.bytes[self.start..self.end]);
        (self.start, self.end) = (0, 0);
        result
    }
}
