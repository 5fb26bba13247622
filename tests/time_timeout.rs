//! Timeouts in virtual time.

use std::io;
use std::time::Duration;

use mirage::Core;
use mirage::time::{Elapsed, Instant, advance, pause, sleep, timeout, timeout_at};

#[test]
fn a_slow_future_times_out_at_the_deadline() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let result = timeout(Duration::from_secs(30), sleep(Duration::from_secs(60))).await;
        assert_eq!(result, Err(Elapsed::new()));
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    });
}

#[test]
fn a_future_that_finishes_first_wins() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let result = timeout(Duration::from_secs(5), async {
            sleep(Duration::from_secs(2)).await;
            "done"
        })
        .await;
        assert_eq!(result, Ok("done"));
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    });
}

#[test]
fn a_ready_future_never_times_out_even_with_no_time() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        assert_eq!(timeout(Duration::ZERO, async { 1 }).await, Ok(1));
        let past = Instant::now();
        advance(Duration::from_secs(1)).await;
        assert_eq!(timeout_at(past, async { 2 }).await, Ok(2));
    });
}

#[test]
fn a_timeout_whose_deadline_passed_while_pending_wins_over_a_later_future() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let (tx, rx) = mirage::sync::oneshot::channel::<u8>();
        let waiter = mirage::spawn(timeout(Duration::from_millis(10), rx));
        // Let the waiter run: its time limit starts at that first (pending) poll.
        mirage::yield_now().await;
        advance(Duration::from_millis(10)).await;
        assert!(waiter.is_finished());
        assert!(
            tx.send(1).is_err(),
            "the receiver was dropped with the timeout"
        );
        assert_eq!(waiter.await.unwrap(), Err(Elapsed::new()));
    });
}

#[test]
fn dropping_a_pending_timeout_drops_the_future_and_its_timer() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let (tx, rx) = mirage::sync::oneshot::channel::<()>();
        let task = mirage::spawn(timeout(Duration::from_secs(1), rx));
        mirage::yield_now().await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(tx.is_closed(), "the inner future was dropped");
        // With the 1 s timer gone, the next deadline is this one.
        sleep(Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    });
}

#[test]
fn elapsed_converts_to_a_timed_out_io_error() {
    let mut core = Core::new().unwrap();
    let result: io::Result<()> = core.run(async {
        pause();
        timeout(Duration::from_millis(1), std::future::pending::<()>()).await?;
        Ok(())
    });
    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::TimedOut);
}

#[test]
fn timeout_accepts_into_future_and_exposes_the_inner_future() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let wrapped = timeout(Duration::from_secs(1), std::future::ready(3));
        assert_eq!(wrapped.get_ref().clone().into_inner(), 3);
        assert_eq!(wrapped.deadline() - Instant::now(), Duration::from_secs(1));
        assert_eq!(wrapped.await, Ok(3));
    });
}

#[test]
fn timeout_starts_its_clock_at_the_first_pending_poll_and_timeout_at_is_fixed() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let relative = timeout(Duration::from_secs(2), std::future::pending::<()>());
        let absolute = timeout_at(start + Duration::from_secs(2), std::future::pending::<()>());
        advance(Duration::from_secs(1)).await;
        // Not polled yet: the relative limit has not started.
        assert_eq!(relative.deadline() - Instant::now(), Duration::from_secs(2));
        assert!(relative.await.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        // The absolute deadline passed while we waited: it times out at once.
        assert!(absolute.await.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    });
}
