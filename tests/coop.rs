//! Cooperative scheduling: a task whose socket is always ready still gives the other tasks
//! a turn, after at most one budget of operations.

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;

use mirage::coop::BUDGET;
use mirage::io::AsyncFd;
use mirage::net::UnixStream;
use mirage::Core;

/// More one-byte reads queued than many budgets' worth.
const QUEUED: usize = 16 * 1024;

/// A reader that finds a byte at every read (a one-byte read never drains the socket, so
/// no read ever waits) and counts its reads until `other_ran` is set.
async fn read_until(reader: &UnixStream, other_ran: &Cell<bool>) -> usize {
    let mut reads = 0;
    let mut byte = [0u8; 1];
    while !other_ran.get() {
        assert_eq!(reader.read(&mut byte).await.unwrap(), 1);
        reads += 1;
        assert!(reads < QUEUED, "the other task never ran");
    }
    reads
}

#[test]
fn a_task_whose_socket_is_always_ready_lets_a_later_task_run() {
    let mut core = Core::new().unwrap();
    let reads = core.run(async {
        let (reader, writer) = UnixStream::pair().unwrap();
        writer.write_all(&[7; QUEUED]).await.unwrap();
        let other_ran = Rc::new(Cell::new(false));
        let reading = mirage::spawn({
            let other_ran = other_ran.clone();
            async move { read_until(&reader, &other_ran).await }
        });
        // Spawned behind the reader: it runs only when the reader yields.
        mirage::spawn(async move { other_ran.set(true) });
        reading.await.unwrap()
    });
    // One budget of reads, then the other task, then the read that sees its flag.
    assert!(
        (1..=usize::from(BUDGET) + 1).contains(&reads),
        "the other task ran after {reads} reads"
    );
}

#[test]
fn the_root_future_yields_too() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let (reader, writer) = UnixStream::pair().unwrap();
        writer.write_all(&[7; QUEUED]).await.unwrap();
        let other_ran = Rc::new(Cell::new(false));
        mirage::spawn({
            let other_ran = other_ran.clone();
            async move { other_ran.set(true) }
        });
        let reads = read_until(&reader, &other_ran).await;
        assert!(
            (1..=usize::from(BUDGET) + 1).contains(&reads),
            "the other task ran after {reads} reads"
        );
    });
}

#[test]
fn an_async_fd_that_is_always_ready_lets_a_later_task_run() {
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    reader.set_nonblocking(true).unwrap();
    writer.write_all(&[7; QUEUED]).unwrap();
    let reader = AsyncFd::new(reader);
    let mut core = Core::new().unwrap();
    let reads = core.run(async {
        // The first wait registers the descriptor and waits for its first event.
        let _ = reader.readable().await.unwrap();
        let other_ran = Rc::new(Cell::new(false));
        mirage::spawn({
            let other_ran = other_ran.clone();
            async move { other_ran.set(true) }
        });
        let mut reads = 0;
        let mut byte = [0u8; 1];
        while !other_ran.get() {
            // Each wait finds the descriptor ready (one byte never drains it).
            let mut guard = reader.readable().await.unwrap();
            let n = guard.try_io(|fd| fd.get_ref().read(&mut byte));
            assert_eq!(n.expect("a byte is queued").unwrap(), 1);
            reads += 1;
            assert!(reads < QUEUED, "the other task never ran");
        }
        reads
    });
    assert!(
        (1..=usize::from(BUDGET) + 1).contains(&reads),
        "the other task ran after {reads} reads"
    );
}
