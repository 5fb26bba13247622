//! `AsyncSeek` and `AsyncSeekExt`: `Cursor` moves as `std::io::Seek` moves it, and the
//! buffered wrappers seek relative to what their user read or wrote, checked against
//! `std::io::BufReader` and against a seeker that takes a poll to move.

use std::future::Future;
use std::io::{self, Cursor, SeekFrom};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use mirage::Core;
use mirage::io::{
    AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite, AsyncWriteExt, BufReader,
    BufStream, BufWriter,
};

fn run<F: Future>(future: F) -> F::Output {
    Core::new().unwrap().run(future)
}

const DIGITS: &[u8] = b"0123456789abcdefghij";

/// A cursor whose moves take one extra poll each, and which refuses a second move while
/// one is under way: a wrapper that forgets to finish a move before the next shows up as
/// an error of kind `Other`. Its writes fail with `BrokenPipe` while `failing_writes`, and
/// the next `pending_writes` writes each take one extra poll.
struct SlowSeeker {
    cursor: Cursor<Vec<u8>>,
    under_way: Option<SeekFrom>,
    waited: bool,
    moves: usize,
    failing_writes: bool,
    pending_writes: usize,
}

impl SlowSeeker {
    fn new(bytes: &[u8]) -> SlowSeeker {
        SlowSeeker {
            cursor: Cursor::new(bytes.to_vec()),
            under_way: None,
            waited: false,
            moves: 0,
            failing_writes: false,
            pending_writes: 0,
        }
    }
}

impl AsyncRead for SlowSeeker {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        assert!(self.under_way.is_none(), "read while a move is under way");
        Pin::new(&mut self.get_mut().cursor).poll_read(cx, buf)
    }
}

impl AsyncWrite for SlowSeeker {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        assert!(this.under_way.is_none(), "write while a move is under way");
        if this.failing_writes {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if this.pending_writes > 0 {
            this.pending_writes -= 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Pin::new(&mut this.cursor).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for SlowSeeker {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        if this.under_way.is_some() {
            return Err(io::Error::other("a move is under way"));
        }
        this.under_way = Some(position);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        let Some(position) = this.under_way else {
            return Poll::Ready(Ok(this.cursor.position()));
        };
        if !this.waited {
            this.waited = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.waited = false;
        this.under_way = None;
        this.moves += 1;
        Poll::Ready(io::Seek::seek(&mut this.cursor, position))
    }
}

#[test]
fn a_cursor_moves_as_std_moves_it() {
    let (mut ours, mut theirs) = (Cursor::new(DIGITS), Cursor::new(DIGITS));
    let moves = [
        SeekFrom::Start(5),
        SeekFrom::Current(3),
        SeekFrom::Current(-8),
        SeekFrom::Current(-1),
        SeekFrom::End(-4),
        SeekFrom::End(6),
        SeekFrom::Start(u64::MAX),
        SeekFrom::Current(1),
        SeekFrom::Start(0),
        SeekFrom::Current(i64::MIN),
    ];
    for position in moves {
        let got = run(ours.seek(position));
        let want = io::Seek::seek(&mut theirs, position);
        match (got, want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{position:?}"),
            (Err(got), Err(want)) => assert_eq!(got.kind(), want.kind(), "{position:?}"),
            (got, want) => panic!("{position:?}: {got:?}, std gives {want:?}"),
        }
        assert_eq!(ours.position(), theirs.position(), "{position:?}");
    }
    assert_eq!(run(ours.rewind()).unwrap(), 0);
    run(ours.read_exact(&mut [0; 7])).unwrap();
    assert_eq!(run(ours.stream_position()).unwrap(), 7);
}

#[test]
fn the_pointer_impls_forward() {
    async fn end<S: AsyncSeek + Unpin>(mut seeker: S) -> u64 {
        seeker.seek(SeekFrom::End(0)).await.unwrap()
    }
    let mut cursor = Cursor::new(DIGITS);
    assert_eq!(run(end(&mut cursor)), 20);
    assert_eq!(run(end(Box::new(Cursor::new(DIGITS)))), 20);
    assert_eq!(run(end(Box::pin(SlowSeeker::new(DIGITS)))), 20);
    let boxed: Box<dyn AsyncSeek + Unpin> = Box::new(Cursor::new(DIGITS));
    assert_eq!(run(end(boxed)), 20);
}

/// Reads and seeks a `BufReader` of a small capacity and std's over the same bytes, step
/// by step, comparing every position and every byte read.
#[test]
fn a_buf_reader_seeks_from_what_was_read_as_std_s_does() {
    let steps: &[(usize, SeekFrom)] = &[
        (1, SeekFrom::Current(0)),
        (2, SeekFrom::Current(1)),
        (1, SeekFrom::Current(-3)),
        (3, SeekFrom::Current(4)),
        (5, SeekFrom::Start(2)),
        (0, SeekFrom::End(-3)),
        (2, SeekFrom::Current(-10)),
        (7, SeekFrom::Current(-30)), // fails: before the start
        (1, SeekFrom::End(5)),
    ];
    for capacity in [1, 3, 4, 64] {
        let mut ours = BufReader::with_capacity(capacity, Cursor::new(DIGITS));
        let mut theirs = io::BufReader::with_capacity(capacity, Cursor::new(DIGITS));
        for &(read, position) in steps {
            let (mut a, mut b) = (vec![0; read], vec![0; read]);
            let n = run(ours.read(&mut a)).unwrap();
            assert_eq!(n, io::Read::read(&mut theirs, &mut b).unwrap());
            assert_eq!(a, b, "capacity {capacity}, before {position:?}");
            let got = run(ours.seek(position));
            let want = io::Seek::seek(&mut theirs, position);
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{capacity}: {position:?}"),
                (Err(got), Err(want)) => assert_eq!(got.kind(), want.kind()),
                (got, want) => panic!("{capacity}: {position:?}: {got:?}, std: {want:?}"),
            }
            // `Current(0)`, not std's `stream_position`, which keeps the buffer: both
            // sides then read from an empty buffer, so each read returns as many bytes.
            let here = io::Seek::seek(&mut theirs, SeekFrom::Current(0)).unwrap();
            assert_eq!(run(ours.stream_position()).unwrap(), here, "{capacity}");
        }
    }
}

#[test]
fn a_failed_buf_reader_seek_keeps_the_buffer_and_the_position() {
    let mut reader = BufReader::new(Cursor::new(DIGITS));
    run(reader.read_exact(&mut [0; 2])).unwrap();
    assert_eq!(reader.buffer(), &DIGITS[2..]);
    let error = run(reader.seek(SeekFrom::Current(-5))).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(
        reader.buffer(),
        &DIGITS[2..],
        "nothing moved, nothing dropped"
    );
    let mut next = [0; 2];
    run(reader.read_exact(&mut next)).unwrap();
    assert_eq!(&next, b"23");
}

#[test]
fn every_buf_reader_seek_empties_the_buffer() {
    let mut reader = BufReader::new(Cursor::new(DIGITS));
    run(reader.read_exact(&mut [0; 2])).unwrap();
    assert_eq!(run(reader.seek(SeekFrom::Current(1))).unwrap(), 3);
    assert!(reader.buffer().is_empty());
    assert_eq!(
        reader.get_ref().position(),
        3,
        "into_inner gives the sought position"
    );
}

/// `SeekFrom::Current(i64::MIN)` less the buffered bytes overflows: the reader moves back
/// over them, then fails the second move, leaving the position at what was read.
#[test]
fn an_overflowing_current_seek_moves_twice_and_keeps_the_read_position() {
    let mut reader = BufReader::with_capacity(8, SlowSeeker::new(DIGITS));
    run(reader.read_exact(&mut [0; 3])).unwrap();
    assert_eq!(reader.buffer().len(), 5);
    let error = run(reader.seek(SeekFrom::Current(i64::MIN))).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(
        reader.get_ref().moves,
        2,
        "back over the buffer, then the failed one"
    );
    assert!(reader.buffer().is_empty());
    assert_eq!(run(reader.stream_position()).unwrap(), 3);
    let mut next = [0; 2];
    run(reader.read_exact(&mut next)).unwrap();
    assert_eq!(&next, b"34");
}

#[test]
fn a_buf_reader_waits_for_a_slow_move() {
    let mut reader = BufReader::with_capacity(4, SlowSeeker::new(DIGITS));
    run(reader.read_exact(&mut [0; 1])).unwrap();
    assert_eq!(run(reader.seek(SeekFrom::Current(5))).unwrap(), 6);
    assert_eq!(run(reader.seek(SeekFrom::End(-2))).unwrap(), 18);
    let mut rest = Vec::new();
    run(reader.read_to_end(&mut rest)).unwrap();
    assert_eq!(rest, b"ij");
}

/// A seek dropped while its move is under way leaves the move to the next seek, which
/// finishes it before submitting its own (the seeker would refuse a second one).
#[test]
fn a_dropped_seek_s_move_is_finished_by_the_next() {
    for relative in [false, true] {
        let mut reader = BufReader::with_capacity(4, SlowSeeker::new(DIGITS));
        run(reader.read_exact(&mut [0; 1])).unwrap();
        {
            let mut seek = pin!(reader.seek(SeekFrom::Start(10)));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(seek.as_mut().poll(&mut cx).is_pending());
        }
        assert!(reader.get_ref().under_way.is_some());
        let next = if relative {
            // From the dropped seek's target, which the buffer no longer hides.
            (SeekFrom::Current(2), 12)
        } else {
            (SeekFrom::Start(3), 3)
        };
        assert_eq!(run(reader.seek(next.0)).unwrap(), next.1);
        assert_eq!(reader.get_ref().moves, 2);
    }
}

/// A read after a seek dropped while its move was under way (a losing `select!` branch)
/// finishes the move first, as the next seek does: it reads from the seek's target, not
/// the bytes buffered before the seek followed by the target's, from neither position.
#[test]
fn a_read_after_a_dropped_seek_finishes_its_move_first() {
    for read_directly in [false, true] {
        let mut reader = BufReader::with_capacity(4, SlowSeeker::new(DIGITS));
        run(reader.read_exact(&mut [0; 1])).unwrap();
        {
            let mut seek = pin!(reader.seek(SeekFrom::Start(10)));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(seek.as_mut().poll(&mut cx).is_pending());
        }
        // A read larger than the buffer would go to the reader inside, past the buffer.
        let mut read = vec![0; if read_directly { 8 } else { 5 }];
        run(reader.read_exact(&mut read)).unwrap();
        assert_eq!(read, &DIGITS[10..10 + read.len()]);
        assert_eq!(reader.get_ref().moves, 1);
    }
}

#[test]
fn a_buf_writer_writes_out_its_buffer_before_it_moves() {
    let mut writer = BufWriter::with_capacity(16, SlowSeeker::new(b""));
    run(writer.write_all(b"hello")).unwrap();
    assert!(
        writer.get_ref().cursor.get_ref().is_empty(),
        "still buffered"
    );
    assert_eq!(run(writer.seek(SeekFrom::Start(1))).unwrap(), 1);
    assert!(writer.buffer().is_empty());
    run(writer.write_all(b"ip")).unwrap();
    assert_eq!(
        run(writer.stream_position()).unwrap(),
        3,
        "after writing out \"ip\""
    );
    assert_eq!(writer.get_ref().cursor.get_ref(), b"hiplo");
    assert_eq!(run(writer.seek(SeekFrom::End(2))).unwrap(), 7);
}

/// A write, flush or close after a seek dropped under way (a losing `select!` branch)
/// finishes the seek first, as the next seek does: the bytes buffered before the seek land
/// before its target, and the new ones at it. Dropped while writing out its buffer, the
/// seek would otherwise be made by the next seek, after the new bytes went to the old
/// position; dropped while moving, the writer inside would be written while it moves.
#[test]
fn a_write_after_a_dropped_seek_finishes_the_seek_first() {
    for dropped_while_moving in [false, true] {
        let mut writer = BufWriter::with_capacity(16, SlowSeeker::new(b""));
        run(writer.write_all(b"abc")).unwrap();
        if !dropped_while_moving {
            writer.get_mut().pending_writes = 1; // writing out "abc" takes a poll
        }
        {
            let mut seek = pin!(writer.seek(SeekFrom::Start(6)));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(seek.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(writer.get_ref().under_way.is_some(), dropped_while_moving);
        run(writer.write_all(b"XY")).unwrap();
        run(writer.flush()).unwrap();
        assert_eq!(
            run(writer.stream_position()).unwrap(),
            8,
            "after \"XY\", at 6"
        );
        assert_eq!(writer.get_ref().cursor.get_ref(), b"abc\0\0\0XY");
    }
}

/// A seek whose buffer could not be written out fails with the write's error and is
/// forgotten: the next seek does not make the failed one's move first.
#[test]
fn a_buf_writer_seek_that_cannot_write_out_fails_and_is_forgotten() {
    let mut writer = BufWriter::with_capacity(16, SlowSeeker::new(b""));
    run(writer.write_all(b"abc")).unwrap();
    writer.get_mut().failing_writes = true;
    let error = run(writer.seek(SeekFrom::Start(10))).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(writer.buffer(), b"abc", "kept for the next attempt");
    writer.get_mut().failing_writes = false;
    assert_eq!(run(writer.seek(SeekFrom::Current(1))).unwrap(), 4);
    assert_eq!(writer.get_ref().moves, 1, "only the second seek moved");
    assert_eq!(writer.get_ref().cursor.get_ref(), b"abc");
}

#[test]
fn a_buf_stream_writes_out_then_seeks_from_what_was_read() {
    let mut stream = BufStream::with_capacity(4, 4, Cursor::new(DIGITS.to_vec()));
    run(stream.read_exact(&mut [0; 1])).unwrap();
    assert_eq!(run(stream.seek(SeekFrom::Current(1))).unwrap(), 2);
    run(stream.write_all(b"XY")).unwrap();
    assert_eq!(run(stream.seek(SeekFrom::Current(0))).unwrap(), 4);
    assert_eq!(&stream.get_ref().get_ref()[..6], b"01XY45");
    let mut next = [0; 2];
    run(stream.read_exact(&mut next)).unwrap();
    assert_eq!(&next, b"45");
}

#[test]
fn empty_is_always_at_zero() {
    let mut nothing = mirage::io::empty();
    for position in [
        SeekFrom::Start(7),
        SeekFrom::End(-3),
        SeekFrom::Current(i64::MIN),
    ] {
        assert_eq!(run(nothing.seek(position)).unwrap(), 0);
    }
}
