//! A simple, fast, hardened HTTP/1.1 server on Mirage.
//!
//! `GET /plaintext` answers `Hello, World!` (the TechEmpower plaintext shape), `GET /` a
//! short page, and `POST /echo` echoes the body; other paths get 404 and other methods 405.
//! It handles keep-alive, pipelining, `Content-Length` and chunked bodies,
//! `Connection: close` and HTTP/1.0; it cuts off slow clients with header, idle and body
//! timeouts, refuses oversized heads (431) and bodies (413) and malformed requests (400);
//! and on Ctrl-C or SIGTERM it stops accepting and lets requests in flight finish.
//!
//! Run it with `cargo run --release --example http_server -- 127.0.0.1:8080` (the address
//! defaults to 127.0.0.1:8080), then try `curl http://127.0.0.1:8080/plaintext`.

mod chunked;
mod config;
mod connection;
mod date;
mod event;
mod request;
mod response;
mod routes;
mod server;

// The property tests' case count, shared with the integration tests (`PROPTEST_CASES`).
#[cfg(test)]
#[path = "../../tests/prop_config/mod.rs"]
mod prop_config;

use std::io;

use mirage::net::TcpListener;
use mirage::signal::{SignalKind, ctrl_c, signal};

fn main() -> io::Result<()> {
    // Before the address is printed: a signal from whoever read it shuts down gracefully.
    let mut interrupt = ctrl_c();
    let mut terminate = signal(SignalKind::terminate())?;
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(addr.as_str())?;
    println!("listening on http://{}", listener.local_addr()?);
    let mut core = mirage::Core::new()?;
    core.run(server::serve(
        listener,
        config::Config::default(),
        async move {
            let stopped = mirage::select! {
                stopped = &mut interrupt => stopped,
                stopped = terminate.recv() => stopped,
            };
            match stopped {
                Ok(()) => println!("shutting down: finishing requests in flight"),
                Err(err) => eprintln!("cannot wait for signals ({err}); shutting down"),
            }
        },
    ))
}
