use std::future::poll_fn;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::task::Poll;

use super::{Direction, Registration};

#[test]
fn a_dropped_core_lets_go_of_the_wakers_waiting_on_a_registration_that_outlives_it() {
    let (a, b) = UnixStream::pair().unwrap();
    let registration = Registration::new(b.as_raw_fd());
    let mut core = crate::Core::new().unwrap();
    let shared = Arc::downgrade(core.shared());
    // A poll-style wait, given up: nothing removes its waker but an event, or the Core's end.
    core.run(poll_fn(|cx| {
        assert!(registration.poll_ready(cx, Direction::Read).is_pending());
        Poll::Ready(())
    }));
    drop(core);
    assert_eq!(
        shared.strong_count(),
        0,
        "the root future's waker, kept by the registration, would keep the Core's shared \
         half (and its eventfd) alive"
    );
    drop((registration, a));
}

/// A wait for priority or error readiness with neither kind would wait for nothing: it
/// panics at once, naming the interest and the direction's wait to use instead.
#[test]
fn extra_ready_without_priority_or_error_panics() {
    let (_a, b) = UnixStream::pair().unwrap();
    let registration = Registration::new(b.as_raw_fd());
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(registration.extra_ready(crate::io::Interest::READABLE));
    }));
    let message = panic.expect_err("no panic").downcast::<String>().unwrap();
    assert!(
        message.contains("READABLE") && message.contains("Registration::ready"),
        "{message}"
    );
    assert!(!registration.is_extra_ready(crate::io::Interest::WRITABLE));
}
