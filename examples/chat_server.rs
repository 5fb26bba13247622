//! A TCP chat server: every line a client sends goes to all the other connected clients,
//! and a client that sends no line for a while is told goodbye and dropped.
//!
//! Each client has a task and a bounded channel of outgoing lines; a registry shared by
//! the tasks (`Rc<RefCell<..>>`, no locks: every task runs on the one thread) holds the
//! senders. The per-client loop is one `select!` over the three things that can happen
//! next: a line arrives from the client, lines arrive for the client (all those queued go
//! out in one write), or the idle timer fires. A client is idle only if no line of its
//! had come in by then: one that waited unread while the server was busy still counts.
//!
//! A client that stops reading must not make the server hold an ever longer queue for it:
//! a client whose queue is full is dropped from the room, and one that accepts no bytes
//! for the idle timeout (the stream's write timeout) is disconnected. A client the server
//! drops sees its goodbye, then the end of the stream: what it still sends is read and
//! dropped for a few seconds rather than left unread, which would reset the connection. A
//! client that ends its side (a half-close counts) has quit: it sees the end of the stream,
//! and lines the room had not yet written to it are dropped, as a chat drops a user's
//! messages once they quit.
//!
//! Run it with `cargo run --example chat_server -- 127.0.0.1:7001 --idle 60` (both are
//! the defaults), then chat from a few terminals with `nc 127.0.0.1 7001` (or
//! `cargo run --example chat_client`). Stop it with Ctrl-C.
//! `cargo run --example chat_server -- --demo` instead runs a short scripted chat between
//! two in-process clients, one of which idles out, and exits.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use mirage::io::{AsyncBufReadExt, BufReader, Lines};
use mirage::net::{TcpListener, TcpStream};
use mirage::sync::mpsc;
use mirage::time::{Instant, sleep, timeout};

const DEFAULT_ADDR: &str = "127.0.0.1:7001";
const DEFAULT_IDLE: Duration = Duration::from_secs(60);
/// The idle timeout in `--demo` mode, short so that the demo ends quickly.
const DEMO_IDLE: Duration = Duration::from_millis(300);
/// A client that sends a longer line (or one that is not UTF-8) is dropped.
const MAX_LINE: usize = 1024;
/// How many lines may wait for one client. A client this far behind is dropped, so one
/// that stops reading costs the server a bounded amount of memory (the lines themselves are
/// shared by every queue). Far more than the talkers queue between two turns of a client
/// that reads (each talker sends one line per turn), so that a burst of talk does not drop
/// clients that read.
const MAX_QUEUED: usize = 1024;
/// How long a departing client has to read what is left for it and close.
const LINGER: Duration = Duration::from_secs(5);

/// The connected clients: each one's channel of outgoing lines, by client number.
///
/// Shared by every client task as `Rc<Room>`. A borrow of `members` never spans an
/// `.await`, so two tasks never hold it at once.
#[derive(Default)]
struct Room {
    next_id: Cell<u64>,
    members: RefCell<BTreeMap<u64, mpsc::Sender<Rc<str>>>>,
}

impl Room {
    /// Registers a client and returns its number and the receiving end of its channel.
    fn join(&self) -> (u64, mpsc::Receiver<Rc<str>>) {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        let (tx, rx) = mpsc::channel(MAX_QUEUED);
        self.members.borrow_mut().insert(id, tx);
        (id, rx)
    }

    fn leave(&self, id: u64) {
        self.members.borrow_mut().remove(&id);
    }

    /// Queues `line` for every client but `from`. One allocation, shared by all the queues.
    ///
    /// A client whose queue is full is unregistered: dropping its sender ends its queue,
    /// and its task says goodbye once it has written what was already queued.
    fn broadcast(&self, from: u64, line: &str) {
        let line: Rc<str> = format!("{line}\n").into();
        self.members.borrow_mut().retain(|&id, tx| {
            // A closed channel is a client on its way out: it goes too.
            id == from || tx.try_send(line.clone()).is_ok()
        });
    }
}

fn name(id: u64) -> String {
    format!("guest{id}")
}

/// Why a client's connection ended.
enum Left {
    Quit,
    Idle,
    /// It sent a line too long, or not UTF-8.
    BadLine,
    /// Its queue of outgoing lines filled up.
    TooSlow,
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
        Ok(Left::BadLine) => "line too long or not UTF-8".to_owned(),
        Ok(Left::TooSlow) => format!("too slow: {MAX_QUEUED} lines behind"),
        // Only writes have a timeout: the client accepted no bytes for that long.
        Err(err) if err.kind() == io::ErrorKind::TimedOut => "too slow: not reading".to_owned(),
        Err(err) => format!("error: {err}"),
    };
    println!("server: {} left ({why})", name(id));
    room.broadcast(id, &format!("* {} left ({why})", name(id)));
    linger(&stream).await;
}

/// Ends a connection gracefully: the client sees the end of the stream after all that was
/// written to it, and what it still sends is read and dropped until it closes, for at most
/// [`LINGER`]. Closing a socket with unread data (the rest of a line too long) resets the
/// connection instead, and a reset throws away what waits in the send buffer for a client
/// behind on reading: its last lines and its goodbye.
async fn linger(stream: &TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return; // already reset
    }
    let mut buf = [0u8; 4096];
    let drain = async { while let Ok(1..) = stream.read(&mut buf).await {} };
    let _ = timeout(LINGER, drain).await;
}

/// The per-client loop: whichever comes first of a line from the client, a line for the
/// client, or the idle deadline.
async fn chat(
    room: &Room,
    id: u64,
    stream: &TcpStream,
    mut outgoing: mpsc::Receiver<Rc<str>>,
    idle: Duration,
) -> io::Result<Left> {
    // A write waits for the client to read; one that waits this long fails with `TimedOut`.
    stream.set_write_timeout(Some(idle))?;
    let welcome = format!("* welcome, you are {}\n", name(id));
    stream.write_all(welcome.as_bytes()).await?;
    // One timer for the whole connection, moved forward on every line: `Sleep` is `Unpin`,
    // so the loop selects on `&mut idle_timer` and the timer survives each iteration.
    let mut idle_timer = sleep(idle);
    let mut lines = BufReader::new(stream).lines().max_len(MAX_LINE);
    let mut batch = Vec::new();
    loop {
        let next = mirage::select! {
            // `next_line` is cancel-safe: when another branch wins, the part of a line
            // read so far stays buffered for the next call.
            line = lines.next_line() => Next::Line(line),
            // The room holds a sender for as long as this client is registered, so
            // `recv_many` yields 0 once the room dropped the client for a full queue.
            queued = outgoing.recv_many(&mut batch, MAX_QUEUED) => Next::Queued(queued),
            _ = &mut idle_timer => Next::Idle,
        };
        // A line and the deadline can both be there when the task runs (it was writing to
        // this client, or the Core was busy, as the deadline passed), and the `select!`
        // may then take either: a line that came in meanwhile still counts.
        let next = match next {
            Next::Idle => line_already_here(&mut lines)
                .await
                .map_or(Next::Idle, Next::Line),
            next => next,
        };
        match next {
            Next::Line(Ok(Some(line))) => {
                // An idle timeout too long to be a deadline (`--idle 1e19`) never fires:
                // the timer keeps the far-future deadline `sleep` gave it.
                if let Some(deadline) = Instant::now().checked_add(idle) {
                    idle_timer.reset(deadline);
                }
                room.broadcast(id, &format!("{}: {line}", name(id)));
                // One line per turn: a client that sends without pause would otherwise
                // get a whole cooperative budget of reads (128, thousands of lines) in one
                // turn, while the others' queues fill.
                mirage::yield_now().await;
            }
            Next::Line(Ok(None)) => return Ok(Left::Quit),
            Next::Line(Err(err)) if err.kind() == io::ErrorKind::InvalidData => {
                stream
                    .write_all(b"* line too long or not UTF-8, goodbye\n")
                    .await?;
                return Ok(Left::BadLine);
            }
            Next::Line(Err(err)) => return Err(err),
            Next::Queued(0) => {
                stream
                    .write_all(b"* you fell too far behind, goodbye\n")
                    .await?;
                return Ok(Left::TooSlow);
            }
            // Everything queued goes out in one write: each talker adds a line per turn,
            // so a queue that gave up one line per turn would fill while its client reads.
            Next::Queued(_) => {
                let text = batch.concat();
                batch.clear();
                stream.write_all(text.as_bytes()).await?;
            }
            Next::Idle => {
                let goodbye = format!("* no message for {idle:?}, goodbye\n");
                stream.write_all(goodbye.as_bytes()).await?;
                return Ok(Left::Idle);
            }
        }
    }
}

/// What happened next to a client, in [`chat`]'s loop.
enum Next {
    /// A line from the client (or the end of its stream, or a read error).
    Line(io::Result<Option<String>>),
    /// How many lines for the client `recv_many` moved to the batch.
    Queued(usize),
    /// The idle deadline passed.
    Idle,
}

/// The client's next line if it has already arrived (or the end of the stream, or an
/// error), without waiting for one.
async fn line_already_here(
    lines: &mut Lines<BufReader<&TcpStream>>,
) -> Option<io::Result<Option<String>>> {
    mirage::select! {
        biased;
        line = lines.next_line() => Some(line),
        () = std::future::ready(()) => None,
    }
}

async fn serve(listener: TcpListener, idle: Duration) -> io::Result<()> {
    let room = Rc::new(Room::default());
    loop {
        let (stream, peer) = listener.accept().await?;
        mirage::spawn(client(room.clone(), stream, peer, idle));
    }
}

/// Connects a demo client to the server, with a read timeout so that a demo that goes
/// wrong fails within a second instead of hanging.
async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    Ok(stream)
}

/// A demo client: its connection, and the lines it hears from it.
struct DemoClient<'a> {
    who: &'static str,
    stream: &'a TcpStream,
    lines: Lines<BufReader<&'a TcpStream>>,
}

impl<'a> DemoClient<'a> {
    fn new(who: &'static str, stream: &'a TcpStream) -> DemoClient<'a> {
        DemoClient {
            who,
            stream,
            lines: BufReader::new(stream).lines(),
        }
    }

    async fn say(&self, line: &str) -> io::Result<()> {
        println!("{} says:  {line}", self.who);
        self.stream.write_all(format!("{line}\n").as_bytes()).await
    }

    /// Reads and prints the next line; `None` once the server closed the connection.
    async fn hear(&mut self) -> io::Result<Option<String>> {
        let line = self.lines.next_line().await?;
        match &line {
            Some(line) => println!("{} hears: {line}", self.who),
            None => println!("{} hears: (connection closed)", self.who),
        }
        Ok(line)
    }
}

/// Two clients chat, then one goes quiet and is dropped while the other stays.
async fn demo(addr: SocketAddr) -> io::Result<()> {
    let alice_stream = connect(addr).await?;
    let mut alice = DemoClient::new("alice", &alice_stream);
    alice.hear().await?; // welcome
    let bob_stream = connect(addr).await?;
    let mut bob = DemoClient::new("bob  ", &bob_stream);
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

#[cfg(test)]
mod tests {
    use super::*;
    use mirage::net::TcpSocket;

    /// The bound on each test: far beyond what it needs, so only a hang reaches it.
    const GUARD: Duration = Duration::from_secs(30);
    /// Long enough that the flood below never leaves the silent client idle first.
    const IDLE: Duration = Duration::from_secs(2);

    /// Reads lines until one starts with `prefix`; returns that line.
    async fn wait_for(
        lines: &mut Lines<BufReader<&TcpStream>>,
        prefix: &str,
    ) -> io::Result<String> {
        loop {
            match lines.next_line().await? {
                Some(line) if line.starts_with(prefix) => return Ok(line),
                Some(_) => {}
                None => return Err(io::ErrorKind::UnexpectedEof.into()),
            }
        }
    }

    /// Sends long lines until a write fails.
    async fn flood(stream: &TcpStream) -> io::Result<String> {
        let line = format!("{}\n", "x".repeat(MAX_LINE - 24));
        loop {
            stream.write_all(line.as_bytes()).await?;
        }
    }

    /// Sends `count` lines of about 100 bytes, as fast as the server takes them.
    async fn talk(stream: &TcpStream, count: usize) -> io::Result<()> {
        for n in 0..count {
            let line = format!("line {n} {}\n", "y".repeat(90));
            stream.write_all(line.as_bytes()).await?;
        }
        Ok(())
    }

    /// Reads and drops lines until the end of the stream.
    async fn drain(stream: &TcpStream) -> io::Result<()> {
        let mut lines = BufReader::new(stream).lines();
        while lines.next_line().await?.is_some() {}
        Ok(())
    }

    /// Reads until `count` talk lines (from [`talk`]) came; fails on any other line.
    async fn hear_talk(lines: &mut Lines<BufReader<&TcpStream>>, count: usize) -> io::Result<()> {
        for heard in 0..count {
            match lines.next_line().await? {
                Some(line) if line.contains(": line ") => {}
                Some(line) => {
                    return Err(io::Error::other(format!("after {heard} lines: {line}")));
                }
                None => return Err(io::ErrorKind::UnexpectedEof.into()),
            }
        }
        Ok(())
    }

    /// Runs `test` against a fresh server on a new Core; fails if it errs or runs past
    /// [`GUARD`].
    fn with_server<F: std::future::Future<Output = io::Result<()>>>(
        test: impl FnOnce(SocketAddr) -> F,
    ) {
        with_server_idle(IDLE, test)
    }

    /// [`with_server`] with the server's idle timeout `idle`.
    fn with_server_idle<F: std::future::Future<Output = io::Result<()>>>(
        idle: Duration,
        test: impl FnOnce(SocketAddr) -> F,
    ) {
        let mut core = mirage::Core::new().unwrap();
        core.run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            mirage::spawn(serve(listener, idle));
            timeout(GUARD, test(addr))
                .await
                .expect("the test ran past its guard")
                .unwrap();
        });
    }

    #[test]
    fn a_client_that_sends_a_line_too_long_or_not_utf8_is_told_and_dropped() {
        let too_long = format!("{}\n", "x".repeat(MAX_LINE + 1)).into_bytes();
        for bad_line in [too_long, b"caf\xe9\n".to_vec()] {
            with_server(|addr| async move {
                let stream = connect(addr).await?;
                let mut client = DemoClient::new("client", &stream);
                client.hear().await?; // welcome
                stream.write_all(&bad_line).await?;
                let goodbye = client.hear().await?;
                assert_eq!(
                    goodbye.as_deref(),
                    Some("* line too long or not UTF-8, goodbye")
                );
                assert_eq!(client.hear().await?, None);
                Ok(())
            });
        }
    }

    #[test]
    fn a_client_that_sent_more_than_the_server_read_still_gets_its_goodbye() {
        with_server(|addr| async move {
            let stream = connect(addr).await?;
            let mut client = DemoClient::new("client", &stream);
            client.hear().await?; // welcome

            // Far more than the server reads before it refuses the line: the rest is still
            // unread when it says goodbye.
            stream.write_all(&[b'x'; 32 * 1024]).await?;
            let goodbye = client.hear().await?;
            assert_eq!(
                goodbye.as_deref(),
                Some("* line too long or not UTF-8, goodbye")
            );
            Ok(())
        });
    }

    #[test]
    fn a_client_behind_on_reading_still_gets_its_goodbye() {
        with_server(|addr| async move {
            // Bob's receive buffer is small, and he reads nothing while alice talks: what
            // does not fit waits in the server's send buffer.
            let socket = TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(4096)?;
            let bob_stream = socket.connect(addr).await?;
            bob_stream.set_read_timeout(Some(Duration::from_secs(1)))?;
            let mut bob = DemoClient::new("bob", &bob_stream);
            bob.hear().await?; // welcome
            let alice_stream = connect(addr).await?;
            let line = format!("{}\n", "a".repeat(MAX_LINE - 24));
            for _ in 0..8 {
                alice_stream.write_all(line.as_bytes()).await?;
            }
            sleep(Duration::from_millis(20)).await;
            // Then bob sends far more than the server reads before it refuses the line, and
            // reads: alice's lines, then his goodbye.
            bob_stream.write_all(&[b'x'; 32 * 1024]).await?;
            let goodbye = wait_for(&mut bob.lines, "* line too long").await?;
            assert_eq!(goodbye, "* line too long or not UTF-8, goodbye");
            Ok(())
        });
    }

    #[test]
    fn an_idle_timeout_too_long_for_a_deadline_never_fires_and_lines_still_go_through() {
        // `--idle 1e19` parses: about 317 billion years, past what an `Instant` can hold.
        with_server_idle(
            Duration::from_secs(10_000_000_000_000_000_000),
            |addr| async move {
                let alice_stream = connect(addr).await?;
                let mut alice = DemoClient::new("alice", &alice_stream);
                alice.hear().await?; // welcome
                let bob_stream = connect(addr).await?;
                let mut bob = DemoClient::new("bob", &bob_stream);
                bob.hear().await?; // welcome
                alice.hear().await?; // bob joined
                alice.say("hi bob").await?;
                assert_eq!(bob.hear().await?.as_deref(), Some("guest1: hi bob"));
                Ok(())
            },
        );
    }

    #[test]
    fn a_client_that_stops_reading_is_dropped_and_the_room_goes_on() {
        with_server(|addr| async move {
            let alice_stream = connect(addr).await?;
            alice_stream.set_read_timeout(None)?;
            let mut alice = DemoClient::new("alice", &alice_stream);
            alice.hear().await?; // welcome

            // Bob reads his welcome, then nothing more.
            let bob_stream = connect(addr).await?;
            let mut bob = DemoClient::new("bob", &bob_stream);
            bob.hear().await?;
            alice.hear().await?; // bob joined

            // Alice talks until the server gives up on bob: his socket's buffers fill,
            // then his queue, then his writes time out.
            let line: io::Result<String> = mirage::select! {
                result = flood(alice.stream) => result,
                line = wait_for(&mut alice.lines, "* guest2 left") => line,
            };
            assert_eq!(line?, "* guest2 left (too slow: not reading)");

            // The room goes on: alice hears who joins and what they say.
            let carol_stream = connect(addr).await?;
            let carol = DemoClient::new("carol", &carol_stream);
            wait_for(&mut alice.lines, "* guest3 joined").await?;
            carol.say("hello").await?;
            let hello = wait_for(&mut alice.lines, "guest3:").await?;
            assert_eq!(hello, "guest3: hello");
            Ok(())
        });
    }

    #[test]
    fn a_client_that_reads_keeps_up_with_several_clients_talking_at_once() {
        // Each talker sends far more lines than a queue holds.
        const LINES: usize = 2 * MAX_QUEUED;
        // The listener sends no line: only the guard may end the test, never its idle timer.
        with_server_idle(GUARD, |addr| async move {
            let listener_stream = connect(addr).await?;
            listener_stream.set_read_timeout(None)?;
            let mut listener = DemoClient::new("listener", &listener_stream);
            listener.hear().await?; // welcome
            let mut talkers = Vec::new();
            for _ in 0..3 {
                let stream = connect(addr).await?;
                stream.set_read_timeout(None)?;
                talkers.push(stream);
                listener.hear().await?; // joined
            }
            let [a, b, c] = &talkers[..] else {
                unreachable!()
            };
            // The talkers talk at once, as fast as the server reads them; everyone reads
            // as fast as the server writes, and the listener must hear every line.
            let talk = async {
                mirage::try_join!(
                    talk(a, LINES),
                    talk(b, LINES),
                    talk(c, LINES),
                    hear_talk(&mut listener.lines, 3 * LINES),
                )
            };
            let drain = async {
                mirage::try_join!(drain(a), drain(b), drain(c))?;
                Err(io::Error::other("the server closed a talker's connection"))
            };
            mirage::select! {
                done = talk => done.map(drop),
                failed = drain => failed,
            }
        });
    }

    /// A short idle timeout, for the tests of idle clients.
    const SHORT_IDLE: Duration = Duration::from_millis(200);

    #[test]
    fn a_client_that_sends_nothing_is_told_goodbye_after_the_idle_timeout_then_sees_the_end() {
        with_server_idle(SHORT_IDLE, |addr| async move {
            let stream = connect(addr).await?;
            let mut client = DemoClient::new("client", &stream);
            client.hear().await?; // welcome
            let started = Instant::now();
            let goodbye = client.hear().await?;
            assert_eq!(goodbye.as_deref(), Some("* no message for 200ms, goodbye"));
            assert!(started.elapsed() >= SHORT_IDLE * 9 / 10);
            assert_eq!(client.hear().await?, None);
            Ok(())
        });
    }

    #[test]
    fn a_partial_line_does_not_count_as_a_message_and_is_never_broadcast() {
        with_server_idle(SHORT_IDLE, |addr| async move {
            let alice_stream = connect(addr).await?;
            let mut alice = DemoClient::new("alice", &alice_stream);
            alice.hear().await?; // welcome
            let bob_stream = connect(addr).await?;
            let mut bob = DemoClient::new("bob", &bob_stream);
            bob.hear().await?; // welcome
            alice.hear().await?; // bob joined

            // Bob starts a line and stalls: to the idle timer, he sent nothing.
            bob_stream.write_all(b"half a li").await?;
            // Alice speaks halfway, which moves her deadline past bob's.
            sleep(SHORT_IDLE / 2).await;
            alice.say("anyone?").await?;
            let goodbye = wait_for(&mut bob.lines, "* no message").await?;
            assert_eq!(goodbye, "* no message for 200ms, goodbye");
            assert_eq!(
                alice.hear().await?.as_deref(),
                Some("* guest2 left (idle for 200ms)")
            );
            Ok(())
        });
    }

    #[test]
    fn a_line_that_arrived_before_the_idle_deadline_counts_though_the_core_was_busy_past_it() {
        with_server_idle(SHORT_IDLE, |addr| async move {
            // Each round, alice and a new client each send a line well within their idle
            // timeouts, and the Core then stays busy past both deadlines (as it would under
            // a burst of work, or while a client's task writes to it): when the server turns
            // again, each line and its sender's deadline are both there, and the line came
            // first. Several rounds, so that each order of the `select!`'s branches gets its
            // turn.
            let alice_stream = connect(addr).await?;
            alice_stream.set_read_timeout(None)?;
            let mut alice = DemoClient::new("alice", &alice_stream);
            alice.hear().await?; // welcome
            for round in 2..8 {
                let stream = connect(addr).await?;
                let mut client = DemoClient::new("client", &stream);
                client.hear().await?; // welcome
                wait_for(&mut alice.lines, &format!("* guest{round} joined")).await?;
                alice.say(&format!("round {round}")).await?;
                client.say("made it").await?;
                std::thread::sleep(SHORT_IDLE * 2); // blocks the Core, server included
                let made_it = format!("guest{round}: made it");
                assert_eq!(alice.hear().await?.as_deref(), Some(made_it.as_str()));
                let said = format!("guest1: round {round}");
                assert_eq!(client.hear().await?.as_deref(), Some(said.as_str()));
            }
            Ok(())
        });
    }

    #[test]
    fn crlf_and_lf_lines_and_a_line_exactly_at_the_limit_go_through() {
        with_server(|addr| async move {
            let alice_stream = connect(addr).await?;
            let mut alice = DemoClient::new("alice", &alice_stream);
            alice.hear().await?; // welcome
            let bob_stream = connect(addr).await?;
            let mut bob = DemoClient::new("bob", &bob_stream);
            bob.hear().await?; // welcome
            alice.hear().await?; // bob joined
            let longest = "z".repeat(MAX_LINE);
            alice_stream
                .write_all(format!("crlf\r\nlf\n{longest}\n{longest}\r\n").as_bytes())
                .await?;
            assert_eq!(bob.hear().await?.as_deref(), Some("guest1: crlf"));
            assert_eq!(bob.hear().await?.as_deref(), Some("guest1: lf"));
            let expected = format!("guest1: {longest}");
            assert_eq!(bob.hear().await?.as_deref(), Some(expected.as_str()));
            assert_eq!(bob.hear().await?.as_deref(), Some(expected.as_str()));
            Ok(())
        });
    }

    #[test]
    fn a_client_that_half_closes_after_its_last_line_gets_an_orderly_end() {
        with_server(|addr| async move {
            let alice_stream = connect(addr).await?;
            let mut alice = DemoClient::new("alice", &alice_stream);
            alice.hear().await?; // welcome
            let bob_stream = connect(addr).await?;
            let mut bob = DemoClient::new("bob", &bob_stream);
            bob.hear().await?; // welcome
            alice.hear().await?; // bob joined
            bob.say("bye all").await?;
            bob_stream.shutdown(Shutdown::Write)?;
            assert_eq!(alice.hear().await?.as_deref(), Some("guest2: bye all"));
            assert_eq!(alice.hear().await?.as_deref(), Some("* guest2 left (quit)"));
            // Bob sees the end of the stream, not a reset.
            assert_eq!(bob.hear().await?, None);
            Ok(())
        });
    }

    #[test]
    fn many_clients_joining_talking_and_leaving_at_once_leave_the_room_working() {
        with_server(|addr| async move {
            let listener_stream = connect(addr).await?;
            listener_stream.set_read_timeout(None)?;
            let mut listener = DemoClient::new("listener", &listener_stream);
            listener.hear().await?; // welcome
            let mut tasks = Vec::new();
            for n in 0..100u32 {
                tasks.push(mirage::spawn(async move {
                    let stream = TcpStream::connect(addr).await?;
                    for k in 0..n % 7 {
                        stream.write_all(format!("hello {k}\n").as_bytes()).await?;
                    }
                    match n % 3 {
                        0 => {
                            stream.shutdown(Shutdown::Write)?;
                            drain(&stream).await?;
                        }
                        1 => stream.set_zero_linger()?,
                        _ => {}
                    }
                    io::Result::Ok(())
                }));
            }
            for task in tasks {
                task.await.unwrap()?;
            }
            // Every one of them came and went: the listener hears 100 joins and 100 leaves.
            let (mut joined, mut left) = (0, 0);
            while left < 100 {
                let line = listener
                    .lines
                    .next_line()
                    .await?
                    .expect("the end of the stream");
                if line.ends_with(" joined") {
                    joined += 1;
                } else if line.contains(" left (") {
                    left += 1;
                }
            }
            assert_eq!(joined, 100);
            // And the room still works.
            let carol_stream = connect(addr).await?;
            let carol = DemoClient::new("carol", &carol_stream);
            carol.say("still here?").await?;
            let heard = wait_for(&mut listener.lines, "guest102:").await?;
            assert_eq!(heard, "guest102: still here?");
            Ok(())
        });
    }
}
