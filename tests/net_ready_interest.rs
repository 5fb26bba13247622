//! The sockets' `ready`, `try_io` and `async_io` with an `Interest`: tokio's loop of
//! `ready(READABLE | WRITABLE)` and `try_` calls, a wait on both directions woken by
//! either, the closed halves reported, and readiness forgotten after a `WouldBlock`.

mod net_common;

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use mirage::io::Interest;
use mirage::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};
use mirage::time::{pause, timeout, Instant};
use mirage::Core;
use net_common::{bytes, checksum};

/// Far beyond what any step needs: only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(10);

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

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

/// The sockets wait in the two directions only: an interest with priority or error
/// readiness panics, naming it and `AsyncFd`, rather than wait for nothing.
#[test]
fn an_interest_beyond_the_two_directions_panics_naming_async_fd() {
    let mut core = Core::new().unwrap();
    let (a, _b) = core.run(tcp_pair());
    let a = Rc::new(a);
    let mut messages = Vec::new();
    for interest in [Interest::ERROR, Interest::READABLE | Interest::ERROR] {
        let stream = Rc::clone(&a);
        let ready = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut core = Core::new().unwrap();
            let _ = core.run(async move { stream.ready(interest).await });
        }));
        messages.push(ready.expect_err("ready did not panic"));
        let try_io = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = a.try_io(interest, || Ok(()));
        }));
        messages.push(try_io.expect_err("try_io did not panic"));
    }
    for message in messages {
        let message = message.downcast::<String>().unwrap();
        assert!(
            message.contains("ERROR") && message.contains("AsyncFd"),
            "{message}"
        );
    }
}
