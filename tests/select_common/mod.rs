//! Small futures for the `select!` tests: ones that count their polls, open on demand,
//! refuse to be polled, or record their drop.

#![allow(dead_code)] // each test file uses a different subset

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A future that is pending until [`Gate::open`]; it counts its polls and keeps the waker
/// of its last poll, which `open` wakes.
#[derive(Clone, Default)]
pub struct Gate {
    state: Rc<GateState>,
}

#[derive(Default)]
struct GateState {
    open: Cell<bool>,
    polls: Cell<u32>,
    waker: RefCell<Option<Waker>>,
}

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Opens the gate and wakes the task that last polled it.
    pub fn open(&self) {
        self.state.open.set(true);
        self.wake();
    }

    /// Wakes the last poller without opening the gate.
    pub fn wake(&self) {
        if let Some(waker) = self.state.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    /// The waker of the last poll, if it was kept.
    pub fn waker(&self) -> Option<Waker> {
        self.state.waker.borrow().clone()
    }

    pub fn is_open(&self) -> bool {
        self.state.open.get()
    }

    pub fn polls(&self) -> u32 {
        self.state.polls.get()
    }

    /// A future for this gate, resolving to `value` once it is open.
    pub fn wait<T: Unpin>(&self, value: T) -> GateFuture<T> {
        GateFuture {
            gate: self.clone(),
            value: Some(value),
        }
    }
}

pub struct GateFuture<T> {
    gate: Gate,
    value: Option<T>,
}

impl<T: Unpin> Future for GateFuture<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let state = &self.gate.state;
        state.polls.set(state.polls.get() + 1);
        if state.open.get() {
            return Poll::Ready(self.value.take().expect("polled after completion"));
        }
        *state.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A future that panics if it is ever polled.
pub struct PanicIfPolled;

impl Future for PanicIfPolled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        panic!("a disabled branch was polled");
    }
}

/// Sets its flag when dropped.
pub struct SetOnDrop(pub Rc<Cell<bool>>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set(true);
    }
}
