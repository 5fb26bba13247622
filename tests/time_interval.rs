//! Intervals in virtual time: drift-free ticks and the missed-tick behaviours.

use std::time::Duration;

use mirage::Core;
use mirage::time::{Instant, MissedTickBehavior, interval, interval_at, pause, sleep, timeout};

const MS: Duration = Duration::from_millis(1);

#[test]
fn hundred_ticks_of_10ms_take_exactly_990ms() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let mut ticks = interval(10 * MS);
        for i in 0..100u32 {
            let due = ticks.tick().await;
            assert_eq!(due, start + i * 10 * MS);
            assert_eq!(Instant::now(), due, "tick {i} fired exactly on time");
        }
        assert_eq!(start.elapsed(), 990 * MS);
    });
}

/// Ticks at 0, stalls until 35 ms, then records (due, now) of the next four ticks, in ms.
fn after_a_stall(behavior: MissedTickBehavior) -> Vec<(u64, u64)> {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let mut ticks = interval(10 * MS);
        ticks.set_missed_tick_behavior(behavior);
        ticks.tick().await;
        sleep(35 * MS).await; // the task is busy; ticks at 10, 20 and 30 ms are missed
        let mut seen = Vec::new();
        for _ in 0..4 {
            let due = ticks.tick().await;
            let ms = |t: Instant| (t - start).as_millis() as u64;
            seen.push((ms(due), ms(Instant::now())));
        }
        seen
    })
}

#[test]
fn burst_catches_up_at_once_then_keeps_the_grid() {
    assert_eq!(
        after_a_stall(MissedTickBehavior::Burst),
        [(10, 35), (20, 35), (30, 35), (40, 40)]
    );
}

#[test]
fn delay_restarts_the_schedule_from_the_late_tick() {
    assert_eq!(
        after_a_stall(MissedTickBehavior::Delay),
        [(10, 35), (45, 45), (55, 55), (65, 65)]
    );
}

#[test]
fn skip_drops_the_missed_ticks_and_stays_on_the_grid() {
    assert_eq!(
        after_a_stall(MissedTickBehavior::Skip),
        [(10, 35), (40, 40), (50, 50), (60, 60)]
    );
}

/// Ticks at 0 with `period`, stalls for `stall`, then returns the dues of the next three
/// ticks, in ms.
fn dues_after(behavior: MissedTickBehavior, period: Duration, stall: Duration) -> Vec<u128> {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let mut ticks = interval(period);
        ticks.set_missed_tick_behavior(behavior);
        ticks.tick().await;
        sleep(stall).await;
        let mut dues = Vec::new();
        for _ in 0..3 {
            dues.push((ticks.tick().await - start).as_millis());
        }
        dues
    })
}

#[test]
fn a_tick_late_by_at_most_5ms_keeps_the_schedule() {
    for behavior in [
        MissedTickBehavior::Burst,
        MissedTickBehavior::Delay,
        MissedTickBehavior::Skip,
    ] {
        // The tick due at 10 ms completes at 13 and at 15 ms.
        assert_eq!(
            dues_after(behavior, 10 * MS, 13 * MS),
            [10, 20, 30],
            "{behavior:?}"
        );
        assert_eq!(
            dues_after(behavior, 10 * MS, 15 * MS),
            [10, 20, 30],
            "{behavior:?}"
        );
    }
}

#[test]
fn a_tick_late_by_more_than_5ms_but_less_than_a_period() {
    // Due at 10 ms, completes at 17 ms: only `Delay` moves the schedule, as in tokio.
    let late = |behavior| dues_after(behavior, 10 * MS, 17 * MS);
    assert_eq!(late(MissedTickBehavior::Burst), [10, 20, 30]);
    assert_eq!(late(MissedTickBehavior::Delay), [10, 27, 37]);
    assert_eq!(late(MissedTickBehavior::Skip), [10, 20, 30]);
}

#[test]
fn with_a_period_under_5ms_a_tick_a_period_late_counts_as_missed() {
    // Period 2 ms, due at 2 ms, completes at 5 ms: the tick due at 4 ms was missed.
    let late = |behavior| dues_after(behavior, 2 * MS, 5 * MS);
    assert_eq!(late(MissedTickBehavior::Burst), [2, 4, 6]);
    assert_eq!(late(MissedTickBehavior::Delay), [2, 7, 9]);
    assert_eq!(late(MissedTickBehavior::Skip), [2, 6, 8]);
}

#[test]
fn a_huge_period_means_never_again_without_overflowing() {
    for period in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            let mut core = Core::new().unwrap();
            core.run(async {
                pause();
                let mut ticks = interval(period);
                ticks.set_missed_tick_behavior(behavior);
                ticks.tick().await;
                sleep(3600 * 1000 * MS).await; // late by an hour
                let second = timeout(MS, ticks.tick()).await;
                assert!(second.is_err(), "{behavior:?}: the second tick never comes");
                ticks.reset();
                assert!(timeout(MS, ticks.tick()).await.is_err());
                ticks.reset_after(Duration::MAX);
                assert!(timeout(MS, ticks.tick()).await.is_err());
            });
        }
    }
}

#[test]
fn interval_at_starts_later_and_each_reset_restarts_the_schedule() {
    let mut core = Core::new().unwrap();
    core.run(async {
        pause();
        let start = Instant::now();
        let mut ticks = interval_at(start + 100 * MS, 10 * MS);
        assert_eq!(ticks.tick().await - start, 100 * MS);
        sleep(3 * MS).await;
        ticks.reset();
        assert_eq!(ticks.tick().await - start, 113 * MS);
        ticks.reset_immediately();
        assert_eq!(ticks.tick().await - start, 113 * MS);
        ticks.reset_at(start + 200 * MS);
        assert_eq!(ticks.tick().await - start, 200 * MS);
        assert_eq!(ticks.tick().await - start, 210 * MS);
        ticks.reset_after(4 * MS);
        assert_eq!(ticks.tick().await - start, 214 * MS);
        assert_eq!(ticks.tick().await - start, 224 * MS);
    });
}

#[test]
#[should_panic(expected = "period must be greater than zero")]
fn a_zero_period_panics_clearly() {
    let _ = interval(Duration::ZERO);
}
