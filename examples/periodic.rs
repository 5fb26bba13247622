//! Periodic work: a heartbeat task on an interval, a worker whose every job is bounded by a
//! timeout, and a clean stop after a fixed number of heartbeats.
//!
//! Run it with `cargo run --example periodic`; it finishes in about half a second.

use std::time::Duration;

use mirage::sync::mpsc;
use mirage::time::{Instant, MissedTickBehavior, interval, sleep, timeout};

const HEARTBEATS: u32 = 5;
const PERIOD: Duration = Duration::from_millis(100);
const JOB_LIMIT: Duration = Duration::from_millis(60);

/// A pretend job: job `n` takes `n * 20` ms, so the later ones exceed the limit.
async fn job(n: u32) -> u32 {
    sleep(Duration::from_millis(u64::from(n) * 20)).await;
    n * n
}

fn main() -> std::io::Result<()> {
    let mut core = mirage::Core::new()?;
    core.run(async {
        let start = Instant::now();
        let (jobs_tx, mut jobs_rx) = mpsc::channel::<u32>(8);

        // The worker runs each job under a time limit and reports what happened.
        let worker = mirage::spawn(async move {
            let (mut done, mut timed_out) = (0, 0);
            while let Some(n) = jobs_rx.recv().await {
                match timeout(JOB_LIMIT, job(n)).await {
                    Ok(result) => {
                        done += 1;
                        println!("  job {n}: result {result}");
                    }
                    Err(elapsed) => {
                        timed_out += 1;
                        println!("  job {n}: {elapsed} after {JOB_LIMIT:?}, abandoned");
                    }
                }
            }
            (done, timed_out)
        });

        // The heartbeat task: one tick per period, each handing the worker a job. It owns
        // the sending half, so the channel closes when it stops.
        let heartbeat = mirage::spawn(async move {
            let mut ticks = interval(PERIOD);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            for n in 1..=HEARTBEATS {
                let due = ticks.tick().await;
                println!("heartbeat {n} at {:?}", due - start);
                jobs_tx.send(n).await.expect("the worker stopped early");
            }
        });

        // Clean stop: after the last heartbeat the channel closes, which ends the worker's
        // loop once it has drained it.
        heartbeat.await.expect("the heartbeat panicked");
        let (done, timed_out) = worker.await.expect("the worker panicked");
        println!("stopped after {HEARTBEATS} heartbeats: {done} jobs done, {timed_out} timed out");
    });
    Ok(())
}
