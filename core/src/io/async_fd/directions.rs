//! Readiness over the kinds of an [`Interest`]: what `AsyncFd`'s waits, guards,
//! `async_io` and `try_io` share. The reactor keeps readiness and waiters per direction;
//! an interest in both directions uses both. Priority and error readiness have a waiter
//! list of their own, used only by an interest that names one of them.

use std::io;

use crate::io::{Interest, Ready};
use crate::reactor::{Direction, Registration};

/// The directions of `interest`: one or both.
fn directions(interest: Interest) -> impl Iterator<Item = Direction> {
    let read = interest.is_readable().then_some(Direction::Read);
    let write = interest.is_writable().then_some(Direction::Write);
    read.into_iter().chain(write)
}

/// The directions of `interest`, without its priority and error kinds; `None` if it has
/// none.
fn direction_kinds(interest: Interest) -> Option<Interest> {
    match interest.remove(Interest::READABLE | Interest::WRITABLE) {
        Some(extra) => interest.remove(extra),
        None => Some(interest),
    }
}

/// The readiness recorded in `interest`'s kinds (see `Registration::readiness` and
/// `Registration::extra_readiness`).
pub(super) fn readiness(registration: &Registration, interest: Interest) -> Ready {
    let ready = directions(interest).fold(Ready::EMPTY, |ready, direction| {
        ready | registration.readiness(direction)
    });
    match interest.has_extra() {
        true => ready | registration.extra_readiness(interest),
        false => ready,
    }
}

/// Forgets readiness after an operation under `interest` returned `WouldBlock`, and
/// returns the kinds to wait on before trying it again.
///
/// Priority and error readiness are forgotten, and waited for again (as in tokio, whose
/// `WouldBlock` clears every kind of the interest); the directions go as follows.
///
/// In one direction, the `WouldBlock` shows that direction not ready, end of stream
/// included. In both, it shows only that one of them is not ready, not which: a closed half
/// stays ready (as in tokio), since no further edge would report it, and the wait is for
/// the other direction, so that a retry does not spin on it. Only if both halves stay
/// closed is everything forgotten, to wait for an edge as in one direction.
pub(super) fn clear_blocked(registration: &Registration, interest: Interest) -> Interest {
    if !interest.has_extra() {
        return clear_blocked_directions(registration, interest);
    }
    registration.clear_extra(interest);
    match direction_kinds(interest) {
        Some(directions) => {
            let extra = interest
                .remove(directions)
                .expect("an interest with extra kinds");
            clear_blocked_directions(registration, directions) | extra
        }
        None => interest,
    }
}

/// [`clear_blocked`] for an interest in one or both directions, and nothing else.
fn clear_blocked_directions(registration: &Registration, interest: Interest) -> Interest {
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

/// A guard's `clear_ready` (of `interest`'s kinds): [`clear_but_closed`], unless readiness
/// was set since the guard's wait, when the reactor's count of sets was `sets`. An edge
/// that came while the guard was held may bring what the caller's operation did not see
/// (more data, more room), and no other edge reports it; tokio keeps it too, by its tick.
pub(super) fn clear_seen(registration: &Registration, interest: Interest, sets: u32) {
    if registration.readiness_sets() == sets {
        clear_but_closed(registration, interest);
    }
}

/// Forgets readiness in `interest`'s kinds but for end of stream, on the caller's word (a
/// guard's `clear_ready`): reported by one edge only, it must stay.
pub(super) fn clear_but_closed(registration: &Registration, interest: Interest) {
    for direction in directions(interest) {
        registration.clear_ready_but_closed(direction);
    }
    if interest.has_extra() {
        registration.clear_extra(interest);
    }
}

/// The kinds of `interest` that `ready` names (readable, writable, priority, error),
/// closed halves aside (those are never cleared); `None` if it names none of them.
pub(super) fn matching(interest: Interest, ready: Ready) -> Option<Interest> {
    let open = ready - (Ready::READ_CLOSED | Ready::WRITE_CLOSED);
    let named = [
        (open.is_readable(), Interest::READABLE),
        (open.is_writable(), Interest::WRITABLE),
        #[cfg(any(target_os = "linux", target_os = "android"))]
        (open.is_priority(), Interest::PRIORITY),
        (open.is_error(), Interest::ERROR),
    ];
    let not_named = named
        .into_iter()
        .filter(|(is_named, _)| !is_named)
        .map(|(_, kind)| kind)
        .reduce(Interest::add);
    match not_named {
        Some(not_named) => interest.remove(not_named),
        None => Some(interest),
    }
}

/// Runs the non-blocking `op` until it stops returning `WouldBlock`, waiting for an edge
/// in any of `interest`'s kinds after each `WouldBlock` (which forgets their
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
                registration.ready_any(waiting).await?;
            }
            result => return result,
        }
    }
}

/// Runs the non-blocking `op` once: `WouldBlock` without calling it while every kind of
/// `interest` is known not ready; if `op` returns `WouldBlock`, forgets their readiness
/// (see [`clear_blocked`]).
pub(super) fn try_once<R>(
    registration: &Registration,
    interest: Interest,
    op: impl FnOnce() -> io::Result<R>,
) -> io::Result<R> {
    let worth_trying = directions(interest).any(|direction| registration.is_ready(direction))
        || (interest.has_extra() && registration.is_extra_ready(interest));
    if !worth_trying {
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
