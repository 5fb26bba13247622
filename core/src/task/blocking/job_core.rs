//! The Core a blocking job was handed out for, current on the pool thread while the job
//! runs: there [`Handle::current`] names that Core, and a `spawn_blocking` inside the job
//! is counted as its work, as tokio's blocking threads have their runtime entered.

use std::cell::RefCell;

use crate::runtime::Handle;

thread_local! {
    /// The handle of the Core whose job runs on this thread, if any.
    static JOB_CORE: RefCell<Option<Handle>> = const { RefCell::new(None) };
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
}

impl Enter {
    pub(super) fn new(core: Option<Handle>) -> Enter {
        let previous = JOB_CORE
            .try_with(|current| current.replace(core))
            .ok()
            .flatten();
        Enter { previous }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // Dropped outside the borrow: a handle's drop runs no user code, but keep it plain.
        let left = JOB_CORE
            .try_with(|current| current.replace(previous))
            .ok()
            .flatten();
        drop(left);
    }
}
