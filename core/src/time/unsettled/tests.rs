//! What happens to the records of unsettled sleeps, case by case.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use crate::context;
use crate::time::{Sleep, sleep};

/// Records held, and timers waiting for a settle, on the running Core.
fn held() -> (usize, usize) {
    context::with_current(|local| {
        let timers = &local.timers;
        (
            timers.records.borrow().len(),
            timers.wheel.borrow().unsettled_len() + usize::from(timers.fresh.is_set()),
        )
    })
    .unwrap()
}

fn register(nap: &mut Sleep) -> impl Future<Output = ()> + '_ {
    poll_fn(|cx| {
        assert!(Pin::new(&mut *nap).poll(cx).is_pending());
        Poll::Ready(())
    })
}

#[test]
fn every_way_a_sleep_ends_gives_its_record_back() {
    let mut core = crate::Core::new().unwrap();
    core.run(async {
        let second = Duration::from_secs(1);
        // Dropped within its poll: the settle finds no holder and reads no clock.
        drop(sleep(second));
        assert_eq!(held(), (1, 0));
        crate::yield_now().await;
        assert_eq!(held(), (0, 0));

        // Registered in its poll, then learned at a later poll.
        let mut registered = sleep(second);
        register(&mut registered).await;
        assert_eq!(held(), (1, 1));
        crate::yield_now().await;
        assert_eq!(held(), (1, 0), "settled, still unlearned");
        register(&mut registered).await;
        assert_eq!(held(), (0, 0));

        // Never polled: its record stays until it is dropped, in a later poll.
        let unpolled = sleep(second);
        crate::yield_now().await;
        assert_eq!(held(), (1, 0));
        drop(unpolled);
        assert_eq!(held(), (0, 0));

        // Asked for its deadline, or reset, while its poll is under way.
        let asked = sleep(second);
        let deadline = asked.deadline();
        assert_eq!(held(), (0, 0));
        let mut reset = sleep(second);
        register(&mut reset).await;
        reset.reset(deadline);
        assert_eq!(held(), (1, 0), "the open record waits for the settle");
        crate::yield_now().await;
        assert_eq!(held(), (0, 0));

        // Two polls' sleeps, outliving each other in either order.
        let first = sleep(second);
        crate::yield_now().await;
        let later = sleep(second);
        crate::yield_now().await;
        assert_eq!(held(), (2, 0));
        drop(first);
        assert_eq!(held(), (1, 0));
        drop(later);
        assert_eq!(held(), (0, 0));
    });
}

#[test]
fn a_record_takes_16_bytes() {
    assert_eq!(std::mem::size_of::<super::Record>(), 16);
}

#[test]
fn a_core_s_drop_settles_a_sleep_that_outlives_it() {
    let mut core = crate::Core::new().unwrap();
    let (nap, timers) = core.run(async {
        let timers = context::with_current(|local| Rc::clone(&local.timers)).unwrap();
        (sleep(Duration::from_millis(1)), timers)
    });
    drop(core);
    assert_eq!(timers.records.borrow().len(), 1);
    let mut other = crate::Core::new().unwrap();
    other.run(nap);
    assert_eq!(timers.records.borrow().len(), 0);
}

/// Wheel entries, and whether a sleep waits beside the wheel, on the running Core.
fn placed() -> (usize, bool) {
    context::with_current(|local| {
        let timers = &local.timers;
        (timers.wheel.borrow().len(), timers.fresh.is_set())
    })
    .unwrap()
}

#[test]
fn the_sleep_registered_last_in_a_poll_waits_beside_the_wheel() {
    let mut core = crate::Core::new().unwrap();
    core.run(async {
        let second = Duration::from_secs(1);
        let mut first = sleep(second);
        register(&mut first).await;
        assert_eq!(placed(), (0, true), "the first waits beside the wheel");
        let mut next = sleep(second);
        register(&mut next).await;
        assert_eq!(
            placed(),
            (1, true),
            "the next one moves the first into the wheel"
        );
        assert_eq!(held(), (1, 2));
        drop(next);
        assert_eq!(
            placed(),
            (1, false),
            "dropped beside the wheel, it leaves nothing"
        );
        drop(first);
        assert_eq!(placed(), (0, false));

        let mut outliving = sleep(second);
        register(&mut outliving).await;
        let mut reset = sleep(second);
        register(&mut reset).await;
        reset.reset(crate::time::Instant::now() + second);
        assert_eq!(placed(), (2, false), "a reset stores it in the wheel first");
        assert_eq!(held(), (1, 1), "only the other waits for the settle");
        crate::yield_now().await;
        assert_eq!(placed(), (2, false));
        assert_eq!(held(), (1, 0), "the settle placed both");
        register(&mut outliving).await;
        assert!(outliving.deadline() > crate::time::Instant::now());
        drop((outliving, reset));
        assert_eq!((placed(), held()), ((0, false), (0, 0)));
    });
}
