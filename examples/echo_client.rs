//! A TCP echo client: sends a few lines to an echo server and prints what comes back.
//!
//! Start `cargo run --example echo_server` first, then run
//! `cargo run --example echo_client -- 127.0.0.1:7000` (the default address).

use std::time::Duration;

use mirage::net::TcpStream;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".into());
    let mut core = mirage::Core::new()?;
    core.run(async move {
        let stream = TcpStream::connect(addr.as_str()).await?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut buf = [0u8; 1024];
        for line in ["hello\n", "is anyone there?\n", "bye\n"] {
            stream.write_all(line.as_bytes()).await?;
            let mut echoed = 0;
            while echoed < line.len() {
                let n = stream.read(&mut buf[echoed..line.len()]).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                echoed += n;
            }
            print!("echoed: {}", String::from_utf8_lossy(&buf[..echoed]));
        }
        Ok(())
    })
}
