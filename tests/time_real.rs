//! Timers in real time, with generous bounds: never early, and a blocked Core wakes up.

use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use mirage::Core;
use mirage::time::{Instant, TimerSpin, sleep, sleep_until, timeout};

#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[path = "net_common/seccomp.rs"]
mod seccomp;

#[test]
fn real_sleeps_never_complete_early_and_complete_eventually() {
    let mut core = Core::new().unwrap();
    core.run(async {
        for ms in [1u64, 2, 5, 10, 20] {
            let deadline = Instant::now() + Duration::from_millis(ms);
            sleep_until(deadline).await;
            let now = std::time::Instant::now();
            assert!(now >= deadline.into_std(), "woke before its deadline");
            // Generous: a loaded CI machine may be slow, but not seconds slow.
            assert!(now - deadline.into_std() < Duration::from_secs(2));
        }
    });
}

#[test]
fn a_timer_wakes_a_core_blocked_with_nothing_else_to_do() {
    let mut core = Core::new().unwrap();
    let start = std::time::Instant::now();
    // No I/O, no other tasks: only the timerfd can end this run.
    core.run(sleep(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn an_earlier_timer_added_while_blocked_rearms_the_kernel_timer() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let start = Instant::now();
        // The long timer arms the kernel timer first; the short one, registered from a task
        // woken by another thread, must still wake the Core on time.
        let long = mirage::spawn(sleep(Duration::from_secs(3600)));
        mirage::yield_now().await;
        let (tx, rx) = mirage::sync::oneshot::channel::<()>();
        let short = mirage::spawn(async move {
            rx.await.unwrap();
            sleep(Duration::from_millis(20)).await;
        });
        tx.send(()).unwrap();
        short.await.unwrap();
        long.abort();
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(20));
        assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    });
}

#[test]
fn many_timeouts_on_pending_futures_all_fire() {
    let mut core = Core::new().unwrap();
    let fired = core.run(async {
        let handles: Vec<_> = (0..1000u64)
            .map(|i| {
                mirage::spawn(timeout(
                    Duration::from_micros(i * 20),
                    std::future::pending::<()>(),
                ))
            })
            .collect();
        let mut fired = 0;
        for handle in handles {
            fired += handle.await.unwrap().is_err() as usize;
        }
        fired
    });
    assert_eq!(fired, 1000);
}

#[test]
fn a_kernel_timer_armed_before_pause_is_rearmed_after_resume() {
    let mut core = Core::new().unwrap();
    core.run(async {
        let sleeper = mirage::spawn(sleep(Duration::from_secs(2)));
        mirage::yield_now().await;
        // Block the Core with its kernel timer armed for the sleeper, until another thread
        // wakes it.
        let woken = Arc::new(AtomicBool::new(false));
        let mut waker_sent = false;
        poll_fn(|cx| {
            if woken.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            if !std::mem::replace(&mut waker_sent, true) {
                let (woken, waker) = (Arc::clone(&woken), cx.waker().clone());
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(50));
                    woken.store(true, Ordering::Release);
                    waker.wake();
                });
            }
            Poll::Pending
        })
        .await;
        // Virtual time moves the sleeper's deadline 1.9 s closer in real time: the kernel
        // timer armed under the old mapping would fire far too late.
        mirage::time::pause();
        mirage::time::advance(Duration::from_millis(1900)).await;
        mirage::time::resume();
        let start = std::time::Instant::now();
        sleeper.await.unwrap();
        let waited = start.elapsed();
        assert!(
            waited < Duration::from_secs(1),
            "the sleeper's last ~50 ms took {waited:?}"
        );
    });
}

#[test]
fn no_timer_fires_before_its_deadline_across_many_random_short_sleeps() {
    // Sleeps, deadlines, resets and timeouts of 0 to 1.5 ms from eight tasks at once, in
    // each way of waiting for a deadline: at every wake-up the system clock is past it.
    for spin in [
        TimerSpin::Off,
        TimerSpin::Adaptive,
        TimerSpin::Window(Duration::from_micros(300)),
    ] {
        let mut core = Core::new().unwrap();
        core.set_timer_spin(spin);
        core.run(async {
            let tasks: Vec<_> = (1..=8u64)
                .map(|seed| {
                    mirage::spawn(async move {
                        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                        for _ in 0..100 {
                            state ^= state << 13;
                            state ^= state >> 7;
                            state ^= state << 17;
                            let wait = Duration::from_nanos(state % 1_500_000);
                            let deadline = std::time::Instant::now() + wait;
                            match state % 4 {
                                0 => sleep(wait).await,
                                1 => sleep_until(deadline.into()).await,
                                2 => {
                                    // Registered for later first, then moved to the deadline.
                                    let mut nap = sleep(Duration::from_secs(10));
                                    let _ = timeout(wait / 3, &mut nap).await;
                                    nap.reset(deadline.into());
                                    nap.await;
                                }
                                _ => {
                                    let pending = std::future::pending::<()>();
                                    assert!(timeout(wait, pending).await.is_err());
                                }
                            }
                            let now = std::time::Instant::now();
                            assert!(now >= deadline, "woke {:?} early", deadline - now);
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
    }
}

#[test]
fn a_timer_already_due_when_the_core_would_wait_fires_without_a_park() {
    // A task registers a sleep, then computes past its deadline: when the Core runs out
    // of work, the timer is due already. It fires at once, with no kernel timer armed and
    // no park (no `on_thread_park`, no wait counted in the metrics).
    let runtime = mirage::runtime::Runtime::new().unwrap();
    let metrics = runtime.metrics();
    runtime.block_on(async {
        for _ in 0..20 {
            let deadline = Instant::now() + Duration::from_micros(100);
            let mut nap = std::pin::pin!(sleep_until(deadline));
            poll_fn(|cx| {
                assert!(
                    nap.as_mut().poll(cx).is_pending(),
                    "due before its deadline"
                );
                Poll::Ready(())
            })
            .await;
            while Instant::now() < deadline + Duration::from_micros(200) {
                std::hint::spin_loop();
            }
            let parks = metrics.worker_park_count(0);
            nap.await;
            assert_eq!(
                metrics.worker_park_count(0),
                parks,
                "parked for a timer already due"
            );
        }
    });
}

/// Makes `timerfd_settime` fail with `EINVAL` on the calling thread (and on the threads it
/// starts later); see [`seccomp::fail_on_this_thread`]. Mirage always passes flags 0.
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
fn lose_the_kernel_timer_on_this_thread() -> bool {
    seccomp::fail_on_this_thread(libc::SYS_timerfd_settime, 1, 0, libc::EINVAL)
}

/// A kernel timer that cannot be set leaves the Core to `epoll_wait`'s own timeout: its
/// sleeps and timeouts still end, and never early, with or without a spin before them.
#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
#[test]
fn timers_fall_back_to_the_poll_timeout_where_the_kernel_timer_cannot_be_set() {
    let (done, finished) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        timers_without_timerfd();
        let _ = done.send(());
    });
    // Generous: a loaded machine may be slow, but not seconds slow. A Core that waits for
    // the kernel timer that was never set would block for good.
    let waited = finished.recv_timeout(Duration::from_secs(10));
    assert_ne!(
        waited,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout),
        "the Core never woke for its timers"
    );
    thread.join().unwrap();
}

#[cfg(all(target_arch = "x86_64", target_endian = "little"))]
fn timers_without_timerfd() {
    if !lose_the_kernel_timer_on_this_thread() {
        eprintln!(
            "skipped: no seccomp filter here ({})",
            std::io::Error::last_os_error()
        );
        return;
    }
    // SAFETY: plain integer arguments; `spec` is a valid itimerspec that outlives the
    // call; the descriptor is ours, closed once.
    unsafe {
        let fd = libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_CLOEXEC);
        assert!(fd >= 0);
        let mut spec: libc::itimerspec = std::mem::zeroed();
        spec.it_value.tv_sec = 1;
        let set = libc::timerfd_settime(fd, 0, &spec, std::ptr::null_mut());
        let err = std::io::Error::last_os_error();
        libc::close(fd);
        assert_eq!(set, -1, "the filter works");
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    }
    for spin in [
        TimerSpin::default(),
        TimerSpin::Off,
        TimerSpin::Window(Duration::from_micros(200)),
    ] {
        let mut core = Core::new().unwrap();
        core.set_timer_spin(spin);
        // No I/O, no other tasks: only the poll timeout can end each wait.
        core.run(async {
            for ms in [1, 3, 10] {
                let wait = Duration::from_millis(ms);
                let start = std::time::Instant::now();
                sleep(wait).await;
                let slept = start.elapsed();
                assert!(slept >= wait, "{spin:?}: a {wait:?} sleep took {slept:?}");
                assert!(slept < Duration::from_secs(2), "{spin:?}: {slept:?}");

                let start = std::time::Instant::now();
                let gave_up = timeout(wait, std::future::pending::<()>()).await;
                let waited = start.elapsed();
                assert!(gave_up.is_err());
                assert!(
                    waited >= wait,
                    "{spin:?}: a {wait:?} timeout took {waited:?}"
                );
                assert!(waited < Duration::from_secs(2), "{spin:?}: {waited:?}");
            }
            let start = std::time::Instant::now();
            let slept = timeout(Duration::from_secs(5), sleep(Duration::from_millis(2))).await;
            assert!(
                slept.is_ok(),
                "{spin:?}: the timeout fired before the sleep"
            );
            assert!(start.elapsed() >= Duration::from_millis(2));
        });
    }
}
