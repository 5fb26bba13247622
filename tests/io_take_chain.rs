//! `AsyncReadExt::{take, chain}`: the same reads as `std::io::Take` and `std::io::Chain`.

use std::future::poll_fn;
use std::io::{BufRead, Read};
use std::pin::Pin;

use mirage::Core;
use mirage::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, duplex};

const DATA: &[u8] = b"the quick brown fox jumps over the lazy dog";

/// The sizes of the reads of `reader` with a buffer of `chunk` bytes, and the bytes read.
async fn reads_of(mut reader: impl AsyncRead + Unpin, chunk: usize) -> (Vec<usize>, Vec<u8>) {
    let (mut sizes, mut bytes) = (Vec::new(), Vec::new());
    let mut buf = vec![0; chunk];
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        sizes.push(n);
        bytes.extend_from_slice(&buf[..n]);
        if n == 0 {
            return (sizes, bytes);
        }
    }
}

/// The same for a `std` reader.
fn std_reads_of(mut reader: impl Read, chunk: usize) -> (Vec<usize>, Vec<u8>) {
    let (mut sizes, mut bytes) = (Vec::new(), Vec::new());
    let mut buf = vec![0; chunk];
    loop {
        let n = reader.read(&mut buf).unwrap();
        sizes.push(n);
        bytes.extend_from_slice(&buf[..n]);
        if n == 0 {
            return (sizes, bytes);
        }
    }
}

#[test]
fn take_reads_as_std_take_does_at_every_limit_and_buffer_size() {
    let mut core = Core::new().unwrap();
    core.run(async {
        for limit in [
            0,
            1,
            7,
            42,
            DATA.len() as u64,
            DATA.len() as u64 + 9,
            u64::MAX,
        ] {
            for chunk in [1, 3, 8, 64] {
                let ours = reads_of(AsyncReadExt::take(DATA, limit), chunk).await;
                let theirs = std_reads_of(Read::take(DATA, limit), chunk);
                assert_eq!(ours, theirs, "limit {limit}, reads of {chunk}");
            }
        }
    });
}

#[test]
fn take_leaves_the_rest_in_the_reader_and_counts_down_its_limit() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut take = AsyncReadExt::take(DATA, 10);
        take.read_exact(&mut [0; 4]).await.unwrap();
        assert_eq!(take.limit(), 6);
        let err = take.read_exact(&mut [0; 7]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        assert_eq!(take.limit(), 0);
        assert_eq!(
            take.read(&mut [0; 4]).await.unwrap(),
            0,
            "ended at the limit"
        );
        assert_eq!(*take.get_ref(), &DATA[10..], "nothing read past the limit");
        take.set_limit(6);
        let mut rest = String::new();
        take.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "brown ");
        assert_eq!(take.into_inner(), &DATA[16..]);
    });
}

#[test]
fn take_ends_at_its_limit_without_waiting_for_the_end_of_the_stream() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut writer, reader) = duplex(64);
        writer.write_all(b"abcdef").await.unwrap();
        // The writer stays open: a read past the limit would wait forever.
        let mut got = Vec::new();
        let mut take = reader.take(4);
        assert_eq!(take.read_to_end(&mut got).await.unwrap(), 4);
        assert_eq!(got, b"abcd");
        let mut reader = take.into_inner();
        let mut rest = [0; 2];
        reader.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"ef");
        drop(writer);
    });
}

#[test]
fn take_buffers_as_std_take_does() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut ours = AsyncReadExt::take(DATA, 12);
        let mut theirs = Read::take(DATA, 12);
        let buffered =
            poll_fn(|cx| Pin::new(&mut ours).poll_fill_buf(cx).map_ok(<[u8]>::to_vec)).await;
        assert_eq!(buffered.unwrap(), theirs.fill_buf().unwrap());
        Pin::new(&mut ours).consume(4);
        theirs.consume(4);
        assert_eq!(ours.limit(), theirs.limit());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        ours.read_until(b'x', &mut a).await.unwrap();
        theirs.read_until(b'x', &mut b).unwrap();
        assert_eq!(a, b, "the search stops at the limit");
        assert_eq!(a, b"quick br");
        // Consuming more than allowed is clamped to the limit.
        let mut over = AsyncReadExt::take(DATA, 3);
        Pin::new(&mut over).consume(10);
        assert_eq!(over.limit(), 0);
        assert_eq!(*over.get_ref(), &DATA[3..]);
    });
}

#[test]
fn repeat_taken_is_a_stream_of_a_given_length() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut got = Vec::new();
        let n = mirage::io::repeat(0xa5)
            .take(12_345)
            .read_to_end(&mut got)
            .await
            .unwrap();
        assert_eq!(n, 12_345);
        assert_eq!(got, vec![0xa5; 12_345]);
    });
}

#[test]
fn chain_reads_as_std_chain_does_at_every_split_and_buffer_size() {
    let mut core = Core::new().unwrap();
    core.run(async {
        for at in [0, 1, 10, DATA.len() - 1, DATA.len()] {
            let (first, second) = DATA.split_at(at);
            for chunk in [1, 3, 8, 64] {
                let ours = reads_of(AsyncReadExt::chain(first, second), chunk).await;
                let theirs = std_reads_of(Read::chain(first, second), chunk);
                assert_eq!(ours, theirs, "split at {at}, reads of {chunk}");
                assert_eq!(ours.1, DATA);
            }
        }
    });
}

#[test]
fn chain_reads_lines_across_the_seam_as_std_chain_does() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (first, second): (&[u8], &[u8]) = (b"one\ntw", b"o\nthree");
        let mut ours = AsyncReadExt::chain(first, second);
        let mut theirs = Read::chain(first, second);
        loop {
            let (mut a, mut b) = (String::new(), String::new());
            let n = ours.read_line(&mut a).await.unwrap();
            assert_eq!(n, theirs.read_line(&mut b).unwrap());
            assert_eq!(a, b);
            if n == 0 {
                break;
            }
        }
        let (first, second) = ours.into_inner();
        assert!(first.is_empty() && second.is_empty());
    });
}

#[test]
fn an_empty_read_does_not_end_the_first_reader() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut chain = AsyncReadExt::chain(&b"ab"[..], &b"cd"[..]);
        assert_eq!(chain.read(&mut []).await.unwrap(), 0);
        let mut got = [0; 4];
        chain.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"abcd", "the first reader was still read first");
    });
}

#[test]
fn chain_waits_for_the_first_stream_to_end_before_reading_the_second() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut writer, reader) = duplex(64);
        let mut chain = reader.chain(&b" and after"[..]);
        writer.write_all(b"live").await.unwrap();
        let mut got = [0; 8];
        assert_eq!(chain.read(&mut got).await.unwrap(), 4);
        assert_eq!(&got[..4], b"live");
        let reading = mirage::spawn(async move {
            let mut rest = String::new();
            chain.read_to_string(&mut rest).await.unwrap();
            rest
        });
        mirage::yield_now().await;
        writer.write_all(b" more").await.unwrap();
        writer.close().await.unwrap();
        assert_eq!(reading.await.unwrap(), " more and after");
    });
}
