//! Dropping Unix sockets and pipes, and pending operations on them, leaks no file
//! descriptor.
//!
//! Alone in its test binary: it counts the process's descriptors, which tests running in
//! parallel threads would change.

mod net_common;

use std::time::Duration;

use mirage::Core;
use mirage::net::unix::pipe::{self, OpenOptions, Receiver, Sender};
use mirage::net::{UnixDatagram, UnixListener, UnixSocket, UnixStream};
use mirage::time::timeout;
use net_common::open_fds;

#[test]
fn unix_sockets_pipes_and_pending_operations_release_their_descriptors() {
    let path = std::env::temp_dir().join(format!("mirage-{}-fd-leak.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let fifo = std::env::temp_dir().join(format!("mirage-{}-fd-leak.fifo", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let mut core = Core::new().unwrap();
    let baseline = open_fds();
    core.run(async {
        for _ in 0..50 {
            let listener = UnixListener::bind(&path).unwrap();
            let client = UnixStream::connect(&path).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            // A read left pending and dropped by its timeout.
            let mut buf = [0u8; 8];
            assert!(
                timeout(Duration::from_millis(1), server.read(&mut buf))
                    .await
                    .is_err()
            );
            // An accept left pending and dropped.
            assert!(
                timeout(Duration::from_millis(1), listener.accept())
                    .await
                    .is_err()
            );
            // A connect refused after the listener is gone, and one to a missing path.
            drop((client, server, listener));
            assert!(UnixStream::connect(&path).await.is_err());
            std::fs::remove_file(&path).unwrap();
            assert!(UnixStream::connect(&path).await.is_err());

            // Datagram sockets, with a receive left pending and dropped.
            let (a, b) = UnixDatagram::pair().unwrap();
            assert!(
                timeout(Duration::from_millis(1), a.recv(&mut buf))
                    .await
                    .is_err()
            );
            drop((a, b));
            let (a, b) = UnixStream::pair().unwrap();
            drop((a.into_std().unwrap(), b));

            // Pipes, with a read left pending and dropped, and handed-back descriptors.
            let (tx, rx) = pipe::pipe().unwrap();
            assert!(
                timeout(Duration::from_millis(1), rx.readable())
                    .await
                    .is_err()
            );
            drop((tx.into_blocking_fd().unwrap(), rx));
            // Descriptors refused for the wrong kind or direction are closed.
            let (tx, rx) = pipe::pipe().unwrap();
            let wrong_way = Sender::from_owned_fd(rx.into_nonblocking_fd().unwrap());
            assert!(wrong_way.is_err());
            assert!(Receiver::from_file(std::fs::File::open("/dev/null").unwrap()).is_err());
            drop(tx);
            // FIFOs: a sender refused for want of a reader, a path that is no FIFO.
            assert!(
                std::process::Command::new("mkfifo")
                    .arg(&fifo)
                    .status()
                    .unwrap()
                    .success()
            );
            assert!(OpenOptions::new().open_sender(&fifo).is_err());
            let rx = OpenOptions::new().open_receiver(&fifo).unwrap();
            let tx = OpenOptions::new().open_sender(&fifo).unwrap();
            drop((tx, rx));
            std::fs::remove_file(&fifo).unwrap();
            assert!(OpenOptions::new().open_receiver("/dev/null").is_err());

            // UnixSocket: a connect left waiting on a full backlog and dropped, and sockets
            // refused for their type.
            let socket = UnixSocket::new_stream().unwrap();
            socket.bind(&path).unwrap();
            let listener = socket.listen(0).unwrap();
            let queued = UnixSocket::new_stream().unwrap().connect(&path).await;
            let waiting = UnixSocket::new_stream().unwrap().connect(&path);
            assert!(timeout(Duration::from_millis(1), waiting).await.is_err());
            drop((queued.unwrap(), listener));
            std::fs::remove_file(&path).unwrap();
            assert!(UnixSocket::new_stream().unwrap().datagram().is_err());
            assert!(UnixSocket::new_datagram().unwrap().listen(1).is_err());
        }
        // Tasks holding streams, aborted mid-read; the accepted ends dropped at once.
        let listener = UnixListener::bind(&path).unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let path = path.clone();
                mirage::spawn(async move {
                    let stream = UnixStream::connect(&path).await.unwrap();
                    let mut buf = [0u8; 8];
                    let _ = stream.read(&mut buf).await;
                })
            })
            .collect();
        for _ in 0..20 {
            drop(listener.accept().await.unwrap());
        }
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    });
    std::fs::remove_file(&path).unwrap();
    assert_eq!(open_fds(), baseline, "descriptors leaked");
}
