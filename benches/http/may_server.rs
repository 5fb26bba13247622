//! The `may_minihttp` peer: `GET /plaintext` on one `may` worker. `may_minihttp` writes
//! `Server`, `Date` and `Content-Length` itself; it leaves Nagle on (its `set_nodelay` is
//! commented out), which does not delay its one write per batch of requests.

use std::io;
use std::net::SocketAddr;

use may_minihttp::{HttpServer, HttpService, Request, Response};

#[derive(Clone)]
struct Plaintext;

impl HttpService for Plaintext {
    fn call(&mut self, req: Request<'_, '_, '_>, rsp: &mut Response<'_>) -> io::Result<()> {
        if req.path() == "/plaintext" {
            rsp.header("Content-Type: text/plain").body("Hello, World!");
        } else {
            rsp.status_code(404, "Not Found");
        }
        Ok(())
    }
}

/// Serves until the process exits.
pub fn serve(addr: SocketAddr) -> io::Result<()> {
    may::config().set_workers(1);
    // `may` pins its workers to cores by default; leave that to `taskset`.
    may::config().set_worker_pin(false);
    // `HttpServer::start` binds by itself and does not say the port: pick a free one first.
    let addr = if addr.port() == 0 {
        std::net::TcpListener::bind(addr)?.local_addr()?
    } else {
        addr
    };
    let server = HttpServer(Plaintext).start(addr)?;
    crate::common::announce(addr)?;
    server
        .join()
        .map_err(|_| io::Error::other("may_minihttp's accept loop panicked"))
}
