//! A first tour of Mirage: one Core, a few tasks, a channel, and sockets that read like
//! blocking `std::net` code.
//!
//! A server task sends three lines to whoever connects; the client reads them into a stack
//! buffer in a loop and prints them, with a read timeout set the std way.
//!
//! Run it with `cargo run --example tour`; it needs nothing else running.

use std::io;
use std::time::Duration;

use mirage::net::{TcpListener, TcpStream};

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("server listening on {addr}");

    let mut core = mirage::Core::new()?;
    core.run(async {
        // The server: greet one client, then hang up.
        let (done_tx, done_rx) = mirage::sync::oneshot::channel();
        mirage::spawn(async move {
            let (client, _) = listener.accept().await?;
            for line in ["hello from mirage\n", "tasks, channels, sockets\n", "bye\n"] {
                client.write_all(line.as_bytes()).await?;
                mirage::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = done_tx.send(());
            io::Result::Ok(())
        });

        // The client: connect, then read into a stack buffer until the server hangs up.
        let stream = TcpStream::connect(addr).await?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut buf = [0u8; 1024];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            print!("{}", String::from_utf8_lossy(&buf[..n]));
        }
        println!("server closed the connection");
        // The server task reports through a oneshot channel that it finished cleanly.
        done_rx.await.expect("the server task ended early");
        io::Result::Ok(())
    })
}
