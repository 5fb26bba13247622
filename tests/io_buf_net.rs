//! Buffered reading and `copy` over real sockets: a line that arrives in pieces across a
//! read timeout, and a relay of a large transfer.

mod net_common;

use std::io;
use std::net::Shutdown;
use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use mirage::time::sleep;
use net_common::{bytes, checksum, tcp_pair};

#[test]
fn a_line_cut_by_a_read_timeout_is_kept_and_completed_by_the_next_call() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, server) = tcp_pair().await;
        server
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let mut lines = BufReader::new(server).lines();
        client.write_all(b"first\nhal").await.unwrap();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("first"));
        // Half a line, then silence: the read times out, and nothing is lost.
        let err = lines.next_line().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        client.write_all(b"f a line\r\nlast").await.unwrap();
        assert_eq!(
            lines.next_line().await.unwrap().as_deref(),
            Some("half a line")
        );
        client.shutdown(Shutdown::Write).unwrap();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("last"));
        assert_eq!(lines.next_line().await.unwrap(), None);
    });
}

#[test]
fn a_pending_next_line_that_loses_a_select_keeps_its_partial_line() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, server) = tcp_pair().await;
        let mut lines = BufReader::new(server).lines();
        client.write_all(b"a slow ").await.unwrap();
        let mut timeouts = 0;
        let line = loop {
            mirage::select! {
                biased;
                line = lines.next_line() => break line.unwrap(),
                _ = sleep(Duration::from_millis(5)) => {
                    timeouts += 1;
                    if timeouts == 2 {
                        client.write_all(b"line\n").await.unwrap();
                    }
                }
            }
        };
        assert_eq!(line.as_deref(), Some("a slow line"));
        assert!(timeouts >= 2);
    });
}

#[test]
fn copy_relays_a_large_transfer_intact_through_a_buffered_reader() {
    const LEN: usize = 4 << 20;
    let data = bytes(7, LEN);
    let expected = checksum(&data);
    let mut core = Core::new().unwrap();
    let (copied, received) = core.run(async move {
        let (source, relay_in) = tcp_pair().await;
        let (mut relay_out, sink) = tcp_pair().await;
        let sending = mirage::spawn(async move {
            source.write_all(&data).await.unwrap();
            source.shutdown(Shutdown::Write).unwrap();
        });
        let relaying = mirage::spawn(async move {
            // A small buffer, so that the reads go through it rather than around it.
            let mut relay_in = BufReader::with_capacity(1000, relay_in);
            let copied = mirage::io::copy(&mut relay_in, &mut relay_out).await;
            relay_out.shutdown(Shutdown::Write).unwrap();
            copied
        });
        let mut received = Vec::with_capacity(LEN);
        (&sink).read_to_end(&mut received).await.unwrap();
        sending.await.unwrap();
        (relaying.await.unwrap().unwrap(), received)
    });
    assert_eq!(copied, LEN as u64);
    assert_eq!(received.len(), LEN);
    assert_eq!(checksum(&received), expected);
}

#[test]
fn copy_reports_a_write_to_a_closed_peer() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut writer, reader) = tcp_pair().await;
        drop(reader);
        let mut endless: &[u8] = &[1; 1 << 20];
        let err = mirage::io::copy(&mut endless, &mut writer)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{err:?}"
        );
    });
}
