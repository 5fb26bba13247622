//! The small socket options tokio has beyond std's: `TCP_QUICKACK` on streams, `IP_TOS`
//! and `SO_BINDTODEVICE` on TCP and UDP sockets.

#![allow(deprecated)] // `tos` and `set_tos`, tokio's old names, are tested too.

use std::io;
use std::os::fd::AsRawFd;

use mirage::Core;
use mirage::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};

/// A connected pair on loopback: the client's stream and the one the listener accepted.
fn connected_pair(core: &mut Core) -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    core.run(async move {
        let client = TcpStream::connect(addr).await?;
        let (server, _) = listener.accept().await?;
        io::Result::Ok((client, server))
    })
    .unwrap()
}

#[test]
fn quickack_is_on_at_first_and_each_side_toggles_its_own() {
    let mut core = Core::new().unwrap();
    let (client, server) = connected_pair(&mut core);
    assert!(client.quickack().unwrap());
    assert!(server.quickack().unwrap());

    client.set_quickack(false).unwrap();
    assert!(!client.quickack().unwrap());
    assert!(server.quickack().unwrap(), "the option is per socket");

    client.set_quickack(true).unwrap();
    assert!(client.quickack().unwrap());
}

#[test]
fn a_stream_out_of_quickack_mode_still_carries_data() {
    let mut core = Core::new().unwrap();
    let (client, server) = connected_pair(&mut core);
    client.set_quickack(false).unwrap();
    server.set_quickack(false).unwrap();
    core.run(async move {
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        server.write_all(b"pong").await.unwrap();
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
    });
}

/// An `int` option of `socket` read directly, for the types that have no getter of their
/// own.
fn raw_int_option(socket: &impl AsRawFd, level: libc::c_int, name: libc::c_int) -> u32 {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes at `&mut value`, a live `c_int`.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            level,
            name,
            std::ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    value as u32
}

/// `IP_TOS` of `socket` read directly.
fn raw_tos(socket: &impl AsRawFd) -> u32 {
    raw_int_option(socket, libc::IPPROTO_IP, libc::IP_TOS)
}

#[test]
fn tos_set_on_a_tcp_socket_is_kept_by_the_stream_it_connects() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    assert_eq!(socket.tos_v4().unwrap(), 0);
    socket.set_tos_v4(0x10).unwrap();
    assert_eq!(socket.tos_v4().unwrap(), 0x10);
    let mut core = Core::new().unwrap();
    let stream = core.run(socket.connect(addr)).unwrap();
    assert_eq!(raw_tos(&stream), 0x10);
}

#[test]
fn tcp_keeps_its_ecn_bits_out_of_tos() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_tos_v4(0x13).unwrap();
    assert_eq!(
        socket.tos_v4().unwrap(),
        0x10,
        "the low two bits are TCP's ECN"
    );
}

/// A one-byte IP option (`IP_TOS`, `IPV6_TCLASS`) on two UDP sockets bound to `addr`: a
/// value with every kind of bit round-trips, the other socket keeps 0, and datagrams still
/// flow between them.
fn udp_byte_option_round_trips(
    addr: &str,
    set: impl Fn(&UdpSocket, u32) -> io::Result<()>,
    get: impl Fn(&UdpSocket) -> io::Result<u32>,
) {
    let mut core = Core::new().unwrap();
    let a = UdpSocket::bind(addr).unwrap();
    let b = UdpSocket::bind(addr).unwrap();
    set(&a, 0xb9).unwrap();
    assert_eq!(get(&a).unwrap(), 0xb9);
    assert_eq!(get(&b).unwrap(), 0, "per socket");
    core.run(async move {
        a.send_to(b"marked", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"marked"[..], a.local_addr().unwrap()));
    });
}

/// A one-byte IP option given a value over 255, through `set` (`get` reads it back): each
/// is refused with `InvalidInput`, naming the value, and the option keeps what it had.
fn byte_option_over_255_is_refused(
    set: impl Fn(u32) -> io::Result<()>,
    get: impl Fn() -> io::Result<u32>,
) {
    set(0x08).unwrap();
    // u32::MAX would reach the kernel as -1, "the default", if passed on.
    for value in [256, 0x108, u32::MAX] {
        let err = set(value).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{value}");
        assert!(err.to_string().contains(&value.to_string()), "{err}");
    }
    assert_eq!(get().unwrap(), 0x08);
}

#[test]
fn udp_tos_round_trips_every_bit_and_datagrams_still_flow() {
    udp_byte_option_round_trips("127.0.0.1:0", UdpSocket::set_tos_v4, UdpSocket::tos_v4);
}

#[test]
fn tos_above_one_byte_is_invalid_input_and_changes_nothing() {
    let tcp = TcpSocket::new_v4().unwrap();
    byte_option_over_255_is_refused(|tos| tcp.set_tos_v4(tos), || tcp.tos_v4());
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    byte_option_over_255_is_refused(|tos| udp.set_tos_v4(tos), || udp.tos_v4());
}

#[test]
fn tokios_old_tos_names_are_the_same_option() {
    let tcp = TcpSocket::new_v4().unwrap();
    tcp.set_tos(0x04).unwrap();
    assert_eq!((tcp.tos().unwrap(), tcp.tos_v4().unwrap()), (0x04, 0x04));
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_tos(0x05).unwrap();
    assert_eq!((udp.tos().unwrap(), udp.tos_v4().unwrap()), (0x05, 0x05));
}

#[test]
fn a_tcp_socket_bound_to_loopback_connects_over_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    assert_eq!(socket.device().unwrap(), None);
    socket.bind_device(Some(b"lo")).unwrap();
    assert_eq!(socket.device().unwrap().as_deref(), Some(&b"lo"[..]));
    let mut core = Core::new().unwrap();
    core.run(async move {
        let client = socket.connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"over lo").await.unwrap();
        let mut buf = [0u8; 7];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"over lo");
    });
}

#[test]
fn a_udp_socket_bound_to_loopback_receives_over_it() {
    let mut core = Core::new().unwrap();
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    b.bind_device(Some(b"lo")).unwrap();
    assert_eq!(b.device().unwrap().as_deref(), Some(&b"lo"[..]));
    core.run(async move {
        a.send_to(b"over lo", b.local_addr().unwrap())
            .await
            .unwrap();
        let mut buf = [0u8; 16];
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"over lo");
    });
}

#[test]
fn names_the_kernel_would_cut_short_are_invalid_input() {
    let tcp = TcpSocket::new_v4().unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    // 16 bytes: one more than an interface name holds; the kernel would look up "lo" for
    // the second and bind to it.
    for name in [&b"lo-and-much-more"[..], b"lo\0tail"] {
        let err = tcp.bind_device(Some(name)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{name:?}");
        let err = udp.bind_device(Some(name)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{name:?}");
    }
    assert_eq!(tcp.device().unwrap(), None);
    assert_eq!(udp.device().unwrap(), None);
    // 15 bytes is a possible name: the kernel looks it up, and finds no such interface.
    let err = tcp.bind_device(Some(b"no-such-iface-x")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENODEV), "{err}");
}

#[test]
fn removing_a_binding_needs_privileges_or_leaves_the_socket_unbound() {
    for unbind in [None, Some(&b""[..])] {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.bind_device(None).unwrap(); // Unbinding an unbound socket is always allowed.
        socket.bind_device(Some(b"lo")).unwrap();
        match socket.bind_device(unbind) {
            Ok(()) => assert_eq!(socket.device().unwrap(), None),
            // Without CAP_NET_RAW the binding stays.
            Err(err) => {
                assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
                assert_eq!(socket.device().unwrap().as_deref(), Some(&b"lo"[..]));
            }
        }
    }
}

/// `IPV6_TCLASS` of `socket` read directly.
fn raw_tclass(socket: &impl AsRawFd) -> u32 {
    raw_int_option(socket, libc::IPPROTO_IPV6, libc::IPV6_TCLASS)
}

#[test]
fn tclass_set_on_a_tcp_socket_is_kept_by_the_stream_it_connects() {
    let listener = TcpListener::bind("[::1]:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let socket = TcpSocket::new_v6().unwrap();
    assert_eq!(socket.tclass_v6().unwrap(), 0);
    socket.set_tclass_v6(0x28).unwrap();
    assert_eq!(socket.tclass_v6().unwrap(), 0x28);
    let mut core = Core::new().unwrap();
    let stream = core.run(socket.connect(addr)).unwrap();
    assert_eq!(raw_tclass(&stream), 0x28);
}

#[test]
fn udp_tclass_round_trips_every_bit_and_datagrams_still_flow() {
    udp_byte_option_round_trips("[::1]:0", UdpSocket::set_tclass_v6, UdpSocket::tclass_v6);
}

#[test]
fn tclass_above_one_byte_is_invalid_input_and_changes_nothing() {
    let tcp = TcpSocket::new_v6().unwrap();
    byte_option_over_255_is_refused(|tclass| tcp.set_tclass_v6(tclass), || tcp.tclass_v6());
    let udp = UdpSocket::bind("[::1]:0").unwrap();
    byte_option_over_255_is_refused(|tclass| udp.set_tclass_v6(tclass), || udp.tclass_v6());
}

#[test]
fn an_ipv4_socket_refuses_a_traffic_class() {
    let tcp = TcpSocket::new_v4().unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    assert!(tcp.set_tclass_v6(0x28).is_err());
    assert!(udp.set_tclass_v6(0x28).is_err());
}
