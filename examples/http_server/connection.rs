//! One client connection: reads requests (pipelined ones in order), answers them, and
//! enforces the limits and timeouts of [`Config`].

use std::future::{Future, poll_fn};
use std::io;
use std::net::Shutdown as HalfClose;
use std::ops::Range;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use mirage::net::TcpStream;
use mirage::time::{Instant, Sleep, sleep, timeout, timeout_at};

use crate::chunked;
use crate::config::Config;
use crate::date;
use crate::event::{Shutdown, Subscription};
use crate::request::{self, BodyKind, HeadError, Method};
use crate::response::{self, Response, Status};
use crate::routes;

/// Flush responses to pipelined requests once this much is buffered.
const FLUSH_AT: usize = 64 * 1024;

/// The most capacity the body and output buffers keep while the connection is idle.
const KEEP_CAPACITY: usize = FLUSH_AT;

/// After a response that ends the connection, the most the server reads and discards, and
/// for how long, before it closes: see [`Connection::linger`].
const LINGER_BYTES: usize = 1024 * 1024;
const LINGER_TIME: Duration = Duration::from_secs(2);

pub struct Connection {
    stream: TcpStream,
    config: Rc<Config>,
    shutdown: Shutdown,
    /// Received bytes not yet consumed: `buf[start..end]`.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// When the first byte of the head being received arrived.
    head_started: Option<Instant>,
    /// The current request's body.
    body: Vec<u8>,
    /// Responses not yet written.
    out: Vec<u8>,
    /// Wakes the connection when the server shuts down while it waits for a request.
    shutdown_slot: Subscription,
    /// The idle timer, armed once and pushed back lazily: see [`Connection::fill_idle`].
    idle_timer: Option<Sleep>,
    /// A response that ends the connection was queued (an error, or one to a request that
    /// does not keep it alive): close gently, see [`Connection::linger`].
    linger: bool,
    /// When the connection last began to wait for a request, on the coarse clock
    /// ([`date::coarse_now`]): never later than the true moment, and at most
    /// [`date::COARSE_LAG`] earlier.
    idle_since: Instant,
}

/// Whether to keep serving after a request.
enum Next {
    Continue,
    Close,
}

impl Connection {
    pub fn new(stream: TcpStream, config: Rc<Config>, shutdown: Shutdown) -> Connection {
        // Room for the largest head, so a head never has to be split across buffers.
        let size = config.max_head.max(8 * 1024) * 2;
        Connection {
            stream,
            config,
            buf: vec![0; size].into_boxed_slice(),
            start: 0,
            end: 0,
            head_started: None,
            body: Vec::new(),
            out: Vec::with_capacity(4096),
            shutdown_slot: shutdown.subscribe(),
            shutdown,
            idle_timer: None,
            linger: false,
            idle_since: date::coarse_now(),
        }
    }

    /// Serves requests until the client leaves, misbehaves, or the server shuts down.
    /// I/O errors just end the connection: one bad client affects no other.
    pub async fn run(mut self) {
        let _ = self
            .stream
            .set_write_timeout(Some(self.config.body_timeout));
        let _ = self.serve().await;
        if self.linger {
            self.linger().await;
        }
    }

    /// Closes after a response that ends the connection without losing it (RFC 9112 §9.6).
    /// Closing a socket with unread input (a pipelined request, the rest of a refused one)
    /// makes the kernel send a reset, and a client that gets it before reading the response
    /// loses the response, so the server shuts down its sending side (the client reads the
    /// response, then end of stream), then reads and discards what the client still sends,
    /// until it closes, [`LINGER_BYTES`] or [`LINGER_TIME`], whichever comes first: a client
    /// cannot hold the connection longer.
    async fn linger(&mut self) {
        if self.stream.shutdown(HalfClose::Write).is_err() {
            return;
        }
        let (stream, buf) = (&self.stream, &mut self.buf);
        let _ = timeout(LINGER_TIME, async {
            let mut left = LINGER_BYTES;
            while left > 0 {
                match stream.read(buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
        })
        .await;
    }

    async fn serve(&mut self) -> io::Result<()> {
        loop {
            let next = self.answer_buffered().await?;
            self.flush().await?;
            if let Next::Close = next {
                return Ok(());
            }
            if !self.receive().await? {
                return Ok(());
            }
        }
    }

    /// Answers every complete request in the buffer, in order.
    async fn answer_buffered(&mut self) -> io::Result<Next> {
        while self.start < self.end {
            let head = match request::parse(&self.buf[self.start..self.end], self.config.max_head) {
                Ok(Some(head)) => head,
                Ok(None) => return Ok(Next::Continue),
                Err(err) => {
                    let head_only = request::is_head(&self.buf[self.start..self.end]);
                    self.error(head_error_status(err), false, head_only);
                    return Ok(Next::Close);
                }
            };
            // Copy what outlives the borrow of the buffer.
            let (method, body_kind, http10, expect) =
                (head.method, head.body, head.http10, head.expect_continue);
            let mut keep_alive = head.keep_alive;
            // Routed now: reading the body may reuse the buffer the path lives in.
            let route = routes::route(method, head.path);
            self.start += head.len;
            self.head_started = None;

            // Most requests have no body: no need to enter `read_body`'s state machine.
            if body_kind != BodyKind::None {
                if let Err(status) = self.read_body(body_kind, http10, expect).await? {
                    self.error(status, http10, method == Method::Head);
                    return Ok(Next::Close);
                }
            } else {
                self.body.clear();
            }
            if self.shutdown.is_triggered() {
                keep_alive = false;
            }
            let mut response = routes::respond(route, method, &self.body);
            response.keep_alive = keep_alive;
            response.http10 = http10;
            response.write_to(&mut self.out);
            if !keep_alive {
                self.linger = true;
                return Ok(Next::Close);
            }
            if self.out.len() >= FLUSH_AT {
                self.flush().await?;
            }
        }
        Ok(Next::Continue)
    }

    /// Reads the request body into `self.body`; `Err(status)` refuses the request.
    async fn read_body(
        &mut self,
        kind: BodyKind,
        http10: bool,
        expect_continue: bool,
    ) -> io::Result<Result<(), Status>> {
        self.body.clear();
        let max = self.config.max_body;
        match kind {
            BodyKind::None => return Ok(Ok(())),
            BodyKind::Length(n) if n > max as u64 => return Ok(Err(response::PAYLOAD_TOO_LARGE)),
            _ => {}
        }
        if expect_continue && !http10 {
            // Earlier responses first, then the go-ahead the client waits for.
            self.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            self.flush().await?;
        }
        let deadline = Instant::now() + self.config.body_timeout;
        match kind {
            BodyKind::None => Ok(Ok(())),
            BodyKind::Length(n) => self.take_body(n as usize, deadline).await,
            BodyKind::Chunked => self.read_chunked(deadline, max).await,
        }
    }

    /// Decodes a chunked body (RFC 9112 §7.1), skipping extensions and trailers, strictly
    /// (see [`chunked`]): a malformed line gets 400.
    ///
    /// What is skipped is still limited: extensions count toward the body limit `max` (413;
    /// one chunk-size line longer than `max_head` gets 400), and the trailer section, blank
    /// line included, may be as large as a head (`max_head`; 431 beyond).
    async fn read_chunked(
        &mut self,
        deadline: Instant,
        max: usize,
    ) -> io::Result<Result<(), Status>> {
        let max_head = self.config.max_head;
        let mut extensions = 0;
        loop {
            let line = match self.line(deadline, max_head, response::BAD_REQUEST).await? {
                Ok(line) => line,
                Err(status) => return Ok(Err(status)),
            };
            let Some(chunk) = chunked::size_line(&self.buf[line]) else {
                return Ok(Err(response::BAD_REQUEST));
            };
            extensions += chunk.extensions;
            let used = self.body.len() + extensions;
            if used > max || chunk.size > (max - used) as u64 {
                return Ok(Err(response::PAYLOAD_TOO_LARGE));
            }
            if chunk.size == 0 {
                break;
            }
            if let Err(status) = self.take_body(chunk.size as usize, deadline).await? {
                return Ok(Err(status));
            }
            // The CRLF after the data: nothing else.
            if let Err(status) = self.line(deadline, 0, response::BAD_REQUEST).await? {
                return Ok(Err(status));
            }
        }
        // Trailer fields, up to the blank line. Each leaves room for its CRLF and the blank
        // line's: the limit counts the blank line, as a head's does.
        let mut trailers = 0;
        loop {
            let limit = max_head.saturating_sub(trailers + 4);
            let line = match self
                .line(deadline, limit, response::HEADERS_TOO_LARGE)
                .await?
            {
                Ok(line) => line,
                Err(status) => return Ok(Err(status)),
            };
            if line.is_empty() {
                return Ok(Ok(()));
            }
            if !chunked::is_trailer_field(&self.buf[line.clone()]) {
                return Ok(Err(response::BAD_REQUEST));
            }
            trailers += line.len() + 2;
        }
    }

    /// Appends the next `len` bytes of the request to `self.body`, reading more as needed
    /// until `deadline`; 408 if the client is too slow, or gone (then nobody reads the
    /// answer anyway).
    async fn take_body(&mut self, len: usize, deadline: Instant) -> io::Result<Result<(), Status>> {
        let mut left = len;
        while left > 0 {
            if self.start == self.end && !self.fill(deadline).await? {
                return Ok(Err(response::REQUEST_TIMEOUT));
            }
            let take = left.min(self.end - self.start);
            self.body
                .extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
            left -= take;
        }
        Ok(Ok(()))
    }

    /// The next line of a chunked body, without its CRLF, as a range of the buffer (it is
    /// consumed), reading more as needed until `deadline`. Refused with `too_long` if it is
    /// longer than `limit`, with 400 if it ends in a bare LF, and with 408 if the client is
    /// too slow, or gone.
    async fn line(
        &mut self,
        deadline: Instant,
        limit: usize,
        too_long: Status,
    ) -> io::Result<Result<Range<usize>, Status>> {
        loop {
            let pending = &self.buf[self.start..self.end];
            if let Some(i) = pending.iter().position(|&b| b == b'\n') {
                if i > limit + 1 {
                    return Ok(Err(too_long));
                }
                if i == 0 || pending[i - 1] != b'\r' {
                    return Ok(Err(response::BAD_REQUEST));
                }
                let line = self.start..self.start + i - 1;
                self.start += i + 1;
                return Ok(Ok(line));
            }
            if pending.len() > limit + 1 {
                return Ok(Err(too_long));
            }
            if !self.fill(deadline).await? {
                return Ok(Err(response::REQUEST_TIMEOUT));
            }
        }
    }

    /// Waits for more of the next request head: while idle, up to the idle timeout (or
    /// until shutdown); once its first byte came, until the header deadline, answering 408
    /// when it passes. False when the connection should close.
    async fn receive(&mut self) -> io::Result<bool> {
        if request::is_blank(&self.buf[self.start..self.end]) {
            // Idle between requests: nothing pending, or only the empty lines a client may
            // send before a request line (RFC 9112 §2.2), which start no head. They stay
            // (counted toward `max_head`, so a flood of them still gets 431), moved to the
            // front: they are fewer than `max_head`, so the rest of the buffer is free.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            // A large body or response grew its buffer: give the memory back rather than
            // keep it for as long as the client keeps the connection (the body is done with,
            // the responses are written).
            self.body.clear();
            self.body.shrink_to(KEEP_CAPACITY);
            self.out.shrink_to(KEEP_CAPACITY);
            // Even during a shutdown: `fill_idle` reads a request the client already sent
            // before it checks for a shutdown, as closing with that request unread would
            // send a reset, which can cost the client the responses before it too.
            let more = self.fill_idle().await?;
            self.head_started = None;
            return Ok(more);
        }
        // Part of a head is here: the rest must come before the header deadline.
        let started = *self.head_started.get_or_insert_with(Instant::now);
        let deadline = started + self.config.header_timeout;
        if self.fill(deadline).await? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            let head_only = request::is_head(&self.buf[self.start..self.end]);
            self.error(response::REQUEST_TIMEOUT, false, head_only);
            let _ = self.flush().await;
        }
        Ok(false)
    }

    /// Waits for the next request's first bytes, up to the idle timeout, or until shutdown.
    /// False when the connection should close.
    ///
    /// This wait happens once per request, so it avoids per-request timer work and clock
    /// reads: it only stamps `idle_since` from the coarse clock (a thread-local load), and the
    /// idle timer stays armed across requests. When the timer fires, [`idle_deadline`] says
    /// whether the connection has been silent for the idle timeout; if not, the timer is
    /// re-armed for when it will have been. A connection is therefore closed after between
    /// one idle timeout and one idle timeout plus [`date::COARSE_LAG`] of silence (typically
    /// plus half a second), never before; the clock is read only when the timer fires.
    async fn fill_idle(&mut self) -> io::Result<bool> {
        let idle = self.config.idle_timeout;
        self.idle_since = date::coarse_now();
        let Connection {
            stream,
            buf,
            end,
            shutdown,
            shutdown_slot,
            idle_timer,
            idle_since,
            ..
        } = self;
        let mut read = pin!(stream.read(&mut buf[*end..]));
        let result = poll_fn(|cx| {
            if let Poll::Ready(result) = read.as_mut().poll(cx) {
                return Poll::Ready(Some(result));
            }
            if shutdown.is_triggered() {
                return Poll::Ready(None);
            }
            shutdown_slot.register(cx);
            let timer = idle_timer.get_or_insert_with(|| sleep(idle));
            loop {
                if Pin::new(&mut *timer).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let now = Instant::now();
                match idle_deadline(*idle_since, date::coarse_clock(), now, idle) {
                    Some(deadline) => timer.reset(deadline),
                    None => return Poll::Ready(None),
                }
            }
        })
        .await;
        match result {
            Some(Ok(0)) | None => Ok(false),
            Some(Ok(n)) => {
                *end += n;
                Ok(true)
            }
            Some(Err(err)) => Err(err),
        }
    }

    /// Reads more bytes into the buffer before `deadline`. False on end of stream or when
    /// the deadline passes.
    ///
    /// The responses already queued are written first: those to pipelined requests before
    /// a body that is still arriving must not wait for it.
    async fn fill(&mut self, deadline: Instant) -> io::Result<bool> {
        self.flush().await?;
        if self.end == self.buf.len() {
            // Move the unconsumed bytes to the front to make room.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.end == self.buf.len() {
                return Ok(false);
            }
        }
        match timeout_at(deadline, self.stream.read(&mut self.buf[self.end..])).await {
            Ok(Ok(0)) | Err(_) => Ok(false),
            Ok(Ok(n)) => {
                self.end += n;
                Ok(true)
            }
            Ok(Err(err)) => Err(err),
        }
    }

    /// Writes the buffered responses.
    async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }

    /// Queues an error response that closes the connection, gently; without its body if
    /// it answers a HEAD request (`head_only`).
    fn error(&mut self, status: Status, http10: bool, head_only: bool) {
        self.linger = true;
        Response {
            status,
            content_type: "text/plain",
            body: status.1.as_bytes(),
            keep_alive: false,
            http10,
            head_only,
            allow: None,
        }
        .write_to(&mut self.out);
    }
}

/// When to close a connection whose idle timer fired at `now`, having begun to wait at
/// `idle_since` by the coarse clock, which reads `coarse` now: `None` to close it at once.
///
/// `idle_since` is at or before the true start of the wait, so the deadline is computed from
/// the latest that start can have been: `now` if the coarse clock has not moved since (no
/// later bound is known), else the coarse clock's next reading after the stamp, which is at
/// most `coarse` and at most [`date::COARSE_LAG`] after the stamp. Without a coarse clock
/// the stamp was an exact reading.
fn idle_deadline(
    idle_since: Instant,
    coarse: Option<Instant>,
    now: Instant,
    idle: Duration,
) -> Option<Instant> {
    let latest_start = match coarse {
        None => idle_since,
        Some(coarse) if coarse == idle_since => now,
        Some(coarse) => coarse.min(idle_since + date::COARSE_LAG),
    };
    let deadline = latest_start + idle;
    (deadline > now).then_some(deadline)
}

fn head_error_status(err: HeadError) -> Status {
    match err {
        HeadError::BadRequest(_) => response::BAD_REQUEST,
        HeadError::TooLarge => response::HEADERS_TOO_LARGE,
        HeadError::NotImplemented(_) => response::NOT_IMPLEMENTED,
        HeadError::VersionNotSupported => response::VERSION_NOT_SUPPORTED,
    }
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;
