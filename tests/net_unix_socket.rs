//! `UnixSocket`: stream and datagram sockets set up before they listen, connect or send,
//! the checks of their type and address, and sockets taken over from a raw descriptor.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::os::linux::net::SocketAddrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use mirage::Core;
use mirage::net::{UnixSocket, UnixStream};
use mirage::time::{sleep, timeout};

/// Fails the test instead of hanging it.
const GENEROUS: Duration = Duration::from_secs(10);

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

#[test]
fn a_bound_client_connects_to_a_listener_of_its_own_backlog() {
    let server_path = SocketPath::new("socket-server");
    let client_path = SocketPath::new("socket-client");
    let socket = UnixSocket::new_stream().unwrap();
    socket.bind(&server_path).unwrap();
    let listener = socket.listen(8).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let client = UnixSocket::new_stream().unwrap();
        client.bind(&client_path).unwrap();
        let stream = timeout(GENEROUS, client.connect(&server_path))
            .await
            .unwrap()
            .unwrap();
        let (server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer.as_pathname(), Some(client_path.as_ref()));
        assert_eq!(
            stream.peer_addr().unwrap().as_pathname(),
            Some(server_path.as_ref())
        );
        stream.write_all(b"through a UnixSocket").await.unwrap();
        let mut buf = [0; 20];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"through a UnixSocket");
    });
}

/// A connect to a listener whose backlog is full waits (retrying on the one socket) until
/// the listener accepts, as a blocking connect would.
#[test]
fn a_connect_waits_while_the_listener_s_backlog_is_full() {
    let path = SocketPath::new("socket-backlog");
    let socket = UnixSocket::new_stream().unwrap();
    socket.bind(&path).unwrap();
    let listener = socket.listen(0).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        // Linux queues one connection past a backlog of 0; the next finds it full.
        let mut queued = Vec::new();
        let waiting = loop {
            let connect = UnixSocket::new_stream().unwrap().connect(path.0.clone());
            let mut connect = Box::pin(connect);
            match timeout(Duration::from_millis(20), connect.as_mut()).await {
                Ok(stream) => queued.push(stream.unwrap()),
                Err(_) => break connect,
            }
            assert!(queued.len() < 16, "the backlog never filled");
        };
        let waiting = mirage::spawn(waiting);
        sleep(Duration::from_millis(5)).await;
        assert!(!waiting.is_finished(), "connected past a full backlog");
        for _ in 0..queued.len() {
            listener.accept().await.unwrap();
        }
        let stream = timeout(GENEROUS, waiting)
            .await
            .expect("the connect did not retry")
            .unwrap()
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        stream.write_all(b"late").await.unwrap();
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"late");
    });
}

#[test]
fn datagram_sockets_exchange_bound_and_unbound() {
    let path = SocketPath::new("socket-dgram");
    let socket = UnixSocket::new_datagram().unwrap();
    socket.bind(&path).unwrap();
    let receiver = socket.datagram().unwrap();
    let sender = UnixSocket::new_datagram().unwrap().datagram().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        sender.send_to(b"ping", &path).await.unwrap();
        let mut buf = [0; 16];
        let (n, from) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert!(from.is_unnamed());
    });
}

#[test]
fn a_socket_of_the_wrong_type_is_refused_with_invalid_input() {
    let invalid = |result: io::Result<()>| {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    };
    invalid(UnixSocket::new_datagram().unwrap().listen(1).map(drop));
    invalid(UnixSocket::new_stream().unwrap().datagram().map(drop));
    let mut core = Core::new().unwrap();
    core.run(async {
        let socket = UnixSocket::new_datagram().unwrap();
        invalid(socket.connect("/nonexistent/mirage.sock").await.map(drop));
    });
}

/// Linux lets no unbound Unix socket listen; bound to an empty path, it gets an address
/// the kernel picks, in the abstract namespace, and listens there.
#[test]
fn only_a_bound_socket_listens_and_an_empty_path_binds_to_an_abstract_address() {
    let err = UnixSocket::new_stream().unwrap().listen(1).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");

    let socket = UnixSocket::new_stream().unwrap();
    socket.bind("").unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.as_abstract_name().is_some(), "{addr:?}");
}

#[test]
fn bad_addresses_fail_with_the_error_std_gives() {
    let path = SocketPath::new("socket-bind");
    let socket = UnixSocket::new_stream().unwrap();
    socket.bind(&path).unwrap();
    let kind = |result: io::Result<()>| result.unwrap_err().kind();
    let fresh = || UnixSocket::new_stream().unwrap();
    assert_eq!(kind(fresh().bind(&path)), io::ErrorKind::AddrInUse);
    assert_eq!(
        kind(socket.bind(SocketPath::new("socket-rebind"))),
        io::ErrorKind::InvalidInput
    );
    let long = std::env::temp_dir().join("x".repeat(200));
    assert_eq!(kind(fresh().bind(&long)), io::ErrorKind::InvalidInput);
    let std_err = std::os::unix::net::UnixListener::bind(&long).unwrap_err();
    assert_eq!(std_err.kind(), io::ErrorKind::InvalidInput, "as std");
    assert_eq!(kind(fresh().bind("nul\0byte")), io::ErrorKind::InvalidInput);
    assert_eq!(
        kind(fresh().bind("/nonexistent/dir/mirage.sock")),
        io::ErrorKind::NotFound
    );

    let mut core = Core::new().unwrap();
    core.run(async {
        let missing = fresh().connect("/nonexistent/mirage.sock").await;
        assert_eq!(kind(missing.map(drop)), io::ErrorKind::NotFound);
        // Bound but not listening: refused.
        let refused = fresh().connect(&path).await;
        assert_eq!(kind(refused.map(drop)), io::ErrorKind::ConnectionRefused);
        let long = fresh().connect(&long).await;
        assert_eq!(kind(long.map(drop)), io::ErrorKind::InvalidInput);
    });
}

/// A socket made blocking outside Mirage, taken over: `connect` makes it non-blocking, so
/// that a connect to a full backlog waits on the Core instead of blocking its thread.
#[test]
fn a_blocking_socket_taken_over_never_blocks_the_core() {
    let path = SocketPath::new("socket-raw");
    // The Core runs on a thread: were it blocked, the test fails on the timeout below.
    let (done, finished) = mpsc::channel();
    let path_for_core = path.0.clone();
    let core_thread = std::thread::spawn(move || {
        let listener = {
            let socket = UnixSocket::new_stream().unwrap();
            socket.bind(&path_for_core).unwrap();
            socket.listen(0).unwrap()
        };
        let mut core = Core::new().unwrap();
        core.run(async move {
            // Fill the backlog.
            let mut queued = Vec::new();
            for _ in 0..4 {
                let connect = UnixStream::connect(&path_for_core);
                match timeout(Duration::from_millis(20), connect).await {
                    Ok(stream) => queued.push(stream.unwrap()),
                    Err(_) => break,
                }
            }
            // SAFETY: no pointers; a new blocking descriptor or -1.
            let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
            assert!(fd >= 0, "{}", io::Error::last_os_error());
            // SAFETY: `fd` was just created and nothing else owns it.
            let socket = unsafe { UnixSocket::from_raw_fd(fd) };
            assert_eq!(socket.as_raw_fd(), fd);
            let waiting = mirage::spawn(socket.connect(path_for_core.clone()));
            sleep(Duration::from_millis(5)).await;
            assert!(!waiting.is_finished());
            for _ in 0..queued.len() {
                listener.accept().await.unwrap();
            }
            let stream = waiting.await.unwrap().unwrap();
            // SAFETY: `F_GETFL` only reads the flags of the stream's open descriptor.
            let flags = unsafe { libc::fcntl(stream.as_raw_fd(), libc::F_GETFL) };
            assert_ne!(flags & libc::O_NONBLOCK, 0, "the stream was left blocking");
        });
        done.send(()).unwrap();
    });
    // A panic on the thread drops `done` and ends the wait at once; a blocked Core does not.
    match finished.recv_timeout(GENEROUS) {
        Ok(()) => core_thread.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => core_thread.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the Core was blocked"),
    }
}

#[test]
fn a_raw_descriptor_goes_out_and_back() {
    let socket = UnixSocket::new_datagram().unwrap();
    let fd = socket.into_raw_fd();
    // SAFETY: `into_raw_fd` gave up the descriptor, which `from_raw_fd` takes over.
    let socket = unsafe { UnixSocket::from_raw_fd(fd) };
    assert_eq!(socket.as_raw_fd(), fd);
    let debug = format!("{socket:?}");
    assert!(
        debug.contains("UnixSocket") && debug.contains("datagram"),
        "{debug}"
    );
    let stream = UnixSocket::new_stream().unwrap();
    assert!(format!("{stream:?}").contains("stream"), "{stream:?}");
}
