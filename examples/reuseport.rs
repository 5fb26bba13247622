//! One port served by several Cores, one per thread: each thread binds its own listener
//! with `SO_REUSEPORT` (through `TcpSocket`), and the kernel spreads the incoming
//! connections among them. Serving, the threads share nothing: no lock, no queue. Only the
//! signal to stop crosses threads: a flag, and the waker of the task that waits for it,
//! woken from the main thread.
//!
//! Run it with `cargo run --release --example reuseport -- 127.0.0.1:7003 --threads 4`
//! (both are the defaults), then connect a few times with `nc 127.0.0.1 7003`: each
//! connection is told which thread took it. Stop it with Ctrl-C.
//! `cargo run --example reuseport -- --demo` instead starts the threads on a free port,
//! makes 32 connections, prints how many each thread took, and exits.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;

use mirage::io::AsyncReadExt;
use mirage::net::{TcpListener, TcpSocket, TcpStream};

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

/// Tells one server thread to stop, from another thread: a flag, and the waker of the
/// task waiting for it (a Mirage waker may be woken from any thread).
#[derive(Default)]
struct Stop {
    stopped: AtomicBool,
    waiter: Mutex<Option<Waker>>,
}

impl Stop {
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(waiter) = self.waiter.lock().unwrap().take() {
            waiter.wake();
        }
    }

    async fn wait(&self) {
        poll_fn(|cx| {
            if self.stopped.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waiter.lock().unwrap() = Some(cx.waker().clone());
            // Stopped between the first check and the store: the waker may have been missed.
            if self.stopped.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// One thread's server: answers each connection with the thread's number and closes it,
/// until told to stop. Returns how many connections it took.
async fn serve(listener: TcpListener, thread: usize, stop: &Stop) -> io::Result<usize> {
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
            _ = stop.wait() => return Ok(served),
        }
    }
}

/// A server thread: its handle, and how to stop it.
struct Server {
    thread: thread::JoinHandle<io::Result<usize>>,
    stop: Arc<Stop>,
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
        let stop = Arc::new(Stop::default());
        let thread = thread::spawn({
            let stop = stop.clone();
            move || {
                let listener = shared_listener(addr)
                    .and_then(|listener| Ok((listener.local_addr()?, listener)));
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
                mirage::Core::new()?.run(serve(listener, number, &stop))
            }
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
            server.stop.stop();
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
