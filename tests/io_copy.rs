//! `mirage::io::copy` between in-memory streams: what it writes, and when it flushes.

use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncReadExt, AsyncWriteExt, BufWriter, copy, duplex};

#[test]
fn copy_flushes_a_buffering_writer_while_the_reader_waits() {
    let mut core = Core::new().unwrap();
    core.run(async {
        mirage::time::pause();
        let (mut client, mut relay_in) = duplex(64);
        let (relay_out, mut server) = duplex(64);
        let relaying = mirage::spawn(async move {
            let mut relay_out = BufWriter::new(relay_out);
            copy(&mut relay_in, &mut relay_out).await
        });
        // A request-response exchange through the relay: the client sends more only once
        // the server answered, so the relay's buffer must not hold the request back.
        client.write_all(b"ping").await.unwrap();
        let mut request = [0; 4];
        mirage::time::timeout(Duration::from_secs(5), server.read_exact(&mut request))
            .await
            .expect("the request stayed in the relay's buffer")
            .unwrap();
        assert_eq!(&request, b"ping");
        drop(client);
        assert_eq!(relaying.await.unwrap().unwrap(), 4);
    });
}
