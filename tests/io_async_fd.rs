//! `AsyncFd` drives descriptors Mirage does not wrap: here a pipe.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;

use mirage::io::{AsyncFd, Direction};
use mirage::Core;

fn nonblocking_pipe() -> (std::io::PipeReader, std::io::PipeWriter) {
    let (reader, writer) = std::io::pipe().unwrap();
    for fd in [reader.as_raw_fd(), writer.as_raw_fd()] {
        // SAFETY: plain fcntl flag manipulation on descriptors we own.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        // SAFETY: as above.
        let rc = unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) };
        assert_eq!(rc, 0);
    }
    (reader, writer)
}

#[test]
fn a_pipe_reader_waits_for_the_writer_task() {
    let (reader, writer) = nonblocking_pipe();
    let (reader, writer) = (AsyncFd::new(reader), AsyncFd::new(writer));
    let mut core = Core::new().unwrap();
    let received = core.run(async move {
        let writer_task = mirage::spawn(async move {
            for chunk in [&b"hello "[..], b"pipe"] {
                mirage::yield_now().await;
                let mut guard = writer.writable().await.unwrap();
                guard
                    .try_io(|fd| fd.get_ref().write(chunk))
                    .expect("an empty pipe is writable")
                    .unwrap();
            }
            // Dropping the writer closes the pipe: the reader sees end of file.
        });
        let mut received = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            let mut guard = reader.readable().await.unwrap();
            match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
                Ok(Ok(0)) => break,
                Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
                Ok(Err(err)) => panic!("{err}"),
                Err(_would_block) => continue,
            }
        }
        writer_task.await.unwrap();
        received
    });
    assert_eq!(received, b"hello pipe");
}

#[test]
fn async_io_retries_until_the_operation_stops_blocking() {
    let (reader, writer) = nonblocking_pipe();
    let reader = AsyncFd::new(reader);
    let mut writer = writer;
    let mut core = Core::new().unwrap();
    let n = core.run(async {
        mirage::spawn(async move {
            mirage::yield_now().await;
            writer.write_all(b"late").unwrap();
        });
        let mut buf = [0u8; 8];
        reader
            .async_io(Direction::Read, |fd| (&*fd).read(&mut buf))
            .await
            .unwrap()
    });
    assert_eq!(n, 4);
    // into_inner deregisters and hands the descriptor back still open: a read works and
    // sees end of file (the writer task finished and closed its end), not EBADF.
    let mut reader = reader.into_inner();
    let mut buf = [0u8; 1];
    assert_eq!(reader.read(&mut buf).unwrap(), 0);
}

#[test]
fn clearing_readiness_after_a_short_read_keeps_the_end_of_file_the_pipe_reported() {
    let (reader, mut writer) = nonblocking_pipe();
    writer.write_all(b"last").unwrap();
    drop(writer); // one event: data, and the hang-up, which no further edge reports
    let reader = AsyncFd::new(reader);
    let mut core = Core::new().unwrap();
    let eof = core.run(mirage::time::timeout(
        std::time::Duration::from_secs(5),
        async {
            let mut buf = [0u8; 64];
            let mut guard = reader.readable().await.unwrap();
            let n = guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap();
            assert_eq!(n.unwrap(), 4);
            // A short read shows the pipe drained: tell the guard, as tokio's examples do.
            guard.clear_ready();
            let mut guard = reader.readable().await.unwrap();
            guard
                .try_io(|fd| fd.get_ref().read(&mut buf))
                .unwrap()
                .unwrap()
        },
    ));
    assert_eq!(eof.expect("the end of file was forgotten"), 0);
}

/// Polls `future` once: whether it finished at once.
fn is_ready_now<F: std::future::Future>(future: F) -> impl std::future::Future<Output = bool> {
    let mut future = Box::pin(future);
    std::future::poll_fn(move |cx| std::task::Poll::Ready(future.as_mut().poll(cx).is_ready()))
}

#[test]
fn retain_ready_keeps_readiness_and_clear_ready_forgets_it() {
    let (reader, mut writer) = nonblocking_pipe();
    writer.write_all(b"ab").unwrap();
    let reader = AsyncFd::new(reader);
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut byte = [0u8; 1];
        let mut guard = reader.readable().await.unwrap();
        guard.get_inner().read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"a");
        guard.retain_ready();
        assert!(
            is_ready_now(reader.readable()).await,
            "retained readiness lets the next wait through"
        );
        let mut guard = reader.readable().await.unwrap();
        guard.clear_ready();
        assert!(
            !is_ready_now(reader.readable()).await,
            "cleared readiness waits for a new edge, though a byte is left"
        );
        writer.write_all(b"c").unwrap(); // the new edge
        let mut guard = reader.readable().await.unwrap();
        let mut rest = [0u8; 8];
        let n = guard.try_io(|fd| fd.get_ref().read(&mut rest)).unwrap();
        assert_eq!(&rest[..n.unwrap()], b"bc");
    });
}
