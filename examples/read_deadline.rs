//! Reading with a deadline, two ways side by side:
//!
//! - (a) `select!` between `stream.read(&mut buf)` and a timer: the deadline is an
//!   `Instant`, so one deadline can bound several reads (a whole message, not each read),
//!   and the race could as well include a shutdown signal or a channel. `read` is
//!   cancel-safe: when the timer wins, no byte was read and none is lost.
//! - (b) the std way: `stream.set_read_timeout(Some(limit))`, after which every read that
//!   waits longer than `limit` fails with `ErrorKind::TimedOut`, including reads made by
//!   code that only sees the stream (`read_exact`, a protocol library).
//!
//! Either way the stream stays usable after a missed deadline: the late data arrives with
//! the next read.
//!
//! Run it with `cargo run --example read_deadline`; its own slow server answers once at
//! once and once late, and the example finishes in about a second.

use std::io;
use std::time::Duration;

use mirage::net::{TcpListener, TcpStream};
use mirage::time::{Instant, sleep, sleep_until};

/// How long each read may wait in the demo.
const LIMIT: Duration = Duration::from_millis(200);
/// How long the server takes to send its second line: longer than `LIMIT`.
const SLOW: Duration = Duration::from_millis(400);

/// For each connection: one line at once, one line late, then close.
async fn slow_server(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        mirage::spawn(async move {
            stream.write_all(b"a quick line\n").await?;
            sleep(SLOW).await;
            stream.write_all(b"a slow line\n").await?;
            io::Result::Ok(())
        });
    }
}

/// (a) Reads into `buf` unless `deadline` comes first: `Ok(None)` when it does.
async fn read_before(
    stream: &TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> io::Result<Option<usize>> {
    mirage::select! {
        // The read first: data that came in while the task waited its turn wins over a
        // deadline that passed meanwhile, as it would for a blocking read.
        biased;
        n = stream.read(buf) => n.map(Some),
        _ = sleep_until(deadline) => Ok(None),
    }
}

async fn with_select(stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 1024];
    let started = Instant::now();
    loop {
        match read_before(&stream, &mut buf, Instant::now() + LIMIT).await? {
            Some(0) => break,
            Some(n) => say(started, &format!("read {:?}", line(&buf[..n]))),
            None => {
                say(
                    started,
                    &format!("deadline passed after {LIMIT:?}, waiting without one"),
                );
                // Nothing was lost: the late line comes with a plain read.
                let n = stream.read(&mut buf).await?;
                say(started, &format!("read {:?}", line(&buf[..n])));
            }
        }
    }
    say(started, "end of stream");
    Ok(())
}

async fn with_read_timeout(stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(LIMIT))?;
    let mut buf = [0u8; 1024];
    let started = Instant::now();
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => say(started, &format!("read {:?}", line(&buf[..n]))),
            Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                say(
                    started,
                    &format!("{err} after {LIMIT:?}, waiting without a timeout"),
                );
                // The timeout is a setting of the stream: lift it for the next read.
                stream.set_read_timeout(None)?;
                let n = stream.read(&mut buf).await?;
                say(started, &format!("read {:?}", line(&buf[..n])));
                stream.set_read_timeout(Some(LIMIT))?;
            }
            Err(err) => return Err(err),
        }
    }
    say(started, "end of stream");
    Ok(())
}

/// Prints `what` with the time since `started`, in whole milliseconds.
fn say(started: Instant, what: &str) {
    println!("  {:>4} ms  {what}", started.elapsed().as_millis());
}

fn line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_owned()
}

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut core = mirage::Core::new()?;
    core.run(async move {
        mirage::spawn(slow_server(listener));
        println!("(a) select! between the read and a deadline of now + {LIMIT:?}:");
        with_select(TcpStream::connect(addr).await?).await?;
        println!("(b) set_read_timeout(Some({LIMIT:?})) and ErrorKind::TimedOut:");
        with_read_timeout(TcpStream::connect(addr).await?).await
    })
}
