//! Which Core, if any, this thread is running right now.
//!
//! A single thread-local pointer, set by [`enter`] for the duration of `Core::run` (and of a
//! Core's drop). It is what makes a wake on the Core's own thread cheap: the waker checks the
//! pointer and pushes onto the local run queue directly.
//!
//! Beside it, a stack of Cores *entered* without running ([`enter_idle`], for
//! `Runtime::enter`): code that asks for "the current Core" (`spawn`, timers, `Handle::current`)
//! finds the top one when no Core runs, so tasks spawned there start at the Core's next run.
//! Wakers and the checks for a running Core look at the pointer alone: an entered Core is
//! not running, and a wake for it goes through its remote queue. The stack holds `Rc`s, so a
//! guard that is leaked or dropped out of order can never leave a dangling pointer behind.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

use crate::scheduler::Local;
use crate::shared::Shared;

thread_local! {
    /// The running Core's scheduler, or null. `const`-initialised and without a destructor,
    /// so reading it is a plain thread-local load and never fails, even during thread exit.
    static CURRENT: Cell<*const Local> = const { Cell::new(ptr::null()) };

    /// Whether a Core is running on this thread: set by [`enter`] only. `CURRENT` also names
    /// a Core being dropped, which runs nothing, so its destructors may run another Core.
    static RUNNING: Cell<bool> = const { Cell::new(false) };

    /// Cores entered by `enter_idle`, innermost last.
    static ENTERED: RefCell<Entered> = const {
        RefCell::new(Entered {
            entries: Vec::new(),
            next: 0,
        })
    };
}

/// The stack of entered Cores: each entry with the number of the guard that made it, so
/// that a guard dropped out of order removes its own entry, not a later one of the same
/// Core.
struct Entered {
    entries: Vec<(u64, Rc<Local>)>,
    /// The number of the next guard.
    next: u64,
}

/// Calls `f` with the running Core's scheduler when this thread is running `shared`'s Core.
#[inline]
pub(crate) fn with_running<R>(shared: &Arc<Shared>, f: impl FnOnce(&Local) -> R) -> Option<R> {
    let local = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    // SAFETY: a non-null pointer is set by `enter` and reset by the guard's drop, while the
    // `Core` that owns the `Local` is borrowed by `run` or being dropped; only this thread
    // reads it.
    let local = unsafe { local.as_ref()? };
    ptr::eq(Arc::as_ptr(&local.shared), Arc::as_ptr(shared)).then(|| f(local))
}

/// Whether this thread is running the Core whose shared half is at `shared`.
pub(crate) fn is_running(shared: *const Shared) -> bool {
    let local = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    // SAFETY: as in `with_running`.
    unsafe { local.as_ref() }.is_some_and(|local| ptr::eq(Arc::as_ptr(&local.shared), shared))
}

/// Calls `f` with the running Core's scheduler, or else with the innermost Core entered by
/// [`enter_idle`], if any.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Local) -> R) -> Option<R> {
    let mut local = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    if local.is_null() {
        local = innermost_entered();
    }
    // SAFETY: as in `with_running` for a running Core. An entered Core's scheduler is kept
    // alive by its entry on the `ENTERED` stack, which only the drop of its own `EnterIdle`
    // guard removes. The callers' closures spawn, read clocks and clone handles; the one
    // path on which they drop anything is a spawn on a Core that is gone, which drops the
    // future at once, and so perhaps guards it held. But a guard of that Core cannot be
    // among them: it borrows the `Runtime`, so it outlives the runtime only if leaked.
    unsafe { local.as_ref() }.map(f)
}

/// The innermost Core entered by [`enter_idle`], or null; out of line, as it is never the
/// hot path.
#[cold]
#[inline(never)]
fn innermost_entered() -> *const Local {
    ENTERED
        .try_with(|entered| {
            let entered = entered.borrow();
            entered
                .entries
                .last()
                .map_or(ptr::null(), |(_, local)| Rc::as_ptr(local))
        })
        .unwrap_or(ptr::null())
}

/// Whether a Core is running on this thread: blocking the thread now would stop its tasks.
/// A Core that is only entered does not count, nor one being dropped (its tasks are going,
/// as in tokio, where a destructor run by a runtime's drop may block on another runtime),
/// unless it is dropped inside a running Core's task.
pub(crate) fn is_running_any() -> bool {
    RUNNING.try_with(Cell::get).unwrap_or(false)
}

/// Makes `local` the current Core for `with_current` until the guard drops, without running
/// it (`Runtime::enter`).
pub(crate) fn enter_idle(local: &Rc<Local>) -> EnterIdle {
    let entry = ENTERED.with(|entered| {
        let mut entered = entered.borrow_mut();
        let entry = entered.next;
        entered.next += 1;
        entered.entries.push((entry, Rc::clone(local)));
        entry
    });
    EnterIdle {
        entry,
        _not_send: PhantomData,
    }
}

/// Leaves the Core entered by [`enter_idle`] when dropped.
pub(crate) struct EnterIdle {
    /// The number of this guard's entry.
    entry: u64,
    /// Stays on the thread whose stack holds the entry.
    _not_send: PhantomData<*const Local>,
}

impl Drop for EnterIdle {
    fn drop(&mut self) {
        // The last entry, unless guards are dropped out of order: the stack then loses
        // exactly this guard's entry, and the innermost guard still alive stays current.
        // Dropped after the borrow: it may be the last hold on a leaked Core's scheduler.
        let _left = ENTERED.try_with(|entered| {
            let mut entered = entered.borrow_mut();
            let at = entered
                .entries
                .iter()
                .rposition(|(entry, _)| *entry == self.entry)?;
            Some(entered.entries.remove(at))
        });
    }
}

/// Marks a Core as running on this thread until the guard drops (also on unwind).
///
/// The guard does not borrow the `Local`; its creator must keep the `Local` alive while the
/// guard lives (`Core::run` and `Core::drop` hold the `Core` throughout).
pub(crate) struct Enter {
    previous: *const Local,
    /// Whether a Core was running before (`RUNNING`), restored on exit.
    was_running: bool,
    /// The budget of whatever ran before (a task that drops a Core it owns, or nothing),
    /// given back on exit: the Core's last task must not hold back what runs after it,
    /// and the task must not come out of the drop unconstrained.
    budget: u64,
}

/// Enters `local` for `Core::run`.
///
/// # Panics
/// If a Core is already running on this thread: the inner `run` would block the outer Core
/// for as long as it runs, and a future waiting on the outer Core would never complete.
/// A Core being dropped is not running: a destructor its drop runs may run another Core.
pub(crate) fn enter(local: &Local) -> Enter {
    if RUNNING.with(|running| running.replace(true)) {
        panic!(
            "Core::run called while a mirage Core is already running on this thread; \
             a nested run would block the outer Core (deadlock). \
             Use mirage::spawn, or .await the future, instead"
        );
    }
    let previous = CURRENT.with(|current| current.replace(local));
    Enter {
        previous,
        was_running: false,
        budget: crate::coop::left(),
    }
}

/// Enters `local` for its drop, even from inside another Core's run (a task may own a Core).
pub(crate) fn enter_for_drop(local: &Local) -> Enter {
    let previous = CURRENT.with(|current| current.replace(local));
    Enter {
        previous,
        was_running: RUNNING.with(Cell::get),
        budget: crate::coop::left(),
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        crate::coop::restore(self.budget);
        CURRENT.with(|current| current.set(self.previous));
        RUNNING.with(|running| running.set(self.was_running));
    }
}
