//! The I/O reactor: readiness of registered file descriptors, from `mio`.
//!
//! The Core owns the `mio::Poll` and calls it once per turn; this module turns the events
//! into readiness bits and wakes the tasks waiting on them. Descriptors are registered
//! edge-triggered for both directions, once; readiness is cleared only when an operation
//! reports `WouldBlock` (see [`Registration`]).

mod registration;
mod scheduled_io;
#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::task::Waker;

use mio::unix::SourceFd;
use mio::{Interest, Token};
use slab::Slab;

pub use registration::{ExtraReadyFuture, ReadyFuture, Registration};
use scheduled_io::ScheduledIo;

/// The token of the Core's own `mio::Waker`. Tokens from here up are the Core's own; no
/// registration can get one (slab indices stay far below).
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);
/// The token of the Core's timerfd.
pub(crate) const TIMER_TOKEN: Token = Token(usize::MAX - 1);

/// One direction of I/O readiness.
///
/// # Examples
///
/// ```
/// use mirage::io::Direction;
/// assert_ne!(Direction::Read, Direction::Write);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Readable: a read (or accept, or recv) may make progress.
    Read,
    /// Writable: a write (or send, or a pending connect) may make progress.
    Write,
}

// A token is a registration's slab index in its low 32 bits and the registration's
// generation in its high 32: on a narrower `usize` the two would overlap and events would
// reach the wrong registration, or none.
const _: () = assert!(
    usize::BITS >= 64,
    "mirage needs a 64-bit target: its I/O tokens pack two 32-bit halves into a usize"
);

/// The registrations of one Core.
pub(crate) struct Reactor {
    registry: mio::Registry,
    ios: RefCell<Slab<Rc<ScheduledIo>>>,
    /// Tags tokens so an event for a slot that was freed and reused is recognised as stale.
    generation: Cell<u32>,
}

impl Drop for Reactor {
    /// Marks every descriptor still registered as orphaned: the epoll instance goes with the
    /// Core, so a socket that outlives it must register with the next Core that waits on it.
    /// Wakes the tasks still waiting on one: no event can reach them any more, and a task of
    /// another Core must come back to register the descriptor with its own (the dropped
    /// Core's tasks are gone, and waking them only lets go of their wakers).
    fn drop(&mut self) {
        let mut wake = Vec::new();
        for (_, io) in self.ios.get_mut().iter() {
            io.orphan(&mut wake);
        }
        for waker in wake {
            waker.wake();
        }
    }
}

impl Reactor {
    pub(crate) fn new(registry: mio::Registry) -> Reactor {
        Reactor {
            registry,
            ios: RefCell::new(Slab::new()),
            generation: Cell::new(0),
        }
    }

    /// Registers `fd` for readable and writable edges, and urgent data (see
    /// [`scheduled_io::PRIORITY`]).
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<Rc<ScheduledIo>> {
        let io = Rc::new(ScheduledIo::new());
        self.insert(fd, &io)?;
        Ok(io)
    }

    /// Registers `fd`, last registered with a reactor since dropped, under its old `io`: a
    /// new token, no readiness until this reactor reports some, and no waiters (they
    /// belonged to the dropped Core's tasks).
    pub(crate) fn reregister(&self, fd: RawFd, io: &Rc<ScheduledIo>) -> io::Result<()> {
        self.insert(fd, io)
    }

    fn insert(&self, fd: RawFd, io: &Rc<ScheduledIo>) -> io::Result<()> {
        let mut ios = self.ios.borrow_mut();
        let entry = ios.vacant_entry();
        let index = entry.key();
        assert!(
            index < u32::MAX as usize,
            "more than 4 billion I/O registrations"
        );
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        let token = ((generation as usize) << 32) | index;
        self.registry.register(
            &mut SourceFd(&fd),
            Token(token),
            Interest::READABLE | Interest::WRITABLE | Interest::PRIORITY,
        )?;
        let stale_wakers = io.reset(token);
        entry.insert(Rc::clone(io));
        drop(ios);
        // Dropped with no borrow held: a waker's drop may free its task.
        drop(stale_wakers);
        Ok(())
    }

    /// Removes a registration. The caller must still have `fd` open.
    pub(crate) fn deregister(&self, io: &ScheduledIo, fd: RawFd) -> io::Result<()> {
        let token = io.token.get();
        let removed = self
            .ios
            .borrow_mut()
            .try_remove(token & (u32::MAX as usize));
        debug_assert!(removed.is_some_and(|r| r.token.get() == token));
        self.registry.deregister(&mut SourceFd(&fd))
    }

    /// Whether no descriptor is registered: then a turn with tasks ready can skip the poll.
    pub(crate) fn is_empty(&self) -> bool {
        self.ios.borrow().is_empty()
    }

    /// Applies a batch of events, collecting the wakers to wake into `wake`. The caller
    /// wakes them after this returns, with no borrow held. Returns whether the timerfd fired.
    pub(crate) fn dispatch(&self, events: &mio::Events, wake: &mut Vec<Waker>) -> bool {
        let ios = self.ios.borrow();
        let mut timer_fired = false;
        for event in events {
            let token = event.token();
            if token >= TIMER_TOKEN {
                timer_fired |= token == TIMER_TOKEN;
                continue;
            }
            let Some(io) = ios.get(token.0 & (u32::MAX as usize)) else {
                continue;
            };
            if io.token.get() != token.0 {
                continue;
            }
            let mut bits = 0;
            if event.is_readable() {
                bits |= scheduled_io::READABLE;
            }
            if event.is_writable() {
                bits |= scheduled_io::WRITABLE;
            }
            if event.is_read_closed() {
                bits |= scheduled_io::READ_CLOSED;
            }
            if event.is_write_closed() {
                bits |= scheduled_io::WRITE_CLOSED;
            }
            // Their twins for the extra waiters are set by `set_ready`, off this path.
            if event.is_error() {
                bits |= scheduled_io::ERROR;
            }
            if event.is_priority() {
                bits |= scheduled_io::PRIORITY;
            }
            io.set_ready(bits, wake);
        }
        timer_fired
    }
}
