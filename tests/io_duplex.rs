//! `mirage::io::duplex`: two connected in-memory streams.

mod panic_site;

use std::io::ErrorKind;

use mirage::Core;
use mirage::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, duplex};

#[test]
fn a_megabyte_crosses_a_64_byte_pipe_intact_with_back_pressure() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut writer, mut reader) = duplex(64);
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
            most
        });
        let mut received = Vec::new();
        reader.read_to_end(&mut received).await.unwrap();
        assert_eq!(received.len(), data.len());
        assert!(received == data, "bytes arrived in order, none lost");
        assert!(
            sending.await.unwrap() <= 64,
            "a write never buffers past the limit"
        );
    });
}

#[test]
fn closing_ends_the_peers_reads_and_this_ends_writes() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut a, mut b) = duplex(16);
        a.write_all(b"last words").await.unwrap();
        a.close().await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last words");
        assert_eq!(
            a.write(b"more").await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
        // The other direction still works.
        b.write_all(b"reply").await.unwrap();
        let mut reply = [0; 5];
        a.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"reply");
    });
}

#[test]
fn dropping_an_end_fails_a_waiting_writer_instead_of_hanging_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut a, b) = duplex(4);
        let writer = mirage::spawn(async move { a.write_all(b"more than four").await });
        mirage::yield_now().await; // the writer fills the pipe and waits for room
        drop(b);
        let err = writer.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    });
}

#[test]
fn generic_protocol_code_runs_over_it() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (client, server) = duplex(8);
        mirage::spawn(async move {
            let mut server = BufReader::new(server);
            let mut line = String::new();
            while server.read_line(&mut line).await.unwrap() > 0 {
                let answer = line.trim().to_uppercase() + "\n";
                server.get_mut().write_all(answer.as_bytes()).await.unwrap();
                line.clear();
            }
        });
        let mut client = BufReader::new(client);
        let mut answer = String::new();
        for word in ["hello", "duplex"] {
            client
                .get_mut()
                .write_all(format!("{word}\n").as_bytes())
                .await
                .unwrap();
            answer.clear();
            client.read_line(&mut answer).await.unwrap();
            assert_eq!(answer, word.to_uppercase() + "\n");
        }
    });
}

#[test]
#[should_panic(expected = "duplex: max_buf_size must be greater than zero")]
fn a_zero_buffer_panics_with_a_clear_message() {
    let _ = duplex(0);
}

#[test]
fn a_zero_buffer_panics_at_the_caller_s_line() {
    assert_eq!(panic_site::panic_location(|| drop(duplex(0))), file!());
}

thread_local! {
    /// The stream the re-entrant waker below writes to.
    static PEER: std::cell::RefCell<Option<std::rc::Rc<std::cell::RefCell<mirage::io::DuplexStream>>>> =
        const { std::cell::RefCell::new(None) };
}

/// A waker that, when woken, writes to the stream in `PEER` at once: code run from a wake
/// must find the stream free, not borrowed by the operation that woke it.
struct WritesWhenWoken;

impl std::task::Wake for WritesWhenWoken {
    fn wake(self: std::sync::Arc<Self>) {
        use mirage::io::AsyncWrite;
        PEER.with(|peer| {
            if let Some(stream) = peer.borrow().as_ref() {
                let noop = std::task::Waker::noop();
                let mut cx = std::task::Context::from_waker(noop);
                let _ = std::pin::Pin::new(&mut *stream.borrow_mut()).poll_write(&mut cx, b"x");
            }
        });
    }
}

#[test]
fn a_waker_that_uses_the_stream_at_once_finds_it_free() {
    use mirage::io::{AsyncRead, AsyncWrite};
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let (a, mut b) = duplex(1);
    let a = std::rc::Rc::new(std::cell::RefCell::new(a));
    let noop = Waker::noop();
    let mut cx = Context::from_waker(noop);
    assert!(matches!(
        Pin::new(&mut *a.borrow_mut()).poll_write(&mut cx, b"1"),
        Poll::Ready(Ok(1))
    ));
    // Full: this write waits, with the re-entrant waker.
    let waker = Waker::from(std::sync::Arc::new(WritesWhenWoken));
    let mut reentrant = Context::from_waker(&waker);
    assert!(
        Pin::new(&mut *a.borrow_mut())
            .poll_write(&mut reentrant, b"2")
            .is_pending()
    );
    PEER.with(|peer| *peer.borrow_mut() = Some(a.clone()));
    // Reading makes room and wakes the writer, which writes at once.
    let mut byte = [0u8; 1];
    assert!(matches!(
        Pin::new(&mut b).poll_read(&mut cx, &mut byte),
        Poll::Ready(Ok(1))
    ));
    assert!(matches!(
        Pin::new(&mut b).poll_read(&mut cx, &mut byte),
        Poll::Ready(Ok(1))
    ));
    assert_eq!(&byte, b"x", "the waker's write went through");
    PEER.with(|peer| peer.borrow_mut().take());
}

#[test]
fn a_waker_woken_by_a_spent_budget_finds_the_stream_free() {
    use mirage::io::AsyncRead;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let mut core = Core::new().unwrap();
    core.run(async {
        let (mut a, mut b) = duplex(8);
        a.write_all(b"1").await.unwrap();
        let a = std::rc::Rc::new(std::cell::RefCell::new(a));
        PEER.with(|peer| *peer.borrow_mut() = Some(a.clone()));
        std::future::poll_fn(|_| {
            // Spend the task's whole budget: the read below yields, waking its task.
            let mut noop = Context::from_waker(Waker::noop());
            while mirage::coop::has_budget_remaining() {
                let _ = mirage::coop::poll_proceed(&mut noop);
            }
            // The wake writes to the pipe this read reads from: it must not find it
            // borrowed by the read.
            let waker = Waker::from(std::sync::Arc::new(WritesWhenWoken));
            let mut reentrant = Context::from_waker(&waker);
            let mut byte = [0u8; 1];
            assert!(
                Pin::new(&mut b)
                    .poll_read(&mut reentrant, &mut byte)
                    .is_pending()
            );
            Poll::Ready(())
        })
        .await;
        PEER.with(|peer| peer.borrow_mut().take());
        let mut got = [0u8; 1];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"1");
    });
}
