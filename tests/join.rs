//! `join!` and `try_join!`: every output in order, concurrency, polls only for woken
//! futures, and `try_join!`'s early exit that drops the rest.

mod select_common;

use std::cell::{Cell, RefCell};
use std::future::{Future, ready};
use std::io;
use std::rc::Rc;
use std::time::Duration;

use mirage::time::{Instant, sleep};
use select_common::{Gate, SetOnDrop};

#[mirage::test(start_paused = true)]
async fn outputs_come_in_the_order_written_and_the_futures_run_concurrently() {
    let start = Instant::now();
    let order = RefCell::new(Vec::new());
    let after = |secs, name| {
        let order = &order;
        async move {
            sleep(Duration::from_secs(secs)).await;
            order.borrow_mut().push(name);
            name
        }
    };
    let out = mirage::join!(after(3, "a"), after(1, "b"), after(2, "c"));
    assert_eq!(out, ("a", "b", "c"));
    assert_eq!(*order.borrow(), ["b", "c", "a"], "finished in time order");
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(3),
        "the longest, not the sum"
    );
}

#[mirage::test]
async fn empty_joins_are_unit_and_ok() {
    let unit: () = mirage::join!();
    let ok: Result<(), io::Error> = mirage::try_join!();
    assert_eq!(unit, ());
    assert!(ok.is_ok());
}

#[mirage::test]
async fn a_finished_future_is_never_polled_again() {
    // `Ready` panics if it is polled after completing; the gate keeps the join waiting.
    let gate = Gate::new();
    let opener = {
        let gate = gate.clone();
        mirage::spawn(async move {
            gate.wake(); // a wake-up of the gate's future alone
            while gate.polls() < 2 {
                mirage::yield_now().await;
            }
            gate.open();
        })
    };
    let (a, b, c) = mirage::join!(ready(1), gate.wait(2), ready(3));
    opener.await.unwrap();
    assert_eq!((a, b, c), (1, 2, 3));
    assert_eq!(gate.polls(), 3, "first poll, the bare wake-up, the opening");
}

#[mirage::test]
async fn a_wake_up_polls_only_the_future_whose_waker_fired() {
    let gates: Vec<Gate> = (0..6).map(|_| Gate::new()).collect();
    let driver = {
        let gates = gates.clone();
        mirage::spawn(async move {
            assert!(
                gates.iter().all(|g| g.polls() == 1),
                "the first poll polls all"
            );
            gates[4].open();
            while gates[4].polls() < 2 {
                mirage::yield_now().await;
            }
            let polls: Vec<u32> = gates.iter().map(Gate::polls).collect();
            assert_eq!(polls, [1, 1, 1, 1, 2, 1]);
            for gate in &gates {
                gate.open();
            }
        })
    };
    let out = mirage::join!(
        gates[0].wait(0),
        gates[1].wait(1),
        gates[2].wait(2),
        gates[3].wait(3),
        gates[4].wait(4),
        gates[5].wait(5),
    );
    driver.await.unwrap();
    assert_eq!(out, (0, 1, 2, 3, 4, 5));
}

#[mirage::test]
async fn futures_may_borrow_locals() {
    use mirage::io::{AsyncReadExt, AsyncWriteExt};

    let (mut a, mut b) = mirage::io::duplex(64);
    let mut buf = [0u8; 5];
    let (read, written) = mirage::join!(a.read_exact(&mut buf), b.write_all(b"hello"));
    read.unwrap();
    written.unwrap();
    assert_eq!(&buf, b"hello");
}

#[mirage::test(start_paused = true)]
async fn try_join_gives_the_values_when_every_future_succeeds() {
    let (a, b) = mirage::try_join!(
        async {
            sleep(Duration::from_secs(1)).await;
            Ok::<_, io::Error>(1)
        },
        async { Ok("two") },
    )
    .unwrap();
    assert_eq!((a, b), (1, "two"));
}

#[mirage::test(start_paused = true)]
async fn try_join_stops_at_the_first_error_and_drops_the_rest_before_returning() {
    let dropped = Rc::new(Cell::new(false));
    let start = Instant::now();
    let slow = {
        let guard = SetOnDrop(Rc::clone(&dropped));
        async move {
            let _guard = guard;
            sleep(Duration::from_secs(60)).await;
            Ok(0u8)
        }
    };
    let failing = async {
        sleep(Duration::from_secs(1)).await;
        Err::<u8, _>("refused")
    };
    let result = mirage::try_join!(slow, failing);
    assert!(
        dropped.get(),
        "the slow future was dropped when the error came"
    );
    assert_eq!(result, Err("refused"));
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

/// Counts its drops; panics in `drop` if `panics`.
struct CountDrops {
    drops: Rc<Cell<u32>>,
    panics: bool,
}

impl Drop for CountDrops {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
        if self.panics {
            panic!("a future's destructor panicked");
        }
    }
}

#[test]
fn try_join_drops_the_error_when_a_destructor_panics_on_the_way_out() {
    let dropped = Rc::new(Cell::new(0));
    let error = Rc::new(Cell::new(0));
    let guard = |panics| CountDrops {
        drops: dropped.clone(),
        panics,
    };
    let (panicking, other) = (guard(true), guard(false));
    let failure = CountDrops {
        drops: error.clone(),
        panics: false,
    };
    let join = async move {
        let pending = |guard: CountDrops| async move {
            let _guard = guard;
            std::future::pending::<Result<(), CountDrops>>().await
        };
        let result = mirage::try_join!(
            pending(panicking),
            ready(Err::<(), _>(failure)),
            pending(other)
        );
        result.map(drop)
    };
    let mut join = Box::pin(join);
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = join
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    }));
    assert!(polled.is_err(), "the destructor's panic reaches the poller");
    drop(join);
    assert_eq!(dropped.get(), 2, "every other future was dropped, once");
    assert_eq!(
        error.get(),
        1,
        "the error was dropped while the panic unwound, not leaked"
    );
}

#[mirage::test]
async fn try_join_works_with_the_question_mark() {
    async fn both() -> io::Result<u32> {
        let (a, b) = mirage::try_join!(async { Ok::<_, io::Error>(1) }, async { Ok(2) })?;
        Ok(a + b)
    }
    async fn one_fails() -> io::Result<u32> {
        let (a, b) = mirage::try_join!(async { Ok(1) }, async {
            Err::<u32, _>(io::Error::from(io::ErrorKind::ConnectionRefused))
        })?;
        Ok(a + b)
    }
    assert_eq!(both().await.unwrap(), 3);
    assert_eq!(
        one_fails().await.unwrap_err().kind(),
        io::ErrorKind::ConnectionRefused
    );
}

/// Sixty-four `ready(i)` futures, as one `join!`.
macro_rules! join_64 {
    ($($i:literal)*) => { mirage::join!($(ready($i as u32)),*) };
}

#[mirage::test]
async fn sixty_four_futures() {
    let out = join_64!(
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
        60 61 62 63
    );
    assert_eq!(out.0, 0);
    assert_eq!(out.31, 31);
    assert_eq!(out.63, 63);
}

#[test]
fn a_join_of_tasks_runs_them_while_the_core_serves_others() {
    let mut core = mirage::Core::new().unwrap();
    let total = core.run(async {
        let a = mirage::spawn(async { 20 });
        let b = mirage::spawn(async {
            mirage::yield_now().await;
            22
        });
        let (a, b) = mirage::join!(a, b);
        a.unwrap() + b.unwrap()
    });
    assert_eq!(total, 42);
}

/// Ready at its first poll, but holds a permit of `semaphore` until it is dropped: the shape
/// of a response future that owns its concurrency permit.
struct HoldsPermit {
    semaphore: Rc<mirage::sync::Semaphore>,
    permit: Option<mirage::sync::OwnedSemaphorePermit>,
}

impl std::future::Future for HoldsPermit {
    type Output = Result<&'static str, ()>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<&'static str, ()>> {
        let permit = Rc::clone(&self.semaphore).try_acquire_owned().unwrap();
        self.permit = Some(permit);
        std::task::Poll::Ready(Ok("first"))
    }
}

#[mirage::test(start_paused = true)]
async fn a_finished_future_is_dropped_at_once_not_when_the_join_ends() {
    let semaphore = Rc::new(mirage::sync::Semaphore::new(1));
    let first = HoldsPermit {
        semaphore: Rc::clone(&semaphore),
        permit: None,
    };
    let second = async {
        mirage::yield_now().await;
        // Only once `first` is gone is its permit free.
        let _permit = semaphore.acquire().await.unwrap();
        "second"
    };
    let joined = mirage::time::timeout(Duration::from_secs(10), async {
        mirage::join!(first, second)
    });
    assert_eq!(joined.await, Ok((Ok("first"), "second")));

    let first = HoldsPermit {
        semaphore: Rc::clone(&semaphore),
        permit: None,
    };
    let second = async {
        mirage::yield_now().await;
        let _permit = semaphore.acquire().await.unwrap();
        Ok("second")
    };
    let joined = mirage::time::timeout(Duration::from_secs(10), async {
        mirage::try_join!(first, second)
    });
    assert_eq!(joined.await, Ok(Ok(("first", "second"))));
}

/// Three futures that each log their name and yield, four times over.
async fn log_rounds(biased: bool) -> Vec<u32> {
    let log = RefCell::new(Vec::new());
    let step = |name| {
        let log = &log;
        async move {
            for _ in 0..4 {
                log.borrow_mut().push(name);
                mirage::task::yield_now().await;
            }
        }
    };
    if biased {
        mirage::join!(biased; step(1), step(2), step(3));
    } else {
        mirage::join!(step(1), step(2), step(3));
    }
    log.into_inner()
}

#[mirage::test]
async fn biased_polls_in_the_order_written_and_plain_join_moves_the_first() {
    assert_eq!(log_rounds(true).await, [1, 2, 3].repeat(4));
    let plain = log_rounds(false).await;
    let firsts: Vec<u32> = plain.chunks(3).map(|round| round[0]).collect();
    assert!(
        firsts.windows(2).all(|pair| pair[0] != pair[1]),
        "each poll starts from another future: {plain:?}"
    );
}

#[mirage::test]
async fn biased_try_join_and_a_future_named_biased() {
    let order = RefCell::new(Vec::new());
    let ok = |n: u32| {
        let order = &order;
        async move {
            order.borrow_mut().push(n);
            Ok::<_, io::Error>(n)
        }
    };
    let out = mirage::try_join!(biased; ok(1), ok(2), ok(3)).unwrap();
    assert_eq!(out, (1, 2, 3));
    assert_eq!(*order.borrow(), [1, 2, 3]);
    assert_eq!(mirage::join!(biased;), ());
    let empty: Result<(), io::Error> = mirage::try_join!(biased;);
    assert!(empty.is_ok());

    // Without the `;`, `biased` is an ordinary future.
    let biased = ready(5);
    assert_eq!(mirage::join!(biased, ready(6)), (5, 6));
}

/// The expansion unwraps each future's slot with the macro's span, not the future's: with
/// the future's, Clippy took that `expect` for the caller's own, so every documented
/// `pub fn` using `join!` or `try_join!` needed a `# Panics` section
/// (`clippy::missing_panics_doc`, in `clippy::pedantic`). Denied here, `cargo clippy
/// --all-targets` fails on it.
#[deny(clippy::expect_used, clippy::missing_panics_doc)]
mod no_clippy_lints_about_the_expansion {
    /// Both outputs.
    pub async fn joined() -> (u32, u32) {
        mirage::join!(async { 1 }, async { 2 })
    }

    /// Both outputs, or the first error.
    ///
    /// # Errors
    ///
    /// The second future's.
    pub async fn try_joined() -> Result<(u32, u32), u32> {
        mirage::try_join!(async { Ok(1) }, async { Err(2) })
    }

    #[mirage::test]
    async fn they_run() {
        assert_eq!(joined().await, (1, 2));
        assert_eq!(try_joined().await, Err(2));
    }
}
