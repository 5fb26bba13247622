//! `Waker`s for tasks and for the root future of `Core::run`.
//!
//! A task waker's data pointer is the task itself; cloning takes an atomic reference, which
//! is uncontended on the Core's thread. Waking checks whether this thread is running the
//! task's Core: if so the task goes on the local run queue with plain memory operations;
//! otherwise (another thread, or the owner thread between runs) it goes through the Core's
//! remote queue, which is always sound.

use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::raw::{TaskPtr, TaskRef};
use crate::context;
use crate::shared::Shared;

static TASK_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_task, wake_task, wake_task_by_ref, drop_task);

/// A waker for `task` that borrows the caller's reference instead of taking its own: the
/// executor hands it to `poll` without touching the reference count.
///
/// # Safety
/// The task must stay allocated while the returned waker (not its clones) is in use.
pub(crate) unsafe fn borrowed(task: TaskPtr) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(task.as_raw(), &TASK_VTABLE);
    // SAFETY: the vtable's functions uphold the `RawWaker` contract for task pointers; the
    // `ManuallyDrop` keeps the borrowed reference from being released.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// Schedules `task` from any thread.
pub(crate) fn schedule(task: TaskPtr) {
    let header = task.header();
    let scheduled_locally = context::with_running(header.shared(), |local| local.schedule(task));
    if scheduled_locally.is_none() {
        let remote = task.add_ref();
        schedule_remote(remote);
    }
}

/// Hands an owned reference to the task's Core through its remote queue.
fn schedule_remote(task: TaskRef) {
    let header = task.ptr().header();
    // At most one remote entry per task at a time: a thread that wakes a task in a loop
    // costs one queue slot, not one per wake. The Core clears the flag when it drains.
    if header
        .remote_queued
        .swap(true, std::sync::atomic::Ordering::AcqRel)
    {
        return;
    }
    let shared = Arc::clone(header.shared());
    shared.push_remote(task);
}

unsafe fn clone_task(data: *const ()) -> RawWaker {
    // SAFETY: the data pointer of a task waker is a live task (the clone's source holds a
    // reference).
    let task = unsafe { TaskPtr::from_raw(data) };
    std::mem::forget(task.add_ref());
    RawWaker::new(data, &TASK_VTABLE)
}

unsafe fn wake_task(data: *const ()) {
    // SAFETY: this waker owns one reference, which the `TaskRef` takes over.
    let task = unsafe { TaskRef::from_owned(TaskPtr::from_raw(data)) };
    let ptr = task.ptr();
    let header = ptr.header();
    if context::with_running(header.shared(), |local| local.schedule(ptr)).is_none() {
        // Reuse this waker's reference for the queue entry instead of taking another.
        schedule_remote(task);
    }
}

unsafe fn wake_task_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference, so the task is allocated.
    schedule(unsafe { TaskPtr::from_raw(data) });
}

unsafe fn drop_task(data: *const ()) {
    // SAFETY: this waker owns one reference and gives it up.
    unsafe { TaskPtr::from_raw(data).drop_ref() }
}

static ROOT_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_root, wake_root, wake_root_by_ref, drop_root);

/// The waker of the future passed to `Core::run`: it sets a flag on the Core.
pub(crate) fn root(shared: &Arc<Shared>) -> Waker {
    let data = Arc::into_raw(Arc::clone(shared)) as *const ();
    // SAFETY: the root vtable treats the data pointer as an `Arc<Shared>` it owns one
    // strong count of, which `Arc::into_raw` just gave it.
    unsafe { Waker::from_raw(RawWaker::new(data, &ROOT_VTABLE)) }
}

unsafe fn clone_root(data: *const ()) -> RawWaker {
    // SAFETY: the data pointer came from `Arc::into_raw` and the source waker keeps it alive.
    unsafe { Arc::increment_strong_count(data as *const Shared) };
    RawWaker::new(data, &ROOT_VTABLE)
}

unsafe fn wake_root(data: *const ()) {
    // SAFETY: as in `clone_root`; the count this waker owns is released after the wake.
    unsafe {
        wake_root_by_ref(data);
        drop_root(data);
    }
}

unsafe fn wake_root_by_ref(data: *const ()) {
    // SAFETY: the waker keeps the `Arc` alive while it is in use.
    let shared = unsafe { &*(data as *const Shared) };
    // `Arc::as_ptr` of the running Core's `Shared` equals `data` exactly when this thread is
    // running the root's Core.
    let local = context::is_running(data as *const Shared);
    shared.wake_root(local);
}

unsafe fn drop_root(data: *const ()) {
    // SAFETY: this waker owns one strong count of the `Arc` behind `data`.
    unsafe { Arc::decrement_strong_count(data as *const Shared) };
}
