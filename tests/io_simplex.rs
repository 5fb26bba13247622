//! `mirage::io::simplex` and `SimplexStream`: a one-way in-memory stream.

mod panic_site;

use std::future::{Future, poll_fn};
use std::io::ErrorKind;
use std::pin::pin;
use std::task::Poll;

use mirage::Core;
use mirage::io::{AsyncReadExt, AsyncWriteExt, SimplexStream, simplex};

/// Polls `future` once and drops it; true if it was pending.
async fn poll_once_and_drop(future: impl Future) -> bool {
    let mut future = pin!(future);
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_pending())).await
}

#[test]
fn a_megabyte_crosses_a_64_byte_simplex_intact_with_back_pressure() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut reader, mut writer) = simplex(64);
        let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
        let sent = data.clone();
        let sending = mirage::spawn(async move {
            let mut most = 0;
            let mut rest = &sent[..];
            while !rest.is_empty() {
                let n = writer.write(rest).await.unwrap();
                most = most.max(n);
                rest = &rest[n..];
            }
            writer.shutdown().await.unwrap();
            most
        });
        let mut received = Vec::new();
        reader.read_to_end(&mut received).await.unwrap();
        assert!(received == data, "bytes arrived in order, none lost");
        assert!(
            sending.await.unwrap() <= 64,
            "a write never buffers past the limit"
        );
    });
}

#[test]
fn the_reader_waits_for_bytes_until_the_writer_shuts_down() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut reader, mut writer) = simplex(16);
        assert!(
            poll_once_and_drop(reader.read(&mut [0; 4])).await,
            "nothing yet"
        );
        writer.write_all(b"abc").await.unwrap();
        let mut buf = [0; 4];
        assert_eq!(reader.read(&mut buf).await.unwrap(), 3);
        assert!(
            poll_once_and_drop(reader.read(&mut buf)).await,
            "open, and empty"
        );
        writer.write_all(b"de").await.unwrap();
        writer.shutdown().await.unwrap();
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"de", "the bytes before the end are read first");
        let err = writer.write(b"late").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        assert!(err.to_string().contains("simplex stream"), "{err}");
    });
}

#[test]
fn a_full_stream_takes_part_of_a_write_and_waits_for_the_reader() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut stream = SimplexStream::new_unsplit(4);
        assert_eq!(stream.write(b"abcdef").await.unwrap(), 4);
        assert!(poll_once_and_drop(stream.write(b"ef")).await, "full");
        assert_eq!(format!("{stream:?}"), "SimplexStream { buffered: 4 }");
        let mut buf = [0; 3];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abc");
        assert_eq!(stream.write(b"ef").await.unwrap(), 2);
        stream.shutdown().await.unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"def");
    });
}

#[test]
fn the_halves_put_back_together_are_one_stream() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (reader, writer) = simplex(8);
        assert!(reader.is_pair_of(&writer));
        let mut stream = reader.unsplit(writer);
        stream.write_all(b"round").await.unwrap();
        let mut buf = [0; 5];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"round");
    });
}

#[test]
#[should_panic(expected = "max_buf_size must be greater than zero")]
fn a_zero_size_panics() {
    let _ = simplex(0);
}

#[test]
fn a_zero_size_panics_at_the_caller_s_line() {
    assert_eq!(panic_site::panic_location(|| drop(simplex(0))), file!());
    let unsplit = || drop(SimplexStream::new_unsplit(0));
    assert_eq!(panic_site::panic_location(unsplit), file!());
}

#[test]
fn an_unsplit_simplex_stream_is_send_as_its_doc_says() {
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&SimplexStream::new_unsplit(8));
}
