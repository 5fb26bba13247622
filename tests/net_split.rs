//! `into_split` of TCP and Unix streams: halves in two tasks, the write half's shutdown on
//! drop, and `reunite`; and the borrowed halves of `split`, in two futures of one task.

mod net_common;

use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut};
use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncReadExt, AsyncWriteExt, Interest};
use mirage::net::{UnixStream, tcp, unix};
use mirage::time::timeout;
use net_common::{bytes, checksum, tcp_pair};

/// More than the socket buffers of loopback hold: a writer has to wait for room.
const LEN: usize = 4 << 20;

/// Has `peer` echo everything it reads until the end of the stream, then close.
fn spawn_echo<S>(peer: S) -> mirage::JoinHandle<usize>
where
    S: 'static,
    for<'a> &'a S: mirage::io::AsyncRead + mirage::io::AsyncWrite,
{
    mirage::spawn(async move {
        let mut buf = vec![0; 64 * 1024];
        let mut echoed = 0;
        loop {
            let n = (&peer).read(&mut buf).await.unwrap();
            if n == 0 {
                return echoed;
            }
            (&peer).write_all(&buf[..n]).await.unwrap();
            echoed += n;
        }
    })
}

#[test]
fn tcp_halves_read_and_write_at_once_in_two_tasks() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = tcp_pair().await;
        let echo = spawn_echo(peer);
        let (mut read, mut write) = ours.into_split();
        let data = bytes(3, LEN);
        let sent = checksum(&data);
        // Neither task can finish alone: the echo stalls unless both halves make progress.
        let writer = mirage::spawn(async move {
            write.write_all(&data).await.unwrap();
            write.close().await.unwrap();
            write
        });
        let reader = mirage::spawn(async move {
            let mut got = Vec::with_capacity(LEN);
            read.read_to_end(&mut got).await.unwrap();
            (read, got)
        });
        let (_read, got) = reader.await.unwrap();
        let _write = writer.await.unwrap();
        assert_eq!((got.len(), checksum(&got)), (LEN, sent));
        assert_eq!(echo.await.unwrap(), LEN);
    });
}

#[test]
fn unix_halves_read_and_write_at_once_in_two_tasks() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = UnixStream::pair().unwrap();
        let echo = spawn_echo(peer);
        let (mut read, mut write) = ours.into_split();
        let data = bytes(5, LEN);
        let sent = checksum(&data);
        let writer = mirage::spawn(async move {
            write.write_all(&data).await.unwrap();
            write.close().await.unwrap();
        });
        let mut got = Vec::with_capacity(LEN);
        read.read_to_end(&mut got).await.unwrap();
        writer.await.unwrap();
        assert_eq!((got.len(), checksum(&got)), (LEN, sent));
        assert_eq!(echo.await.unwrap(), LEN);
    });
}

/// Writes `data` through `write` and closes it while `read` reads to the end, in one task:
/// the echo stalls unless both make progress at once.
async fn write_and_read_at_once(
    mut read: impl mirage::io::AsyncRead + Unpin,
    mut write: impl mirage::io::AsyncWrite + Unpin,
    data: Vec<u8>,
) -> Vec<u8> {
    let mut got = Vec::with_capacity(data.len());
    let (written, read) = mirage::join!(
        async {
            write.write_all(&data).await?;
            write.close().await
        },
        read.read_to_end(&mut got),
    );
    written.unwrap();
    read.unwrap();
    got
}

#[test]
fn borrowed_tcp_halves_read_and_write_at_once_in_one_task() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut ours, peer) = tcp_pair().await;
        let echo = spawn_echo(peer);
        let data = bytes(7, LEN);
        let sent = checksum(&data);
        let (read, write) = ours.split();
        assert!(format!("{read:?}").starts_with("ReadHalf(TcpStream"));
        assert_eq!(
            write.as_ref().peer_addr().unwrap(),
            read.as_ref().peer_addr().unwrap()
        );
        let got = write_and_read_at_once(read, write, data).await;
        assert_eq!((got.len(), checksum(&got)), (LEN, sent));
        assert_eq!(echo.await.unwrap(), LEN);
        // The halves only borrowed it: the stream is ours again, its write side shut.
        let err = ours.write(b"x").await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn borrowed_unix_halves_read_and_write_at_once_in_one_task() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut ours, peer) = UnixStream::pair().unwrap();
        let echo = spawn_echo(peer);
        let data = bytes(9, LEN);
        let sent = checksum(&data);
        let (read, write) = ours.split();
        let got = write_and_read_at_once(read, write, data).await;
        assert_eq!((got.len(), checksum(&got)), (LEN, sent));
        assert_eq!(echo.await.unwrap(), LEN);
    });
}

/// The borrowed halves' own waits and non-waiting calls, as tokio's halves have them.
#[test]
fn borrowed_tcp_halves_wait_and_try_without_naming_the_stream() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut ours, peer) = tcp_pair().await;
        let (read, write) = ours.split();
        assert_eq!(read.peer_addr().unwrap(), peer.local_addr().unwrap());
        assert_eq!(read.local_addr().unwrap(), peer.peer_addr().unwrap());
        assert_eq!(write.peer_addr().unwrap(), peer.local_addr().unwrap());
        assert_eq!(write.local_addr().unwrap(), peer.peer_addr().unwrap());
        let steps = async {
            assert!(write.ready(Interest::WRITABLE).await?.is_writable());
            write.writable().await?;
            assert_eq!(write.try_write(b"pi")?, 2);
            assert_eq!(
                write.try_write_vectored(&[IoSlice::new(b"n"), IoSlice::new(b"g")])?,
                2
            );
            let mut got = [0; 4];
            peer.read_exact(&mut got).await?;
            assert_eq!(&got, b"ping");

            let err = read.try_read(&mut [0; 4]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
            peer.write_all(b"pong").await?;
            let mut two = [0; 2];
            assert_eq!(read.peek(&mut two).await?, 2);
            assert_eq!(&two, b"po");
            assert_eq!(poll_fn(|cx| read.poll_peek(cx, &mut two)).await?, 2);
            assert!(read.ready(Interest::READABLE).await?.is_readable());
            read.readable().await?;
            let (mut a, mut b) = ([0; 2], [0; 2]);
            let n =
                read.try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])?;
            assert_eq!(
                (n, &a, &b),
                (4, b"po", b"ng"),
                "peeked bytes are read again"
            );
            io::Result::Ok(())
        };
        timeout(Duration::from_secs(10), steps)
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn borrowed_unix_halves_wait_and_try_without_naming_the_stream() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut ours, peer) = UnixStream::pair().unwrap();
        let (read, write) = ours.split();
        let unnamed = |addr: unix::SocketAddr| addr.as_pathname().is_none();
        assert!(unnamed(read.peer_addr().unwrap()) && unnamed(read.local_addr().unwrap()));
        assert!(unnamed(write.peer_addr().unwrap()) && unnamed(write.local_addr().unwrap()));
        let steps = async {
            assert!(write.ready(Interest::WRITABLE).await?.is_writable());
            write.writable().await?;
            assert_eq!(write.try_write(b"pi")?, 2);
            assert_eq!(
                write.try_write_vectored(&[IoSlice::new(b"n"), IoSlice::new(b"g")])?,
                2
            );
            let mut got = [0; 4];
            peer.read_exact(&mut got).await?;
            assert_eq!(&got, b"ping");

            let err = read.try_read(&mut [0; 4]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
            peer.write_all(b"pong").await?;
            let mut two = [0; 2];
            assert_eq!(read.peek(&mut two).await?, 2);
            assert_eq!(&two, b"po");
            assert!(read.ready(Interest::READABLE).await?.is_readable());
            read.readable().await?;
            let (mut a, mut b) = ([0; 2], [0; 2]);
            let n =
                read.try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])?;
            assert_eq!(
                (n, &a, &b),
                (4, b"po", b"ng"),
                "peeked bytes are read again"
            );
            io::Result::Ok(())
        };
        timeout(Duration::from_secs(10), steps)
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn dropping_the_tcp_write_half_ends_the_peers_stream_but_not_ours() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = tcp_pair().await;
        let (mut read, write) = ours.into_split();
        write.as_ref().write_all(b"last words").await.unwrap();
        drop(write);
        let mut got = Vec::new();
        (&peer).read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last words", "the peer reads the end of the stream");
        peer.write_all(b"reply").await.unwrap();
        let mut reply = [0; 5];
        read.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"reply", "the read direction stays open");
    });
}

#[test]
fn dropping_the_unix_write_half_ends_the_peers_stream_but_not_ours() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = UnixStream::pair().unwrap();
        let (mut read, write) = ours.into_split();
        drop(write);
        let mut buf = [0; 8];
        assert_eq!(peer.read(&mut buf).await.unwrap(), 0);
        peer.write_all(b"reply").await.unwrap();
        let mut reply = [0; 5];
        read.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"reply");
    });
}

#[test]
fn a_forgotten_write_half_leaves_the_stream_open() {
    let mut core = Core::new().unwrap();
    core.run(async {
        mirage::time::pause();
        let (ours, peer) = tcp_pair().await;
        let (read, write) = ours.into_split();
        write.forget();
        peer.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        let mut buf = [0; 8];
        let err = peer.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "no end of stream");
        drop(read);
        assert_eq!(
            peer.read(&mut buf).await.unwrap(),
            0,
            "closed with the last half"
        );
    });
}

#[test]
fn a_closed_write_half_is_not_shut_down_again_on_drop() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = UnixStream::pair().unwrap();
        let (read, mut write) = ours.into_split();
        write.close().await.unwrap();
        let mut buf = [0; 8];
        assert_eq!(peer.read(&mut buf).await.unwrap(), 0);
        // Reunited after the close: the stream is whole, its write direction shut.
        let stream = read.reunite(write).unwrap();
        let err = stream.write(b"x").await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn reunited_tcp_halves_give_back_a_working_stream() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, peer) = tcp_pair().await;
        let local = ours.local_addr().unwrap();
        let (read, write) = ours.into_split();
        let stream = read.reunite(write).unwrap();
        assert_eq!(stream.local_addr().unwrap(), local);
        stream.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        peer.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping", "reuniting did not shut the write direction");
        peer.write_all(b"pong").await.unwrap();
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
    });
}

#[test]
fn tcp_halves_of_two_streams_do_not_reunite_and_come_back() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, _a_peer) = tcp_pair().await;
        let (b, _b_peer) = tcp_pair().await;
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let (a_read, a_write) = a.into_split();
        let (b_read, b_write) = b.into_split();
        let tcp::ReuniteError(a_read, b_write) = a_read.reunite(b_write).unwrap_err();
        assert_eq!(a_read.local_addr().unwrap(), a_addr);
        assert_eq!(b_write.local_addr().unwrap(), b_addr);
        let err = b_write.reunite(a_read).unwrap_err();
        assert!(format!("{err:?}").starts_with("ReuniteError(OwnedReadHalf("));
        let tcp::ReuniteError(a_read, b_write) = err;
        assert_eq!(
            a_read.reunite(a_write).unwrap().local_addr().unwrap(),
            a_addr
        );
        assert_eq!(
            b_read.reunite(b_write).unwrap().local_addr().unwrap(),
            b_addr
        );
    });
}

#[test]
fn unix_halves_of_two_streams_do_not_reunite_and_come_back() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (a, a_peer) = UnixStream::pair().unwrap();
        let (b, _b_peer) = UnixStream::pair().unwrap();
        let (a_read, a_write) = a.into_split();
        let (b_read, b_write) = b.into_split();
        let unix::ReuniteError(a_read, b_write) = a_read.reunite(b_write).unwrap_err();
        // Handed back intact: nothing was shut down.
        let a = a_read.reunite(a_write).unwrap();
        let _b = b_write.reunite(b_read).unwrap();
        a.write_all(b"ok").await.unwrap();
        let mut buf = [0; 2];
        a_peer.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ok");
    });
}
