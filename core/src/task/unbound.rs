//! Tasks spawned before any Core is known: a `LocalSet`'s spawns outside a Core.
//!
//! tokio's `LocalSet` queues such a task in the set until the set is driven. A Mirage task
//! belongs to a Core, so an unbound task is allocated with a [stand-in](Shared::stand_in)
//! for its Core's shared half and kept here, unpolled, with `QUEUED` as the list's hold on
//! it. Its `JoinHandle` and `AbortHandle` work as usual meanwhile (an abort only marks it).
//! The first Core to drive the set takes the tasks in ([`Unbound::bind_all`]); dropping the
//! set first cancels them ([`Unbound::cancel_all`]), and their handles report it.

use std::cell::{OnceCell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use super::JoinHandle;
use super::header::{JOIN, QUEUED};
use super::raw::{self, TaskPtr};
use crate::context;
use crate::shared::Shared;

/// Unpolled tasks waiting for a Core; lives on one thread (it is `!Send`: `TaskPtr`).
#[derive(Default)]
pub(crate) struct Unbound {
    /// Made at the first spawn; shared by this list's tasks until they are bound.
    stand_in: OnceCell<Arc<Shared>>,
    /// Each holds `QUEUED` (and `JOIN` while its handle lives).
    tasks: RefCell<Vec<TaskPtr>>,
}

impl Unbound {
    /// Allocates `future` as one of Mirage's own tasks (uncounted, as `spawn_internal`'s)
    /// and keeps it until a Core takes it in.
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let stand_in = self.stand_in.get_or_init(|| Arc::new(Shared::stand_in()));
        // Counted on the stand-in, so that the count a cancellation takes off is there.
        stand_in.internal_task_spawned();
        let task = TaskPtr::allocate::<F, false>(future, Arc::clone(stand_in), JOIN | QUEUED);
        self.tasks.borrow_mut().push(task);
        JoinHandle::new(task)
    }

    /// Hands every waiting task to the running or entered Core, to run there; keeps them
    /// when there is none.
    pub(crate) fn bind_all(&self) {
        if self.tasks.borrow().is_empty() {
            return;
        }
        context::with_current(|local| {
            let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
            for task in tasks {
                // SAFETY: owner thread (this list is `!Send`); a listed task was never
                // polled, its handles are `!Send`, nothing borrows its `shared`, and it
                // holds `QUEUED` with its future, uncounted, in no Core.
                unsafe { local.adopt_internal(task) };
            }
        });
    }

    /// Cancels every waiting task, as a Core's shutdown does: each future is dropped, each
    /// handle reports the task cancelled. Returns whether there were any. A destructor may
    /// spawn again; the caller loops until none are left.
    pub(crate) fn cancel_all(&self) -> bool {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        let any = !tasks.is_empty();
        for task in tasks {
            cancel(task);
        }
        any
    }
}

/// Drops an unbound task's future, wakes its joiner, and gives up the list's hold.
fn cancel(task: TaskPtr) {
    let header = task.header();
    // SAFETY: owner thread; the task was never polled, so its future is there and not
    // running.
    unsafe { task.cancel() };
    // SAFETY: owner thread; the join waker cell is only touched on it, not re-entrantly.
    let joiner = unsafe { (*header.join_waker.get()).take() };
    if !header.has(JOIN) {
        // SAFETY: owner thread, `OUTPUT` is set by the cancellation.
        raw::drop_caught(catch_unwind(AssertUnwindSafe(|| unsafe {
            task.drop_output()
        })));
    }
    // SAFETY: owner thread; the list's hold was `QUEUED`. `task` is not used after.
    unsafe { task.release(QUEUED) };
    if let Some(joiner) = joiner {
        raw::wake_joiner(joiner);
    }
}
