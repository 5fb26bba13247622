//! The task allocation and the few functions that know its concrete types.
//!
//! All pointer work on tasks lives here and in `waker.rs`. The rest of the crate handles
//! tasks through [`TaskPtr`] (a borrowed pointer, valid while the owner side holds the task)
//! and [`TaskRef`] (an owned atomic reference, the only handle that may cross threads).

use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::task::{Context, Poll, Waker};

use super::error::JoinError;
use super::header::{FUTURE, Header, OUTPUT, OWNER_FLAGS};
use super::id::Id;
use crate::shared::Shared;

/// A task: the header followed by a stage that holds the future, then the output.
///
/// `repr(C)` puts the header first so a `*Header` is also a `*TaskCell<F, T>`.
#[repr(C)]
struct TaskCell<F, T> {
    header: Header,
    stage: UnsafeCell<Stage<F, T>>,
}

/// Which field is live is recorded by the `FUTURE` / `OUTPUT` flags in the header, so the
/// stage costs no discriminant: a task's allocation is its header plus the larger of its
/// future and its output.
union Stage<F, T> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<Result<T, JoinError>>,
}

/// The functions of one `(F, T)` instantiation.
pub(crate) struct Vtable {
    /// Polls the future; on completion moves the output into the stage and returns true.
    poll: unsafe fn(TaskPtr, &mut Context<'_>) -> bool,
    /// Drops the future and stores a cancelled `JoinError` as the output.
    cancel: unsafe fn(TaskPtr),
    /// Moves the output out into `*dst` (a `Poll<Result<T, JoinError>>`).
    take_output: unsafe fn(TaskPtr, *mut ()),
    /// Drops the output in place.
    drop_output: unsafe fn(TaskPtr),
    /// Frees the allocation. The stage must be empty.
    dealloc: unsafe fn(TaskPtr),
    /// Whether the task is the user's, counted by the runtime's metrics, rather than one of
    /// Mirage's own (see `Shared`'s task counts). Immutable, so any thread holding a
    /// reference may read it.
    counted: bool,
}

/// A borrowed pointer to a live task.
///
/// Copying it takes no reference: whoever uses one must know the task is alive, which on
/// the owner thread means an owner flag is set, and elsewhere means a [`TaskRef`] is held.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskPtr(NonNull<Header>);

impl TaskPtr {
    /// Allocates a task holding `future`. Its only reference is the owner reference, so the
    /// caller must set at least one owner flag before anything can release it.
    ///
    /// `COUNTED` is false for Mirage's own tasks, which the runtime's metrics leave out: when
    /// the future of one is dropped, its Core's count of them goes down (see `Shared`).
    pub(crate) fn allocate<F, const COUNTED: bool>(
        future: F,
        shared: Arc<Shared>,
        state: u8,
    ) -> TaskPtr
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let cell = Box::new(TaskCell::<F, F::Output> {
            header: Header {
                refs: AtomicUsize::new(1),
                remote_queued: AtomicBool::new(false),
                state: std::cell::Cell::new(state | FUTURE),
                slot: std::cell::Cell::new(0),
                vtable: vtable::<F, F::Output, COUNTED>(),
                shared: UnsafeCell::new(shared),
                join_waker: UnsafeCell::new(None),
            },
            stage: UnsafeCell::new(Stage {
                future: ManuallyDrop::new(future),
            }),
        });
        TaskPtr(NonNull::from(Box::leak(cell)).cast())
    }

    /// Rebuilds a pointer from a waker's data pointer.
    ///
    /// # Safety
    /// `data` must come from [`TaskPtr::as_raw`] of a task that is still allocated.
    pub(crate) unsafe fn from_raw(data: *const ()) -> TaskPtr {
        // SAFETY: the caller passes a pointer from `as_raw`, which is never null.
        TaskPtr(unsafe { NonNull::new_unchecked(data as *mut Header) })
    }

    /// Whether the runtime's metrics count this task: false for Mirage's own. Any thread
    /// holding a reference to the task may ask.
    pub(crate) fn is_counted(self) -> bool {
        self.header().vtable.counted
    }

    /// The pointer a waker carries.
    pub(crate) fn as_raw(self) -> *const () {
        self.0.as_ptr() as *const ()
    }

    /// The header.
    #[inline]
    pub(crate) fn header<'a>(self) -> &'a Header {
        // SAFETY: a `TaskPtr` is only used while the task is allocated (see the type docs),
        // and the header is never mutated through `&mut` after allocation.
        unsafe { self.0.as_ref() }
    }

    /// Polls the future; returns true when it completed (or panicked) and the stage now
    /// holds the output.
    ///
    /// # Safety
    /// Owner thread only; the `FUTURE` flag must be set and the task not already running.
    pub(crate) unsafe fn poll(self, cx: &mut Context<'_>) -> bool {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.poll)(self, cx) }
    }

    /// Replaces the future by a cancelled output.
    ///
    /// # Safety
    /// Owner thread only; the `FUTURE` flag must be set.
    pub(crate) unsafe fn cancel(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.cancel)(self) }
    }

    /// Moves the output into `dst`.
    ///
    /// # Safety
    /// Owner thread only; the `OUTPUT` flag must be set and `dst` must point to a
    /// `Poll<Result<T, JoinError>>` of this task's output type.
    pub(crate) unsafe fn take_output(self, dst: *mut ()) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.take_output)(self, dst) }
    }

    /// Drops the output.
    ///
    /// # Safety
    /// Owner thread only; the `OUTPUT` flag must be set.
    pub(crate) unsafe fn drop_output(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.drop_output)(self) }
    }

    /// Clears owner `flags`; when no owner flag remains, releases the owner reference.
    /// The pointer must not be used after this call unless the caller knows another owner
    /// flag is still set.
    ///
    /// # Safety
    /// Owner thread only.
    pub(crate) unsafe fn release(self, flags: u8) {
        debug_assert_eq!(flags & !OWNER_FLAGS, 0);
        let header = self.header();
        let held = header.has(OWNER_FLAGS);
        header.unset(flags);
        if held && !header.has(OWNER_FLAGS) {
            debug_assert!(
                !header.has(FUTURE | OUTPUT),
                "owner released a task with a stage"
            );
            // SAFETY: the owner reference was held (an owner flag was set) and is given up.
            unsafe { self.drop_ref() };
        }
    }

    /// Moves a task allocated with a [stand-in](Shared::stand_in) to the Core whose half is
    /// `shared`, and returns the stand-in.
    ///
    /// # Safety
    /// Owner thread. The task was never polled (so no `Waker` of it exists), no `TaskRef`
    /// of it is held off this thread, and nothing borrows its header's `shared`.
    pub(crate) unsafe fn bind(self, shared: Arc<Shared>) -> Arc<Shared> {
        // SAFETY: the caller guarantees no other access to the field, on any thread, for
        // the duration of this write (see `header.rs`).
        unsafe { std::mem::replace(&mut *self.header().shared.get(), shared) }
    }

    /// Takes one more atomic reference.
    pub(crate) fn add_ref(self) -> TaskRef {
        let old = self.header().refs.fetch_add(1, Ordering::Relaxed);
        if old > isize::MAX as usize {
            // As `Arc` does: only reachable by leaking wakers in a loop.
            std::process::abort();
        }
        TaskRef(self)
    }

    /// Gives up one atomic reference, freeing the task when it was the last.
    ///
    /// # Safety
    /// The caller must own the reference it gives up.
    pub(crate) unsafe fn drop_ref(self) {
        if self.header().refs.fetch_sub(1, Ordering::Release) == 1 {
            // Pairs with the `Release` of every other drop, so all their uses of the task
            // happen before the free.
            fence(Ordering::Acquire);
            // SAFETY: that was the last reference; the stage is empty (module invariant).
            unsafe { (self.header().vtable.dealloc)(self) }
        }
    }
}

/// An owned atomic reference to a task: the only task handle that may cross threads.
pub(crate) struct TaskRef(TaskPtr);

// SAFETY: through a `TaskRef` another thread only touches the header's atomics and the
// `Send + Sync` `Arc<Shared>`; when it drops the last reference it frees memory whose
// stage is already empty (see `header.rs`), dropping only `Send` fields.
unsafe impl Send for TaskRef {}

impl TaskRef {
    /// Takes over a reference the caller owns (e.g. one carried by a `Waker`).
    ///
    /// # Safety
    /// The caller gives up its reference to this `TaskRef`.
    pub(crate) unsafe fn from_owned(ptr: TaskPtr) -> TaskRef {
        TaskRef(ptr)
    }

    /// The task.
    pub(crate) fn ptr(&self) -> TaskPtr {
        self.0
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: a `TaskRef` owns one reference.
        unsafe { self.0.drop_ref() }
    }
}

fn vtable<F, T, const COUNTED: bool>() -> &'static Vtable
where
    F: Future<Output = T> + 'static,
    T: 'static,
{
    struct Of<F, T, const COUNTED: bool>(F, T);
    impl<F: Future<Output = T> + 'static, T: 'static, const COUNTED: bool> Of<F, T, COUNTED> {
        const VTABLE: Vtable = Vtable {
            poll: poll::<F, T, COUNTED>,
            cancel: cancel::<F, T, COUNTED>,
            take_output: take_output::<F, T>,
            drop_output: drop_output::<F, T>,
            dealloc: dealloc::<F, T>,
            counted: COUNTED,
        };
    }
    &Of::<F, T, COUNTED>::VTABLE
}

/// # Safety
/// See [`TaskPtr::poll`].
unsafe fn poll<F: Future<Output = T>, T, const COUNTED: bool>(
    ptr: TaskPtr,
    cx: &mut Context<'_>,
) -> bool {
    let cell = ptr.0.cast::<TaskCell<F, T>>().as_ptr();
    // SAFETY: `FUTURE` is set, so the stage holds the future; it never moves until it is
    // dropped in place, so pinning it is sound; the task is not running, so this is the
    // only reference into the stage.
    let result = catch_unwind(AssertUnwindSafe(|| unsafe {
        Pin::new_unchecked(&mut *(*(*cell).stage.get()).future).poll(cx)
    }));
    let output = match result {
        Ok(Poll::Pending) => return false,
        Ok(Poll::Ready(value)) => Ok(value),
        Err(payload) => Err(JoinError::panic(Id::of(ptr), payload)),
    };
    // SAFETY: as above; the future is dropped once, then the output takes its place.
    unsafe { finish::<F, T, COUNTED>(cell, output) };
    true
}

/// Drops the future and stores `output`, catching a panic from the future's destructor.
/// For one of Mirage's own tasks (`!COUNTED`), then counts it gone: after the destructor,
/// so that code run by it still sees the task counted, as for any task.
///
/// Nothing may unwind out of here: the Core would later drop the future a second time.
///
/// # Safety
/// The stage must hold the future.
unsafe fn finish<F, T, const COUNTED: bool>(
    cell: *mut TaskCell<F, T>,
    output: Result<T, JoinError>,
) {
    // SAFETY: the task is not running, so this is the only reference into the stage.
    let stage = unsafe { &mut *(*cell).stage.get() };
    // SAFETY: the stage holds the future (caller); it is dropped exactly once, here, and the
    // stage is overwritten with the output right after, even if the destructor panics.
    let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
        ManuallyDrop::drop(&mut stage.future)
    }));
    // What the destructor's panic displaced: dropped once the stage is consistent.
    let (output, discarded) = with_drop_panic(dropped, output, |payload| {
        JoinError::panic(Id::from_addr(cell as usize), payload)
    });
    stage.output = ManuallyDrop::new(output);
    // SAFETY: the header is valid for the task's lifetime.
    let header = unsafe { &(*cell).header };
    header.unset(FUTURE);
    header.set(OUTPUT);
    if !COUNTED {
        header.shared().internal_task_dropped();
    }
    if let Some(value) = discarded {
        drop_caught(catch_unwind(AssertUnwindSafe(move || drop(value))));
    }
}

/// A finished task's outcome once its future was dropped, `dropped` being what
/// `catch_unwind` returned for that: a panic of the destructor becomes the outcome (through
/// `panic`) in place of a value, which is handed back for the caller to drop once its own
/// state is consistent; after a failure, the failure stands and the panic is dropped.
#[inline]
pub(crate) fn with_drop_panic<T, E>(
    dropped: std::thread::Result<()>,
    outcome: Result<T, E>,
    panic: impl FnOnce(Box<dyn std::any::Any + Send>) -> E,
) -> (Result<T, E>, Option<T>) {
    match (dropped, outcome) {
        (Err(payload), Ok(value)) => (Err(panic(payload)), Some(value)),
        (Err(payload), failed) => {
            drop_caught(Err(payload));
            (failed, None)
        }
        (Ok(()), outcome) => (outcome, None),
    }
}

/// Wakes a `JoinHandle`'s stored waker, the joiner's code (a hand-written executor's, say),
/// as a task finishes or is cancelled: its panic is caught, as in tokio, so that it never
/// escapes the Core (least of all its drop, or a `LocalSet`'s, which would leave the tasks
/// after this one undropped).
pub(crate) fn wake_joiner(joiner: Waker) {
    drop_caught(catch_unwind(AssertUnwindSafe(|| joiner.wake())));
}

/// Drops what `catch_unwind` returned without unwinding: a panic payload is user data
/// (`panic_any`), whose destructor may panic in turn, and so may that panic's payload.
/// After a few such rounds the last payload is leaked, as there may be no end to them.
pub(crate) fn drop_caught(mut caught: std::thread::Result<()>) {
    for _ in 0..4 {
        let Err(payload) = caught else {
            return;
        };
        caught = catch_unwind(AssertUnwindSafe(move || drop(payload)));
    }
    std::mem::forget(caught);
}

/// # Safety
/// See [`TaskPtr::cancel`].
unsafe fn cancel<F, T, const COUNTED: bool>(ptr: TaskPtr) {
    // SAFETY: forwarded from the caller: the stage holds the future.
    unsafe {
        finish::<F, T, COUNTED>(
            ptr.0.cast().as_ptr(),
            Err(JoinError::cancelled(Id::of(ptr))),
        )
    }
}

/// # Safety
/// See [`TaskPtr::take_output`].
unsafe fn take_output<F, T>(ptr: TaskPtr, dst: *mut ()) {
    let cell = ptr.0.cast::<TaskCell<F, T>>().as_ptr();
    // SAFETY: `OUTPUT` is set, so the output is live; it is moved out once and the flag
    // cleared; `dst` has the output's type (caller).
    unsafe {
        let output = ManuallyDrop::take(&mut (*(*cell).stage.get()).output);
        (*cell).header.unset(OUTPUT);
        *(dst as *mut Poll<Result<T, JoinError>>) = Poll::Ready(output);
    }
}

/// # Safety
/// See [`TaskPtr::drop_output`].
unsafe fn drop_output<F, T>(ptr: TaskPtr) {
    let cell = ptr.0.cast::<TaskCell<F, T>>().as_ptr();
    // SAFETY: `OUTPUT` is set, so the output is live; the flag is cleared first so a
    // panicking destructor cannot lead to a second drop.
    unsafe {
        (*cell).header.unset(OUTPUT);
        ManuallyDrop::drop(&mut (*(*cell).stage.get()).output);
    }
}

/// # Safety
/// Last reference, empty stage.
unsafe fn dealloc<F, T>(ptr: TaskPtr) {
    // SAFETY: the allocation came from `Box<TaskCell<F, T>>` in `allocate`; the stage is a
    // union of `ManuallyDrop`s, so only the header's fields are dropped.
    drop(unsafe { Box::from_raw(ptr.0.cast::<TaskCell<F, T>>().as_ptr()) });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fits_in_48_bytes() {
        // With the task list's 8-byte slot, the per-task overhead stays within 64 bytes.
        assert!(
            std::mem::size_of::<Header>() <= 48,
            "{}",
            std::mem::size_of::<Header>()
        );
    }

    #[test]
    fn a_failed_output_costs_two_words() {
        // The id of a failed task must not grow every task's output slot.
        assert_eq!(std::mem::size_of::<Result<(), JoinError>>(), 16);
    }

    #[test]
    fn stage_has_no_discriminant() {
        assert_eq!(std::mem::size_of::<Stage<[u64; 4], ()>>(), 32);
    }

    #[test]
    fn a_task_waker_woken_and_dropped_on_another_thread_while_its_core_drops() {
        // Another thread keeps waking a pending task (by reference, and clones by value)
        // while the Core runs, drains its remote queue, and is dropped: the task's future is
        // dropped and its owner reference released on the Core's thread, and the thread's
        // waker is then the last reference, so the task (and the Core's shared half it holds)
        // is freed there. Under Miri this checks the reference count, the remote queue and
        // the free for races.
        let (send, recv) = std::sync::mpsc::channel::<Waker>();
        let stop = Arc::new(AtomicBool::new(false));
        let waking = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let waker = recv.recv().unwrap();
                while !stop.load(Ordering::Acquire) {
                    waker.wake_by_ref();
                    let clone = waker.clone();
                    clone.wake();
                    std::thread::yield_now();
                }
                // After the Core is gone: a wake finds its queue closed.
                waker.wake_by_ref();
                drop(waker);
            })
        };
        let mut core = crate::Core::new().unwrap();
        let shared = Arc::downgrade(core.shared());
        let polls = std::rc::Rc::new(std::cell::Cell::new(0));
        let counted = std::rc::Rc::clone(&polls);
        let mut send = Some(send);
        drop(core.spawn(std::future::poll_fn(move |cx| {
            counted.set(counted.get() + 1);
            if let Some(send) = send.take() {
                send.send(cx.waker().clone()).unwrap();
            }
            Poll::<()>::Pending
        })));
        core.run(async {
            while polls.get() < 3 {
                crate::yield_now().await;
            }
        });
        drop(core);
        stop.store(true, Ordering::Release);
        waking.join().unwrap();
        assert_eq!(
            shared.strong_count(),
            0,
            "the task and the shared half were freed"
        );
    }
}
