//! UDP on loopback: datagram round trips, connected sockets, peeking, timeouts and names.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use mirage::Core;
use mirage::net::{UdpSocket, lookup_host};
use mirage::time::{Instant, timeout};

fn socket() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// Fails the test instead of hanging it if a datagram goes missing.
const GENEROUS: Duration = Duration::from_secs(10);

#[test]
fn send_to_and_recv_from_round_trip_between_two_sockets() {
    let mut core = Core::new().unwrap();
    let (a, a_addr) = socket();
    let (b, b_addr) = socket();
    core.run(async move {
        // The echo side waits before anything is sent: the datagram must wake it.
        let echo = mirage::spawn(async move {
            let mut buf = [0u8; 64];
            for _ in 0..3 {
                let (n, from) = b.recv_from(&mut buf).await.unwrap();
                b.send_to(&buf[..n], from).await.unwrap();
            }
        });
        mirage::yield_now().await;
        for message in [&b"one"[..], b"two", b""] {
            assert_eq!(a.send_to(message, b_addr).await.unwrap(), message.len());
            let mut buf = [0u8; 64];
            let (n, from) = timeout(GENEROUS, a.recv_from(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&buf[..n], message);
            assert_eq!(from, b_addr);
        }
        echo.await.unwrap();
        assert_ne!(a_addr, b_addr);
    });
}

#[test]
fn connected_sockets_send_and_recv_and_ignore_strangers() {
    let mut core = Core::new().unwrap();
    let (a, a_addr) = socket();
    let (b, b_addr) = socket();
    let (stranger, _) = socket();
    core.run(async move {
        assert_eq!(
            a.peer_addr().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b_addr);

        // A connected socket receives only from its peer: the stranger's datagram, sent
        // first, is dropped by the kernel.
        stranger.send_to(b"intruder", a_addr).await.unwrap();
        b.send(b"from b").await.unwrap();
        let mut buf = [0u8; 64];
        let n = timeout(GENEROUS, a.recv(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"from b");

        a.send(b"from a").await.unwrap();
        let n = timeout(GENEROUS, b.recv(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"from a");
    });
}

#[test]
fn peeking_leaves_the_datagram_queued() {
    let mut core = Core::new().unwrap();
    let (a, a_addr) = socket();
    let (b, b_addr) = socket();
    core.run(async move {
        a.send_to(b"first", b_addr).await.unwrap();
        a.send_to(b"second", b_addr).await.unwrap();
        let mut buf = [0u8; 64];
        for _ in 0..2 {
            let (n, from) = timeout(GENEROUS, b.peek_from(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!((&buf[..n], from), (&b"first"[..], a_addr));
        }
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"first");

        // `peek` on a connected socket, likewise.
        b.connect(a_addr).await.unwrap();
        let n = b.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");

        // `try_peek` never waits: `WouldBlock` with nothing queued, then the datagram,
        // still queued after it.
        assert_eq!(
            b.try_peek(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        a.send_to(b"third", b_addr).await.unwrap();
        b.readable().await.unwrap();
        let n = b.try_peek(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"third");
        let n = b.try_recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"third");

        // Nothing left: a receive now waits (and times out).
        b.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        assert_eq!(
            b.recv(&mut buf).await.unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
    });
}

#[test]
fn readable_waits_again_once_the_last_datagram_is_received() {
    let mut core = Core::new().unwrap();
    let (a, _) = socket();
    let (b, b_addr) = socket();
    core.run(async move {
        let mut buf = [0u8; 16];
        // Registered with the reactor before the datagram comes, so that its edge is seen.
        let waited = timeout(Duration::from_millis(1), b.readable()).await;
        assert!(waited.is_err(), "readable() with nothing sent");
        a.send_to(b"only", b_addr).await.unwrap();
        timeout(GENEROUS, b.readable()).await.unwrap().unwrap();
        assert_eq!(b.recv(&mut buf).await.unwrap(), 4);

        // Nothing is left: `readable()` waits, and times out as a receive would.
        let waited = timeout(Duration::from_millis(20), b.readable()).await;
        assert!(
            waited.is_err(),
            "readable() with nothing queued: {waited:?}"
        );
        b.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let err = b.readable().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);

        a.send_to(b"next", b_addr).await.unwrap();
        timeout(GENEROUS, b.readable()).await.unwrap().unwrap();
        assert_eq!(b.recv(&mut buf).await.unwrap(), 4);
        assert_eq!(&buf[..4], b"next");
    });
}

#[test]
fn read_timeout_fires_and_the_socket_stays_usable() {
    let mut core = Core::new().unwrap();
    let (a, a_addr) = socket();
    let (b, b_addr) = socket();
    core.run(async move {
        b.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
        assert_eq!(b.read_timeout().unwrap(), Some(Duration::from_millis(30)));
        let mut buf = [0u8; 16];
        let started = Instant::now();
        let err = b.recv_from(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(30));

        // Still usable, with the timeout still set.
        a.send_to(b"late", b_addr).await.unwrap();
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"late"[..], a_addr));
        // And each receive gets its own full timeout again.
        assert_eq!(
            b.recv_from(&mut buf).await.unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );

        // Cleared, a receive waits for as long as it takes.
        b.set_read_timeout(None).unwrap();
        assert_eq!(b.read_timeout().unwrap(), None);
        let waiting = timeout(Duration::from_millis(40), b.recv_from(&mut buf)).await;
        assert!(waiting.is_err(), "{waiting:?}");
    });
}

#[test]
fn send_on_an_unconnected_socket_is_not_connected() {
    let (socket, _) = socket();
    let mut core = Core::new().unwrap();
    let err = core.run(socket.send(b"to nobody")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotConnected, "{err}");
    // The kernel's own error is kept underneath.
    let source = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<io::Error>());
    assert_eq!(
        source.and_then(io::Error::raw_os_error),
        Some(libc::EDESTADDRREQ)
    );
    // The socket is not harmed: once connected, it sends.
    let (peer, peer_addr) = self::socket();
    core.run(async {
        socket.connect(peer_addr).await.unwrap();
        assert_eq!(socket.send(b"now").await.unwrap(), 3);
        assert_eq!(peer.recv(&mut [0; 8]).await.unwrap(), 3);
    });
}

#[test]
fn a_zero_timeout_is_invalid_input_as_in_std() {
    let (a, _) = socket();
    a.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
    for result in [
        a.set_read_timeout(Some(Duration::ZERO)),
        a.set_write_timeout(Some(Duration::ZERO)),
    ] {
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
    // A refused timeout leaves the previous one in place.
    assert_eq!(a.read_timeout().unwrap(), None);
    assert_eq!(a.write_timeout().unwrap(), Some(Duration::from_secs(1)));
}

/// Shuts the read half of `socket` through its descriptor: neither std's `UdpSocket` nor
/// Mirage's has a `shutdown`, but `shutdown(2)` works on one (it is how a thread blocked in
/// std's `recv` is woken), and a socket may come to `from_std` shut.
fn shut_read_half(socket: &impl AsRawFd) {
    // SAFETY: a plain system call on a descriptor that `socket` keeps open.
    let result = unsafe { libc::shutdown(socket.as_raw_fd(), libc::SHUT_RD) };
    assert_eq!(result, 0, "{}", io::Error::last_os_error());
}

/// Once the read half is shut and the queue drained, std's blocking receive returns
/// `Ok(0)` (and `recv_from`, with no sender to name, `InvalidInput`), where the
/// non-blocking system call reports `WouldBlock`: a receive must not wait for ever for an
/// edge that never comes, whether the shutdown comes while it waits or before Mirage took
/// the socket.
#[test]
fn a_receive_after_the_read_half_is_shut_returns_zero_as_in_std() {
    let (a, a_addr) = socket();
    let (b, b_addr) = socket();
    let b = Rc::new(b);
    let mut core = Core::new().unwrap();
    core.run(async move {
        b.connect(a_addr).await.unwrap();
        let receiver = {
            let b = b.clone();
            mirage::spawn(async move { b.recv(&mut [0u8; 8]).await })
        };
        mirage::time::sleep(Duration::from_millis(5)).await;
        a.send_to(b"queued", b_addr).await.unwrap();
        let got = timeout(GENEROUS, receiver).await.unwrap();
        assert_eq!(got.unwrap().unwrap(), 6);
        let waiting = {
            let b = b.clone();
            mirage::spawn(async move { b.recv(&mut [0u8; 8]).await })
        };
        mirage::time::sleep(Duration::from_millis(5)).await;
        shut_read_half(&*b);
        let got = timeout(GENEROUS, waiting)
            .await
            .expect("a waiting recv hung");
        assert_eq!(got.unwrap().unwrap(), 0);

        let mut buf = [0u8; 8];
        let wait = Duration::from_millis(500);
        for _ in 0..2 {
            let got = timeout(wait, b.recv(&mut buf)).await;
            assert_eq!(got.expect("recv hung").unwrap(), 0);
        }
        let got = timeout(wait, b.peek(&mut buf)).await;
        assert_eq!(got.expect("peek hung").unwrap(), 0);
        let err = timeout(wait, b.recv_from(&mut buf))
            .await
            .expect("recv_from hung");
        assert_eq!(err.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        let err = timeout(wait, b.peek_from(&mut buf))
            .await
            .expect("peek_from hung");
        assert_eq!(err.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        let err = timeout(wait, b.peek_sender())
            .await
            .expect("peek_sender hung");
        assert_eq!(err.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        let polled = std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf));
        assert_eq!(
            timeout(wait, polled)
                .await
                .expect("poll_recv hung")
                .unwrap(),
            0
        );
        // `readable` reports the end at once, so a loop of it and `try_recv` must end too.
        timeout(wait, b.readable()).await.unwrap().unwrap();
        assert_eq!(b.try_recv(&mut buf).unwrap(), 0);
        assert_eq!(b.try_peek(&mut buf).unwrap(), 0);
        let err = b.try_recv_from(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });

    let std_socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    std_socket.connect(b_addr).unwrap();
    shut_read_half(&std_socket);
    assert_eq!(
        std_socket.recv(&mut [0u8; 8]).unwrap(),
        0,
        "std's blocking receive"
    );
    let err = std_socket.recv_from(&mut [0u8; 8]).unwrap_err();
    assert_eq!(
        err.kind(),
        io::ErrorKind::InvalidInput,
        "std's blocking receive"
    );
    let socket = UdpSocket::from_std(std_socket).unwrap();
    core.run(async move {
        let got = timeout(Duration::from_millis(500), socket.recv(&mut [0u8; 8])).await;
        assert_eq!(got.expect("recv hung").unwrap(), 0);
    });
}

#[test]
fn timeouts_survive_from_std_and_into_std() {
    // std keeps a socket's timeouts in the kernel, so they travel with it; Mirage keeps its
    // own, and must take them over and hand them back.
    let (read, write) = (Duration::from_secs(2), Duration::from_secs(3));
    let std_socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    std_socket.set_read_timeout(Some(read)).unwrap();
    std_socket.set_write_timeout(Some(write)).unwrap();
    let socket = UdpSocket::from_std(std_socket).unwrap();
    assert_eq!(socket.read_timeout().unwrap(), Some(read));
    assert_eq!(socket.write_timeout().unwrap(), Some(write));

    socket.set_read_timeout(Some(write)).unwrap();
    socket.set_write_timeout(None).unwrap();
    let std_socket = socket.into_std().unwrap();
    assert_eq!(std_socket.read_timeout().unwrap(), Some(write));
    assert_eq!(std_socket.write_timeout().unwrap(), None);
}

#[test]
fn sockets_bound_before_the_core_runs_work_inside_it_and_convert_to_std() {
    // Bound (and one converted from std) with no Core anywhere.
    let a = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let b = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
    let b_addr = b.local_addr().unwrap();
    assert!(format!("{a:?}").contains("UdpSocket"), "{a:?}");
    let mut core = Core::new().unwrap();
    let b = core.run(async move {
        a.send_to(b"before", b_addr).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, _) = timeout(GENEROUS, b.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"before");
        b
    });
    // Back to a blocking std socket, still bound to the same address.
    let b = b.into_std().unwrap();
    assert_eq!(b.local_addr().unwrap(), b_addr);
    b.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let mut buf = [0u8; 16];
    assert!(matches!(
        b.recv_from(&mut buf).unwrap_err().kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ));
}

#[test]
fn a_64_kib_datagram_arrives_whole() {
    // The largest UDP payload over IPv4: 65535 minus the IP and UDP headers.
    const LEN: usize = 65_507;
    let mut core = Core::new().unwrap();
    let (a, _) = socket();
    let (b, b_addr) = socket();
    core.run(async move {
        let sent: Vec<u8> = (0..LEN).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(a.send_to(&sent, b_addr).await.unwrap(), LEN);
        let mut buf = vec![0u8; 1 << 17];
        let (n, _) = timeout(GENEROUS, b.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, LEN);
        assert!(buf[..n] == sent[..], "datagram corrupted");

        // Into a short buffer, the datagram is truncated and its rest discarded.
        a.send_to(&sent, b_addr).await.unwrap();
        a.send_to(b"next", b_addr).await.unwrap();
        let mut short = [0u8; 10];
        let (n, _) = b.recv_from(&mut short).await.unwrap();
        assert_eq!(&short[..n], &sent[..10]);
        let (n, _) = b.recv_from(&mut short).await.unwrap();
        assert_eq!(&short[..n], b"next");
    });
}

#[test]
fn host_names_resolve_for_send_to_and_connect() {
    let mut core = Core::new().unwrap();
    core.run(async {
        // Bind where "localhost" resolves first (127.0.0.1 or ::1), as std's `send_to`
        // sends to the first address only.
        let first = lookup_host(("localhost", 0)).await.unwrap().next().unwrap();
        assert!(first.ip().is_loopback());
        let receiver = UdpSocket::bind((first.ip(), 0)).unwrap();
        let port = receiver.local_addr().unwrap().port();
        let sender = UdpSocket::bind((first.ip(), 0)).unwrap();

        sender
            .send_to(b"by name", ("localhost", port))
            .await
            .unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = timeout(GENEROUS, receiver.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"by name");
        assert_eq!(from, sender.local_addr().unwrap());

        // `connect` tries each address "localhost" resolves to until one suits the socket.
        sender.connect(format!("localhost:{port}")).await.unwrap();
        assert_eq!(sender.peer_addr().unwrap().port(), port);
        sender.send(b"connected").await.unwrap();
        let n = timeout(GENEROUS, receiver.recv(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"connected");
    });
}

#[test]
fn one_task_receives_while_another_sends_through_an_rc() {
    const COUNT: u32 = 200;
    let mut core = Core::new().unwrap();
    let (a, _) = socket();
    let (peer, peer_addr) = socket();
    core.run(async move {
        let a = Rc::new(a);
        // The peer echoes every datagram back.
        mirage::spawn(async move {
            let mut buf = [0u8; 16];
            loop {
                let (n, from) = peer.recv_from(&mut buf).await.unwrap();
                peer.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let receiver = mirage::spawn({
            let a = Rc::clone(&a);
            async move {
                let mut sum = 0u64;
                let mut buf = [0u8; 16];
                for _ in 0..COUNT {
                    let (n, from) = a.recv_from(&mut buf).await.unwrap();
                    assert_eq!((n, from), (4, peer_addr));
                    sum += u32::from_le_bytes(buf[..4].try_into().unwrap()) as u64;
                }
                sum
            }
        });
        for i in 0..COUNT {
            a.send_to(&i.to_le_bytes(), peer_addr).await.unwrap();
            // Keep well under the receive buffers, so loopback drops nothing.
            if i % 16 == 0 {
                mirage::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let sum = timeout(GENEROUS, receiver).await.unwrap().unwrap();
        assert_eq!(sum, (0..COUNT as u64).sum::<u64>());
    });
}

#[test]
fn socket_options_round_trip() {
    let (a, _) = socket();
    a.set_broadcast(true).unwrap();
    assert!(a.broadcast().unwrap());
    a.set_ttl(42).unwrap();
    assert_eq!(a.ttl().unwrap(), 42);
    a.set_multicast_loop_v4(false).unwrap();
    assert!(!a.multicast_loop_v4().unwrap());
    a.set_multicast_ttl_v4(7).unwrap();
    assert_eq!(a.multicast_ttl_v4().unwrap(), 7);
    assert!(a.take_error().unwrap().is_none());

    let v6 = match UdpSocket::bind("[::1]:0") {
        Ok(v6) => v6,
        // No IPv6 on this machine: nothing more to check.
        Err(_) => return,
    };
    v6.set_multicast_loop_v6(false).unwrap();
    assert!(!v6.multicast_loop_v6().unwrap());
    assert_eq!(
        v6.local_addr().unwrap().ip(),
        IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])
    );
}

#[test]
fn a_socket_moves_to_a_second_core_once_the_first_is_dropped() {
    let (socket, addr) = socket();
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut first = Core::new().unwrap();
    first.run(async {
        // A receive that waits registers the socket with the first Core.
        let mut buf = [0u8; 16];
        let waited = timeout(Duration::from_millis(1), socket.recv_from(&mut buf)).await;
        assert!(waited.is_err());
    });

    let mut second = Core::new().unwrap();
    drop(first);
    let received = second.run(async {
        let send = mirage::spawn(async move {
            mirage::yield_now().await;
            sender.send_to(b"moved", addr).unwrap();
        });
        let mut buf = [0u8; 16];
        let received = timeout(GENEROUS, socket.recv_from(&mut buf)).await;
        let (n, _) = received.expect("recv hung on the second Core").unwrap();
        send.await.unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(received, b"moved");
}

#[test]
fn readiness_seen_by_a_dropped_core_is_seen_again_by_the_next() {
    let (socket, addr) = socket();
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut first = Core::new().unwrap();
    first.run(async {
        // Registered with the first Core, which sees the datagram arrive; nothing reads it.
        let mut buf = [0u8; 16];
        let waited = timeout(Duration::from_millis(1), socket.recv_from(&mut buf)).await;
        assert!(waited.is_err());
        sender.send_to(b"early", addr).unwrap();
        timeout(GENEROUS, socket.readable())
            .await
            .expect("the first Core never saw the datagram")
            .unwrap();
    });
    drop(first);
    // No new edge comes: the second Core must learn of the waiting datagram on its own.
    let mut second = Core::new().unwrap();
    let received = second.run(async {
        timeout(GENEROUS, socket.readable())
            .await
            .expect("the datagram's readiness was lost with the first Core")
            .unwrap();
        let mut buf = [0u8; 16];
        let (n, _) = socket.try_recv_from(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(received, b"early");
}
