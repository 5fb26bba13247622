//! `Pipe`: a one-way in-memory byte buffer, the inside of duplex and simplex streams.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::task::{Context, Poll, Waker, ready};

use crate::coop;
use crate::sync::update_waker;

/// A one-way in-memory byte buffer with room for `max` bytes: one direction of a
/// [`duplex`](super::duplex) pair, or a whole [`SimplexStream`](super::SimplexStream).
pub(super) struct Pipe {
    /// What the messages of its errors call it: "duplex stream", "simplex stream".
    name: &'static str,
    buf: VecDeque<u8>,
    max: usize,
    /// The task waiting for bytes (or the end) in this direction.
    reader: Option<Waker>,
    /// The task waiting for room in this direction.
    writer: Option<Waker>,
    /// No more bytes will come: the writing end shut down or was dropped.
    write_closed: bool,
    /// Nobody will read: the reading end was dropped.
    read_closed: bool,
}

/// What a pipe operation leaves to do once the pipe's borrow is released: a waker to wake
/// and one to drop, either of which may run code that uses the pipe.
#[derive(Default)]
pub(super) struct After {
    wake: Option<Waker>,
    drop: Option<Waker>,
}

impl After {
    pub(super) fn run(self) {
        drop(self.drop);
        if let Some(waker) = self.wake {
            waker.wake();
        }
    }
}

/// `coop::poll_proceed` for a pipe operation: when the task's budget is spent, its task is
/// woken through `after`, once the pipe's borrow is released, not while the pipe is borrowed.
fn yield_if_spent(cx: &Context<'_>, after: &mut After) -> Poll<()> {
    if coop::try_spend() {
        return Poll::Ready(());
    }
    after.wake = Some(cx.waker().clone());
    Poll::Pending
}

impl Pipe {
    pub(super) fn new(name: &'static str, max: usize) -> Pipe {
        Pipe {
            name,
            buf: VecDeque::new(),
            max,
            reader: None,
            writer: None,
            write_closed: false,
            read_closed: false,
        }
    }

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        after: &mut After,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.buf.is_empty() {
            if self.write_closed {
                return Poll::Ready(Ok(0));
            }
            after.drop = update_waker(&mut self.reader, cx.waker());
            return Poll::Pending;
        }
        ready!(yield_if_spent(cx, after));
        let n = buf.len().min(self.buf.len());
        for (to, from) in buf.iter_mut().zip(self.buf.drain(..n)) {
            *to = from;
        }
        after.wake = self.writer.take();
        Poll::Ready(Ok(n))
    }

    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
        after: &mut After,
    ) -> Poll<io::Result<usize>> {
        if self.read_closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("the other end of the {} was dropped", self.name),
            )));
        }
        if self.write_closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                format!("writing to a {} after closing it", self.name),
            )));
        }
        let total: usize = bufs.iter().map(|buf| buf.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        let room = self.max - self.buf.len();
        if room == 0 {
            after.drop = update_waker(&mut self.writer, cx.waker());
            return Poll::Pending;
        }
        ready!(yield_if_spent(cx, after));
        let mut written = 0;
        for buf in bufs {
            let n = buf.len().min(room - written);
            self.buf.extend(&buf[..n]);
            written += n;
            if written == room {
                break;
            }
        }
        after.wake = self.reader.take();
        Poll::Ready(Ok(written))
    }

    /// No more bytes: the reader, once it has read what is here, sees the end.
    pub(super) fn close_write(&mut self) -> After {
        self.write_closed = true;
        After {
            wake: self.reader.take(),
            drop: None,
        }
    }

    /// Nobody will read: drops what is buffered, fails the writes to come, and returns the
    /// waker of a writer waiting for room, to be woken once the pipe is released.
    pub(super) fn close_read(&mut self) -> After {
        self.read_closed = true;
        self.buf = VecDeque::new();
        After {
            wake: self.writer.take(),
            drop: None,
        }
    }

    /// How many bytes are buffered.
    pub(super) fn len(&self) -> usize {
        self.buf.len()
    }
}
