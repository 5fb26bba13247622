//! `std::io::Cursor` as an in-memory stream: reads, buffered reads and writes at its
//! position, each checked against what `std::io`'s own impls do with the same cursor.

use std::io::{self, Cursor, IoSlice};

use mirage::Core;
use mirage::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

fn run<F: std::future::Future>(future: F) -> F::Output {
    Core::new().unwrap().run(future)
}

#[test]
fn reads_advance_the_position_as_std_reads_do() {
    let data = b"0123456789".to_vec();
    let (mut ours, mut theirs) = (Cursor::new(data.clone()), Cursor::new(data));
    for size in [3, 0, 4, 10, 1] {
        let (mut a, mut b) = (vec![0; size], vec![0; size]);
        let n = run(ours.read(&mut a)).unwrap();
        assert_eq!(n, io::Read::read(&mut theirs, &mut b).unwrap());
        assert_eq!((a, ours.position()), (b, theirs.position()));
    }
    assert_eq!(ours.position(), 10);
}

#[test]
fn a_position_past_the_end_reads_nothing() {
    let mut cursor = Cursor::new(&b"abc"[..]);
    cursor.set_position(10);
    let mut buf = [0u8; 4];
    assert_eq!(run(cursor.read(&mut buf)).unwrap(), 0);
    assert_eq!(run(cursor.fill_buf()).unwrap(), b"");
    assert_eq!(cursor.position(), 10, "an empty read leaves the position");
}

#[test]
fn buffered_reads_see_the_rest_and_consume_advances() {
    let text = "one\ntwo\n\nthree";
    let mut cursor = Cursor::new(text);
    let mut lines = Vec::new();
    run(async {
        let mut lines_of = (&mut cursor).lines();
        while let Some(line) = lines_of.next_line().await.unwrap() {
            lines.push(line);
        }
    });
    let std_lines: Vec<String> = io::BufRead::lines(Cursor::new(text))
        .map(Result::unwrap)
        .collect();
    assert_eq!(lines, std_lines);
    assert_eq!(cursor.position(), text.len() as u64);

    let mut cursor = Cursor::new(vec![1u8, 2, 3, 4]);
    cursor.set_position(1);
    assert_eq!(run(cursor.fill_buf()).unwrap(), [2, 3, 4]);
    std::pin::Pin::new(&mut cursor).consume(2);
    assert_eq!(cursor.position(), 3);
    let mut rest = Vec::new();
    run(cursor.read_to_end(&mut rest)).unwrap();
    assert_eq!(rest, [4]);
}

#[test]
fn consuming_more_than_is_buffered_stops_at_the_end_as_the_trait_says() {
    // `AsyncBufRead::consume` clamps `amt` to what `poll_fill_buf` returned, as the
    // `&[u8]` and `BufReader` impls do: the position stays at the end of the data, so
    // that a write after it does not leave a gap of zeros.
    let mut cursor = Cursor::new(b"abc".to_vec());
    cursor.set_position(1);
    assert_eq!(run(cursor.fill_buf()).unwrap(), b"bc");
    std::pin::Pin::new(&mut cursor).consume(10);
    assert_eq!(cursor.position(), 3);
    run(cursor.write_all(b"d")).unwrap();
    assert_eq!(cursor.get_ref(), b"abcd");
}

/// Writes `parts` at `start` through mirage and through std into copies of `cursor`, and
/// checks that both give the same counts, buffer and position.
fn write_like_std<T>(cursor: Cursor<T>, start: u64, parts: &[&[u8]]) -> Cursor<T>
where
    T: Clone + Unpin + PartialEq + std::fmt::Debug,
    Cursor<T>: io::Write,
{
    let (mut ours, mut theirs) = (cursor.clone(), cursor);
    ours.set_position(start);
    theirs.set_position(start);
    for part in parts {
        let n = run(ours.write(part)).unwrap();
        assert_eq!(n, io::Write::write(&mut theirs, part).unwrap());
    }
    run(ours.flush()).unwrap();
    run(ours.shutdown()).unwrap();
    assert_eq!(ours.get_ref(), theirs.get_ref());
    assert_eq!(ours.position(), theirs.position());
    ours
}

#[test]
fn a_growing_cursor_overwrites_then_extends() {
    let written = write_like_std(Cursor::new(b"hello".to_vec()), 3, &[b"p", b" me!"]);
    assert_eq!(written.get_ref(), b"help me!");

    // Past the end, a `Vec` is padded with zeros up to the position.
    let written = write_like_std(Cursor::new(Vec::new()), 2, &[b"x"]);
    assert_eq!(written.get_ref(), &[0, 0, b'x']);

    let mut vec = b"ab".to_vec();
    let mut by_ref = Cursor::new(&mut vec);
    by_ref.set_position(1);
    run(by_ref.write_all(b"BC")).unwrap();
    assert_eq!(vec, b"aBC");
}

#[test]
fn a_fixed_cursor_writes_what_fits_then_fails_write_all_with_write_zero() {
    let written = write_like_std(Cursor::new(Box::from(*b"....")), 1, &[b"abcdef", b"g"]);
    assert_eq!(&written.get_ref()[..], b".abc");

    let mut buf = [0u8; 3];
    let mut slice = Cursor::new(&mut buf[..]);
    let error = run(slice.write_all(b"four")).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::WriteZero);
    assert_eq!(slice.position(), 3);
    assert_eq!(&buf, b"fou");

    let written = write_like_std(Cursor::new([0u8; 2]), 0, &[b"xyz"]);
    assert_eq!(written.get_ref(), b"xy");
}

#[test]
fn vectored_writes_go_at_the_position() {
    let mut cursor = Cursor::new(vec![b'-'; 6]);
    cursor.set_position(1);
    let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")];
    let n = run(std::future::poll_fn(|cx| {
        std::pin::Pin::new(&mut cursor).poll_write_vectored(cx, &bufs)
    }))
    .unwrap();
    assert_eq!(n, 4);
    assert_eq!(cursor.get_ref(), b"-abcd-");
}
