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
//! reset it, losing what the other direction still has on its way to that source). An
//! error in either direction closes the whole connection.
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
use mirage::time::{sleep, Instant};

const DEFAULT_IDLE: Duration = Duration::from_secs(60);
const DEMO_IDLE: Duration = Duration::from_millis(300);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How one direction of a connection ended.
enum End {
    /// The source closed its write half.
    Eof,
    /// The source sent nothing for the idle timeout.
    Idle,
}

impl End {
    fn describe(&self) -> &'static str {
        match self {
            End::Eof => "end of stream",
            End::Idle => "idle",
        }
    }
}

/// Copies `from` to `to` until `from` ends or idles out, then shuts down `to`'s write half
/// so that the destination sees the end too. Returns the number of bytes copied.
///
/// After an idle end, what `from` still sends has nowhere to go: it is read and dropped
/// until `from` ends, fails or idles again. Left unread, it would make closing the
/// connection reset it, and a reset throws away what the other direction has queued for
/// `from` but not yet delivered.
async fn copy(from: &TcpStream, to: &TcpStream) -> io::Result<(u64, End)> {
    let mut buf = [0u8; 16 * 1024];
    let mut copied = 0;
    let end = loop {
        match from.read(&mut buf).await {
            Ok(0) => break End::Eof,
            Ok(n) => {
                to.write_all(&buf[..n]).await?;
                copied += n as u64;
            }
            Err(err) if err.kind() == io::ErrorKind::TimedOut => break End::Idle,
            Err(err) => return Err(err),
        }
    };
    match to.shutdown(Shutdown::Write) {
        // The destination may have closed already; there is nothing left to tell it.
        Err(err) if err.kind() != io::ErrorKind::NotConnected => return Err(err),
        _ => {}
    }
    if let End::Idle = end {
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
    // early (the `?`) drops both, and the streams with them.
    let mut up = pin!(copy(&client, &server));
    let mut down = pin!(copy(&server, &client));
    let (mut up_end, mut down_end) = (None, None);
    while up_end.is_none() || down_end.is_none() {
        mirage::select! {
            end = &mut up, if up_end.is_none() => up_end = Some(end?),
            end = &mut down, if down_end.is_none() => down_end = Some(end?),
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
}
