//! Black-box scenarios through the public API only.

use mirage_timer::wheel::{HORIZON, TimerKey, Wheel};

/// xorshift64: deterministic pseudo-random numbers without a dependency.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

fn drain<T>(wheel: &mut Wheel<T>, now: u64) -> Vec<T> {
    let mut out = Vec::new();
    wheel.advance(now, |_, v| out.push(v));
    out
}

#[test]
fn many_concurrent_sleeps_wake_in_deadline_order() {
    const N: usize = 100_000;
    let mut next = rng(0x2545_F491_4F6C_DD1D);
    let mut wheel = Wheel::with_start(1_000);
    // Deadlines from 1 ms to ~10 s at 1 µs per tick, with many duplicates.
    let mut expected: Vec<(u64, usize)> = (0..N)
        .map(|i| {
            let deadline = 1_000 + 1_000 + (next() % 10_000) * 1_000 + next() % 3;
            wheel.insert(deadline, (deadline, i));
            (deadline, i)
        })
        .collect();
    assert_eq!(wheel.len(), N);
    // Stable sort: equal deadlines in insertion order.
    expected.sort_by_key(|&(deadline, _)| deadline);

    // Drive it like an event loop: sleep until the next expiration, fire.
    let mut fired = Vec::with_capacity(N);
    let mut wakeups = 0;
    while let Some(next) = wheel.next_expiration() {
        assert!(next >= wheel.now());
        wakeups += 1;
        let before = fired.len();
        wheel.advance(next, |_, item| fired.push(item));
        assert!(
            fired[before..]
                .iter()
                .all(|&(deadline, _)| deadline == next)
        );
    }
    assert_eq!(fired, expected);
    assert!(wheel.is_empty());
    // One wake-up per distinct deadline: next_expiration was exact.
    let mut distinct: Vec<u64> = expected.iter().map(|&(d, _)| d).collect();
    distinct.dedup();
    assert_eq!(wakeups, distinct.len());
}

#[test]
fn one_big_advance_yields_everything_in_order() {
    let mut next = rng(7);
    let mut wheel = Wheel::new();
    let mut expected: Vec<u64> = (0..20_000)
        .map(|_| {
            let deadline = next() >> (next() % 64);
            wheel.insert(deadline, deadline);
            deadline
        })
        .collect();
    expected.sort_unstable();
    let split = expected[expected.len() / 2];
    let first = drain(&mut wheel, split);
    assert_eq!(first, expected[..first.len()]);
    assert!(first.iter().all(|&d| d <= split));
    let rest = drain(&mut wheel, u64::MAX);
    assert_eq!(rest, expected[first.len()..]);
}

#[test]
fn stale_keys_never_reach_a_reused_slot() {
    let mut wheel = Wheel::new();
    let fired = wheel.insert(5, "fired");
    let removed = wheel.insert(6, "removed");
    assert_eq!(wheel.remove(removed), Some("removed"));
    let mut keys = Vec::new();
    wheel.advance(5, |key, v| keys.push((key, v)));
    assert_eq!(keys, [(fired, "fired")]);

    // The slab hands the freed indices out again.
    let new_a = wheel.insert(10, "a");
    let new_b = wheel.insert(10, "b");
    for stale in [fired, removed] {
        assert_eq!(wheel.remove(stale), None);
        assert!(!wheel.reschedule(stale, 1));
        assert_eq!(wheel.deadline(stale), None);
        assert!(wheel.get_mut(stale).is_none());
    }
    assert_eq!(wheel.len(), 2);
    assert_eq!(wheel.deadline(new_a), Some(10));
    assert_eq!(wheel.deadline(new_b), Some(10));
    assert_eq!(drain(&mut wheel, 10), ["a", "b"]);
}

#[test]
fn keys_of_another_wheel_reach_no_timer_here() {
    // Two wheels fill their slabs and generation counters alike, so a key handed out by one
    // names the same index and generation as a timer in the other.
    let mut mine = Wheel::new();
    let mut other = Wheel::new();
    let foreign = other.insert(10, "other's");
    let own = mine.insert(20, "mine");
    assert_eq!(mine.remove(foreign), None);
    assert!(!mine.reschedule(foreign, 1));
    assert_eq!(mine.deadline(foreign), None);
    assert!(mine.get_mut(foreign).is_none());
    assert_eq!(mine.len(), 1);
    assert_eq!(mine.deadline(own), Some(20));
    assert_eq!(other.remove(foreign), Some("other's"));
}

#[test]
fn reset_churn_reuses_one_slot() {
    // A `Sleep` reset over and over: one slab slot, a fresh deadline each
    // time, every key distinct.
    let mut wheel = Wheel::new();
    let mut seen = std::collections::HashSet::new();
    let mut key = wheel.insert(100, 0u32);
    for i in 1..10_000u64 {
        assert!(wheel.reschedule(key, 100 + i * 37));
        if i % 100 == 0 {
            let old = key;
            let value = wheel.remove(key).unwrap();
            key = wheel.insert(100 + i, value + 1);
            assert!(seen.insert(old));
            assert_eq!(wheel.remove(old), None);
        }
    }
    assert_eq!(wheel.len(), 1);
    *wheel.get_mut(key).unwrap() += 1;
    assert_eq!(drain(&mut wheel, u64::MAX), [100]);
}

#[test]
fn deadlines_beyond_reach_wait_and_fire_on_time() {
    let start = 123_456_789;
    let mut wheel = Wheel::with_start(start);
    let day = 86_400_000_000u64;
    let deadlines = [
        start + 2 * day,
        start + HORIZON,
        start + HORIZON + 1,
        start + 400 * day,
        1 << 62,
    ];
    let keys: Vec<TimerKey> = deadlines.iter().map(|&d| wheel.insert(d, d)).collect();
    assert_eq!(wheel.next_expiration(), Some(deadlines[0]));
    // Step through time in uneven strides, as an idle event loop would.
    let mut fired = Vec::new();
    let mut now = start;
    while now < deadlines[3] {
        now += 7 * day + 12_345;
        wheel.advance(now, |_, d| {
            assert!(d <= now);
            fired.push(d);
        });
    }
    assert_eq!(fired, deadlines[..4]);
    assert_eq!(wheel.deadline(keys[4]), Some(1 << 62));
    assert_eq!(wheel.next_expiration(), Some(1 << 62));
    assert!(drain(&mut wheel, (1 << 62) - 1).is_empty());
    assert_eq!(drain(&mut wheel, 1 << 62), [1 << 62]);
}

#[test]
fn jump_from_zero_to_a_trillion_in_one_call() {
    let mut wheel = Wheel::new();
    wheel.insert(1, 'a');
    wheel.insert(999_999_999_999, 'b');
    wheel.insert(1_000_000_000_001, 'c');
    assert_eq!(drain(&mut wheel, 1_000_000_000_000), ['a', 'b']);
    assert_eq!(wheel.now(), 1_000_000_000_000);
    assert_eq!(wheel.next_expiration(), Some(1_000_000_000_001));
    // An empty wheel jumps to the end of time at once.
    assert_eq!(drain(&mut wheel, u64::MAX), ['c']);
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn past_and_present_deadlines_fire_on_the_next_advance() {
    let mut wheel = Wheel::with_start(500);
    wheel.insert(500, "now");
    wheel.insert(3, "long ago");
    let moved = wheel.insert(900, "moved back");
    assert!(wheel.reschedule(moved, 499));
    assert_eq!(wheel.next_expiration(), Some(500));
    // Even an advance that does not move time yields them.
    assert_eq!(drain(&mut wheel, 500), ["long ago", "moved back", "now"]);
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn debug_output_is_a_summary() {
    let mut wheel = Wheel::new();
    wheel.insert(70, "x");
    let text = format!("{wheel:?}");
    assert!(text.starts_with("Wheel {"), "{text}");
    assert!(text.contains("len: 1"), "{text}");
    assert!(!text.contains("\"x\""), "lists a payload: {text}");
}
