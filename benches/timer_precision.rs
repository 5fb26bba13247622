//! Timer precision: how late a 1 ms sleep wakes on an otherwise idle runtime, Mirage beside
//! tokio's current-thread runtime, same run; and Mirage again with a timer spin window
//! (`Core::set_timer_spin`, [`SPIN`]), which trades a busy CPU before each deadline for the
//! time the kernel takes to wake a sleeping thread.
//!
//! `cargo bench --bench timer_precision` (a plain `main`, not criterion). For each runtime,
//! 2,000 sequential `sleep_until(now + 1 ms)`, in 10 rounds of 200 that alternate between
//! the runtimes, so a burst of noise from a shared machine falls on all alike; lateness is
//! the `std::time::Instant` after the wake-up minus the deadline. Prints p50, p90, p99 and
//! max lateness in microseconds over all 2,000, how many wake-ups came before their deadline
//! (there should be none), and the median of the rounds' p99 (which one noisy round does
//! not move).

#![allow(missing_docs)]

use std::time::{Duration, Instant};

const ITERATIONS: usize = 2_000;
const ROUNDS: usize = 10;
const SLEEP: Duration = Duration::from_millis(1);
/// The spin window of the third runtime: above the 60 to 90 µs a sleeping thread usually
/// takes to wake on this kind of virtual machine.
const SPIN: Duration = Duration::from_micros(200);

/// Lateness of each wake-up in nanoseconds; negative when early.
type Latenesses = Vec<i128>;

fn lateness(deadline: Instant) -> i128 {
    let now = Instant::now();
    match now.checked_duration_since(deadline) {
        Some(late) => late.as_nanos() as i128,
        None => -((deadline - now).as_nanos() as i128),
    }
}

fn mirage_round(core: &mut mirage::Core, sleeps: usize) -> Latenesses {
    core.run(async {
        let mut out = Vec::with_capacity(sleeps);
        for _ in 0..sleeps {
            let deadline = mirage::time::Instant::now() + SLEEP;
            mirage::time::sleep_until(deadline).await;
            out.push(lateness(deadline.into_std()));
        }
        out
    })
}

fn tokio_round(rt: &tokio::runtime::Runtime, sleeps: usize) -> Latenesses {
    rt.block_on(async {
        let mut out = Vec::with_capacity(sleeps);
        for _ in 0..sleeps {
            let deadline = tokio::time::Instant::now() + SLEEP;
            tokio::time::sleep_until(deadline).await;
            out.push(lateness(deadline.into_std()));
        }
        out
    })
}

fn percentile(sorted: &[i128], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1_000.0
}

fn report(runtime: &str, mut latenesses: Latenesses) {
    latenesses.sort_unstable();
    let early = latenesses.iter().filter(|&&l| l < 0).count();
    println!(
        "{runtime:<8} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {early:>6}",
        percentile(&latenesses, 50.0),
        percentile(&latenesses, 90.0),
        percentile(&latenesses, 99.0),
        *latenesses.last().unwrap() as f64 / 1_000.0,
    );
    if early > 0 {
        let earliest = -latenesses[0] as f64 / 1_000.0;
        println!("         {early} wake-ups before the deadline, earliest {earliest:.1} µs early");
    }
}

fn p99(mut round: Latenesses) -> f64 {
    round.sort_unstable();
    percentile(&round, 99.0)
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to configure.
    let mut core = mirage::Core::new().unwrap();
    let mut spinning = mirage::Core::new().unwrap();
    spinning.set_timer_spin(SPIN);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut mirage, mut spin, mut tokio) = (Vec::new(), Vec::new(), Vec::new());
    let (mut mirage_p99s, mut spin_p99s, mut tokio_p99s) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let round = mirage_round(&mut core, ITERATIONS / ROUNDS);
        mirage_p99s.push(p99(round.clone()));
        mirage.extend(round);
        let round = mirage_round(&mut spinning, ITERATIONS / ROUNDS);
        spin_p99s.push(p99(round.clone()));
        spin.extend(round);
        let round = tokio_round(&rt, ITERATIONS / ROUNDS);
        tokio_p99s.push(p99(round.clone()));
        tokio.extend(round);
    }
    println!(
        "lateness of a 1 ms sleep, {ITERATIONS} sequential sleeps per runtime in {ROUNDS} \
         alternating rounds (µs)"
    );
    println!(
        "{:<8} {:>9} {:>9} {:>9} {:>9} {:>6}",
        "runtime", "p50", "p90", "p99", "max", "early"
    );
    report("mirage", mirage);
    report("spin", spin);
    report("tokio", tokio);
    let median = |mut p99s: Vec<f64>| {
        p99s.sort_by(f64::total_cmp);
        p99s[p99s.len() / 2]
    };
    println!(
        "(spin: Mirage with a {} µs timer spin window)",
        SPIN.as_micros()
    );
    println!(
        "median of the {ROUNDS} rounds' p99: mirage {:.1} µs, spin {:.1} µs, tokio {:.1} µs",
        median(mirage_p99s),
        median(spin_p99s),
        median(tokio_p99s)
    );
}
