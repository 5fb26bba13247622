//! A TCP echo server: one task per connection, each echoing what it reads.
//!
//! Run it with `cargo run --release --example echo_server -- 127.0.0.1:7000` (the address
//! defaults to 127.0.0.1:7000), then talk to it with `cargo run --example echo_client` or
//! `nc 127.0.0.1 7000`. Stop it with Ctrl-C.

use mirage::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = TcpListener::bind(addr.as_str())?;
    println!("echo server listening on {}", listener.local_addr()?);
    let mut core = mirage::Core::new()?;
    core.run(async move {
        loop {
            let (stream, peer) = listener.accept().await?;
            mirage::spawn(async move {
                // A stack buffer, as with blocking sockets.
                let mut buf = [0u8; 4096];
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(err) => {
                            eprintln!("{peer}: read failed: {err}");
                            break;
                        }
                    };
                    if let Err(err) = stream.write_all(&buf[..n]).await {
                        eprintln!("{peer}: write failed: {err}");
                        break;
                    }
                }
            });
        }
    })
}
