//! Behaviours of tokio's `net` that code ported from tokio relies on, checked against
//! Mirage's sockets: where Mirage does the same, and where its docs say it does not.

use std::ffi::OsStr;
use std::future::Future;
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mirage::Core;
use mirage::net::{
    TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixSocket, UnixStream,
};
use mirage::time::timeout;

/// Far beyond what any step needs: only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(10);

/// A name in Linux's abstract namespace, unique to this process and test, written as tokio
/// takes one in a path: a leading NUL, then the name.
fn abstract_path(test: &str) -> (PathBuf, Vec<u8>) {
    let name = format!("mirage-parity-{}-{test}", std::process::id()).into_bytes();
    let mut path = vec![0];
    path.extend_from_slice(&name);
    (PathBuf::from(OsStr::from_bytes(&path)), name)
}

/// tokio's `UnixListener::bind` and `UnixStream::connect` read a path that starts with a
/// NUL byte as a name in Linux's abstract namespace (no file is made), where std refuses
/// the path for its NUL.
#[test]
fn a_path_with_a_leading_nul_names_an_abstract_socket() {
    let (path, name) = abstract_path("stream");
    let listener = UnixListener::bind(&path).expect("bind to an abstract name");
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(&name[..])
    );
    let mut core = Core::new().unwrap();
    core.run(async {
        let client = timeout(GENEROUS, UnixStream::connect(&path))
            .await
            .expect("connect hung")
            .expect("connect to an abstract name");
        let (server, _) = listener.accept().await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_abstract_name(),
            Some(&name[..])
        );
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    });
}

/// `UnixSocket`'s `bind` and `connect` take the same paths as tokio's, which hand them to
/// `socket2`: a leading NUL names an abstract socket.
#[test]
fn unix_socket_binds_and_connects_to_a_path_with_a_leading_nul() {
    let (path, name) = abstract_path("socket");
    let socket = UnixSocket::new_stream().unwrap();
    socket.bind(&path).expect("bind to an abstract name");
    let listener = socket.listen(8).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(&name[..])
    );
    let mut core = Core::new().unwrap();
    core.run(async {
        let client = UnixSocket::new_stream().unwrap();
        let client = timeout(GENEROUS, client.connect(&path))
            .await
            .expect("connect hung")
            .expect("connect to an abstract name");
        let (_server, _) = listener.accept().await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_abstract_name(),
            Some(&name[..])
        );
    });
}

/// A path name still may not hold a NUL past its first byte, and an abstract name may be
/// no longer than `sun_path`, which (with no terminator to keep room for) it may fill.
#[test]
fn nul_bytes_elsewhere_and_overlong_abstract_names_are_still_refused() {
    let err = UnixListener::bind("/tmp/mirage-parity\0name").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let mut long = vec![0u8];
    long.extend(std::iter::repeat_n(b'x', 108));
    let err = UnixListener::bind(OsStr::from_bytes(&long)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    long.pop(); // 108 bytes, the leading NUL among them: it fits
    let listener = UnixListener::bind(OsStr::from_bytes(&long)).expect("a full sun_path");
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(&long[1..])
    );
}

fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = pin!(future);
    future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
}

/// tokio's `tcp_stream` and `uds_stream` tests fill a socket with a loop that awaits
/// `writable` before each `try_write` and stops at the first `WouldBlock`: tokio's
/// `writable` answers from cached readiness, ready until a write fails. Mirage's asks the
/// kernel, so on a full socket it waits for the peer to read, and such a loop (with no
/// other task reading) waits forever, as the crate docs say. `try_write` alone reaches
/// `WouldBlock`; `writable` is for waiting for room.
#[test]
fn writable_waits_on_a_full_stream_where_try_write_says_would_block() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (writer, reader) = UnixStream::pair().unwrap();
        let chunk = vec![7u8; 4096];
        let mut written = 0;
        loop {
            match writer.try_write(&chunk) {
                Ok(n) => written += n,
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => panic!("{err}"),
            }
        }
        assert!(
            poll_once(writer.writable()).is_pending(),
            "writable() on a full socket is pending, where tokio's returns at once"
        );
        let mut drained = vec![0u8; written];
        reader.read_exact(&mut drained).await.unwrap();
        timeout(GENEROUS, writer.writable())
            .await
            .expect("writable() hung after the peer read")
            .unwrap();
        writer.try_write(b"x").expect("room after writable()");
    });
}

fn is_nonblocking(fd: &impl AsRawFd) -> bool {
    // SAFETY: `F_GETFL` reads the flags of a descriptor the caller keeps open.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0, "{}", std::io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}

/// tokio's `into_std` returns a non-blocking socket; Mirage's a blocking one, as std makes
/// them and as the crate docs say, for every socket type.
#[test]
fn into_std_hands_back_a_blocking_socket_where_tokio_s_stays_non_blocking() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut core = Core::new().unwrap();
    let (client, server) = core.run(async {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    });
    assert!(
        is_nonblocking(&client),
        "non-blocking while Mirage drives it"
    );
    assert!(!is_nonblocking(&client.into_std().unwrap()));
    assert!(!is_nonblocking(&server.into_std().unwrap()));
    assert!(!is_nonblocking(&listener.into_std().unwrap()));
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    assert!(!is_nonblocking(&udp.into_std().unwrap()));
    let (a, b) = UnixStream::pair().unwrap();
    assert!(!is_nonblocking(&a.into_std().unwrap()));
    drop(b);
    let (a, b) = UnixDatagram::pair().unwrap();
    assert!(!is_nonblocking(&a.into_std().unwrap()));
    drop(b);
    let (path, _) = abstract_path("into-std");
    let unix_listener = UnixListener::bind(&path).unwrap();
    assert!(!is_nonblocking(&unix_listener.into_std().unwrap()));
}

#[test]
fn an_abstract_unix_name_may_hold_more_nuls_where_a_file_path_may_not() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("\0mirage-nul\0inside-{}", std::process::id());
    let socket = mirage::net::UnixSocket::new_stream().unwrap();
    socket.bind(&name).expect("an abstract name may hold NULs");
    let listener = socket.listen(1).unwrap();
    let local = listener.local_addr().unwrap();
    assert_eq!(local.as_abstract_name(), Some(&name.as_bytes()[1..]));
    let file = mirage::net::UnixSocket::new_stream().unwrap();
    let err = file.bind("mirage-nul\0inside").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
