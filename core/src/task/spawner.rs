//! `Spawner`: spawns tasks on a Core from any thread.

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use super::RemoteJoinHandle;
use super::raw::{drop_caught, with_drop_panic};
use super::remote_join::Outcome;
use crate::sync::cross_thread;

/// Work for the Core's dispatcher task: makes the future and spawns it.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Spawns tasks on one [`Core`](crate::Core) from any thread: another Core handing work
/// over, or a plain thread feeding a Core. Made by [`Core::spawner`](crate::Core::spawner);
/// `Send`, `Sync` and cheap to clone.
///
/// The task is made on the Core's thread, from a closure that is `Send`: the future it
/// returns need not be, so the task may hold `Rc`s, sockets and timers as any task of that
/// Core does. Its output comes back through a [`RemoteJoinHandle`].
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// let mut core = mirage::Core::new().unwrap();
/// let spawner = core.spawner();
/// let (stop, stopped) = mirage::sync::cross_thread::oneshot::channel::<()>();
/// let client = std::thread::spawn(move || {
///     let handle = spawner.spawn(|| async {
///         let local = Rc::new("made on the Core's thread"); // not Send, and need not be
///         local.len()
///     });
///     let len = handle.blocking_join().unwrap();
///     stop.send(()).unwrap();
///     len
/// });
/// core.run(stopped).unwrap();
/// assert_eq!(client.join().unwrap(), 25);
/// ```
#[derive(Clone)]
pub struct Spawner {
    jobs: cross_thread::UnboundedSender<Job>,
}

impl Spawner {
    /// Sets up the queue into the Core and the task that drains it; `spawn_dispatcher`
    /// spawns that task on the Core.
    pub(crate) fn new(spawn_dispatcher: impl FnOnce(DispatchJobs)) -> Spawner {
        let (jobs, queue) = cross_thread::unbounded();
        spawn_dispatcher(DispatchJobs { queue });
        Spawner { jobs }
    }

    /// Spawns the future that `make` returns as a task of the Core, which starts it at its
    /// next turn (waking it if it is blocked waiting for I/O), or when it next runs.
    ///
    /// A panic in `make` or in the task is caught, and reported through the handle as
    /// [`JoinError::is_panic`](crate::JoinError::is_panic). If the Core has been dropped, or
    /// is dropped before the task completes, the handle reports
    /// [`JoinError::is_cancelled`](crate::JoinError::is_cancelled). Dropping the handle
    /// lets the task run on; [`RemoteJoinHandle::abort`] stops it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// let spawner = core.spawner();
    /// // Queued now, from this thread; it runs when the Core does.
    /// let handle = spawner.spawn(|| async {
    ///     mirage::time::sleep(Duration::from_millis(1)).await;
    ///     "slept on the Core"
    /// });
    /// assert_eq!(core.run(handle).unwrap(), "slept on the Core");
    /// ```
    pub fn spawn<F, Fut>(&self, make: F) -> RemoteJoinHandle<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let (reply, handle) = RemoteJoinHandle::pair();
        let job: Job = Box::new(move || {
            if reply.abort().is_requested() {
                // Aborted before it was made: dropping the reply unsent reports it cancelled.
                return;
            }
            let future = match panic::catch_unwind(AssertUnwindSafe(make)) {
                Ok(future) => future,
                Err(payload) => {
                    reply.send(Err(payload));
                    return;
                }
            };
            drop(crate::spawn(async move {
                let mut future = pin!(Some(future));
                let running = future
                    .as_mut()
                    .as_pin_mut()
                    .expect("the future is in place");
                let outcome = reply.abort().run_unless_aborted(CatchUnwind(running)).await;
                // Dropped here, where a panic of its destructor is caught: it is then the
                // task's result, as for a local task, and the output it displaces is
                // dropped. (`set` leaves `None` even if the destructor panics.)
                let dropped = panic::catch_unwind(AssertUnwindSafe(|| future.set(None)));
                let (outcome, displaced) = match outcome {
                    Some(outcome) => {
                        let (outcome, displaced) = with_drop_panic(dropped, outcome, |p| p);
                        (Some(outcome), displaced)
                    }
                    // Aborted: reported cancelled, whatever the destructor did.
                    None => {
                        drop_caught(dropped);
                        (None, None)
                    }
                };
                // Aborted, dropping the reply unsent reports the task cancelled. The handle
                // may be gone: the output is then dropped here.
                match outcome {
                    Some(outcome) => reply.send(outcome),
                    None => drop(reply),
                }
                if let Some(value) = displaced {
                    drop_caught(panic::catch_unwind(AssertUnwindSafe(move || drop(value))));
                }
            }));
        });
        // With the Core gone the job is dropped, and with it the reply: the handle reports
        // the task cancelled.
        let _ = self.jobs.send(job);
        handle
    }

    /// Whether the Core is gone: tasks spawned now are dropped unrun.
    ///
    /// # Examples
    ///
    /// ```
    /// let core = mirage::Core::new().unwrap();
    /// let spawner = core.spawner();
    /// assert!(!spawner.is_closed());
    /// drop(core);
    /// assert!(spawner.is_closed());
    /// assert!(spawner.spawn(|| async {}).blocking_join().unwrap_err().is_cancelled());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.jobs.is_closed()
    }

    /// How many spawns wait for the Core to take them in: sent, and not yet received by its
    /// dispatcher task. 0 once the Core is gone.
    pub(crate) fn queued(&self) -> usize {
        self.jobs.queued()
    }
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawner")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Polls a pinned future, catching a panic in its `poll` as the outcome.
struct CatchUnwind<'a, F>(Pin<&'a mut F>);

impl<F: Future> Future for CatchUnwind<'_, F> {
    type Output = Outcome<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<F::Output>> {
        let future = self.0.as_mut();
        match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The Core's end of a [`Spawner`]'s queue: a task that spawns each job it receives.
pub(crate) struct DispatchJobs {
    queue: cross_thread::UnboundedReceiver<Job>,
}

impl DispatchJobs {
    /// Runs until every `Spawner` is dropped. Each job catches the panics of `make` and of
    /// the task; what is left (a panic dropping an aborted job's closure, or a payload
    /// nobody awaits) is caught here, after the panic hook reported it: the one task that
    /// takes in every spawn must not die of one.
    pub(crate) async fn run(mut self) {
        while let Some(job) = self.queue.recv().await {
            drop_caught(panic::catch_unwind(AssertUnwindSafe(job)));
        }
    }
}
