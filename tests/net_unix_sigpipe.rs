//! Writing to a closed Unix-domain peer fails with an error and never kills the process
//! with SIGPIPE, even where SIGPIPE has its default action (Rust binaries ignore it; C
//! hosts may not).
//!
//! Alone in its test binary: it changes the process's signal disposition.

use std::io::{self, IoSlice};
use std::net::Shutdown;

use mirage::Core;
use mirage::io::AsyncWriteExt;
use mirage::net::{UnixDatagram, UnixStream};

#[test]
fn writes_to_a_closed_unix_peer_fail_without_sigpipe() {
    // SAFETY: restores the default disposition, which kills the process on SIGPIPE. This
    // binary holds only this test, so no other test depends on the disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let mut core = Core::new().unwrap();
    let kinds = core.run(async {
        let mut kinds = Vec::new();
        let (stream, peer) = UnixStream::pair().unwrap();
        drop(peer);
        kinds.push(stream.write(b"plain write").await.map(drop));
        kinds.push(
            stream
                .write_vectored(&[IoSlice::new(b"vectored "), IoSlice::new(b"write")])
                .await
                .map(drop),
        );
        let mut by_ref = &stream;
        kinds.push(AsyncWriteExt::write_all(&mut by_ref, b"through AsyncWrite").await);

        let (datagram, _peer) = UnixDatagram::pair().unwrap();
        datagram.shutdown(Shutdown::Write).unwrap();
        kinds.push(datagram.send(b"after shutdown").await.map(drop));
        let unbound = UnixDatagram::unbound().unwrap();
        unbound.shutdown(Shutdown::Write).unwrap();
        let missing = std::env::temp_dir().join("mirage-sigpipe-nobody-listens-here");
        kinds.push(unbound.send_to(b"after shutdown", &missing).await.map(drop));
        kinds
            .into_iter()
            .map(|result| result.unwrap_err().kind())
            .collect::<Vec<_>>()
    });
    // Still alive: no SIGPIPE. And every write path reported the broken pipe.
    assert_eq!(kinds, [io::ErrorKind::BrokenPipe; 5]);
}
