//! `JoinHandle`: the spawner's side of a task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::abort::{self, AbortHandle};
use super::error::JoinError;
use super::header::{FUTURE, JOIN, OUTPUT};
use super::id::Id;
use super::raw::{self, TaskPtr};
use crate::context;

/// An owned permission to await a spawned task's result, or to abort it.
///
/// Awaiting it yields `Ok(value)` when the task completed, and a [`JoinError`] when it
/// panicked or was aborted. Dropping the handle *detaches* the task: it keeps running and
/// its output is dropped when it completes.
///
/// Awaiting `&mut handle` is cancel-safe, as in tokio: given up on (a losing `select!`
/// branch, a `timeout`), it leaves the task's output in the handle for the next await.
///
/// Like the task itself, a `JoinHandle` stays on its Core's thread (it is `!Send`).
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// let sum = core.run(async {
///     let handle = mirage::spawn(async { 40 + 2 });
///     handle.await.unwrap()
/// });
/// assert_eq!(sum, 42);
/// ```
pub struct JoinHandle<T> {
    task: TaskPtr,
    _output: PhantomData<T>,
}

impl<T> JoinHandle<T> {
    /// Takes the owner's `JOIN` hold, already set in the task's state.
    pub(crate) fn new(task: TaskPtr) -> JoinHandle<T> {
        JoinHandle {
            task,
            _output: PhantomData,
        }
    }

    /// Cancels the task: its future is dropped the next time the Core would run it, and
    /// awaiting the handle yields a [`JoinError`] for which
    /// [`is_cancelled`](JoinError::is_cancelled) is true. Does nothing if the task already
    /// completed. If dropping the future panics, the panic is caught and the task still
    /// counts as cancelled (tokio reports that panic instead).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let handle = mirage::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        abort::abort(self.task);
    }

    /// A handle that can cancel the task, but has no claim on its output: it can be kept
    /// (or cloned) where the `JoinHandle` cannot, e.g. after the handle was awaited or
    /// moved into a [`JoinSet`](crate::JoinSet).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let task = mirage::spawn(std::future::pending::<()>());
    ///     let abort = task.abort_handle();
    ///     mirage::spawn(async move { abort.abort() });
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(self.task.add_ref())
    }

    /// The task's [`Id`]: what [`task::id`](crate::task::id) returns inside it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let handle = mirage::spawn(async {});
    ///     assert_eq!(handle.id(), handle.abort_handle().id());
    /// });
    /// ```
    pub fn id(&self) -> Id {
        Id::of(self.task)
    }

    /// Whether the task has finished: completed, panicked, or been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let handle = mirage::spawn(async {});
    ///     assert!(!handle.is_finished());
    ///     mirage::yield_now().await;
    ///     assert!(handle.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        abort::is_finished(self.task)
    }
}

impl<T> JoinHandle<T> {
    /// Whether the task's result is stored, ready to be taken.
    pub(crate) fn has_output(&self) -> bool {
        self.task.header().has(OUTPUT)
    }

    /// Takes the task's result if it has one, spending no budget: for
    /// [`JoinSet::try_join_next`](crate::JoinSet::try_join_next), which never waits.
    pub(crate) fn take_finished(&mut self) -> Option<Result<T, JoinError>> {
        if !self.has_output() {
            return None;
        }
        let mut output: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: owner thread (the handle is `!Send`), `OUTPUT` is set, and `output` has
        // this task's output type.
        unsafe { self.task.take_output(&mut output as *mut _ as *mut ()) };
        match output {
            Poll::Ready(output) => Some(output),
            Poll::Pending => None,
        }
    }
}

// The handle never holds a `T` in place (the output lives in the task's cell and is moved
// out), so moving the handle never moves a pinned `T`: a `JoinHandle` of any output can be
// polled through `Pin::new`, e.g. by a `JoinSet`, or by users in a `select!` over `&mut`.
impl<T> Unpin for JoinHandle<T> {}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let header = self.task.header();
        if header.has(OUTPUT) {
            std::task::ready!(crate::coop::poll_proceed(cx));
            return match self.take_finished() {
                Some(output) => Poll::Ready(output),
                None => unreachable!("OUTPUT is set"),
            };
        }
        assert!(
            header.has(FUTURE),
            "JoinHandle polled again after it returned the task's result"
        );
        // SAFETY: owner thread; the borrow ends before any user code runs.
        let stored = unsafe { &*header.join_waker.get() }
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()));
        if !stored {
            // Cloned before the cell is borrowed: a waker's clone may run any code, even
            // this task's Core, which completes the task and empties the cell.
            let waker = cx.waker().clone();
            if header.has(OUTPUT) {
                drop(waker);
                return self.poll(cx);
            }
            // SAFETY: owner thread; nothing runs while the cell is borrowed.
            let previous = unsafe { (*header.join_waker.get()).replace(waker) };
            drop(previous);
        }
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let header = self.task.header();
        // SAFETY: owner thread; nothing else borrows the join waker cell during this call.
        let joiner = unsafe { (*header.join_waker.get()).take() };
        // Released by a guard, so that a panicking destructor of the output, or of the
        // waker, does not skip it: the task would be kept joined, its output never dropped,
        // and neither it nor the Core's shared half it holds would be freed. (A guard costs
        // nothing unless something panics; `catch_unwind` cost a call per drop.)
        let _release = ReleaseJoin(self.task);
        drop(joiner);
        if header.has(OUTPUT) {
            // The output is the task's value, unread: as in tokio, a panic of its destructor
            // is contained as the task's own panic would be, not thrown at whoever drops
            // the handle (a `select!` arm, a `JoinSet`'s drop, any other destructor).
            // It runs as the task, as when the Core drops a detached task's output (and as in
            // tokio), so that its destructor sees the task's id.
            let task = self.task;
            let shared = header.shared();
            let outer =
                context::with_running(shared, |local| local.replace_current_task(Some(task)));
            // SAFETY: owner thread, `OUTPUT` is set.
            raw::drop_caught(catch_unwind(AssertUnwindSafe(|| unsafe {
                task.drop_output()
            })));
            if let Some(outer) = outer {
                context::with_running(shared, |local| local.replace_current_task(outer));
            }
        }
    }
}

/// Gives up a `JoinHandle`'s `JOIN` hold when dropped, also while unwinding.
struct ReleaseJoin(TaskPtr);

impl Drop for ReleaseJoin {
    fn drop(&mut self) {
        // SAFETY: owner thread; made from a dropping `JoinHandle`, which held `JOIN` and is
        // not used after.
        unsafe { self.0.release(JOIN) };
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Wake, Waker};

    struct PanicOnDrop;

    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("output destructor");
        }
    }

    #[test]
    fn an_output_that_panics_when_dropped_with_its_handle_does_not_leak_the_task() {
        let mut core = crate::Core::new().unwrap();
        let shared = Arc::downgrade(core.shared());
        let handle = core.spawn(async { PanicOnDrop });
        core.run(crate::yield_now());
        assert!(handle.is_finished());
        let dropped = catch_unwind(AssertUnwindSafe(|| drop(handle)));
        assert!(
            dropped.is_ok(),
            "the destructor's panic is contained, as in tokio"
        );
        drop(core);
        assert_eq!(
            shared.strong_count(),
            0,
            "the task, and the Core's shared half (and eventfd) it holds, were freed"
        );
    }

    /// A joiner's waker that counts its wakes, from any thread.
    #[derive(Default)]
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_joiner_waker_replaced_at_each_poll_while_another_thread_completes_the_task() {
        // The task waits for a flag that another thread sets, then wakes it: the wake comes
        // through the remote queue and the task completes on the Core while its handle is
        // polled with a new waker each time, which another thread also holds, wakes and
        // drops. The last one stored is woken once as the task completes, on the Core's
        // thread, and all the others were dropped unwoken by it. Under Miri this checks the
        // remote wake, the joiner's replacement and its wake for races.
        let done = Arc::new(AtomicBool::new(false));
        let task_waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (send, recv) = std::sync::mpsc::channel::<Waker>();
        let thread = {
            let (done, task_waker) = (Arc::clone(&done), Arc::clone(&task_waker));
            std::thread::spawn(move || {
                for (round, joiner) in recv.into_iter().enumerate() {
                    joiner.wake_by_ref();
                    if round == 2 {
                        done.store(true, Ordering::Release);
                        if let Some(waker) = task_waker.lock().unwrap().take() {
                            waker.wake();
                        }
                    }
                }
            })
        };
        let mut core = crate::Core::new().unwrap();
        let joiners: Vec<Arc<Counter>> = core.run(async {
            let mut handle = crate::spawn({
                let (done, task_waker) = (Arc::clone(&done), Arc::clone(&task_waker));
                std::future::poll_fn(move |cx| {
                    *task_waker.lock().unwrap() = Some(cx.waker().clone());
                    if done.load(Ordering::Acquire) {
                        Poll::Ready(7)
                    } else {
                        Poll::Pending
                    }
                })
            });
            let mut joiners = Vec::new();
            let output = loop {
                let joiner = Arc::new(Counter::default());
                let waker = Waker::from(Arc::clone(&joiner));
                joiners.push(joiner);
                let polled = std::pin::Pin::new(&mut handle).poll(&mut Context::from_waker(&waker));
                send.send(waker).unwrap();
                if let Poll::Ready(output) = polled {
                    break output;
                }
                crate::yield_now().await;
            };
            assert_eq!(output.unwrap(), 7);
            drop(send);
            joiners
        });
        thread.join().unwrap();
        let (last, earlier) = joiners.split_last().unwrap();
        // The thread woke each waker it was sent once; the one stored as the task completed
        // was woken by the Core as well.
        let woken: usize = earlier.iter().map(|j| j.0.load(Ordering::SeqCst)).sum();
        assert_eq!(woken, earlier.len() + 1);
        assert_eq!(
            last.0.load(Ordering::SeqCst),
            1,
            "the final poll stored nothing"
        );
        for joiner in joiners.iter() {
            assert_eq!(
                Arc::strong_count(joiner),
                1,
                "every stored waker was released"
            );
        }
    }
}
