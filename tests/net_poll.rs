//! The sockets' public poll-level methods driven through `poll_fn`: accept, receive,
//! readiness, and which wakers they keep.

use std::cell::Cell;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use mirage::Core;
use mirage::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use mirage::time::{sleep, timeout};

mod net_common;
use net_common::tcp_pair;

#[test]
fn poll_accept_waits_for_a_connection() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let polls = Cell::new(0);
        let client = mirage::spawn(async move { TcpStream::connect(addr).await.unwrap() });
        let (server, peer) = poll_fn(|cx| {
            polls.set(polls.get() + 1);
            listener.poll_accept(cx)
        })
        .await
        .unwrap();
        assert!(polls.get() >= 2, "pending until the client connected");
        let client = client.await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        server.write_all(b"hi").await.unwrap();
        let mut buf = [0; 2];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
    });
}

#[test]
fn unix_poll_accept_gives_a_working_stream() {
    let path = std::env::temp_dir().join(format!("mirage-poll-accept-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let client = UnixStream::connect(&path).await.unwrap();
        let (server, _) = poll_fn(|cx| listener.poll_accept(cx)).await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    });
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn poll_recv_from_waits_for_a_datagram_and_names_its_sender() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let server = Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        let server_addr = server.local_addr().unwrap();
        let receiver = mirage::spawn({
            let server = Rc::clone(&server);
            async move {
                let mut buf = [0; 16];
                let (n, from) = poll_fn(|cx| server.poll_recv_from(cx, &mut buf))
                    .await
                    .unwrap();
                (buf[..n].to_vec(), from)
            }
        });
        mirage::yield_now().await;
        poll_fn(|cx| client.poll_send_to(cx, b"ping", server_addr))
            .await
            .unwrap();
        let (got, from) = receiver.await.unwrap();
        assert_eq!(got, b"ping");
        assert_eq!(from, client.local_addr().unwrap());
    });
}

#[test]
fn unix_datagram_poll_recv_from_reads_what_poll_send_sent() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        assert_eq!(poll_fn(|cx| a.poll_send(cx, b"one")).await.unwrap(), 3);
        let mut buf = [0; 8];
        let (n, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
        assert_eq!((&buf[..n], from.is_unnamed()), (&b"one"[..], true));
        b.shutdown(std::net::Shutdown::Read).unwrap();
        let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
        assert_eq!(n, 0, "end of file once the read half is shut");
    });
}

#[test]
fn poll_read_ready_is_pending_until_data_arrives() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = UnixStream::pair().unwrap();
        let b = Rc::new(b);
        let ready = mirage::spawn({
            let b = Rc::clone(&b);
            async move {
                poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap();
            }
        });
        mirage::yield_now().await;
        assert!(!ready.is_finished(), "nothing to read yet");
        a.write_all(b"x").await.unwrap();
        ready.await.unwrap();
        assert_eq!(b.try_read(&mut [0; 4]).unwrap(), 1);
        // Drained: a poll now is pending, not a stale `Ready`.
        let pending = poll_fn(|cx| Poll::Ready(b.poll_read_ready(cx).is_pending())).await;
        assert!(pending);
    });
}

#[test]
fn poll_recv_ready_forgets_a_datagram_already_taken() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .send_to(b"only", server.local_addr().unwrap())
            .await
            .unwrap();
        poll_fn(|cx| server.poll_recv_ready(cx)).await.unwrap();
        // The datagram is taken whole: the reactor's readiness outlives it, the kernel's not.
        let mut buf = [0; 16];
        server.recv_from(&mut buf).await.unwrap();
        let still_ready = poll_fn(|cx| Poll::Ready(server.poll_recv_ready(cx).is_ready())).await;
        assert!(!still_ready);
        poll_fn(|cx| server.poll_send_ready(cx)).await.unwrap();
    });
}

#[test]
fn poll_write_ready_is_ready_at_once_after_shutting_the_write_half() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, _b) = UnixStream::pair().unwrap();
        // Fill the buffers: the stream is not writable.
        let chunk = [0; 64 * 1024];
        while a.try_write(&chunk).is_ok() {}
        let writable = poll_fn(|cx| Poll::Ready(a.poll_write_ready(cx).is_ready())).await;
        assert!(!writable);
        a.shutdown(std::net::Shutdown::Write).unwrap();
        poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();
        let err = a.try_write(b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn a_poll_level_waiter_does_not_displace_an_async_one() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = UnixStream::pair().unwrap();
        let b = Rc::new(b);
        let awaiting = mirage::spawn({
            let b = Rc::clone(&b);
            async move { b.readable().await.unwrap() }
        });
        let polling = mirage::spawn({
            let b = Rc::clone(&b);
            async move { poll_fn(|cx| b.poll_read_ready(cx)).await.unwrap() }
        });
        mirage::yield_now().await;
        a.write_all(b"x").await.unwrap();
        awaiting.await.unwrap();
        polling.await.unwrap();
    });
}

#[test]
fn poll_peek_leaves_the_bytes_for_the_next_read() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, server) = tcp_pair().await;
        assert_eq!(
            poll_fn(|cx| server.poll_peek(cx, &mut [])).await.unwrap(),
            0
        );
        client.write_all(b"abc").await.unwrap();
        let mut buf = [0; 8];
        let n = poll_fn(|cx| server.poll_peek(cx, &mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"abc");
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"abc");
    });
}

#[test]
fn udp_poll_peek_waits_for_a_datagram_and_leaves_it_queued() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        b.connect(a.local_addr().unwrap()).await.unwrap();
        let peeker = Rc::clone(&b);
        let peek = mirage::spawn(async move {
            let mut buf = [0; 16];
            let n = poll_fn(|cx| peeker.poll_peek(cx, &mut buf)).await.unwrap();
            buf[..n].to_vec()
        });
        mirage::task::yield_now().await;
        assert!(!peek.is_finished(), "nothing to peek yet");
        a.send_to(b"first", b.local_addr().unwrap()).await.unwrap();
        assert_eq!(peek.await.unwrap(), b"first");
        let mut buf = [0; 16];
        let n = b.try_recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"first", "the peek took nothing");
    });
}

#[test]
fn unix_datagram_poll_ready_follows_the_peers_queue() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let readable = poll_fn(|cx| Poll::Ready(b.poll_recv_ready(cx).is_ready())).await;
        assert!(!readable, "nothing queued yet");
        poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
        let mut queued = 0;
        while a.try_send(b"x").is_ok() {
            queued += 1;
        }
        // b's queue is full: a cannot send until b takes the datagrams, which wakes it.
        let a = Rc::new(a);
        let sender = Rc::clone(&a);
        let ready = mirage::spawn(async move { poll_fn(|cx| sender.poll_send_ready(cx)).await });
        mirage::task::yield_now().await;
        assert!(!ready.is_finished(), "ready with the peer's queue full");
        for _ in 0..queued {
            poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
            assert_eq!(b.try_recv(&mut [0; 1]).unwrap(), 1);
        }
        let readable = poll_fn(|cx| Poll::Ready(b.poll_recv_ready(cx).is_ready())).await;
        assert!(!readable, "every datagram taken");
        timeout(Duration::from_secs(10), ready)
            .await
            .expect("never woken once the peer made room")
            .unwrap()
            .unwrap();
        assert_eq!(a.try_send(b"y").unwrap(), 1);
    });
}

#[test]
fn an_accept_stream_is_polled_once_per_connection_and_no_more() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let polls = Rc::new(Cell::new(0));
        let (accepted_tx, mut accepted_rx) = mirage::sync::mpsc::unbounded();
        let counted = Rc::clone(&polls);
        mirage::spawn(async move {
            loop {
                let accepted = poll_fn(|cx| {
                    counted.set(counted.get() + 1);
                    listener.poll_accept(cx)
                })
                .await;
                accepted_tx.send(accepted.unwrap()).unwrap();
            }
        });
        mirage::task::yield_now().await;
        assert_eq!(polls.get(), 1, "one poll to start waiting");
        for round in 1..=3 {
            let _client = TcpStream::connect(addr).await.unwrap();
            accepted_rx.recv().await.unwrap();
            mirage::task::yield_now().await;
            // The wake-up's poll accepts; the next accept's first poll waits again.
            assert_eq!(
                polls.get(),
                1 + 2 * round,
                "a spurious poll in round {round}"
            );
        }
    });
}

// The datagram and peek poll calls have no `start_*` hook to mark a new operation, so a
// deadline kept in the socket would pass from a call dropped while pending to the next
// one: they ignore the timeouts, as tokio's (which have none) do.

/// With a 200 ms read timeout set on the socket `call` reads: drops a pending `call` after
/// 150 ms, then makes it again while `late` sends 4 bytes 250 ms on, past the timeout. The
/// second call must get them.
async fn a_dropped_call_then_one_longer_than_the_timeout(
    mut call: impl FnMut(&mut std::task::Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
    late: impl std::future::Future<Output = ()> + 'static,
) {
    let mut buf = [0u8; 16];
    let dropped = timeout(Duration::from_millis(150), poll_fn(|cx| call(cx, &mut buf)));
    assert!(dropped.await.is_err(), "nothing was sent yet");
    let sender = mirage::spawn(async move {
        sleep(Duration::from_millis(250)).await;
        late.await;
    });
    let got = poll_fn(|cx| call(cx, &mut buf)).await;
    assert_eq!(got.map_err(|e| e.kind()).unwrap(), 4);
    sender.await.unwrap();
}

#[test]
fn udp_poll_recv_ignores_the_read_timeout_and_a_dropped_one_leaves_no_deadline() {
    let mut core = Core::new().unwrap();
    core.run(async {
        mirage::time::pause();
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let a_addr = a.local_addr().unwrap();
        a.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let late = async move {
            b.send_to(b"late", a_addr).await.unwrap();
        };
        a_dropped_call_then_one_longer_than_the_timeout(|cx, buf| a.poll_recv(cx, buf), late).await;
    });
}

#[test]
fn unix_datagram_poll_recv_ignores_the_read_timeout_and_a_dropped_one_leaves_no_deadline() {
    let mut core = Core::new().unwrap();
    core.run(async {
        mirage::time::pause();
        let (a, b) = UnixDatagram::pair().unwrap();
        a.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let late = async move {
            b.send(b"late").await.unwrap();
        };
        a_dropped_call_then_one_longer_than_the_timeout(|cx, buf| a.poll_recv(cx, buf), late).await;
    });
}

#[test]
fn tcp_poll_peek_ignores_the_read_timeout_and_a_dropped_one_leaves_no_deadline() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, server) = tcp_pair().await;
        mirage::time::pause();
        server
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let late = async move {
            client.write_all(b"late").await.unwrap();
        };
        a_dropped_call_then_one_longer_than_the_timeout(|cx, buf| server.poll_peek(cx, buf), late)
            .await;
    });
}
