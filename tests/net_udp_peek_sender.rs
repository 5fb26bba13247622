//! `UdpSocket::peek_sender`, `try_peek_sender` and `poll_peek_sender`: the sender of the
//! next datagram, which stays queued, whole.

use std::future::poll_fn;
use std::io;
use std::time::Duration;

use mirage::net::UdpSocket;
use mirage::time::timeout;

fn socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").unwrap()
}

#[mirage::test(start_paused = true)]
async fn peek_sender_waits_for_a_datagram() {
    let (a, b) = (socket(), socket());
    let waited = timeout(Duration::from_secs(1), b.peek_sender()).await;
    assert!(waited.is_err(), "nothing sent yet: {waited:?}");
    a.send_to(b"x", b.local_addr().unwrap()).await.unwrap();
    assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
}

#[mirage::test]
async fn each_datagram_keeps_its_sender_and_its_bytes() {
    let (a, c, b) = (socket(), socket(), socket());
    let big = vec![7u8; 60_000];
    a.send_to(&big, b.local_addr().unwrap()).await.unwrap();
    c.send_to(b"", b.local_addr().unwrap()).await.unwrap();

    let mut buf = vec![0u8; 65_536];
    assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
    assert_eq!(
        b.peek_sender().await.unwrap(),
        a.local_addr().unwrap(),
        "again"
    );
    let (n, from) = b.recv_from(&mut buf).await.unwrap();
    assert_eq!((n, from), (big.len(), a.local_addr().unwrap()));
    assert_eq!(&buf[..n], &big[..], "not cut by the zero-byte peeks");

    // An empty datagram has a sender too.
    assert_eq!(b.try_peek_sender().unwrap(), c.local_addr().unwrap());
    let from = poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap();
    assert_eq!(from, c.local_addr().unwrap());
    assert_eq!(
        b.recv_from(&mut buf).await.unwrap(),
        (0, c.local_addr().unwrap())
    );

    let err = b.try_peek_sender().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "the queue is empty");
}

#[mirage::test(start_paused = true)]
async fn peek_sender_obeys_the_read_timeout() {
    let (a, b) = (socket(), socket());
    b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let err = b.peek_sender().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    a.send_to(b"late", b.local_addr().unwrap()).await.unwrap();
    assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
}

#[mirage::test(start_paused = true)]
async fn a_cancelled_peek_sender_takes_nothing() {
    let (a, b) = (socket(), socket());
    a.send_to(b"kept", b.local_addr().unwrap()).await.unwrap();
    // Polled once (ready at once) and dropped, or dropped while waiting: either way the
    // datagram is still there.
    let _ = timeout(Duration::ZERO, b.peek_sender()).await;
    let mut buf = [0u8; 8];
    let (n, _) = b.recv_from(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"kept");
}
