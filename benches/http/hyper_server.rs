//! The hyper 1.x peer: `GET /plaintext` on tokio's current-thread runtime, one task per
//! connection, `http1` with `pipeline_flush` (answers a pipelined batch with one write).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

const BODY: &[u8] = b"Hello, World!";

/// Serves until the process exits. hyper adds `date` and `content-length` itself.
pub fn serve(addr: SocketAddr) -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        crate::common::announce(listener.local_addr()?)?;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .pipeline_flush(true)
                    .serve_connection(TokioIo::new(stream), service_fn(respond))
                    .await;
            });
        }
    })
}

async fn respond(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = if req.uri().path() == "/plaintext" {
        let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        response
    } else {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
    };
    response
        .headers_mut()
        .insert(SERVER, HeaderValue::from_static("hyper"));
    Ok(response)
}
