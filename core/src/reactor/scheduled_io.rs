//! Per-registration readiness and the tasks waiting on it.

use std::cell::{Cell, RefCell};
use std::task::Waker;

use super::Direction;

/// Readiness bits, set by the reactor from epoll events and cleared by an operation that
/// saw `WouldBlock`.
pub(crate) const READABLE: u8 = 1 << 0;
pub(crate) const WRITABLE: u8 = 1 << 1;
pub(crate) const READ_CLOSED: u8 = 1 << 2;
pub(crate) const WRITE_CLOSED: u8 = 1 << 3;
pub(crate) const ERROR: u8 = 1 << 4;
/// Urgent data (`EPOLLPRI`): a stream read stops at the urgent mark, short of the data
/// queued after it, so a short read does not show the socket drained while this is set.
pub(crate) const PRIORITY: u8 = 1 << 5;
/// Priority and error readiness as an `AsyncFd` wait for `Interest::PRIORITY` or
/// `Interest::ERROR` sees them: set with [`PRIORITY`] and [`ERROR`] by the same events, but
/// cleared only by such a wait's owner, not by a read or write that saw `WouldBlock` (which
/// clears those two among its direction's bits), so that a task reading ordinary data does
/// not take them from a task waiting for urgent data or errors.
pub(crate) const EXTRA_PRIORITY: u8 = 1 << 6;
pub(crate) const EXTRA_ERROR: u8 = 1 << 7;
/// The event bits that wake the [`ScheduledIo::extra`] waiters (and set their twins
/// [`EXTRA_PRIORITY`] and [`EXTRA_ERROR`]): end of stream ends a wait for priority data too,
/// as in tokio. All among [`mask`]`(Read)`'s.
const EXTRA_WAKE: u8 = PRIORITY | ERROR | READ_CLOSED;

/// The bits that make a direction ready: an operation in that direction will not block
/// (it may fail, or read end-of-file).
pub(crate) fn mask(direction: Direction) -> u8 {
    match direction {
        Direction::Read => READABLE | READ_CLOSED | ERROR | PRIORITY,
        Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
    }
}

/// Waiter id used by the poll-style API, which has no future to identify the caller: the
/// last task to poll is the one woken, as with `AsyncRead`-style traits elsewhere.
pub(crate) const POLL_WAITER: u64 = 0;

/// Tasks waiting for one direction. Usually one, so it has a slot of its own and the rest
/// spill into a `Vec`: plain branches on the common path, where a `SmallVec`'s generic
/// code cost about twice the instructions (callgrind, echo benchmark).
#[derive(Default)]
pub(crate) struct Waiters {
    first: Option<(u64, Waker)>,
    rest: Vec<(u64, Waker)>,
}

impl Waiters {
    /// Registers or refreshes the waker of waiter `id`.
    pub(crate) fn register(&mut self, id: u64, waker: &Waker) {
        let slot = match &mut self.first {
            None if self.rest.is_empty() => {
                self.first = Some((id, waker.clone()));
                return;
            }
            Some((key, current)) if *key == id => current,
            _ => match self.rest.iter_mut().find(|(key, _)| *key == id) {
                Some((_, current)) => current,
                None if self.first.is_none() => {
                    self.first = Some((id, waker.clone()));
                    return;
                }
                None => {
                    self.rest.push((id, waker.clone()));
                    return;
                }
            },
        };
        if !slot.will_wake(waker) {
            slot.clone_from(waker);
        }
    }

    /// Forgets waiter `id` (its future was dropped or completed).
    pub(crate) fn remove(&mut self, id: u64) -> Option<Waker> {
        if let Some((key, _)) = &self.first
            && *key == id
        {
            return self.first.take().map(|(_, waker)| waker);
        }
        if self.rest.is_empty() {
            return None;
        }
        let index = self.rest.iter().position(|(key, _)| *key == id)?;
        Some(self.rest.swap_remove(index).1)
    }

    /// Whether waiter `id` is registered.
    pub(crate) fn contains(&self, id: u64) -> bool {
        self.first.as_ref().is_some_and(|(key, _)| *key == id)
            || self.rest.iter().any(|(key, _)| *key == id)
    }

    /// Moves every waker into `out`.
    pub(crate) fn take_all(&mut self, out: &mut Vec<Waker>) {
        // A plain push: `extend` from the `Option` cost 12 more instructions per event.
        if let Some((_, waker)) = self.first.take() {
            out.push(waker);
        }
        if !self.rest.is_empty() {
            out.extend(self.rest.drain(..).map(|(_, waker)| waker));
        }
    }
}

/// The token of a descriptor registered with no live reactor. Never a real token: a real
/// token's low 32 bits are a slab index, which the reactor keeps below `u32::MAX`.
const ORPHANED: usize = usize::MAX;

/// The state the reactor keeps for one registered file descriptor.
pub(crate) struct ScheduledIo {
    /// The mio token: slab index in the low 32 bits, a generation above (see `Reactor`).
    /// Set by the reactor that registers the descriptor, again if it moves to another Core.
    pub(crate) token: Cell<usize>,
    readiness: Cell<u8>,
    /// Counts the times readiness was set (each event, each `mark_closed`), wrapping: a
    /// guard that saw one count clears only if none came since, as tokio's tick.
    sets: Cell<u32>,
    pub(crate) readers: RefCell<Waiters>,
    pub(crate) writers: RefCell<Waiters>,
    /// Tasks waiting for priority or error readiness (`AsyncFd` under `Interest::PRIORITY`
    /// or `Interest::ERROR`), each checking its own bits when woken. Apart from the readers,
    /// so that ordinary data wakes none of them.
    pub(crate) extra: RefCell<Waiters>,
    next_waiter: Cell<u64>,
}

impl ScheduledIo {
    /// Unregistered state; the reactor sets the token with [`reset`](ScheduledIo::reset).
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            token: Cell::new(ORPHANED),
            readiness: Cell::new(0),
            sets: Cell::new(0),
            readers: RefCell::default(),
            writers: RefCell::default(),
            extra: RefCell::default(),
            next_waiter: Cell::new(POLL_WAITER + 1),
        }
    }

    /// Starts over under `token`, for a new registration: no readiness, no waiters (their
    /// wakers are returned, to be dropped with no borrow held). Waiter ids keep counting, so
    /// an id handed out before stays unique.
    pub(crate) fn reset(&self, token: usize) -> Vec<Waker> {
        self.token.set(token);
        self.readiness.set(0);
        let mut stale = Vec::new();
        self.readers.borrow_mut().take_all(&mut stale);
        self.writers.borrow_mut().take_all(&mut stale);
        self.extra.borrow_mut().take_all(&mut stale);
        stale
    }

    /// Whether the reactor this descriptor was registered with was dropped (with its Core),
    /// so that it must register again before anything can wake a waiter.
    #[inline]
    pub(crate) fn is_orphaned(&self) -> bool {
        self.token.get() == ORPHANED
    }

    /// Marks the descriptor orphaned: its reactor is being dropped. Moves the wakers of its
    /// waiters into `wake`, as nothing else will.
    pub(crate) fn orphan(&self, wake: &mut Vec<Waker>) {
        self.token.set(ORPHANED);
        self.readers.borrow_mut().take_all(wake);
        self.writers.borrow_mut().take_all(wake);
        self.extra.borrow_mut().take_all(wake);
    }

    /// A fresh id for a readiness future.
    pub(crate) fn new_waiter_id(&self) -> u64 {
        let id = self.next_waiter.get();
        self.next_waiter.set(id + 1);
        id
    }

    pub(crate) fn waiters(&self, direction: Direction) -> &RefCell<Waiters> {
        match direction {
            Direction::Read => &self.readers,
            Direction::Write => &self.writers,
        }
    }

    pub(crate) fn is_ready(&self, direction: Direction) -> bool {
        self.readiness.get() & mask(direction) != 0
    }

    /// The readiness bits of `direction` (see [`mask`]).
    pub(crate) fn readiness(&self, direction: Direction) -> u8 {
        self.readiness.get() & mask(direction)
    }

    /// Records readiness from an event, collecting the wakers of the directions it readies.
    /// The extra waiters' bits all come with a read bit, so their test stays off the path
    /// of an event that only makes room to write.
    pub(crate) fn set_ready(&self, bits: u8, wake: &mut Vec<Waker>) {
        self.readiness.set(self.readiness.get() | bits);
        self.sets.set(self.sets.get().wrapping_add(1));
        if bits & mask(Direction::Read) != 0 {
            self.readers.borrow_mut().take_all(wake);
            if bits & EXTRA_WAKE != 0 {
                self.raise_extra(bits, wake);
            }
        }
        if bits & mask(Direction::Write) != 0 {
            self.writers.borrow_mut().take_all(wake);
        }
    }

    /// Sets the twins of the event's priority and error bits, and collects the extra
    /// waiters' wakers; out of line, as rare as the events that need it.
    #[cold]
    #[inline(never)]
    fn raise_extra(&self, bits: u8, wake: &mut Vec<Waker>) {
        let mut twins = 0;
        if bits & PRIORITY != 0 {
            twins |= EXTRA_PRIORITY;
        }
        if bits & ERROR != 0 {
            twins |= EXTRA_ERROR;
        }
        self.readiness.set(self.readiness.get() | twins);
        self.extra.borrow_mut().take_all(wake);
    }

    /// The readiness bits among `bits` (made of [`EXTRA_PRIORITY`], [`EXTRA_ERROR`] and
    /// [`READ_CLOSED`]), for the extra waiters.
    /// How many times readiness was set, wrapping (see the field).
    pub(crate) fn sets(&self) -> u32 {
        self.sets.get()
    }

    pub(crate) fn extra_readiness(&self, bits: u8) -> u8 {
        self.readiness.get() & bits
    }

    /// Forgets `bits` of [`EXTRA_PRIORITY`] and [`EXTRA_ERROR`], for an `AsyncFd` wait that
    /// asked for them; end of stream is its direction's to clear.
    pub(crate) fn clear_extra(&self, bits: u8) {
        debug_assert_eq!(bits & !(EXTRA_PRIORITY | EXTRA_ERROR), 0);
        self.readiness.set(self.readiness.get() & !bits);
    }

    /// Forgets readiness in `direction`, after an operation saw `WouldBlock`. Under
    /// edge-triggered polling the next edge arrives as a new event, so nothing is lost.
    pub(crate) fn clear_ready(&self, direction: Direction) {
        self.readiness.set(self.readiness.get() & !mask(direction));
    }

    /// Forgets readiness in `direction`, on the word of the caller rather than of an
    /// operation that saw `WouldBlock`, but keeps end-of-stream: reported by one edge only,
    /// it is final, and a wait that forgot it would never end (as in tokio, whose
    /// `clear_ready` keeps it too).
    pub(crate) fn clear_ready_but_closed(&self, direction: Direction) {
        let closed = match direction {
            Direction::Read => READ_CLOSED,
            Direction::Write => WRITE_CLOSED,
        };
        self.readiness
            .set(self.readiness.get() & !(mask(direction) & !closed));
    }

    /// Forgets that `direction` is readable or writable, after a short read or write
    /// showed the socket drained (or full), but keeps end-of-stream and error: those are
    /// reported by one edge only, and an operation must still see them at once. Keeps
    /// urgent data too: a read that stopped at the urgent mark left data queued behind it,
    /// which no further edge will report.
    pub(crate) fn clear_edge(&self, direction: Direction) {
        let edge = match direction {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        };
        self.readiness.set(self.readiness.get() & !edge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_register_refresh_remove_and_take_all() {
        let waker = Waker::noop();
        let mut waiters = Waiters::default();
        for id in [1, 2, 3, 2] {
            waiters.register(id, waker);
        }
        assert!(waiters.remove(1).is_some(), "the first slot's waiter");
        assert!(waiters.remove(1).is_none(), "already gone");
        // A new waiter takes the free first slot; none is registered twice.
        waiters.register(4, waker);
        waiters.register(3, waker);
        assert!(waiters.remove(3).is_some());
        let mut out = Vec::new();
        waiters.take_all(&mut out);
        assert_eq!(out.len(), 2, "waiters 2 and 4");
        assert!(waiters.remove(2).is_none() && waiters.remove(4).is_none());
        waiters.take_all(&mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn extra_waiters_wake_for_priority_error_or_end_of_stream_only() {
        let io = ScheduledIo::new();
        let mut wake = Vec::new();
        for (bits, woken) in [
            (READABLE | WRITABLE, false),
            (WRITE_CLOSED, false),
            (READABLE | PRIORITY, true),
            (WRITABLE | ERROR, true),
            (READ_CLOSED, true),
        ] {
            io.extra.borrow_mut().register(7, Waker::noop());
            wake.clear();
            io.set_ready(bits, &mut wake);
            assert_eq!(!io.extra.borrow().contains(7), woken, "{bits:#b}");
            io.extra.borrow_mut().remove(7);
        }
        // The events set the extra waiters' twin bits, which a read that saw `WouldBlock`
        // leaves; theirs go on their own.
        io.clear_ready(Direction::Read);
        io.clear_ready(Direction::Write);
        assert_eq!(
            io.extra_readiness(EXTRA_PRIORITY | EXTRA_ERROR),
            EXTRA_PRIORITY | EXTRA_ERROR
        );
        io.clear_extra(EXTRA_ERROR);
        assert_eq!(
            io.extra_readiness(EXTRA_PRIORITY | EXTRA_ERROR),
            EXTRA_PRIORITY
        );
        assert!(!io.is_ready(Direction::Read) && !io.is_ready(Direction::Write));
    }
}
