//! The sockets' `ready`, `try_io` and `async_io` with an `Interest`: tokio's loop of
//! `ready(READABLE | WRITABLE)` and `try_` calls, a wait on both directions woken by
//! either, the closed halves reported, and readiness forgotten after a `WouldBlock`.

mod net_common;

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use mirage::Core;
use mirage::io::Interest;
use mirage::net::{TcpStream, UdpSocket, UnixDatagram, UnixStream};
use mirage::time::{Instant, pause, timeout};
use net_common::error_queue::{self, recv_error_queue};
use net_common::{bytes, checksum, tcp_pair};

/// Far beyond what any step needs: only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(10);

/// Polls `future` once: whether it finished.
async fn poll_once<F: Future>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}

/// `recv(2)` on `fd` with `flags`, as a system call Mirage does not wrap.
fn recv(fd: i32, buf: &mut [u8], flags: i32) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole call.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// tokio's documented pattern: one task loops on `ready(READABLE | WRITABLE)`, writing
/// with `try_write` while it has data and reading with `try_read`, against an echo peer.
/// The payload is larger than the socket buffers, so both directions block in turn.
#[test]
fn ready_loop_echoes_a_large_payload_over_tcp() {
    let payload = bytes(7, 1 << 20);
    let mut core = Core::new().unwrap();
    let echoed = core.run(async {
        let (stream, peer) = tcp_pair().await;
        let echo = mirage::spawn(async move {
            let mut buf = vec![0; 16 * 1024];
            loop {
                let n = peer.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                peer.write_all(&buf[..n]).await.unwrap();
            }
        });
        let (mut sent, mut received) = (0, Vec::new());
        let mut buf = vec![0; 64 * 1024];
        let exchange = async {
            while received.len() < payload.len() {
                let interest = if sent < payload.len() {
                    Interest::READABLE | Interest::WRITABLE
                } else {
                    Interest::READABLE
                };
                let ready = stream.ready(interest).await.unwrap();
                if ready.is_readable() {
                    match stream.try_read(&mut buf) {
                        Ok(0) => panic!("the echo ended early"),
                        Ok(n) => received.extend_from_slice(&buf[..n]),
                        Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                        Err(err) => panic!("{err}"),
                    }
                }
                if ready.is_writable() && sent < payload.len() {
                    match stream.try_write(&payload[sent..]) {
                        Ok(n) => {
                            sent += n;
                            if sent == payload.len() {
                                stream.shutdown(Shutdown::Write).unwrap();
                            }
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                        Err(err) => panic!("{err}"),
                    }
                }
            }
        };
        timeout(GENEROUS, exchange).await.expect("the loop hung");
        echo.await.unwrap();
        received
    });
    assert_eq!(echoed.len(), payload.len());
    assert_eq!(checksum(&echoed), checksum(&payload));
}

/// A wait on both directions is woken by either: by data while the send buffer is full,
/// and by room while nothing is to be read. Each time it reports the direction that is
/// ready and not the other.
#[test]
fn ready_on_both_directions_wakes_on_either() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut filled = 0;
        let chunk = vec![0; 64 * 1024];
        loop {
            match a.try_write(&chunk) {
                Ok(n) => filled += n,
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => panic!("{err}"),
            }
        }
        let both = Interest::READABLE | Interest::WRITABLE;

        let mut wait = pin!(a.ready(both));
        assert!(
            poll_once(wait.as_mut()).await.is_pending(),
            "full, and nothing to read"
        );
        b.write_all(b"x").await.unwrap();
        let ready = timeout(GENEROUS, wait).await.expect("data did not wake it");
        let ready = ready.unwrap();
        assert!(ready.is_readable() && !ready.is_writable(), "{ready:?}");

        let mut byte = [0; 1];
        assert_eq!(a.try_read(&mut byte).unwrap(), 1);
        let mut wait = pin!(a.ready(both));
        assert!(
            poll_once(wait.as_mut()).await.is_pending(),
            "read all, still full"
        );
        let mut drained = vec![0; filled];
        b.read_exact(&mut drained).await.unwrap();
        let ready = timeout(GENEROUS, wait).await.expect("room did not wake it");
        let ready = ready.unwrap();
        assert!(ready.is_writable() && !ready.is_readable(), "{ready:?}");
    });
}

/// The closed halves are reported, each only when asked for, and every asked state that
/// is ready comes back together.
#[test]
fn ready_reports_the_closed_halves() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (stream, peer) = tcp_pair().await;
        let ready = stream.ready(Interest::WRITABLE).await.unwrap();
        assert!(ready.is_writable() && !ready.is_write_closed(), "{ready:?}");

        peer.shutdown(Shutdown::Write).unwrap();
        let ready = timeout(GENEROUS, stream.ready(Interest::READABLE))
            .await
            .expect("end of stream did not wake it")
            .unwrap();
        assert!(ready.is_read_closed() && ready.is_readable(), "{ready:?}");
        assert!(!ready.is_writable(), "writing was not asked: {ready:?}");

        stream.shutdown(Shutdown::Write).unwrap();
        let ready = stream
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert!(ready.is_read_closed(), "{ready:?}");
        assert!(ready.is_write_closed() && ready.is_writable(), "{ready:?}");
    });
}

/// `try_io` runs a system call Mirage does not wrap (`recv` with `MSG_PEEK`, then a plain
/// `recv`); its `WouldBlock` makes the next wait wait for new data: `async_io` does not run
/// its closure until the data comes, and `ready` waits too.
#[test]
fn try_io_would_block_makes_the_next_wait_wait() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (stream, peer) = tcp_pair().await;
        let fd = stream.as_raw_fd();
        let mut buf = [0; 16];
        peer.write_all(b"abc").await.unwrap();
        stream.readable().await.unwrap();
        let peeked = stream.try_io(Interest::READABLE, || recv(fd, &mut buf, libc::MSG_PEEK));
        assert_eq!(peeked.unwrap(), 3);
        let n = stream.try_io(Interest::READABLE, || recv(fd, &mut buf, 0));
        assert_eq!(n.unwrap(), 3, "the peek left the bytes queued");
        assert_eq!(&buf[..3], b"abc");
        let err = stream
            .try_io(Interest::READABLE, || recv(fd, &mut buf, 0))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);

        let calls = Cell::new(0);
        let mut io = pin!(stream.async_io(Interest::READABLE, || {
            calls.set(calls.get() + 1);
            let mut byte = [0; 1];
            recv(fd, &mut byte, 0).map(|n| (n, byte[0]))
        }));
        assert!(poll_once(io.as_mut()).await.is_pending());
        assert_eq!(calls.get(), 0, "known not readable: it waits before trying");
        let mut wait = pin!(stream.ready(Interest::READABLE));
        assert!(poll_once(wait.as_mut()).await.is_pending());

        peer.write_all(b"d").await.unwrap();
        let got = timeout(GENEROUS, io).await.expect("data did not wake it");
        assert_eq!(got.unwrap(), (1, b'd'));
        assert_eq!(calls.get(), 1, "one attempt, after the edge");
        // The other waiter was woken by the same edge, and finds the data taken.
        assert!(poll_once(wait.as_mut()).await.is_pending());
    });
}

/// `async_io` retries after each `WouldBlock`: a closure that fails twice on purpose is
/// run three times, waiting for an edge in between.
#[test]
fn async_io_retries_after_would_block() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let fd = b.as_raw_fd();
        let calls = Cell::new(0);
        let took_one = Rc::new(Cell::new(false));
        let sender = mirage::spawn({
            let took_one = Rc::clone(&took_one);
            async move {
                a.send(b"one").await.unwrap();
                // "two" once "one" is taken: the closure's `WouldBlock` after "one" is
                // then true, and the next edge is "two"'s.
                while !took_one.get() {
                    mirage::task::yield_now().await;
                }
                a.send(b"two").await.unwrap();
                a
            }
        });
        let mut buf = [0; 8];
        let got = b
            .async_io(Interest::READABLE, || {
                calls.set(calls.get() + 1);
                let n = recv(fd, &mut buf, 0)?;
                if &buf[..n] == b"two" {
                    Ok(n)
                } else {
                    took_one.set(true);
                    Err(ErrorKind::WouldBlock.into())
                }
            })
            .await;
        assert_eq!(got.unwrap(), 3);
        assert!(calls.get() >= 2, "ran until the second datagram");
        drop(sender.await.unwrap());
    });
}

/// Datagram sockets: `ready` waits for a datagram, and reports writable at once.
#[test]
fn datagram_sockets_wait_for_a_datagram() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut wait = pin!(b.ready(Interest::READABLE));
        assert!(poll_once(wait.as_mut()).await.is_pending());
        a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
        let ready = timeout(GENEROUS, wait).await.expect("hung").unwrap();
        assert!(ready.is_readable() && !ready.is_writable());
        let ready = b.ready(Interest::WRITABLE).await.unwrap();
        assert!(ready.is_writable());

        let (c, d) = UnixDatagram::pair().unwrap();
        let mut wait = pin!(d.ready(Interest::READABLE));
        assert!(poll_once(wait.as_mut()).await.is_pending());
        c.send(b"ping").await.unwrap();
        let ready = timeout(GENEROUS, wait).await.expect("hung").unwrap();
        assert!(ready.is_readable());
    });
}

/// `ready` honours the timeouts of the asked directions: the read timeout bounds a wait
/// for reading, and a ready write direction still answers at once.
#[test]
fn ready_honours_the_read_timeout() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let (stream, _peer) = tcp_pair().await;
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let started = Instant::now();
        let err = stream.ready(Interest::READABLE).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_millis(100));
        let ready = stream
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert!(ready.is_writable() && !ready.is_readable());
        assert_eq!(started.elapsed(), Duration::from_millis(100));
    });
}

/// After this side shut its write half, `async_io` with a write interest still waits for
/// an edge after `WouldBlock`, rather than running its closure again and again until the
/// peer sends.
#[test]
fn async_io_after_shutting_the_write_half_waits_after_would_block() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = UnixStream::pair().unwrap();
        // A wait registers `b` with the reactor, as in a socket's usual life.
        let (a, ()) = mirage::join!(
            async move {
                a.write(b"hi").await.unwrap();
                a
            },
            async { b.readable().await.unwrap() },
        );
        let mut buf = [0; 8];
        assert_eq!(b.try_read(&mut buf).unwrap(), 2);
        b.shutdown(Shutdown::Write).unwrap();
        let fd = b.as_raw_fd();
        let calls = Cell::new(0);
        let peer = mirage::spawn(async move {
            mirage::time::sleep(Duration::from_millis(50)).await;
            a.write(b"ping").await.unwrap();
            a
        });
        let got = timeout(
            GENEROUS,
            b.async_io(Interest::READABLE | Interest::WRITABLE, || {
                calls.set(calls.get() + 1);
                recv(fd, &mut buf, 0)
            }),
        )
        .await
        .expect("the peer's data ends the wait");
        assert_eq!(got.unwrap(), 4);
        assert!(calls.get() <= 3, "{} attempts: a spin", calls.get());
        drop(peer.await.unwrap());
    });
}

/// On a socket no wait has registered yet, `async_io` registers at its first `WouldBlock`
/// and waits for an edge, rather than running its closure again and again (the cache of an
/// unregistered socket says ready) until the peer sends.
#[test]
fn async_io_on_a_fresh_socket_waits_after_would_block() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let fd = b.as_raw_fd();
        let calls = Cell::new(0);
        let sender = mirage::spawn(async move {
            mirage::time::sleep(Duration::from_millis(50)).await;
            a.send(b"ping").await.unwrap();
            a
        });
        let mut buf = [0; 8];
        let got = timeout(
            GENEROUS,
            b.async_io(Interest::READABLE, || {
                calls.set(calls.get() + 1);
                recv(fd, &mut buf, 0)
            }),
        )
        .await
        .expect("the datagram ends the wait");
        assert_eq!(got.unwrap(), 4);
        assert!(calls.get() <= 3, "{} attempts: a spin", calls.get());
        drop(sender.await.unwrap());
    });
}

/// How long a wait that must not end is given before it counts as not ended.
const NOT_READY: Duration = Duration::from_millis(30);

/// Sends `byte` on `stream` as TCP urgent data (`MSG_OOB`).
fn send_urgent(stream: &TcpStream, byte: u8) {
    // SAFETY: `byte` is valid for reads of one byte for the whole call.
    let sent = unsafe {
        libc::send(
            stream.as_raw_fd(),
            (&raw const byte).cast(),
            1,
            libc::MSG_OOB,
        )
    };
    assert_eq!(sent, 1, "MSG_OOB: {}", io::Error::last_os_error());
}

/// Takes the urgent byte of `fd` (`recv` with `MSG_OOB`): `Ok(None)` at end of stream,
/// `WouldBlock` while there is none (the kernel's `EINVAL`, or `EAGAIN` before it comes).
fn recv_urgent(fd: i32) -> io::Result<Option<u8>> {
    let mut byte = [0; 1];
    match recv(fd, &mut byte, libc::MSG_OOB) {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(byte[0])),
        Err(err) if err.raw_os_error() == Some(libc::EINVAL) => Err(ErrorKind::WouldBlock.into()),
        Err(err) => Err(err),
    }
}

/// Urgent data wakes `ready(PRIORITY)`, which ordinary data does not, and reports
/// priority; `try_io(PRIORITY)` takes the byte, and its `WouldBlock` once it is gone makes
/// the next wait for priority wait, but leaves the ordinary data readable. At end of
/// stream a wait for priority reports read closed.
#[test]
fn urgent_data_wakes_a_wait_for_priority_and_ordinary_data_does_not() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (stream, peer) = tcp_pair().await;
        let fd = stream.as_raw_fd();
        peer.write_all(b"plain").await.unwrap();
        timeout(GENEROUS, stream.readable())
            .await
            .expect("no data")
            .unwrap();
        let wait = timeout(NOT_READY, stream.ready(Interest::PRIORITY)).await;
        assert!(wait.is_err(), "ordinary data ended a wait for priority");

        let mut wait = pin!(stream.ready(Interest::PRIORITY));
        assert!(poll_once(wait.as_mut()).await.is_pending());
        send_urgent(&peer, b'!');
        let ready = timeout(GENEROUS, wait)
            .await
            .expect("urgent data did not wake the wait for priority")
            .unwrap();
        assert!(ready.is_priority(), "{ready:?}");
        assert!(
            !ready.is_readable() && !ready.is_read_closed(),
            "not asked: {ready:?}"
        );
        let both = stream
            .ready(Interest::READABLE | Interest::PRIORITY)
            .await
            .unwrap();
        assert!(both.is_priority() && both.is_readable(), "{both:?}");

        let urgent = stream.try_io(Interest::PRIORITY, || recv_urgent(fd));
        assert_eq!(urgent.unwrap(), Some(b'!'));
        let gone = stream.try_io(Interest::PRIORITY, || recv_urgent(fd));
        assert_eq!(gone.unwrap_err().kind(), ErrorKind::WouldBlock);
        let wait = timeout(NOT_READY, stream.ready(Interest::PRIORITY)).await;
        assert!(wait.is_err(), "the urgent byte is taken: nothing to report");
        // The `WouldBlock` was the urgent byte's: the ordinary data is still readable (a
        // cleared read readiness would make this wait for an edge that never comes).
        let ready = timeout(GENEROUS, stream.ready(Interest::READABLE))
            .await
            .expect("a WouldBlock under PRIORITY forgot the queued data")
            .unwrap();
        assert!(ready.is_readable() && !ready.is_priority(), "{ready:?}");
        let mut buf = [0; 16];
        let n = stream.try_read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"plain", "the urgent byte is not in the stream");

        let mut wait = pin!(stream.ready(Interest::PRIORITY));
        assert!(poll_once(wait.as_mut()).await.is_pending());
        drop(peer);
        let ready = timeout(GENEROUS, wait)
            .await
            .expect("a wait for priority outlived the stream")
            .unwrap();
        assert!(ready.is_read_closed() && !ready.is_priority(), "{ready:?}");
    });
}

/// A wait for `READABLE | PRIORITY` ends at whichever comes first: ordinary data (readable
/// only) or urgent data (priority). `async_io` under `PRIORITY` waits for the urgent byte.
#[test]
fn a_wait_for_readable_or_priority_ends_at_either() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (stream, peer) = tcp_pair().await;
        let fd = stream.as_raw_fd();
        let either = Interest::READABLE | Interest::PRIORITY;
        let mut wait = pin!(stream.ready(either));
        assert!(poll_once(wait.as_mut()).await.is_pending());
        peer.write_all(b"data").await.unwrap();
        let ready = timeout(GENEROUS, wait)
            .await
            .expect("ordinary data did not wake it")
            .unwrap();
        assert!(ready.is_readable() && !ready.is_priority(), "{ready:?}");
        let mut buf = [0; 16];
        assert_eq!(stream.try_read(&mut buf).unwrap(), 4);

        let mut wait = pin!(stream.ready(either));
        assert!(poll_once(wait.as_mut()).await.is_pending());
        send_urgent(&peer, b'?');
        let ready = timeout(GENEROUS, wait)
            .await
            .expect("urgent data did not wake it")
            .unwrap();
        assert!(ready.is_priority(), "{ready:?}");
        assert_eq!(recv_urgent(fd).unwrap(), Some(b'?'));

        let calls = Cell::new(0);
        let mut io = pin!(stream.async_io(Interest::PRIORITY, || {
            calls.set(calls.get() + 1);
            recv_urgent(fd)
        }));
        assert!(poll_once(io.as_mut()).await.is_pending());
        peer.write_all(b"not urgent").await.unwrap();
        assert!(
            timeout(NOT_READY, io.as_mut()).await.is_err(),
            "ordinary data ended async_io under PRIORITY"
        );
        send_urgent(&peer, b'#');
        let got = timeout(GENEROUS, io).await.expect("async_io hung");
        assert_eq!(got.unwrap(), Some(b'#'));
        assert!(calls.get() <= 3, "{} attempts: a spin", calls.get());
    });
}

/// Sets `IP_RECVERR` on `socket`, so that a datagram sent to a closed port comes back as an
/// ICMP error queued on it; returns such a port's address.
fn set_recv_err(socket: &UdpSocket) -> std::net::SocketAddr {
    error_queue::set_recv_err(socket.as_raw_fd());
    error_queue::closed_udp_port()
}

/// A queued ICMP error wakes `ready(ERROR)`, which an ordinary datagram does not;
/// `try_io(ERROR)` drains the error queue, and its `WouldBlock` once it is empty makes the
/// next wait for errors wait, but leaves the queued datagram readable; `async_io(ERROR)`
/// waits for the next error.
#[test]
fn a_queued_error_wakes_a_wait_for_error_and_try_io_drains_the_queue() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let fd = socket.as_raw_fd();
        let nobody = set_recv_err(&socket);
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        other
            .send_to(b"hello", socket.local_addr().unwrap())
            .await
            .unwrap();
        timeout(GENEROUS, socket.readable())
            .await
            .expect("no datagram")
            .unwrap();
        let wait = timeout(NOT_READY, socket.ready(Interest::ERROR)).await;
        assert!(wait.is_err(), "a datagram ended a wait for errors");

        let mut wait = pin!(socket.ready(Interest::ERROR));
        assert!(poll_once(wait.as_mut()).await.is_pending());
        socket.send_to(b"ping", nobody).await.unwrap();
        let ready = timeout(GENEROUS, wait)
            .await
            .expect("the queued error did not wake the wait for errors")
            .unwrap();
        assert!(ready.is_error() && !ready.is_readable(), "{ready:?}");
        let both = socket
            .ready(Interest::READABLE | Interest::ERROR)
            .await
            .unwrap();
        assert!(both.is_error() && both.is_readable(), "{both:?}");
        let taken = socket.take_error().unwrap().expect("a pending error");
        assert_eq!(taken.kind(), ErrorKind::ConnectionRefused);
        let ready = socket.ready(Interest::ERROR).await.unwrap();
        assert!(
            ready.is_error(),
            "the queue still holds the entry: {ready:?}"
        );

        let n = socket.try_io(Interest::ERROR, || recv_error_queue(fd));
        assert_eq!(n.unwrap(), 4, "the failed datagram's bytes");
        let empty = socket.try_io(Interest::ERROR, || recv_error_queue(fd));
        assert_eq!(empty.unwrap_err().kind(), ErrorKind::WouldBlock);
        let wait = timeout(NOT_READY, socket.ready(Interest::ERROR)).await;
        assert!(wait.is_err(), "the drained queue still reads error-ready");
        let ready = timeout(GENEROUS, socket.ready(Interest::READABLE))
            .await
            .expect("a WouldBlock under ERROR forgot the queued datagram")
            .unwrap();
        assert!(ready.is_readable(), "{ready:?}");
        let mut buf = [0; 16];
        assert_eq!(socket.try_recv(&mut buf).unwrap(), 5);

        let calls = Cell::new(0);
        let mut io = pin!(socket.async_io(Interest::ERROR, || {
            calls.set(calls.get() + 1);
            recv_error_queue(fd)
        }));
        assert!(poll_once(io.as_mut()).await.is_pending());
        other
            .send_to(b"again", socket.local_addr().unwrap())
            .await
            .unwrap();
        assert!(
            timeout(NOT_READY, io.as_mut()).await.is_err(),
            "a datagram ended async_io under ERROR"
        );
        socket.send_to(b"three", nobody).await.unwrap();
        let got = timeout(GENEROUS, io).await.expect("async_io hung");
        assert_eq!(got.unwrap(), 5);
        assert!(calls.get() <= 3, "{} attempts: a spin", calls.get());
    });
}

/// A wait for priority alone has the read timeout (urgent data is the read side's); a
/// wait for errors alone has none, whatever the timeouts; with a direction, its timeout.
#[test]
fn priority_waits_have_the_read_timeout_and_error_waits_none() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let (stream, _peer) = tcp_pair().await;
        let limit = Duration::from_millis(100);
        stream.set_read_timeout(Some(limit)).unwrap();
        stream.set_write_timeout(Some(limit)).unwrap();
        // (Under paused time, the guard's timer fires rather than a wait hang.)
        let guard = limit * 10;
        let started = Instant::now();
        let wait = timeout(guard, stream.ready(Interest::PRIORITY)).await;
        let err = wait.expect("no read timeout for priority").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), limit);

        let started = Instant::now();
        let wait = timeout(guard, stream.ready(Interest::ERROR)).await;
        assert!(wait.is_err(), "a wait for errors timed out: {wait:?}");
        assert_eq!(started.elapsed(), guard);
        let started = Instant::now();
        let either = Interest::READABLE | Interest::ERROR;
        let wait = timeout(guard, stream.ready(either)).await;
        let err = wait.expect("no read timeout for reading").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), limit);
    });
}

/// A waker that counts its clones: how many the reactor's waiter lists hold.
struct CountedWaker;

impl std::task::Wake for CountedWaker {
    fn wake(self: std::sync::Arc<Self>) {}
}

/// A pending `ready` for priority or error (alone or with a direction) that is dropped
/// leaves no waiter behind: every clone of its waker is let go of at once.
#[test]
fn a_dropped_wait_for_priority_or_error_leaves_no_waiter() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (stream, _peer) = tcp_pair().await;
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let counter = std::sync::Arc::new(CountedWaker);
        let waker = std::task::Waker::from(std::sync::Arc::clone(&counter));
        let mut cx = std::task::Context::from_waker(&waker);
        let alone = std::sync::Arc::strong_count(&counter);
        for interest in [
            Interest::PRIORITY,
            Interest::ERROR,
            Interest::READABLE | Interest::PRIORITY,
            Interest::READABLE | Interest::ERROR,
        ] {
            for on_udp in [false, true] {
                let mut wait = match on_udp {
                    false => Box::pin(stream.ready(interest)) as Pin<Box<dyn Future<Output = _>>>,
                    true => Box::pin(udp.ready(interest)),
                };
                assert!(wait.as_mut().poll(&mut cx).is_pending(), "{interest:?}");
                assert!(
                    std::sync::Arc::strong_count(&counter) > alone,
                    "{interest:?}: the wait registered no waker"
                );
                drop(wait);
                assert_eq!(
                    std::sync::Arc::strong_count(&counter),
                    alone,
                    "{interest:?} (UDP: {on_udp}): the dropped wait left a waiter behind"
                );
            }
        }
    });
}

/// A UDP socket with `IP_RECVERR` whose error queue holds an entry but no datagram: the
/// entry is not data, so once a `recv` has reported the pending error and then found
/// nothing, `readable()` waits for a datagram instead of returning at once, each time, to a
/// `try_recv` that finds nothing (a spin). It did spin while the socket was unregistered
/// (only ever asked the kernel, never waited): the first `WouldBlock` now registers it.
/// The error queue stays for a wait for `ERROR`.
#[test]
fn a_queued_error_alone_does_not_make_a_udp_socket_readable() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let nobody = set_recv_err(&socket);
        socket.connect(nobody).await.unwrap();
        socket.send(b"ping").await.unwrap();
        timeout(GENEROUS, socket.ready(Interest::ERROR))
            .await
            .expect("the ICMP error never came")
            .unwrap();
        // A recv reports the pending error, once, as std's does.
        let mut buf = [0u8; 16];
        let mut spins = 0;
        loop {
            let readable = timeout(NOT_READY, socket.readable()).await;
            if readable.is_err() {
                break; // waiting, as it should with no datagram queued
            }
            match socket.try_recv(&mut buf) {
                Err(err) if err.kind() == ErrorKind::ConnectionRefused => {}
                Err(err) if err.kind() == ErrorKind::WouldBlock => spins += 1,
                other => panic!("unexpected {other:?}"),
            }
            assert!(spins < 3, "readable() keeps returning with nothing to read");
        }
        let ready = timeout(GENEROUS, socket.ready(Interest::ERROR))
            .await
            .expect("the queued entry is gone")
            .unwrap();
        assert!(
            ready.is_error(),
            "the queued entry is still there: {ready:?}"
        );
    });
}
