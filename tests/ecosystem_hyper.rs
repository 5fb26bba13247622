//! hyper 1.x on Mirage: the `hyper::rt` traits (`Read`, `Write`, `Timer`) implemented over
//! Mirage's public API, and hyper's http1 server and client driven by one Core.
//!
//! Every test runs on a fresh Core on a thread of its own (`guard::within_guard`, so a lost
//! wake-up fails instead of hanging), one test at a time (`SERIAL`), and checks that the
//! process holds as many descriptors after the Core is dropped as before it was made.

#![allow(missing_docs)]

mod guard;

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use mirage::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use mirage::net::{TcpListener, TcpSocket, TcpStream};
use mirage::time::Instant;

// ---------------------------------------------------------------------------------------
// `hyper::rt::Read` and `hyper::rt::Write` over any Mirage byte stream.

/// The most one read moves through the scratch buffer.
const SCRATCH: usize = 64 * 1024;

/// A Mirage stream seen through hyper's I/O traits.
///
/// Reads go through a scratch buffer: hyper hands out an uninitialised `ReadBufCursor`,
/// Mirage's `AsyncRead` wants an initialised `&mut [u8]`, and the only safe way to fill the
/// cursor is `put_slice`. So each read costs one extra copy of the bytes read (the scratch
/// is zeroed once, when first needed). `ReadBufCursor::initialize_unfilled` would let the
/// read land in place, but it zeroes the whole unfilled part on every call (hyper makes a
/// fresh `ReadBuf` per read, so nothing is remembered as initialised), and marking the
/// bytes filled afterwards needs the `unsafe` `advance` anyway.
///
/// Mirage's sockets keep per-operation state (the read and write timeouts), reset by
/// `start_read` / `start_write`: the adapter calls them before the first poll of each new
/// operation, i.e. unless the previous poll of that direction returned `Pending`.
struct MirageIo<T> {
    inner: T,
    scratch: Box<[u8]>,
    read_pending: bool,
    write_pending: bool,
}

impl<T> MirageIo<T> {
    fn new(inner: T) -> Self {
        MirageIo {
            inner,
            scratch: Box::default(),
            read_pending: false,
            write_pending: false,
        }
    }
}

impl<T: AsyncWrite + Unpin> MirageIo<T> {
    /// Polls one write-direction operation, marking a new one with `start_write`.
    fn write_op<R>(
        &mut self,
        op: impl FnOnce(Pin<&mut T>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if !self.write_pending {
            Pin::new(&mut self.inner).start_write();
        }
        let poll = op(Pin::new(&mut self.inner));
        self.write_pending = poll.is_pending();
        poll
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for MirageIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let want = buf.remaining().min(SCRATCH);
        if want == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.scratch.is_empty() {
            this.scratch = vec![0; SCRATCH].into_boxed_slice();
        }
        if !this.read_pending {
            Pin::new(&mut this.inner).start_read();
        }
        let poll = Pin::new(&mut this.inner).poll_read(cx, &mut this.scratch[..want]);
        this.read_pending = poll.is_pending();
        let n = std::task::ready!(poll)?;
        buf.put_slice(&this.scratch[..n]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for MirageIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_op(|w| w.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_op(|w| w.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().write_op(|w| w.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().write_op(|w| w.poll_close(cx))
    }
}

// ---------------------------------------------------------------------------------------
// `hyper::rt::Timer` on the running Core's timing wheel, and `ThreadBound`, which gives a
// Mirage value (`!Send`: it holds `Rc`s of its Core) the `Send` (+ `Sync`) hyper demands.

/// hyper's timer on Mirage: `mirage::time::sleep` in a [`ThreadBound`], and the Core's
/// clock (virtual under `pause`) as `now`.
#[derive(Clone, Copy, Debug, Default)]
struct MirageTimer;

type CoreSleep = ThreadBound<mirage::time::Sleep>;

impl hyper::rt::Timer for MirageTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ThreadBound::new(mirage::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ThreadBound::new(mirage::time::sleep_until(
            Instant::from_std(deadline),
        )))
    }

    /// hyper computes its deadlines from `now()` (the default is the system clock, which
    /// under virtual time is not the Core's).
    fn now(&self) -> std::time::Instant {
        Instant::now().into_std()
    }

    /// Moves our own sleep on the wheel (O(1)) instead of allocating a new one.
    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: std::time::Instant) {
        match sleep.as_mut().downcast_mut_pin::<CoreSleep>() {
            Some(ours) => ours
                .get_mut()
                .get_mut("reset")
                .reset(Instant::from_std(new_deadline)),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

impl hyper::rt::Sleep for CoreSleep {}

/// A value that may move between threads but is used only on the thread that wrapped it:
/// every access checks the thread and panics elsewhere; a drop elsewhere leaks the value
/// (for a `TcpStream`, its descriptor) rather than touch it.
struct ThreadBound<T> {
    inner: Option<T>,
    owner: ThreadId,
}

impl<T> ThreadBound<T> {
    fn new(inner: T) -> Self {
        ThreadBound {
            inner: Some(inner),
            owner: thread::current().id(),
        }
    }

    fn on_owner(&self) -> bool {
        thread::current().id() == self.owner
    }

    #[track_caller]
    fn check(&self, what: &str) {
        assert!(
            self.on_owner(),
            "a Core-bound value was {what} off the thread that made it"
        );
    }

    #[track_caller]
    fn get(&self, what: &str) -> &T {
        self.check(what);
        self.inner
            .as_ref()
            .expect("only Drop and into_inner take it")
    }

    #[track_caller]
    fn get_mut(&mut self, what: &str) -> &mut T {
        self.check(what);
        self.inner
            .as_mut()
            .expect("only Drop and into_inner take it")
    }

    #[track_caller]
    fn into_inner(mut self) -> T {
        self.check("unwrapped");
        self.inner.take().expect("only Drop and into_inner take it")
    }
}

// SAFETY: the wrapped value is reached only through `get`, `get_mut` and `into_inner`,
// which panic unless they run on the thread that wrapped it, and through `Drop`, which off
// that thread leaks it with the safe `mem::forget` instead of dropping it. So however the
// box travels, the value (its `Rc`s, its Core's wheel or reactor entry) is only ever used
// on its own thread, as if it had never moved; moving the bytes alone touches nothing.
unsafe impl<T> Send for ThreadBound<T> {}
// SAFETY: a shared reference reaches the value only through `get`, which checks the
// thread as above; `on_owner` reads the `ThreadId`, which is `Sync`. So `&ThreadBound`
// used from another thread can reach nothing that is not `Sync`.
unsafe impl<T> Sync for ThreadBound<T> {}

impl<T> Drop for ThreadBound<T> {
    fn drop(&mut self) {
        if !self.on_owner() {
            std::mem::forget(self.inner.take());
        }
    }
}

impl<T> std::fmt::Debug for ThreadBound<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadBound")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl<T: Future + Unpin> Future for ThreadBound<T> {
    type Output = T::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T::Output> {
        Pin::new(self.get_mut().get_mut("polled")).poll(cx)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ThreadBound<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().get_mut("read")).poll_read(cx, buf)
    }

    fn start_read(self: Pin<&mut Self>) {
        Pin::new(self.get_mut().get_mut("read")).start_read()
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ThreadBound<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().get_mut("written")).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().get_mut("written")).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.get("asked").is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().get_mut("flushed")).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().get_mut("closed")).poll_close(cx)
    }

    fn start_write(self: Pin<&mut Self>) {
        Pin::new(self.get_mut().get_mut("written")).start_write()
    }
}

// ---------------------------------------------------------------------------------------
// Harness: one test at a time, each on its own Core and thread, with a descriptor count.

static SERIAL: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Runs `test` on a fresh Core (time paused if `paused`) inside `within_guard`, then
/// checks that dropping the Core left no descriptor open.
fn on_core<F, Fut>(paused: bool, test: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = open_fds();
    guard::within_guard(move || {
        let mut core = mirage::Core::new().unwrap();
        core.run(async move {
            if paused {
                mirage::time::pause();
            }
            test().await;
        });
        drop(core);
    });
    assert_eq!(open_fds(), before, "descriptors leaked by the test's Core");
}

// ---------------------------------------------------------------------------------------
// Bodies, the service, the server and the client.

/// A body of `total` bytes (`i % 251` at offset `i`), in frames of `chunk` bytes, with an
/// exact size hint (so hyper sends `content-length`).
struct Pattern {
    sent: usize,
    total: usize,
    chunk: usize,
}

fn pattern_byte(i: usize) -> u8 {
    (i % 251) as u8
}

impl Body for Pattern {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.sent == self.total {
            return Poll::Ready(None);
        }
        let end = (self.sent + self.chunk).min(self.total);
        let data: Vec<u8> = (self.sent..end).map(pattern_byte).collect();
        self.sent = end;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(data)))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent == self.total
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact((self.total - self.sent) as u64)
    }
}

type ClientBody = Either<Full<Bytes>, Pattern>;
type ServerBody = Either<Full<Bytes>, Either<Incoming, Pattern>>;

/// What the server saw, for the tests to check.
#[derive(Default)]
struct State {
    accepted: Cell<usize>,
    /// Each finished connection: `Ok`, or the error's `Debug`, and whether it was a
    /// header-read timeout.
    finished: RefCell<Vec<(Result<(), String>, bool)>>,
    finished_notify: mirage::sync::Notify,
    /// Errors that request bodies ended with, as `Debug`.
    body_errors: RefCell<Vec<String>>,
    /// `/slow`: told when the handler has started, and waits for `release`.
    slow_entered: RefCell<Option<mirage::sync::oneshot::Sender<()>>>,
    slow_release: RefCell<Option<mirage::sync::oneshot::Receiver<()>>>,
}

impl State {
    async fn wait_finished(&self, count: usize) {
        while self.finished.borrow().len() < count {
            self.finished_notify.notified().await;
        }
    }
}

/// `GET /big` answers 1 MiB (a `Pattern`); other `GET <path>`s answer `hello <path>`; `POST /echo` streams the body back as it comes;
/// `POST /collect` reads the whole body first and answers its length; `GET /slow` waits for
/// the test's go-ahead.
async fn handle(
    req: Request<Incoming>,
    state: Rc<State>,
) -> Result<Response<ServerBody>, hyper::Error> {
    let path = req.uri().path().to_owned();
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/slow") => {
            let entered = state.slow_entered.borrow_mut().take();
            let release = state.slow_release.borrow_mut().take();
            if let Some(entered) = entered {
                let _ = entered.send(());
            }
            if let Some(release) = release {
                let _ = release.await;
            }
            Ok(Response::new(Either::Left(Full::new(Bytes::from_static(
                b"slow done",
            )))))
        }
        (Method::GET, "/sleep3") => {
            mirage::time::sleep(Duration::from_secs(3)).await;
            Ok(Response::new(Either::Left(Full::new(Bytes::from_static(
                b"slept",
            )))))
        }
        (Method::GET, "/big") => Ok(Response::new(Either::Right(Either::Right(Pattern {
            sent: 0,
            total: 1 << 20,
            chunk: 16 * 1024,
        })))),
        (Method::GET, _) => Ok(Response::new(Either::Left(Full::new(Bytes::from(
            format!("hello {path}"),
        ))))),
        (Method::POST, "/echo") => Ok(Response::new(Either::Right(Either::Left(req.into_body())))),
        (Method::POST, "/collect") => match req.into_body().collect().await {
            Ok(body) => Ok(Response::new(Either::Left(Full::new(Bytes::from(
                body.to_bytes().len().to_string(),
            ))))),
            Err(err) => {
                state.body_errors.borrow_mut().push(format!("{err:?}"));
                Err(err)
            }
        },
        _ => {
            let mut response = Response::new(Either::Left(Full::new(Bytes::new())));
            *response.status_mut() = StatusCode::NOT_FOUND;
            Ok(response)
        }
    }
}

fn listener(small_buffers: bool) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    if small_buffers {
        // Accepted sockets inherit these: a 1 MiB body then cannot sit in the kernel.
        socket.set_recv_buffer_size(4096).unwrap();
        socket.set_send_buffer_size(4096).unwrap();
    }
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket.listen(64).unwrap()
}

/// Serves every connection `listener` accepts with `builder`, each in a task of its own.
fn spawn_server(listener: TcpListener, builder: http1::Builder, state: Rc<State>) -> SocketAddr {
    spawn_server_with(listener, builder, state, |_| {})
}

/// `spawn_server`, with `configure` applied to each accepted stream.
fn spawn_server_with(
    listener: TcpListener,
    builder: http1::Builder,
    state: Rc<State>,
    configure: fn(&TcpStream),
) -> SocketAddr {
    let addr = listener.local_addr().unwrap();
    mirage::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            configure(&stream);
            state.accepted.set(state.accepted.get() + 1);
            let for_service = Rc::clone(&state);
            let conn = builder.serve_connection(
                MirageIo::new(stream),
                service_fn(move |req| handle(req, Rc::clone(&for_service))),
            );
            let state = Rc::clone(&state);
            mirage::spawn(async move {
                let result = conn.await;
                let timeout = result.as_ref().is_err_and(|err| err.is_timeout());
                state
                    .finished
                    .borrow_mut()
                    .push((result.map_err(|err| format!("{err:?}")), timeout));
                state.finished_notify.notify_waiters();
            });
        }
    });
    addr
}

/// A `spawn_server_with` configuration: a 2 s socket read timeout on each accepted stream.
fn read_timeout_2s(stream: &TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
}

/// A hyper client connection, its connection future spawned on the Core.
async fn client(
    stream: TcpStream,
) -> (
    hyper::client::conn::http1::SendRequest<ClientBody>,
    mirage::JoinHandle<hyper::Result<()>>,
) {
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(MirageIo::new(stream))
        .await
        .unwrap();
    (sender, mirage::spawn(conn))
}

fn get(path: &str) -> Request<ClientBody> {
    Request::get(path)
        .header("host", "mirage")
        .body(Either::Left(Full::new(Bytes::new())))
        .unwrap()
}

fn post(path: &str, body: ClientBody) -> Request<ClientBody> {
    Request::post(path)
        .header("host", "mirage")
        .body(body)
        .unwrap()
}

async fn body_of(response: Response<Incoming>) -> Bytes {
    response.into_body().collect().await.unwrap().to_bytes()
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn server_and_client_on_one_core_get_and_post() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(false), http1::Builder::new(), Rc::clone(&state));
        let (mut sender, conn) = client(TcpStream::connect(addr).await.unwrap()).await;

        let response = sender.send_request(get("/hello")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-length"], "12");
        assert_eq!(body_of(response).await, "hello /hello");

        let body = Either::Left(Full::new(Bytes::from_static(b"ping")));
        let response = sender.send_request(post("/echo", body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body_of(response).await, "ping");

        let mut delete = get("/hello");
        *delete.method_mut() = Method::DELETE;
        let response = sender.send_request(delete).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(body_of(response).await, "");

        // Dropping the sender ends the client connection cleanly, and the server's with it.
        drop(sender);
        conn.await.unwrap().unwrap();
        state.wait_finished(1).await;
        assert_eq!(state.finished.borrow()[0].0, Ok(()));
        assert_eq!(state.accepted.get(), 1);
    });
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(false), http1::Builder::new(), Rc::clone(&state));
        let (mut sender, conn) = client(TcpStream::connect(addr).await.unwrap()).await;
        for i in 0..100 {
            sender.ready().await.unwrap();
            let path = format!("/r{i}");
            let response = sender.send_request(get(&path)).await.unwrap();
            assert_eq!(body_of(response).await, format!("hello {path}"));
            let body = Either::Left(Full::new(Bytes::from(format!("body {i}"))));
            let response = sender.send_request(post("/echo", body)).await.unwrap();
            assert_eq!(body_of(response).await, format!("body {i}"));
        }
        assert_eq!(
            state.accepted.get(),
            1,
            "every request on the one connection"
        );
        drop(sender);
        conn.await.unwrap().unwrap();
        state.wait_finished(1).await;
    });
}

#[test]
fn one_mebibyte_post_streams_both_ways() {
    const TOTAL: usize = 1 << 20;
    on_core(false, || async {
        let state = Rc::new(State::default());
        // Socket buffers of a few KiB at both ends: the echo only completes if the client
        // reads the answer while it still writes the request, and the server likewise.
        let addr = spawn_server(listener(true), http1::Builder::new(), Rc::clone(&state));
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        socket.set_send_buffer_size(4096).unwrap();
        let (mut sender, conn) = client(socket.connect(addr).await.unwrap()).await;

        let body = Either::Right(Pattern {
            sent: 0,
            total: TOTAL,
            chunk: 16 * 1024,
        });
        let response = sender.send_request(post("/echo", body)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-length"], TOTAL.to_string());
        let mut body = response.into_body();
        let (mut received, mut frames) = (0, 0);
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            for (offset, &byte) in data.iter().enumerate() {
                assert_eq!(
                    byte,
                    pattern_byte(received + offset),
                    "at {}",
                    received + offset
                );
            }
            received += data.len();
            frames += 1;
        }
        assert_eq!(received, TOTAL);
        assert!(
            frames > 16,
            "streamed in pieces, not buffered whole: {frames} frames"
        );

        // And the connection is still good for another request.
        let response = sender.send_request(get("/after")).await.unwrap();
        assert_eq!(body_of(response).await, "hello /after");
        drop(sender);
        conn.await.unwrap().unwrap();
        state.wait_finished(1).await;
    });
}

#[test]
fn pipelined_raw_requests_are_answered_in_order() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let mut builder = http1::Builder::new();
        builder.pipeline_flush(true);
        let addr = spawn_server(listener(false), builder, Rc::clone(&state));
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
                  POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nPING5\
                  GET /c HTTP/1.1\r\nHost: x\r\n\r\n\
                  POST /collect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                  3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n\
                  GET /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await
            .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8(answer).unwrap();
        assert_eq!(answer.matches("HTTP/1.1 200 OK\r\n").count(), 5, "{answer}");
        let bodies = ["hello /a", "PING5", "hello /c", "\r\n\r\n7", "hello /e"];
        let positions: Vec<usize> = bodies
            .iter()
            .map(|body| {
                answer
                    .find(body)
                    .unwrap_or_else(|| panic!("{body:?} in {answer}"))
            })
            .collect();
        assert!(positions.is_sorted(), "answers out of order: {answer}");
        assert!(answer.ends_with("hello /e"), "{answer}");
        state.wait_finished(1).await;
        assert_eq!(state.finished.borrow()[0].0, Ok(()));
    });
}

#[test]
fn header_read_timeout_cuts_off_a_half_request_in_virtual_time() {
    on_core(true, || async {
        let state = Rc::new(State::default());
        let mut builder = http1::Builder::new();
        builder
            .timer(MirageTimer)
            .header_read_timeout(Duration::from_secs(5));
        let addr = spawn_server(listener(false), builder, Rc::clone(&state));
        let start = Instant::now();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /half HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(5) && waited < Duration::from_millis(5100),
            "cut off after {waited:?}"
        );
        state.wait_finished(1).await;
        let finished = state.finished.borrow();
        assert!(finished[0].1, "a header-read timeout: {:?}", finished[0].0);
    });
}

#[test]
fn header_read_timeout_restarts_for_each_request_on_keep_alive() {
    on_core(true, || async {
        let state = Rc::new(State::default());
        let mut builder = http1::Builder::new();
        builder
            .timer(MirageTimer)
            .header_read_timeout(Duration::from_secs(5));
        let addr = spawn_server(listener(false), builder, Rc::clone(&state));
        let (mut sender, conn) = client(TcpStream::connect(addr).await.unwrap()).await;
        let start = Instant::now();
        // Three requests four (virtual) seconds apart: each within 5 s of the last, 12 s
        // in all.
        for i in 0..3 {
            if i > 0 {
                mirage::time::sleep(Duration::from_secs(4)).await;
            }
            let response = sender.send_request(get("/tick")).await.unwrap();
            assert_eq!(body_of(response).await, "hello /tick");
        }
        assert_eq!(start.elapsed(), Duration::from_secs(8));
        // Then idle: the server gives up 5 s after the last answer.
        state.wait_finished(1).await;
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_secs(13) && elapsed < Duration::from_millis(13_100),
            "closed at {elapsed:?}"
        );
        assert!(
            state.finished.borrow()[0].1,
            "{:?}",
            state.finished.borrow()[0]
        );
        // The client sees the close as the end of its connection.
        conn.await.unwrap().unwrap();
        assert!(sender.is_closed());
    });
}

#[test]
fn graceful_shutdown_in_select_finishes_the_request_in_flight() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let (entered_tx, entered_rx) = mirage::sync::oneshot::channel();
        let (release_tx, release_rx) = mirage::sync::oneshot::channel();
        *state.slow_entered.borrow_mut() = Some(entered_tx);
        *state.slow_release.borrow_mut() = Some(release_rx);
        let (shutdown_tx, shutdown_rx) = mirage::sync::oneshot::channel::<()>();

        let listener = listener(false);
        let addr = listener.local_addr().unwrap();
        let server_state = Rc::clone(&state);
        let server = mirage::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let for_service = Rc::clone(&server_state);
            let conn = http1::Builder::new().serve_connection(
                MirageIo::new(stream),
                service_fn(move |req| handle(req, Rc::clone(&for_service))),
            );
            mirage::pin!(conn);
            let shut_down_first = Cell::new(false);
            let result = mirage::select! {
                result = conn.as_mut() => result,
                _ = shutdown_rx => {
                    shut_down_first.set(true);
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            };
            (
                shut_down_first.get(),
                result.map_err(|err| format!("{err:?}")),
            )
        });

        let (mut sender, conn) = client(TcpStream::connect(addr).await.unwrap()).await;
        let slow = mirage::spawn(sender.send_request(get("/slow")));
        entered_rx.await.unwrap();
        // The request is in the handler: shut down, then let it answer.
        shutdown_tx.send(()).unwrap();
        mirage::yield_now().await;
        release_tx.send(()).unwrap();
        let response = slow.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // hyper tells the client this connection closes after the answer.
        assert_eq!(response.headers()["connection"], "close");
        assert_eq!(body_of(response).await, "slow done");
        assert_eq!(server.await.unwrap(), (true, Ok(())));
        conn.await.unwrap().unwrap();
        assert!(sender.is_closed());
    });
}

#[test]
fn graceful_shutdown_of_an_idle_connection_closes_it_at_once() {
    on_core(true, || async {
        let listener = listener(false);
        let addr = listener.local_addr().unwrap();
        let (shutdown_tx, shutdown_rx) = mirage::sync::oneshot::channel::<()>();
        let state = Rc::new(State::default());
        let server = mirage::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut builder = http1::Builder::new();
            builder.timer(MirageTimer);
            let conn = builder.serve_connection(
                MirageIo::new(stream),
                service_fn(move |req| handle(req, Rc::clone(&state))),
            );
            mirage::pin!(conn);
            mirage::select! {
                result = conn.as_mut() => result,
                _ = shutdown_rx => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            }
        });
        let (mut sender, conn) = client(TcpStream::connect(addr).await.unwrap()).await;
        let response = sender.send_request(get("/x")).await.unwrap();
        assert_eq!(body_of(response).await, "hello /x");
        let start = Instant::now();
        shutdown_tx.send(()).unwrap();
        server.await.unwrap().unwrap();
        conn.await.unwrap().unwrap();
        // No timer was waited out (the clock would have jumped to it).
        assert_eq!(start.elapsed(), Duration::ZERO);
    });
}

#[test]
fn client_disconnecting_mid_body_ends_the_server_connection() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(false), http1::Builder::new(), Rc::clone(&state));
        let stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /collect HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
            .await
            .unwrap();
        stream.write_all(&[7; 1000]).await.unwrap();
        drop(stream);
        state.wait_finished(1).await;
        let errors = state.body_errors.borrow();
        assert_eq!(errors.len(), 1, "the handler saw its body fail");
        assert!(
            errors[0].contains("IncompleteMessage") || errors[0].contains("Incomplete"),
            "{}",
            errors[0]
        );
        assert!(state.finished.borrow()[0].0.is_err());
    });
}

#[test]
fn client_disconnecting_mid_response_ends_the_server_connection() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(true), http1::Builder::new(), Rc::clone(&state));
        // A hyper client uploads 1 MiB to /echo, reads a little of the echo, then drops
        // everything: the server is left writing to a closed socket.
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let (mut sender, conn) = client(socket.connect(addr).await.unwrap()).await;
        let body = Either::Right(Pattern {
            sent: 0,
            total: 1 << 20,
            chunk: 16 * 1024,
        });
        let response = sender.send_request(post("/echo", body)).await.unwrap();
        let mut body = response.into_body();
        let first = body.frame().await.unwrap().unwrap();
        assert!(first.is_data());
        drop(body);
        drop(sender);
        conn.abort();
        let _ = conn.await;
        state.wait_finished(1).await;
        assert!(
            state.finished.borrow()[0].0.is_err(),
            "{:?}",
            state.finished.borrow()
        );
    });
}

#[test]
fn timer_sleep_is_thread_affine() {
    on_core(true, || async {
        use hyper::rt::Timer;
        let start = Instant::now();
        // On the Core: it fires at its deadline, and `reset` moves it.
        let mut sleep = MirageTimer.sleep(Duration::from_secs(10));
        let deadline = MirageTimer.now() + Duration::from_secs(3);
        MirageTimer.reset(&mut sleep, deadline);
        sleep.as_mut().await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));

        // Off the Core's thread: polling panics, dropping leaks without touching the Rc.
        let mut registered = MirageTimer.sleep(Duration::from_secs(60));
        let waker = std::task::Waker::noop();
        assert!(
            registered
                .as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
        let outcome = thread::spawn(move || {
            let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = registered
                    .as_mut()
                    .poll(&mut Context::from_waker(std::task::Waker::noop()));
            }));
            drop(registered);
            polled.is_err()
        })
        .join()
        .unwrap();
        assert!(outcome, "polling off the owner thread panics");
        // The Core still runs its timers afterwards.
        mirage::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(4));
    });
}

#[test]
fn many_concurrent_clients_on_one_core() {
    const CLIENTS: usize = 32;
    const REQUESTS: usize = 20;
    on_core(false, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(false), http1::Builder::new(), Rc::clone(&state));
        let mut clients = mirage::JoinSet::new();
        for c in 0..CLIENTS {
            clients.spawn(async move {
                let (mut sender, conn) = client(TcpStream::connect(addr).await.unwrap()).await;
                for r in 0..REQUESTS {
                    let path = format!("/c{c}/r{r}");
                    let response = sender.send_request(get(&path)).await.unwrap();
                    assert_eq!(body_of(response).await, format!("hello {path}"));
                    let payload = Bytes::from(vec![(c + r) as u8; 4096]);
                    let body = Either::Left(Full::new(payload.clone()));
                    let response = sender.send_request(post("/echo", body)).await.unwrap();
                    assert_eq!(body_of(response).await, payload);
                }
                drop(sender);
                conn.await.unwrap().unwrap();
            });
        }
        while let Some(done) = clients.join_next().await {
            done.unwrap();
        }
        state.wait_finished(CLIENTS).await;
        assert_eq!(state.accepted.get(), CLIENTS);
        assert!(
            state
                .finished
                .borrow()
                .iter()
                .all(|(result, _)| result.is_ok())
        );
    });
}

#[test]
fn socket_read_timeout_is_a_fresh_idle_timeout_for_each_hyper_read() {
    on_core(true, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server_with(
            listener(false),
            http1::Builder::new(),
            Rc::clone(&state),
            read_timeout_2s,
        );
        let (mut sender, conn) = client(TcpStream::connect(addr).await.unwrap()).await;
        let start = Instant::now();
        // 1.5 s apart, 3 s in all: only a deadline carried from one read to the next fires.
        for i in 0..3 {
            if i > 0 {
                mirage::time::sleep(Duration::from_millis(1500)).await;
            }
            let response = sender.send_request(get("/t")).await.unwrap();
            assert_eq!(body_of(response).await, "hello /t");
        }
        state.wait_finished(1).await;
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_secs(5) && elapsed < Duration::from_millis(5100),
            "idle connection ended at {elapsed:?}"
        );
        // hyper ends an idle keep-alive connection whose read fails quietly (`Ok`); nothing
        // but the socket's read timeout ends this one, at 3 s + 2 s.
        {
            let finished = state.finished.borrow();
            assert!(
                finished[0]
                    .0
                    .as_ref()
                    .map_or_else(|err| err.contains("TimedOut"), |()| true),
                "{:?}",
                finished[0]
            );
        }
        conn.await.unwrap().unwrap();
    });
}

#[test]
fn socket_write_timeout_ends_a_connection_whose_client_stops_reading() {
    on_core(true, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server_with(
            listener(true),
            http1::Builder::new(),
            Rc::clone(&state),
            |stream| {
                stream
                    .set_write_timeout(Some(Duration::from_secs(2)))
                    .unwrap()
            },
        );
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let start = Instant::now();
        stream
            .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        // Never read: the server's 1 MiB answer fills both buffers and its write waits.
        state.wait_finished(1).await;
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_secs(2) && elapsed < Duration::from_millis(2100),
            "stuck write ended at {elapsed:?}"
        );
        let finished = state.finished.borrow();
        let error = finished[0].0.as_ref().unwrap_err();
        assert!(error.contains("TimedOut"), "{error}");
        drop(stream);
    });
}

#[test]
fn client_resetting_mid_body_ends_the_server_connection() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(false), http1::Builder::new(), Rc::clone(&state));
        let stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /collect HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
            .await
            .unwrap();
        stream.write_all(&[7; 1000]).await.unwrap();
        // Let the server start on the body, then reset (SO_LINGER 0: RST, not FIN).
        mirage::time::sleep(Duration::from_millis(20)).await;
        stream.set_linger(Some(Duration::ZERO)).unwrap();
        drop(stream);
        state.wait_finished(1).await;
        assert_eq!(
            state.body_errors.borrow().len(),
            1,
            "the handler saw its body fail"
        );
        let finished = state.finished.borrow();
        assert!(finished[0].0.is_err(), "{:?}", finished[0]);
    });
}

/// hyper's upgrades (`Upgraded` is a `Box<dyn Io + Send>`) need `Send` I/O: a Mirage
/// `TcpStream` is not, so it goes in a `ThreadBound`. Both ends then take their Mirage
/// stream back (`Upgraded::downcast`) and speak raw bytes on it.
#[test]
fn http_upgrade_hands_back_the_mirage_stream() {
    type UpgradeIo = MirageIo<ThreadBound<TcpStream>>;

    async fn upgrade(mut req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
        assert_eq!(req.headers()["upgrade"], "echo");
        let on_upgrade = hyper::upgrade::on(&mut req);
        mirage::spawn(async move {
            let upgraded = on_upgrade.await.unwrap();
            let parts = upgraded.downcast::<UpgradeIo>().unwrap();
            let stream = parts.io.inner.into_inner();
            // Bytes hyper read past the request belong to the new protocol.
            stream.write_all(&parts.read_buf).await.unwrap();
            let mut buf = [0; 1024];
            loop {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                stream.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        response
            .headers_mut()
            .insert("upgrade", "echo".parse().unwrap());
        response
            .headers_mut()
            .insert("connection", "upgrade".parse().unwrap());
        Ok(response)
    }

    on_core(false, || async {
        let listener = listener(false);
        let addr = listener.local_addr().unwrap();
        let server = mirage::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            http1::Builder::new()
                .serve_connection(MirageIo::new(ThreadBound::new(stream)), service_fn(upgrade))
                .with_upgrades()
                .await
        });

        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
            MirageIo::new(ThreadBound::new(stream)),
        )
        .await
        .unwrap();
        let conn = mirage::spawn(conn.with_upgrades());
        let request = Request::get("/")
            .header("host", "mirage")
            .header("connection", "upgrade")
            .header("upgrade", "echo")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        let upgraded = hyper::upgrade::on(response).await.unwrap();
        conn.await.unwrap().unwrap();
        server.await.unwrap().unwrap();
        let parts = upgraded.downcast::<UpgradeIo>().unwrap();
        assert!(parts.read_buf.is_empty());
        let stream = parts.io.inner.into_inner();
        stream
            .write_all(b"raw bytes after the upgrade")
            .await
            .unwrap();
        let mut echoed = [0; 27];
        stream.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"raw bytes after the upgrade");
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(stream.read(&mut echoed).await.unwrap(), 0);
    });
}

/// A design limit, not a bug: hyper keeps a read pending while the service runs (to notice
/// a client that hangs up), so a socket read timeout also bounds how long a handler may
/// take. Here a 3 s handler under a 2 s read timeout loses its connection at 2 s.
#[test]
fn socket_read_timeout_also_cuts_a_slow_handler() {
    on_core(true, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server_with(
            listener(false),
            http1::Builder::new(),
            Rc::clone(&state),
            read_timeout_2s,
        );
        let (mut sender, conn) = client(TcpStream::connect(addr).await.unwrap()).await;
        let start = Instant::now();
        let error = sender.send_request(get("/sleep3")).await.unwrap_err();
        assert!(error.is_incomplete_message(), "{error:?}");
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        state.wait_finished(1).await;
        let error = state.finished.borrow()[0].0.clone().unwrap_err();
        assert!(error.contains("TimedOut"), "{error}");
        let _ = conn.await.unwrap();
    });
}

#[test]
fn header_read_timeout_in_real_time() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let mut builder = http1::Builder::new();
        builder
            .timer(MirageTimer)
            .header_read_timeout(Duration::from_millis(200));
        let addr = spawn_server(listener(false), builder, Rc::clone(&state));
        let start = std::time::Instant::now();
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /half HTTP/1.1\r\n").await.unwrap();
        let mut answer = Vec::new();
        (&stream).read_to_end(&mut answer).await.unwrap();
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(200) && waited < Duration::from_secs(2),
            "cut off after {waited:?}"
        );
        assert!(answer.is_empty(), "{answer:?}");
        state.wait_finished(1).await;
        assert!(state.finished.borrow()[0].1);
    });
}

/// A hyper connection (its socket, its header-read timer) started on one Core and
/// finished on the next one of the same thread, after the first is dropped.
#[test]
fn connection_moves_to_the_next_core_after_the_first_is_dropped() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = open_fds();
    guard::within_guard(|| {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = std_listener.accept().unwrap();
        accepted.set_nonblocking(true).unwrap();
        let stream = TcpStream::from_std(accepted).unwrap();
        let state = Rc::new(State::default());
        let for_service = Rc::clone(&state);
        let mut builder = http1::Builder::new();
        builder
            .timer(MirageTimer)
            .header_read_timeout(Duration::from_millis(300));
        let conn = builder.serve_connection(
            MirageIo::new(stream),
            service_fn(move |req| handle(req, Rc::clone(&for_service))),
        );
        let mut conn = Box::pin(conn);
        std::io::Write::write_all(
            &mut client,
            b"GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /sec",
        )
        .unwrap();
        let start = std::time::Instant::now();

        let mut first = mirage::Core::new().unwrap();
        first.run(async {
            // Serve the first request, start on the second, then leave the Core.
            mirage::select! {
                result = conn.as_mut() => panic!("ended early: {result:?}"),
                () = mirage::time::sleep(Duration::from_millis(50)) => {}
            }
        });
        drop(first);

        let mut second = mirage::Core::new().unwrap();
        let result = second.run(conn.as_mut());
        let waited = start.elapsed();
        drop(second);
        assert!(
            result.as_ref().is_err_and(|err| err.is_timeout()),
            "{result:?}"
        );
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(2),
            "timed out after {waited:?}"
        );
        drop(conn);
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut client, &mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("hello /first"),
            "{answer}"
        );
    });
    assert_eq!(open_fds(), before, "descriptors leaked");
}

#[test]
fn concurrent_large_echoes_through_small_buffers() {
    const CLIENTS: usize = 8;
    const TOTAL: usize = 256 * 1024;
    on_core(false, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(true), http1::Builder::new(), Rc::clone(&state));
        let mut clients = mirage::JoinSet::new();
        for _ in 0..CLIENTS {
            clients.spawn(async move {
                let socket = TcpSocket::new_v4().unwrap();
                socket.set_recv_buffer_size(4096).unwrap();
                socket.set_send_buffer_size(4096).unwrap();
                let (mut sender, conn) = client(socket.connect(addr).await.unwrap()).await;
                let body = Either::Right(Pattern {
                    sent: 0,
                    total: TOTAL,
                    chunk: 8192,
                });
                let response = sender.send_request(post("/echo", body)).await.unwrap();
                let echoed = body_of(response).await;
                assert_eq!(echoed.len(), TOTAL);
                assert!(
                    echoed
                        .iter()
                        .enumerate()
                        .all(|(i, &b)| b == pattern_byte(i))
                );
                drop(sender);
                conn.await.unwrap().unwrap();
            });
        }
        while let Some(done) = clients.join_next().await {
            done.unwrap();
        }
        state.wait_finished(CLIENTS).await;
        assert!(
            state
                .finished
                .borrow()
                .iter()
                .all(|(result, _)| result.is_ok())
        );
    });
}

/// The server's writes wait on a reader that takes a frame every 10 (virtual) ms: each
/// wait must end when the reader makes room.
#[test]
fn slow_reader_backpressures_a_large_response() {
    on_core(true, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(true), http1::Builder::new(), Rc::clone(&state));
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let (mut sender, conn) = client(socket.connect(addr).await.unwrap()).await;
        let response = sender.send_request(get("/big")).await.unwrap();
        let mut body = response.into_body();
        let (mut received, mut frames) = (0, 0);
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            assert!(
                data.iter()
                    .enumerate()
                    .all(|(i, &b)| b == pattern_byte(received + i))
            );
            received += data.len();
            frames += 1;
            mirage::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(received, 1 << 20);
        assert!(frames > 16, "{frames} frames");
        drop(sender);
        conn.await.unwrap().unwrap();
        state.wait_finished(1).await;
        assert_eq!(state.finished.borrow()[0].0, Ok(()));
    });
}

#[test]
fn five_hundred_pipelined_requests_in_one_write() {
    const REQUESTS: usize = 500;
    on_core(false, || async {
        let state = Rc::new(State::default());
        let mut builder = http1::Builder::new();
        builder.pipeline_flush(true);
        let addr = spawn_server(listener(false), builder, Rc::clone(&state));
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut batch = String::new();
        for i in 0..REQUESTS {
            let close = if i + 1 == REQUESTS {
                "Connection: close\r\n"
            } else {
                ""
            };
            batch.push_str(&format!("GET /p{i} HTTP/1.1\r\nHost: x\r\n{close}\r\n"));
        }
        // Write and read at once: the answers may fill the socket before the batch is in.
        let (written, answer) = mirage::join!(stream.write_all(batch.as_bytes()), async {
            let mut answer = Vec::new();
            (&stream).read_to_end(&mut answer).await.map(|_| answer)
        });
        written.unwrap();
        let answer = String::from_utf8(answer.unwrap()).unwrap();
        assert_eq!(answer.matches("HTTP/1.1 200 OK\r\n").count(), REQUESTS);
        let mut from = 0;
        for i in 0..REQUESTS {
            let body = format!("hello /p{i}");
            let at = answer[from..]
                .find(&body)
                .unwrap_or_else(|| panic!("{body} in order"));
            from += at + body.len();
        }
        state.wait_finished(1).await;
        assert_eq!(state.finished.borrow()[0].0, Ok(()));
    });
}

/// `Timer::reset` on a real-time sleep that is already on the wheel, earlier and later.
#[test]
fn timer_reset_in_real_time() {
    on_core(false, || async {
        use hyper::rt::Timer;
        let start = std::time::Instant::now();
        let mut sleep = MirageTimer.sleep(Duration::from_secs(10));
        let waker = std::task::Waker::noop();
        assert!(
            sleep
                .as_mut()
                .poll(&mut Context::from_waker(waker))
                .is_pending()
        );
        MirageTimer.reset(&mut sleep, MirageTimer.now() + Duration::from_millis(30));
        sleep.as_mut().await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(30) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
        // Reset after it fired: it waits again, for the new deadline.
        let again = std::time::Instant::now();
        MirageTimer.reset(&mut sleep, MirageTimer.now() + Duration::from_millis(30));
        sleep.as_mut().await;
        let waited = again.elapsed();
        assert!(
            waited >= Duration::from_millis(30) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
    });
}

/// Both connections polled from a `select!` in a loop against a 1 ms interval: every
/// iteration is a new `select!` whose branch wakers replace the last one's, while hyper
/// parks wakers in the sockets, its body channels and `want`. A wake-up that reached only
/// a stale waker would hang here (the guard fails the test).
#[test]
fn connections_polled_from_select_loops_against_an_interval() {
    const TOTAL: usize = 512 * 1024;
    on_core(false, || async {
        let listener = listener(true);
        let addr = listener.local_addr().unwrap();
        let state = Rc::new(State::default());
        let ticks = Rc::new(Cell::new(0u32));
        let server_ticks = Rc::clone(&ticks);
        let server = mirage::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let conn = http1::Builder::new().serve_connection(
                MirageIo::new(stream),
                service_fn(move |req| handle(req, Rc::clone(&state))),
            );
            mirage::pin!(conn);
            let mut interval = mirage::time::interval(Duration::from_millis(1));
            loop {
                mirage::select! {
                    result = conn.as_mut() => break result,
                    _ = interval.tick() => server_ticks.set(server_ticks.get() + 1),
                }
            }
        });

        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        socket.set_send_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake::<_, ClientBody>(MirageIo::new(stream))
                .await
                .unwrap();
        let client_ticks = Rc::clone(&ticks);
        let conn = mirage::spawn(async move {
            mirage::pin!(conn);
            let mut interval = mirage::time::interval(Duration::from_millis(1));
            loop {
                mirage::select! {
                    result = conn.as_mut() => break result,
                    _ = interval.tick() => client_ticks.set(client_ticks.get() + 1),
                }
            }
        });
        for round in 0..4 {
            let body = Either::Right(Pattern {
                sent: 0,
                total: TOTAL,
                chunk: 4096,
            });
            let response = sender.send_request(post("/echo", body)).await.unwrap();
            let echoed = body_of(response).await;
            assert_eq!(echoed.len(), TOTAL, "round {round}");
            assert!(
                echoed
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b == pattern_byte(i))
            );
            let response = sender.send_request(get("/small")).await.unwrap();
            assert_eq!(body_of(response).await, "hello /small");
        }
        drop(sender);
        conn.await.unwrap().unwrap();
        server.await.unwrap().unwrap();
        assert!(ticks.get() > 0);
    });
}

/// The tokio-shaped entry points: a `Runtime` (`block_on`, `spawn`) runs the same server
/// and client.
#[test]
fn runs_under_the_tokio_shaped_runtime() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = open_fds();
    guard::within_guard(|| {
        let runtime = mirage::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let state = Rc::new(State::default());
            let addr = spawn_server(listener(false), http1::Builder::new(), Rc::clone(&state));
            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake::<_, ClientBody>(MirageIo::new(stream))
                    .await
                    .unwrap();
            let conn = mirage::task::spawn_local(conn);
            let response = sender.send_request(get("/rt")).await.unwrap();
            assert_eq!(body_of(response).await, "hello /rt");
            drop(sender);
            conn.await.unwrap().unwrap();
        });
        drop(runtime);
    });
    assert_eq!(open_fds(), before, "descriptors leaked");
}

/// The server is blocked writing 1 MiB to a client that reads nothing; the client then
/// resets the connection. The pending write must wake (on the error edge) and fail.
#[test]
fn reset_wakes_a_server_blocked_in_write() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(true), http1::Builder::new(), Rc::clone(&state));
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        stream
            .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        mirage::time::sleep(Duration::from_millis(50)).await;
        assert!(state.finished.borrow().is_empty(), "still writing");
        stream.set_linger(Some(Duration::ZERO)).unwrap();
        drop(stream);
        let start = std::time::Instant::now();
        state.wait_finished(1).await;
        assert!(start.elapsed() < Duration::from_secs(5));
        let finished = state.finished.borrow();
        assert!(finished[0].0.is_err(), "{:?}", finished[0]);
    });
}

/// A client that shuts its write half after the request (HTTP/1.0 style) still gets its
/// answers when the server allows half-closed connections: the read side's end of
/// stream and the writes that follow it go through the same socket.
#[test]
fn half_closed_client_still_gets_its_answers() {
    on_core(false, || async {
        let state = Rc::new(State::default());
        let mut builder = http1::Builder::new();
        builder.half_close(true);
        let addr = spawn_server(listener(true), builder, Rc::clone(&state));
        let stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n\
                  GET /big HTTP/1.1\r\nHost: x\r\n\r\n",
            )
            .await
            .unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        (&stream).read_to_end(&mut answer).await.unwrap();
        let head_end = answer.windows(4).rposition(|w| w == b"\r\n\r\n").unwrap() + 4;
        let text = String::from_utf8_lossy(&answer[..head_end]);
        assert!(text.contains("hello /one"), "{text}");
        assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{text}");
        let big = &answer[head_end..];
        assert_eq!(big.len(), 1 << 20);
        assert!(big.iter().enumerate().all(|(i, &b)| b == pattern_byte(i)));
        state.wait_finished(1).await;
        assert_eq!(state.finished.borrow()[0].0, Ok(()));
    });
}

// ---------------------------------------------------------------------------------------
// hyper-util's pooled `Client` (`client::legacy`), which wants `Send` everywhere.

/// hyper's `Executor` on the running Core: `mirage::spawn` takes any future, `Send` or not.
#[derive(Clone, Copy, Debug, Default)]
struct MirageExecutor;

impl<F: Future<Output = ()> + 'static> hyper::rt::Executor<F> for MirageExecutor {
    fn execute(&self, future: F) {
        mirage::spawn(future);
    }
}

/// A Mirage connection for the pooled client: `Send` through `ThreadBound`.
type PooledIo = MirageIo<ThreadBound<TcpStream>>;

impl hyper_util::client::legacy::connect::Connection for PooledIo {
    fn connected(&self) -> hyper_util::client::legacy::connect::Connected {
        hyper_util::client::legacy::connect::Connected::new()
    }
}

/// Connects with Mirage's `TcpStream::connect`; its future holds `Rc`s of the Core, so it
/// too goes in a `ThreadBound` to meet the `Send` bound. Counts its connections.
#[derive(Clone, Debug, Default)]
struct MirageConnector {
    connects: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

type ConnectFuture = ThreadBound<Pin<Box<dyn Future<Output = io::Result<PooledIo>>>>>;

impl tower_service::Service<hyper::Uri> for MirageConnector {
    type Response = PooledIo;
    type Error = io::Error;
    type Future = ConnectFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: hyper::Uri) -> ConnectFuture {
        self.connects
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ThreadBound::new(Box::pin(async move {
            let host = uri.host().unwrap_or("127.0.0.1").to_owned();
            let port = uri.port_u16().unwrap_or(80);
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            Ok(MirageIo::new(ThreadBound::new(stream)))
        }))
    }
}

#[test]
fn hyper_util_pooled_client_reuses_and_expires_connections() {
    on_core(true, || async {
        use hyper_util::client::legacy::Client;
        let state = Rc::new(State::default());
        let addr = spawn_server(listener(false), http1::Builder::new(), Rc::clone(&state));
        let connector = MirageConnector::default();
        let client: Client<_, Full<Bytes>> = Client::builder(MirageExecutor)
            .pool_timer(MirageTimer)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector.clone());
        let uri = |path: &str| {
            format!("http://{addr}{path}")
                .parse::<hyper::Uri>()
                .unwrap()
        };

        for i in 0..5 {
            let response = client.get(uri(&format!("/pool{i}"))).await.unwrap();
            assert_eq!(body_of(response).await, format!("hello /pool{i}"));
        }
        let request = Request::post(uri("/echo"))
            .body(Full::new(Bytes::from_static(b"pooled post")))
            .unwrap();
        let response = client.request(request).await.unwrap();
        assert_eq!(body_of(response).await, "pooled post");
        assert_eq!(state.accepted.get(), 1, "one pooled connection for all");

        // Idle past the pool's timeout: the pool drops the connection on its own timer
        // (the server sees it close) and the next request connects afresh.
        let start = Instant::now();
        state.wait_finished(1).await;
        let idle = start.elapsed();
        assert!(
            idle >= Duration::from_secs(30) && idle <= Duration::from_secs(61),
            "pool dropped the idle connection after {idle:?}"
        );
        let response = client.get(uri("/again")).await.unwrap();
        assert_eq!(body_of(response).await, "hello /again");
        assert_eq!(state.accepted.get(), 2);
        assert_eq!(
            connector
                .connects
                .load(std::sync::atomic::Ordering::Relaxed),
            2
        );
        drop(client);
        state.wait_finished(2).await;
    });
}
