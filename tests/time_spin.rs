//! Timer spinning (`Core::set_timer_spin`, `Builder::timer_spin`, `TimerSpin`): the Core
//! stays awake for the last stretch before a deadline instead of sleeping in the kernel, and
//! still serves sockets and other threads meanwhile; a fixed window, the adaptive default,
//! or off. Real time, with generous bounds.

mod guard;

use std::time::Duration;

use guard::within_guard;
use mirage::net::TcpListener;
use mirage::runtime::{Builder, Runtime};
use mirage::sync::cross_thread::oneshot;
use mirage::time::{Instant, TimerSpin, sleep, sleep_until};

fn spinning(window: Duration) -> Runtime {
    Builder::new_current_thread()
        .timer_spin(window)
        .build()
        .unwrap()
}

#[test]
fn a_deadline_within_the_window_is_awaited_awake_and_never_early() {
    within_guard(|| {
        let runtime = spinning(Duration::from_secs(1));
        let metrics = runtime.metrics();
        let parks = metrics.worker_park_count(0);
        let busy = metrics.worker_total_busy_duration(0);
        let start = std::time::Instant::now();
        runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_millis(20);
            sleep_until(deadline).await;
            assert!(Instant::now() >= deadline, "woke before its deadline");
        });
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(
            metrics.worker_park_count(0),
            parks,
            "the Core slept in the kernel"
        );
        // Awake the whole time: the busy time is the whole wait.
        assert!(metrics.worker_total_busy_duration(0) - busy >= Duration::from_millis(20));

        // Without a window, the same wait parks.
        let runtime = spinning(Duration::ZERO);
        let metrics = runtime.metrics();
        let parks = metrics.worker_park_count(0);
        runtime.block_on(sleep(Duration::from_millis(20)));
        assert!(metrics.worker_park_count(0) > parks);
    });
}

#[test]
fn a_deadline_beyond_the_window_is_slept_for_until_the_window() {
    within_guard(|| {
        let runtime = spinning(Duration::from_millis(5));
        let metrics = runtime.metrics();
        let parks = metrics.worker_park_count(0);
        let busy = metrics.worker_total_busy_duration(0);
        let start = std::time::Instant::now();
        runtime.block_on(sleep(Duration::from_millis(100)));
        assert!(start.elapsed() >= Duration::from_millis(100));
        assert!(metrics.worker_park_count(0) > parks, "the Core never slept");
        // Asleep for about 95 of the 100 ms; awake, spinning, for the last 5 (generous:
        // a loaded machine may stretch that).
        let spun = metrics.worker_total_busy_duration(0) - busy;
        assert!(spun < Duration::from_millis(60), "busy for {spun:?}");
    });
}

#[test]
fn another_thread_wakes_a_task_while_the_core_spins() {
    within_guard(|| {
        let runtime = spinning(Duration::from_secs(60));
        runtime.block_on(async {
            // Spinning toward a deadline far off, with no socket registered.
            let sleeper = mirage::spawn(sleep(Duration::from_secs(30)));
            let (tx, rx) = oneshot::channel();
            let start = std::time::Instant::now();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(10));
                tx.send("from another thread").unwrap();
            });
            assert_eq!(rx.await, Ok("from another thread"));
            assert!(start.elapsed() < Duration::from_secs(10));
            sleeper.abort();
        });
    });
}

#[test]
fn sockets_are_served_while_the_core_spins() {
    within_guard(|| {
        let runtime = spinning(Duration::from_secs(60));
        runtime.block_on(async {
            let sleeper = mirage::spawn(sleep(Duration::from_secs(30)));
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let start = std::time::Instant::now();
            // The peer is another thread, so each read waits for a real readiness event.
            let peer = std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                for _ in 0..3 {
                    let mut byte = [0u8];
                    stream.read_exact(&mut byte).unwrap();
                    stream.write_all(&[byte[0] + 1]).unwrap();
                }
            });
            let (stream, _) = listener.accept().await.unwrap();
            let mut value = 0u8;
            for _ in 0..3 {
                stream.write_all(&[value]).await.unwrap();
                let mut byte = [0u8];
                stream.read_exact(&mut byte).await.unwrap();
                value = byte[0];
            }
            assert_eq!(value, 3);
            assert!(start.elapsed() < Duration::from_secs(10));
            peer.join().unwrap();
            sleeper.abort();
        });
    });
}

#[test]
fn virtual_time_jumps_to_the_deadline_as_without_a_window() {
    within_guard(|| {
        let runtime = Builder::new_current_thread()
            .start_paused(true)
            .timer_spin(Duration::from_secs(3600))
            .build()
            .unwrap();
        let start = std::time::Instant::now();
        let waited = runtime.block_on(async {
            let begin = Instant::now();
            sleep(Duration::from_secs(600)).await;
            begin.elapsed()
        });
        assert_eq!(waited, Duration::from_secs(600));
        assert!(start.elapsed() < Duration::from_secs(10));
    });
}

#[test]
fn a_core_takes_the_window_too() {
    within_guard(|| {
        let mut core = mirage::Core::new().unwrap();
        core.set_timer_spin(Duration::from_millis(2));
        let start = std::time::Instant::now();
        let deadline = Instant::now();
        core.run(async {
            for _ in 0..20 {
                sleep(Duration::from_millis(1)).await;
            }
        });
        assert!(Instant::now() >= deadline + Duration::from_millis(20));
        assert!(start.elapsed() < Duration::from_secs(10));
        // Off again: the next wait sleeps in the kernel, and still ends on time.
        core.set_timer_spin(Duration::ZERO);
        let deadline = Instant::now() + Duration::from_millis(5);
        core.run(sleep_until(deadline));
        assert!(Instant::now() >= deadline);
    });
}

/// What `count` sleeps of `each`, one after another on `runtime`, cost: how many times the
/// Core parked, how long it was busy, and how long they took. Checks that none woke early.
fn sleep_in_turn(runtime: &Runtime, count: u64, each: Duration) -> (u64, Duration, Duration) {
    let metrics = runtime.metrics();
    let parks = metrics.worker_park_count(0);
    let busy = metrics.worker_total_busy_duration(0);
    let start = std::time::Instant::now();
    runtime.block_on(async {
        for _ in 0..count {
            let deadline = Instant::now() + each;
            sleep_until(deadline).await;
            assert!(Instant::now() >= deadline, "woke before its deadline");
        }
    });
    let waited = start.elapsed();
    let parks = metrics.worker_park_count(0) - parks;
    let busy = metrics.worker_total_busy_duration(0) - busy;
    (parks, busy, waited)
}

#[test]
fn the_default_sleeps_through_most_of_each_wait_and_spins_only_at_its_end() {
    within_guard(|| {
        // Adaptive: each wait parks until shortly before the deadline (never more than
        // `TimerSpin::ADAPTIVE_MAX`), however much the Core has learned.
        let runtime = Runtime::new().unwrap();
        let (parks, spun, waited) = sleep_in_turn(&runtime, 100, Duration::from_millis(2));
        assert!(waited >= Duration::from_millis(200));
        // Generous: a sleep due before the Core runs out of work fires without a park.
        assert!(parks >= 90, "parked {parks} times for 100 sleeps");
        // Awake for at most 250 µs of each 2 ms; generous, as a loaded machine may stretch it.
        assert!(spun < waited / 2, "busy for {spun:?} of {waited:?}");
    });
}

#[test]
fn spinning_off_sleeps_until_each_deadline() {
    within_guard(|| {
        let runtime = Builder::new_current_thread()
            .timer_spin(TimerSpin::Off)
            .build()
            .unwrap();
        let (parks, _, _) = sleep_in_turn(&runtime, 100, Duration::from_micros(500));
        // A park per sleep, where a 1 ms window would stay awake for every one. Generous:
        // a sleep whose deadline passes before the Core runs out of work (a loaded machine)
        // fires without one.
        assert!(parks >= 90, "parked {parks} times for 100 sleeps");
    });
}

#[test]
fn a_duration_converts_to_off_or_a_window() {
    assert_eq!(TimerSpin::default(), TimerSpin::Adaptive);
    assert_eq!(TimerSpin::from(Duration::ZERO), TimerSpin::Off);
    assert_eq!(
        TimerSpin::from(Duration::from_micros(200)),
        TimerSpin::Window(Duration::from_micros(200))
    );
}

#[test]
fn the_default_sleeps_first_and_spins_for_at_most_a_quarter_of_a_short_wait() {
    within_guard(|| {
        // 100 µs sleeps, shorter than a virtual machine's learned lead: the Core still
        // sleeps in the kernel for most of each, so timers close together cannot keep it
        // spinning.
        let runtime = Runtime::new().unwrap();
        let (parks, spun, waited) = sleep_in_turn(&runtime, 500, Duration::from_micros(100));
        // Half, to be generous (as above): spinning from the start, it would be none.
        assert!(parks >= 250, "parked {parks} times for 500 sleeps");
        assert!(spun < waited / 2, "busy for {spun:?} of {waited:?}");
    });
}

/// Returns once the Core running it has parked and unparked `turns` more times (an
/// odd count: once it is parked), as another thread sees in its metrics.
async fn until_parks_and_unparks(turns: u64) {
    let metrics = mirage::runtime::Handle::current().metrics();
    let target = metrics.worker_park_unpark_count(0) + turns;
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        while metrics.worker_park_unpark_count(0) < target {
            std::thread::sleep(Duration::from_micros(100));
        }
        let _ = tx.send(());
    });
    rx.await.unwrap();
}

#[test]
fn a_core_switched_to_adaptive_in_a_windows_spin_sleeps_before_the_deadline() {
    within_guard(|| {
        use std::cell::Cell;
        use std::rc::Rc;

        let mut core = mirage::Core::new().unwrap();
        core.set_timer_spin(Duration::from_millis(500));
        let fired = Rc::new(Cell::new(false));
        let sleeper = core.spawn({
            let fired = Rc::clone(&fired);
            async move {
                sleep(Duration::from_millis(520)).await;
                fired.set(true);
            }
        });
        // The Core sleeps until 500 ms before the sleeper's deadline, wakes, and spins: the
        // run ends in that spin (unless the machine took half a second to get there).
        core.run(until_parks_and_unparks(2));
        if fired.get() {
            return;
        }
        // Adaptive leads by at most `TimerSpin::ADAPTIVE_MAX`: the Core sleeps through most
        // of the ~500 ms left, so it parks long before the sleeper's deadline.
        core.set_timer_spin(TimerSpin::Adaptive);
        core.run(until_parks_and_unparks(1));
        assert!(
            !fired.get(),
            "the Core spun until the deadline instead of sleeping"
        );
        sleeper.abort();
    });
}
