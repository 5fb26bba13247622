//! The sockets' `try_` methods: one system call, never a wait, and a readiness cache that
//! stays right around them (a wait after a `WouldBlock` is woken by the next data or room;
//! `readable` and `writable` are followed by a `try_` call that succeeds).

mod net_common;

use std::io::{self, ErrorKind};
use std::time::Duration;

use mirage::Core;
use mirage::net::{TcpStream, UdpSocket, UnixDatagram, UnixStream};
use mirage::time::{sleep, timeout};
use net_common::streams::{Kind, Stream};
use net_common::{bytes, checksum, join};

/// Far beyond what any step needs: only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(10);

fn would_block<T: std::fmt::Debug>(result: io::Result<T>) {
    assert_eq!(result.unwrap_err().kind(), ErrorKind::WouldBlock);
}

/// A `try_read` that found nothing makes the next wait wait for new data, and is woken by
/// it: after `readable`, at once; after a plain `read`, too. A short `try_read` (the
/// socket drained) does the same.
fn reads_after_would_block(kind: Kind) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (writer, reader) = Stream::pair(kind).await;
        let mut buf = [0u8; 64];
        would_block(reader.try_read(&mut buf));

        writer.write_all(b"one").await.unwrap();
        timeout(GENEROUS, reader.readable())
            .await
            .expect("readable() hung")
            .unwrap();
        // `readable` asked the kernel: the data is there, whatever the cache says.
        assert_eq!(reader.try_read(&mut buf).unwrap(), 3, "a short read");
        assert_eq!(&buf[..3], b"one");
        would_block(reader.try_read(&mut buf));

        let late = async {
            sleep(Duration::from_millis(5)).await;
            writer.write_all(b"two").await.unwrap();
        };
        let mut n = None;
        join(late, async {
            n = Some(timeout(GENEROUS, reader.read(&mut buf)).await)
        })
        .await;
        assert_eq!(
            n.unwrap().expect("read() after WouldBlock hung").unwrap(),
            3
        );
        assert_eq!(&buf[..3], b"two");

        // The read above drained the socket and registered it: the cache says "not ready"
        // until the Core's next turn, while `readable` finds the new bytes at once.
        writer.write_all(b"three").await.unwrap();
        reader.readable().await.unwrap();
        assert_eq!(reader.try_read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"three");

        writer.shutdown(std::net::Shutdown::Write);
        reader.readable().await.unwrap();
        assert_eq!(reader.try_read(&mut buf).unwrap(), 0, "end of stream");
        assert_eq!(reader.try_read(&mut []).unwrap(), 0, "an empty read");
    });
}

#[test]
fn tcp_reads_after_would_block() {
    reads_after_would_block(Kind::Tcp);
}

#[test]
fn unix_reads_after_would_block() {
    reads_after_would_block(Kind::Unix);
}

/// `try_write` fills the socket until `WouldBlock`; then a waiting `write_all` and
/// `writable` are woken as the peer reads, and every byte arrives once, in order.
fn writes_after_would_block(kind: Kind) {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (writer, reader) = Stream::pair(kind).await;
        let data = bytes(3, 16 << 20);
        let mut sent = 0;
        loop {
            let end = (sent + (64 << 10)).min(data.len());
            match writer.try_write(&data[sent..end]) {
                Ok(n) => sent += n,
                Err(err) => {
                    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
                    break;
                }
            }
        }
        assert!(sent < data.len(), "16 MiB fit in the socket buffers");
        assert_eq!(
            writer.try_write(&[]).unwrap(),
            0,
            "an empty write, even on a full socket"
        );

        let writing = async {
            timeout(GENEROUS, writer.writable())
                .await
                .expect("writable() hung")
                .unwrap();
            let rest = timeout(GENEROUS, writer.write_all(&data[sent..])).await;
            rest.expect("write_all() after WouldBlock hung").unwrap();
            writer.shutdown(std::net::Shutdown::Write);
        };
        let mut received = Vec::new();
        join(writing, async {
            received = reader.read_to_end().await.unwrap()
        })
        .await;
        assert_eq!(received.len(), data.len());
        assert_eq!(checksum(&received), checksum(&data));
    });
}

#[test]
fn tcp_writes_after_would_block() {
    writes_after_would_block(Kind::Tcp);
}

#[test]
fn unix_writes_after_would_block() {
    writes_after_would_block(Kind::Unix);
}

#[test]
fn try_calls_need_no_core() {
    // Never registered with a reactor, and no Core running: one system call each.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.set_nonblocking(true).unwrap();
    let client = TcpStream::from_std(client).unwrap();
    let mut buf = [0u8; 16];
    would_block(client.try_read(&mut buf));
    use std::io::Write as _;
    (&server).write_all(b"hi").unwrap();
    let n = loop {
        match client.try_read(&mut buf) {
            Err(err) if err.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
            result => break result.unwrap(),
        }
    };
    assert_eq!(&buf[..n], b"hi");
    assert_eq!(client.try_write(b"back").unwrap(), 4);

    let (a, b) = UnixStream::pair().unwrap();
    would_block(b.try_read(&mut buf));
    assert_eq!(a.try_write(b"x").unwrap(), 1);
    assert_eq!(b.try_read(&mut buf).unwrap(), 1);
}

#[test]
fn udp_try_calls() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut buf = [0u8; 16];
        would_block(b.try_recv_from(&mut buf));
        would_block(b.try_peek_from(&mut buf));
        let err = a.try_send(b"unconnected").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotConnected, "{err}");

        assert_eq!(a.try_send_to(b"one", b.local_addr().unwrap()).unwrap(), 3);
        timeout(GENEROUS, b.readable()).await.unwrap().unwrap();
        let (n, from) = b.try_peek_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"one"[..], a.local_addr().unwrap()));
        let (n, _) = b.try_recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"one", "a peek leaves the datagram queued");
        would_block(b.try_recv_from(&mut buf));

        // After that WouldBlock, a waiting receive is woken by the next datagram.
        b.connect(a.local_addr().unwrap()).await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        let late = async {
            sleep(Duration::from_millis(5)).await;
            assert_eq!(a.try_send(b"two").unwrap(), 3);
        };
        let mut n = None;
        join(late, async {
            n = Some(timeout(GENEROUS, b.recv(&mut buf)).await)
        })
        .await;
        assert_eq!(
            n.unwrap().expect("recv() after WouldBlock hung").unwrap(),
            3
        );
        assert_eq!(&buf[..3], b"two");
        would_block(b.try_recv(&mut buf));
    });
}

#[test]
fn unix_datagram_try_calls() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut buf = [0u8; 16];
        would_block(b.try_recv(&mut buf));
        would_block(b.try_recv_from(&mut buf));

        // Fill b's queue; then a waiting `send` is woken once b empties it.
        let mut queued = 0;
        while a.try_send(&[queued as u8]).is_ok() {
            queued += 1;
        }
        would_block(a.try_send(b"full"));
        let mut sent = None;
        let send = async { sent = Some(timeout(GENEROUS, a.send(b"last")).await) };
        let drain = async {
            sleep(Duration::from_millis(5)).await;
            for i in 0..queued {
                let (n, _) = b.try_recv_from(&mut buf).unwrap();
                assert_eq!(&buf[..n], &[i as u8], "datagrams in order");
            }
        };
        join(send, drain).await;
        let sent = sent.unwrap().expect("send() after WouldBlock hung");
        assert_eq!(sent.unwrap(), 4);
        timeout(GENEROUS, b.readable()).await.unwrap().unwrap();
        assert_eq!(b.try_recv(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"last");
    });
}

#[test]
fn unix_datagram_try_send_to_a_path() {
    let dir = std::env::temp_dir().join(format!("mirage-try-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("receiver.sock");
    let _ = std::fs::remove_file(&path);
    let receiver = UnixDatagram::bind(&path).unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    assert_eq!(sender.try_send_to(b"hello", &path).unwrap(), 5);
    let mut buf = [0u8; 16];
    assert_eq!(receiver.try_recv(&mut buf).unwrap(), 5);
    let err = sender
        .try_send_to(b"nobody", dir.join("missing.sock"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
