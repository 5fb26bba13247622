//! `Source`: a non-blocking socket, its reactor registration and its std-style timeouts.
//!
//! Every Mirage socket is a `Source` around the std socket it wraps. An operation always
//! tries the system call first and waits for readiness only after `WouldBlock`. Each attempt
//! spends a unit of the task's cooperative budget (`mirage_core::coop`): a task whose
//! sockets are always ready yields once it is spent, before the system call.
//!
//! Timeouts follow `std::net`: each operation that waits longer than the direction's timeout
//! fails with `TimedOut`, and the socket stays usable. The `async` methods keep the timer in
//! their own future (so each call has its own full timeout, and dropping the call drops the
//! timer). `AsyncRead::poll_read` and `AsyncWrite::poll_write` keep one timer per
//! direction in the `Source` (the other poll-level methods have no timeout): it starts
//! when a poll first returns `Pending`, so that re-polls of the operation keep its deadline,
//! and is cleared when the operation completes or times out, and when the next operation
//! starts ([`start_poll_op`](Source::start_poll_op), from `AsyncRead::start_read` and
//! `AsyncWrite::start_write`): an operation dropped while pending must not hand its
//! deadline to the next one.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use mirage_core::coop;
use mirage_core::io::{Direction, Registration};
use mirage_core::time::{Sleep, sleep};

use crate::sys::{self, StreamRead, TcpRead};

mod interest;

/// The first pause of [`Source::io_retrying`].
const FIRST_RETRY: Duration = Duration::from_micros(100);
/// The longest pause of [`Source::io_retrying`]: also the longest delay before a retried
/// operation notices that it can go ahead.
const MAX_RETRY: Duration = Duration::from_millis(10);

pub(crate) struct Source<S: AsRawFd> {
    /// Declared first: dropped (deregistered) before `inner` closes the descriptor.
    registration: Registration,
    read_timeout: Cell<Option<Duration>>,
    write_timeout: Cell<Option<Duration>>,
    /// The pending poll-level read's timer: kept across its polls, dropped when it
    /// completes, times out, or the next read starts.
    read_timer: RefCell<Option<Sleep>>,
    /// The pending poll-level write's timer; as `read_timer`.
    write_timer: RefCell<Option<Sleep>>,
    /// Whether [`shutdown`](Source::shutdown) shut the write half: a write fails at once
    /// then, though `poll(2)` may not report a Unix socket writable.
    write_shut: Cell<bool>,
    /// Whether [`shutdown`](Source::shutdown) shut the read half: see
    /// [`eof_if_read_shut`](Source::eof_if_read_shut).
    read_shut: Cell<bool>,
    inner: S,
}

impl<S: AsRawFd> Source<S> {
    /// Wraps a socket that is already in non-blocking mode.
    pub(crate) fn new(inner: S) -> Source<S> {
        Source {
            registration: Registration::new(inner.as_raw_fd()),
            read_timeout: Cell::new(None),
            write_timeout: Cell::new(None),
            read_timer: RefCell::new(None),
            write_timer: RefCell::new(None),
            write_shut: Cell::new(false),
            read_shut: Cell::new(false),
            inner,
        }
    }

    pub(crate) fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Deregisters and returns the socket.
    pub(crate) fn into_inner(self) -> S {
        let Source {
            registration,
            inner,
            ..
        } = self;
        drop(registration);
        inner
    }

    fn timeout_cell(&self, direction: Direction) -> &Cell<Option<Duration>> {
        match direction {
            Direction::Read => &self.read_timeout,
            Direction::Write => &self.write_timeout,
        }
    }

    fn timer_cell(&self, direction: Direction) -> &RefCell<Option<Sleep>> {
        match direction {
            Direction::Read => &self.read_timer,
            Direction::Write => &self.write_timer,
        }
    }

    /// The timeout of `direction`.
    pub(crate) fn timeout(&self, direction: Direction) -> Option<Duration> {
        self.timeout_cell(direction).get()
    }

    /// Sets the timeout of `direction`; `Some(ZERO)` is refused, as std does.
    pub(crate) fn set_timeout(
        &self,
        direction: Direction,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        if timeout == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        self.timeout_cell(direction).set(timeout);
        Ok(())
    }

    /// Runs `op` until it does not report `WouldBlock`, waiting for readiness in between,
    /// and failing with `TimedOut` after waiting longer than the direction's timeout.
    /// Cancel-safe as far as `op` is: dropping it between attempts loses nothing.
    ///
    /// `op` runs at once unless the socket is known not ready in `direction` (the last
    /// operation saw `WouldBlock` or drained it, and no edge came since): then it waits
    /// first, saving a system call that would fail.
    pub(crate) fn io<R, F>(&self, direction: Direction, op: F) -> Io<'_, S, F>
    where
        F: FnMut(&S) -> io::Result<R>,
    {
        Io {
            source: self,
            direction,
            op,
            waiter: None,
            timer: None,
        }
    }

    /// The poll-level form of [`io`](Source::io), without the direction's timeout: the
    /// public poll methods that have no `start_*` hook (`poll_accept`, `poll_recv`,
    /// `poll_send_to`, `poll_peek`, ...). A timer kept in the socket could not tell a re-poll
    /// from a new call after a dropped one, and would hand the dropped call's deadline on.
    /// Only the last task to poll a direction is woken.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            if self.registration.is_ready(direction) {
                ready!(coop::poll_proceed(cx));
                match op(&self.inner) {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        self.registration.clear_ready(direction)
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    result => return Poll::Ready(result),
                }
            }
            match self.registration.poll_ready(cx, direction) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Runs `op` once, never waiting: the sockets' `try_` methods. Returns `WouldBlock` if
    /// the socket is not ready in `direction`; the next operation in that direction then
    /// waits for an edge.
    ///
    /// The system call is made whatever the cached readiness says: `readable` and
    /// `writable` ask the kernel, not the cache, so after them the cache may still say "not
    /// ready" while the socket is. Spends no budget, as it never waits.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op(&self.inner) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.clear_ready(direction);
                    return Err(err);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }

    /// [`try_io`](Source::try_io) for a byte-stream read or write of `len` bytes: a short
    /// transfer shows the socket drained, and an empty read returns `Ok(0)`, as in
    /// [`io_bytes`](Source::io_bytes).
    pub(crate) fn try_io_bytes<T: Transfer>(
        &self,
        direction: Direction,
        len: usize,
        op: impl FnMut(&S) -> io::Result<T>,
    ) -> io::Result<usize> {
        // As `read`: the kernel may report `WouldBlock` for an empty read.
        if len == 0 && direction == Direction::Read {
            return Ok(0);
        }
        let transfer = self.try_io(direction, op)?;
        Ok(self.note_transfer(direction, transfer, len))
    }

    /// A new poll-level operation begins in `direction`: forgets the timer an earlier one
    /// left if it was dropped while pending, so the new one gets a full timeout. A poll
    /// cannot tell a new operation from a re-poll of a pending one; the caller can.
    pub(crate) fn start_poll_op(&self, direction: Direction) {
        drop(self.timer_cell(direction).take());
    }

    /// Shuts down `how` with `shutdown` (the socket's own), then wakes the writes waiting on
    /// the write half if it was shut: they fail at once now, but on a Unix socket (stream or
    /// datagram) with a full send buffer the kernel reports no event for it (see
    /// [`Registration::mark_closed`]).
    pub(crate) fn shutdown(
        &self,
        how: Shutdown,
        shutdown: impl FnOnce(&S, Shutdown) -> io::Result<()>,
    ) -> io::Result<()> {
        shutdown(&self.inner, how)?;
        if how != Shutdown::Write {
            self.read_shut.set(true);
        }
        if how != Shutdown::Read {
            self.write_shut.set(true);
            self.registration.mark_closed(Direction::Write);
        }
        Ok(())
    }

    /// A datagram receive's `result`, with `WouldBlock` turned into end of file (`eof`) once
    /// the read half is shut. No datagram can arrive then (a sender gets `EPIPE`), so
    /// the queue is drained for good: std's blocking receive returns `Ok(0)`, where the
    /// non-blocking system call reports `WouldBlock`, and waiting for an edge would hang.
    ///
    /// Shut by this side's [`shutdown`](Source::shutdown), or before Mirage took the socket,
    /// or through another descriptor of it: the kernel then reports it (`EPOLLRDHUP`) with
    /// the first event after registration, and it is remembered from then on.
    pub(crate) fn eof_if_read_shut<R>(
        &self,
        result: io::Result<R>,
        eof: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        match result {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock && self.is_read_shut() => eof(),
            result => result,
        }
    }

    /// Whether the read half is shut, as [`eof_if_read_shut`](Source::eof_if_read_shut)
    /// says; once the reactor reports it, kept (a shut half never reopens), since the next
    /// `WouldBlock` elsewhere would clear the reactor's record.
    fn is_read_shut(&self) -> bool {
        if !self.read_shut.get() && self.registration.is_closed(Direction::Read) {
            self.read_shut.set(true);
        }
        self.read_shut.get()
    }

    /// Forgets readiness in `direction`.
    pub(crate) fn clear_ready(&self, direction: Direction) {
        self.registration.clear_ready(direction);
    }

    /// [`io`](Source::io) for a byte-stream read or write of `len` bytes: a short result
    /// shows the socket drained (receive buffer empty, or send buffer full), so the next
    /// operation waits for an edge instead of trying a system call that would fail.
    ///
    /// A read of 0 bytes returns `Ok(0)` at once, as documented for the streams' `read`: the
    /// kernel would report `WouldBlock` for it while nothing is queued, and waiting for data
    /// the read cannot take would hang it. A write of 0 bytes makes its system call at once,
    /// whatever the cached readiness says (see [`try_empty_write`]).
    pub(crate) fn io_bytes<T, F>(
        &self,
        direction: Direction,
        len: usize,
        op: F,
    ) -> IoBytes<'_, S, F>
    where
        T: Transfer,
        F: FnMut(&S) -> io::Result<T>,
    {
        IoBytes {
            io: self.io(direction, op),
            len,
        }
    }

    /// [`poll_io`](Source::poll_io) for a byte-stream read or write (`AsyncRead::poll_read`,
    /// `AsyncWrite::poll_write`), with the direction's timeout; see
    /// [`io_bytes`](Source::io_bytes).
    pub(crate) fn poll_io_bytes<T: Transfer>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        mut op: impl FnMut(&S) -> io::Result<T>,
    ) -> Poll<io::Result<usize>> {
        if len == 0 {
            if direction == Direction::Read {
                return Poll::Ready(Ok(0));
            }
            if let Some(result) = try_empty_write(&mut op, &self.inner) {
                self.timer_cell(direction).replace(None);
                return Poll::Ready(result);
            }
        }
        // The timer is this operation's: `start_read` and `start_write` clear one that a
        // dropped operation left.
        match self.poll_io(cx, direction, op) {
            Poll::Ready(result) => {
                self.timer_cell(direction).replace(None);
                Poll::Ready(result.map(|transfer| self.note_transfer(direction, transfer, len)))
            }
            Poll::Pending => self.poll_timer(cx, direction),
        }
    }

    /// Reads into `buf` with `peek` (a byte-stream peek of the socket), without consuming;
    /// `Ok(0)` at once for an empty `buf`: the kernel may report `WouldBlock` for it even
    /// with data queued (in front of urgent data), and waiting would hang. Cancel-safe.
    pub(crate) async fn peek(
        &self,
        buf: &mut [u8],
        mut peek: impl FnMut(&S, &mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.io(Direction::Read, |stream| peek(stream, buf)).await
    }

    /// Fills all of `buf` with `read` (a byte-stream read of the socket); `UnexpectedEof` if
    /// the stream ends first. Not cancel-safe: a dropped call may have consumed a prefix.
    pub(crate) async fn read_exact<T: Transfer>(
        &self,
        mut buf: &mut [u8],
        mut read: impl FnMut(&S, &mut [u8]) -> io::Result<T>,
    ) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self
                .io_bytes(Direction::Read, buf.len(), |stream| read(stream, buf))
                .await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed before the buffer was filled",
                ));
            }
            buf = &mut std::mem::take(&mut buf)[n..];
        }
        Ok(())
    }

    /// Writes all of `buf` with `write` (a byte-stream write of the socket); `WriteZero` if
    /// the socket stops taking bytes. Not cancel-safe: a dropped call may have written a
    /// prefix.
    pub(crate) async fn write_all(
        &self,
        mut buf: &[u8],
        mut write: impl FnMut(&S, &[u8]) -> io::Result<usize>,
    ) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self
                .io_bytes(Direction::Write, buf.len(), |stream| write(stream, buf))
                .await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the connection accepted no more bytes",
                ));
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Notes what a transfer of up to `len` bytes showed (see [`io_bytes`](Source::io_bytes))
    /// and returns its byte count.
    fn note_transfer(&self, direction: Direction, transfer: impl Transfer, len: usize) -> usize {
        if transfer.shows_drained(len) {
            self.registration.mark_drained(direction);
        }
        transfer.bytes()
    }

    /// Waits until the socket is ready in `direction` (see [`sys::ready_now`]), honouring
    /// its timeout: the public `readable` and `writable`. Cancel-safe.
    ///
    /// Readiness recorded by the reactor is not enough: it lasts from an edge until an
    /// operation sees `WouldBlock` (or a short transfer), so it outlives the datagram, or
    /// the bytes, that a completed receive took. The kernel is asked instead, and until it
    /// says ready the wait goes on, through edges that turn out stale, under one timer.
    /// Once this side shut its write half, the write direction is ready: a write fails at
    /// once, though the kernel may not report a full Unix stream writable.
    ///
    /// When the reactor knows the socket not ready (the last operation saw `WouldBlock` or
    /// drained it, and no edge came since), asking the kernel first would only confirm it:
    /// the wait starts at once, and the kernel is asked after the edge. That saves a
    /// `poll(2)` per wait in a loop of `readable` and `try_read`.
    pub(crate) async fn ready(&self, direction: Direction) -> io::Result<()> {
        // A loop over a socket that is always ready still lets the other tasks run.
        coop::consume_budget().await;
        let mut timer = self.timeout(direction).map(sleep);
        let shut = || direction == Direction::Write && self.write_shut.get();
        if !shut() && !self.registration.is_ready(direction) {
            self.ready_before(direction, timer.as_mut()).await?;
        }
        while !shut() && !sys::ready_now(self.inner.as_raw_fd(), direction)? {
            // As after `WouldBlock`: the next edge wakes the wait.
            self.registration.clear_ready(direction);
            self.ready_before(direction, timer.as_mut()).await?;
        }
        Ok(())
    }

    /// The poll-level form of [`ready`](Source::ready), without its timeout: the public
    /// `poll_read_ready` and `poll_write_ready`. Ready once the kernel reports the socket
    /// ready in `direction` (or this side shut its write half, for `Write`), as `ready`
    /// is; only the last task to poll a direction is woken. Spends a unit of budget on
    /// `Ready`, as an operation would.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<()>> {
        let shut = direction == Direction::Write && self.write_shut.get();
        if !shut {
            loop {
                ready!(self.registration.poll_ready(cx, direction))?;
                if sys::ready_now(self.inner.as_raw_fd(), direction)? {
                    break;
                }
                // A stale readiness: the next edge wakes the task.
                self.registration.clear_ready(direction);
            }
        }
        ready!(coop::poll_proceed(cx));
        Poll::Ready(Ok(()))
    }

    /// The poll-level form of [`peek`](Source::peek).
    pub(crate) fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        mut peek: impl FnMut(&S, &mut [u8]) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.poll_io(cx, Direction::Read, |stream| peek(stream, buf))
    }

    /// Runs `op` until it does not report `WouldBlock`, retrying after growing pauses
    /// ([`FIRST_RETRY`], doubling up to [`MAX_RETRY`]) instead of waiting for readiness, and
    /// failing with `TimedOut` after the direction's timeout. Cancel-safe as far as `op` is.
    ///
    /// For the one operation whose readiness the kernel never signals: a Unix datagram
    /// `send_to` to a receiver whose queue is full. Linux wakes only a blocking sender when
    /// such a receiver makes room, and each failed non-blocking attempt signals the sender
    /// writable again at once, so waiting for that edge would retry without pause.
    pub(crate) async fn io_retrying<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut timer = self.timeout(direction).map(sleep);
        let mut pause = FIRST_RETRY;
        loop {
            coop::consume_budget().await;
            match op(&self.inner) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
            before_timer(sleep(pause), timer.as_mut(), direction).await?;
            pause = (pause * 2).min(MAX_RETRY);
        }
    }

    /// Waits for readiness in `direction`, failing with `TimedOut` once `timer` fires. A
    /// timer kept across several waits bounds them all together. Cancel-safe.
    pub(crate) async fn ready_before(
        &self,
        direction: Direction,
        timer: Option<&mut Sleep>,
    ) -> io::Result<()> {
        before_timer(self.registration.ready(direction), timer, direction).await?
    }

    /// After a `Pending` poll: starts the direction's timer if it has a timeout, and fails
    /// with `TimedOut` once it fires.
    fn poll_timer<R>(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<R>> {
        let Some(timeout) = self.timeout(direction) else {
            return Poll::Pending;
        };
        let mut slot = self.timer_cell(direction).borrow_mut();
        let timer = slot.get_or_insert_with(|| sleep(timeout));
        if Pin::new(timer).poll(cx).is_ready() {
            let fired = slot.take();
            drop(slot);
            drop(fired);
            return Poll::Ready(Err(timed_out(direction)));
        }
        Poll::Pending
    }
}

/// A std socket whose std timeouts live in the kernel (`SO_RCVTIMEO`, `SO_SNDTIMEO`), where a
/// Mirage socket keeps its own (the kernel's do not apply to a non-blocking socket): the
/// conversions take them over and hand them back, so that a socket passed between std and
/// Mirage, or through `into_std` and `from_std` to a Core on another thread, keeps them.
pub(crate) trait StdTimeouts {
    fn std_timeouts(&self) -> io::Result<(Option<Duration>, Option<Duration>)>;
    fn set_std_timeouts(&self, read: Option<Duration>, write: Option<Duration>) -> io::Result<()>;
}

macro_rules! impl_std_timeouts {
    ($($ty:ty),*) => {$(
        impl StdTimeouts for $ty {
            fn std_timeouts(&self) -> io::Result<(Option<Duration>, Option<Duration>)> {
                Ok((self.read_timeout()?, self.write_timeout()?))
            }

            fn set_std_timeouts(
                &self,
                read: Option<Duration>,
                write: Option<Duration>,
            ) -> io::Result<()> {
                self.set_read_timeout(read)?;
                self.set_write_timeout(write)
            }
        }
    )*};
}

impl_std_timeouts!(
    std::net::TcpStream,
    std::net::UdpSocket,
    std::os::unix::net::UnixStream,
    std::os::unix::net::UnixDatagram
);

impl<S: AsRawFd + StdTimeouts> Source<S> {
    /// [`new`](Source::new), taking over the timeouts std set on `inner`: the sockets'
    /// `from_std`.
    pub(crate) fn with_std_timeouts(inner: S) -> io::Result<Source<S>> {
        let (read, write) = inner.std_timeouts()?;
        let source = Source::new(inner);
        source.read_timeout.set(read);
        source.write_timeout.set(write);
        Ok(source)
    }

    /// [`into_inner`](Source::into_inner), handing this socket's timeouts to std (in the
    /// kernel), for its blocking calls: the sockets' `into_std`.
    pub(crate) fn into_inner_with_std_timeouts(self) -> io::Result<S> {
        let (read, write) = (self.read_timeout.get(), self.write_timeout.get());
        let inner = self.into_inner();
        inner.set_std_timeouts(read, write)?;
        Ok(inner)
    }
}

/// The future of [`Source::io`]: one socket operation, retried on readiness.
///
/// Written by hand rather than as an `async fn` over [`Registration::ready`]: it is on
/// every read and write, and the nested futures cost more than the operation's own logic.
pub(crate) struct Io<'a, S: AsRawFd, F> {
    source: &'a Source<S>,
    direction: Direction,
    op: F,
    /// This operation's place among the direction's waiters, once it waited.
    waiter: Option<u64>,
    /// Started the first time the operation has to wait, if the direction has a timeout.
    timer: Option<Sleep>,
}

// `Io` never pins its fields (it calls `op` through `&mut` and pins only the `Unpin` timer),
// so it is `Unpin` whatever `op` is.
impl<S: AsRawFd, F> Unpin for Io<'_, S, F> {}

impl<S: AsRawFd, R, F: FnMut(&S) -> io::Result<R>> Future for Io<'_, S, F> {
    type Output = io::Result<R>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let this = self.get_mut();
        let registration = &this.source.registration;
        loop {
            if registration.is_ready(this.direction) {
                // Only an attempt spends budget: waiting for readiness yields anyway.
                ready!(coop::poll_proceed(cx));
                match (this.op)(&this.source.inner) {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        registration.clear_ready(this.direction)
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    result => {
                        // So that dropping the finished operation has nothing to do.
                        registration.ready_after_wait(this.direction, &mut this.waiter);
                        return Poll::Ready(result);
                    }
                }
            }
            match registration.poll_ready_waiter(cx, this.direction, &mut this.waiter) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => {}
            }
            if this.timer.is_none() && this.source.timeout(this.direction).is_none() {
                return Poll::Pending;
            }
            return poll_timeout(&mut this.timer, this.source, this.direction, cx);
        }
    }
}

/// Runs `wait` to completion, failing with `TimedOut` (in `direction`) if `timer` fires
/// first; without a timer, only `wait` ends it. Cancel-safe as far as `wait` is.
async fn before_timer<T>(
    wait: impl Future<Output = T>,
    mut timer: Option<&mut Sleep>,
    direction: Direction,
) -> io::Result<T> {
    let mut wait = pin!(wait);
    poll_fn(|cx| {
        if let Poll::Ready(output) = wait.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match timer.as_deref_mut().map(|timer| Pin::new(timer).poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Err(timed_out(direction))),
            _ => Poll::Pending,
        }
    })
    .await
}

/// An [`Io`] that is waiting, with a timeout in its direction: starts the timer on the
/// first call and fails with `TimedOut` once it fires. Out of line, so the common path
/// without timeouts stays small.
#[inline(never)]
fn poll_timeout<S: AsRawFd, R>(
    timer: &mut Option<Sleep>,
    source: &Source<S>,
    direction: Direction,
    cx: &mut Context<'_>,
) -> Poll<io::Result<R>> {
    let timer = match timer {
        Some(timer) => timer,
        None => match source.timeout(direction) {
            Some(timeout) => timer.insert(sleep(timeout)),
            None => return Poll::Pending,
        },
    };
    if Pin::new(timer).poll(cx).is_ready() {
        return Poll::Ready(Err(timed_out(direction)));
    }
    Poll::Pending
}

/// The future of [`Source::io_bytes`]: an [`Io`] that notes a short transfer.
pub(crate) struct IoBytes<'a, S: AsRawFd, F> {
    io: Io<'a, S, F>,
    len: usize,
}

impl<S: AsRawFd, T: Transfer, F: FnMut(&S) -> io::Result<T>> Future for IoBytes<'_, S, F> {
    type Output = io::Result<usize>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        // The same steps as `poll_io_bytes`, written out: shared through a closure they cost
        // 15 to 20 more instructions per echoed message (callgrind), as `Poll::map_ok` did.
        let this = self.get_mut();
        if this.len == 0 {
            if this.io.direction == Direction::Read {
                return Poll::Ready(Ok(0));
            }
            if let Some(result) = try_empty_write(&mut this.io.op, &this.io.source.inner) {
                return Poll::Ready(result);
            }
        }
        match Pin::new(&mut this.io).poll(cx) {
            Poll::Ready(Ok(transfer)) => Poll::Ready(Ok(this.io.source.note_transfer(
                this.io.direction,
                transfer,
                this.len,
            ))),
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// An empty byte-stream write, made at once whatever the cached readiness says: it cannot
/// block, so it returns what std's would, `Ok(0)` or the socket's pending error
/// (`BrokenPipe` after a shutdown). Waiting for room first, as a write of bytes does, would
/// hang it on a full socket for room it does not need. `None` if the kernel reports
/// `WouldBlock` (or `Interrupted`) all the same: then it waits as any write does.
#[cold]
#[inline(never)]
fn try_empty_write<S, T: Transfer>(
    op: &mut impl FnMut(&S) -> io::Result<T>,
    socket: &S,
) -> Option<io::Result<usize>> {
    match op(socket) {
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            None
        }
        Ok(transfer) => Some(Ok(transfer.bytes())),
        Err(err) => Some(Err(err)),
    }
}

/// What one byte-stream system call moved: a byte count, and whether it showed the socket
/// drained (empty, or full).
pub(crate) trait Transfer {
    /// Bytes moved.
    fn bytes(&self) -> usize;

    /// Whether this transfer of up to `len` bytes showed the socket drained, so that the
    /// next one in this direction waits for an edge before trying: by default, a short
    /// count. Zero bytes is end of stream (or an empty buffer): nothing to learn.
    #[inline]
    fn shows_drained(&self, len: usize) -> bool {
        short(self.bytes(), len)
    }
}

/// Whether `n` bytes moved of `len` asked is a short, non-empty count.
#[inline]
pub(crate) fn short(n: usize, len: usize) -> bool {
    0 < n && n < len
}

impl Transfer for usize {
    #[inline]
    fn bytes(&self) -> usize {
        *self
    }
}

impl Transfer for StreamRead {
    #[inline]
    fn bytes(&self) -> usize {
        self.len
    }

    /// A read cut short at a message whose ancillary data was dropped shows nothing.
    #[inline]
    fn shows_drained(&self, len: usize) -> bool {
        !self.cut_short && short(self.len, len)
    }
}

impl Transfer for TcpRead {
    #[inline]
    fn bytes(&self) -> usize {
        self.len()
    }

    /// Drained when the kernel counted nothing left, even after a read that filled the
    /// buffer; as any short read otherwise.
    #[inline]
    fn shows_drained(&self, len: usize) -> bool {
        self.emptied() || short(self.len(), len)
    }
}

impl<S: AsRawFd, F> Drop for Io<'_, S, F> {
    fn drop(&mut self) {
        // Most operations complete without ever waiting.
        if self.waiter.is_some() {
            self.source
                .registration
                .forget_waiter(self.direction, &mut self.waiter);
        }
    }
}

/// The error of an operation that waited longer than its timeout.
pub(crate) fn timed_out(direction: Direction) -> io::Error {
    let what = match direction {
        Direction::Read => "read timed out",
        Direction::Write => "write timed out",
    };
    io::Error::new(io::ErrorKind::TimedOut, what)
}

impl<S: AsRawFd + fmt::Debug> fmt::Debug for Source<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    use mirage_core::Core;
    use mirage_core::time::{Instant, pause};

    use super::*;

    #[test]
    fn one_timer_bounds_several_waits_together() {
        let (mut peer, socket) = UnixStream::pair().unwrap();
        socket.set_nonblocking(true).unwrap();
        let source = Source::new(socket);
        let mut core = Core::new().unwrap();
        core.run(async {
            pause();
            let started = Instant::now();
            let mut timer = Some(sleep(Duration::from_millis(100)));
            let writer = mirage_core::spawn(async move {
                sleep(Duration::from_millis(60)).await;
                peer.write_all(b"x").unwrap();
                peer
            });
            source
                .ready_before(Direction::Read, timer.as_mut())
                .await
                .unwrap();
            assert_eq!(started.elapsed(), Duration::from_millis(60));
            let _peer = writer.await.unwrap();
            // As after a spurious wake-up: the next wait has only what is left.
            source.clear_ready(Direction::Read);
            let err = source.ready_before(Direction::Read, timer.as_mut()).await;
            assert_eq!(err.unwrap_err().kind(), io::ErrorKind::TimedOut);
            assert_eq!(started.elapsed(), Duration::from_millis(100));
        });
    }
}
