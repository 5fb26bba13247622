//! `Event`: wakes every task subscribed to it; used for shutdown.
//!
//! A task subscribes once and keeps its slot for as long as it waits on the event now and
//! then: a connection checks for shutdown on every idle wait, so that wait must cost a
//! `will_wake` comparison, not an insertion and a removal.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Context, Waker};

/// Tasks waiting for a condition that other tasks change. Cloning shares the event.
#[derive(Clone, Default)]
pub struct Event {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// One slot per subscription; `None` while the subscriber is not waiting.
    slots: RefCell<Vec<Option<Waker>>>,
    /// Slots given back, for reuse.
    free: RefCell<Vec<usize>>,
}

/// A subscriber's slot in an [`Event`]; given back on drop.
pub struct Subscription {
    event: Event,
    slot: usize,
}

impl Event {
    /// Wakes every subscriber that is waiting; each re-checks its condition.
    pub fn notify_all(&self) {
        let wakers: Vec<Waker> = self
            .inner
            .slots
            .borrow_mut()
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for waker in wakers {
            waker.wake();
        }
    }

    /// A slot for a task that will wait on this event.
    pub fn subscribe(&self) -> Subscription {
        let slot = match self.inner.free.borrow_mut().pop() {
            Some(slot) => slot,
            None => {
                let mut slots = self.inner.slots.borrow_mut();
                slots.push(None);
                slots.len() - 1
            }
        };
        Subscription {
            event: self.clone(),
            slot,
        }
    }
}

impl Subscription {
    /// Wakes `cx`'s task at the next notification (cloning its waker only when it changed).
    pub fn register(&self, cx: &Context<'_>) {
        let mut slots = self.event.inner.slots.borrow_mut();
        let slot = &mut slots[self.slot];
        if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            let previous = slot.replace(cx.waker().clone());
            drop(slots);
            drop(previous);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let waker = self.event.inner.slots.borrow_mut()[self.slot].take();
        drop(waker);
        self.event.inner.free.borrow_mut().push(self.slot);
    }
}

/// A one-way switch many tasks can wait on: the server's "stop now".
#[derive(Clone, Default)]
pub struct Shutdown {
    event: Event,
    triggered: Rc<Cell<bool>>,
}

impl Shutdown {
    pub fn trigger(&self) {
        self.triggered.set(true);
        self.event.notify_all();
    }

    pub fn is_triggered(&self) -> bool {
        self.triggered.get()
    }

    /// A slot to be woken by [`trigger`](Shutdown::trigger), for a task that checks
    /// [`is_triggered`](Shutdown::is_triggered) in its own polls.
    pub fn subscribe(&self) -> Subscription {
        self.event.subscribe()
    }
}
