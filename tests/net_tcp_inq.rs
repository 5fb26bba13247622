//! A TCP read that fills its whole buffer, after one that did too, learns from the kernel
//! whether the socket is now empty (`TCP_INQ`), so the next read waits for data without a
//! system call that would only say `WouldBlock`: two system calls per request-response
//! message at any size.

mod net_common;

use std::io;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::time::Duration;

use mirage::Core;
use mirage::net::TcpStream;
use mirage::time::{sleep, timeout};
use net_common::tcp_pair;

/// Sends `rounds` messages of 4096 bytes, each read by the server with one read that fills
/// its 4096-byte buffer: from the second on, such a read asks the kernel for the bytes left.
async fn fill_reads(client: &TcpStream, server: &TcpStream, rounds: usize) {
    let mut buf = [0; 4096];
    for round in 0..rounds {
        client.write_all(&[round as u8; 4096]).await.unwrap();
        // All of it queued first, so that one read takes it whole.
        while server.peek(&mut buf).await.unwrap() < buf.len() {
            mirage::yield_now().await;
        }
        assert_eq!(server.read(&mut buf).await.unwrap(), buf.len());
    }
}

/// The socket's `TCP_INQ` option: whether its reads bring back the bytes left.
fn inq_enabled(fd: &impl AsRawFd) -> bool {
    net_common::int_sockopt(fd.as_raw_fd(), libc::SOL_TCP, libc::TCP_INQ).is_ok_and(|on| on != 0)
}

#[test]
fn data_sent_after_a_read_that_filled_its_buffer_still_arrives() {
    Core::new().unwrap().run(async {
        let (client, server) = tcp_pair().await;
        fill_reads(&client, &server, 3).await;
        let mut buf = [0; 4096];
        let later = async {
            sleep(Duration::from_millis(20)).await;
            client.write_all(b"later").await.unwrap();
        };
        let (_, n) = mirage::join!(later, async {
            timeout(Duration::from_secs(5), server.read(&mut buf))
                .await
                .expect("the read missed the bytes that came after it began to wait")
                .unwrap()
        });
        assert_eq!(&buf[..n], b"later");
    });
}

#[test]
fn an_end_of_stream_behind_a_read_that_filled_its_buffer_is_read_next() {
    Core::new().unwrap().run(async {
        let (client, server) = tcp_pair().await;
        fill_reads(&client, &server, 1).await;
        client.write_all(&[2; 4096]).await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        // Both the bytes and the end are queued before the server reads, so the read that
        // takes the bytes is told of one more (the end).
        sleep(Duration::from_millis(20)).await;
        let mut buf = [0; 4096];
        assert_eq!(server.read(&mut buf).await.unwrap(), buf.len());
        let n = timeout(Duration::from_secs(5), server.read(&mut buf))
            .await
            .expect("the end of stream already queued was never read");
        assert_eq!(n.unwrap(), 0);
    });
}

#[test]
fn the_first_full_read_turns_the_option_on_and_into_std_hands_it_back_as_it_came() {
    Core::new().unwrap().run(async {
        let (client, server) = tcp_pair().await;
        if net_common::int_sockopt(server.as_raw_fd(), libc::SOL_TCP, libc::TCP_INQ).is_err() {
            eprintln!("skipped: this kernel has no TCP_INQ (Linux 4.18 and later)");
            return;
        }
        assert!(!inq_enabled(&server), "before any read");
        client.write_all(b"short").await.unwrap();
        let mut buf = [0; 4096];
        assert_eq!(server.read(&mut buf).await.unwrap(), 5);
        assert!(!inq_enabled(&server), "a short read needs no count");
        fill_reads(&client, &server, 1).await;
        assert!(inq_enabled(&server), "after a read that filled its buffer");
        let server = server.into_std().unwrap();
        assert!(
            !inq_enabled(&server),
            "into_std turns off what Mirage turned on"
        );
        // One its owner turned on stays on.
        net_common::set_int_sockopt(server.as_raw_fd(), libc::SOL_TCP, libc::TCP_INQ, 1);
        let server = TcpStream::from_std(server).unwrap();
        fill_reads(&client, &server, 2).await;
        assert!(
            inq_enabled(&server.into_std().unwrap()),
            "into_std left the owner's option"
        );
        assert!(
            !inq_enabled(&client),
            "the client's reads never filled a buffer"
        );
    });
}

/// With `recvmsg` and `recvfrom` on the server's socket failing on this thread, a read that
/// made a system call before waiting would fail at once: one that trusts the kernel's count
/// waits for data.
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[test]
fn a_read_after_one_that_filled_its_buffer_and_emptied_the_socket_makes_no_system_call() {
    std::thread::spawn(|| {
        Core::new().unwrap().run(async {
            let (client, server) = tcp_pair().await;
            if !inq_enabled(&server) {
                eprintln!("skipped: this kernel has no TCP_INQ (Linux 4.18 and later)");
                return;
            }
            let mut buf = [0; 4096];
            // A socket joins the Core's reactor at its first wait; until then every read
            // tries the socket, as nothing would tell it that data came.
            let waited = timeout(Duration::from_millis(10), server.read(&mut buf)).await;
            assert!(waited.is_err(), "nothing was sent yet");
            fill_reads(&client, &server, 2).await;
            let fd = server.as_raw_fd() as u32;
            for call in [libc::SYS_recvmsg, libc::SYS_recvfrom] {
                if !net_common::seccomp::fail_on_this_thread(call, 0, fd, libc::EIO) {
                    eprintln!(
                        "skipped: no seccomp filter here ({})",
                        io::Error::last_os_error()
                    );
                    return;
                }
            }
            let read = timeout(Duration::from_millis(100), server.read(&mut buf)).await;
            assert!(
                read.is_err(),
                "the read tried the socket before waiting: {read:?}"
            );
        });
    })
    .join()
    .unwrap();
}
