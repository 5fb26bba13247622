//! Behaviours tokio's own tests pin down for its Unix signals, checked on
//! `mirage::signal` where `tests/signal.rs` does not already. A binary of its own: it
//! raises every real-time signal, which no test elsewhere may share.

use std::time::Duration;

use mirage::Core;
use mirage::signal::{SignalKind, signal};
use mirage::time::timeout;

/// Bounds every wait: a delivery never heard fails the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(10);

fn raise(signo: libc::c_int) {
    // SAFETY: every signal raised here has a listener, so Mirage's handler, installed first.
    assert_eq!(unsafe { libc::raise(signo) }, 0);
}

/// Every real-time signal can be listened for at once, and each listener hears its own.
/// (At most 28 of them, as tokio's test: some emulators have no more.)
#[test]
fn every_real_time_signal_is_heard() {
    let highest = libc::SIGRTMAX().min(libc::SIGRTMIN() + 27);
    let mut listeners: Vec<_> = (libc::SIGRTMIN()..=highest)
        .map(|signo| (signo, signal(SignalKind::from_raw(signo)).unwrap()))
        .collect();
    for signo in libc::SIGRTMIN()..=highest {
        raise(signo);
    }
    Core::new().unwrap().run(async {
        for (signo, listener) in &mut listeners {
            let heard = timeout(GUARD, listener.recv()).await;
            heard
                .unwrap_or_else(|_| panic!("signal {signo} never heard"))
                .unwrap();
        }
    });
}

/// Two Cores listen for one signal; once the first Core and its listener are gone, the
/// second still hears the next delivery.
#[test]
fn a_dropped_core_and_listener_leave_the_other_core_hearing() {
    let kind = SignalKind::user_defined1();
    let (mut first, mut second) = (Core::new().unwrap(), Core::new().unwrap());
    let mut heard_first = first.run(async { signal(kind).unwrap() });
    let mut heard_second = second.run(async { signal(kind).unwrap() });
    raise(libc::SIGUSR1);
    first
        .run(timeout(GUARD, heard_first.recv()))
        .unwrap()
        .unwrap();
    drop(first);
    drop(heard_first);
    raise(libc::SIGUSR1);
    // Both deliveries count as one for the second listener, which had not looked yet; a
    // third, after it looked, is heard too.
    second
        .run(timeout(GUARD, heard_second.recv()))
        .unwrap()
        .unwrap();
    raise(libc::SIGUSR1);
    second
        .run(timeout(GUARD, heard_second.recv()))
        .unwrap()
        .unwrap();
}

/// A listener for `SIGCHLD` hears the exits of children that `mirage::process` waits for
/// through their pidfds: the two do not take the signal from each other.
#[test]
fn a_sigchld_listener_hears_a_child_that_process_waits_for() {
    Core::new().unwrap().run(async {
        let mut exits = signal(SignalKind::child()).unwrap();
        let status = mirage::process::Command::new("true")
            .status()
            .await
            .unwrap();
        assert!(status.success());
        timeout(GUARD, exits.recv())
            .await
            .expect("the child's SIGCHLD was not heard")
            .unwrap();
    });
}
