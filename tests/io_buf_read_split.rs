//! `AsyncBufReadExt::{fill_buf, consume, split}`: as `std::io::BufRead`'s, and
//! `Split::next_segment` cancel-safe.

use std::future::{Future, poll_fn};
use std::io::{BufRead, ErrorKind};
use std::pin::pin;
use std::task::Poll;

use mirage::Core;
use mirage::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, duplex};

/// Polls `future` once and drops it; true if it was pending.
async fn poll_once_and_drop(future: impl Future) -> bool {
    let mut future = pin!(future);
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_pending())).await
}

#[test]
fn fill_buf_and_consume_walk_the_buffer_as_std_does() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let data: Vec<u8> = (0..=255).collect();
        let mut ours = BufReader::with_capacity(10, &data[..]);
        let mut theirs = std::io::BufReader::with_capacity(10, &data[..]);
        for step in [0, 3, 7, 10, 1, 9, 15] {
            let buffered = ours.fill_buf().await.unwrap().to_vec();
            assert_eq!(buffered, BufRead::fill_buf(&mut theirs).unwrap());
            AsyncBufReadExt::consume(&mut ours, step);
            BufRead::consume(&mut theirs, step.min(buffered.len()));
        }
        let mut end = &b""[..];
        let at_end = AsyncBufReadExt::fill_buf(&mut end).await.unwrap();
        assert!(at_end.is_empty(), "end of stream");
    });
}

#[test]
fn fill_buf_waits_for_data_and_dropping_it_consumes_nothing() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut writer, reader) = duplex(64);
        let mut reader = BufReader::new(reader);
        assert!(poll_once_and_drop(reader.fill_buf()).await, "nothing yet");
        writer.write_all(b"late").await.unwrap();
        assert_eq!(reader.fill_buf().await.unwrap(), b"late");
        assert_eq!(
            reader.fill_buf().await.unwrap(),
            b"late",
            "nothing consumed"
        );
        reader.consume(4);
        writer.close().await.unwrap();
        assert!(reader.fill_buf().await.unwrap().is_empty());
    });
}

#[test]
fn split_yields_the_segments_std_split_does() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let inputs: [&[u8]; 9] = [
            b"",
            b",",
            b",,",
            b"a",
            b"a,",
            b",a",
            b"a,,b",
            b"one,two,three",
            b"no delimiter here but a long run of bytes",
        ];
        for input in inputs {
            for capacity in [1, 2, 3, 64] {
                let theirs: Vec<Vec<u8>> = std::io::BufReader::with_capacity(capacity, input)
                    .split(b',')
                    .map(Result::unwrap)
                    .collect();
                let mut split =
                    AsyncBufReadExt::split(BufReader::with_capacity(capacity, input), b',');
                let mut ours = Vec::new();
                while let Some(segment) = split.next_segment().await.unwrap() {
                    ours.push(segment);
                }
                assert_eq!(
                    ours,
                    theirs,
                    "{:?} through {capacity}",
                    String::from_utf8_lossy(input)
                );
                assert_eq!(split.next_segment().await.unwrap(), None, "and stays ended");
            }
        }
    });
}

#[test]
fn a_cancelled_next_segment_loses_nothing() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut writer, reader) = duplex(64);
        let mut split = BufReader::with_capacity(4, reader).split(b';');
        for part in [&b"ab"[..], b"cdef", b"gh"] {
            writer.write_all(part).await.unwrap();
            assert!(
                poll_once_and_drop(split.next_segment()).await,
                "no delimiter yet"
            );
        }
        writer.write_all(b";ij;k").await.unwrap();
        writer.close().await.unwrap();
        assert_eq!(split.next_segment().await.unwrap().unwrap(), b"abcdefgh");
        assert_eq!(split.next_segment().await.unwrap().unwrap(), b"ij");
        assert_eq!(split.next_segment().await.unwrap().unwrap(), b"k");
        assert_eq!(split.next_segment().await.unwrap(), None);
    });
}

#[test]
fn a_segment_over_max_len_fails_and_its_rest_is_skipped() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let input = &b"12345|123456|1234567890123|ok|123456"[..];
        for capacity in [1, 4, 64] {
            let mut split = BufReader::with_capacity(capacity, input)
                .split(b'|')
                .max_len(5);
            assert_eq!(split.next_segment().await.unwrap().unwrap(), b"12345");
            for _ in 0..2 {
                let err = split.next_segment().await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidData);
                assert!(err.to_string().contains("limit of 5 bytes"), "{err}");
            }
            assert_eq!(split.next_segment().await.unwrap().unwrap(), b"ok");
            assert!(
                split.next_segment().await.is_err(),
                "the last one, unterminated"
            );
            assert_eq!(
                split.next_segment().await.unwrap(),
                None,
                "through {capacity}"
            );
        }
    });
}

#[test]
fn a_long_segment_fails_before_it_ends_without_buffering_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut writer, reader) = duplex(64);
        let mut split = BufReader::with_capacity(8, reader).split(b'\n').max_len(10);
        writer.write_all(b"0123456789A").await.unwrap();
        // The delimiter has not come, and will not for a while: the error comes now.
        let err = split.next_segment().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        let skipping = poll_once_and_drop(split.next_segment()).await;
        assert!(skipping, "skipping the rest, waiting for its delimiter");
        writer.write_all(b"more of it\nnext\n").await.unwrap();
        assert_eq!(split.next_segment().await.unwrap().unwrap(), b"next");
    });
}
