//! TCP on loopback: transfers, many connections, timeouts, and faults.

mod net_common;

use std::io::{self, IoSlice, IoSliceMut, Write as _};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncReadExt, AsyncWriteExt};
use mirage::net::{TcpListener, TcpStream};
use mirage::time::{Instant, timeout};
use net_common::{Lcg, checksum};

fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[test]
fn large_transfer_in_random_chunks_arrives_intact() {
    const LEN: usize = 8 << 20;
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    let (sent, received) = core.run(async move {
        let sender = mirage::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut rng = Lcg(7);
            let data: Vec<u8> = (0..LEN).map(|_| rng.next() as u8).collect();
            let mut offset = 0;
            while offset < LEN {
                let chunk = (1 + rng.next() as usize % 70_000).min(LEN - offset);
                stream
                    .write_all(&data[offset..offset + chunk])
                    .await
                    .unwrap();
                offset += chunk;
            }
            checksum(&data)
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut rng = Lcg(11);
        let mut received = Vec::with_capacity(LEN);
        let mut buf = vec![0u8; 100_000];
        loop {
            let want = 1 + rng.next() as usize % buf.len();
            let n = stream.read(&mut buf[..want]).await.unwrap();
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buf[..n]);
        }
        (sender.await.unwrap(), (received.len(), checksum(&received)))
    });
    assert_eq!(received, (LEN, sent));
}

#[test]
fn a_thousand_concurrent_connections_on_one_core() {
    const CONNECTIONS: usize = 1000;
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    let echoed = core.run(async move {
        // Echo server: a task per connection.
        mirage::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                mirage::spawn(async move {
                    let mut buf = [0u8; 64];
                    loop {
                        match stream.read(&mut buf).await.unwrap() {
                            0 => break,
                            n => stream.write_all(&buf[..n]).await.unwrap(),
                        }
                    }
                });
            }
        });
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|i| {
                mirage::spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let message = format!("hello from {i}");
                    stream.write_all(message.as_bytes()).await.unwrap();
                    let mut buf = vec![0u8; message.len()];
                    stream.read_exact(&mut buf).await.unwrap();
                    buf == message.as_bytes()
                })
            })
            .collect();
        let mut echoed = 0;
        for client in clients {
            echoed += client.await.unwrap() as usize;
        }
        echoed
    });
    assert_eq!(echoed, CONNECTIONS);
}

#[test]
fn read_timeout_fires_and_the_stream_stays_usable() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(30)))
            .unwrap();
        assert_eq!(
            client.read_timeout().unwrap(),
            Some(Duration::from_millis(30))
        );
        let mut buf = [0u8; 8];
        let started = Instant::now();
        let err = client.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(30));
        // Still usable: data sent now is read normally, with the timeout still set.
        server.write_all(b"late").await.unwrap();
        let n = client.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"late");
        // And each read gets its own full timeout again.
        assert_eq!(
            client.read(&mut buf).await.unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
    });
}

#[test]
fn poll_level_reads_honour_the_read_timeout_too() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (_server, _) = listener.accept().await.unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let mut buf = [0u8; 8];
        // Through the generic AsyncRead trait.
        let err = AsyncReadExt::read(&mut client, &mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    });
}

#[test]
fn a_zero_timeout_is_invalid_input_as_in_std() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        drop(listener);
        for result in [
            client.set_read_timeout(Some(Duration::ZERO)),
            client.set_write_timeout(Some(Duration::ZERO)),
        ] {
            assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        }
        let err = TcpStream::connect_timeout(&addr, Duration::ZERO)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

#[test]
fn timeouts_survive_from_std_and_into_std() {
    // std keeps a stream's timeouts in the socket, so they travel with it; Mirage keeps
    // its own, and must take them over and hand them back, or a stream passed through
    // `into_std` and `from_std` (to a Core on another thread) silently loses them.
    let (read, write) = (Duration::from_secs(2), Duration::from_secs(3));
    let (listener, addr) = listener();
    let std_stream = std::net::TcpStream::connect(addr).unwrap();
    std_stream.set_read_timeout(Some(read)).unwrap();
    std_stream.set_write_timeout(Some(write)).unwrap();
    let stream = TcpStream::from_std(std_stream).unwrap();
    assert_eq!(stream.read_timeout().unwrap(), Some(read));
    assert_eq!(stream.write_timeout().unwrap(), Some(write));

    stream.set_read_timeout(Some(write)).unwrap();
    stream.set_write_timeout(None).unwrap();
    let std_stream = stream.into_std().unwrap();
    assert_eq!(std_stream.read_timeout().unwrap(), Some(write));
    assert_eq!(std_stream.write_timeout().unwrap(), None);
    drop(listener);
}

#[test]
fn write_timeout_fires_when_the_peer_does_not_read() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (_server, _) = listener.accept().await.unwrap();
        client
            .set_write_timeout(Some(Duration::from_millis(30)))
            .unwrap();
        let chunk = vec![0u8; 1 << 16];
        let err = loop {
            if let Err(err) = client.write(&chunk).await {
                break err;
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    });
}

/// A listener with a backlog of 0: once one connection waits to be accepted, Linux drops
/// further SYNs, so the next connect hangs.
fn listener_with_full_backlog() -> (std::net::TcpListener, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // SAFETY: re-listening on our own open socket with a smaller backlog.
    let rc = unsafe { libc::listen(std::os::fd::AsRawFd::as_raw_fd(&listener), 0) };
    assert_eq!(rc, 0);
    (listener, addr)
}

/// `bind` leaves room for 1024 connections not yet accepted, where std's 128 makes the
/// kernel drop the SYNs of the rest: their connects stall for a second or more.
#[test]
fn bind_queues_a_burst_of_connections_beyond_std_s_backlog() {
    let (listener, addr) = listener();
    let clients: Vec<_> = (0..300)
        .map(|i| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500))
                .unwrap_or_else(|err| panic!("connection {i} not queued: {err}"))
        })
        .collect();
    assert_eq!(clients.len(), 300);
    drop(listener);
}

#[test]
fn connect_timeout_fires_against_a_full_backlog() {
    let mut core = Core::new().unwrap();
    let (_listener, addr) = listener_with_full_backlog();
    core.run(async move {
        let mut queued = Vec::new();
        let limit = Duration::from_millis(200);
        for _ in 0..16 {
            let started = Instant::now();
            match TcpStream::connect_timeout(&addr, limit).await {
                Ok(stream) => queued.push(stream),
                Err(err) => {
                    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
                    assert!(started.elapsed() >= limit);
                    return;
                }
            }
        }
        panic!("no connect timed out after filling the backlog");
    });
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    drop(listener);
    let err = core.run(TcpStream::connect(addr)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn connect_and_bind_try_each_address_in_turn() {
    let mut core = Core::new().unwrap();
    let (listener, good) = listener();
    let closed = listener_addr_then_closed();
    core.run(async move {
        // A refused address is passed over for the next, as std does.
        let stream = TcpStream::connect(&[closed, good][..]).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), good);
        listener.accept().await.unwrap();
        // A taken address likewise, for bind.
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let second = TcpListener::bind(&[good, any][..]).unwrap();
        assert_ne!(second.local_addr().unwrap(), good);
        // No address at all is invalid input, not a panic or a hang.
        let none: &[SocketAddr] = &[];
        let err = TcpStream::connect(none).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = TcpListener::bind(none).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

/// Makes `socket(AF_INET6, ...)` fail with `EAFNOSUPPORT` on the calling thread (and on the
/// threads it starts later), as on a kernel booted without IPv6; see
/// [`net_common::seccomp::fail_on_this_thread`].
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
fn lose_ipv6_on_this_thread() -> bool {
    net_common::seccomp::fail_on_this_thread(
        libc::SYS_socket,
        0,
        libc::AF_INET6 as u32,
        libc::EAFNOSUPPORT,
    )
}

#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[test]
fn bind_passes_over_an_address_whose_family_the_kernel_lacks() {
    std::thread::spawn(bind_without_ipv6).join().unwrap();
}

#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
fn bind_without_ipv6() {
    if !lose_ipv6_on_this_thread() {
        eprintln!(
            "skipped: no seccomp filter here ({})",
            io::Error::last_os_error()
        );
        return;
    }
    let err = std::net::TcpListener::bind("[::1]:0").unwrap_err();
    assert_eq!(
        err.raw_os_error(),
        Some(libc::EAFNOSUPPORT),
        "the filter works"
    );
    // "localhost" may resolve to ::1 first; std then binds 127.0.0.1, and so must `bind`.
    let any_v6: SocketAddr = "[::1]:0".parse().unwrap();
    let any_v4: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let std_listener = std::net::TcpListener::bind(&[any_v6, any_v4][..]).unwrap();
    assert!(std_listener.local_addr().unwrap().is_ipv4());
    let listener = TcpListener::bind(&[any_v6, any_v4][..]).unwrap();
    assert!(listener.local_addr().unwrap().is_ipv4());
    let err = TcpListener::bind(any_v6).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EAFNOSUPPORT));
    // connect, and UDP's bind, pass over it too.
    let v4 = listener.local_addr().unwrap();
    let v6 = SocketAddr::new("::1".parse().unwrap(), v4.port());
    let stream = Core::new()
        .unwrap()
        .run(TcpStream::connect(&[v6, v4][..]))
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap(), v4);
    let udp = mirage::net::UdpSocket::bind(&[any_v6, any_v4][..]).unwrap();
    assert!(udp.local_addr().unwrap().is_ipv4());
}

/// An address nothing listens on: a port the kernel handed out and was given back.
fn listener_addr_then_closed() -> SocketAddr {
    let (listener, addr) = listener();
    drop(listener);
    addr
}

/// A listener made from a descriptor that is no listening socket (a UDP socket here, as a
/// misconfigured socket activation could hand over) fails its accept with the kernel's
/// error, as std's and tokio's do: `EOPNOTSUPP` is also one of the errors Linux passes on
/// from a lost connection, but only a listening socket has connections to lose.
#[test]
fn accepting_on_a_socket_that_is_no_listener_fails_instead_of_spinning() {
    use std::os::fd::OwnedFd;
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let listener = TcpListener::from_std(OwnedFd::from(udp).into()).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        let accepted = timeout(Duration::from_secs(1), listener.accept()).await;
        let err = accepted.expect("accept spun on the error").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
        let polled = std::future::poll_fn(|cx| listener.poll_accept(cx));
        let err = timeout(Duration::from_secs(1), polled).await;
        let err = err.expect("poll_accept spun on the error").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
    });
}

#[test]
fn several_tasks_accepting_on_one_listener_each_get_a_connection() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let listener = Rc::new(listener);
        let acceptors: Vec<_> = (0..16)
            .map(|_| {
                let listener = Rc::clone(&listener);
                mirage::spawn(async move { listener.accept().await.unwrap().1 })
            })
            .collect();
        // Every acceptor waits before the first connection comes.
        mirage::task::yield_now().await;
        let mut clients = Vec::new();
        for _ in 0..16 {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let mut peers = Vec::new();
        for acceptor in acceptors {
            let peer = timeout(Duration::from_secs(10), acceptor)
                .await
                .expect("an acceptor was never handed its connection");
            peers.push(peer.unwrap());
        }
        let mut expected: Vec<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
        peers.sort();
        expected.sort();
        assert_eq!(peers, expected);
    });
}

#[test]
fn a_reset_connection_reports_connection_reset() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"unread").await.unwrap();
        // Give the bytes time to land, then close with them unread: Linux sends RST.
        server.readable().await.unwrap();
        drop(server);
        let mut buf = [0u8; 8];
        let err = loop {
            match client.read(&mut buf).await {
                Err(err) => break err,
                Ok(0) => panic!("orderly close instead of a reset"),
                Ok(_) => {}
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    });
}

#[test]
fn poll_level_shutdown_after_the_peer_reset_succeeds_as_in_tokio() {
    // tokio's `AsyncWriteExt::shutdown` is a cleanup call: after the peer's reset it
    // returns `Ok`, where `shutdown(2)` says `ENOTCONN`. The std-shaped `shutdown` keeps
    // std's `NotConnected`.
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        server.set_zero_linger().unwrap();
        drop(server);
        let err = client.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        let err = client.shutdown(Shutdown::Write).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotConnected);
        AsyncWriteExt::shutdown(&mut client).await.unwrap();
        AsyncWriteExt::shutdown(&mut &client).await.unwrap();
        let (_, mut write_half) = client.into_split();
        AsyncWriteExt::shutdown(&mut write_half).await.unwrap();
    });
}

#[test]
fn orderly_close_reads_zero_and_writing_to_it_breaks_the_pipe() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        drop(server);
        let mut buf = [0u8; 8];
        assert_eq!(client.read(&mut buf).await.unwrap(), 0);
        assert_eq!(
            client.read(&mut buf).await.unwrap(),
            0,
            "end of stream stays"
        );
        // The first write may succeed (the peer answers it with RST); later ones fail.
        let mut kinds = Vec::new();
        for _ in 0..10 {
            if let Err(err) = client.write(b"anyone?").await {
                kinds.push(err.kind());
            }
            mirage::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(kinds.contains(&io::ErrorKind::BrokenPipe), "{kinds:?}");
        assert!(kinds.iter().all(|k| matches!(
            k,
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        )));
    });
}

#[test]
fn half_close_lets_the_peer_answer_after_reading_to_the_end() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    let answer = core.run(async move {
        mirage::spawn(async move {
            let (mut server, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            server.read_to_end(&mut request).await.unwrap();
            server
                .write_all(format!("got {} bytes", request.len()).as_bytes())
                .await
                .unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(&[7u8; 1000]).await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut answer = String::new();
        let mut buf = Vec::new();
        client.read_to_end(&mut buf).await.unwrap();
        answer.push_str(std::str::from_utf8(&buf).unwrap());
        answer
    });
    assert_eq!(answer, "got 1000 bytes");
}

#[test]
fn one_task_reads_while_another_writes_through_an_rc() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    let total = core.run(async move {
        mirage::spawn(async move {
            let (server, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                match server.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => server.write_all(&buf[..n]).await.unwrap(),
                }
            }
        });
        let client = Rc::new(TcpStream::connect(addr).await.unwrap());
        let writer = mirage::spawn({
            let client = Rc::clone(&client);
            async move {
                let data = vec![1u8; 4 << 20];
                client.write_all(&data).await.unwrap();
                client.shutdown(Shutdown::Write).unwrap();
            }
        });
        let mut total = 0;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match client.read(&mut buf).await.unwrap() {
                0 => break,
                n => total += n,
            }
        }
        writer.await.unwrap();
        total
    });
    assert_eq!(total, 4 << 20);
}

#[test]
fn vectored_writes_and_peek() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let n = client
            .write_vectored(&[IoSlice::new(b"hello "), IoSlice::new(b"world")])
            .await
            .unwrap();
        assert_eq!(n, 11);
        let mut buf = [0u8; 11];
        server.readable().await.unwrap();
        let peeked = server.peek(&mut buf).await.unwrap();
        assert!(peeked > 0);
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello world");
    });
}

#[test]
fn paused_time_waits_for_a_host_name_lookup_instead_of_jumping_past_it() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        mirage::time::pause();
        let start = Instant::now();
        // Jumping to the timeouts' deadlines would report timeouts that never happened:
        // the lookups run on another thread, in real time, as `spawn_blocking` work does.
        let found = timeout(
            Duration::from_secs(5),
            mirage::net::lookup_host("localhost:80"),
        )
        .await
        .expect("the lookup timed out in virtual time");
        assert!(found.unwrap().all(|found| found.ip().is_loopback()));
        let connect = TcpStream::connect(("localhost", addr.port()));
        let stream = timeout(Duration::from_secs(5), connect)
            .await
            .expect("the connect timed out in virtual time")
            .unwrap();
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(stream.local_addr().unwrap(), peer);
        assert_eq!(start.elapsed(), Duration::ZERO);
    });
}

#[test]
fn host_names_resolve_without_blocking_and_std_conversions_round_trip() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let stream = TcpStream::connect(("localhost", addr.port()))
            .await
            .unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(stream.local_addr().unwrap(), peer);
        assert_eq!(stream.peer_addr().unwrap(), addr);
        stream.set_nodelay(true).unwrap();
        assert!(stream.nodelay().unwrap());
        stream.set_ttl(42).unwrap();
        assert_eq!(stream.ttl().unwrap(), 42);
        assert!(stream.take_error().unwrap().is_none());
        // Out to std (blocking) and back.
        let std_stream = stream.into_std().unwrap();
        let stream = TcpStream::from_std(std_stream).unwrap();
        server.write_all(b"ok").await.unwrap();
        let mut buf = [0u8; 2];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ok");
        assert!(format!("{stream:?}").contains("TcpStream"));
    });
}

/// Host names resolve on the runtime's blocking pool, as tokio's do: within its thread
/// limit, reusing its threads, rather than on a new thread per lookup.
#[test]
fn host_name_lookups_run_on_the_blocking_pool_within_its_thread_limit() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let started = Arc::new(AtomicUsize::new(0));
    let runtime = mirage::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .on_thread_start({
            let started = Arc::clone(&started);
            move || {
                started.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut lookups = mirage::task::JoinSet::new();
        for port in 0..8u16 {
            lookups.spawn(async move {
                let addrs = mirage::net::lookup_host(("localhost", port)).await.unwrap();
                assert!(
                    addrs
                        .into_iter()
                        .all(|a| a.port() == port && a.ip().is_loopback())
                );
            });
        }
        while let Some(done) = lookups.join_next().await {
            done.unwrap();
        }
    });
    assert_eq!(
        started.load(Ordering::SeqCst),
        1,
        "one pool thread did every lookup"
    );
}

/// `lookup_host` lists what an address resolves to, as std's `to_socket_addrs` and tokio's
/// `lookup_host` do: an empty list of addresses resolves to none, without an error (only
/// `connect` and `bind`, with nothing to try, fail over it).
#[test]
fn lookup_host_of_no_addresses_is_an_empty_list() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let none: &[SocketAddr] = &[];
        let addrs = mirage::net::lookup_host(none).await.unwrap();
        assert_eq!(addrs.count(), 0);
    });
}

#[test]
fn sockets_created_before_the_core_runs_work_inside_it() {
    let (listener, addr) = listener();
    let std_client = std::net::TcpStream::connect(addr).unwrap();
    let client = TcpStream::from_std(std_client).unwrap();
    let mut core = Core::new().unwrap();
    let echoed = core.run(async move {
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"early").await.unwrap();
        let mut buf = [0u8; 5];
        server.read_exact(&mut buf).await.unwrap();
        buf
    });
    assert_eq!(&echoed, b"early");
}

#[test]
fn a_dropped_pending_read_loses_no_data() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4];
        mirage::time::pause();
        assert!(
            timeout(Duration::from_millis(5), client.read(&mut buf))
                .await
                .is_err()
        );
        mirage::time::resume();
        server.write_all(b"data").await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"data");
    });
}

#[test]
fn a_short_read_then_end_of_stream_reported_in_the_same_edge_does_not_hang() {
    // The peer's data and its FIN arrive together, so one epoll event reports both. The
    // short read that takes the data marks the socket drained; end-of-stream must stay
    // visible, since no further edge will report it.
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // A read that waits registers the client with the reactor.
        let mut buf = [0u8; 64];
        assert!(
            timeout(Duration::from_millis(1), client.read(&mut buf))
                .await
                .is_err()
        );
        server.write_all(b"last words").await.unwrap();
        drop(server);
        mirage::time::sleep(Duration::from_millis(20)).await;
        let n = client.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"last words");
        let eof = timeout(Duration::from_secs(5), client.read(&mut buf)).await;
        assert_eq!(eof.expect("read hung after a short read").unwrap(), 0);
    });
}

#[test]
fn more_vectored_buffers_than_iov_max_do_not_stall_the_stream() {
    // One system call takes at most IOV_MAX (1024) buffers. Taking the transfer of the first
    // 1024 for a short one would mark the socket drained, and the next operation would wait
    // for an edge that never comes.
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // A read that waits registers the client with the reactor, which is what tracks
        // readiness.
        let mut byte = [0u8; 1];
        assert!(
            timeout(Duration::from_millis(1), client.read(&mut byte))
                .await
                .is_err()
        );

        let ones = vec![IoSlice::new(&[1]); 1500];
        let sent = client.write_vectored(&ones).await.unwrap();
        assert!((1..=1500).contains(&sent), "sent {sent}");
        let next = timeout(Duration::from_secs(5), client.write(b"!")).await;
        assert_eq!(next.expect("write hung after 1500 buffers").unwrap(), 1);
        let mut received = vec![0u8; sent + 1];
        server.read_exact(&mut received).await.unwrap();
        assert!(received[..sent].iter().all(|&b| b == 1) && received[sent] == b'!');

        server.write_all(&[2; 3000]).await.unwrap();
        // Let all of it arrive, so the vectored read leaves data queued behind no new edge.
        mirage::time::sleep(Duration::from_millis(20)).await;
        let mut bytes = [[0u8; 1]; 2000];
        let mut slices: Vec<_> = bytes.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let got = client.read_vectored(&mut slices).await.unwrap();
        assert!((1..=2000).contains(&got), "got {got}");
        let mut rest = vec![0u8; 3000 - got];
        let next = timeout(Duration::from_secs(5), client.read_exact(&mut rest)).await;
        next.expect("read hung after 2000 buffers").unwrap();
        assert!(bytes[..got].iter().flatten().chain(&rest).all(|&b| b == 2));
    });
}

#[test]
fn urgent_data_amid_queued_data_does_not_stall_the_reads() {
    // A read stops at the urgent mark, short of the data queued after it. Taking that short
    // read for a drained socket would make the next read wait for an edge that never comes:
    // all the data is already there.
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let server = server.into_std().unwrap();
        // A read that waits registers the client with the reactor.
        let mut buf = [0u8; 64];
        assert!(
            timeout(Duration::from_millis(1), client.read(&mut buf))
                .await
                .is_err()
        );
        (&server).write_all(b"before").unwrap();
        assert!(net_common::send_urgent(server.as_raw_fd()));
        (&server).write_all(b"after").unwrap();
        let mut received = Vec::new();
        while received.len() < 11 {
            let read = timeout(Duration::from_secs(5), client.read(&mut buf)).await;
            let n = read.expect("read hung after the urgent mark").unwrap();
            received.extend_from_slice(&buf[..n]);
        }
        assert_eq!(
            received, b"beforeafter",
            "the urgent byte is not in the stream"
        );
    });
}

#[test]
fn an_empty_read_or_peek_returns_zero_at_once() {
    // As documented, and as std's `Read` for a slice: a read into an empty buffer returns
    // `Ok(0)`, whether or not data is queued. (The kernel reports `EAGAIN` for it when
    // nothing is queued, and even when urgent data is next in line for a peek.)
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let within = Duration::from_secs(5);
        for queued in [false, true] {
            if queued {
                server.write_all(b"x").await.unwrap();
                client.readable().await.unwrap();
            }
            let read = timeout(within, client.read(&mut [])).await;
            assert_eq!(read.expect("an empty read waited").unwrap(), 0);
            let peek = timeout(within, client.peek(&mut [])).await;
            assert_eq!(peek.expect("an empty peek waited").unwrap(), 0);
            let vectored = timeout(within, client.read_vectored(&mut [])).await;
            assert_eq!(vectored.expect("an empty vectored read waited").unwrap(), 0);
            let poll_level = timeout(within, AsyncReadExt::read(&mut client, &mut [])).await;
            assert_eq!(poll_level.expect("an empty poll_read waited").unwrap(), 0);
        }
        let mut byte = [0u8];
        client.read_exact(&mut byte).await.unwrap();
        assert_eq!(&byte, b"x", "the empty reads consumed nothing");
    });
}

#[test]
fn an_empty_write_returns_at_once_even_on_a_full_stream() {
    // As std, whose empty write is a system call that cannot block: it returns `Ok(0)` at
    // once when the send buffer is full (a write of bytes would wait), and the pending
    // error once there is one (`BrokenPipe` after a shutdown).
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (_server, _) = listener.accept().await.unwrap();
        let chunk = vec![0u8; 1 << 16];
        while timeout(Duration::from_millis(1), client.write(&chunk))
            .await
            .is_ok()
        {}
        let within = Duration::from_secs(5);
        let write = timeout(within, client.write(&[])).await;
        assert_eq!(write.expect("an empty write waited").unwrap(), 0);
        let vectored = timeout(within, client.write_vectored(&[IoSlice::new(&[])])).await;
        assert_eq!(
            vectored.expect("an empty vectored write waited").unwrap(),
            0
        );
        let none = timeout(within, client.write_vectored(&[])).await;
        assert_eq!(none.expect("a write of no buffers waited").unwrap(), 0);
        let poll_level = timeout(within, AsyncWriteExt::write(&mut client, &[])).await;
        assert_eq!(poll_level.expect("an empty poll_write waited").unwrap(), 0);
        client.shutdown(Shutdown::Write).unwrap();
        let write = timeout(within, client.write(&[])).await;
        let err = write.expect("an empty write waited").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn a_stream_dropped_with_zero_linger_resets_the_peer() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.set_zero_linger().unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
        client.write_all(b"sent before the reset").await.unwrap();
        drop(client);
        let mut buf = [0; 64];
        let err = loop {
            // The bytes sent before may or may not be delivered ahead of the reset.
            match server.read(&mut buf).await {
                Ok(n) => assert_ne!(n, 0, "an orderly end instead of a reset"),
                Err(err) => break err,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    });
}

#[test]
fn a_stream_dropped_without_linger_ends_in_order() {
    let mut core = Core::new().unwrap();
    let (listener, addr) = listener();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.set_linger(Some(Duration::ZERO)).unwrap();
        client.set_linger(None).unwrap();
        assert_eq!(client.linger().unwrap(), None);
        client.write_all(b"all of it").await.unwrap();
        drop(client);
        let mut got = Vec::new();
        (&server).read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"all of it");
    });
}
