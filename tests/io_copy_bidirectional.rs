//! `mirage::io::copy_bidirectional` as a proxy between TCP connections: both directions at
//! once, intact; a half-close passed on while the other direction goes on; an idle read
//! timeout and a reset ending the copy with the matching error.

mod net_common;

use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncReadExt, copy_bidirectional};
use mirage::net::TcpStream;
use mirage::time::timeout;
use net_common::streams::set_linger_zero;
use net_common::{bytes, checksum, join, tcp_pair};

/// Far beyond what any step needs: only a hang reaches it.
const GUARD: Duration = Duration::from_secs(20);

/// Writes `data`, then shuts down the write half.
async fn send_all(stream: &TcpStream, data: &[u8]) {
    stream.write_all(data).await.unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
}

async fn read_all(stream: &TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    (&*stream).read_to_end(&mut received).await.unwrap();
    received
}

#[test]
fn both_directions_at_once_arrive_intact() {
    let up = bytes(1, 4 << 20);
    let down = bytes(2, 3 << 20);
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, mut front) = tcp_pair().await;
        let (mut back, server) = tcp_pair().await;
        let proxy = mirage::spawn(async move { copy_bidirectional(&mut front, &mut back).await });
        let (mut at_server, mut at_client) = (Vec::new(), Vec::new());
        let client_side = async {
            join(send_all(&client, &up), async {
                at_client = read_all(&client).await;
            })
            .await
        };
        let server_side = async {
            join(send_all(&server, &down), async {
                at_server = read_all(&server).await;
            })
            .await
        };
        timeout(GUARD, join(client_side, server_side))
            .await
            .expect("the proxy hung");
        assert_eq!(
            (at_server.len(), checksum(&at_server)),
            (up.len(), checksum(&up))
        );
        assert_eq!(
            (at_client.len(), checksum(&at_client)),
            (down.len(), checksum(&down))
        );
        let copied = proxy.await.unwrap().unwrap();
        assert_eq!(copied, (up.len() as u64, down.len() as u64));
    });
}

#[test]
fn a_half_close_is_passed_on_and_the_other_direction_goes_on() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, mut front) = tcp_pair().await;
        let (mut back, server) = tcp_pair().await;
        let proxy = mirage::spawn(async move { copy_bidirectional(&mut front, &mut back).await });
        client.shutdown(Shutdown::Write).unwrap();
        // The server sees the end of the request stream first, then answers.
        let request = timeout(GUARD, read_all(&server)).await.expect("no EOF");
        assert!(request.is_empty());
        let reply = bytes(3, 100_000);
        send_all(&server, &reply).await;
        let received = timeout(GUARD, read_all(&client)).await.expect("no reply");
        assert_eq!(received, reply);
        let copied = timeout(GUARD, proxy).await.unwrap().unwrap().unwrap();
        assert_eq!(copied, (0, 100_000));
    });
}

#[test]
fn an_idle_read_timeout_ends_the_copy_with_timed_out() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (_client, mut front) = tcp_pair().await;
        let (mut back, _server) = tcp_pair().await;
        front
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let copied = timeout(GUARD, copy_bidirectional(&mut front, &mut back))
            .await
            .expect("the idle timeout never fired");
        assert_eq!(copied.unwrap_err().kind(), ErrorKind::TimedOut);
    });
}

#[test]
fn a_reset_on_one_side_ends_both_directions_with_its_error() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, mut front) = tcp_pair().await;
        let (mut back, server) = tcp_pair().await;
        let proxy = mirage::spawn(async move { copy_bidirectional(&mut front, &mut back).await });
        client.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        server.read_exact(&mut buf).await.unwrap();
        // The server aborts the connection: the proxy's read from it fails.
        set_linger_zero(server.as_raw_fd());
        drop(server);
        let result: io::Result<(u64, u64)> = timeout(GUARD, proxy).await.unwrap().unwrap();
        assert_eq!(result.unwrap_err().kind(), ErrorKind::ConnectionReset);
        drop(client);
    });
}
