//! A first tour of Mirage: one Core, a few tasks, a channel, and a socket.
//!
//! A tiny server task sends three lines to whoever connects; the client reads them into a
//! stack buffer in a loop and prints them, like a blocking `std::net` client would. The
//! sockets are `std::net` sockets in non-blocking mode, driven through the Core's reactor
//! with `mirage::io::Registration` (the `mirage::net` types wrap exactly this).
//!
//! Run it with `cargo run --example tour`; it needs nothing else running.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;

use mirage::io::{Direction, Registration};

/// A std socket registered with the Core. The registration is declared first so it is
/// dropped (deregistered) before the socket closes.
struct Async<T: AsRawFd> {
    registration: Registration,
    inner: T,
}

impl<T: AsRawFd> Async<T> {
    fn new(inner: T) -> Async<T> {
        Async {
            registration: Registration::new(inner.as_raw_fd()),
            inner,
        }
    }
}

impl Async<TcpStream> {
    async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.registration
            .io(Direction::Read, || (&self.inner).read(buf))
            .await
    }

    async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self
                .registration
                .io(Direction::Write, || (&self.inner).write(buf))
                .await?;
            buf = &buf[n..];
        }
        Ok(())
    }
}

impl Async<TcpListener> {
    async fn accept(&self) -> io::Result<Async<TcpStream>> {
        let (stream, _) = self
            .registration
            .io(Direction::Read, || self.inner.accept())
            .await?;
        stream.set_nonblocking(true)?;
        Ok(Async::new(stream))
    }
}

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    println!("server listening on {addr}");

    let mut core = mirage::Core::new()?;
    core.run(async {
        // The server: greet one client, then hang up.
        let listener = Async::new(listener);
        let (done_tx, done_rx) = mirage::sync::oneshot::channel();
        mirage::spawn(async move {
            let client = listener.accept().await?;
            for line in ["hello from mirage\n", "tasks, channels, sockets\n", "bye\n"] {
                client.write_all(line.as_bytes()).await?;
                mirage::yield_now().await;
            }
            let _ = done_tx.send(());
            io::Result::Ok(())
        });

        // The client: connect, then read into a stack buffer until the server hangs up.
        let stream = TcpStream::connect(addr)?;
        stream.set_nonblocking(true)?;
        let stream = Async::new(stream);
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
