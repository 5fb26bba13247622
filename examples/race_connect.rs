//! "Happy eyeballs" (RFC 8305, simplified): connect to a primary address, and if it has
//! not answered within 250 ms, race a connect to a secondary address against it; the
//! first connection made wins and the other attempt is dropped.
//!
//! The race is one `select!` loop over the two connect futures and the head-start timer.
//! Dropping the losing connect future closes its half-open socket: nothing is left
//! behind. A primary that fails outright starts the secondary at once, without waiting
//! out the head start.
//!
//! `cargo run --example race_connect` runs three races against local addresses: a
//! "black hole" primary (a listener whose backlog is full, so it drops SYNs and the
//! connect hangs), a primary that answers at once, and a primary that refuses. Given two
//! addresses (`-- 192.0.2.1:80 127.0.0.1:7000`) it races those instead.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::pin::pin;
use std::time::Duration;

use mirage::net::{TcpListener, TcpStream};
use mirage::time::{Instant, sleep};

/// How long the primary address has to itself before the secondary one joins the race.
const HEAD_START: Duration = Duration::from_millis(250);

/// Connects to `primary`, and to `secondary` as well once `primary` has had `HEAD_START`
/// to itself or has failed. Returns the first connection made and its address, or the
/// last error if both fail.
async fn race(primary: SocketAddr, secondary: SocketAddr) -> io::Result<(TcpStream, SocketAddr)> {
    // Connect futures do nothing until first polled: the secondary's socket is not even
    // created until its branch is enabled.
    let mut first = pin!(TcpStream::connect(primary));
    let mut second = pin!(TcpStream::connect(secondary));
    let mut head_start = sleep(HEAD_START);
    let (mut first_failed, mut second_started, mut second_failed) = (false, false, false);
    // Each branch is disabled once its future has finished (a finished future must not be
    // polled again), or before it may start; one of them is always enabled until we return.
    // Returning drops `first` and `second`: the loser's half-open socket is closed.
    loop {
        mirage::select! {
            result = &mut first, if !first_failed => match result {
                Ok(stream) => return Ok((stream, primary)),
                Err(err) if second_failed => return Err(err),
                Err(err) => {
                    let next = if second_started { "waiting for" } else { "trying" };
                    println!("  {primary} failed ({err}): {next} {secondary}");
                    first_failed = true;
                    second_started = true;
                }
            },
            _ = &mut head_start, if !second_started => {
                println!("  {primary}: no answer after {HEAD_START:?}, trying {secondary} too");
                second_started = true;
            }
            result = &mut second, if second_started && !second_failed => match result {
                Ok(stream) => return Ok((stream, secondary)),
                Err(err) if first_failed => return Err(err),
                Err(err) => {
                    println!("  {secondary} failed ({err}), still waiting for {primary}");
                    second_failed = true;
                }
            },
        }
    }
}

/// Races `primary` against `secondary` and says who won and how long it took.
async fn report(primary: SocketAddr, secondary: SocketAddr) {
    let start = Instant::now();
    match race(primary, secondary).await {
        Ok((_stream, winner)) => {
            let which = if winner == primary {
                "primary"
            } else {
                "secondary"
            };
            println!("  winner: {winner} ({which}) after {:.0?}", start.elapsed());
        }
        Err(err) => println!("  both failed after {:.0?}: {err}", start.elapsed()),
    }
}

/// A local address whose connects hang: a listener with a backlog of 0 and one connection
/// already waiting to be accepted. Linux then drops further SYNs, so a connect waits for
/// its SYN retransmissions (1 s, 3 s, ...) instead of failing. Keep the returned values
/// alive as long as the address should stay a black hole.
fn black_hole() -> io::Result<(std::net::TcpListener, Vec<std::net::TcpStream>, SocketAddr)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    // SAFETY: `listen` on a socket we own and keep open; it only changes the backlog.
    if unsafe { libc::listen(listener.as_raw_fd(), 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Fill the backlog with connects until one stalls (one is enough on Linux today).
    let mut queued = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            Ok(stream) => queued.push(stream),
            Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                return Ok((listener, queued, addr));
            }
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::other("the listen backlog never filled up"))
}

/// How many of this machine's sockets are still trying to connect (`SYN_SENT`) to `addr`,
/// from Linux's `/proc/net/tcp`; `None` if it cannot be read.
fn half_open_to(addr: SocketAddr) -> Option<usize> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    // Lines read "sl local_address rem_address st ...", the remote port in hex after a ':'
    // and state 02 meaning SYN_SENT.
    let port = format!(":{:04X}", addr.port());
    let count = table.lines().skip(1).filter(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 3 && fields[2].ends_with(&port) && fields[3] == "02"
    });
    Some(count.count())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut core = mirage::Core::new()?;
    if let [primary, secondary] = &args[..] {
        let parse = |addr: &String| {
            addr.parse::<SocketAddr>().map_err(|err| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {err}"))
            })
        };
        let (primary, secondary) = (parse(primary)?, parse(secondary)?);
        println!("racing {primary} against {secondary}:");
        core.run(report(primary, secondary));
        return Ok(());
    }
    if !args.is_empty() {
        eprintln!("usage: race_connect [PRIMARY_ADDR SECONDARY_ADDR]");
        std::process::exit(2);
    }

    // The demo's addresses: one that accepts, one that hangs, one that refuses.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let good = listener.local_addr()?;
    let (_black_hole, _queued, hanging) = black_hole()?;
    let refusing = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?; // closed again
    core.run(async move {
        mirage::spawn(async move {
            // Accepts, and hangs up at once.
            while let Ok(_connection) = listener.accept().await {}
        });
        println!("race 1: a black hole ({hanging}) against a listener ({good})");
        report(hanging, good).await;
        if let Some(n) = half_open_to(hanging) {
            println!(
                "  connects to {hanging} still in progress: {n} (the loser's socket is closed)"
            );
        }
        println!("race 2: a listener ({good}) against a black hole ({hanging})");
        report(good, hanging).await;
        println!("race 3: a closed port ({refusing}) against a listener ({good})");
        report(refusing, good).await;
    });
    Ok(())
}
