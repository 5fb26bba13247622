//! A client loop with a connect timeout and a read timeout, set the `std::net` way: it
//! prints what arrives and says clearly when the server is too slow.
//!
//! With no argument it starts its own slow server on a free port (it answers twice, then
//! stalls), so `cargo run --example timeout_client` shows both outcomes. Given an address
//! (`-- 127.0.0.1:7000`) it talks to that server instead.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use mirage::net::{TcpListener, TcpStream};
use mirage::time::sleep;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const READ_TIMEOUT: Duration = Duration::from_millis(300);

/// Sends two lines a little apart, then stalls longer than the client's read timeout.
async fn slow_server(listener: TcpListener) -> io::Result<()> {
    let (stream, _) = listener.accept().await?;
    for line in ["first line\n", "second line\n"] {
        stream.write_all(line.as_bytes()).await?;
        sleep(Duration::from_millis(100)).await;
    }
    sleep(Duration::from_secs(2)).await;
    Ok(())
}

async fn client(addr: SocketAddr) -> io::Result<()> {
    let stream = match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).await {
        Ok(stream) => stream,
        Err(err) if err.kind() == io::ErrorKind::TimedOut => {
            println!("could not connect to {addr} within {CONNECT_TIMEOUT:?}");
            return Ok(());
        }
        Err(err) => return Err(err),
    };
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => {
                println!("server closed the connection");
                return Ok(());
            }
            Ok(n) => print!("received: {}", String::from_utf8_lossy(&buf[..n])),
            Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                println!("server too slow: nothing for {READ_TIMEOUT:?}, giving up");
                return Ok(());
            }
            Err(err) => return Err(err),
        }
    }
}

fn main() -> io::Result<()> {
    let mut core = mirage::Core::new()?;
    match std::env::args().nth(1) {
        Some(addr) => {
            let addr = addr.parse().map_err(|err| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {err}"))
            })?;
            core.run(client(addr))
        }
        None => {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            core.run(async move {
                mirage::spawn(slow_server(listener));
                client(addr).await
            })
        }
    }
}
