//! `AsyncFd` drives descriptors Mirage does not wrap: here a pipe.

mod net_common;

use std::future::poll_fn;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use mirage::io::{AsyncFd, Interest, Ready};
use mirage::time::timeout;
use mirage::{Core, JoinSet};
use net_common::error_queue;

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
    let (reader, writer) = (AsyncFd::new(reader).unwrap(), AsyncFd::new(writer).unwrap());
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
    let reader = AsyncFd::new(reader).unwrap();
    let mut writer = writer;
    let mut core = Core::new().unwrap();
    let n = core.run(async {
        mirage::spawn(async move {
            mirage::yield_now().await;
            writer.write_all(b"late").unwrap();
        });
        let mut buf = [0u8; 8];
        reader
            .async_io(Interest::READABLE, |fd| (&*fd).read(&mut buf))
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
    let reader = AsyncFd::new(reader).unwrap();
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
    let reader = AsyncFd::new(reader).unwrap();
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

/// `clear_ready` forgets the readiness the guard saw, not an edge that came while it was
/// held: data written after the wait, whose edge the Core took in before the clear, is
/// still waiting, and no further edge will come for it. tokio keeps readiness that a later
/// event set (its guard clears only if no event came since the wait); forgetting it left the
/// next wait hanging with the data queued. Both guards, and `clear_ready_matching`, alike.
#[test]
fn clear_ready_keeps_an_edge_that_came_while_the_guard_was_held() {
    let (reader, mut writer) = nonblocking_pipe();
    writer.write_all(b"a").unwrap();
    let mut reader = AsyncFd::new(reader).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut rest = [0u8; 8];
        for clear in 0..3 {
            let mut guard = reader.readable().await.unwrap();
            assert_eq!(
                guard.get_inner().read(&mut rest).unwrap(),
                1,
                "drained by hand"
            );
            writer.write_all(b"b").unwrap();
            // The Core turns, and takes in the write's edge, while the guard is held.
            mirage::time::sleep(Duration::from_millis(1)).await;
            match clear {
                0 => guard.clear_ready(),
                _ => guard.clear_ready_matching(Ready::READABLE),
            }
            let waited = timeout(Duration::from_millis(50), reader.readable()).await;
            assert!(
                waited.is_ok(),
                "clear {clear}: the byte written since waits unseen"
            );
        }
        let mut guard = reader.readable_mut().await.unwrap();
        assert_eq!(
            guard.get_inner().read(&mut rest).unwrap(),
            1,
            "drained by hand"
        );
        writer.write_all(b"c").unwrap();
        mirage::time::sleep(Duration::from_millis(1)).await;
        guard.clear_ready();
        drop(guard);
        let waited = timeout(Duration::from_millis(50), reader.readable()).await;
        assert!(
            waited.is_ok(),
            "mut guard: the byte written since waits unseen"
        );
    });
}

/// A reader whose reads need `&mut self`: it counts them.
struct CountingReader {
    pipe: std::io::PipeReader,
    reads: usize,
}

impl CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads += 1;
        self.pipe.read(buf)
    }
}

impl AsRawFd for CountingReader {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.pipe.as_raw_fd()
    }
}

#[test]
fn readable_mut_guards_lend_the_wrapped_value_mutably() {
    let (pipe, mut writer) = nonblocking_pipe();
    let mut reader = AsyncFd::new(CountingReader { pipe, reads: 0 }).unwrap();
    let mut core = Core::new().unwrap();
    let received = core.run(async {
        mirage::spawn(async move {
            mirage::yield_now().await;
            writer.write_all(b"mut").unwrap();
        });
        let mut buf = [0u8; 8];
        loop {
            let mut guard = reader.readable_mut().await.unwrap();
            match guard.try_io(|fd| fd.get_mut().read(&mut buf)) {
                Ok(n) => break buf[..n.unwrap()].to_vec(),
                Err(_would_block) => continue,
            }
        }
    });
    assert_eq!(received, b"mut");
    assert_eq!(
        reader.get_ref().reads,
        1,
        "the first wait registers and waits for the data: one read"
    );
}

#[test]
fn a_would_block_in_a_mut_guard_clears_readiness() {
    let (pipe, mut writer) = nonblocking_pipe();
    let mut reader = AsyncFd::new(CountingReader { pipe, reads: 0 }).unwrap();
    writer.write_all(b"x").unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut buf = [0u8; 8];
        let mut guard = reader.readable_mut().await.unwrap();
        assert_eq!(guard.get_inner_mut().read(&mut buf).unwrap(), 1);
        guard.retain_ready();
        let mut guard = reader.readable_mut().await.unwrap(); // not cleared: no wait
        assert!(guard.try_io(|fd| fd.get_mut().read(&mut buf)).is_err());
        assert!(
            !is_ready_now(reader.readable_mut()).await,
            "the WouldBlock cleared readiness"
        );
        assert_eq!(reader.get_ref().reads, 2);
    });
}

#[test]
fn poll_ready_mut_wakes_the_polling_task() {
    let (reader, writer) = nonblocking_pipe();
    let mut reader = AsyncFd::new(reader).unwrap();
    let mut writer = AsyncFd::new(writer).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        std::future::poll_fn(|cx| {
            writer.poll_write_ready_mut(cx).map_ok(|mut guard| {
                guard.get_inner_mut().write_all(b"y").unwrap();
            })
        })
        .await
        .unwrap();
        let mut byte = [0u8; 1];
        std::future::poll_fn(|cx| {
            reader
                .poll_read_ready_mut(cx)
                .map_ok(|mut guard| guard.get_inner_mut().read(&mut byte))
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(&byte, b"y");
    });
}

#[test]
fn async_io_mut_retries_until_the_operation_stops_blocking() {
    let (pipe, mut writer) = nonblocking_pipe();
    let mut reader = AsyncFd::new(CountingReader { pipe, reads: 0 }).unwrap();
    let mut core = Core::new().unwrap();
    let n = core.run(async {
        mirage::spawn(async move {
            mirage::yield_now().await;
            writer.write_all(b"late").unwrap();
        });
        let mut buf = [0u8; 8];
        reader
            .async_io_mut(Interest::READABLE, |fd| fd.read(&mut buf))
            .await
            .unwrap()
    });
    assert_eq!(n, 4);
    assert_eq!(reader.get_ref().reads, 2, "one WouldBlock, then the data");
}

#[test]
fn try_io_skips_the_operation_while_the_descriptor_is_known_not_ready() {
    let (pipe, mut writer) = nonblocking_pipe();
    let mut reader = AsyncFd::new(CountingReader { pipe, reads: 0 }).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut buf = [0u8; 8];
        // Unregistered: nothing known, so the read is tried, and blocks.
        let err = reader
            .try_io_mut(Interest::READABLE, |fd| fd.read(&mut buf))
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        assert_eq!(reader.get_ref().reads, 1);
        // Registered, and the WouldBlock of a try_io clears readiness: not tried again.
        assert!(!is_ready_now(reader.readable()).await);
        let err = reader
            .try_io(Interest::READABLE, |_| -> std::io::Result<()> {
                panic!("tried though not readable")
            })
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        writer.write_all(b"ok").unwrap();
        reader.readable().await.unwrap().retain_ready();
        let n = reader
            .try_io_mut(Interest::READABLE, |fd| fd.read(&mut buf))
            .unwrap();
        assert_eq!(&buf[..n], b"ok");
        assert_eq!(reader.get_ref().reads, 2);
    });
}

/// A guard's `ready` is what its wait saw: data alone is readable and not closed; the
/// writer's hang-up adds read-closed; a pipe with no reader left is write-closed. Clearing
/// readiness does not change what a guard saw.
#[test]
fn guards_report_the_readiness_their_wait_saw() {
    let (reader, writer) = nonblocking_pipe();
    let (reader, mut writer) = (AsyncFd::new(reader).unwrap(), AsyncFd::new(writer).unwrap());
    let mut core = Core::new().unwrap();
    core.run(mirage::time::timeout(
        std::time::Duration::from_secs(5),
        async {
            let guard = writer.writable_mut().await.unwrap();
            assert_eq!(guard.ready(), Ready::WRITABLE);
            guard.get_ref().get_ref().write_all(b"data").unwrap();
            let mut guard = reader.readable().await.unwrap();
            assert_eq!(guard.ready(), Ready::READABLE);
            guard.clear_ready();
            assert_eq!(guard.ready(), Ready::READABLE, "what the wait saw");
            drop(writer);
            let guard = reader.readable().await.unwrap();
            assert_eq!(guard.ready(), Ready::READABLE | Ready::READ_CLOSED);

            let (pipe, writer) = nonblocking_pipe();
            let writer = AsyncFd::new(writer).unwrap();
            writer.writable().await.unwrap().clear_ready();
            drop(pipe); // no reader left: a write fails at once
            let ready = writer.writable().await.unwrap().ready();
            assert!(ready.is_write_closed() && ready.is_writable(), "{ready:?}");
        },
    ))
    .expect("a wait hung");
}

#[test]
fn a_readiness_poll_that_waits_spends_none_of_the_task_s_budget() {
    let (reader, _writer) = nonblocking_pipe();
    let (other_reader, _other_writer) = nonblocking_pipe();
    let fd = AsyncFd::new(reader).unwrap();
    let mut fd_mut = AsyncFd::new(other_reader).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        std::future::poll_fn(|cx| {
            // More polls than a budget holds, each finding its pipe empty.
            for _ in 0..2 * usize::from(mirage::coop::BUDGET) {
                assert!(fd.poll_read_ready(cx).is_pending());
                assert!(fd_mut.poll_read_ready_mut(cx).is_pending());
            }
            std::task::Poll::Ready(())
        })
        .await;
        assert!(
            mirage::coop::has_budget_remaining(),
            "waiting polls spent the budget"
        );
    });
}

/// A connected pair of non-blocking Unix stream sockets.
fn nonblocking_socket_pair() -> (StdUnixStream, StdUnixStream) {
    let (a, b) = StdUnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Writes to `fd` until the socket takes no more.
async fn fill(fd: &AsyncFd<StdUnixStream>) {
    loop {
        let mut guard = fd.writable().await.unwrap();
        if guard.try_io(|fd| fd.get_ref().write(&[0; 4096])).is_err() {
            return; // the WouldBlock cleared the readiness
        }
    }
}

/// Reads from `socket` until nothing is left; returns how much it read.
fn drain(mut socket: &StdUnixStream) -> usize {
    let mut drained = 0;
    let mut buf = [0; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => panic!("unexpected end of stream"),
            Ok(n) => drained += n,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => return drained,
            Err(err) => panic!("{err}"),
        }
    }
}

/// Far beyond what any wait here needs: only a lost wake-up reaches it.
const GUARD: Duration = Duration::from_secs(5);

#[test]
fn a_full_socket_waits_until_its_peer_reads_and_then_is_writable() {
    let (near, far) = nonblocking_socket_pair();
    let near = AsyncFd::new(near).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        fill(&near).await;
        assert!(!is_ready_now(near.writable()).await, "a full socket");
        mirage::spawn(async move {
            mirage::yield_now().await;
            assert!(drain(&far) > 0);
        });
        let guard = timeout(GUARD, near.writable())
            .await
            .expect("the drained socket's writability was never reported")
            .unwrap();
        assert!(guard.ready().is_writable());
    });
}

#[test]
fn every_task_waiting_on_a_descriptor_is_woken_by_one_event() {
    let (near, mut far) = nonblocking_socket_pair();
    let near = Rc::new(AsyncFd::new(near).unwrap());
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut waiters = JoinSet::new();
        for _ in 0..10 {
            let near = Rc::clone(&near);
            waiters.spawn(async move { near.readable().await.unwrap().ready() });
        }
        // Every waiter waits before the byte arrives.
        mirage::yield_now().await;
        assert_eq!(waiters.len(), 10);
        far.write_all(b"x").unwrap();
        let mut woken = 0;
        while let Some(ready) = timeout(GUARD, waiters.join_next())
            .await
            .expect("a waiter was never woken")
        {
            assert!(ready.unwrap().is_readable());
            woken += 1;
        }
        assert_eq!(woken, 10);
    });
}

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_readiness_poll_wakes_only_its_last_waker_and_each_direction_its_own() {
    let (near, far) = nonblocking_socket_pair();
    let near = Rc::new(AsyncFd::new(near).unwrap());
    let mut core = Core::new().unwrap();
    core.run(timeout(GUARD, async {
        fill(&near).await;
        // A poll whose waker is then replaced by another task's poll.
        let replaced = Arc::new(Flag(AtomicBool::new(false)));
        let replaced_waker = Waker::from(Arc::clone(&replaced));
        let mut cx = Context::from_waker(&replaced_waker);
        assert!(near.poll_read_ready(&mut cx).is_pending());
        let reader = mirage::spawn({
            let near = Rc::clone(&near);
            async move { poll_fn(|cx| near.poll_read_ready(cx).map_ok(|_| ())).await }
        });
        let writer = mirage::spawn({
            let near = Rc::clone(&near);
            async move { poll_fn(|cx| near.poll_write_ready(cx).map_ok(|_| ())).await }
        });
        mirage::yield_now().await;
        // Readable: the reading task is woken, not the replaced waker nor the writer.
        (&far).write_all(b"x").unwrap();
        reader.await.unwrap().unwrap();
        assert!(
            !replaced.0.load(Ordering::SeqCst),
            "a replaced waker was woken"
        );
        for _ in 0..3 {
            mirage::yield_now().await;
        }
        assert!(!writer.is_finished(), "the full socket reported writable");
        // Writable: the waiting writer was kept when the read side woke.
        assert!(drain(&far) > 0);
        writer.await.unwrap().unwrap();
    }))
    .expect("a waiter was never woken");
}

#[test]
fn a_descriptor_taken_back_and_wrapped_again_is_driven_again_and_closes_on_drop() {
    let (near, mut far) = nonblocking_socket_pair();
    let near = AsyncFd::new(near).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        assert!(
            !is_ready_now(near.readable()).await,
            "registered, nothing to read"
        );
        let near = AsyncFd::new(near.into_inner()).unwrap();
        assert!(!is_ready_now(near.readable()).await, "registered again");
        far.write_all(b"x").unwrap();
        let mut guard = timeout(GUARD, near.readable())
            .await
            .expect("the descriptor wrapped again was not driven")
            .unwrap();
        let mut byte = [0; 1];
        let n = guard.try_io(|fd| fd.get_ref().read(&mut byte)).unwrap();
        assert_eq!(n.unwrap(), 1);
        drop(near);
    });
    let mut buf = [0; 1];
    assert_eq!(
        far.read(&mut buf).unwrap(),
        0,
        "dropping the AsyncFd closed its socket"
    );
}

/// A value whose descriptor is not open: -1, or a number above any the process has.
#[derive(Debug)]
struct NotOpen(std::os::fd::RawFd);

impl AsRawFd for NotOpen {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0
    }
}

#[test]
fn new_rejects_a_descriptor_that_is_not_open_with_ebadf_inside_a_core_and_outside() {
    for fd in [-1, libc::c_int::MAX] {
        let outside = AsyncFd::new(NotOpen(fd)).unwrap_err();
        assert_eq!(outside.raw_os_error(), Some(libc::EBADF), "{fd}: {outside}");
        let mut core = Core::new().unwrap();
        let inside = core.run(async { AsyncFd::new(NotOpen(fd)).unwrap_err() });
        assert_eq!(inside.raw_os_error(), Some(libc::EBADF), "{fd}: {inside}");
    }
}

#[test]
fn try_new_gives_the_value_back_with_the_cause() {
    let err = AsyncFd::try_new(NotOpen(-1)).unwrap_err();
    let cause = std::io::Error::from_raw_os_error(libc::EBADF);
    assert_eq!(err.to_string(), cause.to_string());
    assert!(
        format!("{err:?}").starts_with("AsyncFdRegisterError"),
        "{err:?}"
    );
    let source = std::error::Error::source(&err).expect("the cause is the source");
    assert_eq!(source.to_string(), cause.to_string());
    let (value, cause) = err.into_parts();
    assert_eq!((value.0, cause.raw_os_error()), (-1, Some(libc::EBADF)));

    let err = AsyncFd::try_with_interest(NotOpen(-1), Interest::READABLE).unwrap_err();
    let err: std::io::Error = err.into();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
}

/// A file the test can open: its own executable, a regular file.
fn regular_file() -> std::fs::File {
    std::fs::File::open(std::env::current_exe().unwrap()).unwrap()
}

/// epoll refuses a regular file with EPERM. Inside a Core, `new` registers at once and
/// fails, as tokio's does, and `try_new` gives the file back still open; outside a Core,
/// `new` cannot know, and the first wait fails instead of hanging.
#[test]
fn a_regular_file_fails_at_new_inside_a_core_and_at_the_first_wait_outside() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let err = AsyncFd::new(regular_file()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
        let (file, err) = AsyncFd::try_new(regular_file()).unwrap_err().into_parts();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        assert!(file.metadata().unwrap().is_file(), "given back open");
    });

    let fd = AsyncFd::new(regular_file()).expect("outside a Core, an open file is accepted");
    let wait = core.run(timeout(GUARD, fd.readable()));
    let err = wait.expect("the first wait hung").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
}

/// Runs `f` and returns its panic message; fails if it does not panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast_ref::<&str>().unwrap().to_string(),
    }
}

/// An `AsyncFd` created for reading only still reads; a wait, poll or operation for writing
/// panics at once, naming the direction, rather than waiting for an edge it never asked for.
#[test]
fn with_interest_readable_reads_and_panics_on_any_use_for_writing() {
    let (near, mut far) = nonblocking_socket_pair();
    let mut near = AsyncFd::with_interest(near, Interest::READABLE).unwrap();
    far.write_all(b"x").unwrap();
    let mut core = Core::new().unwrap();
    let ready = core.run(timeout(GUARD, async {
        near.readable().await.unwrap().ready()
    }));
    assert!(ready.expect("the readable wait hung").is_readable());

    let both = Interest::READABLE | Interest::WRITABLE;
    let messages = [
        panic_message(|| {
            let _ = Core::new().unwrap().run(near.writable());
        }),
        panic_message(|| {
            let _ = Core::new().unwrap().run(near.ready(both));
        }),
        panic_message(|| {
            let _ = Core::new()
                .unwrap()
                .run(near.async_io(Interest::WRITABLE, |_| Ok(())));
        }),
        panic_message(|| {
            let _ = near.try_io(Interest::WRITABLE, |_| Ok(()));
        }),
        panic_message(|| {
            let _ = near.poll_write_ready(&mut Context::from_waker(Waker::noop()));
        }),
        panic_message(|| {
            let _ = Core::new().unwrap().run(near.writable_mut());
        }),
        panic_message(|| {
            let _ = near.try_io_mut(both, |_| Ok(()));
        }),
    ];
    for message in messages {
        assert!(
            message.contains("WRITABLE, outside the interest it was created with (READABLE)")
                && message.contains("AsyncFd::with_interest"),
            "{message}"
        );
    }
}

/// A wait on both directions returns for whichever is ready, and its guard says which;
/// `clear_ready_matching` forgets only the direction named, so the next wait waits for an
/// edge there and returns for the other.
#[test]
fn a_wait_on_both_directions_returns_for_either_and_clears_only_the_one_named() {
    let (near, mut far) = nonblocking_socket_pair();
    let near = AsyncFd::new(near).unwrap();
    let both = Interest::READABLE | Interest::WRITABLE;
    let mut core = Core::new().unwrap();
    core.run(async {
        fill(&near).await;
        assert!(
            !is_ready_now(near.ready(both)).await,
            "full, and nothing to read"
        );
        far.write_all(b"x").unwrap();
        let mut guard = timeout(GUARD, near.ready(both))
            .await
            .expect("the byte's readability was never reported")
            .unwrap();
        assert_eq!(guard.ready(), Ready::READABLE);
        let mut buf = [0; 8];
        assert_eq!(guard.get_inner().read(&mut buf).unwrap(), 1);
        let err = guard.get_inner().read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        guard.clear_ready_matching(Ready::READABLE);
        assert!(
            !is_ready_now(near.ready(both)).await,
            "both known not ready"
        );

        assert!(drain(&far) > 0);
        let mut guard = timeout(GUARD, near.ready(both))
            .await
            .expect("the drained socket's writability was never reported")
            .unwrap();
        assert_eq!(guard.ready(), Ready::WRITABLE);
        // A closed half named alone clears nothing; writable named clears writability.
        guard.clear_ready_matching(Ready::READ_CLOSED | Ready::WRITE_CLOSED);
        assert!(is_ready_now(near.writable()).await);
        let mut guard = near.ready(both).await.unwrap();
        guard.clear_ready_matching(Ready::WRITABLE);
        assert!(!is_ready_now(near.ready(both)).await);
    });
}

/// `async_io` with both directions retries on an edge in either: here the read it waits
/// for comes while the socket is full.
#[test]
fn async_io_on_both_directions_retries_on_an_edge_in_either() {
    let (near, far) = nonblocking_socket_pair();
    let near = AsyncFd::new(near).unwrap();
    let mut core = Core::new().unwrap();
    let n = core.run(async {
        fill(&near).await;
        mirage::spawn(async move {
            mirage::yield_now().await;
            (&far).write_all(b"late").unwrap();
            far
        });
        let mut buf = [0; 8];
        let read = near.async_io(Interest::READABLE | Interest::WRITABLE, |fd| {
            (&*fd).read(&mut buf)
        });
        timeout(GUARD, read)
            .await
            .expect("the read was never retried")
            .unwrap()
    });
    assert_eq!(n, 4);
}

/// An operation that blocks under an interest in both directions shows that one of them
/// is not ready, not which: a half the peer closed stays ready, as in tokio, since no
/// further edge would report it. Here the write blocks on a full socket whose peer shut
/// its writing down; the end of stream must still be seen, through every path.
#[test]
fn a_write_blocked_under_both_directions_keeps_the_end_of_stream_the_peer_sent() {
    let (near, far) = nonblocking_socket_pair();
    let near = AsyncFd::new(near).unwrap();
    let both = Interest::READABLE | Interest::WRITABLE;
    let mut core = Core::new().unwrap();
    core.run(async {
        fill(&near).await;
        far.shutdown(std::net::Shutdown::Write).unwrap();
        timeout(GUARD, near.readable())
            .await
            .expect("the end of stream was never reported")
            .unwrap()
            .retain_ready();

        let err = near
            .try_io(both, |fd| (&*fd).write(b"x"))
            .expect_err("the socket is full");
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        assert!(
            is_ready_now(near.readable()).await,
            "AsyncFd::try_io forgot the end of stream"
        );

        let mut guard = near.ready(both).await.unwrap();
        assert!(guard.ready().is_read_closed());
        assert!(guard.try_io(|fd| fd.get_ref().write(b"x")).is_err());
        assert!(
            is_ready_now(near.readable()).await,
            "the guard's try_io forgot the end of stream"
        );

        // `async_io` then waits for the write edge, without spinning on the closed half:
        // the task that drains the peer gets to run.
        let calls = std::cell::Cell::new(0);
        let drainer = mirage::spawn(async move {
            mirage::yield_now().await;
            drain(&far);
            far
        });
        let write = near.async_io(both, |fd| {
            calls.set(calls.get() + 1);
            match calls.get() {
                1000.. => Err(std::io::Error::other("async_io spins")),
                _ => (&*fd).write(b"x"),
            }
        });
        let n = timeout(GUARD, write)
            .await
            .expect("the write was never retried")
            .unwrap();
        assert_eq!(n, 1);
        let far = drainer.await.unwrap(); // open: closed with unread bytes, it would reset
        assert!(
            is_ready_now(near.readable()).await,
            "async_io forgot the end of stream"
        );
        assert_eq!(near.get_ref().read(&mut [0; 8]).unwrap(), 0);
        drop(far);
    });
}

/// How long a wait that must not return is given before the test takes it for pending.
const NOT_READY: Duration = Duration::from_millis(30);

/// A connected pair of loopback TCP streams: `near` non-blocking, for an `AsyncFd`, and
/// `far` blocking, for the test to send from.
fn tcp_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let far = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (near, _) = listener.accept().unwrap();
    near.set_nonblocking(true).unwrap();
    (near, far)
}

/// Sends `byte` as TCP urgent data (`MSG_OOB`), which the peer sees as `EPOLLPRI`.
fn send_urgent(stream: &std::net::TcpStream, byte: u8) {
    let byte = [byte];
    // SAFETY: `byte` is valid for reads of its length for the call.
    let n = unsafe { libc::send(stream.as_raw_fd(), byte.as_ptr().cast(), 1, libc::MSG_OOB) };
    assert_eq!(n, 1, "MSG_OOB: {}", std::io::Error::last_os_error());
}

/// Receives the urgent byte (`MSG_OOB`); `WouldBlock` while there is none, where the kernel
/// says `EINVAL` (none marked) or `EAGAIN` (marked, not yet arrived).
fn recv_urgent(stream: &std::net::TcpStream) -> std::io::Result<u8> {
    let mut byte = [0u8];
    // SAFETY: `byte` is valid for writes of its length for the call.
    let n = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            byte.as_mut_ptr().cast(),
            1,
            libc::MSG_OOB,
        )
    };
    match n {
        1 => Ok(byte[0]),
        _ => match std::io::Error::last_os_error() {
            err if err.raw_os_error() == Some(libc::EINVAL) => {
                Err(std::io::ErrorKind::WouldBlock.into())
            }
            err => Err(err),
        },
    }
}

/// Urgent data makes a descriptor registered for `PRIORITY` priority-ready; ordinary data
/// does not wake a wait for it, and `clear_ready_matching(Ready::PRIORITY)` forgets it.
#[test]
fn urgent_data_wakes_a_wait_for_priority_and_ordinary_data_does_not() {
    let (near, far) = tcp_pair();
    let near = AsyncFd::with_interest(near, Interest::READABLE | Interest::PRIORITY).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let writer = mirage::spawn(async move {
            mirage::yield_now().await;
            (&far).write_all(b"plain").unwrap();
            far
        });
        let wait = timeout(NOT_READY, near.ready(Interest::PRIORITY)).await;
        assert!(wait.is_err(), "ordinary data woke a wait for priority data");
        let far = writer.await.unwrap();
        let guard = timeout(GUARD, near.readable())
            .await
            .expect("no data")
            .unwrap();
        assert_eq!(guard.ready(), Ready::READABLE);

        send_urgent(&far, b'!');
        let mut guard = timeout(GUARD, near.ready(Interest::PRIORITY))
            .await
            .expect("urgent data did not wake the wait for priority data")
            .unwrap();
        assert_eq!(guard.ready(), Ready::PRIORITY);
        assert_eq!(recv_urgent(guard.get_inner()).unwrap(), b'!');
        guard.clear_ready_matching(Ready::READABLE); // not the guard's kind: left alone
        assert!(is_ready_now(near.ready(Interest::PRIORITY)).await);
        let mut guard = near.ready(Interest::PRIORITY).await.unwrap();
        guard.clear_ready_matching(Ready::PRIORITY);
        let wait = timeout(NOT_READY, near.ready(Interest::PRIORITY)).await;
        assert!(
            wait.is_err(),
            "clear_ready_matching kept the priority readiness"
        );

        // The ordinary data is still there, without the urgent byte.
        let mut buf = [0; 16];
        let n = near
            .async_io(Interest::READABLE, |fd| (&*fd).read(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"plain", "the urgent byte is not in the stream");

        // A wait for both kinds reports both.
        send_urgent(&far, b'?');
        let priority = timeout(GUARD, near.ready(Interest::PRIORITY)).await;
        priority
            .expect("the second urgent byte did not come")
            .unwrap()
            .retain_ready();
        let both = Interest::READABLE | Interest::PRIORITY;
        let guard = near.ready(both).await.unwrap();
        assert!(guard.ready().is_priority() && guard.ready().is_readable());
        assert_eq!(near.try_io(Interest::PRIORITY, recv_urgent).unwrap(), b'?');
        drop(far);
    });
}

/// An operation that blocks under `READABLE` clears readability only: a task waiting for
/// priority data still sees the urgent byte that made the descriptor readable. (A peek, as
/// a read that passes the urgent mark discards the urgent byte.)
#[test]
fn a_peek_that_would_block_leaves_priority_readiness_to_its_waiter() {
    let (near, far) = tcp_pair();
    let mut near = AsyncFd::with_interest(near, Interest::READABLE | Interest::PRIORITY).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let wait = timeout(NOT_READY, near.readable()).await; // registers
        assert!(wait.is_err(), "nothing was sent");
        send_urgent(&far, b'!');
        let mut guard = timeout(GUARD, near.readable())
            .await
            .expect("urgent data did not make the descriptor readable")
            .unwrap();
        let peek = guard.try_io(|fd| fd.get_ref().peek(&mut [0; 8]));
        assert!(
            peek.is_err(),
            "only urgent data, which a peek skips: WouldBlock"
        );
        let wait = timeout(NOT_READY, near.readable()).await;
        assert!(wait.is_err(), "the WouldBlock forgot readability");
        let guard = timeout(GUARD, near.ready(Interest::PRIORITY))
            .await
            .expect("the blocked peek took the priority readiness")
            .unwrap();
        assert!(guard.ready().is_priority());
        let mut guard = near.ready_mut(Interest::PRIORITY).await.unwrap();
        let urgent = guard.try_io(|fd| recv_urgent(fd.get_ref()));
        assert_eq!(urgent.unwrap().unwrap(), b'!');
        drop(far);
    });
}

/// `async_io` under `PRIORITY` alone waits for urgent data, and a wait for priority data
/// ends at end of stream, after which none can come.
#[test]
fn async_io_waits_for_urgent_data_and_a_priority_wait_ends_at_end_of_stream() {
    let (near, far) = tcp_pair();
    let mut near = AsyncFd::with_interest(near, Interest::PRIORITY).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let sender = mirage::spawn(async move {
            mirage::time::sleep(Duration::from_millis(5)).await;
            send_urgent(&far, b'!');
            far
        });
        let urgent = near.async_io_mut(Interest::PRIORITY, |fd| recv_urgent(fd));
        let urgent = timeout(GUARD, urgent).await.expect("async_io hung");
        assert_eq!(urgent.unwrap(), b'!');
        // Readiness stays until an operation blocks, or the caller clears it.
        let mut guard = near.ready(Interest::PRIORITY).await.unwrap();
        assert_eq!(guard.ready(), Ready::PRIORITY);
        guard.clear_ready();
        drop(sender.await.unwrap());
        let guard = timeout(GUARD, near.ready(Interest::PRIORITY))
            .await
            .expect("a wait for priority data outlived the stream")
            .unwrap();
        assert_eq!(guard.ready(), Ready::READ_CLOSED);
    });
}

/// A descriptor is registered for `EPOLLPRI` only under an interest with `PRIORITY`: a wait
/// for priority data on an `AsyncFd` created without it panics, naming the interest to ask
/// for, rather than wait for an edge never asked for.
#[test]
fn a_wait_for_priority_outside_the_interest_panics() {
    let (near, _far) = tcp_pair();
    let near = AsyncFd::new(near).unwrap();
    let message = panic_message(|| {
        let _ = Core::new().unwrap().run(near.ready(Interest::PRIORITY));
    });
    assert!(
        message.contains("PRIORITY, outside the interest it was created with")
            && message.contains("AsyncFd::with_interest"),
        "{message}"
    );
}

/// epoll reports errors whatever a descriptor was registered for, so a wait for error
/// readiness needs no `ERROR` in the interest: tokio's `AsyncFd::new` descriptor waits for
/// it (its own test `await_error_readiness_invalid_address`), and so does Mirage's.
#[test]
fn a_wait_for_errors_needs_no_error_interest() {
    let (socket, nobody) = udp_socket_with_error_queue();
    let socket = AsyncFd::new(socket).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        socket.get_ref().send_to(b"ping", nobody).unwrap();
        let guard = timeout(GUARD, socket.ready(Interest::ERROR))
            .await
            .expect("the queued error did not wake the wait for errors")
            .unwrap();
        assert_eq!(guard.ready(), Ready::ERROR);
        drop(guard);
        let n = socket.async_io(Interest::ERROR, recv_error_queue);
        assert_eq!(timeout(GUARD, n).await.expect("hung").unwrap(), 4);
    });
}

/// A UDP socket with `IP_RECVERR`, non-blocking, and the address of a port nobody listens
/// on: a datagram sent there comes back as an ICMP error, queued on the socket.
fn udp_socket_with_error_queue() -> (std::net::UdpSocket, std::net::SocketAddr) {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    error_queue::set_recv_err(socket.as_raw_fd());
    (socket, error_queue::closed_udp_port())
}

/// Takes one entry of the socket's error queue: see `error_queue::recv_error_queue`.
fn recv_error_queue(socket: &std::net::UdpSocket) -> std::io::Result<usize> {
    error_queue::recv_error_queue(socket.as_raw_fd())
}

/// An ICMP error queued on a socket makes it error-ready (`EPOLLERR`, which epoll reports
/// unasked); `try_io` under `ERROR` drains the queue and, at `WouldBlock`, forgets it.
#[test]
fn a_queued_socket_error_wakes_a_wait_for_error_and_try_io_drains_it() {
    let (socket, nobody) = udp_socket_with_error_queue();
    let socket = AsyncFd::with_interest(socket, Interest::WRITABLE | Interest::ERROR).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let guard = timeout(GUARD, socket.writable())
            .await
            .expect("hung")
            .unwrap();
        assert_eq!(guard.ready(), Ready::WRITABLE);
        let wait = timeout(NOT_READY, socket.ready(Interest::ERROR)).await;
        assert!(wait.is_err(), "a writable socket is not error-ready");

        socket.get_ref().send_to(b"ping", nobody).unwrap();
        let mut guard = timeout(GUARD, socket.ready(Interest::ERROR))
            .await
            .expect("the queued error did not wake the wait for errors")
            .unwrap();
        assert_eq!(guard.ready(), Ready::ERROR);
        let taken = guard
            .get_inner()
            .take_error()
            .unwrap()
            .expect("a pending error");
        assert_eq!(taken.kind(), std::io::ErrorKind::ConnectionRefused);
        let n = guard.try_io(|fd| recv_error_queue(fd.get_ref()));
        assert_eq!(n.unwrap().unwrap(), 4, "the failed datagram's bytes");

        // The queue is empty: `WouldBlock`, which forgets the error readiness.
        let again = socket
            .try_io(Interest::ERROR, recv_error_queue)
            .unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::WouldBlock);
        let skipped = socket.try_io(Interest::ERROR, |_| -> std::io::Result<()> {
            unreachable!("known not error-ready: not tried")
        });
        assert_eq!(skipped.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
        let wait = timeout(NOT_READY, socket.ready(Interest::ERROR)).await;
        assert!(wait.is_err(), "the drained queue still reads error-ready");
        let both = socket
            .ready(Interest::WRITABLE | Interest::ERROR)
            .await
            .unwrap();
        // (Also write-closed: mio reads `EPOLLOUT | EPOLLERR` so, as tokio does.)
        assert!(
            both.ready().is_writable(),
            "writing is not the error's to clear"
        );
        assert!(!both.ready().is_error());

        socket.get_ref().send_to(b"again", nobody).unwrap();
        let n = socket.async_io(Interest::ERROR, recv_error_queue);
        assert_eq!(timeout(GUARD, n).await.expect("hung").unwrap(), 5);
    });
}
