//! `mirage::io::join`: a reader and a writer used as one stream.

use mirage::Core;
use mirage::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, copy_bidirectional, duplex, join,
    split,
};

#[test]
fn a_joined_stream_reads_from_one_side_and_writes_to_the_other() {
    let mut core = Core::new().unwrap();
    core.run(async {
        // Two one-way channels, each made of a duplex pair of which one direction is used.
        let (mut incoming_tx, incoming_rx) = duplex(64);
        let (outgoing_tx, mut outgoing_rx) = duplex(64);
        let mut stream = join(BufReader::new(incoming_rx), outgoing_tx);
        incoming_tx.write_all(b"question\n").await.unwrap();
        let mut line = String::new();
        stream.read_line(&mut line).await.unwrap();
        assert_eq!(line, "question\n");
        stream.write_all(b"answer").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut reply = Vec::new();
        outgoing_rx.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"answer", "the writer was shut down, not the reader");
        incoming_tx.write_all(b"still open").await.unwrap();
        let mut more = [0; 10];
        stream.read_exact(&mut more).await.unwrap();
        assert_eq!(&more, b"still open");
    });
}

#[test]
fn halves_of_two_streams_joined_can_be_proxied_as_one() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut client, front) = duplex(64);
        let (left, mut left_peer) = duplex(64);
        let (right, mut right_peer) = duplex(64);
        // Reads come from `left`, writes go to `right`.
        let (left_read, _left_write) = split(left);
        let (_right_read, right_write) = split(right);
        let proxy = mirage::spawn(async move {
            let mut front = front;
            let mut back = join(left_read, right_write);
            copy_bidirectional(&mut front, &mut back).await
        });
        client.write_all(b"to the right").await.unwrap();
        client.shutdown().await.unwrap();
        let mut got = [0; 12];
        right_peer.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"to the right");
        left_peer.write_all(b"from the left").await.unwrap();
        left_peer.shutdown().await.unwrap();
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"from the left");
        assert_eq!(proxy.await.unwrap().unwrap(), (12, 13));
    });
}
