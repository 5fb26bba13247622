//! Small futures for the `select!` tests: ones that count their polls, open on demand,
//! refuse to be polled, or record their drop; and task wakers that count their wakes.

#![allow(dead_code)] // each test file uses a different subset

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};

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

/// A task, as far as its waker goes: it counts its wakes.
#[derive(Default)]
pub struct WakeCount(AtomicUsize);

impl WakeCount {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A task slot of an executor that reuses its slots for new tasks and lends each poll a
/// waker that points at the slot; cloning that waker gives an owned waker of the task in
/// the slot at the time (an `Arc` waker, with another data pointer). So two tasks that take
/// the slot in turn are polled with wakers whose data pointers are equal; they never exist
/// at once, since each lives only while its poll lasts.
#[derive(Default)]
pub struct TaskSlot {
    task: Mutex<Arc<WakeCount>>,
}

impl TaskSlot {
    pub fn new() -> TaskSlot {
        TaskSlot::default()
    }

    /// The task in the slot now.
    pub fn task(&self) -> Arc<WakeCount> {
        self.task.lock().unwrap().clone()
    }

    /// A new task takes the slot; returns it.
    pub fn retask(&self) -> Arc<WakeCount> {
        let task = Arc::new(WakeCount::default());
        *self.task.lock().unwrap() = task.clone();
        task
    }

    /// Polls `future` as the task in the slot, with a waker lent for this poll only.
    pub fn poll<F: Future + ?Sized>(&self, future: Pin<&mut F>) -> Poll<F::Output> {
        let data = std::ptr::from_ref(self).cast::<()>();
        // SAFETY: `data` points at a `TaskSlot`, as the vtable's functions expect, and the
        // lent waker is dropped at the end of this function, before the slot can be: only
        // `&Waker` reaches the future, and its clones do not point at the slot.
        let lent = unsafe { Waker::from_raw(RawWaker::new(data, &SLOT_VTABLE)) };
        future.poll(&mut Context::from_waker(&lent))
    }
}

static SLOT_VTABLE: RawWakerVTable =
    RawWakerVTable::new(slot_clone, slot_wake, slot_wake_by_ref, slot_drop);

unsafe fn slot_clone(data: *const ()) -> RawWaker {
    // SAFETY: a lent waker's data points at its `TaskSlot`, alive while the waker is.
    let slot = unsafe { &*data.cast::<TaskSlot>() };
    // The clone is the task's `Arc` waker, whose count `ManuallyDrop` passes on to it.
    let owned = ManuallyDrop::new(Waker::from(slot.task()));
    RawWaker::new(owned.data(), owned.vtable())
}

unsafe fn slot_wake(data: *const ()) {
    // SAFETY: as for `slot_wake_by_ref`; a lent waker owns nothing to release.
    unsafe { slot_wake_by_ref(data) }
}

unsafe fn slot_wake_by_ref(data: *const ()) {
    // SAFETY: a lent waker's data points at its `TaskSlot`, alive while the waker is.
    let slot = unsafe { &*data.cast::<TaskSlot>() };
    slot.task().wake_by_ref();
}

unsafe fn slot_drop(_: *const ()) {}
