//! Writing to a closed peer fails with an error and never kills the process with SIGPIPE,
//! even where SIGPIPE has its default action (Rust binaries ignore it; C hosts may not).

use std::io::{self, IoSlice};
use std::time::Duration;

use mirage::Core;
use mirage::net::{TcpListener, TcpStream};

#[test]
fn writes_to_a_closed_peer_fail_without_sigpipe() {
    // SAFETY: restores the default disposition, which kills the process on SIGPIPE. This
    // binary holds only this test, so no other test depends on the disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut core = Core::new().unwrap();
    let kinds = core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        drop(server);
        let mut kinds = Vec::new();
        for i in 0..20 {
            let result = if i % 2 == 0 {
                client.write(b"plain write").await
            } else {
                client
                    .write_vectored(&[IoSlice::new(b"vectored "), IoSlice::new(b"write")])
                    .await
            };
            if let Err(err) = result {
                kinds.push(err.kind());
            }
            mirage::time::sleep(Duration::from_millis(1)).await;
        }
        kinds
    });
    // Still alive: no SIGPIPE. And both write paths reported the broken pipe.
    assert!(kinds.len() >= 10, "{kinds:?}");
    assert!(kinds.contains(&io::ErrorKind::BrokenPipe), "{kinds:?}");
}
