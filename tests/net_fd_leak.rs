//! Dropping sockets, and pending operations on them, leaks no file descriptor.

mod net_common;

use std::time::Duration;

use mirage::Core;
use mirage::net::{TcpListener, TcpSocket, TcpStream};
use mirage::time::timeout;
use net_common::open_fds;

#[test]
fn sockets_and_pending_operations_release_their_descriptors() {
    let mut core = Core::new().unwrap();
    let baseline = open_fds();
    core.run(async {
        for _ in 0..50 {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).await.unwrap();
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
            // A connect refused after the listener is gone, plain and through a TcpSocket.
            drop((client, server, listener));
            assert!(TcpStream::connect(addr).await.is_err());
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_reuseaddr(true).unwrap();
            assert!(socket.connect(addr).await.is_err());
            // A TcpSocket dropped unused, and one turned into a listener.
            drop(TcpSocket::new_v6().unwrap());
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(addr).unwrap();
            drop(socket.listen(8).unwrap());
        }
        // Tasks holding sockets, aborted mid-operation.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                mirage::spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
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
    assert_eq!(open_fds(), baseline, "descriptors leaked");
}
