//! A client for `chat_server`: the lines typed on standard input go to the server, and the
//! server's lines come out on standard output, until either side ends (the shape of tokio's
//! `examples/connect.rs`).
//!
//! It shows `mirage::io::stdin` and `stdout`, which read and write on the blocking pool so
//! that the terminal is never made non-blocking, and a `select!` loop over two streams of
//! lines. `next_line` is cancel-safe: the branch that loses a race keeps what it read so
//! far for its next turn, and so does `Stdin` for a read its pool thread had under way.
//!
//! Start `cargo run --example chat_server`, then run
//! `cargo run --example chat_client -- 127.0.0.1:7001` (the default address) in two or more
//! terminals and type. End of input (Ctrl-D) leaves the chat, as does the server closing
//! the connection. It also runs with a pipe for input:
//! `printf 'hello, all\n' | cargo run --example chat_client`.

use std::io;

use mirage::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use mirage::net::TcpStream;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".into());
    let mut core = mirage::Core::new()?;
    core.run(async move {
        let stream = TcpStream::connect(addr.as_str()).await?;
        eprintln!("connected to {addr}: type a line to send it, end of input to leave");
        // One handle of each for the whole run: each has a read or write in flight.
        let mut typed = BufReader::new(mirage::io::stdin()).lines();
        let mut stdout = mirage::io::stdout();
        let mut heard = BufReader::new(&stream).lines();
        let why = loop {
            mirage::select! {
                line = typed.next_line() => match line? {
                    Some(line) => stream.write_all(format!("{line}\n").as_bytes()).await?,
                    None => break "end of input",
                },
                line = heard.next_line() => match line? {
                    Some(line) => {
                        stdout.write_all(format!("{line}\n").as_bytes()).await?;
                        // Waits for the write: a closed stdout (`| head -1`) ends the
                        // client at this line rather than at the next.
                        stdout.flush().await?;
                    }
                    None => break "the server closed the connection",
                },
            }
        };
        // Leaving drops the connection (the server sees this client quit) and the `Stdin`,
        // whose pool thread may still wait for a line: it does not hold the process back.
        eprintln!("leaving: {why}");
        Ok(())
    })
}
