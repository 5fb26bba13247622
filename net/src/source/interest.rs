//! Readiness in the directions of an [`Interest`]: the sockets' `ready`, `try_io` and
//! `async_io`, as tokio's sockets have them.

use std::future::poll_fn;
use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::Poll;

use mirage_core::coop;
use mirage_core::io::{Direction, Interest, Ready};
use mirage_core::time::{sleep, Sleep};

use super::{before_timer, Source};
use crate::sys;

impl<S: AsRawFd> Source<S> {
    /// Waits until the socket is ready in at least one of `interest`'s directions, and
    /// returns every asked state that is ready then, closed halves included. Honours the
    /// asked directions' timeouts (the shortest of them). Cancel-safe.
    ///
    /// As [`ready`](Source::ready), the kernel is asked rather than the reactor's cache,
    /// which can outlive the data an operation took; and when the cache knows every asked
    /// direction not ready, the wait starts at once. It waits for an edge in any asked
    /// direction: the task's waker is registered for each.
    pub(crate) async fn ready_interest(&self, interest: Interest) -> io::Result<Ready> {
        check_directions(interest);
        // A loop over a socket that is always ready still lets the other tasks run.
        coop::consume_budget().await;
        let (mut timer, timer_direction) = self.interest_timer(interest);
        if !self.is_cached_ready(interest) {
            let wait = self.ready_any(interest);
            before_timer(wait, timer.as_mut(), timer_direction).await??;
        }
        loop {
            let ready = self.readiness_now(interest)?;
            if !ready.is_empty() {
                return Ok(ready);
            }
            // Stale readiness: the next edge in an asked direction wakes the wait.
            self.clear_interest(interest);
            let wait = self.ready_any(interest);
            before_timer(wait, timer.as_mut(), timer_direction).await??;
        }
    }

    /// Runs `op` once; on `WouldBlock`, forgets the readiness of `interest`'s directions, so
    /// that the next wait in them waits for an edge. Never waits.
    pub(crate) fn try_io_interest<R>(
        &self,
        interest: Interest,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        check_directions(interest);
        let result = op();
        if matches!(&result, Err(err) if err.kind() == io::ErrorKind::WouldBlock) {
            self.clear_interest(interest);
        }
        result
    }

    /// Runs `op` until it does not report `WouldBlock`, waiting for an edge in any of
    /// `interest`'s directions after each `WouldBlock` (which forgets their readiness).
    /// Honours the asked directions' timeouts (the shortest of them, for the whole call).
    /// Cancel-safe as far as `op` is.
    ///
    /// `op` runs at once unless the reactor knows every asked direction not ready; each
    /// attempt spends a unit of the task's budget.
    pub(crate) async fn async_io_interest<R>(
        &self,
        interest: Interest,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        check_directions(interest);
        let (mut timer, timer_direction) = self.interest_timer(interest);
        let mut cached_ready = self.is_cached_ready(interest);
        loop {
            if cached_ready {
                coop::consume_budget().await;
                match op() {
                    // Wait for an edge, whatever the cache says: an unregistered socket, or a
                    // shut write half, keeps it saying ready, and `op` again would spin.
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        self.clear_interest(interest)
                    }
                    result => return result,
                }
            }
            let wait = self.ready_any(interest);
            before_timer(wait, timer.as_mut(), timer_direction).await??;
            cached_ready = true;
        }
    }

    /// The kernel's present readiness in `interest`'s directions; write-closed once this
    /// side shut its write half (see [`ready`](Source::ready)).
    fn readiness_now(&self, interest: Interest) -> io::Result<Ready> {
        let mut ready = sys::readiness_now(self.inner.as_raw_fd(), interest)?;
        if interest.is_writable() && self.write_shut.get() {
            ready |= Ready::WRITE_CLOSED;
        }
        Ok(ready)
    }

    /// Whether the reactor's cache says the socket may be ready in one of `interest`'s
    /// directions (or the write half was shut, for a write interest).
    fn is_cached_ready(&self, interest: Interest) -> bool {
        directions(interest).any(|direction| {
            self.registration.is_ready(direction)
                || (direction == Direction::Write && self.write_shut.get())
        })
    }

    /// Forgets the readiness of `interest`'s directions.
    fn clear_interest(&self, interest: Interest) {
        for direction in directions(interest) {
            self.registration.clear_ready(direction);
        }
    }

    /// Waits for readiness in any of `interest`'s directions: a waiter in each, so an edge
    /// in either wakes the task. Cancel-safe: dropping it forgets both waiters.
    async fn ready_any(&self, interest: Interest) -> io::Result<()> {
        let mut read = interest
            .is_readable()
            .then(|| self.registration.ready(Direction::Read));
        let mut write = interest
            .is_writable()
            .then(|| self.registration.ready(Direction::Write));
        poll_fn(|cx| {
            for wait in [read.as_mut(), write.as_mut()].into_iter().flatten() {
                if let Poll::Ready(result) = Pin::new(wait).poll(cx) {
                    return Poll::Ready(result);
                }
            }
            Poll::Pending
        })
        .await
    }

    /// The timer of a wait in `interest`'s directions: the shortest of their timeouts, with
    /// the direction it belongs to (named by the `TimedOut` error); none without timeouts.
    fn interest_timer(&self, interest: Interest) -> (Option<Sleep>, Direction) {
        let read = interest
            .is_readable()
            .then(|| self.timeout(Direction::Read));
        let write = interest
            .is_writable()
            .then(|| self.timeout(Direction::Write));
        match (read.flatten(), write.flatten()) {
            (Some(read), Some(write)) if write < read => (Some(sleep(write)), Direction::Write),
            (Some(read), _) => (Some(sleep(read)), Direction::Read),
            (None, Some(write)) => (Some(sleep(write)), Direction::Write),
            (None, None) => (None, Direction::Read),
        }
    }
}

/// Panics if `interest` has a kind beyond the two directions: the sockets wait in those
/// only, and a wait for priority or error readiness alone would wait for nothing.
#[track_caller]
fn check_directions(interest: Interest) {
    if let Some(other) = interest.remove(Interest::READABLE | Interest::WRITABLE) {
        panic!(
            "a socket's ready, try_io or async_io asked for {other:?}: sockets wait for \
             READABLE and WRITABLE only; wrap the descriptor in mirage::io::AsyncFd with \
             that interest instead"
        );
    }
}

/// The directions of `interest`.
fn directions(interest: Interest) -> impl Iterator<Item = Direction> {
    let read = interest.is_readable().then_some(Direction::Read);
    let write = interest.is_writable().then_some(Direction::Write);
    read.into_iter().chain(write)
}
