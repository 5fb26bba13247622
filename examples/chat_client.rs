//! A client for `chat_server`: the lines typed on standard input go to the server, and the
//! server's lines come out on standard output, until either side ends (the shape of tokio's
//! `examples/connect.rs`).
//!
//! It shows `mirage::io::stdin` and `stdout`, which read and write on the blocking pool so
//! that the terminal is never made non-blocking, and a `select!` over two loops, one per
//! direction, so that a send waiting for the server never stops the client reading it.
//!
//! Start `cargo run --example chat_server`, then run
//! `cargo run --example chat_client -- 127.0.0.1:7001` (the default address) in two or more
//! terminals and type. End of input (Ctrl-D) leaves the chat (the server sees the end of
//! the stream, and closes the connection after what it still had to send), as does the
//! server closing the connection. It also runs with a pipe for input:
//! `printf 'hello, all\n' | cargo run --example chat_client`.

use std::io;
use std::net::Shutdown;
use std::pin::pin;

use mirage::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use mirage::net::TcpStream;

/// Chats over `stream`: the lines read from `input` go to the server and the server's lines
/// are written to `output`, until either ends. Returns why it ended.
///
/// The two directions are two loops raced in one `select!`, so that each goes on while the
/// other waits: a send that waits for the server never stops the client reading it. The
/// chat server reads nothing from a client while its own write to that client waits, so a
/// client that stopped reading while it sent would wait on the server as the server waits
/// on it, until the server dropped it as too slow.
///
/// At the end of `input` the server is sent the end of the stream, and the server's lines
/// are still read until it closes the connection: closing at once, with lines from the
/// server unread, would reset the connection, and a reset throws away the last lines still
/// waiting in the send buffer.
async fn chat(
    stream: &TcpStream,
    input: impl AsyncRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
) -> io::Result<&'static str> {
    let send = async {
        let mut typed = BufReader::new(input).lines();
        while let Some(line) = typed.next_line().await? {
            stream.write_all(format!("{line}\n").as_bytes()).await?;
        }
        stream.shutdown(Shutdown::Write)
    };
    let receive = async {
        let mut heard = BufReader::new(stream).lines();
        while let Some(line) = heard.next_line().await? {
            output.write_all(format!("{line}\n").as_bytes()).await?;
            // Waits for the write: a closed stdout (`| head -1`) ends the client at this
            // line rather than at the next.
            output.flush().await?;
        }
        io::Result::Ok(())
    };
    let mut receive = pin!(receive);
    // The server closing the connection ends the chat, as does an error either way; the end
    // of input ends it once the server has closed.
    mirage::select! {
        sent = send => {
            sent?;
            receive.await?;
            Ok("end of input")
        }
        received = &mut receive => received.map(|()| "the server closed the connection"),
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".into());
    let mut core = mirage::Core::new()?;
    core.run(async move {
        let stream = TcpStream::connect(addr.as_str()).await?;
        eprintln!("connected to {addr}: type a line to send it, end of input to leave");
        let why = chat(&stream, mirage::io::stdin(), mirage::io::stdout()).await?;
        // Leaving drops the connection, which the server has closed unless reading it failed,
        // and the `Stdin`, whose pool thread may still wait for a line (when the server
        // closed first): it does not hold the process back.
        eprintln!("leaving: {why}");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use mirage::io::AsyncReadExt;
    use mirage::net::TcpSocket;
    use mirage::time::timeout;

    /// The bound on each test: far beyond what it needs, so only a hang reaches it.
    const GUARD: Duration = Duration::from_secs(10);

    #[test]
    fn a_client_whose_sending_waits_for_the_server_still_reads_it() {
        // Far more, each way, than the small socket buffers below hold.
        let heard = format!("{}\n", "h".repeat(99)).repeat(10_000);
        let typed = format!("{}\n", "t".repeat(99)).repeat(10_000);
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            // The accepted connection inherits the listener's small buffers.
            let socket = TcpSocket::new_v4()?;
            socket.set_send_buffer_size(4096)?;
            socket.set_recv_buffer_size(4096)?;
            socket.bind("127.0.0.1:0".parse().unwrap())?;
            let listener = socket.listen(1)?;
            let addr = listener.local_addr()?;
            // A server like chat_server: while its write to a client waits, it reads
            // nothing from that client.
            let expected = typed.len();
            let server = mirage::spawn(async move {
                let (stream, _) = listener.accept().await?;
                stream.write_all(heard.as_bytes()).await?;
                let mut received = vec![0; expected];
                stream.read_exact(&mut received).await?;
                io::Result::Ok(received)
            });

            let socket = TcpSocket::new_v4()?;
            socket.set_send_buffer_size(4096)?;
            socket.set_recv_buffer_size(4096)?;
            let stream = socket.connect(addr).await?;
            let why = timeout(GUARD, chat(&stream, typed.as_bytes(), mirage::io::sink()))
                .await
                .expect("the client and the server wait for each other")?;
            assert_eq!(why, "end of input");
            let received = server.await.expect("the server panicked")?;
            assert!(
                received == typed.as_bytes(),
                "the server got every typed line"
            );
            io::Result::Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_client_at_the_end_of_its_input_still_delivers_every_line() {
        let typed = format!("{}\n", "t".repeat(99)).repeat(10_000);
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            // A small receive buffer: the client's last lines wait in its send buffer when
            // its input ends.
            let socket = TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(4096)?;
            socket.bind("127.0.0.1:0".parse().unwrap())?;
            let listener = socket.listen(1)?;
            let addr = listener.local_addr()?;
            // A server that talks all along, so the client always has lines to read, and
            // closes once it has read the client's end of stream, as chat_server does.
            let server = mirage::spawn(async move {
                let (stream, _) = listener.accept().await?;
                let talk = async {
                    loop {
                        stream.write_all(b"heard\n").await?;
                        mirage::yield_now().await;
                    }
                };
                let mut received = Vec::new();
                let mut reader = &stream;
                mirage::select! {
                    read = reader.read_to_end(&mut received) => read.map(drop),
                    failed = talk => failed,
                }?;
                io::Result::Ok(received)
            });

            let stream = TcpStream::connect(addr).await?;
            let why = timeout(GUARD, chat(&stream, typed.as_bytes(), mirage::io::sink()))
                .await
                .expect("the client waited for the server too long")?;
            assert_eq!(why, "end of input");
            drop(stream);
            let received = server.await.expect("the server panicked")?;
            assert_eq!(
                received.len(),
                typed.len(),
                "the server got every typed line"
            );
            io::Result::Ok(())
        })
        .unwrap();
    }
}
