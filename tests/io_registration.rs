//! The reactor: readiness of registered descriptors wakes the tasks waiting on them.

use std::future::Future;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use mirage::Core;
use mirage::io::{Direction, Registration};

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// A socket and its registration, dropped in the right order.
struct Async {
    registration: Registration,
    socket: UnixStream,
}

impl Async {
    fn new(socket: UnixStream) -> Async {
        Async {
            registration: Registration::new(socket.as_raw_fd()),
            socket,
        }
    }

    async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.registration
            .io(Direction::Read, || (&self.socket).read(buf))
            .await
    }

    async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self
                .registration
                .io(Direction::Write, || (&self.socket).write(buf))
                .await?;
            buf = &buf[n..];
        }
        Ok(())
    }
}

#[test]
fn a_read_waits_for_data_written_by_another_task() {
    let mut core = Core::new().unwrap();
    let (a, b) = pair();
    let received = core.run(async move {
        let (a, b) = (Async::new(a), Async::new(b));
        let reader = mirage::spawn(async move {
            let mut buf = [0u8; 16];
            let n = b.read(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        for _ in 0..3 {
            mirage::yield_now().await;
        }
        assert!(!reader.is_finished(), "nothing was written yet");
        a.write_all(b"hello").await.unwrap();
        reader.await.unwrap()
    });
    assert_eq!(received, b"hello");
}

#[test]
fn one_task_reads_while_another_writes_the_same_socket() {
    // Fill a socket buffer past its capacity from one side while both directions of the
    // other side are in use by two tasks sharing it.
    let mut core = Core::new().unwrap();
    let (a, b) = pair();
    const LEN: usize = 4 << 20;
    let (sent, got) = core.run(async move {
        let a = Rc::new(Async::new(a));
        let b = Async::new(b);
        let writer = mirage::spawn({
            let a = Rc::clone(&a);
            async move {
                let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
                a.write_all(&data).await.unwrap();
                data.iter().map(|&x| x as u64).sum::<u64>()
            }
        });
        let echo = mirage::spawn(async move {
            // Echo everything back.
            let mut buf = vec![0u8; 64 << 10];
            let mut total = 0;
            while total < LEN {
                let n = b.read(&mut buf).await.unwrap();
                b.write_all(&buf[..n]).await.unwrap();
                total += n;
            }
        });
        let reader = mirage::spawn({
            let a = Rc::clone(&a);
            async move {
                let mut buf = vec![0u8; 64 << 10];
                let (mut total, mut sum) = (0, 0u64);
                while total < LEN {
                    let n = a.read(&mut buf).await.unwrap();
                    sum += buf[..n].iter().map(|&x| x as u64).sum::<u64>();
                    total += n;
                }
                sum
            }
        });
        echo.await.unwrap();
        (writer.await.unwrap(), reader.await.unwrap())
    });
    assert_eq!(sent, got);
}

#[test]
fn a_dropped_registration_is_deregistered() {
    // Registering the same descriptor again would fail with EEXIST if the first
    // registration had stayed in epoll.
    let mut core = Core::new().unwrap();
    let (a, b) = pair();
    core.run(async {
        for _ in 0..3 {
            let registration = Registration::new(b.as_raw_fd());
            (&a).write_all(b"x").unwrap();
            registration.ready(Direction::Read).await.unwrap();
            drop(registration);
            let mut buf = [0u8; 8];
            assert_eq!((&b).read(&mut buf).unwrap(), 1);
        }
    });
}

#[test]
fn a_registration_outliving_its_core_drops_cleanly() {
    let (a, b) = pair();
    let registration = Registration::new(b.as_raw_fd());
    let mut core = Core::new().unwrap();
    core.run(async {
        (&a).write_all(b"x").unwrap();
        registration.ready(Direction::Read).await.unwrap();
    });
    drop(core);
    drop(registration);
}

#[test]
fn dropping_a_pending_readiness_future_forgets_its_waiter() {
    let mut core = Core::new().unwrap();
    let (a, b) = pair();
    core.run(async {
        let registration = Registration::new(b.as_raw_fd());
        // Many abandoned waits must not pile up and all wake at once later.
        for _ in 0..1000 {
            let mut ready = std::pin::pin!(registration.ready(Direction::Read));
            let polled = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(ready.as_mut().poll(cx).is_pending())
            })
            .await;
            assert!(polled, "nothing written, so not readable");
        }
        (&a).write_all(b"x").unwrap();
        registration.ready(Direction::Read).await.unwrap();
    });
}

#[test]
#[should_panic(expected = "outside a running or entered Core")]
fn polling_io_outside_a_core_panics_with_a_clear_message() {
    let (_a, b) = pair();
    let registration = Registration::new(b.as_raw_fd());
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let _ = registration.poll_ready(&mut cx, Direction::Read);
}

/// Registers `registration` (for `pair.1`) with `core` by waiting for one byte written on
/// `pair.0`, then consumes it, leaving the descriptor registered and not ready.
fn register_with(core: &mut Core, registration: &Registration, pair: (&UnixStream, &UnixStream)) {
    let (mut a, mut b) = pair;
    core.run(async {
        a.write_all(b"x").unwrap();
        registration.ready(Direction::Read).await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(b.read(&mut buf).unwrap(), 1);
        registration.clear_ready(Direction::Read);
    });
}

#[test]
fn a_registration_moves_to_the_next_core_once_its_core_is_dropped() {
    let (a, b) = pair();
    let registration = Registration::new(b.as_raw_fd());
    let mut first = Core::new().unwrap();
    register_with(&mut first, &registration, (&a, &b));
    drop(first);
    let mut second = Core::new().unwrap();
    second.run(async {
        // The wait starts before the data is written: only the second Core's reactor can
        // end it.
        let writer = mirage::spawn(async move {
            mirage::yield_now().await;
            (&a).write_all(b"y").unwrap();
        });
        let ready = mirage::time::timeout(
            std::time::Duration::from_secs(5),
            registration.ready(Direction::Read),
        )
        .await;
        ready.expect("the wait on the second Core hung").unwrap();
        writer.await.unwrap();
    });
    // Dropping the registration deregisters it from the second Core's epoll: registering the
    // descriptor there again would fail with EEXIST otherwise.
    drop(registration);
    second.run(async {
        Registration::new(b.as_raw_fd())
            .ready(Direction::Read)
            .await
            .unwrap();
    });
}

#[test]
fn a_task_of_another_core_waiting_on_a_registration_wakes_when_its_core_runs() {
    let (a, b) = pair();
    let registration = Rc::new(Registration::new(b.as_raw_fd()));
    let mut first = Core::new().unwrap();
    register_with(&mut first, &registration, (&a, &b));
    // A task of a second Core waits: the descriptor stays with the first Core.
    let mut second = Core::new().unwrap();
    let waiter = second.spawn({
        let registration = Rc::clone(&registration);
        async move { registration.ready(Direction::Read).await }
    });
    second.run(mirage::yield_now());
    assert!(!waiter.is_finished());
    // The event reaches the first Core's reactor when it runs, which wakes the waiter.
    (&a).write_all(b"y").unwrap();
    first.run(mirage::time::sleep(std::time::Duration::from_millis(1)));
    let ready = second.run(mirage::time::timeout(
        std::time::Duration::from_secs(5),
        waiter,
    ));
    ready.expect("the waiter was not woken").unwrap().unwrap();
}

#[test]
fn a_waiter_of_another_core_moves_to_it_when_the_first_core_is_dropped() {
    let (a, b) = pair();
    let registration = Rc::new(Registration::new(b.as_raw_fd()));
    let mut first = Core::new().unwrap();
    register_with(&mut first, &registration, (&a, &b));
    let mut second = Core::new().unwrap();
    let waiter = second.spawn({
        let registration = Rc::clone(&registration);
        async move { registration.ready(Direction::Read).await }
    });
    second.run(mirage::yield_now());
    assert!(!waiter.is_finished());
    // The first Core goes, and its epoll instance with it: no event can reach the waiter
    // unless it registers the descriptor with its own Core.
    drop(first);
    (&a).write_all(b"y").unwrap();
    let ready = second.run(mirage::time::timeout(
        std::time::Duration::from_secs(5),
        waiter,
    ));
    ready
        .expect("the waiter stayed asleep on the dropped Core")
        .unwrap()
        .unwrap();
}
