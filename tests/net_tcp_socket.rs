//! `TcpSocket`: options set before listening or connecting, and one port shared by the
//! listeners of several Cores on several threads through `SO_REUSEPORT`.

mod net_common;

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use mirage::Core;
use mirage::net::{TcpListener, TcpSocket, TcpStream};
use mirage::time::timeout;

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn reuseport_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Whether `SO_KEEPALIVE` is set on `stream`.
fn keepalive(stream: &TcpStream) -> bool {
    net_common::int_sockopt(stream.as_raw_fd(), libc::SOL_SOCKET, libc::SO_KEEPALIVE).unwrap() != 0
}

#[test]
fn options_read_back_what_was_set() {
    let socket = TcpSocket::new_v4().unwrap();
    assert!(!socket.reuseaddr().unwrap());
    assert!(!socket.reuseport().unwrap());
    socket.set_reuseaddr(true).unwrap();
    socket.set_reuseport(true).unwrap();
    assert!(socket.reuseaddr().unwrap());
    assert!(socket.reuseport().unwrap());
    socket.set_reuseport(false).unwrap();
    assert!(!socket.reuseport().unwrap());
    assert!(!socket.keepalive().unwrap() && !socket.nodelay().unwrap());
    socket.set_keepalive(true).unwrap();
    socket.set_nodelay(true).unwrap();
    assert!(socket.keepalive().unwrap() && socket.nodelay().unwrap());

    // Linux doubles what it is asked for (half of it is bookkeeping) within its limits.
    socket.set_send_buffer_size(32 * 1024).unwrap();
    socket.set_recv_buffer_size(48 * 1024).unwrap();
    assert_eq!(socket.send_buffer_size().unwrap(), 64 * 1024);
    assert_eq!(socket.recv_buffer_size().unwrap(), 96 * 1024);
    // A size past `c_int` is clamped, not wrapped into a negative one.
    socket.set_send_buffer_size(u32::MAX).unwrap();
    assert!(socket.send_buffer_size().unwrap() >= 64 * 1024);
}

#[test]
fn a_taken_port_is_refused_unless_every_socket_on_it_reuses_it() {
    let first = TcpSocket::new_v4().unwrap();
    first.bind(any_port()).unwrap();
    let addr = first.local_addr().unwrap();
    let _first = first.listen(16).unwrap();

    let second = TcpSocket::new_v4().unwrap();
    second.set_reuseport(true).unwrap();
    let err = second.bind(addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");

    let a = reuseport_listener(any_port()).unwrap();
    let shared = a.local_addr().unwrap();
    let b = reuseport_listener(shared).unwrap();
    assert_eq!(b.local_addr().unwrap(), shared);
}

#[test]
fn binding_twice_or_to_the_other_family_fails_cleanly() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(any_port()).unwrap();
    let err = socket.bind(any_port()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");

    // Either way round, an address of the other family is invalid input.
    let v4 = TcpSocket::new_v4().unwrap();
    let err = v4.bind("[::1]:0".parse().unwrap()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let v6 = TcpSocket::new_v6().unwrap();
    let err = v6.bind(any_port()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let mut core = Core::new().unwrap();
    let err = core
        .run(
            TcpSocket::new_v4()
                .unwrap()
                .connect("[::1]:80".parse().unwrap()),
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");

    let socket = TcpSocket::new_for(&"[::1]:0".parse().unwrap()).unwrap();
    match socket.bind("[::1]:0".parse().unwrap()) {
        Ok(()) => assert!(socket.local_addr().unwrap().is_ipv6()),
        // A host without IPv6 on loopback.
        Err(err) => assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable, "{err}"),
    }
}

/// Makes every duplication of a descriptor (`fcntl(F_DUPFD_CLOEXEC)`, as std's
/// `try_clone` makes it) fail with `EMFILE` on the calling thread, as in a process that has
/// used up its descriptors; see [`net_common::seccomp::fail_on_this_thread`].
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
fn run_out_of_descriptors_on_this_thread() -> bool {
    net_common::seccomp::fail_on_this_thread(
        libc::SYS_fcntl,
        1,
        libc::F_DUPFD_CLOEXEC as u32,
        libc::EMFILE,
    )
}

/// Reading a socket's address or pending error needs no new descriptor: a process that has
/// used up its descriptors still gets them, as from std's sockets and tokio's `TcpSocket`.
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[test]
fn queries_need_no_spare_descriptor() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(any_port()).unwrap();
    let addr = socket.local_addr().unwrap();
    let socket = thread::spawn(move || {
        if !run_out_of_descriptors_on_this_thread() {
            eprintln!(
                "skipped: no seccomp filter here ({})",
                io::Error::last_os_error()
            );
            return socket;
        }
        let std_socket = std::net::UdpSocket::bind(any_port()).unwrap();
        let err = std_socket.try_clone().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "the filter works");
        assert_eq!(socket.local_addr().unwrap(), addr);
        assert!(socket.take_error().unwrap().is_none());
        assert!(
            format!("{socket:?}").contains(&addr.to_string()),
            "{socket:?}"
        );
        socket
    })
    .join()
    .unwrap();
    assert_eq!(socket.local_addr().unwrap(), addr);
}

#[test]
fn a_configured_socket_connects_and_its_listener_accepts() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    // Options of a listening socket carry over to the streams it accepts.
    socket.set_keepalive(true).unwrap();
    socket.set_nodelay(true).unwrap();
    socket.bind(any_port()).unwrap();
    let listener = socket.listen(16).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut core = Core::new().unwrap();
    let received = core.run(async move {
        let server = mirage::spawn(async move {
            let (stream, peer) = listener.accept().await.unwrap();
            assert!(keepalive(&stream) && stream.nodelay().unwrap());
            let mut buf = [0u8; 16];
            let n = stream.read(&mut buf).await.unwrap();
            (peer, buf[..n].to_vec())
        });
        let client = TcpSocket::new_v4().unwrap();
        client.set_send_buffer_size(16 * 1024).unwrap();
        client.set_keepalive(true).unwrap();
        client.bind(any_port()).unwrap();
        let local = client.local_addr().unwrap();
        let stream = client.connect(addr).await.unwrap();
        assert!(keepalive(&stream) && !stream.nodelay().unwrap());
        assert_eq!(stream.local_addr().unwrap(), local);
        assert_eq!(stream.peer_addr().unwrap(), addr);
        stream.write_all(b"configured").await.unwrap();
        let (peer, received) = server.await.unwrap();
        assert_eq!(peer, local);
        received
    });
    assert_eq!(received, b"configured");
}

/// That the socket is closed afterwards is checked in `net_fd_leak.rs`, which counts
/// descriptors with no other test running.
#[test]
fn connecting_to_a_closed_port_is_refused() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut core = Core::new().unwrap();
    let result = core.run(async move {
        let socket = TcpSocket::new_v4().unwrap();
        socket.connect(addr).await.map(drop)
    });
    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::ConnectionRefused);
}

/// Two Cores on two threads, each with its own listener on one shared port: every
/// connection is accepted by exactly one of them, and the kernel gives each a share.
#[test]
fn listeners_of_several_cores_share_one_port() {
    const CORES: usize = 2;
    const CONNECTIONS: usize = 64;
    let first = reuseport_listener(any_port()).unwrap();
    let addr = first.local_addr().unwrap();
    let mut listeners = vec![first];
    listeners.extend((1..CORES).map(|_| reuseport_listener(addr).unwrap()));
    // Every listener exists before the first connection, so the kernel spreads them all.
    let ready = Arc::new(Barrier::new(CORES + 1));
    let servers: Vec<_> = listeners
        .into_iter()
        .map(|listener| {
            let listener = listener.into_std().unwrap();
            let ready = ready.clone();
            thread::spawn(move || {
                let listener = TcpListener::from_std(listener).unwrap();
                let mut core = Core::new().unwrap();
                ready.wait();
                core.run(async move {
                    let mut accepted = 0;
                    // Each connection says one byte: 1 to count it, 0 to stop this server.
                    loop {
                        let (stream, _) = listener.accept().await.unwrap();
                        let mut byte = [0u8; 1];
                        stream.read_exact(&mut byte).await.unwrap();
                        if byte[0] == 0 {
                            return accepted;
                        }
                        accepted += 1;
                        stream.write_all(b"k").await.unwrap();
                    }
                })
            })
        })
        .collect();
    ready.wait();
    let mut core = Core::new().unwrap();
    core.run(async {
        timeout(Duration::from_secs(30), async {
            for _ in 0..CONNECTIONS {
                let stream = TcpStream::connect(addr).await.unwrap();
                stream.write_all(&[1]).await.unwrap();
                let mut ack = [0u8; 1];
                stream.read_exact(&mut ack).await.unwrap();
            }
        })
        .await
        .expect("a server stopped answering");
    });
    // Stop them: connect until each server has read its 0 (a server may get several).
    let stops: Vec<_> = (0..CORES * 16)
        .map(|_| std::net::TcpStream::connect(addr))
        .collect();
    for stop in stops.iter().flatten() {
        use std::io::Write as _;
        let _ = (&*stop).write_all(&[0]);
    }
    let accepted: Vec<usize> = servers.into_iter().map(|s| s.join().unwrap()).collect();
    assert_eq!(accepted.iter().sum::<usize>(), CONNECTIONS, "{accepted:?}");
    assert!(accepted.iter().all(|&n| n > 0), "{accepted:?}");
}

#[test]
fn accepted_streams_keep_the_listening_sockets_linger() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(16).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        assert_eq!(server.linger().unwrap(), Some(Duration::ZERO));
        drop(server);
        let err = client.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    });
}

/// A socket made outside Mirage, blocking as std makes them: taken over, configured and
/// connected, it gives a non-blocking stream, so its reads cannot block the Core.
#[test]
fn a_std_stream_taken_over_connects_and_leaves_blocking_behind() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // SAFETY: no pointers; a new blocking descriptor or -1.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "{}", io::Error::last_os_error());
    // SAFETY: `fd` was just created and nothing else owns it.
    let std_stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    let socket = TcpSocket::from_std_stream(std_stream);
    assert_eq!(socket.as_raw_fd(), fd);
    socket.set_nodelay(true).unwrap();
    // Through a raw descriptor and back.
    // SAFETY: `into_raw_fd` gives up the descriptor, which `from_raw_fd` takes over.
    let socket = unsafe { TcpSocket::from_raw_fd(socket.into_raw_fd()) };
    let mut core = Core::new().unwrap();
    core.run(async move {
        let stream = timeout(Duration::from_secs(10), socket.connect(addr))
            .await
            .expect("connect hung")
            .unwrap();
        assert!(stream.nodelay().unwrap());
        // SAFETY: `F_GETFL` only reads the flags of the stream's open descriptor.
        let flags = unsafe { libc::fcntl(stream.as_raw_fd(), libc::F_GETFL) };
        assert_ne!(flags & libc::O_NONBLOCK, 0, "the stream was left blocking");
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, stream.local_addr().unwrap());
        let pending = timeout(Duration::from_millis(10), stream.read(&mut [0; 8])).await;
        assert!(pending.is_err(), "read returned {pending:?}");
    });
}
