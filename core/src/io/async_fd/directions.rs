//! Readiness over the directions of an [`Interest`]: what `AsyncFd`'s waits, guards,
//! `async_io` and `try_io` share. The reactor keeps readiness and waiters per direction;
//! an interest in both directions uses both.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::Poll;

use crate::io::{Interest, Ready};
use crate::reactor::{Direction, Registration};

/// The directions of `interest`: one or both.
fn directions(interest: Interest) -> impl Iterator<Item = Direction> {
    let read = interest.is_readable().then_some(Direction::Read);
    let write = interest.is_writable().then_some(Direction::Write);
    read.into_iter().chain(write)
}

/// Waits for readiness in any of `interest`'s directions. Both directions wait with a
/// waiter in each, so an edge in either wakes the task. Cancel-safe: dropping the future
/// forgets its waiters.
pub(super) async fn ready_any(registration: &Registration, interest: Interest) -> io::Result<()> {
    match (interest.is_readable(), interest.is_writable()) {
        (true, true) => {
            let mut read = registration.ready(Direction::Read);
            let mut write = registration.ready(Direction::Write);
            poll_fn(|cx| match Pin::new(&mut read).poll(cx) {
                Poll::Ready(result) => Poll::Ready(result),
                Poll::Pending => Pin::new(&mut write).poll(cx),
            })
            .await
        }
        (true, false) => registration.ready(Direction::Read).await,
        (false, _) => registration.ready(Direction::Write).await,
    }
}

/// The readiness recorded in `interest`'s directions (see `Registration::readiness`).
pub(super) fn readiness(registration: &Registration, interest: Interest) -> Ready {
    directions(interest).fold(Ready::EMPTY, |ready, direction| {
        ready | registration.readiness(direction)
    })
}

/// Forgets readiness after an operation under `interest` returned `WouldBlock`, and
/// returns the directions to wait on before trying it again.
///
/// In one direction, the `WouldBlock` shows that direction not ready, end of stream
/// included. In both, it shows only that one of them is not ready, not which: a closed half
/// stays ready (as in tokio), since no further edge would report it, and the wait is for
/// the other direction, so that a retry does not spin on it. Only if both halves stay
/// closed is everything forgotten, to wait for an edge as in one direction.
pub(super) fn clear_blocked(registration: &Registration, interest: Interest) -> Interest {
    if interest.is_readable() && interest.is_writable() {
        clear_but_closed(registration, interest);
        let open = directions(interest)
            .filter(|&direction| !registration.is_ready(direction))
            .map(Interest::from)
            .reduce(|first, second| first | second);
        if let Some(open) = open {
            return open;
        }
    }
    for direction in directions(interest) {
        registration.clear_ready(direction);
    }
    interest
}

/// Forgets readiness in `interest`'s directions but for end of stream, on the caller's
/// word (a guard's `clear_ready`): reported by one edge only, it must stay.
pub(super) fn clear_but_closed(registration: &Registration, interest: Interest) {
    for direction in directions(interest) {
        registration.clear_ready_but_closed(direction);
    }
}

/// The directions of `interest` that `ready` names as readable or writable, closed halves
/// aside (those are never cleared); `None` if it names none of them.
pub(super) fn matching(interest: Interest, ready: Ready) -> Option<Interest> {
    let open = ready - (Ready::READ_CLOSED | Ready::WRITE_CLOSED);
    let not_named = match (open.is_readable(), open.is_writable()) {
        (true, true) => return Some(interest),
        (true, false) => Interest::WRITABLE,
        (false, true) => Interest::READABLE,
        (false, false) => return None,
    };
    interest.remove(not_named)
}

/// Runs the non-blocking `op` until it stops returning `WouldBlock`, waiting for an edge
/// in any of `interest`'s directions after each `WouldBlock` (which forgets their
/// readiness, see [`clear_blocked`]). The first attempt comes before any wait.
pub(super) async fn io_any<R>(
    registration: &Registration,
    interest: Interest,
    mut op: impl FnMut() -> io::Result<R>,
) -> io::Result<R> {
    loop {
        match op() {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                let waiting = clear_blocked(registration, interest);
                ready_any(registration, waiting).await?;
            }
            result => return result,
        }
    }
}

/// Runs the non-blocking `op` once: `WouldBlock` without calling it while every direction
/// of `interest` is known not ready; if `op` returns `WouldBlock`, forgets their readiness
/// (see [`clear_blocked`]).
pub(super) fn try_once<R>(
    registration: &Registration,
    interest: Interest,
    op: impl FnOnce() -> io::Result<R>,
) -> io::Result<R> {
    if !directions(interest).any(|direction| registration.is_ready(direction)) {
        return Err(io::ErrorKind::WouldBlock.into());
    }
    match op() {
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
            clear_blocked(registration, interest);
            Err(err)
        }
        result => result,
    }
}
