//! Every socket type lends its descriptor through std's `AsRawFd` and `AsFd`, as std's
//! sockets do.

use std::os::fd::{AsFd, AsRawFd, RawFd};

use mirage::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

/// The descriptor both traits lend; they must agree.
fn lent<T: AsFd + AsRawFd>(socket: &T) -> RawFd {
    let raw = socket.as_raw_fd();
    assert_eq!(socket.as_fd().as_raw_fd(), raw);
    raw
}

#[test]
fn each_socket_type_lends_the_descriptor_of_the_std_socket_it_wraps() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let fd = lent(&listener);
    let std_listener = listener.into_std().unwrap();
    assert_eq!(std_listener.as_raw_fd(), fd);

    let stream = TcpStream::from_std(std::net::TcpStream::connect(addr).unwrap()).unwrap();
    let fd = lent(&stream);
    assert_eq!(stream.into_std().unwrap().as_raw_fd(), fd);

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let fd = lent(&udp);
    assert_eq!(udp.into_std().unwrap().as_raw_fd(), fd);

    let path = std::env::temp_dir().join(format!("mirage-{}-as-fd.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let unix_listener = UnixListener::bind(&path).unwrap();
    let fd = lent(&unix_listener);
    assert_eq!(unix_listener.into_std().unwrap().as_raw_fd(), fd);
    std::fs::remove_file(&path).unwrap();

    let (unix_stream, _peer) = UnixStream::pair().unwrap();
    let fd = lent(&unix_stream);
    assert_eq!(unix_stream.into_std().unwrap().as_raw_fd(), fd);

    let (datagram, _peer) = UnixDatagram::pair().unwrap();
    let fd = lent(&datagram);
    assert_eq!(datagram.into_std().unwrap().as_raw_fd(), fd);
}

#[test]
fn a_lent_descriptor_can_be_duplicated_into_an_owned_std_socket() {
    let (a, b) = UnixStream::pair().unwrap();
    let owned = a.as_fd().try_clone_to_owned().unwrap();
    assert_ne!(owned.as_raw_fd(), a.as_raw_fd());
    let mut duplicate = std::os::unix::net::UnixStream::from(owned);
    std::io::Write::write_all(&mut duplicate, b"dup").unwrap();
    let mut core = mirage::Core::new().unwrap();
    let got = core.run(async move {
        let mut buf = [0u8; 3];
        b.read_exact(&mut buf).await.unwrap();
        buf
    });
    assert_eq!(&got, b"dup");
}
