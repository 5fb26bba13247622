//! The part of a task every type-erased path can see.
//!
//! # Ground rules
//!
//! A task is owned by exactly one [`Core`](crate::Core), which never leaves its thread
//! (`Core` is `!Send`). The header splits its fields by who may touch them:
//!
//! * `refs` and `remote_queued` are atomics: a [`Waker`] may be cloned, woken or dropped on
//!   any thread, so these are the only fields a foreign thread ever writes. It may also
//!   read `vtable`, which never changes (the runtime's metrics ask it whether a task in the
//!   remote queue is counted).
//! * `state`, `slot` and `join_waker` are plain cells, touched only on the owner thread.
//!   The waker code proves it is on the owner thread before touching them: the thread-local
//!   "current Core" must be this task's Core (see `context.rs`).
//!
//! `shared` is written once after allocation at most, by [`TaskPtr::bind`](super::raw::TaskPtr::bind),
//! for a task spawned before any Core was known (a `LocalSet`'s spawn outside a Core): it
//! holds a stand-in until the first Core to drive the set takes it in. That happens on the
//! owner thread before the task is first polled, so no `Waker` of it exists yet, and its
//! other handles are `!Send`: no other thread can be reading the field.
//!
//! `refs` counts one reference per live `Waker`/[`TaskRef`](super::raw::TaskRef), plus one
//! collective reference for the owner side. The owner side holds its reference while any of
//! [`IN_LIST`], [`QUEUED`] or [`JOIN`] is set; clearing the last of them releases it. The
//! stage (future or output) is always empty by the time the owner reference is released,
//! so the final free, wherever it happens, only frees memory and drops `Send` fields.

use std::cell::{Cell, UnsafeCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::task::Waker;

use super::raw::Vtable;
use crate::shared::Shared;

/// The stage holds the future: the task has not completed nor been cancelled.
pub(crate) const FUTURE: u8 = 1 << 0;
/// The stage holds the output (`Result<T, JoinError>`), waiting for the `JoinHandle`.
pub(crate) const OUTPUT: u8 = 1 << 1;
/// The task is in the Core's run queue (at most once). Owner reference.
pub(crate) const QUEUED: u8 = 1 << 2;
/// The task is in the Core's task list, which drops it when the Core drops. Owner reference.
pub(crate) const IN_LIST: u8 = 1 << 3;
/// The `JoinHandle` is alive. Owner reference.
pub(crate) const JOIN: u8 = 1 << 4;
/// `abort()` was called: the next time the task is run, its future is dropped instead.
pub(crate) const CANCEL: u8 = 1 << 5;

/// Flags that each keep the owner side's reference alive.
pub(crate) const OWNER_FLAGS: u8 = QUEUED | IN_LIST | JOIN;

/// Type-erased task header; the first field of every task allocation.
pub(crate) struct Header {
    /// Wakers and task refs, plus one for the owner side (see the module docs).
    pub(crate) refs: AtomicUsize,
    /// Set by a foreign-thread wake while the task sits in the remote queue.
    pub(crate) remote_queued: AtomicBool,
    /// Owner-thread-only state flags (the constants above).
    pub(crate) state: Cell<u8>,
    /// Owner-thread-only: index in the Core's task list while `IN_LIST` is set.
    pub(crate) slot: Cell<u32>,
    /// Functions that know the concrete future and output types.
    pub(crate) vtable: &'static Vtable,
    /// The owning Core's thread-safe half: the remote queue wakes go through. Read through
    /// [`Header::shared`]; replaced only by `TaskPtr::bind` (see the module docs).
    pub(crate) shared: UnsafeCell<Arc<Shared>>,
    /// Owner-thread-only: the task waiting on the `JoinHandle`.
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
}

impl Header {
    /// The owning Core's thread-safe half.
    #[inline]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        // SAFETY: the field is only written by `TaskPtr::bind`, on the owner thread, while no
        // other thread can reach the task and no borrow of the field is alive (see the
        // module docs); every other access is this shared read.
        unsafe { &*self.shared.get() }
    }

    /// Whether any flag in `flags` is set.
    #[inline]
    pub(crate) fn has(&self, flags: u8) -> bool {
        self.state.get() & flags != 0
    }

    /// Sets `flags`.
    #[inline]
    pub(crate) fn set(&self, flags: u8) {
        self.state.set(self.state.get() | flags);
    }

    /// Clears `flags`.
    #[inline]
    pub(crate) fn unset(&self, flags: u8) {
        self.state.set(self.state.get() & !flags);
    }
}
