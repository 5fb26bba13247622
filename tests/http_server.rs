//! The HTTP/1.1 server example, driven over loopback with raw sockets and with curl.
//!
//! The example's modules are compiled into this test (they are plain files under
//! `examples/http_server/`), and each test runs the server on its own thread and Core.

#![allow(dead_code)]

#[path = "../examples/http_server/chunked.rs"]
mod chunked;
#[path = "../examples/http_server/config.rs"]
mod config;
#[path = "../examples/http_server/connection.rs"]
mod connection;
#[path = "../examples/http_server/date.rs"]
mod date;
#[path = "../examples/http_server/event.rs"]
mod event;
#[path = "../examples/http_server/request.rs"]
mod request;
#[path = "../examples/http_server/response.rs"]
mod response;
#[path = "../examples/http_server/routes.rs"]
mod routes;
#[path = "../examples/http_server/server.rs"]
mod server;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use config::Config;

/// A server on its own thread; dropping the stop socket shuts it down gracefully.
struct TestServer {
    addr: SocketAddr,
    stop: Option<StdUnixStream>,
    thread: Option<thread::JoinHandle<io::Result<()>>>,
}

impl TestServer {
    fn start(config: Config) -> TestServer {
        let (stop, stop_peer) = StdUnixStream::pair().unwrap();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let thread = thread::spawn(move || {
            let listener = mirage::net::TcpListener::bind("127.0.0.1:0")?;
            addr_tx.send(listener.local_addr()?).unwrap();
            let stop_peer = mirage::net::UnixStream::from_std(stop_peer)?;
            let mut core = mirage::Core::new()?;
            core.run(server::serve(listener, config, async move {
                let mut byte = [0u8; 1];
                let _ = stop_peer.read(&mut byte).await;
            }))
        });
        TestServer {
            addr: addr_rx.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Triggers the graceful shutdown and waits for the server to return.
    fn stop(mut self) {
        self.stop.take();
        self.thread.take().unwrap().join().unwrap().unwrap();
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A parsed response: status, headers (lower-cased names) and body.
#[derive(Debug)]
struct Reply {
    status: u16,
    version: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one response (Content-Length framed) from `reader`.
fn read_reply(reader: &mut impl BufRead) -> io::Result<Reply> {
    read_reply_to(reader, false)
}

/// Reads one response; a response to HEAD has a Content-Length but no body.
fn read_reply_to(reader: &mut impl BufRead, head_request: bool) -> io::Result<Reply> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let version = parts.next().unwrap_or_default().to_string();
    let status = parts.next().unwrap_or_default().parse().unwrap_or(0);
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut reply = Reply {
        status,
        version,
        headers,
        body: Vec::new(),
    };
    let length: usize = reply
        .header("content-length")
        .map_or(0, |v| v.parse().unwrap());
    if !head_request {
        reply.body = vec![0; length];
        reader.read_exact(&mut reply.body)?;
    }
    Ok(reply)
}

/// Whether the server closed the connection (reads end of stream, or a reset). Pass the
/// reader by value to close the client's side too (after an error, the server reads until
/// then, or for a while).
fn is_closed(mut reader: impl Read) -> bool {
    let mut byte = [0u8; 1];
    matches!(reader.read(&mut byte), Ok(0) | Err(_))
}

fn exchange(server: &TestServer, request: &[u8]) -> (Reply, BufReader<TcpStream>) {
    let mut stream = server.connect();
    stream.write_all(request).unwrap();
    let mut reader = BufReader::new(stream);
    let reply = read_reply(&mut reader).unwrap();
    (reply, reader)
}

#[test]
fn plaintext_index_echo_and_errors_for_unknown_paths_and_methods() {
    let server = TestServer::start(Config::default());
    let (reply, _) = exchange(&server, b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"Hello, World!"[..])
    );
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    assert!(reply.header("date").is_some_and(|d| d.ends_with(" GMT")));
    assert_eq!(reply.header("server"), Some("mirage"));

    let (reply, _) = exchange(&server, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    assert!(String::from_utf8_lossy(&reply.body).contains("Mirage"));

    // The absolute form, which a server must accept too (RFC 9112 §3.2.2).
    let (reply, _) = exchange(
        &server,
        b"GET http://t/plaintext?x=1 HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"Hello, World!"[..])
    );

    let (reply, _) = exchange(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello there",
    );
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"hello there"[..])
    );

    let (reply, _) = exchange(&server, b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 404);
    let (reply, _) = exchange(&server, b"DELETE /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        (reply.status, reply.header("allow")),
        (405, Some("GET, HEAD"))
    );
    let (reply, _) = exchange(&server, b"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        (reply.status, reply.header("allow")),
        (405, Some("GET, HEAD, POST"))
    );
    // HEAD: GET's headers, no body; the next response follows directly.
    let mut stream = server.connect();
    stream
        .write_all(
            b"HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\n",
        )
        .unwrap();
    let mut reader = BufReader::new(stream);
    let reply = read_reply_to(&mut reader, true).unwrap();
    assert_eq!(
        (reply.status, reply.header("content-length")),
        (200, Some("13"))
    );
    assert_eq!(read_reply(&mut reader).unwrap().status, 404);
    server.stop();
}

#[test]
fn keep_alive_and_pipelined_requests_are_answered_in_order() {
    let server = TestServer::start(Config::default());
    let mut stream = server.connect();
    let paths = ["/plaintext", "/", "/missing", "/plaintext"];
    let mut batch = Vec::new();
    for i in 0..16 {
        batch.extend_from_slice(
            format!("GET {} HTTP/1.1\r\nHost: t\r\n\r\n", paths[i % paths.len()]).as_bytes(),
        );
    }
    stream.write_all(&batch).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    for i in 0..16 {
        let reply = read_reply(&mut reader).unwrap();
        let expected = if paths[i % paths.len()] == "/missing" {
            404
        } else {
            200
        };
        assert_eq!(reply.status, expected, "response {i} out of order");
    }
    // Still open: one more request on the same connection.
    stream
        .write_all(b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_reply(&mut reader).unwrap().status, 200);
    server.stop();
}

#[test]
fn http10_and_connection_close_end_the_connection_after_the_response() {
    let server = TestServer::start(Config::default());
    let (reply, mut reader) = exchange(&server, b"GET /plaintext HTTP/1.0\r\n\r\n");
    assert_eq!((reply.version.as_str(), reply.status), ("HTTP/1.0", 200));
    assert!(is_closed(&mut reader));

    let (reply, mut reader) = exchange(
        &server,
        b"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    );
    assert_eq!(reply.header("connection"), Some("keep-alive"));
    reader
        .get_mut()
        .write_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    assert_eq!(read_reply(&mut reader).unwrap().status, 200);

    let (reply, mut reader) = exchange(
        &server,
        b"GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(is_closed(&mut reader));

    // A Transfer-Encoding in HTTP/1.0 is faulty framing (RFC 9112 §6.1): the body is
    // answered, then the connection closes, without serving the request after it.
    let (reply, mut reader) = exchange(
        &server,
        b"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n\
          3\r\nabc\r\n0\r\n\r\nGET /plaintext HTTP/1.0\r\n\r\n",
    );
    assert_eq!((reply.status, reply.body.as_slice()), (200, &b"abc"[..]));
    assert_eq!(reply.header("connection"), None);
    assert!(is_closed(&mut reader));
    server.stop();
}

#[test]
fn chunked_bodies_are_decoded_and_expect_continue_is_answered() {
    let server = TestServer::start(Config::default());
    let (reply, _) = exchange(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n",
    );
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"hello, world"[..])
    );

    let mut stream = server.connect();
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let interim = read_reply(&mut reader).unwrap();
    assert_eq!(interim.status, 100);
    stream.write_all(b"ping").unwrap();
    let reply = read_reply(&mut reader).unwrap();
    assert_eq!((reply.status, reply.body.as_slice()), (200, &b"ping"[..]));
    server.stop();
}

#[test]
fn oversized_and_malformed_requests_get_4xx_and_a_closed_connection() {
    let config = Config {
        max_head: 1024,
        max_body: 1000,
        ..Config::default()
    };
    let server = TestServer::start(config);
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(2000)
    );
    let cases: [(&[u8], u16); 10] = [
        (huge_header.as_bytes(), 431),
        (
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n",
            413,
        ),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        // Host: required, once, and valid (RFC 9112 §3.2).
        (b"GET / HTTP/1.1\r\nHost: t\r\nHost: t\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        (
            b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        // Chunked twice: the body's length cannot be known (RFC 9112 §6.3).
        (
            b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505),
    ];
    for (request, status) in cases {
        let (reply, mut reader) = exchange(&server, request);
        assert_eq!(reply.status, status, "{}", String::from_utf8_lossy(request));
        assert_eq!(reply.header("connection"), Some("close"));
        assert!(is_closed(&mut reader));
    }
    // A chunked body over the limit is refused too.
    let mut chunked =
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'x'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    let (reply, _) = exchange(&server, &chunked);
    assert_eq!(reply.status, 413);
    // The server is unharmed.
    let (reply, _) = exchange(&server, b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    server.stop();
}

/// Chunked framing is read strictly: a proxy in front may read a lenient form differently,
/// which is how requests are smuggled. These were all answered 200.
#[test]
fn lenient_chunked_framing_is_refused_with_400_and_a_close() {
    let server = TestServer::start(Config::default());
    for body in [
        &b"3\nabc\n0\n\n"[..],
        b"3\r\nabc\n0\r\n\r\n",
        b" 3\r\nabc\r\n0\r\n\r\n",
        b"3;a=\x01\rb\r\nabc\r\n0\r\n\r\n",
        b"3\r\nabc\r\n0\r\nbad trailer no colon\r\n\r\n",
        b"3\r\nabc\r\n0\r\nTrailer: x\n\r\n",
    ] {
        let request = [
            &b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            body,
        ]
        .concat();
        let (reply, mut reader) = exchange(&server, &request);
        assert_eq!(reply.status, 400, "{}", String::from_utf8_lossy(body));
        assert!(is_closed(&mut reader));
    }
    server.stop();
}

/// Extensions and trailers are skipped, but not without limit: 20,000 trailer lines, or
/// 500 chunks with 4 KB extensions each, were accepted.
#[test]
fn chunk_extensions_and_trailers_count_toward_the_limits() {
    let server = TestServer::start(Config {
        max_head: 1024,
        max_body: 1000,
        ..Config::default()
    });
    let post = |body: &[u8]| {
        let head = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
        exchange(&server, &[&head[..], body].concat())
    };
    // Up to the limits, accepted.
    let mut body = Vec::new();
    for _ in 0..4 {
        body.extend_from_slice(format!("1;e={}\r\na\r\n", "x".repeat(200)).as_bytes());
    }
    body.extend_from_slice(b"0\r\n");
    for i in 0..9 {
        body.extend_from_slice(format!("X-T{i}: {}\r\n", "v".repeat(100)).as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    let (reply, _) = post(&body);
    assert_eq!((reply.status, reply.body.as_slice()), (200, &b"aaaa"[..]));

    // Extensions over the body limit: 413.
    let mut body = Vec::new();
    for _ in 0..5 {
        body.extend_from_slice(format!("1;e={}\r\na\r\n", "x".repeat(200)).as_bytes());
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let (reply, reader) = post(&body);
    assert_eq!(reply.status, 413);
    assert!(is_closed(reader));

    // A trailer section larger than a head may be: 431.
    let mut body = b"1\r\na\r\n0\r\n".to_vec();
    for i in 0..10 {
        body.extend_from_slice(format!("X-T{i}: {}\r\n", "v".repeat(100)).as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    let (reply, reader) = post(&body);
    assert_eq!(reply.status, 431);
    assert!(is_closed(reader));
    server.stop();
}

/// The server used to close right after an error response with the rest of the request
/// unread, so the kernel answered with a reset, and the client could lose the response
/// (RFC 9112 §9.6). Now it shuts down its side and reads the rest first.
#[test]
fn an_error_response_is_followed_by_a_clean_close_not_a_reset() {
    let server = TestServer::start(Config::default());
    for _ in 0..3 {
        let mut stream = server.connect();
        let request = format!(
            "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
            "a".repeat(20_000)
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .expect("the response, then end of stream, not a reset");
        let mut reader = &response[..];
        let reply = read_reply(&mut reader).unwrap();
        assert_eq!(reply.status, 431);
        assert!(reader.is_empty());
    }
    server.stop();
}

/// The server closed at once after a response that ends the connection (here HTTP/1.0
/// with a chunked body, which the client asked to keep alive), with the client's next
/// requests unread, so the kernel answered with a reset instead of an end of stream, which
/// can cost the client the response (RFC 9112 §9.6). Now it closes gently, as after errors.
#[test]
fn a_close_after_a_response_is_clean_even_with_requests_unread() {
    let server = TestServer::start(Config::default());
    for _ in 0..3 {
        let mut stream = server.connect();
        let mut request = b"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\n\
            Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            .to_vec();
        // More than the server reads at once: some stays unread in the socket.
        for _ in 0..2000 {
            request.extend_from_slice(b"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        }
        let writer = {
            let mut stream = stream.try_clone().unwrap();
            thread::spawn(move || {
                let _ = stream.write_all(&request);
            })
        };
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .expect("the response, then end of stream, not a reset");
        let mut reader = &response[..];
        let reply = read_reply(&mut reader).unwrap();
        assert_eq!((reply.status, reply.body.as_slice()), (200, &b"abc"[..]));
        assert!(reader.is_empty());
        drop(stream);
        writer.join().unwrap();
    }
    server.stop();
}

#[test]
fn a_slowloris_client_is_cut_off_while_others_are_served() {
    let config = Config {
        header_timeout: Duration::from_millis(300),
        ..Config::default()
    };
    let server = TestServer::start(config);
    let slow = server.connect();
    let started = Instant::now();
    let trickler = {
        let mut slow = slow.try_clone().unwrap();
        thread::spawn(move || {
            // One byte every 50 ms: the whole head would take seconds.
            for byte in b"GET /plaintext HTTP/1.1\r\nHost: slow\r\nX-Padding: ......\r\n\r\n" {
                if slow.write_all(&[*byte]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(50));
            }
        })
    };
    // Meanwhile a well-behaved client is served promptly.
    let (reply, _) = exchange(&server, b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);

    let mut reader = BufReader::new(slow.try_clone().unwrap());
    let reply = read_reply(&mut reader).unwrap();
    assert_eq!(reply.status, 408);
    assert!(is_closed(&mut reader));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let _ = slow.shutdown(std::net::Shutdown::Both);
    trickler.join().unwrap();
    server.stop();
}

#[test]
fn idle_keep_alive_connections_and_stalled_bodies_time_out() {
    let config = Config {
        idle_timeout: Duration::from_millis(200),
        body_timeout: Duration::from_millis(200),
        ..Config::default()
    };
    let server = TestServer::start(config);
    let (reply, mut reader) = exchange(&server, b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    let idle = Instant::now();
    assert!(is_closed(&mut reader), "an idle connection is closed");
    let took = idle.elapsed();
    assert!(took >= Duration::from_millis(150), "{took:?}");
    assert!(
        took < Duration::from_millis(200) + date::COARSE_LAG + Duration::from_secs(1),
        "{took:?}"
    );

    let (reply, reader) = exchange(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly a little",
    );
    assert_eq!(reply.status, 408);
    assert!(is_closed(reader));
    server.stop();
}

/// The idle timer used to be armed once per connection and pushed a whole period on when
/// it found the connection active, so a client that sent one request right after connecting
/// and went silent was closed after twice the idle timeout.
#[test]
fn an_idle_connection_closes_after_the_idle_timeout_not_twice_it() {
    let idle_timeout = Duration::from_secs(3);
    let server = TestServer::start(Config {
        idle_timeout,
        ..Config::default()
    });
    let (reply, mut reader) = exchange(&server, b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    let idle = Instant::now();
    assert!(is_closed(&mut reader), "an idle connection is closed");
    let took = idle.elapsed();
    assert!(took >= idle_timeout - Duration::from_millis(50), "{took:?}");
    // At most COARSE_LAG late (1.25 s), with room for a slow machine: well short of 6 s.
    assert!(
        took < idle_timeout + date::COARSE_LAG + Duration::from_millis(750),
        "{took:?}"
    );
    server.stop();
}

#[test]
fn graceful_shutdown_finishes_requests_in_flight_and_closes_idle_connections() {
    let server = TestServer::start(Config::default());
    // An idle keep-alive connection, and a request whose body is still arriving.
    let (_, mut idle) = exchange(&server, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut busy = server.connect();
    busy.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhalf")
        .unwrap();
    thread::sleep(Duration::from_millis(100));
    let addr = server.addr;
    let stopper = thread::spawn(move || server.stop());

    thread::sleep(Duration::from_millis(100));
    assert!(is_closed(&mut idle), "the idle connection closed at once");
    // The request in flight still completes, and its connection then closes.
    busy.write_all(b" done").unwrap();
    busy.write_all(b"!").unwrap();
    let mut reader = BufReader::new(busy);
    let reply = read_reply(&mut reader).unwrap();
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"half done!"[..])
    );
    assert_eq!(reply.header("connection"), Some("close"));
    // Closed gently: end of stream, then the server waits for the client to close (which
    // the reader does when dropped), so that pipelined requests cause no reset.
    assert!(is_closed(reader));
    stopper.join().unwrap();
    // No longer accepting.
    assert!(TcpStream::connect(addr).is_err());
}

/// Runs curl, which CI installs; a missing curl fails the test with a clear message.
fn curl(args: &[&str]) -> String {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is needed for this test: install it (`apt-get install curl`)");
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn curl_gets_posts_reuses_connections_and_uploads_chunked() {
    let server = TestServer::start(Config::default());
    let base = format!("http://{}", server.addr);
    assert_eq!(curl(&[&format!("{base}/plaintext")]), "Hello, World!");
    assert_eq!(
        curl(&["--http1.0", &format!("{base}/plaintext")]),
        "Hello, World!"
    );
    // Two requests, one connection.
    let reuse = curl(&[
        "--write-out",
        "%{num_connects}\n",
        "--output",
        "/dev/null",
        "--output",
        "/dev/null",
        &format!("{base}/plaintext"),
        &format!("{base}/plaintext"),
    ]);
    assert_eq!(reuse.lines().collect::<Vec<_>>(), ["1", "0"]);
    // A chunked upload (curl sends it with Expect: 100-continue).
    let body: String = (0..20_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let path = std::env::temp_dir().join(format!("mirage-http-body-{}", std::process::id()));
    std::fs::write(&path, &body).unwrap();
    let echoed = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &format!("@{}", path.display()),
        &format!("{base}/echo"),
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(echoed, body);
    server.stop();
}
