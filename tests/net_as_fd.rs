//! Every socket type lends its descriptor through std's `AsRawFd` and `AsFd`, as std's
//! sockets do, and is made from its std socket with `try_into`, as tokio's are.

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

#[test]
fn each_std_socket_converts_with_try_into_as_from_std_does() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let mut std_client = std::net::TcpStream::connect(addr).unwrap();
    let listener: TcpListener = std_listener.try_into().unwrap();
    std::io::Write::write_all(&mut std_client, &[1, 2, 3, 4]).unwrap();
    let client: TcpStream = std_client.try_into().unwrap();
    let udp: UdpSocket = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .try_into()
        .unwrap();
    let path = std::env::temp_dir().join(format!("mirage-{}-try-into.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let unix_listener: UnixListener = std::os::unix::net::UnixListener::bind(&path)
        .unwrap()
        .try_into()
        .unwrap();
    let unix_stream: UnixStream = std::os::unix::net::UnixStream::connect(&path)
        .unwrap()
        .try_into()
        .unwrap();
    let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let (a, b): (UnixDatagram, UnixDatagram) =
        (std_a.try_into().unwrap(), std_b.try_into().unwrap());
    let mut core = mirage::Core::new().unwrap();
    core.run(async move {
        // Each works through the Core: in non-blocking mode and registered on first use.
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 16];
        let n = server.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], [1, 2, 3, 4]);
        client.write_all(b"x").await.unwrap();
        udp.send_to(b"u", udp.local_addr().unwrap()).await.unwrap();
        assert_eq!(udp.recv(&mut buf).await.unwrap(), 1);
        let (accepted, _) = unix_listener.accept().await.unwrap();
        unix_stream.write_all(b"s").await.unwrap();
        assert_eq!(accepted.read(&mut buf).await.unwrap(), 1);
        a.send(b"d").await.unwrap();
        assert_eq!(b.recv(&mut buf).await.unwrap(), 1);
    });
    std::fs::remove_file(&path).unwrap();
}
