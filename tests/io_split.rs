//! `mirage::io::split`: a stream's halves in two tasks, and back together.

mod panic_site;

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use mirage::Core;
use mirage::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
    WriteHalf, copy, duplex, split,
};

#[test]
fn a_pending_read_and_a_pending_write_in_two_tasks_are_both_woken() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, mut theirs) = duplex(4);
        let (mut reader, mut writer) = split(ours);
        let reading = mirage::spawn(async move {
            let mut got = [0; 2];
            reader.read_exact(&mut got).await.unwrap();
            got
        });
        let writing = mirage::spawn(async move {
            writer.write_all(b"abcdefgh").await.unwrap(); // 4 fit: waits for room
        });
        for _ in 0..3 {
            mirage::yield_now().await;
        }
        assert!(!reading.is_finished(), "nothing to read yet");
        assert!(!writing.is_finished(), "no room for the rest yet");
        let mut request = [0; 8];
        theirs.read_exact(&mut request).await.unwrap();
        assert_eq!(&request, b"abcdefgh");
        writing.await.unwrap();
        assert!(!reading.is_finished(), "still nothing to read");
        theirs.write_all(b"xy").await.unwrap();
        assert_eq!(&reading.await.unwrap(), b"xy");
    });
}

#[test]
fn halves_in_two_tasks_carry_a_large_exchange_through_small_pipes() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, theirs) = duplex(16);
        // The peer echoes, from its own pair of halves.
        mirage::spawn(async move {
            let (mut their_reader, mut their_writer) = split(theirs);
            copy(&mut their_reader, &mut their_writer).await.unwrap();
            their_writer.close().await.unwrap();
        });
        let (mut reader, mut writer) = split(ours);
        let data: Vec<u8> = (0..64 * 1024).map(|i: u32| (i * 13 % 251) as u8).collect();
        let sent = data.clone();
        let writing = mirage::spawn(async move {
            writer.write_all(&sent).await.unwrap();
            writer.close().await.unwrap();
            writer
        });
        let reading = mirage::spawn(async move {
            let mut echoed = Vec::new();
            reader.read_to_end(&mut echoed).await.unwrap();
            (reader, echoed)
        });
        let (reader, echoed) = reading.await.unwrap();
        assert!(echoed == data, "every byte came back, in order");
        let writer = writing.await.unwrap();
        assert!(reader.is_pair_of(&writer));
    });
}

#[test]
fn unsplit_gives_back_the_stream_that_was_split() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (ours, mut theirs) = duplex(64);
        theirs.write_all(b"first\nsecond\n").await.unwrap();
        let (mut reader, writer) = split(BufReader::new(ours));
        let mut byte = [0; 1];
        reader.read_exact(&mut byte).await.unwrap();
        let mut ours = reader.unsplit(writer);
        assert_eq!(
            ours.buffer(),
            b"irst\nsecond\n",
            "the same BufReader, its buffer intact"
        );
        let mut line = String::new();
        ours.read_line(&mut line).await.unwrap();
        assert_eq!(line, "irst\n");
    });
}

#[test]
#[should_panic(expected = "ReadHalf::unsplit: the WriteHalf was split from a different stream")]
fn unsplit_of_halves_of_two_streams_panics_with_a_clear_message() {
    let (a, b) = duplex(16);
    let (a_reader, _a_writer) = split(a);
    let (_b_reader, b_writer) = split(b);
    let _ = a_reader.unsplit(b_writer);
}

#[test]
fn unsplit_of_halves_of_two_streams_panics_at_the_caller_s_line() {
    let (a, b) = duplex(16);
    let (a_reader, _a_writer) = split(a);
    let (_b_reader, b_writer) = split(b);
    let location = panic_site::panic_location(move || drop(a_reader.unsplit(b_writer)));
    assert_eq!(location, file!());
}

#[test]
fn debug_shows_the_stream() {
    let (a, _b) = duplex(16);
    let (reader, writer) = split(a);
    let shown = format!("{reader:?} {writer:?}");
    assert!(
        shown.starts_with("ReadHalf { stream: DuplexStream {"),
        "{shown}"
    );
    assert!(
        shown.contains("WriteHalf { stream: DuplexStream {"),
        "{shown}"
    );
}

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

thread_local! {
    /// The write half the re-entrant waker below writes to, and what its write returned.
    static WRITER: RefCell<Option<(WriteHalf<DuplexStream>, Arc<Flag>)>> =
        const { RefCell::new(None) };
    static REENTRANT_WRITE: RefCell<Option<Poll<io::Result<usize>>>> =
        const { RefCell::new(None) };
}

/// A waker that, when woken, writes to the write half in `WRITER` at once.
struct WritesWhenWoken;

impl Wake for WritesWhenWoken {
    fn wake(self: Arc<Self>) {
        WRITER.with(|writer| {
            if let Some((writer, flag)) = writer.borrow_mut().as_mut() {
                let waker = Waker::from(flag.clone());
                let poll = Pin::new(writer).poll_write(&mut Context::from_waker(&waker), b"x");
                REENTRANT_WRITE.with(|result| *result.borrow_mut() = Some(poll));
            }
        });
    }
}

/// A read of the read half wakes a waker that writes to the write half at once, while the
/// read is still in the stream: the write waits, instead of panicking on a busy stream,
/// and its task is woken once the stream is free.
#[test]
fn a_half_used_from_a_waker_the_other_half_wakes_waits_and_is_woken() {
    let (ours, mut theirs) = duplex(1);
    let (mut reader, writer) = split(ours);
    let noop = Waker::noop();
    let mut cx = Context::from_waker(noop);
    assert!(matches!(
        Pin::new(&mut theirs).poll_write(&mut cx, b"1"),
        Poll::Ready(Ok(1))
    ));
    // Full: the peer's next write waits, with the re-entrant waker.
    let reentrant = Waker::from(Arc::new(WritesWhenWoken));
    assert!(
        Pin::new(&mut theirs)
            .poll_write(&mut Context::from_waker(&reentrant), b"2")
            .is_pending()
    );
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    WRITER.with(|slot| *slot.borrow_mut() = Some((writer, flag.clone())));
    // Reading makes room in the peer's direction and wakes its writer, from inside the read.
    let mut byte = [0; 1];
    assert!(matches!(
        Pin::new(&mut reader).poll_read(&mut cx, &mut byte),
        Poll::Ready(Ok(1))
    ));
    let reentrant_write = REENTRANT_WRITE.with(|result| result.borrow_mut().take());
    assert!(
        matches!(reentrant_write, Some(Poll::Pending)),
        "the write from inside the read waits: {reentrant_write:?}"
    );
    assert!(
        flag.0.load(Ordering::SeqCst),
        "and is woken once the read is done"
    );
    let (mut writer, _) = WRITER.with(|slot| slot.borrow_mut().take()).unwrap();
    assert!(matches!(
        Pin::new(&mut writer).poll_write(&mut cx, b"x"),
        Poll::Ready(Ok(1))
    ));
    assert!(matches!(
        Pin::new(&mut theirs).poll_read(&mut cx, &mut byte),
        Poll::Ready(Ok(1))
    ));
    assert_eq!(&byte, b"x");
}

/// A stream that logs the calls into it, and wakes the task during each write.
struct Probe {
    log: Rc<RefCell<Vec<&'static str>>>,
}

impl AsyncRead for Probe {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.log.borrow_mut().push("read");
        Poll::Ready(Ok(0))
    }

    fn start_read(self: Pin<&mut Self>) {
        self.log.borrow_mut().push("start_read");
    }
}

impl AsyncWrite for Probe {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.log.borrow_mut().push("write");
        cx.waker().wake_by_ref();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn start_write(self: Pin<&mut Self>) {
        self.log.borrow_mut().push("start_write");
    }
}

thread_local! {
    static PROBE_READER: RefCell<Option<mirage::io::ReadHalf<Probe>>> = const { RefCell::new(None) };
}

/// A waker that, when woken, starts a read on the read half in `PROBE_READER`.
struct StartsReadWhenWoken;

impl Wake for StartsReadWhenWoken {
    fn wake(self: Arc<Self>) {
        PROBE_READER.with(|reader| {
            if let Some(reader) = reader.borrow_mut().as_mut() {
                Pin::new(reader).start_read();
            }
        });
    }
}

#[test]
fn a_start_made_while_the_other_half_is_in_the_stream_reaches_it_before_the_next_poll() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let (mut reader, mut writer) = split(Probe { log: log.clone() });
    let noop = Waker::noop();
    let mut cx = Context::from_waker(noop);
    Pin::new(&mut reader).start_read();
    Pin::new(&mut writer).start_write();
    assert_eq!(*log.borrow(), ["start_read", "start_write"], "made at once");
    log.borrow_mut().clear();

    PROBE_READER.with(|slot| *slot.borrow_mut() = Some(reader));
    let waker = Waker::from(Arc::new(StartsReadWhenWoken));
    assert!(
        Pin::new(&mut writer)
            .poll_write(&mut Context::from_waker(&waker), b"x")
            .is_ready()
    );
    assert_eq!(*log.borrow(), ["write"], "the stream was busy: deferred");
    let mut reader = PROBE_READER.with(|slot| slot.borrow_mut().take()).unwrap();
    assert!(
        Pin::new(&mut reader)
            .poll_read(&mut cx, &mut [0; 4])
            .is_ready()
    );
    assert_eq!(*log.borrow(), ["write", "start_read", "read"]);
}

/// A stream whose write wakes the task, then panics: a bug in a stream of someone else's.
struct PanicsInWrite;

impl AsyncRead for PanicsInWrite {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
}

impl AsyncWrite for PanicsInWrite {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        cx.waker().wake_by_ref();
        panic!("the stream's write failed");
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

thread_local! {
    /// The read half the waker below reads from, with the flag of the read's own waker.
    static PANIC_READER: RefCell<Option<(mirage::io::ReadHalf<PanicsInWrite>, Arc<Flag>)>> =
        const { RefCell::new(None) };
}

/// A waker that, when woken, polls a read on the read half in `PANIC_READER` at once.
struct ReadsWhenWoken;

impl Wake for ReadsWhenWoken {
    fn wake(self: Arc<Self>) {
        PANIC_READER.with(|slot| {
            if let Some((reader, flag)) = slot.borrow_mut().as_mut() {
                let waker = Waker::from(flag.clone());
                let mut buf = [0; 1];
                let poll = Pin::new(reader).poll_read(&mut Context::from_waker(&waker), &mut buf);
                assert!(poll.is_pending(), "the stream is busy with the write");
            }
        });
    }
}

/// A read that had to wait while the other half was in the stream is woken even when the
/// stream panics in that call: the other half's task is never left asleep.
#[test]
fn a_waiting_half_is_woken_when_the_stream_panics_under_the_other() {
    let (reader, mut writer) = split(PanicsInWrite);
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    PANIC_READER.with(|slot| *slot.borrow_mut() = Some((reader, flag.clone())));
    let reentrant = Waker::from(Arc::new(ReadsWhenWoken));
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = Pin::new(&mut writer).poll_write(&mut Context::from_waker(&reentrant), b"x");
    }));
    assert!(panicked.is_err());
    assert!(
        flag.0.load(Ordering::SeqCst),
        "the read that waited is woken"
    );
    PANIC_READER.with(|slot| slot.borrow_mut().take());
}
