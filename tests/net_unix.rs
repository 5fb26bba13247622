//! Unix-domain sockets in a temporary directory: streams through a listener and in pairs,
//! datagrams, timeouts, faults, and the generic byte-stream traits.

mod net_common;

use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use mirage::net::{UnixDatagram, UnixListener, UnixStream};
use mirage::time::{Instant, sleep, timeout};
use net_common::{Lcg, checksum};

/// A socket path unique to this process and test, removed on drop (pass or fail).
struct SocketPath(PathBuf);

impl SocketPath {
    fn new(test: &str) -> SocketPath {
        let path = std::env::temp_dir().join(format!("mirage-{}-{test}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        SocketPath(path)
    }
}

impl AsRef<Path> for SocketPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Fails the test instead of hanging it.
const GENEROUS: Duration = Duration::from_secs(10);

/// `bind` leaves room for a burst of connections not yet accepted (std's Unix `bind`, which
/// it uses, asks Linux for its maximum, `net.core.somaxconn`), as TCP's `bind` does.
#[test]
fn bind_queues_a_burst_of_connections_beyond_std_s_backlog() {
    let path = SocketPath::new("backlog");
    let listener = UnixListener::bind(&path).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut clients = Vec::new();
        for i in 0..300 {
            let client = timeout(Duration::from_millis(500), UnixStream::connect(&path))
                .await
                .unwrap_or_else(|_| panic!("connection {i} not queued"));
            clients.push(client.unwrap());
        }
    });
    drop(listener);
}

#[test]
fn a_stream_round_trips_through_a_listener_and_connect() {
    let path = SocketPath::new("stream-round-trip");
    let listener = UnixListener::bind(&path).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_ref())
    );
    let mut core = Core::new().unwrap();
    core.run(async {
        // An echo server, waiting before any client exists.
        let server = mirage::spawn(async move {
            let (stream, peer) = listener.accept().await.unwrap();
            assert!(peer.is_unnamed());
            let mut buf = [0u8; 64];
            loop {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                stream.write_all(&buf[..n]).await.unwrap();
            }
        });
        let client = UnixStream::connect(&path).await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(path.as_ref())
        );
        assert!(client.local_addr().unwrap().is_unnamed());
        for message in [&b"hello"[..], b"unix", b"world"] {
            client.write_all(message).await.unwrap();
            let mut buf = vec![0u8; message.len()];
            timeout(GENEROUS, client.read_exact(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(buf, message);
        }
        client.shutdown(Shutdown::Write).unwrap();
        timeout(GENEROUS, server).await.unwrap().unwrap();
    });
}

#[test]
fn a_pair_round_trips_both_ways_including_vectored_io() {
    // Created before any Core exists.
    let (a, b) = UnixStream::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        a.write_all(b"a to b").await.unwrap();
        let mut buf = [0u8; 6];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"a to b");

        let n = b
            .write_vectored(&[
                IoSlice::new(b"b "),
                IoSlice::new(b"to "),
                IoSlice::new(b"a"),
            ])
            .await
            .unwrap();
        assert_eq!(n, 6);
        let (mut head, mut tail) = ([0u8; 2], [0u8; 8]);
        let n = a
            .read_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut tail)])
            .await
            .unwrap();
        assert_eq!(n, 6);
        assert_eq!((&head[..], &tail[..4]), (&b"b "[..], &b"to a"[..]));
    });
}

#[test]
fn a_large_transfer_in_random_chunks_arrives_intact() {
    const LEN: usize = 8 << 20;
    let path = SocketPath::new("large-transfer");
    let listener = UnixListener::bind(&path).unwrap();
    let mut core = Core::new().unwrap();
    let (sent, received) = core.run(async {
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
        let stream = UnixStream::connect(&path).await.unwrap();
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
fn the_peers_close_reads_zero_and_writing_to_it_breaks_the_pipe() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        let reader = mirage::spawn(async move {
            let mut buf = [0u8; 8];
            let first = a.read(&mut buf).await.unwrap();
            // Waits for the close: the end of stream wakes it.
            let second = a.read(&mut buf).await.unwrap();
            (first, second, a)
        });
        b.write_all(b"bye").await.unwrap();
        sleep(Duration::from_millis(5)).await;
        drop(b);
        let (first, second, a) = timeout(GENEROUS, reader).await.unwrap().unwrap();
        assert_eq!((first, second), (3, 0));

        // Writing to the closed peer fails (no SIGPIPE: see net_unix_sigpipe.rs).
        let err = a.write(b"anyone?").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        let err = a
            .write_vectored(&[IoSlice::new(b"any"), IoSlice::new(b"one?")])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn read_timeout_fires_and_the_stream_stays_usable() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        a.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
        assert_eq!(a.read_timeout().unwrap(), Some(Duration::from_millis(30)));
        let mut buf = [0u8; 8];
        let started = Instant::now();
        let err = a.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(30));

        // Still usable, with the timeout still set.
        b.write_all(b"late").await.unwrap();
        let n = a.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"late");
        assert_eq!(
            a.read(&mut buf).await.unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );

        // Poll-level reads (through the generic trait) honour it too.
        let mut a_ref = &a;
        let err = AsyncReadExt::read(&mut a_ref, &mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    });
}

#[test]
fn write_timeout_fires_when_the_peer_does_not_read() {
    let (a, _b) = UnixStream::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        a.set_write_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let chunk = vec![0u8; 1 << 16];
        let err = loop {
            if let Err(err) = timeout(GENEROUS, a.write(&chunk)).await.unwrap() {
                break err;
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    });
}

#[test]
fn a_zero_timeout_is_invalid_input_as_in_std() {
    let (stream, _) = UnixStream::pair().unwrap();
    let (datagram, _) = UnixDatagram::pair().unwrap();
    for result in [
        stream.set_read_timeout(Some(Duration::ZERO)),
        stream.set_write_timeout(Some(Duration::ZERO)),
        datagram.set_read_timeout(Some(Duration::ZERO)),
        datagram.set_write_timeout(Some(Duration::ZERO)),
    ] {
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
    assert_eq!(stream.read_timeout().unwrap(), None);
    assert_eq!(datagram.write_timeout().unwrap(), None);
}

#[test]
fn timeouts_survive_from_std_and_into_std() {
    // std keeps a socket's timeouts in the kernel, so they travel with it; Mirage keeps its
    // own, and must take them over and hand them back.
    let (read, write) = (Duration::from_secs(2), Duration::from_secs(3));
    let (std_stream, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    std_stream.set_read_timeout(Some(read)).unwrap();
    std_stream.set_write_timeout(Some(write)).unwrap();
    let stream = UnixStream::from_std(std_stream).unwrap();
    assert_eq!(stream.read_timeout().unwrap(), Some(read));
    assert_eq!(stream.write_timeout().unwrap(), Some(write));
    stream.set_read_timeout(Some(write)).unwrap();
    stream.set_write_timeout(None).unwrap();
    let std_stream = stream.into_std().unwrap();
    assert_eq!(std_stream.read_timeout().unwrap(), Some(write));
    assert_eq!(std_stream.write_timeout().unwrap(), None);

    let (std_datagram, _peer) = std::os::unix::net::UnixDatagram::pair().unwrap();
    std_datagram.set_read_timeout(Some(read)).unwrap();
    std_datagram.set_write_timeout(Some(write)).unwrap();
    let datagram = UnixDatagram::from_std(std_datagram).unwrap();
    assert_eq!(datagram.read_timeout().unwrap(), Some(read));
    assert_eq!(datagram.write_timeout().unwrap(), Some(write));
    datagram.set_read_timeout(None).unwrap();
    let std_datagram = datagram.into_std().unwrap();
    assert_eq!(std_datagram.read_timeout().unwrap(), None);
    assert_eq!(std_datagram.write_timeout().unwrap(), Some(write));
}

#[test]
fn half_close_lets_the_peer_answer_after_reading_to_the_end() {
    let (client, server) = UnixStream::pair().unwrap();
    let mut core = Core::new().unwrap();
    let answer = core.run(async move {
        mirage::spawn(async move {
            let mut request = Vec::new();
            let mut buf = [0u8; 4];
            loop {
                match server.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => request.extend_from_slice(&buf[..n]),
                }
            }
            let reply = format!("got {} bytes", request.len());
            server.write_all(reply.as_bytes()).await.unwrap();
        });
        client.write_all(b"the whole request").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        let mut client = &client;
        timeout(GENEROUS, client.read_to_end(&mut answer))
            .await
            .unwrap()
            .unwrap();
        answer
    });
    assert_eq!(answer, b"got 17 bytes");
}

/// A length-prefixed echo, written once against the generic traits.
async fn echo_frame<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> io::Result<usize> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await?;
    let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut frame).await?;
    stream.write_all(&len).await?;
    stream.write_all(&frame).await?;
    stream.flush().await?;
    Ok(frame.len())
}

/// The client's side of [`echo_frame`], generic too.
async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    frame: &[u8],
) -> io::Result<Vec<u8>> {
    stream
        .write_all(&(frame.len() as u32).to_be_bytes())
        .await?;
    stream.write_all(frame).await?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await?;
    let mut back = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut back).await?;
    Ok(back)
}

#[test]
fn generic_code_over_the_async_io_traits_drives_unix_streams() {
    let (client, mut server) = UnixStream::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        // By value on one side, by reference on the other.
        let echoed = mirage::spawn(async move {
            let mut total = 0;
            for _ in 0..2 {
                total += echo_frame(&mut server).await.unwrap();
            }
            // The client's close ends the stream.
            let mut rest = Vec::new();
            assert_eq!(server.read_to_end(&mut rest).await.unwrap(), 0);
            total
        });
        let mut by_ref = &client;
        for frame in [&b"first frame"[..], &[7u8; 100_000][..]] {
            let back = request(&mut by_ref, frame).await.unwrap();
            assert_eq!(back, frame);
        }
        AsyncWriteExt::close(&mut by_ref).await.unwrap();
        let total = timeout(GENEROUS, echoed).await.unwrap().unwrap();
        assert_eq!(total, 11 + 100_000);
    });
}

#[test]
fn connecting_to_a_missing_or_dead_path_fails_as_in_std() {
    let missing = SocketPath::new("missing");
    let dead = SocketPath::new("dead");
    // A socket file whose listener is gone.
    drop(UnixListener::bind(&dead).unwrap());
    assert!(dead.0.exists());
    let mut core = Core::new().unwrap();
    core.run(async {
        let err = UnixStream::connect(&missing).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = UnixStream::connect(&dead).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    });
    // And binding over an existing file is refused, as std.
    let err = UnixListener::bind(&dead).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

/// A listener made from a datagram socket fails its accept with the kernel's error, as
/// std's does, instead of retrying it for ever as if a connection had been lost.
#[test]
fn accepting_on_a_datagram_socket_fails_instead_of_spinning() {
    use std::os::fd::OwnedFd;
    let (datagram, _peer) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let listener = UnixListener::from_std(OwnedFd::from(datagram).into()).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        let accepted = timeout(GENEROUS, listener.accept()).await;
        let err = accepted.expect("accept spun on the error").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
        let polled = std::future::poll_fn(|cx| listener.poll_accept(cx));
        let err = timeout(GENEROUS, polled).await;
        let err = err.expect("poll_accept spun on the error").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EOPNOTSUPP), "{err}");
    });
}

#[test]
fn connect_waits_while_the_listeners_backlog_is_full() {
    const CLIENTS: usize = 20;
    let path = SocketPath::new("full-backlog");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    // SAFETY: re-listening on our own open socket with a tiny backlog, so that most
    // clients find it full (a non-blocking connect then fails with EAGAIN).
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 1) }, 0);
    let listener = UnixListener::from_std(listener).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let path = path.0.clone();
                mirage::spawn(async move {
                    let stream = UnixStream::connect(&path).await.unwrap();
                    stream.write_all(&(i as u32).to_le_bytes()).await.unwrap();
                })
            })
            .collect();
        // Let every client try (and most find the backlog full) before accepting.
        sleep(Duration::from_millis(20)).await;
        let mut seen = [false; CLIENTS];
        for _ in 0..CLIENTS {
            let (stream, _) = timeout(GENEROUS, listener.accept()).await.unwrap().unwrap();
            let mut id = [0u8; 4];
            stream.read_exact(&mut id).await.unwrap();
            seen[u32::from_le_bytes(id) as usize] = true;
        }
        for client in clients {
            client.await.unwrap();
        }
        assert!(seen.iter().all(|&seen| seen), "{seen:?}");
    });
}

#[test]
fn streams_and_listeners_convert_to_and_from_std() {
    let path = SocketPath::new("std-conversion");
    let listener =
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path).unwrap()).unwrap();
    assert!(format!("{listener:?}").contains("UnixListener"));
    let mut core = Core::new().unwrap();
    let (listener, server) = core.run(async {
        let client = UnixStream::connect(&path).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        assert!(format!("{server:?}").contains("UnixStream"));
        client.write_all(b"to std").await.unwrap();
        (listener, server)
    });
    // Back in blocking std land, the data is still there.
    let mut server = server.into_std().unwrap();
    let mut buf = [0u8; 6];
    io::Read::read_exact(&mut server, &mut buf).unwrap();
    assert_eq!(&buf, b"to std");
    let listener = listener.into_std().unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_ref())
    );
    assert!(listener.take_error().unwrap().is_none());
}

#[test]
fn datagrams_round_trip_between_bound_and_unbound_sockets() {
    let server_path = SocketPath::new("dgram-server");
    let client_path = SocketPath::new("dgram-client");
    let server = UnixDatagram::bind(&server_path).unwrap();
    let client = UnixDatagram::bind(&client_path).unwrap();
    let anonymous = UnixDatagram::unbound().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        // The server waits before anything is sent: the datagram must wake it.
        let echo = mirage::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            let from = from.as_pathname().unwrap().to_owned();
            server.send_to(&buf[..n], from).await.unwrap();
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert!(from.is_unnamed());
            buf[..n].to_vec()
        });
        mirage::yield_now().await;
        client.send_to(b"echo me", &server_path).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = timeout(GENEROUS, client.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"echo me");
        assert_eq!(from.as_pathname(), Some(server_path.as_ref()));

        anonymous.send_to(b"anonymous", &server_path).await.unwrap();
        let got = timeout(GENEROUS, echo).await.unwrap().unwrap();
        assert_eq!(got, b"anonymous");
    });
}

#[test]
fn connected_datagrams_send_and_recv_and_keep_their_boundaries() {
    let path = SocketPath::new("dgram-connected");
    let server = UnixDatagram::bind(&path).unwrap();
    let client = UnixDatagram::unbound().unwrap();
    assert_eq!(
        client.peer_addr().unwrap_err().kind(),
        io::ErrorKind::NotConnected
    );
    client.connect(&path).unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(path.as_ref())
    );
    let (a, b) = UnixDatagram::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        client.send(b"one").await.unwrap();
        client.send(b"two").await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(server.recv(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf[..3], b"one");
        assert_eq!(server.recv(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf[..3], b"two");

        // A pair, both ways; an empty datagram is a datagram too.
        for message in [&b"ping"[..], b""] {
            a.send(message).await.unwrap();
            let n = timeout(GENEROUS, b.recv(&mut buf)).await.unwrap().unwrap();
            assert_eq!(&buf[..n], message);
        }
        b.send(b"pong").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pong");

        // Shut down for writing, a send fails; closed, the peer refuses.
        a.shutdown(Shutdown::Write).unwrap();
        assert_eq!(
            a.send(b"late").await.unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
        drop(a);
        assert_eq!(
            b.send(b"gone").await.unwrap_err().kind(),
            io::ErrorKind::ConnectionRefused
        );
    });
}

#[test]
fn a_datagram_send_waits_while_the_receivers_queue_is_full() {
    const COUNT: u32 = 300;
    let path = SocketPath::new("dgram-backpressure");
    let receiver = UnixDatagram::bind(&path).unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        // The receiver's queue holds only a few datagrams (net.unix.max_dgram_qlen): the
        // sender must wait for the slow receiver, not fail or lose any.
        let sending = mirage::spawn(async move {
            for i in 0..COUNT {
                sender.send_to(&i.to_le_bytes(), &path.0).await.unwrap();
            }
        });
        sleep(Duration::from_millis(20)).await;
        let mut buf = [0u8; 8];
        for i in 0..COUNT {
            let n = timeout(GENEROUS, receiver.recv(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&buf[..n], i.to_le_bytes());
        }
        timeout(GENEROUS, sending).await.unwrap().unwrap();
    });
}

#[test]
fn datagram_readable_waits_again_once_the_last_datagram_is_received() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        let mut buf = [0u8; 8];
        let waited = timeout(Duration::from_millis(1), b.readable()).await;
        assert!(waited.is_err(), "readable() with nothing sent");
        a.send(b"").await.unwrap();
        timeout(GENEROUS, b.readable()).await.unwrap().unwrap();
        assert_eq!(b.recv(&mut buf).await.unwrap(), 0, "the empty datagram");

        // Nothing is left: `readable()` waits, and times out as a receive would.
        let waited = timeout(Duration::from_millis(20), b.readable()).await;
        assert!(
            waited.is_err(),
            "readable() with nothing queued: {waited:?}"
        );
        b.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let err = b.readable().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    });
}

#[test]
fn datagram_read_timeout_fires_and_the_socket_stays_usable() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        a.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let mut buf = [0u8; 8];
        let started = Instant::now();
        assert_eq!(
            a.recv(&mut buf).await.unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
        assert!(started.elapsed() >= Duration::from_millis(20));
        b.send(b"late").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"late");
        // Back to std, blocking, and the data path still works.
        let a = a.into_std().unwrap();
        b.send(b"std").await.unwrap();
        let n = a.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"std");
    });
}

#[test]
fn more_vectored_buffers_than_iov_max_do_not_stall_the_stream() {
    // As for TCP: one system call takes at most 1024 buffers, and a transfer of all of them
    // is not a short one.
    let (a, b) = UnixStream::pair().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        // A read that waits registers `a` with the reactor, which is what tracks readiness.
        let mut byte = [0u8; 1];
        assert!(
            timeout(Duration::from_millis(1), a.read(&mut byte))
                .await
                .is_err()
        );

        let ones = vec![IoSlice::new(&[1]); 1500];
        let sent = a.write_vectored(&ones).await.unwrap();
        assert!((1..=1500).contains(&sent), "sent {sent}");
        let next = timeout(GENEROUS, a.write(b"!")).await;
        assert_eq!(next.expect("write hung after 1500 buffers").unwrap(), 1);
        let mut received = vec![0u8; sent + 1];
        b.read_exact(&mut received).await.unwrap();
        assert!(received[..sent].iter().all(|&x| x == 1) && received[sent] == b'!');

        b.write_all(&[2; 3000]).await.unwrap();
        let mut bytes = [[0u8; 1]; 2000];
        let mut slices: Vec<_> = bytes.iter_mut().map(|x| IoSliceMut::new(x)).collect();
        let got = a.read_vectored(&mut slices).await.unwrap();
        assert!((1..=2000).contains(&got), "got {got}");
        let mut rest = vec![0u8; 3000 - got];
        let next = timeout(GENEROUS, a.read_exact(&mut rest)).await;
        next.expect("read hung after 2000 buffers").unwrap();
        assert!(bytes[..got].iter().flatten().chain(&rest).all(|&x| x == 2));
    });
}

#[test]
fn a_dropped_poll_level_read_leaves_the_next_read_its_full_timeout() {
    // The poll-level read timer lives in the socket, so that re-polls keep one deadline. A
    // read dropped while pending must not hand that deadline to the next read. Virtual
    // time: the durations below are exact.
    let (mut a, b) = UnixStream::pair().unwrap();
    a.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        mirage::time::pause();
        let mut buf = [0u8; 8];
        // Dropped at 150 ms; its deadline passes at 200 ms while nothing reads.
        let dropped = timeout(
            Duration::from_millis(150),
            AsyncReadExt::read(&mut a, &mut buf),
        )
        .await;
        assert!(dropped.is_err());
        sleep(Duration::from_millis(100)).await;
        let writer = mirage::spawn(async move {
            sleep(Duration::from_millis(50)).await;
            b.write_all(b"late").await.unwrap();
            b
        });
        let started = Instant::now();
        let n = AsyncReadExt::read(&mut a, &mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"late");
        assert_eq!(started.elapsed(), Duration::from_millis(50));
        let _b = writer.await.unwrap();

        // Dropped with 50 ms of its deadline left: the next read still gets all 200 ms.
        let dropped = timeout(
            Duration::from_millis(150),
            AsyncReadExt::read(&mut a, &mut buf),
        )
        .await;
        assert!(dropped.is_err());
        let started = Instant::now();
        let err = AsyncReadExt::read(&mut a, &mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_millis(200));

        // Re-polls of one pending read (here every 10 ms) keep its deadline.
        let mut read = std::pin::pin!(AsyncReadExt::read(&mut a, &mut buf));
        let mut ticks = mirage::time::interval(Duration::from_millis(10));
        let started = Instant::now();
        let result = std::future::poll_fn(|cx| {
            while ticks.poll_tick(cx).is_ready() {}
            std::future::Future::poll(read.as_mut(), cx)
        })
        .await;
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_millis(200));
    });
}

#[test]
fn a_dropped_poll_level_write_leaves_the_next_write_its_full_timeout() {
    // As for reads: the write timer of a write dropped while pending is not inherited.
    let (mut a, b) = UnixStream::pair().unwrap();
    a.set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        mirage::time::pause();
        let chunk = vec![7u8; 64 << 10];
        // Fill the socket; the write that finds it full is dropped at 150 ms, and its
        // deadline passes at 200 ms while nothing writes.
        let mut written = 0;
        while let Ok(n) = timeout(
            Duration::from_millis(150),
            AsyncWriteExt::write(&mut a, &chunk),
        )
        .await
        {
            written += n.unwrap();
        }
        assert!(written > 0);
        sleep(Duration::from_millis(100)).await;
        let reader = mirage::spawn(async move {
            sleep(Duration::from_millis(50)).await;
            let mut sink = vec![0u8; written];
            b.read_exact(&mut sink).await.unwrap();
            b
        });
        let started = Instant::now();
        let n = AsyncWriteExt::write(&mut a, &chunk).await.unwrap();
        assert!(n > 0);
        assert_eq!(started.elapsed(), Duration::from_millis(50));
        let _b = reader.await.unwrap();
    });
}

#[test]
fn a_stream_peek_leaves_the_data_and_honours_the_read_timeout() {
    let (a, b) = UnixStream::pair().unwrap();
    b.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        mirage::time::pause();
        let mut buf = [0u8; 8];
        let started = Instant::now();
        let err = b.peek(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_millis(30));

        a.write_all(b"peek").await.unwrap();
        for _ in 0..2 {
            let n = b.peek(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"peek");
        }
        let mut read = [0u8; 4];
        b.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"peek");
    });
}

#[test]
fn datagram_peeks_leave_the_datagram_queued_and_name_its_sender() {
    let path = SocketPath::new("peek-dgram");
    let sender_path = SocketPath::new("peek-dgram-sender");
    let receiver = UnixDatagram::bind(&path).unwrap();
    let named = UnixDatagram::bind(&sender_path).unwrap();
    let unnamed = UnixDatagram::unbound().unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_millis(30)))
        .unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut buf = [0u8; 16];
        let err = receiver.peek_from(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(
            receiver.peek(&mut buf).await.unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );

        named.send_to(b"from a path", &path).await.unwrap();
        unnamed.send_to(b"anonymous", &path).await.unwrap();
        for _ in 0..2 {
            let (n, from) = receiver.peek_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"from a path");
            assert_eq!(from.as_pathname(), Some(sender_path.as_ref()));
        }
        let n = receiver.peek(&mut buf[..4]).await.unwrap();
        assert_eq!(&buf[..n], b"from", "truncated to the buffer, as recv");
        let (n, from) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(
            (&buf[..n], from.as_pathname()),
            (&b"from a path"[..], Some(sender_path.as_ref()))
        );

        let (n, from) = receiver.peek_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"anonymous");
        assert!(from.is_unnamed(), "{from:?}");
        let n = receiver.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"anonymous");
    });
}

/// A Linux abstract-namespace address unique to this test run.
fn abstract_addr(tag: &str) -> std::os::unix::net::SocketAddr {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("mirage-test-{tag}-{}", std::process::id());
    std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap()
}

#[test]
fn streams_and_datagrams_work_on_abstract_addresses() {
    use std::os::linux::net::SocketAddrExt;
    let stream_addr = abstract_addr("stream");
    let dgram_addr = abstract_addr("dgram");
    let listener = UnixListener::bind_addr(&stream_addr).unwrap();
    let server = UnixDatagram::bind_addr(&dgram_addr).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let client = timeout(GENEROUS, UnixStream::connect_addr(&stream_addr))
            .await
            .unwrap()
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        client.write_all(b"abstract").await.unwrap();
        let mut buf = [0u8; 8];
        accepted.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abstract");

        let sender = UnixDatagram::unbound().unwrap();
        sender.send_to_addr(b"one", &dgram_addr).await.unwrap();
        let connected = UnixDatagram::unbound().unwrap();
        connected.connect_addr(&dgram_addr).unwrap();
        connected.send(b"two").await.unwrap();
        let mut got = Vec::new();
        for _ in 0..2 {
            let n = timeout(GENEROUS, server.recv(&mut buf))
                .await
                .unwrap()
                .unwrap();
            got.push(buf[..n].to_vec());
        }
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
        assert_eq!(
            connected.peer_addr().unwrap().as_abstract_name(),
            dgram_addr.as_abstract_name()
        );
    });
}

#[test]
fn connecting_to_an_unbound_abstract_address_is_refused() {
    let mut core = Core::new().unwrap();
    let err = core
        .run(UnixStream::connect_addr(&abstract_addr("nobody")))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

/// A stream pair whose client end is registered and has found nothing to read, with a
/// blocking std peer. `feed` writes to the peer (false: the kernel cannot, skip); then the
/// client's reads must return `expected`, none waiting longer than `GENEROUS`.
async fn reads_after(feed: impl FnOnce(&std::os::unix::net::UnixStream) -> bool, expected: &[u8]) {
    let (client, server) = UnixStream::pair().unwrap();
    let server = server.into_std().unwrap();
    // A read that waits registers the client with the reactor.
    let mut buf = [0u8; 64];
    assert!(
        timeout(Duration::from_millis(1), client.read(&mut buf))
            .await
            .is_err()
    );
    if !feed(&server) {
        return;
    }
    let mut received = Vec::new();
    while received.len() < expected.len() {
        let read = timeout(GENEROUS, client.read(&mut buf)).await;
        let n = read
            .unwrap_or_else(|_| panic!("read hung after {:?}", String::from_utf8_lossy(&received)))
            .unwrap();
        assert_ne!(n, 0, "end of stream with the peer open");
        received.extend_from_slice(&buf[..n]);
    }
    assert_eq!(received, expected);
}

#[test]
fn urgent_data_amid_queued_data_does_not_stall_the_reads() {
    // As on TCP (Linux 5.15 and later): a read stops at the urgent byte, short of the data
    // queued after it, and no further edge will come for that data. The urgent byte itself
    // is not in the stream.
    let mut core = Core::new().unwrap();
    core.run(reads_after(
        |server| {
            io::Write::write_all(&mut &*server, b"before").unwrap();
            if !net_common::send_urgent(server.as_raw_fd()) {
                return false; // No urgent data on this kernel's Unix sockets.
            }
            io::Write::write_all(&mut &*server, b"after").unwrap();
            true
        },
        b"beforeafter",
    ));
}

#[test]
fn a_read_that_stops_at_passed_descriptors_does_not_stall_the_next() {
    // The kernel ends a Unix stream read after a message that carried descriptors (they are
    // closed, as this socket takes no ancillary data), short of the bytes queued behind it.
    let mut core = Core::new().unwrap();
    core.run(reads_after(
        |server| {
            io::Write::write_all(&mut &*server, b"abc").unwrap();
            net_common::send_with_fd(server.as_raw_fd(), b"FD", server.as_raw_fd());
            io::Write::write_all(&mut &*server, b"def").unwrap();
            true
        },
        b"abcFDdef",
    ));
}

#[test]
fn an_empty_read_or_peek_returns_zero_at_once() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut client, server) = UnixStream::pair().unwrap();
        for queued in [false, true] {
            if queued {
                server.write_all(b"x").await.unwrap();
            }
            let read = timeout(GENEROUS, client.read(&mut [])).await;
            assert_eq!(read.expect("an empty read waited").unwrap(), 0);
            let peek = timeout(GENEROUS, client.peek(&mut [])).await;
            assert_eq!(peek.expect("an empty peek waited").unwrap(), 0);
            let vectored = timeout(GENEROUS, client.read_vectored(&mut [])).await;
            assert_eq!(vectored.expect("an empty vectored read waited").unwrap(), 0);
            let poll_level = timeout(GENEROUS, AsyncReadExt::read(&mut client, &mut [])).await;
            assert_eq!(poll_level.expect("an empty poll_read waited").unwrap(), 0);
        }
        let mut byte = [0u8];
        client.read_exact(&mut byte).await.unwrap();
        assert_eq!(&byte, b"x", "the empty reads consumed nothing");
        // Even a byte of urgent data next in line makes the kernel report `WouldBlock` for
        // an empty peek.
        let server = server.into_std().unwrap();
        io::Write::write_all(&mut &server, b"y").unwrap();
        if net_common::send_urgent(server.as_raw_fd()) {
            client.readable().await.unwrap();
            let peek = timeout(GENEROUS, client.peek(&mut [])).await;
            assert_eq!(peek.expect("an empty peek waited").unwrap(), 0);
        }
    });
}

#[test]
fn an_empty_write_returns_at_once_even_on_a_full_stream() {
    // As std, whose empty write is a system call that cannot block: it returns `Ok(0)` at
    // once when the send buffer is full (a write of bytes would wait), and the pending
    // error once there is one (`BrokenPipe` after a shutdown).
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut client, _server) = UnixStream::pair().unwrap();
        let chunk = vec![0u8; 1 << 16];
        while timeout(Duration::from_millis(1), client.write(&chunk))
            .await
            .is_ok()
        {}
        let write = timeout(GENEROUS, client.write(&[])).await;
        assert_eq!(write.expect("an empty write waited").unwrap(), 0);
        let vectored = timeout(GENEROUS, client.write_vectored(&[IoSlice::new(&[])])).await;
        assert_eq!(
            vectored.expect("an empty vectored write waited").unwrap(),
            0
        );
        let none = timeout(GENEROUS, client.write_vectored(&[])).await;
        assert_eq!(none.expect("a write of no buffers waited").unwrap(), 0);
        let poll_level = timeout(GENEROUS, AsyncWriteExt::write(&mut client, &[])).await;
        assert_eq!(poll_level.expect("an empty poll_write waited").unwrap(), 0);
        client.shutdown(Shutdown::Write).unwrap();
        let write = timeout(GENEROUS, client.write(&[])).await;
        let err = write.expect("an empty write waited").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn shutting_down_the_write_half_ends_the_writes_waiting_for_room() {
    // Linux reports no event when a Unix stream socket whose send buffer is full shuts down
    // its write half, yet a write now fails at once with `EPIPE` (std's blocking write
    // returns it). The writes waiting for room, and `writable`, must be woken to see it,
    // not wait for the peer to read.
    let (a, b) = UnixStream::pair().unwrap();
    let a = std::rc::Rc::new(a);
    let mut core = Core::new().unwrap();
    core.run(async move {
        let chunk = vec![0u8; 1 << 16];
        while timeout(Duration::from_millis(1), a.write(&chunk))
            .await
            .is_ok()
        {}
        let writer = {
            let a = a.clone();
            mirage::spawn(async move { a.write(b"waits").await })
        };
        let poll_level_writer = {
            let a = a.clone();
            mirage::spawn(async move { AsyncWriteExt::write(&mut &*a, b"waits too").await })
        };
        // `writable` asks the kernel, which still says "full": it must see the shutdown too.
        let writable = {
            let a = a.clone();
            mirage::spawn(async move { a.writable().await })
        };
        sleep(Duration::from_millis(5)).await;
        a.shutdown(Shutdown::Write).unwrap();
        for writer in [writer, poll_level_writer] {
            let result = timeout(GENEROUS, writer)
                .await
                .expect("a waiting write hung");
            let err = result.unwrap().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        }
        let waited = timeout(GENEROUS, writable).await;
        waited.expect("a waiting writable() hung").unwrap().unwrap();
        let after = timeout(GENEROUS, a.writable()).await;
        after.expect("writable() after the shutdown hung").unwrap();
        let err = a.try_write(b"late").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        drop(b);
    });
}

#[test]
fn peer_credentials_name_the_connecting_process() {
    let path = SocketPath::new("peer-cred");
    let listener = UnixListener::bind(&path).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let client = UnixStream::connect(&path.0).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // SAFETY: `geteuid` and `getegid` only read this process's ids.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        for stream in [&client, &server] {
            let cred = stream.peer_cred().unwrap();
            assert_eq!(cred.pid(), Some(std::process::id() as i32));
            assert_eq!((cred.uid(), cred.gid()), (uid, gid));
        }
        // Through std and back, the descriptor keeps them.
        let std_stream = server.into_std().unwrap();
        let again = UnixStream::from_std(std_stream).unwrap();
        assert_eq!(again.peer_cred().unwrap().uid(), uid);
    });
}

#[test]
fn shutting_down_a_datagram_s_write_half_ends_the_sends_waiting_for_room() {
    // As for a stream: Linux reports no event to a datagram socket whose send buffer is
    // full when it shuts down its write half, yet a send now fails at once with `EPIPE`
    // (std's blocking send, waiting in another thread, is woken to return it).
    let (a, b) = UnixDatagram::pair().unwrap();
    let a = std::rc::Rc::new(a);
    let mut core = Core::new().unwrap();
    core.run(async move {
        while a.try_send(b"fill").is_ok() {}
        let sender = {
            let a = a.clone();
            mirage::spawn(async move { a.send(b"waits").await })
        };
        let writable = {
            let a = a.clone();
            mirage::spawn(async move { a.writable().await })
        };
        sleep(Duration::from_millis(5)).await;
        a.shutdown(Shutdown::Write).unwrap();
        let sent = timeout(GENEROUS, sender)
            .await
            .expect("a waiting send hung");
        assert_eq!(sent.unwrap().unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        let waited = timeout(GENEROUS, writable).await;
        waited.expect("a waiting writable() hung").unwrap().unwrap();
        drop(b);
    });
}

#[test]
fn a_datagram_receive_after_shutting_down_the_read_half_returns_zero() {
    // std's blocking receive returns `Ok(0)` once the read half is shut and the queue is
    // empty (no sender can add to it: a send gets `EPIPE`); the non-blocking system call
    // reports `WouldBlock`, which must not make the receive wait forever.
    let (a, b) = UnixDatagram::pair().unwrap();
    let b = std::rc::Rc::new(b);
    let mut core = Core::new().unwrap();
    core.run(async move {
        let receiver = {
            let b = b.clone();
            mirage::spawn(async move { b.recv(&mut [0u8; 8]).await })
        };
        sleep(Duration::from_millis(5)).await;
        a.send(b"queued").await.unwrap();
        b.shutdown(Shutdown::Read).unwrap();
        let err = a.send(b"late").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        let got = timeout(GENEROUS, receiver)
            .await
            .expect("a waiting recv hung");
        assert_eq!(
            got.unwrap().unwrap(),
            6,
            "the datagram queued before the shutdown"
        );

        let mut buf = [0u8; 8];
        for _ in 0..2 {
            let got = timeout(GENEROUS, b.recv(&mut buf)).await;
            assert_eq!(got.expect("recv hung").unwrap(), 0);
        }
        let got = timeout(GENEROUS, b.peek(&mut buf)).await;
        assert_eq!(got.expect("peek hung").unwrap(), 0);
        let (n, from) = timeout(GENEROUS, b.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n == 0 && from.is_unnamed());
        let (n, from) = timeout(GENEROUS, b.peek_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n == 0 && from.is_unnamed());
        // `readable` reports the end at once, so a loop of it and `try_recv` must end too.
        timeout(GENEROUS, b.readable()).await.unwrap().unwrap();
        assert_eq!(b.try_recv(&mut buf).unwrap(), 0);
        assert_eq!(b.try_recv_from(&mut buf).unwrap().0, 0);
    });
}

/// The read half shut before Mirage took the socket (before `from_std`, or through another
/// descriptor of it): the kernel knows, though this `UnixDatagram` never shut it. A
/// receive returns `Ok(0)` as std's blocking one does, where it waited for ever for an edge
/// that never comes; `readable` and `try_recv` agree.
#[test]
fn a_datagram_socket_shut_for_reading_before_mirage_took_it_receives_end_of_file() {
    let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    b.shutdown(Shutdown::Read).unwrap();
    assert_eq!(b.recv(&mut [0u8; 8]).unwrap(), 0, "std's blocking receive");
    let b = UnixDatagram::from_std(b).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        let mut buf = [0u8; 8];
        let wait = Duration::from_millis(50);
        for _ in 0..2 {
            let got = timeout(wait, b.recv(&mut buf)).await;
            assert_eq!(got.expect("recv hung").unwrap(), 0);
        }
        let got = timeout(wait, b.peek(&mut buf)).await;
        assert_eq!(got.expect("peek hung").unwrap(), 0);
        for _ in 0..3 {
            timeout(wait, b.readable())
                .await
                .expect("readable hung")
                .unwrap();
            assert_eq!(b.try_recv(&mut buf).unwrap(), 0);
        }
        drop(a);
    });
}
