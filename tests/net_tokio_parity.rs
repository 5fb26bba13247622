//! Behaviours of tokio's `net` that code ported from tokio relies on, checked against
//! Mirage's sockets: where Mirage does the same, and where its docs say it does not.

use std::future::Future;
use std::io::ErrorKind;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mirage::net::UnixStream;
use mirage::time::timeout;
use mirage::Core;

/// Far beyond what any step needs: only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(10);

fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = pin!(future);
    future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
}

/// tokio's `tcp_stream` and `uds_stream` tests fill a socket with a loop that awaits
/// `writable` before each `try_write` and stops at the first `WouldBlock`: tokio's
/// `writable` answers from cached readiness, ready until a write fails. Mirage's asks the
/// kernel, so on a full socket it waits for the peer to read, and such a loop (with no
/// other task reading) waits forever, as the crate docs say. `try_write` alone reaches
/// `WouldBlock`; `writable` is for waiting for room.
#[test]
fn writable_waits_on_a_full_stream_where_try_write_says_would_block() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (writer, reader) = UnixStream::pair().unwrap();
        let chunk = vec![7u8; 4096];
        let mut written = 0;
        loop {
            match writer.try_write(&chunk) {
                Ok(n) => written += n,
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => panic!("{err}"),
            }
        }
        assert!(
            poll_once(writer.writable()).is_pending(),
            "writable() on a full socket is pending, where tokio's returns at once"
        );
        let mut drained = vec![0u8; written];
        reader.read_exact(&mut drained).await.unwrap();
        timeout(GENEROUS, writer.writable())
            .await
            .expect("writable() hung after the peer read")
            .unwrap();
        writer.try_write(b"x").expect("room after writable()");
    });
}
