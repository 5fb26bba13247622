//! A TCP chat server: every line a client sends goes to all the other connected clients,
//! and a client that sends no line for a while is told goodbye and dropped.
//!
//! Each client has a task and an unbounded channel of outgoing lines; a registry shared by
//! the tasks (`Rc<RefCell<..>>`, no locks: every task runs on the one thread) holds the
//! senders. The per-client loop is one `select!` over the three things that can happen
//! next: a line arrives from the client, a line arrives for the client, or the idle timer
//! fires.
//!
//! Run it with `cargo run --example chat_server -- 127.0.0.1:7001 --idle 60` (both are
//! the defaults), then chat from a few terminals with `nc 127.0.0.1 7001`. Stop it with
//! Ctrl-C. `cargo run --example chat_server -- --demo` instead runs a short scripted chat
//! between two in-process clients, one of which idles out, and exits.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use mirage::net::{TcpListener, TcpStream};
use mirage::sync::mpsc;
use mirage::time::{sleep, Instant};

const DEFAULT_ADDR: &str = "127.0.0.1:7001";
const DEFAULT_IDLE: Duration = Duration::from_secs(60);
/// The idle timeout in `--demo` mode, short so that the demo ends quickly.
const DEMO_IDLE: Duration = Duration::from_millis(300);
/// A client whose line grows longer than this without a newline is dropped.
const MAX_LINE: usize = 1024;

/// The connected clients: each one's channel of outgoing lines, by client number.
///
/// Shared by every client task as `Rc<Room>`. A borrow of `members` never spans an
/// `.await`, so two tasks never hold it at once.
#[derive(Default)]
struct Room {
    next_id: Cell<u64>,
    members: RefCell<BTreeMap<u64, mpsc::UnboundedSender<Rc<str>>>>,
}

impl Room {
    /// Registers a client and returns its number and the receiving end of its channel.
    fn join(&self) -> (u64, mpsc::UnboundedReceiver<Rc<str>>) {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        let (tx, rx) = mpsc::unbounded();
        self.members.borrow_mut().insert(id, tx);
        (id, rx)
    }

    fn leave(&self, id: u64) {
        self.members.borrow_mut().remove(&id);
    }

    /// Queues `line` for every client but `from`. One allocation, shared by all the queues.
    fn broadcast(&self, from: u64, line: &str) {
        let line: Rc<str> = format!("{line}\n").into();
        for (&id, tx) in self.members.borrow().iter() {
            if id != from {
                // A closed channel is a client on its way out: nothing to do.
                let _ = tx.send(line.clone());
            }
        }
    }
}

fn name(id: u64) -> String {
    format!("guest{id}")
}

/// Splits a byte stream into lines: bytes go in with [`push`](Lines::push), complete lines
/// (without the `\n` or `\r\n`) come out of [`next_line`](Lines::next_line).
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    fn next_line(&mut self) -> Option<String> {
        let end = self.pending.iter().position(|&b| b == b'\n')?;
        let line: Vec<u8> = self.pending.drain(..=end).collect();
        let text = String::from_utf8_lossy(&line);
        Some(text.trim_end_matches(['\n', '\r']).to_owned())
    }

    /// Whether the unfinished line has grown too long to keep buffering.
    fn overflowed(&self) -> bool {
        self.pending.len() > MAX_LINE
    }
}

/// Why a client's connection ended.
enum Left {
    Quit,
    Idle,
    LineTooLong,
}

/// Serves one client: registers it, runs its loop, and unregisters it whatever happened.
async fn client(room: Rc<Room>, stream: TcpStream, peer: SocketAddr, idle: Duration) {
    let (id, outgoing) = room.join();
    println!("server: {} connected from {peer}", name(id));
    room.broadcast(id, &format!("* {} joined", name(id)));
    let result = chat(&room, id, &stream, outgoing, idle).await;
    room.leave(id);
    let why = match result {
        Ok(Left::Quit) => "quit".to_owned(),
        Ok(Left::Idle) => format!("idle for {idle:?}"),
        Ok(Left::LineTooLong) => "line too long".to_owned(),
        Err(err) => format!("error: {err}"),
    };
    println!("server: {} left ({why})", name(id));
    room.broadcast(id, &format!("* {} left ({why})", name(id)));
}

/// The per-client loop: whichever comes first of a line from the client, a line for the
/// client, or the idle deadline.
async fn chat(
    room: &Room,
    id: u64,
    stream: &TcpStream,
    mut outgoing: mpsc::UnboundedReceiver<Rc<str>>,
    idle: Duration,
) -> io::Result<Left> {
    let welcome = format!("* welcome, you are {}\n", name(id));
    stream.write_all(welcome.as_bytes()).await?;
    // One timer for the whole connection, moved forward on every line: `Sleep` is `Unpin`,
    // so the loop selects on `&mut idle_timer` and the timer survives each iteration.
    let mut idle_timer = sleep(idle);
    let mut lines = Lines::default();
    let mut buf = [0u8; 1024];
    loop {
        mirage::select! {
            // `read` is cancel-safe: when another branch wins, no bytes were consumed.
            n = stream.read(&mut buf) => {
                let n = n?;
                if n == 0 {
                    return Ok(Left::Quit);
                }
                lines.push(&buf[..n]);
                while let Some(line) = lines.next_line() {
                    idle_timer.reset(Instant::now() + idle);
                    room.broadcast(id, &format!("{}: {line}", name(id)));
                }
                if lines.overflowed() {
                    stream.write_all(b"* line too long, goodbye\n").await?;
                    return Ok(Left::LineTooLong);
                }
            }
            // The room holds a sender for as long as this client is registered, so `recv`
            // never yields `None` here.
            Some(line) = outgoing.recv() => stream.write_all(line.as_bytes()).await?,
            _ = &mut idle_timer => {
                let goodbye = format!("* no message for {idle:?}, goodbye\n");
                stream.write_all(goodbye.as_bytes()).await?;
                return Ok(Left::Idle);
            }
        }
    }
}

async fn serve(listener: TcpListener, idle: Duration) -> io::Result<()> {
    let room = Rc::new(Room::default());
    loop {
        let (stream, peer) = listener.accept().await?;
        mirage::spawn(client(room.clone(), stream, peer, idle));
    }
}

/// A demo client: a connection and what it has read so far.
struct DemoClient {
    who: &'static str,
    stream: TcpStream,
    lines: Lines,
}

impl DemoClient {
    async fn connect(who: &'static str, addr: SocketAddr) -> io::Result<DemoClient> {
        let stream = TcpStream::connect(addr).await?;
        // A demo that goes wrong fails within a second instead of hanging.
        stream.set_read_timeout(Some(Duration::from_secs(1)))?;
        Ok(DemoClient {
            who,
            stream,
            lines: Lines::default(),
        })
    }

    async fn say(&self, line: &str) -> io::Result<()> {
        println!("{} says:  {line}", self.who);
        self.stream.write_all(format!("{line}\n").as_bytes()).await
    }

    /// Reads and prints the next line; `None` once the server closed the connection.
    async fn hear(&mut self) -> io::Result<Option<String>> {
        let mut buf = [0u8; 1024];
        loop {
            if let Some(line) = self.lines.next_line() {
                println!("{} hears: {line}", self.who);
                return Ok(Some(line));
            }
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                println!("{} hears: (connection closed)", self.who);
                return Ok(None);
            }
            self.lines.push(&buf[..n]);
        }
    }
}

/// Two clients chat, then one goes quiet and is dropped while the other stays.
async fn demo(addr: SocketAddr) -> io::Result<()> {
    let mut alice = DemoClient::connect("alice", addr).await?;
    alice.hear().await?; // welcome
    let mut bob = DemoClient::connect("bob  ", addr).await?;
    bob.hear().await?; // welcome
    alice.hear().await?; // bob joined

    alice.say("hi bob").await?;
    bob.hear().await?;
    bob.say("hi alice, I'll be quiet now").await?;
    alice.hear().await?;

    // Bob's idle deadline is now the earliest; alice's moves on with her next line.
    sleep(DEMO_IDLE / 2).await;
    alice.say("still there?").await?;
    bob.hear().await?;
    bob.hear().await?; // the goodbye
    bob.hear().await?; // end of stream
    alice.hear().await?; // bob left
    Ok(())
}

fn main() -> io::Result<()> {
    let mut addr = DEFAULT_ADDR.to_owned();
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
            _ => addr = arg,
        }
    }

    let mut core = mirage::Core::new()?;
    if demo_mode {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        println!("chat server on {addr}, idle timeout {DEMO_IDLE:?}");
        return core.run(async move {
            mirage::spawn(serve(listener, DEMO_IDLE));
            demo(addr).await
        });
    }
    let listener = TcpListener::bind(addr.as_str())?;
    println!(
        "chat server listening on {}, idle timeout {idle:?}",
        listener.local_addr()?
    );
    core.run(serve(listener, idle))
}

/// Says what is wrong with the command line, and how to use it, and exits.
fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: chat_server [ADDR] [--idle SECONDS] | chat_server --demo");
    std::process::exit(2)
}
