//! One client connection: reads requests (pipelined ones in order), answers them, and
//! enforces the limits and timeouts of [`Config`].

use std::future::{poll_fn, Future};
use std::io;
use std::net::Shutdown as HalfClose;
use std::ops::Range;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use mirage::net::TcpStream;
use mirage::time::{sleep, timeout, timeout_at, Instant, Sleep};

use crate::chunked;
use crate::config::Config;
use crate::date;
use crate::event::{Shutdown, Subscription};
use crate::request::{self, BodyKind, HeadError};
use crate::response::{self, Response, Status};
use crate::routes;

/// Flush responses to pipelined requests once this much is buffered.
const FLUSH_AT: usize = 64 * 1024;

/// After an error response, the most the server reads and discards, and for how long, before
/// it closes: see [`Connection::linger`].
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
    /// An error response was queued: close gently, see [`Connection::linger`].
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

    /// Closes after an error response without losing it (RFC 9112 §9.6). Closing a socket
    /// with unread input makes the kernel send a reset, and a client that gets it before
    /// reading the response loses the response, so the server shuts down its sending side
    /// (the client reads the response, then end of stream), then reads and discards what the
    /// client still sends, until it closes, [`LINGER_BYTES`] or [`LINGER_TIME`], whichever
    /// comes first: a client cannot hold the connection longer.
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
                    self.error(head_error_status(err), false);
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
                    self.error(status, http10);
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
        if self.start == self.end {
            // Idle between requests.
            self.start = 0;
            self.end = 0;
            if self.shutdown.is_triggered() {
                return Ok(false);
            }
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
            self.error(response::REQUEST_TIMEOUT, false);
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
    async fn fill(&mut self, deadline: Instant) -> io::Result<bool> {
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

    /// Queues an error response that closes the connection, gently.
    fn error(&mut self, status: Status, http10: bool) {
        self.linger = true;
        Response {
            status,
            content_type: "text/plain",
            body: status.1.as_bytes(),
            keep_alive: false,
            http10,
            head_only: false,
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
mod tests {
    use super::*;

    #[test]
    fn the_idle_deadline_follows_the_latest_possible_start_of_the_wait() {
        let t0 = Instant::now();
        let at = |millis: u64| t0 + Duration::from_millis(millis);
        let lag = date::COARSE_LAG.as_millis() as u64;
        // A request right after the connection opened (times in ms): the wait stamped 0
        // began before the coarse clock's next reading, at most COARSE_LAG later. The
        // timer armed at 0 fires at 60 s and is re-armed for 60 s + COARSE_LAG (not pushed
        // a whole idle period on, to 120 s), when it closes.
        let idle = Duration::from_secs(60);
        assert_eq!(
            idle_deadline(t0, Some(at(59_600)), at(60_000), idle),
            Some(at(60_000 + lag))
        );
        assert_eq!(
            idle_deadline(t0, Some(at(60_600)), at(60_000 + lag), idle),
            None
        );

        // A short timeout: until the coarse clock moves, only `now` bounds the start of
        // the wait; then its new reading does.
        let idle = Duration::from_millis(200);
        assert_eq!(idle_deadline(t0, Some(t0), at(200), idle), Some(at(400)));
        assert_eq!(
            idle_deadline(t0, Some(at(300)), at(400), idle),
            Some(at(500))
        );
        assert_eq!(idle_deadline(t0, Some(at(300)), at(500), idle), None);

        // Without a coarse clock the stamp is an exact reading.
        let idle = Duration::from_secs(60);
        assert_eq!(idle_deadline(t0, None, at(60_000), idle), None);
        assert_eq!(
            idle_deadline(at(1_000), None, at(60_000), idle),
            Some(at(61_000))
        );
    }

    /// What the chunked body decoder made of a body: the body and the bytes it left unread
    /// after it, or the status it refused the body with.
    #[derive(Debug, PartialEq)]
    enum Decoded {
        Body { body: Vec<u8>, rest: Vec<u8> },
        Refused(u16),
    }

    fn limits(max_head: usize, max_body: usize) -> Config {
        Config {
            max_head,
            max_body,
            // A decoder that waits for bytes that never come fails the test, late.
            body_timeout: Duration::from_secs(10),
            ..Config::default()
        }
    }

    /// Decodes a chunked body with [`Connection::read_body`], from `pieces` sent over a
    /// loopback connection, each once the server has read the one before (so that each
    /// arrives in a read of its own), then the end of the stream.
    fn decode_chunked(pieces: &[&[u8]], config: Config) -> Decoded {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        // The same socket, to peek at whether the server has read all that was sent.
        let unread = server.try_clone().unwrap();
        unread.set_nonblocking(true).unwrap();
        let waiting = || match unread.peek(&mut [0]) {
            Ok(n) => n > 0,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => false,
            Err(err) => panic!("peek: {err}"),
        };
        let send = |piece: &[u8]| io::Write::write_all(&mut &client, piece).unwrap();
        let sent = std::cell::Cell::new(0);
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            let stream = TcpStream::from_std(server).unwrap();
            let mut conn = Connection::new(stream, Rc::new(config), Shutdown::default());
            let outcome = {
                let mut read = pin!(conn.read_body(BodyKind::Chunked, false, false));
                let mut write = pin!(async {
                    for piece in pieces {
                        send(piece);
                        sent.set(sent.get() + 1);
                        while waiting() {
                            mirage::yield_now().await;
                        }
                    }
                    client.shutdown(HalfClose::Write).unwrap();
                    std::future::pending::<()>().await;
                });
                poll_fn(|cx| {
                    if let Poll::Ready(outcome) = read.as_mut().poll(cx) {
                        return Poll::Ready(outcome);
                    }
                    let _ = write.as_mut().poll(cx);
                    Poll::Pending
                })
                .await
            };
            if let Err(Status(code, _)) = outcome.unwrap() {
                return Decoded::Refused(code);
            }
            // What is left: what the server buffered, then the rest of the stream.
            let mut rest = conn.buf[conn.start..conn.end].to_vec();
            pieces[sent.get()..].iter().for_each(|piece| send(piece));
            let _ = client.shutdown(HalfClose::Write);
            let mut buf = [0; 4096];
            loop {
                match conn.stream.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => rest.extend_from_slice(&buf[..n]),
                }
            }
            Decoded::Body {
                body: conn.body.clone(),
                rest,
            }
        })
    }

    /// The trailer section may be as large as a head, whose limit counts its blank line:
    /// four bytes more were accepted, each trailer line's limit leaving out its own CRLF and
    /// the blank line's.
    #[test]
    fn the_trailer_limit_counts_the_blank_line() {
        // A section of 10 bytes: "X: abc" CRLF CRLF.
        let body = &[&b"1\r\na\r\n0\r\nX: abc\r\n\r\nnext"[..]];
        let whole = Decoded::Body {
            body: b"a".to_vec(),
            rest: b"next".to_vec(),
        };
        assert_eq!(decode_chunked(body, limits(10, 100)), whole);
        assert_eq!(decode_chunked(body, limits(9, 100)), Decoded::Refused(431));
        assert_eq!(decode_chunked(body, limits(6, 100)), Decoded::Refused(431));
        // And so does a section of 16 bytes, in two fields, in two reads.
        let body = &[&b"0\r\nX: abc\r\nY: "[..], b"d\r\n\r\n"];
        let empty = Decoded::Body {
            body: Vec::new(),
            rest: Vec::new(),
        };
        assert_eq!(decode_chunked(body, limits(16, 100)), empty);
        assert_eq!(decode_chunked(body, limits(15, 100)), Decoded::Refused(431));
        assert_eq!(decode_chunked(body, limits(12, 100)), Decoded::Refused(431));
    }

    /// Property tests of the chunked body decoder: bodies encoded at random, sent in random
    /// pieces, and checked against a byte-at-a-time reading of RFC 9112 §7.1 with the limits
    /// [`Connection::read_chunked`] documents.
    mod chunked_properties {
        use proptest::collection::vec;
        use proptest::prelude::*;
        use proptest::sample::{select, Index};

        use super::*;

        /// `input` cut at `cuts` (indexes into it), in order.
        fn pieces<'a>(input: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
            let mut at: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
            at.extend([0, input.len()]);
            at.sort_unstable();
            at.windows(2).map(|w| &input[w[0]..w[1]]).collect()
        }

        /// The next line, from `at` up to its CRLF, as the decoder reads one: refused with
        /// `too_long` once it holds more than `limit` bytes, with 400 if it ends in a bare
        /// LF; 408 if the input ends first.
        fn line<'a>(
            input: &'a [u8],
            at: &mut usize,
            limit: usize,
            too_long: u16,
        ) -> Result<&'a [u8], u16> {
            let rest = &input[*at..];
            let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
                return Err(if rest.len() > limit + 1 {
                    too_long
                } else {
                    408
                });
            };
            if lf > limit + 1 {
                return Err(too_long);
            }
            let line = rest[..lf].strip_suffix(b"\r").ok_or(400u16)?;
            *at += lf + 1;
            Ok(line)
        }

        fn field_value_byte(b: &u8) -> bool {
            matches!(b, b'\t' | b' '..=b'~' | 0x80..)
        }

        /// A chunked body read byte by byte (RFC 9112 §7.1), as if all of `input` arrived
        /// and then the end of the stream: the body and the bytes it took, or the status to
        /// refuse it with. The limits are those `read_chunked` documents: extensions count
        /// toward `max_body` (413), a chunk-size line is at most `max_head` bytes (400), and
        /// the trailer section, blank line included, as large as a head: `max_head` (431).
        fn reference(
            input: &[u8],
            max_head: usize,
            max_body: usize,
        ) -> Result<(Vec<u8>, usize), u16> {
            let (mut at, mut body, mut extensions) = (0, Vec::new(), 0);
            loop {
                let size_line = line(input, &mut at, max_head, 400)?;
                let digits = size_line
                    .iter()
                    .take_while(|b| b.is_ascii_hexdigit())
                    .count();
                if digits == 0 || digits > 16 {
                    return Err(400);
                }
                let hex = std::str::from_utf8(&size_line[..digits]).unwrap();
                let size = u64::from_str_radix(hex, 16).unwrap();
                let ext = &size_line[digits..];
                let mut after_bws = ext.iter().skip_while(|&&b| b == b' ' || b == b'\t');
                if !ext.is_empty()
                    && (after_bws.next() != Some(&b';') || !ext.iter().all(field_value_byte))
                {
                    return Err(400);
                }
                extensions += ext.len();
                if (body.len() + extensions) as u128 + u128::from(size) > max_body as u128 {
                    return Err(413);
                }
                if size == 0 {
                    break;
                }
                let data = input.get(at..at + size as usize).ok_or(408u16)?;
                body.extend_from_slice(data);
                at += data.len();
                if !line(input, &mut at, 0, 400)?.is_empty() {
                    return Err(400);
                }
            }
            let mut section = 0;
            loop {
                // Room for the field, its CRLF and the blank line's.
                let field = line(input, &mut at, max_head.saturating_sub(section + 4), 431)?;
                if field.is_empty() {
                    return Ok((body, at));
                }
                let colon = field.iter().position(|&b| b == b':').ok_or(400u16)?;
                let name = &field[..colon];
                let tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
                if name.is_empty()
                    || !name.iter().all(tchar)
                    || !field[colon + 1..].iter().all(field_value_byte)
                {
                    return Err(400);
                }
                section += field.len() + 2;
            }
        }

        /// A chunked body and its encoding: chunks of random sizes, each size in hex of
        /// either case, maybe with leading zeros and extensions; the last chunk; trailer
        /// fields; the blank line.
        fn encoded() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
            let extensions: &[&[u8]] = &[
                b"",
                b"",
                b"",
                b";a",
                b";a=b",
                b" ;a=\"b c\"",
                b"\t; x=1;y",
                b";e=\x80\xff",
            ];
            let trailers: &[&[u8]] = &[b"X-T: a", b"Trailer:", b"x:\tb\tc\x80", b"Y-Long: abcdef"];
            let chunk = (any::<bool>(), 0usize..3, select(extensions));
            (
                vec(any::<u8>(), 0..120),
                vec(any::<Index>(), 0..6),
                vec(chunk, 7),
                (1usize..3, select(extensions)),
                vec(select(trailers), 0..4),
            )
                .prop_map(|(body, cuts, chunks, (zeros, last), trailers)| {
                    let mut ends: Vec<usize> =
                        cuts.iter().map(|i| i.index(body.len() + 1)).collect();
                    ends.push(body.len());
                    ends.sort_unstable();
                    ends.dedup();
                    let mut encoded = Vec::new();
                    let mut start = 0;
                    for (end, (upper, zeros, ext)) in ends.into_iter().zip(chunks) {
                        if end == start {
                            continue;
                        }
                        let zeros = "0".repeat(zeros);
                        let size = match upper {
                            true => format!("{zeros}{:X}", end - start),
                            false => format!("{zeros}{:x}", end - start),
                        };
                        let data = &body[start..end];
                        encoded.extend([size.as_bytes(), ext, b"\r\n", data, b"\r\n"].concat());
                        start = end;
                    }
                    encoded.extend(["0".repeat(zeros).as_bytes(), last, b"\r\n"].concat());
                    for field in trailers {
                        encoded.extend([field, b"\r\n"].concat());
                    }
                    encoded.extend(b"\r\n");
                    (body, encoded)
                })
        }

        /// Bytes after the body: the next request, or anything.
        fn next_request() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                Just(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
                vec(any::<u8>(), 0..8),
            ]
        }

        /// Random changes to an input: bytes replaced, inserted or removed, and maybe
        /// the input cut short.
        fn damage() -> impl Strategy<Value = (Vec<(u8, Index, u8)>, Option<Index>)> {
            let byte = prop_oneof![select(&b"\r\n;: \t0aF\x00\x7f\x80"[..]), any::<u8>()];
            let edits = vec((0u8..3, any::<Index>(), byte), 0..4);
            (edits, proptest::option::weighted(0.25, any::<Index>()))
        }

        fn damaged(
            mut input: Vec<u8>,
            (edits, end): (Vec<(u8, Index, u8)>, Option<Index>),
        ) -> Vec<u8> {
            for (kind, at, byte) in edits {
                let at = at.index(input.len() + 1);
                match kind {
                    0 if at < input.len() => input[at] = byte,
                    1 => input.insert(at, byte),
                    _ if at < input.len() => {
                        input.remove(at);
                    }
                    _ => input.push(byte),
                }
            }
            if let Some(end) = end {
                input.truncate(end.index(input.len() + 1));
            }
            input
        }

        fn expected(reading: Result<(Vec<u8>, usize), u16>, input: &[u8]) -> Decoded {
            match reading {
                Ok((body, used)) => Decoded::Body {
                    body,
                    rest: input[used..].to_vec(),
                },
                Err(status) => Decoded::Refused(status),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

            /// A body comes out whole however its encoding is cut up, and the decoder
            /// stops right after the blank line that ends it.
            #[test]
            fn chunked_bodies_decode_however_they_arrive(
                (body, encoded) in encoded(),
                next in next_request(),
                cuts in vec(any::<Index>(), 0..24),
            ) {
                let input = [&encoded[..], &next].concat();
                let decoded = decode_chunked(&pieces(&input, &cuts), limits(8192, 1 << 20));
                prop_assert_eq!(decoded, Decoded::Body { body, rest: next });
            }

            /// With small limits, a body is refused exactly where the documented limits
            /// say.
            #[test]
            fn chunked_bodies_are_held_to_the_limits(
                (_, encoded) in encoded(),
                cuts in vec(any::<Index>(), 0..24),
                max_head in 0usize..40,
                max_body in 0usize..200,
            ) {
                let decoded = decode_chunked(&pieces(&encoded, &cuts), limits(max_head, max_body));
                let reading = reference(&encoded, max_head, max_body);
                prop_assert_eq!(decoded, expected(reading, &encoded));
            }

            /// A damaged encoding is decoded or refused as the reference reads it, the same
            /// however it arrives: no panic, no endless wait, nothing read past its end.
            #[test]
            fn damaged_chunked_bodies_are_read_as_the_reference_reads_them(
                (_, encoded) in encoded(),
                next in next_request(),
                damage in damage(),
                cuts in vec(any::<Index>(), 0..24),
            ) {
                let input = damaged([&encoded[..], &next].concat(), damage);
                let decoded = decode_chunked(&pieces(&input, &cuts), limits(64, 256));
                let reading = reference(&input, 64, 256);
                prop_assert_eq!(
                    &decoded,
                    &expected(reading, &input),
                    "{:?}",
                    String::from_utf8_lossy(&input)
                );
                prop_assert_eq!(decode_chunked(&[&input], limits(64, 256)), decoded);
            }
        }
    }
}
