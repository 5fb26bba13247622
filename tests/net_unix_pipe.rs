//! Unix pipes and FIFOs (`mirage::net::unix::pipe`): anonymous pipes and FIFOs opened with
//! `OpenOptions`, the checks made on what is opened or taken over, end of file, broken
//! pipes, packet-mode pipes, and the descriptors handed back.

mod net_common;

use std::ffi::CString;
use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncReadExt, AsyncWriteExt, Interest};
use mirage::net::unix::pipe::{self, OpenOptions, Receiver, Sender};
use mirage::time::timeout;
use net_common::{bytes, checksum};

/// Fails the test instead of hanging it.
const GENEROUS: Duration = Duration::from_secs(10);

/// A FIFO made with `mkfifo`, unique to this process and test, removed on drop.
struct Fifo(PathBuf);

impl Fifo {
    fn new(test: &str) -> Fifo {
        let path = std::env::temp_dir().join(format!("mirage-{}-{test}.fifo", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: `c_path` is a NUL-terminated string that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
        Fifo(path)
    }
}

impl AsRef<Path> for Fifo {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether `fd` is in non-blocking mode.
fn is_nonblocking(fd: &impl AsFd) -> bool {
    // SAFETY: `F_GETFL` only reads the flags of a descriptor the caller holds open.
    let flags = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0, "fcntl: {}", io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}

#[test]
fn a_megabyte_goes_through_a_pipe_in_order() {
    let data = bytes(1, 1 << 20);
    let (mut tx, mut rx) = pipe::pipe().unwrap();
    let mut core = Core::new().unwrap();
    let got = core.run(async {
        let expected = data.clone();
        // Far more than the pipe holds (64 KiB): the writer waits for the reader.
        let writer = mirage::spawn(async move {
            tx.write_all(&expected).await.unwrap();
            tx.write_vectored(&[IoSlice::new(b"tail"), IoSlice::new(b"!")])
                .await
                .unwrap()
        });
        let mut got = Vec::new();
        timeout(GENEROUS, rx.read_to_end(&mut got))
            .await
            .expect("read_to_end hung")
            .unwrap();
        assert_eq!(writer.await.unwrap(), 5);
        got
    });
    assert_eq!(got.len(), data.len() + 5);
    assert_eq!(checksum(&got[..data.len()]), checksum(&data));
    assert_eq!(&got[data.len()..], b"tail!");
}

#[test]
fn a_waiting_read_wakes_for_each_write_and_reads_end_of_file_after_the_last_sender() {
    let (tx, rx) = pipe::pipe().unwrap();
    // A second sender: a duplicate of the write end, taken over as checked.
    let tx2 = Sender::from_owned_fd(tx.as_fd().try_clone_to_owned().unwrap()).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async move {
        let reader = mirage::spawn(async move {
            let mut rx = rx;
            let mut got = Vec::new();
            let mut buf = [0; 64];
            loop {
                let n = timeout(GENEROUS, rx.read(&mut buf))
                    .await
                    .expect("read hung")
                    .unwrap();
                if n == 0 {
                    return got;
                }
                got.extend_from_slice(&buf[..n]);
            }
        });
        for (i, sender) in [&tx, &tx2].into_iter().enumerate() {
            // Let the reader drain the pipe and wait on it before each write.
            for _ in 0..3 {
                mirage::task::yield_now().await;
            }
            let mut sender = sender;
            sender
                .write_all(format!("from {i};").as_bytes())
                .await
                .unwrap();
        }
        drop(tx);
        for _ in 0..3 {
            mirage::task::yield_now().await;
        }
        assert!(
            !reader.is_finished(),
            "no end of file while a sender is open"
        );
        drop(tx2);
        assert_eq!(reader.await.unwrap(), b"from 0;from 1;");
    });
}

#[test]
fn writes_after_the_receiver_is_gone_fail_with_broken_pipe() {
    // Rust programs ignore SIGPIPE, so the writes fail instead of killing the process.
    let (mut tx, rx) = pipe::pipe().unwrap();
    drop(rx);
    let mut core = Core::new().unwrap();
    core.run(async {
        let kind = |result: io::Result<usize>| result.unwrap_err().kind();
        assert_eq!(kind(tx.try_write(b"x")), io::ErrorKind::BrokenPipe);
        assert_eq!(
            kind(tx.try_write_vectored(&[IoSlice::new(b"x")])),
            io::ErrorKind::BrokenPipe
        );
        assert_eq!(kind(tx.write(b"x").await), io::ErrorKind::BrokenPipe);
        let err = tx.write_all(b"x").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        // The waits end at once: a write would not block.
        timeout(GENEROUS, tx.writable()).await.unwrap().unwrap();
        let ready = timeout(GENEROUS, tx.ready(Interest::WRITABLE))
            .await
            .unwrap()
            .unwrap();
        assert!(ready.is_write_closed(), "{ready:?}");
    });
}

#[test]
fn a_write_waiting_for_room_fails_when_the_receiver_goes() {
    let (tx, rx) = pipe::pipe().unwrap();
    while tx.try_write(&[0; 4096]).is_ok() {}
    let mut core = Core::new().unwrap();
    core.run(async move {
        let writer = mirage::spawn(async move {
            let mut tx = tx;
            timeout(GENEROUS, tx.write(&[1; 4096]))
                .await
                .expect("write hung")
        });
        mirage::task::yield_now().await;
        assert!(!writer.is_finished(), "the pipe is full");
        drop(rx);
        let err = writer.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

#[test]
fn a_fifo_opened_with_open_options_carries_bytes_both_ways_of_opening() {
    let fifo = Fifo::new("open");
    // No reader yet: a write-only open fails at once rather than blocking.
    let err = OpenOptions::new().open_sender(&fifo).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENXIO));

    let mut rx = OpenOptions::new().open_receiver(&fifo).unwrap();
    // Before any writer opened the FIFO, it reads end of file.
    assert_eq!(rx.try_read(&mut [0; 8]).unwrap(), 0);
    let mut tx = OpenOptions::new().open_sender(&fifo).unwrap();
    assert!(is_nonblocking(&tx) && is_nonblocking(&rx));
    let mut core = Core::new().unwrap();
    core.run(async {
        tx.write_all(b"hello fifo").await.unwrap();
        drop(tx);
        let mut got = Vec::new();
        timeout(GENEROUS, rx.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, b"hello fifo");
    });
}

#[test]
fn read_write_opens_a_sender_without_a_reader_and_a_receiver_that_never_ends() {
    let fifo = Fifo::new("read-write");
    let tx = OpenOptions::new()
        .read_write(true)
        .open_sender(&fifo)
        .unwrap();
    assert_eq!(tx.try_write(b"queued").unwrap(), 6);
    let rx = OpenOptions::new()
        .read_write(true)
        .open_receiver(&fifo)
        .unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let mut buf = [0; 16];
        let mut rx = rx;
        assert_eq!(rx.read(&mut buf).await.unwrap(), 6);
        assert_eq!(&buf[..6], b"queued");
        drop(tx);
        // The receiver holds a write end itself: no end of file, the read waits.
        let waited = timeout(Duration::from_millis(20), rx.read(&mut buf)).await;
        assert!(waited.is_err(), "read returned {waited:?}");
    });
}

#[test]
fn only_fifos_open_unless_unchecked() {
    let path = std::env::temp_dir().join(format!("mirage-{}-plain.file", std::process::id()));
    std::fs::write(&path, b"regular").unwrap();
    for result in [
        OpenOptions::new().open_receiver(&path).map(drop),
        OpenOptions::new().open_sender(&path).map(drop),
        OpenOptions::new()
            .read_write(true)
            .open_receiver(&path)
            .map(drop),
    ] {
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
    // Unchecked, the regular file opens, and reads as it is.
    let rx = OpenOptions::new()
        .unchecked(true)
        .open_receiver(&path)
        .unwrap();
    let mut buf = [0; 16];
    assert_eq!(rx.try_read(&mut buf).unwrap(), 7);
    std::fs::remove_file(&path).unwrap();

    let missing = OpenOptions::new().open_receiver("/nonexistent/mirage.fifo");
    assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
}

#[test]
fn taking_over_a_descriptor_checks_its_kind_and_direction() {
    let invalid =
        |result: io::Result<()>| result.unwrap_err().kind() == io::ErrorKind::InvalidInput;
    let (reader, writer) = io::pipe().unwrap();
    let (reader2, writer2) = io::pipe().unwrap();
    // Each end the wrong way round.
    assert!(invalid(Sender::from_owned_fd(reader.into()).map(drop)));
    assert!(invalid(Receiver::from_owned_fd(writer.into()).map(drop)));
    // Not a pipe at all.
    let (socket, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    assert!(invalid(Receiver::from_owned_fd(socket.into()).map(drop)));
    assert!(invalid(
        Sender::from_file(File::open("/dev/null").unwrap()).map(drop)
    ));

    // std's pipes are blocking: taking them over makes them non-blocking.
    assert!(!is_nonblocking(&reader2));
    let tx = Sender::from_file(File::from(OwnedFd::from(writer2))).unwrap();
    let rx = Receiver::from_owned_fd(reader2.into()).unwrap();
    assert!(is_nonblocking(&tx) && is_nonblocking(&rx));
    let err = rx.try_read(&mut [0; 8]).unwrap_err();
    assert_eq!(
        err.kind(),
        io::ErrorKind::WouldBlock,
        "a blocking read would hang here"
    );

    // The unchecked forms take anything, and make it non-blocking too.
    let (reader3, writer3) = io::pipe().unwrap();
    let rx3 = Receiver::from_owned_fd_unchecked(reader3.into()).unwrap();
    let tx3 = Sender::from_file_unchecked(File::from(OwnedFd::from(writer3))).unwrap();
    assert!(is_nonblocking(&rx3) && is_nonblocking(&tx3));
    drop((tx, rx, tx3, rx3));
}

#[test]
fn descriptors_handed_back_are_blocking_or_not_as_asked() {
    let (tx, rx) = pipe::pipe().unwrap();
    let mut core = Core::new().unwrap();
    // Registered with the Core first, so that handing back must deregister.
    core.run(async {
        tx.writable().await.unwrap();
        tx.try_write(b"x").unwrap();
        rx.readable().await.unwrap();
    });
    let read_fd = rx.into_blocking_fd().unwrap();
    assert!(!is_nonblocking(&read_fd));
    let write_fd = tx.into_nonblocking_fd().unwrap();
    assert!(is_nonblocking(&write_fd));
    let mut reader = File::from(read_fd);
    let mut byte = [0; 1];
    reader.read_exact(&mut byte).unwrap();
    assert_eq!(&byte, b"x");

    // And they come back, to be registered again.
    let mut tx = Sender::from_owned_fd(write_fd).unwrap();
    let rx = Receiver::from_owned_fd(reader.into()).unwrap();
    core.run(async {
        tx.write_all(b"again").await.unwrap();
        let mut buf = [0; 5];
        (&rx).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"again");
    });
}

/// A pipe in packet mode (`O_DIRECT`) returns one write per read: a read shorter than its
/// buffer does not show the pipe empty there, so the next read must not wait for an edge.
#[test]
fn a_packet_mode_pipe_reads_every_packet_without_waiting_for_an_edge() {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is room for the two descriptors `pipe2` writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_DIRECT | libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", io::Error::last_os_error());
    // SAFETY: `pipe2` succeeded: two new descriptors that nothing else owns.
    let (reader, writer) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let mut writer = File::from(writer);
    let rx = Receiver::from_owned_fd(reader).unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let reader = mirage::spawn(async move {
            let mut rx = rx;
            let mut buf = [0; 64];
            let mut packets = Vec::new();
            for _ in 0..2 {
                let n = timeout(GENEROUS, rx.read(&mut buf))
                    .await
                    .expect("a queued packet was not read")
                    .unwrap();
                packets.push(buf[..n].to_vec());
            }
            packets
        });
        // The reader waits on the empty pipe (registered), then both packets come with
        // one edge.
        mirage::task::yield_now().await;
        assert!(!reader.is_finished());
        writer.write_all(b"first").unwrap();
        writer.write_all(b"second").unwrap();
        assert_eq!(reader.await.unwrap(), [&b"first"[..], b"second"]);
    });
    drop(writer);
}

#[test]
fn vectored_and_try_io_reads_and_writes_reach_the_other_end() {
    let (tx, rx) = pipe::pipe().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")];
        tx.writable().await.unwrap();
        assert_eq!(tx.try_write_vectored(&bufs).unwrap(), 4);
        rx.readable().await.unwrap();
        let (mut first, mut second) = ([0; 1], [0; 8]);
        let mut bufs = [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)];
        assert_eq!(rx.try_read_vectored(&mut bufs).unwrap(), 4);
        assert_eq!((&first[..], &second[..3]), (&b"a"[..], &b"bcd"[..]));

        // try_io: a WouldBlock from the closure makes the next wait wait for an edge.
        let raw = File::from(rx.as_fd().try_clone_to_owned().unwrap());
        let mut buf = [0; 8];
        let err = rx.try_io(|| (&raw).read(&mut buf)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        let wait = timeout(Duration::from_millis(10), rx.readable()).await;
        assert!(wait.is_err(), "readable with nothing to read");
        let raw_tx = File::from(tx.as_fd().try_clone_to_owned().unwrap());
        assert_eq!(tx.try_io(|| (&raw_tx).write(b"via")).unwrap(), 3);
        timeout(GENEROUS, rx.readable()).await.unwrap().unwrap();
        assert_eq!(rx.try_read(&mut buf).unwrap(), 3);
        // Empty buffers never wait.
        assert_eq!(rx.try_read(&mut []).unwrap(), 0);
        assert_eq!(tx.try_write(&[]).unwrap(), 0);
    });
}

#[test]
fn poll_ready_and_ready_report_what_the_pipe_holds() {
    let (tx, rx) = pipe::pipe().unwrap();
    let mut core = Core::new().unwrap();
    core.run(async {
        std::future::poll_fn(|cx| tx.poll_write_ready(cx))
            .await
            .unwrap();
        let pending = timeout(Duration::from_millis(10), rx.ready(Interest::READABLE)).await;
        assert!(pending.is_err(), "nothing to read yet");
        tx.try_write(b"x").unwrap();
        std::future::poll_fn(|cx| rx.poll_read_ready(cx))
            .await
            .unwrap();
        let ready = rx.ready(Interest::READABLE).await.unwrap();
        assert!(ready.is_readable() && !ready.is_read_closed(), "{ready:?}");
        drop(tx);
        let ready = rx.ready(Interest::READABLE).await.unwrap();
        assert!(ready.is_read_closed(), "{ready:?}");
    });
}

#[test]
fn debug_names_the_end() {
    let (tx, rx) = pipe::pipe().unwrap();
    assert!(format!("{tx:?}").starts_with("Sender("), "{tx:?}");
    assert!(format!("{rx:?}").starts_with("Receiver("), "{rx:?}");
    assert!(format!("{:?}", OpenOptions::new()).contains("unchecked: false"));
}

/// A sender's wait for `Interest::ERROR` (which pipes share with the sockets' `ready`) ends
/// when the last receiver closes, which Linux reports as an error on the write end; data
/// and room alone do not end it.
#[test]
fn a_senders_wait_for_error_ends_when_the_receiver_closes() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (tx, rx) = pipe::pipe().unwrap();
        // Room to write does not end a wait for errors.
        let early = timeout(Duration::from_millis(30), tx.ready(Interest::ERROR)).await;
        assert!(early.is_err(), "a writable pipe ended a wait for errors");
        drop(rx);
        let ready = timeout(GENEROUS, tx.ready(Interest::ERROR))
            .await
            .expect("closing the receiver did not end the wait for errors")
            .unwrap();
        assert!(ready.is_error(), "{ready:?}");
        let err = tx.try_write(b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}
