//! The Core a blocking job was handed out for, current on the pool thread while the job
//! runs: there [`Handle::current`] names that Core, and a `spawn_blocking` inside the job
//! is counted as its work, as tokio's blocking threads have their runtime entered. The
//! job's own [`Id`] is current too: [`task::id`](crate::task::id) inside the job names it,
//! as inside a tokio `spawn_blocking` closure.

use std::cell::{Cell, RefCell};

use crate::runtime::Handle;
use crate::task::Id;

thread_local! {
    /// The handle of the Core whose job runs on this thread, if any.
    static JOB_CORE: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// The id of the job running on this thread (its handle's), if any.
    static JOB_ID: Cell<Option<Id>> = const { Cell::new(None) };
}

/// The id of the blocking job this thread is running, if any.
pub(crate) fn current_id() -> Option<Id> {
    JOB_ID.try_with(Cell::get).ok().flatten()
}

/// The handle of the Core whose blocking job this thread is running, if any.
pub(crate) fn current() -> Option<Handle> {
    JOB_CORE
        .try_with(|core| core.borrow().clone())
        .ok()
        .flatten()
}

/// Makes `core` current for as long as it lives, and what was current before afterwards
/// (a job that runs a Core of its own, and a job inside that, nest).
pub(super) struct Enter {
    previous: Option<Handle>,
    previous_id: Option<Id>,
}

impl Enter {
    /// Makes `core` and the job `id` current.
    pub(super) fn new(core: Option<Handle>, id: Id) -> Enter {
        let previous = JOB_CORE
            .try_with(|current| current.replace(core))
            .ok()
            .flatten();
        let previous_id = JOB_ID
            .try_with(|current| current.replace(Some(id)))
            .ok()
            .flatten();
        Enter {
            previous,
            previous_id,
        }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let _ = JOB_ID.try_with(|current| current.set(self.previous_id));
        let previous = self.previous.take();
        // Dropped outside the borrow: a handle's drop runs no user code, but keep it plain.
        let left = JOB_CORE
            .try_with(|current| current.replace(previous))
            .ok()
            .flatten();
        drop(left);
    }
}
