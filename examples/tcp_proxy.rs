//! A TCP proxy: every connection accepted on one address is relayed to an upstream
//! address, both directions at once, with an idle timeout per direction and half-closes
//! passed through.
//!
//! Each connection is one task copying both ways, the two copy loops raced in a `select!`
//! loop until both are done. A direction ends when its source reaches end of stream or
//! sends nothing for the idle timeout (the stream's read timeout, set the std way); either
//! way the proxy shuts down the write half towards its destination, so the other side
//! sees end of stream while the opposite direction goes on. What a source sends after its
//! direction idled out is read and dropped (closing a connection with unread data would
//! reset it, losing what the other direction still has on its way to that source), and
//! so is what it sends once its destination closed: that ends the direction, not the
//! connection, since what the destination sent before closing may still be on its way. An
//! error in either direction (a peer's reset, a destination that takes no bytes for the
//! idle timeout) resets the whole connection, both ways, so that neither peer takes a
//! transfer cut short for a whole one.
//!
//! Run it with `cargo run --example tcp_proxy -- 127.0.0.1:7002 127.0.0.1:7000 --idle 60`
//! (listen address, upstream, idle timeout in seconds, 60 by default), for instance in
//! front of `cargo run --example echo_server`; stop it with Ctrl-C.
//! `cargo run --example tcp_proxy -- --demo` instead starts an echo upstream and the proxy
//! on free ports, sends data through, shows a connection closed by the idle timeout, and
//! exits.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::pin;
use std::time::Duration;

use mirage::io::AsyncReadExt;
use mirage::net::{TcpListener, TcpStream};
use mirage::time::{Instant, sleep};

const DEFAULT_IDLE: Duration = Duration::from_secs(60);
const DEMO_IDLE: Duration = Duration::from_millis(300);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How one direction of a connection ended.
enum End {
    /// The source closed its write half.
    Eof,
    /// The source sent nothing for the idle timeout.
    Idle,
    /// The destination closed: it refused what the source sent.
    Closed,
}

impl End {
    fn describe(&self) -> &'static str {
        match self {
            End::Eof => "end of stream",
            End::Idle => "idle",
            End::Closed => "destination closed",
        }
    }
}

/// Copies `from` to `to` until `from` ends or idles out, then shuts down `to`'s write half
/// so that the destination sees the end too. Returns the number of bytes copied.
///
/// After an idle end, or once `to` closed and refuses what `from` sends (its reply may still
/// be on its way to `from`), what `from` still sends has nowhere to go: it is read and dropped
/// until `from` ends, fails or idles again. Left unread, it would make closing the
/// connection reset it, and a reset throws away what the other direction has queued for
/// `from` but not yet delivered.
async fn copy(from: &TcpStream, to: &TcpStream) -> io::Result<(u64, End)> {
    let mut buf = [0u8; 16 * 1024];
    let mut copied = 0;
    let end = loop {
        match from.read(&mut buf).await {
            Ok(0) => break End::Eof,
            Ok(n) => match to.write_all(&buf[..n]).await {
                Ok(()) => copied += n as u64,
                // The destination closed and takes nothing more, which ends this direction
                // only: what it sent before closing may still be on its way the other way.
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    break End::Closed;
                }
                Err(err) => return Err(err),
            },
            Err(err) if err.kind() == io::ErrorKind::TimedOut => break End::Idle,
            Err(err) => return Err(err),
        }
    };
    match to.shutdown(Shutdown::Write) {
        // The destination may have closed already; there is nothing left to tell it.
        Err(err) if err.kind() != io::ErrorKind::NotConnected => return Err(err),
        _ => {}
    }
    if let End::Idle | End::Closed = end {
        while let Ok(1..) = from.read(&mut buf).await {}
    }
    Ok((copied, end))
}

/// Relays one client connection to `upstream` until both directions have ended.
async fn relay(client: TcpStream, upstream: SocketAddr, idle: Duration) -> io::Result<String> {
    let server = TcpStream::connect_timeout(&upstream, CONNECT_TIMEOUT).await?;
    // A read timeout is the idle timeout of the direction that reads from that stream; a
    // write timeout stops a destination that accepts no bytes from stalling the proxy.
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(idle))?;
        stream.set_write_timeout(Some(idle))?;
    }

    // Both copies live across the loop's iterations: each `select!` polls them through
    // `&mut`, and the precondition keeps a finished one from being polled again. Returning
    // early (on an error) drops both, and the streams with them.
    let mut up = pin!(copy(&client, &server));
    let mut down = pin!(copy(&server, &client));
    let (mut up_end, mut down_end) = (None, None);
    while up_end.is_none() || down_end.is_none() {
        let failed = mirage::select! {
            end = &mut up, if up_end.is_none() => end.map(|end| up_end = Some(end)),
            end = &mut down, if down_end.is_none() => end.map(|end| down_end = Some(end)),
        };
        if let Err(err) = failed {
            // Closed in order, each peer would take what it got so far (a reply cut short
            // by the upstream's reset, say) for all there was: the failure goes on as a
            // reset, both ways.
            for stream in [&client, &server] {
                let _ = stream.set_zero_linger();
            }
            return Err(err);
        }
    }
    let ((up_bytes, up_end), (down_bytes, down_end)) = (up_end.unwrap(), down_end.unwrap());
    Ok(format!(
        "{up_bytes} bytes up ({}), {down_bytes} bytes down ({})",
        up_end.describe(),
        down_end.describe()
    ))
}

async fn proxy(listener: TcpListener, upstream: SocketAddr, idle: Duration) -> io::Result<()> {
    loop {
        let (client, peer) = listener.accept().await?;
        mirage::spawn(async move {
            match relay(client, upstream, idle).await {
                Ok(summary) => println!("proxy: {peer} done: {summary}"),
                Err(err) => println!("proxy: {peer} closed: {err}"),
            }
        });
    }
}

/// The demo's upstream: echoes each connection's bytes and closes after end of stream.
async fn echo(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        mirage::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stream.read(&mut buf).await {
                if stream.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// Reads `stream` to its end; what came back.
async fn read_to_end(mut stream: &TcpStream) -> io::Result<String> {
    let mut received = Vec::new();
    // `AsyncReadExt` is implemented for `&TcpStream`, as `Read` is for `&std::net::TcpStream`.
    stream.read_to_end(&mut received).await?;
    Ok(String::from_utf8_lossy(&received).into_owned())
}

async fn demo(proxy_addr: SocketAddr) -> io::Result<()> {
    // Data through the proxy, then a half-close: the upstream sees end of stream, finishes
    // echoing, and closes; the proxy passes that on and the client reads to the end.
    let client = TcpStream::connect(proxy_addr).await?;
    client.set_read_timeout(Some(Duration::from_secs(1)))?;
    client.write_all(b"hello through the proxy\n").await?;
    client.write_all(b"and a second line\n").await?;
    client.shutdown(Shutdown::Write)?;
    println!("client 1: sent two lines, then shut down its write half");
    print!("client 1: got back:\n{}", read_to_end(&client).await?);
    println!("client 1: end of stream: the half-close went through both ways");

    // Data through the proxy, then silence: the proxy closes both idle directions.
    let client = TcpStream::connect(proxy_addr).await?;
    client.set_read_timeout(Some(Duration::from_secs(1)))?;
    client.write_all(b"anyone there?\n").await?;
    let sent = Instant::now();
    print!("client 2: got back: {}", read_to_end(&client).await?);
    println!(
        "client 2: end of stream {:.0?} after going quiet (idle timeout {DEMO_IDLE:?})",
        sent.elapsed()
    );
    // The proxy drops what a source sends after its direction idled out, until the source
    // ends: closing the client ends the connection, whose summary the proxy then prints.
    drop(client);
    sleep(Duration::from_millis(50)).await;
    Ok(())
}

fn main() -> io::Result<()> {
    let mut addrs = Vec::new();
    let mut idle = DEFAULT_IDLE;
    let mut demo_mode = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => demo_mode = true,
            "--idle" => {
                let secs = args.next().and_then(|s| s.parse::<f64>().ok());
                idle = secs
                    .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
                    .filter(|idle| !idle.is_zero())
                    .unwrap_or_else(|| usage("--idle takes a number of seconds"));
            }
            _ if arg.starts_with('-') => usage(&format!("unknown option {arg}")),
            _ => addrs.push(arg),
        }
    }

    let mut core = mirage::Core::new()?;
    if demo_mode {
        let upstream = TcpListener::bind("127.0.0.1:0")?;
        let upstream_addr = upstream.local_addr()?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let proxy_addr = listener.local_addr()?;
        println!(
            "echo upstream on {upstream_addr}, proxy on {proxy_addr}, idle timeout {DEMO_IDLE:?}"
        );
        return core.run(async move {
            mirage::spawn(echo(upstream));
            mirage::spawn(proxy(listener, upstream_addr, DEMO_IDLE));
            demo(proxy_addr).await
        });
    }
    let [listen, upstream] = &addrs[..] else {
        usage("expected a listen address and an upstream address");
    };
    let upstream: SocketAddr = upstream
        .parse()
        .unwrap_or_else(|err| usage(&format!("upstream {upstream}: {err}")));
    let listener = TcpListener::bind(listen.as_str())?;
    println!(
        "proxying {} -> {upstream}, idle timeout {idle:?}",
        listener.local_addr()?
    );
    core.run(proxy(listener, upstream, idle))
}

/// Says what is wrong with the command line, and how to use it, and exits.
fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: tcp_proxy LISTEN UPSTREAM [--idle SECONDS] | tcp_proxy --demo");
    std::process::exit(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mirage::net::TcpSocket;
    use mirage::time::timeout;

    /// The bound on each test: far beyond what it needs, so only a hang reaches it.
    const GUARD: Duration = Duration::from_secs(10);
    const IDLE: Duration = Duration::from_millis(50);

    #[test]
    fn a_source_that_speaks_after_its_direction_idled_out_costs_the_other_direction_nothing() {
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            let upstream = TcpListener::bind("127.0.0.1:0")?;
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let proxy_addr = listener.local_addr()?;
            mirage::spawn(proxy(listener, upstream.local_addr()?, IDLE));
            // A small receive buffer: most of the response waits in the proxy's send buffer.
            let socket = TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(4096)?;
            let client = socket.connect(proxy_addr).await?;
            client.write_all(b"request").await?;
            let (server, _) = upstream.accept().await?;

            let test = async {
                // The client goes quiet while the server keeps its direction busy, until the
                // proxy ends the client's idle direction: the server sees end of stream.
                let mut request = Vec::new();
                let mut buf = [0; 64];
                let mut ticks = 0;
                loop {
                    mirage::select! {
                        n = server.read(&mut buf) => match n? {
                            0 => break,
                            n => request.extend_from_slice(&buf[..n]),
                        },
                        _ = sleep(IDLE / 5) => {
                            server.write_all(b"t").await?;
                            ticks += 1;
                        }
                    }
                }
                assert_eq!(request, b"request");
                // Then the client speaks again, the server answers at length and closes.
                client.write_all(b"late").await?;
                let response = vec![b'r'; 256 * 1024];
                server.write_all(&response).await?;
                drop(server);
                sleep(Duration::from_millis(20)).await;
                // Everything the server sent reaches the client, then end of stream.
                let mut received = Vec::new();
                (&client).read_to_end(&mut received).await?;
                assert_eq!(received.len(), ticks + response.len());
                io::Result::Ok(())
            };
            timeout(GUARD, test)
                .await
                .expect("the test ran past its guard")
        })
        .unwrap();
    }

    /// An idle timeout no test below reaches: only what the peers do ends a direction.
    const LONG: Duration = Duration::from_secs(30);

    /// An upstream listener and a proxy in front of it, with idle timeout `idle`.
    fn start(idle: Duration) -> io::Result<(TcpListener, SocketAddr)> {
        let upstream = TcpListener::bind("127.0.0.1:0")?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let proxy_addr = listener.local_addr()?;
        mirage::spawn(proxy(listener, upstream.local_addr()?, idle));
        Ok((upstream, proxy_addr))
    }

    /// Runs `test` on a new Core; fails if it errs or runs past a guard of 30 seconds.
    fn run<F: std::future::Future<Output = io::Result<()>>>(test: impl FnOnce() -> F) {
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            timeout(Duration::from_secs(30), test())
                .await
                .expect("the test ran past its guard")
                .unwrap();
        });
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    async fn read_all(mut stream: &TcpStream) -> io::Result<Vec<u8>> {
        let mut received = Vec::new();
        stream.read_to_end(&mut received).await?;
        Ok(received)
    }

    #[test]
    fn a_client_half_close_reaches_the_upstream_and_its_long_reply_still_arrives_whole() {
        run(|| async {
            let (upstream, proxy_addr) = start(LONG)?;
            let client = TcpStream::connect(proxy_addr).await?;
            let (server, _) = upstream.accept().await?;
            client.write_all(b"request").await?;
            client.shutdown(Shutdown::Write)?;
            assert_eq!(read_all(&server).await?, b"request");
            let reply = pattern(4 << 20, 7);
            let (sent, received) = mirage::join!(
                async {
                    server.write_all(&reply).await?;
                    server.shutdown(Shutdown::Write)
                },
                read_all(&client)
            );
            sent?;
            assert!(received? == reply, "the reply arrived changed");
            Ok(())
        });
    }

    #[test]
    fn an_upstream_half_close_reaches_the_client_and_its_long_upload_still_arrives_whole() {
        run(|| async {
            let (upstream, proxy_addr) = start(LONG)?;
            let client = TcpStream::connect(proxy_addr).await?;
            let (server, _) = upstream.accept().await?;
            server.write_all(b"go ahead").await?;
            server.shutdown(Shutdown::Write)?;
            assert_eq!(read_all(&client).await?, b"go ahead");
            let upload = pattern(4 << 20, 3);
            let (sent, received) = mirage::join!(
                async {
                    client.write_all(&upload).await?;
                    client.shutdown(Shutdown::Write)
                },
                read_all(&server)
            );
            sent?;
            assert!(received? == upload, "the upload arrived changed");
            Ok(())
        });
    }

    #[test]
    fn a_client_gets_a_prompt_end_when_the_upstream_refuses() {
        run(|| async {
            let (upstream, proxy_addr) = start(LONG)?;
            drop(upstream); // nothing listens there now: connecting is refused
            let client = TcpStream::connect(proxy_addr).await?;
            client.set_read_timeout(Some(Duration::from_secs(2)))?;
            let mut buf = [0; 16];
            match client.read(&mut buf).await {
                Ok(0) => {}
                Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
                other => panic!("expected the end of the connection, got {other:?}"),
            }
            Ok(())
        });
    }

    #[test]
    fn two_hundred_connections_with_random_half_close_orders_carry_every_byte() {
        run(|| async {
            let (upstream, proxy_addr) = start(LONG)?;
            let mut seed = 0x2545_f491_u32;
            let mut next = move || {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed
            };
            let mut tasks = Vec::new();
            for n in 0..200u32 {
                let up_len = (next() % 200_000) as usize;
                let down_len = (next() % 200_000) as usize;
                let order = next() % 3;
                let client = TcpStream::connect(proxy_addr).await?;
                let (server, _) = upstream.accept().await?;
                tasks.push(mirage::spawn(async move {
                    let up = pattern(up_len, n as u8);
                    let down = pattern(down_len, !(n as u8));
                    let client_side = async {
                        if order == 1 {
                            sleep(Duration::from_millis(5)).await;
                        }
                        client.write_all(&up).await?;
                        client.shutdown(Shutdown::Write)?;
                        read_all(&client).await
                    };
                    let server_side = async {
                        if order == 2 {
                            sleep(Duration::from_millis(5)).await;
                        }
                        server.write_all(&down).await?;
                        server.shutdown(Shutdown::Write)?;
                        read_all(&server).await
                    };
                    let (got_down, got_up) = mirage::try_join!(client_side, server_side)?;
                    assert!(got_down == down, "connection {n}: down bytes changed");
                    assert!(got_up == up, "connection {n}: up bytes changed");
                    io::Result::Ok(())
                }));
            }
            for task in tasks {
                task.await.unwrap()?;
            }
            Ok(())
        });
    }

    #[test]
    fn a_client_that_never_reads_costs_the_others_nothing() {
        run(|| async {
            let (upstream, proxy_addr) = start(Duration::from_secs(5))?;
            let stalled = TcpStream::connect(proxy_addr).await?;
            let (flooder, _) = upstream.accept().await?;
            let flood = mirage::spawn(async move {
                let chunk = [b'f'; 64 * 1024];
                let mut sent = 0usize;
                // The proxy reads only what the stalled client accepts: the upstream's
                // writes stall too, soon, instead of filling the proxy's memory.
                while let Ok(Ok(())) =
                    timeout(Duration::from_millis(500), flooder.write_all(&chunk)).await
                {
                    sent += chunk.len();
                    assert!(
                        sent < 64 << 20,
                        "the proxy took {sent} bytes for a client that reads nothing"
                    );
                }
                (flooder, sent)
            });
            let other = TcpStream::connect(proxy_addr).await?;
            let (server, _) = upstream.accept().await?;
            other.write_all(b"ping").await?;
            other.shutdown(Shutdown::Write)?;
            assert_eq!(read_all(&server).await?, b"ping");
            server.write_all(b"pong").await?;
            drop(server);
            assert_eq!(read_all(&other).await?, b"pong");
            let (_flooder, sent) = flood.await.unwrap();
            assert!(sent < 64 << 20);
            drop(stalled);
            Ok(())
        });
    }

    #[test]
    fn both_directions_idle_out_and_the_connection_ends() {
        run(|| async {
            let (upstream, proxy_addr) = start(IDLE)?;
            let client = TcpStream::connect(proxy_addr).await?;
            let (server, _) = upstream.accept().await?;
            let (to_client, to_server) = mirage::join!(read_all(&client), read_all(&server));
            assert_eq!(to_client?, b"");
            assert_eq!(to_server?, b"");
            Ok(())
        });
    }

    #[test]
    fn an_upstream_reset_reaches_the_client_as_a_reset_not_a_clean_end() {
        run(|| async {
            let (upstream, proxy_addr) = start(LONG)?;
            let client = TcpStream::connect(proxy_addr).await?;
            let (server, _) = upstream.accept().await?;
            server.write_all(b"the first half of a reply").await?;
            sleep(Duration::from_millis(20)).await;
            server.set_zero_linger()?;
            drop(server);
            // A clean end would make the half reply look whole.
            let err = read_all(&client)
                .await
                .expect_err("a truncated reply ended cleanly");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
            Ok(())
        });
    }

    #[test]
    fn a_reply_the_upstream_ended_in_order_arrives_whole_though_the_client_still_sends() {
        run(|| async {
            let (upstream, proxy_addr) = start(LONG)?;
            // A client slow to read: most of the reply waits in the proxy.
            let socket = TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(4096)?;
            let client = socket.connect(proxy_addr).await?;
            let (server, _) = upstream.accept().await?;
            // The upstream replies at once and closes, reading nothing more. The reply is
            // small enough to leave the upstream's socket at once, into the proxy's receive
            // buffer: the upstream ends in order, with nothing left unsent (a close with data
            // still unsent would be aborted by the client's next bytes, a reset for the
            // proxy to pass on).
            let reply = pattern(32 * 1024, 5);
            server.write_all(&reply).await?;
            drop(server);
            // The client still sends (a request body, say): the closed upstream refuses it.
            for _ in 0..8 {
                let _ = client.write_all(&[b'b'; 1024]).await;
                sleep(Duration::from_millis(10)).await;
            }
            let received = read_all(&client).await?;
            assert_eq!(received.len(), reply.len(), "the reply was cut short");
            assert!(received == reply);
            Ok(())
        });
    }

    fn open_descriptors() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    #[test]
    fn every_connection_ends_and_gives_its_descriptors_back_however_its_peers_end() {
        run(|| async {
            let baseline = open_descriptors();
            {
                let (upstream, proxy_addr) = start(Duration::from_millis(100))?;
                let mut tasks = Vec::new();
                for n in 0..40u32 {
                    let client = TcpStream::connect(proxy_addr).await?;
                    let (server, _) = upstream.accept().await?;
                    tasks.push(mirage::spawn(async move {
                        client.write_all(b"up").await?;
                        server.write_all(b"down").await?;
                        sleep(Duration::from_millis(10)).await;
                        match n % 5 {
                            // Both close in order.
                            0 => {
                                client.shutdown(Shutdown::Write)?;
                                server.shutdown(Shutdown::Write)?;
                                let _ = mirage::join!(read_all(&client), read_all(&server));
                            }
                            // Both go quiet: the idle timeouts end it.
                            1 => {
                                let _ = mirage::join!(read_all(&client), read_all(&server));
                            }
                            // The client resets; the upstream stays, silent.
                            2 => {
                                client.set_zero_linger()?;
                                drop(client);
                                let _ = read_all(&server).await;
                            }
                            // The upstream resets; the client stays, silent.
                            3 => {
                                server.set_zero_linger()?;
                                drop(server);
                                let _ = read_all(&client).await;
                            }
                            // The client goes away without reading; the upstream still talks.
                            _ => {
                                drop(client);
                                for _ in 0..20 {
                                    if server.write_all(&[0; 1024]).await.is_err() {
                                        break;
                                    }
                                    sleep(Duration::from_millis(5)).await;
                                }
                            }
                        }
                        io::Result::Ok(())
                    }));
                }
                for task in tasks {
                    task.await.unwrap()?;
                }
            }
            // The proxy's listener is still open (its task runs): allow for it.
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let open = open_descriptors();
                if open <= baseline + 1 {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{open} descriptors open, {baseline} before"
                );
                sleep(Duration::from_millis(50)).await;
            }
            Ok(())
        });
    }
}
