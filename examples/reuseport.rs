//! One port served by several Cores, one per thread: each thread binds its own listener
//! with `SO_REUSEPORT` (through `TcpSocket`), and the kernel spreads the incoming
//! connections among them. Serving, the threads share nothing: no lock, no queue. Only the
//! signal to stop crosses threads, from the main thread, through a
//! `mirage::sync::cross_thread` channel to each server thread.
//!
//! Run it with `cargo run --release --example reuseport -- 127.0.0.1:7003 --threads 4`
//! (both are the defaults), then connect a few times with `nc 127.0.0.1 7003`: each
//! connection is told which thread took it. Stop it with Ctrl-C.
//! `cargo run --example reuseport -- --demo` instead starts the threads on a free port,
//! makes 32 connections, prints how many each thread took, and exits.

use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;

use mirage::io::AsyncReadExt;
use mirage::net::{TcpListener, TcpSocket, TcpStream};
use mirage::sync::cross_thread;

const DEFAULT_ADDR: &str = "127.0.0.1:7003";
const DEFAULT_THREADS: usize = 4;
const DEMO_CONNECTIONS: usize = 32;

/// A listener on `addr` that shares the port with the others bound the same way.
fn shared_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_for(&addr)?;
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// One thread's server: answers each connection with the thread's number and closes it,
/// until told to stop. Returns how many connections it took.
async fn serve(
    listener: TcpListener,
    thread: usize,
    mut stop: cross_thread::UnboundedReceiver<()>,
) -> io::Result<usize> {
    let mut served = 0;
    loop {
        mirage::select! {
            // `accept` is cancel-safe: a connection not yet taken stays in the backlog.
            accepted = listener.accept() => {
                let (stream, _) = accepted?;
                served += 1;
                mirage::spawn(async move {
                    let greeting = format!("served by thread {thread}\n");
                    // A client that leaves early is no concern of the others.
                    let _ = stream.write_all(greeting.as_bytes()).await;
                });
            }
            // A message, or the main thread's sender dropped: either way, stop.
            _ = stop.recv() => return Ok(served),
        }
    }
}

/// A server thread: its handle, and how to stop it.
struct Server {
    thread: thread::JoinHandle<io::Result<usize>>,
    stop: cross_thread::UnboundedSender<()>,
}

/// Starts `threads` threads, each with its own Core and listener on `addr` (the first one
/// picks the port if `addr`'s is 0). Returns the address they share, and the threads.
fn start(addr: SocketAddr, threads: usize) -> io::Result<(SocketAddr, Vec<Server>)> {
    let mut addr = addr;
    let mut servers = Vec::new();
    for number in 0..threads {
        // Each thread binds its own listener; waiting until it has means the next one knows
        // the port, and every listener exists before the first client connects.
        let (bound, is_bound) = mpsc::channel();
        let (stop, stop_rx) = cross_thread::unbounded();
        let thread = thread::spawn(move || {
            let listener =
                shared_listener(addr).and_then(|listener| Ok((listener.local_addr()?, listener)));
            let listener = match listener {
                Ok((local, listener)) => {
                    let _ = bound.send(Ok(local));
                    listener
                }
                // The main thread reports it.
                Err(err) => {
                    let _ = bound.send(Err(err));
                    return Ok(0);
                }
            };
            mirage::Core::new()?.run(serve(listener, number, stop_rx))
        });
        addr = is_bound.recv().expect("the thread reports its address")?;
        servers.push(Server { thread, stop });
    }
    Ok((addr, servers))
}

/// Makes `connections` connections, one after the other, reading each one's greeting.
async fn demo_clients(addr: SocketAddr, connections: usize) -> io::Result<()> {
    for _ in 0..connections {
        let mut stream = &TcpStream::connect(addr).await?;
        let mut greeting = Vec::new();
        stream.read_to_end(&mut greeting).await?;
        print!("client: {}", String::from_utf8_lossy(&greeting));
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let mut addr = DEFAULT_ADDR.to_owned();
    let mut threads = DEFAULT_THREADS;
    let mut demo_mode = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => demo_mode = true,
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage("--threads takes a positive number"));
            }
            _ if arg.starts_with('-') => usage(&format!("unknown option {arg}")),
            _ => addr = arg,
        }
    }
    if demo_mode {
        addr = "127.0.0.1:0".to_owned();
    }
    let addr: SocketAddr = addr
        .parse()
        .unwrap_or_else(|err| usage(&format!("{addr}: {err}")));

    let (addr, servers) = start(addr, threads)?;
    println!("{threads} threads, each with its own Core and listener, serving {addr}");
    if demo_mode {
        mirage::Core::new()?.run(demo_clients(addr, DEMO_CONNECTIONS))?;
        for server in &servers {
            // Fails only if the thread already ended, which its join reports.
            let _ = server.stop.send(());
        }
    }
    let mut total = 0;
    for (number, server) in servers.into_iter().enumerate() {
        let served = server.thread.join().expect("a server thread panicked")?;
        println!("thread {number} took {served} connections");
        total += served;
    }
    println!("{total} connections in all");
    Ok(())
}

/// Says what is wrong with the command line, and how to use it, and exits.
fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: reuseport [ADDR] [--threads N] | reuseport --demo");
    std::process::exit(2)
}
