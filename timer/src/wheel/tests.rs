//! White-box tests of [`Wheel`]: they look at where timers sit.

use super::entry::{Home, NIL};
use super::level::{
    HORIZON, LEVELS, Placement, SLOTS, TOP_SHIFT, placement, slot_of, slot_span, unpark_tick,
};
use super::*;

/// Checks every structural invariant; O(timers).
pub(super) fn check_invariants<T>(wheel: &Wheel<T>) {
    let now = wheel.now;
    let mut seen = 0;
    let mut walk = |list: &List, expect_home: Home, check: &dyn Fn(u64)| {
        let mut prev = NIL;
        let mut cursor = list.head();
        while cursor != NIL {
            let entry = &wheel.entries[cursor as usize];
            assert_eq!(entry.prev, prev, "broken back link at {cursor}: {wheel:?}");
            assert_eq!(
                entry.home, expect_home,
                "entry {cursor} in the wrong list: {wheel:?}"
            );
            assert!(
                list.min_deadline() <= entry.deadline,
                "min bound above {cursor}: {wheel:?}"
            );
            check(entry.deadline);
            seen += 1;
            prev = cursor;
            cursor = entry.next;
        }
        assert_eq!(list.tail(), prev, "tail mismatch: {wheel:?}");
    };
    for (l, level) in wheel.levels.iter().enumerate() {
        for s in 0..SLOTS {
            let list = level.slot(s);
            assert_eq!(
                level.occupied() & (1 << s) != 0,
                !list.is_empty(),
                "occupancy bit {l}/{s}: {wheel:?}"
            );
            let home = Home::Slot {
                level: l as u8,
                slot: s as u8,
            };
            walk(list, home, &|deadline| {
                // Level 0 holds `now` itself only if a callback panicked
                // before the slot was drained.
                assert!(
                    deadline > now || (l == 0 && deadline == now),
                    "{deadline} not after now {now} at {l}/{s}"
                );
                assert_eq!(placement(now, deadline), Placement::Level(l), "{deadline}");
                assert_eq!(slot_of(l, deadline), s);
            });
            if !list.is_empty() {
                // The bound stays inside the slot, hence after now.
                let bound = list.min_deadline();
                assert!(
                    bound >= now && slot_of(l, bound) == s,
                    "bound {bound} at {l}/{s}"
                );
            }
        }
    }
    walk(&wheel.parked, Home::Parked, &|deadline| {
        assert!(deadline > now);
        assert_eq!(placement(now, deadline), Placement::Parked, "{deadline}");
    });
    walk(&wheel.due, Home::Due, &|deadline| assert!(deadline <= now));
    let unsettled = std::cell::Cell::new(0);
    walk(&wheel.unsettled, Home::Unsettled, &|_| {
        unsettled.set(unsettled.get() + 1)
    });
    assert_eq!(
        unsettled.get(),
        wheel.unsettled_len,
        "unsettled count: {wheel:?}"
    );
    assert_eq!(seen, wheel.entries.len(), "unreachable entries: {wheel:?}");
}

fn home<T>(wheel: &Wheel<T>, key: TimerKey) -> Home {
    wheel.entries[wheel.resolve(key).unwrap() as usize].home
}

fn drain<T>(wheel: &mut Wheel<T>, now: u64) -> Vec<T> {
    let mut out = Vec::new();
    wheel.advance(now, |_, v| out.push(v));
    check_invariants(wheel);
    out
}

#[test]
fn far_future_timers_park_and_come_back() {
    let mut wheel = Wheel::new();
    let far = 1u64 << 50;
    let key = wheel.insert(far, "far");
    let edge = wheel.insert(HORIZON + 1 + (1 << TOP_SHIFT), "just out of reach");
    let inside = wheel.insert(HORIZON, "just in reach");
    assert_eq!(home(&wheel, key), Home::Parked);
    assert_eq!(home(&wheel, edge), Home::Parked);
    assert!(matches!(home(&wheel, inside), Home::Slot { level: 6, .. }));
    check_invariants(&wheel);

    assert_eq!(drain(&mut wheel, HORIZON), ["just in reach"]);
    // The edge timer's top slot is now in reach: it was re-placed.
    assert!(matches!(home(&wheel, edge), Home::Slot { .. }));
    assert_eq!(
        wheel.next_expiration(),
        Some(HORIZON + 1 + (1 << TOP_SHIFT))
    );
    assert_eq!(
        drain(&mut wheel, HORIZON + (1 << TOP_SHIFT)),
        Vec::<&str>::new()
    );
    assert_eq!(
        drain(&mut wheel, HORIZON + 1 + (1 << TOP_SHIFT)),
        ["just out of reach"]
    );

    // Still parked one tick before it can be re-placed, then placed.
    let unpark = unpark_tick(far);
    assert!(drain(&mut wheel, unpark - 1).is_empty());
    assert_eq!(home(&wheel, key), Home::Parked);
    assert_eq!(wheel.next_expiration(), Some(far));
    assert!(drain(&mut wheel, unpark).is_empty());
    assert!(matches!(home(&wheel, key), Home::Slot { level: 6, .. }));
    assert!(drain(&mut wheel, far - 1).is_empty());
    assert_eq!(wheel.next_expiration(), Some(far));
    assert_eq!(drain(&mut wheel, far), ["far"]);
    assert!(wheel.is_empty());
}

#[test]
fn parked_timers_removed_and_rescheduled() {
    let mut wheel = Wheel::with_start(7);
    let a = wheel.insert(1 << 45, 'a');
    let b = wheel.insert(1 << 46, 'b');
    let c = wheel.insert(1 << 47, 'c');
    assert_eq!(wheel.next_expiration(), Some(1 << 45));
    assert_eq!(wheel.remove(a), Some('a'));
    // A lower bound now; still never later than the earliest deadline.
    assert_eq!(wheel.next_expiration(), Some(1 << 45));
    assert!(wheel.reschedule(c, 100));
    assert!(matches!(home(&wheel, c), Home::Slot { level: 1, .. }));
    check_invariants(&wheel);
    // Waking at the stale bound re-places the parked list and is exact again.
    assert!(drain(&mut wheel, 1 << 45).contains(&'c'));
    assert_eq!(wheel.next_expiration(), Some(1 << 46));
    assert_eq!(drain(&mut wheel, u64::MAX), ['b']);
    assert_eq!(wheel.remove(b), None);
}

#[test]
fn jump_far_ahead_visits_only_occupied_slots() {
    let mut wheel = Wheel::new();
    let mut deadlines = Vec::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..1_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let deadline = x % 1_000_000_000_000;
        deadlines.push(deadline);
        wheel.insert(deadline, deadline);
    }
    let parked = [1u64 << 52, 1 << 60, u64::MAX - 5];
    for &deadline in &parked {
        wheel.insert(deadline, deadline);
    }
    check_invariants(&wheel);
    deadlines.sort_unstable();
    let fired = drain(&mut wheel, 1_000_000_000_000);
    assert_eq!(fired, deadlines);
    // Each timer is re-placed at most once per level on its way down.
    assert!(
        wheel.events <= 1_000 * LEVELS as u64,
        "{} events",
        wheel.events
    );
    let before = wheel.events;
    assert_eq!(drain(&mut wheel, u64::MAX), parked);
    assert!(
        wheel.events - before <= 3 * (LEVELS as u64 + 2),
        "{}",
        wheel.events
    );
    assert_eq!(wheel.now(), u64::MAX);
}

#[test]
fn cascading_keeps_next_expiration_exact() {
    let mut wheel = Wheel::new();
    let deadlines = [5_000u64, 5_001, 70_000, 300_000, 1 << 30];
    let keys: Vec<_> = deadlines.iter().map(|&d| wheel.insert(d, d)).collect();
    assert_eq!(wheel.next_expiration(), Some(5_000));
    // Removing the minimum leaves a lower bound inside the same slot...
    wheel.remove(keys[0]);
    let bound = wheel.next_expiration().unwrap();
    assert!((4_096..=5_001).contains(&bound), "{bound}");
    // ...and waking there cascades the slot: exact again.
    assert!(drain(&mut wheel, bound).is_empty());
    assert_eq!(wheel.next_expiration(), Some(5_001));
    for &expected in &deadlines[1..] {
        let next = wheel.next_expiration().unwrap();
        assert_eq!(next, expected);
        assert!(drain(&mut wheel, next - 1).is_empty());
        assert_eq!(drain(&mut wheel, next), [expected]);
    }
    assert_eq!(wheel.next_expiration(), None);
}

#[test]
fn level_boundaries_fire_exactly_on_time() {
    for start in [0u64, 1, 63, 64, 4095, 4096, (1 << 36) - 1, (1 << 42) - 1] {
        for level in 0..LEVELS {
            let span = slot_span(level);
            for offset in [1, 2, span.max(2) - 1, span, span + 1] {
                let mut wheel = Wheel::with_start(start);
                let deadline = start + offset;
                wheel.insert(deadline, ());
                wheel.insert(deadline + 1, ());
                check_invariants(&wheel);
                assert_eq!(wheel.next_expiration(), Some(deadline));
                assert!(
                    drain(&mut wheel, deadline - 1).is_empty(),
                    "{start} {offset}"
                );
                assert_eq!(drain(&mut wheel, deadline).len(), 1, "{start} {offset}");
                assert_eq!(wheel.next_expiration(), Some(deadline + 1));
                assert_eq!(drain(&mut wheel, deadline + 1).len(), 1);
            }
        }
    }
}

#[test]
fn end_of_time() {
    let mut wheel = Wheel::with_start(u64::MAX - 10);
    wheel.insert(u64::MAX, 'z');
    wheel.insert(u64::MAX - 1, 'y');
    check_invariants(&wheel);
    assert_eq!(drain(&mut wheel, u64::MAX), ['y', 'z']);
    let key = wheel.insert(u64::MAX, 'w');
    assert_eq!(home(&wheel, key), Home::Due);
    assert_eq!(wheel.next_expiration(), Some(u64::MAX));
    assert_eq!(drain(&mut wheel, u64::MAX), ['w']);
}

#[test]
fn past_deadlines_fire_first_sorted_and_never_move_time_back() {
    let mut wheel = Wheel::with_start(1_000);
    wheel.insert(1_001, "future");
    wheel.insert(900, "b");
    wheel.insert(0, "a");
    wheel.insert(1_000, "d");
    wheel.insert(900, "c");
    assert_eq!(wheel.next_expiration(), Some(1_000));
    // An earlier `now` yields the past-due timers and keeps time.
    assert_eq!(drain(&mut wheel, 10), ["a", "b", "c", "d"]);
    assert_eq!(wheel.now(), 1_000);
    assert_eq!(wheel.next_expiration(), Some(1_001));
    assert_eq!(drain(&mut wheel, 1_001), ["future"]);
}

#[test]
fn panicking_callback_loses_nothing() {
    let mut wheel = Wheel::new();
    for deadline in [3u64, 3, 3, 1] {
        wheel.insert(deadline, deadline);
    }
    wheel.insert(0, 0);
    let mut count = 0;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wheel.advance(3, |_, _| {
            count += 1;
            if count == 3 {
                panic!("callback failure");
            }
        })
    }));
    assert!(result.is_err());
    check_invariants(&wheel);
    assert_eq!(wheel.len(), 2);
    assert_eq!(drain(&mut wheel, 3), [3, 3]);
}

#[test]
fn debug_is_a_summary() {
    let mut wheel = Wheel::new();
    for i in 0..1_000u64 {
        wheel.insert(i * 1_000, i);
    }
    wheel.insert(1 << 60, 0);
    let text = format!("{wheel:?}");
    assert!(
        text.contains("now: 0") && text.contains("len: 1001"),
        "{text}"
    );
    assert!(text.contains("has_parked: true"), "{text}");
    assert!(text.len() < 1_000, "{text}");
}

#[test]
fn a_reserved_key_names_no_timer_until_stored_and_its_slot_comes_back_on_release() {
    let mut wheel = Wheel::new();
    let kept = wheel.insert(10, 'k');
    let reserved = wheel.reserve();
    assert_eq!(wheel.len(), 1);
    assert_eq!(
        wheel.remove(reserved),
        None,
        "remove must not release a reservation"
    );
    assert!(!wheel.reschedule(reserved, 20));
    assert_eq!(wheel.get_mut(reserved), None);
    wheel.release(reserved);
    let reused = wheel.insert(30, 'r');
    assert_eq!(
        reused.index(),
        reserved.index(),
        "the released slot is reused"
    );
    assert_eq!(
        wheel.remove(reserved),
        None,
        "an old key does not reach the new timer"
    );
    check_invariants(&wheel);
    assert_eq!(drain(&mut wheel, 100), ['k', 'r']);
    assert_eq!(wheel.remove(kept), None);
}

#[test]
#[should_panic(expected = "is not an unused reservation of this Wheel")]
fn releasing_a_stored_key_panics() {
    let mut wheel = Wheel::new();
    let key = wheel.reserve();
    wheel.insert_reserved(key, 5, ());
    wheel.release(key);
}

#[test]
#[should_panic(expected = "is not an unused reservation of this Wheel")]
fn storing_twice_under_one_reservation_panics() {
    let mut wheel = Wheel::new();
    let key = wheel.reserve();
    wheel.insert_unsettled_reserved(key, 5, ());
    wheel.insert_reserved(key, 5, ());
}

#[test]
#[should_panic(expected = "is not an unused reservation of this Wheel")]
fn a_reservation_of_another_wheel_panics() {
    let mut other = Wheel::<()>::new();
    let key = other.reserve();
    Wheel::<()>::new().release(key);
}
