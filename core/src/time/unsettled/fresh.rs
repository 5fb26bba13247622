//! The newest sleep registered in the poll under way waits beside the wheel, not in it.
//!
//! A loop that races a fresh timeout against a read that is ready registers a sleep and
//! drops it in the same poll, every time. Such a sleep gets a [reserved] wheel key, handed to
//! it at once, but its waker and delay wait in [`Fresh`], a single place beside the wheel.
//! Dropped within the poll, it gives the key back: it never entered a wheel list. The next
//! registration in the same poll, the settle at the poll's end, and a `reset` store the
//! waiting one in the wheel under its key, as an unsettled entry, so a sleep that outlives
//! its poll keeps its key and pays one hand-over.
//!
//! [reserved]: mirage_timer::wheel::Wheel::reserve

use std::cell::Cell;
use std::task::{Context, Poll, Waker};

use mirage_timer::wheel::TimerKey;

use crate::time::driver::Timers;

/// The sleep registered last in the poll under way, while it is not in the wheel. Set only
/// while a poll is open (its sleep holds the open record), so the settle that closes the
/// poll always finds it.
#[derive(Default)]
pub(crate) struct Fresh {
    /// Its reserved key; `None` when no sleep waits here.
    key: Cell<Option<TimerKey>>,
    /// Its delay after the settle, in nanoseconds.
    delay: Cell<u64>,
    /// Its waker (`Some` exactly when `key` is).
    waker: Cell<Option<Waker>>,
}

impl Fresh {
    /// Whether a sleep waits here.
    pub(crate) fn is_set(&self) -> bool {
        self.key.get().is_some()
    }
}

impl Timers {
    /// Polls a sleep started during the poll under way, which waits for the settle that ends
    /// it (see `unsettled/mod.rs`): registers it, `delay_nanos` after that settle, or
    /// refreshes its waker. Never ready: its deadline is not before the settle.
    #[inline]
    pub(crate) fn poll_unsettled(
        &self,
        key: &mut Option<TimerKey>,
        delay_nanos: u64,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        match *key {
            None => {
                let (waker, unused) = self.waker_for(cx);
                let mut wheel = self.wheel.borrow_mut();
                let reserved = wheel.reserve();
                if let Some(earlier) = self.fresh.key.replace(Some(reserved)) {
                    let waker = self.fresh.waker.take().expect("a fresh key has its waker");
                    wheel.insert_unsettled_reserved(earlier, self.fresh.delay.get(), waker);
                }
                drop(wheel);
                self.fresh.delay.set(delay_nanos);
                self.fresh.waker.set(Some(waker));
                *key = Some(reserved);
                drop(unused);
            }
            Some(registered) if self.fresh.key.get() == Some(registered) => {
                let waker = self.fresh.waker.take().expect("a fresh key has its waker");
                let same = waker.will_wake(cx.waker());
                self.fresh.waker.set(Some(waker));
                if !same {
                    // Polled by another task, or through a `select!` branch. The clone may run
                    // any code, so it runs with this place whole, and may have moved the
                    // sleep into the wheel (a later registration, or a settle); the old
                    // waker drops last, for the same reason.
                    let waker = cx.waker().clone();
                    if self.fresh.key.get() == Some(registered) {
                        drop(self.fresh.waker.replace(Some(waker)));
                    } else {
                        self.store_cloned(key, waker, |wheel, waker| {
                            wheel.insert_unsettled(delay_nanos, waker)
                        });
                    }
                }
            }
            Some(_) => {
                let wheel = self.wheel.borrow_mut();
                self.store_waker(wheel, key, cx, |wheel, waker| {
                    wheel.insert_unsettled(delay_nanos, waker)
                });
            }
        }
        Poll::Pending
    }

    /// The waker of the sleep `key`, if it waits here, giving its key back to the wheel.
    #[inline]
    pub(crate) fn take_fresh(&self, key: TimerKey) -> Option<Waker> {
        if self.fresh.key.get() != Some(key) {
            return None;
        }
        self.fresh.key.set(None);
        self.wheel.borrow_mut().release(key);
        self.fresh.waker.take()
    }

    /// Stores the sleep waiting here, if any, in the wheel under its key (unsettled), for a
    /// settle or for anything that must find it there.
    pub(crate) fn store_fresh(&self) {
        if let Some(key) = self.fresh.key.take() {
            let waker = self.fresh.waker.take().expect("a fresh key has its waker");
            self.wheel
                .borrow_mut()
                .insert_unsettled_reserved(key, self.fresh.delay.get(), waker);
        }
    }

    /// Stores the sleep waiting here in the wheel if it is `key`'s.
    #[inline]
    pub(crate) fn store_fresh_if(&self, key: TimerKey) {
        if self.fresh.key.get() == Some(key) {
            self.store_fresh();
        }
    }
}
