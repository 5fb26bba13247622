//! Time held to behaviours tokio's own tests pin down, where Mirage's differed without
//! saying so.

use std::sync::mpsc;
use std::time::Duration;

use mirage::runtime::Builder;
use mirage::time::{Instant, advance, sleep};

/// Far more than any step below takes; reached only if something hangs.
const LIMIT: Duration = Duration::from_secs(10);

/// Runs `body` on a thread of its own and fails if it does not finish within `LIMIT`
/// (rather than hanging the test binary).
fn within_limit<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(body()).unwrap());
    rx.recv_timeout(LIMIT)
        .expect("did not finish: hung, or panicked")
}

/// `advance` polled under `Runtime::enter`, the runtime not running (as tokio allows: its
/// `advance` moves the clock and yields once), moves the clock and fires the due timers;
/// it cannot wait for the tasks they woke, which run at the runtime's next `block_on`.
#[test]
fn advance_under_an_entered_runtime_that_is_not_running_returns() {
    let (advanced, slept) = within_limit(|| {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let start = runtime.block_on(async { Instant::now() });
        let sleeper = runtime.spawn(async move {
            sleep(Duration::from_secs(1)).await;
            Instant::now() - start
        });
        runtime.block_on(mirage::yield_now()); // the sleep registers
        let advanced = {
            let _entered = runtime.enter();
            futures::executor::block_on(advance(Duration::from_secs(1)));
            Instant::now() - start
        };
        let slept = runtime.block_on(async {
            mirage::yield_now().await;
            assert!(sleeper.is_finished(), "the fired timer's task ran at once");
            sleeper.await.unwrap()
        });
        (advanced, slept)
    });
    assert_eq!(advanced, Duration::from_secs(1));
    assert_eq!(
        slept,
        Duration::from_secs(1),
        "woken at the advanced time, no later"
    );
}

/// A documented difference, pinned: inside a `spawn_blocking` closure `Instant::now` reads
/// the system clock, not its Core's paused clock (tokio's blocking threads read the paused
/// clock of their runtime).
#[test]
fn on_a_blocking_thread_instant_now_is_the_system_clock_not_the_paused_one() {
    let runtime = Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        sleep(Duration::from_secs(3600)).await; // virtual time runs an hour ahead
        let on_core = Instant::now();
        let system_before = std::time::Instant::now();
        let on_pool = mirage::spawn_blocking(Instant::now).await.unwrap();
        assert!(on_pool.into_std() >= system_before, "the system clock");
        assert!(
            on_core - on_pool > Duration::from_secs(3000),
            "not the Core's paused clock"
        );
    });
}
