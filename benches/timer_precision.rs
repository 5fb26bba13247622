//! Timer precision: how late a 1 ms sleep wakes on an otherwise idle runtime, Mirage beside
//! tokio's current-thread runtime, same run, and what the waiting costs in CPU time. Mirage
//! runs three ways ([`TimerSpin`]): as every Core starts (`Adaptive`: it learns how late the
//! kernel wakes it and wakes that much early), with spinning `Off` (asleep in the kernel
//! until the deadline, as before `Adaptive` existed), and with a fixed [`SPIN`] window.
//!
//! `cargo bench --bench timer_precision` (a plain `main`, not criterion). For each runtime,
//! 2,000 sequential `sleep_until(now + 1 ms)`, in 10 rounds of 200 that alternate between
//! the runtimes, so a burst of noise from a shared machine falls on all alike; lateness is
//! the `std::time::Instant` after the wake-up minus the deadline. Prints p50, p90, p99 and
//! max lateness in microseconds over all 2,000, how many wake-ups came before their deadline
//! (there should be none), the thread's CPU time per sleep (`CLOCK_THREAD_CPUTIME_ID`: the
//! wake-up's own cost, plus any spinning), and the median of the rounds' p99 (which one
//! noisy round does not move). Each runtime is new at the start, so `Adaptive`'s learning
//! (its first few dozen wake-ups) is in its figures.

#![allow(missing_docs)]

use std::time::{Duration, Instant};

use mirage::time::TimerSpin;

const ITERATIONS: usize = 2_000;
const ROUNDS: usize = 10;
const SLEEP: Duration = Duration::from_millis(1);
/// The fixed spin window: above the 60 to 90 µs a sleeping thread usually
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

fn report(runtime: &str, mut latenesses: Latenesses, cpu_micros: f64) {
    latenesses.sort_unstable();
    let early = latenesses.iter().filter(|&&l| l < 0).count();
    println!(
        "{runtime:<8} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {early:>6} {cpu_micros:>9.1}",
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

/// The calling thread's CPU time so far.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec`; the clock exists on every Linux.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// One runtime's results: every lateness, each round's p99, and the CPU time spent.
#[derive(Default)]
struct Series {
    latenesses: Latenesses,
    p99s: Vec<f64>,
    cpu: Duration,
}

impl Series {
    fn add_round(&mut self, round: impl FnOnce() -> Latenesses) {
        let before = thread_cpu_time();
        let round = round();
        self.cpu += thread_cpu_time() - before;
        self.p99s.push(p99(round.clone()));
        self.latenesses.extend(round);
    }

    fn median_p99(&self) -> f64 {
        let mut p99s = self.p99s.clone();
        p99s.sort_by(f64::total_cmp);
        p99s[p99s.len() / 2]
    }
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to configure.
    let modes = [
        ("mirage", TimerSpin::Adaptive),
        ("off", TimerSpin::Off),
        ("spin", TimerSpin::Window(SPIN)),
    ];
    let mut cores: Vec<mirage::Core> = modes
        .iter()
        .map(|&(_, spin)| {
            let mut core = mirage::Core::new().unwrap();
            core.set_timer_spin(spin);
            core
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut series: Vec<Series> = (0..=modes.len()).map(|_| Series::default()).collect();
    for _ in 0..ROUNDS {
        for (core, results) in cores.iter_mut().zip(&mut series) {
            results.add_round(|| mirage_round(core, ITERATIONS / ROUNDS));
        }
        series[modes.len()].add_round(|| tokio_round(&rt, ITERATIONS / ROUNDS));
    }
    let names: Vec<&str> = modes
        .iter()
        .map(|&(name, _)| name)
        .chain(["tokio"])
        .collect();
    println!(
        "lateness of a 1 ms sleep, {ITERATIONS} sequential sleeps per runtime in {ROUNDS} \
         alternating rounds (µs)"
    );
    println!(
        "{:<8} {:>9} {:>9} {:>9} {:>9} {:>6} {:>9}",
        "runtime", "p50", "p90", "p99", "max", "early", "cpu/sleep"
    );
    for (name, results) in names.iter().zip(&series) {
        let cpu = results.cpu.as_secs_f64() * 1e6 / ITERATIONS as f64;
        report(name, results.latenesses.clone(), cpu);
    }
    println!(
        "(mirage: TimerSpin::Adaptive, the default; off: TimerSpin::Off; spin: a {} µs \
         TimerSpin::Window)",
        SPIN.as_micros()
    );
    let medians: Vec<String> = names
        .iter()
        .zip(&series)
        .map(|(name, results)| format!("{name} {:.1} µs", results.median_p99()))
        .collect();
    println!("median of the {ROUNDS} rounds' p99: {}", medians.join(", "));
}
