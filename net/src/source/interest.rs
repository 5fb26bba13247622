//! Readiness in the kinds of an [`Interest`]: the sockets' `ready`, `try_io` and
//! `async_io`, as tokio's sockets have them. The two directions wait as the sockets'
//! `readable` and `writable` do; priority (urgent data) and error readiness wait in the
//! reactor's extra list, woken by those events only. A wait in several kinds is
//! `Registration::ready_any`, which `AsyncFd` uses too.
//!
//! Timeouts: the read timeout bounds a wait that asks for `READABLE` or `PRIORITY`, the
//! write timeout one that asks for `WRITABLE`; `ERROR` has none (`crate::interest_io`
//! says why).

use std::io;
use std::os::fd::AsRawFd;

use mirage_core::coop;
use mirage_core::io::{Direction, Interest, Ready};
use mirage_core::time::{Sleep, sleep};

use super::{Source, before_timer};
use crate::sys;

impl<S: AsRawFd> Source<S> {
    /// Waits until the socket is ready in at least one of `interest`'s kinds, and returns
    /// every asked state that is ready then, closed halves included (read closed for
    /// `PRIORITY` too, as no urgent data can come after it). Honours the asked kinds'
    /// timeouts (the shortest of them; see the module's docs). Cancel-safe.
    ///
    /// As [`ready`](Source::ready), the kernel is asked rather than the reactor's cache,
    /// which can outlive the data an operation took; and when the cache knows every asked
    /// kind not ready, the wait starts at once. It waits for an edge in any asked kind: the
    /// task's waker is registered for each.
    pub(crate) async fn ready_interest(&self, interest: Interest) -> io::Result<Ready> {
        // A loop over a socket that is always ready still lets the other tasks run.
        coop::consume_budget().await;
        let (mut timer, timer_direction) = self.interest_timer(interest);
        if !self.is_cached_ready(interest) {
            let wait = self.registration.ready_any(interest);
            before_timer(wait, timer.as_mut(), timer_direction).await??;
        }
        loop {
            let ready = self.readiness_now(interest)?;
            if !ready.is_empty() {
                return Ok(ready);
            }
            // Stale readiness: the next edge in an asked direction wakes the wait.
            self.clear_interest(interest);
            let wait = self.registration.ready_any(interest);
            before_timer(wait, timer.as_mut(), timer_direction).await??;
        }
    }

    /// Runs `op` once; on `WouldBlock`, forgets the readiness of `interest`'s kinds, so
    /// that the next wait in them waits for an edge. Never waits.
    pub(crate) fn try_io_interest<R>(
        &self,
        interest: Interest,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let result = op();
        if matches!(&result, Err(err) if err.kind() == io::ErrorKind::WouldBlock) {
            self.clear_interest(interest);
        }
        result
    }

    /// Runs `op` until it does not report `WouldBlock`, waiting for an edge in any of
    /// `interest`'s kinds after each `WouldBlock` (which forgets their readiness). Honours
    /// the asked kinds' timeouts (the shortest of them, for the whole call). Cancel-safe as
    /// far as `op` is.
    ///
    /// `op` runs at once unless the reactor knows every asked kind not ready; each attempt
    /// spends a unit of the task's budget.
    pub(crate) async fn async_io_interest<R>(
        &self,
        interest: Interest,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
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
            let wait = self.registration.ready_any(interest);
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
    /// kinds (or the write half was shut, for a write interest).
    fn is_cached_ready(&self, interest: Interest) -> bool {
        directions(interest).any(|direction| {
            self.registration.is_ready(direction)
                || (direction == Direction::Write && self.write_shut.get())
        }) || self.registration.is_extra_ready(interest)
    }

    /// Forgets the readiness of `interest`'s kinds. A `WouldBlock` under priority or error
    /// alone says nothing of the directions, and leaves them (end of stream included) to
    /// the reads and writes that rely on them.
    fn clear_interest(&self, interest: Interest) {
        for direction in directions(interest) {
            self.registration.clear_ready(direction);
        }
        // Nothing to forget for an interest in the directions alone.
        self.registration.clear_extra(interest);
    }

    /// The timer of a wait in `interest`'s kinds: the shortest of their directions'
    /// timeouts, with the direction it belongs to (named by the `TimedOut` error); none
    /// without timeouts. Priority counts as reading; error has no direction (see the
    /// module's docs).
    fn interest_timer(&self, interest: Interest) -> (Option<Sleep>, Direction) {
        let read = (interest.is_readable() || interest.is_priority())
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

/// The directions of `interest`.
fn directions(interest: Interest) -> impl Iterator<Item = Direction> {
    let read = interest.is_readable().then_some(Direction::Read);
    let write = interest.is_writable().then_some(Direction::Write);
    read.into_iter().chain(write)
}
